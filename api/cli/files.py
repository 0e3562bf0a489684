"""`kaoping file add|get`: evidence files into and out of the ledger's file store (docs/commands.md
§10.1). `export --files DIR` and `verify --file … --files DIR` are in `audit`."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated

import typer

from kaoping.ledger.keys import file_problem

from .common import AsJson, Db, fail, opened, out, print_json

app = typer.Typer()
file_app = typer.Typer(help="佐证文件：存入、取出（按内容的 SHA-256 寻址，存入后永不改变）。", no_args_is_help=True)
app.add_typer(file_app, name="file")

SHA256 = re.compile(r"^[0-9a-fA-F]{64}$")


@file_app.command("add")
def add(paths: Annotated[list[Path], typer.Argument(help="要存入的文件，一个或多个")], db: Db = None,
        as_json: AsJson = False) -> None:
    """存入佐证文件：类型按内容判断（PDF、OFD、JPEG、PNG、WebP、Office 文档、纯文本、ZIP），每个文件打印一个与
    POST /v1/files 相同的应答。"""
    for path in paths:
        if not path.is_file():
            raise fail(f"{path} 不是一个可读的文件", 2)
    with opened(db) as services:
        try:
            answers = services.ledger.add_files(paths)
        except OSError as error:
            raise fail(f"无法读取文件：{file_problem(error)}") from None
    if as_json:
        print_json(answers if len(answers) > 1 else answers[0])
        return
    for path, answer in zip(paths, answers, strict=True):
        state = "已存在（未重复存储）" if answer["duplicate"] else "已存入"
        out.print(f"{path}：{state}，{answer['media_type']}，{answer['size']} 字节，sha256 {answer['sha256']}",
                  highlight=False, soft_wrap=True)


@file_app.command("get")
def get(sha256: Annotated[str, typer.Argument(help="文件内容的 SHA-256（64 位十六进制）")],
        out_path: Annotated[Path, typer.Option("--out", help="写入此文件")], db: Db = None) -> None:
    """取出一个已存的文件，写入 --out。"""
    if not SHA256.match(sha256):
        raise fail("SHA256 应为 64 位十六进制，例如 kaoping file get 3a7bd3e2…（完整的 64 位）", 2)
    with opened(db) as services:
        stored = services.ledger.stored_file(sha256.lower())
        if stored is None:
            raise fail(f"没有哈希为 {sha256.lower()} 的文件")
        try:
            with open(out_path, "wb") as target:
                for piece in services.ledger.file_bytes(stored.sha256):
                    target.write(piece)
        except OSError as error:
            raise fail(f"无法写入 {out_path}：{file_problem(error)}") from None
    out.print(f"已写入 {out_path}（{stored.media_type}，{stored.size} 字节，{stored.name}）", highlight=False,
              soft_wrap=True)
