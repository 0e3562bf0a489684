"""docs/commands.md §4 `kaoping score --json`: the output shape and the display rounding (docs/scheme.md §2)."""

from datetime import datetime
from decimal import Decimal

import pytest

from kaoping.domain.decimals import fmt
from scoring_helpers import TZ, UNITS, ScoringLog

KEYS = ["unit", "name", "group", "as_of", "upto", "total", "indicator", "individual", "process",
        "annual_individual", "task_load_bonus", "common", "chuangcheng", "comprehensive", "half_year_comp",
        "year_end_comp", "bonus", "penalty", "pending", "explanation"]


@pytest.mark.parametrize("value, shown", [
    ("87.445", "87.45"), ("87.444", "87.44"), ("-1.005", "-1.01"), ("-0.004", "0.00"), ("-0.005", "-0.01"),
    ("0", "0.00"), ("100", "100.00"), ("2.5", "2.50"),
])
def test_2_figures_round_half_up_to_two_places_never_minus_zero(value, shown):
    assert fmt(Decimal(value)) == shown


def test_score_json_has_the_contracts_keys_and_two_decimal_strings():
    ledger = ScoringLog()
    ledger.add("common.scored", unit="D01", indicator="C02", score="87.445")
    document = ledger.score().as_json(UNITS["D01"])
    assert all(key in document for key in KEYS) and document["scheme_version"] == "2018.1"
    assert (document["unit"], document["group"], document["as_of"], document["upto"]) == \
        ("D01", "departments", None, None)
    assert document["common"] == "87.45"
    for key in KEYS[5:-2]:
        assert isinstance(document[key], str) and document[key].split(".")[1].__len__() == 2
    node = document["explanation"]
    assert set(node) >= {"label", "value", "formula", "children", "entries"}


def test_score_json_echoes_the_cutoff_or_the_callers_spelling():
    ledger = ScoringLog()
    ledger.add("common.scored", unit="D01", indicator="C02", score="90")
    score = ledger.score(as_of=datetime(2018, 6, 30, 23, 59, tzinfo=TZ), upto=1)
    assert score.as_json(UNITS["D01"])["as_of"] == "2018-06-30T23:59:00+08:00"
    assert score.as_json(UNITS["D01"])["upto"] == 1
    assert score.as_json(UNITS["D01"], as_of="2018-06-30")["as_of"] == "2018-06-30"


def test_pending_lists_what_is_missing_on_an_empty_ledger():
    pending = ScoringLog().score().pending
    assert pending == ["annual_individual", "common", "chuangcheng",
                       "half_year_comp.leader", "half_year_comp.office", "half_year_comp.mutual",
                       "year_end_comp.leader", "year_end_comp.office", "year_end_comp.mutual"]
