"""A department's 2018, worked BY HAND from docs/scheme.md (not from the code), reproduced to the cent.

Unit D04 (departments). Every number below is computed in the comments from the scheme's rules;
the test only checks that the engine agrees.
"""

from decimal import Decimal

import pytest

from scoring_helpers import UNITS, ScoringLog

SHA = "c" * 64
# the office ranks all 45 departments (docs/scheme.md §5)
_OTHERS = [f"D{n:02d}" for n in range(1, 46) if n != 4]
OFFICE_HALF = _OTHERS[:9] + ["D04"] + _OTHERS[9:]   # D04 10th of 45
OFFICE_YEAR = _OTHERS[:36] + ["D04"] + _OTHERS[36:]  # D04 37th of 45


@pytest.fixture(scope="module")
def year() -> ScoringLog:
    L = ScoringLog()
    # -- tasks, all recorded 2018-01-02 -------------------------------------------------------------
    # P1 provincial, completion ratio (target 200), weight 2, lead, difficulty 1.5, important
    L.task("D04", "P1", "provincial", "completion_ratio", target="200", weight="2", role="lead", difficulty="1.5",
           important=True, checkpoints=[("Q1", "2018-03-31"), ("Q2", "2018-06-30"), ("Q3", "2018-09-30")],
           at="2018-01-02")
    # P2 provincial, veto, weight 1, co role, difficulty 1
    L.task("D04", "P2", "provincial", "veto", role="co", checkpoints=[("H1", "2018-06-30")])
    # M1 municipal, direct deduction, lead, difficulty 2 (not important)
    L.task("D04", "M1", "municipal", "direct_deduction", difficulty="2", checkpoints=[("Q2", "2018-06-30")])
    # O1 own, veto; withdrawn 2018-08-15
    L.task("D04", "O1", "own", "veto", checkpoints=[("Q1", "2018-03-31"), ("Q3", "2018-09-30")])

    # -- reports, evidence, verifications ------------------------------------------------------------
    L.report("D04", "P1", "Q1", "2018-03-30")                                   # on time, ok
    L.add("evidence.submitted", unit="D04", evidence="E1", task="P1", checkpoint="Q1", title="site", sha256=SHA,
          at="2018-03-30")
    L.report("D04", "O1", "Q1", "2018-04-02")                                   # late
    L.add("evidence.verified", unit="D04", evidence="E1", outcome="discrepancy", method="on_site",
          verified_on="2018-04-10", at="2018-04-10")
    L.add("common.scored", unit="D04", indicator="C07", score="60", id="c07", at="2018-06-01")
    L.add("funding.recorded", unit="D04", amount="300", at="2018-06-01")
    L.add("penalty.imposed", unit="D04", item="P5", reason="通报", id="p5", at="2018-06-15")
    L.add("bonus.awarded", unit="D04", item="B2", at="2018-05-10", reason="市表彰")  # recorded out of order
    L.report("D04", "P2", "H1", "2018-06-29", quality="poor")
    L.report("D04", "P1", "Q2", "2018-07-03")                                   # late
    L.add("common.scored", unit="D04", indicator="C02", score="90", at="2018-07-05")
    # half-year ballots, July
    L.ballot("half_year", "leader", "leader.li", "departments", ["D04", "D05", "D06"], at="2018-07-10")
    L.ballot("half_year", "leader", "leader.wang", "departments", ["D07", "D08", "D04", "D09", "D10"],
             at="2018-07-11")
    L.ballot("half_year", "office", "office", "departments", OFFICE_HALF, at="2018-07-12")
    L.ballot("half_year", "mutual", "T01", "departments", ["D04", "D02"], at="2018-07-13")
    L.ballot("half_year", "mutual", "T02", "departments", ["D02", "D04"], at="2018-07-20")
    L.add("round.closed", round="half_year", at="2018-07-31T18:00:00+08:00")
    # -- after the mid-year cutoff (2018-07-31) ----------------------------------------------------------
    L.report("D04", "M1", "Q2", "2018-08-10")                                   # late
    L.add("task.withdrawn", unit="D04", task="O1", reason="merged", at="2018-08-15")
    L.add("funding.recorded", unit="D06", amount="800", at="2018-09-01")
    L.add("funding.recorded", unit="T01", amount="5000", at="2018-09-01")      # other group: ignored
    L.add("dispute.filed", unit="D04", dispute="X1", target="p5", reason="not us", at="2018-09-01")
    L.report("D04", "P1", "Q3", "2018-09-28", completed=False)
    L.add("funding.recorded", unit="D04", amount="200", at="2018-10-01")
    L.add("dispute.resolved", dispute="X1", outcome="upheld", reason="agreed", at="2018-10-10")
    L.add("penalty.imposed", unit="D04", item="P6", reason="批示批评", at="2018-11-01")
    L.add("evidence.verified", unit="D04", evidence="E1", outcome="confirmed", method="on_site",
          verified_on="2018-11-05", at="2018-11-05")
    L.add("bonus.awarded", unit="D04", item="B4", count=3, at="2018-11-20")
    L.add("common.scored", unit="D04", indicator="C07", score="65", id="c07b", at="2018-11-25")
    L.void("c07", at="2018-12-01")
    L.void("c07b", at="2018-12-01")
    L.add("bonus.awarded", unit="D04", item="B8", at="2018-12-05")
    L.add("penalty.imposed", unit="D04", item="P7", count=2, reason="暗访", at="2018-12-06")
    L.add("common.scored", unit="D04", indicator="C01", score="88", at="2018-12-10")
    L.add("common.scored", unit="D04", indicator="C20", score="50", at="2018-12-10")
    L.add("common.scored", unit="D04", indicator="C03", score="80", at="2018-12-10")
    L.add("common.scored", unit="D04", indicator="C05", score="70", at="2018-12-10")
    L.add("common.scored", unit="D04", indicator="C05", score="76", at="2018-12-12")
    L.ballot("year_end", "leader", "leader.li", "departments", ["D05", "D04", "D06"], at="2018-12-16")
    L.ballot("year_end", "leader", "leader.wang", "departments", ["D04"], at="2018-12-17")
    L.ballot("year_end", "office", "office", "departments", OFFICE_YEAR, at="2018-12-18")
    L.ballot("year_end", "mutual", "T01", "departments", ["D02", "D03", "D04"], at="2018-12-19")
    L.ballot("year_end", "mutual", "Z01", "departments", ["D04", "D02", "D03", "D05", "D06"], at="2018-12-19")
    L.assess("D04", "P1", actual="150", at="2018-12-20")
    L.ballot("year_end", "leader", "leader.li", "departments", ["D04", "D05", "D06"], at="2018-12-28")
    L.assess("D04", "P2", vetoed=False, at="2019-01-05")
    L.assess("D04", "M1", deductions=[{"points": "3", "reason": "a"}, {"points": "4.5", "reason": "b"}],
             at="2019-01-06")
    L.assess("D04", "P1", actual="170", at="2019-01-10")
    return L


