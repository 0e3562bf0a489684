"""Smoke test of the benchmark harness (scripts/bench): the smallest counts that still run every step
(`Config.smoke`, as `scripts/bench --smoke`), nothing timed or judged, only that every step runs and
reports a positive figure against a positive baseline in the documented shape."""

from __future__ import annotations

import json

from scripts.benchmarks.__main__ import table
from scripts.benchmarks.runner import Config, run

ROW_KEYS = {"db", "step", "name", "metric", "value", "baseline", "baseline_name", "ratio", "target",
            "target_met", "p50_ms", "p99_ms", "peak_rss_mb", "details"}


def test_bench_harness_runs_on_sqlite_and_reports_ratios() -> None:
    config = Config.smoke(kinds=["sqlite"], in_process=True)
    results = json.loads(json.dumps(run(config)))  # the JSON document, as written by the bench
    assert {"started_at", "seconds", "host", "config", "skipped", "rows"} <= set(results)
    rows = results["rows"]
    assert {r["step"] for r in rows} == {"ingest", "http", "hooks", "rebuild", "latency", "log", "files", "due",
                                         "imports"}
    for r in rows:
        assert ROW_KEYS <= set(r), r["name"]
        assert r["db"] == "sqlite"
        assert r["value"] is not None and r["value"] > 0, r["name"]
        assert r["peak_rss_mb"] > 0
    compared = [r for r in rows if r["baseline"] is not None]
    assert {r["step"] for r in compared} == {"ingest", "http", "hooks", "rebuild", "log", "files", "imports"}
    for r in compared:
        assert r["baseline"] > 0 and r["ratio"] > 0 and r["target"].startswith(("ratio", "info"))
    for step in ("ingest", "http", "hooks", "rebuild", "files", "imports"):  # each step's judged line is its first
        assert next(r for r in compared if r["step"] == step)["target"].startswith("ratio")
    http = next(r for r in rows if r["step"] == "http")
    assert http["details"]["errors"] == 0 and http["details"]["requests"] > 0
    assert http["details"]["healthz_ceiling_rps"] > 0 and http["details"]["server_cpu_ms_per_request"] > 0
    assert 0 < http["p50_ms"] <= http["p99_ms"]
    assert table(results).row_count == len(rows)
