"""The other roles' recording walked in a real browser (issue 25), once per store, with one token per
role against a real `kaoping serve`: a leader, the leading-group office and two units cast ballots by
名次 (previewing the bands first); an assessment body scores by parts where the amended scheme gives
an indicator core sub-indicators (set by the office on its page, beside two tasks with their
checkpoints); the office awards a bonus past its cap, voids a score after its
preview, closes the half-year round (the leader's ballot turns read-only), publishes after the
pending warning and prints the 公示 (A4 PDF), and issues a token with its sign-in card. The standings then equal those of the same commands sent as JSON to another ledger.
Screenshots of every page at 1366 and 390 px (SQLite walk) go to screenshots("roles") (tests/screens.py)."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path
from typing import Any


from tests.cli_calls import kaoping_cli
from tests.test_http_e2e import serving
from tests.test_web_browser import ARGS, CHROMIUM
from tests.screens import screenshots, take
from tests.test_loop_browser import store  # noqa: F401 (the fixture: both stores, the browser required in CI)

SCREENSHOTS = screenshots("roles")
AMENDMENT = {"version": "2018.2", "common": {"sub_indicators": {"C05": [
    {"code": "C05.1", "name": "投诉按时办结率", "standard": "按时办结率不低于 95%", "evidence": "投诉办理台账"},
    {"code": "C05.2", "name": "群众满意度", "standard": "回访满意度不低于 90%", "evidence": "回访记录表"},
    {"code": "C05.3", "name": "重复投诉化解", "standard": "重复投诉件全部化解", "evidence": "化解情况报告"}]}}}
RECORDED = ("ballot.cast", "common.scored", "round.closed", "bonus.awarded", "entry.voided", "task.assigned")




def kaoping(db: str, *args: str, stdin: str | None = None, key: Path | None = None) -> str:
    """`kaoping ARGS… --db DB` in this process (tests/cli_calls.py), signing with `key` if given."""
    return kaoping_cli(*args, "--db", db, stdin=stdin, env={"KAOPING_SIGNING_KEY": str(key)} if key else None)


def test_ballots_and_scores_in_a_browser(store: tuple[str, str], tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    name, db = store
    kaoping(db, "init")
    amendment = tmp_path / "amendment.json"
    amendment.write_text(json.dumps(AMENDMENT, ensure_ascii=False), encoding="utf-8")
    accounts = {"leader": ("副县长陈立新", "leader", ("--units", "D01,D02,D03,D04")),
                "group_office": ("领导小组办公室", "group_office", ()),
                "body": ("县政府办公室", "assessor", ("--indicators", "C03,C05")),
                "town": ("沙岭镇填报员", "unit", ("--unit", "T01")),
                "department": ("物价局填报员", "unit", ("--unit", "D03")),
                "office": ("县考核办", "office", ())}
    tokens = {who: kaoping(db, "token", "create", "--actor", actor, "--role", role, *scope).strip().splitlines()[-1]
              for who, (actor, role, scope) in accounts.items()}
    shots = SCREENSHOTS if name == "sqlite" else None  # the SQLite walk's are kept

    def shoot(page: Any, file: str) -> None:
        for width in (1366, 390):
            page.set_viewport_size({"width": width, "height": 900})
            take(page, shots, f"{file}-{width}.png")
            assert page.evaluate("document.documentElement.scrollWidth") <= width + 1  # no sideways page

    with serving(db, tmp_path / "serve.log", timeout=30) as base, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)

        def signed_in(who: str, landing: str) -> Any:
            page = browser.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN").new_page()
            page.goto(base + "/signin")
            page.fill("input[name=token]", tokens[who])
            page.click("form[action='/signin'] button[type=submit]")
            page.wait_for_url(base + landing)
            assert page.locator("script[src^='http']").count() == 0
            return page

        def rank(page: Any, order: list[str]) -> None:
            for i, code in enumerate(order):
                page.fill(f"input[name=rank_{code}]", str(i + 1))

        # the office sets C05's core sub-indicators (an amendment) and two tasks with their checkpoints
        desk = signed_in("office", "/office")
        desk.goto(base + "/office/sub-indicators")
        desk.select_option("#set-subs select[name=indicator]", "C05")
        desk.fill("#set-subs input[name=version]", AMENDMENT["version"])
        for i, sub in enumerate(AMENDMENT["common"]["sub_indicators"]["C05"], start=1):
            for field in ("name", "standard", "evidence"):
                desk.fill(f"#set-subs input[name={field}_{i}]", sub[field])
        desk.click("#set-subs button[type=submit]")
        desk.wait_for_url(base + "/office/sub-indicators?done=*")
        assert desk.locator("[data-testid=subs-C05]").count() == 1
        shoot(desk, "0-office-sub-indicators")
        soon, later = (date.today() + timedelta(days=30)).isoformat(), (date.today() + timedelta(days=90)).isoformat()
        for unit, code, title in (("D03", "P1", "价格监测预警"), ("D04", "P1", "重点项目推进")):
            desk.goto(base + "/office")
            desk.select_option("#task select[name=unit]", unit)
            desk.fill("#task input[name=task]", code)
            desk.fill("#task input[name=title]", title)
            desk.select_option("#task select[name=level]", "own")
            desk.select_option("#task select[name=method]", "direct_deduction")
            desk.fill("#task textarea[name=checkpoints]", f"Q1 {soon}\nQ2 {later}")
            desk.click("#task button[type=submit]")
            assert desk.locator("#task .field-error").count() == 0, desk.locator("#task .field-error").all_inner_texts()
            desk.wait_for_url(base + "/office?done=*")

        # the leader lands on the ballots it owes, previews the bands, casts, then replaces its ballot
        leader = signed_in("leader", "/ballots")
        assert leader.locator("[data-testid=owed-half_year-departments]").count() == 1
        shoot(leader, "1-leader-ballots")
        leader.click("[data-testid=owed-half_year-departments] a")
        rank(leader, ["D02", "D01", "D04", "D03"])
        leader.click("button[value=preview]")
        assert "优秀 100" in leader.locator("[data-testid=band-D02]").inner_text()
        shoot(leader, "2-leader-ballot-preview")
        leader.click("button[value=cast]")
        leader.wait_for_url(base + "/ballots?done=*")
        assert leader.locator("[data-testid=owed-half_year-departments]").count() == 0
        leader.goto(base + "/ballots/half_year/departments")
        rank(leader, ["D01", "D02", "D04", "D03"])
        leader.click("button[value=cast]")
        leader.wait_for_url(base + "/ballots?done=*")
        leader.goto(base + "/ballots/half_year/departments")
        assert leader.get_by_text("已被替换").count() == 1
        # a gap is refused beside its unit, nothing recorded
        rank(leader, ["D01", "D02", "D04"])
        leader.fill("input[name=rank_D03]", "5")
        leader.click("button[value=cast]")
        assert "缺名次 4" in leader.locator("[data-field=rank_D03]").inner_text()
        shoot(leader, "3-leader-ballot-refused")

        # the leading-group office ranks every town; a short ballot is refused first
        office = signed_in("group_office", "/ballots")
        office.goto(base + "/ballots/half_year/towns_zones")
        towns = [n.removeprefix("rank_") for n in
                 office.locator("input[name^=rank_]").evaluate_all("ns => ns.map(n => n.name)")]
        rank(office, towns[:-1])
        office.click("button[value=cast]")
        assert towns[-1] in office.locator("[data-field=ranking]").inner_text()
        rank(office, towns)
        office.click("button[value=cast]")
        office.wait_for_url(base + "/ballots?done=*")

        # two units cast mutual ballots of the other group
        for who, order in (("town", ["D03", "D01", "D02"]), ("department", ["T02", "T01"])):
            unit = signed_in(who, "/todo")
            unit.goto(base + "/ballots")
            unit.locator("[data-testid^=owed-half_year-] a").click()
            rank(unit, order)
            unit.click("button[value=cast]")
            unit.wait_for_url(base + "/ballots?done=*")
            if who == "town":
                shoot(unit, "4-unit-mutual-ballots")

        # the body scores by parts and by one score, as one batch
        body = signed_in("body", "/scoring")
        body.fill("input[name='p_D03_C05.1']", "90")
        body.fill("input[name='p_D03_C05.2']", "86")
        body.fill("input[name='p_D03_C05.3']", "82")
        body.fill("input[name=s_D03_C03]", "88")
        body.fill("input[name=s_T01_C03]", "101")
        body.click("form.grid-form button[type=submit]")
        assert "100" in body.locator("[data-field=s_T01_C03]").inner_text()  # refused, nothing recorded
        shoot(body, "5-body-grid-refused")
        body.fill("input[name=s_T01_C03]", "91")
        body.click("form.grid-form button[type=submit]")
        body.wait_for_url(base + "/scoring?done=3")
        assert body.locator("input[name='p_D03_C05.3']").input_value() == "82"
        shoot(body, "6-body-grid-saved")

        # the office: a bonus past its cap, a void with its preview, the round closed, the 公示
        desk.goto(base + "/office")
        shoot(desk, "8-office-desk")
        desk.select_option("#award select[name=kind]", "bonus")
        desk.select_option("#award select[name=unit]", "D03")
        desk.select_option("#award select[name=item]", "B8")
        desk.fill("#award input[name=count]", "3")
        desk.fill("#award textarea[name=reason]", "县级单项表彰三次")
        desk.click("#award button[type=submit]")
        desk.wait_for_url(base + "/office?done=*")
        assert "封顶" in desk.locator("[data-testid=note]").inner_text()
        desk.goto(base + "/units/T01")
        desk.locator("a.void-link[href*='web-score-T01-C03']").first.click()
        desk.wait_for_url(base + "/office/void?target=*")
        assert "91.00" in desk.locator("[data-testid=void-preview]").inner_text()
        shoot(desk, "9-office-void-preview")
        desk.fill("textarea[name=reason]", "评分录入错误")
        desk.click("form[action^='/office/void'] button[type=submit]")
        desk.wait_for_url(base + "/office?done=*")
        desk.click("[data-testid=close-half_year]")
        desk.wait_for_url(base + "/office?done=*")
        assert desk.locator("[data-testid=closed-half_year]").count() == 1
        desk.select_option("#publish select[name=stage]", "half_year")
        desk.fill("#publish input[name=title]", "2018年半年综合评价结果公示")
        desk.click("#publish button[type=submit]")
        assert desk.locator("[data-testid=pending-units] li").count() > 0  # the units still pending, by name
        assert "仍要公示" in desk.locator("#publish").inner_text()
        shoot(desk, "10-office-publish-pending")
        desk.check("[data-testid=confirm]")
        desk.click("#publish button[type=submit]")
        desk.wait_for_url(base + "/office?done=*")
        desk.goto(base + "/publications")
        desk.locator("a[href^='/publications/']").first.click()
        desk.emulate_media(media="print")
        assert not desk.locator("header.top").is_visible() and desk.get_by_text("镇、街道及经济园区").count() > 0
        assert len(desk.locator("[data-testid=checkpoint-root]").inner_text()) == 44  # the tree's root, to check later
        desk.pdf(path=str(tmp_path / "gongshi.pdf"), format="A4")
        assert (tmp_path / "gongshi.pdf").read_bytes().startswith(b"%PDF")
        desk.set_viewport_size({"width": 794, "height": 1123})
        take(desk, shots, "11-gongshi-print-A4.png")
        desk.emulate_media(media="screen")
        desk.goto(base + "/office/accounts")
        desk.fill("input[name=actor]", "副县长赵红梅")
        desk.select_option("select[name=role]", "leader")
        desk.fill("input[name=units]", "D05,D06")
        desk.click("form[action='/office/accounts'] button[type=submit]")
        assert desk.locator("[data-testid=token]").inner_text().startswith("kp_")
        shoot(desk, "12-office-accounts-card")

        # the half-year round closed: the leader's ballot is read-only
        leader.goto(base + "/ballots/half_year/departments")
        assert leader.locator("[data-testid=closed]").count() == 1 and leader.locator("button[value=cast]").count() == 0
        shoot(leader, "7-leader-ballot-closed")
        browser.close()

    # the same commands sent as JSON to another ledger give the same standings
    recorded: dict[str, dict[str, Any]] = {}
    for line in kaoping(db, "export").splitlines():
        row = json.loads(line)
        if row.get("type") in RECORDED and row["id"] not in recorded:
            # the command as sent: the payload without the fields it left out (stored as null or their default)
            recorded[row["id"]] = {"id": row["id"], "type": row["type"],
                                   **{k: v for k, v in row["payload"].items() if v is not None
                                      and not (k in ("weight", "difficulty") and v == "1")}}
    assert sum(c["type"] == "ballot.cast" for c in recorded.values()) == 5
    assert sum(c["type"] == "common.scored" for c in recorded.values()) == 3
    assert {c["type"] for c in recorded.values()} == set(RECORDED)
    other = f"sqlite:///{tmp_path / 'json.db'}"
    key = tmp_path / "json.signing-key"
    kaoping(other, "init", key=key)
    kaoping(other, "scheme", "amend", str(amendment), key=key)
    kaoping(other, "ingest", "-", stdin="".join(json.dumps(c, ensure_ascii=False) + "\n" for c in recorded.values()),
            key=key)
    for stage in ("half_year", "annual"):
        assert json.loads(kaoping(db, "standings", "--stage", stage, "--json")) == \
            json.loads(kaoping(other, "standings", "--stage", stage, "--json", key=key))
    assert json.loads(kaoping(db, "score", "D03", "--json"))["common"] == "87.00"  # (88 + (90 + 86 + 82) / 3) / 2
