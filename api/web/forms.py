"""The machinery every page form shares: read it (urlencoded, or multipart with files streamed into
the file store), hold it to its session's CSRF token and to its nonce, append what it records as
one batch through the group committer, and turn a refusal into the field it names.

A page's form carries two hidden fields first: `csrf` (the session's token, checked before a byte
of any file is stored) and `nonce` (12 hex digits made when the form was shown). The nonce is the
form's identity: `Form.command_id(kind, …)` makes each command's id from it, so a form sent twice
(a double click, a reload of the POST) appends once, the second time answered as a duplicate.

    form = await read_form(request, who, max_files=10, file_parts=frozenset({"files"}))
    try:
        receipts = record(request, who, [ …commands made from form.fields and form.files… ])
    except FormRefused as refused:
        return page(…, errors={refused.field: refused.message}, values=form.fields)

`FormRefused` says which field to show the Chinese refusal beside (a rejected command's field,
prefixed where the page needs: `field_of`), and its status; nothing was appended. Files a form
brought are stored as they arrive (they are not entries: a refused batch appends nothing, and the
same bytes sent again are found stored).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

from fastapi import Request

from kaoping.api.errors import status_of
from kaoping.api.uploads import Received, read_multipart
from kaoping.domain import errors as e
from kaoping.domain import policy
from kaoping.ledger.files import StoredFile, Uploader
from kaoping.ledger.group_commit import PendingBatch
from kaoping.ledger.writer import BatchRejected

from .render import CSRF_REFUSED
from .visitors import Visitor, forged, services_of

NONCE = re.compile(r"^[0-9a-f]{12}$")
#: the most bytes an urlencoded form may hold
FORM_BYTES = 256 * 1024


class FormRefused(Exception):
    """A form not recorded: `message` (Chinese) beside `field`; `index` is the refused command's
    place in the batch (None: the form itself). Nothing was appended."""

    def __init__(self, field: str, message: str, status: int = 422, index: int | None = None,
                 code: str = "form"):
        super().__init__(message)
        self.field, self.message, self.status, self.index, self.code = field, message, status, index, code


@dataclass
class Form:
    fields: dict[str, str]
    files: list[tuple[str, StoredFile, bool]] = field(default_factory=list)

    @property
    def nonce(self) -> str:
        return self.fields.get("nonce", "")

    def value(self, name: str, default: str = "") -> str:
        return self.fields.get(name, default).strip()

    def command_id(self, kind: str, *parts: str) -> str:
        """The id of a command this form records: its kind, what it is about, and the form's nonce."""
        return "-".join(["web", kind, *parts, self.nonce])[:64]

    def files_of(self, part: str) -> list[StoredFile]:
        return [stored for name, stored, _ in self.files if name == part]


async def read_form(request: Request, who: Visitor, *, max_files: int = 0,
                    file_parts: frozenset[str] = frozenset()) -> Form:
    """The form as sent, its CSRF token and nonce checked (FormRefused otherwise); files, when it
    may bring some, stored as they arrive (a refusal of a file's size or kind names its part)."""
    content_type = request.headers.get("content-type", "")

    def guard(received: Received) -> None:
        _checked(request, who, {k: v[-1] for k, v in received.fields.items()})

    if content_type.startswith("multipart/form-data") and max_files:
        uploader = Uploader(who.principal.actor, policy.bound_unit(who.principal) or "")
        try:
            received = await read_multipart(request, services_of(request).ledger, uploader,
                                            max_files=max_files, file_parts=file_parts, before_file=guard)
        except e.KaopingError as error:
            raise FormRefused(error.field or "files", error.message, status_of(error), code=error.code) from None
        fields = {k: v[-1] for k, v in received.fields.items()}
        _checked(request, who, fields)
        return Form(fields, received.files)
    body = await _bounded(request)
    fields = {k: v[-1] for k, v in parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True).items()}
    _checked(request, who, fields)
    return Form(fields)


async def _bounded(request: Request) -> bytes:
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > FORM_BYTES:
            raise FormRefused("body", "表单内容过大。", 413)
        chunks.append(chunk)
    return b"".join(chunks)


def _checked(request: Request, who: Visitor, fields: dict[str, str]) -> None:
    if forged(request, who, fields.get("csrf", "")):
        raise FormRefused("csrf", CSRF_REFUSED, 403, code="csrf")
    if not NONCE.match(fields.get("nonce", "")):
        raise FormRefused("nonce", e.InvalidCommand("form.expired").message, 422, code="form.expired")


@dataclass
class Receipt:
    """What one command of a form appended: its id, the seqs of its entries, whether it was a
    duplicate (the form sent again), and the receipts (inclusion proofs) of its entries."""

    id: str
    seqs: list[int]
    duplicate: bool
    receipts: list[dict[str, Any]]


def record(request: Request, who: Visitor, commands: list[dict[str, Any]],
           field_of: Any = None) -> list[Receipt]:
    """Append `commands` as one batch through the group committer, with the visitor's rights;
    FormRefused (nothing appended) naming the field `field_of(index, field)` gives (by default the
    refused command's own field)."""
    services = services_of(request)
    principal = who.principal
    try:
        result = services.committer.append(PendingBatch(commands, principal.actor, principal))
    except BatchRejected as rejected:
        error = rejected.error
        name = field_of(rejected.index, error.field) if field_of else (error.field or "")
        raise FormRefused(name or "", error.message, status_of(error), rejected.index, error.code) from None
    except e.KaopingError as error:
        raise FormRefused(error.field or "", error.message, status_of(error), code=error.code) from None
    services.projection.catch_up()
    return [Receipt(r.id, r.seqs, r.duplicate, r.receipts or []) for r in result.results]


__all__ = ["Form", "FormRefused", "NONCE", "Receipt", "read_form", "record"]
