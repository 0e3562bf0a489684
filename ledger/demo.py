"""A simulated 2018 evaluation year: every kind of command, for all 59 units, as contract dicts.

`demo_year(seed, scale)` returns the commands in the order they should be ingested: `recorded_at`
ascending (ties keep generation order, and an entry that refers to another is always recorded
strictly later), so knowledge time follows ledger order. Everything is drawn from one
`random.Random(seed)`: the same seed gives the same list, byte for byte; nothing reads the clock.

The year (all times +08:00):
- January–February: tasks assigned (provincial, municipal and own tasks to departments, county tasks to
  towns and zones), a few more added in spring; a couple withdrawn in summer, one of them replaced;
- monthly, quarterly or half-year checkpoints due from the month after assignment to 15 December;
  reports mostly on time, some late, some missing, some not completed or of poor quality; evidence
  (mostly on important tasks) verified online or on site, mostly confirmed, a few discrepancies, one
  falsification in the whole year; two reports voided and reported again;
- bonuses, penalties and funding through the year; the half-year ballots in late July (round closed
  30 July); common indicators scored in December (some re-scored, one voided and re-scored);
  year-end assessments and ballots from late December, the year-end round closed 12 January 2019;
  disputes on penalties, verifications and common scores, upheld or rejected.
Nothing is recorded after 2019-01-12, so a ledger whose clock is at 2019-01-15 accepts all of it.

`scale` multiplies the tasks per unit (task codes get a suffix: `P1-07`) and with them checkpoints,
reports, evidence, verifications, assessments, withdrawals and report corrections; ballots, common
scores, bonuses, penalties, funding and disputes do not scale.
"""

from __future__ import annotations

import calendar
import random
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from importlib import resources
from typing import Any

from kaoping.domain.reference import Indicator, Unit, parse_indicators, parse_units

TZ = timezone(timedelta(hours=8))
YEAR = 2018
LAST_DUE = date(YEAR, 12, 15)
#: nothing is recorded after this moment
END = datetime(YEAR + 1, 1, 12, 18, 0, tzinfo=TZ)

OFFICE = "县考评办"
GROUP_OFFICE = "领导小组办公室"
VERIFIER = "县政府督查室"
LEADERS = ["县长王建国", "常务副县长刘志强", "副县长陈立新", "副县长赵红梅", "副县长孙海涛",
           "副县长周文斌", "副县长吴晓东"]

# --- Chinese content ---------------------------------------------------------------------------
DEPARTMENT_TOPICS: dict[str, list[str]] = {
    "D01": ["政务服务“一网通办”", "重点工作督查督办", "政务信息报送", "政府常务会议决定事项落实",
            "应急值守体系建设", "电子政务外网建设"],
    "D02": ["信访积案化解", "重复信访专项治理", "网上信访平台建设", "矛盾纠纷排查化解", "重点时期信访稳定"],
    "D03": ["价格监测预警", "成本调查监审", "市场价格巡查", "价格认定", "涉企收费清理"],
    "D04": ["重点项目谋划与申报", "固定资产投资增长", "社会信用体系建设", "营商环境评价迎检",
            "争取中央预算内投资", "节能降耗目标"],
    "D05": ["规模以上工业增加值", "中小微企业培育", "工业技术改造", "电力直接交易", "两化融合发展"],
    "D06": ["义务教育均衡发展", "学前教育普及普惠", "校园安全管理", "农村薄弱学校改造", "教师队伍建设"],
    "D07": ["扫黑除恶专项斗争", "道路交通安全整治", "电信网络诈骗打击", "社会治安防控体系建设", "户籍制度改革"],
    "D08": ["高新技术企业培育", "科技成果转化", "科技特派员工作", "全社会研发投入"],
    "D09": ["城乡低保规范管理", "养老服务体系建设", "城乡社区治理创新", "救灾物资储备", "殡葬改革"],
    "D10": ["“七五”普法宣传教育", "人民调解工作", "社区矫正管理", "公共法律服务体系建设"],
    "D11": ["一般公共预算收入", "预算绩效管理", "政府债务风险防控", "国库集中支付改革", "涉农资金统筹整合"],
    "D12": ["城镇新增就业", "社会保险扩面征缴", "根治拖欠农民工工资", "职业技能培训", "事业单位人事制度改革"],
    "D13": ["耕地保护与占补平衡", "土地供应与储备", "不动产统一登记", "违法用地查处", "矿产资源开发整治"],
    "D14": ["大气污染防治", "中央环保督察反馈问题整改", "水污染防治", "土壤污染状况详查", "排污许可管理"],
    "D15": ["棚户区改造", "城市基础设施建设", "建筑市场监管", "农村危房改造", "物业管理规范提升"],
    "D16": ["城市市容环境整治", "违法建设治理", "生活垃圾分类", "占道经营专项整治"],
    "D17": ["农村公路建设", "道路运输安全监管", "公路养护管理", "城乡公交一体化"],
    "D18": ["粮食生产安全", "农业产业化龙头企业培育", "农产品质量安全", "现代农业园区建设", "秸秆综合利用"],
    "D19": ["河长制工作", "农村饮水安全巩固提升", "防汛抗旱", "最严格水资源管理", "农田水利建设"],
    "D20": ["海域使用管理", "渔船安全生产", "水产健康养殖", "海洋生态保护修复"],
    "D21": ["社会消费品零售总额", "外贸进出口", "电子商务进农村综合示范", "招商引资实际到位资金"],
    "D22": ["公共文化服务体系建设", "全民健身工程", "文化市场综合执法", "文物保护利用"],
    "D23": ["家庭医生签约服务", "公立医院综合改革", "重大疾病防控", "健康扶贫", "计划生育服务管理"],
    "D24": ["重点项目跟踪审计", "领导干部经济责任审计", "审计发现问题整改", "政策落实跟踪审计"],
    "D25": ["国有资产监管", "国有企业改革", "国有资本经营预算", "行政事业单位资产清查"],
    "D26": ["食品安全监管", "商事制度改革", "特种设备安全监察", "药品医疗器械监管", "质量强县建设"],
    "D27": ["安全生产大检查", "危险化学品专项整治", "安全生产责任制考核", "职业健康监管"],
    "D28": ["统计数据质量管理", "第四次全国经济普查", "统计执法检查", "统计信息化建设"],
    "D29": ["规范性文件审查备案", "行政复议与应诉", "法治政府建设", "重大行政决策合法性审查"],
    "D30": ["旅游接待人次与收入", "全域旅游示范区创建", "旅游市场秩序整治", "乡村旅游发展"],
    "D31": ["人防工程建设", "防空警报设施建设", "人防宣传教育"],
    "D32": ["档案规范化管理", "数字档案馆建设", "档案安全保护"],
    "D33": ["招商引资项目落地", "对外经济合作", "签约项目履约"],
    "D34": ["农机购置补贴", "主要农作物生产全程机械化", "农机安全监理"],
    "D35": ["公共机构节能", "公务用车管理", "党政机关办公用房清理"],
    "D36": ["全面实行网上审批", "规范窗口服务", "审批流程再造", "投资项目并联审批"],
    "D37": ["县域总体规划修编", "控制性详细规划编制", "规划批后监管", "村庄规划编制"],
    "D38": ["植树造林", "城市园林绿化", "森林防火", "湿地保护"],
    "D39": ["农资供应保障", "供销合作社综合改革", "农村电商服务网点建设"],
    "D40": ["新型城镇化建设", "美丽乡村建设", "城乡一体化示范"],
    "D41": ["重大动物疫病防控", "畜产品质量安全", "病死畜禽无害化处理"],
    "D42": ["宗教事务依法管理", "民族团结进步创建", "少数民族发展资金管理"],
    "D43": ["政策性粮食收购", "地方储备粮管理", "粮食流通监督检查"],
    "D44": ["网格化社会治理", "网格事件按时办结", "网格员队伍建设"],
    "D45": ["油地关系协调", "油区治安环境整治", "油田服务企业发展"],
}
GENERIC_TOPICS = ["机关作风建设", "党风廉政建设", "营商环境优化", "政务信息公开", "安全生产责任落实",
                  "干部教育培训", "扫黑除恶线索摸排", "精准扶贫帮扶"]
