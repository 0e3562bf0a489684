"""`kaoping witness`: what an auditor runs on a machine of its own (CONTRACT.md, "Verifying against a
checkpoint"). It holds the ledger to every checkpoint it has seen; see `kaoping.api.witness`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from kaoping.api.witness import Unreachable, witness as run
from kaoping.domain.notes import NoteError
from kaoping.ledger import keys

from .audit import vkey_text
from .common import AsJson, err, fail, out, print_json

app = typer.Typer()


@app.command()
def witness(
    url: Annotated[str, typer.Option(help="账本服务的地址，例如 http://127.0.0.1:8000")],
    token: Annotated[str, typer.Option(help="能读账本的令牌（审计的）")],
    vkey: Annotated[str, typer.Option(help="账本的验证公钥（或存有它的文件）")],
    state: Annotated[Path, typer.Option(help="状态文件：存放本见证人上次验证过的检查点（首次运行时生成）")],
    cosign_key: Annotated[Path | None, typer.Option("--cosign", help="见证签名密钥文件（kaoping key generate "
                                                    "--cosigner 生成）：为接受的检查点加见证签名并发回账本")]
    = None,
    as_json: AsJson = False,
) -> None:
    """见证：取最新的检查点和从状态文件所存大小起的一致性证明；验证通过则接受并存入状态文件，
    遇到回滚、分叉或签名不对则拒绝（退出码 1，状态文件不变）。"""
    try:
        cosigner = keys.load(cosign_key) if cosign_key is not None else None
        if cosign_key is not None and cosigner is None:
            raise fail(f"{cosign_key} 处没有见证签名密钥", 2)
        report = run(url, token, vkey_text(vkey), state, cosigner=cosigner)
    except (NoteError, Unreachable) as error:
        raise fail(error.message, 2) from None
    if as_json:
        print_json(report)
    elif report["ok"]:
        out.print(f"已接受：{report['origin']} 大小 {report['old_size']} → {report['new_size']}，根哈希 "
                  f"{report['root']}" + ("；已加见证签名" if report.get("cosigned") else ""),
                  highlight=False, soft_wrap=True)
    else:
        err.print(f"[bold red]拒绝[/]：{report.reason_zh or report.get('reason')}", highlight=False, soft_wrap=True)
    if not report["ok"]:
        raise typer.Exit(1)
