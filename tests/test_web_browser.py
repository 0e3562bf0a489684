"""The web pages in a real browser: Debian's headless Chromium driven by Playwright, against a real
`kaoping serve` over a demo-year SQLite ledger. Screenshots go to artifacts/screenshots/ (or
$KAOPING_ARTIFACTS/screenshots). Without Debian's Chromium (either executable below) the tests are
skipped, unless KAOPING_REQUIRE_BROWSER is set (as `.ci/run` does): then they fail.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kaoping.domain.labels import FIGURE_NAMES, GROUP_NAMES
from kaoping.domain.names import GROUPS
from tests.cli_calls import kaoping_cli
from tests.test_http_e2e import serving
from tests.test_pages_words import english_on

#: Debian's old headless shell (package chromium-headless-shell; Playwright's own Chromium is that
#: shell for headless runs too) where it is installed, else the full browser in its headless mode:
#: the same Blink, fonts and PDF printing (the roles walk's 25 screenshots on each: the same sizes,
#: and they differ only where two runs on one browser differ too: times, hashes, tokens), but the
#: full browser's processes cost more: the browser walks (`pytest -n 2 tests/*browser*.py`, under
#: /usr/bin/time) took 78 CPU-s and 75 s on /usr/bin/chromium, 58 CPU-s and 51 s on the shell
CHROMIUM = next((path for path in ("/usr/bin/chromium-headless-shell", "/usr/bin/chromium")
                 if os.path.exists(path)), "/usr/bin/chromium-headless-shell")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run", "--disable-sync"]
ROOT = Path(__file__).resolve().parent.parent
SHOTS = Path(os.environ.get("KAOPING_ARTIFACTS", ROOT / "artifacts")) / "screenshots"


def _browser_missing() -> str | None:
    if not os.path.exists(CHROMIUM):
        return f"{CHROMIUM} is not installed (apt-get install chromium-headless-shell fonts-noto-cjk)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError as error:
        return f"playwright is not installed: {error}"
    return None


@pytest.fixture(scope="module", autouse=True)
def _need_browser() -> None:
    problem = _browser_missing()
    if problem:
        if os.environ.get("KAOPING_REQUIRE_BROWSER"):
            pytest.fail(f"browser tests are required: {problem}")
        pytest.skip(problem)


#: the signing key of the module's ledger: every test runs with a key path of its own (conftest),
#: and the served ledger was made under the first one
LEDGER_KEY: dict[str, str] = {}


def kaoping(*args: str) -> str:
    """`kaoping ARGS…` in this process (tests/cli_calls.py), with the module ledger's key."""
    return kaoping_cli(*args, env=LEDGER_KEY)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    tmp = tmp_path_factory.mktemp("browser")
    LEDGER_KEY["KAOPING_SIGNING_KEY"] = str(tmp / "demo.signing-key")
    db = f"sqlite:///{tmp / 'demo.db'}"
    kaoping("demo", "--db", db)
    tokens = {
        "auditor": kaoping("token", "create", "--actor", "审计组", "--role", "auditor", "--db", db),
        "d03": kaoping("token", "create", "--actor", "县物价局经办人", "--role", "unit", "--unit", "D03",
                       "--db", db),
        "office": kaoping("token", "create", "--actor", "县考评办", "--role", "office", "--db", db),
    }
    tokens = {name: out.strip().splitlines()[-1] for name, out in tokens.items()}
    # the key for the server the fixture starts, in this process's environment only while it starts:
    # left there, every later ledger of this process without a key of its own would sign with it
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("KAOPING_SIGNING_KEY", LEDGER_KEY["KAOPING_SIGNING_KEY"])
        with serving(db, tmp / "serve.log", timeout=30) as base:
            patch.undo()
            yield {"base": base, "tokens": tokens, "db": db, "tmp": tmp}


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN",
                                  accept_downloads=True)
    yield context.new_page()
    context.close()


def sign_in(page: Any, server: dict[str, Any], who: str) -> None:
    page.goto(server["base"] + "/")
    assert "/signin" in page.url
    page.fill("input[name=token]", server["tokens"][who])
    page.click("form[action='/signin'] button[type=submit]")
    # each role lands on its own page (a unit on its 待办); these walks start from the standings
    page.wait_for_url(lambda url: "/signin" not in url)
    if page.url != server["base"] + "/":
        page.goto(server["base"] + "/")


