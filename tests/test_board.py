"""The office's 督办 board (`/board`, `/board.xlsx`, docs/commands.md §10.5) and the lights on a unit's
待办 page: on both stores, the demo year's board as of 2018-06-20 shows the units and items the
commands imply (computed independently, `test_due.independent_board`), reddest first; the filters,
the sheet, and who sees what."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from datetime import date
from typing import Any

import openpyxl
import pytest
from fastapi.testclient import TestClient

from conftest import scratch_database
from kaoping.api.bootstrap import build_ledger
from kaoping.api.http import create_app
from kaoping.demo import demo_year
from kaoping.domain.board import board
from kaoping.ledger.settings import Settings
from tests.test_due import independent_board

AS_OF = "2018-06-20"


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def demo(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    folder = tmp_path_factory.mktemp("board")

    def opened(url: str) -> Iterator[Any]:
        ledger = build_ledger(Settings(database_url=url, signing_key=str(folder / "key")))
        ledger.init()
        commands = demo_year()
        ledger.ingest(commands, actor="office")
        application = create_app(ledger=ledger)
        tokens = {"office": ledger.create_token(actor="县考评办", role="office")[1],
                  "d03": ledger.create_token(actor="物价局经办人", role="unit", unit="D03")[1],
                  "leader": ledger.create_token(actor="副县长", role="leader", units=["D03", "T06"])[1]}
        with TestClient(application):
            yield application, ledger, commands, tokens
        ledger.close()

    if request.param == "sqlite":
        yield from opened(f"sqlite:///{folder / 'demo.db'}")
        return
    with scratch_database(request.getfixturevalue("postgres_admin")) as url:
        yield from opened(url)


def signed_in(app: Any, token: str) -> TestClient:
    browser = TestClient(app, follow_redirects=False)
    assert browser.post("/signin", data={"token": token, "next": "/"}).status_code == 303
    return browser


def parsed(html: str) -> dict[str, dict[str, Any]]:
    """Each unit on the page: its light, counts and items (task/checkpoint → (light, status)), in page order."""
    units: dict[str, dict[str, Any]] = {}
    for block in re.findall(r'<details class="board-unit.*?</details>', html, re.S):
        code = re.search(r'data-testid="board-([^"]+)"', block).group(1)
        units[code] = {"light": re.search(r'data-light="(\w+)"', block).group(1),
                       "red": int(re.search(r'data-testid="red-[^"]+">(\d+)<', block).group(1)),
                       "yellow": int(re.search(r'data-testid="yellow-[^"]+">(\d+)<', block).group(1)),
                       "items": {m[0]: (m[1], m[2]) for m in re.findall(
                           r'<tr data-item="([^"]+)" data-light="(\w+)" data-status="(\w+)"', block)}}
    return units


def test_the_demo_board_of_2018_06_20_is_what_the_commands_imply(demo: Any) -> None:
    app, ledger, commands, tokens = demo
    page = signed_in(app, tokens["office"]).get(f"/board?as_of={AS_OF}")
    assert page.status_code == 200
    units = parsed(page.text)
    assert len(units) == len(ledger.registry().units)  # both groups, every unit
    shown = {code: {item: light for item, (light, status) in u["items"].items() if status in ("overdue", "due_soon")}
             for code, u in units.items()}
    assert {code: items for code, items in shown.items() if items} == independent_board(commands, date(2018, 6, 20), 7)
    for group in ("departments", "towns_zones"):  # reddest first within each group
        rows = [(u["red"], u["yellow"]) for code, u in units.items()
                if ledger.registry().units[code].group == group]
        assert [r[0] for r in rows] == sorted((r[0] for r in rows), reverse=True)
    assert any(u["light"] == "red" for u in units.values())


def test_filters_group_days_ahead_and_important_only(demo: Any) -> None:
    app, ledger, _, tokens = demo
    browser = signed_in(app, tokens["office"])
    towns = parsed(browser.get(f"/board?as_of={AS_OF}&group=towns_zones").text)
    assert towns and all(ledger.registry().units[c].group == "towns_zones" for c in towns)
    important = parsed(browser.get(f"/board?as_of={AS_OF}&important=1").text)
    due = ledger.due(as_of=AS_OF)
    flagged = {(u["unit"], f"{i['task']}/{i['checkpoint']}") for u in due["units"] for i in u["items"] if i["important"]}
    assert all((code, item) in flagged for code, u in important.items() for item in u["items"])
    wide = parsed(browser.get(f"/board?as_of={AS_OF}&within=30").text)
    assert sum(u["yellow"] for u in wide.values()) > sum(u["yellow"] for u in parsed(
        browser.get(f"/board?as_of={AS_OF}").text).values())
    assert browser.get("/board?as_of=2999-01-01").status_code == 422
    assert browser.get("/board?within=10000").status_code == 422
    assert browser.get("/board?within=abc").status_code == 422


def test_the_sheet_is_the_board(demo: Any) -> None:
    app, ledger, _, tokens = demo
    answer = signed_in(app, tokens["office"]).get(f"/board.xlsx?as_of={AS_OF}&group=departments")
    assert answer.status_code == 200 and "attachment" in answer.headers["content-disposition"]
    book = openpyxl.load_workbook(io.BytesIO(answer.content))
    sheet = book.worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    assert "督办看板" in rows[0][0] and AS_OF in rows[0][0] and rows[1][0] == "灯"
    expected = board(ledger.due(as_of=AS_OF), group="departments")
    lit = sum(max(1, len(r["items"])) for r in expected)
    assert len(rows) - 2 == lit
    assert rows[2][1] == expected[0]["unit"] and rows[2][0] == "红灯"


def test_a_unit_sees_its_own_and_a_leader_its_charge(demo: Any) -> None:
    app, _, _, tokens = demo
    assert list(parsed(signed_in(app, tokens["d03"]).get(f"/board?as_of={AS_OF}").text)) == ["D03"]
    assert sorted(parsed(signed_in(app, tokens["leader"]).get(f"/board?as_of={AS_OF}").text)) == ["D03", "T06"]


def test_the_todo_page_shows_the_units_lights(demo: Any) -> None:
    app, ledger, _, tokens = demo
    page = signed_in(app, tokens["d03"]).get("/todo")
    assert page.status_code == 200
    row = board(ledger.due(units=["D03"]))[0]
    lights = re.search(r'data-testid="todo-lights">(.*?)</p>', page.text, re.S).group(1)
    assert f"红灯 <b>{row['red']}</b>" in lights and f"黄灯 <b>{row['yellow']}</b>" in lights


def test_a_unit_expands_to_at_most_thirty_items_the_rest_counted(demo: Any) -> None:
    app, ledger, _, tokens = demo
    page = signed_in(app, tokens["office"]).get("/board?within=366")  # today: the whole year has fallen due
    units = parsed(page.text)
    rows = {r["unit"]: r for r in board(ledger.due(within=366))}
    assert all(len(u["items"]) == min(30, len(rows[code]["items"])) for code, u in units.items())
    for code, row in rows.items():
        if len(row["items"]) > 30:
            assert f'data-testid="more-{code}">另有 {len(row["items"]) - 30} 项' in page.text
