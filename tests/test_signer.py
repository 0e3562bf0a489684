"""The signer's memory (issue 23; docs/commands.md §10.7), on SQLite and
PostgreSQL: the key keeps a record of what it signed beside itself, and an insider who can write
the database but not read the key file cannot get a signature over a rewritten or cut history.
The insider's rewrites are in `tests/insider.py`; the tests never read the key file."""

from __future__ import annotations

import base64
import json
import os
import signal
import stat
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from kaoping.domain.errors import LedgerDamaged, LedgerForked
from kaoping.domain.notes import open_checkpoint
from kaoping.ledger.signer import RECORD_SUFFIX
from tests import insider
from tests.conftest import raw_execute
from tests.test_transparency import chain_roots, task


def record_of(signing_key: Path) -> list[dict[str, Any]]:
    path = signing_key.with_name(signing_key.name + RECORD_SUFFIX)
    return [json.loads(line) for line in path.read_text().splitlines()]


def every_root(*sources: dict[int, str]) -> dict[int, set[str]]:
    """size → every root (hex) any source gives it."""
    roots: dict[int, set[str]] = {}
    for source in sources:
        for size, root in source.items():
            roots.setdefault(size, set()).add(root)
    return roots


def recorded_roots(signing_key: Path) -> dict[int, str]:
    return {line["size"]: base64.b64decode(line["root"]).hex() for line in record_of(signing_key)}


def assert_one_root_per_size(database_url: str, signing_key: Path, *notes: str) -> None:
    """No two checkpoints of one size, stored, recorded or emitted (`notes`), have different roots."""
    emitted = {}
    for note in notes:
        lines = note.split("\n")
        emitted[int(lines[1])] = base64.b64decode(lines[2]).hex()
    roots = every_root(insider.stored_roots(database_url), recorded_roots(signing_key), emitted)
    assert {size: found for size, found in roots.items() if len(found) > 1} == {}


def appended(ledger: Any, *commands: dict[str, Any]) -> int:
    ledger.ingest(list(commands), actor="office")
    return ledger.notary.at(None).size


# -- the record --------------------------------------------------------------------------------------

def test_every_checkpoint_signed_is_a_line_of_the_record_beside_the_key(ledger: Any, signing_key: Path) -> None:
    for n in range(1, 4):
        appended(ledger, task(n))
    lines = record_of(signing_key)
    record = signing_key.with_name(signing_key.name + RECORD_SUFFIX)
    assert stat.S_IMODE(record.stat().st_mode) == 0o600
    assert [line["size"] for line in lines] == [c.size for c in ledger.notary.all()]
    roots = chain_roots(ledger)
    verifier = ledger.notary.signer().verifier
    for line in lines:
        assert set(line) >= {"size", "root", "signed_at", "note"}
        signed, _ = open_checkpoint(line["note"], verifier)
        assert signed.size == line["size"] and signed.root == roots[line["size"]]
        assert base64.b64decode(line["root"]) == roots[line["size"]]
    report = ledger.verify()
    assert report["ok"] and report["signer"]["signed"] == report["signer"]["stored"] == len(lines)


def test_concurrent_writers_sharing_a_key_record_each_size_once(ledger: Any, make_ledger: Any,
                                                                signing_key: Path) -> None:
    import threading

    others = [make_ledger() for _ in range(2)]
    threads = [threading.Thread(target=lambda w=w, n=n: [w.ingest([task(10 * n + i, f"D0{n + 1}")],
                                                                  actor="office") for i in range(5)])
               for n, w in enumerate([ledger, *others])]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    sizes = [line["size"] for line in record_of(signing_key)]
    assert sizes == sorted(set(sizes)) and sizes[-1] == len(chain_roots(ledger))
    assert ledger.verify()["ok"]


def test_a_line_cut_off_by_a_crash_is_dropped_and_a_foreign_line_refuses(ledger: Any,
                                                                         signing_key: Path) -> None:
    record = signing_key.with_name(signing_key.name + RECORD_SUFFIX)
    with record.open("a") as out:
        out.write('{"size": 99999, "root": "AAAA')  # the write a crash interrupted: no newline
    size = appended(ledger, task(1))
    assert record_of(signing_key)[-1]["size"] == size and ledger.verify()["ok"]
    with record.open("a") as out:
        out.write("not a line the signer wrote\n")
    with pytest.raises(LedgerDamaged) as refused:
        ledger.ingest([task(2)], actor="office")
    assert refused.value.code == "signer.record_damaged"
    assert ledger.index.seqs("t-D03-2") == []
    assert ledger.verify()["signer"]["ok"] is False


