"""The read side's shortcuts give what the plain definition gives.

The definition: a unit's score is `score_unit` over the whole ledger in seq order at the cutoff
(domain/scoring.py). The shortcuts: the entry log's stream index (`relevant_to` as a merge of short
lists), one resolution of the log shared by every unit at a cutoff (`scoring.counted`), the reader's
score cache and shared registry, and the read model's cheap catch-up and batched rebuild.
"""

from __future__ import annotations

import json
from datetime import timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from kaoping.demo import demo_year
from kaoping.domain.relevance import StreamIndex, moves_others, relevant_to
from kaoping.domain.scoring import counted, make_cutoff, score_unit
from kaoping.domain.standings import by_group, pending_for
from kaoping.domain.moments import parse_as_of
from kaoping.api.bootstrap import build_projection
from scoring_helpers import END_OF_YEAR, SCHEME, TZ, UNITS
from test_scoring_properties import ledgers

BOUNDED = settings(max_examples=40, deadline=None)
SCORED = ["D01", "D02", "D03", "D04", "T01", "Z01"]


def _index(entries):
    index = StreamIndex()
    for entry in entries:
        index.add(entry)
    return index


@BOUNDED
@given(ledgers.filter(lambda ledger: bool(ledger.entries)), st.data())
def test_the_stream_index_gives_the_relevant_entries_of_any_prefix(ledger, data):
    index = _index(ledger.entries)
    upto = data.draw(st.none() | st.integers(0, ledger.last_seq + 1))
    prefix = [e for e in ledger.entries if upto is None or e.seq <= upto]
    for code in SCORED:
        expected = relevant_to(UNITS[code], UNITS, prefix)
        assert index.relevant_to(UNITS[code], UNITS, upto) == expected
        assert index.relevant_position(UNITS[code], UNITS, upto) == (expected[-1].seq if expected else 0)
    for stream in {e.stream for e in ledger.entries}:
        assert index.stream(stream, upto) == [e for e in prefix if e.stream == stream]


@BOUNDED
@given(ledgers.filter(lambda ledger: bool(ledger.entries)), st.data())
def test_relevant_entries_and_a_shared_resolution_score_as_the_whole_ledger(ledger, data):
    upto = data.draw(st.none() | st.integers(1, ledger.last_seq))
    as_of = data.draw(st.none() | st.sampled_from([e.recorded_at for e in ledger.entries]))
    cutoff = make_cutoff(ledger.entries, as_of=as_of, upto=upto, tz=TZ, today=END_OF_YEAR)
    resolved = counted(ledger.entries, cutoff)
    index = _index(ledger.entries)
    for code in SCORED:
        unit = UNITS[code]
        whole = score_unit(unit, UNITS, ledger.entries, SCHEME, cutoff).as_json(unit)
        assert score_unit(unit, UNITS, relevant_to(unit, UNITS, ledger.entries), SCHEME,
                          cutoff).as_json(unit) == whole
        assert score_unit(unit, UNITS, (), SCHEME, cutoff, resolved=resolved).as_json(unit) == whole
        assert score_unit(unit, UNITS, index.relevant_to(unit, UNITS, upto), SCHEME,
                          cutoff).as_json(unit) == whole


# -- the ledger's reading methods on the demo year, SQLite and PostgreSQL ---------------------------
def _reference(ledger, code, *, as_of=None, upto=None):
    """`score` by the definition: the whole log, no index, no cache, the registry read afresh."""
    registry = ledger.registry()
    unit = registry.unit(code)
    entries = list(ledger.log.refresh())
    moment = parse_as_of(as_of, ledger.settings.zone) if as_of is not None else None
    cutoff = make_cutoff(entries, as_of=moment, upto=upto, tz=ledger.settings.zone, today=ledger.today())
    known = moment or ([e for e in entries if e.seq <= upto][-1].recorded_at if upto else ledger.clock())
    return score_unit(unit, registry.units, entries, registry.scheme_at(known), cutoff,
                      indicators=registry.indicators).as_json(unit, as_of=as_of, upto=upto)


def _reference_replay(ledger, code):
    """`replay` as first written: every entry of the whole log, a full score after each."""
    registry = ledger.registry()
    unit = registry.unit(code)
    entries = ledger.log.refresh()
    own = f"unit:{code}"
    in_own_stream = {e.id for e in entries if e.stream == own}
    rows, previous = [], None
    for entry in entries:
        if entry.stream != own:
            others = moves_others(entry, registry.units)
            if entry.id in in_own_stream or not (others is None or unit.code in others):
                continue
        total = _reference(ledger, code, upto=entry.seq)["total"]
        if entry.stream == own or total != previous:
            rows.append({"seq": entry.seq, "id": entry.id, "type": entry.type, "total": total})
        previous = total
    return rows


def _documents(projection):
    return {row.unit: json.loads(row.document) for row in projection.view.rows()}


