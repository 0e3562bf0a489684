"""The scoring engine: one unit's score under the scheme, from the ledger's entries, at a cutoff.

Pure: no clock, no I/O, no database. Every number of the scheme (weights, bands, deductions, bonus
and penalty points, caps, task-load factors, the 70 gate) is read from the `Scheme`; arithmetic is
`Decimal` at full precision, rounded only for display (`explain.fmt`).

The rules are SCHEME-2018.md; the reading semantics (order, knowledge time, voids) CONTRACT.md:
- the entries counted are those within the cutoff (`recorded_at ≤ as_of` and `seq ≤ upto`), taken in
  seq order; "later" always means a higher seq;
- a void (`entry.voided`, or a `dispute.resolved` upheld) counted by the cutoff removes its target,
  and everything that depends on it (a task assignment's withdrawals, reports, evidence, assessments;
  evidence's verifications);
- supersession ranges over standing entries only: the latest standing entry of a key counts.

Public API: `Cutoff`, `make_cutoff`, `counted` (a `Resolution`), `score_unit`, `UnitScore` (with `as_json`).
"""

from __future__ import annotations

from bisect import bisect_right
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, tzinfo
from decimal import ROUND_CEILING, Decimal
from typing import Any

from ..entries import Entry
from ..decimals import exact, fmt, num
from ..explain import Node, leaf_without_entries
from ..names import FIGURES
from ..reference import Unit
from ..scheme import Scheme

ZERO = Decimal(0)
ONE = Decimal(1)
#: the 100-point scale itself (百分制), which the plan fixes; not a parameter of the scheme
SCALE = Decimal(100)

LEVEL_LABELS = {"provincial": "省专项 provincial", "municipal": "市专项 municipal",
                "own": "部门自身重点工作 own", "county": "县考核 county"}
METHOD_LABELS = {"completion_ratio": "完成比例法 completion ratio", "direct_deduction": "直接扣分法 direct deduction",
                 "veto": "否决计分法 veto", "cumulative": "累计计分法 cumulative"}
ROUND_LABELS = {"half_year": "半年综合评价 half-year comprehensive", "year_end": "年终综合评价 year-end comprehensive"}
KIND_LABELS = {"leader": "领导评价 leaders", "office": "领导小组办公室评价 office", "mutual": "互评 mutual"}
PROCESS_LABELS = {"not_reported": "未报 not reported", "late": "未按节点 late",
                  "substandard": "未保质保量 not completed / poor"}
#: how bad a verification is: where a checkpoint has several pieces of evidence, the worst standing one counts
VERIFICATION_SEVERITY = {"falsified": 2, "discrepancy": 1, "confirmed": 0}


# --------------------------------------------------------------------------------------------------
# The cutoff
# --------------------------------------------------------------------------------------------------
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

    def local_date(self, moment: datetime) -> date:
        return (moment.astimezone(self.tz) if self.tz is not None else moment).date()


def _seq(entry: Entry) -> int:
    return entry.seq


def make_cutoff(entries: Sequence[Entry], *, as_of: datetime | None = None, upto: int | None = None,
                tz: tzinfo, today: date) -> Cutoff:
    """The contract's cutoff: judge at as_of's date, or at the recorded_at date of entry `upto`, else
    today (all in the office zone `tz`); with both, the earlier of the two dates."""
    dates = []
    if as_of is not None:
        dates.append(as_of.astimezone(tz).date())
    if upto is not None:
        # entries come in seq order: the last one at or before `upto` is entry `upto` when it exists
        before = bisect_right(entries, upto, key=_seq)
        if before:
            dates.append(entries[before - 1].recorded_at.astimezone(tz).date())
    return Cutoff(judge_date=min(dates) if dates else today, as_of=as_of, upto=upto, tz=tz)


# --------------------------------------------------------------------------------------------------
# The ledger as the cutoff sees it
# --------------------------------------------------------------------------------------------------
def _dec(value: Any) -> Decimal:
    return value if isinstance(value, Decimal) else Decimal(str(value))


#: the payload fields that make the key under which a later standing entry supersedes an earlier one
SUPERSESSION_KEYS: dict[str, tuple[str, ...]] = {
    "common.scored": ("unit", "indicator"),
    "task.assessed": ("unit", "task"),
    "evidence.verified": ("unit", "evidence"),
    "checkpoint.reported": ("unit", "task", "checkpoint"),
    "task.withdrawn": ("unit", "task"),
    "ballot.cast": ("round", "kind", "rater", "group"),  # a later ballot replaces the rater's earlier one
}


def _key_of(entry: Entry) -> tuple[Any, ...] | None:
    fields = SUPERSESSION_KEYS.get(entry.type)
    return None if fields is None else (entry.type, *(entry.payload[f] for f in fields))


#: entries that hang on a task assignment and stop counting when it is voided
TASK_DEPENDENTS = frozenset({"task.withdrawn", "checkpoint.reported", "evidence.submitted", "task.assessed"})


_UNKNOWN: Any = object()


