"""The Chinese vocabulary: one name per thing, used by the command line, the pages and the sheets.

The keys are the contract's (figures, stages, groups, roles, entry types); they stay as they are in
JSON. The names follow the plan (盘县政办发〔2018〕144号) and docs/scheme.md: 过程成绩, 减分项, the
groups of §1.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

GROUP_NAMES = {"departments": "县政府各部门", "towns_zones": "镇、街道及经济园区"}

STAGE_NAMES = {"annual": "年度专项考评成绩", "half_year": "半年综合评价", "process": "过程成绩"}

FIGURE_NAMES = {
    "total": "专项考评成绩", "indicator": "指标考核", "individual": "个性指标", "process": "过程成绩",
    "annual_individual": "年度成绩（含任务量加分）", "task_load_bonus": "任务量加分", "common": "共性指标",
    "chuangcheng": "创城（另行核算）", "comprehensive": "综合评价", "half_year_comp": "半年综合评价",
    "year_end_comp": "年终综合评价", "bonus": "加分", "penalty": "减分",
}

ROLE_NAMES = {"calendar": "日历订阅", "office": "考评办", "assessor": "考核主体", "leader": "县领导", "group_office": "领导小组办公室",
              "unit": "被考评单位", "verifier": "核验人员", "auditor": "审计"}

ENTRY_TYPES = {
    "task.assigned": "任务下达", "task.withdrawn": "任务撤回", "checkpoint.reported": "节点报告",
    "evidence.submitted": "佐证提交", "evidence.verified": "佐证核验", "task.assessed": "任务考核",
    "common.scored": "共性指标评分", "ballot.cast": "投票", "bonus.awarded": "加分",
    "funding.recorded": "争取资金", "penalty.imposed": "减分", "entry.voided": "作废", "void.requested": "作废申请",
    "dispute.filed": "提出异议", "dispute.resolved": "异议裁决", "round.closed": "轮次关闭",
    "scheme.adopted": "考评方案", "scheme.amended": "方案修订", "unit.registered": "单位登记",
    "indicator.registered": "指标登记",
}

OUTCOMES = {"upheld": "异议成立（原记录作废）", "rejected": "异议驳回"}

#: where a dispute stands (the `status` of `kaoping disputes` and of the office's desk)
DISPUTE_STATES = {"open": "待裁决", "upheld": "异议成立", "rejected": "异议驳回", "voided": "已作废"}

LEVEL_NAMES = {"provincial": "省专项", "municipal": "市专项", "own": "部门自身重点工作", "county": "县考核"}

#: a unit's part in a provincial or municipal task (docs/scheme.md §3: `lead` 牵头, `co` 责任)
TASK_ROLES = {"lead": "牵头", "co": "责任"}

#: what a judged checkpoint may cost (docs/scheme.md §3.1; the scheme's `process` keys)
PROCESS_DEDUCTIONS = {"not_reported": "未报", "late": "未按节点", "substandard": "未保质保量"}

METHOD_NAMES = {"completion_ratio": "完成比例法", "direct_deduction": "直接扣分法", "veto": "否决计分法",
                "cumulative": "累计计分法"}

ROUND_NAMES = {"half_year": "半年综合评价", "year_end": "年终综合评价"}

VERIFICATION_OUTCOMES = {"confirmed": "属实", "discrepancy": "有出入", "falsified": "弄虚作假"}

VERIFICATION_METHODS = {"online": "线上核验", "on_site": "实地核验"}

QUALITY = {"ok": "合格", "poor": "较差"}

#: the kinds of ballot of a comprehensive evaluation round (docs/scheme.md §5)
BALLOT_KINDS = {"leader": "领导评价", "office": "领导小组办公室评价", "mutual": "互评"}

#: what a score's `pending` list is called where people read it (按 0 计: a missing input counts 0)
PENDING_HEADING = "尚缺输入（按 0 计）"

#: 督办: where a checkpoint stands (`due`'s `status`) and its light
DUE_STATUSES = {"overdue": "逾期未报", "due_soon": "即将到期", "upcoming": "未到期", "not_completed": "已报未完成",
                "reported_late": "逾期已报", "reported": "按时已报"}
LIGHTS = {"red": "红灯", "yellow": "黄灯", "green": "绿灯"}


def task_name(code: str, title: str = "") -> str:
    """A task as the explanation, the pending list and the pages call it: "任务 P1 价格监测"."""
    return f"任务 {code} {title}".rstrip()


def indicator_name(code: str, name: str = "") -> str:
    """A common indicator with its registered name where there is one: "C16 依法行政"."""
    return f"{code} {name}".rstrip()


def pending_name(code: str) -> str:
    """One code of a score's `pending` list in words: "year_end_comp.office" → "年终综合评价·领导小组
    办公室评价", "task.P1" → "任务 P1 年度考核", "common" → "共性指标". A code this does not know is
    returned as it is, so that a new kind of pending input still shows rather than vanishing."""
    head, dot, rest = code.partition(".")
    if head == "task" and rest:
        return f"{task_name(rest)} 年度考核"
    if not dot and head in FIGURE_NAMES:
        return FIGURE_NAMES[head]
    if head in FIGURE_NAMES and rest in BALLOT_KINDS:
        return f"{FIGURE_NAMES[head]}·{BALLOT_KINDS[rest]}"
    return code


def pending_names(codes: Iterable[str]) -> str:
    """A score's `pending` list in words, as one line ("" when nothing is missing)."""
    return "、".join(pending_name(code) for code in codes)

