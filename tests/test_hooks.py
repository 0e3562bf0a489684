"""推送 (docs/commands.md §10.6): registrations refused naming the field, the outbox fed from the log
exactly once, and deliveries to a real HTTP receiver on loopback that checks the HMAC signature and
DingTalk's `sign` as a receiver would — through a 500, a hang past the timeout and a reset connection
(retried, never lost), a `kaoping serve` delivering a 200-command run sent to it over HTTP killed with
SIGKILL midway, then the `kaoping hooks run` that took over killed too, each restarted (every entry once
by delivery id), and the daily digest at `reminders.hour` on a clock the test sets.
Both stores."""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import json
import logging
import os
import signal
import socket
import struct
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import httpx
import pytest
from fastapi.testclient import TestClient

from kaoping.api.bootstrap import build_outbox
from kaoping.api.delivery import Deliverer
from kaoping.api.http import create_app
from kaoping.domain import hooks as h
from kaoping.domain.errors import InvalidCommand, NotFound
from kaoping.ledger.settings import Settings
from scripts.benchmarks.serving import free_port

KAOPING = Path(__file__).resolve().parents[1] / ".venv" / "bin" / "kaoping"
SECRET = "SECa1b2c3-the-robot's-secret"


# -- a receiver, as the office's systems would run one ----------------------------------------------------------
class Receiver:
    """A ThreadingHTTPServer on loopback. `plan(n, body)` says what the n-th request (from 0) gets:
    "ok", "500", "hang" (answers only after `hang` seconds) or "reset" (the connection is reset).
    Every request that was answered 200 is kept with whether its signature checked."""

    def __init__(self, secret: str | None = SECRET, plan: Callable[[int, bytes], str] | None = None,
                 hang: float = 3.0, delay: float = 0.0):
        self.secret, self.plan, self.hang, self.delay = secret, plan or (lambda n, body: "ok"), hang, delay
        self.lock = threading.Lock()
        self.seen = 0
        self.taken: list[dict[str, Any]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length)
                if len(body) < length:
                    # the sender was killed mid-request (as a test here kills it): the connection is
                    # gone with part of the body, nothing can be answered, so nothing was delivered
                    return
                with receiver.lock:
                    n = receiver.seen
                    receiver.seen += 1
                action = receiver.plan(n, body)
                if action == "reset":
                    self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                    self.connection.close()
                    return
                if action == "hang":
                    time.sleep(receiver.hang)
                if action == "500":
                    self.send_response(500)
                    self.end_headers()
                    return
                time.sleep(receiver.delay)
                with receiver.lock:
                    receiver.taken.append({"path": self.path, "headers": dict(self.headers), "body": body,
                                           "verified": receiver.verify(self.path, dict(self.headers), body)})
                answer = b'{"errcode":0,"errmsg":"ok"}'
                try:
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(answer)))
                    self.end_headers()
                    self.wfile.write(answer)
                except OSError:
                    pass  # the sender gave up waiting (the hang)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def verify(self, path: str, headers: dict[str, str], body: bytes) -> bool:
        """What a receiver checks: the generic format's X-Kaoping-Signature over the body, or
        DingTalk's timestamp (within an hour) and sign in the query."""
        if self.secret is None:
            return True
        query = parse_qs(urlsplit(path).query)
        if "sign" in query:
            timestamp = query["timestamp"][0]
            expected = base64.b64encode(hmac.new(self.secret.encode(), f"{timestamp}\n{self.secret}".encode(),
                                                 hashlib.sha256).digest()).decode()
            fresh = abs(time.time() * 1000 - int(timestamp)) < 3_600_000
            # parse_qs has URL-decoded the sign once, as DingTalk does
            return fresh and hmac.compare_digest(query["sign"][0], expected)
        given = headers.get("X-Kaoping-Signature", "")
        expected = "sha256=" + hmac.new(self.secret.encode(), body, hashlib.sha256).hexdigest()
        return hmac.compare_digest(given, expected)

    def ids(self) -> list[str]:
        with self.lock:
            return [json.loads(t["body"])["delivery"] for t in self.taken]

    def __enter__(self) -> Receiver:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *args: Any) -> None:
        self.server.shutdown()
        self.server.server_close()


