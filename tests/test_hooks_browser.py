"""The office's 推送 page in a real browser (Playwright driving Debian's Chromium against a real `kaoping
serve`), at 390 px and with JavaScript off: the office follows its navigation to the page, sends the
form with no event chosen (refused beside the events, nothing registered), then registers a DingTalk
robot, sees it listed without its token, and stops it. Screenshots go to screenshots("hooks")
(tests/screens.py). SQLite only: the page's rules are the outbox's, tested on both stores elsewhere."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.screens import screenshots
from tests.test_board_browser import kaoping
from tests.test_http_e2e import serving
from tests.test_web_browser import ARGS, CHROMIUM, _browser_missing

SCREENSHOTS = screenshots("hooks")
TOKEN = "robot-token-in-the-url"


def test_hooks_page_in_a_phone_browser_without_javascript(tmp_path: Path) -> None:
    problem = _browser_missing()
    if problem:
        if os.environ.get("KAOPING_REQUIRE_BROWSER"):
            pytest.fail(f"browser tests are required: {problem}")
        pytest.skip(problem)
    from playwright.sync_api import sync_playwright

    db = f"sqlite:///{tmp_path / 'hooks.db'}"
    kaoping(db, "init")
    token = kaoping(db, "token", "create", "--actor", "县考评办", "--role", "office").strip().splitlines()[-1]
    with serving(db, tmp_path / "serve.log", timeout=30) as base, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        phone = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN", is_mobile=True,
                                    java_script_enabled=False)
        page = phone.new_page()
        page.goto(base + "/signin")
        page.fill("input[name=token]", token)
        page.click("form[action='/signin'] button[type=submit]")
        page.wait_for_url(base + "/office")
        page.click("header nav a[href='/office/hooks']")
        page.wait_for_url(base + "/office/hooks")
        form = page.locator("form[action='/office/hooks']")
        form.locator("input[name=url]").fill(f"https://oapi.dingtalk.com/robot/send?access_token={TOKEN}")
        form.locator("select[name=format]").select_option("dingtalk")
        for box in form.locator("input[type=checkbox]").all():
            box.uncheck()
        form.locator("button[type=submit]").click()
        refusal = page.locator("[data-field=events]")
        assert "至少选择一种事件" in refusal.inner_text()
        assert json.loads(kaoping(db, "hooks", "list", "--json")) == []
        page.locator("form[action='/office/hooks'] input[name=event_reminder]").check()
        page.locator("form[action='/office/hooks'] input[name=secret]").fill("SECthe-robot-secret")
        page.locator("form[action='/office/hooks'] button[type=submit]").click()
        page.wait_for_url(base + "/office/hooks?done=added")
        listed = page.locator("[data-testid=hooks] tbody tr")
        assert listed.count() == 1 and "每日督办提醒" in listed.first.inner_text()
        assert TOKEN not in page.content() and "SECthe-robot-secret" not in page.content()
        page.screenshot(path=str(SCREENSHOTS / "hooks-390.png"), full_page=True)
        measured = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN", is_mobile=True,
                                       storage_state=phone.storage_state()).new_page()
        measured.goto(base + "/office/hooks")
        width = measured.evaluate("document.documentElement.scrollWidth")
        assert width <= 390 + 1, f"the page is {width} px wide at 390"
        listed.first.locator("button[type=submit]").click()
        page.wait_for_url(base + "/office/hooks?done=removed")
        assert json.loads(kaoping(db, "hooks", "list", "--json")) == []
        browser.close()
