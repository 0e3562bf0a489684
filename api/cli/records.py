"""`kaoping` commands that record: `init`, `status`, `ingest`, `demo`, `scheme`, `token`. The command
line is the operator's tool: it holds the database itself and records with the office's rights."""

from __future__ import annotations

import json
import sys
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from kaoping.api.outages import trouble
from kaoping.domain.labels import ENTRY_TYPES, FIGURE_NAMES, ROLE_NAMES
from kaoping.domain.refusals import REFUSALS
from kaoping.ledger.keys import file_problem
from kaoping.ledger.writer import BatchRejected

from .common import AsJson, Db, codes, err, fail, local, opened, out, own_name, print_json, progress, read_commands

app = typer.Typer()

#: `kaoping status`, line by line
STATUS_NAMES = {"database": "数据库", "initialised": "已建立", "scheme_version": "方案版本", "units": "单位数",
                "entries": "记录数"}


def _said(value: Any) -> Any:
    return {True: "是", False: "否", None: "无"}.get(value, value) if isinstance(value, (bool, type(None))) else value


@app.command()
def init(db: Db = None) -> None:
    """建立账本：登记 2018 年考评方案和 59 个被考评单位（可重复运行，已建立则不变）。"""
    with opened(db) as services:
        created = services.ledger.init()
        status = services.ledger.status()
    if created:
        out.print(f"账本已建立：方案 {status['scheme_version']}，{status['units']} 个单位")
    else:
        out.print(f"账本早已建立（方案 {status['scheme_version']}，{status['units']} 个单位），没有改动")


@app.command()
def status(db: Db = None, as_json: AsJson = False) -> None:
    """账本在哪里、存有什么。"""
    with opened(db) as services:
        document = services.ledger.status()
    if as_json:
        print_json(document)
    else:
        for key, value in document.items():
            out.print(f"{STATUS_NAMES.get(key, key)}：{_said(value)}", highlight=False)


@app.command()
def ingest(
    file: Annotated[str, typer.Argument(help="命令文件（JSON Lines，每行一条命令），- 表示标准输入")],
    db: Db = None,
    actor: Annotated[str, typer.Option(help="登记人：写在每条记录上的名字")] = "office",
    as_json: AsJson = False,
) -> None:
    """登记一个命令文件：要么全部登记，要么一条也不登记；已登记过的命令（同一编号、同一内容）不重复登记。"""
    numbered = read_commands(file)
    behind = None  # what kept the read model from catching up after the commands were committed
    with opened(db) as services:
        actor = own_name(services, actor, numbered)
        try:
            with progress(len(numbered)) as advance:
                result = services.ledger.ingest([item for _, item in numbered], actor=actor,
                                                progress=advance)
        except BatchRejected as rejected:
            line = numbered[rejected.index][0]
            ident = f"（编号 {rejected.command_id}）" if rejected.command_id else ""
            raise fail(f"第 {line} 行{ident}：{rejected.error.message}；未登记任何内容") from None
        except Exception as error:
            refused = trouble(error)
            if refused is None:
                raise
            raise fail(f"{refused.message}。这一批 {len(numbered)} 条命令未能确认登记（要么全部登记，要么一条也没有）："
                       "排除故障后重新运行同一命令，已登记的命令不会重复登记", 75) from None
        try:
            services.projection.catch_up()
        except Exception as error:
            behind = trouble(error)
            if behind is None:
                raise
    if as_json:
        print_json({"appended": result.appended, "duplicates": result.duplicates,
                    "results": [r.as_json() for r in result.results]})
    else:
        out.print(f"新登记 {result.appended} 条，重复（已登记过）{result.duplicates} 条")
    if behind is not None:  # committed: the operator must not send them again believing they were lost
        err.print(f"[bold yellow]注意：[/]以上命令已全部写入账本；之后更新读模型时出错：{behind.message}。"
                  "排除故障后运行 kaoping rebuild（或任一读取时自动补上）", highlight=False, soft_wrap=True)


