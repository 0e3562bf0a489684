"""Write-time rejections (docs/commands.md §2): each names the field and the offending index, and a rejected
batch appends nothing. Runs on SQLite and PostgreSQL through the `ledger` fixture."""

import itertools
from datetime import timedelta

import pytest

from kaoping.domain.errors import IdConflict, InvalidCommand, RuleViolation, UnknownReference
from kaoping.ledger.writer import BatchRejected

SHA = "cd" * 32
_ids = itertools.count()

# The clock fixture stands at 2019-01-15T02:00Z, i.e. 2019-01-15 10:00 in Asia/Shanghai.
SETUP = [
    {"id": "s-t1", "type": "task.assigned", "unit": "D03", "task": "P1", "title": "价格监测",
     "level": "provincial", "method": "completion_ratio", "target": "100",
     "checkpoints": [{"checkpoint": "Q1", "due": "2019-03-31"}, {"checkpoint": "Q2", "due": "2019-06-30"}]},
    {"id": "s-t2", "type": "task.assigned", "unit": "D03", "task": "O1", "title": "自身工作",
     "level": "own", "method": "veto", "checkpoints": [{"checkpoint": "M1", "due": "2019-02-28"}]},
    {"id": "s-t3", "type": "task.assigned", "unit": "T01", "task": "K1", "title": "镇任务",
     "level": "county", "method": "cumulative", "checkpoints": [{"checkpoint": "C1", "due": "2019-03-31"}]},
    {"id": "s-r1", "type": "checkpoint.reported", "unit": "D03", "task": "P1", "checkpoint": "Q1",
     "reported_on": "2019-01-14", "completed": True},
    {"id": "s-e1", "type": "evidence.submitted", "unit": "D03", "evidence": "E1", "task": "P1",
     "checkpoint": "Q1", "title": "报告", "sha256": SHA},
    {"id": "s-p1", "type": "penalty.imposed", "unit": "D03", "item": "P7", "reason": "暗访"},
    {"id": "s-c1", "type": "common.scored", "unit": "D03", "indicator": "C02", "score": "90"},
    {"id": "s-c2", "type": "common.scored", "unit": "D04", "indicator": "C02", "score": "80"},
    {"id": "s-b1", "type": "ballot.cast", "round": "half_year", "kind": "leader", "rater": "副县长甲",
     "group": "departments", "ranking": ["D03", "D04"]},
]


@pytest.fixture
def setup(ledger):
    ledger.ingest(SETUP, actor="office")
    return ledger


def filler():
    """A valid command of no consequence, so the offending one is not first in its batch."""
    return {"id": f"fill-{next(_ids)}", "type": "funding.recorded", "unit": "D05", "amount": "1"}


def entries(ledger):
    return ledger.verify()["entries"]


def rejected(ledger, batch, *, index, field, error=None):
    before = entries(ledger)
    with pytest.raises(BatchRejected) as info:
        ledger.ingest(batch, actor="office")
    assert info.value.index == index
    assert info.value.error.field == field, info.value.error.message
    assert info.value.command_id == batch[index].get("id")
    if error is not None:
        assert isinstance(info.value.error, error)
    assert entries(ledger) == before
    return info.value


def accept(ledger, *commands):
    return ledger.ingest(list(commands), actor="office")


def void(target, **extra):
    return {"id": f"void-{next(_ids)}", "type": "entry.voided", "target": target, "reason": "更正", **extra}


def report(task="P1", checkpoint="Q2", **extra):
    return {"id": f"rep-{next(_ids)}", "type": "checkpoint.reported", "unit": "D03", "task": task,
            "checkpoint": checkpoint, "reported_on": "2019-01-15", "completed": True, **extra}


def dispute(target, code="DIS-1", unit="D03"):
    return {"id": f"dis-{code}", "type": "dispute.filed", "unit": unit, "dispute": code,
            "target": target, "reason": "有异议"}


def resolve(code="DIS-1", outcome="upheld", **extra):
    return {"id": f"res-{next(_ids)}", "type": "dispute.resolved", "dispute": code,
            "outcome": outcome, "reason": "核实", **extra}


