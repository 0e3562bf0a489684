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
    # -- spreadsheets in (domain.sheets_in, ledger.imports; docs/commands.md §10.3) ---------------
    "import.kind_unknown": Words("没有这种表格：{kind}；应为以下之一：{allowed}", "no such kind of sheet: {kind}; one of {allowed}"),
    "import.not_sheet": Words("{name} 不是能读取的表格（应为 xlsx，或 UTF-8、GB18030 编码的 CSV）：{reason}",
                              "{name} is not a spreadsheet that can be read (xlsx, or CSV in UTF-8 or GB18030): {reason}",
                              lead=False),
    "import.encrypted": Words("{name} 设了打开密码（加密的表格无法读取）：请另存为不加密的 xlsx 再导入",
                              "{name} is encrypted: save it without a password and import it again", lead=False),
    "import.no_header": Words("找不到表头：{kind}的表头单元格应写作“中文名（字段）”，如 {example}；请用模板",
                              "no header row found: header cells read 'name（field）', e.g. {example}; use the template",
                              lead=False),
    "import.no_indicators": Words("表头中没有共性指标列（应写作“C05 指标名称”）", "no indicator column (\"C05 name\") in the header",
                                  lead=False),
    "import.header_missing": Words("第 {row} 行的表头缺少必填的列：{columns}", "the header in row {row} lacks the columns {columns}",
                                   lead=False),
    "import.required": Words("必须填写", "required"),
    "import.formula_uncached": Words("是没有计算结果的公式：请在 Excel 中打开并保存（或改为数值）后再导入",
                                     "a formula without a cached value: open and save the file in Excel, or type the value"),
    "import.date": Words("“{value}”不是日期：应写作 2018-07-31、2018/7/31 或 2018年7月31日", "{value} is not a date"),
    "import.date_no_year": Words("“{value}”缺少年份：请写完整的日期，如 2018/7/31", "{value} has no year"),
    "import.moment": Words("“{value}”不是时间：应写作 2018-07-31 09:00（或只写日期）", "{value} is not a time"),
    "import.number": Words("“{value}”不是数字", "{value} is not a number"),
    "import.whole": Words("“{value}”不是整数", "{value} is not a whole number"),
    "import.choice": Words("“{value}”不是可选的值：应为 {allowed}", "{value} is not one of {allowed}"),
    "import.unit_unknown": Words("没有代码为“{unit}”的单位", "no unit {unit}"),
    "import.key_repeated": Words("{key} 在表中重复：与工作表“{sheet}”第 {row} 行相同；每个键只能有一行",
                                 "{key} is repeated: the same as sheet {sheet} row {row}", lead=False),
    "import.task_differs": Words("与任务 {task} 第 {row} 行填的不同：同一任务的各行须一致（或合并单元格）",
                                 "differs from task {task}'s row {row}"),
    "import.task_unknown": Words("单位 {unit} 没有任务 {task}：请先导入任务清单", "unit {unit} has no task {task}"),
    "import.assessment_field": Words("该任务按{method}计分，须填写这一列", "the task's method needs this column"),
    "import.indicator_unknown": Words("没有共性指标 {indicator}", "no common indicator {indicator}"),
    "import.rank": Words("名次应为 1 起的整数", "a rank is a whole number from 1"),
    "import.rank_tie": Words("名次 {rank} 与第 {row} 行重复：名次不得并列", "rank {rank} repeats row {row}'s"),
    "import.rank_none": Words("这份排序没有填写任何名次", "the ranking gives no rank"),
    "import.rank_gap": Words("名次不连续：缺少第 {missing} 名", "the ranks skip {missing}"),
    "import.too_many_rows": Words("表格有 {count} 行数据，超过一次导入的上限 {limit} 行（KAOPING_MAX_BATCH_COMMANDS）：请分成几个文件导入",
                                  "{count} rows is over the limit of {limit} rows an import (KAOPING_MAX_BATCH_COMMANDS)",
                                  lead=False),
    "import.recorded_differs": Words("这一行的键已由第 {seq} 条记录（{id}）以别的内容登记：要改，请先作废那条记录，或改正表格",
                                     "this row's key was recorded by entry {seq} ({id}) with other content: void it first, or fix the sheet",
                                     lead=False),
    "import.report_differs": Words("与单位已报的第 {seq} 条记录不同（{differs}）：由考评办决定以哪个为准（作废那条记录后再导入，或删去这一行）",
                                   "differs from the report recorded as entry {seq} ({differs}): the office decides", lead=False),
    "import.role": Words("{role}不能导入{kind}（考评办导入任何表格；考核主体导入其指标的共性指标成绩；评价人导入自己的排序）",
                         "{role_code} may not import {kind_code}", lead=False),
    "import.action_role": Words("{role}不能导入表格", "{role_code} may not import sheets", lead=False),
    "import.list_role": Words("导入的表格只给考评办和审计看（{role}不能）", "the imported sheets are the office's and the auditor's", lead=False),
    "import.file_missing": Words("请选择要导入的表格文件", "choose the sheet to import", lead=False),
    # -- reading a command (domain.commands) ------------------------------------------------------
    "command.not_object": Words("每条命令应是一个 JSON 对象，例如 {{\"id\": \"…\", \"type\": \"common.scored\", …}}",
                                "a command must be a JSON object"),
    "command.type_missing": Words("缺少命令类型，应为以下之一：{allowed}",
                                  "missing; one of {allowed}"),
    "command.type_unknown": Words("没有“{given}”这种命令类型，应为以下之一：{allowed}",
                                  "unknown command type {given!r}; one of {allowed}"),
    "command.field_unknown": Words("“{name}”不是 {type} 命令的字段（是否拼写有误？）",
                                   "unknown field {name!r} (not a field of {type})", lead=False),

    # -- HTTP input hardening: what a command may hold, and what a request may be (domain.commands, api) --
    "code.alphabet": Words("只能由字母、数字、汉字和 - _ . : 组成，最多 {length} 个字符，例如 D03-task-01（{bad} 不允许）",
                           "only letters, digits, CJK ideographs and - _ . : are allowed, at most {length} "
                           "characters ({bad} is not)"),
    "name.alphabet": Words("只能由字母、数字、汉字、空格和 - _ . : · 组成，最多 {length} 个字符，例如 县考评办（{bad} 不允许）",
                           "only letters, digits, CJK ideographs, spaces and - _ . : · are allowed, at most "
                           "{length} characters ({bad} is not)"),
    "text.characters": Words("不能含控制字符、文字方向控制符或无法存储的字符（{bad}）",
                             "may not hold control, direction or unstorable characters ({bad})"),
    "number.out_of_range": Words("数字的数量级应在 1e-12 到 1e15 之间，例如 85 或 \"0.15\"",
                                 "a number between 1e-12 and 1e15 in size is expected"),
    "recorded_at.out_of_range": Words(f"超出可表示的时间范围，例如 {MOMENT_EXAMPLE}", "out of range"),
    "task.target_required": Words("按完成比例法（completion_ratio）计分的任务必须给出目标值，例如 100",
                                  "required for method completion_ratio"),
    "task.target_only_ratio": Words("只有按完成比例法（completion_ratio）计分的任务才给目标值",
                                    "only for method completion_ratio"),
    "task.only_upper_levels": Words("只适用于省级（provincial）和市级（municipal）任务",
                                    "only for provincial and municipal tasks"),
    "task.checkpoint_repeated": Words("节点代码在任务内重复：{codes}", "checkpoint codes repeat within the task: {codes}"),
    "assessment.one_result": Words("请只给出 actual、deductions、vetoed、points 中的一项",
                                   "give exactly one of actual, deductions, vetoed, points"),
    "ballot.ranked_twice": Words("{unit} 排了两次：排序须严格，不重复、不并列",
                                 "{unit} is ranked twice (a ranking is strict: no repeats, no ties)"),
    "as_of.unreadable": Words(f"“{{given}}”不是日期或时间，应为 YYYY-MM-DD（当天结束时），例如 {DATE_EXAMPLE}，"
                              f"或带时区的时间，例如 {MOMENT_EXAMPLE}",
                              "{given!r} is not an ISO date or datetime in range"),
    "date.no_such_day": Words("{given} 这一天不存在：{year} 年 {month} 月只有 {days} 天",
                              "{given}: no such day ({year}-{month:02d} has {days} days)"),
    "batch.not_json": Words("不是有效的 JSON：{reason}", "not valid JSON: {reason}"),
    "batch.not_array": Words("应为命令的 JSON 数组，例如 [{{\"id\": \"…\", \"type\": \"common.scored\", …}}]",
                             "expected a JSON array of commands"),
    "batch.too_large": Words("请求内容超过 {limit} 字节的上限：请把命令分成几批发送",
                             "the body is over the limit of {limit} bytes: send the commands in several batches"),
    "batch.too_many": Words("一批最多 {limit} 条命令，这一批有 {count} 条：请分成几批发送",
                            "at most {limit} commands a batch, this one has {count}: send several batches"),
    "auth.missing": Words("缺少令牌：请在请求头写 Authorization: Bearer 令牌",
                          "missing bearer token (Authorization: Bearer TOKEN)", lead=False),
    "auth.unknown": Words("未知或已吊销：请使用 kaoping token create 生成的有效令牌", "unknown or revoked token"),
    "unit.own_only": Words("单位令牌只能读取本单位（{unit}）的数据", "a unit token reads its own unit ({unit}) only"),
    "request.not_found": Words("没有这个接口或资源：{path}", "no such endpoint or resource: {path}"),
    "request.body_unreadable": Words("不是可读的 JSON（UTF-8 编码的 JSON 对象）", "not readable JSON (a UTF-8 JSON object)"),
    "request.too_large": Words("请求内容超过 {limit} 字节的上限：其余部分未读取，未登记任何内容",
                               "the body is over the limit of {limit} bytes: the rest was not read, nothing was recorded"),
    "store.unavailable": Words("账本数据库暂时无法读写（{reason}）：请稍后重试；重发同一编号的命令不会重复登记",
                               "the ledger's database cannot be read or written just now ({reason_en}): retry "
                               "later; the same command ids sent again record nothing twice"),
    "request.method": Words("此接口不接受 {method} 请求", "this endpoint does not accept {method}"),

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
                               "{whose_en} (the scheme, §5); {count} of {total} left out: {missing}"),

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
                                      "(null deletes one); a list would replace every entry (the scheme, §10)"),
    "amendment.not_json": Words("{kind} 不能写入 JSON", "{kind} is not JSON"),
    "amendment.out_of_order": Words(
        "{when} 不晚于现行版本 {version} 的生效时间 {since}：修订须按时间先后登记，早于现行版本的修订会改写已由后一版本管辖的时期",
        "{when} is not after {since}, from which {version} is in force: amendments are recorded in time "
        "order, since one dated earlier would rewrite the rules of a period a later version already "
        "governs (the scheme, §10)"),
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

    # -- a unit token's namespace (issue 17, item 10; domain.namespaces) -----------------------
    "namespace.too_long": Words("太长：本单位令牌提交的编号在账本中会加上单位前缀（{unit}），因此最多 {longest} 个字符",
                                "too long: a unit token's ids and codes are stored with its unit's prefix ({unit}), "
                                "so at most {longest} characters"),
    "namespace.unit_id": Words("以“{unit}:”开头的编号专属于单位 {unit} 自己的令牌；请换一个不以“{unit}:”开头的编号，"
                               "例如 t-{unit}-1",
                               "ids starting with {unit}: belong to unit {unit}'s own tokens; choose another"),
    "namespace.dispute_code": Words("以“{owner}-”开头的异议编号专属于单位 {owner} 的异议；单位 {unit} 的异议请用"
                                    "“{unit}-”开头的编号，例如 {unit}-001",
                                    "dispute codes starting with {owner}- belong to disputes of {owner}; "
                                    "a dispute of {unit} may use {unit}-001"),

    # -- time bounds of reads (issue 17, item 3; ledger.budget) ---------------------------------
    "read.time_limit": Words("这次查询超过了 {seconds} 秒的时限，已停止计算：请稍后再试；若仍超时，请查询更小的范围"
                             "（例如某一单位、某一截至日期），或请管理员调大 KAOPING_READ_TIMEOUT",
                             "the read ran past its {seconds} s bound and was stopped: try again later, "
                             "or ask for less (one unit, one as-of date)"),
    "verify.busy": Words("另一次账本校验正在进行（每个服务进程同时只做一次）：请稍后再试",
                         "another verify is running (one at a time in each server process): try again later"),
    "read.cancelled": Words("查询已停止：请求方已断开连接", "the read was stopped: its caller went away"),

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

    # == Chinese words (issue 15, last part): roles, voids and disputes, readers, keys and proofs ==
    # -- who may record what (domain.roles) ---------------------------------------------------------
    "role.unknown": Words("没有“{given}”这种角色，可选：{allowed}", "unknown role {given!r}; one of {allowed_en}"),
    "token.unit_needed": Words("单位（unit）和日历订阅（calendar）令牌须用 --unit 写明单位代码，例如 --unit D03",
                               "a unit or calendar token needs --unit CODE"),
    "token.unit_not_for_role": Words("只有单位（unit）和日历订阅（calendar）角色的令牌写 --unit，请删去它或改用这两种角色",
                                     "--unit is only for the unit and calendar roles"),
    "calendar.token_in_url": Words("网址里只接受日历订阅（calendar）令牌：其他令牌请放在请求头 Authorization: Bearer 令牌",
                                   "only a calendar token may be given in the URL; others go in the Authorization header",
                                   lead=False),
    "token.leader_units_needed": Words("县领导令牌须用 --units 写明分管的单位，例如 --units D01,D02",
                                       "a leader token needs --units CODE,… (the units in the leader's charge)"),
    "token.assessor_indicators_needed": Words(
        "考核主体令牌须用 --indicators 写明它评分的共性指标，例如 --indicators C02,C05",
        "an assessor token needs --indicators C02,…"),
    "actor.from_token": Words("由令牌决定，请求中不要填写", "is taken from the token; a request may not supply it"),
    "recorded_at.office_only": Words("只有考评办可以填写（用于补录往年记录），请删去此项",
                                     "only the office may supply recorded_at (for importing history)"),
    "role.may_not_record": Words("{role}不能登记“{kind}”（{kind_code}）",
                                 "role {role_code} may not record {kind_code}"),
    "role.assessor_indicators": Words("本考核主体只评以下共性指标：{indicators}",
                                      "this assessor scores {indicators} only"),
    "role.unit_own": Words("本令牌只能为单位 {unit} 登记", "this token records for unit {unit} only"),
    "ballot.kind_for_role": Words("{role}只投{kind}票（kind 应为 {kind_code}）",
                                  "role {role_code} casts {kind_code} ballots only"),
    "ballot.rater_is_token": Words("本令牌的评价人是“{rater}”，请照此填写", "this token rates as {rater!r}"),
    "ballot.not_in_charge": Words("{code} 不是本县领导分管的单位", "{code} is not in this leader's charge"),
    "dispute.own_entry": Words("单位只能对他人登记的记录提出异议，不能对本单位自己登记的记录提出",
                               "a unit disputes entries recorded by others, not its own"),

    # -- voids and disputes (domain.rules.voids) ------------------------------------------------
    "entry.final": Words("记录“{id}”是{type}（{type_code}），一经登记即为最终结果，不能作废",
                         "{id!r} is a {type_code}, which is final"),
    "dispute.resolved_final": Words("异议“{id}”已由“{by}”裁决，裁决是最终结果，这条异议不能再作废",
                                    "dispute {id!r} is resolved by {by!r}, which is final"),
    "dispute.code_taken": Words("异议编号“{code}”已被使用，请换一个编号", "dispute {code!r} already exists"),
    "dispute.not_of_unit": Words("记录“{id}”不属于单位 {unit}", "{id!r} is not an entry of {unit}"),
    "dispute.undisputable": Words("{type}（{type_code}）不能提出异议：{why}",
                                  "a {type_code} cannot be disputed: {why_en}"),
    "dispute.already_open": Words("记录“{id}”已有待裁决的异议，请等待裁决结果", "{id!r} is already under dispute"),
    "dispute.window_closed": Words(
        "记录“{id}”已计入公示“{title}”（截至 {as_of}），其申诉期（{days} 天）已于 {closed} 结束，不能再提出异议",
        "{id!r} was counted by the publication {publication!r}, whose appeal window ({days} days) closed {closed_iso}"),
    "dispute.voided": Words("异议“{code}”已被作废", "dispute {code!r} was voided"),
    "dispute.already_resolved": Words("异议“{code}”已由“{by}”裁决，不能再次裁决",
                                      "dispute {code!r} is already resolved by {by!r}"),
    "publication.as_of_future": Words(
        "{as_of_shown} 晚于公示本身的登记时间（{recorded_shown}）：只能公示已经知道的结果，例如截至 2018-07-31",
        "{as_of} is after the publication itself ({recorded_at}): results are published once known"),

    # -- what readers are asked (domain.moments, ledger.reader, api.routes) ----------------------
    "upto.out_of_range": Words("{upto} 不是本账本的位置：应为 1 到 {last} 之间的整数，例如 {last}",
                               "{upto} is not a position of this ledger (1 to {last})"),
    "dispute.unit_own_only": Words("单位令牌只能查看本单位（{unit}）的异议",
                                   "a unit token sees its own unit's ({unit}) disputes only"),
    "dispute.not_of_caller": Words("单位 {unit} 没有代码为“{code}”的异议", "no dispute {code!r} of {unit}"),
    "compare.unit_own_only": Words("单位令牌只能拿本单位（{unit}）与另一单位比较",
                                   "a unit token compares its own unit ({unit}) with another"),
    "verify.not_for_unit": Words("单位令牌不能校验整个账本，请用审计或考评办的令牌",
                                 "a unit token may not verify the whole ledger"),
    # -- 督办 (domain.due, ledger.supervision) ------------------------------------------------------
    "due.as_of_future": Words("{given} 晚于今天（{today}）：督办只看今天或过去某一天已知的情况",
                              "{given} is after today ({today}): due lists are as known today or on a past day"),
    "due.outside_charge": Words("本令牌只能查看本单位或所分管单位的督办事项（{code} 不在其中）",
                                "this token sees the due items of its own or its charge's units only ({code} is not)"),
    "due.within_range": Words("{given} 超出范围：应为 0 到 {longest} 之间的天数，例如 7",
                              "{given} is out of range: a number of days from 0 to {longest}"),
    # -- 推送 (domain.hooks, projections.outbox) -------------------------------------------------------
    "hook.url_scheme": Words("“{given}”不是接收方的网址：应以 http:// 或 https:// 开头，例如 https://oapi.dingtalk.com/robot/send?access_token=…",
                             "{given!r} is not a receiver's URL: an http:// or https:// URL is expected"),
    "hook.format_unknown": Words("没有“{given}”这种格式，应为以下之一：{allowed}",
                                 "unknown format {given!r}; one of {allowed}"),
    "hook.event_unknown": Words("没有“{given}”这种事件，应为以下之一（可用逗号分隔多个）：{allowed}",
                                "unknown event {given!r}; any of {allowed}"),
    "hook.events_none": Words("至少选择一种事件：{allowed}", "choose at least one event: {allowed}"),
    "hook.secret": Words("应为 1 到 200 个字符，不能含控制字符（钉钉机器人“加签”的密钥以 SEC 开头）",
                         "1 to 200 characters, no control characters"),
    "hook.unknown": Words("没有编号为“{given}”的推送；用 kaoping hooks list 查看已登记的",
                          "no hook {given!r} is registered"),
    "hook.delivery_unknown": Words("没有编号为“{given}”的投递；用 kaoping hooks deliveries --failed 查看失败的投递",
                                   "no delivery {given!r}"),
    # -- the policy table (domain.policy) ---------------------------------------------------------
    "action.role": Words("{role}的令牌不能使用“{what}”", "a {role_code} token may not use {what}", lead=False),
    "hooks.office_only": Words("推送的登记与投递只对考评办的令牌开放", "hooks are for the office's tokens only",
                               lead=False),
    "desk.office_only": Words("异议受理台只对考评办的令牌开放", "the dispute desk is for the office's tokens only",
                              lead=False),
    "dispute.file_unit_only": Words("只有单位的令牌可以对本单位的记录提出异议",
                                    "only a unit's token disputes entries of its unit", lead=False),
    "dispute.file_own_unit": Words("只有本单位的令牌可以对本单位的记录提出异议（本令牌属于 {unit}）",
                                   "a unit token disputes entries of its own unit ({unit}) only", lead=False),

    # -- writing (ledger.writer, ledger.group_commit) ------------------------------------------
    "id.conflict": Words("编号“{id}”已用于另一条内容不同的命令：重发同一命令不会重复登记，新命令请换一个编号",
                         "id {id!r} is already recorded with other content"),
    "write.contended": Words("其他登记同时在修改相同的记录，本批一条也没有登记，请稍后重试",
                             "other writers kept changing the same streams; nothing appended"),
    "write.not_decided": Words("本批未能判定，一条也没有登记，请重试", "not decided"),

    # -- keys, notes and checkpoints (domain.notes, ledger.keys, ledger.tree, ledger.notary) -------
    "key.not_base64": Words("{what}不是 base64 编码", "{what_en} is not base64"),
    "vkey.malformed": Words("验证公钥的格式应为 <名称>+<8 位十六进制>+<base64 公钥>",
                            "a vkey is <name>+<8 hex digits>+<base64 key>"),
    "vkey.not_ed25519": Words("验证公钥不是 Ed25519 公钥（类型应为 0x01 或 0x04）",
                              "the vkey is not an Ed25519 key (type 0x01 or 0x04)"),
    "vkey.id_mismatch": Words("验证公钥的密钥编号与它的名称和公钥不符",
                              "the vkey's key id does not match its name and key"),
    "key.malformed": Words("私钥的格式应为 PRIVATE+KEY+<名称>+<8 位十六进制>+<base64 种子>",
                           "a private key is PRIVATE+KEY+<name>+<8 hex digits>+<base64 seed>"),
    "key.not_ed25519": Words("私钥不是 Ed25519 种子（类型应为 0x01 或 0x04）",
                             "the private key is not an Ed25519 seed (type 0x01 or 0x04)"),
    "key.id_mismatch": Words("私钥的密钥编号与它的名称和密钥不符",
                             "the private key's key id does not match its name and key"),
    "key.name_invalid": Words("密钥名称不能为空，也不能含空格或“+”，例如 kaoping.local/county",
                              "a key name is not empty and holds no space and no '+'"),
    "key.seed_size": Words("Ed25519 种子应为 32 字节", "an Ed25519 seed is 32 bytes"),
    "note.no_newline": Words("签名文本应以换行结尾", "a note's text ends with a newline"),
    "note.control_character": Words("签名文本中除换行外不能有控制字符",
                                    "a note holds no control character but newlines"),
    "note.malformed": Words("签名文本应为：正文、一个空行、签名行", "a note is text, a blank line, then signature lines"),
    "note.signature_line": Words("“{line}”不是签名行", "not a signature line: {line!r}"),
    "note.signature_short": Words("签名应为密钥编号加至少一个字节", "a signature is a key id and at least one byte"),
    "note.signature_count": Words("签名文本应有 1 到 {most} 个签名", "a note has 1 to {most} signatures"),
    "note.not_signed": Words("签名文本没有 {name} 的签名", "the note is not signed by {name}"),
    "note.bad_signature": Words("{name} 的签名验证不通过", "the signature by {name} does not verify"),
    "checkpoint.malformed": Words("检查点应为三行：来源名、大小、根哈希",
                                  "a checkpoint is origin, size and root hash, one per line"),
    "checkpoint.origin_or_size": Words("检查点的来源名或大小格式不对", "a checkpoint's origin or size is malformed"),
    "checkpoint.root_size": Words("检查点的根哈希应为 32 字节", "a checkpoint's root is 32 bytes"),
    "checkpoint.other_origin": Words("检查点的来源“{origin}”不是该密钥的名称“{name}”",
                                     "the checkpoint's origin {origin!r} is not the key's name {name!r}"),
    "cosignature.needs_cosigner": Words("见证签名需要见证人密钥（类型 0x04，用 kaoping key generate --cosigner 生成）",
                                        "a cosignature needs a cosigner key (type 0x04)"),
    "cosignature.time": Words("见证签名的时间应为 POSIX 时间戳", "a cosignature's time is a POSIX timestamp"),
    "cosignature.other_key": Words("这条见证签名不是该见证人的密钥签的", "the cosignature is not by this cosigner's key"),
    "cosignature.malformed": Words("Ed25519 见证签名应为时间加 64 字节签名",
                                   "an Ed25519 cosignature is a time and a 64-byte signature"),
    "cosignature.bad": Words("见证签名验证不通过", "the cosignature does not verify"),
    "cosignature.not_this_checkpoint": Words("见证签名所签的检查点不是本账本签发的检查点",
                                             "the cosigned checkpoint is not the one this ledger signed"),
    "cosignature.missing": Words("签名文本中没有 {name} 的签名", "the note carries no signature by {name}"),
    # -- registered witnesses (ledger.admin, ledger.notary) --------------------------------------
    "witness.not_cosigner": Words("{name} 的公钥不是见证签名公钥（类型应为 0x04，用 kaoping key generate --cosigner 生成）",
                                  "{name}'s key is not a cosigner key (type 0x04)"),
    "witness.name_taken": Words("已登记了名为 {name} 的见证人，公钥不同：要换公钥，请先运行 kaoping witness remove {name}",
                                "a witness named {name} is registered with another key: remove it first"),
    "witness.unknown": Words("没有登记名为“{name}”的见证人；已登记的：{known}",
                             "no witness {name!r} is registered; registered: {known_en}"),
    "witness.unregistered": Words("见证人 {name} 没有登记：考评办须先用 kaoping witness add 登记它的见证签名公钥，"
                                  "它的见证签名才会被接受",
                                  "witness {name} is not registered: the office registers its cosigner key "
                                  "with `kaoping witness add` first"),
    "cosignature.none_registered": Words("签名文本中没有已登记见证人的签名；已登记的见证人：{known}",
                                         "the note carries no registered witness's signature; registered: "
                                         "{known_en}"),
    "cosignature.not_registered_key": Words("签名文本中没有用已登记的见证人 {name} 的公钥签的见证签名",
                                            "the note carries no cosignature by the key registered for "
                                            "witness {name}"),
    "cosignature.bad_by": Words("见证人 {name} 的见证签名用它登记的公钥验证不通过",
                                "witness {name}'s cosignature does not verify under its registered key"),
    "key.file_exists": Words("{path} 已存在：密钥文件从不覆盖，请换一个 --out 路径",
                             "{path} exists: a key file is never overwritten"),
    "key.unreadable": Words("无法读取密钥文件 {path}：{error}", "cannot read the key file {path}: {error_en}"),
    "key.file_malformed": Words("{path}：{reason}", "{path}: {reason_en}"),
    "key.missing": Words("{path} 处没有签名密钥：请运行 kaoping init（它会生成一个），或将 KAOPING_SIGNING_KEY 设为本账本的密钥文件",
                         "no signing key at {path}: run `kaoping init` (it makes one) or set KAOPING_SIGNING_KEY "
                         "to the ledger's key file"),
    "key.other_ledger": Words("签名密钥的来源“{key_origin}”不是本账本的（“{origin}”）：请将 KAOPING_SIGNING_KEY 设为本账本的密钥",
                              "the signing key's origin {key_origin!r} is not this ledger's ({origin!r}): set "
                              "KAOPING_SIGNING_KEY to its key"),
    "tree.out_of_step": Words("Merkle 树覆盖到序号 {tree_seq}，哈希链却到序号 {chain_seq}：请运行 kaoping verify",
                              "the Merkle tree covers seq {tree_seq}, the hash chain ends at seq {chain_seq}: run "
                              "`kaoping verify`"),
    "tree.checkpoint_ahead": Words("已存有大小为 {size} 的检查点，而树只有 {leaves} 个叶子：请运行 kaoping verify",
                                   "a checkpoint of size {size} is stored, the tree has {leaves} leaves: run "
                                   "`kaoping verify`"),
    # -- the signer's memory (ledger.signer, ledger.notary) -------------------------------------
    "ledger.fork": Words(
        "账本分叉，已转为只读：签名密钥最后签署的检查点是第 {signed_size} 条、根哈希 {signed_root}，而数据库中的树是"
        "第 {size} 条、根哈希 {root}，{why}。签名者拒绝签署，不能再登记：请运行 kaoping verify 查明是哪些大小，"
        "并从备份恢复数据库",
        "the ledger forked and is read-only: the signing key last signed size {signed_size} with root "
        "{signed_root}, the database's tree has size {size} with root {root}, {why_en}; the signer signs "
        "nothing and nothing is appended: run `kaoping verify` and restore the database from a backup",
        lead=False),
    "signer.record_damaged": Words(
        "签名记录（密钥文件旁的 .signed 文件）中有一行不是签名者写的（{error}）：“{line}”；签名者拒绝签署，"
        "请从备份恢复该文件",
        "the signer's record (the .signed file beside the key) holds a line it did not write ({error}): "
        "{line!r}; nothing is signed: restore the file from a backup", lead=False),
    "checkpoint.foreign_row": Words(
        "数据库中大小为 {size} 的检查点不是签名密钥签署的那一个（根哈希不同）：请运行 kaoping verify 查明，"
        "并从备份恢复数据库",
        "the database's checkpoint of size {size} is not the one the key signed (another root): run "
        "`kaoping verify`", lead=False),
    "tree.node_missing": Words("Merkle 树缺少大小为 {size} 的树的根所需的子树哈希：请运行 kaoping verify",
                               "the Merkle tree lacks a subtree hash the root of size {size} needs: run "
                               "`kaoping verify`"),
    "verify.checkpoint_needs_vkey": Words("给出 --checkpoint 时还须给出 --vkey（本账本的验证公钥）",
                                          "--checkpoint needs --vkey, the log's verifier key"),

    # -- proofs (domain.merkle) ------------------------------------------------------------------
    "proof.leaf_outside": Words("叶子序号 {index} 不在大小为 {size} 的树中",
                                "leaf index {index} is not in a tree of size {size}"),
    "proof.no_consistency": Words("没有从大小 {old} 到大小 {new} 的一致性证明",
                                  "no consistency proof from size {old} to size {new}"),
    "proof.hash_size": Words("每个哈希应为 {expected} 字节，这里是 {given} 字节", "a hash is {expected} bytes, not {given}"),
    "proof.inclusion_long": Words("包含证明比路径长", "the inclusion proof is longer than the path"),
    "proof.inclusion_short": Words("包含证明比路径短", "the inclusion proof is shorter than the path"),
    "proof.inclusion_root": Words("包含证明推不出根哈希", "the inclusion proof does not lead to the root"),
    "proof.rollback": Words("大小 {new} 小于 {old}：账本被回滚", "size {new} is smaller than size {old}: a rollback"),
    "proof.from_empty": Words("从空树出发的一致性证明什么也证明不了",
                              "a consistency proof from the empty tree proves nothing"),
    "proof.equal_sizes": Words("两个大小相同时，证明应为空", "equal sizes need an empty proof"),
    "proof.fork": Words("同一大小有两个不同的根：账本分叉", "two different roots for one size: a fork"),
    "proof.empty": Words("一致性证明为空", "an empty consistency proof"),
    "proof.consistency_long": Words("一致性证明比路径长", "the consistency proof is longer than the path"),
    "proof.consistency_roots": Words("一致性证明连不上两个根：账本分叉或被改写",
                                     "the consistency proof does not join the two roots: a fork or a rewrite"),

    # -- the witness (api.witness) ---------------------------------------------------------------
    "witness.http_status": Words("{url} 答复 HTTP {status}：{body}", "{url}: HTTP {status} {body}"),
    "witness.unreachable": Words("无法连接 {url}：{error}", "{url}: {error_en}"),
    "witness.state_unreadable": Words("无法读取状态文件 {path}：{error}", "cannot read the state file {path}: {error_en}"),
    "witness.reply_too_large": Words("{url} 的答复超过 {limit} 字节，不是检查点或证明：未接受任何内容",
                                     "{url}: the reply is over {limit} bytes, no checkpoint or proof: nothing "
                                     "accepted", lead=False),
    "witness.not_utf8": Words("{what}不是 UTF-8 文本：未接受任何内容", "the {what_en} is not UTF-8 text", lead=False),
    "witness.json_too_deep": Words("{what}的 JSON 嵌套太深，不是账本的答复：未接受任何内容",
                                   "the {what_en} is JSON nested too deep: nothing accepted", lead=False),
    "witness.not_json": Words("{what}不是有效的 JSON：未接受任何内容", "the {what_en} is not valid JSON", lead=False),
    "witness.proof_shape": Words("{what}应为至多 {most} 个 base64 哈希的列表：未接受任何内容",
                                 "the {what_en} is a list of at most {most} base64 hashes", lead=False),
    "witness.proof_base64": Words("{what}中有不是 32 字节 base64 哈希的项：未接受任何内容",
                                  "the {what_en} holds an item that is no 32-byte base64 hash", lead=False),
    "witness.note_malformed": Words("{what}不是签名的检查点：{reason}", "the {what_en} is no signed checkpoint: "
                                    "{reason_en}", lead=False),
    "witness.file_too_large": Words("{path} 超过 {limit} 字节，不是{what}", "{path} is over {limit} bytes: no {what_en}",
                                    lead=False),
    "witness.state_missing": Words("没有状态文件 {path}：请先运行一次 kaoping witness", "no state file {path}",
                                   lead=False),
    "witness.state_exists": Words("状态文件 {path} 已存在：--receipt 只用于开始一个新的状态，请换一个 --state 路径",
                                  "the state file {path} exists: --receipt only starts a new state", lead=False),
    "witness.compare_needs_proof": Words("两个状态的大小不同（{a} 和 {b}），要由账本的一致性证明判断：请给出 --url 和 "
                                         "--token",
                                         "the states' sizes differ ({a} and {b}): a consistency proof from the "
                                         "ledger is needed (--url and --token)", lead=False),
    "receipt.missing": Words("没有回执文件 {path}", "no receipt file {path}", lead=False),
    "receipt.shape": Words("{path} 不是回执：应为 POST /v1/commands 的 201 答复，或从单位页面下载的回执",
                           "{path} is no receipt: a 201 of POST /v1/commands, or a receipt downloaded from a "
                           "unit's page", lead=False),
    "receipt.leaf_hash": Words("{path} 中序号 {seq} 的叶子哈希与它的哈希不符", "{path}: the leaf hash of seq {seq} "
                               "is not its hash's", lead=False),
    "witness.state_foreign": Words("状态文件 {path} 中没有本账本的检查点：{reason}",
                                   "the state file {path} holds no checkpoint of this log: {reason_en}"),

    # -- evidence files (docs/commands.md §10.1; ledger.files, ledger.sniffing, api.uploads) --------
    "file.too_large": Words("文件超过 {limit} 字节的上限（KAOPING_MAX_FILE_BYTES）：请压缩或拆分后再上传",
                            "the file is over the limit of {limit} bytes (KAOPING_MAX_FILE_BYTES)"),
    "file.empty": Words("文件是空的：请选择要上传的佐证文件", "the file is empty"),
    "file.type_refused": Words("不接受这种文件（{named}）：只接受 PDF、OFD、JPEG、PNG、WebP 图片、Word/Excel/PowerPoint "
                               "文档、纯文本和 ZIP，按文件内容判断，与文件名无关",
                               "this kind of file is not accepted ({named_en}): PDF, OFD, JPEG, PNG, WebP, Office "
                               "documents, plain text and ZIP only, told from the bytes, never the name"),
    "file.part_missing": Words("请求中没有名为 file 的文件部分（multipart/form-data）",
                               "no multipart part named file"),
    "file.one_part": Words("一次只上传一个文件（一个名为 file 的部分）", "one file a request (one part named file)"),
    "file.not_multipart": Words("应为 multipart/form-data 请求", "a multipart/form-data request is expected"),
    "file.malformed": Words("multipart 请求内容无法解读：{reason}", "the multipart body cannot be read: {reason}"),
    "file.part_header": Words("multipart 请求中一个部分的头超过 {limit} 字节（或多于 {count} 行）：请检查上传的程序",
                              "a multipart part's headers are over {limit} bytes (or {count} lines)"),
    "file.too_many": Words("一次最多上传 {limit} 个文件", "at most {limit} files a request"),
    "file.not_found": Words("没有哈希为 {sha256} 的文件，或你无权读取它", "no file {sha256} (or not one you may read)"),
    "file.sha256": Words("应为 64 位十六进制的 SHA-256，例如 {example}", "a SHA-256 of 64 hex digits is expected"),
    "file.upload_role": Words("{role}不能上传佐证文件（只有单位、考评办、核验人员和考核主体可以）",
                              "the role {role_code} may not upload files (unit, office, verifier, assessor)"),
    "file.not_stored": Words("文件 {sha256} 尚未上传：请先上传（POST /v1/files 或 kaoping file add）",
                             "file {sha256} is not stored: upload it first"),
    "file.unreadable": Words("无法读取 {path}：{error}", "cannot read {path}: {error_en}"),
    "evidence.online_unstored": Words("佐证“{code}”的文件尚未上传，不能在线核验：请先让单位上传文件，或改为现场核验（on_site）",
                                      "evidence {code!r} has no stored file: it cannot be verified online"),
    "evidence.task_or_indicator": Words("请给出任务和节点（task、checkpoint），或共性指标（indicator，及其核心指标 sub），二者取一",
                                        "give task and checkpoint, or indicator (and sub), not both"),
    "evidence.indicator_range": Words("共性指标佐证只用于 C02–C25（{code} 不是）",
                                      "evidence for common indicators is for C02–C25 ({code} is not)"),
    "evidence.sub_required": Words("指标 {indicator} 有核心指标（{allowed}），请指明佐证支持的是哪一个",
                                   "indicator {indicator} has sub-indicators ({allowed_en}): name one"),
    "evidence.sub_unknown": Words("指标 {indicator} 没有核心指标“{code}”（现有：{allowed}）",
                                  "indicator {indicator} has no sub-indicator {code!r} ({allowed_en})"),
    "common.score_missing": Words("请给出 0–100 的分数，例如 85 或 \"85.5\"，或按核心指标逐个评分（parts）",
                                  "give a score (0-100) or parts"),
    "common.parts_none": Words("指标 {indicator} 在现行方案中没有核心指标：只给一个分数，不要按核心指标评分",
                               "indicator {indicator} has no sub-indicators in the scheme in force: omit parts"),
    "common.parts_required": Words("指标 {indicator} 有核心指标（{allowed}），请逐个核心指标评分",
                                   "indicator {indicator} has sub-indicators ({allowed_en}): score each in parts"),
    "common.part_unknown": Words("指标 {indicator} 没有核心指标“{code}”（现有：{allowed}）",
                                 "indicator {indicator} has no sub-indicator {code!r} ({allowed_en})"),
    "common.part_repeated": Words("核心指标 {code} 评了两次：每个核心指标只评一次",
                                  "sub-indicator {code} is scored twice"),
    "common.part_missing": Words("缺少核心指标 {missing} 的分数：指标 {indicator} 的每个核心指标都要评分",
                                 "parts of {indicator} missing: {missing_en}"),
    "common.score_mismatch": Words("{score} 与各核心指标的加权平均 {expected} 不符（按 2 位小数比较）；不填分数即按加权平均登记",
                                   "score {score} is not the parts' weighted mean {expected}"),
    "evidence.sub_none": Words("指标 {indicator} 在现行方案中没有核心指标：不要给 sub",
                               "indicator {indicator} has no sub-indicators in the scheme in force: omit sub"),

    "scheme.sub_indicator_code": Words("核心指标代码“{code}”应以 {indicator}. 开头，后跟序号（如 {indicator}.1），且在指标内不重复",
                                       "sub-indicator code {code!r} must be {indicator}.N, unique within the indicator"),

    # -- the void request (a unit asks the office to void its own entry; domain.rules.voids) --------
    "void_request.not_own": Words("只能申请作废本单位自己登记的记录；别人登记的记录请提出异议",
                                  "only an entry the unit recorded itself; dispute entries others recorded"),
    "void_request.open": Words("记录“{id}”已有待处理的作废申请（{by}）", "entry {id!r} has an open void request ({by})"),
    "void_request.final": Words("“{id}”是终局记录，不能作废", "{id!r} is final and cannot be voided"),

    # -- the pages of the checkpoint loop (api.web.todo, api.web.queue) -----------------------------
    "todo.unit_only": Words("待办页只给单位的令牌（{role}没有待办）", "the to-do page is a unit token's ({role_code} has none)"),
    "queue.role": Words("核验队列只给核验人员和考评办（{role}不能核验）", "the verification queue is the verifier's and the office's"),
    "ballots.role": Words("投票页只给县领导、领导小组办公室和单位的令牌（{role}不投票）",
                          "the ballots page is for leaders, the leading-group office and units"),
    "ballots.rank_not_number": Words("名次应为 1、2、3 这样的正整数，“{given}”不是", "a rank is a whole number from 1"),
    "ballots.rank_repeated": Words("名次 {rank} 给了两个单位（{units}）：名次不并列、不重复",
                                   "rank {rank} is given twice"),
    "ballots.rank_gap": Words("名次应从 1 起连续编号：共排 {count} 个单位，缺名次 {missing}",
                              "ranks must run 1..{count} with no gap; missing {missing}"),
    "ballots.empty": Words("至少给一个单位填名次", "rank at least one unit", lead=False),
    "ballots.unknown": Words("没有这一轮或这一组：轮次为 half_year 或 year_end，分组为 departments 或 towns_zones",
                             "no such round or group", lead=False),
    "scoring.role": Words("评分表只给考核主体和考评办的令牌（{role}不评共性指标）",
                          "the scoring grid is for assessment bodies and the office"),
    "office.only": Words("考评办的表单只给考评办的令牌（{role}不能使用）", "the office's forms are for office tokens"),
    "accounts.office_only": Words("只有考评办能签发和吊销令牌（{role}不能）", "only the office issues and revokes tokens"),
    "form.expired": Words("表单已失效，请重新填写", "the form has expired: fill it in again", lead=False),
}

#: pydantic's error types, as a clerk reads them; `{…}` are the error's own context values
PYDANTIC: dict[str, Words] = {
    "missing": Words("必须填写", "field required"),
    "extra_forbidden": Words("不是这条命令的字段（是否拼写有误？）", "unknown field"),
    "string_type": Words("应为文字", "a string is expected"),
    "string_too_short": Words("不得为空", "must not be empty"),
    "string_too_long": Words("太长：最多 {max_length} 个字符", "at most {max_length} characters"),
    "string_pattern_mismatch": Words("格式不对", "does not match the expected form"),
    "string_unicode": Words("含有无法存储的字符（孤立的代理项，如 \\udfff）", "holds a character that cannot be stored (a lone surrogate)"),
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
