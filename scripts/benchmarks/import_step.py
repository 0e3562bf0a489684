"""Bench of spreadsheets in (issue 26): the demo year's task list and node results imported as xlsx
(`kaoping import`) against `kaoping ingest` of the same commands as JSON Lines, each on a fresh
ledger in the same run (target: the import's rate >= 0.8 of the ingest's); the page's preview step
of the node results through a real server (`POST /v1/imports?dry_run=true`, target <= 2 s) and the
server's peak RSS growth while it previews and imports them (target <= 100 MB).

    .venv/bin/python -m scripts.benchmarks.import_step --db sqlite|postgres
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import psycopg


from .cli import kaoping
from .serving import serving
from .harness import key_of, row
from .upload_step import peak_while, server_pid

PG = os.environ.get("KAOPING_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres")


def _run(url: str, *args: str) -> float:
    """Seconds of one `kaoping … --db url` (the ledger's own signing key; a process of its own, but
    where the steps run in process: scripts/benchmarks/cli.py)."""
    started = time.perf_counter()
    kaoping(*args, "--db", url, env={"KAOPING_SIGNING_KEY": key_of(url)})
    return time.perf_counter() - started


def _files(folder: Path, seed: int) -> dict[str, Any]:
    """The demo year's tasks and node results as JSON Lines and as xlsx sheets (the templates' layout)."""
    from kaoping.api.bootstrap import build_ledger
    from kaoping.api.templates import fill
    from kaoping.demo.year import demo_year
    from kaoping.domain.principals import OFFICE
    from kaoping.ledger.settings import Settings
    from tests.sheet_rows import demo_subset, sheet_rows

    year = demo_year(seed)
    url = f"sqlite:///{folder / 'known.db'}"
    os.environ["KAOPING_SIGNING_KEY"] = key_of(url)
    ledger = build_ledger(Settings(database_url=url))
    ledger.init()
    known = ledger.import_known(OFFICE)
    ledger.close()
    made: dict[str, Any] = {}
    for kind in ("tasks", "node_results"):
        commands = demo_subset(kind, year)
        jsonl, xlsx = folder / f"{kind}.jsonl", folder / f"{kind}.xlsx"
        jsonl.write_text("".join(json.dumps(c, ensure_ascii=False) + "\n" for c in commands), "utf-8")
        heads, rows = sheet_rows(kind, commands, known)
        xlsx.write_bytes(fill(kind, known, rows, extra_headers=heads))
        made[kind] = {"jsonl": jsonl, "xlsx": xlsx, "commands": len(commands), "rows": len(rows)}
    return made




def step_imports(json_url: str, sheet_url: str, served_url: str, workdir: str, seed: int = 7,
                 **_: Any) -> list[dict[str, Any]]:
    """scripts/bench: `kaoping import` of the demo year's tasks and node results as xlsx against
    `kaoping ingest` of the same JSON Lines (fresh ledgers, same run); the preview step and the
    server's RSS through a real `kaoping serve`."""
    folder = Path(workdir)
    made = _files(folder, seed)
    ingest = imported = 0.0
    for url in (json_url, sheet_url, served_url):
        _run(url, "init")
    for kind in ("tasks", "node_results"):
        ingest += _run(json_url, "ingest", str(made[kind]["jsonl"]))
        imported += _run(sheet_url, "import", str(made[kind]["xlsx"]), "--kind", kind)
    commands = sum(m["commands"] for m in made.values())
    rows = sum(m["rows"] for m in made.values())
    result = [row("imports", f"import of the demo year's tasks and node results as xlsx ({rows} rows, "
                             f"{commands} commands)", "commands/s", commands / imported,
                  baseline=commands / ingest, baseline_name="kaoping ingest of the same JSON Lines",
                  target="ratio >= 0.8", target_ratio=0.8, rows=rows, commands=commands,
                  import_s=round(imported, 2), ingest_s=round(ingest, 2))]
    # the page's preview of the node results, and the import itself, through a real server
    _run(served_url, "import", str(made["tasks"]["xlsx"]), "--kind", "tasks")
    env_key = os.environ.get("KAOPING_SIGNING_KEY")
    os.environ["KAOPING_SIGNING_KEY"] = key_of(served_url)
    try:
        token = kaoping("token", "create", "--actor", "bench", "--role", "office",
                        "--db", served_url).strip().splitlines()[-1]
        data = made["node_results"]["xlsx"].read_bytes()
        with serving(served_url, folder / "imports-serve.log", timeout=120) as base:
            pid = server_pid(int(base.rsplit(":", 1)[1]))
            with httpx.Client(base_url=base, timeout=300, headers={"Authorization": f"Bearer {token}"}) as client:
                client.get("/v1/standings")  # warm: the read model caught up, the log read once

                def post(dry: bool) -> httpx.Response:
                    answer = client.post(f"/v1/imports?kind=node_results&dry_run={'true' if dry else 'false'}",
                                         files={"file": ("node_results.xlsx", data, "application/octet-stream")})
                    assert answer.status_code in (200, 201), answer.text[:500]
                    return answer

                _answer, preview_s, before, peak_preview = peak_while(pid, lambda: post(True))
                _answer, commit_s, _before, peak_commit = peak_while(pid, lambda: post(False))
    finally:
        if env_key is not None:
            os.environ["KAOPING_SIGNING_KEY"] = env_key
    growth = (max(peak_preview, peak_commit) - before) / 2**20
    result += [row("imports", f"preview of the node results (POST /v1/imports?dry_run=true, "
                              f"{made['node_results']['rows']} rows)", "s", preview_s,
                   target="<= 2 s", target_value=2.0, higher_is_better=False, commit_s=round(commit_s, 2)),
               row("imports", "server peak RSS growth while it previews and imports the node results", "MB",
                   growth, target="<= 100 MB", target_value=100.0, higher_is_better=False,
                   notes=f"{before / 2**20:.0f} MiB before")]
    return result


IMPORT_STEPS = {"imports": step_imports}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        os.environ["KAOPING_SIGNING_KEY"] = str(workdir / "bench.signing-key")
        if args.db == "sqlite":
            urls = [f"sqlite:///{workdir / name}.db" for name in ("json", "sheet", "served")]
            print(json.dumps(step_imports(*urls, workdir=str(workdir)), ensure_ascii=False, indent=1))
            return
        names = [f"kaoping_bench_{uuid.uuid4().hex[:10]}" for _ in range(3)]
        with psycopg.connect(PG, autocommit=True) as conn:
            for name in names:
                conn.execute(f'CREATE DATABASE "{name}"')
        try:
            urls = [PG.rsplit("/", 1)[0] + "/" + name for name in names]
            print(json.dumps(step_imports(*urls, workdir=str(workdir)), ensure_ascii=False, indent=1))
        finally:
            with psycopg.connect(PG, autocommit=True) as conn:
                for name in names:
                    conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    main()
