"""Who is asking: the signed-in visitor behind a page request (a session resolved against the
ledger's tokens on every request), and the checks every form shares (CSRF token, same origin)."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlsplit

from fastapi import Depends, Request

from kaoping.api.bootstrap import Services
from kaoping.domain import policy
from kaoping.domain.errors import Forbidden, KaopingError, NotFound
from kaoping.domain.principals import Principal

from .sessions import COOKIE, Session, SessionStore, csrf_ok


class SignInRequired(Exception):
    """The page needs a signed-in visitor; `reason` says why the last session ended, if it did."""

    def __init__(self, path: str, reason: str | None = None):
        super().__init__(reason or "sign in")
        self.path, self.reason = path, reason


class PageRefused(Exception):
    """The policy table does not let the visitor do what the page does: the problem page instead."""

    def __init__(self, who: Visitor, error: KaopingError):
        super().__init__(error.message)
        self.who, self.error = who, error

    @property
    def status_code(self) -> int:
        return 404 if isinstance(self.error, NotFound) else 403


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
    principal = services_of(request).ledger.principal_for_digest(session.digest)
    if principal is None:
        store.drop(session.id)
        raise SignInRequired(path, "revoked")
    return Visitor(principal, session)


Who = Annotated[Visitor, Depends(visitor)]


def Page(action: str, *about: str) -> Any:  # noqa: N802 - used as a type annotation's marker
    """A page's declaration of what it does (`domain.policy.ACTIONS`): the signed-in visitor, or the
    problem page when the policy table does not let them. `about` names the path or query
    parameters that carry the unit codes the page concerns."""

    def permitted(request: Request, who: Who) -> Visitor:
        units = (request.path_params.get(name) or request.query_params.get(name) for name in about)
        try:
            policy.require(who.principal, action, *units)
        except (Forbidden, NotFound) as error:
            raise PageRefused(who, error) from None
        return who

    permitted.action = action  # type: ignore[attr-defined] - read by the test that walks the routes
    return Depends(permitted)


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


__all__ = ["Page", "PageRefused", "SignInRequired", "Visitor", "Who", "cross_site", "forged", "services_of", "sessions_of",
           "visitor"]