class Resolution:
    """The counted entries, one per command, with voids, dependencies and supersession resolved."""

    def __init__(self, entries: Sequence[Entry], cutoff: Cutoff):
        self.cutoff = cutoff
        self._ballots: dict[tuple[str, str], list[Entry]] | None = None
        self._cited: dict[int, dict[str, Any]] = {}  # Entry.cite() by seq, marks added per call
        self._voids: dict[str, Entry | None] = {}     # void_of by command id
        self._evidence_at: dict[tuple[str, str, str], list[Entry]] | None = None
        self.copies: dict[str, list[Entry]] = defaultdict(list)
        for entry in entries:
            if cutoff.counts(entry):
                self.copies[entry.id].append(entry)
        # one entry per command; a ballot is read from its round stream (which holds every ballot,
        # including replacements that no longer rank some unit)
        self.commands = sorted((self._primary(copies) for copies in self.copies.values()),
                               key=lambda e: e.seq)
        self.by_type: dict[str, list[Entry]] = defaultdict(list)
        self._by_unit: dict[tuple[str, str], list[Entry]] = defaultdict(list)
        self._keyed: dict[tuple[Any, ...], list[Entry]] = defaultdict(list)
        for entry in self.commands:
            self.by_type[entry.type].append(entry)
            if "unit" in entry.payload:
                self._by_unit[(entry.type, entry.payload["unit"])].append(entry)
            key = _key_of(entry)
            if key is not None:
                self._keyed[key].append(entry)

        self.assignments = {(e.payload["unit"], e.payload["task"]): e for e in self.by_type["task.assigned"]}
        self.evidence = {(e.payload["unit"], e.payload["evidence"]): e
                         for e in self.by_type["evidence.submitted"]}

        # voids: a target is removed by the first void of it the cutoff counts (rules allow only one)
        self.void_of_target: dict[str, Entry] = {}
        filed = {e.payload["dispute"]: e for e in self.by_type["dispute.filed"]}
        for entry in self.commands:
            if entry.type == "entry.voided":
                self.void_of_target.setdefault(entry.payload["target"], entry)
            elif entry.type == "dispute.resolved" and entry.payload["outcome"] == "upheld":
                dispute = filed.get(entry.payload["dispute"])
                if dispute is not None:
                    self.void_of_target.setdefault(dispute.payload["target"], entry)

        # supersession among standing entries: the latest of each key counts
        self.current: dict[tuple[Any, ...], Entry] = {}
        self.superseded_by: dict[str, str] = {}
        for key, history in self._keyed.items():
            standing = [entry for entry in history if self.standing(entry)]
            if not standing:
                continue
            latest = self.current[key] = standing[-1]
            for entry in history:
                if entry.seq < latest.seq and self.standing(entry):
                    self.superseded_by[entry.id] = latest.id

    def evidence_for(self, unit_code: str, task: str, checkpoint: str) -> list[Entry]:
        """`of_unit("evidence.submitted", unit)` of one task's checkpoint, in seq order (grouped once)."""
        if self._evidence_at is None:
            grouped: dict[tuple[str, str, str], list[Entry]] = defaultdict(list)
            for evidence in self.by_type["evidence.submitted"]:
                p = evidence.payload
                grouped[(p["unit"], p["task"], p["checkpoint"])].append(evidence)
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
                if copy.stream.startswith("round:"):
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
        if entry.type in TASK_DEPENDENTS:
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
                own = f"unit:{unit_code}"
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
        return [self.cite(e, unit_code) for e in sorted(entries, key=lambda e: e.seq)]


# --------------------------------------------------------------------------------------------------
# The result
# --------------------------------------------------------------------------------------------------
_FROM_CUTOFF: Any = object()


@dataclass(frozen=True)
class UnitScore:
    """Every figure of `kaoping score --json`, unrounded.

    `annual_individual` EXCLUDES the task-load bonus; `individual` uses annual_individual +
    task_load_bonus (SCHEME-2018 §3.3: the bonus is added to the annual score and may pass 100).
    `bonus` is after every cap (group caps and the overall one); `penalty` is the positive sum
    deducted, derived P8s included.
    """

    unit: str
    scheme_version: str
    cutoff: Cutoff
    total: Decimal
    indicator: Decimal
    individual: Decimal
    process: Decimal
    annual_individual: Decimal
    task_load_bonus: Decimal
    common: Decimal
    chuangcheng: Decimal
    comprehensive: Decimal
    half_year_comp: Decimal
    year_end_comp: Decimal
    bonus: Decimal
    penalty: Decimal
    pending: list[str]
    warnings: list[str]
    explanation: Node

    def figures(self) -> dict[str, Decimal]:
        return {name: getattr(self, name) for name in FIGURES}

    def as_json(self, unit: Unit, *, as_of: Any = _FROM_CUTOFF, upto: Any = _FROM_CUTOFF) -> dict[str, Any]:
        """The contract's shape. `as_of` / `upto` default to the cutoff's (as_of as ISO 8601, null when
        not given); a caller that wants to echo its own spelling passes them."""
        if as_of is _FROM_CUTOFF:
            as_of = self.cutoff.as_of.isoformat() if self.cutoff.as_of is not None else None
        if upto is _FROM_CUTOFF:
            upto = self.cutoff.upto
        document: dict[str, Any] = {"unit": unit.code, "name": unit.name, "group": unit.group,
                                    "as_of": as_of, "upto": upto}
        document.update({name: fmt(value) for name, value in self.figures().items()})
        document["pending"] = list(self.pending)
        document["explanation"] = self.explanation.as_json()
        document["scheme_version"] = self.scheme_version
        document["warnings"] = list(self.warnings)
        return document


