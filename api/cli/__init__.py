"""`kaoping`: the operator's tool. It holds the database itself and records with the office's rights.

The commands live in rooms by what they do (`records`, `appeals`, `reading`, `audit`, `proofs`,
`witness`, `serve`); this module only gathers them into one command line.
"""

from __future__ import annotations

import sys

import typer
import typer.rich_utils as help_panels

from kaoping.api.outages import trouble

from .common import err
from . import appeals, usage, audit, files, hooks, imports, proofs, reading, records, serve, supervision, witness

# the help screens' own headings, in the words of the rest (typer keeps them as module settings)
help_panels.ARGUMENTS_PANEL_TITLE = "参数"
help_panels.OPTIONS_PANEL_TITLE = "选项"
help_panels.COMMANDS_PANEL_TITLE = "命令"
help_panels.ERRORS_PANEL_TITLE = "错误"
help_panels.ABORTED_TEXT = "已中止。"
help_panels.RICH_HELP = "运行 [blue]'{command_path} {help_option}'[/] 查看帮助。"
help_panels.DEFAULT_STRING = "[默认：{}]"
help_panels.REQUIRED_LONG_STRING = "[必填]"
usage.install()  # usage errors (a missing argument, an unknown option) in Chinese

app = typer.Typer(no_args_is_help=True, add_completion=False,
                  help="考评（Kaoping）：绩效考评的审计账本。每条记录只增不改、以哈希链相连，"
                       "每个分数都可回放、可解释。")
for room in (records, appeals, audit, files, imports, proofs, witness, reading, supervision, hooks, serve):
    app.add_typer(room.app)


def main() -> None:
    """The command line; whatever goes wrong, a line in Chinese on stderr and an exit code, never a
    traceback (a store out of reach: 75, retry the same command; anything else: 1)."""
    try:
        app()
    except Exception as error:  # what no command turned into words of its own
        refused = trouble(error)
        words = refused.message if refused is not None else \
            f"内部错误（{type(error).__name__}）：{str(error)[:300]}；命令未完成，请把这一行告诉维护者"
        err.print(f"[bold red]错误：[/]{words}", highlight=False, soft_wrap=True)
        sys.exit(75 if refused is not None else 1)


__all__ = ["app", "main"]
