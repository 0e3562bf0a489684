#!/usr/bin/env python
"""Measure the read paths on the demo year, on SQLite and/or PostgreSQL, in one run.

    .venv/bin/python scripts/profile_reads.py [--backend sqlite|postgres|both] [--scale N]
        [--repeat R] [--skip-slow] [--fresh]
    .venv/bin/python scripts/profile_reads.py --backend sqlite --profile score|standings|rebuild|asof|replay

(--profile runs one path under pyinstrument — `.venv/bin/pip install pyinstrument` — warm, and prints its
call tree instead of timings.)

Prints, per backend:
- score: `ledger.score(code)` (the contract JSON with its explanation), every unit R times after one
  warm-up pass: p50 / p99 / max in ms;
- standings: `projection.catch_up()` + `projection.standings(group=, stage=)` with nothing new
  appended (what GET /v1/standings does): p50 / p99 in ms;
- rebuild: `ScoresProjection.rebuild()` in events/s, against a bare paged read of the whole
  notification log (`recorder.select_notifications`, nothing decoded) on the same database in the
  same run, and their ratio;
- standings --as-of (`Ledger.standings_from_log(as_of=...)`) and `replay(code)` wall times.

The demo database is built once per (backend, scale) and reused: SQLite under $TMPDIR, PostgreSQL as
database `kaoping_reads_bench_s{scale}` (dropped and rebuilt with --fresh). The clock is fixed at
2019-01-15 (as the tests'), so every run scores the same year at the same date.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

import psycopg

from kaoping.api.bootstrap import build_ledger, build_projection
from kaoping.demo import demo_year
from kaoping.ledger.settings import Settings

PG_ADMIN = os.environ.get("KAOPING_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres")
NOW = datetime(2019, 1, 15, 2, 0, tzinfo=timezone.utc)


def clock() -> datetime:
    return NOW


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def ms(values: list[float]) -> str:
    return (f"p50 {pct(values, .5) * 1e3:7.2f} ms  p99 {pct(values, .99) * 1e3:7.2f} ms  "
            f"max {max(values) * 1e3:7.2f} ms  (n={len(values)})")


def database(backend: str, scale: int, fresh: bool) -> str:
    if backend == "sqlite":
        path = Path(tempfile.gettempdir()) / f"kaoping-reads-bench-s{scale}.db"
        if fresh and path.exists():
            path.unlink()
        return f"sqlite:///{path}"
    name = f"kaoping_reads_bench_s{scale}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname=%s", (name,)).fetchone()
        if exists and fresh:
            conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
            exists = None
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')
    return PG_ADMIN.rsplit("/", 1)[0] + "/" + name


def ensure_demo(url: str, scale: int) -> None:
    ledger = build_ledger(Settings(database_url=url), clock=clock)
    try:
        if ledger.init() or (ledger.recorder.max_notification_id() or 0) < 100:
            year = demo_year(2018, scale)
            started = time.perf_counter()
            # in batches: one PostgreSQL batch of the --scale 20 year (76,500 commands) hung in
            # psycopg's pipeline (client in Pipeline.sync, server in ClientRead) on 2026-11-27
            appended = sum(ledger.ingest(year[i:i + 5_000], actor="office").appended
                           for i in range(0, len(year), 5_000))
            print(f"  built the demo year: {appended} commands in "
                  f"{time.perf_counter() - started:.1f}s", flush=True)
    finally:
        ledger.close()


def bare_read(ledger, page: int = 5_000) -> tuple[int, float]:
    started = time.perf_counter()
    after, count = 0, 0
    while True:
        rows = ledger.recorder.select_notifications(after, page, inclusive_of_start=False)
        count += len(rows)
        if len(rows) < page:
            break
        after = rows[-1].id
    return count, time.perf_counter() - started


def forget_scores(ledger) -> None:
    """Empty the ledger's score cache (where there is one), to time the work, not the cache."""
    reads = getattr(ledger, "_reads", None)
    if reads is not None:
        reads.scores.clear()


def timed(fn, *args, **kwargs) -> tuple[object, float]:
    started = time.perf_counter()
    result = fn(*args, **kwargs)
    return result, time.perf_counter() - started


