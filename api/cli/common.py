"""What every `kaoping` command shares: the consoles, the common options, how a command opens the
ledger (through the composition root) and how it fails (a clear line on stderr and an exit code)."""

from __future__ import annotations

import getpass
import json
import os
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import ValidationError
from rich.console import Console, ConsoleDimensions

from kaoping.api import bootstrap as root
from kaoping.api.outages import trouble
from kaoping.domain.errors import KaopingError
from kaoping.domain.moments import local_time
from kaoping.ledger.keys import file_problem
from kaoping.ledger.settings import Settings

#: how wide the command line writes when its output is no terminal (a file, a pipe, a program):
#: wider than any table it prints, so none is cut and every code and hash can be copied whole
UNCUT_WIDTH = 1000


class _Console(Console):
    """rich's console, as wide as the terminal on a terminal (`$COLUMNS` there), and never cutting
    a table when written to a file or a pipe, whatever `$COLUMNS` says."""

    @property
    def size(self) -> ConsoleDimensions:
        size = super().size
        return size if self.is_terminal else ConsoleDimensions(UNCUT_WIDTH, size.height)

    @size.setter
    def size(self, new_size: tuple[int, int]) -> None:
        Console.size.fset(self, new_size)  # type: ignore[attr-defined]


out = _Console()
err = _Console(stderr=True)

Db = Annotated[str | None, typer.Option("--db", help="账本数据库：sqlite:///路径 或 "
                                                    "postgresql://用户@主机:端口/库名（默认取 $KAOPING_DATABASE_URL）")]
AsJson = Annotated[bool, typer.Option("--json", help="输出一个 JSON 文档（供程序读取）")]
AsOf = Annotated[str | None, typer.Option("--as-of", help="截至时间：日期（指当天结束，按 $KAOPING_TZ），"
                                                       "例如 2018-07-31；或带时区的时间，例如 2018-07-31T18:00:00+08:00")]

#: the settings, as the configuration refusal names them
SETTING_NAMES = {"database_url": "数据库地址（KAOPING_DATABASE_URL / --db）", "tz": "时区（KAOPING_TZ）",
                 "signing_key": "签名密钥文件（KAOPING_SIGNING_KEY）"}
#: the settings' own refusals (ledger.settings), by how they begin, in words
SETTING_PROBLEMS = {
    "expected sqlite": "应为 sqlite:///路径 或 postgresql://用户@主机:端口/库名[?schema=名称]，例如 sqlite:///./kaoping.db",
    "schema": "schema 名称只能由小写字母、数字和 _ 组成，并以字母开头，例如 county_2018",
    "unknown time zone": "没有这个时区，例如 Asia/Shanghai",
}


def fail(message: str, code: int = 1) -> typer.Exit:
    """End the command: "错误：" and the message on stderr, no traceback, exit `code`."""
    err.print(f"[bold red]错误：[/]{message}", highlight=False, soft_wrap=True)
    return typer.Exit(code)


def settings_for(db: str | None) -> Settings:
    try:
        return root.load_settings(db)
    except ValidationError as error:
        first = error.errors(include_url=False)[0]
        message = first["msg"].removeprefix("Value error, ")
        words = next((zh for start, zh in SETTING_PROBLEMS.items() if message.startswith(start)), message)
        name = SETTING_NAMES.get(str(first["loc"][0]), str(first["loc"][0]))
        raise fail(f"配置有误：{name}：{words}", 2) from None


def operator() -> str:
    """The OS user at this console: written on every entry the command line records (`console`)."""
    try:
        return getpass.getuser()
    except (OSError, KeyError):  # no login name in the environment and no password entry
        return f"uid {os.getuid()}"


def own_name(services: root.Services, actor: str, items: Sequence[tuple[int, Any]] = ()) -> str:
    """`actor` (`--actor`) if no token holds that name, nor the `actor` of any of the numbered
    commands `items`: the console records in its own name, never in the name of a token's holder
    (revoked or not), whose entries it would pass for."""
    held = {t["actor"] for t in services.ledger.tokens()}
    if actor in held:
        raise fail(f"--actor：“{actor}”是令牌持有人的名字，命令行不能以此名义登记；请写操作员自己的名字"
                   "（默认 office）。未登记任何内容", 2)
    for line, item in items:
        named = item.get("actor") if isinstance(item, dict) else None
        if isinstance(named, str) and named in held:
            raise fail(f"第 {line} 行：登记人（actor）“{named}”是令牌持有人的名字，命令行不能以此名义登记；"
                       "去掉 actor 或写操作员自己的名字。未登记任何内容", 2)
    return actor


@contextmanager
def opened(db: str | None) -> Iterator[root.Services]:
    """The services over the ledger at `db`; a domain error ends the command with its Chinese message.
    What they record is marked as recorded at this console, by its OS user (`operator`)."""
    try:
        services = root.bootstrap(settings_for(db), console=operator())
    except Exception as error:  # the database out of reach before anything was asked of it
        refused = trouble(error)
        if refused is None:
            raise
        raise fail(f"{refused.message}。未读取、未登记任何内容。") from None
    try:
        yield services
    except KaopingError as error:
        raise fail(str(error)) from None
    except Exception as error:
        refused = trouble(error)
        if refused is None:
            raise
        raise fail(f"{refused.message}（命令未完成；重新运行同一命令即可）", 75) from None
    finally:
        try:
            services.close()
        except Exception as error:  # a connection that is gone cannot be closed: nothing to keep
            if trouble(error) is None:
                raise


def local(moment: Any, services: root.Services) -> str:
    """A moment of a document as people read it: in the office's zone, to the minute, as the pages
    show it (`domain.moments.local_time`); `--json` keeps the contract's ISO form."""
    return local_time(moment, services.settings.zone)


def print_json(document: Any) -> None:
    sys.stdout.write(json.dumps(document, ensure_ascii=False, indent=2, default=str) + "\n")


def read_commands(path: str) -> list[tuple[int, Any]]:
    """(line number, object) for each non-blank line; numbers are read as Decimal, never float."""
    try:
        text = sys.stdin.read() if path == "-" else Path(path).read_text(encoding="utf-8-sig")
    except OSError as error:
        raise fail(f"无法读取 {path}：{file_problem(error)}") from None
    items = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            items.append((number, json.loads(line, parse_float=Decimal)))
        except json.JSONDecodeError as error:
            raise fail(f"第 {number} 行不是有效的 JSON（第 {error.colno} 列）：每行应是一条命令，"
                       "例如 {\"id\": \"…\", \"type\": \"common.scored\", …}；未登记任何内容") from None
        except RecursionError:
            raise fail(f"第 {number} 行嵌套太深，不是一条命令；未登记任何内容") from None
    return items


@contextmanager
def progress(total: int) -> Iterator[Any]:
    """A progress callback for long batches on a terminal, or None."""
    if total < 500 or not err.is_terminal:
        yield None
        return
    from rich.progress import Progress

    with Progress(console=err, transient=True) as bar:
        task = bar.add_task("检查命令", total=total)
        yield lambda n: bar.update(task, completed=n)


def codes(text: str | None) -> list[str]:
    """A comma-separated list of unit or indicator codes, upper-cased."""
    return [code.strip().upper() for code in (text or "").split(",") if code.strip()]
