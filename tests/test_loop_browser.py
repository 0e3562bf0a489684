"""The checkpoint loop walked in a real browser (issue 24), once per store, with real tokens against
a real `kaoping serve`: a unit's clerk on a 390 px phone reports a checkpoint with a photo and a
PDF; the verifier opens both, marks the photo falsified on site with a photo of its own; the unit's
page, the explanation tree (the P8 derived from the verification, citing it) and `verify`'s files
section show it. Screenshots of each step of the SQLite walk go to screenshots("loop") (tests/screens.py)."""

from __future__ import annotations

import json
import os
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from conftest import scratch_database
from tests.cli_calls import kaoping_cli
from tests.test_http_e2e import serving
from tests.test_web_browser import ARGS, CHROMIUM, ROOT, _browser_missing
from tests.screens import screenshots, take

SCREENSHOTS = screenshots("loop")
PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10\x00\x00\x00\x10\x08\x02\x00\x00\x00\x90\x91h6"
       b"\x00\x00\x00\x19IDATx\x9cc\xfc\xcf\xc0\xc0\xc0\xc4\x80\x0b0\x8e*\x18U0\xaa`T\xc1\x00\x00\xd1\xa0\x03"
       b"\x1d\xa6\xc6\xdb\xe1\x00\x00\x00\x00IEND\xaeB`\x82")
PDF = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj 2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj "
       b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n")


@pytest.fixture(params=["sqlite", "postgres"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Any:
    problem = _browser_missing()
    if problem:
        if os.environ.get("KAOPING_REQUIRE_BROWSER"):
            pytest.fail(f"browser tests are required: {problem}")
        pytest.skip(problem)
    if request.param == "sqlite":
        yield request.param, f"sqlite:///{tmp_path / 'loop.db'}"
        return
    with scratch_database(request.getfixturevalue("postgres_admin")) as url:
        yield request.param, url


def kaoping(db: str, *args: str, stdin: str | None = None) -> str:
    """`kaoping ARGS… --db DB` in this process (tests/cli_calls.py); exit 1 (a refusal) allowed."""
    return kaoping_cli(*args, "--db", db, stdin=stdin, codes=(0, 1))


def test_the_loop_in_a_browser(store: tuple[str, str], tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    name, db = store
    kaoping(db, "init")
    due = (date.today() + timedelta(days=3)).isoformat()
    task = {"id": "d03-p1", "type": "task.assigned", "unit": "D03", "task": "P1", "title": "价格监测预警",
            "level": "provincial", "method": "veto", "important": True,
            "checkpoints": [{"checkpoint": "Q4", "due": due}]}
    kaoping(db, "ingest", "-", "--actor", "县考评办", stdin=json.dumps(task, ensure_ascii=False) + "\n")
    tokens = {who: kaoping(db, "token", "create", "--actor", actor, "--role", role, *scope).strip().splitlines()[-1]
              for who, actor, role, scope in (("unit", "物价局填报员", "unit", ("--unit", "D03")),
                                              ("verifier", "县核查组", "verifier", ()))}
    photo, report = tmp_path / "现场照片.png", tmp_path / "四季度监测报告.pdf"
    photo.write_bytes(PNG)
    report.write_bytes(PDF)
    site = tmp_path / "核查现场.png"
    site.write_bytes(PNG.replace(b"\x10\x08", b"\x10\x08", 1) + b"site")  # other bytes: another file
    shots = SCREENSHOTS if name == "sqlite" else None  # the SQLite walk's are kept
    with serving(db, tmp_path / "serve.log", timeout=30) as base, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        phone = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN", is_mobile=True)
        page = phone.new_page()
        # the unit's clerk signs in and lands on its 待办
        page.goto(base + "/signin")
        page.fill("input[name=token]", tokens["unit"])
        page.click("form[action='/signin'] button[type=submit]")
        page.wait_for_url(base + "/todo")
        item = page.locator("[data-testid='todo-P1/Q4']")
        assert "light-yellow" in (item.get_attribute("class") or "")
        take(page, shots, "1-unit-todo-390.png")
        item.locator("input[name=files]").set_input_files([str(report)])
        item.locator("input[name=photos]").set_input_files([str(photo)])
        item.locator("textarea[name=note]").fill("四季度价格监测按时完成，附报告和现场照片。")
        item.locator("button[type=submit]").click()
        page.wait_for_url(base + "/todo?done=*")
        assert page.locator("[data-testid^='report-']").count() == 1
        assert page.locator("[data-testid^='evidence-']").count() == 2
        assert page.get_by_text("文件未上传").count() == 0
        take(page, shots, "2-unit-reported-390.png")
        # the verifier opens both files, and marks the photo falsified on site, with a photo of its own
        desk = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
        verifier = desk.new_page()
        verifier.goto(base + "/signin")
        verifier.fill("input[name=token]", tokens["verifier"])
        verifier.click("form[action='/signin'] button[type=submit]")
        verifier.wait_for_url(base + "/queue")
        rows = verifier.locator("[data-testid^='queue-D03-']")
        assert rows.count() == 2
        take(verifier, shots, "3-verifier-queue.png")
        links = [rows.nth(i).locator("a").get_attribute("href") for i in range(2)]
        kinds = {}
        for link in links:
            verifier.goto(base + link)
            assert "存储的字节与哈希相符" in verifier.locator("[data-testid=hash-check]").inner_text()
            viewer = verifier.locator("[data-testid=viewer]")
            kinds["image" if viewer.locator("img").count() else "pdf"] = link
            if viewer.locator("img").count():  # the photo is shown in the page, from the store
                assert verifier.evaluate("document.querySelector('[data-testid=viewer] img').naturalWidth") == 16
            else:
                assert viewer.locator("iframe").count() == 1
        assert set(kinds) == {"image", "pdf"}
        verifier.goto(base + kinds["pdf"])
        take(verifier, shots, "4-verifier-opens-pdf.png")
        verifier.goto(base + kinds["image"])
        verifier.check("input[name=outcome][value=falsified]")
        verifier.select_option("select[name=method]", "on_site")
        verifier.set_input_files("input[name=photos]", [str(site)])
        take(verifier, shots, "5-verifier-marks-falsified.png")
        verifier.click("form[action^='/queue/'] button[type=submit]")
        verifier.wait_for_url(base + "/queue?done=*")
        assert verifier.locator("[data-testid^='queue-D03-']").count() == 1
        assert "弄虚作假" in verifier.content()
        # the unit's page: the explanation tree shows the P8 derived from the verification
        page.goto(base + "/units/D03#tree")
        page.locator("#tree details").evaluate_all("nodes => nodes.forEach(n => n.open = true)")
        tree = page.locator("#tree").inner_text()
        assert "P8" in tree and "web-verify-D03" in tree  # the derived P8 cites the verification
        take(page, shots, "6-unit-explanation-p8-390.png")
        browser.close()
    score = json.loads(kaoping(db, "score", "D03", "--json"))
    cited = _entries(score["explanation"])
    falsified = [e for e in cited if e["type"] == "evidence.verified"]
    assert falsified and any(e["type"] == "evidence.submitted" and e["file"]["stored"] for e in cited)
    assert score["penalty"] == "1.00"
    report = json.loads(kaoping(db, "verify", "--json"))
    assert report["ok"] and report["files"] == {"cited": 3, "stored": 3, "missing": [], "mismatched": []}


def _entries(node: dict[str, Any]) -> list[dict[str, Any]]:
    return list(node.get("entries", ())) + [e for c in node.get("children", ()) for e in _entries(c)]
