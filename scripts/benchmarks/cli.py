"""The `kaoping` command line as the bench steps call it: one home for what four steps did each in
their own way (set up a ledger, issue a token, register a hook, import or ingest a file).

Each call is a process of its own, as an operator runs it: the import step times `kaoping import`
against `kaoping ingest` so, start-up included on both sides. Where the steps themselves run in
process (`Config.in_process`: the suite's tests/test_bench_smoke.py, which times and judges nothing),
a Python that imports the whole app for each of the smoke run's ~20 calls cost the suite ~20 CPU-s:
there the calls run in this process too, through the same typer app the console script runs.
`kaoping serve` is always a process (`command()`, which `serving.py` and the HTTP step start): they
measure a real server over a socket.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

#: the console script of this venv
SCRIPT = Path(sys.executable).parent / "kaoping"

_in_process = False


@contextmanager
def in_process(on: bool = True) -> Iterator[None]:
    """Within the block, `kaoping()` runs each command in this process (`on`), or as a process."""
    global _in_process
    before, _in_process = _in_process, on
    try:
        yield
    finally:
        _in_process = before


def command() -> list[str]:
    """The argv that starts `kaoping` as a process: the console script, or the module where this
    venv has none."""
    return [str(SCRIPT)] if SCRIPT.exists() else [sys.executable, "-c",
                                                  "from kaoping.api.cli import main; main()"]


def kaoping(*args: str, env: Mapping[str, str] | None = None) -> str:
    """`kaoping ARGS…` with the variables of `env` over this process's own: what it printed on
    stdout. A command that fails raises `CommandFailed`, with what it said, in this process or not."""
    if _in_process:
        from typer.testing import CliRunner

        from kaoping.api.cli import app

        result = CliRunner().invoke(app, list(args), env=dict(env or {}))
        if result.exit_code != 0:
            unexpected = result.exception is not None and not isinstance(result.exception, SystemExit)
            raise CommandFailed(args, result.exit_code,
                                result.output + (f"\n{result.exception!r}" if unexpected else ""))
        return result.stdout
    done = subprocess.run([*command(), *args], capture_output=True, text=True,
                          env={**os.environ, **(env or {})})
    if done.returncode != 0:
        raise CommandFailed(args, done.returncode, done.stderr or done.stdout)
    return done.stdout


class CommandFailed(RuntimeError):
    """A `kaoping` command that exited with a code other than 0 (the bench's row shows its words)."""

    def __init__(self, args: tuple[str, ...], code: int, said: str):
        super().__init__(f"kaoping {' '.join(args)} exited {code}: {said.strip()[-1500:]}")


__all__ = ["CommandFailed", "command", "in_process", "kaoping"]
