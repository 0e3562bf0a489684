"""The roles of docs/commands.md §9, each boundary both ways: what a token may record answers 201,
what it may not answers 403 with nothing appended; the actor on each entry is the token's actor."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from kaoping.api.http import create_app
from kaoping.domain.namespaces import unit_id

SHA = "c" * 64
#: complete ballots (docs/scheme.md §5): the group office ranks every department, the leader its charge
DEPARTMENTS = [f"D{n:02d}" for n in range(1, 46)]
CHARGE = ["D03", "D04", "D05"]


def task(cid: str, unit: str, code: str, **extra) -> dict[str, Any]:
    return {"id": cid, "type": "task.assigned", "unit": unit, "task": code, "title": "一项工作",
            "level": "own", "method": "direct_deduction",
            "checkpoints": [{"checkpoint": "K1", "due": "2019-06-30"},
                            {"checkpoint": "K2", "due": "2019-12-20"}], **extra}


def report(cid: str, unit: str = "D03", code: str = "T1", checkpoint: str = "K1") -> dict[str, Any]:
    return {"id": cid, "type": "checkpoint.reported", "unit": unit, "task": code,
            "checkpoint": checkpoint, "reported_on": "2019-01-14", "completed": True}


def evidence(cid: str, unit: str = "D03", code: str = "EV1") -> dict[str, Any]:
    return {"id": cid, "type": "evidence.submitted", "unit": unit, "evidence": code, "task": "T1",
            "checkpoint": "K1", "title": "材料", "sha256": SHA}


def verified(cid: str, unit: str = "D03", code: str = "EV0") -> dict[str, Any]:
    # on site: the evidence's file (SHA) is never uploaded here, and an online verification needs it
    return {"id": cid, "type": "evidence.verified", "unit": unit, "evidence": code,
            "outcome": "confirmed", "method": "on_site", "verified_on": "2019-01-14"}


def scored(cid: str, indicator: str = "C02", unit: str = "D03") -> dict[str, Any]:
    return {"id": cid, "type": "common.scored", "unit": unit, "indicator": indicator, "score": "90"}


def ballot(cid: str, kind: str, rater: str, ranking: list[str], group: str = "departments",
           round: str = "half_year") -> dict[str, Any]:
    return {"id": cid, "type": "ballot.cast", "round": round, "kind": kind, "rater": rater,
            "group": group, "ranking": ranking}


def dispute(cid: str, target: str, unit: str = "D03") -> dict[str, Any]:
    return {"id": cid, "type": "dispute.filed", "unit": unit, "dispute": f"DIS-{cid}",
            "target": target, "reason": "有异议"}


def bonus(cid: str, unit: str = "D03") -> dict[str, Any]:
    return {"id": cid, "type": "bonus.awarded", "unit": unit, "item": "B2", "reason": "表扬"}


def penalty(cid: str, unit: str = "D03") -> dict[str, Any]:
    return {"id": cid, "type": "penalty.imposed", "unit": unit, "item": "P7", "reason": "慢作为"}


def others(cid: str) -> list[dict[str, Any]]:
    """One command of each kind that only the office may record."""
    return [task(f"{cid}-t", "D03", "TX"),
            {"id": f"{cid}-w", "type": "task.withdrawn", "unit": "D03", "task": "T9", "reason": "调整"},
            {"id": f"{cid}-a", "type": "task.assessed", "unit": "D03", "task": "T1",
             "deductions": [{"points": "1", "reason": "迟报"}]},
            bonus(f"{cid}-b"), penalty(f"{cid}-p"),
            {"id": f"{cid}-f", "type": "funding.recorded", "unit": "D03", "amount": "5",
             "source": "省", "reason": "资金"},
            {"id": f"{cid}-v", "type": "entry.voided", "target": "base-pen", "reason": "错"},
            {"id": f"{cid}-r", "type": "dispute.resolved", "dispute": "DIS-base-dis",
             "outcome": "rejected", "reason": "无误"},
            {"id": f"{cid}-c", "type": "round.closed", "round": "year_end"}]


@pytest.fixture
def world(ledger, clock):
    """Tasks, evidence, a penalty and a dispute recorded by the operator (the CLI's office rights),
    and one token per role."""
    ledger.ingest([task("base-t1", "D03", "T1"), task("base-t9", "D03", "T9"),
                   task("base-d04", "D04", "T1"), evidence("base-ev0", code="EV0"),
                   evidence("base-d04-ev", unit="D04", code="EV0"), penalty("base-pen"),
                   penalty("base-pen2"), dispute("base-dis", "base-pen2")], actor="operator")
    tokens = {}
    for name, kwargs in {
        "office": dict(actor="考评办", role="office"),
        "assessor": dict(actor="组织部", role="assessor", indicators=["C02", "C03"]),
        "leader": dict(actor="副县长甲", role="leader", units=["D03", "D04", "D05"]),
        "group_office": dict(actor="领导小组办公室", role="group_office"),
        "unit": dict(actor="物价局填报员", role="unit", unit="D03"),
        "unit_t01": dict(actor="城关镇填报员", role="unit", unit="T01"),
        "verifier": dict(actor="核查组", role="verifier"),
        "auditor": dict(actor="审计局", role="auditor"),
    }.items():
        _, token = ledger.create_token(**kwargs)
        tokens[name] = {"Authorization": f"Bearer {token}"}
    return tokens


@pytest.fixture
def client(ledger, world):
    with TestClient(create_app(ledger=ledger)) as client:
        yield client


@pytest.fixture
def allowed(client, ledger, world):
    def post(role: str, *commands: dict[str, Any]) -> list[dict[str, Any]]:
        before = ledger.verify()["entries"]
        response = client.post("/v1/commands", json=list(commands), headers=world[role])
        assert response.status_code == 201, (role, response.text)
        results = response.json()["results"]
        assert ledger.verify()["entries"] == before + sum(len(r["seqs"]) for r in results)
        return results
    return post


@pytest.fixture
def refused(client, ledger, world):
    def post(role: str, *commands: dict[str, Any], field: str | None = None,
             index: int | None = None) -> dict[str, Any]:
        before = ledger.verify()["entries"]
        response = client.post("/v1/commands", json=list(commands), headers=world[role])
        assert response.status_code == 403, (role, commands, response.text)
        detail = response.json()["detail"]
        if field is not None:
            assert detail["field"] == field, detail
        if index is not None:
            assert detail["index"] == index, detail
        assert ledger.verify()["entries"] == before
        return detail
    return post


def actor_of(ledger, unit: str, cid: str) -> str:
    return next(row["actor"] for row in ledger.history(unit) if row["id"] == cid)


def test_the_office_records_every_type_including_recorded_at(allowed, ledger, year):
    results = allowed("office", *year)
    assert len(results) == len(year) and not any(r["duplicate"] for r in results)
    history = ledger.history("D03")
    assert {row["type"] for row in history} >= {cmd["type"] for cmd in year} - {"round.closed"}
    recorded = {row["id"]: row for row in history}
    assert recorded["d03-t1"]["recorded_at"].startswith("2018-01-10T10:00:00")
    assert recorded["d03-t1"]["backdated"] is True
    assert all(recorded[cmd["id"]]["actor"] == "考评办" for cmd in year if cmd["id"] in recorded)


def test_the_office_records_the_office_only_commands_too(allowed, ledger):
    allowed("office", *others("o"))
    assert actor_of(ledger, "D03", "o-v") == "考评办"


@pytest.mark.parametrize("role,command", [
    ("office", task("x-t", "D03", "TX")), ("assessor", scored("x-c")),
    ("leader", ballot("x-l", "leader", "副县长甲", CHARGE)),
    ("group_office", ballot("x-o", "office", "领导小组办公室", DEPARTMENTS)),
    ("unit", report("x-r")), ("verifier", verified("x-v")), ("auditor", scored("x-a")),
])
def test_any_token_supplying_actor_is_refused(allowed, refused, role, command):
    refused(role, {**command, "actor": "someone else"}, field="actor")
    refused(role, {**command, "actor": "ignored"}, field="actor")
    if role != "auditor":
        allowed(role, command)


@pytest.mark.parametrize("role,command", [
    ("assessor", scored("y-c")), ("leader", ballot("y-l", "leader", "副县长甲", CHARGE)),
    ("group_office", ballot("y-o", "office", "领导小组办公室", DEPARTMENTS)),
    ("unit", report("y-r")), ("verifier", verified("y-v")),
])
def test_only_the_office_supplies_recorded_at(allowed, refused, ledger, role, command):
    refused(role, {**command, "recorded_at": "2019-01-10T10:00:00+08:00"}, field="recorded_at")
    allowed(role, command)
    allowed("office", {**bonus("y-office"), "recorded_at": "2019-01-10T10:00:00+08:00"})
    row = next(r for r in ledger.history("D03") if r["id"] == "y-office")
    assert row["backdated"] is True and row["recorded_at"].startswith("2019-01-10T10:00:00")


def test_an_assessor_scores_its_indicators_only(allowed, refused, ledger):
    allowed("assessor", scored("as-1", "C02"), scored("as-2", "C03", unit="T05"))
    refused("assessor", scored("as-3", "C05"), field="indicator")
    refused("assessor", scored("as-4", "C02"), scored("as-5", "C20"), index=1)
    for command in [bonus("as-b"), report("as-r"), verified("as-v"),
                    ballot("as-l", "leader", "组织部", ["D03"]), *others("as")]:
        refused("assessor", command)
    assert actor_of(ledger, "D03", "as-1") == "组织部"


def test_a_leader_casts_leader_ballots_over_its_units_as_itself(allowed, refused, ledger):
    allowed("leader", ballot("ld-1", "leader", "副县长甲", ["D05", "D03", "D04"]))
    refused("leader", ballot("ld-2", "leader", "副县长甲", ["D03", "D06"]), field="ranking.1")
    refused("leader", ballot("ld-3", "leader", "副县长乙", ["D03"]), field="rater")
    refused("leader", ballot("ld-4", "office", "副县长甲", DEPARTMENTS), field="kind")
    refused("leader", ballot("ld-5", "mutual", "T01", ["D03"]))
    for command in [scored("ld-c"), report("ld-r"), *others("ld")]:
        refused("leader", command)
    assert actor_of(ledger, "D03", "ld-1") == "副县长甲"


def test_the_group_office_casts_office_ballots_as_itself_not_leader_ones(allowed, refused, ledger):
    allowed("group_office", ballot("go-1", "office", "领导小组办公室",
                                   ["D04", "D03", *(d for d in DEPARTMENTS if d not in ("D03", "D04"))]))
    refused("group_office", ballot("go-2", "office", "考评办", DEPARTMENTS), field="rater")
    refused("group_office", ballot("go-3", "leader", "领导小组办公室", ["D03"]), field="kind")
    refused("group_office", ballot("go-4", "mutual", "T01", ["D03"]), field="kind")
    for command in [scored("go-c"), verified("go-v"), *others("go")]:
        refused("group_office", command)
    assert actor_of(ledger, "D03", "go-1") == "领导小组办公室"


def test_a_unit_reports_and_submits_evidence_for_itself_only(allowed, refused, ledger):
    # a unit token's ids are stored in its unit's namespace: it reads them as the 201 answer gives them
    r1, e1 = (r["id"] for r in allowed("unit", report("u-r1"), evidence("u-e1")))
    assert (r1, e1) == (unit_id("D03", "u-r1"), unit_id("D03", "u-e1"))
    refused("unit", report("u-r2", unit="D04"), field="unit")
    refused("unit", evidence("u-e2", unit="D04"), field="unit")
    refused("unit", report("u-r3", checkpoint="K2"), report("u-r4", unit="D04"), index=1)
    assert {"u-r3", unit_id("D03", "u-r3")}.isdisjoint(row["id"] for row in ledger.history("D03"))
    assert actor_of(ledger, "D03", r1) == actor_of(ledger, "D03", e1) == "物价局填报员"


def test_a_unit_casts_mutual_ballots_as_its_code_over_the_other_group(allowed, refused, ledger):
    [um1] = allowed("unit", ballot("um-1", "mutual", "D03", ["T01", "T02"], group="towns_zones"))
    [um2] = allowed("unit_t01", ballot("um-2", "mutual", "T01", ["D05", "D03"]))
    assert (um1["id"], um2["id"]) == (unit_id("D03", "um-1"), unit_id("T01", "um-2"))
    refused("unit", ballot("um-3", "mutual", "T01", ["T02"], group="towns_zones"), field="rater")
    refused("unit", ballot("um-4", "mutual", "物价局填报员", ["T02"], group="towns_zones"),
            field="rater")
    refused("unit", ballot("um-5", "leader", "D03", ["D04"]), field="kind")
    refused("unit", ballot("um-6", "office", "D03", ["D04"]), field="kind")
    assert actor_of(ledger, "D03", um2["id"]) == "城关镇填报员"
    assert actor_of(ledger, "T01", um1["id"]) == "物价局填报员"


def test_a_unit_disputes_entries_of_its_history_recorded_by_others_only(allowed, refused, ledger):
    [ud1] = allowed("unit", dispute("ud-1", "base-pen"))
    assert actor_of(ledger, "D03", ud1["id"]) == "物价局填报员"
    [own] = allowed("unit", report("ud-own"))
    refused("unit", dispute("ud-2", own["id"]), field="target")  # its own entry, by the id it was given
    refused("unit", dispute("ud-3", "base-d04-ev", unit="D04"), field="unit")
    allowed("verifier", verified("ud-ver"))
    allowed("unit", dispute("ud-4", "ud-ver"))


def test_a_unit_records_nothing_else(refused):
    for command in [task("ux-t", "D03", "TY"), scored("ux-c"), verified("ux-v"), bonus("ux-b"),
                    *others("ux")]:
        refused("unit", command)


def test_a_verifier_records_verifications_only(allowed, refused, ledger):
    allowed("verifier", verified("v-1"), verified("v-2", unit="D04"))
    assert actor_of(ledger, "D03", "v-1") == actor_of(ledger, "D04", "v-2") == "核查组"
    for command in [report("v-r"), evidence("v-e"), scored("v-c"), dispute("v-d", "base-pen"),
                    ballot("v-l", "office", "核查组", DEPARTMENTS), *others("v")]:
        refused("verifier", command)


def test_an_auditor_writes_nothing(refused):
    for command in [report("au-r"), evidence("au-e"), verified("au-v"), scored("au-c"),
                    dispute("au-d", "base-pen"), ballot("au-l", "leader", "审计局", ["D03"]),
                    ballot("au-o", "office", "审计局", DEPARTMENTS), *others("au")]:
        refused("auditor", command)


@pytest.mark.parametrize("role", ["office", "assessor", "leader", "group_office", "verifier",
                                  "auditor"])
def test_every_role_but_unit_reads_every_unit_and_verifies(client, world, ledger, role):
    for path in ["/v1/units", "/v1/standings", "/v1/standings?group=towns_zones&stage=process",
                 "/v1/verify"] + [f"/v1/units/{code}/{what}" for code in ("D03", "D04", "T01")
                                  for what in ("score", "history", "replay")]:
        response = client.get(path, headers=world[role])
        assert response.status_code == 200, (role, path, response.text)
    assert client.get("/v1/verify", headers=world[role]).json()["entries"] == \
        ledger.verify()["entries"]


def test_a_unit_reads_standings_and_its_own_unit_only(client, world):
    unit = world["unit"]
    for path in ["/v1/standings", "/v1/standings?group=departments&as_of=2019-01-01",
                 "/v1/units/D03/score", "/v1/units/d03/score", "/v1/units/D03/history",
                 "/v1/units/D03/replay"]:
        assert client.get(path, headers=unit).status_code == 200, path
    for path in ["/v1/units/D04/score", "/v1/units/D04/score?as_of=2018-12-31",
                 "/v1/units/D04/history", "/v1/units/D04/replay", "/v1/units/T01/score"]:
        assert client.get(path, headers=unit).status_code == 403, path


def test_a_unit_token_may_not_verify_the_whole_ledger(client, world):
    assert client.get("/v1/verify", headers=world["unit"]).status_code == 403


def test_token_creation_and_revocation_are_ledger_entries(client, ledger, world):
    before = ledger.verify()["entries"]
    token_id, token = ledger.create_token(actor="临时", role="auditor")
    assert ledger.verify()["entries"] == before + 1
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/v1/verify", headers=headers).status_code == 200
    ledger.revoke_token(token_id)
    report = ledger.verify()
    assert report["ok"] is True and report["entries"] == before + 2
    for path in ["/v1/verify", "/v1/standings", "/v1/units/D03/score"]:
        assert client.get(path, headers=headers).status_code == 401
    assert client.get("/v1/verify", headers=world["auditor"]).status_code == 200
    revoked = [t for t in ledger.tokens() if t["token_id"] == token_id]
    assert revoked and revoked[0]["revoked"] is True


def test_a_revoked_token_records_nothing(client, ledger):
    token_id, token = ledger.create_token(actor="离职", role="office")
    ledger.revoke_token(token_id)
    before = ledger.verify()["entries"]
    response = client.post("/v1/commands", json=[bonus("rv-1")],
                           headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401
    assert ledger.verify()["entries"] == before


def test_a_unit_may_not_dispute_its_own_entry_through_another_of_its_tokens(allowed, client, ledger):
    [own] = allowed("unit", report("rot-own"))
    token_id, token = ledger.create_token(actor="物价局新填报员", role="unit", unit="D03")
    before = ledger.verify()["entries"]
    response = client.post("/v1/commands", json=[dispute("rot-d", own["id"])],
                           headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 403
    assert ledger.verify()["entries"] == before
