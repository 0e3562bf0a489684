"""The office's upload page (api/web/imports.py) over HTTP: a sheet with errors is previewed with
every error on its cell and appends nothing; a sound one shows the figures it would move, and one
click commits it (a second click appends nothing); the imports page lists it, linking to the file."""

from __future__ import annotations

import re
import threading
from typing import Any

import pytest
from fastapi.testclient import TestClient

from kaoping.api.http import create_app
from kaoping.domain.principals import OFFICE
from tests.sheet_rows import demo_subset, sheet_rows
from tests.test_imports import YEAR, sheet


@pytest.fixture
def office(ledger: Any) -> Any:
    ledger.ingest([c for c in demo_subset("tasks", YEAR) if c["unit"] in ("D03", "D04")], actor="office")
    _, token = ledger.create_token(actor="县考核办", role="office")
    with TestClient(create_app(ledger=ledger)) as client:
        client.post("/signin", data={"token": token, "next": "/imports/new"})
        yield client


def fields(client: Any, path: str = "/imports/new") -> dict[str, str]:
    page = client.get(path).text
    return {name: re.search(rf'name="{name}" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
            for name in ("csrf", "nonce")}


def test_errors_are_shown_on_their_cells_then_the_fixed_sheet_is_committed_once(office: Any, ledger: Any) -> None:
    reports = [c for c in demo_subset("node_results", YEAR) if c["unit"] == "D03"][:3]
    broken = [{**reports[0], "reported_on": "31/07"}, {**reports[1], "unit": "X99"},
              {**reports[2], "quality": "excellent"}]
    size = len(ledger.entries())
    page = office.post("/imports/new", data={**fields(office), "kind": "node_results"},
                       files={"file": ("节点.xlsx", sheet(ledger, "node_results", broken), "application/octet-stream")})
    assert page.status_code == 422
    cells = set(re.findall(r'data-testid="bad-cell" data-cell="([^"]+)"', page.text))
    assert cells == {"节点考核结果!E3", "节点考核结果!A4", "节点考核结果!G5"}
    assert len(ledger.entries()) == size and "import-commit" not in page.text
    good = office.post("/imports/new", data={**fields(office), "kind": "node_results"},
                       files={"file": ("节点.xlsx", sheet(ledger, "node_results", reports), "application/octet-stream")})
    assert good.status_code == 200 and 'data-testid="import-moves"' in good.text
    commit = {name: re.search(rf'name="{name}" value="([^"]+)"', good.text.split('action="/imports/commit"')[1]).group(1)
              for name in ("csrf", "nonce", "kind", "sha256", "proof")}
    done = office.post("/imports/commit", data=commit, follow_redirects=False)
    assert done.status_code == 303 and len(ledger.entries()) == size + 3
    again = office.post("/imports/commit", data=commit, follow_redirects=False)
    assert again.status_code == 303 and len(ledger.entries()) == size + 3
    forged = office.post("/imports/commit", data={**commit, "proof": "0" * 64}, follow_redirects=False)
    assert forged.status_code == 422 and len(ledger.entries()) == size + 3  # a hash alone commits nothing
    listed = office.get("/imports").text
    assert commit["sha256"] in listed and "节点.xlsx" in listed


def test_a_template_downloads_from_the_page(office: Any) -> None:
    response = office.get("/imports/templates/tasks.xlsx")
    assert response.status_code == 200 and response.content.startswith(b"PK")


def test_an_imported_entry_links_to_its_row_of_the_sheet_on_the_unit_page(office: Any, ledger: Any) -> None:
    from tests.test_imports import imported

    reports = [c for c in demo_subset("node_results", YEAR) if c["unit"] == "D03"][:1]
    answer = imported(ledger, "node_results", sheet(ledger, "node_results", reports), "节点.xlsx")
    page = office.get("/units/D03").text
    assert f'href="/files/{answer["file_sha256"]}"' in page and "来自表格“节点考核结果”第 3 行" in page


def test_an_assessment_body_uploads_and_commits_its_scores_on_the_page(ledger: Any) -> None:
    from kaoping.api.templates import fill
    from kaoping.domain.principals import Principal
    from kaoping.domain.sheets_in import COLUMNS

    _, token = ledger.create_token(actor="县政府办公室", role="assessor", indicators=["C05"])
    known = ledger.import_known(Principal(actor="县政府办公室", role="assessor", indicators=frozenset({"C05"})))
    heads = [c.header for c in COLUMNS["common_scores"]] + ["C05 处理投诉事件"]
    data = fill("common_scores", known, [["D03", None, None, 91]], extra_headers=heads)
    with TestClient(create_app(ledger=ledger)) as client:
        client.post("/signin", data={"token": token, "next": "/imports/new"})
        page = client.get("/imports/new").text
        assert 'value="common_scores"' in page and 'value="tasks"' not in page  # its kinds only
        good = client.post("/imports/new", data={**fields(client), "kind": "common_scores"},
                           files={"file": ("成绩.xlsx", data, "application/octet-stream")})
        assert good.status_code == 200, good.text[-500:]
        form = good.text.split('action="/imports/commit"')[1]
        commit = {name: re.search(rf'name="{name}" value="([^"]+)"', form).group(1)  # type: ignore[union-attr]
                  for name in ("csrf", "nonce", "kind", "sha256", "proof")}
        done = client.post("/imports/commit", data=commit)
        assert done.status_code == 200 and "已导入：新登记 1 条" in done.text
    for thread in threading.enumerate():  # the footer's chain check, started by the last page, ends first
        if thread.name == "kaoping-verify":
            thread.join(60)
    assert [e.payload["score"] for e in ledger.entries() if e.type == "common.scored"] == ["91"]
