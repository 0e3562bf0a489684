"""The 督办 board in a real browser (Playwright driving Debian's Chromium against a real `kaoping
serve`): the office opens the demo year's board as of 2018-06-20, expands a red unit to its items and
downloads the sheet; screenshots at 1366 and 390 px wide go to screenshots("board") (tests/screens.py). Both stores
(screenshots from SQLite's run)."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import openpyxl

from tests.cli_calls import kaoping_cli
from tests.test_http_e2e import serving
from tests.test_web_browser import ARGS, CHROMIUM
from tests.screens import screenshots, take
from tests.test_loop_browser import store  # noqa: F401 (the fixture: both stores, the browser required in CI)

SCREENSHOTS = screenshots("board")




def kaoping(db: str, *args: str) -> str:
    """`kaoping ARGS… --db DB` in this process (tests/cli_calls.py)."""
    return kaoping_cli(*args, "--db", db)


def test_the_board_in_a_browser(store: tuple[str, str], tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    name, db = store
    kaoping(db, "init")
    kaoping(db, "demo")
    token = kaoping(db, "token", "create", "--actor", "县考评办", "--role", "office").strip().splitlines()[-1]
    shots = SCREENSHOTS if name == "sqlite" else None  # the SQLite walk's are kept
    with serving(db, tmp_path / "serve.log", timeout=30) as base, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        desk = browser.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN", accept_downloads=True)
        page = desk.new_page()
        page.goto(base + "/signin")
        page.fill("input[name=token]", token)
        page.click("form[action='/signin'] button[type=submit]")
        page.wait_for_url(base + "/office")  # the office lands on its desk (policy.LANDING)
        page.click("header nav a[href='/board']")
        page.wait_for_url(base + "/board")
        page.fill("input[name=as_of]", "2018-06-20")
        page.click("form.board-filters button[type=submit]")
        page.wait_for_url(base + "/board?*as_of=2018-06-20*")
        red = page.locator("details.board-unit[data-light='red']").first
        code = (red.get_attribute("data-testid") or "").removeprefix("board-")
        assert code and not red.locator("table").is_visible()
        red.locator("summary").click()
        assert red.locator("table").is_visible()
        reds = red.locator("tr[data-light='red']")
        assert reds.count() >= 1 and "逾期未报" in reds.first.inner_text()
        take(page, shots, "board-1366.png")
        with page.expect_download() as fetched:
            page.click("[data-testid=board-sheet]")
        sheet = fetched.value
        assert sheet.suggested_filename.endswith(".xlsx")
        book = openpyxl.load_workbook(io.BytesIO(Path(sheet.path()).read_bytes()))
        rows = [row for ws in book.worksheets for row in ws.iter_rows(values_only=True)]
        assert any(row[1] == code and row[0] == "红灯" for row in rows)
        phone = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN", is_mobile=True)
        small = phone.new_page()
        small.goto(base + "/signin")
        small.fill("input[name=token]", token)
        small.click("form[action='/signin'] button[type=submit]")
        small.wait_for_url(base + "/office")
        small.goto(base + "/board?as_of=2018-06-20")
        first = small.locator("details.board-unit[data-light='red']").first
        first.locator("summary").click()
        assert first.locator("table").is_visible()
        width = small.evaluate("document.documentElement.scrollWidth")
        assert width <= 390 + 1, f"the page is {width} px wide at 390"
        take(small, shots, "board-390.png")
        browser.close()
