"""The operator's side of the ledger: `init`, the scheme's versions, bearer tokens, status.

These write entries the ledger makes itself (the registry and tokens streams), through the same
chain and transaction as contract commands, but not through the contract's rules: no caller sends
them as commands.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable, Sequence
from datetime import datetime
from importlib import resources
from typing import Any

from eventsourcing.persistence import IntegrityError

from kaoping.domain.errors import InvalidCommand, RuleViolation, UnknownReference
from kaoping.domain.moments import parse_as_of
from kaoping.domain.names import REGISTRY_STREAM, TOKENS_STREAM
from kaoping.domain.reference import parse_indicators, parse_units
from kaoping.domain.principals import Principal
from kaoping.domain.roles import check_scope
from kaoping.domain.tokens import token_digest

from .notary import Notary
from .settings import Settings
from .streams import StreamStates
from .writer import Writer

Clock = Callable[[], datetime]


class Admin:
    def __init__(self, streams: StreamStates, writer: Writer, notary: Notary, settings: Settings,
                 clock: Clock):
        self.streams, self.writer, self.notary = streams, writer, notary
        self.settings, self.clock = settings, clock

    # -- init and the scheme ------------------------------------------------------------------------
    def init(self) -> bool:
        """Record the 2018 scheme, the common indicators and the 59 units, after making a signing
        key if none is configured. False if already there (a ledger written before the Merkle tree
        then gets its tree, and a checkpoint of it)."""
        self.notary.ensure_key()
        if self.streams.registry(required=False).version > 0:
            self.notary.sign_current(self.clock())
            return False
        data = resources.files("kaoping.domain") / "data"
        scheme = json.loads((data / "scheme-2018.json").read_text(encoding="utf-8"))
        entries: list[tuple[str, str, dict[str, Any]]] = [
            (f"kaoping:init:scheme:{scheme['version']}", "scheme.adopted", {"scheme": scheme}),
        ]
        for ind in parse_indicators((data / "common_indicators.tsv").read_text(encoding="utf-8")):
            entries.append((f"kaoping:init:indicator:{ind.code}", "indicator.registered",
                            {"code": ind.code, "name": ind.name, "name_en": ind.name_en,
                             "assessor": ind.assessor, "in_average": ind.in_average}))
        for unit in parse_units((data / "units.tsv").read_text(encoding="utf-8")):
            entries.append((f"kaoping:init:unit:{unit.code}", "unit.registered",
                            {"code": unit.code, "name": unit.name, "name_en": unit.name_en,
                             "category": unit.category, "group": unit.group}))
        try:
            self.writer.append_internal(REGISTRY_STREAM, 0, entries, actor="kaoping init")
        except IntegrityError:
            return False  # another process initialised it at the same moment
        return True

    def amend_scheme(self, amendment: dict[str, Any], *, actor: str = "office",
                     recorded_at: str | None = None) -> str:
        """Record an amendment (a JSON merge patch naming its new version); in force from recorded_at."""
        registry = self.streams.registry()
        # a bare date puts the amendment in force from the start of that day
        when = parse_as_of(recorded_at + "T00:00:00" if recorded_at and len(recorded_at.strip()) == 10
                           else recorded_at, self.settings.zone) if recorded_at else None
        if when is not None and when > self.clock():
            raise RuleViolation("must not be in the future", field="recorded_at")
        try:
            amended = registry.scheme.amended(amendment)
        except (ValueError, KeyError, TypeError) as error:
            raise InvalidCommand(str(error), field="amendment") from None
        if any(s.version == amended.version for _, s in registry.schemes):
            raise RuleViolation(f"version {amended.version} already exists", field="version")
        self.writer.append_internal(REGISTRY_STREAM, registry.version,
                                    [(f"kaoping:scheme:{amended.version}", "scheme.amended",
                                      {"amendment": amendment, "version": amended.version})],
                                    actor=actor, recorded_at=when)
        return amended.version

    def schemes(self) -> list[dict[str, Any]]:
        return [{"version": s.version, "in_force_from": t.astimezone(self.settings.zone).isoformat(),
                 "scheme": s.data} for t, s in self.streams.registry().schemes]

    # -- tokens -------------------------------------------------------------------------------------
    def create_token(self, *, actor: str, role: str, unit: str | None = None,
                     units: Sequence[str] = (), indicators: Sequence[str] = ()) -> tuple[str, str]:
        """Make a bearer token; only its SHA-256 is stored. Returns (token id, the token itself)."""
        check_scope(role, unit, list(units), list(indicators))
        registry = self.streams.registry()
        for code in [unit] if unit else list(units):
            registry.unit(code, field_name="unit" if unit else "units")
        for code in indicators:
            if code not in registry.indicators:
                raise UnknownReference(f"unknown common indicator {code!r}", field="indicators")
        token_id = secrets.token_hex(6)
        token = f"kp_{token_id}_{secrets.token_urlsafe(32)}"
        payload = {"token_id": token_id, "actor": actor, "role": role, "unit": unit,
                   "units": sorted(set(units)), "indicators": sorted(set(indicators)),
                   "sha256": token_digest(token)}
        self.writer.append_internal(TOKENS_STREAM, self.streams.tokens().version,
                                    [(f"kaoping:token:{token_id}", "token.created", payload)],
                                    actor="kaoping token")
        return token_id, token

    def revoke_token(self, token_id: str) -> None:
        state = self.streams.tokens()
        info = state.by_id.get(token_id)
        if info is None:
            raise UnknownReference(f"no token {token_id!r}", field="token_id")
        if info.revoked_by is not None:
            raise RuleViolation(f"token {token_id!r} is already revoked", field="token_id")
        self.writer.append_internal(TOKENS_STREAM, state.version,
                                    [(f"kaoping:token:{token_id}:revoked", "token.revoked",
                                      {"token_id": token_id})], actor="kaoping token")

    def tokens(self) -> list[dict[str, Any]]:
        return [info.as_json() for info in self.streams.tokens().by_id.values()]

    def principal_for(self, token: str) -> Principal | None:
        return self.principal_for_digest(token_digest(token))

    def principal_for_digest(self, digest: str) -> Principal | None:
        """The holder of a token known only by its SHA-256 (a web session keeps no token)."""
        return self.streams.tokens().principal_for(digest)

    # -- status -------------------------------------------------------------------------------------
    def status(self) -> dict[str, Any]:
        registry = self.streams.registry(required=False)
        initialised = registry.version > 0
        return {
            "database": _redacted(self.settings.database_url),
            "initialised": initialised,
            "scheme_version": registry.scheme.version if initialised else None,
            "units": len(registry.units),
            "entries": self.streams.recorder.max_notification_id() or 0,
        }


def _redacted(url: str) -> str:
    if "@" in url and ":" in url.split("@")[0].split("//")[-1]:
        scheme, rest = url.split("//", 1)
        user = rest.split("@")[0].split(":")[0]
        return f"{scheme}//{user}:***@{rest.split('@', 1)[1]}"
    return url


__all__ = ["Admin"]
