"""Who is asking: the signed-in visitor behind a page request (a session resolved against the
ledger's tokens on every request), and the checks every form shares (CSRF token, same origin)."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlsplit

from fastapi import Depends, Request

from kaoping.api.bootstrap import Services
from kaoping.domain.principals import Principal

from .sessions import COOKIE, Session, SessionStore, csrf_ok


class SignInRequired(Exception):
    """The page needs a signed-in visitor; `reason` says why the last session ended, if it did."""

    def __init__(self, path: str, reason: str | None = None):
        super().__init__(reason or "sign in")
        self.path, self.reason = path, reason


class Visitor:
    def __init__(self, principal: Principal, session: Session):
        self.principal, self.session = principal, session


def services_of(request: Request) -> Services:
    return request.app.state.services  # type: ignore[no-any-return]


def sessions_of(request: Request) -> SessionStore:
    return request.app.state.web_sessions  # type: ignore[no-any-return]


def visitor(request: Request) -> Visitor:
    store = sessions_of(request)
    path = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    session = store.get(request.cookies.get(COOKIE))
    if session is None:
        raise SignInRequired(path, "expired" if request.cookies.get(COOKIE) else None)
    principal = services_of(request).ledger.admin.principal_for_digest(session.digest)
    if principal is None:
        store.drop(session.id)
        raise SignInRequired(path, "revoked")
    return Visitor(principal, session)


Who = Annotated[Visitor, Depends(visitor)]


def cross_site(request: Request) -> bool:
    """A form posted from another site: its Origin (sent by browsers on every POST) names another
    host. This guards the sign-in form, which has no session yet and so no CSRF token."""
    origin = request.headers.get("origin")
    if origin is None:
        return False
    return origin == "null" or urlsplit(origin).netloc != request.headers.get("host", "")


def forged(request: Request, who: Visitor, csrf: str) -> bool:
    """A form of a signed-in visitor that lacks its session's CSRF token or comes from another site."""
    return not csrf_ok(who.session, csrf) or cross_site(request)


__all__ = ["SignInRequired", "Visitor", "Who", "cross_site", "forged", "services_of", "sessions_of",
           "visitor"]
