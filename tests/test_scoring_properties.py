"""Properties of the engine over random (rule-abiding) ledgers, with hypothesis."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from scoring_helpers import SCHEME, TZ, ScoringLog, leaves_without_reason

BOUNDED = settings(max_examples=50, deadline=None)
D = [f"D{i:02d}" for i in range(1, 7)]
DEPARTMENTS = [f"D{i:02d}" for i in range(1, 46)]
TOWNS = ["T01", "T02", "Z01"]
CHECKPOINTS = [("Q1", "2018-03-31"), ("Q2", "2018-09-30")]
METHOD_RESULT = {
    "completion_ratio": lambda v: {"actual": str(v)},
    "direct_deduction": lambda v: {"deductions": [{"points": str(v // 3)}]},
    "veto": lambda v: {"vetoed": v % 2 == 0},
}

task_operation = st.tuples(st.just("task"), st.sampled_from(["provincial", "municipal", "own"]),
                           st.sampled_from(sorted(METHOD_RESULT)), st.booleans(), st.sampled_from(["lead", "co"]),
                           st.sampled_from(["0.5", "1", "1.5"]))
operation = st.one_of(
    task_operation,
    st.tuples(st.just("report"), st.integers(0, 5), st.integers(0, 1), st.integers(-20, 40), st.booleans(),
              st.sampled_from(["ok", "poor"])),
    st.tuples(st.just("evidence"), st.integers(0, 5), st.integers(0, 1),
              st.sampled_from(["confirmed", "discrepancy", "falsified"])),
    st.tuples(st.just("assess"), st.integers(0, 5), st.integers(0, 150)),
    st.tuples(st.just("withdraw"), st.integers(0, 5)),
    st.tuples(st.just("common"), st.sampled_from(["C01", "C02", "C03", "C20"]), st.integers(0, 100)),
    st.tuples(st.just("ballot"), st.sampled_from(["half_year", "year_end"]),
              st.sampled_from(["leader", "office", "mutual"]), st.sampled_from(["a", "b"]),
              st.permutations(D).map(lambda p: p[:4])),
    st.tuples(st.just("bonus"), st.sampled_from(["B1", "B3", "B4", "B5", "B8", "B9", "B11", "B13"]),
              st.integers(1, 3)),
    st.tuples(st.just("funding"), st.sampled_from(D[:3]), st.integers(1, 500)),
    st.tuples(st.just("penalty"), st.sampled_from(["P1", "P6", "P7"]), st.integers(1, 2)),
    st.tuples(st.just("void"), st.integers(0, 50)),
)


def build(ops: list[tuple]) -> ScoringLog:
    """Apply the operations that the write side would accept; skip the others."""
    ledger = ScoringLog()
    tasks: list[dict] = []          # {code, method, withdrawn}
    reported: set[tuple[str, str]] = set()
    report_of: dict[str, tuple[str, str]] = {}
    voidable: list[str] = []
    voided: set[str] = set()
    evidence_n = 0
    for op in ops:
        kind = op[0]
        if kind == "task":
            _, level, method, important, role, difficulty = op
            code = f"T{len(tasks)}"
            extra = {"target": "100"} if method == "completion_ratio" else {}
            if level != "own":  # role and difficulty are for provincial and municipal tasks only
                extra["role"], extra["difficulty"] = role, difficulty
            assignment = ledger.task("D01", code, level, method, CHECKPOINTS, important=important,
                                     **extra)
            tasks.append({"code": code, "method": method, "withdrawn": False, "id": assignment})
            voidable.append(assignment)
        elif kind in ("report", "evidence", "assess", "withdraw"):
            if not tasks or tasks[op[1] % len(tasks)]["withdrawn"]:
                continue
            task = tasks[op[1] % len(tasks)]
            if kind == "report":
                checkpoint, due = CHECKPOINTS[op[2]]
                if (task["code"], checkpoint) in reported:
                    continue
                # around the due month: on time, or days late
                reported_on = f"2018-{3 + op[2] * 6:02d}-{min(28, max(1, 15 + op[3] // 2)):02d}"
                cid = ledger.report("D01", task["code"], checkpoint, reported_on, completed=op[4], quality=op[5],
                                    at=None)
                reported.add((task["code"], checkpoint))
                report_of[cid] = (task["code"], checkpoint)
                voidable.append(cid)
            elif kind == "evidence":
                evidence_n += 1
                ledger.add("evidence.submitted", unit="D01", evidence=f"E{evidence_n}", task=task["code"],
                           checkpoint=CHECKPOINTS[op[2]][0], title="x", sha256="d" * 64)
                voidable.append(ledger.add("evidence.verified", unit="D01", evidence=f"E{evidence_n}",
                                           outcome=op[3], method="online", verified_on="2018-01-02"))
            elif kind == "assess":
                voidable.append(ledger.assess("D01", task["code"], **METHOD_RESULT[task["method"]](op[2])))
            else:
                ledger.add("task.withdrawn", unit="D01", task=task["code"], reason="x")
                task["withdrawn"] = True
        elif kind == "common":
            voidable.append(ledger.add("common.scored", unit="D01", indicator=op[1], score=op[2]))
        elif kind == "ballot":
            _, round_, ballot_kind, rater, ranking = op
            rater = {"mutual": "T01" if rater == "a" else "Z01"}.get(ballot_kind, f"{ballot_kind}.{rater}")
            if ballot_kind == "office":  # an office ballot ranks every unit of its group (§5)
                ranking = [*ranking, *(code for code in DEPARTMENTS if code not in ranking)]
            voidable.append(ledger.ballot(round_, ballot_kind, rater, "departments", list(ranking)))
        elif kind == "bonus":
            fields = {"points": "0.15"} if op[1] == "B11" else {"count": op[2]}
            voidable.append(ledger.add("bonus.awarded", unit="D01", item=op[1], **fields))
        elif kind == "funding":
            voidable.append(ledger.add("funding.recorded", unit=op[1], amount=op[2]))
        elif kind == "penalty":
            voidable.append(ledger.add("penalty.imposed", unit="D01", item=op[1], count=op[2], reason="x"))
        elif kind == "void" and voidable:
            target = voidable[op[1] % len(voidable)]
            if target in voided:
                continue
            ledger.void(target)
            voided.add(target)
            for task in tasks:
                if task["id"] == target:
                    task["withdrawn"] = True  # a voided task takes no more reports or assessments
            reported.discard(report_of.get(target, ("", "")))
    return ledger


# a few tasks first, so that reports, evidence and assessments have something to hang on
ledgers = st.tuples(st.lists(task_operation, max_size=4), st.lists(operation, min_size=3, max_size=30)) \
    .map(lambda parts: build(parts[0] + parts[1]))


def weights(*path: str) -> Decimal:
    return SCHEME.dec(*path)


@BOUNDED
@given(ledgers)
def test_total_is_the_formula_of_its_components(ledger):
    s = ledger.score()
    # annual_individual includes the task-load bonus (docs/commands.md §4)
    assert s.individual == s.process * weights("individual", "process") + \
        s.annual_individual * weights("individual", "annual")
    assert s.indicator == s.individual * weights("indicator", "individual") + s.common * weights("indicator", "common")
    assert s.comprehensive == s.half_year_comp * weights("comprehensive", "half_year") + \
        s.year_end_comp * weights("comprehensive", "year_end")
    assert s.total == s.indicator * weights("total", "indicator") + s.comprehensive * weights("total", "comprehensive") \
        + min(s.bonus, weights("total", "bonus_cap")) - s.penalty


@BOUNDED
@given(ledgers, st.sampled_from(["B1", "B2", "B3", "B4", "B5", "B6", "B7", "B8", "B9", "B13"]), st.integers(1, 3))
def test_adding_a_bonus_never_lowers_the_total(ledger, item, count):
    before = ledger.score()
    ledger.add("bonus.awarded", unit="D01", item=item, count=count)
    after = ledger.score()
    assert after.total >= before.total and after.bonus >= before.bonus


@BOUNDED
@given(ledgers)
def test_bonus_never_exceeds_the_cap(ledger):
    assert ledger.score().bonus <= weights("total", "bonus_cap")


@BOUNDED
@given(ledgers)
def test_every_leaf_cites_an_entry_or_says_why_none(ledger):
    for unit in ("D01", "D02"):
        assert leaves_without_reason(ledger.score(unit).explanation) == []


@BOUNDED
@given(ledgers.filter(lambda ledger: bool(ledger.entries)))
def test_upto_the_last_seq_equals_no_cutoff(ledger):
    last_day = ledger.entries[-1].recorded_at.astimezone(TZ).date()
    # with no cutoff, checkpoints are judged today; upto judges at the last entry's date: align them
    plain = ledger.score(today=last_day)
    upto = ledger.score(upto=ledger.last_seq)
    assert upto.figures() == plain.figures() and upto.pending == plain.pending
    assert upto.explanation.as_json() == plain.explanation.as_json()
