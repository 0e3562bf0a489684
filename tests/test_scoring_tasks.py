"""docs/scheme.md §3.2 (year-end task score by method) and §3.3 (annual individual, task-load bonus)."""

from decimal import Decimal

from scoring_helpers import ScoringLog

# annual_individual includes the task-load bonus (docs/commands.md §4, issue 14): what a passed provincial
# and municipal lead task of difficulty 1 add to it (§3.3), in the expectations below
PROVINCIAL, MUNICIPAL = Decimal("0.10"), Decimal("0.05")


def scored(method: str, unit: str = "D01", level: str = "provincial", **assessment) -> Decimal:
    ledger = ScoringLog()
    extra = {"target": "200"} if method == "completion_ratio" else {}
    ledger.task(unit, "T1", level, method, **extra)
    ledger.assess(unit, "T1", **assessment)
    return ledger.score(unit).annual_individual


def test_3_2_completion_ratio_is_100_times_actual_over_target():
    assert scored("completion_ratio", actual="150") == 75 + PROVINCIAL


def test_3_2_completion_ratio_is_capped_at_100():
    assert scored("completion_ratio", actual="250") == 100 + PROVINCIAL


def test_3_2_direct_deduction_subtracts_assessed_points():
    assert scored("direct_deduction", deductions=[{"points": "3", "reason": "a"}, {"points": "4.5"}]) == Decimal("92.5") + PROVINCIAL


def test_3_2_direct_deduction_floors_at_zero():
    assert scored("direct_deduction", deductions=[{"points": "120"}]) == 0


def test_3_2_veto_passed_is_100_and_vetoed_is_0():
    assert scored("veto", vetoed=False) == 100 + PROVINCIAL
    assert scored("veto", vetoed=True) == 0


def test_3_2_cumulative_sums_points_up_to_100():
    assert scored("cumulative", unit="T01", level="county", points=[{"points": "30"}, {"points": "45"}]) == 75
    assert scored("cumulative", unit="T01", level="county", points=[{"points": "80"}, {"points": "45"}]) == 100


def test_3_2_task_not_assessed_scores_zero_and_is_pending():
    ledger = ScoringLog()
    ledger.task("D01", "T1", "provincial", "veto")
    ledger.task("D01", "T2", "provincial", "veto")
    ledger.assess("D01", "T1", vetoed=False)
    score = ledger.score()
    assert score.annual_individual == 50
    assert "task.T2" in score.pending and "task.T1" not in score.pending


def test_3_2_later_assessment_supersedes_earlier():
    ledger = ScoringLog()
    ledger.task("D01", "T1", "provincial", "completion_ratio", target="100")
    first = ledger.assess("D01", "T1", actual="60")
    ledger.assess("D01", "T1", actual="90")
    score = ledger.score()
    assert score.annual_individual == 90 + PROVINCIAL
    cited = {e["id"]: e for e in score.explanation.find("年度成绩（含任务量加分）").find("任务 T1").entries}
    assert cited[first]["superseded_by"] is not None


def department(levels: dict[str, list[tuple[str, str]]]) -> ScoringLog:
    """Tasks per level as (weight, completion ratio actual over a target of 100)."""
    ledger = ScoringLog()
    n = 0
    for level, tasks in levels.items():
        for weight, actual in tasks:
            n += 1
            ledger.task("D01", f"T{n}", level, "completion_ratio", target="100", weight=weight)
            ledger.assess("D01", f"T{n}", actual=actual)
    return ledger


def test_3_3_levels_combine_60_30_10():
    ledger = department({"provincial": [("1", "80")], "municipal": [("1", "90")], "own": [("1", "100")]})
    assert ledger.score().annual_individual == \
        Decimal("80") * Decimal("0.6") + 90 * Decimal("0.3") + 10 + PROVINCIAL + MUNICIPAL


def test_3_3_level_mean_is_weighted_by_task_weight():
    ledger = department({"provincial": [("3", "80"), ("1", "40")]})
    # = 70, the only level (at the gate: both provincial tasks earn their task-load bonus)
    assert ledger.score().annual_individual == (3 * 80 + 40) / Decimal(4) + 2 * PROVINCIAL


def test_3_3_no_provincial_task_gives_its_weight_evenly_municipal_60_own_40():
    ledger = department({"municipal": [("1", "90")], "own": [("1", "50")]})
    assert ledger.score().annual_individual == 90 * Decimal("0.6") + 50 * Decimal("0.4") + MUNICIPAL


