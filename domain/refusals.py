"""Every refusal in words (issue 15): what the ledger says when it will not do something, as a
Chinese sentence a clerk can act on — what is wrong, what is allowed, an example for dates and
numbers — and the same in English for programs' logs.

A refusal has a stable `code` that programs match on (never the words, which may be improved); the
error that carries it (`domain.errors`) names the `field`. The sentences are templates over the
parameters the raising code knows (`{unit}`, `{allowed}`…); a list parameter is joined with 、 in
Chinese and with commas in English. Fields are named in Chinese through `labels.field_name`, so a
template never repeats the field's name.

Requests FastAPI or pydantic could not read (a date that is no date, a number that is no number) are
translated from pydantic's own stable error types (`PYDANTIC`), with the example that type needs.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Words:
    zh: str
    en: str
    #: whether the field's name leads the sentence (not where the sentence names it itself)
    lead: bool = True


#: examples shown with a refusal of a value of this kind
DATE_EXAMPLE = "2018-03-31"
MOMENT_EXAMPLE = "2018-03-31T09:00:00+08:00"
NUMBER_EXAMPLE = '85 或 "85.5"'

REFUSALS: dict[str, Words] = {
    # -- reading a command (domain.commands) ------------------------------------------------------
    "command.not_object": Words("每条命令应是一个 JSON 对象，例如 {{\"id\": \"…\", \"type\": \"common.scored\", …}}",
                                "a command must be a JSON object"),
    "command.type_missing": Words("缺少命令类型，应为以下之一：{allowed}",
                                  "missing; one of {allowed}"),
    "command.type_unknown": Words("没有“{given}”这种命令类型，应为以下之一：{allowed}",
                                  "unknown command type {given!r}; one of {allowed}"),
    "command.field_unknown": Words("“{name}”不是 {type} 命令的字段（是否拼写有误？）",
                                   "unknown field {name!r} (not a field of {type})", lead=False),

    # -- when an entry is recorded (domain.rules.checks, rules) ---------------------------------------
    "recorded_at.future": Words("不得晚于现在", "must not be in the future"),
    "recorded_at.before_reference": Words(
        "早于它所引用的{what}的登记时间（{earlier}）：补录的记录不能早于它引用的记录",
        "is earlier than the recorded_at of the {what_en} it refers to ({earlier})"),
    "business_date.after_recorded": Words(
        "{value} 晚于本条记录的登记日（{recorded_on}）：业务日期不能晚于登记日",
        "{value} is after the day this entry was recorded ({recorded_on})"),

    # -- what a command names ------------------------------------------------------------------
    "unit.unknown": Words("没有代码为“{code}”的单位；单位代码如 D03、T01、Z02",
                          "unknown unit {code!r}"),
    "indicator.unknown": Words("没有代码为“{code}”的共性指标；共性指标为 C01–C25",
                               "unknown common indicator {code!r}"),
    "bonus.unknown": Words("没有代码为“{code}”的加分项；加分项为 B1–B13", "unknown bonus item {code!r}"),
    "penalty.unknown": Words("没有代码为“{code}”的减分项；减分项为 P1–P12", "unknown penalty item {code!r}"),
    "task.unknown": Words("单位 {unit} 没有代码为“{code}”的任务", "unit {unit} has no task {code!r}"),
    "task.voided": Words("任务“{code}”的下达已被作废", "task {code!r} was voided"),
    "task.withdrawn": Words("任务“{code}”已撤回，不再接受它的报告、佐证和考核", "task {code!r} was withdrawn"),
    "checkpoint.unknown": Words("任务“{task}”没有代码为“{code}”的序时节点",
                                "task {task!r} has no checkpoint {code!r}"),
    "entry.unknown": Words("没有编号为“{id}”的记录", "no entry with id {id!r}"),
    "entry.already_voided": Words("记录“{id}”已被“{by}”作废，无需再作废或提出异议",
                                  "{id!r} is already voided by {by!r}"),

    # -- tasks and checkpoints (§3) -------------------------------------------------------------
    "task.level_not_for_group": Words("“{level}”不是{group}的任务层级，可选：{allowed}",
                                      "level {level!r} is not for {group_code} (allowed: {allowed_en})"),
    "task.method_not_for_group": Words("“{method}”不是{group}的计分方法，可选：{allowed}",
                                       "method {method!r} is not for {group_code} (allowed: {allowed_en})"),
    "task.code_taken": Words("单位 {unit} 已有任务“{code}”：任务代码永不复用，要改任务请先撤回，再下达一项新代码的任务",
                             "task {code!r} is already assigned to {unit} (task codes are never reused)"),
    "checkpoint.due_before_assignment": Words(
        "节点“{code}”的到期日 {due} 早于任务下达的登记日（{recorded_on}）；补录往年的任务请写明 recorded_at",
        "checkpoint {code!r} is due {due}, before the assignment is recorded ({recorded_on})"),
    "checkpoint.already_reported": Words(
        "节点“{code}”已由“{by}”报告；要重报，请先作废原报告",
        "checkpoint {code!r} is already reported by {by!r}; void that report to report again"),
    "assessment.wrong_result": Words("任务“{task}”按{method}计分，请给出 {expected}",
                                     "task {task!r} is scored by {method_code}: give {expected!r}"),

    # -- evidence ------------------------------------------------------------------------------
    "evidence.code_taken": Words("单位 {unit} 已有佐证“{code}”，佐证代码在单位内唯一",
                                 "evidence {code!r} already exists for {unit}"),
    "evidence.unknown": Words("单位 {unit} 没有佐证“{code}”", "unit {unit} has no evidence {code!r}"),
    "evidence.voided": Words("佐证“{code}”已被作废", "evidence {code!r} was voided"),

    # -- bonuses and penalties (§6, §7) --------------------------------------------------------
    "bonus.from_funding": Words("{item} 由争取资金记录（funding.recorded）算出，不单独登记加分",
                                "{item} is computed from funding.recorded, not awarded"),
    "bonus.points_not_count": Words("{item} 逐次核定分值：请给出 points（{low}–{high}），不要给 count",
                                    "{item} is set per award by points, not count"),
    "bonus.points_required": Words("{item} 必须给出分值 points（{low}–{high}），例如 \"0.15\"",
                                   "required for {item} ({low}–{high})"),
    "bonus.points_out_of_range": Words("{item} 的分值应在 {low}–{high} 之间",
                                       "{item} points must be within {low}–{high}"),
    "bonus.fixed_points": Words("{item} 分值固定：请给出次数 count（默认 1），不要给 points",
                                "{item} has fixed points; give count"),

    # -- ballots (§5) --------------------------------------------------------------------------
    "round.closed": Words("{round}已关闭，不再接受选票", "round {round_code} is closed"),
    "round.already_closed": Words("{round}已经关闭", "round {round_code} is already closed"),
    "ballot.rater_unknown": Words("互评的评价人应为另一组单位的代码，没有代码为“{code}”的单位",
                                  "a mutual rater is a unit code; unknown unit {code!r}"),
    "ballot.rater_same_group": Words("互评中 {rater} 应评另一组的单位，不能评{group}",
                                     "mutual rater {rater} ranks the other group, not {group_code}"),
    "ballot.not_in_group": Words("{code} 不属于{group}", "{code} is not in group {group_code}"),
    "ballot.ranks_itself": Words("{code} 不能给自己排序", "{code} may not rank itself"),
    "ballot.incomplete": Words("{whose}（方案第 5 节）；{total} 个单位中漏排 {count} 个：{missing}",
                               "{whose_en} (SCHEME-2018 §5); {count} of {total} left out: {missing}"),

    # -- the scheme and its amendments (§10; domain.scheme, domain.scheme_schema, ledger.admin) -------
    "amendment.not_object": Words("方案修订应是一个 JSON 对象（合并补丁），例如 {{\"version\": \"2018.2\", …}}",
                                  "an amendment is a JSON object (a merge patch)"),
    "amendment.version_missing": Words("方案修订必须写明新的版本号，例如 \"2018.2\"",
                                       "an amendment must name its new version"),
    "amendment.version_in_force": Words("{version} 是现行版本，请写一个新的版本号",
                                        "version {version} is the one in force; name a new one"),
    "amendment.version_exists": Words("版本 {version} 已经存在，请写一个新的版本号",
                                      "version {version} already exists"),
    "amendment.in_force_from": Words("生效时间就是修订的登记时间（--recorded-at），不写在补丁里",
                                     "is the amendment's recorded time, not part of a patch"),
    "amendment.list_not_keyed": Words("按键组织，补丁只写要改的条目，例如 {example}（null 删除一条）；写成列表会替换全部条目",
                                      "is keyed, so that a patch names the entries it changes, e.g. {example} "
                                      "(null deletes one); a list would replace every entry (SCHEME-2018 §10)"),
    "amendment.not_json": Words("{kind} 不能写入 JSON", "{kind} is not JSON"),
    "amendment.out_of_order": Words(
        "{when} 不晚于现行版本 {version} 的生效时间 {since}：修订须按时间先后登记，早于现行版本的修订会改写已由后一版本管辖的时期",
        "{when} is not after {since}, from which {version} is in force: amendments are recorded in time "
        "order, since one dated earlier would rewrite the rules of a period a later version already "
        "governs (SCHEME-2018 §10)"),
    "scheme.not_object": Words("方案应是一个 JSON 对象", "a scheme is a JSON object"),
    "scheme.unknown_key": Words("不是方案的键（是否拼写有误？）", "unknown key: not part of the scheme"),
    "scheme.number": Words(f"应为数字，例如 {NUMBER_EXAMPLE}", "a number is expected (a decimal string such as \"0.5\")"),
    "scheme.not_a_number": Words("“{value}”不是数字", "{value!r} is not a number"),
    "scheme.weights_sum": Words("{what}之和应为 1，现在是 {terms} = {total}", "{what_en} must add up to 1, not {terms} = {total}"),
    "scheme.min_below_max": Words("下限 {min} 应小于上限 {max}", "min {min} must be below max {max}"),
    "scheme.bonus_kind": Words("每个加分项只给一种分值：points（固定分值）、funding（按争取资金）或 min 和 max（逐次核定）",
                               "give exactly one of points, funding, or min and max"),
    "scheme.bonus_range": Words("逐次核定的加分项需要 min ≤ max", "an item set per award needs min ≤ max"),
    "scheme.cap_unknown_item": Words("封顶的加分项 {code} 不在方案中", "caps an item the scheme does not have: {code}"),
    "scheme.cap_funding": Words("{code} 按争取资金算出，不与其他项合并封顶", "{code} is computed from funding, not capped with others"),
    "scheme.cap_twice": Words("{code} 已由 {by} 封顶", "{code} is already capped by {by}"),
    "scheme.not_penalty": Words("{code} 不是减分项", "{code} is not a penalty item"),
    "scheme.band_ranks": Words("比例段的 rank 应为 1 到 {count}，各一次，现在是 {ranks}",
                               "band ranks must be 1 to {count}, each once: {ranks}"),
    "scheme.band_points": Words("低段的分数不得高于高段", "a lower band may not earn more points than a higher one"),
    "scheme.gate_level": Words("{level} 不是方案中的层级", "{level} is not a level of the scheme"),

    # -- tokens ------------------------------------------------------------------------------------
    "token.unknown": Words("没有编号为“{id}”的令牌", "no token {id!r}"),
    "token.already_revoked": Words("令牌“{id}”已经吊销", "token {id!r} is already revoked"),

    # -- the checkable log (ledger.notary) --------------------------------------------------------
    "checkpoint.none_yet": Words("还没有签名的检查点", "no checkpoint is signed yet"),
    "checkpoint.not_stored": Words("没有大小为 {size} 的检查点", "no checkpoint of size {size} is stored"),
    "seq.unknown": Words("没有序号为 {seq} 的记录", "no entry with seq {seq}"),
    "seq.after_checkpoint": Words("序号 {seq} 的记录在大小为 {size} 的检查点之后，请用更新的检查点",
                                  "seq {seq} came after the checkpoint of size {size}"),
    "proof.from_zero": Words("一致性证明的起始大小至少为 1", "a consistency proof starts at size 1 or more"),
    "proof.from_after_to": Words("起始大小 {old} 大于终止大小 {new}", "from {old} is after to {new}"),
    "proof.unit_own_only": Words("单位令牌只能证明本单位（{unit}）历史中的记录",
                                 "a unit token proves entries of its own history ({unit}) only"),
    "cosignature.role": Words("只有审计或考评办的令牌可以提交见证签名",
                              "only an auditor's or the office's token sends cosignatures"),

    # -- publication and appeals (§9; ledger.appeals, ledger.compare) ---------------------------
    "publication.unknown": Words("没有编号为“{id}”的公示", "no publication {id!r}"),
    "dispute.status_unknown": Words("没有“{given}”这种状态，可选：open（待裁决）、resolved（已裁决）、all（全部）",
                                    "unknown status {given!r}; one of open, resolved, all"),
    "dispute.unknown": Words("没有代码为“{code}”的异议", "no dispute {code!r}"),
    "dispute.not_open": Words("异议“{code}”{status}，没有可预览的裁决", "dispute {code!r} is {status_en}: nothing left to preview"),
    "compare.same_unit": Words("请选择两个不同的单位进行比较", "compare two different units"),

    # -- the ledger itself -----------------------------------------------------------------------
    "ledger.empty": Words("账本还是空的：请先运行 kaoping init", "the ledger is empty: run `kaoping init` first"),

    # -- a damaged ledger (integrity: ledger.damage, ledger.store, ledger.writer, ledger.export) ---
    "ledger.entry_unreadable": Words(
        "第 {seq} 号条目（seq {seq}）无法读取，账本可能被改动：请运行 kaoping verify 查明，并从备份恢复数据库",
        "entry seq {seq} cannot be read: run kaoping verify", lead=False),
    "ledger.link_without_entry": Words(
        "哈希链记有第 {seq} 号条目（seq {seq}），但该条目已不在账本中：请运行 kaoping verify 查明，并从备份恢复数据库；恢复前不能追加",
        "entry seq {seq} cannot be read (its chain link remains, the entry is gone): run kaoping verify",
        lead=False),
    "ledger.index_row_missing": Words(
        "命令“{id}”已记入账本（第 {seq} 号条目），但命令索引缺少它的行：请运行 kaoping verify 查明，并从备份恢复数据库",
        "command {id!r} has entries (seq {seq}) but no command index row: run kaoping verify",
        lead=False),

    # -- stages and groups of the readers ------------------------------------------------------
    "stage.unknown": Words("没有“{given}”这个阶段，可选：{allowed}", "unknown stage {given!r}; one of {allowed_en}"),
    "group.unknown": Words("没有“{given}”这个分组，可选：{allowed}", "unknown group {given!r}; one of {allowed_en}"),
}

#: pydantic's error types, as a clerk reads them; `{…}` are the error's own context values
PYDANTIC: dict[str, Words] = {
    "missing": Words("必须填写", "field required"),
    "extra_forbidden": Words("不是这条命令的字段（是否拼写有误？）", "unknown field"),
    "string_type": Words("应为文字", "a string is expected"),
    "string_too_short": Words("不得为空", "must not be empty"),
    "string_too_long": Words("太长：最多 {max_length} 个字符", "at most {max_length} characters"),
    "string_pattern_mismatch": Words("格式不对", "does not match the expected form"),
    "decimal_parsing": Words(f"应为数字，例如 {NUMBER_EXAMPLE}", "a number is expected"),
    "decimal_type": Words(f"应为数字，例如 {NUMBER_EXAMPLE}", "a number is expected"),
    "float_parsing": Words(f"应为数字，例如 {NUMBER_EXAMPLE}", "a number is expected"),
    "float_type": Words(f"应为数字，例如 {NUMBER_EXAMPLE}", "a number is expected"),
    "finite_number": Words(f"应为有限的数字，例如 {NUMBER_EXAMPLE}", "a finite number is expected"),
    "int_parsing": Words("应为整数，例如 1", "a whole number is expected"),
    "int_type": Words("应为整数，例如 1", "a whole number is expected"),
    "int_from_float": Words("应为整数，例如 1", "a whole number is expected"),
    "bool_parsing": Words("应为 true 或 false", "true or false is expected"),
    "bool_type": Words("应为 true 或 false", "true or false is expected"),
    "greater_than": Words("应大于 {gt}", "must be greater than {gt}"),
    "greater_than_equal": Words("应不小于 {ge}", "must be at least {ge}"),
    "less_than": Words("应小于 {lt}", "must be less than {lt}"),
    "less_than_equal": Words("应不大于 {le}", "must be at most {le}"),
    "literal_error": Words("应为以下之一：{expected}", "one of {expected}"),
    "enum": Words("应为以下之一：{expected}", "one of {expected}"),
    "list_type": Words("应为列表，例如 [\"D01\", \"D02\"]", "a list is expected"),
    "too_short": Words("至少要有 {min_length} 项", "at least {min_length} item(s)"),
    "too_long": Words("最多 {max_length} 项", "at most {max_length} item(s)"),
    "dict_type": Words("应为 JSON 对象", "an object is expected"),
    "model_type": Words("应为 JSON 对象", "an object is expected"),
    "date_type": Words(f"应为日期 YYYY-MM-DD，例如 {DATE_EXAMPLE}", "a date YYYY-MM-DD is expected"),
    "date_parsing": Words(f"应为日期 YYYY-MM-DD，例如 {DATE_EXAMPLE}", "a date YYYY-MM-DD is expected"),
    "date_from_datetime_parsing": Words(f"应为日期 YYYY-MM-DD，例如 {DATE_EXAMPLE}",
                                        "a date YYYY-MM-DD is expected"),
    "date_from_datetime_inexact": Words(f"应为日期 YYYY-MM-DD，例如 {DATE_EXAMPLE}",
                                        "a date YYYY-MM-DD is expected"),
    "datetime_type": Words(f"应为带时区的时间，例如 {MOMENT_EXAMPLE}", "an ISO 8601 datetime is expected"),
    "datetime_parsing": Words(f"应为带时区的时间，例如 {MOMENT_EXAMPLE}", "an ISO 8601 datetime is expected"),
    "datetime_from_date_parsing": Words(f"应为带时区的时间，例如 {MOMENT_EXAMPLE}",
                                        "an ISO 8601 datetime is expected"),
    "timezone_aware": Words(f"应写明时区，例如 {MOMENT_EXAMPLE}", "a time zone offset is required"),
    "json_invalid": Words("不是有效的 JSON", "invalid JSON"),
    "union_tag_invalid": Words("命令类型不对", "unknown command type"),
}


def _words(value: Any, joiner: str) -> Any:
    if isinstance(value, (list, tuple, set, frozenset)):
        return joiner.join(str(v) for v in value)
    return value


def render(words: Words, params: Mapping[str, Any]) -> tuple[str, str]:
    """(Chinese, English) of `words` with `params` filled in; a list joined as each language does."""
    zh = words.zh.format(**{k: _words(v, "、") for k, v in params.items()})
    en = words.en.format(**{k: _words(v, ", ") for k, v in params.items()})
    return zh, en


def known(code: str) -> bool:
    return code in REFUSALS


def pydantic_words(error: Mapping[str, Any]) -> tuple[str, str, str]:
    """(code, Chinese, English) for one of pydantic's errors: its type's words, its context filled
    in; a custom refusal raised inside a validator (`PydanticCustomError` with a catalogue code)
    keeps its own words."""
    kind = str(error.get("type", ""))
    context = dict(error.get("ctx") or {})
    if kind in REFUSALS:
        zh, en = render(REFUSALS[kind], context)
        return kind, zh, en
    words = PYDANTIC.get(kind)
    if words is None:
        message = str(error.get("msg", "")).removeprefix("Value error, ")
        return f"invalid.{kind or 'value'}", f"无法读取：{message}", message
    if "expected" in context:
        context["expected"] = _alternatives(str(context["expected"]))
    try:
        zh, en = render(words, context)
    except (KeyError, IndexError):
        zh, en = words.zh, words.en
    return f"invalid.{kind}", zh, en


def _alternatives(expected: str) -> list[str]:
    """pydantic spells a literal's alternatives "'a', 'b' or 'c'"."""
    parts = expected.replace(" or ", ", ").split(", ")
    return [part.strip().strip("'") for part in parts if part.strip()]


def joined(values: Iterable[Any]) -> list[str]:
    return [str(v) for v in values]


__all__ = ["DATE_EXAMPLE", "MOMENT_EXAMPLE", "NUMBER_EXAMPLE", "PYDANTIC", "REFUSALS", "Words",
           "joined", "known", "pydantic_words", "render"]
