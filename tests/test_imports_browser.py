"""The office's upload page in a real browser (issue 26), once per store, against a real `kaoping
serve`: a node-results sheet with three errors is uploaded; all three are listed and highlighted on
their cells, nothing appended; the fixed sheet previews the figures it would move; one click
commits it, and the imports page lists it. Screenshots of the SQLite walk go to
screenshots("imports") (tests/screens.py)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from kaoping.api.templates import fill
from kaoping.domain.principals import OFFICE
from tests.sheet_rows import demo_subset, sheet_rows
from tests.test_http_e2e import serving
from tests.test_imports import YEAR
from tests.test_loop_browser import kaoping, store  # noqa: F401 (the fixture)
from tests.test_web_browser import ARGS, CHROMIUM, ROOT
from tests.screens import screenshots, take

SCREENSHOTS = screenshots("imports")


def node_sheet(db: str, rows: list[dict[str, Any]]) -> bytes:
    from kaoping.api.bootstrap import build_ledger
    from kaoping.ledger.settings import Settings

    ledger = build_ledger(Settings(database_url=db))
    try:
        known = ledger.import_known(OFFICE)
    finally:
        ledger.close()
    return fill("node_results", known, sheet_rows("node_results", rows, known)[1])


def test_a_sheet_with_three_errors_is_fixed_and_committed_in_a_browser(store: tuple[str, str], tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    name, db = store
    kaoping(db, "init")
    tasks = [c for c in demo_subset("tasks", YEAR) if c["unit"] == "D03"]
    kaoping(db, "ingest", "-", stdin="".join(json.dumps(t, ensure_ascii=False) + "\n" for t in tasks))
    token = kaoping(db, "token", "create", "--actor", "县考核办", "--role", "office").strip().splitlines()[-1]
    reports = [c for c in demo_subset("node_results", YEAR) if c["unit"] == "D03"][:4]
    broken = [{**reports[0], "reported_on": "31/07"}, {**reports[1], "unit": "X99"}, reports[2],
              {**reports[3], "quality": "excellent"}]
    bad, good = tmp_path / "节点考核结果-有误.xlsx", tmp_path / "节点考核结果.xlsx"
    bad.write_bytes(node_sheet(db, broken))
    good.write_bytes(node_sheet(db, reports))
    before = json.loads(kaoping(db, "verify", "--json"))["entries"]
    shots = SCREENSHOTS if name == "sqlite" else None  # the SQLite walk's are kept
    with serving(db, tmp_path / "serve.log", timeout=30) as base, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        page = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN").new_page()
        page.goto(base + "/signin")
        page.fill("input[name=token]", token)
        page.click("form[action='/signin'] button[type=submit]")
        page.goto(base + "/imports/new")
        page.select_option("select[name=kind]", "node_results")
        page.set_input_files("input[name=file]", str(bad))
        page.click("form[action='/imports/new'] button[type=submit]")
        page.wait_for_load_state()
        cells = {page.locator("[data-testid=bad-cell]").nth(i).get_attribute("data-cell")
                 for i in range(page.locator("[data-testid=bad-cell]").count())}
        assert cells == {"节点考核结果!E3", "节点考核结果!A4", "节点考核结果!G6"}
        assert page.locator("[data-testid=import-error]").count() == 3
        assert page.locator("[data-testid=import-commit]").count() == 0
        take(page, shots, "1-three-errors-on-their-cells.png")
        assert json.loads(kaoping(db, "verify", "--json"))["entries"] == before
        # fixed: the preview shows the figures the rows would move, then one click commits
        page.goto(base + "/imports/new?kind=node_results")
        page.set_input_files("input[name=file]", str(good))
        page.click("form[action='/imports/new'] button[type=submit]")
        page.wait_for_load_state()
        assert page.locator("[data-testid=import-error]").count() == 0
        assert page.locator("[data-testid=import-moves] tbody tr").count() > 0
        take(page, shots, "2-preview-moves.png")
        page.click("[data-testid=import-commit]")
        page.wait_for_url(base + "/imports?done=*")
        assert "新登记 4 条" in page.locator("[data-testid=import-done]").inner_text()
        assert page.get_by_text("节点考核结果.xlsx").count() == 1
        take(page, shots, "3-imported.png")
        # the upload form on a 390 px phone: nothing wider than the screen
        phone = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN", is_mobile=True).new_page()
        phone.goto(base + "/signin")
        phone.fill("input[name=token]", token)
        phone.click("form[action='/signin'] button[type=submit]")
        phone.goto(base + "/imports/new")
        assert phone.evaluate("document.documentElement.scrollWidth") <= 390
        take(phone, shots, "4-upload-form-390.png")
        browser.close()
    assert json.loads(kaoping(db, "verify", "--json"))["entries"] == before + 4
