"""The forms of the checkpoint loop over HTTP (issue 24, "Bad input and faults"): each refusal is
shown in Chinese beside its field and appends nothing; a form sent twice appends once."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi.testclient import TestClient

from kaoping.api.http import create_app

PDF = b"%PDF-1.4\n" + b"report " * 200


@pytest.fixture
def site(ledger: Any) -> Any:
    ledger.ingest([
        {"id": f"t-{unit}-{code}", "type": "task.assigned", "unit": unit, "task": code, "title": "价格监测",
         "level": "own", "method": "direct_deduction", "checkpoints": [{"checkpoint": "K1", "due": "2019-06-30"}]}
        for unit, code in (("D03", "T1"), ("D03", "T2"), ("D04", "T9"))], actor="office")
    ledger.ingest([{"id": "w", "type": "task.withdrawn", "unit": "D03", "task": "T2", "reason": "调整"}],
                  actor="office")
    _, token = ledger.create_token(actor="物价局填报员", role="unit", unit="D03")
    with TestClient(create_app(ledger=ledger)) as client:
        client.post("/signin", data={"token": token, "next": "/todo"})
        yield client


def form(client: Any, **fields: str) -> dict[str, str]:
    page = client.get("/todo").text
    csrf = re.search(r'name="csrf" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    nonce = re.search(r'name="nonce" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    return {"csrf": csrf, "nonce": nonce, "reported_on": "2019-01-14", "completed": "yes", "quality": "ok",
            "note": "", **fields}


def entries(ledger: Any) -> int:
    return len(ledger.entries())


def report(client: Any, data: dict[str, str], files: list[Any] | None = None) -> Any:
    return client.post("/todo/report", data=data, files=files or [("files", ("a.pdf", PDF, "application/pdf"))],
                       follow_redirects=False)


def beside(response: Any, field: str) -> str:
    found = re.search(rf'data-field="{field}">([^<]+)<', response.text)
    assert found, response.text[-2000:]
    return found.group(1)


def test_a_report_and_its_file_append_once_however_often_sent(site: Any, ledger: Any) -> None:
    data = form(site, task="T1", checkpoint="K1")
    before = entries(ledger)
    assert report(site, data).status_code == 303
    assert entries(ledger) == before + 2  # the report and its evidence, one batch
    assert report(site, data).status_code == 303  # sent again: its nonce makes it the same commands
    assert entries(ledger) == before + 2


@pytest.mark.parametrize(("fields", "field", "words"), [
    ({"task": "T9", "checkpoint": "K1"}, "task", "没有"),       # another unit's task: none of its own
    ({"task": "T2", "checkpoint": "K1"}, "task", "撤回"),       # evidence and report on a withdrawn task
    ({"task": "T1", "checkpoint": "K1", "reported_on": "2019-13-01"}, "reported_on", "日期"),
])
def test_a_refused_report_is_shown_beside_its_field_and_appends_nothing(site: Any, ledger: Any, fields: dict[str, str],
                                                                        field: str, words: str) -> None:
    before = entries(ledger)
    refused = report(site, form(site, **fields))
    assert refused.status_code == 422 and words in beside(refused, field)
    assert entries(ledger) == before


def test_a_second_report_of_a_reported_checkpoint_is_refused(site: Any, ledger: Any) -> None:
    assert report(site, form(site, task="T1", checkpoint="K1")).status_code == 303
    before = entries(ledger)
    again = report(site, form(site, task="T1", checkpoint="K1"))  # a new form: a new report
    assert again.status_code == 422 and "已" in beside(again, "checkpoint")
    assert entries(ledger) == before


def test_a_file_of_a_refused_kind_is_refused_beside_the_files(site: Any, ledger: Any) -> None:
    before = entries(ledger)
    refused = report(site, form(site, task="T1", checkpoint="K1"),
                     [("files", ("scan.pdf", b"<html><script>x</script></html>", "application/pdf"))])
    assert refused.status_code == 415 and "按文件内容判断" in beside(refused, "file")
    assert entries(ledger) == before and not list(ledger.files.iterate())


def test_a_form_without_its_csrf_token_stores_no_file(site: Any, ledger: Any) -> None:
    data = {**form(site, task="T1", checkpoint="K1"), "csrf": "forged"}
    assert report(site, data).status_code == 403
    assert not list(ledger.files.iterate())
