"""Stored as-of standings (`projections/asof.py`): the same rows as a recomputation from the log,
reused while the moment counts the same entries, computed again when an entry is backdated into it,
checked by verify and dropped by rebuild."""

from __future__ import annotations

import json
from typing import Any

import pytest

from kaoping.projections.asof import MAX_MOMENTS
from kaoping.api.bootstrap import build_projection
from kaoping.projections.views import ASOF_TABLE
from tests.conftest import raw_execute

MOMENTS = ["2018-06-30", "2018-09-30", "2018-12-31", "2018-09-10T10:00:00+08:00"]


def plain(rows: Any) -> Any:
    return json.loads(json.dumps(rows, default=str))


@pytest.fixture
def recorded(ledger, year):
    ledger.ingest(year, actor="office")
    return ledger


def _forbid_recomputing(monkeypatch, ledger) -> None:
    def recomputed(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("recomputed from the log")

    monkeypatch.setattr(ledger.reader, "figures_as_of", recomputed)


@pytest.mark.parametrize("stage", ["process", "half_year", "annual"])
def test_stored_standings_are_the_standings_from_the_log(recorded, make_ledger, stage, monkeypatch):
    reference = make_ledger()  # its own caches: nothing computed here is shared with the other
    projection = build_projection(recorded)
    for as_of in MOMENTS:
        for group in (None, "departments", "towns_zones"):
            expected = plain(reference.standings_from_log(group=group, stage=stage, as_of=as_of))
            assert plain(projection.standings(group=group, stage=stage, as_of=as_of)) == expected
    _forbid_recomputing(monkeypatch, recorded)
    recorded.reader.scores_cache.clear()
    for as_of in MOMENTS:  # now from the stored rows alone
        for group in (None, "departments", "towns_zones"):
            expected = plain(reference.standings_from_log(group=group, stage=stage, as_of=as_of))
            assert plain(projection.standings(group=group, stage=stage, as_of=as_of)) == expected


def test_another_process_reads_the_stored_rows(recorded, make_ledger, monkeypatch):
    expected = plain(build_projection(recorded).standings(as_of="2018-09-30"))
    other = make_ledger()
    _forbid_recomputing(monkeypatch, other)
    assert plain(build_projection(other).standings(as_of="2018-09-30")) == expected


def test_an_entry_recorded_after_the_moment_leaves_the_rows_standing(recorded, monkeypatch):
    projection = build_projection(recorded)
    before = plain(projection.standings(as_of="2018-09-30"))
    recorded.ingest([{"id": "late-penalty", "type": "penalty.imposed", "unit": "D03", "item": "P7",
                      "count": 1, "reason": "年底抽查", "recorded_at": "2018-12-28T10:00:00+08:00"}],
                    actor="office")
    _forbid_recomputing(monkeypatch, recorded)
    assert plain(projection.standings(as_of="2018-09-30")) == before


def test_an_entry_backdated_into_the_moment_makes_them_computed_again(recorded):
    projection = build_projection(recorded)
    before = plain(projection.standings(as_of="2018-09-30"))
    recorded.ingest([{"id": "found-penalty", "type": "penalty.imposed", "unit": "D03", "item": "P7",
                      "count": 3, "reason": "补登九月暗访", "recorded_at": "2018-09-20T10:00:00+08:00"}],
                    actor="office")
    after = plain(projection.standings(as_of="2018-09-30"))
    assert after == plain(recorded.standings_from_log(as_of="2018-09-30"))
    d03 = [next(r for r in rows if r["unit"] == "D03") for rows in (before, after)]
    assert d03[0]["score"] != d03[1]["score"]


def test_verify_recomputes_every_stored_moment_and_names_a_changed_row(recorded, database_url):
    projection = build_projection(recorded)
    for as_of in MOMENTS:
        projection.standings(as_of=as_of)
    projection.catch_up()
    report = projection.check()
    assert report["ok"] and report["as_of"] == {"ok": True, "moments": len(MOMENTS), "stale": [],
                                                "first_bad": None}
    raw_execute(database_url, f"UPDATE {ASOF_TABLE} SET total = %s WHERE unit = %s", ("99.99", "D03"))
    report = projection.check()
    assert report["ok"] is False and report["as_of"]["first_bad"]["unit"] == "D03"


def test_rebuild_drops_the_stored_rows(recorded, monkeypatch):
    projection = build_projection(recorded)
    expected = plain(projection.standings(as_of="2018-09-30"))
    assert projection.view.asof_rows()
    projection.rebuild()
    assert projection.view.asof_rows() == []
    assert plain(projection.standings(as_of="2018-09-30")) == expected


def test_a_moment_an_amendment_falls_into_is_stale_for_verify_and_computed_again(recorded, clock):
    projection = build_projection(recorded)
    projection.standings(as_of="2019-06-30")  # a date still to come: the amendment below counts
    projection.catch_up()
    assert recorded.amend_scheme({"version": "2018.2", "process": {"not_reported": "3"}}) == "2018.2"
    projection.catch_up()
    report = projection.check()
    assert report["as_of"]["ok"] and len(report["as_of"]["stale"]) == 1 and report["ok"]
    assert plain(projection.standings(as_of="2019-06-30")) == \
        plain(recorded.standings_from_log(as_of="2019-06-30"))
    assert projection.check()["as_of"]["stale"] == []


def test_the_stored_moments_are_bounded(recorded):
    projection = build_projection(recorded)
    days = [f"2018-{month:02d}-{day:02d}" for month in range(1, 13) for day in (10, 20, 28)]
    for day in days[:MAX_MOMENTS + 1]:
        projection.standings(as_of=day)
    moments = {row[0] for row in projection.view.asof_rows()}
    assert 1 <= len(moments) <= MAX_MOMENTS
    assert any(m.startswith("2018-11-28T15:59:59.999999+00:00") for m in moments)  # the last asked