# --------------------------------------------------------------------------------------------------
# Tasks (SCHEME-2018 §3)
# --------------------------------------------------------------------------------------------------
@dataclass
class _Task:
    code: str
    assignment: Entry
    withdrawal: Entry | None      # the standing withdrawal, if any
    withdrawn_on: date | None     # its recorded_at date: checkpoints due after it are not judged

    @property
    def p(self) -> Mapping[str, Any]:
        return self.assignment.payload

    @property
    def label(self) -> str:
        return f"任务 task {self.code} {self.p.get('title', '')}".rstrip()

    @property
    def active(self) -> bool:
        return self.withdrawal is None

    @property
    def weight(self) -> Decimal:
        return _dec(self.p.get("weight") or 1)

    @property
    def difficulty(self) -> Decimal:
        return _dec(self.p.get("difficulty") or 1)

    @property
    def role(self) -> str:
        return self.p.get("role") or "lead"

    @property
    def checkpoints(self) -> list[tuple[str, date]]:
        return [(cp["checkpoint"], date.fromisoformat(str(cp["due"]))) for cp in self.p.get("checkpoints", [])]


def _tasks(unit: Unit, ledger: Resolution, cutoff: Cutoff) -> tuple[list[_Task], list[Entry]]:
    """The unit's standing tasks (withdrawn ones included, marked) and its voided assignments."""
    tasks, voided = [], []
    for assignment in ledger.of_unit("task.assigned", unit.code):
        if not ledger.standing(assignment):
            voided.append(assignment)
            continue
        code = assignment.payload["task"]
        withdrawal = ledger.latest("task.withdrawn", unit.code, code)
        tasks.append(_Task(code, assignment, withdrawal,
                           cutoff.local_date(withdrawal.recorded_at) if withdrawal else None))
    return tasks, voided


def _points_sum(lines: Iterable[Mapping[str, Any]]) -> tuple[Decimal, str]:
    values = [_dec(line["points"]) for line in lines]
    return sum(values, ZERO), " + ".join(num(v) for v in values) or "0"


def _task_score(task: _Task, assessment: Entry | None) -> tuple[Decimal | None, str]:
    """Year-end task score by its method (§3.2); None when not yet assessed."""
    if assessment is None:
        return None, "pending: not assessed yet → 0"
    a, method = assessment.payload, task.p["method"]
    if method == "completion_ratio":
        actual, target = _dec(a["actual"]), _dec(task.p["target"])
        score = SCALE * min(actual / target, ONE)
        return score, f"100 × min(actual {num(actual)} / target {num(target)}, 1) = {fmt(score)}"
    if method == "direct_deduction":
        total, terms = _points_sum(a["deductions"])
        score = max(ZERO, SCALE - total)
        return score, f"max(0, 100 − ({terms})) = {fmt(score)}"
    if method == "veto":
        return (ZERO, "vetoed → 0") if a["vetoed"] else (SCALE, "passed → 100")
    if method == "cumulative":
        total, terms = _points_sum(a["points"])
        score = min(SCALE, total)
        return score, f"min(100, {terms}) = {fmt(score)}"
    raise ValueError(f"unknown scoring method {method!r}")


# -- 3.1 process ------------------------------------------------------------------------------------
@dataclass
class _Falsified:
    """A standing `falsified` verification on an important task's evidence: a derived P8."""

    evidence: Entry
    verification: Entry
    task: str


def _checkpoint_deduction(task: _Task, checkpoint: str, due: date, unit: Unit, ledger: Resolution,
                          scheme: Scheme, cutoff: Cutoff) -> tuple[Decimal, str, list[Entry]]:
    """The one (largest) deduction a judged checkpoint costs, why, and the entries behind it."""
    cited: list[Entry] = [task.assignment]
    cited += ledger.history("checkpoint.reported", unit.code, task.code, checkpoint)
    report = ledger.latest("checkpoint.reported", unit.code, task.code, checkpoint)

    reasons: list[tuple[str, str]] = []  # (the scheme's process key, why it applies)
    notes: list[str] = []                # what was looked at and cost nothing
    if report is None:
        reasons.append(("not_reported", "no standing report"))
    else:
        r = report.payload
        reported_on = date.fromisoformat(str(r["reported_on"]))
        if reported_on > cutoff.judge_date:
            reasons.append(("not_reported", f"reported {reported_on}, after {cutoff.judge_date}"))
        else:
            if reported_on > due:
                reasons.append(("late", f"reported {reported_on} after due {due}"))
            if not r["completed"]:
                reasons.append(("substandard", "reported not completed"))
            if r.get("quality", "ok") == "poor":
                reasons.append(("substandard", "quality poor"))
            if not reasons:
                notes.append(f"reported {reported_on} by due {due}, completed, quality ok")

    # the worst standing verification among this checkpoint's evidence; it costs points only on an
    # important task (evidence of other tasks is kept and verified the same way)
    worst: Entry | None = None
    for evidence in ledger.evidence_for(unit.code, task.code, checkpoint):
        e = evidence.payload
        cited.append(evidence)
        cited += ledger.history("evidence.verified", unit.code, e["evidence"])
        verification = ledger.latest("evidence.verified", unit.code, e["evidence"])
        if verification is not None and ledger.standing(evidence) and (
                worst is None or VERIFICATION_SEVERITY[verification.payload["outcome"]]
                > VERIFICATION_SEVERITY[worst.payload["outcome"]]):
            worst = verification
    if worst is not None and worst.payload["outcome"] != "confirmed":
        outcome, evidence_code = worst.payload["outcome"], worst.payload["evidence"]
        if not task.p.get("important"):
            notes.append(f"evidence {evidence_code} verified {outcome} changes no points (task not important)")
        elif outcome == "falsified":
            reasons.append(("not_reported", f"evidence {evidence_code} verified falsified"))
        else:
            reasons.append(("substandard", f"evidence {evidence_code} verified discrepancy"))

    note = f" ({'; '.join(notes)})" if notes else ""
    if not reasons:
        return ZERO, f"nothing deducted{note} → 0", cited
    # at most one deduction per checkpoint, the largest (the first listed among equals)
    key, why = max(reasons, key=lambda reason: scheme.dec("process", reason[0]))
    points = scheme.dec("process", key)
    others = [w for k, w in reasons if (k, w) != (key, why)]
    also = f" (also {'; '.join(others)}: at most one deduction, the largest)" if others else ""
    return points, f"{why}: {PROCESS_LABELS[key]} → {num(points)}{also}{note}", cited