TOWN_TOPICS = ["招商引资签约项目", "固定资产投资", "脱贫攻坚", "农村人居环境整治", "河长制工作",
               "秸秆禁烧", "信访维稳", "安全生产", "土地流转", "美丽乡村建设", "镇级财政收入",
               "扫黑除恶专项斗争", "农村“厕所革命”", "村级集体经济发展"]
SUBDISTRICT_TOPICS = ["社区网格化治理", "城市管理精细化", "老旧小区改造", "社区居家养老服务"]
ZONE_TOPICS = ["规模以上工业产值", "入园企业培育", "园区基础设施建设", "重点项目落地", "园区安全环保",
               "园区招商引资", "标准化厂房建设"]

CADENCE_LABEL = {"M": "月", "Q": "季度", "H": "半年"}
OK_NOTES = ["按序时进度完成", "已完成本节点任务", "完成节点目标，材料已上传", "", "", "按计划推进"]
LATE_NOTES = ["因材料汇总延迟补报", "节点后补报", "系统填报延迟", "因人员调整延迟上报"]
INCOMPLETE_NOTES = ["受天气影响工程进度滞后", "资金未及时到位，进度滞后", "上级审批未完成",
                    "项目前期手续未办结", "部分指标未达序时进度"]
POOR_NOTES = ["佐证材料不完整", "数据前后不一致", "台账不规范", "报送内容与节点要求不符"]
DEDUCTION_REASONS = ["工作台账不规范", "部分任务未按时完成", "上级考核通报排名靠后", "整改不到位",
                     "信息报送不及时", "督查发现问题未及时整改", "数据质量抽查有误"]
EARNED_REASONS = ["完成季度目标任务", "重点项目按期推进", "上级检查获好评", "群众满意度测评达标",
                  "专项督查无问题", "创新做法被县里推广", "超额完成序时进度"]
WITHDRAW_REASONS = ["上级调整年度考核任务，该指标取消", "机构改革职能划转，任务移交其他单位",
                    "项目列入省级统筹，本级不再考核"]
BONUS_REASONS = {
    "B1": ["获省政府综合性表彰", "获国务院通报表扬"],
    "B2": ["获市政府年度综合考评先进单位", "获市委市政府通报表扬"],
    "B3": ["获省级单项工作先进集体", "获省专项工作通报表扬"],
    "B4": ["获市级单项工作先进单位", "获市专项工作通报表扬"],
    "B5": ["工作经验获省领导批示肯定", "专项工作获副省长批示表扬"],
    "B6": ["工作经验获市长批示肯定", "专项工作获市领导批示表扬"],
    "B7": ["获县委县政府综合性表彰", "获县年度综合先进单位"],
    "B8": ["获县级单项工作表彰", "县专项督查通报表扬"],
    "B9": ["工作获县委书记批示表扬", "工作获县长批示肯定"],
    "B11": ["承担任务较少但积极参与专项行动、成效显著"],
    "B12": ["落实宣传工作实施方案成效显著，多篇稿件被省市媒体采用"],
    "B13": ["创新做法以国家部委文件形式在全国推广"],
}
BONUS_WEIGHTS = {"B1": 1, "B2": 3, "B3": 5, "B4": 8, "B5": 2, "B6": 4, "B7": 6, "B8": 8, "B9": 4,
                 "B11": 4, "B12": 4, "B13": 1}
