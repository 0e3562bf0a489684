"""Spreadsheets a clerk prints and an auditor files: the standings and a unit's score sheet as .xlsx
and .csv, built from the same documents as `kaoping standings --json` and `kaoping score --json`.

A `Book` is what one download holds: a caption (the title row: what the sheet is, as of when, when
it was made, from which ledger size and signed checkpoint) over one `Sheet` per group or one for the
unit. Sheets are plain data (headers, rows); figures are `Decimal`s equal to the JSON's 2-place
strings, ranks and levels are ints, and every name is the pages' (`domain.labels`). `to_xlsx` gives
each sheet a worksheet of its own, with the title row, a frozen header, an autofilter and a
fit-to-width print set-up (A4 landscape; the leaders' brief standings sheet, `brief_standings_sheet`,
A4 portrait); `to_csv` keeps one file (the title line, then the header and
every sheet's rows, with a column naming the sheet). `download` makes the attachment response that
the API (`routes/exports.py`) and the pages (`web/downloads.py`) serve.
"""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from urllib.parse import quote

from starlette.responses import Response  # FastAPI's own, without importing FastAPI (the CLI writes sheets too)

from kaoping.domain.labels import (DUE_STATUSES, FIGURE_NAMES, GROUP_NAMES, LIGHTS, PENDING_HEADING, STAGE_NAMES,
                                  code_names, name_codes, pending_names)
from kaoping.domain.names import FIGURES, GROUPS
from kaoping.domain import confidential, policy
from kaoping.domain.principals import Principal
from kaoping.domain.standings import by_group, stage_figure
from kaoping.ledger.application import Ledger
from kaoping.projections.scores import ScoresProjection

RANK, UNIT, NAME, GROUP = "名次", "单位代码", "单位名称", "分组"
UNIT_HEADERS = ["层级", "项目", "分值", "计算", "依据条目"]
#: the standings sheet keeps these columns (rank, code, name) in view when scrolled sideways
STANDINGS_KEY_COLUMNS = 3


@dataclass(frozen=True)
class Sheet:
    """One worksheet: its name (a group's, a unit's), the column headers and the rows; the first
    `frozen_columns` columns stay in view when scrolling sideways."""

    title: str
    headers: list[str]
    rows: list[list[Any]]
    frozen_columns: int = 0
    #: each column's width in characters, where the content's own would not print well
    widths: tuple[int, ...] | None = None


@dataclass(frozen=True)
class Book:
    """What one download holds: the caption every sheet's title row shows, and the sheets. In a CSV,
    which has no worksheets, a column headed `sheet_column` names each row's sheet."""

    caption: str
    sheets: list[Sheet]
    sheet_column: str = GROUP
    #: printed upright on A4 (a brief sheet) rather than across (a working sheet's many columns)
    portrait: bool = False


# -- the title row -------------------------------------------------------------------------------

def caption(ledger: Ledger, subject: str, as_of: str | None, ledger_size: int) -> str:
    """"年度专项考评成绩排名 · 截至 2018-07-31 · 生成于 … · 账本 N 条记录 · 已签名检查点：第 N 条，根哈希
    …": a printed sheet says which ledger state it came from, so that it can be checked later
    against that checkpoint (the pages' footer shows the same size and short root)."""
    made = ledger.clock().astimezone(ledger.zone)
    parts = [subject, f"截至 {as_of}" if as_of else "当前成绩", f"生成于 {made:%Y-%m-%d %H:%M:%S}",
             f"账本 {ledger_size} 条记录"]
    latest = ledger.latest_checkpoint()
    parts.append(f"已签名检查点：第 {latest.size} 条，根哈希 {latest.checkpoint.root_b64[:12]}…"
                 if latest is not None else "尚无已签名检查点")
    return " · ".join(parts)


# -- sheets --------------------------------------------------------------------------------------

def figure_keys(stage: str = "annual") -> tuple[str, ...]:
    """The figure columns of the standings sheet: the one the stage ranks by first (the total for
    `annual`), then the others in the order the pages show them."""
    ranked = stage_figure(stage)
    return (ranked, *(key for key in FIGURES if key != ranked))


