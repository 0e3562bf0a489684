"""Spreadsheets in (docs/commands.md §10.3): what each kind of sheet holds, and its rows read into
the contract's commands. Pure: a sheet arrives here as plain cells (`Grid`), already read from its
file by `ledger/imports.py`; what the ledger knows (units, indicators, tasks) arrives as `Known`.

Each kind is a list of `Column`s: the contract's field, its Chinese name, whether it is required,
and how its cells are read (`Reading`). A header cell reads `中文名（field）`; columns are found by
the key in the parentheses, in any order. Closed choices are read as their Chinese names or as the
contract's values (是/否, 完成/未完成, 省专项…). A cell's date, time or number is read as people type
it by `domain/cells.py`.

`read_sheets` gives every row's command (its `id` derived from the kind and the row's key, its
`source` the file, sheet and row) and every error at once, each by sheet, row and column, in
Chinese. A command's own checks (`parse_command`: a score of 100.5, a level that does not exist)
are run here too, so that they are listed with the rest, on their cell.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import tzinfo
from typing import Any

from .cells import CellError, column_letter, read_date, read_decimal, read_int, read_moment, read_text, shown
from .commands import parse_command
from .errors import KaopingError
from .labels import BALLOT_KINDS, GROUP_NAMES, LEVEL_NAMES, METHOD_NAMES, QUALITY, ROUND_NAMES, TASK_ROLES

KINDS = ("tasks", "node_results", "assessments", "common_scores", "awards", "ballot")
KIND_NAMES = {"tasks": "任务清单", "node_results": "节点考核结果", "assessments": "年度考核结果",
              "common_scores": "共性指标成绩", "awards": "加减分与争取资金", "ballot": "综合评价排序"}
#: at most this many errors are listed (docs/commands.md §10.3)
MAX_ERRORS = 1000
#: where the header row is looked for
HEADER_SEARCH = 20

YES_NO = {"是": True, "否": False, "true": True, "false": False, "1": True, "0": False,
          "yes": True, "no": False, "√": True, "×": False}
COMPLETED = {"完成": True, "已完成": True, "未完成": False, **YES_NO}
AWARD_TYPES = {"加分": "bonus.awarded", "减分": "penalty.imposed", "争取资金": "funding.recorded"}


@dataclass(frozen=True)
class Column:
    field: str
    name: str
    required: bool = False
    #: text, code, unit, date, moment, decimal, int, bool, or choice
    reading: str = "text"
    #: a closed choice: the Chinese name of each contract value
    choices: Mapping[str, str] | None = None
    #: what the instructions sheet says of it
    note: str = ""
    #: a column of the task itself (tasks): repeated, or merged, down the task's checkpoint rows
    per_task: bool = False

    @property
    def header(self) -> str:
        return f"{self.name}（{self.field}）"

    def accepted(self) -> dict[str, Any]:
        """The cell texts read as each contract value: Chinese names, then the values themselves."""
        if self.reading == "bool":
            return COMPLETED if self.field == "completed" else YES_NO
        if self.choices is None:
            return {}
        return {**{zh: value for value, zh in self.choices.items()}, **{v: v for v in self.choices}}

    def drop_down(self) -> list[str]:
        """The values a template's drop-down list offers."""
        if self.reading == "bool":
            return ["完成", "未完成"] if self.field == "completed" else ["是", "否"]
        return list(self.choices.values()) if self.choices else []


UNIT = Column("unit", "单位代码", True, "unit", note="单位代码，如 D03；模板已填好单位")
UNIT_NAME = Column("unit_name", "单位名称", note="仅供对照，导入时不读")
RECORDED_AT = Column("recorded_at", "登记时间", reading="moment",
                     note="可空（空：导入时的时间）；补录历史时填写，如 2018-07-31 09:00")

