"""`kaoping`: the operator's tool. It holds the database itself and records with the office's rights."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.table import Table

from kaoping.domain.errors import KaopingError
from kaoping.ledger.application import BatchRejected, Ledger

from .composition import build_ledger, load_settings

app = typer.Typer(no_args_is_help=True, add_completion=False,
                  help="Kaoping (考评): an event-sourced audit ledger for performance evaluation.")
out = Console()
err = Console(stderr=True)

Db = Annotated[str | None, typer.Option("--db", help="sqlite:///PATH or postgresql://USER@HOST:PORT/DB "
                                                    "(default: $KAOPING_DATABASE_URL)")]
AsJson = Annotated[bool, typer.Option("--json", help="print one JSON document")]


def _fail(message: str, code: int = 1) -> typer.Exit:
    err.print(f"[bold red]error:[/] {message}", highlight=False)
    return typer.Exit(code)


@contextmanager
def _ledger(db: str | None) -> Iterator[Ledger]:
    try:
        settings = load_settings(db)
    except ValidationError as error:
        first = error.errors(include_url=False)[0]
        message = first["msg"].removeprefix("Value error, ")
        raise _fail(f"configuration: {first['loc'][0]}: {message}", 2) from None
    ledger = build_ledger(settings)
    try:
        yield ledger
    except KaopingError as error:
        raise _fail(str(error)) from None
    finally:
        ledger.close()


def _print_json(document: Any) -> None:
    sys.stdout.write(json.dumps(document, ensure_ascii=False, indent=2, default=str) + "\n")


@app.command()
def init(db: Db = None) -> None:
    """Create the ledger with the 2018 scheme and the 59 units (idempotent)."""
    with _ledger(db) as ledger:
        created = ledger.init()
        status = ledger.status()
    if created:
        out.print(f"initialised: scheme {status['scheme_version']}, {status['units']} units")
    else:
        out.print(f"already initialised (scheme {status['scheme_version']}, {status['units']} units): "
                  "nothing changed")


@app.command()
def status(db: Db = None, as_json: AsJson = False) -> None:
    """Where the ledger is and what it holds."""
    with _ledger(db) as ledger:
        document = ledger.status()
    if as_json:
        _print_json(document)
    else:
        for key, value in document.items():
            out.print(f"{key:>15}: {value}", highlight=False)


def _read_commands(path: str) -> list[tuple[int, Any]]:
    """(line number, object) for each non-blank line; numbers are read as Decimal, never float."""
    try:
        text = sys.stdin.read() if path == "-" else Path(path).read_text(encoding="utf-8-sig")
    except OSError as error:
        raise _fail(f"cannot read {path}: {error.strerror}") from None
    items = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            items.append((number, json.loads(line, parse_float=Decimal)))
        except json.JSONDecodeError as error:
            raise _fail(f"line {number}: not valid JSON ({error.msg} at column {error.colno}); "
                        "nothing appended") from None
        except RecursionError:
            raise _fail(f"line {number}: nested too deeply to be a command; nothing appended") from None
    return items


@app.command()
def ingest(
    file: Annotated[str, typer.Argument(help="a JSON Lines file of commands, or - for stdin")],
    db: Db = None,
    actor: Annotated[str, typer.Option(help="who records these commands")] = "office",
    as_json: AsJson = False,
) -> None:
    """Append a file of commands, all or nothing; a command already recorded is a no-op."""
    numbered = _read_commands(file)
    with _ledger(db) as ledger:
        try:
            with _progress(len(numbered)) as advance:
                result = ledger.ingest([item for _, item in numbered], actor=actor, progress=advance)
            _projection(ledger).catch_up()
        except BatchRejected as rejected:
            line = numbered[rejected.index][0]
            ident = f" (id {rejected.command_id})" if rejected.command_id else ""
            where = f"{rejected.error.field}: " if rejected.error.field else ""
            raise _fail(f"line {line}{ident}: {where}{rejected.error.message}; nothing appended") from None
    if as_json:
        _print_json({"appended": result.appended, "duplicates": result.duplicates,
                     "results": [r.as_json() for r in result.results]})
    else:
        out.print(f"appended {result.appended}, duplicates {result.duplicates}")


@contextmanager
def _progress(total: int) -> Iterator[Any]:
    if total < 500 or not err.is_terminal:
        yield None
        return
    from rich.progress import Progress

    with Progress(console=err, transient=True) as bar:
        task = bar.add_task("checking commands", total=total)
        yield lambda n: bar.update(task, completed=n)


@app.command()
def history(unit: str, db: Db = None, as_json: AsJson = False) -> None:
    """Every entry concerning a unit, oldest first, with its hash links."""
    with _ledger(db) as ledger:
        rows = ledger.history(unit.upper())
    if as_json:
        _print_json(rows)
        return
    table = Table(title=f"{unit.upper()} history")
    for column in ("seq", "id", "type", "recorded_at", "actor", "voided_by", "hash"):
        table.add_column(column)
    for row in rows:
        recorded = row["recorded_at"] + (" (backdated)" if row["backdated"] else "")
        table.add_row(str(row["seq"]), row["id"], row["type"], recorded, row["actor"],
                      row["voided_by"] or "", row["hash"][:12])
    out.print(table)


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
            raise _fail("--file checks an export without a database: leave out --db", 2)
        report = _verify_file(file)
    else:
        with _ledger(db) as ledger:
            report = ledger.verify()
    if as_json:
        _print_json(report)
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
        raise _fail(f"cannot read {path}: {error.strerror}", 2) from None
    except UnicodeDecodeError as error:
        raise _fail(f"{path} is not UTF-8 text: {error.reason}", 2) from None


@app.command()
def export(
    db: Db = None,
    out_file: Annotated[str | None, typer.Option("--out", help="write to FILE (default: stdout)")] = None,
) -> None:
    """The whole ledger as JSON Lines, one line per stored entry in seq order, with its hash links and
    stored bytes, so that `kaoping verify --file` can check it without a database."""
    from kaoping.ledger.export import export_line

    count, head = 0, None
    with _ledger(db) as ledger:
        target = open(out_file, "w", encoding="utf-8", newline="\n") if out_file else sys.stdout
        try:
            for row in ledger.export():
                target.write(export_line(row))
                count, head = count + 1, row["hash"]
        except OSError as error:
            raise _fail(f"cannot write {out_file or 'stdout'}: {error.strerror}") from None
        finally:
            if out_file:
                target.close()
    err.print(f"exported {count} entries; head {head}", highlight=False, soft_wrap=True)


AsOf = Annotated[str | None, typer.Option("--as-of", help="knowledge time: a date (end of that day, "
                                                       "$KAOPING_TZ) or an ISO datetime")]


def _projection(ledger: Ledger) -> Any:
    from kaoping.projections.scores import ScoresProjection

    return ScoresProjection(ledger)


@app.command()
def score(
    unit: str,
    db: Db = None,
    as_of: AsOf = None,
    upto: Annotated[int | None, typer.Option("--upto", help="ledger position: entries with seq <= SEQ")] = None,
    as_json: AsJson = False,
) -> None:
    """A unit's score and the explanation of every figure, down to the entries behind it."""
    with _ledger(db) as ledger:
        document = ledger.score(unit.upper(), as_of=as_of, upto=upto)
    if as_json:
        _print_json(document)
        return
    from rich.tree import Tree

    def grow(tree: Any, node: dict[str, Any]) -> None:
        branch = tree.add(f"[bold]{node['label']}[/] {node['value']}  [dim]{node['formula']}[/]")
        for child in node["children"]:
            grow(branch, child)
        for entry in node["entries"]:
            struck = entry.get("voided_by") or entry.get("superseded_by")
            text = f"#{entry['seq']} {entry['id']} {entry['type']} {entry['recorded_at']} {entry['actor']}"
            if struck:
                text = f"[strike]{text}[/] (voided/superseded by {struck})"
            branch.add(text)

    root = Tree(f"{document['unit']} {document['name']} ({document['group']}) — scheme "
                f"{document.get('scheme_version')}, as of {document['as_of'] or 'now'}"
                + (f", upto seq {document['upto']}" if document["upto"] is not None else ""))
    grow(root, document["explanation"])
    out.print(root)
    if document["pending"]:
        out.print("[yellow]pending:[/] " + ", ".join(document["pending"]))
    for warning in document.get("warnings", []):
        out.print(f"[yellow]warning:[/] {warning}")


