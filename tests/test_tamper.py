"""Rewrites made behind the library's back, straight in the database, must be caught by verify."""

import pytest

from kaoping.domain.chain import ChainLink, ChainWalk, StoredEntry, entry_hash, first_break, GENESIS
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


def walked(entries, links):
    """`ChainWalk`'s answer: the entries handed in one at a time, in seq order, as verify reads them."""
    walk = ChainWalk(links)
    for entry in sorted(entries, key=lambda e: e.seq):
        walk.add(entry)
    return walk.result()


@pytest.mark.parametrize("edit", ["none", "modified", "deleted", "deleted_last", "inserted", "moved",
                                  "two_bad", "link_gone"])
def test_the_walk_one_entry_at_a_time_finds_what_first_break_finds(edit):
    entries, links = _links([b"a", b"b", b"c", b"d", b"e"])
    if edit == "modified":
        entries[1] = StoredEntry(2, "s", 2, "t", b"x")
    elif edit == "deleted":
        del entries[2]
    elif edit == "deleted_last":
        del entries[-1]
    elif edit == "inserted":
        entries.append(StoredEntry(7, "s", 6, "t", b"y"))
    elif edit == "moved":
        entries[3] = StoredEntry(4, "s", 9, "t", b"d")
    elif edit == "two_bad":
        entries[3] = StoredEntry(4, "s", 4, "t", b"x")
        entries.insert(1, StoredEntry(2, "s", 2, "t", b"y"))
        del entries[2]
    elif edit == "link_gone":
        del links[2]
    expected = first_break(entries, links)
    assert (edit == "none") is (expected is None)
    assert walked(entries, links) == expected


# -- the tamper suite: every table, every column, on both stores -----------------------------------
#
# One recorded ledger per store (the D03 year, its read model caught up), copied for each tamper:
# a file copy on SQLite, `CREATE DATABASE … TEMPLATE` on PostgreSQL, so the table runs in seconds.

import shutil
from dataclasses import dataclass
from typing import Any, Callable

import psycopg

from kaoping.api.bootstrap import bootstrap
from kaoping.ledger.export import export_line, verify_export
from kaoping.ledger.settings import Settings
from tests.conftest import _pg_url, load_year
from conftest import database_name