@app.command()
def demo(
    db: Db = None,
    seed: Annotated[int, typer.Option(help="随机种子：同一种子得到同一年的数据")] = 2018,
    scale: Annotated[int, typer.Option(min=1, max=100, help="规模倍数：每个单位的任务和记录数乘以此数")] = 1,
    actor: Annotated[str, typer.Option(help="登记人：写在每条模拟记录上的名字")] = "office",
) -> None:
    """登记模拟的 2018 年全年数据（59 个单位），与真实命令走同一条登记路径。"""
    from kaoping.demo import demo_year, in_batches
    from kaoping.demo.cores import AMENDED_AT, AMENDMENT

    commands = demo_year(seed=seed, scale=scale, sub_indicators=True)
    appended = duplicates = 0
    with opened(db) as services:
        actor = own_name(services, actor)
        services.ledger.init()
        # the core sub-indicators (docs/scheme.md §4.1) are in force before the first score by parts
        amended = any(v["version"] == AMENDMENT["version"] for v in services.ledger.schemes())
        steps: list[list[dict[str, Any]] | None] = []  # None: the amendment, in its place in time
        for batch in in_batches(commands):  # a publication counts what was stored before it
            if not amended and datetime.fromisoformat(batch[-1]["recorded_at"]) >= AMENDED_AT:
                before = [c for c in batch if datetime.fromisoformat(c["recorded_at"]) < AMENDED_AT]
                steps += [before, None] if before else [None]
                batch, amended = batch[len(before):], True
            steps.append(batch)
        for step in steps:
            if step is None:
                services.ledger.amend_scheme(AMENDMENT, actor=actor, recorded_at=AMENDED_AT.isoformat())
                continue
            try:
                with progress(len(step)) as advance:
                    result = services.ledger.ingest(step, actor=actor, progress=advance)
            except BatchRejected as rejected:
                raise fail(f"模拟命令 {rejected.command_id}：{rejected.error.message}") from None
            appended, duplicates = appended + result.appended, duplicates + result.duplicates
        services.projection.catch_up()
    out.print(f"模拟年度（种子 {seed}，规模 {scale}）：新登记 {appended} 条，重复 {duplicates} 条")