def _process(unit: Unit, tasks: list[_Task], ledger: Resolution, scheme: Scheme,
             cutoff: Cutoff) -> tuple[Decimal, Node]:
    base = scheme.dec("process", "base")
    deductions: list[Decimal] = []
    task_nodes = []
    for task in tasks:
        leaves, task_points = [], []
        for checkpoint, due in task.checkpoints:
            label = f"节点 checkpoint {task.code}/{checkpoint} (due {due})"
            if due > cutoff.judge_date:
                leaves.append(Node(label, ZERO, f"not judged: due after {cutoff.judge_date} → 0",
                                   entries=ledger.cite_all([task.assignment])))
                continue
            if task.withdrawn_on is not None and due > task.withdrawn_on:
                leaves.append(Node(label, ZERO, f"not judged: task withdrawn {task.withdrawn_on} → 0",
                                   entries=ledger.cite_all([task.assignment, task.withdrawal])))
                continue
            points, formula, cited = _checkpoint_deduction(task, checkpoint, due, unit, ledger, scheme, cutoff)
            if task.withdrawal is not None:
                cited.append(task.withdrawal)
                formula += f" (due before the withdrawal on {task.withdrawn_on}: stays)"
            leaves.append(Node(label, points, formula, entries=ledger.cite_all(cited, unit.code)))
            if points:
                task_points.append(points)
        deductions += task_points
        subtotal = sum(task_points, ZERO)
        formula = " + ".join(num(p) for p in task_points) + f" = {fmt(subtotal)}" if task_points else "0"
        if not leaves:
            task_nodes.append(Node(task.label, ZERO, "no checkpoints → 0",
                                   entries=ledger.cite_all([task.assignment], unit.code)))
        else:
            task_nodes.append(Node(task.label, subtotal, f"deductions {formula}", leaves))
    total = sum(deductions, ZERO)
    process = max(ZERO, base - total)
    terms = " + ".join(num(d) for d in deductions) if deductions else "0"
    formula = f"max(0, {num(base)} − ({terms})) = {fmt(process)}"
    if not task_nodes:
        return process, leaf_without_entries("过程成绩 process", process,
                                             f"no task, no checkpoint judged: {formula}")
    return process, Node("过程成绩 process", process, formula, task_nodes)


def _falsified(unit: Unit, tasks: list[_Task], ledger: Resolution) -> list[_Falsified]:
    """Derived P8s: standing falsified verifications of evidence of important tasks, withdrawn or not."""
    important = {t.code for t in tasks if t.p.get("important")}
    found = []
    for evidence in ledger.of_unit("evidence.submitted", unit.code):
        if evidence.payload["task"] not in important or not ledger.standing(evidence):
            continue
        verification = ledger.latest("evidence.verified", unit.code, evidence.payload["evidence"])
        if verification is not None and verification.payload["outcome"] == "falsified":
            found.append(_Falsified(evidence, verification, evidence.payload["task"]))
    return found


# -- 3.2 / 3.3 annual individual and task-load bonus -------------------------------------------------
def _weighted_mean(pairs: list[tuple[Decimal, Decimal]]) -> Decimal:
    return sum((w * s for w, s in pairs), ZERO) / sum((w for w, _ in pairs), ZERO)


def _annual(unit: Unit, tasks: list[_Task], voided: list[Entry], ledger: Resolution, scheme: Scheme,
            pending: list[str]) -> tuple[Decimal, dict[str, Decimal], Node]:
    """Annual individual score (without the task-load bonus) and the level means."""
    weights = scheme.levels(unit.group)
    by_level: dict[str, list[tuple[Decimal, Decimal]]] = defaultdict(list)
    level_nodes: dict[str, list[Node]] = defaultdict(list)
    other_nodes: list[Node] = []
    for task in tasks:
        history = ledger.history("task.assessed", unit.code, task.code)
        if not task.active:
            other_nodes.append(Node(task.label, ZERO,
                                    f"not counted: withdrawn {task.withdrawn_on}, leaves the level means",
                                    entries=ledger.cite_all([task.assignment, task.withdrawal, *history])))
            continue
        score, formula = _task_score(task, ledger.latest("task.assessed", unit.code, task.code))
        if score is None:
            pending.append(f"task.{task.code}")
            score = ZERO
        level = task.p["level"]
        by_level[level].append((task.weight, score))
        level_nodes[level].append(Node(
            f"{task.label} · {METHOD_LABELS.get(task.p['method'], task.p['method'])}", score,
            f"{formula} (weight {num(task.weight)})",
            entries=ledger.cite_all([task.assignment, *history], unit.code)))
    for assignment in voided:
        other_nodes.append(Node(f"任务 task {assignment.payload['task']}", ZERO,
                                "not counted: assignment voided (its reports, evidence, assessments with it)",
                                entries=ledger.cite_all([assignment, ledger.void_of(assignment)])))

    means = {level: _weighted_mean(pairs) for level, pairs in by_level.items() if level in weights}
    present = [level for level in weights if level in means]
    if not present:
        pending.append("annual_individual")
        if not other_nodes:
            return ZERO, means, leaf_without_entries("年度成绩 annual individual", ZERO,
                                                     "no standing task → 0", pending=True)
        return ZERO, means, Node("年度成绩 annual individual", ZERO, "pending: no standing task → 0",
                                 other_nodes)
    # a level with no task gives its weight away evenly to the levels that have tasks (§3.3)
    missing = [level for level in weights if level not in means]
    share = sum((weights[level] for level in missing), ZERO) / len(present)
    effective = {level: weights[level] + share for level in present}
    annual = sum((means[level] * effective[level] for level in present), ZERO)

    children = []
    for level in present:
        pairs = by_level[level]
        terms = " + ".join(f"{num(w)}×{fmt(s)}" for w, s in pairs)
        weight_note = (f"weight {num(weights[level])} + {exact(share)} given by the missing level(s)"
                       if missing else f"weight {num(weights[level])}")
        children.append(Node(f"{LEVEL_LABELS.get(level, level)} level", means[level],
                             f"({terms}) / {num(sum((w for w, _ in pairs), ZERO))} = {fmt(means[level])}; "
                             f"{weight_note}", level_nodes[level]))
    children += other_nodes
    terms = " + ".join(f"{level} {fmt(means[level])}×{exact(effective[level])}" for level in present)
    formula = f"{terms} = {fmt(annual)}"
    if missing and len(weights) > 1:
        formula += f" (no {', '.join(missing)} task: weight given evenly to {', '.join(present)})"
    return annual, means, Node("年度成绩 annual individual (without task-load bonus)", annual, formula, children)