def run(backend: str, scale: int, repeat: int, skip_slow: bool, fresh: bool) -> None:
    url = database(backend, scale, fresh)
    print(f"== {backend}, scale {scale}: {url}", flush=True)
    ensure_demo(url, scale)
    ledger = build_ledger(Settings(database_url=url), clock=clock)
    try:
        events = ledger.recorder.max_notification_id()
        units = sorted(ledger.registry().units)
        print(f"  {events} notifications, {len(units)} units", flush=True)

        # -- score ---------------------------------------------------------------------------------
        _, first = timed(ledger.score, units[0])
        print(f"  score, first call in the process (reads the log): {first * 1e3:.0f} ms", flush=True)
        for code in units:  # warm-up pass
            ledger.score(code)
        samples = []
        for _ in range(repeat):
            for code in units:
                samples.append(timed(ledger.score, code)[1])
        print(f"  score(code) with explanation:      {ms(samples)}", flush=True)
        samples = []
        for _ in range(repeat):
            for code in units:
                forget_scores(ledger)
                samples.append(timed(ledger.score, code)[1])
        print(f"  score(code), score cache emptied:  {ms(samples)}", flush=True)

        # -- rebuild vs bare read --------------------------------------------------------------------
        projection = build_projection(ledger)
        ratios = []
        for _ in range(3 if not skip_slow else 1):
            count, bare = bare_read(ledger)
            forget_scores(ledger)
            _, rebuild = timed(projection.rebuild)
            count2, bare2 = bare_read(ledger)
            bare_rate = 2 * count / (bare + bare2)
            rebuild_rate = count / rebuild
            ratios.append(rebuild_rate / bare_rate)
            print(f"  rebuild {rebuild * 1e3:8.1f} ms = {rebuild_rate:9.0f} ev/s; bare read "
                  f"{(bare + bare2) / 2 * 1e3:7.1f} ms = {bare_rate:9.0f} ev/s; ratio "
                  f"{rebuild_rate / bare_rate:.3f}", flush=True)
        print(f"  rebuild / bare-read ratio: median {statistics.median(ratios):.3f}", flush=True)
        count, bare = bare_read(ledger)
        _, rebuild = timed(projection.rebuild)  # every UnitScore already cached: rows + write only
        print(f"  rebuild, score cache warm: {rebuild * 1e3:.1f} ms; ratio {bare / rebuild:.3f}", flush=True)

        # -- a rebuild in a fresh process state (log not yet decoded) --------------------------------
        cold = build_ledger(Settings(database_url=url), clock=clock)
        try:
            count, bare = bare_read(cold)
            _, rebuild = timed(build_projection(cold).rebuild)
            print(f"  rebuild from a cold ledger (decodes the log too): {rebuild * 1e3:.1f} ms = "
                  f"{count / rebuild:.0f} ev/s; ratio {count / rebuild / (count / bare):.3f}", flush=True)
        finally:
            cold.close()

        # -- standings -------------------------------------------------------------------------------
        projection.catch_up()
        samples = []
        asks = [(None, "annual"), ("departments", "annual"), ("towns_zones", "process"),
                (None, "half_year")]
        for _ in range(max(1, repeat) * 50):
            for group, stage in asks:
                started = time.perf_counter()
                projection.catch_up()
                projection.standings(group=group, stage=stage)
                samples.append(time.perf_counter() - started)
        print(f"  catch_up()+standings(), nothing new: {ms(samples)}", flush=True)

        # -- standings --as-of and replay ------------------------------------------------------------
        for as_of in ("2018-07-31", "2019-01-10"):
            forget_scores(ledger)
            _, took = timed(ledger.standings_from_log, as_of=as_of)
            _, again = timed(ledger.standings_from_log, as_of=as_of)
            print(f"  standings_from_log(as_of={as_of}): {took * 1e3:8.1f} ms (again {again * 1e3:8.1f} ms)",
                  flush=True)
        if not skip_slow:
            for code in ("D03", "T01"):
                forget_scores(ledger)
                rows, took = timed(ledger.replay, code)
                print(f"  replay({code}): {took * 1e3:8.1f} ms, {len(rows)} rows", flush=True)
    finally:
        ledger.close()


def profile(backend: str, scale: int, path: str, fresh: bool) -> None:
    from pyinstrument import Profiler

    url = database(backend, scale, fresh)
    ensure_demo(url, scale)
    ledger = build_ledger(Settings(database_url=url), clock=clock)
    try:
        units = sorted(ledger.registry().units)
        projection = build_projection(ledger)
        ledger.log.refresh()
        projection.catch_up()
        work = {
            "score": lambda: [ledger.score(code) for _ in range(3) for code in units],
            "standings": lambda: [(projection.catch_up(), projection.standings(group=g))
                                  for _ in range(100) for g in (None, "departments")],
            "rebuild": lambda: (forget_scores(ledger), projection.rebuild()),
            "asof": lambda: (forget_scores(ledger), ledger.standings_from_log(as_of="2018-07-31")),
            "replay": lambda: ledger.replay("T01"),
        }[path]
        work()  # warm
        profiler = Profiler(interval=0.0005)
        profiler.start()
        work()
        profiler.stop()
        print(profiler.output_text(unicode=True, color=False, show_all=False))
    finally:
        ledger.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--scale", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--skip-slow", action="store_true", help="one rebuild, no replay")
    parser.add_argument("--fresh", action="store_true", help="rebuild the demo database")
    parser.add_argument("--profile", choices=("score", "standings", "rebuild", "asof", "replay"),
                        help="run one path under pyinstrument and print where the time goes")
    args = parser.parse_args()
    if args.profile:
        profile("sqlite" if args.backend == "both" else args.backend, args.scale, args.profile, args.fresh)
        return
    backends = ("sqlite", "postgres") if args.backend == "both" else (args.backend,)
    for backend in backends:
        run(backend, args.scale, args.repeat, args.skip_slow, args.fresh)


if __name__ == "__main__":
    sys.exit(main())
