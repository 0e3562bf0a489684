"""The unit's calendar (ledger/supervision.py `calendar`, GET /v1/units/{code}/calendar.ics): an
RFC 5545 calendar read back by `icalendar`, one all-day event per checkpoint with a stable UID and
an alarm; the `calendar` role's token in the URL and no other; no log line of a real server shows
that token (api/redaction.py)."""

from __future__ import annotations

import logging
from datetime import date, timedelta
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from icalendar import Calendar
from test_http_e2e import kaoping, serving

from kaoping.api.http import create_app
from kaoping.api.redaction import HideTokens

TASK = {"id": "t1", "type": "task.assigned", "unit": "D03", "task": "O1", "title": "价格认定",
        "level": "own", "method": "direct_deduction", "recorded_at": "2018-01-10T10:00:00+08:00",
        "checkpoints": [{"checkpoint": "M6", "due": "2018-06-30"}, {"checkpoint": "M9", "due": "2018-09-30"}]}
REPORT = {"id": "r1", "type": "checkpoint.reported", "unit": "D03", "task": "O1", "checkpoint": "M6",
          "reported_on": "2018-06-28", "completed": True, "recorded_at": "2018-06-28T10:00:00+08:00"}


@pytest.fixture
def recorded(ledger: Any) -> Any:
    ledger.ingest([TASK, REPORT], actor="office")
    return ledger


def events(body: bytes) -> list[Any]:
    return [c for c in Calendar.from_ical(body).walk() if c.name == "VEVENT"]


def test_calendar_one_event_per_checkpoint_stable_uids_alarms_and_marks(recorded: Any) -> None:
    first, again = events(recorded.calendar("D03")), events(recorded.calendar("d03"))
    assert [str(e["uid"]) for e in first] == [str(e["uid"]) for e in again] == \
        ["D03-O1-M6@kaoping", "D03-O1-M9@kaoping"]
    reported, open_one = first
    assert reported.decoded("dtstart") == date(2018, 6, 30)
    assert reported.decoded("dtend") == date(2018, 7, 1)
    assert str(reported["summary"]).startswith("【按时已报】") and not reported.walk("VALARM")
    alarm, = open_one.walk("VALARM")
    assert alarm.decoded("trigger") == timedelta(days=-7)  # reminders.due_soon_days before
    assert "O1" in str(open_one["summary"]) and "M9" in str(open_one["summary"])


def test_calendar_takes_a_calendar_token_in_the_url_and_no_other(recorded: Any) -> None:
    calendar = recorded.create_token(actor="物价局日历", role="calendar", unit="D03")[1]
    unit = recorded.create_token(actor="物价局经办人", role="unit", unit="D03")[1]
    with TestClient(create_app(ledger=recorded)) as client:
        answer = client.get(f"/v1/units/D03/calendar.ics?token={calendar}")
        assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/calendar")
        assert len(events(answer.content)) == 2
        refused = client.get(f"/v1/units/D03/calendar.ics?token={unit}")
        assert refused.status_code == 401 and refused.json()["detail"]["code"] == "calendar.token_in_url"
        assert client.get("/v1/units/D03/calendar.ics",
                          headers={"Authorization": f"Bearer {unit}"}).status_code == 200
        assert client.get(f"/v1/units/D04/calendar.ics?token={calendar}").status_code == 403
        # a calendar token reads its calendar and nothing else
        assert client.get("/v1/standings", headers={"Authorization": f"Bearer {calendar}"}).status_code == 403
        assert client.post("/signin", data={"token": calendar}, follow_redirects=False).status_code == 403


def test_calendar_no_log_line_of_a_real_server_shows_the_token(tmp_path: Any) -> None:
    db = f"sqlite:///{tmp_path / 'x.db'}"
    kaoping("init", "--db", db)
    token = kaoping("token", "create", "--actor", "物价局日历", "--role", "calendar", "--unit", "D03",
                    "--db", db).stdout.strip().splitlines()[-1]
    log = tmp_path / "serve.log"
    with serving(db, log, timeout=30) as base:
        assert httpx.get(f"{base}/v1/units/D03/calendar.ics?token={token}", timeout=30).status_code == 200
        assert httpx.get(f"{base}/v1/units/D03/calendar.ics?x=1&token={token}", timeout=30).status_code == 200
    written = log.read_text()
    assert "calendar.ics" in written and "[已隐去]" in written  # the requests are logged...
    assert token not in written  # ...their tokens are not


def test_calendar_the_filter_hides_every_token_parameter() -> None:
    record = logging.LogRecord("uvicorn.access", logging.INFO, __file__, 1, '%s - "%s %s"', ("1.2.3.4", "GET",
                               "/v1/units/D03/calendar.ics?a=1&token=SECRET&b=2"), None)
    HideTokens().filter(record)
    assert "SECRET" not in record.getMessage() and "&b=2" in record.getMessage()
