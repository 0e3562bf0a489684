"""The operator's CLI (docs/commands.md §1, §4), driven as a person or a script would."""

import json
import re
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from typer.testing import CliRunner

from kaoping.api.cli import app

DATA = Path(__file__).parent / "data"
YEAR = DATA / "d03-year.jsonl"
YEAR_LINES = [line for line in YEAR.read_text("utf-8").splitlines() if line.strip()]
KAOPING = Path(sys.executable).parent / "kaoping"  # the installed console script of this venv

runner = CliRunner()


def run(*args, input=None):
    return runner.invoke(app, [str(a) for a in args], input=input)


def text(result):
    """What a person sees (stdout and stderr), with the console's line wrapping undone."""
    return " ".join(result.output.split())


def verify(db):
    result = run("verify", "--db", db, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


@pytest.fixture
def sqlite_db(tmp_path):
    return f"sqlite:///{tmp_path / 'cli.db'}"


@pytest.fixture
def db(database_url):
    """An initialised ledger on SQLite and on PostgreSQL."""
    assert run("init", "--db", database_url).exit_code == 0
    return database_url


def write_lines(path, lines):
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_init_twice_says_it_is_already_initialised(database_url):
    first = run("init", "--db", database_url)
    assert first.exit_code == 0 and "早已建立" not in text(first)
    entries = verify(database_url)["entries"]
    second = run("init", "--db", database_url)
    assert second.exit_code == 0 and "账本早已建立" in text(second) and "没有改动" in text(second)
    assert verify(database_url)["entries"] == entries


def test_ingest_prints_appended_and_duplicates_and_reingest_appends_nothing(db):
    first = run("ingest", YEAR, "--db", db)
    assert first.exit_code == 0, first.output
    assert f"新登记 {len(YEAR_LINES)} 条，重复（已登记过）0 条" in text(first)
    entries = verify(db)["entries"]
    again = run("ingest", YEAR, "--db", db, "--json")
    assert again.exit_code == 0, again.output
    document = json.loads(again.stdout)
    assert document["appended"] == 0 and document["duplicates"] == len(YEAR_LINES)
    assert len(document["results"]) == len(YEAR_LINES)
    assert all(r["duplicate"] and r["seqs"] for r in document["results"])
    assert verify(db)["entries"] == entries


def test_a_file_with_one_bad_line_appends_nothing_and_names_the_line_and_field(db, tmp_path):
    lines = YEAR_LINES[:5]
    bad = json.loads(lines[2])
    bad["level"] = "county"  # a county task for a department (a rule, judged against the ledger)
    lines[2] = json.dumps(bad, ensure_ascii=False)
    before = verify(db)["entries"]
    result = run("ingest", write_lines(tmp_path / "bad.jsonl", lines), "--db", db)
    assert result.exit_code != 0
    assert "第 3 行" in text(result) and "层级（level）" in text(result) and bad["id"] in text(result)
    assert "未登记任何内容" in text(result) and text(result).startswith("错误：")
    assert verify(db)["entries"] == before


def test_a_malformed_line_is_named_by_its_file_line_number(sqlite_db, tmp_path):
    run("init", "--db", sqlite_db)
    lines = YEAR_LINES[:2] + [""] + [YEAR_LINES[2].replace('"title"', '"titel"')] + YEAR_LINES[3:5]
    result = run("ingest", write_lines(tmp_path / "bad.jsonl", lines), "--db", sqlite_db)
    assert result.exit_code != 0
    assert "第 4 行" in text(result)  # blank lines still count
    assert "（title）" in text(result) or "titel" in text(result)  # missing title, or an unknown field
    assert verify(sqlite_db)["entries"] == 59 + 25 + 1  # only what init recorded


def test_invalid_json_names_the_line(sqlite_db, tmp_path):
    run("init", "--db", sqlite_db)
    before = verify(sqlite_db)["entries"]
    lines = YEAR_LINES[:1] + ['{"id": "x", "type": "round.closed",'] + YEAR_LINES[1:3]
    result = run("ingest", write_lines(tmp_path / "broken.jsonl", lines), "--db", sqlite_db)
    assert result.exit_code != 0
    assert "第 2 行" in text(result) and "JSON" in text(result)
    assert verify(sqlite_db)["entries"] == before


def test_ingest_dash_reads_stdin(db):
    stdin = "\n".join(YEAR_LINES[:5]) + "\n"
    result = run("ingest", "-", "--db", db, "--actor", "录入员", "--json", input=stdin)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["appended"] == 5
    history = json.loads(run("history", "D03", "--db", db, "--json").stdout)
    assert [e["id"] for e in history] == [json.loads(line)["id"] for line in YEAR_LINES[:5]]
    assert {e["actor"] for e in history} == {"录入员"}


def test_history_json_is_a_list_of_entries(db):
    run("ingest", YEAR, "--db", db)
    result = run("history", "d03", "--db", db, "--json")
    assert result.exit_code == 0, result.output
    history = json.loads(result.stdout)
    assert isinstance(history, list) and history
    keys = {"seq", "id", "type", "recorded_at", "appended_at", "actor", "payload", "hash",
            "prev_hash", "voided_by"}
    assert all(keys <= set(entry) for entry in history)
    assert [e["seq"] for e in history] == sorted(e["seq"] for e in history)
    assert history[0]["id"] == "d03-t1"


def test_history_of_an_unknown_unit_is_an_error(db):
    result = run("history", "D99", "--db", db, "--json")
    assert result.exit_code != 0 and "D99" in text(result)


def test_verify_json(db):
    run("ingest", YEAR, "--db", db)
    result = run("verify", "--db", db, "--json")
    assert result.exit_code == 0
    report = json.loads(result.stdout)
    assert set(report) >= {"ok", "entries", "streams", "first_bad"}
    assert report["ok"] is True and report["first_bad"] is None
    # init: 1 scheme + 25 indicators + 59 units; the year: one entry per command, 3 more per ballot
    # (each ranks 2 to 5 units) — counted from the file, not from the output
    year = [json.loads(line) for line in YEAR_LINES]
    expected = 1 + 25 + 59 + sum(1 + len(c.get("ranking", [])) if c["type"] == "ballot.cast" else 1
                                 for c in year)
    assert report["entries"] == expected


@pytest.mark.parametrize("url", ["mysql://root@localhost/kaoping", "kaoping.db", "sqlite://relative.db"])
def test_an_unknown_database_scheme_is_a_configuration_error(url):
    result = run("status", "--db", url)
    assert result.exit_code != 0
    assert "配置有误" in text(result) and "sqlite:///" in text(result)
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_the_installed_console_script(tmp_path):
    db = f"sqlite:///{tmp_path / 'script.db'}"

    def kaoping(*args, stdin=None):
        return subprocess.run([str(KAOPING), *args, "--db", db], input=stdin, capture_output=True,
                              text=True, timeout=120)

    assert kaoping("init").returncode == 0
    assert "账本早已建立" in " ".join(kaoping("init").stdout.split())
    ingested = kaoping("ingest", "-", "--json", stdin=YEAR.read_text("utf-8"))
    assert ingested.returncode == 0, ingested.stderr
    assert json.loads(ingested.stdout)["appended"] == len(YEAR_LINES)
    report = kaoping("verify", "--json")
    assert report.returncode == 0 and json.loads(report.stdout)["ok"] is True
    wrong = subprocess.run([str(KAOPING), "verify", "--db", "mysql://x/y"], capture_output=True,
                           text=True, timeout=120)
    assert wrong.returncode != 0 and "错误：配置有误" in wrong.stderr
    assert "Traceback" not in wrong.stderr


# -- the command line speaks Chinese (issue 15) -----------------------------------------------------

def _commands(command, path=()):
    yield path, command
    for name, sub in getattr(command, "commands", {}).items():
        yield from _commands(sub, (*path, name))


def test_every_command_argument_and_option_is_explained_in_chinese():
    from typer.main import get_command

    chinese = re.compile(r"[\u4e00-\u9fff]")
    unexplained = []
    for path, command in _commands(get_command(app)):
        if not chinese.search(command.help or ""):
            unexplained.append(" ".join(path) or "kaoping")
        unexplained += [f"{' '.join(path)} {param.name}" for param in command.params
                        if param.name != "help" and not chinese.search(getattr(param, "help", None) or "")]
    assert unexplained == []


def test_a_refusal_is_one_chinese_line_with_no_traceback(sqlite_db):
    run("init", "--db", sqlite_db)
    result = run("score", "D03", "--as-of", "2018-13-45", "--db", sqlite_db)
    assert result.exit_code == 1 and (result.exception is None or isinstance(result.exception, SystemExit))
    assert text(result).startswith("错误：截至时间（as_of）：“2018-13-45”不是日期或时间")
    assert "例如 2018-03-31" in text(result) and "Traceback" not in text(result)


def test_demo_tokens_gives_one_token_per_role_and_keeps_them(sqlite_db, tmp_path):
    kept = tmp_path / "demo.tokens"
    assert run("init", "--db", sqlite_db).exit_code == 0
    first = run("demo-tokens", "--db", sqlite_db, "--file", kept, "--json")
    assert first.exit_code == 0, first.output
    accounts = json.loads(first.stdout)
    assert {"office", "leader", "assessor", "unit", "verifier", "auditor", "group_office"} <= {
        a["role"] for a in accounts}
    assert next(a for a in accounts if a["role"] == "leader")["units"]  # the charge its ballots show
    assert oct(kept.stat().st_mode & 0o777) == "0o600"
    again = json.loads(run("demo-tokens", "--db", sqlite_db, "--file", kept, "--json").stdout)
    assert [a["token"] for a in again] == [a["token"] for a in accounts]  # reused across restarts
    listed = json.loads(run("token", "list", "--db", sqlite_db, "--json").stdout)
    assert len(listed) == len(accounts)
    office = next(t for t in listed if t["role"] == "office")
    assert run("token", "revoke", office["token_id"], "--db", sqlite_db).exit_code == 0
    third = json.loads(run("demo-tokens", "--db", sqlite_db, "--file", kept, "--json").stdout)
    assert [a["token"] for a in third][1:] == [a["token"] for a in accounts][1:]
    assert third[0]["token"] != accounts[0]["token"]  # only the revoked one is issued again


# -- who was at the console (issue 28, item 9) -----------------------------------------------------

def test_every_entry_the_cli_writes_names_the_console_s_os_user(db, tmp_path, monkeypatch):
    monkeypatch.setenv("LOGNAME", "clerk7")  # getpass.getuser() reads it first
    assert run("ingest", YEAR, "--db", db, "--actor", "录入员").exit_code == 0
    history = json.loads(run("history", "D03", "--db", db, "--json").stdout)
    assert history and {(e["actor"], e["console"]) for e in history} == {("录入员", "clerk7")}
    table = text(run("history", "D03", "--db", db))
    assert "录入员（命令行登记，系统用户 clerk7）" in table
    path = tmp_path / "ledger.jsonl"
    assert run("export", "--db", db, "--out", path).exit_code == 0
    lines = [json.loads(line) for line in path.read_text("utf-8").splitlines()]
    assert all(line.get("console") for line in lines)  # init's entries too (before LOGNAME was set)
    assert {line["console"] for line in lines if line["stream"] == "unit:D03"} == {"clerk7"}
    offline = run("verify", "--file", path, "--json")
    assert offline.exit_code == 0 and json.loads(offline.stdout)["ok"] is True


def test_actor_cannot_take_a_name_a_token_holds(db):
    run("ingest", YEAR, "--db", db)
    assert run("token", "create", "--db", db, "--actor", "县物价局填报员", "--role", "unit",
               "--unit", "D03").exit_code == 0
    before = verify(db)["entries"]
    extra = json.loads(YEAR_LINES[0]) | {"id": "d03-forged", "task": "P9"}
    result = run("ingest", "-", "--db", db, "--actor", "县物价局填报员",
                 input=json.dumps(extra, ensure_ascii=False) + "\n")
    assert result.exit_code == 2 and "--actor" in text(result) and "令牌" in text(result)
    assert "未登记任何内容" in text(result) and "Traceback" not in result.output
    assert verify(db)["entries"] == before
    named = json.dumps(extra | {"actor": "县物价局填报员"}, ensure_ascii=False) + "\n"
    own = run("ingest", "-", "--db", db, input=named)
    assert own.exit_code == 2 and "第 1 行" in text(own) and "actor" in text(own)  # nor a command's own
    assert verify(db)["entries"] == before
    assert run("ingest", "-", "--db", db, "--actor", "录入员",
               input=json.dumps(extra, ensure_ascii=False) + "\n").exit_code == 0


def test_tables_are_not_cut_at_80_columns(db):
    run("ingest", YEAR, "--db", db)
    disputes = json.loads(run("disputes", "--status", "all", "--db", db, "--json").stdout)
    assert disputes
    shown = runner.invoke(app, ["disputes", "--status", "all", "--db", db], env={"COLUMNS": "80"})
    assert shown.exit_code == 0, shown.output
    lines = shown.stdout.splitlines()
    for dispute in disputes:  # each code, its target and its reason whole on one line, to be copied
        for value in (dispute["dispute"], dispute["target"], dispute["reason"]):
            assert any(value in line for line in lines), (value, shown.stdout)


def test_people_read_local_times_to_the_minute_and_json_keeps_the_contract_s(db, monkeypatch):
    monkeypatch.setenv("KAOPING_TZ", "Asia/Shanghai")
    run("ingest", YEAR, "--db", db)
    assert run("token", "create", "--db", db, "--actor", "审计", "--role", "auditor").exit_code == 0
    [token] = json.loads(run("token", "list", "--db", db, "--json").stdout)
    created = datetime.fromisoformat(token["created_at"])
    listed = text(run("token", "list", "--db", db))
    assert created.astimezone(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m-%d %H:%M") in listed
    assert token["created_at"] not in listed
    monkeypatch.setenv("KAOPING_TZ", "UTC")  # the same entries, shown in another office's zone
    history = json.loads(run("history", "D03", "--db", db, "--json").stdout)
    assert history[0]["recorded_at"] == "2018-01-10T02:00:00+00:00"  # --json: the contract's ISO form
    table = text(run("history", "D03", "--db", db))
    assert "2018-01-10 02:00" in table and "2018-01-10T" not in table
    assert not re.search(r"\d{2}:\d{2}:\d{2}\.\d{6}", table)  # no microseconds for people
