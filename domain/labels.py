"""The Chinese vocabulary: one name per thing, used by the command line, the pages and the sheets.

The keys are the contract's (figures, stages, groups, roles, entry types); they stay as they are in
JSON. The names follow the plan (盘县政办发〔2018〕144号) and SCHEME-2018: 过程成绩, 减分项, the
groups of §1.
"""

from __future__ import annotations

GROUP_NAMES = {"departments": "县政府各部门", "towns_zones": "镇、街道及经济园区"}

STAGE_NAMES = {"annual": "年度专项考评成绩", "half_year": "半年综合评价", "process": "过程成绩"}

FIGURE_NAMES = {
    "total": "专项考评成绩", "indicator": "指标考核", "individual": "个性指标", "process": "过程成绩",
    "annual_individual": "年度成绩（含任务量加分）", "task_load_bonus": "任务量加分", "common": "共性指标",
    "chuangcheng": "创城（另行核算）", "comprehensive": "综合评价", "half_year_comp": "半年综合评价",
    "year_end_comp": "年终综合评价", "bonus": "加分", "penalty": "减分",
}

ROLE_NAMES = {"office": "考评办", "assessor": "考核主体", "leader": "县领导", "group_office": "领导小组办公室",
              "unit": "被考评单位", "verifier": "核验人员", "auditor": "审计"}

ENTRY_TYPES = {
    "task.assigned": "任务下达", "task.withdrawn": "任务撤回", "checkpoint.reported": "节点报告",
    "evidence.submitted": "佐证提交", "evidence.verified": "佐证核验", "task.assessed": "任务考核",
    "common.scored": "共性指标评分", "ballot.cast": "投票", "bonus.awarded": "加分",
    "funding.recorded": "争取资金", "penalty.imposed": "减分", "entry.voided": "作废",
    "dispute.filed": "提出异议", "dispute.resolved": "异议裁决", "round.closed": "轮次关闭",
    "scheme.adopted": "考评方案", "scheme.amended": "方案修订", "unit.registered": "单位登记",
    "indicator.registered": "指标登记",
}

OUTCOMES = {"upheld": "异议成立（原记录作废）", "rejected": "异议驳回"}

#: the flag on a P8 imposed by hand beside one derived from a standing falsified verification
#: (SCHEME-2018 §3.1: the office does not impose that P8 again by hand)
DOUBLE_P8 = "可能重复扣分"
