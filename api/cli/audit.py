"""`kaoping verify` and `kaoping export`: the auditor's commands. `verify --file` checks an exported
copy with no database opened."""

from __future__ import annotations

import sys
from typing import Annotated, Any

import typer

from .common import AsJson, Db, err, fail, opened, out, print_json

app = typer.Typer()


@app.command()
def verify(
    db: Db = None,
    file: Annotated[str | None, typer.Option("--file", help="check an exported JSON Lines file (from "
                                                         "`kaoping export`, or - for stdin) "
                                                         "instead of a database; opens none")] = None,
    as_json: AsJson = False,
) -> None:
    """Walk the hash chain; exit 1 at the first modified, deleted, inserted or reordered entry."""
    if file is not None:
        if db is not None:
            raise fail("--file checks an export without a database: leave out --db", 2)
        report = _verify_file(file)
    else:
        with opened(db) as services:
            report = services.ledger.verify()
    if as_json:
        print_json(report)
    elif report["ok"]:
        out.print(f"ok: {report['entries']} entries in {report['streams']} streams, chain intact"
                  + (f"; head {report['head']}" if report.get("head") else ""), highlight=False,
                  soft_wrap=True)
    else:
        bad = report["first_bad"]
        err.print(f"[bold red]TAMPERED[/]: entry seq {bad['seq']}: {bad['reason']}", highlight=False)
    if not report["ok"]:
        raise typer.Exit(1)


def _verify_file(path: str) -> dict[str, Any]:
    from kaoping.ledger.export import verify_export

    try:
        if path == "-":
            return verify_export(sys.stdin)
        with open(path, encoding="utf-8-sig") as lines:
            return verify_export(lines)
    except OSError as error:
        raise fail(f"cannot read {path}: {error.strerror}", 2) from None
    except UnicodeDecodeError as error:
        raise fail(f"{path} is not UTF-8 text: {error.reason}", 2) from None


@app.command()
def export(
    db: Db = None,
    out_file: Annotated[str | None, typer.Option("--out", help="write to FILE (default: stdout)")] = None,
) -> None:
    """The whole ledger as JSON Lines, one line per stored entry in seq order, with its hash links and
    stored bytes, so that `kaoping verify --file` can check it without a database."""
    from kaoping.ledger.export import export_line

    count, head = 0, None
    with opened(db) as services:
        target = open(out_file, "w", encoding="utf-8", newline="\n") if out_file else sys.stdout
        try:
            for row in services.ledger.export():
                target.write(export_line(row))
                count, head = count + 1, row["hash"]
        except OSError as error:
            raise fail(f"cannot write {out_file or 'stdout'}: {error.strerror}") from None
        finally:
            if out_file:
                target.close()
    err.print(f"exported {count} entries; head {head}", highlight=False, soft_wrap=True)