@dataclass
class Recorded:
    url: str
    key: bytes
    seqs: dict[str, Any]


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def template(request, tmp_path_factory):
    """A closed ledger holding the D03 year, and the facts tampers aim at (seqs, ids)."""
    folder = tmp_path_factory.mktemp(f"template-{request.param}")
    if request.param == "sqlite":
        url = f"sqlite:///{folder / 'ledger.db'}"
    else:
        admin = request.getfixturevalue("postgres_admin")
        name = database_name("tpl")
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        url = _pg_url(admin, name)
    key = folder / "key"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("KAOPING_SIGNING_KEY", str(key))
        services = bootstrap(Settings(database_url=url))
        services.ledger.init()
        services.ledger.ingest(load_year(), actor="office")
        services.projection.catch_up()
        history = services.ledger.history("D03")
        facts = {"middle": history[len(history) // 2]["seq"], "d03_first": history[0]["seq"],
                 "last": services.ledger.verify()["entries"],
                 "command": history[len(history) // 2]["id"],
                 "other_stream": history[0]["seq"]}
        facts["last"] = max(int(r["seq"]) for r in services.ledger.recorder.query(
            "SELECT seq FROM kaoping_chain"))
        assert services.verify()["ok"]
        services.close()
    yield Recorded(url, key.read_bytes(), facts)
    if request.param == "postgres":
        with psycopg.connect(request.getfixturevalue("postgres_admin"), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)')


@pytest.fixture
def copy(template, tmp_path, signing_key):
    """A copy of the template ledger, signed with its key: (url, facts)."""
    signing_key.write_bytes(template.key)
    signing_key.chmod(0o600)
    if template.url.startswith("sqlite:///"):
        target = tmp_path / "copy.db"
        shutil.copy(template.url.removeprefix("sqlite:///"), target)
        yield f"sqlite:///{target}", template.seqs
        return
    admin = template.url.rsplit("/", 1)[0] + "/postgres"
    name = database_name("copy")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template.url.rsplit("/", 1)[1]}"')
    try:
        yield _pg_url(admin, name), template.seqs
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _events(url: str) -> tuple[str, str, str]:
    table, seq = events_table(url)
    return table, seq, "originator_version"


def _flip_byte(url: str, f: dict[str, Any]) -> None:
    state = bytearray(_state(url, f["middle"]))
    state[len(state) // 2] ^= 0x01
    _set_state(url, f["middle"], bytes(state))


def _event_sql(template_sql: str) -> Callable[[str, dict[str, Any]], None]:
    def tamper(url: str, f: dict[str, Any]) -> None:
        table, seq, _ = _events(url)
        raw_execute(url, template_sql.format(table=table, seq=seq, **f))
    return tamper


#: hashes of the right form that are not the ledger's
FORGED = {f"hex_{c}": c * 64 for c in "0aef"}


def _sql(statement: str) -> Callable[[str, dict[str, Any]], None]:
    def tamper(url: str, f: dict[str, Any]) -> None:
        raw_execute(url, statement.format(**f, **FORGED))
    return tamper


# (name, tamper, the section of the report that names it, words its reason holds)
LEDGER_TAMPERS = [
    ("event bytes changed", _flip_byte, "first_bad", "modified"),
    ("event deleted", _event_sql("DELETE FROM {table} WHERE {seq}={middle}"), "first_bad", "deleted"),
    ("newest event deleted, its link left", _event_sql("DELETE FROM {table} WHERE {seq}={last}"),
     "first_bad", "deleted"),
    ("event version edited", _event_sql(
        "UPDATE {table} SET originator_version=originator_version+1000 WHERE {seq}={middle}"),
     "first_bad", "moved"),
    ("event topic edited", _event_sql("UPDATE {table} SET topic=topic||'x' WHERE {seq}={middle}"),
     "first_bad", "modified"),
    ("event moved to another stream", _event_sql(
        "UPDATE {table} SET originator_id=(SELECT originator_id FROM {table} WHERE {seq}=1), "
        "originator_version=originator_version+5000 WHERE {seq}={last}"), "first_bad", "moved"),
    ("chain link deleted", _sql("DELETE FROM kaoping_chain WHERE seq={middle}"), "first_bad", ""),
    ("chain hash edited", _sql("UPDATE kaoping_chain SET hash='{hex_f}' WHERE seq={middle}"),
     "first_bad", ""),
    ("chain prev_hash edited", _sql(
        "UPDATE kaoping_chain SET prev_hash='{hex_e}' WHERE seq={middle}"), "first_bad", ""),
    ("chain global_prev_hash edited", _sql(
        "UPDATE kaoping_chain SET global_prev_hash='{hex_e}' WHERE seq={middle}"),
     "first_bad", "broken"),
    ("chain stream edited", _sql("UPDATE kaoping_chain SET stream='unit:D04' WHERE seq={middle}"),
     "first_bad", ""),
    ("chain version edited", _sql("UPDATE kaoping_chain SET version=version+1000 WHERE seq={middle}"),
     "first_bad", "moved"),
    ("chain originator edited", _sql(
        "UPDATE kaoping_chain SET originator_id=(SELECT originator_id FROM kaoping_chain WHERE seq=1), "
        "version=version+5000 WHERE seq={last}"), "first_bad", "moved"),
    ("chain command_id edited", _sql(
        "UPDATE kaoping_chain SET command_id='forged' WHERE seq={middle}"), "first_bad",
     "command id"),
    ("chain seq edited", _sql("UPDATE kaoping_chain SET seq=seq+100000 WHERE seq={middle}"),
     "first_bad", ""),
    ("command row deleted", _sql("DELETE FROM kaoping_commands WHERE command_id='{command}'"),
     "commands", "no command index row"),
    ("command content hash zeroed", _sql(
        "UPDATE kaoping_commands SET content_hash='{hex_0}' WHERE command_id='{command}'"),
     "commands", "content hash"),
    ("command content hash emptied", _sql(
        "UPDATE kaoping_commands SET content_hash='' WHERE command_id='{command}'"),
     "commands", "content hash"),
    ("command type edited", _sql(
        "UPDATE kaoping_commands SET type='penalty.applied' WHERE command_id='{command}'"),
     "commands", "type"),
    ("command recorded_at edited", _sql(
        "UPDATE kaoping_commands SET recorded_at='2018-01-01T00:00:00+00:00' "
        "WHERE command_id='{command}'"), "commands", "recorded_at"),
    ("command streams edited", _sql(
        "UPDATE kaoping_commands SET streams='unit:D04' WHERE command_id='{command}'"),
     "commands", "streams"),
    ("command dispute edited", _sql(
        "UPDATE kaoping_commands SET dispute='D03-999' WHERE command_id='{command}'"),
     "commands", "dispute"),
    ("command id renamed", _sql(
        "UPDATE kaoping_commands SET command_id='renamed' WHERE command_id='{command}'"),
     "commands", "no command index row"),
    ("command row inserted", _sql(
        "INSERT INTO kaoping_commands VALUES ('ghost', 'penalty.applied', '{hex_a}', "
        "'2018-05-01T00:00:00+00:00', 'unit:D03', NULL)"), "commands", "names no entry"),
    ("tree node edited", _sql("UPDATE kaoping_tree SET hash='{hex_a}' WHERE level=0 AND idx=3"),
     "tree", "level 0"),
    ("tree leaf deleted", _sql("DELETE FROM kaoping_leaves WHERE seq={middle}"), "tree", "leaves"),
    ("checkpoint root edited", _sql(
        "UPDATE kaoping_checkpoints SET root=(SELECT root FROM kaoping_checkpoints ORDER BY size "
        "LIMIT 1) WHERE size=(SELECT MAX(size) FROM kaoping_checkpoints)"), "checkpoints", "root"),
]


def _named(report: dict[str, Any], section: str) -> dict[str, Any] | None:
    if section == "first_bad":
        return report["first_bad"]
    if section == "tree":
        return None if report["tree"]["ok"] else {"reason": report["tree"]["problem"]}
    return report[section]["first_bad"]


@pytest.mark.parametrize("name,tamper,section,words", LEDGER_TAMPERS,
                         ids=[t[0].replace(" ", "-") for t in LEDGER_TAMPERS])
def test_verify_names_every_tamper_and_its_export_does_not_verify(copy, make_services, name, tamper,
                                                                  section, words):
    url, facts = copy
    tamper(url, facts)
    services = make_services(url)
    report = services.verify()
    named = _named(report, section)
    assert report["ok"] is False and named is not None, (name, report)
    assert words in named["reason"], (name, named)
    offline = verify_export([export_line(row) for row in services.ledger.export()])
    assert offline["ok"] is False, (name, offline)


@pytest.fixture
def make_services():
    opened = []

    def make(url: str):
        services = bootstrap(Settings(database_url=url))
        opened.append(services)
        return services

    yield make
    for services in opened:
        services.close()


# The read model is derived, not the ledger: an edited row is named in its own section (and fails
# verify); a view that is only behind or stale is said to be so, and verify stays ok.
READ_MODEL_TAMPERS = [
    ("row total edited", "UPDATE kaoping_scores SET total='99.99' WHERE unit='D03'", "total"),
    ("row process edited", "UPDATE kaoping_scores SET process='99.99' WHERE unit='D03'", "process"),
    ("row half-year edited", "UPDATE kaoping_scores SET half_year_comp='1.00' WHERE unit='D03'",
     "half_year_comp"),
    ("row document edited", "UPDATE kaoping_scores SET document=replace(document, '\"total\"', "
                            "'\"totalx\"') WHERE unit='D03'", "document"),
    ("row pending edited", "UPDATE kaoping_scores SET pending='[\"x\"]' WHERE unit='D03'", "pending"),
    ("row name edited", "UPDATE kaoping_scores SET name='某单位' WHERE unit='D03'", "name"),
    ("row group edited", "UPDATE kaoping_scores SET grp='towns_zones' WHERE unit='D03'", "group"),
    ("row deleted", "DELETE FROM kaoping_scores WHERE unit='D03'", "row"),
]


@pytest.mark.parametrize("name,statement,column", READ_MODEL_TAMPERS,
                         ids=[t[0].replace(" ", "-") for t in READ_MODEL_TAMPERS])
def test_verify_names_an_edited_read_model_row(copy, make_services, name, statement, column):
    url, _ = copy
    raw_execute(url, statement)
    report = make_services(url).verify()
    assert report["ok"] is False and report["first_bad"] is None
    assert report["read_model"]["first_bad"]["unit"] == "D03"
    assert report["read_model"]["first_bad"]["column"] == column


def test_a_read_model_behind_the_log_is_stale_not_tampered(copy, make_services):
    url, _ = copy
    services = make_services(url)
    services.ledger.ingest([{"id": "late-bonus", "type": "bonus.awarded", "unit": "D03",
                             "item": "B2", "reason": "市政府通报表扬"}], actor="office")
    report = services.verify()
    assert report["read_model"]["behind"] == 1 and report["ok"] is True


def test_a_read_model_behind_a_scheme_amendment_is_stale_not_tampered(copy, make_services):
    url, _ = copy
    services = make_services(url)
    before = services.ledger.score("D03")["total"]
    services.ledger.amend_scheme({"version": "2018.2", "total": {"indicator": "0.60", "comprehensive": "0.40"}})
    assert services.ledger.score("D03")["total"] != before  # the rows now lag behind a real change
    report = services.verify()
    assert report["read_model"]["behind"] == 1 and report["read_model"]["ok"] is True and report["ok"]


def test_a_read_model_row_past_its_due_date_is_stale_not_tampered(copy, make_services):
    url, _ = copy
    raw_execute(url, "UPDATE kaoping_scores SET judged_on='2018-01-01', valid_until='2018-02-01', "
                     "total='99.99' WHERE unit='D03'")
    report = make_services(url).verify()
    assert report["ok"] is True and report["read_model"]["stale"] == ["D03"]


def test_an_untampered_copy_verifies_and_exports(copy, make_services):
    url, _ = copy
    services = make_services(url)
    report = services.verify()
    assert report["ok"] and report["commands"]["ok"] and report["read_model"]["ok"]
    assert report["head"] == list(services.ledger.export())[-1]["hash"]
