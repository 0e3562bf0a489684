"""Write-time rules: what the ledger accepts, judged against the ledger as it stands at append.

The stream states the rules read are folds of their entries (`domain.folds`).
`decide` takes a validated command and a view of the ledger and either raises a named rule
violation or says which streams the entry goes to and under which knowledge time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, tzinfo
from typing import Any, Protocol

from . import commands as c
from .errors import RuleViolation, UnknownReference
from .folds import RegistryState, RoundState, StreamState, TaskState, UnitState
from .names import FINAL_TYPES, UNDISPUTABLE_TYPES, round_stream, unit_stream
from .reference import Unit
from .scheme import Scheme


@dataclass(frozen=True)
class RecordedCommand:
    """What the ledger's command index knows of an earlier command."""

    command_id: str
    type: str
    streams: tuple[str, ...]
    recorded_at: datetime
    content_hash: str


class LedgerView(Protocol):
    registry: RegistryState

    def state(self, stream: str) -> StreamState: ...

    def unit(self, code: str) -> UnitState: ...

    def round(self, name: str) -> RoundState: ...

    def command(self, command_id: str) -> RecordedCommand | None: ...

    def dispute_unit(self, dispute: str) -> str | None: ...


@dataclass(frozen=True)
class Decision:
    streams: tuple[str, ...]
    recorded_at: datetime
    backdated: bool
    payload: dict[str, Any]


def decide(cmd: c.Command, view: LedgerView, *, now: datetime, tz: tzinfo,
           payload: dict[str, Any] | None = None) -> Decision:
    """`payload` is `cmd.payload()` when the caller has already made it."""
    if cmd.recorded_at is not None and cmd.recorded_at > now:
        raise RuleViolation("must not be in the future", field="recorded_at")
    recorded_at = cmd.recorded_at or now
    judge = _Judge(cmd, view, recorded_at, tz)
    streams = getattr(judge, "_" + cmd.type.replace(".", "_"))()  # type: ignore[attr-defined]
    return Decision(tuple(streams), recorded_at, cmd.recorded_at is not None,
                    cmd.payload() if payload is None else payload)