@app.command()
def replay(unit: str, db: Db = None, as_json: AsJson = False) -> None:
    """How the total was reached: the unit's total after each entry that concerns it."""
    with _ledger(db) as ledger:
        rows = ledger.replay(unit.upper())
    if as_json:
        _print_json(rows)
        return
    table = Table(title=f"{unit.upper()} replay")
    for column in ("seq", "id", "type", "total"):
        table.add_column(column, justify="right" if column in ("seq", "total") else "left")
    for row in rows:
        table.add_row(str(row["seq"]), row["id"], row["type"], row["total"])
    out.print(table)


@app.command()
def standings(
    db: Db = None,
    group: Annotated[str | None, typer.Option(help="departments or towns_zones (default: both)")] = None,
    stage: Annotated[str, typer.Option(help="process, half_year or annual")] = "annual",
    as_of: AsOf = None,
    as_json: AsJson = False,
) -> None:
    """Standings by group: current ones from the read model, --as-of ones from the log."""
    with _ledger(db) as ledger:
        if as_of is None:
            projection = _projection(ledger)
            projection.catch_up()
            rows = projection.standings(group=group, stage=stage)
        else:
            rows = ledger.standings_from_log(group=group, stage=stage, as_of=as_of)
    if as_json:
        _print_json(rows)
        return
    for grp in dict.fromkeys(r["group"] for r in rows):
        title = {"departments": "县政府各部门 departments", "towns_zones": "镇街、经济园区 towns and zones"}
        table = Table(title=f"{title.get(grp, grp)} — {stage}" + (f", as of {as_of}" if as_of else ""))
        for column in ("名次 rank", "单位 unit", "名称 name", "得分 score"):
            table.add_column(column, justify="right" if "rank" in column or "score" in column else "left")
        for r in (r for r in rows if r["group"] == grp):
            table.add_row(str(r["rank"]), r["unit"], r["name"], r["score"])
        out.print(table)


