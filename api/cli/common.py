"""What every `kaoping` command shares: the consoles, the common options, how a command opens the
ledger (through the composition root) and how it fails (a clear line on stderr and an exit code)."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import ValidationError
from rich.console import Console

from kaoping.api import bootstrap as root
from kaoping.domain.errors import KaopingError
from kaoping.ledger.settings import Settings

out = Console()
err = Console(stderr=True)

Db = Annotated[str | None, typer.Option("--db", help="sqlite:///PATH or postgresql://USER@HOST:PORT/DB "
                                                    "(default: $KAOPING_DATABASE_URL)")]
AsJson = Annotated[bool, typer.Option("--json", help="print one JSON document")]
AsOf = Annotated[str | None, typer.Option("--as-of", help="knowledge time: a date (end of that day, "
                                                       "$KAOPING_TZ) or an ISO datetime")]


def fail(message: str, code: int = 1) -> typer.Exit:
    err.print(f"[bold red]error:[/] {message}", highlight=False)
    return typer.Exit(code)


def settings_for(db: str | None) -> Settings:
    try:
        return root.load_settings(db)
    except ValidationError as error:
        first = error.errors(include_url=False)[0]
        message = first["msg"].removeprefix("Value error, ")
        raise fail(f"configuration: {first['loc'][0]}: {message}", 2) from None


@contextmanager
def opened(db: str | None) -> Iterator[root.Services]:
    """The services over the ledger at `db`; a domain error ends the command with its message."""
    services = root.bootstrap(settings_for(db))
    try:
        yield services
    except KaopingError as error:
        raise fail(str(error)) from None
    finally:
        services.close()


def print_json(document: Any) -> None:
    sys.stdout.write(json.dumps(document, ensure_ascii=False, indent=2, default=str) + "\n")


def read_commands(path: str) -> list[tuple[int, Any]]:
    """(line number, object) for each non-blank line; numbers are read as Decimal, never float."""
    try:
        text = sys.stdin.read() if path == "-" else Path(path).read_text(encoding="utf-8-sig")
    except OSError as error:
        raise fail(f"cannot read {path}: {error.strerror}") from None
    items = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            items.append((number, json.loads(line, parse_float=Decimal)))
        except json.JSONDecodeError as error:
            raise fail(f"line {number}: not valid JSON ({error.msg} at column {error.colno}); "
                       "nothing appended") from None
        except RecursionError:
            raise fail(f"line {number}: nested too deeply to be a command; nothing appended") from None
    return items


@contextmanager
def progress(total: int) -> Iterator[Any]:
    """A progress callback for long batches on a terminal, or None."""
    if total < 500 or not err.is_terminal:
        yield None
        return
    from rich.progress import Progress

    with Progress(console=err, transient=True) as bar:
        task = bar.add_task("checking commands", total=total)
        yield lambda n: bar.update(task, completed=n)


def codes(text: str | None) -> list[str]:
    """A comma-separated list of unit or indicator codes, upper-cased."""
    return [code.strip().upper() for code in (text or "").split(",") if code.strip()]
