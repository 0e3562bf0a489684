"""docs/scheme.md §6 (bonus 加分, capped at 3) and §7 (penalty 减分, no cap, no floor)."""

from decimal import Decimal

import pytest

from scoring_helpers import ScoringLog


def awards(*items: tuple[str, int], unit: str = "D01") -> ScoringLog:
    ledger = ScoringLog()
    for item, count in items:
        ledger.add("bonus.awarded", unit=unit, item=item, count=count)
    return ledger


def test_6_fixed_points_times_count():
    assert awards(("B2", 2), ("B7", 1)).score().bonus == Decimal("1.5") + Decimal("0.5")


@pytest.mark.parametrize("items, expected", [
    ([("B3", 1), ("B4", 2)], "0.4"),   # 0.2 + 0.30 = 0.50, capped 0.4
    ([("B3", 1), ("B4", 1)], "0.35"),  # under the cap
    ([("B5", 1), ("B6", 2)], "0.6"),   # 0.3 + 0.50 = 0.80, capped 0.6
    ([("B8", 3)], "0.2"),              # 0.3, capped 0.2
    ([("B9", 3)], "0.4"),              # 0.6, capped 0.4
])
def test_6_group_caps(items, expected):
    assert awards(*items).score().bonus == Decimal(expected)


def test_6_b11_and_b12_use_the_awards_points():
    ledger = ScoringLog()
    ledger.add("bonus.awarded", unit="D01", item="B11", points="0.15")
    ledger.add("bonus.awarded", unit="D01", item="B12", points="0.2")
    assert ledger.score().bonus == Decimal("0.35")


def test_6_bonus_total_is_capped_at_3():
    score = awards(("B1", 2), ("B2", 1), ("B13", 1)).score()  # 2 + 0.75 + 0.5 = 3.25
    assert score.bonus == 3
    assert score.total == score.indicator * Decimal("0.7") + score.comprehensive * Decimal("0.3") + 3


def test_6_b10_largest_funding_total_earns_2_others_proportionally():
    ledger = ScoringLog()
    ledger.add("funding.recorded", unit="D01", amount="100")
    ledger.add("funding.recorded", unit="D01", amount="50")
    ledger.add("funding.recorded", unit="D02", amount="600")
    assert ledger.score("D02").bonus == 2
    assert ledger.score("D01").bonus == Decimal(2) * 150 / 600
    node = ledger.score("D01").explanation.find("B10")
    assert {e["id"] for e in node.entries} == {"c1", "c2", "c3"}  # cites the leader's funding too


def test_6_b10_compares_within_the_group_only():
    ledger = ScoringLog()
    ledger.add("funding.recorded", unit="D01", amount="100")
    ledger.add("funding.recorded", unit="T01", amount="10000")
    assert ledger.score("D01").bonus == 2


def test_6_b10_moves_when_another_unit_records_funding_or_it_is_voided():
    ledger = ScoringLog()
    ledger.add("funding.recorded", unit="D01", amount="100")
    other = ledger.add("funding.recorded", unit="D02", amount="400")
    assert ledger.score("D01").bonus == Decimal("0.5")
    ledger.void(other)
    assert ledger.score("D01").bonus == 2


def test_6_b10_counts_under_the_overall_cap():
    ledger = awards(("B1", 2))
    ledger.add("funding.recorded", unit="D01", amount="100")
    assert ledger.score().bonus == 3


def test_7_penalty_is_count_times_points():
    ledger = ScoringLog()
    ledger.add("penalty.imposed", unit="D01", item="P3", count=2, reason="x")
    ledger.add("penalty.imposed", unit="D01", item="P7", reason="x")
    assert ledger.score().penalty == Decimal("3.2")


def test_7_penalties_have_no_cap_and_the_total_no_floor():
    ledger = ScoringLog()
    ledger.add("penalty.imposed", unit="D01", item="P12", count=10, reason="x")
    score = ledger.score()
    assert score.penalty == 30 and score.total < 0
    assert score.total == score.indicator * Decimal("0.7") + score.comprehensive * Decimal("0.3") - 30


def test_7_voided_penalty_stops_counting():
    ledger = ScoringLog()
    penalty = ledger.add("penalty.imposed", unit="D01", item="P1", reason="x")
    ledger.void(penalty)
    assert ledger.score().penalty == 0
