"""Step 2: single-command HTTP appends from concurrent clients against a real `kaoping serve`."""

from __future__ import annotations

import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

from kaoping.domain.names import unit_of

from . import cli
from .harness import key_of, latency_row, raw_insert_rate, row

REPO = Path(__file__).resolve().parents[2]


def partition(commands: list[dict[str, Any]],
              clients: int) -> tuple[list[dict[str, Any]], list[list[dict[str, Any]]]]:
    """(shared, per client). A command about one unit (its `unit`, or for a void or a ruling the unit
    of what it acts on) belongs to the client that owns the unit (units dealt round-robin) and keeps
    its order there; the rest (ballots, which touch many units, round closes, publications) is shared
    and posted first, untimed. Validity only depends on entries the command refers to, which are its
    own unit's or shared, so every command stays valid."""
    owner_of: dict[str, str | None] = {}
    dispute_unit: dict[str, str] = {}
    for command in commands:
        unit = command.get("unit")
        if command["type"] == "entry.voided":
            unit = owner_of.get(command["target"])
        elif command["type"] == "dispute.resolved":
            unit = dispute_unit.get(command["dispute"])
        elif command["type"] == "dispute.filed":
            dispute_unit[command["dispute"]] = unit
        owner_of[command["id"]] = unit
    units = sorted({unit for unit in owner_of.values() if unit is not None})
    owner = {unit: i % clients for i, unit in enumerate(units)}
    shared: list[dict[str, Any]] = []
    lists: list[list[dict[str, Any]]] = [[] for _ in range(clients)]
    for command in commands:
        unit = owner_of[command["id"]]
        (shared if unit is None else lists[owner[unit]]).append(command)
    return shared, lists


