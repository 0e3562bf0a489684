"""Bench of 督办 and 推送 (issue 27): HTTP appends with one generic hook registered and its receiver
down, against the same appends with no hook (target: rate ratio >= 0.95; the delivery worker runs in
the server's process, as `kaoping serve` runs it), and the p99 of `GET /v1/due` for every unit and of
the office's board page (`/board`) through a real server (target <= 100 ms; at scale 20).

    .venv/bin/python -m scripts.benchmarks --only hooks,due
"""

from __future__ import annotations

import os
import socket
import statistics
import time
from pathlib import Path
from typing import Any

import httpx


from .serving import serving
from .harness import key_of, percentile, row
from .cli import kaoping
from .http_step import step_http


def _closed_port() -> int:
    """A loopback port nobody listens on: the receiver is down (connection refused)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def step_hooks(urls_none: list[str], urls_hook: list[str], baseline_target: str, commands: list[dict[str, Any]], *,
               workdir: str, clients: int = 16, duration: float = 20.0, warmup: int = 2,
               baseline_seconds: float = 2.0, floor_seconds: float = 3.0,
               label: str = "demo year") -> list[dict[str, Any]]:
    """Alternating runs of `step_http` on fresh ledgers: without a hook, then with one generic hook
    (with a secret) whose receiver is down. The ratio is the medians' (hook / none)."""
    none_rates, hook_rates, notes = [], [], []
    hook_peaks: list[float | None] = []  # the hooked server's peak RSS, as the http step reports its own
    none_cpu, hook_cpu = [], []  # the server's CPU ms per request: less swayed by the machine's other load
    for plain, hooked in zip(urls_none, urls_hook):
        result = step_http(plain, baseline_target, commands, workdir=workdir, clients=clients, duration=duration,
                           warmup=warmup, baseline_seconds=baseline_seconds, floor_seconds=floor_seconds,
                           label=label)[0]
        none_rates.append(result["value"])
        none_cpu.append(result["details"]["server_cpu_ms_per_request"])
        os.environ["KAOPING_SIGNING_KEY"] = key_of(hooked)
        kaoping("init", "--db", hooked)
        kaoping("hooks", "add", "--url", f"http://127.0.0.1:{_closed_port()}/down",
                "--format", "generic", "--secret", "bench-secret", "--db", hooked)
        result = step_http(hooked, baseline_target, commands, workdir=workdir, clients=clients, duration=duration,
                           warmup=warmup, baseline_seconds=baseline_seconds, floor_seconds=floor_seconds,
                           label=label)[0]
        hook_rates.append(result["value"])
        hook_peaks.append(result.get("peak_rss_mb"))
        hook_cpu.append(result["details"]["server_cpu_ms_per_request"])
        listed = kaoping("hooks", "list", "--db", hooked).strip()
        notes.append(listed.splitlines()[-1] if listed else "")
    none, hooked_rate = statistics.median(none_rates), statistics.median(hook_rates)
    peaks = [p for p in hook_peaks if p is not None]
    return [{**row("hooks", f"HTTP appends, one generic hook with its receiver down, {label}", "req/s", hooked_rate,
                baseline=none, baseline_name="the same appends with no hook", target="ratio >= 0.95",
                target_ratio=0.95, runs_none=[round(r) for r in none_rates],
                runs_hook=[round(r) for r in hook_rates], outbox=notes,
                notes=f"server CPU ms/request: none {statistics.median(none_cpu):.2f}, "
                      f"hook {statistics.median(hook_cpu):.2f}",
                cpu_ms_none=none_cpu, cpu_ms_hook=hook_cpu), "peak_rss_mb": max(peaks) if peaks else None}]


def _times(client: httpx.Client, path: str, samples: int) -> list[float]:
    times = []
    for _ in range(samples):
        started = time.perf_counter()
        answer = client.get(path)
        times.append(time.perf_counter() - started)
        assert answer.status_code == 200, answer.text[:300]
    return times


def step_due(url: str, workdir: str, samples: int = 100, label: str = "demo year", **_: Any) -> list[dict[str, Any]]:
    """The p99 of `GET /v1/due` (every unit), of `/board` and of one unit's outlook (D03's; the first
    request, which scores its group's scenarios, is reported beside) through a real server on the
    ledger at `url`."""
    os.environ["KAOPING_SIGNING_KEY"] = key_of(url)
    token = kaoping("token", "create", "--actor", "bench-due", "--role", "office", "--db", url).strip().splitlines()[-1]
    rows = []
    with serving(url, Path(workdir) / "due-serve.log", timeout=120) as base:
        with httpx.Client(base_url=base, timeout=120, headers={"Authorization": f"Bearer {token}"}) as api:
            _times(api, "/v1/due", 3)  # warm: the log loaded, the caches filled
            due = _times(api, "/v1/due", samples)
            cold = _times(api, "/v1/units/D03/outlook", 1)  # the first: the group's scenarios scored
            outlook = _times(api, "/v1/units/D03/outlook", samples)
        with httpx.Client(base_url=base, timeout=120, follow_redirects=False) as pages:
            pages.post("/signin", data={"token": token, "next": "/board"})
            _times(pages, "/board", 3)
            board = _times(pages, "/board", samples)
    for name, times in ((f"GET /v1/due, every unit, {label}", due), (f"the 督办 board page (/board), {label}", board)):
        rows.append(row("due", name, "p99 ms", percentile(times, 99) * 1000, target="p99 <= 100 ms",
                        target_value=100.0, higher_is_better=False, p50_ms=percentile(times, 50) * 1000,
                        p99_ms=percentile(times, 99) * 1000, samples=len(times)))
    rows.append(row("due", f"GET /v1/units/D03/outlook, {label}", "p99 ms", percentile(outlook, 99) * 1000,
                    target="p99 <= 500 ms", target_value=500.0, higher_is_better=False,
                    p50_ms=percentile(outlook, 50) * 1000, p99_ms=percentile(outlook, 99) * 1000,
                    first_ms=cold[0] * 1000, samples=len(outlook)))
    return rows


SUPERVISION_STEPS = {"due": step_due}

__all__ = ["SUPERVISION_STEPS", "step_due", "step_hooks"]
