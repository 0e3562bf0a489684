"""Receipts anyone can check, witnesses that compare notes, and a witness that reads a ledger's
answers within bounds (issue 23): `kaoping receipt check`, `kaoping witness --receipt`, `kaoping
witness compare`, against a real `kaoping serve` or a server that answers what no ledger would."""

from __future__ import annotations

import base64
import hashlib
import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from kaoping.api.cli import app as cli_app
from kaoping.api.http import create_app
from kaoping.domain.notes import Checkpoint, sign_note
from kaoping.ledger import keys
from tests.test_http_e2e import serving
from tests.test_transparency import task
from tests.test_transparency_http import bearer


def cli(*args: str) -> Any:
    return CliRunner().invoke(cli_app, list(args), catch_exceptions=False)


def as_json(result: Any) -> dict[str, Any]:
    return json.loads(result.stdout)


@pytest.fixture
def posted(ledger: Any, tmp_path: Path) -> dict[str, Any]:
    """Two 201s of the real app, saved as files, and the tokens and vkey a checker holds."""
    office = bearer(ledger, "office")
    with TestClient(create_app(ledger=ledger)) as client:
        first = client.post("/v1/commands", json=[task(1), task(2, "D04")], headers=office)
        second = client.post("/v1/commands", json=[task(3)], headers=office)
    assert first.status_code == second.status_code == 201
    files = {}
    for name, response in (("first", first), ("second", second)):
        files[name] = tmp_path / f"{name}.json"
        files[name].write_text(response.text)
    vkey = tmp_path / "vkey.txt"
    vkey.write_text(ledger.notary.signer().verifier.text)
    _, auditor = ledger.create_token(actor="审计", role="auditor")
    return {**files, "vkey": vkey, "token": auditor, "body": first.json()}


def receipt_check(base: str, token: str, vkey: Path, file: Path) -> tuple[int, dict[str, Any]]:
    result = cli("receipt", "check", str(file), "--url", base, "--token", token, "--vkey", str(vkey), "--json")
    return result.exit_code, as_json(result)


def test_a_201_and_a_downloaded_receipt_check_and_start_a_witness(ledger: Any, database_url: str,
                                                                  posted: dict[str, Any], tmp_path: Path) -> None:
    seq = posted["body"]["results"][0]["seqs"][0]
    with TestClient(create_app(ledger=ledger)) as client:
        token = bearer(ledger, "unit", unit="D03")["Authorization"].split()[1]
        assert client.post("/signin", data={"token": token, "next": "/"}, follow_redirects=False).status_code == 303
        page = client.get("/units/D03").text
        downloaded = tmp_path / "download.json"
        downloaded.write_text(client.get(f"/units/D03/receipts/{seq}.json").text)
    assert "kaoping receipt check" in page  # the unit's page says how a third party checks them
    # the note as `jq -r` saves it (one newline more) and as a copy that lost its last one
    body = posted["body"]
    for variant, note in (("extra", body["checkpoint"] + "\n"), ("none", body["checkpoint"].rstrip("\n"))):
        (tmp_path / f"{variant}.json").write_text(json.dumps({**body, "checkpoint": note}))
    with serving(database_url, tmp_path / "serve.log", timeout=60) as base:
        for file in (posted["first"], downloaded, tmp_path / "extra.json", tmp_path / "none.json"):
            code, report = receipt_check(base, posted["token"], posted["vkey"], file)
            assert code == 0 and report["ok"] and report["problem"] is None, (file, report)
            assert report["current_size"] >= report["receipt_size"]
            if file == posted["first"]:  # the ledger grew since: the consistency proof was asked for
                assert report["current_size"] > report["receipt_size"]
        assert report["seqs"] == [r["seq"] for result in body["results"] for r in result["receipts"]]
        state = tmp_path / "unit.state"
        started = cli("witness", "--receipt", str(downloaded), "--vkey", str(posted["vkey"]), "--state",
                      str(state), "--url", base, "--token", posted["token"], "--json")
        assert started.exit_code == 0 and as_json(started)["old_size"] == json.loads(
            downloaded.read_text())["tree_size"]
        again = cli("witness", "--receipt", str(downloaded), "--vkey", str(posted["vkey"]), "--state", str(state))
        assert again.exit_code == 2 and "已存在" in again.output


