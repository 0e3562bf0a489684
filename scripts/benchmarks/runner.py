"""Runs the steps for each database kind and collects the rows. Each `harness` step runs in a child
process of its own (its peak RSS is the step's own) unless `in_process` is set (the smoke test)."""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from typing import Any, Callable

from .dbs import Scratch, postgres_problem
from .harness import STEPS, rss_mb, row
from .http_step import REPO, step_http


@dataclass
class Config:
    kinds: list[str] = field(default_factory=lambda: ["sqlite", "postgres"])
    seed: int = 2018
    ingest_repeats: int = 2
    http_clients: int = 16
    http_seconds: float = 20.0
    http_warmup: int = 2
    insert_baseline_seconds: float = 2.0
    rebuild_repeats: int = 3
    score_rounds: int = 3
    standings_n: int = 60
    log_standings_n: int = 3
    replays: int = 2
    large_scale: int | None = 20
    large_kinds: list[str] | None = None  # None: every kind measured
    large_score_units_per_group: int = 4
    large_standings_n: int = 10
    in_process: bool = False
    child_timeout: float = 900.0

    @classmethod
    def quick(cls, **overrides: Any) -> Config:
        values: dict[str, Any] = dict(ingest_repeats=1, http_seconds=3.0, insert_baseline_seconds=0.5,
                                      rebuild_repeats=1, score_rounds=1, standings_n=10,
                                      log_standings_n=1, replays=1, large_scale=3,
                                      large_score_units_per_group=2, large_standings_n=3)
        values.update(overrides)
        return cls(**values)


Log = Callable[[str], None]


def _run_step(config: Config, step: str, **kwargs: Any) -> list[dict[str, Any]]:
    if config.in_process:
        rows = STEPS[step](**kwargs)
        peak, start = rss_mb(), None
    else:
        done = subprocess.run([sys.executable, "-m", "scripts.benchmarks.child", step], cwd=REPO,
                              input=json.dumps(kwargs), capture_output=True, text=True,
                              timeout=config.child_timeout)
        if done.returncode != 0:
            raise RuntimeError(f"step {step} failed:\n{done.stderr[-4000:]}")
        document = json.loads(done.stdout.strip().splitlines()[-1])
        rows, peak, start = document["rows"], document["peak_rss_mb"], document["start_rss_mb"]
    for r in rows:
        r.setdefault("peak_rss_mb", peak)
        r["details"].setdefault("process_start_rss_mb", start)
    return rows


def _streams_by_id(url: str) -> dict[str, str]:
    from .harness import open_ledger

    ledger = open_ledger(url)
    try:
        return {r["command_id"]: r["streams"]
                for r in ledger.recorder.query("SELECT command_id, streams FROM kaoping_commands")}
    finally:
        ledger.close()


def run_kind(kind: str, config: Config, log: Log) -> list[dict[str, Any]]:
    scratch = Scratch(kind)
    rows: list[dict[str, Any]] = []

    def add(new: list[dict[str, Any]], started: float) -> None:
        for r in new:
            r["db"] = kind
            r["details"]["step_seconds"] = round(time.perf_counter() - started, 2)
        rows.extend(new)

    try:
        # 1. bulk ingest (keeps the first ledger for steps 2-4)
        started = time.perf_counter()
        log(f"[{kind}] 1/5 bulk ingest of the demo year + bare-library baseline")
        ledgers = [scratch.url(f"ingest{i}") for i in range(config.ingest_repeats)]
        bares = [scratch.url(f"bare{i}") for i in range(config.ingest_repeats)]
        add(_run_step(config, "ingest", ledger_urls=ledgers, baseline_urls=bares, scale=1,
                      seed=config.seed, workdir=scratch.folder), started)
        demo = ledgers[0]

        # 2. HTTP appends
        started = time.perf_counter()
        log(f"[{kind}] 2/5 HTTP appends, {config.http_clients} clients, {config.http_seconds:g} s "
            "+ INSERT/COMMIT baseline")
        from kaoping.ledger.demo import demo_year

        baseline_target = scratch.path("raw-insert.db") if kind == "sqlite" else scratch.url("raw")
        add(step_http(scratch.url("http"), baseline_target, demo_year(seed=config.seed, scale=1),
                      _streams_by_id(demo), workdir=scratch.folder, clients=config.http_clients,
                      duration=config.http_seconds, warmup=config.http_warmup,
                      baseline_seconds=config.insert_baseline_seconds), started)

        # 3. rebuild
        started = time.perf_counter()
        log(f"[{kind}] 3/5 rebuild of the scores read model + bare log read")
        add(_run_step(config, "rebuild", url=demo, repeats=config.rebuild_repeats), started)

        # 4. read latencies on the demo year
        started = time.perf_counter()
        log(f"[{kind}] 4/5 read latencies, demo year")
        add(_run_step(config, "latency", url=demo, rounds=config.score_rounds,
                      standings_n=config.standings_n, log_standings_n=config.log_standings_n,
                      replays=config.replays), started)

        # 5. a large ledger
        large_kinds = config.large_kinds if config.large_kinds is not None else config.kinds
        if config.large_scale and kind in large_kinds:
            scale = config.large_scale
            started = time.perf_counter()
            log(f"[{kind}] 5/5 scale {scale}: build (ingest + rebuild), then read latencies")
            large = scratch.url(f"scale{scale}")
            add(_run_step(config, "build_large", url=large, scale=scale, seed=config.seed,
                          workdir=scratch.folder), started)
            started = time.perf_counter()
            add(_run_step(config, "latency", url=large, rounds=1,
                          units_per_group=config.large_score_units_per_group,
                          standings_n=config.large_standings_n, log_standings_n=1, replays=0,
                          label=f"scale {scale}", targets=False), started)
        else:
            log(f"[{kind}] 5/5 large ledger skipped")
    finally:
        scratch.close()
    return rows


def run(config: Config, log: Log = lambda message: None) -> dict[str, Any]:
    started_at = datetime.now(timezone.utc)
    started = time.perf_counter()
    rows: list[dict[str, Any]] = []
    skipped: dict[str, str] = {}
    for kind in config.kinds:
        if kind == "postgres":
            problem = postgres_problem()
            if problem:
                skipped[kind] = f"PostgreSQL unreachable: {problem}"
                log(f"[postgres] skipped: {problem}")
                continue
        rows.extend(run_kind(kind, config, log))
    return {
        "started_at": started_at.isoformat(timespec="seconds"),
        "seconds": round(time.perf_counter() - started, 1),
        "host": {"python": platform.python_version(), "machine": platform.machine(),
                 "cpus": os.cpu_count(), "load_avg_at_end": os.getloadavg()},
        "config": asdict(config),
        "skipped": skipped,
        "rows": rows,
    }


__all__ = ["Config", "run", "row"]
