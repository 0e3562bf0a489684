"""Rewrites made behind the library's back, straight in the database, must be caught by verify."""

import pytest

from kaoping.domain.chain import ChainLink, StoredEntry, entry_hash, first_break, GENESIS
from tests.conftest import events_table, raw_execute


@pytest.fixture
def recorded(ledger, year):
    ledger.ingest(year, actor="office")
    assert ledger.verify()["ok"]
    return ledger


def _state(url, seq):
    table, seq_col = events_table(url)
    return bytes(raw_execute(url, f"SELECT state FROM {table} WHERE {seq_col}=%s", (seq,))[0][0])


def _set_state(url, seq, state):
    table, seq_col = events_table(url)
    raw_execute(url, f"UPDATE {table} SET state=%s WHERE {seq_col}=%s", (state, seq))


def _middle_seq(ledger):
    history = ledger.history("D03")
    return history[len(history) // 2]["seq"]


def test_flipping_one_byte_of_an_entry_is_named(recorded, database_url):
    seq = _middle_seq(recorded)
    state = bytearray(_state(database_url, seq))
    state[len(state) // 2] ^= 0x01
    _set_state(database_url, seq, bytes(state))
    report = recorded.verify()
    assert report["ok"] is False
    assert report["first_bad"]["seq"] == seq
    assert "modified" in report["first_bad"]["reason"]


def test_deleting_an_entry_is_named(recorded, database_url):
    seq = _middle_seq(recorded)
    table, seq_col = events_table(database_url)
    raw_execute(database_url, f"DELETE FROM {table} WHERE {seq_col}=%s", (seq,))
    report = recorded.verify()
    assert report["first_bad"]["seq"] == seq and "deleted" in report["first_bad"]["reason"]


def test_deleting_an_entry_and_its_chain_link_breaks_the_next_link(recorded, database_url):
    seq = _middle_seq(recorded)
    table, seq_col = events_table(database_url)
    raw_execute(database_url, f"DELETE FROM {table} WHERE {seq_col}=%s", (seq,))
    raw_execute(database_url, "DELETE FROM kaoping_chain WHERE seq=%s", (seq,))
    report = recorded.verify()
    assert report["ok"] is False and report["first_bad"]["seq"] == seq + 1


def test_inserting_an_entry_is_named(recorded, database_url):
    table, seq_col = events_table(database_url)
    last = recorded.verify()["entries"]
    row = raw_execute(database_url,
                      f"SELECT originator_id, originator_version, topic, state FROM {table} "
                      f"WHERE {seq_col}=%s", (_middle_seq(recorded),))[0]
    raw_execute(database_url,
                f"INSERT INTO {table} (originator_id, originator_version, topic, state) "
                "VALUES (%s, %s, %s, %s)", (row[0], 1000, row[2], bytes(row[3])))
    report = recorded.verify()
    assert report["ok"] is False
    assert report["first_bad"]["seq"] > last and "inserted" in report["first_bad"]["reason"]


def test_swapping_two_entries_is_named_at_the_first(recorded, database_url):
    history = recorded.history("D03")
    first, second = history[3]["seq"], history[4]["seq"]
    a, b = _state(database_url, first), _state(database_url, second)
    _set_state(database_url, first, b)
    _set_state(database_url, second, a)
    assert recorded.verify()["first_bad"]["seq"] == first


def test_rewriting_a_chain_hash_is_named(recorded, database_url):
    seq = _middle_seq(recorded)
    raw_execute(database_url, "UPDATE kaoping_chain SET hash=%s WHERE seq=%s", ("f" * 64, seq))
    assert recorded.verify()["first_bad"]["seq"] == seq


def test_the_cli_exits_1_and_names_the_entry(recorded, database_url):
    from typer.testing import CliRunner

    from kaoping.api.cli import app

    seq = _middle_seq(recorded)
    state = bytearray(_state(database_url, seq))
    state[-2] ^= 0x20
    _set_state(database_url, seq, bytes(state))
    result = CliRunner().invoke(app, ["verify", "--db", database_url])
    assert result.exit_code == 1
    assert f"seq {seq}" in result.output


def _links(states):
    entries, links, previous = [], [], GENESIS
    for seq, state in enumerate(states, start=1):
        digest = entry_hash(seq=seq, stream="s", version=seq, topic="t", state=state, prev_hash=previous,
                            global_prev_hash=previous)
        entries.append(StoredEntry(seq, "s", seq, "t", state))
        links.append(ChainLink(seq, "s", "s", seq, digest, previous, previous))
        previous = digest
    return entries, links


def test_an_untouched_chain_has_no_break():
    entries, links = _links([b"a", b"b", b"c"])
    assert first_break(entries, links) is None


def test_the_lowest_bad_seq_is_reported_when_several_are_bad():
    entries, links = _links([b"a", b"b", b"c", b"d"])
    entries[2] = StoredEntry(3, "s", 3, "t", b"x")
    entries.append(StoredEntry(9, "s", 9, "t", b"y"))
    assert first_break(entries, links).seq == 3