def test_a_ledger_without_a_record_starts_it_from_the_key_s_latest_stored_checkpoint(
        ledger: Any, database_url: str, signing_key: Path, make_ledger: Any) -> None:
    appended(ledger, task(1))
    signed = appended(ledger, task(2))
    record = signing_key.with_name(signing_key.name + RECORD_SUFFIX)
    record.unlink()  # a ledger signed before the record existed
    insider.rewrite(database_url, ledger.index.seqs("t-D03-1")[0])
    with pytest.raises(LedgerForked):
        make_ledger().notary.sign_current(ledger.clock())
    (seed,) = record_of(signing_key)
    assert seed["seeded"] is True and seed["size"] == signed


def test_another_ledger_s_key_appends_nothing(ledger: Any, database_url: str, tmp_path: Path) -> None:
    from kaoping.api.bootstrap import build_ledger
    from kaoping.domain.notes import NoteError
    from kaoping.ledger.settings import Settings

    entries = ledger.verify()["entries"]
    other = build_ledger(Settings(database_url=database_url, signing_key=str(tmp_path / "other.key")))
    try:
        other.notary.ensure_key()
        with pytest.raises(NoteError) as refused:
            other.ingest([task(1)], actor="office")
        assert refused.value.code == "key.other_ledger"
    finally:
        other.close()
    assert ledger.verify()["entries"] == entries and ledger.verify()["ok"]


