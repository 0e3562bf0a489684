"""`kaoping verify` and `kaoping export`: the auditor's commands. `verify --file` checks an exported
copy with no database opened."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from kaoping.domain.notes import NoteError
from kaoping.ledger.keys import file_problem

from .common import AsJson, Db, err, fail, opened, out, print_json

app = typer.Typer()


def vkey_text(value: str) -> str:
    """A vkey given as itself or as the path of a file holding it."""
    path = Path(value)
    try:
        return path.read_text(encoding="utf-8").strip() if path.is_file() else value.strip()
    except (OSError, UnicodeDecodeError) as error:
        raise fail(f"无法读取验证公钥文件 {value}：{file_problem(error)}", 2) from None


@app.command()
def verify(
    db: Db = None,
    file: Annotated[str | None, typer.Option("--file", help="校验导出的 JSON Lines 文件（kaoping export 的"
                                                         "输出，- 表示标准输入），不打开数据库")] = None,
    checkpoint: Annotated[str | None, typer.Option("--checkpoint", help="与 --file 同用：导出文件须与之相符"
                                                   "的已签名检查点（文件）")] = None,
    vkey: Annotated[str | None, typer.Option("--vkey", help="签署检查点的账本验证公钥（或存有它的文件）")]
    = None,
    files: Annotated[Path | None, typer.Option("--files", help="与 --file 同用：kaoping export --files 写出的"
                                                              "文件夹，逐个重算被引用文件的哈希")] = None,
    as_json: AsJson = False,
) -> None:
    """校验账本：逐条核对哈希链，重算 Merkle 树，检查每个检查点；遇到第一条被改动、删除、插入或调换顺序的
    记录，或不相符的检查点，以退出码 1 结束。"""
    key = vkey_text(vkey) if vkey is not None else None
    try:
        if file is not None:
            if db is not None:
                raise fail("--file 校验导出文件，不用数据库：请去掉 --db", 2)
            if files is not None and not files.is_dir():
                raise fail(f"--files {files} 不是一个文件夹", 2)
            report = _verify_file(file, _note(checkpoint) if checkpoint else None, key, files)
        else:
            if checkpoint is not None or files is not None:
                raise fail("--checkpoint 和 --files 只用于校验导出文件（与 --file 同用）", 2)
            with opened(db) as services:
                report = services.verify(vkey=key)
    except NoteError as error:
        raise fail(error.message, 2) from None
    if as_json:
        print_json(report)
    elif report["ok"]:
        extra = ""
        if report.get("checkpoint"):
            extra = f"；大小为 {report['checkpoint']['size']} 的检查点签名有效且相符"
        elif report.get("checkpoints"):
            extra = f"；{report['checkpoints']['count']} 个检查点与 Merkle 树相符"
        out.print(f"校验通过：{report['entries']} 条记录，哈希链完整"
                  + (f"；末条哈希 {report['head']}" if report.get("head") else "") + extra,
                  highlight=False, soft_wrap=True)
    else:
        first = _first_problem(report)
        err.print(f"[bold red]账本被篡改[/]：{first}", highlight=False, soft_wrap=True)
        signer = report.get("signer")
        if signer and not signer["ok"] and not first.startswith("签名记录"):  # which sizes the key signed
            from kaoping.ledger.audit import signer_problem

            err.print(f"签名记录：{signer_problem(signer)[0]}", highlight=False, soft_wrap=True)
    if not report["ok"]:
        raise typer.Exit(1)


def _first_problem(report: dict[str, Any]) -> str:
    from kaoping.ledger.audit import first_problem

    claimed = report.get("checkpoint") or {}
    if not claimed or report.get("first_bad"):
        return first_problem(report)
    if not claimed.get("signature_ok", True):
        return "检查点的签名用这个验证公钥验证不通过"
    return (f"文件的前 {claimed.get('size')} 条记录算不出检查点的根哈希（文件共 {claimed.get('lines_in_file')} "
            "条）：文件被截短或改写")


def _note(path: str) -> str:
    try:
        return Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise fail(f"无法读取检查点文件 {path}：{file_problem(error)}", 2) from None


def _verify_file(path: str, checkpoint: str | None, vkey: str | None,
                 files: Path | None = None) -> dict[str, Any]:
    from kaoping.ledger.export import verify_export

    try:
        if path == "-":
            return verify_export(sys.stdin, checkpoint=checkpoint, vkey=vkey, files=files)
        with open(path, encoding="utf-8-sig") as lines:
            return verify_export(lines, checkpoint=checkpoint, vkey=vkey, files=files)
    except OSError as error:
        raise fail(f"无法读取 {path}：{file_problem(error)}", 2) from None
    except UnicodeDecodeError:
        raise fail(f"{path} 不是 UTF-8 文本", 2) from None


@app.command()
def export(
    db: Db = None,
    out_file: Annotated[str | None, typer.Option("--out", help="写入此文件（默认：标准输出）")] = None,
    files: Annotated[Path | None, typer.Option("--files", help="另把记录引用的每个已存文件写为 DIR/<sha256>")]
    = None,
) -> None:
    """导出整个账本为 JSON Lines：按序号每条记录一行，附哈希链和存储的原始字节，
    可用 kaoping verify --file 在没有数据库的地方校验。"""
    from kaoping.ledger.export import export_line

    count, head = 0, None
    with opened(db) as services:
        rows = services.ledger.export()  # verified first: its findings ride on the lines
        target = open(out_file, "w", encoding="utf-8", newline="\n") if out_file else sys.stdout
        try:
            for row in rows:
                target.write(export_line(row))
                count, head = count + 1, row["hash"]
        except OSError as error:
            raise fail(f"无法写入 {out_file or '标准输出'}：{file_problem(error)}") from None
        finally:
            if out_file:
                target.close()
        if files is not None:
            try:
                written = services.ledger.export_files(files)
            except OSError as error:
                raise fail(f"无法写入 {files}：{file_problem(error)}") from None
            err.print(f"已导出 {written} 个被引用的文件到 {files}", highlight=False, soft_wrap=True)
    err.print(f"已导出 {count} 条记录；末条哈希 {head}", highlight=False, soft_wrap=True)
