"""`kaoping` commands that record: `init`, `status`, `ingest`, `demo`, `scheme`, `token`. The command
line is the operator's tool: it holds the database itself and records with the office's rights."""

from __future__ import annotations

import json
import sys
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from kaoping.ledger.writer import BatchRejected

from .common import AsJson, Db, codes, err, fail, opened, out, print_json, progress, read_commands

app = typer.Typer()


@app.command()
def init(db: Db = None) -> None:
    """Create the ledger with the 2018 scheme and the 59 units (idempotent)."""
    with opened(db) as services:
        created = services.ledger.init()
        status = services.ledger.status()
    if created:
        out.print(f"initialised: scheme {status['scheme_version']}, {status['units']} units")
    else:
        out.print(f"already initialised (scheme {status['scheme_version']}, {status['units']} units): "
                  "nothing changed")


@app.command()
def status(db: Db = None, as_json: AsJson = False) -> None:
    """Where the ledger is and what it holds."""
    with opened(db) as services:
        document = services.ledger.status()
    if as_json:
        print_json(document)
    else:
        for key, value in document.items():
            out.print(f"{key:>15}: {value}", highlight=False)


@app.command()
def ingest(
    file: Annotated[str, typer.Argument(help="a JSON Lines file of commands, or - for stdin")],
    db: Db = None,
    actor: Annotated[str, typer.Option(help="who records these commands")] = "office",
    as_json: AsJson = False,
) -> None:
    """Append a file of commands, all or nothing; a command already recorded is a no-op."""
    numbered = read_commands(file)
    with opened(db) as services:
        try:
            with progress(len(numbered)) as advance:
                result = services.ledger.ingest([item for _, item in numbered], actor=actor,
                                                progress=advance)
            services.projection.catch_up()
        except BatchRejected as rejected:
            line = numbered[rejected.index][0]
            ident = f" (id {rejected.command_id})" if rejected.command_id else ""
            where = f"{rejected.error.field}: " if rejected.error.field else ""
            raise fail(f"line {line}{ident}: {where}{rejected.error.message}; nothing appended") from None
    if as_json:
        print_json({"appended": result.appended, "duplicates": result.duplicates,
                    "results": [r.as_json() for r in result.results]})
    else:
        out.print(f"appended {result.appended}, duplicates {result.duplicates}")


@app.command()
def demo(
    db: Db = None,
    seed: Annotated[int, typer.Option(help="the same seed gives the same year")] = 2018,
    scale: Annotated[int, typer.Option(min=1, max=100, help="times the tasks and entries per unit")] = 1,
    actor: Annotated[str, typer.Option(help="who records the simulated commands")] = "office",
) -> None:
    """Record a simulated, realistic 2018 year for all 59 units (through the same command path)."""
    from kaoping.demo import demo_year, in_batches

    commands = demo_year(seed=seed, scale=scale)
    appended = duplicates = 0
    with opened(db) as services:
        services.ledger.init()
        for batch in in_batches(commands):  # a publication counts what was stored before it
            try:
                with progress(len(batch)) as advance:
                    result = services.ledger.ingest(batch, actor=actor, progress=advance)
            except BatchRejected as rejected:
                raise fail(f"demo command {rejected.command_id}: {rejected.error}") from None
            appended, duplicates = appended + result.appended, duplicates + result.duplicates
        services.projection.catch_up()
    out.print(f"demo year (seed {seed}, scale {scale}): appended {appended}, duplicates {duplicates}")


scheme_app = typer.Typer(no_args_is_help=True, help="The evaluation scheme, as versioned data.")
app.add_typer(scheme_app, name="scheme")


