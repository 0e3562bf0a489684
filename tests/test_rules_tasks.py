"""domain/rules/tasks.py in memory (tests/rules_memory.py): assigning, withdrawing, reporting and
assessing a unit's tasks, each refusal naming its field. The same rules on both stores:
tests/test_rejections.py."""

from kaoping.domain.errors import RuleViolation, UnknownReference
from kaoping.domain.names import unit_stream
from rules_memory import MemoryLedger, new_id, report, task


def test_a_task_goes_to_its_unit_s_stream():
    ledger = MemoryLedger()
    [decision] = ledger.record(task("d03", "P1"))
    assert decision.streams == (unit_stream("D03"),) and not decision.backdated
    assert decision.recorded_at == ledger.now
    assert "P1" in ledger.unit("D03").tasks


def test_a_task_s_level_and_method_must_be_its_group_s():
    ledger = MemoryLedger()
    ledger.refused(task("T01", "K1", level="provincial"), field="level", error=RuleViolation)
    ledger.refused(task("D03", "K1", level="own", method="cumulative"), field="method",
                   error=RuleViolation)
    ledger.record(task("T01", "K1", level="county", method="cumulative"))


def test_a_task_code_is_never_reused_and_no_checkpoint_falls_due_before_it():
    ledger = MemoryLedger()
    ledger.record(task("D03", "P1"))
    ledger.refused(task("D03", "P1"), field="task", error=RuleViolation)
    late = task("D03", "P2", checkpoints=[{"checkpoint": "Q1", "due": "2019-03-31"},
                                          {"checkpoint": "Q0", "due": "2019-01-14"}])
    ledger.refused(late, field="checkpoints.1.due", error=RuleViolation)
    ledger.refused(task("D99", "P3"), field="unit", error=UnknownReference)


def test_a_withdrawn_task_takes_no_report_and_is_not_withdrawn_twice():
    ledger = MemoryLedger()
    ledger.record(task("D03", "P1"))
    withdraw = {"id": new_id("w"), "type": "task.withdrawn", "unit": "D03", "task": "P1", "reason": "调整"}
    ledger.record(withdraw)
    ledger.refused(report("D03", "P1"), field="task", error=RuleViolation)
    ledger.refused({**withdraw, "id": new_id("w")}, field="task", error=RuleViolation)
    ledger.refused({**withdraw, "id": new_id("w"), "task": "P9"}, field="task")


def test_a_checkpoint_is_reported_once_on_a_day_that_has_come():
    ledger = MemoryLedger()
    ledger.record(task("D03", "P1"))
    ledger.refused(report("D03", "P1", "Q9"), field="checkpoint", error=UnknownReference)
    ledger.refused(report("D03", "P1", "Q1", reported_on="2019-01-16"), field="reported_on",
                   error=RuleViolation)
    first = report("D03", "P1", "Q1")
    ledger.record(first)
    assert ledger.unit("D03").reports[("P1", "Q1")] == first["id"]
    ledger.refused(report("D03", "P1", "Q1"), field="checkpoint", error=RuleViolation)


def test_an_assessment_gives_the_result_of_the_task_s_method():
    ledger = MemoryLedger()
    ledger.record(task("D03", "P1"), task("D03", "O1", level="own", method="veto"))
    ratio = {"id": new_id("a"), "type": "task.assessed", "unit": "D03", "task": "P1", "actual": "80"}
    veto = {"id": new_id("a"), "type": "task.assessed", "unit": "D03", "task": "O1", "vetoed": False}
    ledger.refused({**veto, "task": "P1"}, field="vetoed", error=RuleViolation)
    ledger.refused({**ratio, "task": "O1"}, field="actual", error=RuleViolation)
    ledger.record(ratio, veto)