def shot(page: Any, name: str, *, full_page: bool = True) -> None:
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=full_page)


def load_ms(page: Any) -> float:
    timing = page.evaluate("() => { const n = performance.getEntriesByType('navigation')[0];"
                           " return [n.responseEnd - n.requestStart, n.loadEventEnd - n.startTime]; }")
    return timing  # type: ignore[no-any-return]


def test_an_auditor_follows_d03_from_standings_down_to_an_entry(page, server):
    page.goto(server["base"] + "/signin")
    shot(page, "01-signin")
    sign_in(page, server, "auditor")
    assert page.locator("h2", has_text="县政府各部门").is_visible()
    assert page.locator("h2", has_text="镇、街道及经济园区").is_visible()
    assert page.locator("svg.bar-chart").count() == 2
    assert "通过" in page.locator("[data-testid=verify]").inner_text()
    print(f"\nstandings (first view): server {load_ms(page)[0]:.0f} ms, load {load_ms(page)[1]:.0f} ms")
    page.reload()
    print(f"standings (again): server {load_ms(page)[0]:.0f} ms, load {load_ms(page)[1]:.0f} ms")
    shot(page, "02-standings-auditor")

    page.select_option("select[name=stage]", "process")
    page.fill("input[name=as_of]", "2018-06-30")
    page.click("form.controls button[type=submit]")
    page.wait_for_url(re.compile(r".*stage=process&as_of=2018-06-30"))
    assert "截至 2018-06-30" in page.locator("h1").inner_text()
    print(f"standings as of 2018-06-30: server {load_ms(page)[0]:.0f} ms")
    shot(page, "03-standings-process-as-of")

    page.goto(server["base"] + "/")
    score = page.locator("table.standings a[data-unit=D03]")
    expected = score.inner_text()
    score.click()
    page.wait_for_url(server["base"] + "/units/D03")
    print(f"unit page D03 (first view): server {load_ms(page)[0]:.0f} ms")
    assert page.locator("[data-figure=total]").inner_text() == expected
    assert page.locator("h1").inner_text().startswith("县物价局")

    # down the tree: total (open) → indicator → individual → process → a task → a checkpoint → entry
    tree = page.locator("#tree")
    for label in (FIGURE_NAMES["indicator"], FIGURE_NAMES["individual"], FIGURE_NAMES["process"]):
        node = tree.locator("summary", has_text=label).first
        node.click()
    task = tree.locator("details.depth-4").first
    task.locator("> summary").click()
    checkpoint = task.locator("details.depth-5").first
    checkpoint.locator("> summary").click()
    entry = checkpoint.locator("li.entry a").first
    assert entry.is_visible()
    assert checkpoint.locator("p.formula").first.is_visible()
    shot(page, "04-unit-d03-tree-expanded")
    seq = entry.inner_text().removeprefix("第").removesuffix("条").strip()
    entry.click()
    row = page.locator(f"#e-{seq}")
    # the entry the link names; its seq and hash in its 详情 toggle, opened on a tap (issue 28, item 11)
    assert row.is_visible()
    row.locator("details.tech > summary").click()
    assert f"第 {seq} 条" in row.locator("details.tech").inner_text()
    full_hash = row.locator("details.tech code.hash").first.inner_text()
    assert full_hash and len(full_hash) == 64

    points = page.locator("#replay circle.point")
    assert points.count() > 10
    tooltip = points.last.locator("title").text_content()
    assert f"总分 {expected}" in tooltip
    # a point shows its label in HTML when it takes the focus (a tap), as a phone needs
    point = page.locator("#replay g.pt").nth(points.count() // 2)
    point.focus()
    assert point.locator(".tip-label").is_visible() and "总分" in point.locator(".tip-label").inner_text()
    page.locator("#replay").screenshot(path=str(SHOTS / "05-unit-d03-replay.png"))
    page.reload()
    print(f"unit page D03 (again): server {load_ms(page)[0]:.0f} ms, load {load_ms(page)[1]:.0f} ms")


def test_downloads_the_standings_and_d03_as_xlsx(page, server):
    import openpyxl

    sign_in(page, server, "auditor")
    with page.expect_download() as standing:
        page.click("a[href='/exports/standings.xlsx']")
    path = server["tmp"] / "standings.xlsx"
    standing.value.save_as(path)
    book = openpyxl.load_workbook(path)
    sheets = [list(sheet.iter_rows(values_only=True)) for sheet in book.worksheets]
    assert book.sheetnames == [GROUP_NAMES[group] for group in GROUPS]
    header, body = sheets[0][1], [row for rows in sheets for row in rows[2:]]
    assert len(body) == 59 and header[:4] == ("名次", "单位代码", "单位名称", FIGURE_NAMES["total"])
    assert all(rows[1] == header and "生成于" in rows[0][0] for rows in sheets)
    shown = page.locator("table.standings a[data-unit=D03]").inner_text()
    d03 = next(r for r in body if r[1] == "D03")
    assert f"{d03[header.index(FIGURE_NAMES['total'])]:.2f}" == shown

    page.click("table.standings a[data-unit=D03]")
    page.wait_for_url(server["base"] + "/units/D03")
    with page.expect_download() as unit:
        page.click("a[href='/units/D03/score.xlsx']")
    assert unit.value.suggested_filename.endswith(".xlsx")
    path = server["tmp"] / "d03.xlsx"
    unit.value.save_as(path)
    rows = list(openpyxl.load_workbook(path).active.iter_rows(values_only=True))
    assert rows[0][0].startswith("D03 ") and rows[1][0] == "层级"  # the title row, the header
    assert f"{rows[2][2]:.2f}" == shown  # the tree's root: the total
    assert any("过程成绩" in str(r[1]) for r in rows[2:])


def test_voided_and_superseded_entries_are_struck_through(page, server):
    sign_in(page, server, "auditor")
    page.goto(server["base"] + "/units/T06")
    page.evaluate("() => document.querySelectorAll('#tree details').forEach(d => d.open = true)")
    struck = page.locator("#tree li.entry.gone del")
    assert struck.count() >= 3
    assert page.locator("#tree li.entry.gone", has_text="已被").count() >= 3
    assert page.locator("table.disputes tr", has_text="DSP-T06-01").is_visible()
    shot(page, "06-unit-t06-voids")


def test_a_unit_files_a_dispute_and_cannot_open_another_unit(page, server):
    sign_in(page, server, "d03")
    own = page.locator("table.standings a[data-unit]")
    assert own.count() == 1 and own.get_attribute("data-unit") == "D03"
    assert page.locator("[data-testid=verify]").count() == 0
    shot(page, "07-standings-unit-d03")

    response = page.goto(server["base"] + "/units/D05")
    assert response.status == 403
    assert "无权查看" in page.locator("h1").inner_text()
    shot(page, "08-unit-d05-forbidden")

    page.goto(server["base"] + "/units/D03#history")
    page.locator("#history li", has_text="demo-D03-common-C03").locator("a.dispute-link").click()
    page.wait_for_url(re.compile(r".*/units/D03/disputes/new\?target=demo-D03-common-C03"))
    assert "demo-D03-common-C03" in page.locator(".entry-facts").inner_text()
    form = page.locator("form.dispute-form")
    form.locator("textarea[name=reason]").fill("评分未采纳已报送的佐证材料，申请复核")
    form.locator("button[type=submit]").click()
    page.wait_for_url(re.compile(r".*/units/D03\?filed=D03-\d{3}"))
    assert "已登记" in page.locator("#disputes .notice").inner_text()
    row = page.locator("table.disputes tr", has_text="demo-D03-common-C03")
    assert "待裁决" in row.inner_text() and "县物价局经办人" in row.inner_text()
    shot(page, "09-unit-d03-dispute-filed")


def test_a_dispute_sent_again_from_a_second_tab_is_refused_in_chinese(browser, server):
    # two tabs of one clerk on the same entry: the second submission meets the ledger's rule (one
    # open dispute per entry) and the form says so in the catalogue's words, keeping the reason typed
    history = json.loads(kaoping("history", "D03", "--db", server["db"], "--json"))
    disputed = {row["payload"]["target"] for row in history if row["type"] == "dispute.filed"}
    target = next(row["id"] for row in history if row["type"] == "common.scored" and not row["voided_by"]
                  and row["id"] not in disputed and row["payload"]["indicator"] != "C03")
    context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN")
    first = context.new_page()
    sign_in(first, server, "d03")
    second = context.new_page()
    for tab in (first, second):
        tab.goto(server["base"] + f"/units/D03/disputes/new?target={target}")
        tab.locator("form.dispute-form textarea[name=reason]").fill("评分与报送的佐证不符，申请复核")
    first.locator("form.dispute-form button[type=submit]").click()
    first.wait_for_url(re.compile(r".*/units/D03\?filed=D03-\d{3}"))
    second.locator("form.dispute-form button[type=submit]").click()
    second.wait_for_load_state()
    error = second.locator("p.error[role=alert]")
    assert error.is_visible()
    text = error.inner_text()
    assert text == f"异议未登记：对象记录（target）：记录“{target}”已有待裁决的异议，请等待裁决结果"
    assert english_on(text, {target}) == []  # the field path and the id are code-like
    assert second.locator("textarea[name=reason]").input_value() == "评分与报送的佐证不符，申请复核"
    shot(second, "20-dispute-refused-in-chinese")
    context.close()


def test_a_dispute_form_without_its_csrf_token_is_refused(browser, server):
    context = browser.new_context(viewport={"width": 1366, "height": 900}, bypass_csp=True)
    page = context.new_page()
    try:
        sign_in(page, server, "d03")
        page.goto(server["base"] + "/units/D03")
        before = page.locator("table.disputes tbody tr").count()
        page.goto(server["base"] + "/units/D03/disputes/new?target=demo-D03-common-C05")
        page.evaluate("() => document.querySelector('form.dispute-form input[name=csrf]').remove()")
        form = page.locator("form.dispute-form")
        form.locator("textarea[name=reason]").fill("没有校验码的提交")
        with page.expect_navigation() as navigation:
            form.locator("button[type=submit]").click()
        assert navigation.value.status == 403
        assert "CSRF" in page.locator("p.error").inner_text()
        shot(page, "10-dispute-without-csrf")
        page.goto(server["base"] + "/units/D03")
        assert page.locator("table.disputes tbody tr").count() == before
    finally:
        context.close()


def test_phone_layout(browser, server):
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True,
                                  device_scale_factor=2)
    page = context.new_page()
    try:
        sign_in(page, server, "auditor")
        width = page.evaluate("() => document.documentElement.scrollWidth")
        assert width <= 390, "the standings page scrolls sideways on a phone"
        shot(page, "11-phone-standings")
        page.goto(server["base"] + "/units/D03")
        assert page.evaluate("() => document.documentElement.scrollWidth") <= 390
        shot(page, "12-phone-unit-d03", full_page=False)
    finally:
        context.close()


