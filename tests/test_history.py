"""A unit's history (docs/commands.md §3 "与单位有关的记录" and `kaoping history`), on both databases."""

from datetime import datetime, timedelta
from decimal import Decimal

import pytest

from kaoping.domain.chain import GENESIS

KEYS = {"seq", "id", "type", "recorded_at", "appended_at", "actor", "payload", "hash", "prev_hash",
        "voided_by"}


def by_id(history):
    return {entry["id"]: entry for entry in history}


@pytest.fixture
def year_ledger(ledger, year):
    ledger.ingest(year, actor="office")
    return ledger


def test_a_ballot_is_one_entry_in_its_round_and_in_each_ranked_unit(ledger):
    before = ledger.verify()
    # a leader's ballot: an office ballot would rank all 45 departments (docs/scheme.md §5)
    ballot = {"id": "b1", "type": "ballot.cast", "round": "half_year", "kind": "leader",
              "rater": "副县长甲", "group": "departments", "ranking": ["D03", "D04", "D05"]}
    seqs = ledger.ingest([ballot], actor="office").results[0].seqs
    assert len(seqs) == 1 + 3 and len(set(seqs)) == 4
    in_units = []
    for code in ("D03", "D04", "D05"):
        entries = [e for e in ledger.history(code) if e["id"] == "b1"]
        assert len(entries) == 1 and entries[0]["type"] == "ballot.cast"
        assert entries[0]["payload"]["ranking"] == ["D03", "D04", "D05"]
        in_units.append(entries[0]["seq"])
    assert set(in_units) < set(seqs)  # the one seq left is the round stream's entry
    assert ledger.history("D06") == []
    after = ledger.verify()
    assert after["entries"] == before["entries"] + 4 and after["streams"] == before["streams"] + 4


def test_history_is_oldest_first_with_the_contract_keys(year_ledger, year):
    history = year_ledger.history("D03")
    assert history and all(KEYS <= set(entry) for entry in history)
    seqs = [entry["seq"] for entry in history]
    assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)
    # exactly the commands concerning D03: its own, the ballots ranking it, and what acts on those
    concerning = [c["id"] for c in year
                  if c.get("unit") == "D03" or "D03" in c.get("ranking", [])
                  or c["id"] in {"d03-dis1-r", "d03-void1", "d03-dis2-r"}]
    assert [entry["id"] for entry in history] == concerning  # the file is in ledger order
    assert "d04-f1" not in by_id(history)  # another unit's funding is not D03's history


def test_each_entry_links_to_the_previous_one_of_the_history(year_ledger):
    history = year_ledger.history("D03")
    assert history[0]["prev_hash"] == GENESIS
    for previous, entry in zip(history, history[1:]):
        assert entry["prev_hash"] == previous["hash"]
    assert len({entry["hash"] for entry in history}) == len(history)


def test_voided_by_names_the_void_or_the_upheld_resolution(year_ledger):
    history = by_id(year_ledger.history("D03"))
    assert history["d03-c4"]["voided_by"] == "d03-void1"  # entry.voided
    assert history["d03-p1"]["voided_by"] == "d03-dis1-r"  # dispute upheld
    assert history["d03-v2"]["voided_by"] is None  # dispute rejected
    assert history["d03-c5"]["voided_by"] is None and history["d03-void1"]["voided_by"] is None
    assert history["d03-dis1-r"]["type"] == "dispute.resolved"


def test_a_voided_ballot_is_marked_in_every_ranked_unit(ledger):
    ledger.ingest([
        {"id": "b1", "type": "ballot.cast", "round": "year_end", "kind": "leader", "rater": "副县长甲",
         "group": "towns_zones", "ranking": ["T01", "Z02"]},
        {"id": "v1", "type": "entry.voided", "target": "b1", "reason": "投错"},
    ], actor="office")
    for code in ("T01", "Z02"):
        history = by_id(ledger.history(code))
        assert history["b1"]["voided_by"] == "v1"
        assert history["v1"]["type"] == "entry.voided" and history["v1"]["voided_by"] is None


