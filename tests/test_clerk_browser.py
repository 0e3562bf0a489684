"""The clerk pages in a real browser, at 1366 px and on a 390 px phone (issue 28, items 11 and 12): a
unit's 待办, its page (figures, replay, history) and a dispute it files; the office's dispute desk and
the ruling form. On the phone nothing runs off the screen (the desk's 申诉期剩余 and 状态 included);
the ruling form's radio buttons sit left of their labels; the replay chart says where its line
starts and why; the history's 详情 toggle opens without a script.

Screenshots of every step go to screenshots("clerk") (tests/screens.py); the committed set is
retaken with KAOPING_SCREENSHOTS=docs/screenshots."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.screens import screenshots
from tests.test_web_browser import _need_browser, browser, server  # noqa: F401  (fixtures)

WIDTHS = {"1366": {"width": 1366, "height": 900}, "390": {"width": 390, "height": 844}}


@pytest.fixture(scope="module")
def shots() -> Any:
    return screenshots("clerk")


@pytest.fixture
def signed(browser: Any, server: dict[str, Any]) -> Iterator[Any]:  # noqa: F811
    """Pages signed in as a role at a width: `signed(role, width)`."""
    contexts = []

    def open_as(role: str, width: str) -> Any:
        phone = width == "390"
        context = browser.new_context(viewport=WIDTHS[width], locale="zh-CN", device_scale_factor=2 if phone else 1,
                                      is_mobile=phone, has_touch=phone)
        contexts.append(context)
        page = context.new_page()
        page.goto(server["base"] + "/signin")
        page.fill("input[name=token]", server["tokens"][role])
        page.click("form[action='/signin'] button[type=submit]")
        page.wait_for_url(lambda url: "/signin" not in url)
        return page

    yield open_as
    for context in contexts:
        context.close()


def fits(page: Any) -> None:
    """Nothing of the page runs off a phone's screen sideways."""
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 390, page.url


def save(page: Any, folder: Any, name: str, width: str, selector: str | None = None) -> None:
    path = str(folder / f"{name}-{width}.png")
    if selector:
        page.locator(selector).screenshot(path=path)
    else:
        page.screenshot(path=path, full_page=True)


def test_a_unit_reads_its_pages_and_files_a_dispute(signed: Any, server: dict[str, Any], shots: Any) -> None:
    for width in WIDTHS:
        page = signed("d03", width)
        assert page.url.endswith("/todo")
        save(page, shots, "1-unit-todo", width)
        page.goto(server["base"] + "/units/D03")
        save(page, shots, "2-unit-figures", width, "main > section.card >> nth=0")
        start = page.locator("[data-testid=replay-start]")
        assert start.is_visible() and "纵轴自 0 分起" in start.inner_text() and "起步" in start.inner_text()
        save(page, shots, "3-unit-replay", width, "#replay")
        first = page.locator("#history li.history-entry").first
        assert first.locator("details.tech").count() == 1
        assert not first.locator("details.tech dl").is_visible()  # closed until asked for
        save(page, shots, "4-unit-history", width, "#history")
        first.locator("details.tech > summary").click()  # opens without a script (the pages have none)
        assert "下载回执" in first.locator("details.tech").inner_text()
        assert "前序哈希" in first.locator("details.tech").inner_text()
        save(page, shots, "5-unit-history-details", width, "#history li.history-entry >> nth=0")
        if width == "390":
            fits(page)


def test_the_desk_fits_a_phone_and_the_ruling_radios_sit_left_of_their_labels(
        signed: Any, server: dict[str, Any], shots: Any) -> None:
    unit = signed("d03", "1366")
    unit.goto(server["base"] + "/units/D03#history")
    unit.locator("#history a.dispute-link").first.click()
    unit.fill("textarea[name=reason]", "评分未采纳已报送的佐证材料")
    unit.click("form[action='/units/D03/disputes'] button[type=submit]")
    unit.wait_for_url(lambda url: "filed=" in url)
    code = unit.url.split("filed=")[1].split("&")[0].split("#")[0]
    save(unit, shots, "6-unit-dispute-filed", "1366", "#disputes")
    for width in WIDTHS:
        desk = signed("office", width)
        desk.goto(server["base"] + "/disputes")
        row = desk.locator(f"tr[data-dispute='{code}']")
        assert row.count() == 1
        for label in ("申诉期剩余", "状态"):
            cell = row.locator(f"td[data-label='{label}']")
            box = cell.bounding_box()
            assert cell.is_visible() and box["x"] >= 0 and box["x"] + box["width"] <= int(width), (label, box)
        save(desk, shots, "7-office-desk", width)
        if width == "390":
            fits(desk)
        desk.goto(f"{server['base']}/disputes/{code}")
        for radio in desk.locator("form.ruling-form input[type=radio]").all():
            where = radio.evaluate("""(input) => {
                const label = input.closest('label');
                const text = [...label.childNodes].find(n => n.nodeType === 3 && n.textContent.trim());
                const range = document.createRange(); range.selectNodeContents(text);
                const t = range.getBoundingClientRect(), r = input.getBoundingClientRect();
                return {radio_right: r.right, radio_top: r.top, radio_bottom: r.bottom,
                        text_left: t.left, text_top: t.top, text_bottom: t.bottom};
            }""")
            assert where["radio_right"] <= where["text_left"], where  # left of its words, not above them
            assert where["radio_top"] < where["text_bottom"] and where["radio_bottom"] > where["text_top"], where
        save(desk, shots, "8-office-ruling-form", width)
        if width == "390":
            fits(desk)
