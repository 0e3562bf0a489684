"""A ledger entry in words, for people: who recorded what, for which task or checkpoint, with which
value ("报告任务 P1 节点 Q2：已完成，质量合格，报告日期 2018-06-28"). The pages' history uses it; the
names come from `domain.labels`."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from kaoping.domain import labels

#: the payload fields under which a later standing entry replaces an earlier one (as scoring reads
#: them: `domain.scoring.resolution.SUPERSESSION_KEYS`), for the history's "replaced by"
from kaoping.domain.scoring.resolution import SUPERSESSION_KEYS


def _sum(lines: Any) -> str:
    return f"{sum((Decimal(str(line['points'])) for line in lines or ()), Decimal(0)):f}"


def _result(p: Mapping[str, Any]) -> str:
    if p.get("actual") is not None:
        return f"实际完成 {p['actual']}"
    if p.get("vetoed") is not None:
        return "否决" if p["vetoed"] else "通过（未否决）"
    if p.get("deductions") is not None:
        return f"扣 {_sum(p['deductions'])} 分"
    return f"累计得 {_sum(p.get('points'))} 分"


def describe(row: Mapping[str, Any], unit: str, indicators: Mapping[str, Any]) -> str:
    """The entry `row` (as `history` shows it) of unit `unit`'s history, in one sentence."""
    p, kind = row["payload"], row["type"]
    if kind == "task.assigned":
        extra = f"，{len(p.get('checkpoints') or [])} 个节点" if p.get("checkpoints") else ""
        return (f"下达任务 {p['task']}「{p['title']}」（{labels.LEVEL_NAMES.get(p['level'], p['level'])}，"
                f"{labels.METHOD_NAMES.get(p['method'], p['method'])}{extra}）")
    if kind == "task.withdrawn":
        return f"撤回任务 {p['task']}：{p['reason']}"
    if kind == "checkpoint.reported":
        done = "已完成" if p["completed"] else "未完成"
        return (f"报告任务 {p['task']} 节点 {p['checkpoint']}：{done}，质量{labels.QUALITY.get(p.get('quality'), '')}，"
                f"报告日期 {p['reported_on']}")
    if kind == "evidence.submitted":
        where = (f"任务 {p['task']} 节点 {p['checkpoint']}" if p.get("task") else
                 f"共性指标 {p['indicator']}" + (f" 核心指标 {p['sub']}" if p.get("sub") else ""))
        unstored = "；文件未上传" if row.get("file") and not row["file"]["stored"] else ""
        return f"提交佐证 {p['evidence']}「{p['title']}」（{where}{unstored}）"
    if kind == "evidence.verified":
        seen = f"，附 {len(p['files'])} 个文件" if p.get("files") else ""
        return (f"核验佐证 {p['evidence']}：{labels.VERIFICATION_OUTCOMES.get(p['outcome'], p['outcome'])}"
                f"（{labels.VERIFICATION_METHODS.get(p['method'], p['method'])}，{p['verified_on']}{seen}）")
    if kind == "void.requested":
        return f"申请作废记录 {p['target']}：{p['reason']}"
    if kind == "task.assessed":
        return f"年度考核任务 {p['task']}：{_result(p)}"
    if kind == "common.scored":
        indicator = indicators.get(p["indicator"])
        named = labels.indicator_name(p["indicator"], indicator.name if indicator is not None else "")
        return f"{labels.FIGURE_NAMES['common']} {named} 评分 {p['score']}"
    if kind == "ballot.cast" and "ranking" not in p:  # as a reader who may not see ballots reads it
        return (f"{labels.ROUND_NAMES.get(p.get('round', ''), p.get('round', ''))}·"
                f"{labels.BALLOT_KINDS.get(p.get('kind', ''), p.get('kind', ''))}投票（评价人保密，得分见得分明细）")
    if kind == "ballot.cast":
        ranking = p["ranking"]
        place = f"本单位列第 {ranking.index(unit) + 1} 名 / 共 {len(ranking)} 个" if unit in ranking else "未列本单位"
        return (f"{labels.ROUND_NAMES.get(p['round'], p['round'])}·{labels.BALLOT_KINDS.get(p['kind'], p['kind'])}"
                f"投票（评价人 {p['rater']}）：{place}")
    if kind == "bonus.awarded":
        amount = f"{p['points']} 分" if p.get("points") is not None else f"{p.get('count', 1)} 次"
        return f"加分 {p['item']}：{amount}" + (f"，{p['reason']}" if p.get("reason") else "")
    if kind == "funding.recorded":
        named = p.get("source") if isinstance(p.get("source"), str) else ""  # an object: where it was read from
        return f"争取资金 {p['amount']} 万元" + (f"（{named}）" if named else "")
    if kind == "penalty.imposed":
        return f"减分 {p['item']}：{p.get('count', 1)} 次" + (f"，{p['reason']}" if p.get("reason") else "")
    if kind == "entry.voided":
        return f"作废记录 {p['target']}：{p['reason']}"
    if kind == "dispute.filed":
        return f"对记录 {p['target']} 提出异议 {p['dispute']}：{p['reason']}"
    if kind == "dispute.resolved":
        return f"裁决异议 {p['dispute']}：{labels.OUTCOMES.get(p['outcome'], p['outcome'])}，{p['reason']}"
    return labels.ENTRY_TYPES.get(kind, kind)


def replaced_by(history: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Each standing entry that a later standing entry of the same key replaces, mapped to that
    later entry (the latest standing one counts, as scoring reads them)."""
    latest: dict[tuple[Any, ...], dict[str, Any]] = {}
    for row in history:
        fields = SUPERSESSION_KEYS.get(row["type"])
        if fields is not None and row["voided_by"] is None:
            latest[(row["type"], *(row["payload"].get(f) for f in fields))] = row
    found = {}
    for row in history:
        fields = SUPERSESSION_KEYS.get(row["type"])
        if fields is None or row["voided_by"] is not None:
            continue
        newest = latest[(row["type"], *(row["payload"].get(f) for f in fields))]
        if newest is not row:
            found[row["id"]] = newest
    return found


__all__ = ["describe", "replaced_by"]
