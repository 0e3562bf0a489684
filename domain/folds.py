"""The folds of the ledger's streams: each stream's state, made by applying its entries in order.

A state's `apply` reads only the event and the state before it, so a state is the same whether it
is read whole from the store or brought up to date one notification at a time. The write-time rules
(`domain.rules`) judge commands against these states; `new_state` gives the empty state of a stream.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field, fields, replace
from datetime import date, datetime, timedelta
from typing import Any, Self

from .errors import RuleViolation, UnknownReference
from .events import EntryRecorded
from .names import StreamKind, parse_stream, unit_code, unit_of
from .principals import Principal
from .reference import Indicator, Unit
from .scheme import Scheme


@dataclass(frozen=True)
class EntryInfo:
    command_id: str
    type: str
    recorded_at: datetime
    actor: str
    voided_by: str | None = None


@dataclass(frozen=True)
class TaskState:
    assigned_by: str
    level: str
    method: str
    recorded_at: datetime
    checkpoints: dict[str, date]
    withdrawn_by: str | None = None
    voided: bool = False


@dataclass(frozen=True)
class EvidenceState:
    submitted_by: str
    #: the task's checkpoint it supports, or (instead) the common indicator and sub-indicator
    task: str | None
    checkpoint: str | None
    recorded_at: datetime
    voided: bool = False
    #: the file it cites (docs/commands.md §10.1)
    sha256: str = ""
    indicator: str | None = None
    sub: str | None = None


@dataclass(frozen=True)
class DisputeState:
    filed_by: str
    target: str
    recorded_at: datetime
    resolved_by: str | None = None
    voided: bool = False


@dataclass
class StreamState:
    stream: str
    version: int = 0
    entries: dict[str, EntryInfo] = field(default_factory=dict)

    def apply(self, event: EntryRecorded) -> None:
        self.version = event.originator_version
        self.entries[event.command_id] = EntryInfo(
            event.command_id, event.entry_type, event.recorded_at, event.actor
        )
        if event.entry_type == "entry.voided":
            self._void(event.payload["target"], event.command_id)
        self._apply(event)

    def _apply(self, event: EntryRecorded) -> None:
        pass

    def clone(self) -> Self:
        """A copy that can be changed without touching this one. The records in a state are frozen
        and replaced, never changed in place, so copying the containers is enough: a write path that
        copies a unit's state for every command must not pay for a deep copy of its whole year."""
        twin = copy.copy(self)
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, dict):
                setattr(twin, f.name, dict(value))
            elif isinstance(value, list):
                setattr(twin, f.name, list(value))
        return twin

    def _void(self, target: str, by: str) -> None:
        # the first void stands: an upheld dispute on an entry voided meanwhile does not move it
        entry = self.entries.get(target)
        if entry is not None and entry.voided_by is None:
            self.entries[target] = replace(entry, voided_by=by)


@dataclass
class UnitState(StreamState):
    tasks: dict[str, TaskState] = field(default_factory=dict)
    reports: dict[tuple[str, str], str] = field(default_factory=dict)
    evidence: dict[str, EvidenceState] = field(default_factory=dict)
    disputes: dict[str, DisputeState] = field(default_factory=dict)
    #: each void request's target, by the request's command id (`void.requested`)
    void_requests: dict[str, str] = field(default_factory=dict)

    def _apply(self, event: EntryRecorded) -> None:
        p, kind = event.payload, event.entry_type
        if kind == "task.assigned":
            self.tasks[p["task"]] = TaskState(
                event.command_id, p["level"], p["method"], event.recorded_at,
                {cp["checkpoint"]: date.fromisoformat(cp["due"]) for cp in p["checkpoints"]},
            )
        elif kind == "task.withdrawn":
            self.tasks[p["task"]] = replace(self.tasks[p["task"]], withdrawn_by=event.command_id)
        elif kind == "checkpoint.reported":
            self.reports[(p["task"], p["checkpoint"])] = event.command_id
        elif kind == "evidence.submitted":
            self.evidence[p["evidence"]] = EvidenceState(
                event.command_id, p.get("task"), p.get("checkpoint"), event.recorded_at,
                sha256=p["sha256"], indicator=p.get("indicator"), sub=p.get("sub"))
        elif kind == "void.requested":
            self.void_requests[event.command_id] = p["target"]
        elif kind == "dispute.filed":
            self.disputes[p["dispute"]] = DisputeState(event.command_id, p["target"], event.recorded_at)
        elif kind == "dispute.resolved":
            dispute = self.disputes[p["dispute"]] = replace(self.disputes[p["dispute"]],
                                                            resolved_by=event.command_id)
            if p["outcome"] == "upheld":
                self._void(dispute.target, event.command_id)

    def _void(self, target: str, by: str) -> None:
        super()._void(target, by)
        for code, task in list(self.tasks.items()):
            if task.assigned_by == target:
                self.tasks[code] = task = replace(task, voided=True)
            if task.withdrawn_by == target:
                self.tasks[code] = replace(task, withdrawn_by=None)
        for key, report in list(self.reports.items()):
            if report == target:
                del self.reports[key]
        for code, evidence in list(self.evidence.items()):
            if evidence.submitted_by == target:
                self.evidence[code] = replace(evidence, voided=True)
        for code, dispute in list(self.disputes.items()):
            if dispute.filed_by == target:
                self.disputes[code] = replace(dispute, voided=True)

    def standing_task(self, code: str, field_name: str = "task") -> TaskState:
        task = self.tasks.get(code)
        if task is None:
            raise UnknownReference("task.unknown", field=field_name, unit=unit_of(self.stream), code=code)
        if task.voided:
            raise RuleViolation("task.voided", field=field_name, code=code)
        return task


