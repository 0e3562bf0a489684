"""Reading sheets into commands (domain/sheets_in.py; files read by ledger/imports.py.read_book):
columns in any order, merged cells, formula cells, every error by sheet, row and column, CSV in UTF-8
with or without BOM and in GB18030. (A cell's own reading: tests/test_cells.py.)"""

from __future__ import annotations

import io
import zipfile
from zoneinfo import ZoneInfo

import pytest

from kaoping.domain.sheets_in import COLUMNS, Grid, Known, read_sheets, row_id
from kaoping.ledger.imports import read_book
from kaoping.domain.errors import InvalidCommand

ZONE = ZoneInfo("Asia/Shanghai")
KNOWN = Known({"D03": ("县发展改革局", "departments"), "T01": ("某镇", "towns_zones")},
              {"C05": "处理投诉事件", "C06": "某指标"}, {("D03", "P1"): "completion_ratio"}, ZONE)
SHA = "0" * 64


def headers(kind: str) -> list[str]:
    return [c.header for c in COLUMNS[kind]]


def test_columns_are_found_by_their_key_in_any_order_below_a_title() -> None:
    heads = list(reversed(headers("node_results")))
    row = dict(zip(headers("node_results"), ["D03", None, "P1", "Q3", "2018/9/30", "完成", "合格", "按期", None]))
    grid = Grid("节点", [["某县 2018 年节点考核结果"], heads, [row[h] for h in heads]])
    read = read_sheets("node_results", [grid], KNOWN, SHA)
    assert read.errors == []
    assert read.commands == [{"id": "import:node_results:D03:P1:Q3", "type": "checkpoint.reported", "unit": "D03",
                              "task": "P1", "checkpoint": "Q3", "reported_on": "2018-09-30", "completed": True,
                              "quality": "ok", "note": "按期", "source": {"file": SHA, "sheet": "节点", "row": 3}}]


def test_every_error_is_listed_by_row_and_column() -> None:
    heads = headers("node_results")
    rows = [heads,
            ["D03", None, "P1", "Q1", "31/07", "完成", None, None, None],
            ["X99", None, "P1", "Q2", "2018-07-01", "完成", None, None, None],
            ["D03", None, "P1", "Q3", "2018-07-01", "也许", None, None, None],
            ["D03", None, "P9", "Q4", "2018-07-01", "完成", None, None, None],
            ["D03", None, "P1", "Q5", None, "完成", None, None, None]]
    read = read_sheets("node_results", [Grid("表", rows)], KNOWN, SHA)
    found = {(e["row"], e["column"], e["code"]) for e in read.errors}
    assert found == {(2, "E", "import.date_no_year"), (3, "A", "import.unit_unknown"), (4, "F", "import.choice"),
                     (5, "C", "import.task_unknown"), (6, "E", "import.required")}
    assert all(e["sheet"] == "表" and e["message"] for e in read.errors) and read.commands == []


def test_a_score_over_100_is_an_error_on_its_cell() -> None:
    rows = [[*headers("common_scores"), "C05 处理投诉事件", "C06 某指标"], ["D03", "县发展改革局", None, 100.5, 90]]
    read = read_sheets("common_scores", [Grid("成绩", rows)], KNOWN, SHA)
    assert [(e["row"], e["column"], e["field"]) for e in read.errors] == [(2, "D", "score")]


def test_a_header_row_that_cannot_be_read_is_one_error() -> None:
    read = read_sheets("tasks", [Grid("表", [["单位", "任务"], ["D03", "P1"]])], KNOWN, SHA)
    assert [e["code"] for e in read.errors] == ["import.no_header"]
    read = read_sheets("tasks", [Grid("表", [["单位代码（unit）", "任务编号（task）"], ["D03", "P1"]])], KNOWN, SHA)
    assert [(e["code"], e["row"]) for e in read.errors] == [("import.header_missing", 1)]


def _xlsx(rows: list[list[object]], merges: tuple[str, ...] = ()) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = "任务清单"
    for row in rows:
        sheet.append(row)
    for cells in merges:
        sheet.merge_cells(cells)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_merged_cells_of_a_task_are_read_as_repeated() -> None:
    heads = headers("tasks")
    first = ["D03", "县发展改革局", "P1", "价格监测", "省专项", "完成比例法", 120, None, "牵头", 1.2, "是", "Q1", "2018/3/31", None]
    rows = [heads, first, [None] * 11 + ["Q2", "2018/6/30", None], [None] * 11 + ["Q3", "2018/9/30", None]]
    merges = tuple(f"{letter}2:{letter}4" for letter in "ABCDEFGHIJK")
    grids = read_book(_xlsx(rows, merges), "任务清单.xlsx")
    read = read_sheets("tasks", grids, KNOWN, SHA)
    assert read.errors == []
    [command] = read.commands
    assert command["id"] == row_id("tasks", "D03", "P1") == "import:tasks:D03:P1"
    assert command["level"] == "provincial" and command["method"] == "completion_ratio" and command["important"] is True
    assert [c["checkpoint"] for c in command["checkpoints"]] == ["Q1", "Q2", "Q3"]


