"""Every body bounded while it is read (issue 28, item 1): /signin, the pages' forms, multipart
uploads; nothing spooled to disk; a 413 in the one refusal shape (a short page outside /v1)."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
import starlette.formparsers
from fastapi.testclient import TestClient

from kaoping.api.bodies import FORM_BYTES
from kaoping.api.http import create_app

CJK = re.compile(r"[\u4e00-\u9fff]")
MB = 1024 * 1024


def asgi_post(app: Any, path: str, headers: dict[str, str], chunks: Iterator[bytes]) -> tuple[int, bytes, int]:
    """POST straight to the ASGI app, the body sent chunk by chunk as the app asks for it:
    (status, body, how many chunks the app read)."""
    read = 0

    async def run() -> list[dict[str, Any]]:
        nonlocal read
        sent: list[dict[str, Any]] = []

        async def receive() -> dict[str, Any]:
            nonlocal read
            chunk = next(chunks, None)
            if chunk is None:
                return {"type": "http.request", "body": b"", "more_body": False}
            read += 1
            return {"type": "http.request", "body": chunk, "more_body": True}

        async def send(message: dict[str, Any]) -> None:
            sent.append(message)

        scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST",
                 "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": b"",
                 "root_path": "", "server": ("testserver", 80), "client": ("127.0.0.1", 5000),
                 "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()]}
        await app(scope, receive, send)
        return sent

    sent = asyncio.run(run())
    status = next(m["status"] for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return status, body, read


def filler(first: bytes, count: int, piece: bytes = b"a") -> Iterator[bytes]:
    yield first
    for _ in range(count):
        yield piece * MB


FORM = {"content-type": "application/x-www-form-urlencoded", "origin": "http://testserver"}


@pytest.fixture
def app(ledger):
    application = create_app(ledger=ledger)
    with TestClient(application):
        yield application


def test_a_huge_sign_in_form_stops_being_read_at_its_bound(app):
    status, body, read = asgi_post(app, "/signin", FORM, filler(b"next=/&token=", 1000))
    assert status == 413
    assert "内容过大" in body.decode() and str(FORM_BYTES) in body.decode()
    assert read <= FORM_BYTES // MB + 2  # the first piece, the bound's megabytes and the one past it


def test_a_declared_length_over_the_bound_is_refused_unread(app):
    headers = {**FORM, "content-length": str(1000 * MB)}
    status, _, read = asgi_post(app, "/signin", headers, filler(b"token=", 1000))
    assert (status, read) == (413, 0)


def test_a_sign_in_form_with_a_file_part_spools_nothing(app, monkeypatch):
    spooled: list[Any] = []
    real = starlette.formparsers.SpooledTemporaryFile

    def spy(*args: Any, **kwargs: Any) -> Any:
        spooled.append(args)
        return real(*args, **kwargs)

    monkeypatch.setattr(starlette.formparsers, "SpooledTemporaryFile", spy)
    head = (b'--XX\r\nContent-Disposition: form-data; name="token"\r\n\r\nabc\r\n'
            b'--XX\r\nContent-Disposition: form-data; name="f"; filename="a.bin"\r\n'
            b"Content-Type: application/octet-stream\r\n\r\n")
    headers = {"content-type": "multipart/form-data; boundary=XX", "origin": "http://testserver"}
    status, _, read = asgi_post(app, "/signin", headers, filler(head, 3000))
    assert 400 <= status < 500 and status != 401
    assert spooled == []
    assert read < 100


def test_an_upload_with_an_endless_part_header_is_refused_in_the_one_shape(app, ledger):
    ledger.settings = ledger.settings.model_copy(update={"max_file_bytes": MB})
    _, token = ledger.create_token(actor="office-clerk", role="office")
    head = b'--XX\r\nContent-Disposition: form-data; name="file"; filename="'
    headers = {"content-type": "multipart/form-data; boundary=XX", "authorization": f"Bearer {token}"}
    status, body, read = asgi_post(app, "/v1/files", headers, filler(head, 3000))
    assert status in (413, 422)
    detail = json.loads(body)["detail"]
    assert {"field", "message", "code", "message_en"} <= set(detail) and CJK.search(detail["message"])
    assert read <= 20


def test_any_other_post_is_bounded_too(app, ledger):
    _, token = ledger.create_token(actor="office-clerk", role="office")
    headers = {"content-type": "application/octet-stream", "authorization": f"Bearer {token}"}
    status, body, read = asgi_post(app, "/v1/no-such-endpoint", headers, filler(b"", 3000))
    assert status in (404, 405, 413)
    assert read < 200
    detail = json.loads(body)["detail"]
    assert CJK.search(detail["message"])


def test_an_ordinary_sign_in_still_works(app, ledger):
    _, token = ledger.create_token(actor="审计组", role="auditor")
    with TestClient(app, follow_redirects=False) as browser:
        response = browser.post("/signin", data={"token": token, "next": "/"})
    assert response.status_code == 303


@pytest.mark.parametrize("head,piece", [
    (b'--XX\r\nContent-Disposition: form-data; name="file"; filename="', b"a"),  # one endless value
    (b"--XX\r\n", b"X-A: b\r\n"),                                             # endless short lines
])
def test_a_part_s_headers_are_bounded_while_they_are_read(app, ledger, head, piece):
    # the default file bound (50 MB) lets a body run to ~54 MB: the part's headers stop far sooner
    _, token = ledger.create_token(actor="office-clerk", role="office")
    headers = {"content-type": "multipart/form-data; boundary=XX", "authorization": f"Bearer {token}"}
    status, body, read = asgi_post(app, "/v1/files", headers, filler(head, 3000, piece))
    detail = json.loads(body)["detail"]
    assert (status, detail["code"], detail["field"]) == (413, "file.part_header", "body"), detail
    assert CJK.search(detail["message"]) and "字节" in detail["message"]
    assert read <= 2  # the head and the first megabyte: nothing more is read, nothing is kept
