"""The store out of reach (issue 28, item 2): a full disk, a killed or refused database connection,
a database locked past its wait. None of these is the caller's mistake nor a bug to hide behind a
500: each is answered 503 with `Retry-After` and a Chinese sentence (code `store.unavailable`), in
the one refusal shape under `/v1` and as a short page elsewhere. Retrying with the same command ids
is the right move: a command that was committed before the failure is then a duplicate, recorded
once. The CLI uses `trouble` for the same words (`api/cli/common.py`).
"""

from __future__ import annotations

import errno
import html
import sqlite3
from typing import TYPE_CHECKING, Any

import psycopg
from eventsourcing.persistence import InterfaceError, OperationalError
from starlette.responses import HTMLResponse, Response

from kaoping.domain import errors as e

from .errors import refusal

if TYPE_CHECKING:  # the CLI reads `trouble` from here and starts without FastAPI
    from fastapi import FastAPI, Request

#: seconds a 503 for a store out of reach asks the caller to wait
RETRY_AFTER = 10
#: the exceptions that mean the store could not be read or written (a bug is none of these)
OUTAGES: tuple[type[BaseException], ...] = (OperationalError, InterfaceError, sqlite3.OperationalError,
                                            psycopg.OperationalError, psycopg.InterfaceError)
DISK_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EIO, errno.EROFS}

_REASONS = (  # (words in the error, Chinese, English)
    (("disk is full", "no space left", "could not extend", "could not write", "disk full"), "磁盘已满", "the disk is full"),
    (("locked", "busy"), "数据库正忙", "the database is busy"),
    (("terminat", "connection", "closed", "server", "timeout", "timed out", "refused", "pool"),
     "数据库连接中断", "the connection to the database was lost"),
)


def trouble(error: BaseException) -> e.KaopingError | None:
    """The refusal `store.unavailable` for an error that means the store is out of reach (with
    its reason in words), None for any other error."""
    if isinstance(error, OSError) and not isinstance(error, OUTAGES):
        if error.errno not in DISK_ERRNOS:
            return None
        zh, en = ("磁盘已满", "the disk is full") if error.errno in (errno.ENOSPC, errno.EDQUOT) else \
            ("磁盘无法写入", "the disk cannot be written")
        return e.KaopingError("store.unavailable", reason=zh, reason_en=en)
    if not isinstance(error, OUTAGES):
        return None
    text = " ".join(str(part) for part in (error, error.__cause__) if part is not None).lower()
    zh, en = next(((zh, en) for words, zh, en in _REASONS if any(word in text for word in words)),
                  ("数据库暂时不可用", "the database is not available"))
    return e.KaopingError("store.unavailable", reason=zh, reason_en=en)


def answer(request: Request, error: BaseException) -> Response:
    refused = trouble(error)
    if refused is None:
        raise error
    headers = {"Retry-After": str(RETRY_AFTER)}
    if request.url.path.startswith("/v1/"):
        return refusal(refused, 503, headers=headers)
    page = (f'<!doctype html><html lang="zh-CN"><meta charset="utf-8"><title>请稍后再试</title>'
            f"<h1>请稍后再试</h1><p>{html.escape(refused.message)}</p></html>")
    return HTMLResponse(page, status_code=503, headers=headers)


def install(app: FastAPI) -> None:
    for cls in (*OUTAGES, OSError):
        app.add_exception_handler(cls, answer)  # type: ignore[arg-type]


__all__ = ["OUTAGES", "RETRY_AFTER", "answer", "install", "trouble"]
