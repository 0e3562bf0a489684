"""`kaoping` commands that read: `score`, `replay`, `history`, `standings`, `rebuild`. With `--json`
each prints the contract's JSON document; without it, a table or tree a person reads."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.table import Table

from kaoping.domain.labels import (ENTRY_TYPES, GROUP_NAMES, PENDING_HEADING, STAGE_NAMES, actor_name,
                                   pending_names)

from .common import AsJson, AsOf, Db, err, local, opened, out, print_json
from .usage import group_value, stage_value

app = typer.Typer()


@app.command()
def history(unit: Annotated[str, typer.Argument(help="单位代码，例如 D03")], db: Db = None, as_json: AsJson = False) -> None:
    """一个单位的全部记录，从早到晚，附哈希。"""
    with opened(db) as services:
        rows = services.ledger.history(unit.upper())
    if as_json:
        print_json(rows)
        return
    table = Table(title=f"{unit.upper()} 历史记录")
    for column in ("序号", "记录", "类型", "业务日期", "登记人", "作废记录", "哈希"):
        table.add_column(column)
    for row in rows:
        recorded = local(row["recorded_at"], services) + ("（补录）" if row["backdated"] else "")
        table.add_row(str(row["seq"]), row["id"], ENTRY_TYPES.get(row["type"], row["type"]), recorded,
                      actor_name(row["actor"], row.get("console")), row["voided_by"] or "", row["hash"][:12])
    out.print(table)


@app.command()
def score(
    unit: Annotated[str, typer.Argument(help="单位代码，例如 D03")],
    db: Db = None,
    as_of: AsOf = None,
    upto: Annotated[int | None, typer.Option("--upto", help="账本位置：只计序号不大于此数的记录，例如 120")] = None,
    as_json: AsJson = False,
) -> None:
    """一个单位的成绩，以及每项得分的解释，一直追到背后的记录。"""
    with opened(db) as services:
        document = services.ledger.score(unit.upper(), as_of=as_of, upto=upto)
    if as_json:
        print_json(document)
        return
    from rich.tree import Tree

    def grow(tree: Any, node: dict[str, Any]) -> None:
        branch = tree.add(f"[bold]{node['label']}[/] {node['value']}  [dim]{node['formula']}[/]")
        for child in node["children"]:
            grow(branch, child)
        for entry in node["entries"]:
            kind = ENTRY_TYPES.get(entry["type"], entry["type"])
            text = (f"第 {entry['seq']} 条 {entry['id']} {kind} {local(entry['recorded_at'], services)} "
                    f"{actor_name(entry['actor'])}")
            if entry.get("voided_by"):
                text = f"[strike]{text}[/]（已被 {entry['voided_by']} 作废）"
            elif entry.get("superseded_by"):
                text = f"[strike]{text}[/]（已被 {entry['superseded_by']} 取代）"
            branch.add(text)

    root = Tree(f"{document['unit']} {document['name']}（{GROUP_NAMES.get(document['group'], document['group'])}）"
                f"— 方案 {document.get('scheme_version')}，" + (f"截至 {local(document['as_of'], services)}" if document["as_of"] else "截至现在")
                + (f"，只计账本第 {document['upto']} 条及以前的记录" if document["upto"] is not None else ""))
    grow(root, document["explanation"])
    out.print(root)
    if document["pending"]:
        out.print(f"[yellow]{PENDING_HEADING}：[/]" + pending_names(document["pending"]))
    for warning in document.get("warnings", []):
        out.print(f"[yellow]提示：[/]{warning}")


@app.command()
def replay(
    unit: Annotated[str, typer.Argument(help="单位代码，例如 D03")],
    db: Db = None,
    explain: Annotated[bool, typer.Option("--explain", help="每行加上业务日期、变化和登记人，并列出使总分变化的"
                                          "节点到期")] = False,
    as_json: AsJson = False,
) -> None:
    """总分是怎样得来的：每条相关记录之后这个单位的总分。"""

    with opened(db) as services:
        rows = services.ledger.replay_explained(unit.upper()) if explain else services.ledger.replay(unit.upper())
    if as_json:
        print_json(rows)
        return
    table = Table(title=f"{unit.upper()} 总分变化")
    columns = ("序号", "业务日期", "记录", "类型", "登记人", "总分", "变化") if explain else ("序号", "记录", "类型", "总分")
    for column in columns:
        table.add_column(column, justify="right" if column in ("序号", "总分", "变化") else "left")
    for row in rows:
        kind = ENTRY_TYPES.get(row["type"], "节点到期" if row["type"] == "checkpoint.due" else row["type"])
        if explain:
            what = row["id"] or "、".join(row.get("checkpoints", ()))
            table.add_row(str(row["seq"]), local(row["date"], services), what, kind, actor_name(row["actor"] or ""), row["total"],
                          row["delta"])
        else:
            table.add_row(str(row["seq"]), row["id"], kind, row["total"])
    out.print(table)


@app.command()
def standings(
    db: Db = None,
    group: Annotated[str | None, typer.Option(help="分组：departments（县政府各部门，也可写 部门）或 towns_zones"
                                               "（镇、街道及经济园区，也可写 乡镇）；默认两组都列",
                                               callback=group_value)] = None,
    stage: Annotated[str, typer.Option(help="阶段：process（过程成绩，也可写 过程）、half_year（半年综合评价，"
                                             "也可写 半年）或 annual（年度专项考评成绩，也可写 年度）",
                                       callback=stage_value)] = "annual",
    as_of: AsOf = None,
    as_json: AsJson = False,
) -> None:
    """分组排名：不带 --as-of 时取成绩表（现在的），带 --as-of 时按账本算出截至当时所知的排名（算过的时点存档，其后补登到该时点的记录会使存档重算）。"""
    with opened(db) as services:
        if as_of is None:
            services.projection.catch_up()
        rows = services.projection.standings(group=group, stage=stage, as_of=as_of)
    if as_json:
        print_json(rows)
        return
    for grp in dict.fromkeys(r["group"] for r in rows):
        title = f"{GROUP_NAMES[str(grp)]} — {STAGE_NAMES[stage]}" + (f"，截至 {as_of}" if as_of else "")
        table = Table(title=title)
        for column in ("名次", "单位", "名称", "得分", "尚缺输入"):
            table.add_column(column, justify="right" if column in ("名次", "得分") else "left")
        for r in (r for r in rows if r["group"] == grp):
            table.add_row(str(r["rank"]), r["unit"], r["name"], r["score"] + ("*" if r["pending"] else ""),
                          f"{len(r['pending'])} 项" if r["pending"] else "")
        out.print(table)
    if any(r["pending"] for r in rows):
        out.print("[yellow]数据未齐，仅供参考[/]：* 标记的成绩尚缺输入（按 0 计）；`kaoping score 单位代码` 列出所缺各项。")


@app.command()
def rebuild(db: Db = None) -> None:
    """清空成绩表，按账本全部记录重新计算。"""
    from rich.progress import Progress

    with opened(db) as services, Progress(console=err, transient=True) as bar:
        task = bar.add_task("重算成绩", total=None)
        position = services.projection.rebuild(
            progress=lambda done, total: bar.update(task, completed=done, total=total))
    out.print(f"已重算：成绩表已计入到第 {position} 条记录")
