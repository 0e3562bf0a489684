"""An assessment body's grid (`/scoring`, api/web/scoring.py; docs/scheme.md §4, §4.1): its units ×
its indicators and their core sub-indicators, the standing score in each cell, the changed cells saved
as one batch (once, however often sent); a score outside 0–100, a missing or extra part, parts on an
indicator without sub-indicators refused beside the cell with nothing appended."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi.testclient import TestClient

from kaoping.api.http import create_app

SUBS = {"version": "2018.2", "common": {"sub_indicators": {"C05": [
    {"code": "C05.1", "name": "投诉按时办结率", "standard": "按时办结率不低于 95%", "evidence": "投诉办理台账"},
    {"code": "C05.2", "name": "群众满意度", "weight": "2", "standard": "回访满意度不低于 90%", "evidence": "回访记录"}]}}}


@pytest.fixture
def body(ledger: Any) -> Any:
    ledger.amend_scheme(SUBS)
    ledger.clock.now = ledger.clock.now.replace(hour=ledger.clock.now.hour + 1)
    ledger.ingest([{"id": "old", "type": "common.scored", "unit": "D04", "indicator": "C03", "score": "77"}],
                  actor="县政府办公室")
    _, token = ledger.create_token(actor="县政府办公室", role="assessor", indicators=["C03", "C05"])
    with TestClient(create_app(ledger=ledger)) as client:
        landed = client.post("/signin", data={"token": token, "next": "/"}, follow_redirects=False)
        assert landed.headers["location"] == "/scoring"
        yield client


def hidden(page: str) -> dict[str, str]:
    return {name: re.search(rf'name="{name}" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
            for name in ("csrf", "nonce")}


def save(client: Any, cells: dict[str, str], data: dict[str, str] | None = None) -> Any:
    return client.post("/scoring", data={**(data or hidden(client.get("/scoring").text)), **cells},
                       follow_redirects=False)


def beside(response: Any, field: str) -> str:
    found = re.search(rf'data-field="{re.escape(field)}">([^<]+)<', response.text)
    assert found, response.text[-3000:]
    return found.group(1)


def scored(ledger: Any) -> list[Any]:
    return [e for e in ledger.entries() if e.type == "common.scored"]


def test_the_grid_shows_units_by_indicators_and_parts_with_the_standing_score(body: Any) -> None:
    page = body.get("/scoring").text
    assert 'name="s_D03_C03"' in page and 'name="p_D03_C05.1"' in page and 'name="p_D03_C05.2"' in page
    assert 'name="s_D03_C05"' not in page  # scored by its parts
    assert 'name="s_D04_C03" value="77"' in page and "回访满意度不低于 90%" in page
    assert "<script" not in page


def test_changed_cells_are_saved_once_as_one_batch(body: Any, ledger: Any) -> None:
    data = hidden(body.get("/scoring").text)
    cells = {"s_D03_C03": "88", "p_D03_C05.1": "90", "p_D03_C05.2": "80", "s_D04_C03": "77"}
    assert save(body, cells, data).status_code == 303
    assert save(body, cells, data).status_code == 303  # sent again: the same commands
    new = scored(ledger)[1:]
    assert len(new) == 2  # D04's unchanged 77 is not scored again
    by_parts = next(e for e in new if e.payload["indicator"] == "C05")
    assert by_parts.payload["score"] == "83.33" and len(by_parts.payload["parts"]) == 2
    assert 'name="p_D03_C05.2" value="80"' in body.get("/scoring").text


@pytest.mark.parametrize(("cells", "field", "words"), [
    ({"s_D03_C03": "101"}, "s_D03_C03", "100"),                                 # outside 0–100
    ({"s_D03_C03": "八十"}, "s_D03_C03", "数"),
    ({"p_D03_C05.1": "90"}, "p_D03_C05.2", "C05.2"),                            # a missing part
    ({"p_D03_C05.1": "90", "p_D03_C05.2": "80", "p_D03_C05.3": "70"}, "p_D03_C05.3", "C05.3"),  # an extra one
    ({"p_D03_C03.1": "90"}, "p_D03_C03.1", "没有核心指标"),                        # parts on C03
    ({"p_D03_C05.1": "-1", "p_D03_C05.2": "80"}, "p_D03_C05.1", "0"),
])
def test_a_bad_cell_is_refused_beside_it_and_nothing_is_appended(body: Any, ledger: Any, cells: dict[str, str],
                                                                 field: str, words: str) -> None:
    before = len(ledger.entries())
    refused = save(body, {"s_D05_C03": "90", **cells})  # a good cell in the same batch is not recorded either
    assert refused.status_code in (403, 422) and words in beside(refused, field)
    assert len(ledger.entries()) == before


def test_an_indicator_outside_the_body_s_scope_is_refused(body: Any, ledger: Any) -> None:
    before = len(ledger.entries())
    refused = save(body, {"s_D03_C16": "90"})
    assert refused.status_code == 403 and "C03" in beside(refused, "s_D03_C16")
    assert len(ledger.entries()) == before


def test_other_roles_have_no_grid(ledger: Any) -> None:
    _, token = ledger.create_token(actor="物价局填报员", role="unit", unit="D03")
    with TestClient(create_app(ledger=ledger)) as client:
        client.post("/signin", data={"token": token, "next": "/"})
        assert client.get("/scoring").status_code == 403
