"""Multipart bodies read as they arrive: small fields kept, files streamed into the file store.

`POST /v1/files` and the pages' forms with files read their body through `read_multipart`: the body
is parsed piece by piece (python-multipart's streaming parser, no temporary file), each file part
goes straight into an upload of the ledger's file store (`Ledger.upload`), counted against
`KAOPING_MAX_FILE_BYTES` (413 at the first byte past it), sniffed (415 as soon as its head shows
what it is) and hashed on the way, and written in pieces of 1 MiB from a worker thread; nothing is
spooled to disk, and at most a piece or two of a file is in memory. The caller's token was checked
before the first byte of the body was read (the route's `Permit`, or the page's session).

A form's ordinary fields (at most `FIELD_BYTES` each, `MAX_FIELDS` in all) come back as text;
`before_file` sees them as they stand when the first file part begins, so a page checks its CSRF
token before a byte of a file is stored (forms put their hidden fields first).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from fastapi import Request
from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.concurrency import run_in_threadpool

from kaoping.domain import errors as e
from kaoping.ledger.application import Ledger
from kaoping.ledger.files import StoredFile, Upload, Uploader

#: the most bytes one ordinary field may hold, and the most fields a form may have
FIELD_BYTES = 64 * 1024
MAX_FIELDS = 64
#: what a multipart body may hold beyond its files' bytes (boundaries, part headers, fields)
OVERHEAD = MAX_FIELDS * FIELD_BYTES
#: the most bytes (names and values) and lines the headers of one part may have: a browser sends two
#: or three short ones; an endless one is refused at its first byte past the bound (issue 28), here
#: whatever python-multipart's version (its own bounds, where it has them, are these or looser:
#: 4,224 bytes a line, 8 lines, and are refused alike)
HEADER_BYTES = 4096
HEADER_LINES = 8


@dataclass
class Received:
    """What a multipart body held: its fields, and the files stored from it, in order, each with
    the name of its part and whether those bytes were stored already."""

    fields: dict[str, list[str]] = field(default_factory=dict)
    files: list[tuple[str, StoredFile, bool]] = field(default_factory=list)

    def value(self, name: str, default: str = "") -> str:
        values = self.fields.get(name)
        return values[-1] if values else default


@dataclass
class _Part:
    name: str = ""
    filename: str | None = None
    header: bytes = b""
    headers: dict[bytes, bytes] = field(default_factory=dict)
    data: bytearray = field(default_factory=bytearray)
    upload: Upload | None = None


class _Events:
    """The parser's callbacks, turned into a list of events handled after each piece is fed."""

    def __init__(self) -> None:
        self.events: list[tuple[str, Any]] = []
        self._field, self._value = b"", b""
        self._header_bytes = self._header_lines = 0  # of the current part's headers

    def callbacks(self) -> dict[str, Callable[..., None]]:
        return {
            "on_part_begin": self._begin,
            "on_header_field": lambda data, start, end: self._add_field(data[start:end]),
            "on_header_value": lambda data, start, end: self._add_value(data[start:end]),
            "on_header_end": self._header_end,
            "on_headers_finished": lambda: self.events.append(("headers", None)),
            "on_part_data": lambda data, start, end: self.events.append(("data", bytes(data[start:end]))),
            "on_part_end": lambda: self.events.append(("end", None)),
        }

    def _begin(self) -> None:
        self._header_bytes = self._header_lines = 0
        self.events.append(("begin", None))

    def _add_field(self, data: bytes) -> None:
        self._count(data)
        self._field += data

    def _add_value(self, data: bytes) -> None:
        self._count(data)
        self._value += data

    def _count(self, data: bytes) -> None:
        """A part's headers are bounded as they are parsed: a refusal before the bytes are kept."""
        self._header_bytes += len(data)
        if self._header_bytes > HEADER_BYTES:
            raise _header_refusal()

    def _header_end(self) -> None:
        self._header_lines += 1
        if self._header_lines > HEADER_LINES:
            raise _header_refusal()
        self.events.append(("header", (self._field.lower(), self._value)))
        self._field, self._value = b"", b""

    def take(self) -> list[tuple[str, Any]]:
        events, self.events = self.events, []
        return events


