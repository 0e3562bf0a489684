"""The demo year's core sub-indicators (docs/scheme.md §4.1): an amendment giving three indicators
their 3 core indicators each, in force from November, and the year's scores of those indicators
restated as parts whose equal-weighted mean is the score drawn — so every figure of the year is what
it is without them. Draws nothing: the rest of the year does not move."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from .draws import TZ, YEAR

#: recorded before the first common score (10 December): the 2018.2 scheme, by amendment
AMENDED_AT = datetime(YEAR, 11, 15, 9, 0, tzinfo=TZ)

AMENDMENT: dict[str, Any] = {"version": "2018.2", "common": {"sub_indicators": {
    "C05": [
        {"code": "C05.1", "name": "投诉按时办结率", "standard": "按时办结率不低于 95%", "evidence": "投诉办理台账"},
        {"code": "C05.2", "name": "群众满意度", "standard": "回访满意度不低于 90%", "evidence": "回访记录表"},
        {"code": "C05.3", "name": "重复投诉化解", "standard": "重复投诉件全部化解", "evidence": "化解情况报告"}],
    "C16": [
        {"code": "C16.1", "name": "重大行政决策合法性审查", "standard": "重大决策全部经合法性审查",
         "evidence": "合法性审查意见书"},
        {"code": "C16.2", "name": "行政复议纠错率", "standard": "被复议纠错率低于 5%", "evidence": "复议决定书汇总表"},
        {"code": "C16.3", "name": "规范性文件备案", "standard": "规范性文件按时报备率 100%", "evidence": "备案登记表"}],
    "C23": [
        {"code": "C23.1", "name": "审批时限压缩", "standard": "承诺时限比法定时限压缩 50% 以上",
         "evidence": "审批时限清单"},
        {"code": "C23.2", "name": "涉企收费清理", "standard": "清单外不收费", "evidence": "收费目录清单"},
        {"code": "C23.3", "name": "企业满意度", "standard": "企业评议满意度不低于 85%", "evidence": "企业评议汇总表"}],
}}}


def by_parts(commands: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The year with every score of an indicator that has core indicators given as its parts instead:
    (s + δ, s, s − δ), δ up to 3 points and within 0–100, whose mean is s exactly."""
    subs = AMENDMENT["common"]["sub_indicators"]
    year = []
    for command in commands:
        if command["type"] == "common.scored" and command["indicator"] in subs:
            score = Decimal(command["score"])
            delta = min(Decimal(3), Decimal(100) - score, score)
            values = (score + delta, score, score - delta)
            parts = [{"sub": sub["code"], "score": f"{value.normalize():f}"}
                     for sub, value in zip(subs[command["indicator"]], values)]
            command = {k: v for k, v in command.items() if k != "score"} | {"parts": parts}
        year.append(command)
    return year


__all__ = ["AMENDED_AT", "AMENDMENT", "by_parts"]
