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

from . import cli
from .dbs import Scratch, postgres_problem
from .harness import rss_mb, row
from .steps import STEPS
from .http_step import REPO, step_http
from .supervision_step import step_hooks


@dataclass
class Config:
    kinds: list[str] = field(default_factory=lambda: ["sqlite", "postgres"])
    seed: int = 2018
    ingest_repeats: int = 2
    http_clients: int = 16
    http_seconds: float = 20.0
    http_warmup: int = 2
    #: the ASGI servers measured side by side (`kaoping serve --server NAME`), each on a new ledger
    http_servers: list[str] = field(default_factory=lambda: ["uvicorn", "granian"])
    #: the demo year's scale whose commands the HTTP clients send: enough that none runs out before
    #: `http_seconds` (scale 1's 5,079 commands lasted 2-5 s)
    http_scale: int = 12
    insert_baseline_seconds: float = 2.0
    #: seconds of GET /healthz after each HTTP run (the server's ceiling, shown beside its rate)
    http_floor_seconds: float = 3.0
    rebuild_repeats: int = 3
    score_rounds: int = 3
    standings_n: int = 60
    log_standings_n: int = 3
    replays: int = 2
    large_scale: int | None = 20
    large_kinds: list[str] | None = None  # None: every kind measured
    large_score_units_per_group: int = 4
    large_standings_n: int = 10
    #: commands per ingest call for the large ledger on PostgreSQL; None = one batch, as
    #: `kaoping demo --scale 20` does (a 77k-event batch once hung the library's pipelined insert;
    #: the recorder now inserts it in chunks within the one transaction)
    large_postgres_batch: int | None = None
    #: single-command commits timed with and without the tree, and the synthetic tree's size
    log_commits: int = 300
    log_million_leaves: int = 1_000_000
    log_proof_samples: int = 300
    in_process: bool = False
    #: the steps to run (ingest, http, hooks, rebuild, latency, log, files, due, imports, scale); None: all. The demo-year ledger
    #: of the ingest step is built whenever a step that reads it is chosen.
    only: set[str] | None = None
    child_timeout: float = 420.0
    #: the evidence file uploaded, in MiB, and the 待办 page's samples (issue 24)
    upload_mb: int = 20
    todo_samples: int = 200
    #: 推送 and 督办 (issue 27): alternating runs with and without a hook, and the due/board samples
    hook_rounds: int = 2
    due_samples: int = 100

    @classmethod
    def quick(cls, **overrides: Any) -> Config:
        values: dict[str, Any] = dict(ingest_repeats=1, http_seconds=3.0, http_scale=2,
                                      insert_baseline_seconds=0.5,
                                      rebuild_repeats=1, score_rounds=1, standings_n=10,
                                      log_standings_n=1, replays=1, large_scale=3,
                                      large_score_units_per_group=2, large_standings_n=3,
                                      log_commits=20, log_million_leaves=20_000, log_proof_samples=20,
                                      upload_mb=4, todo_samples=20, hook_rounds=1, due_samples=20)
        values.update(overrides)
        return cls(**values)

    @classmethod
    def smoke(cls, **overrides: Any) -> Config:
        """The smallest counts with which every step still runs end to end (`--smoke`, and the
        suite's tests/test_bench_smoke.py): figures only to show the harness works, never to judge."""
        # one ASGI server: the step's code is the same for each (test_http_e2e serves on both)
        values: dict[str, Any] = dict(http_servers=["uvicorn"],
                                      http_clients=2, http_seconds=0.5, http_floor_seconds=0.2,
                                      insert_baseline_seconds=0.1, standings_n=2, large_scale=None,
                                      log_commits=5, log_million_leaves=2_000, log_proof_samples=5,
                                      todo_samples=3, due_samples=3)
        values.update(overrides)
        return cls.quick(**values)


Log = Callable[[str], None]


def _error_row(step: str, name: str, error: BaseException) -> dict[str, Any]:
    message = str(error).strip().splitlines()[-1] if str(error).strip() else type(error).__name__
    return row(step, name, "", None, target="error", notes=f"FAILED: {message[:200]}",
               error=f"{type(error).__name__}: {str(error)[-2000:]}")