def scores(n: int, start: int = 0) -> list[dict[str, Any]]:
    """`n` common scores of D03 (each one entry in D03's stream)."""
    return [{"id": f"hk-{i}", "type": "common.scored", "unit": "D03", "indicator": f"C{i % 25 + 1:02d}",
             "score": str(60 + i % 40), "recorded_at": "2018-08-15T10:00:00+08:00"} for i in range(start, start + n)]


def worker(ledger: Any, outbox: Any, chat_gap: float = 0.0, **settings: Any) -> Deliverer:
    chosen = Settings(database_url=ledger.settings.database_url,
                      **({"hook_timeout": 1.0, "hook_backoff": 0.0} | settings))
    return Deliverer(outbox, chosen, ledger.clock, chat_gap=chat_gap)


def drain(deliverer: Deliverer, turns: int = 50) -> None:
    for _ in range(turns):
        deliverer.run_once()
        if not any(deliverer.outbox.head(hook.id) for hook in deliverer.outbox.hooks()):
            return
    raise AssertionError("deliveries still pending")


# -- the pure part ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("url, format, events, field", [
    ("ftp://example.org/x", "generic", ["entry"], "url"),
    ("javascript:alert(1)", "generic", ["entry"], "url"),
    ("http://", "generic", ["entry"], "url"),
    ("https://example.org/x", "slack", ["entry"], "format"),
    ("https://example.org/x", "generic", ["entry", "payment"], "events"),
    ("https://example.org/x", "generic", [], "events"),
])
def test_a_registration_is_refused_naming_its_field(url: str, format: str, events: list[str], field: str) -> None:
    with pytest.raises(InvalidCommand) as refused:
        h.check_registration(url, format, events, None)
    assert refused.value.field == field
    assert field in refused.value.message and any("\u4e00" <= ch <= "\u9fff" for ch in refused.value.message)


def test_dingtalk_sign_is_the_robot_docs_recipe() -> None:
    # DingTalk's own example: secret and timestamp give this sign (HmacSHA256, base64, URL-encoded)
    secret, timestamp = "SECxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", 1577262236757
    raw = base64.b64encode(hmac.new(secret.encode(), f"{timestamp}\n{secret}".encode(), hashlib.sha256).digest())
    assert unquote(h.dingtalk_sign(secret, timestamp)) == raw.decode()
    assert "+" not in h.dingtalk_sign(secret, timestamp) and "/" not in h.dingtalk_sign(secret, timestamp)
    assert h.signed_url("https://oapi.dingtalk.com/robot/send?access_token=T", secret, timestamp).startswith(
        "https://oapi.dingtalk.com/robot/send?access_token=T&timestamp=1577262236757&sign=")


def test_backoff_doubles_up_to_its_cap() -> None:
    assert [h.backoff(n, 2) for n in (1, 2, 3, 4)] == [2, 4, 8, 16]
    assert h.backoff(30, 2) == 3600


