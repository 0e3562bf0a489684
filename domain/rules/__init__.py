"""Write-time rules: what the ledger accepts, judged against the ledger as it stands at append.

`decide` takes a validated command and a view of the ledger and either raises a named rule
violation or says which streams the entry goes to and under which knowledge time. Each command
class has one decider in `DECIDERS`, a plain function `(cmd, ctx) -> streams` in the module of its
topic (tasks, evidence, ballots, awards, voids; the checks they share are in `checks`): as in
eventsourcing's `examples/aggregate7`, a decision is a function of the command and what is known,
not a method of an object. The stream states the rules read are folds of their entries
(`domain.folds`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Any, Protocol

from .. import commands as c
from ..errors import RuleViolation, UnknownReference
from ..namespaces import check_id_namespace
from ..folds import PublicationsState, RegistryState, RoundState, TokensState, UnitState
from ..principals import Principal
from . import awards, ballots, evidence, publications, tasks, voids
from .checks import Context


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

    def tokens(self) -> TokensState: ...

    def publications(self) -> PublicationsState: ...

    def first_seq(self, command_id: str) -> int | None:
        """The seq of the command's first stored entry (None for one not stored yet)."""

    def freeze(self, stage: str, as_of: datetime) -> dict[str, Any]:
        """The standings of `stage` as of `as_of` over the stored ledger, with the `upto_seq` and
        `tree_size` they came from (a publication's frozen record)."""

    def unit(self, code: str) -> UnitState: ...

    def round(self, name: str) -> RoundState: ...

    def command(self, command_id: str) -> RecordedCommand | None: ...

    def dispute_unit(self, dispute: str) -> str | None: ...

    def file_stored(self, sha256: str) -> bool:
        """Whether the file of this hash is stored (docs/commands.md §10.1)."""


@dataclass(frozen=True)
class Decision:
    streams: tuple[str, ...]
    recorded_at: datetime
    backdated: bool
    payload: dict[str, Any]


#: a decider refuses its command (raising a KaopingError) or names the streams its entry goes to
Decider = Callable[[Any, Context], list[str]]

DECIDERS: dict[type[c.Command], Decider] = {
    c.TaskAssigned: tasks.task_assigned,
    c.TaskWithdrawn: tasks.task_withdrawn,
    c.CheckpointReported: tasks.checkpoint_reported,
    c.TaskAssessed: tasks.task_assessed,
    c.EvidenceSubmitted: evidence.evidence_submitted,
    c.EvidenceVerified: evidence.evidence_verified,
    c.BallotCast: ballots.ballot_cast,
    c.RoundClosed: ballots.round_closed,
    c.CommonScored: awards.common_scored,
    c.BonusAwarded: awards.bonus_awarded,
    c.FundingRecorded: awards.funding_recorded,
    c.PenaltyImposed: awards.penalty_imposed,
    c.EntryVoided: voids.entry_voided,
    c.VoidRequested: voids.void_requested,
    c.DisputeFiled: voids.dispute_filed,
    c.DisputeResolved: voids.dispute_resolved,
    c.ResultsPublished: publications.results_published,
}


def decide(cmd: c.Command, view: LedgerView, *, now: datetime, tz: tzinfo,
           payload: dict[str, Any] | None = None, principal: Principal | None = None) -> Decision:
    """`payload` is `cmd.payload()` when the caller has already made it; `principal` is who
    records the command, already authorised (None: the office, as the command line records)."""
    if cmd.recorded_at is not None and cmd.recorded_at > now:
        raise RuleViolation("recorded_at.future", field="recorded_at")
    check_id_namespace(cmd.id, principal, view.registry.units)
    recorded_at = cmd.recorded_at or now
    ctx = Context(view, recorded_at, tz, cmd.recorded_at is not None, principal=principal)
    source = getattr(cmd, "source", None)
    if isinstance(source, c.Source) and not view.file_stored(source.file):
        raise UnknownReference("file.not_stored", field="source.file", sha256=source.file)
    streams = DECIDERS[type(cmd)](cmd, ctx)
    payload = cmd.payload() if payload is None else payload
    return Decision(tuple(streams), recorded_at, cmd.recorded_at is not None,
                    {**payload, **ctx.adds} if ctx.adds else payload)


__all__ = ["DECIDERS", "Context", "Decider", "Decision", "LedgerView", "RecordedCommand", "decide"]
