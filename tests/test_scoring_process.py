"""docs/scheme.md §3.1 — the process score (过程成绩): checkpoint deductions as of the judge date."""

from datetime import date

from kaoping.domain.scoring import Cutoff, score_unit
from scoring_helpers import SCHEME, UNITS, ScoringLog

SHA = "a" * 64


def one_task(important: bool = False, checkpoints=(("Q1", "2018-03-31"),)) -> ScoringLog:
    ledger = ScoringLog()
    ledger.task("D01", "T1", checkpoints=list(checkpoints), important=important)
    return ledger


def evidence(ledger: ScoringLog, code: str, outcome: str, checkpoint: str = "Q1", at: str = "2018-04-10") -> str:
    ledger.add("evidence.submitted", unit="D01", evidence=code, task="T1", checkpoint=checkpoint, title="photo",
               sha256=SHA, at=at)
    return ledger.add("evidence.verified", unit="D01", evidence=code, outcome=outcome, method="on_site",
                      verified_on=at, at=at)


def test_3_1_no_checkpoint_due_yet_means_100():
    assert one_task().score(as_of="2018-03-30").process == 100


def test_3_1_missed_checkpoint_costs_two_points():
    assert one_task().score(as_of="2018-03-31").process == 98


def test_3_1_report_on_time_costs_nothing():
    ledger = one_task()
    ledger.report("D01", "T1", "Q1", "2018-03-31")
    assert ledger.score().process == 100


def test_3_1_late_report_costs_one_point():
    ledger = one_task()
    ledger.report("D01", "T1", "Q1", "2018-04-02")
    assert ledger.score().process == 99


def test_3_1_not_completed_costs_one_point():
    ledger = one_task()
    ledger.report("D01", "T1", "Q1", "2018-03-30", completed=False)
    assert ledger.score().process == 99


def test_3_1_poor_quality_costs_one_point():
    ledger = one_task()
    ledger.report("D01", "T1", "Q1", "2018-03-30", quality="poor")
    assert ledger.score().process == 99


def test_3_1_one_deduction_per_checkpoint_the_largest():
    ledger = one_task()
    ledger.report("D01", "T1", "Q1", "2018-04-05", completed=False, quality="poor")
    assert ledger.score().process == 99  # late and substandard: one point, not two


def test_3_1_report_dated_after_the_judge_date_counts_as_not_reported():
    ledger = one_task()
    ledger.report("D01", "T1", "Q1", "2018-04-05")
    cutoff = Cutoff(judge_date=date(2018, 4, 1))  # e.g. --upto an earlier entry recorded on 04-01
    assert score_unit(UNITS["D01"], UNITS, ledger.entries, SCHEME, cutoff).process == 98


def test_3_1_deductions_sum_over_tasks_and_checkpoints():
    ledger = one_task(checkpoints=(("Q1", "2018-03-31"), ("Q2", "2018-06-30")))
    ledger.task("D01", "T2", "municipal", checkpoints=[("Q1", "2018-03-31")])
    ledger.report("D01", "T2", "Q1", "2018-04-01")
    assert ledger.score(as_of="2018-07-01").process == 100 - (2 + 2 + 1)
    assert "max(0, 100 − (2 + 2 + 1)) = 95.00" in ledger.score(as_of="2018-07-01").explanation.find("过程成绩").formula


def test_3_1_process_never_below_zero():
    ledger = one_task(checkpoints=[(f"M{i}", "2018-02-01") for i in range(51)])
    assert ledger.score().process == 0


def test_3_1_discrepancy_on_important_task_counts_as_not_completed():
    ledger = one_task(important=True)
    ledger.report("D01", "T1", "Q1", "2018-03-30")
    evidence(ledger, "E1", "discrepancy")
    assert ledger.score().process == 99


def test_3_1_falsified_on_important_task_counts_as_not_reported_and_derives_p8():
    ledger = one_task(important=True)
    ledger.report("D01", "T1", "Q1", "2018-03-30")
    verification = evidence(ledger, "E1", "falsified")
    score = ledger.score()
    assert (score.process, score.penalty) == (98, 1)
    p8 = score.explanation.find("P8")
    assert p8.label == "P8 虚报、瞒报、弄虚作假（自动计）"
    assert verification in [e["id"] for e in p8.entries]


def test_3_1_verification_on_unimportant_task_changes_no_points():
    ledger = one_task(important=False)
    ledger.report("D01", "T1", "Q1", "2018-03-30")
    evidence(ledger, "E1", "falsified")
    score = ledger.score()
    assert (score.process, score.penalty) == (100, 0)


def test_3_1_later_verification_of_same_evidence_supersedes():
    ledger = one_task(important=True)
    ledger.report("D01", "T1", "Q1", "2018-03-30")
    evidence(ledger, "E1", "falsified")
    ledger.add("evidence.verified", unit="D01", evidence="E1", outcome="confirmed", method="on_site",
               verified_on="2018-05-01", at="2018-05-01")
    score = ledger.score()
    assert (score.process, score.penalty) == (100, 0)
    assert score.explanation.find("（自动计）") is None  # no derived P8 node left


def test_3_1_worst_verification_among_a_checkpoints_evidence_counts():
    ledger = one_task(important=True)
    ledger.report("D01", "T1", "Q1", "2018-03-30")
    evidence(ledger, "E1", "confirmed")
    evidence(ledger, "E2", "discrepancy")
    evidence(ledger, "E3", "confirmed")
    assert ledger.score().process == 99


def test_3_1_derived_p8_survives_task_withdrawal():
    ledger = one_task(important=True, checkpoints=(("Q1", "2018-03-31"), ("Q2", "2018-06-30")))
    ledger.report("D01", "T1", "Q1", "2018-03-30")
    evidence(ledger, "E1", "falsified")
    ledger.add("task.withdrawn", unit="D01", task="T1", reason="changed", at="2018-05-01")
    score = ledger.score()
    assert score.penalty == 1
    assert score.process == 98  # Q1 (falsified: not reported) stays; Q2 is after the withdrawal


def test_3_1_withdrawal_keeps_earlier_deductions_and_skips_later_checkpoints():
    ledger = one_task(checkpoints=(("Q1", "2018-03-31"), ("Q2", "2018-06-30"), ("Q3", "2018-09-30")))
    ledger.add("task.withdrawn", unit="D01", task="T1", reason="changed", at="2018-06-30")
    # Q1 and Q2 are due on or before the withdrawal's recorded date: their 2 + 2 stay; Q3 is not judged
    assert ledger.score().process == 96


def test_3_1_voided_task_assignment_takes_its_deductions_with_it():
    ledger = one_task()
    assignment = ledger.entries[0].id
    ledger.void(assignment, at="2018-05-01")
    assert ledger.score().process == 100
    assert ledger.score(as_of="2018-04-30").process == 98


def test_3_1_voiding_a_report_reopens_the_checkpoint():
    ledger = one_task()
    report = ledger.report("D01", "T1", "Q1", "2018-03-30")
    ledger.void(report, at="2018-04-10")
    assert ledger.score().process == 98
    ledger.report("D01", "T1", "Q1", "2018-04-11")
    assert ledger.score().process == 99


def test_3_1_checkpoints_are_judged_at_the_judge_date_without_new_entries():
    ledger = one_task(checkpoints=(("Q4", "2018-12-31"),))
    assert ledger.score(today=date(2018, 12, 30)).process == 100
    assert ledger.score(today=date(2018, 12, 31)).process == 98
