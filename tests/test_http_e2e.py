"""A department year recorded over HTTP by the parties themselves, each with its own token, answers
the same as the operator's ingest of the same commands; and a real `kaoping serve` process."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from kaoping.api.bootstrap import build_ledger
from kaoping.api.http import create_app
from kaoping.domain.namespaces import unit_dispute_code, unit_id
from kaoping.ledger.settings import Settings
from conftest import scratch_database
from scripts.benchmarks.serving import free_port, serving  # noqa: F401 (one home; the tests import them from here)

KAOPING = Path(sys.executable).parent / "kaoping"  # the installed console script of this venv
SHANGHAI = timezone(timedelta(hours=8))

#: one token per party, created in this order in both ledgers (so that their seqs agree)
PARTIES: dict[str, dict[str, Any]] = {
    "office": dict(actor="考评办", role="office"),
    "assessor": dict(actor="组织部", role="assessor", indicators=["C01", "C02", "C03", "C20"]),
    "leader": dict(actor="副县长甲", role="leader", units=["D03", "D04", "D05"]),
    "group_office": dict(actor="领导小组办公室", role="group_office"),
    "D03": dict(actor="县物价局", role="unit", unit="D03"),
    "T01": dict(actor="城关镇", role="unit", unit="T01"),
    "T02": dict(actor="T02镇", role="unit", unit="T02"),
    "verifier": dict(actor="核查组", role="verifier"),
}
#: the hash links differ between two ledgers (the tokens' digests are random); all else agrees
LINKS = {"hash", "prev_hash", "global_prev_hash"}


def party_of(cmd: dict[str, Any]) -> str:
    kind = cmd["type"]
    if kind == "common.scored":
        return "assessor"
    if kind == "ballot.cast":
        return {"leader": "leader", "office": "group_office"}.get(cmd["kind"], cmd["rater"])
    if kind in ("checkpoint.reported", "evidence.submitted", "dispute.filed"):
        return cmd["unit"]
    if kind == "evidence.verified":
        return "verifier"
    return "office"


def as_sent(cmd: dict[str, Any]) -> dict[str, Any]:
    """The command as its party may send it: only the office supplies recorded_at."""
    if party_of(cmd) == "office":
        return cmd
    return {k: v for k, v in cmd.items() if k != "recorded_at"}


def plain(document: Any) -> Any:
    return json.loads(json.dumps(document, default=str))


def unlinked(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{k: v for k, v in row.items() if k not in LINKS} for row in rows]


@pytest.fixture
def reference_url(database_url: str, tmp_path: Path, request: pytest.FixtureRequest):
    """A second, empty database of the same kind as `database_url`."""
    if database_url.startswith("sqlite:///"):
        yield f"sqlite:///{tmp_path / 'reference.db'}"
        return
    with scratch_database(request.getfixturevalue("postgres_admin")) as url:
        yield url


def test_a_year_recorded_by_its_parties_over_http_equals_the_operators_ingest(
        make_ledger, reference_url, clock, year, tmp_path):
    start = clock.now
    clock.now = datetime(2018, 1, 1, 9, 0, tzinfo=SHANGHAI)
    served = make_ledger()
    # a key of its own: a key signs one log, and its record refuses a second ledger as a fork
    reference = build_ledger(Settings(database_url=reference_url,
                                      signing_key=str(tmp_path / "reference.signing-key")), clock=clock)
    try:
        assert served.init() and reference.init()
        headers = {}
        for party, scope in PARTIES.items():
            headers[party] = {"Authorization": f"Bearer {served.create_token(**scope)[1]}"}
            reference.create_token(**scope)
        parties = {party_of(cmd) for cmd in year}
        assert parties == set(PARTIES), parties  # every party records part of the year
        # a unit token's ids and dispute codes are stored in its unit's namespace (`D03:ID`,
        # `D03-CODE`, docs/commands.md §5): everyone after names them so, and the operator's
        # reference ledger is given them so
        ids: dict[str, str] = {}
        codes: dict[str, str] = {}
        with TestClient(create_app(ledger=served)) as client:
            for cmd in year:
                # knowledge time follows the year: the clock moves forward to each fact's time
                clock.now = max(clock.now, datetime.fromisoformat(cmd["recorded_at"]))
                party, sent = party_of(cmd), as_sent(cmd)
                sent = {**sent, **{k: names[sent[k]] for k, names in (("target", ids), ("dispute", codes))
                                   if sent.get(k) in names}}
                response = client.post("/v1/commands", json=[sent], headers=headers[party])
                assert response.status_code == 201, (party, cmd["id"], response.text)
                [result] = response.json()["results"]
                assert result["duplicate"] is False
                stored = {**sent, "id": result["id"]}
                ids[cmd["id"]] = result["id"]
                if PARTIES[party]["role"] == "unit":
                    assert result["id"] == unit_id(party, cmd["id"])
                    if cmd["type"] == "dispute.filed":
                        stored["dispute"] = codes[cmd["dispute"]] = unit_dispute_code(party, cmd["dispute"])
                reference.ingest([stored], actor=PARTIES[party]["actor"])
            clock.now = start
            office = headers["office"]
            for unit in ("D03", "D04", "D05", "T01"):
                score = client.get(f"/v1/units/{unit}/score", headers=office).json()
                assert score == plain(reference.score(unit)), unit
                assert client.get(f"/v1/units/{unit}/replay", headers=office).json() == \
                    plain(reference.replay(unit)), unit
            history = client.get("/v1/units/D03/history", headers=office).json()
            assert unlinked(history) == unlinked(plain(reference.history("D03")))
            # the same report but for what differs between two ledgers (the head hash, the last
            # root signed) and the read model's section, which only the HTTP and CLI reports carry
            mine = client.get("/v1/verify", headers=office).json()
            assert mine["read_model"]["ok"] is True

            def same(report):
                # the signer's last root differs as the head does (the tokens' digests are random)
                kept = {k: v for k, v in report.items() if k not in ("head", "read_model")}
                return {**kept, "signer": {k: v for k, v in kept["signer"].items() if k != "last"}}
            assert same(mine) == same(reference.verify())
        by_id = {row["id"]: row for row in history}
        for cmd in year:
            if ids[cmd["id"]] in by_id:
                row = by_id[ids[cmd["id"]]]
                assert row["actor"] == PARTIES[party_of(cmd)]["actor"], cmd["id"]
                assert row["backdated"] is (party_of(cmd) == "office"), cmd["id"]
        score = served.score("D03")
        assert score["total"] != "0.00" and score["pending"] == []
    finally:
        reference.close()


# -- a real server ----------------------------------------------------------------------------------

def kaoping(*args: str) -> subprocess.CompletedProcess[str]:
    result = subprocess.run([str(KAOPING), *args], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return result


@pytest.mark.parametrize("server", ["uvicorn", "granian"])
def test_kaoping_serve_answers_over_a_real_socket(tmp_path, server):
    db = f"sqlite:///{tmp_path / 'x.db'}"
    kaoping("init", "--db", db)
    token = kaoping("token", "create", "--actor", "考评办", "--role", "office",
                    "--db", db).stdout.strip().splitlines()[-1]
    with serving(db, tmp_path / "serve.log", timeout=20, server=server) as base:
        with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"},
                          timeout=30) as client:
            assert httpx.get(f"{base}/v1/units/D03/score", timeout=10).status_code == 401
            commands = [
                {"id": "s-t1", "type": "task.assigned", "unit": "D03", "task": "O1", "title": "价格认定",
                 "level": "own", "method": "direct_deduction",
                 "checkpoints": [{"checkpoint": "M6", "due": "2018-06-30"}],
                 "recorded_at": "2018-01-10T10:00:00+08:00"},
                {"id": "s-c1", "type": "common.scored", "unit": "D03", "indicator": "C02",
                 "score": "92", "recorded_at": "2018-08-15T10:00:00+08:00"},
                {"id": "s-b1", "type": "bonus.awarded", "unit": "D03", "item": "B2",
                 "reason": "通报表扬", "recorded_at": "2018-09-01T10:00:00+08:00"},
            ]
            posted = client.post("/v1/commands", json=commands)
            assert posted.status_code == 201, posted.text
            results = posted.json()["results"]
            assert [r["id"] for r in results] == ["s-t1", "s-c1", "s-b1"]
            assert not any(r["duplicate"] for r in results)
            again = client.post("/v1/commands", json=commands[:1])
            assert again.json()["results"][0]["duplicate"] is True
            history = client.get("/v1/units/D03/history").json()
            assert [row["id"] for row in history] == ["s-t1", "s-c1", "s-b1"]
            assert [row["seq"] for row in history] == [r["seqs"][0] for r in results]
            assert {row["actor"] for row in history} == {"考评办"}
            score = client.get("/v1/units/D03/score").json()
            assert score["unit"] == "D03" and score["name"] == "县物价局"
            assert score["bonus"] != "0.00"
            assert client.get("/v1/verify").json()["ok"] is True
    assert json.loads(kaoping("score", "D03", "--db", db, "--json").stdout) == score
