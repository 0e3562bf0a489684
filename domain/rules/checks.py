"""The checks that several deciders share, each raising a refusal that names its field.

A supplied `recorded_at` may not come before the entries a command refers to, and business dates may
not come after it (docs/commands.md §3 "先后"); a command names a unit and often one of its tasks; voids
and disputes name an earlier entry, which must still stand.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, tzinfo
from typing import TYPE_CHECKING, Any

from ..errors import RuleViolation, UnknownReference
from ..folds import TaskState, UnitState
from ..names import is_round, parse_stream, unit_of
from ..principals import Principal
from ..reference import Unit

if TYPE_CHECKING:  # the package's __init__ imports the deciders, which import this module
    from . import LedgerView, RecordedCommand


@dataclass(frozen=True)
class Context:
    """What a decider reads besides its command: the ledger as it stands, and the entry's knowledge
    time."""

    view: LedgerView
    recorded_at: datetime
    tz: tzinfo
    #: the command supplied its recorded_at (history being imported) rather than taking the clock's
    supplied: bool
    #: recorded_at's date in the ledger's zone, which business dates may not pass
    recorded_on: date = field(init=False)
    #: what the ledger adds to the entry's payload (a publication's frozen standings)
    adds: dict[str, Any] = field(default_factory=dict)
    #: who records the command (a leader token's charge decides what its ballot must rank)
    principal: Principal | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "recorded_on", self.recorded_at.astimezone(self.tz).date())


#: what a backdated entry may refer to, as its refusal names it
_REFERRED = {"task assignment": "任务下达", "entry": "记录", "evidence": "佐证", "dispute": "异议"}


def not_before(ctx: Context, earlier: datetime, what: str) -> None:
    if ctx.supplied and ctx.recorded_at < earlier:
        raise RuleViolation("recorded_at.before_reference", field="recorded_at",
                            what=_REFERRED.get(what, what), what_en=what, earlier=earlier.isoformat())


def business_date(ctx: Context, value: date, field_name: str) -> None:
    if value > ctx.recorded_on:
        raise RuleViolation("business_date.after_recorded", field=field_name, value=value,
                            recorded_on=ctx.recorded_on)


def named_unit(ctx: Context, code: str) -> tuple[Unit, UnitState]:
    unit = ctx.view.registry.unit(code)
    return unit, ctx.view.unit(unit.code)


def named_task(ctx: Context, state: UnitState, code: str, *, open_only: bool) -> TaskState:
    task = state.standing_task(code)
    if open_only and task.withdrawn_by is not None:
        raise RuleViolation("task.withdrawn", field="task", code=code)
    not_before(ctx, task.recorded_at, "task assignment")
    return task


def named_target(ctx: Context, command_id: str) -> RecordedCommand:
    """The earlier command a void or a dispute names in its `target`."""
    target = ctx.view.command(command_id)
    # only contract commands can be targeted: not the ledger's own entries (registry, tokens)
    if target is None or (unit_of(target.streams[0]) is None and not is_round(target.streams[0])):
        raise UnknownReference("entry.unknown", field="target", id=command_id)
    not_before(ctx, target.recorded_at, "entry")
    return target


def standing_in(ctx: Context, target: RecordedCommand) -> None:
    """Refuse a target already voided: a void goes to every stream of its target, so the first
    stream knows."""
    kind, name = parse_stream(target.streams[0])
    state = ctx.view.round(name) if kind == "round" else ctx.view.unit(name)
    info = state.entries[target.command_id]
    if info.voided_by is not None:
        raise RuleViolation("entry.already_voided", field="target", id=target.command_id,
                            by=info.voided_by)