@app.command()
def rebuild(db: Db = None) -> None:
    """Drop every read model and rebuild it from the event log."""
    from rich.progress import Progress

    with _ledger(db) as ledger, Progress(console=err, transient=True) as bar:
        task = bar.add_task("rebuilding scores", total=None)
        position = _projection(ledger).rebuild(
            progress=lambda done, total: bar.update(task, completed=done, total=total))
    out.print(f"rebuilt: read models at seq {position}")


scheme_app = typer.Typer(no_args_is_help=True, help="The evaluation scheme, as versioned data.")
app.add_typer(scheme_app, name="scheme")


@scheme_app.command("show")
def scheme_show(db: Db = None, as_json: AsJson = False) -> None:
    """Every version of the scheme, with the time from which it is in force."""
    with _ledger(db) as ledger:
        versions = ledger.schemes()
    if as_json:
        _print_json(versions)
        return
    for v in versions:
        out.print(f"{v['version']}  in force from {v['in_force_from']}", highlight=False)


@scheme_app.command("amend")
def scheme_amend(
    file: Annotated[str, typer.Argument(help="a JSON merge patch of the scheme naming its new version")],
    recorded_at: Annotated[str | None, typer.Option("--recorded-at", help="in force from (default: now)")]
    = None,
    actor: Annotated[str, typer.Option(help="who records the amendment")] = "office",
    db: Db = None,
) -> None:
    """Amend the scheme (e.g. the city's later 细则 for B10–B12): a new entry, never an edit."""
    try:
        amendment = json.loads(Path(file).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as error:
        raise _fail(f"cannot read {file}: {error}") from None
    if not isinstance(amendment, dict):
        raise _fail("an amendment is a JSON object")
    with _ledger(db) as ledger:
        version = ledger.amend_scheme(amendment, actor=actor, recorded_at=recorded_at)
    out.print(f"scheme {version} recorded")


@app.command()
def demo(
    db: Db = None,
    seed: Annotated[int, typer.Option(help="the same seed gives the same year")] = 2018,
    scale: Annotated[int, typer.Option(min=1, max=100, help="times the tasks and entries per unit")] = 1,
    actor: Annotated[str, typer.Option(help="who records the simulated commands")] = "office",
) -> None:
    """Record a simulated, realistic 2018 year for all 59 units (through the same command path)."""
    from kaoping.demo import demo_year

    commands = demo_year(seed=seed, scale=scale)
    with _ledger(db) as ledger:
        ledger.init()
        try:
            with _progress(len(commands)) as advance:
                result = ledger.ingest(commands, actor=actor, progress=advance)
        except BatchRejected as rejected:
            raise _fail(f"demo command {rejected.index} ({rejected.command_id}): {rejected.error}") from None
        _projection(ledger).catch_up()
    out.print(f"demo year (seed {seed}, scale {scale}): appended {result.appended}, "
              f"duplicates {result.duplicates}")


token_app = typer.Typer(no_args_is_help=True, help="Bearer tokens for the HTTP interface.")
app.add_typer(token_app, name="token")


def _codes(text: str | None) -> list[str]:
    return [code.strip().upper() for code in (text or "").split(",") if code.strip()]


@token_app.command("create")
def token_create(
    actor: Annotated[str, typer.Option(help="the name written on every entry this token records")],
    role: Annotated[str, typer.Option(help="office, assessor, leader, group_office, unit, verifier, "
                                           "auditor")],
    unit: Annotated[str | None, typer.Option(help="the unit of a unit token")] = None,
    units: Annotated[str | None, typer.Option(help="a leader's units, comma separated")] = None,
    indicators: Annotated[str | None, typer.Option(help="an assessor's indicators, e.g. C02,C03")] = None,
    db: Db = None,
) -> None:
    """Make a token; it is printed once, alone on the last line (only its hash is stored)."""
    with _ledger(db) as ledger:
        token_id, token = ledger.create_token(actor=actor, role=role,
                                              unit=unit.upper() if unit else None,
                                              units=_codes(units), indicators=_codes(indicators))
    err.print(f"token {token_id} for {actor} ({role}); keep it now, it is not shown again:",
              highlight=False)
    sys.stdout.write(token + "\n")


@token_app.command("list")
def token_list(db: Db = None, as_json: AsJson = False) -> None:
    """Every token ever made (without the secrets), revoked ones marked."""
    with _ledger(db) as ledger:
        tokens = ledger.tokens()
    if as_json:
        _print_json(tokens)
        return
    table = Table(title="tokens")
    for column in ("token_id", "actor", "role", "scope", "created_at", "revoked"):
        table.add_column(column)
    for t in tokens:
        scope = t["unit"] or ",".join(t["units"] + t["indicators"])
        table.add_row(t["token_id"], t["actor"], t["role"], scope, t["created_at"],
                      "yes" if t["revoked"] else "")
    out.print(table)


@token_app.command("revoke")
def token_revoke(token_id: str, db: Db = None) -> None:
    """Revoke a token from now on (recorded as a ledger entry)."""
    with _ledger(db) as ledger:
        ledger.revoke_token(token_id)
    out.print(f"revoked {token_id}")


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="port to listen on")] = 8000,
    db: Db = None,
    workers: Annotated[int, typer.Option(min=1, help="server processes; each commits its own groups")] = 1,
    access_log: Annotated[bool, typer.Option(help="log every request")] = True,
) -> None:
    """Serve the HTTP interface (OpenAPI at /docs)."""
    import uvicorn

    from .http import create_app

    try:
        settings = load_settings(db)
    except ValidationError as error:
        message = error.errors(include_url=False)[0]["msg"].removeprefix("Value error, ")
        raise _fail(f"configuration: {message}", 2) from None
    options = {"host": host, "port": port, "log_level": "info", "access_log": access_log}
    if workers == 1:
        uvicorn.run(create_app(settings), **options)  # type: ignore[arg-type]
        return
    # worker processes build their own app from the environment: hand them the resolved settings
    os.environ["KAOPING_DATABASE_URL"] = settings.database_url
    os.environ["KAOPING_TZ"] = settings.tz
    uvicorn.run("kaoping.api.http:create_app", factory=True, workers=workers, **options)  # type: ignore[arg-type]


def main() -> None:
    app()
