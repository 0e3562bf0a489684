"""`kaoping` commands that read: `score`, `replay`, `history`, `standings`, `rebuild`. With `--json`
each prints the contract's JSON document; without it, a table or tree a person reads."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.table import Table

from kaoping.domain.labels import ENTRY_TYPES, GROUP_NAMES, PENDING_HEADING, STAGE_NAMES, pending_names

from .common import AsJson, AsOf, Db, err, opened, out, print_json

app = typer.Typer()


@app.command()
def history(unit: str, db: Db = None, as_json: AsJson = False) -> None:
    """Every entry concerning a unit, oldest first, with its hash links."""
    with opened(db) as services:
        rows = services.ledger.history(unit.upper())
    if as_json:
        print_json(rows)
        return
    table = Table(title=f"{unit.upper()} 历史记录")
    for column in ("seq", "记录", "类型", "业务日期", "登记人", "作废记录", "哈希"):
        table.add_column(column)
    for row in rows:
        recorded = row["recorded_at"] + ("（补录）" if row["backdated"] else "")
        table.add_row(str(row["seq"]), row["id"], ENTRY_TYPES.get(row["type"], row["type"]), recorded,
                      row["actor"], row["voided_by"] or "", row["hash"][:12])
    out.print(table)


@app.command()
def score(
    unit: str,
    db: Db = None,
    as_of: AsOf = None,
    upto: Annotated[int | None, typer.Option("--upto", help="ledger position: entries with seq <= SEQ")] = None,
    as_json: AsJson = False,
) -> None:
    """A unit's score and the explanation of every figure, down to the entries behind it."""
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
            text = f"#{entry['seq']} {entry['id']} {kind} {entry['recorded_at']} {entry['actor']}"
            if entry.get("voided_by"):
                text = f"[strike]{text}[/]（已被 {entry['voided_by']} 作废）"
            elif entry.get("superseded_by"):
                text = f"[strike]{text}[/]（已被 {entry['superseded_by']} 取代）"
            branch.add(text)

    root = Tree(f"{document['unit']} {document['name']}（{GROUP_NAMES.get(document['group'], document['group'])}）"
                f"— 方案 {document.get('scheme_version')}，" + (f"截至 {document['as_of']}" if document["as_of"] else "截至现在")
                + (f"，账本记录 seq ≤ {document['upto']}" if document["upto"] is not None else ""))
    grow(root, document["explanation"])
    out.print(root)
    if document["pending"]:
        out.print(f"[yellow]{PENDING_HEADING}：[/]" + pending_names(document["pending"]))
    for warning in document.get("warnings", []):
        out.print(f"[yellow]提示：[/]{warning}")


@app.command()
def replay(
    unit: str,
    db: Db = None,
    explain: Annotated[bool, typer.Option("--explain", help="each row's date, change and actor, and "
                                          "the checkpoints falling due that moved the total")] = False,
    as_json: AsJson = False,
) -> None:
    """How the total was reached: the unit's total after each entry that concerns it."""
    from kaoping.ledger.replay import explain as explained

    with opened(db) as services:
        rows = explained(services.ledger.reader, unit.upper()) if explain else services.ledger.replay(unit.upper())
    if as_json:
        print_json(rows)
        return
    table = Table(title=f"{unit.upper()} 总分变化")
    columns = ("seq", "业务日期", "记录", "类型", "登记人", "总分", "变化") if explain else ("seq", "记录", "类型", "总分")
    for column in columns:
        table.add_column(column, justify="right" if column in ("seq", "总分", "变化") else "left")
    for row in rows:
        kind = ENTRY_TYPES.get(row["type"], "节点到期" if row["type"] == "checkpoint.due" else row["type"])
        if explain:
            what = row["id"] or "、".join(row.get("checkpoints", ()))
            table.add_row(str(row["seq"]), row["date"], what, kind, row["actor"] or "", row["total"], row["delta"])
        else:
            table.add_row(str(row["seq"]), row["id"], kind, row["total"])
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
    with opened(db) as services:
        if as_of is None:
            services.projection.catch_up()
            rows = services.projection.standings(group=group, stage=stage)
        else:
            rows = services.ledger.standings_from_log(group=group, stage=stage, as_of=as_of)
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
    """Drop every read model and rebuild it from the event log."""
    from rich.progress import Progress

    with opened(db) as services, Progress(console=err, transient=True) as bar:
        task = bar.add_task("rebuilding scores", total=None)
        position = services.projection.rebuild(
            progress=lambda done, total: bar.update(task, completed=done, total=total))
    out.print(f"rebuilt: read models at seq {position}")