def _with_cached(data: bytes, cell: str, value: str) -> bytes:
    """The workbook with `cell`'s formula given a cached value, as Excel saves it."""
    source, out = zipfile.ZipFile(io.BytesIO(data)), io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            body = source.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":
                start = body.index(f'<c r="{cell}"'.encode())
                end = body.index(b"</c>", start)
                body = body[:start] + body[start:end].replace(b"<v />", f"<v>{value}</v>".encode()) + body[end:]
            target.writestr(info, body)
    return out.getvalue()


def test_a_formula_cell_is_read_by_its_cached_value_and_without_one_is_an_error() -> None:
    rows = [[*headers("common_scores"), "C05 处理投诉事件", "C06 某指标"], ["D03", "县发展改革局", None, "=50+44.5", "=40+50"]]
    data = _with_cached(_xlsx(rows), "D2", "94.5")
    read = read_sheets("common_scores", read_book(data, "成绩.xlsx"), KNOWN, SHA)
    assert [(e["column"], e["code"]) for e in read.errors] == [("E", "import.formula_uncached")]
    assert read_sheets("common_scores", read_book(data, "x.xlsx"), KNOWN, SHA).commands == []  # its row is left out
    cached = _with_cached(data, "E2", "90")
    read = read_sheets("common_scores", read_book(cached, "成绩.xlsx"), KNOWN, SHA)
    assert read.errors == [] and [c["score"] for c in read.commands] == ["94.5", "90"]


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030"])
def test_csv_in_utf8_with_or_without_bom_and_in_gb18030(encoding: str) -> None:
    text = "\n".join([",".join(headers("node_results")), "D03,县发展改革局,P1,Q3,2018年9月30日,未完成,较差,延期,"])
    [grid] = read_book(text.encode(encoding), "节点.csv")
    read = read_sheets("node_results", [grid], KNOWN, SHA)
    assert read.errors == [] and read.commands[0]["completed"] is False and read.commands[0]["quality"] == "poor"
    assert read.commands[0]["source"]["sheet"] == "节点"


def test_a_file_that_is_not_a_spreadsheet_or_is_encrypted_is_named() -> None:
    with pytest.raises(InvalidCommand) as raised:
        read_book(b"%PDF-1.4\x00\x01binary", "报告.pdf")
    assert raised.value.code == "import.not_sheet" and "报告.pdf" in raised.value.message
    encrypted = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100 + "EncryptionInfo".encode("utf-16-le")
    with pytest.raises(InvalidCommand) as raised:
        read_book(encrypted, "加密.xlsx")
    assert raised.value.code == "import.encrypted"


def test_a_ballot_is_one_raters_ranking_by_rank() -> None:
    rows = [headers("ballot"),
            ["年终综合评价", "领导评价", "副县长甲", "镇、街道及经济园区", "T01", None, 1, None],
            ["年终综合评价", "领导评价", "副县长甲", "县政府各部门", "D03", None, 1, None]]
    read = read_sheets("ballot", [Grid("排序", rows)], KNOWN, SHA)
    assert read.errors == [] and {tuple(c["ranking"]) for c in read.commands} == {("T01",), ("D03",)}
    tie = rows[:2] + [["年终综合评价", "领导评价", "副县长甲", "镇、街道及经济园区", "D03", None, 1, None]]
    read = read_sheets("ballot", [Grid("排序", tie)], KNOWN, SHA)
    assert [e["code"] for e in read.errors] == ["import.rank_tie"]


def test_every_code_a_sheet_is_refused_with_is_in_the_catalogue() -> None:
    import re
    from pathlib import Path

    from kaoping.domain.refusals import REFUSALS

    root = Path(__file__).resolve().parents[1]
    used = set()
    for path in (root / "domain" / "cells.py", root / "domain" / "sheets_in.py", root / "ledger" / "imports.py"):
        used |= set(re.findall(r'"(import\.[a-z_]+)"', path.read_text(encoding="utf-8")))
    assert len(used) > 20 and sorted(used - set(REFUSALS)) == []
