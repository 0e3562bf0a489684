"""`kaoping export` and `kaoping verify --file`: the ledger as JSON Lines with its chain, checked
offline. Every kind of edit to the file is named by its seq; no database is opened to check it."""

import base64
import json
import os
import uuid

import pytest
from eventsourcing.persistence import StoredEvent
from typer.testing import CliRunner

from kaoping.api.cli import app
from kaoping.domain.chain import entry_hash
from kaoping.ledger.export import KEYS, export_line, offline_mapper, verify_export

runner = CliRunner()


@pytest.fixture
def exported(ledger, year, database_url, tmp_path):
    """The D03 year exported through the CLI; returns the file's lines."""
    ledger.ingest(year, actor="office")
    path = tmp_path / "ledger.jsonl"
    result = runner.invoke(app, ["export", "--db", database_url, "--out", str(path)])
    assert result.exit_code == 0, result.output
    return path.read_text("utf-8").splitlines(keepends=True)


def check(lines):
    return verify_export(lines)


def rows(lines):
    return [json.loads(line) for line in lines]


def lines_of(rows_):
    return [export_line(row) for row in rows_]


def middle(lines, stream="unit:D03"):
    """The index of a D03 entry in the middle of the file."""
    indexes = [i for i, row in enumerate(rows(lines)) if row["stream"] == stream]
    return indexes[len(indexes) // 2]


def test_an_export_has_every_entry_in_seq_order_and_verifies(ledger, exported):
    report = ledger.verify()
    got = rows(exported)
    assert [r["seq"] for r in got] == sorted(r["seq"] for r in got)
    assert len(got) == report["entries"]
    assert all(list(r) == list(KEYS) for r in got)
    offline = check(exported)
    assert offline["ok"] and offline["first_bad"] is None
    assert (offline["entries"], offline["streams"]) == (report["entries"], report["streams"])
    assert offline["head"] == got[-1]["hash"]


def test_exported_fields_are_the_history_fields(ledger, exported):
    by_seq = {r["seq"]: r for r in rows(exported)}
    for entry in ledger.history("D03"):
        line = by_seq[entry["seq"]]
        assert {k: line[k] for k in ("id", "type", "recorded_at", "appended_at", "actor", "hash",
                                     "prev_hash", "global_prev_hash", "backdated", "stream")} == \
               {k: entry[k] for k in ("id", "type", "recorded_at", "appended_at", "actor", "hash",
                                      "prev_hash", "global_prev_hash", "backdated", "stream")}
        assert line["payload"] == json.loads(json.dumps(entry["payload"], default=str))


def test_the_offline_mapper_decodes_what_the_store_wrote(ledger, exported):
    mapper = offline_mapper()
    for entry in ledger.index.all_entries():
        stored = StoredEvent(uuid.UUID(entry.originator_id), entry.version, entry.topic, entry.state)
        assert vars(mapper.to_domain_event(stored)) == vars(ledger.store.mapper.to_domain_event(stored))


def test_verify_file_on_the_cli_prints_the_verify_shape_and_exits_0(exported, tmp_path):
    path = tmp_path / "copy.jsonl"
    path.write_text("".join(exported), "utf-8")
    result = runner.invoke(app, ["verify", "--file", str(path), "--json"])
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert {"ok", "entries", "streams", "first_bad"} <= set(document) and document["ok"] is True


def test_export_to_stdout_equals_the_file(exported, database_url):
    result = runner.invoke(app, ["export", "--db", database_url])
    assert result.exit_code == 0
    assert result.stdout.splitlines(keepends=True) == exported


# -- tampering with the file ---------------------------------------------------------------------

def test_an_edited_payload_is_named(exported):
    i = middle(exported)
    got = rows(exported)
    got[i]["payload"]["reason" if "reason" in got[i]["payload"] else "unit"] = "X99"
    report = check(lines_of(got))
    assert report["ok"] is False and report["first_bad"]["seq"] == got[i]["seq"]
    assert "payload" in report["first_bad"]["reason"]


@pytest.mark.parametrize("field,value", [("actor", "someone else"), ("type", "bonus.awarded"),
                                         ("id", "forged"), ("backdated", 1),
                                         ("recorded_at", "2018-01-01T00:00:00+08:00"),
                                         ("appended_at", "2018-01-01T00:00:00+08:00")])
def test_an_edited_decoded_field_is_named(exported, field, value):
    i = middle(exported)
    got = rows(exported)
    got[i][field] = value
    report = check(lines_of(got))
    assert report["first_bad"]["seq"] == got[i]["seq"] and field in report["first_bad"]["reason"]


def test_edited_stored_bytes_are_named_even_when_the_fields_agree(exported):
    i = middle(exported)
    got = rows(exported)
    state = json.loads(base64.b64decode(got[i]["state"]))
    state["actor"] = got[i]["actor"] = "someone else"
    got[i]["state"] = base64.b64encode(json.dumps(state).encode()).decode()
    report = check(lines_of(got))
    assert report["first_bad"]["seq"] == got[i]["seq"] and "modified" in report["first_bad"]["reason"]


def test_a_deleted_line_is_named_at_the_next_entry(exported):
    i = middle(exported)
    next_seq = rows(exported)[i + 1]["seq"]
    report = check(exported[:i] + exported[i + 1:])
    assert report["ok"] is False and report["first_bad"]["seq"] == next_seq


def test_reordered_lines_are_named(exported):
    i = middle(exported)
    swapped = exported[:i] + [exported[i + 1], exported[i]] + exported[i + 2:]
    report = check(swapped)
    assert report["ok"] is False and report["first_bad"]["seq"] == rows(exported)[i + 1]["seq"]


def test_an_inserted_line_with_a_well_formed_hash_is_named_at_the_next_entry(exported):
    i = middle(exported)
    got = rows(exported)
    forged = dict(got[i], seq=got[i]["seq"] + 1, version=got[i]["version"] + 1,
                  prev_hash=got[i]["hash"], global_prev_hash=got[i]["hash"])
    forged["hash"] = entry_hash(seq=forged["seq"], stream=forged["stream"], version=forged["version"],
                                topic=forged["topic"], state=base64.b64decode(forged["state"]),
                                prev_hash=forged["prev_hash"], global_prev_hash=forged["global_prev_hash"])
    report = check(lines_of(got[:i + 1] + [forged] + got[i + 1:]))
    assert report["ok"] is False and report["first_bad"]["seq"] == got[i + 1]["seq"]


@pytest.mark.parametrize("field", ["hash", "prev_hash", "global_prev_hash"])
def test_an_edited_hash_is_named(exported, field):
    i = middle(exported)
    got = rows(exported)
    got[i][field] = "f" * 64
    report = check(lines_of(got))
    assert report["first_bad"]["seq"] == got[i]["seq"]


def test_a_line_that_is_not_an_entry_is_named(exported):
    i = middle(exported)
    report = check(exported[:i] + ["{not json\n"] + exported[i + 1:])
    assert report["first_bad"]["seq"] == rows(exported)[i - 1]["seq"] + 1
    assert f"line {i + 1}" in report["first_bad"]["reason"]


def test_the_cli_exits_1_and_names_the_seq(exported, tmp_path):
    i = middle(exported)
    path = tmp_path / "bad.jsonl"
    path.write_text("".join(exported[:i] + exported[i + 1:]), "utf-8")
    result = runner.invoke(app, ["verify", "--file", str(path), "--json"])
    assert result.exit_code == 1
    assert json.loads(result.stdout)["first_bad"]["seq"] == rows(exported)[i + 1]["seq"]


# -- no database ---------------------------------------------------------------------------------

def test_verify_file_opens_no_database(exported, tmp_path, monkeypatch):
    import kaoping.api.bootstrap as root

    def no_database(*_, **__):
        raise AssertionError("verify --file must not open a database")

    monkeypatch.setattr(root, "build_ledger", no_database)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("KAOPING_DATABASE_URL", f"sqlite:///{tmp_path / 'never.db'}")
    (tmp_path / "copy.jsonl").write_text("".join(exported), "utf-8")
    before = set(os.listdir(tmp_path))
    result = runner.invoke(app, ["verify", "--file", "copy.jsonl"])
    assert result.exit_code == 0, result.output
    assert "校验通过：" in result.output
    assert set(os.listdir(tmp_path)) == before


def test_verify_file_refuses_a_db_as_well():
    result = runner.invoke(app, ["verify", "--file", "x.jsonl", "--db", "sqlite:///x.db"])
    assert result.exit_code == 2


def test_verify_file_of_a_missing_file_says_so(tmp_path):
    result = runner.invoke(app, ["verify", "--file", str(tmp_path / "missing.jsonl")])
    assert result.exit_code == 2 and "无法读取" in result.output and "没有这个文件" in result.output


def test_an_empty_file_is_no_export():
    report = check([])
    assert report["ok"] is False and report["entries"] == 0
    assert "no entries" in report["first_bad"]["reason"]


def test_a_file_cut_short_at_a_line_boundary_is_named(exported):
    report = check(exported[:-3])
    assert report["ok"] is False
    assert report["first_bad"]["seq"] == rows(exported)[-4]["seq"] + 1
    assert "cut short" in report["first_bad"]["reason"]


def test_lines_without_the_seq_the_export_ran_to_do_not_verify(exported):
    got = rows(exported)
    for row in got:
        del row["last_seq"]
    report = verify_export([json.dumps(row) + "\n" for row in got])
    assert report["ok"] is False and "last_seq" in report["first_bad"]["reason"]


@pytest.mark.parametrize("where", ["payload", "nested"])
def test_a_line_with_a_key_twice_is_no_exported_line(exported, where):
    # json.loads keeps the last of two equal keys: a forged first value would pass unseen, and
    # another reader may take the first
    i = middle(exported)
    line = exported[i]
    if where == "payload":
        forged = line.replace('"payload": {', '"payload": {"forged": true}, "payload": {', 1)
    else:
        key = next(iter(json.loads(line)["payload"]))
        forged = line.replace(f'"payload": {{"{key}"', f'"payload": {{"{key}": "forged", "{key}"', 1)
    assert forged != line and json.loads(forged) == json.loads(line)
    report = check(exported[:i] + [forged] + exported[i + 1:])
    assert report["ok"] is False
    assert f"line {i + 1} " in report["first_bad"]["reason"] and "twice" in report["first_bad"]["reason"]


def test_the_console_an_entry_was_recorded_at_is_exported_and_checked(tmp_path, monkeypatch, year):
    monkeypatch.setenv("LOGNAME", "clerk7")
    db = f"sqlite:///{tmp_path / 'console.db'}"
    path, lines_in = tmp_path / "ledger.jsonl", tmp_path / "year.jsonl"
    lines_in.write_text("".join(json.dumps(c, ensure_ascii=False) + "\n" for c in year[:10]), "utf-8")
    for args in (["init"], ["ingest", str(lines_in)], ["export", "--out", str(path)]):
        assert runner.invoke(app, [*args, "--db", db]).exit_code == 0
    exported = path.read_text("utf-8").splitlines(keepends=True)
    got = rows(exported)
    assert all(r["console"] == "clerk7" and list(r).index("console") == list(r).index("actor") + 1
               for r in got)
    assert check(exported)["ok"] and [export_line(r) for r in got] == exported
    i = len(got) // 2
    for edit in ("someone else", None):  # the line says another console, or none
        edited = [dict(r) for r in got]
        edited[i]["console"] = edit
        report = check(lines_of(edited))
        assert report["first_bad"]["seq"] == got[i]["seq"] and "console" in report["first_bad"]["reason"]
    state = json.loads(base64.b64decode(got[i]["state"]))
    state["console"] = got[i]["console"] = "someone else"  # the stored bytes too: the chain says so
    got[i]["state"] = base64.b64encode(json.dumps(state).encode()).decode()
    report = check(lines_of(got))
    assert report["first_bad"]["seq"] == got[i]["seq"] and "modified" in report["first_bad"]["reason"]