def standings_headers(stage: str = "annual") -> list[str]:
    return [RANK, UNIT, NAME, *(FIGURE_NAMES[key] for key in figure_keys(stage)), PENDING_HEADING]


def _documents(ledger: Ledger, projection: ScoresProjection,
               as_of: str | None) -> tuple[dict[str, dict[str, Any]], int]:
    """Every unit's `score` document and the ledger size they were read at: current ones from the
    read model (as `standings` answers), as-of ones from the log (as `standings --as-of` and
    `score --as-of` answer)."""
    if as_of is None:
        projection.catch_up()
        documents = projection.documents()
        return documents, len(ledger.entries())
    registry = ledger.registry()
    entries = ledger.entries()
    return ledger.scores(list(registry.units), as_of=as_of, entries=entries,
                         registry=registry), len(entries)


def standings_sheet(ledger: Ledger, projection: ScoresProjection, *, as_of: str | None = None,
                    stage: str = "annual", figures_of: Collection[str] | None = None) -> Book:
    """Every unit, one sheet per group in rank order (by the stage's figure, as `standings` ranks),
    with every figure of its score and what is still missing, in words.

    `figures_of` limits whose figures are shown: a unit outside it keeps only its standings columns
    (rank, code, name and the ranked figure). None shows every unit's."""
    keys = figure_keys(stage)
    documents, size = _documents(ledger, projection, as_of)
    ranked = by_group((d["group"], code, d["name"], d[keys[0]]) for code, d in documents.items())
    headers = standings_headers(stage)
    sheets = []
    for group in GROUPS:
        rows = [_standings_row(row, documents[str(row["unit"])], keys,
                               full=figures_of is None or row["unit"] in figures_of)
                for row in ranked if row["group"] == group]
        sheets.append(Sheet(GROUP_NAMES[group], list(headers), rows, STANDINGS_KEY_COLUMNS))
    return Book(caption(ledger, f"{STAGE_NAMES[stage]}排名", as_of, size), sheets)


#: the figures a leader reads of each stage's ranking, after the one it ranks by
BRIEF_FIGURES = {"annual": ("indicator", "comprehensive", "bonus", "penalty"),
                 "half_year": ("process", "common"), "process": ()}
#: the county whose year the ledger keeps (盘县政办发〔2018〕144号)
COUNTY = "盘县"
BRIEF_UNIT = "单位"


def brief_caption(ledger: Ledger, stage: str, as_of: str | None) -> str:
    """"盘县 2018 年度专项考评 · 年度专项考评成绩排名 · 截至 2018-12-31": a leader's title, naming the
    year, the county and the day — no ledger size or hash (the full sheet carries those)."""
    scheme = ledger.registry().scheme
    year = str(scheme.data.get("in_force_from", ""))[:4]
    day = as_of[:10] if as_of else ledger.today().isoformat()
    return f"{COUNTY} {year} 年度专项考评 · {STAGE_NAMES[stage]}排名 · 截至 {day}"


def brief_headers(stage: str = "annual") -> list[str]:
    ranked = stage_figure(stage)
    return [RANK, BRIEF_UNIT, *(FIGURE_NAMES[key] for key in (ranked, *BRIEF_FIGURES[stage]))]


def brief_standings_sheet(ledger: Ledger, projection: ScoresProjection, *, as_of: str | None = None,
                          stage: str = "annual", figures_of: Collection[str] | None = None) -> Book:
    """The standings for leaders (issue 28, item 13): one sheet per group in rank order, each unit's
    rank, name, the figure the stage ranks by and its main parts (`BRIEF_FIGURES`), A4 upright. The
    same documents and ranks as `standings_sheet`; `figures_of` withholds the same figures."""
    ranked_key = stage_figure(stage)
    keys = (ranked_key, *BRIEF_FIGURES[stage])
    documents, _ = _documents(ledger, projection, as_of)
    ranked = by_group((d["group"], code, d["name"], d[ranked_key]) for code, d in documents.items())
    headers = brief_headers(stage)
    widths = (6, 26, *(12 for _ in keys))
    sheets = []
    for group in GROUPS:
        rows = []
        for row in (r for r in ranked if r["group"] == group):
            full = figures_of is None or row["unit"] in figures_of
            document = documents[str(row["unit"])]
            rows.append([row["rank"], row["name"],
                         *(Decimal(document[key]) if full or key == ranked_key else None for key in keys)])
        sheets.append(Sheet(GROUP_NAMES[group], list(headers), rows, 2, widths))
    return Book(brief_caption(ledger, stage, as_of), sheets, portrait=True)