def ballot(ranking, round="half_year", kind="leader", rater="副县长乙", group="departments"):
    return {"id": f"bal-{next(_ids)}", "type": "ballot.cast", "round": round, "kind": kind,
            "rater": rater, "group": group, "ranking": ranking}


def assign(unit="D03", task="N1", level="own", method="veto", **extra):
    return {"id": f"asg-{next(_ids)}", "type": "task.assigned", "unit": unit, "task": task,
            "title": "新任务", "level": level, "method": method, **extra}


def bonus(item, **extra):
    return {"id": f"bon-{next(_ids)}", "type": "bonus.awarded", "unit": "D03", "item": item,
            "reason": "表扬", **extra}


def verification(evidence="E1", **extra):
    return {"id": f"ver-{next(_ids)}", "type": "evidence.verified", "unit": "D03",
            "evidence": evidence, "outcome": "confirmed", "method": "online",
            "verified_on": "2019-01-15", **extra}


# -- rejections judged against the setup alone ---------------------------------------------------
CASES = [
    pytest.param(report(unit="D99"), "unit", UnknownReference, id="unknown unit"),
    pytest.param(report(task="NOPE"), "task", UnknownReference, id="unknown task"),
    pytest.param(report(checkpoint="Q9"), "checkpoint", UnknownReference, id="unknown checkpoint"),
    pytest.param(verification(evidence="E9"), "evidence", UnknownReference, id="unknown evidence"),
    pytest.param({"id": "ev-x", "type": "evidence.submitted", "unit": "D03", "evidence": "E2",
                  "task": "P1", "checkpoint": "Q7", "title": "x", "sha256": SHA},
                 "checkpoint", UnknownReference, id="evidence for unknown checkpoint"),
    pytest.param({"id": "c-x", "type": "common.scored", "unit": "D03", "indicator": "C26", "score": 50},
                 "indicator", UnknownReference, id="unknown indicator"),
    pytest.param(bonus("B14"), "item", UnknownReference, id="unknown bonus item"),
    pytest.param({"id": "p-x", "type": "penalty.imposed", "unit": "D03", "item": "P13",
                  "reason": "暗访"},
                 "item", UnknownReference, id="unknown penalty item"),
    pytest.param(resolve("DIS-NONE"), "dispute", UnknownReference, id="unknown dispute"),
    pytest.param(void("no-such-id"), "target", UnknownReference, id="unknown void target"),
    pytest.param(void("kaoping:init:unit:D03"), "target", UnknownReference, id="void of the registry"),
    pytest.param(dispute("no-such-id"), "target", UnknownReference, id="unknown dispute target"),
    pytest.param(assign(task="P1", level="provincial", method="veto"), "task", RuleViolation,
                 id="task assigned twice"),
    pytest.param(assign(level="county"), "level", RuleViolation, id="county task for a department"),
    pytest.param(assign(unit="T01", level="provincial"), "level", RuleViolation,
                 id="provincial task for a town"),
    pytest.param(assign(unit="Z01", level="own"), "level", RuleViolation, id="own task for a zone"),
    pytest.param(assign(method="cumulative"), "method", RuleViolation, id="cumulative for a department"),
    pytest.param(assign(checkpoints=[{"checkpoint": "A", "due": "2019-02-01"},
                                     {"checkpoint": "B", "due": "2019-01-14"}]),
                 "checkpoints.1.due", RuleViolation, id="checkpoint due before the assignment"),
    pytest.param(assign(recorded_at="2018-05-01T09:00:00+08:00",
                        checkpoints=[{"checkpoint": "A", "due": "2018-04-30"}]),
                 "checkpoints.0.due", RuleViolation, id="checkpoint due before a backdated assignment"),
    pytest.param(report(checkpoint="Q1"), "checkpoint", RuleViolation,
                 id="second report while the first stands"),
    pytest.param(report(reported_on="2019-01-16"), "reported_on", RuleViolation,
                 id="reported_on after the recorded date"),
    pytest.param(verification(verified_on="2019-01-16"), "verified_on", RuleViolation,
                 id="verified_on after the recorded date"),
    pytest.param(ballot(["D03", "T01"]), "ranking.1", RuleViolation, id="ballot ranks the other group"),
    pytest.param(ballot(["D03", "D98"]), "ranking.1", UnknownReference, id="ballot ranks an unknown unit"),
    pytest.param(ballot(["D03"], kind="mutual", rater="X99"), "rater", UnknownReference,
                 id="mutual rater not a unit"),
    pytest.param(bonus("B11", points="0.25"), "points", RuleViolation, id="B11 points above 0.2"),
    pytest.param(bonus("B12", points="0.05"), "points", RuleViolation, id="B12 points below 0.1"),
    pytest.param(bonus("B11"), "points", RuleViolation, id="B11 points missing"),
    pytest.param(bonus("B12", points="0.1", count=1), "count", RuleViolation, id="count given for B12"),
    pytest.param(bonus("B11", points="0.2", count=2), "count", RuleViolation, id="count given for B11"),
    pytest.param(bonus("B10"), "item", RuleViolation, id="B10 awarded by hand"),
    pytest.param(bonus("B2", points="0.75"), "points", RuleViolation, id="points for a fixed item"),
    pytest.param(dispute("s-c2"), "target", RuleViolation, id="dispute on an entry of another unit"),
    pytest.param(dispute("s-b1"), "target", RuleViolation, id="dispute on a ballot"),
    pytest.param(report(recorded_at="2018-12-01T10:00:00+08:00", reported_on="2018-12-01"),
                 "recorded_at", RuleViolation, id="report backdated before its task's assignment"),
    pytest.param(void("s-p1", recorded_at="2019-01-14T10:00:00+08:00"), "recorded_at", RuleViolation,
                 id="void backdated before its target"),
    pytest.param(verification(recorded_at="2019-01-14T10:00:00+08:00", verified_on="2019-01-14"),
                 "recorded_at", RuleViolation, id="verification backdated before its evidence"),
    pytest.param({"id": "bad-score", "type": "common.scored", "unit": "D03", "indicator": "C02",
                  "score": 101}, "score", InvalidCommand, id="malformed command inside a batch"),
]