def test_3_3_no_own_task_gives_its_weight_evenly_to_the_other_two():
    ledger = department({"provincial": [("1", "80")], "municipal": [("1", "90")]})
    assert ledger.score().annual_individual == 80 * Decimal("0.65") + 90 * Decimal("0.35") + PROVINCIAL + MUNICIPAL


def test_3_3_towns_and_zones_take_the_weighted_mean_of_all_tasks():
    ledger = ScoringLog()
    ledger.task("T01", "A", "county", "cumulative", weight="2")
    ledger.task("T01", "B", "county", "veto")
    ledger.assess("T01", "A", points=[{"points": "70"}])
    ledger.assess("T01", "B", vetoed=False)
    assert ledger.score("T01").annual_individual == (2 * 70 + 100) / Decimal(3)


def test_3_3_no_standing_task_is_zero_and_pending():
    score = ScoringLog().score()
    assert score.annual_individual == 0 and "annual_individual" in score.pending


def test_3_3_withdrawn_task_leaves_the_level_means():
    ledger = department({"provincial": [("1", "80"), ("1", "20")]})
    ledger.add("task.withdrawn", unit="D01", task="T2", reason="changed")
    assert ledger.score().annual_individual == 80 + PROVINCIAL  # the withdrawn task earns none either


def load(levels_roles: list[tuple[str, str | None, str | None]], actual: str = "100") -> ScoringLog:
    ledger = ScoringLog()
    for n, (level, role, difficulty) in enumerate(levels_roles):
        fields = {"role": role} if role else {}
        if difficulty is not None:
            fields["difficulty"] = difficulty
        ledger.task("D01", f"T{n}", level, "completion_ratio", target="100", **fields)
        ledger.assess("D01", f"T{n}", actual=actual)
    return ledger


def test_3_3_task_load_provincial_010_municipal_005_times_difficulty():
    ledger = load([("provincial", "lead", "1.5"), ("municipal", None, "2"), ("own", None, None)])
    assert ledger.score().task_load_bonus == Decimal("0.15") + Decimal("0.10")


def test_3_3_task_load_co_role_earns_half():
    ledger = load([("provincial", "co", "1"), ("municipal", "co", "1")])
    assert ledger.score().task_load_bonus == Decimal("0.05") + Decimal("0.025")


def test_3_3_task_load_is_added_to_annual_and_may_pass_100():
    score = load([("provincial", "lead", "1")]).score()
    assert score.annual_individual == Decimal("100.1") and score.task_load_bonus == Decimal("0.1")
    assert score.individual == score.process * Decimal("0.2") + Decimal("100.1") * Decimal("0.8")


def test_3_3_task_load_gate_tested_on_unrounded_provincial_mean_just_below_70():
    score = load([("provincial", "lead", "1")], actual="69.996").score()  # shows as 70.00
    assert score.annual_individual < 70 and score.task_load_bonus == 0


def test_3_3_task_load_gate_at_exactly_70_passes():
    assert load([("provincial", "lead", "1")], actual="70").score().task_load_bonus == Decimal("0.1")


def test_3_3_task_load_without_provincial_task_is_not_gated():
    ledger = load([("municipal", "lead", "1")], actual="10")
    assert ledger.score().task_load_bonus == Decimal("0.05")


def test_3_3_task_load_is_for_departments_only():
    ledger = ScoringLog()
    ledger.task("T01", "A", "county", "veto")  # (a difficulty is refused on a county task)
    ledger.assess("T01", "A", vetoed=False)
    assert ledger.score("T01").task_load_bonus == 0


def test_3_3_withdrawn_task_earns_no_task_load():
    ledger = load([("provincial", "lead", "1"), ("municipal", "lead", "1")])
    ledger.add("task.withdrawn", unit="D01", task="T1", reason="changed")
    assert ledger.score().task_load_bonus == Decimal("0.1")


def test_3_fewer_than_five_tasks_flagged_without_score_change():
    ledger = load([("provincial", "lead", "1")] * 4)
    four = ledger.score()
    assert four.warnings and four.explanation.find("任务不足 5 项（提示，不影响分数）") is not None
    ledger.task("D01", "T9", "own", "veto")
    ledger.assess("D01", "T9", vetoed=False)
    assert ledger.score().warnings == []


def test_3_individual_is_process_20_and_annual_80():
    ledger = department({"provincial": [("1", "50")]})
    score = ledger.score()
    assert score.individual == 100 * Decimal("0.2") + (50 + score.task_load_bonus) * Decimal("0.8")