BOARD_HEADERS = ["灯", "单位代码", "单位名称", "单位红灯", "单位黄灯", "单位可挽回分数", "任务", "任务名称", "节点",
                 "到期日", "剩余天数", "状态", "可挽回分数", "重要任务", "佐证（交/核）"]


def board_sheet(ledger: Ledger, rows: Sequence[dict[str, Any]], *, as_of: str | None, within: int,
                important: bool) -> Book:
    """The 督办 board (`domain.board` rows, reddest unit first) as the sheet the office hands to the
    leaders: one worksheet per group, a row per red or yellow item under its unit's counts (a unit
    with none keeps one row with its counts)."""
    subject = f"督办看板（{within} 天内到期为黄灯{'，只含重要任务' if important else ''}）"
    sheets = []
    for group in GROUPS:
        lines: list[list[Any]] = []
        for row in (r for r in rows if r["group"] == group):
            head = [row["unit"], row["name"], row["red"], row["yellow"], row["stake"]]
            if not row["items"]:
                lines.append([LIGHTS["green"], *head, "", "", "", "", None, "", None, "", ""])
            for i in row["items"]:
                lines.append([LIGHTS[i["light"]], *head, i["task"], i["title"], i["checkpoint"], i["due"], i["days"],
                              DUE_STATUSES.get(i["status"], i["status"]), Decimal(str(i["points_at_stake"])),
                              "是" if i["important"] else "", f"{i['evidence']['submitted']}/{i['evidence']['verified']}"])
        sheets.append(Sheet(GROUP_NAMES[group], list(BOARD_HEADERS), lines, 3))
    return Book(caption(ledger, subject, as_of, len(ledger.entries())), sheets)


def figures_for(principal: Principal, codes: Collection[str]) -> Collection[str]:
    """Whose figures a caller's standings sheet shows: the units whose own pages it may read
    (`domain.policy`; a unit token its own unit's: of the others, what `standings` shows — rank,
    code, name and the ranked figure)."""
    return {code for code in codes if policy.sees_figures(principal, code)}


def _standings_row(row: dict[str, Any], document: dict[str, Any], keys: Sequence[str], *,
                   full: bool) -> list[Any]:
    shown = keys if full else keys[:1]
    figures = [Decimal(document[key]) for key in shown] + [None] * (len(keys) - len(shown))
    return [row["rank"], row["unit"], row["name"], *figures,
            pending_names(document["pending"]) if full else None]


def unit_sheet(ledger: Ledger, code: str, *, as_of: str | None = None,
               reader: Principal | None = None) -> Book:
    """A unit's score sheet: its explanation tree, one row per node, depth first (its ballots as
    `reader` may read them: `domain.confidential`)."""
    entries = ledger.entries()
    document = confidential.score(reader, ledger.score(code.upper(), as_of=as_of, entries=entries))
    names = code_names(ledger.registry())  # each unit's and indicator's code with its name, as the pages
    rows: list[list[Any]] = []

    def walk(node: dict[str, Any], level: int) -> None:
        rows.append([level, "\u3000" * level + name_codes(node["label"], names), Decimal(node["value"]),
                     name_codes(node["formula"], names), ", ".join(_cite(entry) for entry in node["entries"])])
        for child in node["children"]:
            walk(child, level + 1)

    walk(document["explanation"], 0)
    sheet = Sheet(f"{document['unit']} {document['name']}", list(UNIT_HEADERS), rows)
    return Book(caption(ledger, "得分明细", as_of, len(entries)), [sheet])


def _cite(entry: dict[str, Any]) -> str:
    struck = entry.get("voided_by") or entry.get("superseded_by")
    return f"#{entry['seq']}" + (f"（已作废/被替代：{struck}）" if struck else "")


