from kaoping.ledger.application import Ledger


def test_init_is_idempotent(make_ledger):
    ledger: Ledger = make_ledger()
    assert ledger.init() is True
    before = ledger.verify()["entries"]
    assert make_ledger().init() is False
    assert ledger.verify()["entries"] == before
    status = ledger.status()
    assert status["units"] == 59 and status["scheme_version"] == "2018.1"


def test_a_department_year_ingests_and_reingesting_appends_nothing(ledger, year):
    first = ledger.ingest(year, actor="office")
    assert first.appended == len(year) and first.duplicates == 0
    entries = ledger.verify()["entries"]
    again = ledger.ingest(year, actor="office")
    assert again.appended == 0 and again.duplicates == len(year)
    assert [r.seqs for r in again.results] == [r.seqs for r in first.results]
    report = ledger.verify()
    # the registry, the two ballot rounds and every unit an entry concerns: D03 and the others its
    # ballots rank (its office ballots rank all 45 departments, docs/scheme.md §5)
    units = {c["unit"] for c in year if "unit" in c} | {u for c in year for u in c.get("ranking", [])}
    streams = 1 + len({c["round"] for c in year if "round" in c}) + len(units)
    assert streams == 1 + 2 + 45
    assert {k: report[k] for k in ("ok", "entries", "streams", "first_bad")} == {
        "ok": True, "entries": entries, "streams": streams, "first_bad": None}


def test_a_resolved_dispute_cannot_be_voided(ledger, year):
    import pytest

    from kaoping.ledger.writer import BatchRejected

    ledger.ingest(year, actor="office")
    with pytest.raises(BatchRejected) as rejected:
        ledger.ingest([{"id": "v", "type": "entry.voided", "target": "d03-dis1", "reason": "撤回"}],
                      actor="office")
    assert rejected.value.error.field == "target" and rejected.value.error.code == "dispute.resolved_final"
    assert "裁决是最终结果" in rejected.value.error.message and "final" in rejected.value.error.message_en


def test_a_batch_larger_than_one_insert_is_stored_whole_and_in_order(ledger, year, monkeypatch):
    from kaoping.ledger import store

    monkeypatch.setattr(store, "PG_INSERT_CHUNK", 7)  # PostgreSQL inserts a batch in chunks
    result = ledger.ingest(year, actor="office")
    seqs = [s for r in result.results for s in r.seqs]
    assert len(seqs) > 7 * 3
    assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)
    in_history = [e["id"] for e in ledger.history("D03")]
    assert len(in_history) > 7 and in_history == [i["id"] for i in year if i["id"] in set(in_history)]
    assert ledger.verify()["ok"]
