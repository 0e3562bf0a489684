"""The one place where domain errors become HTTP status codes and bodies."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from kaoping.domain import errors as e
from kaoping.ledger.writer import BatchRejected, ConcurrentWriteConflict

STATUS = {
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


def status_of(error: e.KaopingError) -> int:
    return next((code for cls, code in STATUS.items() if isinstance(error, cls)), 422)


def install(app: FastAPI) -> None:
    """The exception handlers: a rejected batch names its command; any other domain error its field."""

    @app.exception_handler(BatchRejected)
    def _rejected(_: Request, rejected: BatchRejected) -> JSONResponse:
        return JSONResponse({"detail": rejected.detail()}, status_code=status_of(rejected.error))

    @app.exception_handler(e.KaopingError)
    def _domain_error(_: Request, error: e.KaopingError) -> JSONResponse:
        if isinstance(error, e.NotAuthenticated):
            return JSONResponse({"detail": error.message}, status_code=401,
                                headers={"WWW-Authenticate": "Bearer"})
        status = 404 if isinstance(error, e.UnknownReference) and error.field == "unit" else \
            status_of(error)
        return JSONResponse({"detail": {"field": error.field, "message": error.message}},
                            status_code=status)


__all__ = ["STATUS", "install", "status_of"]