# -- rendering -------------------------------------------------------------------------------------

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV = "text/csv; charset=utf-8"
_BAD_TITLE = re.compile(r"[\[\]:*?/\\]")
#: the widest a column grows (in characters); longer text wraps, so that fit-to-width printing
#: does not shrink every column to fit one long formula
_WIDEST = 60
#: repeated at the top of every printed page: the title row and the header
PRINT_TITLES = "1:2"
PAGE_FOOTER = "第 &P 页，共 &N 页"


def title_row(book: Book, sheet: Sheet) -> str:
    """The text of a worksheet's first row: the sheet's name, then the book's caption."""
    return f"{sheet.title} · {book.caption}"


def _cell(value: Any) -> Any:
    return float(value) if isinstance(value, Decimal) else value


def _width(value: Any) -> int:
    text = f"{value:.2f}" if isinstance(value, Decimal) else str(value if value is not None else "")
    return sum(2 if ord(ch) > 0x2E7F else 1 for ch in text)


def _tab(title: str, used: set[str]) -> str:
    """A worksheet name Excel accepts (31 characters, none of []:*?/\\), unique in the book."""
    name = _BAD_TITLE.sub("-", title)[:31] or "Sheet"
    base, n = name, 1
    while name in used:
        n += 1
        name = f"{base[:28]}-{n}"
    used.add(name)
    return name


def to_xlsx(book: Book) -> bytes:
    """One worksheet per sheet: the title row across the columns, a bold frozen header with an
    autofilter, figures as numbers shown with 2 decimals, widths from the content, and a print
    set-up (A4 landscape, one page wide, title and header on every page, gridlines, page numbers)."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    workbook = Workbook()
    workbook.remove(workbook.active)
    used: set[str] = set()
    for sheet in book.sheets:
        worksheet = workbook.create_sheet(_tab(sheet.title, used))
        columns = max(len(sheet.headers), 1)
        worksheet.append([title_row(book, sheet)])
        worksheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=columns)
        worksheet["A1"].font = Font(bold=True, size=12)
        worksheet["A1"].alignment = Alignment(wrap_text=True, vertical="center")
        worksheet.append(sheet.headers)
        for cell in worksheet[2]:
            cell.font = Font(bold=True)
            cell.alignment = Alignment(wrap_text=True, vertical="center")
        widths = []
        for i, header in enumerate(sheet.headers):
            widest = max([_width(header), *(_width(r[i]) for r in sheet.rows if len(r) > i)])
            widths.append(sheet.widths[i] if sheet.widths else min(max(widest + 2, 6), _WIDEST))
            worksheet.column_dimensions[get_column_letter(i + 1)].width = widths[-1]
        wrap = Alignment(wrap_text=True, vertical="top")
        for row in sheet.rows:
            worksheet.append([_cell(v) for v in row])
            for cell, value, width in zip(worksheet[worksheet.max_row], row, widths, strict=False):
                if isinstance(value, Decimal):
                    cell.number_format = "0.00"
                elif _width(value) + 2 > width:
                    cell.alignment = wrap
        # a merged cell's height is not fitted by Excel: give the title the lines it needs
        lines = math.ceil(_width(title_row(book, sheet)) / max(sum(widths), 1) * 1.1)
        worksheet.row_dimensions[1].height = 18 * max(lines, 1) + 6
        worksheet.freeze_panes = worksheet.cell(row=3, column=sheet.frozen_columns + 1).coordinate
        worksheet.auto_filter.ref = f"A2:{get_column_letter(columns)}{max(worksheet.max_row, 2)}"
        worksheet.print_title_rows = PRINT_TITLES
        setup = worksheet.page_setup
        setup.orientation = "portrait" if book.portrait else "landscape"
        setup.paperSize = worksheet.PAPERSIZE_A4
        setup.fitToWidth, setup.fitToHeight = 1, 0  # one page wide, as many pages tall as it takes
        worksheet.sheet_properties.pageSetUpPr.fitToPage = True
        worksheet.print_options.horizontalCentered = True
        worksheet.print_options.gridLines = True
        worksheet.oddFooter.center.text = PAGE_FOOTER
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def to_csv(book: Book) -> bytes:
    """UTF-8 with a BOM (so Excel reads the Chinese), figures with 2 decimals: the title line, the
    header, the rows. A book of several sheets stays one file, its first column naming the sheet."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def cells(row: list[Any]) -> list[Any]:
        return [f"{v:.2f}" if isinstance(v, Decimal) else ("" if v is None else v) for v in row]

    if len(book.sheets) == 1:
        sheet = book.sheets[0]
        writer.writerow([title_row(book, sheet)])
        writer.writerow(sheet.headers)
        writer.writerows(cells(row) for row in sheet.rows)
    else:
        headers = book.sheets[0].headers
        if any(sheet.headers != headers for sheet in book.sheets):
            raise ValueError("the sheets of one CSV must share their headers")
        writer.writerow([book.caption])
        writer.writerow([book.sheet_column, *headers])
        writer.writerows([sheet.title, *cells(row)] for sheet in book.sheets for row in sheet.rows)
    return buffer.getvalue().encode("utf-8-sig")


