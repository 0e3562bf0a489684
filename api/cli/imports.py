"""`kaoping template` and `kaoping import`: spreadsheets in (docs/commands.md §10.3). The command
line records with the office's rights, so it imports every kind."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from kaoping.domain.errors import KaopingError
from kaoping.domain.principals import OFFICE
from kaoping.domain.sheets_in import KINDS, KIND_NAMES
from kaoping.ledger.keys import file_problem

from ..imports import run_import
from ..templates import template_book, template_name
from .common import AsJson, Db, fail, opened, out, own_name, print_json

app = typer.Typer()
KIND_HELP = "表格种类：" + "、".join(f"{k}（{v}）" for k, v in KIND_NAMES.items())


@app.command()
def template(kind: Annotated[str, typer.Argument(help=KIND_HELP)],
             group: Annotated[str | None, typer.Option("--group", help="只列这一组的单位：departments 或 towns_zones")] = None,
             out_path: Annotated[Path | None, typer.Option("--out", help="写入此文件（默认：当前目录下的 template-种类.xlsx）")] = None,
             db: Db = None) -> None:
    """写出一种表格的导入模板（xlsx）：中文表头“中文名（字段）”、填好的单位、封闭选项的下拉列表、填写说明。"""
    if kind not in KINDS:
        raise fail(f"没有这种表格：{kind}；应为以下之一：{'、'.join(KINDS)}", 2)
    if group not in (None, "departments", "towns_zones"):
        raise fail("--group 应为 departments 或 towns_zones", 2)
    with opened(db) as services:
        try:
            body = template_book(kind, services.ledger.import_known(OFFICE), OFFICE, group)
        except KaopingError as error:
            raise fail(error.message) from None
    target = out_path or Path(f"{template_name(kind)[1]}.xlsx")
    try:
        target.write_bytes(body)
    except OSError as error:
        raise fail(f"无法写入 {target}：{file_problem(error)}") from None
    out.print(f"已写入 {target}（{KIND_NAMES[kind]}模板）", highlight=False, soft_wrap=True)


@app.command("import")
def import_sheet(file: Annotated[Path, typer.Argument(help="表格文件：xlsx，或 UTF-8、GB18030 编码的 CSV")],
                 kind: Annotated[str, typer.Option("--kind", help=KIND_HELP)],
                 dry_run: Annotated[bool, typer.Option("--dry-run", help="只预览：列出错误和会变动的分数，不写入")] = False,
                 actor: Annotated[str, typer.Option(help="登记人：写在每条记录上的名字")] = "office",
                 db: Db = None, as_json: AsJson = False) -> None:
    """导入一张表格：先列出所有错误（按工作表、行、列），没有错误才整张表一次写入，全有或全无；再次导入同一张表不重复写入。"""
    try:
        data = file.read_bytes()
    except OSError as error:
        raise fail(f"无法读取 {file}：{file_problem(error)}", 2) from None
    with opened(db) as services:
        ledger = services.ledger
        actor = own_name(services, actor)
        principal = OFFICE if actor == "office" else type(OFFICE)(actor=actor, role="office")

        def submit(commands: Any, who: Any) -> Any:
            return ledger.ingest(list(commands), actor=who.actor, principal=who)

        try:
            plan = run_import(ledger, submit, kind, data, file.name, principal, dry_run=dry_run)
        except KaopingError as error:
            raise fail(error.message) from None
        if plan.applied:
            services.projection.catch_up()
    document = plan.as_json()
    if as_json:
        print_json({k: v for k, v in document.items() if k != "preview"})
    else:
        _say(document, dry_run)
    if plan.errors:
        raise typer.Exit(1)


def _say(document: dict[str, Any], dry_run: bool) -> None:
    out.print(f"{KIND_NAMES[document['kind']]}：{document['rows']} 行，{document['commands']} 条命令"
              f"（其中已登记过 {document['duplicates']} 条），文件 sha256 {document['file_sha256']}",
              highlight=False, soft_wrap=True)
    for error in document["errors"]:
        place = f"工作表“{error['sheet']}”" + (f"第 {error['row']} 行" if error["row"] else "") + \
            (f" {error['column']} 列" if error["column"] else "")
        out.print(f"  {place}：{error['message']}", highlight=False, soft_wrap=True)
    if document["errors"]:
        out.print(f"共 {len(document['errors'])} 个错误：未写入任何内容", highlight=False)
        return
    if dry_run:
        for move in document["moves"][:200]:
            out.print(f"  {move['unit']} {move['name']} {move['figure']}：{move['now']} → {move['after']}",
                      highlight=False)
        out.print(f"预览：会变动 {len(document['moves'])} 个分数；未写入任何内容（去掉 --dry-run 即写入）",
                  highlight=False)
    elif document["appended"] == 0:
        out.print("这张表已全部登记过：未写入任何内容", highlight=False)
    else:
        out.print(f"新登记 {document['appended']} 条", highlight=False)