# -- registration over HTTP -------------------------------------------------------------------------------------
def test_hooks_over_http_office_only_and_the_secret_never_shown(ledger: Any) -> None:
    office = ledger.create_token(actor="县考评办", role="office")[1]
    unit = ledger.create_token(actor="D03", role="unit", unit="D03")[1]
    with TestClient(create_app(ledger=ledger)) as client:
        as_office = {"Authorization": f"Bearer {office}"}
        assert client.get("/v1/hooks", headers={"Authorization": f"Bearer {unit}"}).status_code == 403
        bad = client.post("/v1/hooks", headers=as_office, json={"url": "ftp://x/y", "format": "generic"})
        assert bad.status_code == 422 and bad.json()["detail"]["field"] == "url"
        assert "http" in bad.json()["detail"]["message"]
        bad = client.post("/v1/hooks", headers=as_office, json={"url": "https://x.org/", "format": "wecom",
                                                                 "events": ["entry", "nope"]})
        assert bad.json()["detail"]["field"] == "events"
        made = client.post("/v1/hooks", headers=as_office, json={"url": "https://x.org/hook", "format": "dingtalk",
                                                                  "secret": SECRET, "events": ["reminder"],
                                                                  "units": ["d03"]})
        assert made.status_code == 201, made.text
        listed = client.get("/v1/hooks", headers=as_office)
        assert SECRET not in listed.text and listed.json()[0]["secret"] is True
        assert listed.json()[0]["units"] == ["D03"] and listed.json()[0]["events"] == ["reminder"]
        gone = client.delete(f"/v1/hooks/{made.json()['id']}", headers=as_office)
        assert gone.status_code == 200 and client.get("/v1/hooks", headers=as_office).json() == []
        assert client.delete("/v1/hooks/h-nothere", headers=as_office).status_code == 404


# -- the outbox and the worker ----------------------------------------------------------------------------------
def test_every_entry_delivered_once_signed_in_log_order(ledger: Any) -> None:
    outbox = build_outbox(ledger)
    ledger.ingest(scores(3), actor="office")  # before the hook: not owed
    with Receiver() as receiver:
        hook = outbox.add(url=receiver.url, format="generic", secret=SECRET, events=["entry"])
        appended = ledger.ingest(scores(20, 3), actor="office")
        outbox.feed()
        outbox.feed()  # seen again: nothing more owed
        assert len(outbox.deliveries()) == 20
        drain(worker(ledger, outbox))
        seqs = [s for r in appended.results for s in r.seqs]
        assert receiver.ids() == [f"{hook.id}-{seq}-entry" for seq in seqs]
        assert all(t["verified"] for t in receiver.taken)
        first = json.loads(receiver.taken[0]["body"])
        assert first["event"] == "entry" and first["data"]["type"] == "common.scored" and first["data"]["unit"] == "D03"
        assert first["origin"].startswith("kaoping.local/")
        assert receiver.taken[0]["headers"]["X-Kaoping-Delivery"] == first["delivery"]


def test_a_500_a_hang_and_a_reset_are_retried_never_lost(ledger: Any, caplog: pytest.LogCaptureFixture) -> None:
    outbox = build_outbox(ledger)
    faults = {0: "500", 1: "hang", 3: "reset", 5: "500", 6: "500"}
    with Receiver(plan=lambda n, body: faults.get(n, "ok"), hang=2.5) as receiver:
        hook = outbox.add(url=receiver.url + "?access_token=TOKEN-IN-URL", format="generic", secret=SECRET)
        appended = ledger.ingest(scores(6), actor="office")
        with caplog.at_level(logging.DEBUG):
            drain(worker(ledger, outbox, hook_timeout=1.0))
        seqs = [s for r in appended.results for s in r.seqs]
        assert sorted(set(receiver.ids()), key=receiver.ids().index) == [f"{hook.id}-{s}-entry" for s in seqs]
        assert all(t["verified"] for t in receiver.taken)
        assert {d.status for d in outbox.deliveries()} == {"delivered"}
        assert max(d.attempts for d in outbox.deliveries()) >= 3
        logged = caplog.text
        assert "ReadTimeout" in logged and "HTTP 500" in logged
        assert SECRET not in logged and "TOKEN-IN-URL" not in logged and "127.0.0.1" not in logged


