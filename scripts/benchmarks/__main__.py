"""`scripts/bench [--db sqlite|postgres|both] [--quick|--smoke] [--skip-scale20] [--json-out PATH]`."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from .http_step import REPO
from .runner import Config, run


def _num(value: float | None, digits: int = 0) -> str:
    if value is None:
        return ""
    if abs(value) >= 100 or digits == 0 and abs(value) >= 10:
        return f"{value:,.0f}"
    return f"{value:,.{max(digits, 2)}f}" if abs(value) < 10 else f"{value:,.1f}"


def table(results: dict[str, Any]) -> Table:
    out = Table(title=f"Kaoping bench {results['started_at']} ({results['seconds']} s, "
                      f"{results['host']['cpus']} CPUs, load at end "
                      f"{results['host']['load_avg_at_end'][0]:.1f})", show_lines=False)
    for column, justify in [("db", "left"), ("measurement", "left"), ("value", "right"),
                            ("metric", "left"), ("baseline", "right"), ("ratio", "right"),
                            ("target", "left"), ("ok", "center"), ("p50 / p99 ms", "right"),
                            ("peak RSS MB", "right"), ("baseline / notes", "left")]:
        out.add_column(column, justify=justify)  # type: ignore[arg-type]
    for r in results["rows"]:
        met = r["target_met"]
        ok = "[red]ERR[/]" if r["target"] == "error" else \
            "" if met is None else ("[green]yes[/]" if met else "[red]NO[/]")
        lat = f"{r['p50_ms']:.1f} / {r['p99_ms']:.1f}" if r.get("p50_ms") is not None else ""
        notes = " ".join(x for x in (r.get("baseline_name") or "", r["details"].get("notes", "")) if x)
        out.add_row(r["db"], r["name"], _num(r["value"], 2), r["metric"], _num(r["baseline"]),
                    _num(r["ratio"], 2), r["target"] or "", ok, lat, _num(r.get("peak_rss_mb")),
                    notes)
    for kind, why in results.get("skipped", {}).items():
        out.add_row(kind, "skipped", "", "", "", "", "", "", "", "", why)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="scripts/bench", description=__doc__)
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--quick", action="store_true", help="smaller counts, for a smoke run")
    parser.add_argument("--smoke", action="store_true",
                        help="the smallest counts that still run every step (no large ledger): shows "
                             "the harness works, its figures judge nothing")
    parser.add_argument("--skip-scale20", action="store_true", help="skip the large (scale 20) ledger")
    parser.add_argument("--scale20-db", choices=["sqlite", "postgres", "both"], default="both",
                        help="where to build the large ledger (default: every measured kind)")
    parser.add_argument("--http-seconds", type=float, help="timed part of the HTTP load")
    parser.add_argument("--clients", type=int, help="concurrent HTTP clients (default 16; 2 with --smoke)")
    parser.add_argument("--only", help="comma-separated steps: ingest,http,hooks,rebuild,latency,log,files,due,imports,scale")
    parser.add_argument("--json-out", type=Path, help="default: bench-results/bench-<timestamp>.json")
    args = parser.parse_args(argv)

    kinds = ["sqlite", "postgres"] if args.db == "both" else [args.db]
    overrides: dict[str, Any] = {"kinds": kinds}
    if args.clients is not None:
        overrides["http_clients"] = args.clients
    if args.http_seconds is not None:
        overrides["http_seconds"] = args.http_seconds
    if args.only:
        overrides["only"] = set(args.only.split(","))
    if args.skip_scale20:
        overrides["large_scale"] = None
    if args.scale20_db != "both":
        overrides["large_kinds"] = [args.scale20_db]
    config = (Config.smoke(**overrides) if args.smoke else Config.quick(**overrides) if args.quick
              else Config(**overrides))

    console = Console(width=None if sys.stdout.isatty() else 230)
    err = Console(stderr=True)
    results = run(config, log=lambda message: err.print(message, style="dim", markup=False, highlight=False))
    console.print(table(results))
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    path = args.json_out or REPO / "bench-results" / f"bench-{stamp}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(results, indent=2, default=str) + "\n", encoding="utf-8")
    console.print(f"JSON: {path}", highlight=False)
    failed = [r for r in results["rows"] if r["target_met"] is False]
    if failed:
        console.print(f"[yellow]{len(failed)} target(s) not met[/] (the bench reports; it does not fail)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