def _task_load(unit: Unit, tasks: list[_Task], means: Mapping[str, Decimal], ledger: Resolution,
               scheme: Scheme) -> tuple[Decimal, Node]:
    label = "任务量加分 task-load bonus"
    load = scheme.data["task_load"]
    per_task = {level: _dec(v) for level, v in load["per_task"].items()}
    if not set(per_task) & set(scheme.levels(unit.group)):
        return ZERO, leaf_without_entries(label, ZERO, f"not for {unit.group} (departments only) → 0")
    co_factor, gate_level, gate = _dec(load["co_factor"]), load["gate_level"], _dec(load["gate"])
    eligible = [t for t in tasks if t.active and t.p["level"] in per_task]
    if not eligible:
        return ZERO, leaf_without_entries(label, ZERO, f"no {' or '.join(per_task)} task → 0")
    leaves, amounts = [], []
    for task in eligible:
        amount = per_task[task.p["level"]] * task.difficulty
        formula = f"{num(per_task[task.p['level']])} × difficulty {num(task.difficulty)}"
        if task.role == "co":
            amount *= co_factor
            formula += f" × co {num(co_factor)}"
        amounts.append(amount)
        leaves.append(Node(f"{task.label} · {task.p['level']} {task.role}", amount,
                           f"{formula} = {exact(amount)}", entries=ledger.cite_all([task.assignment], unit.code)))
    raw = sum(amounts, ZERO)
    if gate_level in means and means[gate_level] < gate:
        return ZERO, Node(label, ZERO, f"{gate_level} level {exact(means[gate_level])} < {num(gate)}: "
                                       f"no task-load bonus (完成省目标低于70%的不予加分); would be {exact(raw)}",
                          leaves)
    gate_note = (f"{gate_level} level {exact(means[gate_level])} ≥ {num(gate)}" if gate_level in means
                 else f"no {gate_level} task: not gated")
    terms = " + ".join(exact(a) for a in amounts)
    return raw, Node(label, raw, f"{terms} = {exact(raw)} ({gate_note})", leaves)


def _five_tasks(unit: Unit, tasks: list[_Task], ledger: Resolution, scheme: Scheme) -> tuple[list[str], Node | None]:
    minimum = scheme.data.get("min_tasks", {}).get(unit.group)
    if minimum is None:
        return [], None
    active = [t for t in tasks if t.active]
    if len(active) >= int(minimum):
        return [], None
    warning = (f"{unit.code} has {len(active)} standing task(s), fewer than {minimum}: top up with own key "
               "work (不足5项的…补充)")
    label = f"任务不足 fewer than {minimum} tasks (warning, no score change)"
    if not active:
        return [warning], leaf_without_entries(label, Decimal(len(active)), f"no standing task: {warning}")
    return [warning], Node(label, Decimal(len(active)), warning,
                           entries=ledger.cite_all([t.assignment for t in active], unit.code))


