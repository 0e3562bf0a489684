"""Heavy reads over HTTP are bounded in time and stop when their caller goes (issue 17, item 3).

A bound of ~0 answers 503 in Chinese with Retry-After, and the reader's loop stopped at its first
check; a caller that disconnects mid-read stops the worker thread at the next check. Both counted
by the budget's checks, never timed."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import pytest
from fastapi.testclient import TestClient

from kaoping.api.http import create_app
from kaoping.ledger import budget as budgets


@pytest.fixture
def recorded(ledger, year):
    ledger.ingest(year, actor="office")
    return ledger


@pytest.fixture
def checks(monkeypatch) -> list[budgets.Budget]:
    """Every budget a check was made against, once per check."""
    made: list[budgets.Budget] = []
    check = budgets.Budget.check

    def counted(self: budgets.Budget) -> None:
        made.append(self)
        check(self)

    monkeypatch.setattr(budgets.Budget, "check", counted)
    return made


def bearer(ledger) -> dict[str, str]:
    return {"Authorization": f"Bearer {ledger.create_token(actor='审计局', role='auditor')[1]}"}


HEAVY = ["/v1/units/D03/replay", "/v1/units/D03/replay?explain=true", "/v1/units/D03/history",
         "/v1/standings?as_of=2018-07-31", "/v1/compare?a=D03&b=D04&as_of=2018-07-31",
         "/v1/exports/standings.csv?as_of=2018-07-31", "/v1/verify"]


def test_a_bound_of_almost_nothing_answers_503_and_stops_the_loop(recorded, checks):
    headers = bearer(recorded)
    recorded.settings = recorded.settings.model_copy(update={"read_timeout": 1e-9})
    with TestClient(create_app(ledger=recorded)) as client:
        for path in HEAVY:
            checks.clear()
            response = client.get(path, headers=headers)
            assert response.status_code == 503, (path, response.text)
            assert int(response.headers["retry-after"]) > 0
            assert "秒的时限" in response.json()["detail"]["message"]
            # the first check raised: the loop did not go on
            assert len(checks) == 1, path
        assert client.get("/healthz").status_code == 200
        assert client.get("/v1/units", headers=headers).status_code == 200  # no loop, no check


def test_the_pages_say_it_in_a_page(recorded, checks):
    _, token = recorded.create_token(actor="审计局", role="auditor")
    recorded.settings = recorded.settings.model_copy(update={"read_timeout": 1e-9})
    with TestClient(create_app(ledger=recorded)) as client:
        client.post("/signin", data={"token": token, "next": "/"}, follow_redirects=False)
        page = client.get("/units/D03")
        assert page.status_code == 503 and page.headers["retry-after"]
        assert page.headers["content-type"].startswith("text/html") and "请稍后再试" in page.text
        assert len(checks) == 1


def test_the_default_bound_lets_reads_finish(recorded, checks):
    with TestClient(create_app(ledger=recorded)) as client:
        response = client.get("/v1/units/D03/replay", headers=bearer(recorded))
        assert response.status_code == 200 and len(response.json()) > 3
    assert recorded.settings.read_timeout == 60
    assert len(checks) > 3


def test_a_caller_that_disconnects_stops_the_work(recorded, checks):
    """The client goes once the replay has made three turns; the worker thread stops at its next
    check instead of replaying the rest."""
    headers = bearer(recorded)
    started = threading.Event()
    with TestClient(create_app(ledger=recorded)) as client:
        total = len(client.get("/v1/units/D03/replay?explain=true", headers=headers).json())
        assert total > 5
        recorded.reader._replays.clear()  # computed again, not from the cache
        original = budgets.Budget.check

        def check(self: budgets.Budget) -> None:
            original(self)
            if self.checks == 3:  # the third turn waits until the client has gone
                started.set()
                self.gone.wait(60)

        budgets.Budget.check = check  # type: ignore[method-assign]  # the fixture's monkeypatch undoes it
        app = client.app
        checks.clear()
        sent: list[dict[str, Any]] = []
        requests = iter([{"type": "http.request", "body": b"", "more_body": False}])

        async def receive() -> dict[str, Any]:
            message = next(requests, None)
            if message is not None:
                return message
            await asyncio.to_thread(started.wait)  # the client leaves mid-read
            return {"type": "http.disconnect"}

        async def send(message: dict[str, Any]) -> None:
            sent.append(message)

        scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET",
                 "scheme": "http", "path": "/v1/units/D03/replay", "raw_path": b"/v1/units/D03/replay",
                 "query_string": b"explain=true", "root_path": "",
                 "headers": [(b"authorization", headers["Authorization"].encode()), (b"host", b"t")],
                 "client": ("127.0.0.1", 1), "server": ("t", 80), "state": {}}
        asyncio.run(app(scope, receive, send))
    # three turns, then the check that saw the caller gone: the loop stopped there
    assert len(checks) == 4 and checks[-1].gone.is_set()
    assert len(checks) < total
    assert sent[0]["status"] == 503


def test_one_verify_at_a_time_others_wait_within_their_bound_or_get_503(recorded):
    headers = bearer(recorded)
    gate = recorded.audit._verifying
    with TestClient(create_app(ledger=recorded)) as client:
        assert client.get("/v1/verify", headers=headers).json()["ok"] is True
        # the short bound from here on (the app reads it per request): the first, whole verify
        # within half a second was a race with the machine's load (once on PostgreSQL in CI, a
        # 503 for its time), not what this test is about, the waiting for the gate
        recorded.settings = recorded.settings.model_copy(update={"read_timeout": 0.5})
        gate.acquire()  # a verify running
        try:
            busy = client.get("/v1/verify", headers=headers)
            assert busy.status_code == 503 and int(busy.headers["retry-after"]) > 0
            assert busy.json()["detail"]["code"] == "verify.busy"
            waited: list[dict[str, Any]] = []
            cli = threading.Thread(target=lambda: waited.append(recorded.verify()))  # no bound: it waits
            cli.start()
            cli.join(0.3)
            assert cli.is_alive() and not waited
        finally:
            gate.release()
        cli.join(10)
        assert waited and waited[0]["ok"] is True
        assert client.get("/v1/verify", headers=headers).status_code == 200
