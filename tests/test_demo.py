"""The simulated year (`kaoping.demo`): deterministic, valid, and accepted whole by the ledger."""

from __future__ import annotations

import hashlib
import json
import time
from collections import Counter
from datetime import date, datetime, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from kaoping.api.bootstrap import build_ledger
from kaoping.demo import demo_year
from kaoping.domain.commands import COMMAND_TYPES, parse_command
from kaoping.ledger.application import Ledger
from kaoping.ledger.settings import Settings

UNITS = [f"D{i:02d}" for i in range(1, 46)] + [f"T{i:02d}" for i in range(1, 11)] + \
    [f"Z{i:02d}" for i in range(1, 5)]
INDICATORS = [f"C{i:02d}" for i in range(1, 26)]


@pytest.fixture(scope="module")
def year() -> list[dict[str, Any]]:
    return demo_year()


def sqlite_ledger(tmp_path: Path) -> Ledger:
    ledger = build_ledger(Settings(database_url=f"sqlite:///{tmp_path / 'demo.db'}"),
                          clock=lambda: datetime(2019, 3, 1, tzinfo=timezone.utc))
    ledger.init()
    return ledger


def units_of(cmd: dict[str, Any]) -> set[str]:
    if "unit" in cmd:
        return {cmd["unit"]}
    if cmd["type"] == "ballot.cast":
        return set(cmd["ranking"]) | ({cmd["rater"]} if cmd["kind"] == "mutual" else set())
    return set()


def test_same_seed_same_year_other_seed_other_year(year: list[dict[str, Any]]) -> None:
    again = demo_year(2018)
    assert json.dumps(again, ensure_ascii=False) == json.dumps(year, ensure_ascii=False)
    assert demo_year(2019) != year
    assert demo_year(7) == demo_year(7)