# --------------------------------------------------------------------------------------------------
# Common indicators (§4)
# --------------------------------------------------------------------------------------------------
def _common(unit: Unit, ledger: Resolution, scheme: Scheme, pending: list[str]) -> tuple[Decimal, Decimal, Node, Node]:
    excluded = set(scheme.data["common"]["excluded"])
    chuang_code = scheme.data["common"]["chuangcheng"]
    indicators = sorted({e.payload["indicator"] for e in ledger.of_unit("common.scored", unit.code)})
    counted: list[Decimal] = []
    leaves = []
    chuangcheng, chuang_node = ZERO, None
    for code in indicators:
        history = ledger.history("common.scored", unit.code, code)
        latest = ledger.latest("common.scored", unit.code, code)
        cited = ledger.cite_all(history, unit.code)
        label = f"共性指标 indicator {code}"
        if latest is None:
            leaves.append(Node(label, ZERO, "not counted: every score voided", entries=cited))
            continue
        score = _dec(latest.payload["score"])
        if code == chuang_code:
            chuangcheng = score
            chuang_node = Node("创城 chuangcheng (shown, not in the total: 另行核算)", score,
                               f"latest standing {code} score = {fmt(score)}", entries=cited)
        if code in excluded:
            leaves.append(Node(label, score, f"{fmt(score)}, excluded from the mean", entries=cited))
            continue
        counted.append(score)
        leaves.append(Node(label, score, f"latest standing score = {fmt(score)}", entries=cited))
    label = f"共性指标 common (mean without {', '.join(sorted(excluded))})"
    # pending follows the contract's figure order: common, then chuangcheng
    if not counted:
        pending.append("common")
    if chuang_node is None:
        pending.append("chuangcheng")
        chuang_node = leaf_without_entries("创城 chuangcheng (shown, not in the total: 另行核算)", ZERO,
                                           f"no standing {chuang_code} score yet → 0", pending=True)
    if not counted:
        common_node = (Node(label, ZERO, "pending: no counted item scored → 0", leaves) if leaves
                       else leaf_without_entries(label, ZERO, "no item scored yet → 0", pending=True))
        return ZERO, chuangcheng, common_node, chuang_node
    common = sum(counted, ZERO) / len(counted)
    formula = f"({' + '.join(fmt(s) for s in counted)}) / {len(counted)} = {fmt(common)}"
    return common, chuangcheng, Node(label, common, formula, leaves), chuang_node


# --------------------------------------------------------------------------------------------------
# Comprehensive evaluation (§5)
# --------------------------------------------------------------------------------------------------
def band_points(position: int, ranked: int, scheme: Scheme) -> tuple[Decimal, str]:
    """Points for position p (1 = best) among n ranked: band k ends at ceil(n × cumulative share)."""
    cumulative = ZERO
    bands = scheme.data["bands"]
    for band in bands:
        cumulative += _dec(band["share"])
        end = int((ranked * cumulative).to_integral_value(rounding=ROUND_CEILING))
        if position <= end:
            return _dec(band["points"]), (f"position {position} of {ranked} → {band.get('label', '')} "
                                          f"(band ends at ceil({ranked}×{num(cumulative)}) = {end}) → "
                                          f"{num(_dec(band['points']))}")
    last = bands[-1]
    return _dec(last["points"]), f"position {position} of {ranked} → {num(_dec(last['points']))}"


def _comprehensive(unit: Unit, ledger: Resolution, scheme: Scheme,
                   pending: list[str]) -> tuple[Decimal, dict[str, Decimal], Node]:
    round_weights = {name: _dec(w) for name, w in scheme.data["comprehensive"].items()}
    kind_weights = {name: _dec(w) for name, w in scheme.data["comp_kinds"].items()}
    comps: dict[str, Decimal] = {}
    round_nodes = []
    for round_name, round_weight in round_weights.items():
        figure = f"{round_name}_comp"
        kind_scores: dict[str, Decimal] = {}
        kind_nodes = []
        for kind in kind_weights:
            # one leaf per rater key that ever ranked the unit, or whose standing ballot does
            keys = []
            for ballot in ledger.ballots(round_name, kind):
                if unit.code in ballot.payload["ranking"]:
                    key = _key_of(ballot)
                    if key not in keys:
                        keys.append(key)
            points, leaves = [], []
            for key in keys:
                current = ledger.current.get(key)
                cited = ledger.cite_all(ledger.history(*key), unit.code)
                _, _, _, rater, group = key
                label = f"选票 ballot by {rater} ({group})"
                if current is None:
                    leaves.append(Node(label, ZERO, "not counted: every ballot of this rater voided",
                                       entries=cited))
                elif unit.code not in current.payload["ranking"]:
                    leaves.append(Node(label, ZERO, f"not counted: replaced by ballot {current.id}, "
                                                    f"which does not rank {unit.code}", entries=cited))
                else:
                    ranking = current.payload["ranking"]
                    value, formula = band_points(ranking.index(unit.code) + 1, len(ranking), scheme)
                    points.append(value)
                    leaves.append(Node(label, value, f"ballot {current.id}: {formula}", entries=cited))
            kind_label = f"{KIND_LABELS.get(kind, kind)} ({round_name})"
            if points:
                score = sum(points, ZERO) / len(points)
                formula = f"mean({', '.join(num(p) for p in points)}) = {fmt(score)}"
            else:
                score = ZERO
                pending.append(f"{figure}.{kind}")
                formula = f"pending: no standing ballot ranks {unit.code} yet → 0"
            kind_scores[kind] = score
            if leaves:
                kind_nodes.append(Node(kind_label, score, formula, leaves))
            else:
                kind_nodes.append(leaf_without_entries(kind_label, ZERO, f"no ballot ranks {unit.code} yet → 0",
                                                       pending=True))
        comp = sum((kind_scores[k] * w for k, w in kind_weights.items()), ZERO)
        comps[figure] = comp
        terms = " + ".join(f"{k} {fmt(kind_scores[k])}×{num(w)}" for k, w in kind_weights.items())
        round_nodes.append(Node(ROUND_LABELS.get(round_name, round_name), comp, f"{terms} = {fmt(comp)}",
                                kind_nodes))
    comprehensive = sum((comps[f"{r}_comp"] * w for r, w in round_weights.items()), ZERO)
    terms = " + ".join(f"{r} {fmt(comps[f'{r}_comp'])}×{num(w)}" for r, w in round_weights.items())
    return comprehensive, comps, Node("综合评价 comprehensive", comprehensive, f"{terms} = {fmt(comprehensive)}",
                                      round_nodes)


