"""`kaoping verify` and `kaoping export`: the auditor's commands. `verify --file` checks an exported
copy with no database opened."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from kaoping.domain.notes import NoteError

from .common import AsJson, Db, err, fail, opened, out, print_json

app = typer.Typer()


def vkey_text(value: str) -> str:
    """A vkey given as itself or as the path of a file holding it."""
    path = Path(value)
    try:
        return path.read_text(encoding="utf-8").strip() if path.is_file() else value.strip()
    except (OSError, UnicodeDecodeError) as error:
        raise fail(f"cannot read the vkey file {value}: {error}", 2) from None


@app.command()
def verify(
    db: Db = None,
    file: Annotated[str | None, typer.Option("--file", help="check an exported JSON Lines file (from "
                                                         "`kaoping export`, or - for stdin) "
                                                         "instead of a database; opens none")] = None,
    checkpoint: Annotated[str | None, typer.Option("--checkpoint", help="with --file: a signed "
                                                   "checkpoint note (a file) the export must match")]
    = None,
    vkey: Annotated[str | None, typer.Option("--vkey", help="the log's verifier key (or a file "
                                             "holding it) that signed the checkpoints")] = None,
    as_json: AsJson = False,
) -> None:
    """Walk the hash chain, recompute the Merkle tree and check every checkpoint; exit 1 at the
    first modified, deleted, inserted or reordered entry, or a checkpoint that does not match."""
    key = vkey_text(vkey) if vkey is not None else None
    try:
        if file is not None:
            if db is not None:
                raise fail("--file checks an export without a database: leave out --db", 2)
            report = _verify_file(file, _note(checkpoint) if checkpoint else None, key)
        else:
            if checkpoint is not None:
                raise fail("--checkpoint is for checking an export (--file)", 2)
            with opened(db) as services:
                report = services.verify(vkey=key)
    except NoteError as error:
        raise fail(str(error), 2) from None
    if as_json:
        print_json(report)
    elif report["ok"]:
        extra = ""
        if report.get("checkpoint"):
            extra = f"; checkpoint of size {report['checkpoint']['size']} signed and matched"
        elif report.get("checkpoints"):
            extra = f"; {report['checkpoints']['count']} checkpoints match the tree"
        out.print(f"ok: {report['entries']} entries in {report['streams']} streams, chain intact"
                  + (f"; head {report['head']}" if report.get("head") else "") + extra,
                  highlight=False, soft_wrap=True)
    else:
        err.print(f"[bold red]TAMPERED[/]: {_first_problem(report)}", highlight=False)
    if not report["ok"]:
        raise typer.Exit(1)


def _first_problem(report: dict[str, Any]) -> str:
    from kaoping.ledger.audit import first_problem

    claimed = report.get("checkpoint") or {}
    if not claimed or report.get("first_bad"):
        return first_problem(report)
    if not claimed.get("signature_ok", True):
        return "the checkpoint's signature does not verify with this vkey"
    return (f"the file's first {claimed.get('size')} entries do not have the checkpoint's root "
            f"(the file has {claimed.get('lines_in_file')}): cut short or rewritten")


def _note(path: str) -> str:
    try:
        return Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise fail(f"cannot read the checkpoint {path}: {error}", 2) from None


def _verify_file(path: str, checkpoint: str | None, vkey: str | None) -> dict[str, Any]:
    from kaoping.ledger.export import verify_export

    try:
        if path == "-":
            return verify_export(sys.stdin, checkpoint=checkpoint, vkey=vkey)
        with open(path, encoding="utf-8-sig") as lines:
            return verify_export(lines, checkpoint=checkpoint, vkey=vkey)
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
        rows = services.ledger.export()  # verified first: its findings ride on the lines
        target = open(out_file, "w", encoding="utf-8", newline="\n") if out_file else sys.stdout
        try:
            for row in rows:
                target.write(export_line(row))
                count, head = count + 1, row["hash"]
        except OSError as error:
            raise fail(f"cannot write {out_file or 'stdout'}: {error.strerror}") from None
        finally:
            if out_file:
                target.close()
    err.print(f"exported {count} entries; head {head}", highlight=False, soft_wrap=True)