# Digests taken from the generator before it moved out of kaoping.ledger: a change to the code that
# draws a year, or to its sample content, must not change a single command of any year.
@pytest.mark.parametrize(("seed", "scale", "actors", "digest"), [
    (2018, 1, False, "bf4df89d776dbe39c2a9da0ce2fd7baea272c8952f0e22034d5e702b52ff61aa"),
    (7, 2, False, "14c0eb72c11da7eadbff234e18a021909c1374e91b5561398089933b3c9d4536"),
    (2018, 1, True, "78cb4172560617216e12112ed6da73e170a9809a519b5ad89e20341bc475cf78"),
])
def test_the_year_is_pinned_byte_for_byte(seed: int, scale: int, actors: bool, digest: str) -> None:
    # the half-year publication (公示) and the units' void requests came later, drawing nothing:
    # without them, the year is the same
    later = {"results.published", "void.requested"}
    year = [c for c in demo_year(seed=seed, scale=scale, actors=actors) if c["type"] not in later]
    canonical = json.dumps(year, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    assert hashlib.sha256(canonical.encode("utf-8")).hexdigest() == digest


def test_each_void_of_a_report_answers_the_unit_s_request_for_it() -> None:
    year = demo_year(seed=2018)
    requests = {c["target"]: c for c in year if c["type"] == "void.requested"}
    voided = {c["target"]: c for c in year if c["type"] == "entry.voided" and c["target"] in requests}
    assert requests and voided.keys() == requests.keys()
    by_id = {c["id"]: c for c in year}
    for target, request in requests.items():
        assert request["unit"] == by_id[target]["unit"]
        assert by_id[target]["recorded_at"] < request["recorded_at"] < voided[target]["recorded_at"]


def test_the_half_year_publication_starts_a_batch_of_its_own() -> None:
    year = demo_year(seed=2018)
    (publication,) = [c for c in year if c["type"] == "results.published"]
    assert publication["stage"] == "half_year" and publication["recorded_at"].startswith("2018-07-31")
    from kaoping.demo import in_batches

    batches = in_batches(year)
    assert [len(b) for b in batches] and sum(len(b) for b in batches) == len(year)
    assert batches[1][0] is publication and all(c["recorded_at"] <= publication["recorded_at"]
                                                for c in batches[0])


def test_every_command_parses_and_ids_are_unique(year: list[dict[str, Any]]) -> None:
    for cmd in year:
        parse_command(cmd)
    ids = [cmd["id"] for cmd in year]
    assert len(ids) == len(set(ids))
    assert all(i.startswith("demo-") for i in ids)
    assert 4_000 <= len(year) <= 12_000


def test_recorded_at_ascends_within_the_year(year: list[dict[str, Any]]) -> None:
    moments = [datetime.fromisoformat(cmd["recorded_at"]) for cmd in year]
    assert moments == sorted(moments)
    assert all(cmd["recorded_at"].endswith("+08:00") for cmd in year)
    assert moments[0] >= datetime.fromisoformat("2018-01-01T00:00:00+08:00")
    # the year-end round closes in January; nothing after 2019-01-14 (the shared test clock)
    assert moments[-1] < datetime.fromisoformat("2019-01-15T00:00:00+08:00")
    closes = {cmd["round"]: cmd["recorded_at"][:10] for cmd in year if cmd["type"] == "round.closed"}
    assert closes["half_year"].startswith("2018-07") and closes["year_end"].startswith("2019-01")


def test_the_year_has_everything(year: list[dict[str, Any]]) -> None:
    types = Counter(cmd["type"] for cmd in year)
    assert set(types) == set(COMMAND_TYPES)
    assert set().union(*(units_of(cmd) for cmd in year)) == set(UNITS)
    for code in UNITS:  # every unit has tasks, reports and all 25 common indicators
        mine = [cmd for cmd in year if cmd.get("unit") == code]
        assert {cmd["type"] for cmd in mine} >= {"task.assigned", "checkpoint.reported", "common.scored"}
        assert {cmd["indicator"] for cmd in mine if cmd["type"] == "common.scored"} == set(INDICATORS)
    tasks = [cmd for cmd in year if cmd["type"] == "task.assigned"]
    assert {t["method"] for t in tasks} == {"completion_ratio", "direct_deduction", "veto", "cumulative"}
    assert {t["level"] for t in tasks} == {"provincial", "municipal", "own", "county"}
    per_department = Counter(t["unit"] for t in tasks if t["unit"].startswith("D"))
    assert any(n < 5 for n in per_department.values())
    verified = Counter(cmd["outcome"] for cmd in year if cmd["type"] == "evidence.verified")
    assert verified["falsified"] == 1 and verified["discrepancy"] > 0 and verified["confirmed"] > 0
    assert {cmd["method"] for cmd in year if cmd["type"] == "evidence.verified"} == {"online", "on_site"}
    outcomes = {cmd["outcome"] for cmd in year if cmd["type"] == "dispute.resolved"}
    assert outcomes == {"upheld", "rejected"}
    kinds = Counter((cmd["round"], cmd["kind"]) for cmd in year if cmd["type"] == "ballot.cast")
    assert {k for k, _ in kinds} == {"half_year", "year_end"} and {k for _, k in kinds} == {
        "leader", "office", "mutual"}
    for cmd in year:
        if cmd["type"] == "bonus.awarded" and cmd["item"] in ("B11", "B12"):
            assert "count" not in cmd and Decimal("0.1") <= Decimal(cmd["points"]) <= Decimal("0.2")
        if cmd["type"] == "checkpoint.reported":
            assert date.fromisoformat(cmd["reported_on"]) <= date.fromisoformat(cmd["recorded_at"][:10])


def test_leaders_partition_the_units(year: list[dict[str, Any]]) -> None:
    for round_ in ("half_year", "year_end"):
        latest: dict[tuple[str, str], list[str]] = {}
        for cmd in year:
            if cmd["type"] == "ballot.cast" and cmd["round"] == round_ and cmd["kind"] == "leader":
                latest[(cmd["rater"], cmd["group"])] = cmd["ranking"]
        ranked = [code for ranking in latest.values() for code in ranking]
        assert sorted(ranked) == sorted(UNITS)


def test_scale_multiplies_the_per_unit_entries(year: list[dict[str, Any]]) -> None:
    bigger = demo_year(scale=3)
    small, large = Counter(c["type"] for c in year), Counter(c["type"] for c in bigger)
    for kind in ("task.assigned", "checkpoint.reported", "task.assessed"):
        assert 2.5 * small[kind] <= large[kind] <= 3.5 * small[kind]
    assert large["common.scored"] == small["common.scored"]
    assert sum(c["outcome"] == "falsified" for c in bigger if c["type"] == "evidence.verified") == 1
    with pytest.raises(ValueError):
        demo_year(scale=0)


def test_the_whole_year_ingests_in_one_batch_and_again_as_duplicates(
        tmp_path: Path, year: list[dict[str, Any]]) -> None:
    ledger = sqlite_ledger(tmp_path)
    try:
        started = time.perf_counter()
        result = ledger.ingest(year, actor="office")
        elapsed = time.perf_counter() - started
        assert result.appended == len(year) and result.duplicates == 0
        assert elapsed < 60, f"ingesting {len(year)} commands took {elapsed:.1f}s"
        entries = ledger.verify()
        assert entries["ok"]
        again = ledger.ingest(year, actor="office")
        assert again.appended == 0 and again.duplicates == len(year)
        assert ledger.verify()["entries"] == entries["entries"]
        for code in ("D01", "T01", "Z04"):
            assert ledger.history(code)
        score = ledger.score("D03")
        assert score["total"] != "0.00"
    finally:
        ledger.close()


def test_the_year_with_actors_ingests(tmp_path: Path) -> None:
    year = demo_year(11, actors=True)
    assert all(cmd.get("actor") for cmd in year)
    ledger = sqlite_ledger(tmp_path)
    try:
        assert ledger.ingest(year, actor="office").appended == len(year)
    finally:
        ledger.close()


def test_the_year_ingests_on_every_backend(ledger: Ledger) -> None:
    """Through the shared fixture (SQLite and PostgreSQL, clock at 2019-01-15)."""
    year = demo_year(5)
    assert ledger.ingest(year, actor="office").appended == len(year)
    assert ledger.ingest(year, actor="office").appended == 0
