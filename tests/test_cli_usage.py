"""The command line speaks Chinese also when it is used wrongly (issue 28, item 14): usage errors,
Chinese values for --stage and --group, a date of a day the calendar does not have."""

from __future__ import annotations

import json
import re

from typer.testing import CliRunner

from kaoping.api.cli import app
from kaoping.api.cli.usage import chinese, group_value, stage_value

runner = CliRunner()
ENGLISH = re.compile(r"\b(Missing|No such|Usage|Invalid|Input should|argument|option)\b")


def run(*args: str):
    return runner.invoke(app, list(args))


def words(result) -> str:
    return " ".join(result.output.split())


def test_usage_errors_are_in_chinese():
    for args, expected in ((["score"], "缺少参数 unit"), (["standings", "--nope"], "没有选项 --nope"),
                           (["prove", "abc"], "应为整数"), (["demo", "--scale", "0"], "应大于或等于 1")):
        result = run(*args)
        assert result.exit_code == 2, (args, result.output)
        assert expected in words(result), (args, words(result))
        assert not ENGLISH.search(words(result)), (args, words(result))
        assert "用法：" in words(result)


def test_chinese_values_for_stage_and_group(tmp_path):
    db = f"sqlite:///{tmp_path / 'cli.db'}"
    assert run("init", "--db", db).exit_code == 0
    by_code = run("standings", "--stage", "half_year", "--group", "departments", "--db", db, "--json")
    in_chinese = run("standings", "--stage", "半年", "--group", "部门", "--db", db, "--json")
    assert in_chinese.exit_code == 0, in_chinese.output
    assert json.loads(in_chinese.stdout) == json.loads(by_code.stdout)
    assert (stage_value("年度"), stage_value("半年综合评价"), stage_value("过程")) == ("annual", "half_year", "process")
    assert (group_value("部门"), group_value("乡镇")) == ("departments", "towns_zones")


def test_a_day_the_calendar_does_not_have_is_named(tmp_path):
    db = f"sqlite:///{tmp_path / 'cli.db'}"
    assert run("init", "--db", db).exit_code == 0
    result = run("standings", "--as-of", "2018-02-30", "--db", db)
    assert result.exit_code == 1
    assert "2018-02-30 这一天不存在：2018 年 2 月只有 28 天" in words(result)
    assert "2018-04-31 这一天不存在" in words(run("score", "D03", "--as-of", "2018-04-31", "--db", db))


def test_a_message_no_pattern_knows_is_kept():
    assert chinese("something else entirely") == "something else entirely"
