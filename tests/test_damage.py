"""A ledger changed behind its back is named, never a crash: a command whose index row is gone is
not appended twice, and an entry whose bytes no longer decode stops ingest and reads with
"entry seq N cannot be read: run kaoping verify" (LedgerDamaged; HTTP 503; the CLI exits 1 with
the sentence and no traceback)."""

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from kaoping.api.cli import app
from kaoping.api.http import create_app
from kaoping.domain.errors import LedgerDamaged
from kaoping.ledger.writer import BatchRejected, ConcurrentWriteConflict
from tests.conftest import events_table, raw_execute

runner = CliRunner()


@pytest.fixture
def recorded(ledger, year):
    ledger.ingest(year, actor="office")
    return ledger


def _entries(ledger) -> int:
    return len(ledger.recorder.query("SELECT seq FROM kaoping_chain"))


def _corrupt(url, seq):
    table, seq_col = events_table(url)
    state = bytearray(raw_execute(url, f"SELECT state FROM {table} WHERE {seq_col}=%s", (seq,))[0][0])
    state[len(state) // 3] ^= 0x41
    raw_execute(url, f"UPDATE {table} SET state=%s WHERE {seq_col}=%s", (bytes(state), seq))


def _d03_seq(ledger) -> int:
    return ledger.history("D03")[5]["seq"]


def test_a_retry_of_a_command_whose_index_row_was_deleted_is_not_appended_twice(
        recorded, year, database_url, make_ledger):
    command = next(c for c in year if c.get("unit") == "D03")
    raw_execute(database_url, "DELETE FROM kaoping_commands WHERE command_id=%s", (command["id"],))
    before = _entries(recorded)
    with pytest.raises(BatchRejected) as rejected:
        make_ledger().ingest([command], actor="office")  # a fresh process: nothing cached
    assert rejected.value.error.code == "ledger.index_row_missing"
    assert "kaoping verify" in rejected.value.error.message
    assert _entries(recorded) == before
    assert recorded.verify()["commands"]["first_bad"]["id"] == command["id"]


def test_a_retry_refused_for_a_zeroed_content_hash_is_explained_by_verify(recorded, year, database_url):
    command = next(c for c in year if c.get("unit") == "D03")
    raw_execute(database_url, "UPDATE kaoping_commands SET content_hash=%s WHERE command_id=%s",
                ("0" * 64, command["id"]))
    with pytest.raises(BatchRejected):
        recorded.ingest([command], actor="office")
    bad = recorded.verify()["commands"]["first_bad"]
    assert bad["id"] == command["id"] and "content hash" in bad["reason"]


def test_a_corrupted_entry_stops_ingest_and_reads_with_its_seq(recorded, database_url, make_ledger):
    seq = _d03_seq(recorded)
    _corrupt(database_url, seq)
    fresh = make_ledger()
    for attempt in (lambda: fresh.ingest([{"id": "after", "type": "bonus.awarded", "unit": "D03",
                                           "item": "B2", "reason": "市政府通报表扬"}], actor="office"),
                    lambda: fresh.score("D03", as_of="2018-12-31"),
                    lambda: fresh.history("D03")):
        with pytest.raises((LedgerDamaged, BatchRejected)) as raised:
            attempt()
        error = raised.value.error if isinstance(raised.value, BatchRejected) else raised.value
        assert error.code == "ledger.entry_unreadable" and error.params["seq"] == seq
        assert f"第 {seq} 号条目" in error.message and "kaoping verify" in error.message


def test_the_cli_names_a_corrupted_entry_without_a_traceback(recorded, database_url):
    seq = _d03_seq(recorded)
    _corrupt(database_url, seq)
    for args in (["score", "D03", "--as-of", "2018-12-31"], ["history", "D03"]):
        result = runner.invoke(app, [*args, "--db", database_url])
        assert result.exit_code == 1
        assert f"第 {seq} 号条目" in result.output and "kaoping verify" in result.output
        assert "Traceback" not in result.output and result.exception is None or \
            isinstance(result.exception, SystemExit)


def test_http_answers_503_naming_a_corrupted_entry(recorded, database_url):
    _, token = recorded.create_token(actor="审计", role="auditor")
    seq = _d03_seq(recorded)
    _corrupt(database_url, seq)
    with TestClient(create_app(ledger=recorded), raise_server_exceptions=False) as client:
        response = client.get("/v1/units/D03/score?as_of=2018-12-31",
                              headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 503
    assert f"第 {seq} 号条目" in response.json()["detail"]["message"]


def test_after_the_newest_entry_is_deleted_an_append_is_named_not_a_conflict(recorded, database_url,
                                                                            make_ledger):
    table, seq_col = events_table(database_url)
    last = max(int(r["seq"]) for r in recorded.recorder.query("SELECT seq FROM kaoping_chain"))
    raw_execute(database_url, f"DELETE FROM {table} WHERE {seq_col}=%s", (last,))
    command = {"id": "after-delete", "type": "bonus.awarded", "unit": "D03", "item": "B2",
               "reason": "市政府通报表扬"}
    try:
        make_ledger().ingest([command], actor="office")
    except ConcurrentWriteConflict:  # what SQLite said before: retried in vain, never named
        pytest.fail("a deleted newest entry read as other writers' conflict")
    except LedgerDamaged as error:  # SQLite hands the deleted entry's seq out again
        assert error.code == "ledger.link_without_entry" and error.params["seq"] == last
        assert "kaoping verify" in error.message
    # either way (PostgreSQL appends after the gap) verify names the deleted entry
    report = recorded.verify()
    assert report["ok"] is False and report["first_bad"]["seq"] == last


def test_a_command_appended_while_verify_reads_is_not_called_a_ghost(recorded, monkeypatch):
    """verify reads the command index after its snapshot of entries and links: a command committed
    in between has its row and not yet its entries in the snapshot."""
    audit = recorded.audit
    reading = audit.index.command_rows

    def rows_after_an_append():
        recorded.ingest([{"id": "meanwhile", "type": "bonus.awarded", "unit": "D03", "item": "B2",
                          "reason": "市政府通报表扬"}], actor="office")
        return reading()

    monkeypatch.setattr(audit.index, "command_rows", rows_after_an_append)
    report = audit.verify()
    assert report["commands"]["ok"] is True, report["commands"]
