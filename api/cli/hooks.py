"""`kaoping hooks`: 推送 on the command line (docs/commands.md §10.6) — register a receiver, list and
remove them, see the deliveries (the failed ones), retry one by hand, and run the delivery worker
alone (`kaoping hooks run`, as `kaoping serve` runs it in its process)."""

from __future__ import annotations

import signal
from typing import Annotated

import typer
from rich.table import Table

from kaoping.api.delivery import Deliverer
from kaoping.domain.hooks import EVENT_NAMES, FORMAT_NAMES

from .common import AsJson, Db, codes, local, opened, out, print_json

app = typer.Typer()
hooks_app = typer.Typer(no_args_is_help=True, help="推送：把新记录、异议、公示和每日督办提醒推给钉钉、企业微信或任何网址。")
app.add_typer(hooks_app, name="hooks")

STATUS_NAMES = {"pending": "待投递", "delivered": "已投递", "failed": "失败"}


@hooks_app.command("add")
def add(
    url: Annotated[str, typer.Option("--url", help="接收方的网址（http 或 https）")],
    format: Annotated[str, typer.Option("--format", help="generic（通用 JSON）、dingtalk（钉钉机器人）或 wecom（企业微信机器人）")] = "generic",
    secret: Annotated[str | None, typer.Option("--secret", help="签名密钥：generic 的 HMAC 密钥，或钉钉机器人“加签”的密钥（不会显示）")] = None,
    events: Annotated[str | None, typer.Option("--events", help="逗号分隔：entry,dispute,publication,reminder（默认全部）")] = None,
    unit: Annotated[list[str] | None, typer.Option("--unit", help="只推送这些单位的记录和提醒（可重复，或逗号分隔）")] = None,
    db: Db = None,
    as_json: AsJson = False,
) -> None:
    """登记一个推送接收方，打印它的编号。"""
    units = [code for text in unit or [] for code in codes(text)]
    with opened(db) as services:
        hook = services.outbox.add(url=url, format=format, secret=secret, units=units,
                                   events=events.split(",") if events is not None else None)
    if as_json:
        print_json(hook.shown())
        return
    out.print(hook.id, highlight=False)


@hooks_app.command("list")
def list_hooks(db: Db = None, as_json: AsJson = False) -> None:
    """列出登记的推送（不显示密钥）。"""
    with opened(db) as services:
        shown = [hook.shown() for hook in services.outbox.hooks()]
        counts = services.outbox.counts()
    if as_json:
        print_json(shown)
        return
    if not shown:
        out.print("还没有登记推送：用 kaoping hooks add --url … 登记。")
        return
    table = Table(title="登记的推送")
    for column in ("编号", "格式", "地址", "事件", "单位", "签名", "登记时间"):
        table.add_column(column)
    for hook in shown:
        table.add_row(hook["id"], FORMAT_NAMES[hook["format"]], _host(hook["url"]),
                      "、".join(EVENT_NAMES[e] for e in hook["events"]), "、".join(hook["units"]) or "全部",
                      "有" if hook["secret"] else "无", local(hook["created_at"], services))
    out.print(table)
    out.print("投递：" + "，".join(f"{STATUS_NAMES.get(k, k)} {v}" for k, v in sorted(counts.items())), highlight=False)


@hooks_app.command("remove")
def remove(hook_id: Annotated[str, typer.Argument(help="推送的编号，例如 h-1a2b3c4d")], db: Db = None) -> None:
    """停用一个推送：之后不再给它投递，待投递的也不再发送。"""
    with opened(db) as services:
        hook = services.outbox.remove(hook_id)
    out.print(f"已停用推送 {hook.id}", highlight=False)


@hooks_app.command("deliveries")
def deliveries(
    failed: Annotated[bool, typer.Option("--failed", help="只列出已放弃的（失败的）投递")] = False,
    hook: Annotated[str | None, typer.Option("--hook", help="只列出这个推送的投递")] = None,
    db: Db = None,
    as_json: AsJson = False,
) -> None:
    """列出最近的投递（最新的在前）；失败的可用 kaoping hooks retry 重试。"""
    with opened(db) as services:
        shown = [d.shown() for d in services.outbox.deliveries(failed=failed, hook=hook)]
    if as_json:
        print_json(shown)
        return
    if not shown:
        out.print("没有失败的投递。" if failed else "还没有投递。")
        return
    table = Table(title="失败的投递" if failed else "最近的投递")
    for column in ("投递编号", "推送", "事件", "状态", "尝试次数", "最后的错误", "生成时间"):
        table.add_column(column)
    for d in shown:
        table.add_row(d["id"], d["hook"], EVENT_NAMES.get(d["event"], d["event"]), STATUS_NAMES.get(d["status"], d["status"]),
                      str(d["attempts"]), d["last_error"] or "", local(d["created_at"], services))
    out.print(table)


@hooks_app.command("retry")
def retry(delivery: Annotated[str, typer.Argument(help="投递编号（见 kaoping hooks deliveries --failed）")],
          db: Db = None) -> None:
    """重新投递一次（同一个投递编号，尝试次数重新计）。"""
    with opened(db) as services:
        found = services.outbox.retry(delivery)
    out.print(f"投递 {found.id} 将重新发送（由 kaoping serve 或 kaoping hooks run 发送）", highlight=False)


@hooks_app.command("run")
def run(db: Db = None,
        once: Annotated[bool, typer.Option("--once", help="只处理一轮（推出、提醒、发送到期的）就退出")] = False) -> None:
    """单独运行投递（kaoping serve 在自己的进程里也运行它）：直到 Ctrl-C。"""
    with opened(db) as services:
        worker = Deliverer(services.outbox, services.settings, services.ledger.clock)
        if once:
            counts = worker.run_once()
            worker.stop()
            out.print(f"已投递 {counts['delivered']}，待重试 {counts['retrying']}，失败 {counts['failed']}", highlight=False)
            return
        signal.signal(signal.SIGTERM, lambda *_: worker.halt())
        out.print("投递运行中（Ctrl-C 停止）", highlight=False)
        try:
            worker.run()
        except KeyboardInterrupt:
            pass
        finally:
            worker.stop()


def _host(url: str) -> str:
    """A URL as listed: scheme, host and path; its query (a robot's access token) not shown."""
    return url.split("?", 1)[0]
