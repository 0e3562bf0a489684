"""Ballots are confidential (issue 28, item 5): a unit token reads, of a ballot, the points its unit
earned and the kind and round, never the rater nor the other units' places; the office, the group
office and auditors read them whole; a unit's receipt of a ballot entry still verifies."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from kaoping.api.bootstrap import build_ledger
from kaoping.api.http import create_app
from kaoping.demo import demo_year
from kaoping.domain import confidential, policy
from kaoping.domain.principals import Principal
from kaoping.ledger.application import Ledger
from kaoping.ledger.settings import Settings


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Ledger]:
    folder = tmp_path_factory.mktemp("confidential")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("KAOPING_SIGNING_KEY", str(folder / "key"))
        ledger = build_ledger(Settings(database_url=f"sqlite:///{folder / 'demo.db'}"))
        ledger.init()
        ledger.ingest(demo_year(), actor="office")
        yield ledger
        ledger.close()


@pytest.fixture(scope="module")
def client(demo: Ledger) -> Iterator[TestClient]:
    with TestClient(create_app(ledger=demo), follow_redirects=False) as client:
        yield client


def bearer(ledger: Ledger, role: str, **scope: Any) -> dict[str, str]:
    return {"Authorization": f"Bearer {ledger.create_token(actor=f'{role}-reader', role=role, **scope)[1]}"}


def secrets_of(ledger: Ledger, unit: str) -> set[str]:
    """What a ballot concerning `unit` would give away: its id, its rater, the other units it ranked."""
    found: set[str] = set()
    for row in ledger.history(unit):
        if row["type"] == "ballot.cast":
            found.add(row["id"])
            found.add(str(row["payload"]["rater"]))
    return found


def test_a_unit_token_reads_no_rater_and_no_other_units_place(demo, client):
    headers = bearer(demo, "unit", unit="D03")
    secrets = secrets_of(demo, "D03")
    assert secrets
    history = client.get("/v1/units/D03/history", headers=headers).json()
    ballots = [row for row in history if row["type"] == "ballot.cast"]
    assert ballots
    for row in ballots:
        assert set(row["payload"]) <= {"round", "kind", "group"} and row["payload"]["kind"]
        assert row["id"] == f"选票#{row['seq']}" and row["actor"] == "（保密）"
        assert row["hash"]  # the chain hash: what the receipt's leaf is
    for path in ("/v1/units/D03/history", "/v1/units/D03/score", "/v1/units/D03/score?as_of=2018-12-31",
                 "/v1/units/D03/replay", "/v1/units/D03/replay?explain=true",
                 "/v1/exports/units/D03/score.csv"):
        response = client.get(path, headers=headers)
        assert response.status_code == 200, path
        text = response.content.decode("utf-8-sig")
        leaked = [secret for secret in secrets if re.search(rf"(?<![\w-]){re.escape(secret)}(?![\w-])", text)]
        assert not leaked, (path, leaked[:3])
        assert "名 / 共" not in text and "评价人 " not in text, path
    score = client.get("/v1/units/D03/score", headers=headers).text
    assert "本单位得" in score and "互评" in score and "半年综合评价" in score


def test_the_unit_page_and_sheet_show_points_kind_and_round_only(demo, client):
    _, token = demo.create_token(actor="物价局经办人", role="unit", unit="D03")
    browser = TestClient(client.app, follow_redirects=False)
    assert browser.post("/signin", data={"token": token, "next": "/"}).status_code == 303
    page = browser.get("/units/D03").text
    for secret in secrets_of(demo, "D03"):
        assert not re.search(rf"(?<![\w-]){re.escape(secret)}(?![\w-])", page), secret
    assert "本单位列第" not in page and "名 / 共" not in page
    assert "评价人保密" in page and "本单位得" in page
    sheet = browser.get("/units/D03/score.csv").content.decode("utf-8-sig")
    assert "名 / 共" not in sheet and "本单位得" in sheet
    ballot = next(row for row in demo.history("D03") if row["type"] == "ballot.cast")
    receipt = browser.get(f"/units/D03/receipts/{ballot['seq']}.json")
    assert receipt.status_code == 200 and receipt.json()["seq"] == ballot["seq"]
    form = browser.get("/units/D03/disputes/new", params={"target": f"选票#{ballot['seq']}"})
    assert form.status_code == 200 and f"选票#{ballot['seq']}" in form.text
    assert str(ballot["payload"]["rater"]) not in form.text and ballot["id"] not in form.text


@pytest.mark.parametrize("role", ["office", "group_office", "auditor"])
def test_the_office_group_office_and_auditors_read_ballots_whole(demo, client, role):
    headers = bearer(demo, role)
    history = client.get("/v1/units/D03/history", headers=headers).json()
    ballot = next(row for row in history if row["type"] == "ballot.cast")
    assert "rater" in ballot["payload"] and "ranking" in ballot["payload"]
    assert "名 / 共" in client.get("/v1/units/D03/score", headers=headers).text


def test_who_reads_ballots_is_the_policy_tables():
    assert policy.BALLOT_READERS == {"office", "group_office", "auditor"}
    unit = Principal(actor="x", role="unit", unit="D03")
    row = {"seq": 7, "id": "hy-leader-1", "type": "ballot.cast", "actor": "周文斌",
           "payload": {"round": "half_year", "kind": "leader", "rater": "周文斌", "group": "departments",
                       "ranking": ["D01", "D03"]}}
    void = {"seq": 9, "id": "v1", "type": "entry.voided", "actor": "office", "payload": {"target": "hy-leader-1"}}
    shown = confidential.history(unit, [row, void])
    assert shown[0]["payload"] == {"round": "half_year", "kind": "leader", "group": "departments"}
    assert shown[1]["payload"]["target"] == "选票#7"
    assert confidential.unmask([row], "选票#7") == "hy-leader-1"
    assert row["payload"]["rater"] == "周文斌"  # the stored document unchanged


def test_another_units_figures_one_rule_compare_page_and_sheet(demo, client):
    headers = bearer(demo, "unit", unit="D03")
    whole = client.get("/v1/compare?a=D03&b=D04", headers=bearer(demo, "office")).json()
    shown = client.get("/v1/compare?a=D03&b=D04", headers=headers).json()
    assert shown["withheld"] == ["D04"]
    assert (shown["total_a"], shown["total_b"]) == (whole["total_a"], whole["total_b"])  # as the standings
    assert all(row["b"] is None and row["difference"] is None for row in shown["by_figure"])
    assert [row["a"] for row in shown["by_figure"]] == [row["a"] for row in whole["by_figure"]]
    assert all(policy.sees_figures(Principal("o", "office"), code) for code in ("D03", "D04"))
    unit = Principal("u", "unit", unit="D03")
    assert policy.sees_figures(unit, "D03") and not policy.sees_figures(unit, "D04")
    _, token = demo.create_token(actor="物价局经办人", role="unit", unit="D03")
    browser = TestClient(client.app, follow_redirects=False)
    browser.post("/signin", data={"token": token, "next": "/"})
    page = browser.get("/compare?a=D04&b=D03").text
    assert "D04 的各项得分不公开" in page
    figure = next(row for row in whole["by_figure"] if row["b"] != row["a"])
    assert f'<td class="num">{figure["b"]}</td><td class="num">—' not in page