def test_sign_out(page, server):
    sign_in(page, server, "auditor")
    page.click("header form[action='/signout'] button")
    page.wait_for_url(re.compile(r".*/signin\?reason=signed_out"))
    assert "已退出登录" in page.content()
    page.goto(server["base"] + "/units/D03")
    assert "/signin" in page.url


def test_the_office_rules_on_a_dispute_at_its_desk(page, server, tmp_path):
    db = server["db"]
    published = json.loads(kaoping("publish", "--stage", "annual", "--title", "2018年度考评结果公示",
                                   "--id", "pub-browser", "--db", db, "--json"))
    history = json.loads(kaoping("history", "D05", "--db", db, "--json"))
    # an indicator that counts in the total (C01 创城 and C20 安全生产 do not), scored below 96
    target = next(row for row in history if row["type"] == "common.scored" and not row["voided_by"]
                  and row["payload"]["indicator"] not in ("C01", "C20")
                  and float(row["payload"]["score"]) < 96)
    filed = tmp_path / "dispute.jsonl"
    filed.write_text(json.dumps({"id": "browser-dispute", "type": "dispute.filed", "unit": "D05",
                                 "dispute": "D05-901", "target": target["id"],
                                 "reason": "评分未采纳佐证材料"}, ensure_ascii=False) + "\n")
    kaoping("ingest", str(filed), "--db", db)

    sign_in(page, server, "office")
    page.click("header nav a[href='/disputes']")
    row = page.locator("table.desk tr[data-dispute='D05-901']")
    assert "评分未采纳佐证材料" in row.inner_text() and "天" in row.inner_text()
    shot(page, "11-desk")
    row.locator("a").first.click()
    page.wait_for_url(re.compile(r".*/disputes/D05-901$"))
    assert "若异议成立" in page.locator("#preview h2").inner_text()
    assert page.locator("table.changes tr", has_text="D05").count() >= 1
    form = page.locator("form.ruling-form")
    form.locator("input[value=upheld]").check()
    form.locator("textarea[name=reason]").fill("经核实，佐证材料已按期报送")
    form.locator("input[name=score]").fill("96")
    shot(page, "12-dispute-ruling")
    form.locator("button[type=submit]").click()
    page.wait_for_url(re.compile(r".*/disputes\?ruled=D05-901"))
    assert page.locator("table.desk tr[data-dispute='D05-901']").count() == 0
    page.goto(server["base"] + f"/publications/{published['id']}")
    changed = page.locator("#changed tr[data-unit='D05']")
    assert changed.is_visible() and "browser-dispute" not in changed.inner_text()
    assert "web-correction-D05-901" in changed.inner_text()
    shot(page, "13-publication-changed")
    after = json.loads(kaoping("publication", published["id"], "--db", db, "--json"))
    assert "D05" in [r["unit"] for r in after["changed_since"]]