PENALTY_REASONS = {
    "P1": ["被省政府通报批评"],
    "P2": ["被省领导批示批评"],
    "P3": ["被市政府通报批评", "被省相关部门通报批评"],
    "P4": ["被市长批示批评"],
    "P5": ["被县政府通报批评", "县专项督查通报批评"],
    "P6": ["被县长批示批评", "被县委书记批示批评"],
    "P7": ["暗访发现窗口人员脱岗", "督查发现工作推进缓慢、庸懒散慢", "核验发现整改敷衍"],
    "P9": ["违规设置审批前置条件，影响营商环境"],
    "P10": ["辖区内发生较大安全事故"],
    "P11": ["辖区内发生重大安全事故"],
}
PENALTY_WEIGHTS = {"P1": 1, "P2": 1, "P3": 2, "P4": 2, "P5": 4, "P6": 4, "P7": 9, "P9": 2, "P10": 2,
                   "P11": 1}
FUNDING_SOURCES = ["中央预算内投资", "省级财政专项资金", "中央财政转移支付", "国家农业综合开发资金",
                   "省发展改革委专项资金", "省级产业引导资金"]
FUNDING_REASONS = ["争取{}支持重点项目建设", "争取{}用于基础设施改造", "争取{}支持民生项目"]


# --- the plan of one task -------------------------------------------------------------------------
@dataclass
class _Task:
    unit: Unit
    code: str
    title: str
    level: str
    method: str
    important: bool
    assigned: datetime
    checkpoints: list[tuple[str, date]]
    target: str | None = None
    withdrawn: datetime | None = None
    id: str = ""
    reports: list[dict[str, Any]] = field(default_factory=list)


def _reference() -> tuple[tuple[Unit, ...], tuple[Indicator, ...]]:
    data = resources.files("kaoping.domain") / "data"
    return (parse_units((data / "units.tsv").read_text(encoding="utf-8")),
            parse_indicators((data / "common_indicators.tsv").read_text(encoding="utf-8")))


def _month_end(month: int) -> date:
    return date(YEAR, month, calendar.monthrange(YEAR, month)[1])


def _dec(value: float, places: int = 1) -> str:
    text = f"{value:.{places}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


