"""Bench of the evidence files (issue 24): a 20 MiB upload through a real `kaoping serve`
(`POST /v1/files`) against a bare INSERT of the same bytes as one blob into the same database
(target: throughput ratio >= 0.5), the server's peak RSS growth during the upload (target <= 3 x the
file), and the p99 of a unit's 待办 page (`/todo`, target <= 100 ms) over a demo year.

    .venv/bin/python -m scripts.benchmarks.upload_step --db sqlite|postgres [--scale N] [--mb 20]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import psycopg


from . import cli
from .serving import serving
from .harness import key_of, percentile, row

PG = os.environ.get("KAOPING_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres")


def kaoping(db: str, *args: str) -> str:
    """`kaoping ARGS… --db DB` (scripts/benchmarks/cli.py): what it printed."""
    return cli.kaoping(*args, "--db", db)


def rss(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


def peak_while(pid: int, work: Any) -> tuple[Any, float, int, int]:
    """(what `work()` answered, its seconds, the server's RSS before, its peak RSS meanwhile, sampled
    every 5 ms)."""
    before, peak, done = rss(pid), 0, threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, rss(pid))
            time.sleep(0.005)

    sampler = threading.Thread(target=sample)
    sampler.start()
    started = time.perf_counter()
    try:
        answer = work()
    finally:
        seconds = time.perf_counter() - started
        done.set()
        sampler.join()
    return answer, seconds, before, max(peak, before)


def server_pid(port: int) -> int:
    found = subprocess.run(["ss", "-Hltnp", f"sport = :{port}"], capture_output=True, text=True).stdout
    return int(found.split("pid=")[1].split(",")[0])


def bare_insert(db: str, data: bytes) -> float:
    """Seconds for one INSERT of `data` as a blob into a scratch table of the same database."""
    if db.startswith("sqlite:///"):
        import sqlite3
        conn = sqlite3.connect(db.removeprefix("sqlite:///"))
        conn.execute("CREATE TABLE IF NOT EXISTS bench_blob (data BLOB)")
        started = time.perf_counter()
        with conn:
            conn.execute("INSERT INTO bench_blob VALUES (?)", (data,))
        seconds = time.perf_counter() - started
        conn.close()
        return seconds
    with psycopg.connect(db, autocommit=True) as conn:
        conn.execute("CREATE TABLE IF NOT EXISTS bench_blob (data BYTEA)")
        started = time.perf_counter()
        conn.execute("INSERT INTO bench_blob VALUES (%s)", (data,))
        return time.perf_counter() - started


def _tokens(db: str) -> tuple[str, str]:
    office = kaoping(db, "token", "create", "--actor", "bench", "--role", "office").strip().splitlines()[-1]
    unit = kaoping(db, "token", "create", "--actor", "bench-d03", "--role", "unit", "--unit", "D03").strip().splitlines()[-1]
    return office, unit


def _upload(client: httpx.Client, pid: int, office: str, data: bytes) -> tuple[float, int, int]:
    """(seconds, RSS before, peak RSS) of one upload of `data`, the server's RSS sampled meanwhile."""
    client.post("/v1/files", files={"file": ("warm.pdf", b"%PDF-1.4\nwarm", "application/pdf")},
                headers={"Authorization": f"Bearer {office}"})
    answer, seconds, before, peak = peak_while(pid, lambda: client.post(
        "/v1/files", files={"file": ("bench.pdf", data, "application/pdf")},
        headers={"Authorization": f"Bearer {office}"}))
    assert answer.status_code == 201, answer.text
    return seconds, before, peak


def _todo_times(base: str, unit: str, samples: int) -> list[float]:
    session = httpx.Client(base_url=base, timeout=30, follow_redirects=False)
    session.post("/signin", data={"token": unit, "next": "/todo"})
    times = []
    for _ in range(samples):
        started = time.perf_counter()
        assert session.get("/todo").status_code == 200
        times.append(time.perf_counter() - started)
    return times