def test_failed_after_max_attempts_listed_and_retried_by_hand(ledger: Any) -> None:
    outbox = build_outbox(ledger)
    down = True
    with Receiver(plan=lambda n, body: "500" if down else "ok") as receiver:
        hook = outbox.add(url=receiver.url, format="generic", secret=SECRET)
        ledger.ingest(scores(2), actor="office")
        deliverer = worker(ledger, outbox, hook_max_attempts=3)
        for _ in range(6):  # each turn: one attempt at the hook's oldest, which holds the next back
            deliverer.run_once()
        failed = outbox.deliveries(failed=True)
        assert [(d.attempts, d.last_error) for d in failed] == [(3, "HTTP 500"), (3, "HTTP 500")]
        down = False
        for delivery in failed:
            outbox.retry(delivery.id)
        drain(deliverer)
        assert sorted(receiver.ids()) == sorted(d.id for d in failed)
        with pytest.raises(NotFound):
            outbox.retry(f"{hook.id}-999999-entry")


def test_chat_robots_get_one_message_per_feed_and_dingtalk_signs_it(ledger: Any) -> None:
    outbox = build_outbox(ledger)
    with Receiver() as dingtalk, Receiver(secret=None) as wecom:
        ding = outbox.add(url=dingtalk.url + "?access_token=T", format="dingtalk", secret=SECRET, events=["entry"])
        outbox.add(url=wecom.url, format="wecom", events=["entry"], units=["D04"])
        appended = ledger.ingest(scores(30), actor="office")
        drain(worker(ledger, outbox))
        seqs = [s for r in appended.results for s in r.seqs]
        assert len(dingtalk.taken) == 1 and dingtalk.taken[0]["verified"]
        message = json.loads(dingtalk.taken[0]["body"])
        assert message["msgtype"] == "markdown" and "30 条记录" in message["markdown"]["title"]
        assert "D03" in message["markdown"]["text"] and "另有 15 条" in message["markdown"]["text"]
        assert outbox.deliveries()[0].id == f"{ding.id}-{seqs[0]}-{seqs[-1]}"
        assert wecom.taken == []  # its unit had no entry


def test_a_chat_robot_gets_at_most_one_message_every_few_seconds(ledger: Any) -> None:
    outbox = build_outbox(ledger)
    with Receiver(secret=None) as wecom:
        outbox.add(url=wecom.url, format="wecom", events=["entry"])
        deliverer = worker(ledger, outbox, chat_gap=3.0)
        for start in (0, 5, 10):  # three commits within the gap
            ledger.ingest(scores(5, start), actor="office")
            deliverer.run_once()
        assert len(wecom.taken) == 1  # the first; the rest wait to be fed together
        time.sleep(3.1)
        deliverer.run_once()
        assert len(wecom.taken) == 2
        second = json.loads(wecom.taken[1]["body"])["markdown"]["content"]
        assert "10 条记录" in second  # the two later commits in one message


def test_a_removed_hook_gets_nothing_more(ledger: Any) -> None:
    outbox = build_outbox(ledger)
    with Receiver() as receiver:
        hook = outbox.add(url=receiver.url, format="generic", secret=SECRET)
        ledger.ingest(scores(2), actor="office")
        outbox.remove(hook.id)
        drain(worker(ledger, outbox))
        assert receiver.taken == []


