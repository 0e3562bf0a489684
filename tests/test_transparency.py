"""The log outsiders can check (issue "A log that outsiders can check"), on SQLite and PostgreSQL:
every append signs a checkpoint in its own transaction, proofs and receipts verify with RFC 9162's
algorithms (and with Go's own `sumdb/note` and `sumdb/tlog` where Go is installed), and `verify`
catches a rewrite of the entries, the tree or the checkpoints, even one that recomputes the chain."""

from __future__ import annotations

import base64
import json
import os
import shutil
import stat
import subprocess
import threading
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from kaoping.api.cli import app
from kaoping.domain.chain import GENESIS, entry_hash
from kaoping.domain.errors import InvalidCommand, NotFound, RuleViolation
from kaoping.domain.merkle import CompactTree, leaf_hash, verify_consistency, verify_inclusion
from kaoping.domain.notes import Checkpoint, Verifier, open_checkpoint
from kaoping.ledger.group_commit import PendingBatch
from kaoping.ledger.keys import NoSigningKey
from tests.conftest import events_table, raw_execute

GO_CHECK = Path(__file__).parent / "go" / "check.go"


def task(n: int, unit: str = "D03") -> dict[str, Any]:
    return {"id": f"t-{unit}-{n}", "type": "task.assigned", "unit": unit, "task": f"T{n}",
            "title": f"任务 {n}", "level": "own", "method": "veto"}


def b64(text: str) -> bytes:
    return base64.b64decode(text)


def vkey_of(ledger: Any) -> Verifier:
    return ledger.notary.signer().verifier


def chain_roots(ledger: Any) -> dict[int, bytes]:
    """The root at every size, recomputed from the chain alone."""
    compact, roots = CompactTree(), {}
    for link in ledger.index.all_links():
        compact.append(leaf_hash(bytes.fromhex(link.hash)))
        roots[compact.size] = compact.root()
    return roots


# -- checkpoints and proofs -----------------------------------------------------------------------

def test_every_append_signs_a_checkpoint_of_the_tree_it_leaves(ledger: Any) -> None:
    ledger.ingest([task(1)], actor="office")
    ledger.ingest([task(2), task(3)], actor="office")
    checkpoints = ledger.notary.all()
    roots = chain_roots(ledger)
    size = len(roots)
    assert [c.size for c in checkpoints][-2:] == [size - 2, size]
    for stored in checkpoints:
        signed, _ = open_checkpoint(stored.note, vkey_of(ledger))
        assert signed == Checkpoint(stored.origin, stored.size, roots[stored.size])
    assert ledger.verify()["ok"]


def test_an_inclusion_proof_of_every_entry_verifies_against_the_latest_checkpoint(ledger: Any) -> None:
    ledger.ingest([task(i) for i in range(1, 8)], actor="office")
    latest = ledger.notary.at(None)
    for link in ledger.index.all_links():
        proof = ledger.notary.inclusion(link.seq)
        assert proof["tree_size"] == latest.size and proof["checkpoint"] == ledger.notary.note(latest)
        assert b64(proof["leaf_hash"]) == leaf_hash(bytes.fromhex(proof["hash"]))
        verify_inclusion(proof["leaf_index"], latest.size, b64(proof["leaf_hash"]),
                         [b64(p) for p in proof["proof"]], latest.root)


def test_consistency_proofs_join_every_stored_checkpoint_to_the_latest(ledger: Any) -> None:
    for i in range(1, 6):
        ledger.ingest([task(i)], actor="office")
    latest = ledger.notary.at(None)
    for older in ledger.notary.all():
        proof = ledger.notary.consistency(older.size)
        verify_consistency(older.size, latest.size, [b64(p) for p in proof["proof"]], older.root,
                           latest.root)
    middle = ledger.notary.all()[-3]
    assert ledger.notary.consistency(3, middle.size)["size2"] == middle.size