#: the flag on a P8 imposed by hand beside one derived from a standing falsified verification
#: (docs/scheme.md §3.1: the office does not impose that P8 again by hand)
DOUBLE_P8 = "可能重复扣分"

#: the mark on a P8 that scoring derives from a standing falsified verification of an important
#: task's evidence (docs/scheme.md §3.1: counted without being imposed)
DERIVED_P8 = "（自动计）"


#: a command's fields (and a reader's parameters) by name, for refusals that name the field
FIELD_NAMES = {
    "id": "编号", "type": "命令类型", "actor": "登记人", "recorded_at": "登记时间", "unit": "单位",
    "task": "任务", "title": "名称", "level": "层级", "method": "计分方法", "weight": "权重", "role": "角色",
    "difficulty": "难度系数", "important": "重要指标", "checkpoints": "序时节点", "checkpoint": "节点",
    "due": "到期日", "reported_on": "报告日期", "completed": "是否完成", "quality": "质量", "note": "说明",
    "evidence": "佐证", "sha256": "文件哈希", "file": "文件", "files": "核验所见的文件", "source": "来源",
    "sub": "核心指标", "parts": "核心指标分数", "outcome": "结果", "verified_on": "核验日期",
    "actual": "实际完成值", "deductions": "扣分", "vetoed": "是否否决", "points": "分值",
    "indicator": "共性指标", "score": "分数", "round": "轮次", "kind": "类别", "rater": "评价人",
    "group": "分组", "ranking": "排序", "item": "加减分项", "count": "次数", "reason": "理由",
    "amount": "金额（万元）", "source": "资金来源", "target": "对象记录", "dispute": "异议",
    "stage": "阶段", "as_of": "截至时间", "upto": "截至序号", "appeal_days": "申诉期（天）",
    "version": "方案版本", "amendment": "方案修订", "token_id": "令牌", "seq": "序号", "size": "检查点大小",
    "from": "起始大小", "status": "状态", "body": "请求内容", "indicators": "共性指标",
    "to": "终止大小", "key": "密钥", "vkey": "验证公钥", "signature": "签名", "cosignature": "见证签名",
    "proof": "证明", "leaf_index": "叶子序号", "root": "根哈希", "origin": "来源名", "time": "时间",
    "url": "地址", "format": "格式", "events": "事件", "secret": "密钥", "hook": "推送",
    "delivery": "投递", "state": "状态文件", "out": "输出文件", "units": "分管单位",
    "rank": "名次", "unit_name": "单位名称", "funding_source": "资金来源",
}