def _run_step(config: Config, step: str, **kwargs: Any) -> list[dict[str, Any]]:
    if config.in_process:
        rows = STEPS[step](**kwargs)
        peak, start = rss_mb(), None
    else:
        try:
            done = subprocess.run([sys.executable, "-m", "scripts.benchmarks.child", step], cwd=REPO,
                                  input=json.dumps(kwargs), capture_output=True, text=True,
                                  timeout=config.child_timeout)
        except subprocess.TimeoutExpired as timeout:
            raise RuntimeError(f"step {step} timed out after {config.child_timeout:g} s "
                               "(killed)") from timeout
        if done.returncode != 0:
            raise RuntimeError(f"step {step} failed:\n{done.stderr[-4000:]}")
        document = json.loads(done.stdout.strip().splitlines()[-1])
        rows, peak, start = document["rows"], document["peak_rss_mb"], document["start_rss_mb"]
    for r in rows:
        r.setdefault("peak_rss_mb", peak)
        r["details"].setdefault("process_start_rss_mb", start)
    return rows


def run_kind(kind: str, config: Config, log: Log) -> list[dict[str, Any]]:
    scratch = Scratch(kind)
    rows: list[dict[str, Any]] = []
    # every ledger of this run signs with a key of its own in the scratch folder (`harness.key_of`),
    # never one beside the repo; the variable is put back afterwards (a caller's next ledger must
    # not sign with a key these ledgers used: one key signs one log)
    previous_key = os.environ.get("KAOPING_SIGNING_KEY")
    os.environ["KAOPING_SIGNING_KEY"] = scratch.path("signing-key")

    def add(new: list[dict[str, Any]], started: float) -> None:
        for r in new:
            r["db"] = kind
            r.setdefault("peak_rss_mb", None)
            r["details"]["step_seconds"] = round(time.perf_counter() - started, 2)
        rows.extend(new)

    def guarded(step: str, name: str, measure: Callable[[], list[dict[str, Any]]], *,
                needed: bool = False) -> bool | None:
        """Run one measurement (if its step is chosen, or a chosen one needs what it builds); a
        failure becomes an error row and the bench goes on. None: not chosen, not run."""
        if not needed and config.only is not None and step not in config.only:
            return None
        started = time.perf_counter()
        try:
            add(measure(), started)
            return True
        except Exception as error:  # noqa: BLE001 - reported in the table, not raised
            log(f"[{kind}] {name} FAILED: {error}")
            add([_error_row(step, name, error)], started)
            return False

    try:
        # 1. bulk ingest (keeps the first ledger for steps 2-4)
        log(f"[{kind}] 1/5 bulk ingest of the demo year + bare-library baseline")
        ledgers = [scratch.url(f"ingest{i}") for i in range(config.ingest_repeats)]
        bares = [scratch.url(f"bare{i}") for i in range(config.ingest_repeats)]
        demo = ledgers[0]
        readers = config.only is not None and bool(config.only & {"rebuild", "latency", "log", "files", "due"})
        if guarded("ingest", "bulk ingest, demo year", lambda: _run_step(
                config, "ingest", ledger_urls=ledgers, baseline_urls=bares, scale=1,
                seed=config.seed, workdir=scratch.folder), needed=readers) is False:
            return rows

        # 2. HTTP appends
        log(f"[{kind}] 2/5 HTTP appends, {config.http_clients} clients, {config.http_seconds:g} s "
            "+ INSERT/COMMIT baseline")

        def http(server: str) -> list[dict[str, Any]]:
            from kaoping.demo import demo_year

            target = scratch.path("raw-insert.db") if kind == "sqlite" else scratch.url("raw")
            return step_http(scratch.url(f"http_{server}"), target,
                             demo_year(seed=config.seed, scale=config.http_scale),
                             workdir=scratch.folder, server=server,
                             clients=config.http_clients, duration=config.http_seconds,
                             warmup=config.http_warmup,
                             baseline_seconds=config.insert_baseline_seconds,
                             floor_seconds=config.http_floor_seconds,
                             label=f"demo year x{config.http_scale}")

        for server in config.http_servers:
            guarded("http", f"HTTP appends, {server}", lambda server=server: http(server))

        # 推送: the same appends with one hook whose receiver is down (issue 27)
        def hooks() -> list[dict[str, Any]]:
            from kaoping.demo import demo_year

            target = scratch.path("raw-insert.db") if kind == "sqlite" else scratch.url("raw")
            return step_hooks([scratch.url(f"hooknone{i}") for i in range(config.hook_rounds)],
                              [scratch.url(f"hookdown{i}") for i in range(config.hook_rounds)], target,
                              demo_year(seed=config.seed, scale=config.http_scale), workdir=scratch.folder,
                              clients=config.http_clients, duration=config.http_seconds,
                              warmup=config.http_warmup, baseline_seconds=config.insert_baseline_seconds,
                              floor_seconds=config.http_floor_seconds,
                              label=f"demo year x{config.http_scale}")

        log(f"[{kind}] hooks: HTTP appends with a hook whose receiver is down, against none")
        guarded("hooks", "HTTP appends with a hook down", hooks)

        # 3. rebuild
        log(f"[{kind}] 3/5 rebuild of the scores read model + bare log read")
        guarded("rebuild", "rebuild, demo year", lambda: _run_step(
            config, "rebuild", url=demo, repeats=config.rebuild_repeats))

        # 4. read latencies on the demo year
        log(f"[{kind}] 4/5 read latencies, demo year")
        guarded("latency", "read latencies, demo year", lambda: _run_step(
            config, "latency", url=demo, rounds=config.score_rounds, standings_n=config.standings_n,
            log_standings_n=config.log_standings_n, replays=config.replays))

        # 5. the log outsiders can check: append cost, proofs, a million leaves
        log(f"[{kind}] 5/6 Merkle tree and checkpoints: append cost, proof latencies")
        guarded("log", "append cost of the tree", lambda: _run_step(
            config, "log_append", with_urls=[scratch.url("logwith")], without_urls=[scratch.url("lognone")],
            seed=config.seed, commits=config.log_commits, workdir=scratch.folder))
        guarded("log", "proofs, demo year", lambda: _run_step(
            config, "log_proofs", url=demo, samples=config.log_proof_samples))
        guarded("log", "proofs, a million leaves", lambda: _run_step(
            config, "log_million", url=scratch.url("million"), leaves=config.log_million_leaves,
            samples=config.log_proof_samples))

        # evidence files and the unit's 待办 page (issue 24)
        log(f"[{kind}] files: a 20 MiB upload, the unit's 待办 page")
        guarded("files", "evidence files", lambda: _run_step(
            config, "files", url=demo, workdir=scratch.folder, mb=config.upload_mb))
        guarded("files", "the unit's 待办 page, demo year", lambda: _run_step(
            config, "todo", url=demo, workdir=scratch.folder, samples=config.todo_samples))
        guarded("due", "due and the board, demo year", lambda: _run_step(
            config, "due", url=demo, workdir=scratch.folder, samples=config.due_samples))

        # spreadsheets in (issue 26): xlsx imports against ingest of the same JSON Lines, the preview
        log(f"[{kind}] imports: the demo year's tasks and node results as xlsx, the preview step")
        guarded("imports", "imports of sheets", lambda: _run_step(
            config, "imports", json_url=scratch.url("imp_json"), sheet_url=scratch.url("imp_sheet"),
            served_url=scratch.url("imp_served"), workdir=scratch.folder, seed=config.seed))

        # 6. a large ledger
        large_kinds = config.large_kinds if config.large_kinds is not None else config.kinds
        if config.large_scale and kind in large_kinds:
            scale = config.large_scale
            batch = config.large_postgres_batch if kind == "postgres" else None
            log(f"[{kind}] 6/6 scale {scale}: build (ingest "
                + (f"in batches of {batch}" if batch else "in one batch")
                + " + rebuild), then read latencies")
            large = scratch.url(f"scale{scale}")
            if guarded("scale", f"build scale {scale}", lambda: _run_step(
                    config, "build_large", url=large, scale=scale, seed=config.seed,
                    workdir=scratch.folder, batch=batch),
                    needed=config.only is not None and "due" in config.only):
                guarded("scale", f"read latencies, scale {scale}", lambda: _run_step(
                    config, "latency", url=large, rounds=1,
                    units_per_group=config.large_score_units_per_group,
                    standings_n=config.large_standings_n, log_standings_n=1, replays=0,
                    label=f"scale {scale}", targets=False))
                guarded("log", f"verify --file, scale {scale}", lambda: _run_step(
                    config, "log_verify_file", url=large, workdir=scratch.folder))
                guarded("due", f"due and the board, scale {scale}", lambda: _run_step(
                    config, "due", url=large, workdir=scratch.folder, samples=config.due_samples,
                    label=f"scale {scale}"))
                guarded("files", f"the unit's 待办 page, scale {scale}", lambda: _run_step(
                    config, "todo", url=large, workdir=scratch.folder, samples=config.todo_samples,
                    label=f"scale {scale}"))
        else:
            log(f"[{kind}] 6/6 large ledger skipped")
    finally:
        scratch.close()
        if previous_key is None:
            os.environ.pop("KAOPING_SIGNING_KEY", None)
        else:
            os.environ["KAOPING_SIGNING_KEY"] = previous_key
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
        # in process (the smoke test), the steps' `kaoping` commands run in this process too
        with cli.in_process(config.in_process):
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
