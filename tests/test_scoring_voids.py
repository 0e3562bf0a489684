"""docs/commands.md §3: knowledge time, ledger position, voids and upheld disputes."""

from datetime import date
from decimal import Decimal

from scoring_helpers import ScoringLog


def penalised() -> tuple[ScoringLog, str]:
    ledger = ScoringLog()
    penalty = ledger.add("penalty.imposed", unit="D01", item="P5", reason="x", at="2018-03-01")
    return ledger, penalty


def test_void_counts_only_from_its_recorded_time():
    ledger, penalty = penalised()
    ledger.void(penalty, at="2018-05-01T10:00:00+08:00")
    assert ledger.score(as_of="2018-05-01T09:59:59+08:00").penalty == 1
    assert ledger.score(as_of="2018-05-01T10:00:00+08:00").penalty == 0
    assert ledger.score().penalty == 0


def test_upheld_dispute_voids_its_target_from_the_resolution_time():
    ledger, penalty = penalised()
    ledger.add("dispute.filed", unit="D01", dispute="X1", target=penalty, reason="wrong", at="2018-03-05")
    ledger.add("dispute.resolved", dispute="X1", outcome="upheld", reason="agreed", at="2018-04-01")
    assert ledger.score(as_of="2018-03-31").penalty == 1
    score = ledger.score(as_of="2018-04-01")
    assert score.penalty == 0
    cited = score.explanation.find("P5").entries
    assert cited[0]["id"] == penalty and cited[0]["voided_by"] is not None


def test_rejected_dispute_changes_nothing():
    ledger, penalty = penalised()
    ledger.add("dispute.filed", unit="D01", dispute="X1", target=penalty, reason="wrong")
    ledger.add("dispute.resolved", dispute="X1", outcome="rejected", reason="no")
    assert ledger.score().penalty == 1


def test_voided_entry_is_still_cited_and_marked():
    ledger, penalty = penalised()
    void = ledger.void(penalty)
    [cited] = ledger.score().explanation.find("P5").entries[:1]
    assert cited["voided_by"] == void


def test_voided_evidence_takes_its_verifications_and_derived_p8_with_it():
    ledger = ScoringLog()
    ledger.task("D01", "T1", checkpoints=[("Q1", "2018-03-31")], important=True)
    ledger.report("D01", "T1", "Q1", "2018-03-30")
    evidence = ledger.add("evidence.submitted", unit="D01", evidence="E1", task="T1", checkpoint="Q1",
                          title="x", sha256="b" * 64)
    ledger.add("evidence.verified", unit="D01", evidence="E1", outcome="falsified", method="online",
               verified_on="2018-04-01", at="2018-04-01")
    assert (ledger.score().process, ledger.score().penalty) == (98, 1)
    ledger.void(evidence)
    assert (ledger.score().process, ledger.score().penalty) == (100, 0)


def test_voided_withdrawal_brings_the_task_back():
    ledger = ScoringLog()
    ledger.task("D01", "T1", "provincial", "veto")
    ledger.assess("D01", "T1", vetoed=False)
    withdrawal = ledger.add("task.withdrawn", unit="D01", task="T1", reason="x")
    assert ledger.score().annual_individual == 0
    ledger.void(withdrawal)
    assert ledger.score().annual_individual == Decimal("100.1")  # with its task-load bonus (§3.3)


def test_as_of_counts_entries_by_recorded_at_not_ledger_order():
    ledger = ScoringLog()
    ledger.add("penalty.imposed", unit="D01", item="P1", reason="late news", at="2018-09-01")
    ledger.add("penalty.imposed", unit="D01", item="P6", reason="backdated", at="2018-06-01")  # appended later
    assert ledger.score(as_of="2018-07-01").penalty == 0.5


def test_upto_counts_entries_up_to_a_seq_and_judges_at_its_recorded_date():
    ledger = ScoringLog()
    ledger.task("D01", "T1", checkpoints=[("Q1", "2018-03-31")])
    ledger.add("penalty.imposed", unit="D01", item="P1", reason="x", at="2018-03-30")
    marker = ledger.add("penalty.imposed", unit="D01", item="P6", reason="x", at="2018-04-02")
    upto_first = ledger.score(upto=ledger.seq_of("c2"))
    assert (upto_first.penalty, upto_first.process) == (2, 100)  # judged 2018-03-30: Q1 not yet due
    upto_marker = ledger.score(upto=ledger.seq_of(marker))
    assert (upto_marker.penalty, upto_marker.process) == (2.5, 98)


def test_as_of_and_upto_both_apply():
    ledger = ScoringLog()
    ledger.add("penalty.imposed", unit="D01", item="P1", reason="x", at="2018-05-01")
    ledger.add("penalty.imposed", unit="D01", item="P6", reason="x", at="2018-03-01")  # seq 2, recorded earlier
    assert ledger.score(upto=1, as_of="2018-04-01").penalty == 0
    assert ledger.score(upto=2, as_of="2018-04-01").penalty == 0.5


def test_a_ballot_void_lands_in_every_stream_but_counts_once():
    ledger = ScoringLog()
    # a leader's ballot: an office one would rank all 45 departments (docs/scheme.md §5)
    ballot = ledger.ballot("year_end", "leader", "leader.a", "departments", ["D01", "D02"])
    ledger.void(ballot)
    assert len([e for e in ledger.entries if e.type == "entry.voided"]) == 3
    assert ledger.score("D02").year_end_comp == 0


def test_no_cutoff_judges_today():
    ledger = ScoringLog()
    ledger.task("D01", "T1", checkpoints=[("Q1", "2018-03-31")])
    assert ledger.score(today=date(2018, 3, 30)).process == 100
