"""`kaoping witness` and `kaoping receipt`: what an auditor or a unit runs on a machine of its own
(docs/commands.md §6 "见证", §10.8), and the office's register of witnesses (`witness add`, `witness remove`, `witness
list`). The witness holds the ledger to every checkpoint it has seen (`kaoping.api.witness`); a
receipt is checked against the ledger as it is now (`kaoping.api.receipt`). A ledger's answer or a
file that is not what it should be is a one-line error, exit 2; a refusal (a rollback, a fork, a
bad signature, a split view, a receipt cut off) is exit 1."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer

from kaoping.api import receipt as receipts
from kaoping.api.witness import (CHECKPOINT_BYTES, Malformed, Report, Unreachable, compare as compare_states,
                                 consistency_proof, get, read_file, text_of, witness as run)
from kaoping.domain.notes import NoteError
from kaoping.ledger import keys

from .audit import vkey_text
from .common import AsJson, Db, err, fail, local, opened, out, print_json

app = typer.Typer()
witness_app = typer.Typer(invoke_without_command=True, no_args_is_help=False)
receipt_app = typer.Typer(no_args_is_help=True, help="回执：POST /v1/commands 的 201 答复，或从单位页面下载的回执文件。")
app.add_typer(witness_app, name="witness")
app.add_typer(receipt_app, name="receipt")

Url = Annotated[str | None, typer.Option(help="账本服务的地址，例如 http://127.0.0.1:8000")]
Token = Annotated[str | None, typer.Option(help="能读账本的令牌（审计的，或单位自己的）")]
Vkey = Annotated[str | None, typer.Option(help="账本的验证公钥（或存有它的文件）")]


@contextmanager
def refused_in_one_line() -> Iterator[None]:
    """A ledger's answer or a file that is not what it should be: one line, exit 2."""
    try:
        yield
    except (NoteError, Unreachable, Malformed) as error:
        raise fail(error.message, 2) from None


def needed(**options: Any) -> None:
    missing = [f"--{name.replace('_', '-')}" for name, value in options.items() if value is None]
    if missing:
        raise fail(f"缺少选项：{'、'.join(missing)}", 2)


def report_out(report: Report, as_json: bool, accepted: Callable[[Report], str]) -> None:
    """The report as JSON or a line; exit 1 when it refuses."""
    if as_json:
        print_json(report)
    elif report["ok"]:
        out.print(accepted(report), highlight=False, soft_wrap=True)
    else:
        reason = report.reason_zh or report.get("reason") or report.get("problem")
        err.print(f"[bold red]拒绝[/]：{reason}", highlight=False, soft_wrap=True)
    if not report["ok"]:
        raise typer.Exit(1)


@witness_app.callback()
def witness(
    ctx: typer.Context,
    url: Url = None,
    token: Token = None,
    vkey: Vkey = None,
    state: Annotated[Path | None, typer.Option(help="状态文件：存放本见证人上次验证过的检查点（首次运行时生成）")]
    = None,
    cosign_key: Annotated[Path | None, typer.Option("--cosign", help="见证签名密钥文件（kaoping key generate "
                                                    "--cosigner 生成）：为接受的检查点加见证签名并发回账本")]
    = None,
    receipt: Annotated[Path | None, typer.Option("--receipt", help="从一份回执开始新的状态文件：回执中的检查点签名和"
                                                 "包含证明验证通过后存入 --state；再给出 --url 和 --token 则接着见证一次")]
    = None,
    as_json: AsJson = False,
) -> None:
    """见证：取最新的检查点和从状态文件所存大小起的一致性证明；验证通过则接受并存入状态文件，
    遇到回滚、分叉或签名不对则拒绝（退出码 1，状态文件不变）。"""
    if ctx.invoked_subcommand is not None:
        return
    needed(vkey=vkey, state=state, **({} if receipt else {"url": url, "token": token}))
    assert vkey is not None and state is not None
    with refused_in_one_line():
        key = vkey_text(vkey)
        if receipt is not None:
            started = receipts.start_from(receipt, key, state)
            if not started["ok"] or url is None or token is None:
                report_out(started, as_json, lambda r: f"已从回执开始：{r['origin']} 大小 {r['new_size']}，"
                                                       f"根哈希 {r['root']}")
                return
        cosigner = keys.load(cosign_key) if cosign_key is not None else None
        if cosign_key is not None and cosigner is None:
            raise fail(f"{cosign_key} 处没有见证签名密钥", 2)
        assert url is not None and token is not None
        report = run(url, token, key, state, cosigner=cosigner)
    report_out(report, as_json, lambda r: f"已接受：{r['origin']} 大小 {r['old_size']} → {r['new_size']}，根哈希 "
                                          f"{r['root']}" + ("；已加见证签名" if r.get("cosigned") else ""))