@app.command("demo-tokens")
def demo_tokens(
    file: Annotated[Path, typer.Option(help="保存令牌的文件（权限 0600）；其中仍有效的令牌照旧使用")],
    db: Db = None,
    as_json: AsJson = False,
) -> None:
    """模拟年度每个角色一个令牌（考评办、领导小组办公室、县领导、考核主体、两个单位、核验人员、审计）：
    文件中仍然有效的令牌照旧显示，被吊销或账本新建的才重新签发。"""
    from kaoping.demo import demo_year
    from kaoping.demo.accounts import demo_accounts

    try:
        kept = json.loads(file.read_text(encoding="utf-8")) if file.exists() else {}
    except (OSError, ValueError):
        kept = {}
    kept = kept if isinstance(kept, dict) else {}
    shown: list[dict[str, Any]] = []
    with opened(db) as services:
        ledger = services.ledger
        for account in demo_accounts(demo_year()):
            token = kept.get(account["key"])
            principal = ledger.principal_for(token) if isinstance(token, str) else None
            if principal is None:  # revoked, or a ledger made anew: issue another
                _, token = ledger.create_token(actor=account["actor"], role=account["role"], unit=account["unit"],
                                               units=account["units"], indicators=account["indicators"])
            kept[account["key"]] = token
            shown.append({**account, "token": token})
    file.touch(mode=0o600)
    file.chmod(0o600)
    file.write_text(json.dumps(kept, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    if as_json:
        print_json(shown)
        return
    for account in shown:
        scope = account["unit"] or ",".join(account["units"] + account["indicators"])
        out.print(f"{ROLE_NAMES.get(account['role'], account['role'])}（{account['actor']}"
                  f"{'，' + scope if scope else ''}）：", highlight=False)
        out.print(account["token"], highlight=False, soft_wrap=True)


scheme_app = typer.Typer(no_args_is_help=True, help="考评方案：按版本登记的数据，修订也是一条记录。")
app.add_typer(scheme_app, name="scheme")


@scheme_app.command("show")
def scheme_show(db: Db = None, as_json: AsJson = False) -> None:
    """方案的每个版本：从何时起生效，由哪条记录登记。"""
    with opened(db) as services:
        versions = services.ledger.schemes()
    if as_json:
        print_json(versions)
        return
    for v in versions:
        e = v["entry"]
        kind = ENTRY_TYPES.get(e["type"], e["type"])
        out.print(f"{v['version']}  自 {local(v['in_force_from'], services)} 起生效  由记录 #{e['seq']} {e['id']} 登记"
                  f"（{kind}，登记时间 {local(e['recorded_at'], services)}，登记人 {e['actor']}）", highlight=False)
        if v["problem"]:
            out.print(f"  [yellow]登记于开始检查修订之前：[/]{v['problem']}", highlight=False)


@scheme_app.command("amend")
def scheme_amend(
    file: Annotated[str, typer.Argument(help="方案修订文件：写明新版本号的 JSON 合并补丁")],
    recorded_at: Annotated[str | None, typer.Option("--recorded-at", help="生效时间（默认：现在），"
                                                    "例如 2018-11-01")] = None,
    actor: Annotated[str, typer.Option(help="登记人：写在修订记录上的名字")] = "office",
    dry_run: Annotated[bool, typer.Option("--dry-run", help="只显示会改变什么，不登记")] = False,
    db: Db = None,
    as_json: AsJson = False,
) -> None:
    """修订方案（例如市里后来下发的 B10–B12 细则）：登记一条新记录，从不改动旧记录。修订是对此前现行版本的
    JSON 合并补丁（方案第 10 节），按键逐条修改，例如 {"version": "2018.2", "bonus": {"caps": {"B3+B4": "0.5"}}}。"""
    try:
        amendment = json.loads(Path(file).read_text(encoding="utf-8"), parse_float=Decimal)
    except (OSError, json.JSONDecodeError) as error:
        problem = (f"不是有效的 JSON（第 {error.lineno} 行第 {error.colno} 列）"
                   if isinstance(error, json.JSONDecodeError) else file_problem(error))
        raise fail(f"无法读取 {file}：{problem}") from None
    if not isinstance(amendment, dict):
        raise fail(REFUSALS["amendment.not_object"].zh.format())
    with opened(db) as services:
        if dry_run:
            preview = services.ledger.preview_amendment(amendment, recorded_at=recorded_at)
        else:
            version = services.ledger.amend_scheme(amendment, actor=own_name(services, actor),
                                                   recorded_at=recorded_at)
    if not dry_run:
        if as_json:
            print_json({"version": version, "recorded": True})
        else:
            out.print(f"方案 {version} 已登记")
    elif as_json:
        print_json(preview)
    else:
        _print_preview(preview)


def _print_preview(preview: dict[str, Any]) -> None:
    out.print(f"试算，未登记：方案 {preview['version']}（修订 {preview['amends']}），自 "
              f"{preview['in_force_from']} 起生效", highlight=False)
    changes = Table(title="方案的改动")
    for column in ("位置", "修订前", "修订后"):
        changes.add_column(column)
    for change in preview["changes"]:
        changes.add_row(change["path"], *(json.dumps(change[k], ensure_ascii=False)
                                          for k in ("before", "after")))
    out.print(changes)
    if not preview["units"]:
        out.print("按现在的数据计分，没有单位的成绩会改变")
        return
    units = Table(title="会改变的成绩（按现在的数据计分）")
    for column in ("单位", "名称", "成绩项", "修订前", "修订后"):
        units.add_column(column, justify="right" if column in ("修订前", "修订后") else "left")
    for unit in preview["units"]:
        for figure in unit["figures"]:
            units.add_row(unit["unit"], unit["name"], FIGURE_NAMES.get(figure["figure"], figure["figure"]),
                          figure["before"], figure["after"])
    out.print(units)


token_app = typer.Typer(no_args_is_help=True, help="令牌：网页和 HTTP 接口的登录凭据，各带一个角色。")
app.add_typer(token_app, name="token")


@token_app.command("create")
def token_create(
    actor: Annotated[str, typer.Option(help="登记人：此令牌登记的每条记录上写的名字，例如 县考核办")],
    role: Annotated[str, typer.Option(help="角色：office（考评办）、assessor（考核主体）、leader（县领导）、"
                                           "group_office（领导小组办公室）、unit（被考评单位）、"
                                           "verifier（核验人员）、auditor（审计）")],
    unit: Annotated[str | None, typer.Option(help="单位令牌的单位代码，例如 D03")] = None,
    units: Annotated[str | None, typer.Option(help="县领导分管的单位，用逗号分隔，例如 D01,D02")] = None,
    indicators: Annotated[str | None, typer.Option(help="考核主体评分的共性指标，例如 C02,C03")] = None,
    db: Db = None,
) -> None:
    """签发令牌：只显示这一次，单独印在最后一行（账本只存它的哈希）。"""
    with opened(db) as services:
        token_id, token = services.ledger.create_token(
            actor=actor, role=role, unit=unit.upper() if unit else None, units=codes(units),
            indicators=codes(indicators))
    err.print(f"令牌 {token_id}，给 {actor}（{ROLE_NAMES.get(role, role)}）；请现在保存，它不会再显示：",
              highlight=False)
    sys.stdout.write(token + "\n")


@token_app.command("list")
def token_list(db: Db = None, as_json: AsJson = False) -> None:
    """签发过的每个令牌（不含密文），已吊销的标明。"""
    with opened(db) as services:
        tokens = services.ledger.tokens()
    if as_json:
        print_json(tokens)
        return
    table = Table(title="令牌")
    for column in ("令牌", "登记人", "角色", "范围", "签发时间", "已吊销"):
        table.add_column(column)
    for t in tokens:
        scope = t["unit"] or ",".join(t["units"] + t["indicators"])
        table.add_row(t["token_id"], t["actor"], ROLE_NAMES.get(t["role"], t["role"]), scope, local(t["created_at"], services),
                      "是" if t["revoked"] else "")
    out.print(table)


@token_app.command("revoke")
def token_revoke(token_id: Annotated[str, typer.Argument(help="令牌编号（kaoping token list 的第一列）")],
                 db: Db = None) -> None:
    """吊销令牌，从现在起失效（作为一条记录登记）。"""
    with opened(db) as services:
        services.ledger.revoke_token(token_id)
    out.print(f"已吊销 {token_id}")