def test_a_receipt_whose_proof_or_signature_fails_is_refused(ledger: Any, posted: dict[str, Any],
                                                             tmp_path: Path) -> None:
    body = posted["body"]
    bent = json.loads(json.dumps(body))
    bent["results"][0]["receipts"][0]["proof"][0] = base64.b64encode(b"\0" * 32).decode()
    (tmp_path / "bent.json").write_text(json.dumps(bent))
    other = tmp_path / "other.vkey"
    other.write_text(keys.generate(tmp_path / "o.key", "someone.else/log").verifier.text)
    # refused before the ledger is asked: no server is needed to see it
    code, report = receipt_check("http://127.0.0.1:9", posted["token"], posted["vkey"], tmp_path / "bent.json")
    assert code == 1 and not report["ok"] and "inclusion proof" in report["problem"]
    code, report = receipt_check("http://127.0.0.1:9", posted["token"], other, posted["first"])
    assert code == 1 and "does not verify" in report["problem"]
    (tmp_path / "junk.json").write_text("[" * 100_000)
    junk = cli("receipt", "check", str(tmp_path / "junk.json"), "--url", "http://127.0.0.1:9", "--token", "t",
               "--vkey", str(posted["vkey"]))
    assert junk.exit_code == 2 and "Traceback" not in junk.output and len(junk.output.strip().splitlines()) == 1


# -- witnesses comparing notes ---------------------------------------------------------------------

def log_notes(tmp_path: Path) -> tuple[Any, Callable[[int, bytes], str]]:
    """A log key of the test's own (not the ledger's), and notes it signs: two witnesses of a log
    that forked would hold such notes."""
    signer = keys.generate(tmp_path / "log.key", "kaoping.local/forked")
    (tmp_path / "log.vkey").write_text(signer.verifier.text)
    return signer, lambda size, root: sign_note(Checkpoint(signer.name, size, root).text, signer)


def test_two_witnesses_holding_two_roots_for_one_size_are_a_split_view(tmp_path: Path) -> None:
    _, note = log_notes(tmp_path)
    a, b, same = tmp_path / "a.state", tmp_path / "b.state", tmp_path / "same.state"
    a.write_text(note(7, hashlib.sha256(b"one").digest()))
    b.write_text(note(7, hashlib.sha256(b"two").digest()))
    same.write_text(a.read_text())
    split = cli("witness", "compare", str(a), str(b), "--vkey", str(tmp_path / "log.vkey"), "--json")
    assert split.exit_code == 1 and as_json(split)["split"] is True
    agreed = cli("witness", "compare", str(a), str(same), "--vkey", str(tmp_path / "log.vkey"))
    assert agreed.exit_code == 0
    with answering({"/state": lambda: b.read_bytes()}) as base:
        peer = cli("witness", "compare", str(a), "--peer", f"{base}/state", "--vkey", str(tmp_path / "log.vkey"))
    assert peer.exit_code == 1 and "分裂视图" in peer.output
    b.write_text(note(9, hashlib.sha256(b"two").digest()))
    unknown = cli("witness", "compare", str(a), str(b), "--vkey", str(tmp_path / "log.vkey"))
    assert unknown.exit_code == 2 and "--url" in unknown.output


