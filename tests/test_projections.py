"""The scores read model: exactly once, rebuildable, current after a due date passes, and in
agreement with the scores computed from the log."""

import json
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone

import pytest

from kaoping.api.bootstrap import build_projection
from kaoping.projections.views import TRACKING_NAME


@pytest.fixture
def projection(ledger, year):
    ledger.ingest(year, actor="office")
    return build_projection(ledger)


def _documents(projection):
    return {row.unit: json.loads(row.document) for row in projection.view.rows()}


def test_catch_up_fills_every_unit_and_agrees_with_the_log(projection, ledger):
    assert projection.catch_up() == ledger.log.refresh()[-1].seq
    assert projection.lag() == 0
    assert projection.standings() == ledger.standings_from_log()
    for stage in ("process", "half_year"):
        assert projection.standings(stage=stage) == ledger.standings_from_log(stage=stage)
    # the read model holds the figures; a score shows each evidence entry's file as it is now
    assert ledger.show_files(_documents(projection)["D03"]) == ledger.score("D03")


def test_rebuild_gives_the_same_figures(projection):
    projection.catch_up()
    before = _documents(projection)
    projection.rebuild()
    assert _documents(projection) == before


def test_a_crash_halfway_resumes_from_its_tracking_without_double_counting(projection, ledger,
                                                                        monkeypatch):
    real_write = projection.view.write
    calls = {"n": 0}

    def crash_on_third(rows, tracking):
        calls["n"] += 1
        if calls["n"] == 3:
            raise RuntimeError("killed")
        real_write(rows, tracking)

    monkeypatch.setattr(projection.view, "write", crash_on_third)
    with pytest.raises(RuntimeError):
        projection.catch_up(page=20)
    halfway = projection.view.position()
    assert 0 < halfway < ledger.log.refresh()[-1].seq
    monkeypatch.setattr(projection.view, "write", real_write)
    projection.catch_up(page=20)
    resumed = _documents(projection)
    projection.rebuild()
    assert resumed == _documents(projection)


def test_far_behind_it_catches_up_in_one_transaction_with_the_same_figures(projection, ledger,
                                                                        monkeypatch):
    from kaoping.projections import scores

    monkeypatch.setattr(scores, "JUMP_AFTER", 10)
    real_write = projection.view.write
    writes = []

    def crash_once(rows, tracking):
        writes.append(tracking.notification_id if tracking else None)
        if len(writes) == 1:
            raise RuntimeError("killed")
        real_write(rows, tracking)

    monkeypatch.setattr(projection.view, "write", crash_once)
    with pytest.raises(RuntimeError):
        projection.catch_up(page=20)
    assert projection.view.position() in (None, 0)  # all or nothing: no position without its rows
    end = ledger.log.refresh()[-1].seq
    assert projection.catch_up(page=20) == end
    assert writes == [end, end]
    jumped = _documents(projection)
    projection.rebuild()
    assert jumped == _documents(projection)


def test_a_position_already_recorded_is_not_written_again(projection):
    from eventsourcing.persistence import IntegrityError, Tracking

    position = projection.catch_up()
    with pytest.raises(IntegrityError):
        projection.view.write([], Tracking(TRACKING_NAME, position))


def test_a_passing_due_date_changes_the_process_score_without_a_new_entry(ledger, clock):
    clock.now = datetime(2018, 3, 1, tzinfo=timezone.utc)
    ledger.ingest([{"id": "t", "type": "task.assigned", "unit": "D07", "task": "T", "title": "节点",
                    "level": "own", "method": "veto",
                    "checkpoints": [{"checkpoint": "Q1", "due": "2018-03-31"}]}], actor="office")
    projection = build_projection(ledger)
    projection.catch_up()
    assert projection.score("D07")["process"] == "100.00"
    clock.now = datetime(2018, 4, 2, tzinfo=timezone.utc)
    assert projection.score("D07")["process"] == "98.00"  # 未报: 2 points, per docs/scheme.md §3.1
    assert projection.standings(stage="process") == ledger.standings_from_log(stage="process")


def test_standings_as_of_mid_year_agree_with_each_units_score(projection, ledger):
    rows = ledger.standings_from_log(as_of="2018-07-31")
    for row in rows:
        assert row["score"] == ledger.score(row["unit"], as_of="2018-07-31")["total"]
    assert len([r for r in rows if r["group"] == "departments"]) == 45
    assert len([r for r in rows if r["group"] == "towns_zones"]) == 14


