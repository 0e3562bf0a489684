"""`kaoping publish`, `publication`, `publications`, `disputes`, `dispute preview`, `compare`: the
office's 公示 and appeals (docs/commands.md §7 "公示", "异议工作单", "比较")."""

from __future__ import annotations

import secrets
from typing import Annotated, Any

import typer
from rich.table import Table

from kaoping.domain.labels import DISPUTE_STATES, ENTRY_TYPES, FIGURE_NAMES, GROUP_NAMES, STAGE_NAMES
from kaoping.ledger.writer import BatchRejected

from .common import AsJson, AsOf, Db, fail, local, opened, out, print_json
from .usage import stage_value

app = typer.Typer()
#: `kaoping disputes --status`, in words
STATUS_FILTERS = {"open": "待裁决", "resolved": "已裁决", "all": "全部"}
dispute_app = typer.Typer(no_args_is_help=True, help="单条异议：如果异议成立，会改变什么。")
app.add_typer(dispute_app, name="dispute")


@app.command()
def publish(
    stage: Annotated[str, typer.Option(help="阶段：process（过程成绩，也可写 过程）、half_year（半年综合评价，"
                                            "也可写 半年）或 annual（年度专项考评成绩，也可写 年度）",
                                       callback=stage_value)],
    title: Annotated[str, typer.Option(help="公示标题，例如 2018年半年综合评价结果公示")],
    as_of: AsOf = None,
    appeal_days: Annotated[int | None, typer.Option("--appeal-days", help="申诉期天数（默认：方案的 "
                                                    "appeals.days，例如 7）")] = None,
    publication_id: Annotated[str | None, typer.Option("--id", help="命令编号（默认：新生成一个）")] = None,
    db: Db = None,
    as_json: AsJson = False,
) -> None:
    """公示某一阶段截至某时的排名：排名冻结在一条记录里，并开始申诉期。"""
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
            raise fail(rejected.error.message) from None
        document = services.ledger.publication(command["id"])
    if as_json:
        print_json(document)
    else:
        out.print(f"已公示 {document['id']}：{STAGE_NAMES[document['stage']]}，截至 {local(document['as_of'], services)}，"
                  f"申诉期至 {local(document['appeal_closes'], services)}", highlight=False)


@app.command()
def publication(publication_id: Annotated[str, typer.Argument(help="公示的编号（kaoping publications 的第一列）")],
                db: Db = None, as_json: AsJson = False) -> None:
    """一次公示：冻结的排名，以及此后成绩有变化的每个单位。"""
    with opened(db) as services:
        document = services.ledger.publication(publication_id)
    if as_json:
        print_json(document)
        return
    out.print(f"{document['title']}（{document['id']}）：{STAGE_NAMES[document['stage']]}，截至 "
              f"{local(document['as_of'], services)}，公示于 {local(document['published_at'], services)}，申诉期至 "
              f"{local(document['appeal_closes'], services)}；计入序号 ≤ {document['upto_seq']} 的记录，检查点大小 "
              f"{document['tree_size']}", highlight=False)
    for group in GROUP_NAMES:
        table = Table(title=GROUP_NAMES[group])
        for column in ("名次", "单位", "名称", "得分"):
            table.add_column(column)
        for row in (r for r in document["standings"] if r["group"] == group):
            table.add_row(str(row["rank"]), row["unit"], row["name"], row["score"])
        out.print(table)
    for row in document["changed_since"]:
        out.print(f"公示后有变化：{row['unit']} {row['score']} → {row['now']}", highlight=False)


@app.command()
def publications(db: Db = None, as_json: AsJson = False) -> None:
    """全部公示，从早到晚。"""
    with opened(db) as services:
        rows = services.ledger.publications()
    if as_json:
        print_json(rows)
        return
    for row in rows:
        out.print(f"{row['id']}  {row['title']}  {STAGE_NAMES[row['stage']]}  申诉期至 "
                  f"{local(row['appeal_closes'], services)}", highlight=False)


@app.command()
def disputes(
    status: Annotated[str, typer.Option(help="状态：open（待裁决）、resolved（已裁决）或 all（全部）")] = "open",
    unit: Annotated[str | None, typer.Option(help="只列这个单位的异议，例如 D03")] = None,
    db: Db = None,
    as_json: AsJson = False,
) -> None:
    """各单位的异议，从早到晚：考评办的待办清单。"""
    with opened(db) as services:
        rows = services.ledger.disputes(status=status, unit=unit)
    if as_json:
        print_json([{k: v for k, v in row.items() if k != "target_entry"} for row in rows])
        return
    table = Table(title=f"异议（{STATUS_FILTERS.get(status, status)}）")
    for column in ("异议", "单位", "对象记录", "记录类型", "提出时间", "状态", "理由"):
        # codes are copied into `kaoping dispute preview`: on a narrow terminal the reason wraps, never they
        table.add_column(column, no_wrap=column in ("异议", "单位", "对象记录"))
    for row in rows:
        kind = row["target_type"] or ""
        table.add_row(row["dispute"], row["unit"], row["target"], ENTRY_TYPES.get(kind, kind),
                      local(row["filed_at"], services), DISPUTE_STATES.get(row["status"], row["status"]), row["reason"])
    out.print(table)


@dispute_app.command("preview")
def dispute_preview(code: Annotated[str, typer.Argument(help="异议代码，例如 D03-001")], db: Db = None,
                    as_json: AsJson = False) -> None:
    """如果异议成立会改变什么：每个会变动的单位、成绩项和名次。"""
    with opened(db) as services:
        document = services.ledger.dispute_preview(code)
    if as_json:
        print_json(document)
        return
    out.print(f"{document['dispute']}（{document['unit']}）：若异议成立，总分 {document['now']['total']}（第 "
              f"{document['now']['rank']} 名）→ {document['if_upheld']['total']}（第 "
              f"{document['if_upheld']['rank']} 名）", highlight=False)
    for change in document["changes"]:
        out.print(f"  {change['unit']} {FIGURE_NAMES.get(change['figure'], change['figure'])}："
                  f"{change['now']} → {change['if_upheld']}", highlight=False)


@app.command()
def compare(a: Annotated[str, typer.Argument(help="单位代码，例如 D03")],
            b: Annotated[str, typer.Argument(help="另一个单位代码，例如 D04")],
            as_of: AsOf = None, db: Db = None, as_json: AsJson = False) -> None:
    """A 与 B 相比为什么排在这里：每项成绩、差值及其在总分中的权重。"""
    with opened(db) as services:
        document = services.ledger.compare(a, b, as_of=as_of)
    if as_json:
        print_json(document)
        return
    out.print(f"{document['a']} {document['total_a']} − {document['b']} {document['total_b']} = "
              f"{document['difference']}", highlight=False)
    table = Table()
    for column in ("成绩项", document["a"], document["b"], "差值", "对总分差的贡献"):
        table.add_column(column, justify="left" if column == "成绩项" else "right")
    for row in document["by_figure"]:
        table.add_row(FIGURE_NAMES[row["figure"]], row["a"], row["b"], row["difference"], row["contribution"])
    out.print(table)


__all__ = ["app"]
