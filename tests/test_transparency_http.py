"""The log over HTTP and on the pages, and a witness holding a real `kaoping serve` to what it saw:
checkpoints, proofs and receipts with real tokens; a rollback and a fork refused end to end."""

from __future__ import annotations

import base64
import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from kaoping.api.cli import app as cli_app
from kaoping.api.http import create_app
from kaoping.domain.merkle import leaf_hash, verify_consistency, verify_inclusion
from kaoping.domain.notes import open_checkpoint, split_note
from tests.test_http_e2e import serving
from tests.test_transparency import task

COOKIE = "kaoping_session"


@pytest.fixture
def client(ledger: Any) -> Iterator[TestClient]:
    with TestClient(create_app(ledger=ledger)) as http:
        yield http


def bearer(ledger: Any, role: str, **scope: Any) -> dict[str, str]:
    _, token = ledger.create_token(actor=f"{role}-x", role=role, **scope)
    return {"Authorization": f"Bearer {token}"}


def test_a_201_carries_the_checkpoint_and_a_receipt_per_entry(client: TestClient, ledger: Any) -> None:
    office = bearer(ledger, "office")
    response = client.post("/v1/commands", json=[task(1), task(2, unit="D04")], headers=office)
    assert response.status_code == 201, response.text
    body = response.json()
    checkpoint, _ = open_checkpoint(body["checkpoint"], ledger.notary.signer().verifier)
    for result in body["results"]:
        (receipt,) = result["receipts"]
        assert receipt["seq"] == result["seqs"][0]
        verify_inclusion(receipt["leaf_index"], checkpoint.size, leaf_hash(bytes.fromhex(receipt["hash"])),
                         [base64.b64decode(p) for p in receipt["proof"]], checkpoint.root)
    assert client.get("/v1/checkpoint", headers=office).text == body["checkpoint"]


def test_checkpoint_and_proofs_for_every_read_role(client: TestClient, ledger: Any) -> None:
    ledger.ingest([task(1)], actor="office")
    seq = ledger.index.seqs("t-D03-1")[0]
    for role, scope in (("auditor", {}), ("verifier", {}), ("unit", {"unit": "D03"})):
        headers = bearer(ledger, role, **scope)
        note = client.get("/v1/checkpoint", headers=headers)
        assert note.status_code == 200 and note.headers["content-type"].startswith("text/plain")
        proof = client.get(f"/v1/proofs/inclusion?seq={seq}", headers=headers)
        assert proof.status_code == 200, (role, proof.text)
        size = proof.json()["tree_size"]
        consistency = client.get(f"/v1/proofs/consistency?from=2&to={size}", headers=headers).json()
        signed, _ = open_checkpoint(consistency["checkpoint"], ledger.notary.signer().verifier)
        older = ledger.notary.all()[0]
        verify_consistency(older.size, size, [base64.b64decode(p) for p in client.get(
            f"/v1/proofs/consistency?from={older.size}", headers=headers).json()["proof"]],
            older.root, signed.root)
    assert client.get("/v1/checkpoint").status_code == 401


def test_a_unit_token_proves_entries_of_its_own_history_only(client: TestClient, ledger: Any) -> None:
    ledger.ingest([task(1), task(1, unit="D04")], actor="office")
    unit = bearer(ledger, "unit", unit="D03")
    own, other = ledger.index.seqs("t-D03-1")[0], ledger.index.seqs("t-D04-1")[0]
    assert client.get(f"/v1/proofs/inclusion?seq={own}", headers=unit).status_code == 200
    refused = client.get(f"/v1/proofs/inclusion?seq={other}", headers=unit)
    assert refused.status_code == 403 and refused.json()["detail"]["field"] == "seq"


@pytest.mark.parametrize("query, status, field", [
    ("/v1/proofs/inclusion?seq=999999", 404, "seq"),
    ("/v1/proofs/inclusion?seq=1&size=3", 404, "size"),
    ("/v1/proofs/consistency?from=2&to=3", 404, "to"),
    ("/v1/proofs/consistency?from=999999", 422, "from"),
])
def test_proof_requests_for_what_is_not_there(client: TestClient, ledger: Any, query: str, status: int,
                                              field: str) -> None:
    response = client.get(query, headers=bearer(ledger, "auditor"))
    assert response.status_code == status, response.text
    assert response.json()["detail"]["field"] == field


