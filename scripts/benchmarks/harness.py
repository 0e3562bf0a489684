"""The measurements. Each `step_*` function returns JSON-able rows (see `row`); the runner executes each
step in a fresh child process so that its peak RSS is the step's own (`scripts/benchmarks/child.py`).

Baselines are measured in the same step, next to the figure they scale, on the same database kind:
- ingest: a bare eventsourcing Application (the library's stock persistence module, the same
  settings, a fresh database) saving the same number of small events, thousands per save;
- HTTP appends: single-row INSERT + COMMIT in a loop from one connection (same SQLite pragmas as the
  library's recorder; psycopg on PostgreSQL), rows of the stored events' average size;
- rebuild: a bare read of the whole notification log (`recorder.select_notifications` in pages).
Repeated measurements alternate figure and baseline, and the medians are reported.
"""

from __future__ import annotations

import json
import os
import resource
import statistics
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from eventsourcing.application import Application
from eventsourcing.domain import Aggregate, event

DEMO_AS_OF = "2018-12-31"
NOTIFICATION_PAGE = 5_000  # kaoping.ledger.reading.PAGE: the ledger reads its log in pages of this size


# -- rows --------------------------------------------------------------------------------------------
def row(step: str, name: str, metric: str, value: float | None, *, baseline: float | None = None,
        baseline_name: str | None = None, target: str | None = None, higher_is_better: bool = True,
        target_ratio: float | None = None, target_value: float | None = None,
        p50_ms: float | None = None, p99_ms: float | None = None, **details: Any) -> dict[str, Any]:
    """One line of the table. `target_ratio` is checked against value/baseline (rates, higher is
    better); `target_value` against the value itself (latencies in ms, lower is better)."""
    ratio = value / baseline if value is not None and baseline else None
    met: bool | None = None
    if target_ratio is not None and ratio is not None:
        met = ratio >= target_ratio
    elif target_value is not None and value is not None:
        met = value >= target_value if higher_is_better else value <= target_value
    return {"step": step, "name": name, "metric": metric, "value": value, "baseline": baseline,
            "baseline_name": baseline_name, "ratio": ratio, "target": target, "target_met": met,
            "p50_ms": p50_ms, "p99_ms": p99_ms, "details": details}


