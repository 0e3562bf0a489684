"""No log line shows a token: a calendar token travels in a URL (`?token=`), and a server's access
log writes every request's path with its query. This filter hides the value of every `token`
parameter in what the servers log (uvicorn's and granian's access and error logs), however the
logging was configured."""

from __future__ import annotations

import logging
import re

#: a `token=` parameter of a query string, up to the next parameter or the end
TOKEN_PARAMETER = re.compile(r"([?&]token=)[^&\s\"']*")
HIDDEN = r"\1[已隐去]"
#: the loggers that write request lines
LOGGERS = ("uvicorn.access", "uvicorn.error", "granian.access", "granian", "kaoping")


def hide_tokens(text: str) -> str:
    return TOKEN_PARAMETER.sub(HIDDEN, text)


class HideTokens(logging.Filter):
    """Rewrites a record's message and arguments with every token parameter hidden."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = hide_tokens(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(hide_tokens(a) if isinstance(a, str) else a for a in record.args)
        elif isinstance(record.args, dict):
            record.args = {k: hide_tokens(v) if isinstance(v, str) else v for k, v in record.args.items()}
        return True


def install() -> None:
    """Put the filter on every logger that writes request lines (idempotent)."""
    for name in LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, HideTokens) for f in logger.filters):
            logger.addFilter(HideTokens())


__all__ = ["HideTokens", "hide_tokens", "install"]