def measure(db: str, mb: int, scale: int, workdir: Path) -> dict[str, Any]:
    kaoping(db, "init")
    if scale:
        kaoping(db, "demo", "--scale", str(scale))
    office, unit = _tokens(db)
    data = b"%PDF-1.4\n" + os.urandom(mb * 1024 * 1024 - 9)
    result: dict[str, Any] = {"db": db.split(":")[0], "mb": mb, "scale": scale}
    with serving(db, workdir / "serve.log", timeout=60) as base:
        pid = server_pid(int(base.rsplit(":", 1)[1]))
        with httpx.Client(base_url=base, timeout=120) as client:
            upload, before, peak = _upload(client, pid, office, data)
        result.update(upload_s=upload, rss_before=before, rss_peak=peak, rss_growth_x_file=(peak - before) / len(data))
        times = sorted(_todo_times(base, unit, 200))
        result["todo_p99_ms"] = times[int(len(times) * 0.99) - 1] * 1000
        result["todo_median_ms"] = statistics.median(times) * 1000
    result["bare_insert_s"] = bare_insert(db, data)
    result["throughput_ratio"] = result["bare_insert_s"] / result["upload_s"]
    return result


def step_files(url: str, workdir: str, mb: int = 20, **_: Any) -> list[dict[str, Any]]:
    """scripts/bench: a `mb` MiB upload through a real server on the initialised ledger at `url`
    (throughput against one bare INSERT of the same bytes, the server's peak RSS growth)."""
    folder = Path(workdir)
    os.environ["KAOPING_SIGNING_KEY"] = key_of(url)  # this ledger's own (the server inherits it)
    office, _unit = _tokens(url)
    data = b"%PDF-1.4\n" + os.urandom(mb * 1024 * 1024 - 9)
    with serving(url, folder / "files-serve.log", timeout=120) as base:
        pid = server_pid(int(base.rsplit(":", 1)[1]))
        with httpx.Client(base_url=base, timeout=300) as client:
            upload, before, peak = _upload(client, pid, office, data)
    bare = bare_insert(url, data)
    size = len(data) / (1024 * 1024)
    growth = (peak - before) / len(data)
    return [row("files", f"upload of a {mb} MiB file (POST /v1/files)", "MiB/s", size / upload,
                baseline=size / bare, baseline_name="one bare INSERT of the bytes as a blob",
                target="ratio >= 0.5", target_ratio=0.5),
            row("files", f"server RSS growth during a {mb} MiB upload", "x file", growth,
                target="<= 3 x the file", target_value=3.0, higher_is_better=False,
                notes=f"{(peak - before) / 2**20:.0f} MiB over {before / 2**20:.0f} MiB")]


def step_todo(url: str, workdir: str, samples: int = 200, label: str = "demo year", **_: Any) -> list[dict[str, Any]]:
    """scripts/bench: the p99 of a unit's 待办 page (`/todo`, D03) through a real server."""
    os.environ["KAOPING_SIGNING_KEY"] = key_of(url)
    _office, unit = _tokens(url)
    with serving(url, Path(workdir) / "todo-serve.log", timeout=120) as base:
        _todo_times(base, unit, 10)  # warm: the read model caught up, the caches filled
        times = _todo_times(base, unit, samples)
    return [row("files", f"the unit's 待办 page, {label}", "p99 ms", percentile(times, 99) * 1000,
                target="p99 <= 100 ms", target_value=100.0, higher_is_better=False,
                p50_ms=percentile(times, 50) * 1000, p99_ms=percentile(times, 99) * 1000)]


UPLOAD_STEPS = {"files": step_files, "todo": step_todo}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--mb", type=int, default=20)
    parser.add_argument("--scale", type=int, default=1)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        os.environ["KAOPING_SIGNING_KEY"] = str(workdir / "bench.signing-key")
        if args.db == "sqlite":
            print(json.dumps(measure(f"sqlite:///{workdir / 'bench.db'}", args.mb, args.scale, workdir)))
            return
        name = f"kaoping_bench_{uuid.uuid4().hex[:10]}"
        with psycopg.connect(PG, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        try:
            print(json.dumps(measure(PG.rsplit("/", 1)[0] + "/" + name, args.mb, args.scale, workdir)))
        finally:
            with psycopg.connect(PG, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    main()