# -- downloads ------------------------------------------------------------------------------------

def file_part(text: str) -> str:
    """`text` as the ASCII part of a file name (an as-of date, a unit code)."""
    return re.sub(r"[^0-9A-Za-z._-]+", "-", text).strip("-")


def as_of_suffix(as_of: str | None) -> str:
    """"-2018-07-31" for a sheet as of that day, "" for a current one: part of a download's name."""
    when = file_part(as_of) if as_of else ""
    return f"-{when}" if when else ""


def standings_names(stage: str, as_of: str | None, sheet: str = "full") -> tuple[str, str]:
    """(name, ASCII name) of a standings download: "考评排名-2018-07-31" for the annual stage, with
    the stage's name in it for the others ("考评排名-半年综合评价-…", "standings-half_year-…"); the
    brief sheet's "考评排名简表…", "standings-brief…"."""
    zh, en = ("考评排名简表", "standings-brief") if sheet == "brief" else ("考评排名", "standings")
    if stage == "annual":
        return zh + as_of_suffix(as_of), en + as_of_suffix(as_of)
    return (f"{zh}-{STAGE_NAMES[stage]}{as_of_suffix(as_of)}",
            f"{en}-{file_part(stage)}{as_of_suffix(as_of)}")


#: the standings sheets a download offers (`?sheet=`): the full working sheet, the leaders' brief one
STANDINGS_SHEETS = {"full": "全部成绩", "brief": "简表"}


def standings_book(ledger: Ledger, projection: ScoresProjection, *, sheet: str = "full", as_of: str | None = None,
                   stage: str = "annual", figures_of: Collection[str] | None = None) -> Book:
    """The standings sheet `sheet` names (`STANDINGS_SHEETS`)."""
    build = brief_standings_sheet if sheet == "brief" else standings_sheet
    return build(ledger, projection, as_of=as_of, stage=stage, figures_of=figures_of)


def download(book: Book, fmt: str, name: str, ascii_name: str, *,
             headers: dict[str, str] | None = None) -> Response:
    """The book rendered as `fmt` (xlsx or csv), as an attachment named `name` (UTF-8) with an
    ASCII fallback for old clients."""
    body = to_xlsx(book) if fmt == "xlsx" else to_csv(book)
    disposition = (f'attachment; filename="{ascii_name}.{fmt}"; '
                   f"filename*=UTF-8''{quote(f'{name}.{fmt}', safe='')}")
    return Response(body, media_type=XLSX if fmt == "xlsx" else CSV,
                    headers={"Content-Disposition": disposition, **(headers or {})})


__all__ = ["BRIEF_FIGURES", "Book", "STANDINGS_SHEETS", "Sheet", "as_of_suffix", "board_sheet", "brief_caption",
           "brief_headers", "brief_standings_sheet", "standings_book", "caption", "download", "figure_keys", "figures_for", "file_part",
           "standings_headers", "standings_names", "standings_sheet", "to_csv", "to_xlsx",
           "unit_sheet"]