@pytest.mark.parametrize("command, field, error", CASES)
def test_rejected_naming_field_and_index_and_nothing_appended(setup, command, field, error):
    rejected(setup, [filler(), command, filler()], index=1, field=field, error=error)


def test_mutual_rater_of_the_ranked_group_is_refused(setup):
    bad = ballot(["D03"], kind="mutual", rater="D05", group="departments")
    assert rejected(setup, [filler(), bad], index=1, field="group").error.message


def test_mutual_ballot_ranking_its_own_rater_is_refused(setup):
    bad = ballot(["D03", "D05"], kind="mutual", rater="D05", group="departments")
    error = rejected(setup, [bad], index=0, field="group").error
    assert isinstance(error, RuleViolation)
    # the right group does not let a rater in: a town ranking itself among departments
    bad = ballot(["D03", "T01"], kind="mutual", rater="T01", group="departments")
    rejected(setup, [filler(), bad], index=1, field="ranking.1")


def test_a_mutual_ballot_of_the_other_group_is_accepted(setup):
    """A town rates departments and a department rates towns and zones: both are appended, each in
    its round and in every unit it ranks (the rater's own unit is not among them)."""
    before = entries(setup)
    by_town = ballot(["D03", "D05"], kind="mutual", rater="T01", group="departments")
    by_department = ballot(["T02", "Z01"], kind="mutual", rater="D03", group="towns_zones")
    result = accept(setup, by_town, by_department)
    assert result.appended == 2 and result.duplicates == 0
    assert [len(r.seqs) for r in result.results] == [1 + 2, 1 + 2]
    assert entries(setup) == before + 6
    for cast, ranked in ((by_town, ("D03", "D05")), (by_department, ("T02", "Z01"))):
        for code in ranked:
            mine = [e for e in setup.history(code) if e["id"] == cast["id"]]
            assert len(mine) == 1 and mine[0]["payload"]["ranking"] == list(ranked)
            assert mine[0]["payload"]["rater"] == cast["rater"]
    assert not [e for e in setup.history("T01") if e["id"] == by_town["id"]]