def test_the_api_docs_render_with_no_network(browser, server):
    context = browser.new_context(viewport={"width": 1366, "height": 900})
    page = context.new_page()
    fetched_elsewhere = []

    def only_the_server(route):
        if route.request.url.startswith(server["base"]):
            route.continue_()
        else:
            fetched_elsewhere.append((route.request.resource_type, route.request.url))
            route.abort()

    page.route("**/*", only_the_server)
    try:
        page.goto(server["base"] + "/docs")
        page.wait_for_selector(".swagger-ui .info .title", timeout=20_000)
        assert "Kaoping" in page.locator(".swagger-ui .info .title").inner_text()
        assert page.locator(".opblock-summary-path", has_text="/v1/commands").count() >= 1
        shot(page, "14-docs-offline")
        page.goto(server["base"] + "/redoc")
        page.wait_for_selector("h1", timeout=20_000)
        assert "Kaoping" in page.locator("h1").first.inner_text()
        shot(page, "15-redoc-offline")
        # nothing the pages need comes from elsewhere; ReDoc's footer asks a CDN for its logo only
        assert [(kind, url) for kind, url in fetched_elsewhere if kind != "image"] == []
    finally:
        context.close()


def test_mid_year_standings_say_they_are_provisional(page, server):
    sign_in(page, server, "auditor")
    page.goto(server["base"] + "/?as_of=2018-07-31")
    banner = page.locator("[data-testid=provisional]")
    assert banner.is_visible() and "数据未齐，仅供参考" in banner.inner_text()
    assert page.locator("table.standings .badge", has_text="待定").count() > 0
    shot(page, "16-standings-mid-year-provisional")
    page.goto(server["base"] + "/?stage=process")
    assert page.locator("[data-testid=provisional]").count() == 0  # the process score is never waiting


