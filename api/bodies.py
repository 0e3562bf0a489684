"""Every request body bounded while it is read (issue 28, item 1).

`BodyBounds` is an ASGI middleware in front of every route: a body (of any method but GET and
HEAD) is counted as it arrives, and once it passes its bound the app is told that the client went
away (it stops reading and keeps nothing) and the caller is answered 413, in the one refusal shape
under `/v1` and as a short page elsewhere. A body whose `Content-Length` is already over the bound
is answered before a byte of it is read. The bounds, by the body's kind:

- an urlencoded form (`/signin`, every page form): `FORM_BYTES` (`api.web.forms` refuses past a
  quarter of it with the form's own words);
- multipart (evidence uploads, page forms with files): `MAX_FORM_FILES` files of
  `KAOPING_MAX_FILE_BYTES` and the form's fields (`api.uploads` refuses a file past its own bound
  first, streaming it into the file store, never to a temporary file);
- anything else (`POST /v1/commands`' JSON, imports): `KAOPING_MAX_BODY_BYTES` or
  `KAOPING_MAX_FILE_BYTES`, whichever is larger.

The routes' own bounds are tighter and speak first; this one holds for every route, also for those
added later. Forms FastAPI parses itself (`Form()` parameters) take no file part at all
(`FORM_LIMITS`, given to the app), so Starlette never spools one to the temporary directory.
"""

from __future__ import annotations

import html
from typing import Any

from fastapi.responses import HTMLResponse

from .errors import PayloadTooLarge, refusal

FORM_BYTES = 1024 * 1024
#: the most files one form or upload of the app takes (the to-do page's evidence form: 10)
MAX_FORM_FILES = 10
#: a multipart body's room beyond its files' bytes (boundaries, part headers, ordinary fields)
MULTIPART_OVERHEAD = 4 * 1024 * 1024
#: what FastAPI's own form parsing may hold: no file (forms with files go through `api.uploads`)
FORM_LIMITS = {"max_files": 0, "max_fields": 64, "max_part_size": FORM_BYTES}
UNBOUNDED_METHODS = ("GET", "HEAD", "OPTIONS")

Scope = dict[str, Any]


def bound_of(scope: Scope) -> int:
    """The most bytes the request's body may hold, by its kind (module docstring)."""
    services = getattr(scope["app"].state, "services", None)
    settings = services.settings if services is not None else None
    max_body = settings.max_body_bytes if settings else 8 * 1024 * 1024
    max_file = settings.max_file_bytes if settings else 50 * 1024 * 1024
    content_type = _header(scope, b"content-type").lower()
    if content_type.startswith("application/x-www-form-urlencoded"):
        return FORM_BYTES
    if content_type.startswith("multipart/"):
        return MAX_FORM_FILES * max_file + MULTIPART_OVERHEAD
    return max(max_body, max_file) + MULTIPART_OVERHEAD


def _header(scope: Scope, name: bytes) -> str:
    for key, value in scope.get("headers", []):
        if key.lower() == name:
            return value.decode("latin-1")
    return ""


class BodyBounds:
    def __init__(self, app: Any):
        self.app = app

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["method"] in UNBOUNDED_METHODS:
            await self.app(scope, receive, send)
            return
        limit = bound_of(scope)
        declared = _header(scope, b"content-length").strip()
        if declared.isdigit() and int(declared) > limit:
            await too_large(scope, limit)(scope, receive, send)
            return
        state = {"read": 0, "over": False, "started": False}

        async def bounded() -> dict[str, Any]:
            if state["over"]:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                state["read"] += len(message.get("body", b""))
                if state["read"] > limit:
                    state["over"] = True  # the app stops reading: nothing more is held
                    return {"type": "http.disconnect"}
            return message

        async def guarded(message: dict[str, Any]) -> None:
            if state["over"] and not state["started"]:
                return  # whatever the app answers to a "disconnect", ours follows
            if message["type"] == "http.response.start":
                state["started"] = True
            await send(message)

        try:
            await self.app(scope, bounded, guarded)
        except Exception:
            if not state["over"] or state["started"]:
                raise
        if state["over"] and not state["started"]:
            await too_large(scope, limit)(scope, receive, send)


def too_large(scope: Scope, limit: int) -> Any:
    """The 413 for a body over `limit` bytes: the one refusal shape under /v1, a page elsewhere."""
    error = PayloadTooLarge("request.too_large", field="body", limit=limit)
    if scope["path"].startswith("/v1/"):
        return refusal(error, 413, headers={"Connection": "close"})
    page = (f'<!doctype html><html lang="zh-CN"><meta charset="utf-8"><title>内容过大</title>'
            f"<h1>内容过大</h1><p>{html.escape(error.message)}</p></html>")
    return HTMLResponse(page, status_code=413, headers={"Connection": "close"})


__all__ = ["BodyBounds", "FORM_BYTES", "FORM_LIMITS", "MAX_FORM_FILES", "bound_of", "too_large"]
