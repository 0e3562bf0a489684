"""docs/commands.md §3, the semantics every reader of the ledger shares: the cutoff, and the entries as a
cutoff sees them, resolved once for every section of the scheme (§3–§7) and every unit.

- the entries counted are those within the cutoff (`recorded_at ≤ as_of` and `seq ≤ upto`), taken in
  seq order; "later" always means a higher seq;
- a void (`entry.voided`, or a `dispute.resolved` upheld) counted by the cutoff removes its target,
  and everything that depends on it (a task assignment's withdrawals, reports, evidence, assessments;
  evidence's verifications);
- supersession ranges over standing entries only: the latest standing entry of a key counts.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from operator import itemgetter
from datetime import date, datetime, tzinfo
from typing import Any

from ..entries import Entry, by_seq
from ..names import is_round, unit_stream


@dataclass(frozen=True, kw_only=True)
class Cutoff:
    """Which entries count and at which date checkpoints are judged.

    `judge_date` is computed by the caller (see `make_cutoff`): as_of's date in the office zone, or
    the recorded_at date of entry `upto`, or today. `tz` is the office zone, used to read the date of
    a task's withdrawal from its recorded_at; None reads it in the timestamp's own offset.
    """

    judge_date: date
    as_of: datetime | None = None
    upto: int | None = None
    tz: tzinfo | None = None

    def counts(self, entry: Entry) -> bool:
        return ((self.as_of is None or entry.recorded_at <= self.as_of)
                and (self.upto is None or entry.seq <= self.upto))

    def counted(self, entries: Iterable[Entry]) -> Iterable[Entry]:
        """`entries` that `counts`, in their order: one comparison per bound the cutoff has (a
        resolution filters every entry of a unit's log, and a replay builds one per row)."""
        as_of, upto = self.as_of, self.upto
        if as_of is None:
            return entries if upto is None else [e for e in entries if e.seq <= upto]
        if upto is None:
            return [e for e in entries if e.recorded_at <= as_of]
        return [e for e in entries if e.recorded_at <= as_of and e.seq <= upto]

    def local_date(self, moment: datetime) -> date:
        return (moment.astimezone(self.tz) if self.tz is not None else moment).date()


def make_cutoff(entries: Sequence[Entry], *, as_of: datetime | None = None, upto: int | None = None,
                tz: tzinfo, today: date) -> Cutoff:
    """The contract's cutoff: judge at as_of's date, or at the recorded_at date of entry `upto`, else
    today (all in the office zone `tz`); with both, the earlier of the two dates."""
    dates = []
    if as_of is not None:
        dates.append(as_of.astimezone(tz).date())
    if upto is not None:
        # entries come in seq order: the last one at or before `upto` is entry `upto` when it exists
        before = bisect_right(entries, upto, key=by_seq)
        if before:
            dates.append(entries[before - 1].recorded_at.astimezone(tz).date())
    return Cutoff(judge_date=min(dates) if dates else today, as_of=as_of, upto=upto, tz=tz)


#: the payload fields that make the key under which a later standing entry supersedes an earlier one
SUPERSESSION_KEYS: dict[str, tuple[str, ...]] = {
    "common.scored": ("unit", "indicator"),
    "task.assessed": ("unit", "task"),
    "evidence.verified": ("unit", "evidence"),
    "checkpoint.reported": ("unit", "task", "checkpoint"),
    "task.withdrawn": ("unit", "task"),
    "ballot.cast": ("round", "kind", "rater", "group"),  # a later ballot replaces the rater's earlier one
}


#: SUPERSESSION_KEYS' fields read in one call (every key has two or more: itemgetter gives a tuple);
#: `key_of` runs once per counted entry of every resolution, the scorer's busiest line
_KEY_FIELDS = {kind: itemgetter(*fields) for kind, fields in SUPERSESSION_KEYS.items()}
assert all(len(fields) > 1 for fields in SUPERSESSION_KEYS.values())


def key_of(entry: Entry) -> tuple[Any, ...] | None:
    fields = _KEY_FIELDS.get(entry.type)
    return None if fields is None else (entry.type, *fields(entry.payload))


#: entries that hang on a task assignment and stop counting when it is voided
TASK_DEPENDENTS = frozenset({"task.withdrawn", "checkpoint.reported", "evidence.submitted", "task.assessed"})


_UNKNOWN: Any = object()


class Resolution:
    """The counted entries, one per command, with voids, dependencies and supersession resolved."""

    def __init__(self, entries: Sequence[Entry], cutoff: Cutoff, *, cite: bool = True):
        self.cutoff = cutoff
        #: False: figures only, no explanation is read, so nothing is cited (`cite_all` gives [])
        self.cites = cite
        self._ballots: dict[tuple[str, str], list[Entry]] | None = None
        self._cited: dict[int, dict[str, Any]] = {}  # Entry.cite() by seq, marks added per call
        self._voids: dict[str, Entry | None] = {}     # void_of by command id
        self._evidence_at: dict[tuple[str, str, str], list[Entry]] | None = None
        self.copies: dict[str, list[Entry]] = defaultdict(list)
        copies = self.copies
        for entry in cutoff.counted(entries):
            copies[entry.id].append(entry)
        # one entry per command; a ballot is read from its round stream (which holds every ballot,
        # including replacements that no longer rank some unit)
        self.commands = sorted(map(self._primary, copies.values()), key=by_seq)
        self.by_type: dict[str, list[Entry]] = defaultdict(list)
        self._by_unit: dict[tuple[str, str], list[Entry]] = defaultdict(list)
        self._keyed: dict[tuple[Any, ...], list[Entry]] = defaultdict(list)
        by_type, by_unit, keyed = self.by_type, self._by_unit, self._keyed
        for entry in self.commands:
            kind, payload = entry.type, entry.payload
            by_type[kind].append(entry)
            if "unit" in payload:
                by_unit[(kind, payload["unit"])].append(entry)
            key = key_of(entry)
            if key is not None:
                keyed[key].append(entry)

        self.assignments = {(e.payload["unit"], e.payload["task"]): e for e in self.by_type["task.assigned"]}
        self.evidence = {(e.payload["unit"], e.payload["evidence"]): e
                         for e in self.by_type["evidence.submitted"]}

        # voids: a target is removed by the first void of it the cutoff counts (rules allow only one)
        self.void_of_target: dict[str, Entry] = {}
        for entry in sorted((*by_type.get("entry.voided", ()), *by_type.get("dispute.resolved", ())), key=by_seq):
            target = self._voided_by(entry)
            if target is not None:
                self.void_of_target.setdefault(target, entry)

        # supersession among standing entries: the latest of each key counts (a key's history is in
        # seq order, one entry per command: every entry before the latest standing one is earlier)
        self.current: dict[tuple[Any, ...], Entry] = {}
        self.superseded_by: dict[str, str] = {}
        current, superseded_by, void_of = self.current, self.superseded_by, self.void_of
        for key, history in keyed.items():
            standing = [e for e in history if void_of(e) is None] if self.void_of_target else history
            if not standing:
                continue
            latest = current[key] = standing[-1]
            for entry in standing[:-1]:
                superseded_by[entry.id] = latest.id

    def evidence_for(self, unit_code: str, task: str, checkpoint: str) -> list[Entry]:
        """`of_unit("evidence.submitted", unit)` of one task's checkpoint, in seq order (grouped once)."""
        if self._evidence_at is None:
            grouped: dict[tuple[str, str, str], list[Entry]] = defaultdict(list)
            for evidence in self.by_type["evidence.submitted"]:
                p = evidence.payload
                grouped[(p["unit"], p.get("task"), p.get("checkpoint"))].append(evidence)
            self._evidence_at = grouped
        return self._evidence_at.get((unit_code, task, checkpoint), [])

    def ballots(self, round_name: str, kind: str) -> list[Entry]:
        """The counted ballots of a round and kind, in seq order (grouped once, for every unit)."""
        if self._ballots is None:
            grouped: dict[tuple[str, str], list[Entry]] = defaultdict(list)
            for ballot in self.by_type["ballot.cast"]:
                grouped[(ballot.payload["round"], ballot.payload["kind"])].append(ballot)
            self._ballots = grouped
        return self._ballots.get((round_name, kind), [])

    @staticmethod
    def _primary(copies: list[Entry]) -> Entry:
        if copies[0].type == "ballot.cast":
            for copy in copies:
                if is_round(copy.stream):
                    return copy
        return copies[0]

    # -- standing ------------------------------------------------------------------------------
    def void_of(self, entry: Entry) -> Entry | None:
        """The void that removes this entry, directly or through what it depends on. (Every copy of
        a command has its id, type and payload: the answer is kept by id.)"""
        found = self._voids.get(entry.id, _UNKNOWN)
        if found is _UNKNOWN:
            found = self._voids[entry.id] = self._find_void(entry)
        return found  # type: ignore[no-any-return]

    def _find_void(self, entry: Entry) -> Entry | None:
        direct = self.void_of_target.get(entry.id)
        if direct is not None:
            return direct
        p = entry.payload
        if entry.type in TASK_DEPENDENTS and "task" in p:  # evidence for an indicator has no task
            assignment = self.assignments.get((p["unit"], p["task"]))
            if assignment is not None:
                return self.void_of(assignment)
        if entry.type == "evidence.verified":
            evidence = self.evidence.get((p["unit"], p["evidence"]))
            if evidence is not None:
                return self.void_of(evidence)
        return None

    def standing(self, entry: Entry) -> bool:
        return self.void_of(entry) is None

    def latest(self, *key: Any) -> Entry | None:
        return self.current.get(key)

    def history(self, *key: Any) -> list[Entry]:
        """Every counted entry of a key, standing or not, oldest first (for citing)."""
        return list(self._keyed.get(key, ()))

    def of_unit(self, entry_type: str, code: str) -> list[Entry]:
        return list(self._by_unit.get((entry_type, code), ()))

    # -- citing --------------------------------------------------------------------------------
    def cite(self, entry: Entry, unit_code: str | None = None) -> dict[str, Any]:
        """Entry.cite, marked voided / superseded / backdated; a unit's copy where there is one."""
        if unit_code is not None:
            copies = self.copies.get(entry.id, ())
            if len(copies) > 1 or (copies and copies[0] is not entry):
                own = unit_stream(unit_code)
                entry = next((c for c in copies if c.stream == own), entry)
        void = self.void_of(entry)
        base = self._cited.get(entry.seq)
        if base is None or base["id"] != entry.id:
            base = self._cited[entry.seq] = entry.cite()
        cited = dict(base)
        cited["voided_by"] = void.id if void is not None else None
        cited["superseded_by"] = self.superseded_by.get(entry.id)
        cited["backdated"] = entry.backdated
        return cited

    def cite_all(self, entries: Iterable[Entry], unit_code: str | None = None) -> list[dict[str, Any]]:
        if not self.cites:
            return []
        return [self.cite(e, unit_code) for e in sorted(entries, key=lambda e: e.seq)]

    # -- following the log ---------------------------------------------------------------------
    def add(self, entry: Entry) -> None:
        """Count one more entry, the log's next (a higher seq than any counted): the resolution is
        then what `Resolution(entries + [entry], cutoff)` gives, at the cost of what it touches.
        The caller moves `cutoff` on (an incremental scorer judges each row at its own date)."""
        copies = self.copies[entry.id]
        copies.append(entry)
        if len(copies) > 1:
            before, after = self._primary(copies[:-1]), self._primary(copies)
            if after is not before:
                self._replace(before, after)
            return
        self.commands.append(entry)
        self.by_type[entry.type].append(entry)
        p = entry.payload
        if "unit" in p:
            self._by_unit[(entry.type, p["unit"])].append(entry)
        if entry.type == "task.assigned":
            self.assignments[(p["unit"], p["task"])] = entry
        elif entry.type == "evidence.submitted":
            self.evidence[(p["unit"], p["evidence"])] = entry
            if self._evidence_at is not None:
                self._evidence_at[(p["unit"], p.get("task"), p.get("checkpoint"))].append(entry)
        elif entry.type == "ballot.cast" and self._ballots is not None:
            self._ballots[(p["round"], p["kind"])].append(entry)
        voids = self._voided_by(entry)
        if voids is not None and voids not in self.void_of_target:
            self.void_of_target[voids] = entry
            self._voids.clear()  # what depended on the target falls with it
            for key in self._keyed:
                self._supersede(key)
        key = key_of(entry)
        if key is not None:
            self._keyed[key].append(entry)
            self._supersede(key)

    def _voided_by(self, entry: Entry) -> str | None:
        """The id of the entry this one voids, if it is a void."""
        if entry.type == "entry.voided":
            return str(entry.payload["target"])
        if entry.type == "dispute.resolved" and entry.payload["outcome"] == "upheld":
            filed = [e for e in self.by_type["dispute.filed"] if e.payload["dispute"] == entry.payload["dispute"]]
            if filed:
                return str(filed[-1].payload["target"])
        return None

    def _supersede(self, key: tuple[Any, ...]) -> None:
        history = self._keyed[key]
        for entry in history:
            self.superseded_by.pop(entry.id, None)
        standing = [entry for entry in history if self.standing(entry)]
        if not standing:
            self.current.pop(key, None)
            return
        latest = self.current[key] = standing[-1]
        for entry in standing[:-1]:
            self.superseded_by[entry.id] = latest.id

    def _replace(self, before: Entry, after: Entry) -> None:
        """A later copy of a command became its primary (a ballot's round copy): it takes the
        place of the earlier one everywhere, in seq order."""
        def move(entries: list[Entry]) -> None:
            entries[:] = sorted((after if e is before else e for e in entries), key=by_seq)
        move(self.commands)
        move(self.by_type[after.type])
        if "unit" in after.payload:
            move(self._by_unit[(after.type, after.payload["unit"])])
        key = key_of(after)
        if key is not None:
            move(self._keyed[key])
            self._supersede(key)
        self._ballots = self._evidence_at = None


def counted(entries: Sequence[Entry], cutoff: Cutoff) -> Resolution:
    """The entries the cutoff counts, resolved (voids, dependencies, supersession): what
    `score_unit` reads. Built once from the whole ledger, it serves every unit at that cutoff."""
    return Resolution(entries, cutoff)