def test_the_history_reads_as_sentences_on_a_phone(browser, server):
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN",
                                  device_scale_factor=2, is_mobile=True)
    page = context.new_page()
    try:
        sign_in(page, server, "auditor")
        page.goto(server["base"] + "/units/T05#history")
        entries = page.locator("#history li.history-entry")
        assert entries.count() == 50  # a page of them
        first = entries.first
        assert "业务时间" in first.inner_text() and "写入账本" in first.inner_text()
        width = page.evaluate("() => document.querySelector('#history').getBoundingClientRect().width")
        scroll = page.evaluate("() => document.documentElement.scrollWidth")
        assert width <= 390 and scroll <= 390
        page.locator("select[name=h_type]").select_option("checkpoint.reported")
        page.click("form.history-filter button[type=submit]")
        # the filtered page, not the one the click left (reading that raced with the navigation)
        page.wait_for_url(re.compile(r".*/units/T05\?h_type=checkpoint\.reported.*"))
        kinds = page.locator("#history li.history-entry .meta").all_inner_texts()
        assert kinds and all("节点报告" in k for k in kinds)
        assert page.locator("#history li.history-entry .what").first.inner_text().startswith("报告任务")
        page.locator("#history").screenshot(path=str(SHOTS / "17-history-390px.png"))
    finally:
        context.close()


def test_the_replay_chart_is_by_date_with_due_dates_marked(page, server):
    sign_in(page, server, "auditor")
    page.goto(server["base"] + "/units/T01#replay")
    assert page.locator("#replay circle.due").count() >= 1
    assert "业务日期" in page.locator("#replay svg .axis-title").text_content()
    moves = page.locator("#replay ol.moves li")
    assert moves.count() >= 3
    due = page.locator("#replay g.pt", has=page.locator("circle.due")).first
    due.focus()
    assert "节点到期" in due.locator(".tip-label").inner_text()
    page.locator("#replay").screenshot(path=str(SHOTS / "18-replay-due-dates.png"))