def test_recorded_at_in_the_future_is_refused(setup, clock):
    ahead = (clock.now + timedelta(minutes=1)).isoformat()
    rejected(setup, [filler(), {**filler(), "recorded_at": ahead}], index=1, field="recorded_at",
             error=RuleViolation)
    accept(setup, {**filler(), "recorded_at": clock.now.isoformat()})


def test_a_backdated_entry_may_not_precede_the_dispute_it_resolves(setup):
    accept(setup, dispute("s-p1"))
    rejected(setup, [resolve(recorded_at="2019-01-14T10:00:00+08:00")], index=0, field="recorded_at")


# -- rejections that need more state -------------------------------------------------------------
def test_report_for_a_withdrawn_task_is_refused(setup):
    accept(setup, {"id": "w1", "type": "task.withdrawn", "unit": "D03", "task": "O1", "reason": "调整"})
    rejected(setup, [filler(), report(task="O1", checkpoint="M1")], index=1, field="task",
             error=RuleViolation)
    rejected(setup, [{"id": "w2", "type": "task.withdrawn", "unit": "D03", "task": "O1", "reason": "再撤"}],
             index=0, field="task")


def test_report_for_a_voided_task_assignment_is_refused(setup):
    accept(setup, void("s-t2"))
    rejected(setup, [report(task="O1", checkpoint="M1")], index=0, field="task")


def test_a_checkpoint_may_be_reported_again_once_its_report_is_voided(setup):
    rejected(setup, [report(checkpoint="Q1")], index=0, field="checkpoint")
    accept(setup, void("s-r1"))
    result = accept(setup, report(checkpoint="Q1", completed=False))
    assert result.appended == 1
    rejected(setup, [report(checkpoint="Q1")], index=0, field="checkpoint")


def test_a_checkpoint_may_be_reported_again_once_a_dispute_on_its_report_is_upheld(setup):
    accept(setup, dispute("s-r1"), resolve())
    assert accept(setup, report(checkpoint="Q1")).appended == 1


def test_ballot_for_a_closed_round_is_refused(setup):
    accept(setup, {"id": "close-hy", "type": "round.closed", "round": "half_year"})
    rejected(setup, [filler(), ballot(["D03"])], index=1, field="round", error=RuleViolation)
    accept(setup, ballot(["D03"], round="year_end"))  # the other round is still open


def test_closing_a_round_twice_is_refused(setup):
    accept(setup, {"id": "close-ye", "type": "round.closed", "round": "year_end"})
    rejected(setup, [{"id": "close-ye-2", "type": "round.closed", "round": "year_end"}],
             index=0, field="round", error=RuleViolation)


def test_void_of_a_void_is_refused(setup):
    first = void("s-p1")
    accept(setup, first)
    rejected(setup, [filler(), void(first["id"])], index=1, field="target", error=RuleViolation)


def test_void_of_an_entry_already_voided_is_refused(setup):
    accept(setup, void("s-c1"))
    rejected(setup, [void("s-c1")], index=0, field="target", error=RuleViolation)
    accept(setup, dispute("s-p1"), resolve())  # upheld: voids s-p1
    rejected(setup, [void("s-p1")], index=0, field="target", error=RuleViolation)


def test_void_of_a_dispute_resolution_is_refused(setup):
    resolution = resolve(outcome="rejected")
    accept(setup, dispute("s-p1"), resolution)
    rejected(setup, [void(resolution["id"])], index=0, field="target", error=RuleViolation)


def test_void_of_a_round_close_is_refused(setup):
    accept(setup, {"id": "close-hy", "type": "round.closed", "round": "half_year"})
    rejected(setup, [void("close-hy")], index=0, field="target", error=RuleViolation)


def test_void_of_a_ledger_token_is_refused_as_unknown(setup):
    token_id, _ = setup.create_token(actor="审计", role="auditor")
    rejected(setup, [void(f"kaoping:token:{token_id}")], index=0, field="target", error=UnknownReference)


