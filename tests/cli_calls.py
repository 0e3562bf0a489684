"""The `kaoping` command line run in this process, for the tests that only need what a command does
(set up a ledger, issue a token, read a figure): typer's CliRunner over `kaoping.api.cli.app`, the
same commands the console script runs, without starting a Python that imports the whole app for each
call (~0.7 CPU-s a call). The console script itself, as a process (its exit codes, its words on
stderr, `kaoping serve`), stays tested as a process: tests/test_cli.py, test_hooks.py, test_http_e2e.py
and every browser walk's server."""

from __future__ import annotations

from collections.abc import Mapping

from typer.testing import CliRunner

from kaoping.api.cli import app


def kaoping_cli(*args: str, stdin: str | None = None, env: Mapping[str, str] | None = None,
                codes: tuple[int, ...] = (0,)) -> str:
    """`kaoping ARGS…` with `stdin` and the variables of `env` set for the call: what it printed on
    stdout. Fails the test on an exit code outside `codes`, showing what it said."""
    result = CliRunner().invoke(app, [str(a) for a in args], input=stdin, env=dict(env or {}))
    said = f"kaoping {' '.join(map(str, args))} exited {result.exit_code}: {result.output} {result.exception!r}"
    # an exception no command turned into words (the console script would print 内部错误) fails
    assert result.exception is None or isinstance(result.exception, SystemExit), said
    assert result.exit_code in codes, said
    return result.stdout