def test_worked_year_end(year: ScoringLog):
    s = year.score("D04")  # no cutoff, judged 2019-01-31: every checkpoint due
    # Process: P1/Q1 on time, E1's discrepancy superseded by "confirmed" → 0; P1/Q2 late 07-03 → 1;
    # P1/Q3 not completed → 1; P2/H1 poor → 1; M1/Q2 late 08-10 → 1; O1/Q1 late 04-02 → 1 (due before
    # the 08-15 withdrawal, so it stays); O1/Q3 due after the withdrawal: not judged.
    # process = max(0, 100 − 5) = 95
    assert s.process == 95
    # Year-end task scores: P1 100 × min(170/200, 1) = 85 (the 150 assessment is superseded);
    # P2 passed → 100; M1 100 − (3 + 4.5) = 92.5. O1 withdrawn: leaves the means.
    # provincial mean = (2×85 + 1×100) / 3 = 90; municipal = 92.5; no own task left, so own's 0.10 is
    # split evenly: provincial 0.65, municipal 0.35.
    # tasks = 90×0.65 + 92.5×0.35 = 58.5 + 32.375 = 90.875
    # Task load: P1 0.10×1.5 = 0.15; P2 0.10×1×0.5 (co) = 0.05; M1 0.05×2 = 0.10 → 0.30 (provincial 90 ≥ 70)
    assert s.task_load_bonus == Decimal("0.30")
    # annual individual = tasks + task load = 90.875 + 0.30 = 91.175 (docs/commands.md §4: it includes the bonus)
    assert s.annual_individual == Decimal("91.175")
    # individual = 95×0.20 + 91.175×0.80 = 19 + 72.94 = 91.94
    assert s.individual == Decimal("91.94")
    # Common: C02 90, C03 80, C05 76 (70 superseded), C07 both voided, C01 and C20 outside the mean
    # common = (90 + 80 + 76) / 3 = 82; chuangcheng = 88
    assert (s.common, s.chuangcheng) == (82, 88)
    # indicator = 91.94×0.80 + 82×0.20 = 73.552 + 16.4 = 89.952
    assert s.indicator == Decimal("89.952")
    # Half-year: leaders: li 1st of 3 → 100, wang 3rd of 5 (bands end 1, 3, 4, 5) → 90; mean 95.
    # office 10th of 45 (ends 9, 23, 36, 45) → 90. mutual: T01 1st of 2 → 100, T02 2nd of 2 → 80; mean 90.
    # half = 95×0.6 + 90×0.1 + 90×0.3 = 57 + 9 + 27 = 93
    assert s.half_year_comp == 93
    # Year-end: li's 2nd of 3 (90) replaced by 1st of 3 → 100; wang 1st of 1 → 100; leaders 100.
    # office 37th of 45 → 70. mutual: T01 3rd of 3 → 80, Z01 1st of 5 → 100; mean 90.
    # year = 100×0.6 + 70×0.1 + 90×0.3 = 60 + 7 + 27 = 94
    assert s.year_end_comp == 94
    # comprehensive = 93×0.2 + 94×0.8 = 18.6 + 75.2 = 93.8
    assert s.comprehensive == Decimal("93.8")
    # Bonus: B2 0.75; B4 3×0.15 = 0.45 → B3+B4 cap 0.4; B8 0.1; B10: D04 300 + 200 = 500, departments'
    # largest D06 800 (T01's 5000 is another group) → 2 × 500/800 = 1.25. Σ = 2.5 ≤ 3.
    assert s.bonus == Decimal("2.5")
    # Penalty: P5 voided by the upheld dispute; P6 0.5 + P7 2×0.2 = 0.9; no standing falsified evidence
    assert s.penalty == Decimal("0.9")
    # total = 89.952×0.70 + 93.8×0.30 + 2.5 − 0.9 = 62.9664 + 28.14 + 1.6 = 92.7064
    assert s.total == Decimal("92.7064")
    doc = s.as_json(UNITS["D04"])
    assert (doc["total"], doc["indicator"], doc["individual"]) == ("92.71", "89.95", "91.94")
    assert doc["pending"] == []
    assert doc["warnings"]  # 3 standing tasks: fewer than 5


