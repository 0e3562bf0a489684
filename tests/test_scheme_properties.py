"""Properties of amendments (docs/scheme.md §10, issue 14), with hypothesis, over random merge patches:
well-meant ones, typos, wrong types, numbers out of range, new and deleted entries of the keyed
collections.

- any accepted amendment yields a scheme that validates, that the ledger reads back the same from
  the stored patch, that every section of the scoring can score under, and that keeps every entry
  of the scheme the patch does not name;
- `scheme amend --dry-run` predicts exactly the figures the real amendment then produces (on SQLite
  and PostgreSQL).
"""

from __future__ import annotations

import copy
import itertools
from datetime import datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, find, given, settings
from hypothesis import strategies as st

from kaoping.domain.errors import InvalidCommand, KaopingError, RuleViolation
from kaoping.domain.scheme_schema import canonical
from kaoping.domain.scoring import make_cutoff, score_unit

from scoring_helpers import SCHEME, TZ, UNITS, ScoringLog

WHEN = datetime(2018, 11, 1, tzinfo=TZ)
DEPARTMENTS = [f"D{n:02d}" for n in range(1, 46)]
TOWNS_ZONES = [f"T{n:02d}" for n in range(1, 11)] + [f"Z{n:02d}" for n in range(1, 5)]

numbers = st.one_of(st.decimals(min_value=0, max_value=1, places=2).map(str),
                    st.decimals(min_value=0, max_value=120, places=1).map(str),
                    st.integers(-3, 5))
garbage = st.sampled_from(["abc", "", "NaN", "1e999", True, False, [], {}, [1], {"x": 1}, None, -1])
value = st.one_of(numbers, numbers, garbage)


def _leaves(node: Any, path: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], Any]]:
    if isinstance(node, dict) and node:
        return [leaf for key, child in node.items() for leaf in _leaves(child, (*path, key))]
    return [(path, node)]


LEAVES = [path for path, _ in _leaves(SCHEME.data) if path[0] not in ("version", "in_force_from")]


def _weight_pair(section: str, a: str, b: str) -> Any:
    return st.decimals(min_value=0, max_value=1, places=2).map(
        lambda x: {section: {a: str(x), b: str(1 - x)}})


operation = st.one_of(
    st.tuples(st.sampled_from(LEAVES), value).map(lambda pv: _nested(pv[0], pv[1])),
    _weight_pair("total", "indicator", "comprehensive"),
    _weight_pair("individual", "process", "annual"),
    _weight_pair("indicator", "individual", "common"),
    st.tuples(st.sampled_from(["B3+B4", "B5+B6", "B8", "B9", "B1", "B7+B13", "B3", "B10", "B14", "b2"]),
              st.one_of(numbers, st.none())).map(lambda kv: {"bonus": {"caps": {kv[0]: kv[1]}}}),
    st.tuples(st.sampled_from(["B1", "B4", "B13", "B14", "B11"]),
              st.one_of(st.none(), numbers.map(lambda v: {"points": v}),
                        st.just({"name": "新增表彰", "points": "0.3"}),
                        st.just({"min": "0.1", "max": "0.3", "points": None}))
              ).map(lambda kv: {"bonus": {"items": {kv[0]: kv[1]}}}),
    st.tuples(st.sampled_from(["P1", "P7", "P8", "P13"]),
              st.one_of(st.none(), numbers.map(lambda v: {"points": v}),
                        st.just({"name": "新增减分", "points": "0.5"}))
              ).map(lambda kv: {"penalty": {"items": {kv[0]: kv[1]}}}),
    st.tuples(st.sampled_from(["优秀", "良好", "一般", "较差", "新档"]),
              st.one_of(st.none(), numbers.map(lambda v: {"points": v}),
                        st.just({"rank": 5, "share": "0.1", "points": "60"}))
              ).map(lambda kv: {"bands": {kv[0]: kv[1]}}),
    st.just({"bands": {"优秀": {"share": "0.10"}, "良好": {"share": "0.40"}}}),
    st.tuples(st.sampled_from(["process", "bonus", "levels", "ballots", "task_load", "bonus.items.B2"]),
              st.sampled_from(["typo", "not_reportd", "capss"])
              ).map(lambda kv: _nested((*kv[0].split("."), kv[1]), "1")),
    st.tuples(st.sampled_from(["office_complete", "leader_complete"]), st.booleans()
              ).map(lambda kv: {"ballots": {kv[0]: kv[1]}}),
)
patches = st.lists(operation, min_size=1, max_size=4).map(
    lambda ops: {"version": "2018.x", **_combined(ops)})