class _Year:
    def __init__(self, seed: int, scale: int, actors: bool):
        if scale < 1:
            raise ValueError("scale must be at least 1")
        self.rng = random.Random(seed)
        self.scale = scale
        self.actors = actors
        self.units, self.indicators = _reference()
        self.departments = [u for u in self.units if u.group == "departments"]
        self.towns_zones = [u for u in self.units if u.group == "towns_zones"]
        # a latent quality per unit: good units report on time, rank high, score well
        self.quality = {u.code: self.rng.uniform(0.35, 1.0) for u in self.units}
        self.items: list[tuple[datetime, int, dict[str, Any]]] = []
        self.tasks: list[_Task] = []
        self.verifications: list[dict[str, Any]] = []
        self.penalties: list[dict[str, Any]] = []
        self.counters: dict[str, int] = {}

    # -- helpers -----------------------------------------------------------------------------------
    def emit(self, when: datetime, cmd: dict[str, Any], actor: str | None = None) -> dict[str, Any]:
        if when > END:
            raise AssertionError(f"{cmd['id']} would be recorded after the year ({when})")
        cmd["recorded_at"] = when.isoformat()
        if self.actors:
            cmd["actor"] = actor or OFFICE
        self.items.append((when, len(self.items), cmd))
        return cmd

    def next_number(self, key: str) -> int:
        self.counters[key] = self.counters.get(key, 0) + 1
        return self.counters[key]

    def moment(self, day: date, *, earliest: int = 8, latest: int = 17) -> datetime:
        """A time in office hours on `day`."""
        return datetime.combine(day, time(self.rng.randint(earliest, latest), self.rng.randrange(60)),
                                tzinfo=TZ)

    def day_between(self, first: date, last: date) -> date:
        return first + timedelta(days=self.rng.randint(0, max(0, (last - first).days)))

    def after(self, when: datetime, *, min_minutes: int = 10, max_days: int = 0) -> datetime:
        """A moment strictly after `when` (at least `min_minutes`, within `max_days` more days)."""
        later = when + timedelta(minutes=min_minutes + self.rng.randrange(50))
        if max_days:
            later += timedelta(days=self.rng.randint(0, max_days))
            if later.date() != when.date() and later.hour < 8:
                later = later.replace(hour=8 + self.rng.randrange(9))
        return later

    def chance(self, p: float) -> bool:
        return self.rng.random() < p

    def sha(self) -> str:
        return f"{self.rng.getrandbits(256):064x}"

    # -- the year ------------------------------------------------------------------------------------
    def build(self) -> list[dict[str, Any]]:
        self.plan_tasks()
        self.plan_withdrawals()
        for task in self.tasks:
            self.assign(task)
        for task in self.tasks:
            self.run_checkpoints(task)
        self.correct_reports()
        self.falsify_one()
        self.assess()
        self.common_scores()
        self.ballots()
        self.bonuses()
        self.penalties_and_funding()
        self.disputes()
        self.items.sort(key=lambda item: (item[0], item[1]))
        commands = [cmd for _, _, cmd in self.items]
        if len({cmd["id"] for cmd in commands}) != len(commands):
            raise AssertionError("demo ids repeat")
        return commands

    # -- tasks -------------------------------------------------------------------------------------
    def plan_tasks(self) -> None:
        few = set(self.rng.sample([u.code for u in self.departments], 4))
        for unit in self.departments:
            has_provincial = self.chance(0.82)
            has_municipal = self.chance(0.82) or not has_provincial and self.chance(0.5)
            wanted = self.rng.choice([3, 4]) if unit.code in few else self.rng.randint(5, 9)
            n_prov = self.rng.randint(1, 3 if wanted > 4 else 1) if has_provincial else 0
            n_mun = self.rng.randint(1, 2 if wanted > 4 else 1) if has_municipal else 0
            n_own = max(1, wanted - n_prov - n_mun)
            topics = DEPARTMENT_TOPICS[unit.code][:]
            self.rng.shuffle(topics)
            topics += [t for t in GENERIC_TOPICS if t not in topics]
            for k in range(self.scale):
                suffix = "" if self.scale == 1 else f"-{k + 1:02d}"
                batch = "" if k == 0 else f"（第{k + 1}批）"
                chosen = iter(topics)
                for level, letter, n in (("provincial", "P", n_prov), ("municipal", "M", n_mun),
                                         ("own", "O", n_own)):
                    for i in range(1, n + 1):
                        self.plan_task(unit, f"{letter}{i}{suffix}", next(chosen) + batch, level)
        for unit in self.towns_zones:
            if unit.category == "zone":
                pool = ZONE_TOPICS + TOWN_TOPICS[:4]
            elif unit.name.endswith("街道"):
                pool = SUBDISTRICT_TOPICS + TOWN_TOPICS
            else:
                pool = TOWN_TOPICS[:]
            wanted = self.rng.randint(5, 9)
            for k in range(self.scale):
                suffix = "" if self.scale == 1 else f"-{k + 1:02d}"
                batch = "" if k == 0 else f"（第{k + 1}批）"
                topics = self.rng.sample(pool, wanted)
                for i, topic in enumerate(topics, start=1):
                    self.plan_task(unit, f"C{i}{suffix}", topic + batch, "county")

    def plan_task(self, unit: Unit, code: str, title: str, level: str,
                  assigned: datetime | None = None) -> _Task:
        rng = self.rng
        if unit.group == "towns_zones":
            method = rng.choices(["cumulative", "completion_ratio", "direct_deduction", "veto"],
                                 [30, 30, 25, 15])[0]
        else:
            method = rng.choices(["completion_ratio", "direct_deduction", "veto"], [40, 38, 22])[0]
        important = self.chance({"provincial": 0.35, "municipal": 0.25, "own": 0.12,
                                 "county": 0.3}[level])
        if assigned is None:
            if self.chance(0.1):  # added during the year (动态设置考核指标)
                day = self.day_between(date(YEAR, 3, 1), date(YEAR, 6, 20))
            elif level == "municipal":
                day = self.day_between(date(YEAR, 1, 15), date(YEAR, 2, 28))
            else:
                day = self.day_between(date(YEAR, 1, 8), date(YEAR, 1, 31))
            assigned = self.moment(day, earliest=9, latest=16)
        task = _Task(unit, code, title, level, method, important, assigned,
                     self.schedule(assigned.date()))
        if method == "completion_ratio":
            task.target = rng.choice(["10", "12", "20", "30", "50", "80", "100", "120", "150", "200",
                                      "500", "1200", "3.5", "8.6"])
        task.id = f"demo-{unit.code}-task-{code}"
        self.tasks.append(task)
        return task

    def schedule(self, assigned: date) -> list[tuple[str, date]]:
        first = date(YEAR, assigned.month + 1, 1) if assigned.month < 12 else LAST_DUE
        cadence = self.rng.choices(["M", "Q", "H"], [25, 50, 25])[0]
        if cadence == "M":
            dues = [(f"M{m:02d}", _month_end(m)) for m in range(2, 12)]
        elif cadence == "Q":
            dues = [("Q1", date(YEAR, 3, 31)), ("Q2", date(YEAR, 6, 30)), ("Q3", date(YEAR, 9, 30))]
        else:
            dues = [("H1", date(YEAR, 6, 30))]
        dues = [(code, due) for code, due in dues if due >= first]
        dues.append(({"M": "M12", "Q": "Q4", "H": "H2"}[cadence], LAST_DUE))
        return dues

    def plan_withdrawals(self) -> None:
        candidates = [t for t in self.tasks if t.assigned.month == 1 and len(t.checkpoints) >= 3]
        for task in self.rng.sample(candidates, min(len(candidates), 2 * self.scale)):
            task.withdrawn = self.moment(self.day_between(date(YEAR, 5, 15), date(YEAR, 8, 20)))
        withdrawn = [t for t in self.tasks if t.withdrawn]
        for task in withdrawn[: max(1, len(withdrawn) // 2)]:  # changed, not dropped: a new task
            when = self.after(task.withdrawn, max_days=10)  # type: ignore[arg-type]
            self.plan_task(task.unit, f"{task.code}X", task.title + "（调整后）", task.level, when)

    def assign(self, task: _Task) -> None:
        cmd: dict[str, Any] = {
            "id": task.id, "type": "task.assigned", "unit": task.unit.code, "task": task.code,
            "title": task.title, "level": task.level, "method": task.method,
        }
        if task.target is not None:
            cmd["target"] = task.target
        if self.chance(0.12):
            cmd["weight"] = self.rng.choice(["0.5", "1.5", "2"])
        if task.level in ("provincial", "municipal"):
            cmd["role"] = "co" if self.chance(0.3) else "lead"
            cmd["difficulty"] = self.rng.choice(["0.8", "0.9", "1", "1", "1.1", "1.2", "1.3", "1.5"])
        if task.important:
            cmd["important"] = True
        cmd["checkpoints"] = [{"checkpoint": code, "due": due.isoformat()} for code, due in task.checkpoints]
        self.emit(task.assigned, cmd)
        if task.withdrawn is not None:
            self.emit(task.withdrawn, {
                "id": f"demo-{task.unit.code}-withdraw-{task.code}", "type": "task.withdrawn",
                "unit": task.unit.code, "task": task.code, "reason": self.rng.choice(WITHDRAW_REASONS)})

    # -- checkpoints, evidence, verification ---------------------------------------------------------
    def run_checkpoints(self, task: _Task) -> None:
        q = self.quality[task.unit.code]
        unit = task.unit.code
        for cp, due in task.checkpoints:
            roll = self.rng.random()
            if roll < 0.02 + 0.09 * (1 - q):
                continue  # never reported
            late = roll < 0.06 + 0.22 * (1 - q)
            if late:
                day = due + timedelta(days=self.rng.randint(1, 16 if due == LAST_DUE else 25))
            else:
                day = max(due - timedelta(days=self.rng.randint(0, 6)),
                          task.assigned.date() + timedelta(days=1))
            when = self.moment(day)
            if task.withdrawn is not None and when >= task.withdrawn:
                continue
            cmd: dict[str, Any] = {
                "id": f"demo-{unit}-report-{task.code}-{cp}", "type": "checkpoint.reported",
                "unit": unit, "task": task.code, "checkpoint": cp, "reported_on": day.isoformat(),
                "completed": True,
            }
            note = self.rng.choice(LATE_NOTES if late else OK_NOTES)
            if self.chance(0.03 + 0.08 * (1 - q)):
                cmd["completed"] = False
                note = self.rng.choice(INCOMPLETE_NOTES)
            elif self.chance(0.03 + 0.08 * (1 - q)):
                cmd["quality"] = "poor"
                note = self.rng.choice(POOR_NOTES)
            if note:
                cmd["note"] = note
            self.emit(when, cmd, unit)
            task.reports.append(cmd)
            if self.chance(0.8 if task.important else 0.08):
                self.evidence(task, cp, when, q)

    def evidence(self, task: _Task, cp: str, reported: datetime, q: float) -> None:
        unit = task.unit.code
        label = {"M": f"{int(cp[1:])}月", "Q": f"第{'一二三四'[int(cp[1]) - 1]}季度",
                 "H": "上半年" if cp == "H1" else "下半年"}[cp[0]]
        pieces = 2 if self.chance(0.1) else 1
        for n in range(1, pieces + 1):
            code = f"E-{task.code}-{cp}" + ("" if n == 1 else f"-p{n}")
            when = self.after(reported, max_days=2)
            if task.withdrawn is not None and when >= task.withdrawn:
                return
            kind = self.rng.choice(["工作台账", "进度报告", "现场照片", "会议纪要", "统计报表"])
            self.emit(when, {
                "id": f"demo-{unit}-evidence-{code}", "type": "evidence.submitted", "unit": unit,
                "evidence": code, "task": task.code, "checkpoint": cp,
                "title": f"{label}{task.title}{kind}", "sha256": self.sha()}, unit)
            if not self.chance(0.9 if task.important else 0.5):
                continue
            day = when.date() + timedelta(days=self.rng.randint(3, 25))
            if day > date(YEAR + 1, 1, 8):
                day = date(YEAR + 1, 1, 8)
            recorded = self.moment(day + timedelta(days=self.rng.randint(0, 2)))
            if recorded <= when:
                recorded = self.after(when)
            outcome = "discrepancy" if self.chance(0.05 + 0.12 * (1 - q)) else "confirmed"
            verification = self.emit(recorded, {
                "id": f"demo-{unit}-verify-{code}", "type": "evidence.verified", "unit": unit,
                "evidence": code, "outcome": outcome,
                "method": "on_site" if task.important and self.chance(0.75) else "online",
                "verified_on": day.isoformat()}, VERIFIER)
            rechecked = False
            if outcome == "discrepancy" and self.chance(0.3):  # rectified, verified again
                again = self.moment(day + timedelta(days=self.rng.randint(7, 20)))
                if again <= END - timedelta(days=4):
                    rechecked = True
                    self.emit(again, {
                        "id": f"demo-{unit}-verify-{code}-recheck", "type": "evidence.verified", "unit": unit,
                        "evidence": code, "outcome": "confirmed", "method": "on_site",
                        "verified_on": again.date().isoformat()}, VERIFIER)
            self.verifications.append({"cmd": verification, "task": task, "rechecked": rechecked,
                                       "when": recorded})

    def correct_reports(self) -> None:
        """A unit keyed a report wrongly: the office voids it and the unit reports again."""
        candidates = [(t, r) for t in self.tasks if t.withdrawn is None for r in t.reports
                      if "note" not in r and r["reported_on"] < "2018-11-01"]
        for task, report in self.rng.sample(candidates, min(len(candidates), 2 * self.scale)):
            reported = datetime.fromisoformat(report["recorded_at"])
            voided = self.after(reported, min_minutes=60 * 24, max_days=3)
            self.emit(voided, {"id": f"{report['id']}-void", "type": "entry.voided", "target": report["id"],
                               "reason": "填报数据有误，申请作废后重新填报"})
            again = self.after(voided, min_minutes=60, max_days=1)
            cmd = {k: v for k, v in report.items() if k not in ("recorded_at", "actor")}
            cmd.update(id=report["id"] + "-corrected", reported_on=again.date().isoformat(),
                       note="更正后重新填报")
            self.emit(again, cmd, task.unit.code)

    def falsify_one(self) -> None:
        """Exactly one piece of evidence in the whole year is found falsified (弄虚作假)."""
        candidates = [v for v in self.verifications
                      if v["task"].important and v["task"].unit.group == "departments"
                      and v["cmd"]["outcome"] == "confirmed" and not v["rechecked"]
                      and v["when"].month in (5, 6, 7, 8, 9, 10)]
        chosen = min(candidates, key=lambda v: self.quality[v["task"].unit.code] + self.rng.random() * 0.3)
        chosen["cmd"]["outcome"] = "falsified"
        chosen["cmd"]["method"] = "on_site"
        self.falsified = chosen

    def assess(self) -> None:
        reassess = 2 * self.scale
        vetoes = [t for t in self.tasks if t.method == "veto" and t.withdrawn is None]
        weak = [t for t in vetoes if self.quality[t.unit.code] < 0.6] or vetoes
        n_vetoed = min(len(weak), self.rng.randint(1, 2) * self.scale)
        self.vetoed = {t.id for t in self.rng.sample(weak, n_vetoed)}
        for task in self.tasks:
            if task.withdrawn is not None or self.chance(0.07):
                continue  # withdrawn, or still waiting for its year-end assessment
            q = self.quality[task.unit.code]
            when = self.moment(self.day_between(date(YEAR, 12, 18), date(YEAR + 1, 1, 8)))
            cmd = {"id": f"demo-{task.unit.code}-assess-{task.code}", "type": "task.assessed",
                   "unit": task.unit.code, "task": task.code, **self.result(task, q)}
            self.emit(when, cmd)
            if reassess and self.chance(0.05) and when.date() < date(YEAR + 1, 1, 5):
                reassess -= 1
                again = self.after(when, min_minutes=60 * 24, max_days=3)
                self.emit(again, {**{k: v for k, v in cmd.items() if k not in ("recorded_at", "actor")},
                                  "id": cmd["id"] + "-reviewed", **self.result(task, min(1.0, q + 0.15))})

    def result(self, task: _Task, q: float) -> dict[str, Any]:
        rng = self.rng
        if task.method == "completion_ratio":
            ratio = max(0.3, min(1.3, rng.gauss(0.65 + 0.4 * q, 0.12)))
            return {"actual": _dec(float(task.target) * ratio, 2)}  # type: ignore[arg-type]
        if task.method == "direct_deduction":
            n = rng.choices([0, 1, 2, 3], [35 * q, 35, 20, 10 * (1 - q) + 2])[0]
            return {"deductions": [{"points": rng.choice(["0.5", "1", "2", "3", "5"]),
                                    "reason": rng.choice(DEDUCTION_REASONS)} for _ in range(n)]}
        if task.method == "veto":
            return {"vetoed": task.id in self.vetoed}
        lines, total, goal = [], 0, rng.randint(55, 115) if q > 0.5 else rng.randint(40, 95)
        while total < goal:
            pts = min(rng.choice([5, 10, 10, 15, 20, 25]), goal - total)
            total += pts
            lines.append({"points": str(pts), "reason": f"{task.title}：{rng.choice(EARNED_REASONS)}"})
        return {"points": lines}

    # -- common indicators ---------------------------------------------------------------------------
    def common_scores(self) -> None:
        rng = self.rng
        self.scores: dict[tuple[str, str], dict[str, Any]] = {}
        for i, ind in enumerate(self.indicators):
            day = date(YEAR, 12, 10) + timedelta(days=(i * 18) // len(self.indicators))
            start = datetime.combine(day, time(9, 0), tzinfo=TZ)
            for j, unit in enumerate(self.units):
                q = self.quality[unit.code]
                score = max(55.0, min(100.0, rng.gauss(70 + 26 * q, 4)))
                cmd = self.emit(start + timedelta(minutes=j * 3 + rng.randrange(3)), {
                    "id": f"demo-{unit.code}-common-{ind.code}", "type": "common.scored",
                    "unit": unit.code, "indicator": ind.code, "score": _dec(round(score * 2) / 2)},
                    ind.assessor)
                self.scores[(unit.code, ind.code)] = cmd
        keys = rng.sample(sorted(self.scores), 13)
        self.disputed_scores = keys[:4]
        for key in keys[4:12]:  # re-scored after review: the later score supersedes
            first = self.scores[key]
            when = self.after(datetime.fromisoformat(first["recorded_at"]), min_minutes=60 * 24 * 3,
                              max_days=7)
            self.emit(when, {**{k: v for k, v in first.items() if k not in ("recorded_at", "actor")},
                             "id": first["id"] + "-rescored",
                             "score": _dec(min(100.0, float(first["score"])
                                               + rng.choice([-4, -2, 2, 3, 5])))},
                      first.get("actor"))
        first = self.scores[keys[12]]  # keyed in wrongly: voided by the office, then scored again
        voided = self.after(datetime.fromisoformat(first["recorded_at"]), min_minutes=60 * 24, max_days=2)
        self.emit(voided, {"id": first["id"] + "-void", "type": "entry.voided", "target": first["id"],
                           "reason": "录入单位错误，作废后重新评分"})
        self.emit(self.after(voided, min_minutes=120, max_days=1),
                  {**{k: v for k, v in first.items() if k not in ("recorded_at", "actor")},
                   "id": first["id"] + "-rekeyed", "score": _dec(min(100.0, float(first["score"]) + 3))},
                  first.get("actor"))

    # -- ballots -----------------------------------------------------------------------------------
    def ranked(self, units: list[Unit]) -> list[str]:
        noisy = {u.code: self.quality[u.code] + self.rng.gauss(0, 0.12) for u in units}
        return sorted(noisy, key=lambda code: (-noisy[code], code))

    def ballots(self) -> None:
        rng = self.rng
        departments, towns = self.departments[:], self.towns_zones[:]
        rng.shuffle(departments)
        rng.shuffle(towns)
        charge: dict[str, dict[str, list[Unit]]] = {name: {} for name in LEADERS}
        sizes = [len(departments) // len(LEADERS)] * len(LEADERS)
        for _ in range(len(departments) - sum(sizes)):
            sizes[rng.randrange(len(LEADERS))] += 1
        start = 0
        for name, size in zip(LEADERS, sizes):  # the leaders' charges partition the units
            charge[name]["departments"] = departments[start:start + size]
            start += size
        town_leaders = rng.sample(LEADERS[1:], 4)
        for k, name in enumerate(town_leaders):
            charge[name]["towns_zones"] = towns[k::4]
        partners = {u.code: rng.sample(self.departments, rng.randint(8, 15)) for u in self.towns_zones}
        partners.update({u.code: rng.sample(self.towns_zones, rng.randint(3, 8)) for u in self.departments})
        rounds = [  # (round, first ballot day, last ballot day, closed)
            ("half_year", date(YEAR, 7, 18), date(YEAR, 7, 26), datetime(YEAR, 7, 30, 17, 0, tzinfo=TZ)),
            ("year_end", date(YEAR, 12, 26), date(YEAR + 1, 1, 8),
             datetime(YEAR + 1, 1, 11, 17, 0, tzinfo=TZ)),
        ]
        for name, first, last, closes in rounds:
            short = "hy" if name == "half_year" else "ye"
            leader_ballots = []
            for leader in LEADERS:
                for group, units in charge[leader].items():
                    n = self.next_number(f"{short}-leader")
                    leader_ballots.append(self.emit(self.moment(self.day_between(first, last)), {
                        "id": f"demo-{short}-leader-{n}", "type": "ballot.cast", "round": name,
                        "kind": "leader", "rater": leader, "group": group, "ranking": self.ranked(units)},
                        leader))
            for group, units in (("departments", self.departments), ("towns_zones", self.towns_zones)):
                self.emit(self.moment(last), {
                    "id": f"demo-{short}-office-{group}", "type": "ballot.cast", "round": name,
                    "kind": "office", "rater": GROUP_OFFICE, "group": group, "ranking": self.ranked(units)},
                    GROUP_OFFICE)
            for rater in self.units:
                group = "departments" if rater.group == "towns_zones" else "towns_zones"
                self.emit(self.moment(self.day_between(first, last)), {
                    "id": f"demo-{short}-mutual-{rater.code}", "type": "ballot.cast", "round": name,
                    "kind": "mutual", "rater": rater.code, "group": group,
                    "ranking": self.ranked(partners[rater.code])}, rater.code)
            for ballot in rng.sample(leader_ballots, rng.randint(1, 2)):  # a leader changes its mind
                ranking = ballot["ranking"][:]
                while ranking == ballot["ranking"]:
                    rng.shuffle(ranking)
                self.emit(closes - timedelta(hours=rng.randint(4, 20)), {
                    **{k: v for k, v in ballot.items() if k not in ("recorded_at", "actor")},
                    "id": ballot["id"] + "-replaced", "ranking": ranking}, ballot["rater"])
            self.emit(closes, {"id": f"demo-{short}-close", "type": "round.closed", "round": name})

    # -- bonus, penalty, funding ---------------------------------------------------------------------
    def pick_unit(self, good: bool) -> Unit:
        weights = [self.quality[u.code] ** 2 if good else (1.1 - self.quality[u.code]) ** 2
                   for u in self.units]
        return self.rng.choices(self.units, weights)[0]

    def bonuses(self) -> None:
        items = list(BONUS_WEIGHTS)
        for item in items + self.rng.choices(items, [BONUS_WEIGHTS[i] for i in items], k=36):
            unit = self.pick_unit(good=True)
            cmd: dict[str, Any] = {"id": f"demo-{unit.code}-bonus-{self.next_number(unit.code + 'b')}",
                                   "type": "bonus.awarded", "unit": unit.code, "item": item}
            if item in ("B11", "B12"):
                cmd["points"] = self.rng.choice(["0.1", "0.15", "0.2"])
            elif self.chance(0.15):
                cmd["count"] = 2
            cmd["reason"] = self.rng.choice(BONUS_REASONS[item])
            self.emit(self.moment(self.day_between(date(YEAR, 3, 1), date(YEAR, 12, 28))), cmd)

    def penalties_and_funding(self) -> None:
        items = list(PENALTY_WEIGHTS)
        for item in items + self.rng.choices(items, [PENALTY_WEIGHTS[i] for i in items], k=20):
            unit = self.pick_unit(good=False)
            cmd: dict[str, Any] = {"id": f"demo-{unit.code}-penalty-{self.next_number(unit.code + 'p')}",
                                   "type": "penalty.imposed", "unit": unit.code, "item": item}
            if item == "P7" and self.chance(0.3):
                cmd["count"] = self.rng.randint(2, 3)
            cmd["reason"] = self.rng.choice(PENALTY_REASONS[item])
            self.penalties.append(self.emit(
                self.moment(self.day_between(date(YEAR, 3, 1), date(YEAR, 12, 10))), cmd))
        for unit in self.rng.sample(self.units, len(self.units) // 3):
            for _ in range(self.rng.choice([1, 1, 2, 3])):
                source = self.rng.choice(FUNDING_SOURCES)
                self.emit(self.moment(self.day_between(date(YEAR, 3, 1), date(YEAR, 12, 20))), {
                    "id": f"demo-{unit.code}-funding-{self.next_number(unit.code + 'f')}",
                    "type": "funding.recorded", "unit": unit.code,
                    "amount": _dec(max(5.0, self.rng.lognormvariate(6, 1.1))), "source": source,
                    "reason": self.rng.choice(FUNDING_REASONS).format(source)})

    # -- disputes ----------------------------------------------------------------------------------
    def dispute(self, target: dict[str, Any], reason: str, outcome: str, why: str, *,
                filed_within: int = 12, rescore: bool = False) -> None:
        unit = target["unit"]
        code = f"DSP-{unit}-{self.next_number(unit + 'd'):02d}"
        made = datetime.fromisoformat(target["recorded_at"])
        filed = self.after(made, min_minutes=60 * 24,
                           max_days=max(0, min(filed_within, (END - made).days - 6)))
        self.emit(filed, {"id": f"demo-{unit}-dispute-{code}", "type": "dispute.filed", "unit": unit,
                          "dispute": code, "target": target["id"], "reason": reason}, unit)
        resolved = self.after(filed, min_minutes=60 * 24, max_days=min(12, (END - filed).days - 3))
        self.emit(resolved, {"id": f"demo-{unit}-resolve-{code}", "type": "dispute.resolved",
                             "dispute": code, "outcome": outcome, "reason": why})
        if rescore and outcome == "upheld":
            self.emit(self.after(resolved, min_minutes=120, max_days=1), {
                **{k: v for k, v in target.items() if k not in ("recorded_at", "actor")},
                "id": target["id"] + "-after-dispute",
                "score": _dec(min(100.0, float(target["score"]) + self.rng.choice([3, 4, 6])))},
                target.get("actor"))

    def disputes(self) -> None:
        rng = self.rng
        outcomes = ["upheld", "rejected", "upheld", "rejected"]
        for penalty, outcome in zip(rng.sample(self.penalties, 4), outcomes):
            self.dispute(penalty, "对扣分事实有异议，已提交情况说明及相关证明材料", outcome,
                         "经核实，扣分依据不足，予以撤销" if outcome == "upheld"
                         else "经核实，扣分事实清楚、依据充分，维持原决定")
        discrepancies = [v["cmd"] for v in self.verifications
                         if v["cmd"]["outcome"] == "discrepancy" and not v["rechecked"]
                         and v["when"] < END - timedelta(days=10)]
        for verification, outcome in zip(rng.sample(discrepancies, min(3, len(discrepancies))), outcomes):
            self.dispute(verification, "核验时佐证材料已齐全，现场核验结论与实际不符", outcome,
                         "经复核，核验结论有误，予以撤销" if outcome == "upheld"
                         else "经复核，核验结论属实，维持原结论")
        self.dispute(self.falsified["cmd"], "对弄虚作假认定有异议，申请复核", "rejected",
                     "经再次现场核查，上报数据与实际严重不符，维持弄虚作假认定")
        for key, outcome in zip(self.disputed_scores, outcomes):
            self.dispute(self.scores[key], "对共性指标评分有异议，评分未采纳已报送的佐证材料", outcome,
                         "经考核主体复核，原评分有误，予以撤销并重新评分" if outcome == "upheld"
                         else "经考核主体复核，评分符合评分细则，维持原评分",
                         filed_within=4, rescore=True)


def demo_year(seed: int = 2018, scale: int = 1, *, actors: bool = False) -> list[dict[str, Any]]:
    """A complete, realistic simulated 2018 year for all 59 units, as contract command dicts in the
    order they should be ingested (recorded_at ascending, so knowledge time follows ledger order),
    deterministic for a given seed.

    `scale` multiplies the per-unit tasks and everything that hangs on them (for benchmarking
    ledgers many years in size). With `actors=True` each command names who recorded it (the unit,
    the verifier, the assessment body, the leader…); leave it off for HTTP, where the actor comes
    from the token.
    """
    return _Year(seed, scale, actors).build()


def main(argv: list[str] | None = None) -> None:
    """`python -m kaoping.ledger.demo [--seed N] [--scale N] [--actors] > year.jsonl`."""
    import argparse
    import json
    import sys

    parser = argparse.ArgumentParser(description="print a simulated 2018 year as JSON Lines")
    parser.add_argument("--seed", type=int, default=2018)
    parser.add_argument("--scale", type=int, default=1)
    parser.add_argument("--actors", action="store_true", help="name who records each command")
    args = parser.parse_args(argv)
    for cmd in demo_year(args.seed, args.scale, actors=args.actors):
        sys.stdout.write(json.dumps(cmd, ensure_ascii=False) + "\n")


__all__ = ["demo_year"]

if __name__ == "__main__":
    main()
