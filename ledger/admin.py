"""The operator's side of the ledger: `init`, the scheme's versions, bearer tokens, the registered
witnesses, status.

These write entries the ledger makes itself (the registry, tokens and witnesses streams), through
the same chain and transaction as contract commands, but not through the contract's rules: no
caller sends them as commands. Witnesses are entries rather than a setting beside the database:
whom the office trusts to cosign is then part of the signed history, dated and kept, and a key
swapped behind the office's back shows as an entry nobody made.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo
from decimal import Decimal
from importlib import resources
from typing import Any

from eventsourcing.persistence import IntegrityError

from kaoping.domain.commands import checked_name
from kaoping.domain.decimals import num
from kaoping.domain.errors import InvalidCommand, RuleViolation, UnknownReference
from kaoping.domain.moments import parse_as_of
from kaoping.domain.folds import WitnessInfo
from kaoping.domain.names import REGISTRY_STREAM, TOKENS_STREAM, WITNESSES_STREAM
from kaoping.domain.notes import COSIGNATURE_KEY, Verifier
from kaoping.domain.reference import parse_indicators, parse_units
from kaoping.domain.scheme import Scheme, diff
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
        entries = init_entries()
        try:
            self.writer.append_internal(REGISTRY_STREAM, 0, entries, actor="kaoping init")
        except IntegrityError:
            return False  # another process initialised it at the same moment
        return True

    def check_amendment(self, amendment: Any, *, recorded_at: str | None = None) -> Amendment:
        """An amendment as docs/scheme.md §10 has it, judged without recording it: a merge patch over
        the version in force before its recorded time, which must come after the newest version's;
        the amended scheme must be a valid scheme. Raises the refusal, naming the field or path."""
        registry = self.streams.registry()
        supplied = _moment(recorded_at, self.settings.zone) if recorded_at else None
        now = self.clock()
        when = supplied or now
        if when > now:
            raise RuleViolation("recorded_at.future", field="recorded_at")
        newest = registry.schemes[-1]
        if when <= newest.in_force_from:
            raise RuleViolation("amendment.out_of_order", field="recorded_at",
                                when=when.astimezone(self.settings.zone).isoformat(),
                                since=newest.in_force_from.astimezone(self.settings.zone).isoformat(),
                                version=newest.scheme.version)
        base = registry.version_at(when, strictly_before=True).scheme
        amended = base.amended(amendment, when)
        if any(v.scheme.version == amended.version for v in registry.schemes):
            raise RuleViolation("amendment.version_exists", field="version", version=amended.version)
        return Amendment(base, amended, when, supplied is not None)

    def amend_scheme(self, amendment: Any, *, actor: str = "office",
                     recorded_at: str | None = None) -> str:
        """Record an amendment (a JSON merge patch naming its new version); in force from recorded_at
        (a bare date: the start of that day), by default from now."""
        checked = self.check_amendment(amendment, recorded_at=recorded_at)
        version = checked.amended.version
        self.writer.append_internal(REGISTRY_STREAM, self.streams.registry().version,
                                    [(f"kaoping:scheme:{version}", "scheme.amended",
                                      {"amendment": _plain(amendment), "version": version})],
                                    actor=actor, recorded_at=checked.when if checked.supplied else None)
        return version

    def preview_amendment(self, amendment: Any, figures_now: FiguresNow, *,
                          recorded_at: str | None = None) -> dict[str, Any]:
        """`scheme amend --dry-run`: what the amendment would change, appending nothing: the diff of
        the scheme, and every figure of every unit that would move as `score` shows it now
        (`figures_now` scores all units under each scheme given)."""
        checked = self.check_amendment(amendment, recorded_at=recorded_at)
        before, after = figures_now([checked.base, checked.amended])
        registry = self.streams.registry()
        units = []
        for code, figures in before.items():
            moved = [{"figure": name, "before": value, "after": after[code][name]}
                     for name, value in figures.items() if after[code][name] != value]
            if moved:
                unit = registry.units[code]
                units.append({"unit": code, "name": unit.name, "group": unit.group, "figures": moved})
        return {"dry_run": True, "version": checked.amended.version, "amends": checked.base.version,
                "in_force_from": checked.when.astimezone(self.settings.zone).isoformat(),
                "changes": [{"path": path, "before": old, "after": new}
                            for path, old, new in diff(checked.base.data, checked.amended.data)],
                "units": units}

    def schemes(self) -> list[dict[str, Any]]:
        """Every version, in the order they come into force: from when, and the entry that recorded it."""
        zone = self.settings.zone
        rows = []
        for v in self.streams.registry().schemes:
            seqs = self.writer.index.seqs(v.entry.command_id)
            rows.append({"version": v.scheme.version,
                         "in_force_from": v.in_force_from.astimezone(zone).isoformat(),
                         "entry": {"seq": seqs[0] if seqs else None, "id": v.entry.command_id,
                                   "type": v.entry.type,
                                   "recorded_at": v.entry.recorded_at.astimezone(zone).isoformat(),
                                   "appended_at": v.appended_at.astimezone(zone).isoformat(),
                                   "actor": v.entry.actor},
                         "problem": v.scheme.problem, "scheme": v.scheme.data})
        return rows

    # -- tokens -------------------------------------------------------------------------------------
    def create_token(self, *, actor: str, role: str, unit: str | None = None,
                     units: Sequence[str] = (), indicators: Sequence[str] = ()) -> tuple[str, str]:
        """Make a bearer token; only its SHA-256 is stored. Returns (token id, the token itself)."""
        check_scope(role, unit, list(units), list(indicators))
        actor = checked_name(actor, "actor")  # a leader's ballots name it as their rater
        registry = self.streams.registry()
        # codes as every command reads them (names.unit_code), so the token's charge matches its ballots
        if unit:
            unit = registry.unit(unit, field_name="unit").code
        units = [registry.unit(code, field_name="units").code for code in units]
        for code in indicators:
            if code not in registry.indicators:
                raise UnknownReference("indicator.unknown", field="indicators", code=code)
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
            raise UnknownReference("token.unknown", field="token_id", id=token_id)
        if info.revoked_by is not None:
            raise RuleViolation("token.already_revoked", field="token_id", id=token_id)
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

    # -- witnesses ----------------------------------------------------------------------------------
    def add_witness(self, vkey: str, *, actor: str = "office") -> tuple[dict[str, Any], bool]:
        """Register a witness by its cosigner key (type 0x04): (the witness, whether it is new). The
        same key again changes nothing; another key under a registered name is refused (remove it
        first)."""
        witness = Verifier.parse(vkey)
        if witness.kind != COSIGNATURE_KEY:
            raise InvalidCommand("witness.not_cosigner", field="vkey", name=witness.name)
        state = self.streams.witnesses()
        known = state.by_name.get(witness.name)
        if known is not None:
            if known.vkey != witness.text:
                raise RuleViolation("witness.name_taken", field="vkey", name=witness.name)
            return _witness(known, self.settings.zone), False
        self.writer.append_internal(WITNESSES_STREAM, state.version,
                                    [(f"kaoping:witness:{state.version + 1}", "witness.registered",
                                      {"name": witness.name, "key_id": witness.id.hex(), "vkey": witness.text})],
                                    actor=actor)
        return _witness(self.streams.witnesses().by_name[witness.name], self.settings.zone), True

    def remove_witness(self, name: str, *, actor: str = "office") -> None:
        state = self.streams.witnesses()
        if name not in state.by_name:
            raise UnknownReference("witness.unknown", field="name", name=name,
                                   known=sorted(state.by_name) or ["（无）"],
                                   known_en=sorted(state.by_name) or ["(none)"])
        self.writer.append_internal(WITNESSES_STREAM, state.version,
                                    [(f"kaoping:witness:{state.version + 1}", "witness.removed",
                                      {"name": name})], actor=actor)

    def witnesses(self) -> list[dict[str, Any]]:
        """The registered witnesses, by name."""
        return [_witness(info, self.settings.zone)
                for _, info in sorted(self.streams.witnesses().by_name.items())]

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


@dataclass(frozen=True)
class Amendment:
    """An amendment judged and not yet recorded: the version it amends, the result, from when."""

    base: Scheme
    amended: Scheme
    when: datetime
    #: the caller gave its recorded time (history being imported) rather than taking the clock's
    supplied: bool


#: every unit's figures now (code → figure → "0.00"), once under each scheme given
FiguresNow = Callable[[Sequence[Scheme]], list[dict[str, dict[str, str]]]]


def _plain(patch: Any) -> Any:
    """The patch as stored JSON: numbers read as Decimal are written as the decimal strings the
    scheme spells its numbers in."""
    return json.loads(json.dumps(patch, ensure_ascii=False,
                                 default=lambda value: num(value) if isinstance(value, Decimal) else
                                 _unstorable(value)))


def _unstorable(value: Any) -> Any:
    raise InvalidCommand("amendment.not_json", field="amendment", kind=type(value).__name__)


def _moment(text: str, zone: tzinfo) -> datetime:
    # a bare date puts the amendment in force from the start of that day
    return parse_as_of(text + "T00:00:00" if len(text.strip()) == 10 else text, zone)


def _witness(info: WitnessInfo, zone: tzinfo) -> dict[str, Any]:
    return {"name": info.name, "vkey": info.vkey, "registered_by": info.registered_by,
            "registered_at": info.recorded_at.astimezone(zone).isoformat()}


def _redacted(url: str) -> str:
    if "@" in url and ":" in url.split("@")[0].split("//")[-1]:
        scheme, rest = url.split("//", 1)
        user = rest.split("@")[0].split(":")[0]
        return f"{scheme}//{user}:***@{rest.split('@', 1)[1]}"
    return url


__all__ = ["Admin", "Amendment"]


def init_entries() -> list[tuple[str, str, dict[str, Any]]]:
    """What `kaoping init` records in the registry stream: (id, type, payload) of the 2018 scheme,
    the common indicators and the units, read from the package's data."""
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
    return entries