def test_a_backdated_entry_is_marked_and_keeps_both_times(ledger, clock):
    ledger.ingest([
        {"id": "old", "type": "penalty.imposed", "unit": "D03", "item": "P7", "reason": "暗访",
         "recorded_at": "2018-09-10T10:00:00+08:00"},
        {"id": "new", "type": "penalty.imposed", "unit": "D03", "item": "P6", "reason": "暗访"},
    ], actor="office")
    history = by_id(ledger.history("D03"))
    old, new = history["old"], history["new"]
    assert old["backdated"] is True and new["backdated"] is False
    assert datetime.fromisoformat(old["recorded_at"]) == datetime.fromisoformat("2018-09-10T10:00:00+08:00")
    for entry in (old, new):
        assert datetime.fromisoformat(entry["appended_at"]) == clock.now
    assert datetime.fromisoformat(new["recorded_at"]) == clock.now


def test_appended_at_is_the_ledger_clock_at_append(ledger, clock):
    ledger.ingest([{"id": "a", "type": "penalty.imposed", "unit": "D03", "item": "P7", "reason": "暗访"}], actor="office")
    first_now = clock.now
    clock.now = first_now + timedelta(hours=3)
    ledger.ingest([{"id": "b", "type": "penalty.imposed", "unit": "D03", "item": "P6", "reason": "暗访"}], actor="office")
    history = by_id(ledger.history("D03"))
    assert datetime.fromisoformat(history["a"]["appended_at"]) == first_now
    assert datetime.fromisoformat(history["b"]["appended_at"]) == clock.now


def test_the_actor_is_the_one_passed_or_the_commands_own(ledger):
    ledger.ingest([{"id": "a", "type": "penalty.imposed", "unit": "D03", "item": "P7", "reason": "暗访"}], actor="考评办张")
    ledger.ingest([{"id": "b", "type": "penalty.imposed", "unit": "D03", "item": "P6", "reason": "暗访", "actor": "李四"}],
                  actor="考评办张")
    history = by_id(ledger.history("D03"))
    assert history["a"]["actor"] == "考评办张"
    assert history["b"]["actor"] == "李四"


def test_the_payload_is_the_command_without_its_meta_fields(ledger):
    ledger.ingest([{"id": "s", "type": "common.scored", "unit": "D03", "indicator": "C02", "score": 92.50,
                    "actor": "评分人", "recorded_at": "2018-08-15T10:00:00+08:00"}], actor="office")
    entry = ledger.history("D03")[0]
    assert entry["type"] == "common.scored"
    assert set(entry["payload"]) == {"unit", "indicator", "score"}
    assert Decimal(entry["payload"]["score"]) == Decimal("92.5")


def test_voided_by_keeps_the_first_void_when_an_upheld_dispute_comes_later(ledger):
    ledger.ingest([
        {"id": "p", "type": "penalty.imposed", "unit": "D03", "item": "P7", "reason": "暗访"},
        {"id": "df", "type": "dispute.filed", "unit": "D03", "dispute": "DIS", "target": "p", "reason": "异议"},
        {"id": "v", "type": "entry.voided", "target": "p", "reason": "录入错误"},
        {"id": "dr", "type": "dispute.resolved", "dispute": "DIS", "outcome": "upheld", "reason": "属实"},
    ], actor="office")
    assert by_id(ledger.history("D03"))["p"]["voided_by"] == "v"  # voided from v on, not from dr


def test_the_console_is_shown_only_on_entries_recorded_at_one(ledger, year, database_url, clock):
    from fastapi.testclient import TestClient

    from kaoping.api.bootstrap import build_ledger
    from kaoping.api.http import create_app
    from kaoping.ledger.settings import Settings

    ledger.ingest(year[:5], actor="office")  # over HTTP, or before consoles were recorded
    console = build_ledger(Settings(database_url=database_url), clock=clock, console="clerk7")
    try:
        console.ingest(year[5:10], actor="office")
    finally:
        console.close()
    history = ledger.history("D03")
    assert [e.get("console") for e in history] == [None] * 5 + ["clerk7"] * 5
    assert all("console" not in e for e in history[:5])  # old entries read exactly as before
    _, token = ledger.create_token(actor="审计组", role="auditor")
    with TestClient(create_app(ledger=ledger)) as http:
        got = http.get("/v1/units/D03/history", headers={"Authorization": f"Bearer {token}"}).json()
        assert [e.get("console") for e in got] == [e.get("console") for e in history]
        http.post("/signin", data={"token": token, "next": "/"})
        page = http.get("/units/D03").text
    assert page.count("命令行登记，系统用户 clerk7") == 5
