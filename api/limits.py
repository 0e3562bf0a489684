"""Time bounds for reads over HTTP, and reads stopped when their caller goes (issue 17, item 3).

`ReadBounds` is an ASGI middleware: every GET (but `/healthz`) runs under a `ledger.budget.Budget`
of `Settings.read_timeout` seconds, and a watcher reads the connection's messages for the app so
that the client's `http.disconnect` cancels the budget while the worker thread is still busy; the
readers' loops check it and stop. `install` answers a read stopped by its bound with 503, its words
in Chinese and `Retry-After`, as JSON under `/v1` and as a short page elsewhere.
"""

from __future__ import annotations

import asyncio
import html
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, Response

from kaoping.domain import errors as e
from kaoping.ledger.budget import Budget, applied

from .errors import refusal

#: what a 503 for a read past its bound asks the caller to wait before trying again, in seconds
RETRY_AFTER = 30
UNBOUNDED = {"/healthz"}

Scope = dict[str, Any]


class ReadBounds:
    def __init__(self, app: Any):
        self.app = app

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["method"] not in ("GET", "HEAD") \
                or scope["path"] in UNBOUNDED:
            await self.app(scope, receive, send)
            return
        budget = Budget(_seconds(scope))
        messages: asyncio.Queue[dict[str, Any]] = asyncio.Queue()

        async def watch() -> None:
            while True:
                message = await receive()
                await messages.put(message)
                if message["type"] == "http.disconnect":
                    budget.cancel()
                    return

        watcher = asyncio.create_task(watch())
        try:
            with applied(budget):  # FastAPI's worker threads inherit the context
                await self.app(scope, messages.get, send)
        finally:
            watcher.cancel()


def _seconds(scope: Scope) -> float | None:
    services = getattr(scope["app"].state, "services", None)
    seconds = services.settings.read_timeout if services is not None else 0
    return seconds or None  # 0: no bound


def install(app: FastAPI) -> None:
    app.add_middleware(ReadBounds)

    @app.exception_handler(e.TimeLimitExceeded)
    def _too_long(request: Request, error: e.KaopingError) -> Response:
        headers = {"Retry-After": str(RETRY_AFTER)}
        if request.url.path.startswith("/v1/"):
            return refusal(error, 503, headers=headers)  # the one refusal shape, with its code
        page = (f'<!doctype html><html lang="zh-CN"><meta charset="utf-8"><title>请稍后再试</title>'
                f"<h1>请稍后再试</h1><p>{html.escape(error.message)}</p></html>")
        return HTMLResponse(page, status_code=503, headers=headers)

    # nobody is left to read the answer to a read whose caller went away: the same short 503,
    # not a server error in the log
    app.add_exception_handler(e.ReadCancelled, _too_long)  # type: ignore[arg-type]


__all__ = ["RETRY_AFTER", "ReadBounds", "install"]