def test_states_of_one_ledger_compare_consistent_and_a_rewrite_splits_them(
        ledger: Any, database_url: str, posted: dict[str, Any], tmp_path: Path) -> None:
    from tests import insider

    a, b = tmp_path / "a.state", tmp_path / "b.state"
    a.write_text(posted["body"]["checkpoint"])
    with serving(database_url, tmp_path / "serve.log", timeout=60) as base:
        cli("witness", "--url", base, "--token", posted["token"], "--vkey", str(posted["vkey"]), "--state", str(b))
        options = ["--vkey", str(posted["vkey"]), "--url", base, "--token", posted["token"], "--json"]
        consistent = cli("witness", "compare", str(a), str(b), *options)
        assert consistent.exit_code == 0, consistent.output
        assert as_json(consistent)["b"]["size"] > as_json(consistent)["a"]["size"]
    insider.rewrite(database_url, posted["body"]["results"][0]["seqs"][0])
    with serving(database_url, tmp_path / "serve2.log", timeout=60) as base:
        options[3] = base
        split = cli("witness", "compare", str(a), str(b), *options)
    assert split.exit_code == 1 and as_json(split)["split"] is True


# -- a witness reads within bounds -----------------------------------------------------------------

@contextmanager
def answering(routes: dict[str, Callable[[], bytes]]) -> Iterator[str]:
    """A server that answers each path with what `routes` gives: what no ledger would send."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - the library's name
            make = routes.get(self.path.split("?")[0])
            body = make() if make else b"no"
            self.send_response(200 if make else 404)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def _proof(hashes: list[str]) -> bytes:
    return json.dumps({"size1": 3, "size2": 5, "proof": hashes}).encode()


@pytest.mark.parametrize("checkpoint, proof, words", [
    (lambda note: b"x" * (2 * 1024 * 1024), None, "字节"),  # a reply of any size, read up to a bound
    (lambda note: note, lambda: b"[" * 20_000 + b"]" * 20_000, "嵌套太深"),
    (lambda note: note, lambda: _proof(["!!not base64!!"]), "base64"),
    (lambda note: note, lambda: _proof([base64.b64encode(b"\1" * 32).decode()] * 65), "64"),
    (lambda note: note.replace(b"\n\n", b"\n"), None, "签名的检查点"),
])
def test_a_malformed_or_oversized_answer_is_a_one_line_error(tmp_path: Path, checkpoint: Any, proof: Any,
                                                             words: str) -> None:
    _, note = log_notes(tmp_path)
    state = tmp_path / "w.state"
    state.write_text(note(3, hashlib.sha256(b"three").digest()))
    served = note(5, hashlib.sha256(b"five").digest()).encode()
    routes = {"/v1/checkpoint": lambda: checkpoint(served)}
    if proof is not None:
        routes["/v1/proofs/consistency"] = proof
    with answering(routes) as base:
        result = cli("witness", "--url", base, "--token", "t", "--vkey", str(tmp_path / "log.vkey"),
                     "--state", str(state))
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output and len(result.output.strip().splitlines()) == 1
    assert words in result.output
    assert state.read_text() == note(3, hashlib.sha256(b"three").digest())  # nothing accepted


@pytest.mark.parametrize("ending", ["\n\n", ""])
def test_a_checkpoint_saved_with_a_newline_more_or_less_still_checks_an_export(
        ledger: Any, database_url: str, tmp_path: Path, ending: str) -> None:
    # `jq -r .checkpoint` writes one newline after the note's own; a copy from a page may lose it
    ledger.ingest([task(1)], actor="office")
    note = json.loads(cli("checkpoint", "--db", database_url, "--json").stdout)["note"]
    (tmp_path / "cp.txt").write_text(note.rstrip("\n") + ending)
    (tmp_path / "vkey.txt").write_text(ledger.notary.signer().verifier.text)
    assert cli("export", "--db", database_url, "--out", str(tmp_path / "e.jsonl")).exit_code == 0
    result = cli("verify", "--file", str(tmp_path / "e.jsonl"), "--checkpoint", str(tmp_path / "cp.txt"),
                 "--vkey", str(tmp_path / "vkey.txt"), "--json")
    assert result.exit_code == 0 and as_json(result)["checkpoint"]["signature_ok"]
