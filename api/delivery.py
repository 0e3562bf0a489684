"""推送's delivery worker (docs/commands.md §10.6): it feeds the outbox from the log, adds the day's
reminder digest once `reminders.hour` has passed, and sends each hook's pending deliveries over HTTP
(httpx), oldest first, one hook's next only once the one before it is delivered or `failed`. A
failed attempt is retried after a backoff (`KAOPING_HOOK_BACKOFF`, doubling) up to
`KAOPING_HOOK_MAX_ATTEMPTS`; a receiver's answer is awaited `KAOPING_HOOK_TIMEOUT` seconds.

It runs as a thread inside `kaoping serve` (started by the app's lifespan) or alone as `kaoping hooks
run`; it never runs on a request's or the writer's thread, so a slow or dead receiver slows no append.
Its log lines name the hook and the delivery, never the URL (a robot's URL holds its access token) or
the secret; httpx's own request lines, which show URLs, are turned down.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

import httpx

from kaoping.domain import hooks as h
from kaoping.ledger.settings import Settings
from kaoping.projections.outbox import Delivery, Hook, Outbox, stamp

log = logging.getLogger("kaoping.hooks")
# httpx logs every request's URL at INFO: a DingTalk URL carries its access token and sign
logging.getLogger("httpx").setLevel(logging.WARNING)
logging.getLogger("httpcore").setLevel(logging.WARNING)


#: seconds between two messages to one DingTalk or WeCom robot (they take about 20 a minute)
CHAT_GAP = 3.0


class Deliverer:
    def __init__(self, outbox: Outbox, settings: Settings, clock: Callable[[], datetime], *,
                 client: httpx.Client | None = None, chat_gap: float = CHAT_GAP):
        self.outbox = outbox
        self.chat_gap = chat_gap
        self.settings = settings
        self.clock = clock
        #: made at the first delivery (`client`): a server with no hook never builds its TLS context
        self._client = client
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        #: when the outbox was last fed, and when each chat robot was last sent to (monotonic)
        self._fed = float("-inf")
        self._sent: dict[str, float] = {}

    @property
    def client(self) -> httpx.Client:
        if self._client is None:
            self._client = httpx.Client(timeout=self.settings.hook_timeout, follow_redirects=False,
                                        headers={"User-Agent": "kaoping-hooks/1"})
        return self._client

    # -- one turn ----------------------------------------------------------------------------------------
    def run_once(self) -> dict[str, int]:
        """Feed, remind, then send what is due: {"delivered", "retrying", "failed"} of this turn."""
        counts = {"delivered": 0, "retrying": 0, "failed": 0}
        hooks = self.outbox.hooks()
        if not hooks:
            return counts  # nothing is owed to anyone (a hook registered later starts at its own seq)
        chat = any(hook.format in h.CHAT_FORMATS for hook in hooks)
        # a chat robot takes about 20 messages a minute: with one registered, the outbox is fed at
        # most every CHAT_GAP seconds, so that the entries of that time make one message
        if not chat or time.monotonic() - self._fed >= self.chat_gap:
            self.outbox.feed()
            self._fed = time.monotonic()
        self.outbox.remind(self.clock())
        for hook in hooks:
            self._drain(hook, counts)
            if self._stop.is_set():
                break
        return counts

    def _drain(self, hook: Hook, counts: dict[str, int]) -> None:
        while not self._stop.is_set():
            if hook.format in h.CHAT_FORMATS and time.monotonic() - self._sent.get(hook.id, float("-inf")) < self.chat_gap:
                return  # at most one message every CHAT_GAP seconds to a robot
            delivery = self.outbox.head(hook.id)
            now = self.clock()
            if delivery is None or delivery.next_at > stamp(now):
                return
            if not self.outbox.claim(delivery, now, self.settings.hook_timeout + 5):
                return  # another worker holds it
            problem = self.send(hook, delivery)
            self._sent[hook.id] = time.monotonic()
            if problem is None:
                self.outbox.delivered(delivery, self.clock())
                counts["delivered"] += 1
                continue
            status = self.outbox.attempt_failed(delivery, self.clock(), problem,
                                                max_attempts=self.settings.hook_max_attempts,
                                                backoff=self.settings.hook_backoff)
            counts["failed" if status == "failed" else "retrying"] += 1
            log.warning("推送 %s 的投递 %s 第 %d 次未成功（%s）%s", hook.id, delivery.id, delivery.attempts + 1,
                        problem, "，已记为失败" if status == "failed" else "，稍后重试")
            if status != "failed":
                return  # in log order: the hook's later deliveries wait for this one

    def send(self, hook: Hook, delivery: Delivery) -> str | None:
        """One attempt; None when the receiver took it, else what went wrong (no URL, no secret)."""
        body = delivery.body.encode("utf-8")
        headers = {"Content-Type": "application/json; charset=utf-8"}
        url = hook.url
        if hook.format == "generic":
            headers |= {"X-Kaoping-Delivery": delivery.id, "X-Kaoping-Event": delivery.event}
            if hook.secret:
                headers["X-Kaoping-Signature"] = h.signature(hook.secret, body)
        elif hook.secret:  # DingTalk's 加签: the robot refuses a timestamp an hour off its own clock,
            # so this is the machine's time, not the ledger's (which a test or a replay may set)
            url = h.signed_url(url, hook.secret, int(time.time() * 1000))
        try:
            answer = self.client.post(url, content=body, headers=headers)
        except httpx.HTTPError as error:
            return type(error).__name__
        if not 200 <= answer.status_code < 300:
            return f"HTTP {answer.status_code}"
        if hook.format in h.CHAT_FORMATS:
            return _robot_refusal(answer)
        return None

    # -- as a thread -----------------------------------------------------------------------------------------
    def run(self) -> None:
        """Turn after turn until stopped; a turn that fails (the database away) is logged and tried
        again at the next poll."""
        while not self._stop.is_set():
            try:
                self.run_once()
            except Exception as error:  # the worker outlives a bad turn; nothing is lost, only later
                log.error("推送的投递出错（%s），%s 秒后再试", type(error).__name__, self.settings.hook_poll)
            self._stop.wait(self.settings.hook_poll)

    def start(self) -> None:
        self._thread = threading.Thread(target=self.run, name="kaoping-hooks", daemon=True)
        self._thread.start()

    def halt(self) -> None:
        """Ask the loop to end after the attempt under way (a signal handler may call this)."""
        self._stop.set()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=self.settings.hook_timeout + 5)
        if self._client is not None:
            self._client.close()


def _robot_refusal(answer: httpx.Response) -> str | None:
    """A DingTalk or WeCom robot answers 200 with `errcode` ≠ 0 when it refuses (a bad sign, too
    many messages): that is a failed attempt."""
    try:
        document: Any = json.loads(answer.content or b"{}")
    except ValueError:
        return None
    code = document.get("errcode", 0) if isinstance(document, dict) else 0
    return None if code in (0, "0") else f"errcode {code}"


def start_worker(services: Any) -> Deliverer:
    """The worker of a `kaoping serve` process, started on a thread of its own."""
    worker = Deliverer(services.outbox, services.settings, services.ledger.clock)
    worker.start()
    return worker


__all__ = ["Deliverer", "start_worker"]