# -- the daily digest, on a clock the test sets ---------------------------------------------------------------------
def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def test_the_morning_digest_names_each_units_due_items(ledger: Any, clock: Any, year: list[dict[str, Any]]) -> None:
    clock.now = at("2018-06-25T08:00:00+08:00")
    ledger.ingest([c for c in year if c["type"] == "task.assigned"], actor="office")
    outbox = build_outbox(ledger)
    with Receiver() as dingtalk, Receiver() as generic:
        ding = outbox.add(url=dingtalk.url, format="dingtalk", secret=SECRET, events=["reminder"])
        plain = outbox.add(url=generic.url, format="generic", secret=SECRET, events=["reminder"])
        deliverer = worker(ledger, outbox)
        deliverer.run_once()
        assert dingtalk.taken == [] and generic.taken == []  # 08:00: before reminders.hour (9)
        clock.now = at("2018-06-25T09:00:00+08:00")
        drain(deliverer)
        clock.now = at("2018-06-25T17:00:00+08:00")
        drain(deliverer)  # once a day
        assert len(dingtalk.taken) == 1 and dingtalk.taken[0]["verified"]
        text = json.loads(dingtalk.taken[0]["body"])["markdown"]["text"]
        due = ledger.due()
        lit = [u for u in due["units"] if u["red"] or u["yellow"]]
        assert lit and all(f"（{u['unit']}）" in text for u in lit)
        for unit in lit:
            for item in (i for i in unit["items"] if i["light"] != "green"):
                assert f"{item['title']}·{item['checkpoint']}" in text
        assert "6月30日到期，还有 5 天" in text and "尚可挽回 2 分" in text and "已逾期" in text
        assert json.loads(dingtalk.taken[0]["body"])["markdown"]["title"] == "督办提醒（6月25日）"
        assert sorted(generic.ids()) == sorted(f"{plain.id}-r20180625-{u['unit']}" for u in lit)
        sent = json.loads(generic.taken[0]["body"])
        assert sent["event"] == "reminder" and all(i["light"] != "green" for i in sent["data"]["items"])
        clock.now = at("2018-06-26T09:30:00+08:00")
        drain(deliverer)
        assert [d.id for d in outbox.deliveries() if d.hook == ding.id][0] == f"{ding.id}-r20180626"


# -- kill -9 of `kaoping serve` and of `kaoping hooks run` midway -----------------------------------------------------
def test_a_server_and_a_worker_killed_midway_deliver_every_entry_once_by_id(ledger: Any, tmp_path: Path) -> None:
    """A 200-command run sent to `kaoping serve` over HTTP, one command a request. After the 100th the
    server — and the worker inside it — is killed with SIGKILL while deliveries are pending; a server
    without its worker (`KAOPING_HOOK_WORKER=0`) and `kaoping hooks run` take over, the rest is sent,
    and the worker is killed with SIGKILL midway too, then started again. Every entry the run
    appended reaches the receiver with one delivery id, signed, in log order; a delivery sent twice
    (killed between sending and storing its outcome) is the same bytes."""
    outbox = build_outbox(ledger)
    _, token = ledger.create_token(actor="县考评办", role="office")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {**os.environ, "KAOPING_DATABASE_URL": ledger.settings.database_url, "KAOPING_HOOK_POLL": "0.05",
           "KAOPING_HOOK_BACKOFF": "0.1", "KAOPING_HOOK_TIMEOUT": "1"}
    log = (tmp_path / "run.log").open("ab")

    def start(*args: str, worker: bool = True) -> subprocess.Popen[bytes]:
        return subprocess.Popen([str(KAOPING), *args], env={**env, "KAOPING_HOOK_WORKER": "1" if worker else "0"},
                                stdout=subprocess.DEVNULL, stderr=log)

    def serve(worker: bool) -> subprocess.Popen[bytes]:
        return start("serve", "--host", "127.0.0.1", "--port", str(port), worker=worker)

    def kill(process: subprocess.Popen[bytes]) -> None:
        process.send_signal(signal.SIGKILL)
        process.wait(10)

    running: list[subprocess.Popen[bytes]] = []
    with Receiver(delay=0.005) as receiver, httpx.Client(base_url=base, timeout=30, trust_env=False,
                                                         headers={"Authorization": f"Bearer {token}"}) as client:
        hook = outbox.add(url=receiver.url, format="generic", secret=SECRET, events=["entry"])
        try:
            running.append(serve(worker=True))
            wait_for(lambda: _answers(f"{base}/healthz"), 60)
            for command in scores(100):
                assert client.post("/v1/commands", json=[command]).status_code == 201
            kill(running.pop())
            assert len(set(receiver.ids())) < 100, "the server was killed with nothing pending"
            running += [serve(worker=False), start("hooks", "run")]
            wait_for(lambda: _answers(f"{base}/healthz"), 60)
            for command in scores(100, 100):
                assert client.post("/v1/commands", json=[command]).status_code == 201
            wait_for(lambda: len(set(receiver.ids())) >= 120, 60)
            kill(running.pop())
            assert len(set(receiver.ids())) < 200, "the worker was killed with nothing pending"
            running.append(start("hooks", "run"))
            expected = [f"{hook.id}-{entry.seq}-entry" for entry in ledger.entries_after(hook.since, 1000)]
            wait_for(lambda: set(expected) <= set(receiver.ids()), 120)
        finally:
            for process in running:
                kill(process)
    ids = receiver.ids()
    assert len(expected) == 200 and set(ids) == set(expected)
    assert sorted(set(ids), key=ids.index) == expected  # in log order, each once by delivery id
    bodies: dict[str, bytes] = {}
    for taken in receiver.taken:
        delivery = json.loads(taken["body"])["delivery"]
        assert bodies.setdefault(delivery, taken["body"]) == taken["body"] and taken["verified"]
    assert len(ids) - len(set(ids)) <= 2  # at most the one in flight at each kill