def test_worked_mid_year(year: ScoringLog):
    s = year.score("D04", as_of="2018-07-31")  # end of 2018-07-31; checkpoints due by then are judged
    # Process: P1/Q1 discrepancy on an important task (confirmed only in November) → 1; P1/Q2 late → 1;
    # P2/H1 poor → 1; M1/Q2 not reported by 07-31 → 2; O1/Q1 late → 1 (O1 not yet withdrawn).
    # process = 100 − 6 = 94
    assert s.process == 94
    # No task assessed yet: every task 0 and pending; annual 0; provincial mean 0 < 70 → no task load
    assert (s.annual_individual, s.task_load_bonus) == (0, 0)
    assert {"task.P1", "task.P2", "task.M1", "task.O1"} <= set(s.pending)
    # individual = 94×0.2 = 18.8
    # Common: C02 90 and C07 60 (its void comes in December) → 75
    assert s.common == 75
    # indicator = 18.8×0.8 + 75×0.2 = 15.04 + 15 = 30.04
    assert s.indicator == Decimal("30.04")
    # Comprehensive: half-year 93 as above; year-end nothing yet (pending) → 93×0.2 = 18.6
    assert (s.half_year_comp, s.year_end_comp, s.comprehensive) == (93, 0, Decimal("18.6"))
    assert "year_end_comp.leader" in s.pending
    # Bonus: B2 0.75; funding: only D04's 300 so far → the group's largest → B10 2; Σ 2.75
    assert s.bonus == Decimal("2.75")
    # Penalty: P5 1 (the dispute is upheld only on 10-10)
    assert s.penalty == 1
    # total = 30.04×0.7 + 18.6×0.3 + 2.75 − 1 = 21.028 + 5.58 + 1.75 = 28.358 → 28.36
    assert s.total == Decimal("28.358")
    assert s.as_json(UNITS["D04"])["total"] == "28.36"
