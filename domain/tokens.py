"""The bearer tokens: the fold of the `tokens` stream, and the one way a token becomes its digest.

The ledger stores only a token's SHA-256 (`token_digest`): the token itself is printed once when it
is made. Both the ledger, when it makes a token or finds a request's principal, and the web
sessions, which keep the digest rather than the token, compute it here.
"""

from __future__ import annotations

import copy
import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from .events import EntryRecorded
from .folds import StreamState
from .roles import Principal


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass
class TokenInfo:
    token_id: str
    principal: Principal
    digest: str
    created_at: datetime
    revoked_by: str | None = None

    def as_json(self) -> dict[str, Any]:
        p = self.principal
        return {"token_id": self.token_id, "actor": p.actor, "role": p.role, "unit": p.unit,
                "units": sorted(p.units), "indicators": sorted(p.indicators),
                "created_at": self.created_at.isoformat(), "revoked": self.revoked_by is not None}


@dataclass
class TokensState(StreamState):
    by_id: dict[str, TokenInfo] = field(default_factory=dict)
    by_digest: dict[str, TokenInfo] = field(default_factory=dict)

    def _apply(self, event: EntryRecorded) -> None:
        p = event.payload
        if event.entry_type == "token.created":
            principal = Principal(p["actor"], p["role"], p.get("unit"), frozenset(p.get("units", ())),
                                  frozenset(p.get("indicators", ())))
            info = TokenInfo(p["token_id"], principal, p["sha256"], event.recorded_at)
            self.by_id[info.token_id] = info
            self.by_digest[info.digest] = info
        elif event.entry_type == "token.revoked":
            self.by_id[p["token_id"]].revoked_by = event.command_id

    def clone(self) -> TokensState:
        # by_id and by_digest share each TokenInfo: only a deep copy keeps them shared
        return copy.deepcopy(self)

    def principal_for(self, digest: str) -> Principal | None:
        info = self.by_digest.get(digest)
        return info.principal if info is not None and info.revoked_by is None else None


__all__ = ["TokenInfo", "TokensState", "token_digest"]