def wait_for(condition: Callable[[], bool], seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


@functools.cache
def _poller() -> httpx.Client:
    """One client for every poll (a new client builds a TLS context each time: ~0.1 s of CPU)."""
    return httpx.Client(timeout=1, trust_env=False)


def _answers(url: str) -> bool:
    try:
        return _poller().get(url).status_code == 200
    except httpx.TransportError:
        return False


@pytest.fixture(autouse=True)
def _no_proxy(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """httpx honours proxy variables: loopback receivers are reached directly."""
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    yield


def test_the_command_line_refuses_in_words_and_never_prints_the_secret(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'cli.db'}"

    def kaoping(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(KAOPING), *args, "--db", db], capture_output=True, text=True, timeout=120)

    assert kaoping("init").returncode == 0
    refused = kaoping("hooks", "add", "--url", "ftp://example.org/x")
    assert refused.returncode == 1 and "地址（url）" in refused.stderr and "http://" in refused.stderr
    refused = kaoping("hooks", "add", "--url", "https://example.org/x", "--events", "entry,paid")
    assert refused.returncode == 1 and "事件（events）" in refused.stderr and "paid" in refused.stderr
    made = kaoping("hooks", "add", "--url", "https://example.org/x?access_token=ABC", "--format", "dingtalk",
                   "--secret", SECRET, "--unit", "d03,t06")
    hook = made.stdout.strip()
    assert made.returncode == 0 and hook.startswith("h-")
    listed = kaoping("hooks", "list", "--json")
    shown = json.loads(listed.stdout)
    assert shown[0]["units"] == ["D03", "T06"] and shown[0]["secret"] is True
    assert SECRET not in listed.stdout + kaoping("hooks", "list").stdout
    assert kaoping("hooks", "retry", "nope").returncode == 1
    assert kaoping("hooks", "remove", hook).returncode == 0 and json.loads(kaoping("hooks", "list", "--json").stdout) == []


def test_with_no_hook_the_outbox_moves_to_the_head_unread(ledger: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    outbox = build_outbox(ledger)
    ledger.ingest(scores(30), actor="office")
    removed = outbox.add(url="https://example.org/gone", format="generic")
    outbox.remove(removed.id)
    with monkeypatch.context() as patched:
        patched.setattr(ledger, "entries_after", lambda *args: pytest.fail("an entry was read with no hook"))
        assert outbox.feed() == ledger.head() == outbox.view.position()
    with Receiver() as receiver:
        hook = outbox.add(url=receiver.url, format="generic", secret=SECRET, events=["entry"])
        appended = ledger.ingest(scores(3, 30), actor="office")
        drain(worker(ledger, outbox))
        assert receiver.ids() == [f"{hook.id}-{seq}-entry" for r in appended.results for seq in r.seqs]