def test_dispute_on_an_already_voided_entry_is_refused(setup):
    accept(setup, void("s-p1"))
    rejected(setup, [filler(), dispute("s-p1")], index=1, field="target", error=RuleViolation)


def test_resolving_a_dispute_twice_is_refused(setup):
    accept(setup, dispute("s-c1"), resolve(outcome="rejected"))
    rejected(setup, [resolve()], index=0, field="dispute", error=RuleViolation)


def test_a_dispute_code_is_unique(setup):
    accept(setup, dispute("s-c1"))
    again = {**dispute("s-p1"), "id": "dis-other"}
    rejected(setup, [again], index=0, field="dispute", error=RuleViolation)


# -- batches: all or nothing -----------------------------------------------------------------------
def test_a_batch_of_five_with_a_bad_fourth_appends_nothing(setup):
    good = [filler(), filler(), filler()]
    batch = good + [report(task="NOPE"), filler()]
    rejected(setup, batch, index=3, field="task")
    again = setup.ingest(good, actor="office")  # nothing of the rejected batch was kept
    assert again.appended == 3 and again.duplicates == 0


def test_a_command_may_depend_on_an_earlier_one_of_its_batch(ledger):
    result = ledger.ingest([
        assign(task="N1", checkpoints=[{"checkpoint": "M1", "due": "2019-03-31"}]),
        report(task="N1", checkpoint="M1", reported_on="2019-01-15"),
    ], actor="office")
    assert result.appended == 2
    assert [e["type"] for e in ledger.history("D03")] == ["task.assigned", "checkpoint.reported"]


def test_a_later_command_of_the_batch_sees_an_earlier_one(ledger):
    batch = [assign(task="N1", checkpoints=[{"checkpoint": "M1", "due": "2019-03-31"}]),
             report(task="N1", checkpoint="M1"), report(task="N1", checkpoint="M1")]
    rejected(ledger, batch, index=2, field="checkpoint")


def test_same_id_same_content_is_a_duplicate_with_the_same_seqs(setup):
    first = setup.ingest([SETUP[5]], actor="office")  # recorded by the setup already
    assert first.duplicates == 1 and first.appended == 0
    entry = next(e for e in setup.history("D03") if e["id"] == "s-p1")
    assert first.results[0].seqs == [entry["seq"]]
    ballot_again = setup.ingest([SETUP[8]], actor="office").results[0]
    assert ballot_again.duplicate and len(ballot_again.seqs) == 3


def test_number_spelling_does_not_make_other_content(setup):
    respelled = {**SETUP[6], "score": 90.0}
    assert setup.ingest([respelled], actor="office").duplicates == 1


def test_same_id_other_content_is_an_id_conflict(setup):
    before = entries(setup)
    with pytest.raises(BatchRejected) as info:
        setup.ingest([filler(), {**SETUP[6], "score": "91"}], actor="office")
    assert info.value.index == 1 and info.value.command_id == "s-c1"
    assert isinstance(info.value.error, IdConflict) and info.value.error.field == "id"
    assert info.value.detail()["field"] == "id" and info.value.detail()["index"] == 1
    assert entries(setup) == before


def test_an_id_repeated_within_a_batch_with_the_same_content_is_a_duplicate(ledger):
    command = filler()
    result = ledger.ingest([command, filler(), dict(command)], actor="office")
    assert [r.duplicate for r in result.results] == [False, False, True]
    assert result.results[2].seqs == result.results[0].seqs and len(result.results[0].seqs) == 1
    assert result.appended == 2 and result.duplicates == 1


def test_an_id_repeated_within_a_batch_with_other_content_is_rejected(ledger):
    command = filler()
    before = entries(ledger)
    with pytest.raises(BatchRejected) as info:
        ledger.ingest([command, filler(), {**command, "amount": "2"}], actor="office")
    assert info.value.index == 2 and isinstance(info.value.error, IdConflict)
    assert info.value.error.field == "id"
    assert entries(ledger) == before