def test_cached_indexed_and_batched_scores_equal_the_definition_on_the_demo_year(ledger, make_ledger):
    ledger.ingest(demo_year(2018), actor="office")
    codes = sorted(ledger.registry().units)
    reference = {code: _reference(ledger, code) for code in codes}
    # `score` shows each evidence entry's file as it is now (`show_files`), added when shown and
    # never cached with the figures; `scores` and the read model hold the figures alone
    shown = {code: ledger.show_files(document) for code, document in reference.items()}

    # one at a time: a cache miss, then a hit, then a miss again after the cache is emptied
    assert {code: ledger.score(code) for code in codes} == shown
    assert {code: ledger.score(code) for code in codes} == shown
    assert ledger.reader.scores_cache.hits >= len(codes)
    ledger.reader.scores_cache.clear()
    assert ledger.scores(codes) == reference  # all at once, from one resolution of the log
    assert ledger.scores(codes) == reference
    documents = ledger.score("D03")
    documents["explanation"]["children"].clear()  # a caller changing its copy changes no other
    assert ledger.score("D03") == shown["D03"]

    for stage, figure in (("annual", "total"), ("process", "process"), ("half_year", "half_year_comp")):
        expected = [{**row, "pending": pending_for(figure, reference[row["unit"]]["pending"])}
                    for row in by_group((d["group"], code, d["name"], d[figure]) for code, d in reference.items())]
        assert ledger.standings_from_log(stage=stage) == expected

    # as of mid-year and up to a seq: the figures of that moment, cached apart from today's
    middle = ledger.log.refresh()[len(ledger.log.refresh()) // 2].seq
    for kwargs in ({"as_of": "2018-07-31"}, {"upto": middle}, {"as_of": "2018-03-31T12:00:00+08:00"}):
        expected = {code: _reference(ledger, code, **kwargs) for code in ("D03", "D17", "T01", "Z04")}
        expected = {code: ledger.show_files(document) for code, document in expected.items()}
        assert {code: ledger.score(code, **kwargs) for code in expected} == expected
        assert {code: ledger.score(code, **kwargs) for code in expected} == expected
    mid_year = {code: _reference(ledger, code, as_of="2018-07-31") for code in codes}
    assert ledger.standings_from_log(as_of="2018-07-31") == [
        {**row, "pending": pending_for("total", mid_year[row["unit"]]["pending"])}
        for row in by_group((d["group"], code, d["name"], d["total"]) for code, d in mid_year.items())]
    assert ledger.scores(codes, as_of="2018-07-31") == mid_year

    # the read model: page by page, rebuilt, and from the log all agree
    projection = build_projection(make_ledger())  # a reader of its own, with empty caches
    projection.catch_up(page=700)
    incremental = _documents(projection)
    projection.ledger.reader.scores_cache.clear()
    projection.rebuild()
    assert _documents(projection) == incremental == reference
    assert projection.standings() == ledger.standings_from_log()

    # a new entry moves only what it concerns; the cache does not hide it
    ledger.ingest([{"id": "late-bonus", "type": "bonus.awarded", "unit": "D03", "item": "B1",
                    "reason": "x"}], actor="office")
    assert ledger.score("D03") == ledger.show_files(_reference(ledger, "D03"))
    assert ledger.score("D04") == shown["D04"]
    projection.catch_up()
    assert _documents(projection)["D03"] == _reference(ledger, "D03")


def test_replay_equals_replay_over_the_whole_log(ledger):
    ledger.ingest(demo_year(2018), actor="office")
    for code in ("D03", "Z02"):
        assert ledger.replay(code) == _reference_replay(ledger, code)


def test_the_readers_registry_follows_new_registry_entries(ledger, clock):
    first = ledger.reading_registry()
    assert ledger.reading_registry() is first  # nothing new: the same, not a copy
    clock.now = clock.now + timedelta(minutes=1)
    ledger.amend_scheme({"version": "2018.9", "total": {"bonus_cap": "4"}})
    assert ledger.reading_registry().scheme.version == "2018.9"
    assert ledger.score("D01")["scheme_version"] == "2018.9"
    before = (clock.now - timedelta(minutes=2)).isoformat()
    assert ledger.score("D01", as_of=before)["scheme_version"] == first.scheme.version


def test_catch_up_with_nothing_new_writes_nothing(ledger, year, monkeypatch):
    ledger.ingest(year, actor="office")
    projection = build_projection(ledger)
    projection.catch_up()
    writes = []
    monkeypatch.setattr(projection.view, "write", lambda rows, tracking: writes.append(rows))
    position = projection.view.position()
    assert projection.catch_up() == position
    assert projection.standings() == ledger.standings_from_log()
    assert writes == []


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 8), st.integers(1, 5)), max_size=60))
def test_the_result_cache_gives_what_was_put_and_stays_within_its_weight(puts):
    from kaoping.ledger.entry_log import ResultCache

    cache, latest = ResultCache(max_weight=10), {}
    for key, weight in puts:
        cache.put(key, (key, weight), weight)
        latest[key] = (key, weight)
        assert cache._weight <= 10
        assert cache.get(key) == latest[key]  # the newest value, never a stale one
    for key in latest:
        assert cache.get(key) in (None, latest[key])
