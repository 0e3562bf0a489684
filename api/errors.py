"""The one place where errors become HTTP status codes and bodies.

Every refusal is JSON of one shape: `{"detail": {"field", "message", "code", "message_en"}}`, and a
rejected batch adds the command's `index` and `id`. `message` is the Chinese sentence, `code` the
catalogue's stable code (`domain.refusals`). FastAPI's own refusals (a query parameter it could not
read, an unknown path, a method a path does not take) come out in the same shape. Whatever the
request held, the body is encodable: a lone surrogate echoed from the input becomes U+FFFD.
"""

from __future__ import annotations

import re

from typing import TYPE_CHECKING, Any

from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import JSONResponse

from kaoping.domain import errors as e
from kaoping.domain.refusals import pydantic_words
from kaoping.ledger.writer import BatchRejected, ConcurrentWriteConflict

if TYPE_CHECKING:  # FastAPI itself is imported where an app is built: the CLI, which reads these
    from fastapi import FastAPI, Request  # words through api/outages, starts without it

class PayloadTooLarge(e.KaopingError):
    """The request's body, or its batch, is over the limit the settings set."""


STATUS = {
    PayloadTooLarge: 413,
    e.TooLarge: 413,
    e.UnsupportedMediaType: 415,
    e.InvalidCommand: 422,
    e.RuleViolation: 422,
    e.UnknownReference: 422,
    e.NotFound: 404,
    e.IdConflict: 409,
    ConcurrentWriteConflict: 409,
    e.Forbidden: 403,
    e.LedgerNotInitialised: 503,
    e.LedgerDamaged: 503,  # a stored entry or index row is damaged: nothing served past it
}

#: an echoed id is only ever a pointer to what the caller sent, not a copy of any size
ECHO_LENGTH = 200


def status_of(error: e.KaopingError) -> int:
    return next((code for cls, code in STATUS.items() if isinstance(error, cls)), 422)


def encodable(value: Any) -> Any:
    """`value` with every string UTF-8 can encode: a lone surrogate (JSON's "\\udfff") becomes U+FFFD."""
    if isinstance(value, str):
        return value.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    if isinstance(value, dict):
        return {encodable(k): encodable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [encodable(v) for v in value]
    return value


class SafeJSONResponse(JSONResponse):
    """JSON that always encodes, whatever strings it echoes (the app's default response class)."""

    def render(self, content: Any) -> bytes:
        try:
            return super().render(content)
        except UnicodeEncodeError:
            return super().render(encodable(content))


def error_detail(error: e.KaopingError) -> dict[str, Any]:
    return {"field": error.field, "message": error.message, "code": error.code,
            "message_en": error.message_en}


def rejected_detail(rejected: BatchRejected) -> dict[str, Any]:
    command_id = rejected.command_id
    if isinstance(command_id, str) and len(command_id) > ECHO_LENGTH:
        command_id = command_id[:ECHO_LENGTH] + "…"
    return {"index": rejected.index, "id": command_id, **error_detail(rejected.error)}


def refusal(error: e.KaopingError, status: int, headers: dict[str, str] | None = None) -> SafeJSONResponse:
    return SafeJSONResponse({"detail": error_detail(error)}, status_code=status, headers=headers)


def not_authenticated(error: e.NotAuthenticated) -> SafeJSONResponse:
    return refusal(error, 401, headers={"WWW-Authenticate": "Bearer"})


def _request_field(loc: tuple[Any, ...]) -> str:
    # FastAPI puts where the value came from first (query, path, header, body); the caller knows
    # the parameter's name
    parts = list(loc[1:] if loc and loc[0] in ("query", "path", "header", "body", "cookie") else loc)
    return ".".join(str(part) for part in parts) or "body"


def install(app: FastAPI) -> None:
    """The exception handlers: a rejected batch names its command; any other error its field."""
    from fastapi.exceptions import RequestValidationError

    @app.exception_handler(BatchRejected)
    def _rejected(_: Request, rejected: BatchRejected) -> SafeJSONResponse:
        return SafeJSONResponse({"detail": rejected_detail(rejected)},
                                status_code=status_of(rejected.error))

    @app.exception_handler(e.KaopingError)
    def _domain_error(_: Request, error: e.KaopingError) -> SafeJSONResponse:
        if isinstance(error, e.NotAuthenticated):
            return not_authenticated(error)
        status = 404 if isinstance(error, e.UnknownReference) and error.field == "unit" else \
            status_of(error)
        return refusal(error, status)

    @app.exception_handler(RequestValidationError)
    def _unreadable_request(_: Request, invalid: RequestValidationError) -> SafeJSONResponse:
        first = dict(invalid.errors()[0])
        field = _request_field(tuple(first.get("loc", ())))
        if field == "as_of":  # the readers' own words, with the forms allowed and examples
            return refusal(e.InvalidCommand("as_of.unreadable", field=field,
                                            given=str(first.get("input", ""))[:64]), 422)
        code, zh, en = pydantic_words(first)
        return refusal(e.InvalidCommand.worded(code, zh, en, field=field), 422)

    @app.exception_handler(StarletteHTTPException)
    def _http_error(request: Request, error: StarletteHTTPException) -> SafeJSONResponse:
        if error.status_code == 404:
            refused: e.KaopingError = e.NotFound("request.not_found", path=request.url.path[:ECHO_LENGTH])
        elif error.status_code == 405:
            refused = e.InvalidCommand("request.method", method=request.method)
            # every method the path answers (Starlette names only its first route's: a path served
            # by two routes, GET and POST /v1/hooks, would be said to allow GET alone)
            allowed = _documented_methods(request)
            if allowed:
                return refusal(refused, 405, headers={"Allow": ", ".join(allowed)})
        elif error.status_code == 400:  # a body FastAPI could not even decode: refused as any unreadable body
            return refusal(e.InvalidCommand("request.body_unreadable", field="body"), 422)
        else:
            refused = e.KaopingError.worded(f"http.{error.status_code}", str(error.detail),
                                            str(error.detail))
        return refusal(refused, error.status_code, headers=getattr(error, "headers", None))


def _documented_methods(request: Request) -> list[str]:
    """The methods the OpenAPI description documents for the request's path, over every operation
    path it matches; none if it matches none."""
    return sorted({method.upper() for template, operations in request.app.openapi().get("paths", {}).items()
                   if re.fullmatch(re.sub(r"\\\{[^}]*\\\}", "[^/]+", re.escape(template)), request.url.path)
                   for method in operations})


__all__ = ["ECHO_LENGTH", "PayloadTooLarge", "STATUS", "SafeJSONResponse", "encodable", "error_detail", "install",
           "not_authenticated", "refusal", "rejected_detail", "status_of"]