def test_a_registered_witness_s_cosignature_is_kept_and_shown(client: TestClient, ledger: Any,
                                                              tmp_path: Path) -> None:
    from kaoping.ledger import keys
    from kaoping.domain.notes import cosign

    auditor = bearer(ledger, "auditor")
    witness = keys.generate(tmp_path / "w.key", "witness.example/w1", cosigner=True)
    ledger.admin.add_witness(witness.verifier.text)
    note = client.get("/v1/checkpoint", headers=auditor).text
    text, _ = split_note(note)
    line = cosign(text, witness, 1_800_000_000).line
    sent = client.post("/v1/checkpoint/cosignatures", headers=auditor,
                       json={"note": note + line, "vkey": witness.verifier.text})
    assert sent.status_code == 201, sent.text
    assert client.get("/v1/checkpoint", headers=auditor).text == note + line
    forged = line.replace(line.split(" ")[-1][:8], "AAAAAAAA")
    refused = client.post("/v1/checkpoint/cosignatures", headers=auditor,
                          json={"note": note + forged, "vkey": witness.verifier.text})
    assert refused.status_code == 422
    unit = bearer(ledger, "unit", unit="D03")
    assert client.post("/v1/checkpoint/cosignatures", headers=unit,
                       json={"note": note + line, "vkey": witness.verifier.text}).status_code == 403
    listed = client.get("/v1/witnesses", headers=unit).json()
    assert [(w["name"], w["vkey"], w["cosigned_size"]) for w in listed] == [
        ("witness.example/w1", witness.verifier.text, int(text.split("\n")[1]))]


def test_a_cosignature_forged_under_a_registered_witness_s_name_is_refused(client: TestClient, ledger: Any,
                                                                           tmp_path: Path) -> None:
    from kaoping.ledger import keys
    from kaoping.domain.notes import cosign

    office = bearer(ledger, "office")
    real = keys.generate(tmp_path / "real.key", "witness.example/w1", cosigner=True)
    ledger.admin.add_witness(real.verifier.text)
    # an office token's holder makes a key of its own under the real witness's name
    forger = keys.generate(tmp_path / "forged.key", "witness.example/w1", cosigner=True)
    note = client.get("/v1/checkpoint", headers=office).text
    text, _ = split_note(note)
    line = cosign(text, forger, 1_800_000_000).line
    refused = client.post("/v1/checkpoint/cosignatures", headers=office,
                          json={"note": note + line, "vkey": forger.verifier.text})
    assert refused.status_code == 422 and "witness.example/w1" in refused.json()["detail"]["message"]
    stranger = keys.generate(tmp_path / "stranger.key", "witness.example/nobody", cosigner=True)
    unknown = client.post("/v1/checkpoint/cosignatures", headers=office, json={
        "note": note + cosign(text, stranger, 1_800_000_000).line, "vkey": stranger.verifier.text})
    assert unknown.status_code == 422 and unknown.json()["detail"]["code"] == "witness.unregistered"
    # a row written behind the endpoint's back is not shown either
    ledger.recorder.write("INSERT INTO kaoping_cosignatures VALUES (%s, %s, %s, %s, %s, %s, %s)",
                          [int(text.split("\n")[1]), real.name, real.id.hex(), 1_800_000_000,
                           real.verifier.text, line, "2026-12-01T00:00:00+00:00"])
    assert client.get("/v1/checkpoint", headers=office).text == note
    assert "witness.example/w1" not in client.get("/signin").text
    # a removed witness's genuine cosignatures are no longer shown
    genuine = cosign(text, real, 1_800_000_001).line
    ledger.recorder.write("DELETE FROM kaoping_cosignatures")
    assert client.post("/v1/checkpoint/cosignatures", headers=office,
                       json={"note": note + genuine}).status_code == 201
    assert client.get("/v1/checkpoint", headers=office).text == note + genuine
    ledger.admin.remove_witness(real.name)  # an entry: the latest checkpoint is a newer one
    assert ledger.notary.note(ledger.notary.at(int(text.split("\n")[1]))) == note
    assert ledger.notary.witnesses() == []


def _signed_in(client: TestClient, ledger: Any, role: str, **scope: Any) -> None:
    token = bearer(ledger, role, **scope)["Authorization"].split()[1]
    assert client.post("/signin", data={"token": token, "next": "/"}, follow_redirects=False).status_code == 303


def test_the_footer_shows_the_latest_checkpoint_and_a_unit_downloads_receipts(client: TestClient,
                                                                            ledger: Any) -> None:
    ledger.ingest([task(1)], actor="office")
    _signed_in(client, ledger, "unit", unit="D03")
    page = client.get("/units/D03").text
    latest = ledger.notary.at(None)
    assert 'data-testid="checkpoint"' in page and f"第 <strong>{latest.size}</strong> 条" in page
    seq = ledger.index.seqs("t-D03-1")[0]
    assert f"/units/D03/receipts/{seq}.json" in page
    receipt = client.get(f"/units/D03/receipts/{seq}.json")
    assert receipt.status_code == 200 and "attachment" in receipt.headers["content-disposition"]
    document = receipt.json()
    signed, _ = open_checkpoint(document["checkpoint"], ledger.notary.signer().verifier)
    verify_inclusion(document["leaf_index"], signed.size, base64.b64decode(document["leaf_hash"]),
                     [base64.b64decode(p) for p in document["proof"]], signed.root)
    assert "PRIVATE" not in receipt.text and "PRIVATE" not in page
    other = ledger.index.seqs("t-D03-1")[0] - 1  # an entry of the registry, not of D03's history
    assert client.get(f"/units/D03/receipts/{other}.json").status_code == 404
    assert client.get("/units/D04/receipts/1.json").status_code == 403