def _tree(pid: int) -> list[int]:
    """The process and its descendants (granian serves from worker processes it spawns)."""
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        for task in Path(f"/proc/{current}/task").glob("*/children"):
            try:
                todo.extend(int(child) for child in task.read_text().split())
            except OSError:
                continue
    return found


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _proc_cpu_seconds(pid: int) -> float:
    """CPU seconds of the process and its descendants, as they are now."""
    total = 0.0
    for member in _tree(pid):
        try:
            fields = Path(f"/proc/{member}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def _proc_peak_rss_mb(pid: int) -> float | None:
    """The largest peak RSS among the process and its descendants (the one serving, for granian)."""
    peaks = []
    for member in _tree(pid):
        try:
            lines = Path(f"/proc/{member}/status").read_text().splitlines()
        except OSError:
            continue
        peaks += [int(line.split()[1]) / 1024 for line in lines if line.startswith("VmHWM:")]
    return max(peaks, default=None)


def _wait_healthy(url: str, server: subprocess.Popen[bytes], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"kaoping serve exited with {server.returncode}")
        try:
            with urllib.request.urlopen(url + "/healthz", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("kaoping serve did not answer /healthz in time")


def step_http(url: str, baseline_target: str, commands: list[dict[str, Any]], *, workdir: str,
              server: str = "uvicorn", clients: int = 16,
              duration: float = 20.0, warmup: int = 2, baseline_seconds: float = 2.0,
              floor_seconds: float = 3.0, label: str = "demo year") -> list[dict[str, Any]]:
    os.environ["KAOPING_SIGNING_KEY"] = key_of(url)  # this ledger's own (the server inherits it)
    cli.kaoping("init", "--db", url)
    token = cli.kaoping("token", "create", "--actor", "bench-office", "--role", "office",
                        "--db", url).strip().splitlines()[-1]
    shared, lists = partition(commands, clients)
    config = Path(workdir) / f"loadgen-{os.getpid()}-{time.monotonic_ns()}.json"
    port = _free_port()
    base_url = f"http://127.0.0.1:{port}"
    config.write_text(json.dumps({"base_url": base_url, "token": token, "shared": shared,
                                  "clients": lists, "duration": duration, "warmup": warmup,
                                  "floor_seconds": floor_seconds},
                                 ensure_ascii=False), encoding="utf-8")

    baselines = [raw_insert_rate(baseline_target, seconds=baseline_seconds)]
    server_log = open(Path(workdir) / f"serve-{port}.log", "wb")  # noqa: SIM115 - closed below
    served_by = server
    server = subprocess.Popen([*cli.command(), "serve", "--host", "127.0.0.1", "--port", str(port),
                               "--server", served_by, "--db", url],
                              stdout=server_log, stderr=subprocess.STDOUT)
    try:
        _wait_healthy(base_url, server)
        load = subprocess.Popen([sys.executable, "-m", "scripts.benchmarks.loadgen", str(config)],
                                cwd=REPO, stdout=subprocess.PIPE, text=True)
        assert load.stdout is not None
        server_cpu = 0.0
        result: dict[str, Any] | None = None
        started = ended = 0.0
        pyspy = os.environ.get("KAOPING_BENCH_PYSPY")  # a py-spy binary: profile the server
        profile: subprocess.Popen[bytes] | None = None
        for line in load.stdout:
            if line.strip() == "START":
                server_cpu, started = _proc_cpu_seconds(server.pid), time.perf_counter()
                if pyspy:
                    out = REPO / "bench-results" / f"pyspy-http-{url.split(':')[0]}-{port}.txt"
                    out.parent.mkdir(exist_ok=True)
                    profile = subprocess.Popen([pyspy, "record", "-p", str(server.pid), "-f", "raw",
                                                "-r", "50", "-d", str(int(duration)), "--nonblocking",
                                                "-o", str(out)], stdout=subprocess.DEVNULL,
                                               stderr=subprocess.DEVNULL)
            elif line.strip() == "END":
                server_cpu = _proc_cpu_seconds(server.pid) - server_cpu
                ended = time.perf_counter()
            elif line.startswith("{"):
                result = json.loads(line)
        if profile is not None:
            profile.wait()
        if load.wait() != 0 or result is None:
            raise RuntimeError(f"load generator failed (exit {load.returncode}); see {config}")
        server_peak = _proc_peak_rss_mb(server.pid)
    finally:
        server.send_signal(signal.SIGINT)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        server_log.close()
    baselines.append(raw_insert_rate(baseline_target, seconds=baseline_seconds))
    rates, info = [b[0] for b in baselines], baselines[0][1]
    window = max(ended - started, 1e-9)
    server_cpu_pct = 100 * server_cpu / window
    cpu_ms = 1000 * server_cpu / max(result["requests"], 1)
    notes = (f"errors {result['errors']}, loadgen CPU {result['cpu_percent']:.0f}% "
             f"({result['library']}), server CPU {server_cpu_pct:.0f}% = {cpu_ms:.2f} ms/request; "
             f"GET /healthz ceiling {result['floor_rate']:.0f} req/s")
    append = row("http", f"HTTP POST 1 command x {result['clients']} clients, {served_by}, {label}", "req/s",
                 result["rate"], baseline=statistics.median(rates),
                 baseline_name=f"1-row INSERT+COMMIT loop ({info['driver']})",
                 target="ratio >= 1.0, 0 errors", target_ratio=1.0,
                 p50_ms=None, p99_ms=None, notes=notes, errors=result["errors"],
                 warmup_errors=result["warmup_errors"], first_errors=result["first_errors"],
                 requests=result["requests"], seconds=round(result["seconds"], 2),
                 loadgen_cpu_percent=round(result["cpu_percent"], 1), loadgen=result["library"],
                 server=served_by, server_cpu_percent=round(server_cpu_pct, 1),
                 server_peak_rss_mb=server_peak,
                 server_cpu_ms_per_request=round(cpu_ms, 3),
                 healthz_ceiling_rps=round(result["floor_rate"], 1),
                 clients_exhausted=result["clients_exhausted"], shared_setup_commands=len(shared),
                 baseline_runs=[round(r) for r in rates], baseline_settings=info)
    lat = latency_row("http", "  per-request latency", result["latencies"], None)
    append["p50_ms"], append["p99_ms"] = lat["p50_ms"], lat["p99_ms"]
    if append["target_met"] is not None:
        append["target_met"] = append["target_met"] and result["errors"] == 0 \
            and result["warmup_errors"] == 0
    append["peak_rss_mb"] = server_peak
    return [append]
