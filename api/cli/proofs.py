"""`kaoping key`, `checkpoint`, `prove`, `consistency`: the log that outsiders can check (docs/commands.md
§6 "密钥", "检查点", "证明", "回执"). Nothing here prints a private key."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from kaoping.domain.refusals import REFUSALS
from kaoping.ledger import keys

from .common import AsJson, Db, err, fail, opened, out, print_json, settings_for

app = typer.Typer()
key_app = typer.Typer(no_args_is_help=True, help="账本的签名密钥（Go note 格式）。")
app.add_typer(key_app, name="key")


@key_app.command("generate")
def key_generate(
    origin: Annotated[str, typer.Option(help="密钥名称：账本的来源名（不带协议的网址，例如 kaoping.local/county），"
                                             "或见证人的名称")],
    out_file: Annotated[Path, typer.Option("--out", help="新的密钥文件（权限 0600；已有的文件从不覆盖）")],
    cosigner: Annotated[bool, typer.Option(help="生成见证人的见证签名密钥（类型 0x04），而不是账本密钥")]
    = False,
) -> None:
    """生成新的 Ed25519 密钥文件，并印出它的验证公钥（vkey，可以公开）。"""
    from kaoping.domain.errors import KaopingError

    try:
        signer = keys.generate(out_file, origin, cosigner=cosigner)
    except KaopingError as error:
        raise fail(error.message, 2) from None
    err.print(f"密钥已写入 {out_file}；它的验证公钥：", highlight=False)
    out.print(signer.verifier.text, highlight=False, soft_wrap=True)


@key_app.command("vkey")
def key_vkey(db: Db = None) -> None:
    """所配置签名密钥的验证公钥：交给审计和见证人。"""
    from kaoping.domain.errors import KaopingError

    settings = settings_for(db)
    try:
        signer = keys.load(settings.signing_key_path)
    except KaopingError as error:
        raise fail(error.message, 2) from None
    if signer is None:
        raise fail(REFUSALS["key.missing"].zh.format(path=settings.signing_key_path), 2)
    out.print(signer.verifier.text, highlight=False, soft_wrap=True)


@app.command()
def checkpoint(db: Db = None, as_json: AsJson = False) -> None:
    """签署整个账本的检查点（此后没有新记录时，给出最近的一个）。"""
    with opened(db) as services:
        ledger = services.ledger
        ledger.registry()
        stored = ledger.sign_checkpoint()
        note = ledger.checkpoint_note() if stored else ""
    if stored is None:
        raise fail("账本还是空的，没有可签署的内容：请先运行 kaoping init")
    if as_json:
        print_json({"origin": stored.origin, "size": stored.size,
                    "root": stored.checkpoint.root_b64, "note": note})
    else:
        out.print(note, highlight=False, soft_wrap=True, end="")


@app.command()
def prove(
    seq: Annotated[int, typer.Argument(help="记录的序号，例如 120")],
    size: Annotated[int | None, typer.Option(help="已存检查点的大小（默认：最近的一个）")] = None,
    db: Db = None,
    as_json: AsJson = False,
) -> None:
    """序号为 SEQ 的记录在已存检查点中的包含证明（RFC 9162），附检查点签名文本。"""
    with opened(db) as services:
        document = services.ledger.prove(seq, size)
    if as_json:
        print_json(document)
        return
    out.print(f"序号 {document['seq']} 的记录是大小为 {document['tree_size']} 的树的第 {document['leaf_index']} "
              f"号叶子；叶子哈希 {document['leaf_hash']}", highlight=False)
    for step in document["proof"]:
        out.print(f"  {step}", highlight=False)
    out.print(document["checkpoint"], highlight=False, soft_wrap=True, end="")


@app.command()
def consistency(
    old: Annotated[int, typer.Argument(help="较小的树大小，例如 5000")],
    new: Annotated[int | None, typer.Argument(help="已存检查点的大小（默认：最近的一个）")] = None,
    db: Db = None,
    as_json: AsJson = False,
) -> None:
    """从大小为 OLD 的树到大小为 NEW 的检查点的一致性证明（RFC 9162）。"""
    with opened(db) as services:
        document = services.ledger.consistency(old, new)
    if as_json:
        print_json(document)
        return
    out.print(f"大小 {document['size1']} → {document['size2']}：", highlight=False)
    for step in document["proof"]:
        out.print(f"  {step}", highlight=False)
    out.print(document["checkpoint"], highlight=False, soft_wrap=True, end="")
