"""`kaoping due` and `kaoping outlook`: 督办 on the command line — every unit's checkpoints with their
lights and the points at stake, as known now or on a past day, and the range a unit's total and rank
can still reach (docs/commands.md, "Due dates", "Outlook")."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from kaoping.domain.labels import DUE_STATUSES, FIGURE_NAMES, LIGHTS

from .common import AsJson, AsOf, Db, opened, out, print_json

app = typer.Typer()

LIGHT_STYLES = {"red": "bold red", "yellow": "yellow", "green": "green"}


@app.command()
def due(
    db: Db = None,
    unit: Annotated[str | None, typer.Option("--unit", help="只看这个单位，例如 D03")] = None,
    within: Annotated[int | None, typer.Option("--within", min=0, max=366,
                                               help="几天内到期算“即将到期”（默认取方案 reminders.due_soon_days，7 天）")] = None,
    as_of: AsOf = None,
    everything: Annotated[bool, typer.Option("--all", help="也列出已报和未到期的节点（默认只列红灯、黄灯）")] = False,
    as_json: AsJson = False,
) -> None:
    """督办：各单位到期的节点，逾期未报红灯、即将到期黄灯，以及尚可挽回的分数；红灯多的单位在前。"""
    with opened(db) as services:
        document = services.ledger.due(units=[unit] if unit else None, within=within, as_of=as_of)
    if as_json:
        print_json(document)
        return
    when = f"截至 {as_of}" if as_of else "截至今天"
    for row in document["units"]:
        items = [i for i in row["items"] if everything or i["light"] != "green"]
        if not items and not unit:
            continue
        table = Table(title=f"{row['unit']} {row['name']}：红灯 {row['red']}，黄灯 {row['yellow']}（{when}）")
        for column in ("灯", "任务", "节点", "到期日", "剩余天数", "状态", "可挽回分数", "佐证（交/核）"):
            table.add_column(column, justify="right" if column in ("剩余天数", "可挽回分数") else "left")
        for i in items:
            table.add_row(f"[{LIGHT_STYLES[i['light']]}]{LIGHTS[i['light']]}[/]",
                          f"{i['task']} {i['title']}" + ("（重要）" if i["important"] else ""), i["checkpoint"],
                          i["due"], str(i["days"]), DUE_STATUSES[i["status"]], i["points_at_stake"],
                          f"{i['evidence']['submitted']}/{i['evidence']['verified']}")
        out.print(table)
    if not any(row["red"] or row["yellow"] for row in document["units"]):
        out.print(f"没有红灯或黄灯的节点（{when}，{document['within']} 天内到期算即将到期）。")


@app.command()
def outlook(unit: Annotated[str, typer.Argument(help="单位代码，例如 D03")], db: Db = None, as_of: AsOf = None,
            as_json: AsJson = False) -> None:
    """展望：一个单位的总分和名次还能到的最好、最差，以及还未定的输入（只计算，不登记）。"""
    with opened(db) as services:
        document = services.ledger.outlook(unit, as_of=as_of)
    if as_json:
        print_json(document)
        return
    out.print(f"{document['unit']}：现在 {document['total']} 分，第 {document['rank']} 名；"
              f"最好 {document['best']['total']} 分（第 {document['best']['rank']} 名），"
              f"最差 {document['worst']['total']} 分（第 {document['worst']['rank']} 名）", highlight=False)
    if not document["open"]:
        out.print("没有尚未确定的输入：总分已定（加减分项另计）。")
        return
    table = Table(title="尚未确定的输入")
    for column in ("输入", "影响", "现在", "最好", "最差"):
        table.add_column(column, justify="right" if column in ("现在", "最好", "最差") else "left")
    for item in document["open"]:
        table.add_row(item["what"], FIGURE_NAMES.get(item["figure"], item["figure"]), item["now"], item["best"],
                      item["worst"])
    out.print(table)