def percentile(samples: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100) of the samples."""
    ordered = sorted(samples)
    if not ordered:
        return float("nan")
    rank = max(1, min(len(ordered), int(-(-q * len(ordered) // 100))))
    return ordered[rank - 1]


def latency_row(step: str, name: str, seconds: Sequence[float], target_ms: float | None,
                **details: Any) -> dict[str, Any]:
    if not seconds:
        return row(step, name, "p99 ms", None, target="no samples", samples=0)
    p50, p99 = percentile(seconds, 50) * 1000, percentile(seconds, 99) * 1000
    return row(step, name, "p99 ms", p99, target=f"p99 <= {target_ms:g} ms" if target_ms else "info",
               higher_is_better=False, target_value=target_ms, p50_ms=p50, p99_ms=p99,
               samples=len(seconds), mean_ms=statistics.fmean(seconds) * 1000)


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# -- the ledger, as the CLI builds it ----------------------------------------------------------------
def key_of(url: str) -> str:
    """The signing key of the ledger at `url`: one of its own, in the run's scratch folder (beside
    the run's KAOPING_SIGNING_KEY). A key signs one log: its signer's record would refuse a second
    ledger signed with it as a fork."""
    folder = Path(os.environ["KAOPING_SIGNING_KEY"]).parent
    return str(folder / f"{url.split('?')[0].rstrip('/').rsplit('/', 1)[-1]}.signing-key")


def open_ledger(url: str) -> Any:
    from kaoping.api.bootstrap import build_ledger
    from kaoping.ledger.settings import Settings

    return build_ledger(Settings(database_url=url, signing_key=key_of(url)))


def cli_items(commands: list[dict[str, Any]], path: str) -> list[Any]:
    """The commands as `kaoping ingest FILE` reads them: written as JSON Lines, read back by the CLI's
    own reader (numbers as Decimal)."""
    from kaoping.api.cli.common import read_commands

    with open(path, "w", encoding="utf-8") as out:
        for command in commands:
            out.write(json.dumps(command, ensure_ascii=False) + "\n")
    return [item for _, item in read_commands(path)]


def ingest_like_cli(ledger: Any, items: list[Any]) -> tuple[int, float, float]:
    """(events appended, seconds in `ledger.ingest`, seconds in the projection catch-up after it)."""
    from kaoping.api.bootstrap import build_projection

    before = ledger.recorder.max_notification_id() or 0
    started = time.perf_counter()
    ledger.ingest(items, actor="office")  # what `kaoping ingest` calls, in one batch
    ingested = time.perf_counter() - started
    events = (ledger.recorder.max_notification_id() or 0) - before
    started = time.perf_counter()
    build_projection(ledger).catch_up()  # what `kaoping ingest` does next
    return events, ingested, time.perf_counter() - started


# -- baseline 1: a bare eventsourcing Application --------------------------------------------------
class BenchItem(Aggregate):
    """A small aggregate with small events, for the bare-library baseline."""

    @event("Created")
    def __init__(self, n: int) -> None:
        self.n = n
        self.total = 0

    @event("Noted")
    def note(self, value: int) -> None:
        self.total += value


class BenchRecord(Aggregate):
    """An aggregate whose events carry a command's whole payload, like the ledger's entries."""

    @event("Created")
    def __init__(self, n: int) -> None:
        self.n = n

    @event("Recorded")
    def record(self, payload: dict[str, Any]) -> None:
        pass


class BareApp(Application):  # type: ignore[type-arg]
    name = "Kaoping"  # the same table names as the ledger's store


def bare_env(url: str) -> dict[str, str]:
    """The ledger's own eventsourcing settings for this URL, with the library's stock module."""
    from kaoping.api.bootstrap import load_settings

    settings = load_settings(url)
    env = dict(settings.eventsourcing_env())
    env["PERSISTENCE_MODULE"] = "eventsourcing.postgres" if settings.is_postgres else "eventsourcing.sqlite"
    return env


def bare_save_rate(url: str, events: int, *, payloads: list[dict[str, Any]] | None = None,
                   per_aggregate: int = 100, per_save: int = 2_000) -> float:
    """Events/s of a bare Application saving `events` events, `per_save` events per save, in
    aggregates of `per_aggregate` events like the ledger's streams; event creation is included.
    Small events, or with `payloads` one event per payload (the demo year's commands: events as
    large as the ledger's)."""
    app = BareApp(env=bare_env(url))
    try:
        saved = 0
        started = time.perf_counter()
        while saved < events:
            batch = []
            in_batch = 0
            while in_batch < per_save and saved + in_batch < events:
                first = saved + in_batch
                size = min(per_aggregate, events - first) - 1
                if payloads is None:
                    item: Any = BenchItem(first)
                    for value in range(size):
                        item.note(value)
                else:
                    item = BenchRecord(first)
                    for payload in payloads[first:first + size]:
                        item.record(payload)
                in_batch += len(item.pending_events)
                batch.append(item)
            app.save(*batch)
            saved += in_batch
        return saved / (time.perf_counter() - started)
    finally:
        app.close()


# -- step 1: bulk ingest -----------------------------------------------------------------------------
def step_ingest(ledger_urls: list[str], baseline_urls: list[str], *, scale: int = 1, seed: int = 2018,
                workdir: str) -> list[dict[str, Any]]:
    """Ingest the demo year as `kaoping ingest` does, into fresh ledgers, each run followed by a bare
    library save of the same number of events into a fresh database. The first ledger is kept."""
    from kaoping.demo import demo_year

    commands = demo_year(seed=seed, scale=scale)
    items = cli_items(commands, os.path.join(workdir, f"demo-{scale}.jsonl"))
    rates, baselines, catch_ups, counts, alike = [], [], [], [], []
    for ledger_url, baseline_url in zip(ledger_urls, baseline_urls, strict=True):
        ledger = open_ledger(ledger_url)
        try:
            ledger.init()
            events, seconds, catch_up = ingest_like_cli(ledger, items)
        finally:
            ledger.close()
        rates.append(events / seconds)
        catch_ups.append(catch_up)
        counts.append(events)
        baselines.append(bare_save_rate(baseline_url, events))
        payloads = (commands * (events // len(commands) + 1))[:events]
        # into the same scratch database, after the small events: a table a few thousand rows
        # larger changes nothing measurable
        alike.append(bare_save_rate(baseline_url, events, payloads=payloads))
    value, base = statistics.median(rates), statistics.median(baselines)
    return [
        row("ingest", f"bulk ingest, demo year (scale {scale}, {len(commands)} cmds, 1 batch)",
            "events/s", value, baseline=base,
            baseline_name="bare es.Application save, 2k small events/save",
            target="ratio >= 0.5", target_ratio=0.5, events=counts[0], commands=len(commands),
            runs=[round(r) for r in rates], baseline_runs=[round(b) for b in baselines]),
        row("ingest", "  the same, against events as large as the ledger's", "events/s", value,
            baseline=statistics.median(alike),
            baseline_name="bare es.Application save of the demo commands as payloads, 2k/save",
            target="info", baseline_runs=[round(b) for b in alike]),
        row("ingest", "  then projection catch_up (as the CLI does)", "s", statistics.median(catch_ups),
            target="info", runs=[round(s, 3) for s in catch_ups]),
    ]


# -- baseline 2: single-row INSERT + COMMIT --------------------------------------------------------
def library_sqlite_pragmas(path: str) -> dict[str, Any]:
    """journal_mode and synchronous as the library's own SQLite connection pool sets them."""
    from eventsourcing.sqlite import SQLiteConnectionPool

    pool = SQLiteConnectionPool(db_name=path, lock_timeout=30)
    conn = pool._create_connection()
    cursor = conn.cursor()
    cursor.execute("PRAGMA journal_mode")
    journal = cursor.fetchone()[0]
    cursor.execute("PRAGMA synchronous")
    synchronous = cursor.fetchone()[0]
    conn.close()
    return {"journal_mode": journal, "synchronous": synchronous}


def raw_insert_rate(target: str, *, row_bytes: int = 430, seconds: float = 2.0,
                    max_rows: int = 200_000) -> tuple[float, dict[str, Any]]:
    """Rows/s of INSERT one row + COMMIT in a loop from one connection. `target` is a SQLite file path
    or a PostgreSQL URL; the scratch table is created there."""
    import uuid

    state = os.urandom(row_bytes)
    topic = "kaoping.domain.events:EntryRecorded"
    if target.startswith("postgres"):
        import psycopg

        with psycopg.connect(target) as conn:
            conn.execute("CREATE TABLE IF NOT EXISTS bench_raw (originator_id uuid, originator_version"
                         " bigint, topic text, state bytea, id bigserial PRIMARY KEY)")
            conn.commit()
            done, started = 0, time.perf_counter()
            while done < max_rows and time.perf_counter() - started < seconds:
                conn.execute("INSERT INTO bench_raw (originator_id, originator_version, topic, state)"
                             " VALUES (%s, %s, %s, %s)", (uuid.uuid4(), done, topic, state))
                conn.commit()
                done += 1
            rate = done / (time.perf_counter() - started)
        return rate, {"driver": "psycopg", "synchronous_commit": "server default"}
    import sqlite3

    pragmas = library_sqlite_pragmas(target)
    conn = sqlite3.connect(target, isolation_level=None)
    conn.execute(f"PRAGMA journal_mode={pragmas['journal_mode']}")
    conn.execute(f"PRAGMA synchronous={pragmas['synchronous']}")
    conn.execute("CREATE TABLE IF NOT EXISTS bench_raw (originator_id TEXT, originator_version INTEGER,"
                 " topic TEXT, state BLOB)")
    done, started = 0, time.perf_counter()
    while done < max_rows and time.perf_counter() - started < seconds:
        conn.execute("BEGIN")
        conn.execute("INSERT INTO bench_raw VALUES (?, ?, ?, ?)", (str(uuid.uuid4()), done, topic, state))
        conn.execute("COMMIT")
        done += 1
    rate = done / (time.perf_counter() - started)
    conn.close()
    return rate, {"driver": "sqlite3", **pragmas}


# -- step 3: rebuild ---------------------------------------------------------------------------------
def read_all_notifications(recorder: Any) -> int:
    count, after = 0, 0
    while True:
        page = recorder.select_notifications(after, NOTIFICATION_PAGE, inclusive_of_start=False)
        count += len(page)
        if len(page) < NOTIFICATION_PAGE:
            return count
        after = page[-1].id


def step_rebuild(url: str, *, repeats: int = 3, label: str = "demo year") -> list[dict[str, Any]]:
    """ScoresProjection.rebuild() from a fresh ledger object (so the log is read as well), alternating
    with a bare read of the notification log in pages."""
    from kaoping.api.bootstrap import build_projection

    rates, baselines, seconds_runs = [], [], []
    events = 0
    for _ in range(repeats):
        ledger = open_ledger(url)
        try:
            started = time.perf_counter()
            events = read_all_notifications(ledger.recorder)
            baselines.append(events / (time.perf_counter() - started))
        finally:
            ledger.close()
        ledger = open_ledger(url)
        try:
            projection = build_projection(ledger)
            started = time.perf_counter()
            projection.rebuild()
            seconds = time.perf_counter() - started
        finally:
            ledger.close()
        seconds_runs.append(seconds)
        rates.append(events / seconds)
    return [row("rebuild", f"rebuild scores read model, {label}", "events/s", statistics.median(rates),
                baseline=statistics.median(baselines),
                baseline_name=f"select_notifications, pages of {NOTIFICATION_PAGE}",
                target="ratio >= 0.5", target_ratio=0.5, events=events,
                seconds=[round(s, 3) for s in seconds_runs], runs=[round(r) for r in rates],
                baseline_runs=[round(b) for b in baselines])]


# -- step 4: read latencies ------------------------------------------------------------------------
def timed(call: Callable[[], Any], times: int) -> list[float]:
    samples = []
    for _ in range(times):
        started = time.perf_counter()
        call()
        samples.append(time.perf_counter() - started)
    return samples


def step_latency(url: str, *, rounds: int = 3, units_per_group: int | None = None,
                 standings_n: int = 60, log_standings_n: int = 3, replays: int = 2,
                 label: str = "demo year", targets: bool = True) -> list[dict[str, Any]]:
    """Latencies of the read paths on an ingested ledger, after one warm-up call of each."""
    from kaoping.api.bootstrap import build_projection
    from kaoping.projections.scores import current_document

    ledger = open_ledger(url)
    try:
        registry = ledger.registry()
        groups: dict[str, list[str]] = {}
        for unit in sorted(registry.units.values(), key=lambda u: u.code):
            groups.setdefault(unit.group, []).append(unit.code)
        codes = [code for members in groups.values() for code in members[:units_per_group]]
        ledger.score(codes[0])  # warm: the log is read once, then followed incrementally
        score_samples: list[float] = []
        for _ in range(rounds):
            for code in codes:
                started = time.perf_counter()
                ledger.score(code)
                score_samples.append(time.perf_counter() - started)
        projection = build_projection(ledger)
        projection.catch_up()

        def standings() -> Any:  # what GET /v1/standings does
            projection.catch_up()
            return projection.standings()

        standings()
        served = [s for _ in range(rounds) for code in codes  # what GET /v1/units/{code}/score does
                  for s in timed(lambda c=code: current_document(projection, c), 1)]
        rows = [
            latency_row("latency", f"score(code) with explanation, {label}", score_samples,
                        20 if targets else None, units=len(codes), groups=sorted(groups)),
            latency_row("latency", f"  the same as GET /v1/units/{{code}}/score sends it, {label}",
                        served, 20 if targets else None),
            latency_row("latency", f"standings (catch_up + read model), {label}",
                        timed(standings, standings_n), 10 if targets else None),
        ]
        if log_standings_n:
            rows.append(latency_row(
                "latency", f"standings --as-of {DEMO_AS_OF} (from log), {label}",
                timed(lambda: ledger.standings_from_log(as_of=DEMO_AS_OF), log_standings_n), None))

            def stored() -> Any:  # what GET /v1/standings?as_of= does for a moment asked before
                ledger.reader.scores_cache.clear()  # not the reader's cache: the stored rows
                return projection.standings(as_of=DEMO_AS_OF)

            stored()
            rows.append(latency_row(
                "latency", f"  the same, stored when first asked (reader cache emptied), {label}",
                timed(stored, max(log_standings_n, 20)), 50 if targets else 250))
        if replays:
            firsts = [members[0] for members in groups.values()]
            samples = [s for code in firsts for s in timed(lambda c=code: ledger.replay(c), replays)]
            rows.append(latency_row("latency", f"replay({'/'.join(firsts)}), {label}", samples, None))
        return rows
    finally:
        ledger.close()


# -- scale 20 ----------------------------------------------------------------------------------------
def step_build_large(url: str, *, scale: int, seed: int = 2018, workdir: str,
                     batch: int | None = None) -> list[dict[str, Any]]:
    """Build a large ledger as `kaoping ingest` would (one batch, or files of `batch` commands each),
    but fill the read model with one rebuild: catch_up after a 75k-command batch recomputes scores
    page by page over a growing prefix."""
    from kaoping.demo import demo_year
    from kaoping.api.bootstrap import build_projection

    commands = demo_year(seed=seed, scale=scale)
    items = cli_items(commands, os.path.join(workdir, f"demo-{scale}.jsonl"))
    ledger = open_ledger(url)
    try:
        ledger.init()
        before = ledger.recorder.max_notification_id() or 0
        started = time.perf_counter()
        step = batch or len(items)
        for start in range(0, len(items), step):
            ledger.ingest(items[start:start + step], actor="office")
        seconds = time.perf_counter() - started
        events = (ledger.recorder.max_notification_id() or 0) - before
        started = time.perf_counter()
        build_projection(ledger).rebuild()
        rebuild = time.perf_counter() - started
    finally:
        ledger.close()
    return [
        row("scale", f"bulk ingest, scale {scale} ({len(commands)} cmds, "
            + (f"batches of {batch})" if batch else "1 batch)"), "events/s",
            events / seconds, target="info", events=events, seconds=round(seconds, 2)),
        row("scale", f"rebuild scores read model, scale {scale}", "events/s", events / rebuild,
            target="info", seconds=round(rebuild, 2)),
    ]


STEPS: dict[str, Callable[..., list[dict[str, Any]]]] = {
    "ingest": step_ingest,
    "rebuild": step_rebuild,
    "latency": step_latency,
    "build_large": step_build_large,
}