def actor_name(actor: str, console: str | None = None) -> str:
    """Who recorded an entry, as pages and the command line show it: an actor named by a role's code
    (the command line records as "office" unless told otherwise) is that role's name; an entry
    recorded at the operator's console (its `console`, an OS user) says so."""
    name = ROLE_NAMES.get(actor, actor)
    return f"{name}（命令行登记，系统用户 {console}）" if console else name


#: a coded value by its field, as a clerk reads it ("质量：合格", not "质量：ok")
VALUE_NAMES: dict[str, Mapping[str, str]] = {
    "quality": QUALITY, "kind": BALLOT_KINDS, "round": ROUND_NAMES, "group": GROUP_NAMES,
    "stage": STAGE_NAMES, "method": VERIFICATION_METHODS, "outcome": {**VERIFICATION_OUTCOMES, **OUTCOMES},
}


def payload_words(payload: Mapping[str, Any]) -> str:
    """An entry's content as a clerk reads it: each field by its Chinese name and each coded value by
    its name, "单位：D03，分数：94，质量：合格"."""
    def said(value: Any, key: str = "") -> str:
        if isinstance(value, str) and value in VALUE_NAMES.get(key, {}):
            return VALUE_NAMES[key][value]
        if isinstance(value, bool):
            return "是" if value else "否"
        if isinstance(value, (list, tuple)):
            return "、".join(said(v) for v in value)
        if isinstance(value, Mapping):
            return "（" + payload_words(value) + "）"
        return str(value)
    return "，".join(f"{FIELD_NAMES.get(key, key)}：{said(value, key)}" for key, value in payload.items()
                    if value is not None)  # a field left out reads as nothing, not "None"


#: a unit's (D03, T06, Z02) or a common indicator's (C07) code standing alone: not part of an entry's
#: id (demo-D03-common-C07), a dispute's number (D03-001) or a sub-indicator's code (C05.1)
BARE_CODE = re.compile(r"(?<![A-Za-z0-9_#:/.-])(?:[DTZ]\d{2}|C\d{2})(?![A-Za-z0-9_/-]|\.\d)")


def code_names(registry: Any) -> dict[str, str]:
    """The name of each unit and common indicator of `registry` (its `units` and `indicators`), by code."""
    return {**{code: unit.name for code, unit in registry.units.items()},
            **{code: indicator.name for code, indicator in registry.indicators.items()}}


def named_code(code: str, names: Mapping[str, str]) -> str:
    """A unit's code with its name before it ("县物价局（D03）"), a common indicator's with its name
    after it ("C07 民心网民意诉求工作"); the code alone where `names` has none."""
    name = names.get(code)
    if not name:
        return code
    return f"{code} {name}" if code.startswith("C") else f"{name}（{code}）"


def name_codes(text: str, names: Mapping[str, str]) -> str:
    """`text` with each unit's and common indicator's code that stands alone given its name
    (`named_code`), unless the name is beside it already."""
    def named(match: re.Match[str]) -> str:
        code = match.group(0)
        name = names.get(code)
        if not name or name in text[max(0, match.start() - len(name) - 2):match.end() + len(name) + 2]:
            return code
        return named_code(code, names)
    return BARE_CODE.sub(named, text)


def coded(code: str, names: dict[str, str]) -> str:
    """A code as a refusal offers it, with its name: "provincial（省专项）"."""
    return f"{code}（{names[code]}）" if code in names else code


def field_name(field: str | None) -> str:
    """A field as a refusal names it: its Chinese name and, for programs and the form, its path —
    "到期日（checkpoints.0.due）"; a field this does not know, its path alone."""
    if not field:
        return ""
    leaf = next((part for part in reversed(field.split(".")) if not part.isdigit()), field)
    name = FIELD_NAMES.get(leaf)
    return f"{name}（{field}）" if name else field
