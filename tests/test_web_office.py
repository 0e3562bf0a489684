"""The office's desk (`/office`, api/web/office.py): awards (a bonus past its cap accepted, capped and
said so), a task with its checkpoints (one due before the assignment refused beside the field),
closing a round, publishing with the units still pending listed and confirmed first, and accounts
issued and revoked from the web (refused to anyone but the office); nothing appended when refused,
a form sent twice appended once."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi.testclient import TestClient

from kaoping.api.http import create_app


@pytest.fixture
def desk(ledger: Any) -> Any:
    _, token = ledger.create_token(actor="县考核办", role="office")
    with TestClient(create_app(ledger=ledger)) as client:
        landed = client.post("/signin", data={"token": token, "next": "/"}, follow_redirects=False)
        assert landed.headers["location"] == "/office"
        yield client


def hidden(client: Any, path: str = "/office") -> dict[str, str]:
    page = client.get(path).text
    return {name: re.search(rf'name="{name}" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
            for name in ("csrf", "nonce")}


def post(client: Any, path: str, fields: dict[str, str], data: dict[str, str] | None = None) -> Any:
    return client.post(path, data={**(data or hidden(client)), **fields}, follow_redirects=False)


def beside(response: Any, field: str) -> str:
    found = re.search(rf'data-field="{re.escape(field)}">([^<]+)<', response.text)
    assert found, response.text[-3000:]
    return found.group(1)


def test_a_bonus_past_its_cap_is_accepted_capped_and_said_so(desk: Any, ledger: Any) -> None:
    data = hidden(desk)
    fields = {"kind": "bonus", "unit": "D03", "item": "B8", "count": "3", "reason": "县级单项表彰三次"}
    done = post(desk, "/office/award", fields, data)
    assert done.status_code == 303
    again = post(desk, "/office/award", fields, data)  # sent twice: once
    assert again.status_code == 303
    assert sum(e.type == "bonus.awarded" for e in ledger.entries()) == 1
    page = desk.get(done.headers["location"]).text
    assert "封顶" in page and "B8" in page
    assert ledger.score("D03")["bonus"] == "0.20"


def test_a_bad_award_is_refused_beside_its_field(desk: Any, ledger: Any) -> None:
    before = len(ledger.entries())
    refused = post(desk, "/office/award", {"kind": "bonus", "unit": "D03", "item": "B99", "reason": "x"})
    assert refused.status_code in (404, 422) and "B99" in beside(refused, "item")
    refused = post(desk, "/office/award", {"kind": "funding", "unit": "D03", "amount": "-5", "reason": "x"})
    assert refused.status_code == 422 and beside(refused, "amount")
    assert len(ledger.entries()) == before


def test_a_task_with_its_checkpoints_and_one_due_before_it(desk: Any, ledger: Any) -> None:
    task = {"unit": "D03", "task": "P9", "title": "价格监测", "level": "own", "method": "direct_deduction",
            "important": "yes", "checkpoints": "Q2 2019-06-30\nQ4 2019-12-15"}
    assert post(desk, "/office/task", task).status_code == 303
    assert sorted(ledger.unit_state("D03").tasks["P9"].checkpoints) == ["Q2", "Q4"]
    before = len(ledger.entries())
    early = post(desk, "/office/task", {**task, "task": "P10", "checkpoints": "Q1 2018-01-01"})
    assert early.status_code == 422 and "2018-01-01" in beside(early, "checkpoints.0.due")
    assert len(ledger.entries()) == before


def test_publishing_lists_the_pending_units_and_waits_for_confirmation(desk: Any, ledger: Any) -> None:
    before = len(ledger.entries())
    fields = {"stage": "half_year", "title": "半年综合评价结果公示"}
    data = hidden(desk)
    first = post(desk, "/office/publish", fields, data)
    assert first.status_code == 422 and "59 个单位" in beside(first, "confirm")
    assert "县物价局（D03）" in first.text and len(ledger.entries()) == before
    confirm = re.search(r'name="confirm" value="(\d+)"', first.text).group(1)  # type: ignore[union-attr]
    assert post(desk, "/office/publish", {**fields, "confirm": confirm}, data).status_code == 303
    assert [e.type for e in ledger.entries()[before:]] == ["results.published"]


def test_closing_a_round(desk: Any, ledger: Any) -> None:
    assert post(desk, "/office/round", {"round": "half_year"}).status_code == 303
    assert 'data-testid="closed-half_year"' in desk.get("/office").text
    before = len(ledger.entries())
    again = post(desk, "/office/round", {"round": "half_year"})  # a new form: the round is closed
    assert again.status_code == 422 and "已经关闭" in beside(again, "round")
    assert len(ledger.entries()) == before


def test_accounts_are_issued_once_and_revoked_from_the_web(desk: Any, ledger: Any) -> None:
    issued = post(desk, "/office/accounts", {"actor": "副县长陈立新", "role": "leader", "units": "D01, D02"},
                  hidden(desk, "/office/accounts"))
    token = re.search(r'data-testid="token">([^<]+)<', issued.text).group(1)  # type: ignore[union-attr]
    principal = ledger.principal_for(token)
    assert principal is not None and principal.units == frozenset({"D01", "D02"})
    assert token not in desk.get("/office/accounts").text  # shown once
    refused = post(desk, "/office/accounts", {"actor": "某领导", "role": "leader"}, hidden(desk, "/office/accounts"))
    assert refused.status_code == 422 and beside(refused, "units")
    token_id = next(t["token_id"] for t in ledger.tokens() if t["actor"] == "副县长陈立新")
    assert post(desk, "/office/accounts/revoke", {"token_id": token_id}, hidden(desk, "/office/accounts")).status_code == 303
    assert ledger.principal_for(token) is None


def test_a_token_form_by_a_non_office_is_refused(ledger: Any) -> None:
    _, token = ledger.create_token(actor="物价局填报员", role="unit", unit="D03")
    with TestClient(create_app(ledger=ledger)) as client:
        client.post("/signin", data={"token": token, "next": "/"})
        before = len(ledger.tokens())
        assert client.get("/office/accounts").status_code == 403
        assert client.post("/office/accounts", data={"actor": "x", "role": "office"}).status_code == 403
        assert client.get("/office").status_code == 403
        assert len(ledger.tokens()) == before


def test_a_void_from_a_history_line_shows_its_preview_first(desk: Any, ledger: Any) -> None:
    ledger.ingest([{"id": "s1", "type": "common.scored", "unit": "D03", "indicator": "C02", "score": "88"}],
                  actor="县委办公室")
    assert "/office/void?target=s1" in desk.get("/units/D03").text  # from its line in the history
    before = len(ledger.entries())
    page = desk.get("/office/void?target=s1").text
    preview = re.search(r'data-testid="void-preview">(.*?)</section>', page, re.S).group(1)  # type: ignore[union-attr]
    assert "D03" in preview and "88.00" in preview and "共性指标" in preview
    assert len(ledger.entries()) == before  # the preview appends nothing
    data = {name: re.search(rf'name="{name}" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
            for name in ("csrf", "nonce")}
    refused = desk.post("/office/void?target=s1", data={**data, "reason": ""}, follow_redirects=False)
    assert refused.status_code == 422 and beside(refused, "reason") and len(ledger.entries()) == before
    done = desk.post("/office/void?target=s1", data={**data, "reason": "录入错误"}, follow_redirects=False)
    assert done.status_code == 303 and ledger.score("D03")["common"] == "0.00"
    void_id = next(e.id for e in ledger.entries() if e.type == "entry.voided")
    before = len(ledger.entries())
    again = desk.post(f"/office/void?target={void_id}", data={**hidden(desk), "reason": "撤销作废"},
                      follow_redirects=False)  # a void of a void
    assert again.status_code in (409, 422) and beside(again, "target") and len(ledger.entries()) == before


def test_the_sub_indicators_compiled_and_a_task_withdrawn(desk: Any, ledger: Any) -> None:
    ledger.amend_scheme({"version": "2018.2", "common": {"sub_indicators": {"C05": [
        {"code": "C05.1", "name": "投诉按时办结率", "standard": "按时办结率不低于 95%", "evidence": "投诉办理台账"}]}}})
    page = desk.get("/office/sub-indicators").text
    assert 'data-testid="subs-C05"' in page and "投诉办理台账" in page and "C16 依法行政" in page
    ledger.clock.now = ledger.clock.now.replace(hour=ledger.clock.now.hour + 1)
    post(desk, "/office/task", {"unit": "D03", "task": "P9", "title": "价格监测", "level": "own",
                                "method": "direct_deduction", "checkpoints": "Q4 2019-12-15"})
    before = len(ledger.entries())
    refused = post(desk, "/office/withdraw", {"unit": "D03", "task": "P8", "reason": "调整"})
    assert refused.status_code in (404, 422) and "P8" in beside(refused, "task") and len(ledger.entries()) == before
    assert post(desk, "/office/withdraw", {"unit": "D03", "task": "P9", "reason": "调整"}).status_code == 303
    assert ledger.unit_state("D03").tasks["P9"].withdrawn_by


def test_the_office_sets_an_indicator_s_sub_indicators_from_the_web(desk: Any, ledger: Any) -> None:
    path = "/office/sub-indicators"
    data = hidden(desk, path)
    fields = {"indicator": "C05", "version": "2018.2",
              **{f"{k}_{i}": f"{k}{i}" for k in ("name", "standard", "evidence") for i in (1, 2, 3)}}
    before = len(ledger.entries())
    bad = desk.post(path, data={**data, **fields, "weight_2": "0"}, follow_redirects=False)
    assert bad.status_code == 422 and beside(bad, "weight_2") and len(ledger.entries()) == before
    assert desk.post(path, data={**data, **fields}, follow_redirects=False).status_code == 303
    assert desk.post(path, data={**data, **fields}, follow_redirects=False).status_code == 303  # again: in force
    assert [s["code"] for s in ledger.registry().scheme.sub_indicators("C05")] == ["C05.1", "C05.2", "C05.3"]
    assert [v["version"] for v in ledger.schemes()][-1] == "2018.2" and len(ledger.schemes()) == 2
    assert 'data-testid="subs-C05"' in desk.get(path).text


def test_a_task_is_assessed_by_its_method(desk: Any, ledger: Any) -> None:
    post(desk, "/office/task", {"unit": "D03", "task": "P9", "title": "价格监测", "level": "own",
                                "method": "direct_deduction", "checkpoints": "Q4 2019-12-15"})
    assert 'value="D03/P9"' in desk.get("/office").text
    before = len(ledger.entries())
    wrong = post(desk, "/office/assess", {"target": "D03/P9", "actual": "90"})  # not its method's result
    assert wrong.status_code == 422 and "deductions" in beside(wrong, "actual") and len(ledger.entries()) == before
    assert post(desk, "/office/assess", {"target": "D03/P9", "deductions": "2 迟报一次\n1 材料不全"}).status_code == 303
    assessed = [x for x in ledger.entries() if x.type == "task.assessed"]
    assert [line["points"] for line in assessed[0].payload["deductions"]] == ["2", "1"]
    assert 'value="D03/P9"' not in desk.get("/office").text