COLUMNS: dict[str, list[Column]] = {
    "tasks": [
        UNIT, UNIT_NAME,
        Column("task", "任务编号", True, "code", note="单位内唯一，如 P1", per_task=True),
        Column("title", "任务名称", True, per_task=True),
        Column("level", "层级", True, "choice", LEVEL_NAMES, per_task=True),
        Column("method", "计分方法", True, "choice", METHOD_NAMES, per_task=True),
        Column("target", "目标值", reading="decimal", note="仅完成比例法填写", per_task=True),
        Column("weight", "权重", reading="decimal", note="可空，默认 1", per_task=True),
        Column("role", "角色", reading="choice", choices=TASK_ROLES, note="仅省、市专项：牵头或责任，可空（牵头）",
               per_task=True),
        Column("difficulty", "难度系数", reading="decimal", note="仅省、市专项，可空（1.0）", per_task=True),
        Column("important", "重要指标", reading="bool", note="是或否，可空（否）", per_task=True),
        Column("checkpoint", "节点编号", True, "code", note="每个节点一行，任务的其他列重复填写或合并单元格"),
        Column("due", "到期日", True, "date"),
        RECORDED_AT,
    ],
    "node_results": [
        UNIT, UNIT_NAME,
        Column("task", "任务编号", True, "code"),
        Column("checkpoint", "节点编号", True, "code"),
        Column("reported_on", "报告日期", True, "date"),
        Column("completed", "是否完成", True, "bool", note="完成或未完成"),
        Column("quality", "质量", reading="choice", choices=QUALITY, note="合格或较差，可空（合格）"),
        Column("note", "说明"),
        RECORDED_AT,
    ],
    "assessments": [
        UNIT, UNIT_NAME,
        Column("task", "任务编号", True, "code"),
        Column("actual", "实际完成值", reading="decimal", note="完成比例法填写"),
        Column("vetoed", "是否否决", reading="bool", note="否决计分法填写：是或否"),
        Column("points", "分值", reading="decimal",
               note="直接扣分法填扣分、累计计分法填得分，每项一行（同一任务多行）；一项也没有时留空"),
        Column("reason", "理由"),
        RECORDED_AT,
    ],
    "common_scores": [UNIT, UNIT_NAME, RECORDED_AT],
    "awards": [
        Column("type", "类别", True, "choice", {v: k for k, v in AWARD_TYPES.items()},
               note="加分、减分或争取资金"),
        UNIT, UNIT_NAME,
        Column("item", "项目代码", reading="code", note="加分 B1–B13（B10 除外）、减分 P1–P12；争取资金不填"),
        Column("count", "次数", reading="int", note="可空（1）；B11、B12 不填"),
        Column("points", "分值", reading="decimal", note="仅 B11、B12：0.1–0.2"),
        Column("amount", "金额（万元）", reading="decimal", note="仅争取资金"),
        Column("funding_source", "资金来源", note="仅争取资金；记入理由"),
        Column("reason", "理由", note="加分、减分必填"),
        RECORDED_AT,
    ],
    "ballot": [
        Column("round", "轮次", True, "choice", ROUND_NAMES),
        Column("kind", "类别", reading="choice", choices=BALLOT_KINDS, note="可空：令牌的类别"),
        Column("rater", "评价人", reading="text", note="可空：令牌的评价人；互评为本单位代码"),
        Column("group", "分组", True, "choice", GROUP_NAMES),
        UNIT, UNIT_NAME,
        Column("rank", "名次", reading="int", note="1 为最好；不排的单位留空；名次不得重复"),
        RECORDED_AT,
    ],
}

#: a grid column of `common_scores`: "C05 处理投诉事件" (sub-indicators C05.1 are not read yet)
GRID_HEADER = re.compile(r"^\s*(C\d{2})(?:\s|$)")
#: what a template fills in: a row holding nothing else is an empty row
PREFILLED = frozenset({"unit", "unit_name", "group", "round", "kind", "rater"})
_KEY = re.compile(r"[（(]\s*([A-Za-z_][A-Za-z0-9_]*)\s*[)）]\s*$")


@dataclass(frozen=True)
class Grid:
    """One sheet as read from its file: its name, its rows (`rows[0]` is sheet row 1), and the
    formula cells that had no cached value (row, column, both 1-based)."""

    name: str
    rows: list[list[Any]]
    uncached: frozenset[tuple[int, int]] = frozenset()


@dataclass(frozen=True)
class Known:
    """What the ledger knows that a sheet is read against: units (code → name, group),
    indicators (code → name), tasks ((unit, task) → scoring method), the zone naive times are
    read in, and the ballot kind and rater a token casts as (None: from the sheet)."""

    units: Mapping[str, tuple[str, str]]
    indicators: Mapping[str, str]
    tasks: Mapping[tuple[str, str], str]
    zone: tzinfo
    ballot_kind: str | None = None
    ballot_rater: str | None = None