def _nested(path: tuple[str, ...], leaf: Any) -> dict[str, Any]:
    node: Any = leaf
    for key in reversed(path):
        node = {key: node}
    return node  # type: ignore[no-any-return]


def _combined(ops: list[dict[str, Any]]) -> dict[str, Any]:
    """Several operations as one patch (a later one wins where two name the same key)."""
    patch: dict[str, Any] = {}
    for op in ops:
        patch = _deep_update(patch, op)
    return patch


def _deep_update(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    result = copy.deepcopy(base)
    for key, item in extra.items():
        if isinstance(item, dict) and item and isinstance(result.get(key), dict):
            result[key] = _deep_update(result[key], item)
        else:
            result[key] = copy.deepcopy(item)
    return result


def _touched(patch: dict[str, Any]) -> list[tuple[str, ...]]:
    return [path for path, _ in _leaves(patch)]


def _year() -> ScoringLog:
    """A little of everything the scheme's numbers reach: tasks of each level, checkpoints missed,
    late and poor, falsified evidence, ballots of every kind, capped and uncapped bonuses, funding,
    penalties (a manual P8 among them)."""
    log = ScoringLog()
    log.task("D01", "P1", "provincial", "completion_ratio", [("Q1", "2018-03-31"), ("Q2", "2018-06-30")],
             target="100", important=True, difficulty="1.5")
    log.task("D01", "M1", "municipal", "veto", [("Q1", "2018-03-31")], role="co")
    log.task("D01", "O1", "own", "direct_deduction", [("Q3", "2018-09-30")])
    log.task("T01", "K1", "county", "cumulative", [("Q1", "2018-03-31")])
    log.report("D01", "P1", "Q1", "2018-04-05", quality="poor")
    log.report("D01", "M1", "Q1", "2018-03-30", completed=False)
    log.add("evidence.submitted", unit="D01", evidence="E1", task="P1", checkpoint="Q1", title="台账",
            sha256="a" * 64)
    log.add("evidence.verified", unit="D01", evidence="E1", outcome="falsified", method="on_site",
            verified_on="2018-04-10")
    log.assess("D01", "P1", actual="80")
    log.assess("D01", "M1", vetoed=False)
    log.assess("D01", "O1", deductions=[{"points": "5", "reason": "延误"}])
    log.assess("T01", "K1", points=[{"points": "60"}, {"points": "25"}])
    for indicator, score in (("C01", "88"), ("C02", "90"), ("C20", "60")):
        log.add("common.scored", unit="D01", indicator=indicator, score=score)
    for round_ in ("half_year", "year_end"):
        log.ballot(round_, "leader", "副县长甲", "departments", ["D02", "D01", "D03"])
        log.ballot(round_, "office", "办公室", "departments", DEPARTMENTS[3:] + DEPARTMENTS[:3])
        log.ballot(round_, "mutual", "T01", "departments", ["D01", "D02"])
        log.ballot(round_, "office", "办公室", "towns_zones", TOWNS_ZONES[1:] + TOWNS_ZONES[:1])
    for item, count in (("B1", 1), ("B3", 2), ("B4", 2), ("B5", 3), ("B8", 3), ("B9", 1), ("B13", 1)):
        log.add("bonus.awarded", unit="D01", item=item, count=count)
    log.add("bonus.awarded", unit="D01", item="B11", points="0.15")
    log.add("funding.recorded", unit="D01", amount="300")
    log.add("funding.recorded", unit="D02", amount="600")
    for item in ("P1", "P7", "P8"):
        log.add("penalty.imposed", unit="D01", item=item)
    return log


YEAR = _year()
UNITS_SCORED = ("D01", "D02", "D03", "T01")


@settings(max_examples=300, deadline=None)
@given(patches)
def test_any_accepted_amendment_yields_a_scheme_that_validates_scores_and_keeps_what_it_does_not_name(
        patch: dict[str, Any]) -> None:
    try:
        amended = SCHEME.amended(patch, WHEN)
    except (InvalidCommand, RuleViolation) as refusal:
        assert refusal.field and refusal.message  # refused naming where
        return
    # it validates, as it is
    assert canonical(amended.data) == amended.data and amended.problem is None
    assert amended.version == "2018.x" and amended.in_force_from == WHEN
    # the ledger reads the same scheme back from the stored patch
    assert SCHEME.replayed(patch, WHEN) == amended
    # nothing the patch does not name is dropped or changed
    touched = _touched(patch)
    for path, before in _leaves(SCHEME.data):
        if path[0] in ("version", "in_force_from"):
            continue
        if any(path[:len(t)] == t or t[:len(path)] == path for t in touched):
            continue
        node: Any = amended.data
        for key in path:
            assert isinstance(node, dict) and key in node, f"{'.'.join(path)} was dropped"
            node = node[key]
        assert node == before, f"{'.'.join(path)} changed from {before!r} to {node!r}"
    # and every section of the scoring can score under it
    cutoff = make_cutoff(YEAR.entries, tz=TZ, today=datetime(2019, 1, 31).date())
    for code in UNITS_SCORED:
        score = score_unit(UNITS[code], UNITS, YEAR.entries, amended, cutoff)
        assert score.explanation.value == score.total


@pytest.mark.parametrize("section", ["bonus", "bands", "penalty", "process", "total", "ballots"])
def test_some_random_patches_of_each_section_are_accepted(section: str) -> None:
    """The property above is not vacuous: patches of each section get through."""

    def accepted(patch: dict[str, Any]) -> bool:
        try:
            SCHEME.amended(patch, WHEN)
        except KaopingError:
            return False
        return section in patch

    assert section in find(patches, accepted, settings=settings(max_examples=2000, database=None,
                                                                 derandomize=True))


# -- the dry run predicts the real amendment --------------------------------------------------------

_versions = itertools.count(2)


@pytest.fixture
def year_ledger(ledger: Any, year: list[dict[str, Any]]) -> Any:
    more = [
        {"id": f"x-{item}", "type": "bonus.awarded", "unit": unit, "item": item, "count": count,
         "reason": "表扬", "recorded_at": "2018-10-01T10:00:00+08:00"}
        for unit, item, count in (("D04", "B3", 2), ("D04", "B4", 3), ("D05", "B5", 3), ("D06", "B8", 4),
                                  ("T01", "B13", 1), ("T02", "B1", 1))
    ] + [
        {"id": "x-p", "type": "penalty.imposed", "unit": "D05", "item": "P7", "count": 2, "reason": "暗访",
         "recorded_at": "2018-10-02T10:00:00+08:00"},
        {"id": "x-f", "type": "funding.recorded", "unit": "D07", "amount": "500",
         "recorded_at": "2018-10-03T10:00:00+08:00"},
    ]
    ledger.ingest(year + more, actor="office")
    return ledger


def _figures(ledger: Any) -> dict[str, dict[str, str]]:
    from kaoping.domain.names import FIGURES

    codes = list(ledger.registry().units)
    return {code: {name: document[name] for name in FIGURES}
            for code, document in ledger.scores(codes).items()}


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(patch=patches)
def test_the_dry_run_predicts_exactly_the_figures_the_amendment_then_produces(year_ledger, clock, patch):
    ledger = year_ledger
    clock.now += timedelta(minutes=1)  # each amendment after the one before
    patch = {**patch, "version": f"2018.{next(_versions)}"}
    size = ledger.verify()["entries"]
    try:
        preview = ledger.preview_amendment(patch)
    except KaopingError as refusal:
        with pytest.raises(type(refusal)) as again:
            ledger.amend_scheme(patch)
        assert again.value.field == refusal.field
        assert ledger.verify()["entries"] == size
        return
    assert ledger.verify()["entries"] == size  # the dry run appended nothing
    before = _figures(ledger)
    ledger.amend_scheme(patch)
    after = _figures(ledger)
    predicted = {(u["unit"], f["figure"]): (f["before"], f["after"]) for u in preview["units"]
                 for f in u["figures"]}
    for code, figures in after.items():
        for name, now in figures.items():
            was = before[code][name]
            assert predicted.get((code, name), (was, was)) == (was, now), (code, name)
    assert ledger.registry().scheme.version == preview["version"]
