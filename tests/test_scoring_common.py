"""docs/scheme.md §4 — common indicators (共性指标) and the separately computed 创城 score."""

from decimal import Decimal

from scoring_helpers import ScoringLog


def scores(**by_indicator: str) -> ScoringLog:
    ledger = ScoringLog()
    for indicator, score in by_indicator.items():
        ledger.add("common.scored", unit="D01", indicator=indicator, score=score)
    return ledger


def test_4_common_is_the_mean_without_c01_and_c20():
    score = scores(C01="10", C20="20", C02="90", C03="80", C04="85").score()
    assert score.common == Decimal(255) / 3


def test_4_chuangcheng_is_the_c01_score_shown_but_not_in_the_total():
    with_c01 = scores(C01="60", C02="90").score()
    without = scores(C02="90").score()
    assert with_c01.chuangcheng == 60 and without.chuangcheng == 0
    assert with_c01.total == without.total
    assert "chuangcheng" in without.pending and "chuangcheng" not in with_c01.pending


def test_4_later_score_of_the_same_indicator_supersedes():
    ledger = scores(C02="70")
    ledger.add("common.scored", unit="D01", indicator="C02", score="95")
    assert ledger.score().common == 95


def test_4_voiding_the_latest_score_brings_back_the_one_before():
    ledger = scores(C02="70")
    latest = ledger.add("common.scored", unit="D01", indicator="C02", score="95")
    ledger.void(latest)
    score = ledger.score()
    assert score.common == 70
    cited = {e["id"]: e for e in score.explanation.find("共性指标 C02 信息工作").entries}
    assert cited[latest]["voided_by"] is not None


def test_4_no_scored_item_is_zero_and_pending():
    score = scores(C01="90", C20="90").score()  # only the two items outside the mean
    assert score.common == 0 and "common" in score.pending


def test_4_common_weighs_20_percent_of_the_indicator_score():
    score = scores(C02="50").score()
    assert score.indicator == score.individual * Decimal("0.8") + 50 * Decimal("0.2")