@dataclass
class Read:
    """What the rows became: the commands (each with its `source`), every error, and the rows read."""

    commands: list[dict[str, Any]] = field(default_factory=list)
    errors: list[dict[str, Any]] = field(default_factory=list)
    rows: int = 0
    #: command index → {field: (sheet, row, column letter)}: where a command's refusal is shown
    places: list[dict[str, tuple[str, int, str]]] = field(default_factory=list)

    #: the rows an error was found on: the commands they make are left out (one error a cell)
    bad_rows: set[tuple[str, int]] = field(default_factory=set)

    def error(self, sheet: str, row: int | None, column: str | None, fld: str | None, value: Any,
              code: str, message: str) -> None:
        if row is not None:
            self.bad_rows.add((sheet, row))
        if len(self.errors) < MAX_ERRORS:
            self.errors.append({"sheet": sheet, "row": row, "column": column, "field": fld,
                                "value": shown(value), "message": message, "code": code})

    def place_of(self, index: int, fld: str | None) -> tuple[str, int, str] | None:
        places = self.places[index]
        if fld:
            for part in (fld, fld.split(".")[0], fld.rsplit(".", 1)[-1]):
                if part in places:
                    return places[part]
        return places.get("")


def _refusal(code: str, fld: str | None = None, **params: Any) -> KaopingError:
    """The words of a cell's error: its codes are data here (a `CellError` carries one from the
    reading that failed), each checked against the catalogue by tests/test_sheets_in.py."""
    kind: type[KaopingError] = KaopingError
    return kind(code, field=fld, **params)


# -- cells ----------------------------------------------------------------------------------------

def read_cell(column: Column, value: Any, known: Known) -> Any:
    reading = column.reading
    if reading == "date":
        return read_date(value).isoformat()
    if reading == "moment":
        return read_moment(value, known.zone)
    if reading == "decimal":
        return read_decimal(value)
    if reading == "int":
        return read_int(value)
    if reading in ("bool", "choice"):
        if isinstance(value, bool) and reading == "bool":
            return value
        accepted = column.accepted()
        text = read_text(value)
        for candidate in (text, text.lower()):
            if candidate in accepted:
                return accepted[candidate]
        raise CellError("import.choice", allowed=column.drop_down())
    text = read_text(value)
    if reading == "unit":
        code = text.upper()
        if code not in known.units:
            raise CellError("import.unit_unknown", unit=text)
        return code
    if reading == "code":
        return text.upper() if column.field == "item" else text
    return text


# -- sheets -----------------------------------------------------------------------------------------