class _Judge:
    def __init__(self, cmd: Any, view: LedgerView, recorded_at: datetime, tz: tzinfo):
        self.cmd, self.view, self.recorded_at, self.tz = cmd, view, recorded_at, tz
        self.recorded_on = recorded_at.astimezone(tz).date()

    # -- shared checks -------------------------------------------------------------------------
    def _not_before(self, earlier: datetime, what: str) -> None:
        if self.cmd.recorded_at is not None and self.recorded_at < earlier:
            raise RuleViolation(
                f"is earlier than the recorded_at of the {what} it refers to ({earlier.isoformat()})",
                field="recorded_at",
            )

    def _business_date(self, value: date, field_name: str) -> None:
        if value > self.recorded_on:
            raise RuleViolation(
                f"{value} is after the day this entry was recorded ({self.recorded_on})", field=field_name
            )

    def _unit(self) -> tuple[Unit, UnitState]:
        unit = self.view.registry.unit(self.cmd.unit)
        return unit, self.view.unit(unit.code)

    def _task(self, state: UnitState, *, open_only: bool) -> TaskState:
        task = state.standing_task(self.cmd.task)
        if open_only and task.withdrawn_by is not None:
            raise RuleViolation(f"task {self.cmd.task!r} was withdrawn", field="task")
        self._not_before(task.recorded_at, "task assignment")
        return task

    # -- one method per command type ------------------------------------------------------------
    def _task_assigned(self) -> list[str]:
        cmd = self.cmd
        unit, state = self._unit()
        scheme = self.view.registry.scheme_at(self.recorded_at)
        if cmd.level not in scheme.levels(unit.group):
            raise RuleViolation(
                f"level {cmd.level!r} is not for {unit.group} (allowed: "
                f"{', '.join(scheme.levels(unit.group))})", field="level")
        if cmd.method not in scheme.methods(unit.group):
            raise RuleViolation(f"method {cmd.method!r} is not for {unit.group}", field="method")
        if cmd.task in state.tasks:
            raise RuleViolation(
                f"task {cmd.task!r} is already assigned to {unit.code} (task codes are never reused)",
                field="task")
        for i, cp in enumerate(cmd.checkpoints):
            if cp.due < self.recorded_on:
                raise RuleViolation(
                    f"checkpoint {cp.checkpoint!r} is due {cp.due}, before the assignment is recorded "
                    f"({self.recorded_on})", field=f"checkpoints.{i}.due")
        return [unit_stream(unit.code)]

    def _task_withdrawn(self) -> list[str]:
        unit, state = self._unit()
        self._task(state, open_only=True)
        return [unit_stream(unit.code)]

    def _checkpoint_reported(self) -> list[str]:
        cmd = self.cmd
        unit, state = self._unit()
        task = self._task(state, open_only=True)
        if cmd.checkpoint not in task.checkpoints:
            raise UnknownReference(f"task {cmd.task!r} has no checkpoint {cmd.checkpoint!r}",
                                   field="checkpoint")
        standing = state.reports.get((cmd.task, cmd.checkpoint))
        if standing is not None:
            raise RuleViolation(
                f"checkpoint {cmd.checkpoint!r} is already reported by {standing!r}; void that report "
                "to report again", field="checkpoint")
        self._business_date(cmd.reported_on, "reported_on")
        return [unit_stream(unit.code)]

    def _evidence_submitted(self) -> list[str]:
        cmd = self.cmd
        unit, state = self._unit()
        if cmd.evidence in state.evidence:
            raise RuleViolation(f"evidence {cmd.evidence!r} already exists for {unit.code}",
                                field="evidence")
        task = self._task(state, open_only=True)
        if cmd.checkpoint not in task.checkpoints:
            raise UnknownReference(f"task {cmd.task!r} has no checkpoint {cmd.checkpoint!r}",
                                   field="checkpoint")
        return [unit_stream(unit.code)]

    def _evidence_verified(self) -> list[str]:
        cmd = self.cmd
        unit, state = self._unit()
        evidence = state.evidence.get(cmd.evidence)
        if evidence is None:
            raise UnknownReference(f"unit {unit.code} has no evidence {cmd.evidence!r}", field="evidence")
        if evidence.voided:
            raise RuleViolation(f"evidence {cmd.evidence!r} was voided", field="evidence")
        self._not_before(evidence.recorded_at, "evidence")
        self._business_date(cmd.verified_on, "verified_on")
        return [unit_stream(unit.code)]

    def _task_assessed(self) -> list[str]:
        cmd = self.cmd
        unit, state = self._unit()
        task = self._task(state, open_only=True)
        expected = c.TaskAssessed.RESULT_FIELD[task.method]
        if cmd.result_field() != expected:
            raise RuleViolation(
                f"task {cmd.task!r} is scored by {task.method}: give {expected!r}",
                field=cmd.result_field())
        return [unit_stream(unit.code)]

    def _common_scored(self) -> list[str]:
        unit, _ = self._unit()
        if self.cmd.indicator not in self.view.registry.indicators:
            raise UnknownReference(f"unknown common indicator {self.cmd.indicator!r}", field="indicator")
        return [unit_stream(unit.code)]

    def _ballot_cast(self) -> list[str]:
        cmd = self.cmd
        registry = self.view.registry
        if self.view.round(cmd.round).closed_by is not None:
            raise RuleViolation(f"round {cmd.round} is closed", field="round")
        if cmd.kind == "mutual":
            rater = registry.units.get(cmd.rater)
            if rater is None:
                raise UnknownReference(f"a mutual rater is a unit code; unknown unit {cmd.rater!r}",
                                       field="rater")
            if rater.group == cmd.group:
                raise RuleViolation(f"mutual rater {cmd.rater} ranks the other group, not {cmd.group}",
                                    field="group")
        for i, code in enumerate(cmd.ranking):
            unit = registry.unit(code, field_name=f"ranking.{i}")
            if unit.group != cmd.group:
                raise RuleViolation(f"{code} is not in group {cmd.group}", field=f"ranking.{i}")
            if code == cmd.rater:
                raise RuleViolation(f"{code} may not rank itself", field=f"ranking.{i}")
        return [round_stream(cmd.round)] + [unit_stream(code) for code in cmd.ranking]

    def _bonus_awarded(self) -> list[str]:
        cmd = self.cmd
        unit, _ = self._unit()
        item = self.view.registry.scheme_at(self.recorded_at).bonus_item(cmd.item)
        if item is None:
            raise UnknownReference(f"unknown bonus item {cmd.item!r}", field="item")
        if Scheme.is_funding_item(item):
            raise RuleViolation(f"{cmd.item} is computed from funding.recorded, not awarded",
                                field="item")
        if Scheme.is_set_per_award(item):
            if "count" in cmd.model_fields_set:
                raise RuleViolation(f"{cmd.item} is set per award by points, not count", field="count")
            low, high = item["min"], item["max"]
            if cmd.points is None:
                raise RuleViolation(f"required for {cmd.item} ({low}–{high})", field="points")
            if not (c.Decimal(low) <= cmd.points <= c.Decimal(high)):
                raise RuleViolation(f"{cmd.item} points must be within {low}–{high}", field="points")
        elif cmd.points is not None:
            raise RuleViolation(f"{cmd.item} has fixed points; give count", field="points")
        return [unit_stream(unit.code)]

    def _funding_recorded(self) -> list[str]:
        unit, _ = self._unit()
        return [unit_stream(unit.code)]

    def _penalty_imposed(self) -> list[str]:
        unit, _ = self._unit()
        if self.view.registry.scheme_at(self.recorded_at).penalty_item(self.cmd.item) is None:
            raise UnknownReference(f"unknown penalty item {self.cmd.item!r}", field="item")
        return [unit_stream(unit.code)]

    def _entry_voided(self) -> list[str]:
        target = self._target(field_name="target")
        if target.type in FINAL_TYPES:
            raise RuleViolation(f"{target.command_id!r} is a {target.type}, which is final", field="target")
        self._standing_in(target)
        if target.type == "dispute.filed":
            state = self.view.unit(target.streams[0].removeprefix("unit:"))
            settled = [d for d in state.disputes.values()
                       if d.filed_by == target.command_id and d.resolved_by is not None]
            if settled:
                raise RuleViolation(f"dispute {target.command_id!r} is resolved by "
                                    f"{settled[0].resolved_by!r}, which is final", field="target")
        return list(target.streams)

    def _dispute_filed(self) -> list[str]:
        cmd = self.cmd
        unit, state = self._unit()
        if self.view.dispute_unit(cmd.dispute) is not None or cmd.dispute in state.disputes:
            raise RuleViolation(f"dispute {cmd.dispute!r} already exists", field="dispute")
        target = self._target(field_name="target")
        if unit_stream(unit.code) not in target.streams:
            raise RuleViolation(f"{target.command_id!r} is not an entry of {unit.code}", field="target")
        if target.type in UNDISPUTABLE_TYPES:
            why = {"ballot.cast": "a rater replaces its ballot instead",
                   "dispute.filed": "a dispute is settled by its resolution"}.get(target.type, "it is final")
            raise RuleViolation(f"a {target.type} cannot be disputed: {why}", field="target")
        self._standing_in(target)
        for other in state.disputes.values():
            if other.target == target.command_id and other.resolved_by is None and not other.voided:
                raise RuleViolation(f"{target.command_id!r} is already under dispute", field="target")
        return [unit_stream(unit.code)]

    def _dispute_resolved(self) -> list[str]:
        cmd = self.cmd
        code = self.view.dispute_unit(cmd.dispute)
        if code is None:
            raise UnknownReference(f"unknown dispute {cmd.dispute!r}", field="dispute")
        dispute = self.view.unit(code).disputes[cmd.dispute]
        if dispute.voided:
            raise RuleViolation(f"dispute {cmd.dispute!r} was voided", field="dispute")
        if dispute.resolved_by is not None:
            raise RuleViolation(f"dispute {cmd.dispute!r} is already resolved by {dispute.resolved_by!r}",
                                field="dispute")
        self._not_before(dispute.recorded_at, "dispute")
        return [unit_stream(code)]

    def _round_closed(self) -> list[str]:
        state = self.view.round(self.cmd.round)
        if state.closed_by is not None:
            raise RuleViolation(f"round {self.cmd.round} is already closed", field="round")
        return [round_stream(self.cmd.round)]

    # -- targets of voids and disputes -----------------------------------------------------------
    def _target(self, *, field_name: str) -> RecordedCommand:
        target = self.view.command(self.cmd.target)
        # only contract commands can be targeted: not the ledger's own entries (registry, tokens)
        if target is None or not target.streams[0].startswith(("unit:", "round:")):
            raise UnknownReference(f"no entry with id {self.cmd.target!r}", field=field_name)
        self._not_before(target.recorded_at, "entry")
        return target

    def _standing_in(self, target: RecordedCommand) -> None:
        first = target.streams[0]
        state = self.view.round(first.removeprefix("round:")) if first.startswith("round:") else \
            self.view.unit(first.removeprefix("unit:"))
        info = state.entries[target.command_id]
        if info.voided_by is not None:
            raise RuleViolation(f"{target.command_id!r} is already voided by {info.voided_by!r}",
                                field="target")