def test_proof_requests_for_what_is_not_there_name_the_field(ledger: Any) -> None:
    with pytest.raises(NotFound) as unknown_seq:
        ledger.notary.inclusion(10 ** 9)
    assert unknown_seq.value.field == "seq"
    with pytest.raises(NotFound) as unknown_size:
        ledger.notary.inclusion(1, 5)
    assert unknown_size.value.field == "size"
    size = ledger.notary.at(None).size
    with pytest.raises(InvalidCommand) as backwards:
        ledger.notary.consistency(size + 1, size)
    assert backwards.value.field == "from"
    ledger.ingest([task(1)], actor="office")
    late = ledger.index.seqs("t-D03-1")[0]
    with pytest.raises(RuleViolation) as after:
        ledger.notary.inclusion(late, size)
    assert after.value.field == "size"


def test_group_commit_receipts_prove_each_entry_a_duplicate_its_original(ledger: Any) -> None:
    ledger.ingest([task(1)], actor="office")
    ballot = {"id": "b-1", "type": "ballot.cast", "round": "half_year", "kind": "leader",
              "rater": "group", "group": "towns_zones", "ranking": ["T01", "T02"]}
    fresh, again = ledger.ingest_group([PendingBatch([task(2), ballot], "office"),
                                        PendingBatch([task(1)], "office")])
    assert fresh.checkpoint == again.checkpoint
    signed, _ = open_checkpoint(fresh.checkpoint, vkey_of(ledger))
    assert signed.size == len(chain_roots(ledger))
    for result in fresh.results + again.results:
        assert [r["seq"] for r in result.receipts] == result.seqs
        for receipt in result.receipts:
            verify_inclusion(receipt["leaf_index"], signed.size, leaf_hash(bytes.fromhex(receipt["hash"])),
                             [b64(p) for p in receipt["proof"]], signed.root)
    assert len(fresh.results[1].receipts) == 3  # the ballot: its round's entry and both units'


def test_concurrent_writers_never_sign_two_roots_for_one_size(ledger: Any, make_ledger: Any) -> None:
    others = [make_ledger() for _ in range(3)]

    def write(n: int, writer: Any) -> None:
        for i in range(6):
            writer.ingest([task(100 * n + i, unit=f"D0{n + 1}")], actor="office")

    threads = [threading.Thread(target=write, args=(n, w)) for n, w in enumerate([ledger, *others])]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    roots = chain_roots(ledger)
    checkpoints = ledger.notary.all()
    assert len({c.size for c in checkpoints}) == len(checkpoints)
    assert all(roots[c.size] == c.root for c in checkpoints)
    assert max(roots) == checkpoints[-1].size
    assert ledger.verify()["ok"]


