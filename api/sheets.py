"""Spreadsheets the office and auditors already live in: standings and a unit's score sheet as .xlsx
and .csv, built from the same documents as `kaoping standings --json` and `kaoping score --json`.

A `Sheet` is plain data (title, headers, rows); figures are `Decimal`s equal to the JSON's 2-place
strings, ranks and levels are ints. `to_xlsx` / `to_csv` render sheets and `download` makes the
attachment response that the API (`routes/exports.py`) and the pages (`web/downloads.py`) serve.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from urllib.parse import quote

from fastapi.responses import Response

from kaoping.domain.labels import FIGURE_NAMES, GROUP_NAMES
from kaoping.domain.standings import by_group
from kaoping.ledger.application import Ledger
from kaoping.projections.scores import ScoresProjection

#: the figure columns of the standings sheet, in the order the plan builds them up to the total
SHEET_FIGURES = ("process", "annual_individual", "task_load_bonus", "individual", "common",
                 "indicator", "half_year_comp", "year_end_comp", "comprehensive", "bonus", "penalty",
                 "total", "chuangcheng")
#: (header, key of the `score` document) for each figure column
FIGURE_COLUMNS = [(FIGURE_NAMES[key], key) for key in SHEET_FIGURES]
STANDINGS_HEADERS = ["排名", "单位代码", "单位名称", "分组", *(h for h, _ in FIGURE_COLUMNS), "待录入"]
UNIT_HEADERS = ["层级", "项目", "分值", "计算", "依据条目"]


@dataclass(frozen=True)
class Sheet:
    title: str
    headers: list[str]
    rows: list[list[Any]]


# -- sheets ------------------------------------------------------------------------------------------

def _documents(ledger: Ledger, projection: ScoresProjection, as_of: str | None) -> dict[str, dict[str, Any]]:
    """Every unit's `score` document: current ones from the read model (as `standings` answers),
    as-of ones from the log (as `standings --as-of` and `score --as-of` answer)."""
    if as_of is None:
        projection.catch_up()
        return projection.documents()
    registry = ledger.registry()
    entries = ledger.log.refresh()
    return {code: ledger.score(code, as_of=as_of, entries=entries, registry=registry)
            for code in registry.units}


def standings_sheet(ledger: Ledger, projection: ScoresProjection, *,
                    as_of: str | None = None) -> Sheet:
    """All units, by group then rank (the annual total), with every figure of their score."""
    documents = _documents(ledger, projection, as_of)
    ranked = by_group((d["group"], code, d["name"], d["total"]) for code, d in documents.items())
    rows = []
    for row in ranked:
        document = documents[str(row["unit"])]
        rows.append([row["rank"], row["unit"], row["name"],
                     GROUP_NAMES.get(str(row["group"]), row["group"]),
                     *(Decimal(document[key]) for _, key in FIGURE_COLUMNS),
                     "、".join(document["pending"])])
    return Sheet(f"考评排名 截至{as_of}" if as_of else "考评排名", list(STANDINGS_HEADERS), rows)


def unit_sheet(ledger: Ledger, code: str, *, as_of: str | None = None) -> Sheet:
    """A unit's score sheet: its explanation tree, one row per node, depth first."""
    document = ledger.score(code.upper(), as_of=as_of)
    rows: list[list[Any]] = []

    def walk(node: dict[str, Any], level: int) -> None:
        rows.append([level, "\u3000" * level + node["label"], Decimal(node["value"]), node["formula"],
                     ", ".join(_cite(entry) for entry in node["entries"])])
        for child in node["children"]:
            walk(child, level + 1)

    walk(document["explanation"], 0)
    title = f"{document['unit']} {document['name']} 得分" + (f" 截至{as_of}" if as_of else "")
    return Sheet(title, list(UNIT_HEADERS), rows)


def _cite(entry: dict[str, Any]) -> str:
    struck = entry.get("voided_by") or entry.get("superseded_by")
    return f"#{entry['seq']}" + (f"（已作废/被替代：{struck}）" if struck else "")


# -- rendering ---------------------------------------------------------------------------------------

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV = "text/csv; charset=utf-8"
_BAD_TITLE = re.compile(r"[\[\]:*?/\\]")


def _cell(value: Any) -> Any:
    return float(value) if isinstance(value, Decimal) else value


def _width(value: Any) -> int:
    text = f"{value:.2f}" if isinstance(value, Decimal) else str(value if value is not None else "")
    return sum(2 if ord(ch) > 0x2E7F else 1 for ch in text)


def to_xlsx(sheets: Sheet | list[Sheet]) -> bytes:
    """One worksheet per sheet: bold frozen header row, widths from the content, figures as
    numbers shown with 2 decimals."""
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    workbook = Workbook()
    workbook.remove(workbook.active)
    used: set[str] = set()
    for sheet in [sheets] if isinstance(sheets, Sheet) else sheets:
        title = _BAD_TITLE.sub("-", sheet.title)[:31] or "Sheet"
        base, n = title, 1
        while title in used:
            n += 1
            title = f"{base[:28]}-{n}"
        used.add(title)
        worksheet = workbook.create_sheet(title)
        worksheet.append(sheet.headers)
        for cell in worksheet[1]:
            cell.font = Font(bold=True)
        for row in sheet.rows:
            worksheet.append([_cell(v) for v in row])
            for cell, value in zip(worksheet[worksheet.max_row], row, strict=False):
                if isinstance(value, Decimal):
                    cell.number_format = "0.00"
        worksheet.freeze_panes = "A2"
        for i, header in enumerate(sheet.headers, start=1):
            widest = max([_width(header), *(_width(r[i - 1]) for r in sheet.rows if len(r) >= i)])
            worksheet.column_dimensions[get_column_letter(i)].width = min(max(widest + 2, 6), 80)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def to_csv(sheet: Sheet) -> bytes:
    """UTF-8 with a BOM (so Excel reads the Chinese), figures with 2 decimals."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(sheet.headers)
    for row in sheet.rows:
        writer.writerow([f"{v:.2f}" if isinstance(v, Decimal) else ("" if v is None else v)
                         for v in row])
    return buffer.getvalue().encode("utf-8-sig")


# -- downloads ------------------------------------------------------------------------------------

def file_part(text: str) -> str:
    """`text` as the ASCII part of a file name (an as-of date, a unit code)."""
    return re.sub(r"[^0-9A-Za-z._-]+", "-", text).strip("-")


def as_of_suffix(as_of: str | None) -> str:
    """"-2018-07-31" for a sheet as of that day, "" for a current one: part of a download's name."""
    when = file_part(as_of) if as_of else ""
    return f"-{when}" if when else ""


def download(sheet: Sheet, fmt: str, name: str, ascii_name: str, *,
             headers: dict[str, str] | None = None) -> Response:
    """The sheet rendered as `fmt` (xlsx or csv), as an attachment named `name` (UTF-8) with an
    ASCII fallback for old clients."""
    body = to_xlsx(sheet) if fmt == "xlsx" else to_csv(sheet)
    disposition = (f'attachment; filename="{ascii_name}.{fmt}"; '
                   f"filename*=UTF-8''{quote(f'{name}.{fmt}', safe='')}")
    return Response(body, media_type=XLSX if fmt == "xlsx" else CSV,
                    headers={"Content-Disposition": disposition, **(headers or {})})


__all__ = ["Sheet", "as_of_suffix", "download", "file_part", "standings_sheet", "to_csv", "to_xlsx", "unit_sheet"]