@witness_app.command("compare")
def compare(
    state_a: Annotated[Path, typer.Argument(help="本见证人的状态文件")],
    state_b: Annotated[Path | None, typer.Argument(help="另一个见证人的状态文件")] = None,
    peer: Annotated[str | None, typer.Option("--peer", help="另一个见证人公布其状态的地址（代替 STATE_B）")] = None,
    vkey: Vkey = None,
    url: Annotated[str | None, typer.Option(help="账本服务的地址：两个状态大小不同时，从它取一致性证明")] = None,
    token: Token = None,
    as_json: AsJson = False,
) -> None:
    """比较两个见证人的状态：同一大小两个不同的根，或没有一致性证明能连起来，就是分裂视图（退出码 1）。"""
    needed(vkey=vkey, **({"token": token} if url else {}))
    if (state_b is None) == (peer is None):
        raise fail("请给出另一个见证人的状态：STATE_B 或 --peer URL，二者取一", 2)
    assert vkey is not None
    with refused_in_one_line():
        if peer is not None:
            other, label = text_of(get(peer, None, CHECKPOINT_BYTES), "对方的状态"), "对方的状态"
        else:
            assert state_b is not None
            found = read_file(state_b, CHECKPOINT_BYTES, "状态文件")
            if found is None:
                raise NoteError("witness.state_missing", field="state", path=state_b)
            other, label = found, "状态文件"
        base = url.rstrip("/") if url else None
        proof_of = (lambda old, new: consistency_proof(base, token or "", old, new)) if base else None
        report = compare_states(state_a, other, label, vkey_text(vkey), proof_of)
    report_out(report, as_json, lambda r: f"一致：{r['a']['size']} 与 {r['b']['size']} 是同一账本的前后两个检查点")


@witness_app.command("add")
def add(vkey: Annotated[str, typer.Argument(help="见证人的见证签名公钥（类型 0x04，或存有它的文件）")],
        db: Db = None) -> None:
    """登记一个见证人：此后只接受、只显示用它登记的公钥验证通过的见证签名。"""
    with opened(db) as services:
        witness, made = services.ledger.add_witness(vkey_text(vkey))
    out.print(f"{'已登记' if made else '已登记过，未改动'}：见证人 {witness['name']}", highlight=False)


@witness_app.command("remove")
def remove(name: Annotated[str, typer.Argument(help="见证人的名称")], db: Db = None) -> None:
    """撤销一个见证人的登记：它的见证签名不再显示，也不再接受。"""
    with opened(db) as services:
        services.ledger.remove_witness(name)
    out.print(f"已撤销见证人 {name} 的登记", highlight=False)


@witness_app.command("list")
def listed(db: Db = None, as_json: AsJson = False) -> None:
    """已登记的见证人。"""
    with opened(db) as services:
        found = services.ledger.registered_witnesses()
    if as_json:
        print_json(found)
        return
    for w in found:
        out.print(f"{w['name']}  {w['vkey']}  登记于 {local(w['registered_at'], services)}", highlight=False, soft_wrap=True)
    if not found:
        out.print("还没有登记见证人", highlight=False)


@receipt_app.command("check")
def check(
    file: Annotated[Path, typer.Argument(help="回执文件：201 答复的正文，或从单位页面下载的回执")],
    url: Url = None,
    token: Token = None,
    vkey: Vkey = None,
    as_json: AsJson = False,
) -> None:
    """核对回执：包含证明和检查点签名验证通过，且账本现在的检查点仍是它的一致延续（记录未被截掉或改写）；
    否则退出码 1。"""
    needed(url=url, token=token, vkey=vkey)
    assert url is not None and token is not None and vkey is not None
    with refused_in_one_line():
        report = receipts.check(file, url, token, vkey_text(vkey))
    report_out(report, as_json, lambda r: f"回执有效：序号 {'、'.join(map(str, r['seqs']))} 在大小为 {r['receipt_size']} "
                                          f"的检查点中，账本现有 {r['current_size']} 条，仍是它的延续")