def test_a_failure_in_the_signer_s_gate_appends_nothing(ledger: Any,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    # the gate runs inside the append's transaction, after the tree has grown: a failure there
    # (a power cut, a refusal) must take the entries, links and tree back with it
    before = ledger.verify()["entries"]

    def crash(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("power cut between the tree and the commit")

    monkeypatch.setattr(ledger.notary, "_gate", crash)
    with pytest.raises(RuntimeError):
        ledger.ingest([task(1)], actor="office")
    monkeypatch.delattr(ledger.notary, "_gate")
    assert ledger.verify()["entries"] == before and ledger.index.seqs("t-D03-1") == []
    ledger.ingest([task(1)], actor="office")
    assert ledger.notary.at(None).size == before + 1 and ledger.verify()["ok"]


# -- keys -----------------------------------------------------------------------------------------

def test_init_made_an_owner_only_key_with_a_unique_origin(ledger: Any, signing_key: Path,
                                                          make_ledger: Any, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    assert stat.S_IMODE(signing_key.stat().st_mode) == 0o600
    origin = ledger.notary.signer().name
    assert origin.startswith("kaoping.local/") and ledger.notary.at(None).origin == origin
    monkeypatch.setenv("KAOPING_SIGNING_KEY", str(tmp_path / "another.signing-key"))
    from kaoping.ledger import keys
    assert keys.ensure(tmp_path / "another.signing-key")[0].name != origin


def test_without_its_key_the_ledger_appends_nothing(ledger: Any, signing_key: Path) -> None:
    signing_key.unlink()
    ledger.notary.signatory._key = None  # as a new process would find it
    before = ledger.verify()["entries"]
    with pytest.raises(NoSigningKey):
        ledger.ingest([task(1)], actor="office")
    assert ledger.verify()["entries"] == before


def test_the_private_key_is_in_no_export_and_no_error(ledger: Any, signing_key: Path,
                                                      tmp_path: Path) -> None:
    secret = signing_key.read_text().strip().split("+", 4)[4]  # the seed's base64, "+" and all
    exported = "".join(json.dumps(row, default=str) for row in ledger.export())
    assert secret not in exported
    broken = tmp_path / "broken.key"
    broken.write_text(signing_key.read_text().replace("PRIVATE+KEY", "PRIVATE+KEE"))
    from kaoping.ledger import keys
    with pytest.raises(Exception) as refused:
        keys.load(broken)
    assert secret not in str(refused.value)


# -- verify: rewrites of the entries, the tree and the checkpoints --------------------------------

def _recompute_chain_from(database_url: str, seq: int) -> None:
    """What an intruder with write access does after editing entry `seq`: recompute every link from
    it on, so that the chain is consistent again."""
    table, seq_column = events_table(database_url)
    rows = raw_execute(database_url, f"SELECT {seq_column}, originator_id, originator_version, topic, "
                                     f"state FROM {table} ORDER BY {seq_column}")
    links = {r[0]: r for r in raw_execute(database_url, "SELECT seq, stream, prev_hash, global_prev_hash, "
                                                        "hash FROM kaoping_chain ORDER BY seq")}
    heads: dict[str, str] = {}
    previous = GENESIS
    for number, originator, version, topic, state in rows:
        stream = links[number][1]
        prev = heads.get(str(originator), GENESIS)
        digest = entry_hash(seq=number, stream=stream, version=version, topic=topic,
                            state=bytes(state), prev_hash=prev, global_prev_hash=previous)
        if number >= seq:
            raw_execute(database_url, "UPDATE kaoping_chain SET hash=%s, prev_hash=%s, "
                                      "global_prev_hash=%s WHERE seq=%s", (digest, prev, previous, number))
        heads[str(originator)] = previous = digest


def _edit_entry(database_url: str, seq: int) -> None:
    table, seq_column = events_table(database_url)
    state = bytes(raw_execute(database_url, f"SELECT state FROM {table} WHERE {seq_column}=%s", (seq,))[0][0])
    raw_execute(database_url, f"UPDATE {table} SET state=%s WHERE {seq_column}=%s",
                (state.replace("任务".encode(), "改写".encode()), seq))


def test_a_rewrite_with_a_recomputed_chain_fails_the_checkpoints(ledger: Any, database_url: str) -> None:
    ledger.ingest([task(1), task(2)], actor="office")
    seq = ledger.index.seqs("t-D03-1")[0]
    _edit_entry(database_url, seq)
    _recompute_chain_from(database_url, seq)
    report = ledger.verify()
    assert report["first_bad"] is None  # the chain alone no longer sees it
    assert report["ok"] is False
    assert report["checkpoints"]["first_bad"]["reason"].startswith("its root is not the root")
    assert not report["tree"]["ok"]


@pytest.mark.parametrize("tamper, section", [
    ("UPDATE kaoping_tree SET hash = '00' || substr(hash, 3) WHERE level = 1 AND idx = 0", "tree"),
    ("DELETE FROM kaoping_leaves WHERE leaf_index = 3", "tree"),
    ("UPDATE kaoping_checkpoints SET root = '00' || substr(root, 3) "
     "WHERE size = (SELECT MIN(size) FROM kaoping_checkpoints)", "checkpoints"),
    ("UPDATE kaoping_checkpoints SET note = replace(note, 'kaoping.local', 'kaoping.locaI') "
     "WHERE size = (SELECT MAX(size) FROM kaoping_checkpoints)", "checkpoints"),
])
def test_verify_names_a_rewritten_tree_or_checkpoint(ledger: Any, database_url: str, tamper: str,
                                                     section: str) -> None:
    ledger.ingest([task(1), task(2)], actor="office")
    raw_execute(database_url, tamper)
    report = ledger.verify()
    assert report["ok"] is False and report[section]["ok"] is False
    assert report["first_bad"] is None


# -- through the command line ---------------------------------------------------------------------

def cli(*args: str) -> Any:
    return CliRunner().invoke(app, list(args), catch_exceptions=False)


def test_an_export_checks_against_a_published_checkpoint_offline(ledger: Any, database_url: str,
                                                                  tmp_path: Path) -> None:
    ledger.ingest([task(i) for i in range(1, 6)], actor="office")
    note, vkey, export = tmp_path / "checkpoint.txt", tmp_path / "vkey.txt", tmp_path / "ledger.jsonl"
    published = cli("checkpoint", "--db", database_url, "--json")
    assert published.exit_code == 0, published.output
    note.write_text(json.loads(published.stdout)["note"])
    vkey.write_text(cli("key", "vkey", "--db", database_url).stdout)
    exported = cli("export", "--db", database_url, "--out", str(export))
    assert exported.exit_code == 0, exported.output
    lines = export.read_text().splitlines(keepends=True)
    assert [json.loads(line)["leaf_index"] for line in lines] == list(range(len(lines)))

    def check(text: str, *, key: Path = vkey) -> tuple[int, dict[str, Any]]:
        path = tmp_path / "copy.jsonl"
        path.write_text(text)
        result = cli("verify", "--file", str(path), "--checkpoint", str(note), "--vkey", str(key), "--json")
        return result.exit_code, json.loads(result.stdout)

    code, report = check("".join(lines))
    assert code == 0 and report["checkpoint"]["signature_ok"] and report["checkpoint"]["root_matches"]
    code, report = check("".join(lines[:-2]))  # the newest entries cut off
    assert code == 1 and not report["checkpoint"]["root_matches"]
    assert "cut short" in report["first_bad"]["reason"]  # the lines' last_seq says so too
    other = tmp_path / "other.key"
    assert cli("key", "generate", "--origin", "someone.else/log", "--out", str(other)).exit_code == 0
    other_vkey = tmp_path / "other.vkey"
    other_vkey.write_text(cli("key", "generate", "--origin", "x/y", "--out", str(tmp_path / "y")).stdout)
    code, report = check("".join(lines), key=other_vkey)
    assert code == 1 and not report["checkpoint"]["signature_ok"]
    seq = ledger.index.seqs("t-D03-2")[0]
    _edit_entry(database_url, seq)
    _recompute_chain_from(database_url, seq)
    assert cli("export", "--db", database_url, "--out", str(export)).exit_code == 0
    code, report = check(export.read_text())
    assert code == 1 and not report["checkpoint"]["root_matches"]
    # the chain alone was made consistent; what the database's verify found rides on the lines
    assert "failed verify when exported" in report["first_bad"]["reason"]


@pytest.mark.parametrize("args", [["--checkpoint", "{vkey}"], ["--vkey", "not+a+vkey"]])
def test_a_malformed_note_or_vkey_is_a_one_line_error(ledger: Any, database_url: str, tmp_path: Path,
                                                     args: list[str]) -> None:
    export, vkey = tmp_path / "e.jsonl", tmp_path / "vkey.txt"
    cli("export", "--db", database_url, "--out", str(export))
    vkey.write_text(cli("key", "vkey", "--db", database_url).stdout)
    note = tmp_path / "note.txt"
    note.write_text(ledger.notary.note(ledger.notary.at(None)))
    options = {"--checkpoint": str(note), "--vkey": str(vkey)}
    options.update({args[0]: args[1].format(vkey=vkey)})
    result = cli("verify", "--file", str(export), *[x for kv in options.items() for x in kv])
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) <= 2


def test_prove_and_consistency_on_the_command_line(ledger: Any, database_url: str) -> None:
    ledger.ingest([task(1)], actor="office")
    seq = ledger.index.seqs("t-D03-1")[0]
    proof = json.loads(cli("prove", str(seq), "--db", database_url, "--json").stdout)
    assert set(proof) >= {"seq", "leaf_index", "hash", "leaf_hash", "tree_size", "proof", "checkpoint"}
    consistency = json.loads(cli("consistency", "2", "--db", database_url, "--json").stdout)
    assert consistency["size1"] == 2 and consistency["size2"] == proof["tree_size"]
    missing = cli("prove", "999999", "--db", database_url)
    assert missing.exit_code == 1 and "seq" in missing.output


# -- an independent client: Go's sumdb/note and sumdb/tlog -----------------------------------------

def _go() -> str | None:
    found = shutil.which("go")
    if found is None or not Path("/usr/share/gocode/src/golang.org/x/mod/sumdb/tlog").is_dir():
        if os.environ.get("KAOPING_REQUIRE_GO"):
            pytest.fail("Go and golang-golang-x-mod-dev are required (KAOPING_REQUIRE_GO)")
        pytest.skip("Go's sumdb packages are not installed (apt-get install golang-go "
                    "golang-golang-x-mod-dev)")
    return found


def test_go_s_own_note_and_tlog_accept_our_checkpoints_and_proofs(ledger: Any, tmp_path: Path) -> None:
    go = _go()
    ledger.ingest([task(i) for i in range(1, 12)], actor="office")
    roots = chain_roots(ledger)
    latest = ledger.notary.at(None)
    seqs = [link.seq for link in ledger.index.all_links()]
    request = {
        "vkey": vkey_of(ledger).text,
        "note": ledger.notary.note(latest),
        "inclusion": [{k: p[k] for k in ("leaf_index", "leaf_hash", "proof")}
                      for p in (ledger.notary.inclusion(s) for s in seqs[::7] + seqs[-1:])],
        "consistency": [{"size1": old, "root1": base64.b64encode(roots[old]).decode(),
                         "proof": ledger.notary.consistency(old)["proof"]}
                        for old in (1, 2, 3, 64, latest.size - 1, latest.size)],
    }
    env = {"GO111MODULE": "off", "GOPATH": "/usr/share/gocode", "GOCACHE": str(tmp_path / "gocache"),
           "GOFLAGS": "-mod=mod", "PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(tmp_path)}
    result = subprocess.run([go, "run", str(GO_CHECK)], input=json.dumps(request), capture_output=True,
                            text=True, env=env, timeout=300)
    assert result.stdout.strip() == "ok", result.stdout + result.stderr
    request["inclusion"][0]["proof"][0] = base64.b64encode(leaf_hash(b"forged")).decode()
    bent = subprocess.run([go, "run", str(GO_CHECK)], input=json.dumps(request), capture_output=True,
                          text=True, env=env, timeout=300)
    assert bent.returncode == 1 and "inclusion" in bent.stdout


def test_group_receipts_are_the_inclusion_proofs_prove_gives(ledger: Any) -> None:
    # a group's receipts hash the ranges its entries share once: each must still be the entry's
    # own proof, as `prove SEQ` reads it alone
    ledger.ingest([task(n) for n in range(1, 12)], actor="office")
    outcomes = ledger.ingest_group([PendingBatch([task(n, unit)], "office")
                                    for n, unit in [(20, "D03"), (21, "D04"), (22, "D05"), (3, "D03")]])
    receipts = [r for outcome in outcomes for result in outcome.results for r in result.receipts]
    assert len(receipts) == 4
    for receipt in receipts:
        alone = ledger.notary.inclusion(receipt["seq"])
        assert (receipt["leaf_index"], receipt["hash"], receipt["proof"]) == (
            alone["leaf_index"], alone["hash"], alone["proof"])


def test_stream_heads_in_one_statement_match_each_stream_read_alone(ledger: Any) -> None:
    from kaoping.ledger.store import CHAIN_TABLE, _stream_heads

    ledger.ingest([task(n, unit) for n, unit in enumerate(["D03", "D04", "D03", "D05"], 1)],
                  actor="office")
    rows = ledger.recorder.query(f"SELECT DISTINCT originator_id FROM {CHAIN_TABLE}")
    # past one statement's 200 streams, with streams that have no link yet among them
    ids = [r["originator_id"] for r in rows] + [f"no-such-stream-{n}" for n in range(230)]
    with ledger.recorder.reading() as tx:
        heads = _stream_heads(tx, ids)
    for originator_id in ids:
        alone = ledger.recorder.query(f"SELECT hash, version FROM {CHAIN_TABLE} "
                                      "WHERE originator_id = %s ORDER BY version DESC LIMIT 1",
                                      [originator_id])
        assert heads[originator_id] == ((alone[0]["hash"], alone[0]["version"]) if alone
                                        else (GENESIS, 0))
    assert sum(h != GENESIS for h, _ in heads.values()) == len(rows)