def test_a_batch_decided_again_in_its_turn_ends_with_a_checkpoint(ledger: Any, signing_key: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    # a batch that lost a race is decided again holding the store's write lock (its turn); the
    # checkpoint is signed after that insert commits, on SQLite through the turn's own connection
    from kaoping.ledger import writer as writer_module

    real, calls = ledger.writer.group, []

    def lose_once(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        if len(calls) == 1:
            raise writer_module.RaceLost
        return real(*args, **kwargs)

    monkeypatch.setattr(ledger.writer, "group", lose_once)
    ledger.ingest([task(1)], actor="office")
    assert len(calls) == 2
    assert ledger.notary.at(None).size == len(chain_roots(ledger)) == record_of(signing_key)[-1]["size"]


# -- the insider ------------------------------------------------------------------------------------

def test_a_consistent_rewrite_with_its_checkpoints_deleted_is_never_signed(
        ledger: Any, database_url: str, signing_key: Path, make_ledger: Any) -> None:
    for n in range(1, 6):
        last = appended(ledger, task(n))
    seq = ledger.index.seqs("t-D03-2")[0]
    leaf = insider.leaf_of_seq(database_url, seq)
    insider.rewrite_with_checkpoints_deleted(database_url, seq)
    restarted = make_ledger()
    with pytest.raises(LedgerForked) as refused:
        restarted.notary.sign_current(restarted.clock())
    assert refused.value.code == "ledger.fork"
    assert f"第 {last} 条" in refused.value.message and "历史被改写" in refused.value.message
    entries = restarted.verify()["entries"]
    with pytest.raises(LedgerForked):
        restarted.ingest([task(9)], actor="office")
    report = restarted.verify()
    assert report["entries"] == entries and report["ok"] is False
    signer = report["signer"]
    above = [size for size in recorded_roots(signing_key) if size > leaf]
    assert signer["consistent"] is False and signer["diverged"] == above and signer["missing"] == above
    assert_one_root_per_size(database_url, signing_key)


def test_a_cut_of_acknowledged_entries_is_never_signed(ledger: Any, database_url: str, signing_key: Path,
                                                       make_ledger: Any) -> None:
    for n in range(1, 4):
        last = appended(ledger, task(n))
    size = insider.cut(database_url, 2)
    restarted = make_ledger()
    with pytest.raises(LedgerForked) as refused:
        restarted.ingest([task(7)], actor="office")
    assert f"第 {size} 条" in refused.value.message and "截掉" in refused.value.message
    with pytest.raises(LedgerForked):
        restarted.notary.sign_current(restarted.clock())
    signer = restarted.verify()["signer"]
    assert signer["consistent"] is False and last in signer["missing"] and last in signer["diverged"]
    assert_one_root_per_size(database_url, signing_key)


def test_a_rewrite_grown_past_the_last_signed_size_is_never_signed(
        ledger: Any, database_url: str, signing_key: Path, make_ledger: Any, tmp_path: Path) -> None:
    for n in range(1, 4):
        last = appended(ledger, task(n))
    insider.rewrite_grown_past(database_url, ledger.index.seqs("t-D03-1")[0], tmp_path / "insider.key",
                               [task(4), task(5)])
    restarted = make_ledger()
    size = len(chain_roots(restarted))
    assert size > last
    with pytest.raises(LedgerForked) as refused:
        restarted.notary.sign_current(restarted.clock())
    assert f"第 {size} 条" in refused.value.message and "一致性证明不成立" in refused.value.message
    with pytest.raises(LedgerForked):
        restarted.ingest([task(8)], actor="office")
    signer = restarted.verify()["signer"]
    assert signer["consistent"] is False and last in signer["diverged"]
    assert_one_root_per_size(database_url, signing_key)


def test_a_rewrite_under_a_running_ledger_appends_nothing(ledger: Any, database_url: str) -> None:
    appended(ledger, task(1))
    appended(ledger, task(2))
    insider.rewrite(database_url, ledger.index.seqs("t-D03-1")[0])
    entries = ledger.verify()["entries"]
    with pytest.raises(LedgerForked):
        ledger.ingest([task(3)], actor="office")  # refused inside its transaction: rolled back
    assert ledger.verify()["entries"] == entries and ledger.index.seqs("t-D03-3") == []
    assert ledger.notary.fork_state() is not None


def test_checkpoints_that_disappear_are_named_with_the_key_and_without_it(
        ledger: Any, database_url: str, signing_key: Path, make_ledger: Any, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    sizes = [appended(ledger, task(n)) for n in range(1, 6)]
    raw_execute(database_url, "DELETE FROM kaoping_checkpoints WHERE size > %s", (sizes[1],))
    signer = ledger.verify()["signer"]
    # the last line alone is what a crash between the record and the row leaves: the next
    # signature stores it again; every earlier one is missing
    assert signer["missing"] == sizes[2:-1] and signer["unstored"] == [sizes[-1]]
    assert signer["consistent"] and not signer["ok"]
    # an auditor's copy, with no key: the latest stored checkpoint covers less than the tree
    monkeypatch.setenv("KAOPING_SIGNING_KEY", str(tmp_path / "no-key-here"))
    report = make_ledger().audit.verify(vkey=ledger.notary.signer().verifier.text)
    assert "signer" not in report and report["ok"] is False
    assert report["checkpoints"]["uncovered"] == sizes[-1] - sizes[1]
    assert "covers" in report["checkpoints"]["first_bad"]["reason"]
    monkeypatch.setenv("KAOPING_SIGNING_KEY", str(signing_key))
    # signing again stores, from the record, every line above the latest stored checkpoint (what
    # a crash between the record and the database leaves); a gap below it stays named
    make_ledger().notary.sign_current(ledger.clock())
    signer = ledger.verify()["signer"]
    assert signer["unstored"] == [] and signer["missing"] == [] and signer["ok"]
    raw_execute(database_url, "DELETE FROM kaoping_checkpoints WHERE size = %s", (sizes[2],))
    make_ledger().notary.sign_current(ledger.clock())
    assert ledger.verify()["signer"]["missing"] == [sizes[2]]


# -- kill -9 -----------------------------------------------------------------------------------------

KILLED = textwrap.dedent("""
    import os, signal, sys
    from kaoping.api.bootstrap import build_ledger
    from kaoping.ledger import signer, notary
    from kaoping.ledger.settings import Settings

    where, url = sys.argv[1], sys.argv[2]
    def die(*args, **kwargs):
        os.kill(os.getpid(), signal.SIGKILL)
    if where == "after-commit":  # the entries committed, nothing signed yet
        signer.Signatory.sign = die
    elif where == "after-record":  # the record's line fsynced, the checkpoint not stored
        real = signer._append
        def append_then_die(*args):
            real(*args)
            die()
        signer._append = append_then_die
    ledger = build_ledger(Settings(database_url=url))
    n = 0
    while True:
        n += 1
        ledger.ingest([{"id": f"k-{n}", "type": "task.assigned", "unit": "D05", "task": f"K{n}",
                        "title": "任务", "level": "own", "method": "veto"}], actor="office")
""")


@pytest.mark.parametrize("where", ["after-commit", "after-record", "anywhere"])
def test_a_process_killed_mid_append_leaves_a_ledger_that_appends_again(
        ledger: Any, database_url: str, signing_key: Path, make_ledger: Any, where: str) -> None:
    appended(ledger, task(1))
    process = subprocess.Popen([sys.executable, "-c", KILLED, where, database_url], env=os.environ.copy(),
                               stderr=subprocess.PIPE, text=True)
    try:
        process.wait(timeout=None if where != "anywhere" else 3)
    except subprocess.TimeoutExpired:
        os.kill(process.pid, signal.SIGKILL)
        process.wait()
    assert process.returncode == -signal.SIGKILL, process.stderr.read() if process.stderr else ""
    after = make_ledger()
    signed = max(recorded_roots(signing_key))
    if where == "after-commit":  # entries the key has not signed
        assert len(chain_roots(after)) > signed
    if where == "after-record":  # a line whose checkpoint was never stored
        assert signed not in insider.stored_roots(database_url)
    report = after.verify()  # with the key: what the kill left is no fault
    assert report["ok"], (report["signer"], report["checkpoints"])
    size = appended(after, task(2))
    assert size == len(chain_roots(after)) and after.verify()["ok"]
    assert_one_root_per_size(database_url, signing_key)


# -- end to end: the server, its pages, the CLI and an outside checker ------------------------------

SCENARIOS = {
    "rewrite with its checkpoints deleted": lambda url, seqs, key: insider.rewrite_with_checkpoints_deleted(
        url, seqs[1]),
    "cut of acknowledged entries": lambda url, seqs, key: insider.cut(url, 2),
    "rewrite grown past the last signed size": lambda url, seqs, key: insider.rewrite_grown_past(
        url, seqs[0], key, [task(8, "D06"), task(9, "D06")]),
}


@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_the_server_refuses_a_forged_history_and_every_checker_sees_it(
        ledger: Any, database_url: str, signing_key: Path, tmp_path: Path, scenario: str) -> None:
    from fastapi.testclient import TestClient
    from typer.testing import CliRunner

    from kaoping.api.cli import app as cli_app
    from kaoping.api.http import create_app
    from tests.test_http_e2e import serving
    from tests.test_transparency_http import bearer

    office = bearer(ledger, "office")
    _, auditor = ledger.create_token(actor="审计", role="auditor")
    emitted, seqs = [], []
    with TestClient(create_app(ledger=ledger)) as client:
        for n in range(1, 4):
            body = client.post("/v1/commands", json=[task(n)], headers=office).json()
            (tmp_path / f"201-{n}.json").write_text(json.dumps(body))
            emitted.append(body["checkpoint"])
            seqs.append(body["results"][0]["seqs"][0])
    vkey = tmp_path / "vkey.txt"
    vkey.write_text(ledger.notary.signer().verifier.text)
    ledger.close()

    SCENARIOS[scenario](database_url, seqs, tmp_path / "insider.signing-key")

    def cli(*args: str) -> Any:
        return CliRunner().invoke(cli_app, list(args), catch_exceptions=False)

    import httpx

    # one client for the three requests (each new client builds a TLS context: ~0.1 s of CPU)
    with serving(database_url, tmp_path / "serve.log", timeout=60) as base, httpx.Client() as http:
        refused = http.post(f"{base}/v1/commands", json=[task(7)], headers=office)
        assert refused.status_code == 503 and refused.json()["detail"]["code"] == "ledger.fork"
        assert "账本分叉" in refused.json()["detail"]["message"]
        page = http.get(f"{base}/signin").text
        assert 'data-testid="fork"' in page and "账本只读" in page
        emitted.append(http.get(f"{base}/v1/checkpoint", headers=office).text)
        checked = cli("receipt", "check", str(tmp_path / "201-3.json"), "--url", base, "--token", auditor,
                      "--vkey", str(vkey), "--json")
        assert checked.exit_code == 1 and json.loads(checked.stdout)["ok"] is False
    assert "只读启动" in (tmp_path / "serve.log").read_text()
    verified = cli("verify", "--db", database_url, "--json")
    report = json.loads(verified.stdout)
    assert verified.exit_code == 1 and report["signer"]["consistent"] is False and report["signer"]["diverged"]
    assert "签名记录" in cli("verify", "--db", database_url).output
    signed = cli("checkpoint", "--db", database_url)
    assert signed.exit_code == 1 and "账本分叉" in signed.output
    assert_one_root_per_size(database_url, signing_key, *emitted)
