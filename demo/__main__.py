"""`python -m kaoping.demo [--seed N] [--scale N] [--actors] > year.jsonl`: the simulated year as JSON
Lines, to ingest elsewhere or to read."""

from __future__ import annotations

import argparse
import json
import sys

from .year import demo_year


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m kaoping.demo",
                                     description="print a simulated 2018 year as JSON Lines")
    parser.add_argument("--seed", type=int, default=2018)
    parser.add_argument("--scale", type=int, default=1)
    parser.add_argument("--actors", action="store_true", help="name who records each command")
    args = parser.parse_args(argv)
    for cmd in demo_year(args.seed, args.scale, actors=args.actors):
        sys.stdout.write(json.dumps(cmd, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
