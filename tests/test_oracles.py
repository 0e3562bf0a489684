"""What a unit token learns from refusals (issue 17, item 10): nothing about other units. Its command
ids and dispute codes live in its unit's namespace (`domain.namespaces`), and another unit's entry is,
to it, an entry that does not exist; a probe of another unit's thing answers exactly as a probe of a
thing nobody recorded."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from kaoping.api.http import create_app
from kaoping.ledger.settings import Settings

from test_http_roles import dispute, penalty, report, task

#: ids, targets and codes no one recorded: what every probe must be indistinguishable from
NOTHING = "nobody-recorded-this"


@pytest.fixture
def world(ledger):
    """D03 and D04 with tasks, a penalty and disputes, recorded by the office and by D04's token;
    unit namespaces as they are by default (`KAOPING_UNIT_NAMESPACES`, on unless set to 0)."""
    ledger.ingest([task("d03-t1", "D03", "T1"), task("d04-t1", "D04", "T1"),
                   penalty("d04-pen", unit="D04"), penalty("d04-pen2", unit="D04"),
                   {**dispute("d04-dis", "d04-pen", unit="D04"), "dispute": "DIS-D04-1"}],
                  actor="operator")
    tokens = {}
    for name, unit in (("d03", "D03"), ("d04", "D04")):
        _, token = ledger.create_token(actor=f"{unit}填报员", role="unit", unit=unit)
        tokens[name] = {"Authorization": f"Bearer {token}"}
    _, token = ledger.create_token(actor="考评办", role="office")
    tokens["office"] = {"Authorization": f"Bearer {token}"}
    return tokens


@pytest.fixture
def client(ledger, world):
    with TestClient(create_app(ledger=ledger)) as client:
        r = client.post("/v1/commands", headers=world["d04"], json=[
            report("d04-secret-report", unit="D04"),
            {**dispute("d04-own-dispute", "d04-pen2", unit="D04"), "dispute": "D04-001"}])
        assert r.status_code == 201, r.text
        yield client


def answer(client, headers, command: dict[str, Any], probe: str) -> tuple[int, str]:
    """The status and body of a refused probe, the probed value blanked out (it is what differs)."""
    response = client.post("/v1/commands", headers=headers, json=[command])
    return response.status_code, response.text.replace(probe, "∅")


def probe_id(probe: str) -> dict[str, Any]:
    # an unknown task, so that a probe nobody's id answers is refused too, appending nothing
    return report(probe, unit="D03", code="NO-SUCH-TASK")


def probe_target(probe: str) -> dict[str, Any]:
    return {**dispute("d03-probe", probe), "dispute": "d03-probe-code"}


def probe_code(probe: str) -> dict[str, Any]:
    return {**dispute("d03-probe", "no-such-target"), "dispute": probe}


PROBES = [
    (probe_id, "d04-t1"),                    # the office's id of D04's task
    (probe_id, "d04-secret-report"),         # the id D04's token used
    (probe_id, "D04:d04-secret-report"),     # ... as the ledger stores it
    (probe_id, "kaoping:init:unit:D04"),     # the ledger's own entry
    (probe_target, "d04-pen"),               # D04's entry as a dispute target
    (probe_target, "D04:d04-secret-report"),
    (probe_code, "DIS-D04-1"),               # D04's dispute code, filed by the office
    (probe_code, "D04-001"),                 # D04's dispute code, filed by its token
]


@pytest.mark.parametrize(("make", "probe"), PROBES)
def test_a_unit_tokens_probe_of_another_units_thing_answers_as_one_of_nothing(
        client, ledger, world, make, probe):
    before = ledger.verify()["entries"]
    status, body = answer(client, world["d03"], make(probe), probe)
    assert status in (403, 422), body
    assert (status, body) == answer(client, world["d03"], make(NOTHING), NOTHING)
    assert ledger.verify()["entries"] == before


def test_a_unit_tokens_ids_and_codes_are_stored_in_its_namespace(client, ledger, world):
    r = client.post("/v1/commands", headers=world["d03"], json=[report("r1", unit="D03")])
    assert r.status_code == 201, r.text
    first = r.json()["results"][0]
    assert first["id"] == "D03:r1" and not first["duplicate"]
    assert [row["id"] for row in ledger.history("D03")][-1] == "D03:r1"
    # a retry, by the id sent or the id stored, is a no-op
    for again in ("r1", "D03:r1"):
        retry = client.post("/v1/commands", headers=world["d03"], json=[report(again, unit="D03")])
        assert retry.status_code == 201 and retry.json()["results"][0]["duplicate"]
        assert retry.json()["results"][0]["seqs"] == first["seqs"]
    # the office's id space is its own: the same id is another entry
    r = client.post("/v1/commands", headers=world["office"], json=[task("r1", "D03", "T2")])
    assert r.status_code == 201 and r.json()["results"][0]["id"] == "r1"
    filed = client.post("/v1/commands", headers=world["d03"], json=[
        {**dispute("dis-1", "d03-t1"), "dispute": "7"}])
    assert filed.status_code == 201, filed.text
    assert ledger.index.dispute_of("D03:dis-1") == "D03-7"


def test_no_one_else_takes_a_units_namespace(client, ledger, world):
    before = ledger.verify()["entries"]
    taken = client.post("/v1/commands", headers=world["office"], json=[task("D03:t9", "D03", "T9")])
    assert taken.status_code == 422 and taken.json()["detail"]["field"] == "id"
    assert "D03" in taken.json()["detail"]["message"]
    code = client.post("/v1/commands", headers=world["office"], json=[
        {**dispute("o-dis", "d04-pen2", unit="D04"), "dispute": "D03-9"}])
    assert code.status_code == 422 and code.json()["detail"]["field"] == "dispute"
    assert ledger.verify()["entries"] == before
    # an id too long once prefixed is refused, not cut
    long = client.post("/v1/commands", headers=world["d03"], json=[report("x" * 64, unit="D03")])
    assert long.status_code == 422 and long.json()["detail"]["field"] == "id"
    assert ledger.verify()["entries"] == before


def test_namespaces_are_on_unless_turned_off(monkeypatch):
    assert Settings().unit_namespaces is True
    monkeypatch.setenv("KAOPING_UNIT_NAMESPACES", "0")
    assert Settings().unit_namespaces is False


def test_without_namespaces_a_unit_tokens_id_and_code_are_stored_as_sent(ledger):
    # KAOPING_UNIT_NAMESPACES=0: ids and dispute codes are ledger-wide, as the unit chose them
    ledger.writer.settings = ledger.writer.settings.model_copy(update={"unit_namespaces": False})
    ledger.ingest([task("d03-t1", "D03", "T1")], actor="operator")
    _, token = ledger.create_token(actor="D03填报员", role="unit", unit="D03")
    with TestClient(create_app(ledger=ledger)) as client:
        r = client.post("/v1/commands", headers={"Authorization": f"Bearer {token}"}, json=[
            report("r1", unit="D03"), {**dispute("dis-1", "d03-t1"), "dispute": "7"}])
    assert r.status_code == 201, r.text
    assert [row["id"] for row in r.json()["results"]] == ["r1", "dis-1"]
    assert ledger.index.dispute_of("dis-1") == "7"


def void_request(cid: str, target: str) -> dict[str, Any]:
    return {"id": cid, "type": "void.requested", "unit": "D03", "target": target, "reason": "报告日期填错了"}


def test_a_unit_asks_to_void_its_own_entry_by_the_id_it_sent(client, ledger, world):
    """The unit's own entries are stored as `D03:ID`; a void request naming one by the id the unit
    sent finds it, in the next batch or in the same one, and a retry of it is a no-op."""
    d03 = world["d03"]
    assert client.post("/v1/commands", headers=d03, json=[report("r5", unit="D03")]).status_code == 201
    asked = client.post("/v1/commands", headers=d03, json=[void_request("v5", "r5")])
    assert asked.status_code == 201, asked.text
    targets = {row["id"]: row["payload"]["target"] for row in ledger.history("D03")
               if row["type"] == "void.requested"}
    assert targets["D03:v5"] == "D03:r5"
    again = client.post("/v1/commands", headers=d03, json=[void_request("v5", "r5")])
    assert again.status_code == 201 and again.json()["results"][0]["duplicate"]
    both = client.post("/v1/commands", headers=d03, json=[report("r6", unit="D03", checkpoint="K2"),
                                                          void_request("v6", "r6")])
    assert both.status_code == 201, both.text
    targets = {row["id"]: row["payload"]["target"] for row in ledger.history("D03")
               if row["type"] == "void.requested"}
    assert targets["D03:v6"] == "D03:r6"


def test_a_void_request_of_another_units_entry_answers_as_one_of_nothing(client, ledger, world):
    # the bare target is looked up in D03's own namespace only: D04's report is not found by it
    before = ledger.verify()["entries"]
    probe = "d04-secret-report"
    status, body = answer(client, world["d03"], void_request("v7", probe), probe)
    assert status in (403, 422), body
    assert (status, body) == answer(client, world["d03"], void_request("v7", NOTHING), NOTHING)
    assert ledger.verify()["entries"] == before