async def read_multipart(request: Request, ledger: Ledger, uploader: Uploader, *, max_files: int,
                         file_parts: frozenset[str] = frozenset({"file"}),
                         before_file: Callable[[Received], None] | None = None) -> Received:
    """The body's fields and files (stored as they arrive; files only from the parts named in
    `file_parts`); a refusal (`KaopingError`) leaves no file of the refused part stored, and no
    piece of any file that did not complete."""
    content_type, options = parse_options_header(request.headers.get("content-type", ""))
    boundary = options.get(b"boundary")
    if content_type != b"multipart/form-data" or not boundary:
        raise e.InvalidCommand("file.not_multipart", field="body")
    limit = ledger.settings.max_file_bytes
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_files * limit + OVERHEAD:
        raise e.TooLarge("file.too_large", field="file", limit=limit)
    events = _Events()
    parser = MultipartParser(boundary, events.callbacks())  # type: ignore[arg-type]
    received = Received()
    part = _Part()
    try:
        async for piece in request.stream():
            try:
                parser.write(piece)
            except MultipartParseError as error:
                raise _refusal(error) from None
            for kind, value in events.take():
                part = await _handle(kind, value, part, received, ledger, uploader, max_files, file_parts,
                                     before_file)
        try:
            parser.finalize()
        except MultipartParseError as error:
            raise _refusal(error) from None
        for kind, value in events.take():
            part = await _handle(kind, value, part, received, ledger, uploader, max_files, file_parts,
                                     before_file)
    except BaseException:
        if part.upload is not None:
            await run_in_threadpool(part.upload.abort)
        raise
    return received


def _refusal(error: MultipartParseError) -> e.KaopingError:
    """The parser's complaint as a refusal: its own header bounds as ours, anything else malformed."""
    if str(error).startswith("Maximum header"):
        return _header_refusal()
    return e.InvalidCommand("file.malformed", field="body", reason=str(error)[:200])


def _header_refusal() -> e.KaopingError:
    return e.TooLarge("file.part_header", field="body", limit=HEADER_BYTES, count=HEADER_LINES)


async def _handle(kind: str, value: Any, part: _Part, received: Received, ledger: Ledger,
                  uploader: Uploader, max_files: int, file_parts: frozenset[str],
                  before_file: Callable[[Received], None] | None) -> _Part:
    if kind == "begin":
        return _Part()
    if kind == "header":
        name, text = value
        part.headers[name] = text
    elif kind == "headers":
        _, options = parse_options_header(part.headers.get(b"content-disposition", b""))
        part.name = options.get(b"name", b"").decode("utf-8", "replace")
        filename = options.get(b"filename")
        part.filename = None if filename is None else filename.decode("utf-8", "replace")
    elif kind == "data":
        if part.filename is None:
            part.data += value
            if len(part.data) > FIELD_BYTES:
                raise e.TooLarge("batch.too_large", field=part.name or "body", limit=FIELD_BYTES)
        elif part.filename or value:  # a form's empty file input sends no name and no bytes
            if part.upload is None:
                if part.name not in file_parts:
                    raise e.InvalidCommand("file.part_missing", field=part.name or "file")
                if before_file is not None:
                    before_file(received)
                if len(received.files) >= max_files:
                    raise e.TooLarge("file.too_many", field=part.name or "file", limit=max_files)
                part.upload = ledger.upload(_base_name(part.filename))
            if part.upload.take(value):
                await run_in_threadpool(part.upload.flush)
    elif kind == "end":
        if part.filename is None:
            if sum(len(v) for v in received.fields.values()) >= MAX_FIELDS:
                raise e.InvalidCommand("file.malformed", field="body", reason="too many fields")
            received.fields.setdefault(part.name, []).append(part.data.decode("utf-8", "replace"))
        elif part.upload is not None:
            upload, part.upload = part.upload, None
            try:
                stored, duplicate = await run_in_threadpool(upload.commit, uploader)
            except BaseException:
                await run_in_threadpool(upload.abort)
                raise
            received.files.append((part.name, stored, duplicate))
    return part


def _base_name(filename: str | None) -> str:
    """The file's name as its part gave it, without a folder (old browsers send a whole path)."""
    name = (filename or "").replace("\\", "/").rsplit("/", 1)[-1].strip()
    return "".join(ch for ch in name if ch.isprintable())[:200]


__all__ = ["FIELD_BYTES", "MAX_FIELDS", "Received", "read_multipart"]