@scheme_app.command("show")
def scheme_show(db: Db = None, as_json: AsJson = False) -> None:
    """Every version of the scheme: the moment it is in force from, and the entry that recorded it."""
    with opened(db) as services:
        versions = services.ledger.schemes()
    if as_json:
        print_json(versions)
        return
    for v in versions:
        e = v["entry"]
        out.print(f"{v['version']}  in force from {v['in_force_from']}  recorded by #{e['seq']} {e['id']} "
                  f"({e['type']}, recorded_at {e['recorded_at']}, {e['actor']})", highlight=False)
        if v["problem"]:
            out.print(f"  [yellow]recorded before amendments were checked:[/] {v['problem']}",
                      highlight=False)


@scheme_app.command("amend")
def scheme_amend(
    file: Annotated[str, typer.Argument(help="a JSON merge patch of the scheme naming its new version")],
    recorded_at: Annotated[str | None, typer.Option("--recorded-at", help="in force from (default: now)")]
    = None,
    actor: Annotated[str, typer.Option(help="who records the amendment")] = "office",
    dry_run: Annotated[bool, typer.Option("--dry-run", help="show what it would change; append "
                                                           "nothing")] = False,
    db: Db = None,
    as_json: AsJson = False,
) -> None:
    """Amend the scheme (e.g. the city's later 细则 for B10–B12): a new entry, never an edit. A merge
    patch over the version in force before it (SCHEME-2018 §10); keyed collections change entry by
    entry, e.g. {"version": "2018.2", "bonus": {"caps": {"B3+B4": "0.5"}}}."""
    try:
        amendment = json.loads(Path(file).read_text(encoding="utf-8"), parse_float=Decimal)
    except (OSError, json.JSONDecodeError) as error:
        raise fail(f"cannot read {file}: {error}") from None
    if not isinstance(amendment, dict):
        raise fail("an amendment is a JSON object")
    with opened(db) as services:
        if dry_run:
            preview = services.ledger.preview_amendment(amendment, recorded_at=recorded_at)
        else:
            version = services.ledger.amend_scheme(amendment, actor=actor, recorded_at=recorded_at)
    if not dry_run:
        if as_json:
            print_json({"version": version, "recorded": True})
        else:
            out.print(f"scheme {version} recorded")
    elif as_json:
        print_json(preview)
    else:
        _print_preview(preview)


def _print_preview(preview: dict[str, Any]) -> None:
    out.print(f"dry run, nothing appended: scheme {preview['version']} over {preview['amends']}, in force "
              f"from {preview['in_force_from']}", highlight=False)
    changes = Table(title="the scheme")
    for column in ("path", "before", "after"):
        changes.add_column(column)
    for change in preview["changes"]:
        changes.add_row(change["path"], *(json.dumps(change[k], ensure_ascii=False)
                                          for k in ("before", "after")))
    out.print(changes)
    if not preview["units"]:
        out.print("no unit's figures would change (as scored now)")
        return
    units = Table(title="figures that would change (as scored now)")
    for column in ("unit", "name", "figure", "before", "after"):
        units.add_column(column, justify="right" if column in ("before", "after") else "left")
    for unit in preview["units"]:
        for figure in unit["figures"]:
            units.add_row(unit["unit"], unit["name"], figure["figure"], figure["before"], figure["after"])
    out.print(units)


token_app = typer.Typer(no_args_is_help=True, help="Bearer tokens for the HTTP interface.")
app.add_typer(token_app, name="token")


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
    with opened(db) as services:
        token_id, token = services.ledger.create_token(
            actor=actor, role=role, unit=unit.upper() if unit else None, units=codes(units),
            indicators=codes(indicators))
    err.print(f"token {token_id} for {actor} ({role}); keep it now, it is not shown again:",
              highlight=False)
    sys.stdout.write(token + "\n")


@token_app.command("list")
def token_list(db: Db = None, as_json: AsJson = False) -> None:
    """Every token ever made (without the secrets), revoked ones marked."""
    with opened(db) as services:
        tokens = services.ledger.tokens()
    if as_json:
        print_json(tokens)
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
    with opened(db) as services:
        services.ledger.revoke_token(token_id)
    out.print(f"revoked {token_id}")
