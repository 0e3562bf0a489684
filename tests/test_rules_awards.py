"""domain/rules/awards.py in memory (tests/rules_memory.py): common indicator scores, bonuses,
funding and penalties, looked up in the scheme in force (docs/scheme.md §§4, 6, 7)."""

import pytest

from kaoping.domain.errors import RuleViolation, UnknownReference
from kaoping.domain.names import unit_stream
from rules_memory import MemoryLedger, new_id


def scored(indicator="C02", unit="D03"):
    return {"id": new_id("c"), "type": "common.scored", "unit": unit, "indicator": indicator, "score": "90"}


def bonus(item, **extra):
    return {"id": new_id("b"), "type": "bonus.awarded", "unit": "D03", "item": item, "reason": "表扬", **extra}


def test_a_common_score_names_a_registered_indicator_of_a_registered_unit():
    ledger = MemoryLedger()
    assert ledger.record(scored())[0].streams == (unit_stream("D03"),)
    ledger.refused(scored("C99"), field="indicator", error=UnknownReference)
    ledger.refused(scored(unit="D99"), field="unit", error=UnknownReference)


def test_a_fixed_bonus_takes_a_count_and_no_points():
    ledger = MemoryLedger()
    ledger.record(bonus("B1"), bonus("B1", count=2))
    ledger.refused(bonus("B1", points="0.5"), field="points", error=RuleViolation)
    ledger.refused(bonus("B99"), field="item", error=UnknownReference)


def test_the_funding_item_is_computed_never_awarded():
    ledger = MemoryLedger()
    ledger.refused(bonus("B10"), field="item", error=RuleViolation)
    funding = {"id": new_id("f"), "type": "funding.recorded", "unit": "D03", "amount": "1000"}
    assert ledger.record(funding)[0].streams == (unit_stream("D03"),)


@pytest.mark.parametrize("item", ["B11", "B12"])
def test_an_item_set_per_award_takes_points_within_its_range(item):
    ledger = MemoryLedger()
    ledger.refused(bonus(item), field="points", error=RuleViolation)
    ledger.refused(bonus(item, count=1), field="count", error=RuleViolation)
    ledger.refused(bonus(item, points="0.3"), field="points", error=RuleViolation)
    ledger.refused(bonus(item, points="0.05"), field="points", error=RuleViolation)
    ledger.record(bonus(item, points="0.1"), bonus(item, points="0.2"))


def test_a_penalty_names_an_item_of_the_scheme():
    ledger = MemoryLedger()
    penalty = {"id": new_id("p"), "type": "penalty.imposed", "unit": "D03", "item": "P7", "reason": "暗访"}
    ledger.record(penalty)
    ledger.refused({**penalty, "id": new_id("p"), "item": "P99"}, field="item", error=UnknownReference)