# --------------------------------------------------------------------------------------------------
# Bonus (§6) and penalty (§7)
# --------------------------------------------------------------------------------------------------
def _award_points(entry: Entry, item: Mapping[str, Any]) -> tuple[Decimal, str]:
    p = entry.payload
    if Scheme.is_set_per_award(item):
        points = _dec(p["points"])
        return points, f"{num(points)} (set per award)"
    count = int(p.get("count") or 1)
    points = _dec(item["points"]) * count
    return points, f"{count} × {num(_dec(item['points']))}"


def _bonus(unit: Unit, units: Mapping[str, Unit], ledger: Resolution, scheme: Scheme) -> tuple[Decimal, Node]:
    label = "加分 bonus"
    raw: dict[str, Decimal] = defaultdict(lambda: ZERO)
    item_leaves: dict[str, Node] = {}
    awards = ledger.of_unit("bonus.awarded", unit.code)
    for code in sorted({e.payload["item"] for e in awards}, key=lambda c: (len(c), c)):
        history = [e for e in awards if e.payload["item"] == code]
        item = scheme.bonus_item(code)
        terms, total = [], ZERO
        for entry in history:
            if ledger.standing(entry) and item is not None and not Scheme.is_funding_item(item):
                points, term = _award_points(entry, item)
                total += points
                terms.append(term)
        raw[code] = total
        if item is None:
            formula = f"not counted: {code} is not an item of scheme {scheme.version}"
        elif not terms:
            formula = "not counted: every award of this item voided"
        else:
            formula = f"{' + '.join(terms)} = {exact(total)}"
        item_leaves[code] = Node(f"{code} {item['name'] if item else ''}".rstrip(), total, formula,
                                 entries=ledger.cite_all(history, unit.code))

    parts: list[tuple[Decimal, str]] = []
    children: list[Node] = []
    capped_items: set[str] = set()
    for cap_rule in scheme.data["bonus"]["caps"]:
        items, cap = list(cap_rule["items"]), _dec(cap_rule["cap"])
        capped_items |= set(items)
        leaves = [item_leaves[i] for i in items if i in item_leaves]
        if not leaves:
            continue
        subtotal = sum((raw[i] for i in items), ZERO)
        value = min(subtotal, cap)
        parts.append((value, "+".join(items)))
        children.append(Node(f"{'+'.join(items)} ≤ {num(cap)}", value,
                             f"min({exact(subtotal)}, {num(cap)}) = {exact(value)}", leaves))
    for code, leaf in item_leaves.items():
        if code not in capped_items:
            parts.append((raw[code], code))
            children.append(leaf)

    for code, item in scheme.data["bonus"]["items"].items():
        if Scheme.is_funding_item(item):
            value, node = _funding_bonus(code, item, unit, units, ledger)
            if node is not None:
                parts.append((value, code))
                children.append(node)

    before_cap = sum((v for v, _ in parts), ZERO)
    cap = scheme.dec("total", "bonus_cap")
    bonus = min(before_cap, cap)
    if not children:
        return ZERO, leaf_without_entries(label, ZERO, "no bonus awarded, no funding recorded → 0")
    terms = " + ".join(f"{name} {exact(v)}" for v, name in parts)
    return bonus, Node(label, bonus, f"min({terms}, {num(cap)}) = {fmt(bonus)}", children)


def _funding_bonus(code: str, item: Mapping[str, Any], unit: Unit, units: Mapping[str, Unit],
                   ledger: Resolution) -> tuple[Decimal, Node | None]:
    """B10: the group's largest standing funding total earns the item's points, others pro rata."""
    totals: dict[str, Decimal] = defaultdict(lambda: ZERO)
    by_unit: dict[str, list[Entry]] = defaultdict(list)
    for entry in ledger.by_type["funding.recorded"]:
        owner = units.get(entry.payload["unit"])
        if owner is None or owner.group != unit.group:
            continue
        by_unit[owner.code].append(entry)
        if ledger.standing(entry):
            totals[owner.code] += _dec(entry.payload["amount"])
    own_entries = by_unit.get(unit.code, [])
    if not own_entries:
        return ZERO, None
    points = _dec(item["funding"])
    label = f"{code} {item.get('name', '')}".rstrip()
    own = totals.get(unit.code, ZERO)
    largest = max(totals.values(), default=ZERO)
    if own <= 0 or largest <= 0:
        return ZERO, Node(label, ZERO, "not counted: no standing funding", entries=ledger.cite_all(own_entries,
                                                                                                     unit.code))
    leaders = sorted(c for c, t in totals.items() if t == largest)
    value = points * own / largest
    cited = list(own_entries)
    if unit.code not in leaders:
        cited += by_unit[leaders[0]]
    formula = (f"{num(points)} × own {num(own)} ÷ group's largest {num(largest)} ({', '.join(leaders)}) = "
               f"{exact(value)}")
    return value, Node(label, value, formula, entries=ledger.cite_all(cited, unit.code))


