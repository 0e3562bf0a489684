"""The office's 推送 page (`/office/hooks`, api/web/hooks.py) through the real HTTP app: a hook registered
from the form (sent twice: registered once), listed without its secret or its URL's token; each bad
form refused beside its field, registering nothing; a hook stopped (twice: still stopped); a failed
delivery listed and sent again with the same id; the page the office's alone."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi.testclient import TestClient

from kaoping.api.bootstrap import build_outbox
from kaoping.api.delivery import Deliverer
from kaoping.api.http import create_app
from kaoping.ledger.settings import Settings

from tests.test_pages_words import english_on
from tests.test_web_office import beside, hidden, post

SECRET = "SECpage-secret-0042"
TOKEN = "robot-token-0042"
GOOD = {"url": f"https://oapi.dingtalk.com/robot/send?access_token={TOKEN}", "format": "dingtalk",
        "secret": SECRET, "event_entry": "1", "event_reminder": "1", "units": "d03，t06"}


@pytest.fixture
def office(ledger: Any) -> Any:
    _, token = ledger.create_token(actor="县考核办", role="office")
    with TestClient(create_app(ledger=ledger)) as client:
        client.post("/signin", data={"token": token, "next": "/"}, follow_redirects=False)
        yield client


def test_a_hook_registered_from_the_form_once_and_shown_without_its_secrets(office: Any, ledger: Any) -> None:
    assert 'href="/office/hooks"' in office.get("/office").text  # from the office's navigation
    data = hidden(office, "/office/hooks")
    done = post(office, "/office/hooks", GOOD, data)
    assert done.status_code == 303 and done.headers["location"] == "/office/hooks?done=added"
    assert post(office, "/office/hooks", GOOD, data).status_code == 303  # sent twice
    hooks = build_outbox(ledger).hooks()
    assert [(h.id, h.format, h.events, h.units, h.secret) for h in hooks] == [
        (f"h-{data['nonce']}", "dingtalk", ("entry", "reminder"), ("D03", "T06"), SECRET)]
    page = office.get("/office/hooks").text
    assert f"h-{data['nonce']}" in page and "https://oapi.dingtalk.com/robot/send?access_token=…" in page
    assert TOKEN not in page and SECRET not in page and "每日督办提醒" in page and "钉钉机器人" in page
    assert english_on(page, set()) == []


@pytest.mark.parametrize("change, field, words", [
    ({"url": "ftp://example.org/x"}, "url", "http"),
    ({"url": "钉钉群"}, "url", "http"),
    ({"event_entry": "", "event_reminder": ""}, "events", "至少选择一种事件"),
    ({"format": "slack"}, "format", "slack"),
    ({"units": "D03,Z99"}, "units", "Z99"),
    ({"secret": "a\x01b"}, "secret", "控制字符"),
])
def test_a_bad_registration_is_refused_beside_its_field_registering_nothing(
        office: Any, ledger: Any, change: dict[str, str], field: str, words: str) -> None:
    refused = post(office, "/office/hooks", {**GOOD, **change})
    assert refused.status_code in (404, 422) and words in beside(refused, field)
    assert SECRET not in refused.text  # the secret is not sent back into the form
    assert build_outbox(ledger).hooks(removed=True) == []
    if field in ("events", "units"):  # the refusals a clerk meets (the others: a tampered form, or its own words)
        assert english_on(refused.text, set()) == []


def test_a_form_without_its_session_token_registers_nothing(office: Any, ledger: Any) -> None:
    data = hidden(office, "/office/hooks")
    refused = post(office, "/office/hooks", GOOD, {**data, "csrf": "forged"})
    assert refused.status_code == 403 and build_outbox(ledger).hooks(removed=True) == []


def test_a_hook_stopped_from_the_page_twice_is_stopped(office: Any, ledger: Any) -> None:
    hook = build_outbox(ledger).add(url="https://example.org/hook", format="generic")
    data = hidden(office, "/office/hooks")
    for _ in range(2):
        assert post(office, "/office/hooks/remove", {"hook": hook.id}, data).status_code == 303
    assert build_outbox(ledger).hooks() == []
    unknown = post(office, "/office/hooks/remove", {"hook": "h-nothere"})
    assert unknown.status_code == 404 and "h-nothere" in beside(unknown, "hook")


def test_a_failed_delivery_is_listed_and_sent_again_with_its_id(office: Any, ledger: Any) -> None:
    outbox = build_outbox(ledger)
    outbox.add(url="http://127.0.0.1:9/down", format="generic", events=["entry"])  # the discard port: refused
    ledger.ingest([{"id": "p-1", "type": "common.scored", "unit": "D03", "indicator": "C02", "score": "80"}],
                  actor="office")
    settings = Settings(database_url=ledger.settings.database_url, hook_max_attempts=1, hook_timeout=1.0)
    Deliverer(outbox, settings, ledger.clock).run_once()
    [failed] = outbox.deliveries(failed=True)
    page = office.get("/office/hooks").text
    assert f'data-testid="delivery-{failed.id}"' in page and re.search(r"重试</button>", page)
    assert post(office, "/office/hooks/retry", {"delivery": failed.id}).status_code == 303
    assert outbox.delivery(failed.id).status == "pending" and outbox.deliveries(failed=True) == []
    unknown = post(office, "/office/hooks/retry", {"delivery": "nope"})
    assert unknown.status_code == 404 and "nope" in beside(unknown, "delivery")


def test_the_page_is_the_offices_alone(ledger: Any) -> None:
    _, token = ledger.create_token(actor="D03", role="unit", unit="D03")
    with TestClient(create_app(ledger=ledger)) as client:
        client.post("/signin", data={"token": token, "next": "/"}, follow_redirects=False)
        assert client.get("/office/hooks").status_code == 403
        assert 'href="/office/hooks"' not in client.get("/").text

