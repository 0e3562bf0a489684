"""The command line's own refusals in Chinese (issue 28, item 14): usage errors (a missing argument,
an unknown option, a value of the wrong kind) as click and typer word them, translated where they
are shown; and the values people type in Chinese (`--stage 年度`, `--group 部门`) read as the codes.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import typer.rich_utils as panels

from kaoping.domain.labels import GROUP_NAMES, STAGE_NAMES

#: what people type for a stage and a group, beside the codes and the full names
STAGE_WORDS = {**{name: code for code, name in STAGE_NAMES.items()},
               "年度": "annual", "年终": "annual", "专项": "annual", "半年": "half_year", "过程": "process"}
GROUP_WORDS = {**{name: code for code, name in GROUP_NAMES.items()},
               "部门": "departments", "县直部门": "departments", "乡镇": "towns_zones", "镇街": "towns_zones",
               "镇街园区": "towns_zones", "乡镇街道": "towns_zones", "园区": "towns_zones"}


def stage_value(value: str | None) -> str | None:
    """A `--stage` as typed (a code, or its name in Chinese) as its code; anything else as it is
    (the reader refuses it in words)."""
    return None if value is None else STAGE_WORDS.get(value.strip(), value.strip())


def group_value(value: str | None) -> str | None:
    return None if value is None else GROUP_WORDS.get(value.strip(), value.strip())


def _quoted(text: str) -> str:
    return text.strip("'\"")


#: click's and typer's English, pattern by pattern; a message none matches is shown as it is
_MESSAGES: list[tuple[re.Pattern[str], Callable[[re.Match[str]], str]]] = [
    (re.compile(r"^No such option: (\S+)(?: \(Possible options: (.*)\))?$", re.S),
     lambda m: f"没有选项 {m[1]}" + (f"（可用的选项：{m[2]}）" if m[2] else "")),
    (re.compile(r"^No such option:? '?([^'\s]+)'?\.?(?: Did you mean (.*)\?)?$", re.S),
     lambda m: f"没有选项 {m[1]}" + (f"（是否要用 {m[2]}？）" if m[2] else "")),
    (re.compile(r"^Missing argument '?([^'.]+)'?\.?$"), lambda m: f"缺少参数 {_quoted(m[1])}"),
    (re.compile(r"^Missing option '?([^'.]+)'?\.?(.*)$", re.S), lambda m: f"缺少选项 {_quoted(m[1])}"),
    (re.compile(r"^Missing parameter:? ?(.*)$"), lambda m: f"缺少参数 {m[1]}".strip()),
    (re.compile(r"^Missing command\.?$"), lambda m: "缺少命令：运行 kaoping --help 查看全部命令"),
    (re.compile(r"^No such command '?([^'.]+)'?\.?(.*)$", re.S), lambda m: f"没有命令 {m[1]}"),
    (re.compile(r"^Got unexpected extra arguments? \((.*)\)$"), lambda m: f"多余的参数：{m[1]}"),
    (re.compile(r"^Option '?([^']+)'? requires an argument\.?$"), lambda m: f"选项 {m[1]} 需要一个值"),
    (re.compile(r"^Option '?([^']+)'? requires (\d+) arguments\.?$"), lambda m: f"选项 {m[1]} 需要 {m[2]} 个值"),
    (re.compile(r"^Option '?([^']+)'? does not take a value\.?$"), lambda m: f"选项 {m[1]} 不接受值"),
    (re.compile(r"^Invalid value for (.+?): (.*)$", re.S), lambda m: f"{_quoted(m[1])} 的值无效：{value_words(m[2])}"),
    (re.compile(r"^Invalid value: (.*)$", re.S), lambda m: f"值无效：{value_words(m[1])}"),
]

_VALUES: list[tuple[re.Pattern[str], Callable[[re.Match[str]], str]]] = [
    (re.compile(r"^'?(.*?)'? is not a valid (integer|float|boolean)\.?$"),
     lambda m: f"“{m[1]}”不是{ {'integer': '整数', 'float': '数字', 'boolean': '是或否'}[m[2]] }"),
    (re.compile(r"^'?(.*?)'? is not one of (.*)\.$"), lambda m: f"“{m[1]}”不在可选值中：{m[2]}"),
    (re.compile(r"^'?(.*?)'? is not (.*)\.$"), lambda m: f"“{m[1]}”应为 {m[2]}"),
    (re.compile(r"^(.*) is not in the range (.*)\.$"), lambda m: f"{m[1]} 不在范围 {m[2]} 内"),
    (re.compile(r"^Input should be a valid integer.*$", re.S), lambda m: "应为整数，例如 120"),
    (re.compile(r"^Input should be a valid number.*$", re.S), lambda m: "应为数字"),
    (re.compile(r"^Input should be a valid boolean.*$", re.S), lambda m: "应为是或否"),
    (re.compile(r"^Input should be (greater|less) than( or equal to)? (\S+)$"),
     lambda m: f"应{'大于' if m[1] == 'greater' else '小于'}{'或等于' if m[2] else ''} {m[3]}"),
    (re.compile(r"^(.*) is (smaller|larger) than the (minimum|maximum) valid value (.*)\.$"),
     lambda m: f"{m[1]} {'小于最小值' if m[2] == 'smaller' else '大于最大值'} {m[4]}"),
]


def _translated(text: str, table: list[tuple[re.Pattern[str], Callable[[re.Match[str]], str]]]) -> str:
    """`text` in the words of the first pattern of `table` it matches (as it is where none does)."""
    text = text.strip()
    for pattern, words in table:
        found = pattern.match(text)
        if found:
            return words(found)
    return text


def value_words(text: str) -> str:
    return _translated(text, _VALUES)


def chinese(message: str) -> str:
    """A usage error's message in Chinese (as it is where no pattern knows it)."""
    return _translated(message, _MESSAGES)


def install() -> None:
    """Show every usage error in Chinese: typer prints them through `rich_utils.rich_format_error`,
    looked up when an error is shown, so the translation wraps it (and the usage line's "Usage:")."""
    shown = panels.rich_format_error
    if getattr(shown, "in_chinese", False):
        return

    def in_chinese(error: Any) -> None:
        message = chinese(error.format_message())
        error.format_message = lambda: message
        ctx = getattr(error, "ctx", None)
        if ctx is not None:
            usage = ctx.get_usage
            ctx.get_usage = lambda: (usage().replace("Usage:", "用法：", 1).replace("[OPTIONS]", "[选项]")
                                     .replace("COMMAND [ARGS]...", "命令 [参数]..."))
        shown(error)

    in_chinese.in_chinese = True  # type: ignore[attr-defined]
    panels.rich_format_error = in_chinese


__all__ = ["GROUP_WORDS", "STAGE_WORDS", "chinese", "group_value", "install", "stage_value", "value_words"]
