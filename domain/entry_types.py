"""A typed view of an entry's payload, one type per command type (beancount's typed entry per type):
readers written from now on say `typed(entry).due` rather than `entry.payload["checkpoints"][0]["due"]`.

The payload stays what the ledger stores and hashes (the validated command in JSON form, plus what
the ledger adds: a publication's frozen standings); a view is read from it on demand, by msgspec
(about a microsecond an entry), with dates as `date` and numbers as `Decimal`. Fields the ledger
may add later are optional here, and a view ignores keys it does not know, so a stored entry of
an earlier version still reads. The scoring modules keep reading `payload` as they were tuned to
(their figures must not move by a byte); the readers of due dates, evidence files, ballots and
imports read views.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import msgspec

from .entries import Entry


class View(msgspec.Struct, frozen=True, kw_only=True):
    """What every view has: nothing but its type's fields (the entry's place is on the `Entry`)."""


class CheckpointDue(View, frozen=True):
    checkpoint: str
    due: date


class TaskAssigned(View, frozen=True):
    unit: str
    task: str
    title: str
    level: str
    method: str
    target: Decimal | None = None
    weight: Decimal = Decimal(1)
    role: str | None = None
    difficulty: Decimal = Decimal(1)
    important: bool = False
    checkpoints: tuple[CheckpointDue, ...] = ()


class TaskWithdrawn(View, frozen=True):
    unit: str
    task: str
    reason: str


class CheckpointReported(View, frozen=True):
    unit: str
    task: str
    checkpoint: str
    reported_on: date
    completed: bool
    quality: str = "ok"
    note: str = ""


class EvidenceSubmitted(View, frozen=True):
    unit: str
    evidence: str
    title: str
    sha256: str
    task: str | None = None
    checkpoint: str | None = None
    #: evidence for a common indicator (and its sub-indicator) instead of a task's checkpoint
    indicator: str | None = None
    sub: str | None = None


class EvidenceVerified(View, frozen=True):
    unit: str
    evidence: str
    outcome: str
    method: str
    verified_on: date
    #: what the verifier saw or photographed on site, by the stored files' hashes
    files: tuple[str, ...] = ()


class PointsLine(View, frozen=True):
    points: Decimal
    reason: str = ""


class TaskAssessed(View, frozen=True):
    unit: str
    task: str
    actual: Decimal | None = None
    deductions: tuple[PointsLine, ...] | None = None
    vetoed: bool | None = None
    points: tuple[PointsLine, ...] | None = None


class Part(View, frozen=True):
    sub: str
    score: Decimal


class CommonScored(View, frozen=True):
    unit: str
    indicator: str
    score: Decimal
    parts: tuple[Part, ...] = ()


class BallotCast(View, frozen=True):
    round: str
    kind: str
    rater: str
    group: str
    ranking: tuple[str, ...]


class RoundClosed(View, frozen=True):
    round: str


class BonusAwarded(View, frozen=True):
    unit: str
    item: str
    reason: str
    count: int = 1
    points: Decimal | None = None


class FundingRecorded(View, frozen=True):
    unit: str
    amount: Decimal
    source: str = ""
    reason: str = ""


class PenaltyImposed(View, frozen=True):
    unit: str
    item: str
    reason: str
    count: int = 1


class EntryVoided(View, frozen=True):
    target: str
    reason: str


class VoidRequested(View, frozen=True):
    unit: str
    target: str
    reason: str


class DisputeFiled(View, frozen=True):
    unit: str
    dispute: str
    target: str
    reason: str


class DisputeResolved(View, frozen=True):
    dispute: str
    outcome: str
    reason: str


class ResultsPublished(View, frozen=True):
    stage: str
    title: str
    appeal_days: int
    as_of: str | None = None
    upto_seq: int | None = None
    tree_size: int | None = None


#: the view of each command type's entries
VIEWS: dict[str, type[View]] = {
    "task.assigned": TaskAssigned, "task.withdrawn": TaskWithdrawn,
    "checkpoint.reported": CheckpointReported, "evidence.submitted": EvidenceSubmitted,
    "evidence.verified": EvidenceVerified, "task.assessed": TaskAssessed,
    "common.scored": CommonScored, "ballot.cast": BallotCast, "round.closed": RoundClosed,
    "bonus.awarded": BonusAwarded, "funding.recorded": FundingRecorded,
    "penalty.imposed": PenaltyImposed, "entry.voided": EntryVoided, "void.requested": VoidRequested,
    "dispute.filed": DisputeFiled, "dispute.resolved": DisputeResolved,
    "results.published": ResultsPublished,
}


def files_cited(kind: str, payload: Any) -> tuple[str, ...]:
    """The stored files' hashes an entry of type `kind` cites (docs/commands.md §10.1–10.2): an
    evidence entry's `sha256`, a verification's `files`, any command's `source.file`."""
    cited: list[str] = []
    if kind == "evidence.submitted":
        cited.append(payload["sha256"])
    elif kind == "evidence.verified":
        cited.extend(payload.get("files") or ())
    source = payload.get("source") if hasattr(payload, "get") else None
    if isinstance(source, dict) and source.get("file"):
        cited.append(source["file"])
    return tuple(dict.fromkeys(cited))


def typed(entry: Entry) -> Any:
    """The entry's payload as the view of its type (`VIEWS`); a KeyError for an entry the ledger
    makes itself (registry, tokens), which no reader of command entries asks for."""
    return msgspec.convert(entry.payload, VIEWS[entry.type], strict=False)


__all__ = ["VIEWS", "View", "files_cited", "typed", *(view.__name__ for view in VIEWS.values()),
           "CheckpointDue", "Part", "PointsLine"]