def test_concurrent_writers_and_a_projector_skip_nothing(ledger, make_ledger):
    writers = [make_ledger() for _ in range(3)]
    reader = build_projection(make_ledger())
    codes = [f"D{n:02d}" for n in range(10, 40)]

    def write(w):
        for i, code in enumerate(codes[w::3]):
            writers[w].ingest([{"id": f"w{w}-{i}", "type": "common.scored", "unit": code,
                                "indicator": "C02", "score": str(60 + i)}], actor="assessor")

    def project():
        for _ in range(15):
            reader.catch_up()

    with ThreadPoolExecutor(max_workers=4) as pool:
        jobs = [pool.submit(write, w) for w in range(3)] + [pool.submit(project)]
        for job in jobs:
            job.result()
    reader.catch_up()
    caught_up = _documents(reader)  # the view is shared by every ledger on this database
    assert all(caught_up[code]["common"] != "0.00" for code in codes)
    build_projection(ledger).rebuild()
    assert caught_up == _documents(reader)


def _while_rebuilding(projection, times, other):
    """`other()` called over and over in a thread while the projection rebuilds `times` times."""
    done, results = threading.Event(), []

    def keep_calling():
        while not done.is_set():
            results.append(other())

    with ThreadPoolExecutor(max_workers=1) as pool:
        calling = pool.submit(keep_calling)
        try:
            for _ in range(times):
                projection.rebuild()
        finally:
            done.set()
        calling.result()
    return results


def test_readers_during_a_rebuild_always_see_every_unit(projection, make_ledger):
    projection.catch_up()
    before = _documents(projection)
    reader = build_projection(make_ledger())  # another process's server, reading the same view
    seen = _while_rebuilding(projection, 4, lambda: len(reader.standings()))
    assert seen and set(seen) == {59}
    assert _documents(projection) == before


def test_a_catch_up_during_a_rebuild_does_not_fail_it(projection, ledger, make_ledger):
    projection.catch_up()
    before = _documents(projection)
    reader = build_projection(make_ledger())
    positions = _while_rebuilding(projection, 4, reader.catch_up)
    assert positions and set(positions) == {ledger.log.refresh()[-1].seq}
    assert projection.catch_up() == ledger.log.refresh()[-1].seq
    assert _documents(projection) == before


def test_a_rebuild_reports_progress_unit_by_unit(projection):
    steps = []
    projection.rebuild(progress=lambda done, total: steps.append((done, total)))
    assert steps[-1] == (59, 59)
    done = [d for d, _ in steps]
    assert len(set(done)) > 5 and done == sorted(done)


def test_a_rebuild_resolves_the_log_once_reporting_each_unit_as_it_is_scored(projection, make_ledger,
                                                                           monkeypatch):
    import kaoping.ledger.reader as reader_module

    made = []
    resolution = reader_module.Resolution

    def counting(*args, **kwargs):
        made.append(len(steps))
        return resolution(*args, **kwargs)

    monkeypatch.setattr(reader_module, "Resolution", counting)
    projection.ledger.reader.scores_cache.clear()
    steps = []
    projection.rebuild(progress=lambda done, total: steps.append((done, total)))
    assert made == [1]  # one resolution of the log, made once the rebuild has begun
    assert steps == [(done, 59) for done in range(60)]
    monkeypatch.setattr(reader_module, "Resolution", resolution)
    fresh = make_ledger()
    codes = sorted(fresh.reading_registry().units)
    assert _documents(projection) == fresh.scores(codes)


def test_a_catch_up_ends_at_the_log_as_it_began_while_writers_keep_appending(projection, ledger,
                                                                             make_ledger):
    writer, done, appended = make_ledger(), threading.Event(), []

    def append():
        while not done.is_set() and len(appended) < 300:
            writer.ingest([{"id": f"more-{len(appended)}", "type": "common.scored", "unit": "D03",
                            "indicator": "C02", "score": "70"}], actor="assessor")
            appended.append(1)

    with ThreadPoolExecutor(max_workers=1) as pool:
        appending = pool.submit(append)
        while not appended:
            threading.Event().wait(0.01)
        try:
            position = projection.catch_up(page=5)
        finally:
            done.set()
        appending.result()
    assert position < ledger.log.refresh()[-1].seq  # what came after it began is the next one's
    assert projection.catch_up() == ledger.log.refresh()[-1].seq
    # the read model holds the figures; a score shows each evidence entry's file as it is now
    assert ledger.show_files(_documents(projection)["D03"]) == ledger.score("D03")
