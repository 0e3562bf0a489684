"""`kaoping publish`, `publication`, `publications`, `disputes`, `dispute preview`, `compare`: the
office's 公示 and appeals (CONTRACT.md, "Publication", "Disputes as a worklist", "Comparing two
units")."""

from __future__ import annotations

import secrets
from typing import Annotated, Any

import typer
from rich.table import Table

from kaoping.domain.labels import FIGURE_NAMES, GROUP_NAMES, STAGE_NAMES
from kaoping.ledger.compare import compare as compare_units
from kaoping.ledger.writer import BatchRejected

from .common import AsJson, AsOf, Db, fail, opened, out, print_json

app = typer.Typer()
dispute_app = typer.Typer(no_args_is_help=True, help="One dispute: what upholding it would change.")
app.add_typer(dispute_app, name="dispute")


@app.command()
def publish(
    stage: Annotated[str, typer.Option(help="process, half_year or annual")],
    title: Annotated[str, typer.Option(help="the publication's title, e.g. 2018年半年综合评价结果公示")],
    as_of: AsOf = None,
    appeal_days: Annotated[int | None, typer.Option("--appeal-days", help="days open to appeal "
                                                    "(default: the scheme's appeals.days)")] = None,
    publication_id: Annotated[str | None, typer.Option("--id", help="the command id (default: a new "
                                                       "one)")] = None,
    db: Db = None,
    as_json: AsJson = False,
) -> None:
    """Publish (公示) the standings of a stage as of a time: frozen into an entry, with an appeal window."""
    command: dict[str, Any] = {"id": publication_id or f"publication-{secrets.token_hex(4)}",
                               "type": "results.published", "stage": stage, "title": title}
    if as_of is not None:
        command["as_of"] = as_of
    if appeal_days is not None:
        command["appeal_days"] = appeal_days
    with opened(db) as services:
        try:
            services.ledger.ingest([command], actor="office")
        except BatchRejected as rejected:
            raise fail(str(rejected.error)) from None
        document = services.ledger.appeals.publication(command["id"])
    if as_json:
        print_json(document)
    else:
        out.print(f"published {document['id']}: {STAGE_NAMES[document['stage']]} as of {document['as_of']}, "
                  f"open to appeal until {document['appeal_closes']}", highlight=False)


@app.command()
def publication(publication_id: str, db: Db = None, as_json: AsJson = False) -> None:
    """A publication: its frozen standings and every unit whose figure has moved since."""
    with opened(db) as services:
        document = services.ledger.appeals.publication(publication_id)
    if as_json:
        print_json(document)
        return
    out.print(f"{document['title']} ({document['id']}): {STAGE_NAMES[document['stage']]}, as of "
              f"{document['as_of']}, published {document['published_at']}, appeals until "
              f"{document['appeal_closes']}; seq ≤ {document['upto_seq']}, tree size "
              f"{document['tree_size']}", highlight=False)
    for group in GROUP_NAMES:
        table = Table(title=GROUP_NAMES[group])
        for column in ("名次", "单位", "名称", "得分"):
            table.add_column(column)
        for row in (r for r in document["standings"] if r["group"] == group):
            table.add_row(str(row["rank"]), row["unit"], row["name"], row["score"])
        out.print(table)
    for row in document["changed_since"]:
        out.print(f"changed since: {row['unit']} {row['score']} → {row['now']}", highlight=False)


@app.command()
def publications(db: Db = None, as_json: AsJson = False) -> None:
    """Every publication, oldest first."""
    with opened(db) as services:
        rows = services.ledger.appeals.publications()
    if as_json:
        print_json(rows)
        return
    for row in rows:
        out.print(f"{row['id']}  {row['title']}  {STAGE_NAMES[row['stage']]}  appeals until "
                  f"{row['appeal_closes']}", highlight=False)


@app.command()
def disputes(
    status: Annotated[str, typer.Option(help="open, resolved or all")] = "open",
    unit: Annotated[str | None, typer.Option(help="one unit's disputes only")] = None,
    db: Db = None,
    as_json: AsJson = False,
) -> None:
    """The disputes across units, oldest first: the office's worklist."""
    with opened(db) as services:
        rows = services.ledger.appeals.disputes(status=status, unit=unit)
    if as_json:
        print_json([{k: v for k, v in row.items() if k != "target_entry"} for row in rows])
        return
    table = Table(title=f"disputes ({status})")
    for column in ("dispute", "unit", "target", "type", "filed", "status", "reason"):
        table.add_column(column)
    for row in rows:
        table.add_row(row["dispute"], row["unit"], row["target"], row["target_type"] or "",
                      row["filed_at"][:16], row["status"], row["reason"])
    out.print(table)


@dispute_app.command("preview")
def dispute_preview(code: str, db: Db = None, as_json: AsJson = False) -> None:
    """What upholding the dispute would change: every unit and figure that would move, ranks too."""
    with opened(db) as services:
        document = services.ledger.appeals.preview(code)
    if as_json:
        print_json(document)
        return
    out.print(f"{document['dispute']} ({document['unit']}): total {document['now']['total']} (rank "
              f"{document['now']['rank']}) → {document['if_upheld']['total']} (rank "
              f"{document['if_upheld']['rank']}) if upheld", highlight=False)
    for change in document["changes"]:
        out.print(f"  {change['unit']} {FIGURE_NAMES.get(change['figure'], change['figure'])}: "
                  f"{change['now']} → {change['if_upheld']}", highlight=False)


@app.command()
def compare(a: str, b: str, as_of: AsOf = None, db: Db = None, as_json: AsJson = False) -> None:
    """Why A ranks where it does against B: every figure, its difference and its weight in the total."""
    with opened(db) as services:
        document = compare_units(services.ledger.reader, a, b, as_of=as_of)
    if as_json:
        print_json(document)
        return
    out.print(f"{document['a']} {document['total_a']} − {document['b']} {document['total_b']} = "
              f"{document['difference']}", highlight=False)
    table = Table()
    for column in ("figure", document["a"], document["b"], "difference", "contribution"):
        table.add_column(column, justify="left" if column == "figure" else "right")
    for row in document["by_figure"]:
        table.add_row(FIGURE_NAMES[row["figure"]], row["a"], row["b"], row["difference"], row["contribution"])
    out.print(table)


__all__ = ["app"]
