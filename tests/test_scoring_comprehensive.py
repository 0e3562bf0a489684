"""docs/scheme.md §5 — comprehensive evaluation (综合评价): rankings by proportion bands."""

from decimal import Decimal

import pytest

from kaoping.domain.scoring import band_points
from scoring_helpers import SCHEME, ScoringLog, complete_ranking

DEPTS = [f"D{i:02d}" for i in range(1, 11)]


@pytest.mark.parametrize("n, expected", [
    (1, [100]),
    (2, [100, 80]),            # ends: ceil(.2)=1, ceil(1.0)=1, ceil(1.6)=2, 2
    (3, [100, 90, 80]),        # ends: 1, 2, 3, 3
    (5, [100, 90, 90, 80, 70]),  # ends: 1, 3, 4, 5
    (10, [100, 100, 90, 90, 90, 80, 80, 80, 70, 70]),  # ends: 2, 5, 8, 10
])
def test_5_band_points_by_position(n, expected):
    assert [band_points(p, n, SCHEME)[0] for p in range(1, n + 1)] == expected


def test_5_kind_score_is_the_mean_over_ballots_that_rank_the_unit():
    ledger = ScoringLog()
    ledger.ballot("year_end", "leader", "leader.a", "departments", ["D01", "D02", "D03"])  # 100
    ledger.ballot("year_end", "leader", "leader.b", "departments", ["D02", "D01", "D03"])  # 90
    ledger.ballot("year_end", "leader", "leader.c", "departments", ["D02", "D03"])         # does not rank D01
    score = ledger.score()
    assert score.year_end_comp == 95 * Decimal("0.6")
    assert "year_end_comp.office" in score.pending and "year_end_comp.leader" not in score.pending


def test_5_each_comp_is_leaders_60_office_10_mutual_30():
    ledger = ScoringLog()
    ledger.ballot("year_end", "leader", "leader.a", "departments", ["D02", "D01", "D03"])  # 90
    # an office ballot ranks every department; D01 where 3rd of 3 would be: 80
    ledger.ballot("year_end", "office", "office", "departments", complete_ranking(["D02", "D03", "D01"]))
    ledger.ballot("year_end", "mutual", "T01", "departments", ["D01"])                     # 100
    assert ledger.score().year_end_comp == Decimal("90") * Decimal("0.6") + 8 + 30


def test_5_both_rounds_half_year_20_year_end_80():
    ledger = ScoringLog()
    for kind, rater in (("leader", "leader.a"), ("office", "office"), ("mutual", "T01")):
        ranked = complete_ranking if kind == "office" else list  # an office ballot ranks them all
        ledger.ballot("half_year", kind, rater, "departments", ranked(["D01"]))               # 100
        ledger.ballot("year_end", kind, rater, "departments", ranked(["D02", "D01", "D03"]))  # 90
    score = ledger.score()
    assert (score.half_year_comp, score.year_end_comp) == (100, 90)
    assert score.comprehensive == 100 * Decimal("0.2") + 90 * Decimal("0.8")
    assert not [p for p in score.pending if "comp" in p]


def test_5_a_later_ballot_of_the_same_rater_replaces_the_earlier():
    ledger = ScoringLog()
    first = ledger.ballot("year_end", "leader", "leader.a", "departments", ["D02", "D03", "D01"])  # 80
    ledger.ballot("year_end", "leader", "leader.a", "departments", ["D01", "D02", "D03"])          # 100
    score = ledger.score()
    assert score.year_end_comp == 100 * Decimal("0.6")
    cited = {e["id"]: e for e in score.explanation.find("选票（评价人 leader.a，排县政府各部门）").entries}
    assert cited[first]["superseded_by"] is not None


def test_5_a_replacing_ballot_that_no_longer_ranks_the_unit_drops_it():
    ledger = ScoringLog()
    ledger.ballot("year_end", "leader", "leader.a", "departments", ["D01", "D02"])
    ledger.ballot("year_end", "leader", "leader.a", "departments", ["D02", "D03"])
    score = ledger.score()
    assert score.year_end_comp == 0 and "year_end_comp.leader" in score.pending


def test_5_ballots_of_other_raters_kinds_or_rounds_are_not_replaced():
    ledger = ScoringLog()
    ledger.ballot("year_end", "leader", "leader.a", "departments", ["D01", "D02"])   # 100
    ledger.ballot("year_end", "leader", "leader.b", "departments", ["D02", "D01"])   # 80
    ledger.ballot("half_year", "leader", "leader.a", "departments", ["D02", "D01"])  # other round
    assert ledger.score().year_end_comp == 90 * Decimal("0.6")


def test_5_office_ranking_ten_units():
    ledger = ScoringLog()
    # ten units as the office ranks them among all 45 (§5): D01 where 10th of 10 would be → 70
    ledger.ballot("half_year", "office", "office", "departments", complete_ranking(DEPTS[::-1]))
    assert ledger.score().half_year_comp == 70 * Decimal("0.1")


def test_5_voided_ballot_stops_counting():
    ledger = ScoringLog()
    ballot = ledger.ballot("year_end", "mutual", "T01", "departments", ["D01"])
    ledger.void(ballot)
    assert ledger.score().year_end_comp == 0


def test_5_towns_and_zones_are_ranked_by_departments():
    ledger = ScoringLog()
    ledger.ballot("year_end", "mutual", "D05", "towns_zones", ["Z01", "T01", "T02"])  # T01 2nd of 3 → 90
    assert ledger.score("T01").year_end_comp == 90 * Decimal("0.3")