def _empty(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


@dataclass
class _Header:
    row: int                      # the header's sheet row (1-based)
    columns: dict[str, int]       # field → column (1-based)
    grid: dict[str, int]          # indicator code → column (common_scores)


def _header(grid: Grid, kind: str) -> _Header | None:
    fields = {c.field for c in COLUMNS[kind]}
    for r, row in enumerate(grid.rows[:HEADER_SEARCH], start=1):
        columns: dict[str, int] = {}
        indicators: dict[str, int] = {}
        for c, value in enumerate(row, start=1):
            if not isinstance(value, str):
                continue
            m = _KEY.search(value.strip())
            if m and m[1] in fields:
                columns.setdefault(m[1], c)
            elif kind == "common_scores":
                g = GRID_HEADER.match(value)
                if g:
                    indicators.setdefault(g[1].upper(), c)
        if columns:
            return _Header(r, columns, indicators)
    return None


def row_id(kind: str, *key: str) -> str:
    """A row's command id from the kind and its key fields, e.g. `import:node_results:D03:P1:Q3`;
    a key too long for an id is shortened with a hash of it (still one id per key)."""
    whole = ":".join(["import", kind, *key])
    if len(whole) <= 64 and re.fullmatch(r"[A-Za-z0-9\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff_.:-]+", whole):
        return whole
    digest = hashlib.sha256(whole.encode()).hexdigest()[:16]
    safe = re.sub(r"[^A-Za-z0-9_.:-]", "-", ":".join(["import", kind, *key]))
    return f"{safe[:64 - 17]}~{digest}".replace("~", "-")


@dataclass
class _Row:
    sheet: str
    number: int
    values: dict[str, Any]                 # field → read value (None: empty)
    raw: dict[str, Any]                    # field → cell as it was
    letters: dict[str, str]                # field → column letter


def read_sheets(kind: str, grids: Sequence[Grid], known: Known, file_sha256: str) -> Read:
    """Every row of every sheet read into the kind's commands, with every error found."""
    result = Read()
    rows: list[_Row] = []
    grid_cells: list[tuple[_Row, str, str, Any]] = []  # common_scores: (row, indicator, letter, value)
    columns = {c.field: c for c in COLUMNS[kind]}
    read_any = False
    for grid in grids:
        if grid.name in INSTRUCTION_SHEETS or not any(any(not _empty(v) for v in row) for row in grid.rows):
            continue  # a template's instructions, or an empty sheet
        header = _header(grid, kind)
        if header is None:
            result.error(grid.name, None, None, None, None, "import.no_header",
                         _refusal("import.no_header", kind=KIND_NAMES[kind],
                                  example=columns["unit"].header).message)
            continue
        read_any = True
        missing = [c for c in COLUMNS[kind] if c.required and c.field not in header.columns]
        if kind == "common_scores" and not header.grid:
            result.error(grid.name, header.row, None, None, None, "import.no_indicators",
                         _refusal("import.no_indicators").message)
        if missing:
            result.error(grid.name, header.row, None, None, None, "import.header_missing",
                         _refusal("import.header_missing", row=header.row,
                                  columns=[c.header for c in missing]).message)
            continue
        previous: _Row | None = None
        for number, cells in enumerate(grid.rows[header.row:], start=header.row + 1):
            if all(_empty(cells[col - 1]) for fld, col in header.columns.items()
                   if fld not in PREFILLED and col <= len(cells)) \
                    and all(_empty(cells[col - 1]) for col in header.grid.values() if col <= len(cells)):
                continue  # empty, or only what the template filled in
            result.rows += 1
            row = _Row(grid.name, number, {}, {}, {})
            for fld, col in header.columns.items():
                value = cells[col - 1] if col <= len(cells) else None
                row.raw[fld] = value
                row.letters[fld] = column_letter(col)
                if (number, col) in grid.uncached:
                    result.error(grid.name, number, column_letter(col), fld, None, "import.formula_uncached",
                                 _refusal("import.formula_uncached", fld).message)
                    row.values[fld] = None
                    continue
                if _empty(value) or fld == "unit_name":
                    row.values[fld] = None
                    continue
                try:
                    row.values[fld] = read_cell(columns[fld], value, known)
                except CellError as error:
                    row.values[fld] = _BAD
                    result.error(grid.name, number, column_letter(col), fld, value, error.code,
                                 _refusal(error.code, fld, value=shown(value), **error.params).message)
            if kind == "tasks":
                _carry(row, previous)
                previous = row
            if kind == "common_scores":
                for code, col in header.grid.items():
                    value = cells[col - 1] if col <= len(cells) else None
                    if (number, col) in grid.uncached:
                        result.error(grid.name, number, column_letter(col), code, None,
                                     "import.formula_uncached",
                                     _refusal("import.formula_uncached", "score").message)
                    elif not _empty(value):
                        grid_cells.append((row, code, column_letter(col), value))
            rows.append(row)
    if not read_any and not result.errors:
        result.error(grids[0].name if grids else "", None, None, None, None, "import.no_header",
                     _refusal("import.no_header", kind=KIND_NAMES[kind], example=UNIT.header).message)
    for row in rows:  # a required cell left empty
        for fld, column in columns.items():
            if column.required and row.values.get(fld) is None and fld in row.letters:
                result.error(row.sheet, row.number, row.letters[fld], fld, None, "import.required",
                             _refusal("import.required", fld).message)
    BUILDERS[kind](rows, grid_cells, known, result)
    _check_commands(result, file_sha256)
    return result


_BAD = object()


def _carry(row: _Row, previous: _Row | None) -> None:
    """A task's own cells, left empty (or merged) on its later checkpoint rows, are the row above's."""
    if previous is None:
        return
    same = row.values.get("unit") in (None, previous.values.get("unit")) and \
        row.values.get("task") in (None, previous.values.get("task"))
    if not same:
        return
    for column in COLUMNS["tasks"]:
        if (column.per_task or column.field in ("unit", "recorded_at")) and row.values.get(column.field) is None \
                and _empty(row.raw.get(column.field)):
            row.values[column.field] = previous.values.get(column.field)
            if column.field in previous.letters:
                row.letters.setdefault(column.field, previous.letters[column.field])


def _ok(row: _Row, *fields: str) -> bool:
    return all(row.values.get(f) is not None and row.values.get(f) is not _BAD for f in fields)


def _set(command: dict[str, Any], row: _Row, *fields: str) -> None:
    for f in fields:
        value = row.values.get(f)
        if value is not None and value is not _BAD:
            command[f] = value


def _places(row: _Row) -> dict[str, tuple[str, int, str]]:
    first = next(iter(row.letters.values()), "A")
    return {"": (row.sheet, row.number, row.letters.get("unit", first)),
            **{f: (row.sheet, row.number, letter) for f, letter in row.letters.items()}}


def _add(result: Read, command: dict[str, Any], row: _Row,
         places: dict[str, tuple[str, int, str]] | None = None) -> None:
    command["source"] = {"sheet": row.sheet, "row": row.number}
    result.commands.append(command)
    result.places.append(places or _places(row))


def _repeat(result: Read, row: _Row, key: str, first: _Row) -> None:
    result.error(row.sheet, row.number, row.letters.get("unit"), "unit", key, "import.key_repeated",
                 _refusal("import.key_repeated", key=key, sheet=first.sheet, row=first.number).message)


def _tasks(rows: list[_Row], _cells: Any, known: Known, result: Read) -> None:
    groups: dict[tuple[str, str], list[_Row]] = {}
    for row in rows:
        if _ok(row, "unit", "task"):
            groups.setdefault((row.values["unit"], row.values["task"]), []).append(row)
    for (unit, task), members in groups.items():
        first = members[0]
        for row in members[1:]:
            for column in COLUMNS["tasks"]:
                f = column.field
                if column.per_task and row.values.get(f) not in (None, _BAD) \
                        and row.values.get(f) != first.values.get(f):
                    result.error(row.sheet, row.number, row.letters.get(f), f, row.raw.get(f),
                                 "import.task_differs", _refusal("import.task_differs", f, task=task,
                                                                 row=first.number).message)
        command: dict[str, Any] = {"id": row_id("tasks", unit, task), "type": "task.assigned"}
        _set(command, first, "unit", "task", "title", "level", "method", "target", "weight", "role",
             "difficulty", "important", "recorded_at")
        places = _places(first)
        checkpoints = []
        seen: dict[str, _Row] = {}
        for row in members:
            if not _ok(row, "checkpoint", "due"):
                continue
            code = row.values["checkpoint"]
            if code in seen:
                _repeat(result, row, f"{unit} {task} {code}", seen[code])
                continue
            seen[code] = row
            places[f"checkpoints.{len(checkpoints)}"] = (row.sheet, row.number, row.letters["due"])
            checkpoints.append({"checkpoint": code, "due": row.values["due"]})
        command["checkpoints"] = checkpoints
        _add(result, command, first, places)


def _node_results(rows: list[_Row], _cells: Any, known: Known, result: Read) -> None:
    seen: dict[tuple[str, str, str], _Row] = {}
    for row in rows:
        if not _ok(row, "unit", "task", "checkpoint"):
            continue
        key = (row.values["unit"], row.values["task"], row.values["checkpoint"])
        if key in seen:
            _repeat(result, row, " ".join(key), seen[key])
            continue
        seen[key] = row
        if (key[0], key[1]) not in known.tasks:
            result.error(row.sheet, row.number, row.letters["task"], "task", row.raw["task"],
                         "import.task_unknown", _refusal("import.task_unknown", "task", unit=key[0],
                                                         task=key[1]).message)
            continue
        command = {"id": row_id("node_results", *key), "type": "checkpoint.reported"}
        _set(command, row, "unit", "task", "checkpoint", "reported_on", "completed", "quality", "note",
             "recorded_at")
        _add(result, command, row)


def _assessments(rows: list[_Row], _cells: Any, known: Known, result: Read) -> None:
    groups: dict[tuple[str, str], list[_Row]] = {}
    for row in rows:
        if _ok(row, "unit", "task"):
            groups.setdefault((row.values["unit"], row.values["task"]), []).append(row)
    for (unit, task), members in groups.items():
        first = members[0]
        method = known.tasks.get((unit, task))
        if method is None:
            result.error(first.sheet, first.number, first.letters["task"], "task", task, "import.task_unknown",
                         _refusal("import.task_unknown", "task", unit=unit, task=task).message)
            continue
        command: dict[str, Any] = {"id": row_id("assessments", unit, task), "type": "task.assessed",
                                   "unit": unit, "task": task}
        _set(command, first, "recorded_at")
        wanted = {"completion_ratio": "actual", "veto": "vetoed"}.get(method)
        if wanted is not None:
            if len(members) > 1:
                _repeat(result, members[1], f"{unit} {task}", first)
            if first.values.get(wanted) is None:
                result.error(first.sheet, first.number, first.letters.get(wanted, first.letters["task"]), wanted,
                             None, "import.assessment_field",
                             _refusal("import.assessment_field", wanted, method=METHOD_NAMES[method]).message)
                continue
            _set(command, first, wanted)
        else:
            name = "deductions" if method == "direct_deduction" else "points"
            lines = []
            for row in members:
                if row.values.get("points") is not None and row.values.get("points") is not _BAD:
                    lines.append({"points": row.values["points"], "reason": row.values.get("reason") or ""})
            command[name] = lines
        places = _places(first)
        places["actual"] = places["vetoed"] = places["deductions"] = places["points"] = \
            (first.sheet, first.number, first.letters.get(wanted or "points", first.letters["task"]))
        _add(result, command, first, places)


def _common_scores(rows: list[_Row], cells: list[tuple[_Row, str, str, Any]], known: Known,
                   result: Read) -> None:
    seen: dict[tuple[str, str], _Row] = {}
    for row, code, letter, value in cells:
        if not _ok(row, "unit"):
            continue
        unit = row.values["unit"]
        if code not in known.indicators:
            result.error(row.sheet, row.number, letter, "indicator", code, "import.indicator_unknown",
                         _refusal("import.indicator_unknown", "indicator", indicator=code).message)
            continue
        if (unit, code) in seen:
            _repeat(result, row, f"{unit} {code}", seen[(unit, code)])
            continue
        seen[(unit, code)] = row
        try:
            score = read_decimal(value)
        except CellError as error:
            result.error(row.sheet, row.number, letter, "score", value, error.code,
                         _refusal(error.code, "score").message)
            continue
        command = {"id": row_id("common_scores", unit, code), "type": "common.scored", "unit": unit,
                   "indicator": code, "score": score}
        _set(command, row, "recorded_at")
        places = _places(row)
        places[""] = places["score"] = places["indicator"] = (row.sheet, row.number, letter)
        _add(result, command, row, places)


def _awards(rows: list[_Row], _cells: Any, known: Known, result: Read) -> None:
    seen: dict[str, _Row] = {}
    for row in rows:
        if not _ok(row, "type", "unit"):
            continue
        kind, unit = row.values["type"], row.values["unit"]
        command: dict[str, Any] = {"type": kind}
        if kind == "funding.recorded":
            _set(command, row, "unit", "amount", "recorded_at")
            words = [w for w in (row.values.get("funding_source"), row.values.get("reason")) if w]
            if row.values.get("funding_source"):
                words[0] = f"资金来源：{words[0]}"
            command["reason"] = "；".join(words)
            key = [unit, "funding", _digest(row.values.get("amount"), command["reason"])]
        else:
            _set(command, row, "unit", "item", "count", "points", "reason", "recorded_at")
            key = [unit, str(row.values.get("item") or ""), _digest(row.values.get("reason"))]
        command["id"] = row_id("awards", *key)
        if command["id"] in seen:
            _repeat(result, row, " ".join(key[:2]), seen[command["id"]])
            continue
        seen[command["id"]] = row
        _add(result, command, row)


def _digest(*parts: Any) -> str:
    return hashlib.sha256("\x1f".join("" if p is None else str(p) for p in parts).encode()).hexdigest()[:10]


def _ballot(rows: list[_Row], _cells: Any, known: Known, result: Read) -> None:
    groups: dict[tuple[str, str, str, str], list[_Row]] = {}
    for row in rows:
        if not _ok(row, "round", "group", "unit"):
            continue
        kind = known.ballot_kind or row.values.get("kind")
        rater = known.ballot_rater or row.values.get("rater")
        if kind in (None, _BAD) or rater in (None, _BAD):
            f = "kind" if kind in (None, _BAD) else "rater"
            result.error(row.sheet, row.number, row.letters.get(f), f, None, "import.required",
                         _refusal("import.required", f).message)
            continue
        if kind == "mutual":
            rater = str(rater).upper()
        groups.setdefault((row.values["round"], kind, rater, row.values["group"]), []).append(row)
    for (round_, kind, rater, group), members in groups.items():
        ranked: dict[int, _Row] = {}
        units: dict[str, _Row] = {}
        for row in members:
            unit = row.values["unit"]
            if unit in units:
                _repeat(result, row, unit, units[unit])
                continue
            units[unit] = row
            rank = row.values.get("rank")
            if rank is None or rank is _BAD:
                continue
            if rank < 1:
                result.error(row.sheet, row.number, row.letters["rank"], "rank", rank, "import.rank",
                             _refusal("import.rank", "rank").message)
            elif rank in ranked:
                result.error(row.sheet, row.number, row.letters["rank"], "rank", rank, "import.rank_tie",
                             _refusal("import.rank_tie", "rank", rank=rank, row=ranked[rank].number).message)
            else:
                ranked[rank] = row
        if not ranked:
            first = members[0]
            result.error(first.sheet, first.number, first.letters.get("rank"), "rank", None, "import.rank_none",
                         _refusal("import.rank_none", "rank").message)
            continue
        order = sorted(ranked)
        if order != list(range(1, len(order) + 1)):
            gap = next(n for n in range(1, len(order) + 2) if n not in ranked)
            last = ranked[order[-1]]
            result.error(last.sheet, last.number, last.letters["rank"], "rank", order[-1], "import.rank_gap",
                         _refusal("import.rank_gap", "rank", missing=gap).message)
        first = ranked[order[0]]
        command: dict[str, Any] = {"id": row_id("ballot", round_, kind, _code_part(rater), group),
                                   "type": "ballot.cast", "round": round_, "kind": kind, "rater": rater,
                                   "group": group, "ranking": [ranked[n].values["unit"] for n in order]}
        _set(command, first, "recorded_at")
        places = _places(first)
        for i, n in enumerate(order):
            row = ranked[n]
            places[f"ranking.{i}"] = (row.sheet, row.number, row.letters["unit"])
        places["ranking"] = places[""] = (first.sheet, first.number, first.letters["unit"])
        _add(result, command, first, places)


def _code_part(text: str) -> str:
    return text if re.fullmatch(r"[A-Za-z0-9\u4e00-\u9fff_.-]+", text) else _digest(text)


BUILDERS: dict[str, Callable[[list[_Row], Any, Known, Read], None]] = {
    "tasks": _tasks, "node_results": _node_results, "assessments": _assessments,
    "common_scores": _common_scores, "awards": _awards, "ballot": _ballot,
}
#: the sheet a template explains itself on (skipped by an import)
INSTRUCTIONS = "填写说明"
INSTRUCTION_SHEETS = frozenset({INSTRUCTIONS})


def _check_commands(result: Read, file_sha256: str) -> None:
    """Each command held to its own checks (`parse_command`), a refusal shown on its cell; every
    command's `source` completed with the file. A command made from a row with an error already
    found is left out (its cell's error is the one shown)."""
    kept = [(command, places) for command, places in zip(result.commands, result.places, strict=True)
            if not any((sheet, row) in result.bad_rows for sheet, row, _ in places.values())]
    result.commands, result.places = [k[0] for k in kept], [k[1] for k in kept]
    for i, command in enumerate(result.commands):
        command["source"] = {"file": file_sha256, **command["source"]}
        try:
            parse_command(command)
        except KaopingError as error:
            place = result.place_of(i, error.field)
            sheet, row, letter = place if place else (command["source"]["sheet"], command["source"]["row"], None)
            leaf = (error.field or "").split(".")[0]
            result.error(sheet, row, letter, error.field, command.get(leaf) if leaf else None, error.code,
                         error.message)


def error_order(errors: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Errors by sheet, row and column, as a person reads a sheet."""
    def key(e: dict[str, Any]) -> tuple[Any, ...]:
        letter = e.get("column") or ""
        return (e.get("sheet") or "", e.get("row") or 0, len(letter), letter)
    return sorted(errors, key=key)


__all__ = ["AWARD_TYPES", "COLUMNS", "Column", "Grid", "INSTRUCTIONS", "KINDS", "KIND_NAMES", "Known",
           "MAX_ERRORS", "Read", "error_order", "read_sheets", "row_id"]