# -- a witness against a real server ----------------------------------------------------------------

def cli(*args: str) -> Any:
    return CliRunner().invoke(cli_app, list(args), catch_exceptions=False)


def witness(base: str, token: str, vkey: Path, state: Path, *more: str) -> tuple[int, dict[str, Any]]:
    result = cli("witness", "--url", base, "--token", token, "--vkey", str(vkey), "--state", str(state),
                 "--json", *more)
    return result.exit_code, json.loads(result.stdout)


def test_a_witness_follows_the_ledger_and_refuses_a_rollback_and_a_fork(
        tmp_path: Path, signing_key: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ledger_file = tmp_path / "a.db"
    db = f"sqlite:///{ledger_file}"
    assert cli("init", "--db", db).exit_code == 0
    token = cli("token", "create", "--actor", "审计", "--role", "auditor", "--db", db).stdout.strip()
    vkey = tmp_path / "vkey.txt"
    vkey.write_text(cli("key", "vkey", "--db", db).stdout)
    state = tmp_path / "witness.state"
    batch = tmp_path / "batch.jsonl"

    def append(target: str, *commands: dict[str, Any]) -> None:
        batch.write_text("".join(json.dumps(c, ensure_ascii=False) + "\n" for c in commands))
        assert cli("ingest", str(batch), "--db", target).exit_code == 0

    with serving(db, tmp_path / "a.log", timeout=60) as base:
        code, first = witness(base, token, vkey, state)
        assert code == 0 and first["ok"] and first["old_size"] == 0
        shutil.copyfile(ledger_file, tmp_path / "before.db")  # the ledger as the witness saw it
        append(db, task(1), task(2))
        made = cli("key", "generate", "--origin", "witness.example/w1", "--out", str(tmp_path / "w.key"),
                   "--cosigner")
        assert made.exit_code == 0
        assert cli("witness", "add", made.stdout.strip(), "--db", db).exit_code == 0
        code, second = witness(base, token, vkey, state, "--cosign", str(tmp_path / "w.key"))
        assert code == 0 and second["old_size"] == first["new_size"] and second["new_size"] > first["new_size"]
        assert "witness.example/w1" in cli("checkpoint", "--db", db).stdout
    held = state.read_text()

    # a rollback: the same log, served from a copy older than what the witness holds
    older = f"sqlite:///{tmp_path / 'before.db'}"
    with serving(older, tmp_path / "b.log", timeout=60) as base:
        code, report = witness(base, token, vkey, state)
    assert code == 1 and not report["ok"] and "rollback" in report["reason"]
    assert state.read_text() == held

    # a fork: the copy, grown differently, is as long as the ledger the witness saw, then longer.
    # The key's own record refuses to sign it (the copy is smaller than what it signed) ...
    batch.write_text("".join(json.dumps(c, ensure_ascii=False) + "\n" for c in
                             (task(7, unit="D05"), task(8, unit="D05"), task(9, unit="D05"))))
    refused = cli("ingest", str(batch), "--db", older)
    assert refused.exit_code == 1 and "账本分叉" in refused.output
    # ... so only a copy of the key without its record (a thief of the key file) can sign one;
    # the witness still refuses it
    stolen = tmp_path / "stolen.signing-key"
    shutil.copyfile(signing_key, stolen)
    monkeypatch.setenv("KAOPING_SIGNING_KEY", str(stolen))
    append(older, task(7, unit="D05"), task(8, unit="D05"), task(9, unit="D05"))
    with serving(older, tmp_path / "c.log", timeout=60) as base:
        code, report = witness(base, token, vkey, state)
    assert code == 1 and not report["ok"] and "fork" in report["reason"]
    assert state.read_text() == held
    monkeypatch.setenv("KAOPING_SIGNING_KEY", str(signing_key))

    # a bad signature: another log's key
    other = tmp_path / "other.vkey"
    other.write_text(cli("key", "generate", "--origin", "someone.else/log", "--out", str(tmp_path / "o.key")).stdout)
    with serving(db, tmp_path / "d.log", timeout=60) as base:
        code, report = witness(base, token, other, tmp_path / "fresh.state")
        assert code == 1 and "does not verify" in report["reason"]
        assert not (tmp_path / "fresh.state").exists()
        malformed = cli("witness", "--url", base, "--token", token, "--vkey", "not-a-vkey",
                        "--state", str(state))
        assert malformed.exit_code == 2 and "Traceback" not in malformed.output
