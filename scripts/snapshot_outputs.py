"""Every reader's output on one ledger file, written to a folder, so that a refactoring can be shown to
change no byte: run it before and after on copies of the same database and `diff -r` the folders.

    .venv/bin/python scripts/snapshot_outputs.py LEDGER.db OUT_DIR [--make]

`--make` first records the demo year (and two tokens, kept in LEDGER.db.tokens.json) into a new
LEDGER.db. The script then works on a copy of LEDGER.db, so the file itself stays as it was. It
drives the product only from outside: the `kaoping` command line (in process, through typer's
runner) and a real `kaoping serve` over HTTP; per-session values (CSRF tokens, form nonces) are
blanked in the pages.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from typer.testing import CliRunner

from kaoping.api.cli import app

KAOPING = Path(sys.executable).with_name("kaoping")
AS_OF = ("2018-03-31", "2018-07-31", "2018-12-20")


def cli(db: str | None, *args: str) -> str:
    result = CliRunner().invoke(app, [*args, *(["--db", db] if db else [])], catch_exceptions=False)
    if result.exit_code not in (0, 1):
        raise SystemExit(f"kaoping {' '.join(args)} exited {result.exit_code}: {result.output}")
    return result.stdout


def make(path: Path) -> None:
    db = f"sqlite:///{path}"
    cli(db, "init")
    cli(db, "demo")
    tokens = {}
    for name, args in (("auditor", ["--role", "auditor"]), ("unit", ["--role", "unit", "--unit", "D03"]),
                       ("office", ["--role", "office"])):
        out = cli(db, "token", "create", "--actor", f"snapshot-{name}", *args)
        tokens[name] = out.strip().splitlines()[-1]
    Path(f"{path}.tokens.json").write_text(json.dumps(tokens), encoding="utf-8")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


SESSION_VALUES = re.compile(r'(name="(?:csrf|nonce)" value=")[^"]*(")')


def pages(db: str, tokens: dict[str, str], out: Path) -> None:
    port = _free_port()
    server = subprocess.Popen([str(KAOPING), "serve", "--port", str(port), "--db", db,
                               "--no-access-log"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(1200):  # a loaded machine: a server may take a while to start
            try:
                if httpx.get(f"{base}/healthz").status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        api = {"Authorization": f"Bearer {tokens['auditor']}"}
        for name, path in (("units", "/v1/units"), ("standings", "/v1/standings"),
                           ("standings-asof", "/v1/standings?as_of=2018-07-31&stage=half_year"),
                           ("score-D03", "/v1/units/D03/score"), ("history-T01", "/v1/units/T01/history"),
                           ("replay-Z02", "/v1/units/Z02/replay"), ("verify", "/v1/verify"),
                           ("standings.csv", "/v1/exports/standings.csv"),
                           ("D03-score.csv", "/v1/exports/units/D03/score.csv?as_of=2018-07-31")):
            response = httpx.get(base + path, headers=api, timeout=60)
            (out / f"http-{name}").write_bytes(f"{response.status_code}\n".encode() + response.content)
        for who in ("auditor", "unit"):
            with httpx.Client(base_url=base, timeout=60) as browser:
                browser.post("/signin", data={"token": tokens[who], "next": "/"})
                for name, path in (("standings", "/"), ("process", "/?stage=process"),
                                   ("asof", "/?as_of=2018-07-31"), ("D03", "/units/D03"),
                                   ("T01", "/units/T01"), ("D03-asof", "/units/D03?as_of=2018-07-31"),
                                   ("csv", "/exports/standings.csv"),
                                   ("D03.csv", "/units/D03/score.csv")):
                    response = browser.get(path)
                    body = SESSION_VALUES.sub(r"\1…\2", response.text)
                    (out / f"web-{who}-{name}").write_text(f"{response.status_code}\n{body}",
                                                            encoding="utf-8")
    finally:
        server.terminate()
        server.wait(30)


def snapshot(path: Path, out: Path) -> None:
    tokens = json.loads(Path(f"{path}.tokens.json").read_text(encoding="utf-8"))
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as scratch:
        copy = Path(scratch) / "ledger.db"
        shutil.copyfile(path, copy)
        db = f"sqlite:///{copy}"
        units = [u["unit"] for u in json.loads(cli(db, "standings", "--json"))]
        for code in sorted(units):
            for name, args in (("score", ["score", code]), ("history", ["history", code]),
                               ("replay", ["replay", code]),
                               ("score-asof", ["score", code, "--as-of", "2018-07-31"]),
                               ("score-upto", ["score", code, "--upto", "3000"])):
                (out / f"{code}-{name}.json").write_text(cli(db, *args, "--json"), encoding="utf-8")
        for stage in ("process", "half_year", "annual"):
            (out / f"standings-{stage}.json").write_text(
                cli(db, "standings", "--stage", stage, "--json"), encoding="utf-8")
            for day in AS_OF:
                (out / f"standings-{stage}-{day}.json").write_text(
                    cli(db, "standings", "--stage", stage, "--as-of", day, "--json"), encoding="utf-8")
        for name, args in (("verify", ["verify", "--json"]), ("scheme", ["scheme", "show", "--json"]),
                           ("tables-score-D03", ["score", "D03"]), ("tables-standings", ["standings"]),
                           ("tables-replay-T03", ["replay", "T03"]),
                           ("tables-history-Z01", ["history", "Z01"])):
            (out / name).write_text(cli(db, *args), encoding="utf-8")
        export = Path(scratch) / "export.jsonl"
        cli(db, "export", "--out", str(export))
        shutil.copyfile(export, out / "export.jsonl")
        (out / "verify-file.json").write_text(cli(None, "verify", "--file", str(export), "--json"),
                                              encoding="utf-8")
        pages(db, tokens, out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("ledger", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("--make", action="store_true", help="first record the demo year into LEDGER")
    options = parser.parse_args()
    if options.make:
        if options.ledger.exists():
            raise SystemExit(f"{options.ledger} exists; --make writes a new ledger")
        make(options.ledger)
    snapshot(options.ledger, options.out)


if __name__ == "__main__":
    os.environ.setdefault("KAOPING_TZ", "Asia/Shanghai")
    main()