@dataclass
class RoundState(StreamState):
    closed_by: str | None = None

    def _apply(self, event: EntryRecorded) -> None:
        if event.entry_type == "round.closed":
            self.closed_by = event.command_id


@dataclass(frozen=True)
class Publication:
    """A 公示 as the appeal window needs it: what it counted and until when it may be disputed."""

    command_id: str
    stage: str
    as_of: datetime
    published_at: datetime
    appeal_days: int
    upto_seq: int
    #: its title, as the 公示 pages show it (a refusal names the publication by it)
    title: str = ""

    @property
    def appeal_closes(self) -> datetime:
        return self.published_at + timedelta(days=self.appeal_days)

    def counted(self, seq: int, recorded_at: datetime) -> bool:
        """Whether this publication counted the entry `seq` recorded at `recorded_at`."""
        return seq <= self.upto_seq and recorded_at <= self.as_of


@dataclass
class PublicationsState(StreamState):
    publications: dict[str, Publication] = field(default_factory=dict)

    def _apply(self, event: EntryRecorded) -> None:
        if event.entry_type == "results.published":
            p = event.payload
            self.publications[event.command_id] = Publication(
                event.command_id, p["stage"], datetime.fromisoformat(p["as_of"]), event.recorded_at,
                int(p["appeal_days"]), int(p["upto_seq"]), str(p.get("title") or ""))


@dataclass(frozen=True)
class SchemeVersion:
    """A version of the scheme, the moment it is in force from, and the entry that recorded it."""

    in_force_from: datetime
    scheme: Scheme
    entry: EntryInfo
    #: when the entry was appended (the ledger's clock)
    appended_at: datetime


@dataclass
class RegistryState(StreamState):
    units: dict[str, Unit] = field(default_factory=dict)
    indicators: dict[str, Indicator] = field(default_factory=dict)
    #: in the order they come into force (docs/scheme.md §10: amendments are recorded in that order)
    schemes: list[SchemeVersion] = field(default_factory=list)

    def _apply(self, event: EntryRecorded) -> None:
        p = event.payload
        if event.entry_type == "unit.registered":
            self.units[p["code"]] = Unit(p["code"], p["name"], p["name_en"], p["category"], p["group"])
        elif event.entry_type == "indicator.registered":
            self.indicators[p["code"]] = Indicator(
                p["code"], p["name"], p["name_en"], p["assessor"], p["in_average"]
            )
        elif event.entry_type == "scheme.adopted":
            # 2018.1 governs all of 2018: in force from the scheme's own start, not from `init`
            scheme = Scheme.adopted(p["scheme"])
            self._add_scheme(scheme.in_force_from, scheme, event)
        elif event.entry_type == "scheme.amended":
            # a merge patch over the version in force before it (the newest, as the rules record
            # amendments; a ledger written before they did may hold one dated earlier)
            base = self.version_at(event.recorded_at, strictly_before=True).scheme
            self._add_scheme(event.recorded_at, base.replayed(p["amendment"], event.recorded_at), event)

    def _add_scheme(self, when: datetime, scheme: Scheme, event: EntryRecorded) -> None:
        version = SchemeVersion(when, scheme, self.entries[event.command_id], event.timestamp)
        later = [i for i, v in enumerate(self.schemes) if v.in_force_from > when]
        self.schemes.insert(later[0] if later else len(self.schemes), version)

    @property
    def scheme(self) -> Scheme:
        """The newest version: in force from the latest moment."""
        return self.schemes[-1].scheme

    def version_at(self, when: datetime, *, strictly_before: bool = False) -> SchemeVersion:
        """The version in force at `when` (before any version: the first)."""
        in_force = [v for v in self.schemes
                    if v.in_force_from < when or (not strictly_before and v.in_force_from == when)]
        return in_force[-1] if in_force else self.schemes[0]

    def scheme_at(self, when: datetime) -> Scheme:
        return self.version_at(when).scheme

    def unit(self, code: str, field_name: str = "unit") -> Unit:
        """The unit a code names, read as every command reads it (`names.unit_code`)."""
        unit = self.units.get(unit_code(code))
        if unit is None:
            raise UnknownReference("unit.unknown", field=field_name, code=code)
        return unit


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


@dataclass(frozen=True)
class WitnessInfo:
    """A witness the office registered: its name and cosigner key (vkey text), and when."""

    name: str
    vkey: str
    registered_by: str
    recorded_at: datetime


@dataclass
class WitnessesState(StreamState):
    """The witnesses registered now, by name: only their cosignatures are kept and shown."""

    by_name: dict[str, WitnessInfo] = field(default_factory=dict)

    def _apply(self, event: EntryRecorded) -> None:
        p = event.payload
        if event.entry_type == "witness.registered":
            self.by_name[p["name"]] = WitnessInfo(p["name"], p["vkey"], event.command_id, event.recorded_at)
        elif event.entry_type == "witness.removed":
            self.by_name.pop(p["name"], None)


def new_state(stream: str) -> StreamState:
    """The empty state of a stream, chosen by the stream's kind: apply the stream's events to it."""
    kind, _ = parse_stream(stream)
    return FOLDS[kind](stream)


FOLDS: dict[StreamKind, type[StreamState]] = {"unit": UnitState, "round": RoundState,
                                              "registry": RegistryState, "tokens": TokensState,
                                              "publications": PublicationsState,
                                              "witnesses": WitnessesState}


__all__ = ["DisputeState", "EntryInfo", "EvidenceState", "RegistryState", "RoundState", "SchemeVersion",
           "StreamState", "TaskState", "UnitState", "WitnessInfo", "WitnessesState", "new_state"]