def _penalty(unit: Unit, falsified: list[_Falsified], ledger: Resolution, scheme: Scheme) -> tuple[Decimal, Node]:
    label = "减分 penalty"
    children, amounts = [], []
    for entry in ledger.of_unit("penalty.imposed", unit.code):
        p = entry.payload
        item = scheme.penalty_item(p["item"])
        count = int(p.get("count") or 1)
        title = f"{p['item']} {item['name'] if item else ''}".rstrip()
        if not ledger.standing(entry):
            children.append(Node(title, ZERO, f"not counted: voided by {ledger.void_of(entry).id}",
                                 entries=ledger.cite_all([entry], unit.code)))
            continue
        if item is None:
            children.append(Node(title, ZERO, f"not counted: not an item of scheme {scheme.version}",
                                 entries=ledger.cite_all([entry], unit.code)))
            continue
        amount = _dec(item["points"]) * count
        amounts.append(amount)
        children.append(Node(title, amount, f"{count} × {num(_dec(item['points']))} = {exact(amount)}",
                             entries=ledger.cite_all([entry], unit.code)))
    p8_code = scheme.data["penalty"]["falsified_evidence_item"]
    p8 = scheme.penalty_item(p8_code) or {"points": "0", "name": ""}
    for found in falsified:
        amount = _dec(p8["points"])
        amounts.append(amount)
        children.append(Node(
            f"{p8_code} {p8['name']} (derived)", amount,
            f"evidence {found.evidence.payload['evidence']} of important task {found.task} verified falsified "
            f"by {found.verification.id}, standing → 1 × {num(amount)}",
            entries=ledger.cite_all([found.evidence, found.verification], unit.code)))
    penalty = sum(amounts, ZERO)
    if not children:
        return ZERO, leaf_without_entries(label, ZERO, "no penalty imposed → 0")
    terms = " + ".join(exact(a) for a in amounts) or "0"
    return penalty, Node(label, penalty, f"{terms} = {exact(penalty)}", children)


# --------------------------------------------------------------------------------------------------
# The whole score (§2)
# --------------------------------------------------------------------------------------------------
def counted(entries: Sequence[Entry], cutoff: Cutoff) -> Resolution:
    """The entries the cutoff counts, resolved (voids, dependencies, supersession): what
    `score_unit` reads. Built once from the whole ledger, it serves every unit at that cutoff."""
    return Resolution(entries, cutoff)


def score_unit(unit: Unit, units: Mapping[str, Unit], entries: Sequence[Entry], scheme: Scheme,
               cutoff: Cutoff, *, resolved: Resolution | None = None) -> UnitScore:
    """One unit's score at the cutoff. `entries` is the whole ledger in seq order (every stream), or
    any part of it that holds `relevance.relevant_to` the unit; `units` maps code → Unit (B10
    compares the unit's group); `scheme` is the version in force. `resolved` is `counted(entries,
    cutoff)` when the caller already has it (scoring many units at one cutoff); `entries` is then
    not read."""
    if resolved is not None and resolved.cutoff != cutoff:
        raise ValueError("resolved was counted at another cutoff")
    ledger = resolved if resolved is not None else Resolution(entries, cutoff)
    pending: list[str] = []

    tasks, voided_tasks = _tasks(unit, ledger, cutoff)
    process, process_node = _process(unit, tasks, ledger, scheme, cutoff)
    annual, level_means, annual_node = _annual(unit, tasks, voided_tasks, ledger, scheme, pending)
    task_load, task_load_node = _task_load(unit, tasks, level_means, ledger, scheme)
    warnings, warning_node = _five_tasks(unit, tasks, ledger, scheme)

    w_process, w_annual = scheme.dec("individual", "process"), scheme.dec("individual", "annual")
    individual = process * w_process + (annual + task_load) * w_annual
    individual_node = Node(
        "个性指标 individual", individual,
        f"process {fmt(process)}×{num(w_process)} + (annual {fmt(annual)} + task-load {exact(task_load)})"
        f"×{num(w_annual)} = {fmt(individual)}",
        [process_node, annual_node, task_load_node] + ([warning_node] if warning_node else []))

    common, chuangcheng, common_node, chuang_node = _common(unit, ledger, scheme, pending)
    w_individual, w_common = scheme.dec("indicator", "individual"), scheme.dec("indicator", "common")
    indicator = individual * w_individual + common * w_common
    indicator_node = Node("指标考核 indicator", indicator,
                          f"individual {fmt(individual)}×{num(w_individual)} + common {fmt(common)}×{num(w_common)}"
                          f" = {fmt(indicator)}", [individual_node, common_node])

    comprehensive, comps, comprehensive_node = _comprehensive(unit, ledger, scheme, pending)
    bonus, bonus_node = _bonus(unit, units, ledger, scheme)
    penalty, penalty_node = _penalty(unit, _falsified(unit, tasks, ledger), ledger, scheme)

    w_indicator, w_comprehensive = scheme.dec("total", "indicator"), scheme.dec("total", "comprehensive")
    cap = scheme.dec("total", "bonus_cap")
    # bonus is already capped; min() again keeps the total's formula literally the plan's
    total = indicator * w_indicator + comprehensive * w_comprehensive + min(bonus, cap) - penalty
    total_node = Node(
        "专项考评成绩 total", total,
        f"indicator {fmt(indicator)}×{num(w_indicator)} + comprehensive {fmt(comprehensive)}×"
        f"{num(w_comprehensive)} + min(bonus {fmt(bonus)}, {num(cap)}) − penalty {fmt(penalty)} = {fmt(total)}",
        [indicator_node, comprehensive_node, bonus_node, penalty_node, chuang_node])

    return UnitScore(
        unit=unit.code, scheme_version=scheme.version, cutoff=cutoff, total=total, indicator=indicator,
        individual=individual, process=process, annual_individual=annual, task_load_bonus=task_load,
        common=common, chuangcheng=chuangcheng, comprehensive=comprehensive,
        half_year_comp=comps.get("half_year_comp", ZERO), year_end_comp=comps.get("year_end_comp", ZERO),
        bonus=bonus, penalty=penalty, pending=pending, warnings=warnings, explanation=total_node)
