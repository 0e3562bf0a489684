"""Templates of the sheets an import reads (docs/commands.md §10.3): one xlsx per kind, with the
same look as the exports (`api.sheets`: a title row, a bold frozen header, A4 landscape one page
wide with the title and header on every page), headers `中文名（field）`, the units (and for
`common_scores` the token's indicators, for `ballot` the units the token may rank) filled in,
drop-down lists (data validation) for every closed choice, and a 填写说明 sheet in Chinese.

`template_book(kind, known, principal, group)` gives the bytes; `kaoping template` writes them to
a file and `GET /v1/templates/{kind}.xlsx` answers with them. A test writes the demo year out
through `fill` (the same layout with rows) and imports it back.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any

from kaoping.domain import policy
from kaoping.domain.errors import InvalidCommand
from kaoping.domain.labels import GROUP_NAMES
from kaoping.domain.names import GROUPS
from kaoping.domain.principals import Principal
from kaoping.domain.sheets_in import COLUMNS, INSTRUCTIONS, KIND_NAMES, KINDS, Column, Known

from .sheets import PAGE_FOOTER, PRINT_TITLES

#: how many rows below the filled-in ones still carry the drop-down lists
SPARE_ROWS = 500


def units_of(kind: str, known: Known, principal: Principal | None, group: str | None) -> list[str]:
    """The units a template lists: every unit (of `group`); for a ballot, those the token may rank
    (a unit token the other group's, a leader its charge)."""
    codes = sorted(known.units, key=lambda code: (GROUPS.index(known.units[code][1]), code))
    if group is not None:
        codes = [code for code in codes if known.units[code][1] == group]
    if kind == "ballot" and principal is not None:
        own = policy.bound_unit(principal)
        if own is not None:
            mine = known.units[own][1] if own in known.units else None
            codes = [code for code in codes if known.units[code][1] != mine]
        charge = policy.charge(principal)
        if charge is not None:
            codes = [code for code in codes if code in charge]
    return codes


def indicators_of(known: Known, principal: Principal | None) -> list[str]:
    """The indicators a `common_scores` grid has: an assessor token's own, else every one."""
    codes = sorted(known.indicators)
    own = policy.scored_indicators(principal) if principal is not None else None
    return codes if own is None else [code for code in codes if code in own]


def headers(kind: str, known: Known, principal: Principal | None = None) -> list[str]:
    heads = [column.header for column in COLUMNS[kind]]
    if kind == "common_scores":
        heads += [f"{code} {known.indicators[code]}" for code in indicators_of(known, principal)]
    return heads


def prefilled(kind: str, known: Known, principal: Principal | None, group: str | None) -> list[list[Any]]:
    """The rows a template starts with: a unit each (code and name; a ballot's group too)."""
    fields = [column.field for column in COLUMNS[kind]]
    rows = []
    for code in units_of(kind, known, principal, group):
        row: list[Any] = [None] * len(fields)
        row[fields.index("unit")] = code
        row[fields.index("unit_name")] = known.units[code][0]
        if kind == "ballot":
            row[fields.index("group")] = GROUP_NAMES[known.units[code][1]]
            if known.ballot_kind is not None:
                kinds = next(c for c in COLUMNS[kind] if c.field == "kind").choices or {}
                row[fields.index("kind")] = kinds[known.ballot_kind]
                row[fields.index("rater")] = known.ballot_rater
        rows.append(row)
    return rows


def template_book(kind: str, known: Known, principal: Principal | None = None,
                  group: str | None = None) -> bytes:
    """The empty template of `kind` (units filled in)."""
    if kind not in KINDS:
        raise InvalidCommand("import.kind_unknown", field="kind", kind=str(kind)[:40], allowed=list(KINDS))
    return fill(kind, known, prefilled(kind, known, principal, group), principal)


def fill(kind: str, known: Known, rows: Sequence[Sequence[Any]], principal: Principal | None = None,
         *, extra_headers: Sequence[str] | None = None) -> bytes:
    """A sheet of `kind` in the template's layout holding `rows` (cells in the header's order)."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    heads = list(extra_headers) if extra_headers is not None else headers(kind, known, principal)
    book = Workbook()
    sheet = book.active
    sheet.title = KIND_NAMES[kind]
    sheet.append([f"{KIND_NAMES[kind]}（导入种类 {kind}）· 表头请勿改动，列的顺序可以调整；每行一条，见“{INSTRUCTIONS}”"])
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=max(len(heads), 1))
    sheet["A1"].font = Font(bold=True, size=12)
    sheet["A1"].alignment = Alignment(wrap_text=True, vertical="center")
    sheet.row_dimensions[1].height = 36
    sheet.append(heads)
    required = {column.header for column in COLUMNS[kind] if column.required}
    for cell in sheet[2]:
        cell.font = Font(bold=True, color="9C0006" if cell.value in required else None)
        cell.alignment = Alignment(wrap_text=True, vertical="center")
        cell.fill = PatternFill("solid", fgColor="F2F2F2")
    for row in rows:
        sheet.append(list(row))
    last = max(sheet.max_row, 2) + SPARE_ROWS
    by_header = {column.header: column for column in COLUMNS[kind]}
    for i, head in enumerate(heads, start=1):
        letter = get_column_letter(i)
        width = max(sum(2 if ord(ch) > 0x2E7F else 1 for ch in str(head)) + 2, 10)
        sheet.column_dimensions[letter].width = min(width, 40)
        column: Column | None = by_header.get(head)
        if column is None:
            continue
        choices = column.drop_down()
        if choices:
            validation = DataValidation(type="list", formula1='"' + ",".join(choices) + '"', allow_blank=True,
                                        showErrorMessage=True, errorTitle="不是可选的值",
                                        error="请从下拉列表中选择：" + "、".join(choices))
            sheet.add_data_validation(validation)
            validation.add(f"{letter}3:{letter}{last}")
        if column.reading == "date":
            for r in range(3, sheet.max_row + 1):
                sheet[f"{letter}{r}"].number_format = "yyyy-mm-dd"
    sheet.freeze_panes = "C3" if kind != "awards" and kind != "ballot" else "A3"
    sheet.auto_filter.ref = f"A2:{get_column_letter(max(len(heads), 1))}{max(sheet.max_row, 2)}"
    sheet.print_title_rows = PRINT_TITLES
    setup = sheet.page_setup
    setup.orientation, setup.paperSize = "landscape", sheet.PAPERSIZE_A4
    setup.fitToWidth, setup.fitToHeight = 1, 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.print_options.gridLines = True
    sheet.oddFooter.center.text = PAGE_FOOTER
    _instructions(book.create_sheet(INSTRUCTIONS), kind)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


_GENERAL = [
    "每个表头单元格写作“中文名（字段）”，导入按括号里的字段找列：列的顺序可以调整，不用的可选列可以删去。",
    "每一行是一条记录；整行为空（或只有模板填好的单位）的行跳过。",
    "日期可写 2018-07-31、2018/7/31、2018年7月31日 或 Excel 的日期；没有年份的日期（如 31/07）是错误。",
    "带下拉列表的列请从列表中选择；也可以写约定的英文值。",
    "公式单元格读其计算结果；没有计算结果（未在 Excel 中保存过）的公式是错误。",
    "也可另存为 CSV（UTF-8 或 GB18030 编码）再导入。",
    "导入先预览：所有错误按工作表、行、列列出，什么都不写入；没有错误才能提交，整张表一次写入，全有或全无。",
    "再次导入同一张表不会重复写入；已登记过的行若内容不同，会指明那条记录的序号：要改，请先作废它。",
]

_KIND_NOTES = {
    "tasks": "任务清单：每个节点一行；同一任务的各行，任务的列重复填写或合并单元格（只在第一行填写也可以）。",
    "node_results": "节点考核结果（市政府绩效平台）：每个单位每个任务的每个节点一行，即一条节点报告。",
    "assessments": "年度考核结果：完成比例法填实际完成值，否决计分法填是否否决；直接扣分法和累计计分法每个扣分或得分项一行。",
    "common_scores": "共性指标成绩：每个单位一行，每个指标一列，填 0–100 的分数；空的单元格跳过。",
    "awards": "加减分与争取资金：每项一行，类别为加分、减分或争取资金。",
    "ballot": "综合评价排序：一位评价人对一个分组的排序，每个单位一行，填名次（1 为最好，不得并列）；不排的单位留空。",
}


def _instructions(sheet: Any, kind: str) -> None:
    from openpyxl.styles import Alignment, Font

    sheet.append([f"{KIND_NAMES[kind]} 填写说明"])
    sheet["A1"].font = Font(bold=True, size=13)
    sheet.append([_KIND_NOTES[kind]])
    for line in _GENERAL:
        sheet.append([line])
    sheet.append([])
    sheet.append(["列", "必填", "说明"])
    for cell in sheet[sheet.max_row]:
        cell.font = Font(bold=True)
    for column in COLUMNS[kind]:
        note = column.note
        if column.drop_down() and not note:
            note = "可选：" + "、".join(column.drop_down())
        sheet.append([column.header, "是" if column.required else "", note])
    if kind == "common_scores":
        sheet.append(["C01 … C25（每个指标一列）", "", "表头写作“代码 名称”，如“C05 处理投诉事件”"])
    sheet.column_dimensions["A"].width = 28
    sheet.column_dimensions["B"].width = 6
    sheet.column_dimensions["C"].width = 80
    for row in sheet.iter_rows():
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    sheet.page_setup.orientation, sheet.page_setup.paperSize = "portrait", sheet.PAPERSIZE_A4
    sheet.page_setup.fitToWidth, sheet.page_setup.fitToHeight = 1, 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True


def template_name(kind: str) -> tuple[str, str]:
    """(name, ASCII name) of a template download."""
    return f"导入模板-{KIND_NAMES[kind]}", f"template-{kind}"


__all__ = ["fill", "headers", "indicators_of", "prefilled", "template_book", "template_name", "units_of"]
