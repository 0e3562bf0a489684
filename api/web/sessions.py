"""Browser sessions for the web pages: a server-side store keyed by an opaque random id.

The cookie carries only that id (HttpOnly, SameSite=Strict, Path=/). The store keeps the SHA-256 of
the bearer token the person signed in with, never the token itself, and every request resolves it
against the ledger's tokens stream again, so a revoked token loses its session at its next request.
Each session has its own CSRF token for the forms. Sessions live in the serving process: a restart
signs everyone out, and `kaoping serve` runs one process.
"""

from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass, field

from kaoping.domain.tokens import token_digest

COOKIE = "kaoping_session"
IDLE_SECONDS = 8 * 3600       # signed out after eight hours without a request
LIFETIME_SECONDS = 12 * 3600  # and after twelve hours in any case


@dataclass
class Session:
    id: str
    digest: str
    csrf: str
    created: float
    seen: float = field(default=0.0)


class SessionStore:
    def __init__(self) -> None:
        self._sessions: dict[str, Session] = {}
        self._lock = threading.Lock()
        self._now = time.monotonic

    def create(self, token: str) -> Session:
        now = self._now()
        session = Session(id=secrets.token_urlsafe(32), digest=token_digest(token),
                          csrf=secrets.token_urlsafe(32), created=now, seen=now)
        with self._lock:
            self._expire(now)
            self._sessions[session.id] = session
        return session

    def get(self, session_id: str | None) -> Session | None:
        if not session_id:
            return None
        now = self._now()
        with self._lock:
            session = self._sessions.get(session_id)
            if session is None:
                return None
            if now - session.seen > IDLE_SECONDS or now - session.created > LIFETIME_SECONDS:
                del self._sessions[session_id]
                return None
            session.seen = now
            return session

    def drop(self, session_id: str | None) -> None:
        with self._lock:
            self._sessions.pop(session_id or "", None)

    def __len__(self) -> int:
        return len(self._sessions)

    def _expire(self, now: float) -> None:
        for sid in [sid for sid, s in self._sessions.items()
                    if now - s.seen > IDLE_SECONDS or now - s.created > LIFETIME_SECONDS]:
            del self._sessions[sid]


def csrf_ok(session: Session, supplied: str | None) -> bool:
    return bool(supplied) and secrets.compare_digest(session.csrf, supplied or "")


__all__ = ["COOKIE", "Session", "SessionStore", "csrf_ok"]
