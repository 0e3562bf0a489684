"""Spreadsheet exports (`kaoping.api.sheets`): the same figures as `standings --json` and
`score --json`, read back from .xlsx with openpyxl and from .csv; one worksheet per group, the title
row, the frozen header, the autofilter and the print set-up; the HTTP endpoints and their roles."""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal
from urllib.parse import unquote

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from typer.testing import CliRunner

from kaoping.api.cli import app as cli_app
from kaoping.api.sheets import (
    UNIT_HEADERS,
    Book,
    Sheet,
    figure_keys,
    standings_headers,
    standings_sheet,
    to_csv,
    to_xlsx,
    unit_sheet,
)
from kaoping.api.http import create_app
from kaoping.domain.labels import (
    FIGURE_NAMES,
    code_names,
    name_codes,
    GROUP_NAMES,
    PENDING_HEADING,
    STAGE_NAMES,
    pending_name,
    pending_names,
)
from kaoping.domain.names import FIGURES, GROUPS
from kaoping.api.bootstrap import build_projection

AS_OF = "2018-07-31"
#: the conftest clock (2019-01-15 02:00 UTC) in the ledger's zone, Asia/Shanghai
GENERATED = "生成于 2019-01-15 10:00:00"
runner = CliRunner()


def cli_json(*args):
    result = runner.invoke(cli_app, [*args, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


@pytest.fixture
def recorded(ledger, year):
    ledger.ingest(year, actor="office")
    return ledger


def read_book(body: bytes) -> dict[str, list[list]]:
    """Every worksheet's rows (title row, header, data), by worksheet name, in workbook order."""
    book = load_workbook(io.BytesIO(body))
    return {sheet.title: [list(row) for row in sheet.iter_rows(values_only=True)]
            for sheet in book.worksheets}


def read_xlsx(body: bytes) -> list[list]:
    """The header and then the data rows of every worksheet, in workbook order (the title rows
    left out, the header once): the sheets of one book share their header."""
    sheets = list(read_book(body).values())
    assert all(sheet[1] == sheets[0][1] for sheet in sheets)
    return [sheets[0][1], *(row for sheet in sheets for row in sheet[2:])]


def as_standings(table: list[list]) -> list[dict]:
    """The sheet's rows in the shape of `standings --json` (score = the ranked figure's column, the
    first figure, 2 places)."""
    headers = table[0]
    at = {h: i for i, h in enumerate(headers)}
    return [{"rank": row[at["名次"]], "unit": row[at["单位代码"]], "name": row[at["单位名称"]],
             "score": f"{Decimal(str(row[3])):.2f}"} for row in table[1:]]


def test_pending_codes_read_as_words():
    assert pending_name("year_end_comp.office") == "年终综合评价·领导小组办公室评价"
    assert pending_name("half_year_comp.leader") == "半年综合评价·领导评价"
    assert pending_name("half_year_comp.mutual") == "半年综合评价·互评"
    assert pending_name("task.P1") == "任务 P1 年度考核"
    assert pending_name("common") == "共性指标"
    assert pending_name("chuangcheng") == FIGURE_NAMES["chuangcheng"]
    assert pending_name("annual_individual") == FIGURE_NAMES["annual_individual"]
    assert pending_name("something.new") == "something.new"  # shown as it is, never dropped
    assert pending_names(["task.O2", "common"]) == "任务 O2 年度考核、共性指标"
    assert pending_names([]) == ""


@pytest.mark.parametrize("as_of", [None, AS_OF])
def test_xlsx_standings_equal_the_cli_standings(recorded, database_url, as_of):
    body = to_xlsx(standings_sheet(recorded, build_projection(recorded), as_of=as_of))
    book = read_book(body)
    assert list(book) == [GROUP_NAMES[group] for group in GROUPS]
    expected = cli_json("standings", "--db", database_url, *(["--as-of", as_of] if as_of else []))
    for group in GROUPS:
        sheet = book[GROUP_NAMES[group]]
        assert sheet[1] == standings_headers()
        assert as_standings(sheet[1:]) == [{k: r[k] for k in ("rank", "unit", "name", "score")}
                                           for r in expected if r["group"] == group]
    table = read_xlsx(body)
    assert as_standings(table) == [{k: r[k] for k in ("rank", "unit", "name", "score")} for r in expected]
    assert len(table) - 1 == 59


def test_rank_unit_name_and_total_come_first_then_the_pages_figures():
    assert standings_headers()[:4] == ["名次", "单位代码", "单位名称", FIGURE_NAMES["total"]]
    assert figure_keys() == FIGURES  # the unit page's order, the total first
    assert standings_headers()[-1] == PENDING_HEADING
    assert figure_keys("half_year")[0] == "half_year_comp"
    assert sorted(figure_keys("process")) == sorted(FIGURES)


@pytest.mark.parametrize("as_of", [None, AS_OF])
def test_every_figure_of_every_row_equals_its_score(recorded, database_url, as_of):
    table = read_xlsx(to_xlsx(standings_sheet(recorded, build_projection(recorded), as_of=as_of)))
    keys = figure_keys()
    assert table[0][3:3 + len(keys)] == [FIGURE_NAMES[key] for key in keys]

    def check(row, score):
        for key, value in zip(keys, row[3:3 + len(keys)], strict=True):
            assert isinstance(value, (int, float)), (row[1], key)
            assert f"{Decimal(str(value)):.2f}" == score[key], (row[1], key)
        assert row[-1] == (pending_names(score["pending"]) or None)

    for row in table[1:]:
        check(row, recorded.score(row[1], as_of=as_of))
    d03 = next(r for r in table[1:] if r[1] == "D03")
    check(d03, cli_json("score", "D03", "--db", database_url, *(["--as-of", as_of] if as_of else [])))


def test_the_pending_column_holds_words_not_codes(recorded):
    table = read_xlsx(to_xlsx(standings_sheet(recorded, build_projection(recorded), as_of=AS_OF)))
    pending = [row[-1] for row in table[1:] if row[-1]]
    assert pending, "mid-year, inputs are missing"
    for text in pending:
        assert not text.isascii() and "task." not in text and "_comp" not in text, text
        assert "common" not in text and "chuangcheng" not in text, text
    d03 = next(row for row in table[1:] if row[1] == "D03")
    assert "任务 P1 年度考核" in d03[-1] and "年终综合评价·领导小组办公室评价" in d03[-1]


def test_rows_are_ordered_by_group_then_rank(recorded):
    book = standings_sheet(recorded, build_projection(recorded))
    assert [sheet.title for sheet in book.sheets] == [GROUP_NAMES[group] for group in GROUPS]
    units = recorded.registry().units
    for group, sheet in zip(GROUPS, book.sheets, strict=True):
        assert sorted(r[1] for r in sheet.rows) == sorted(c for c, u in units.items() if u.group == group)
        ranks = [r[0] for r in sheet.rows]
        assert ranks == sorted(ranks) and ranks[0] == 1
        totals = [r[3] for r in sheet.rows]
        assert totals == sorted(totals, reverse=True)


def test_a_stage_ranks_by_its_figure_and_names_itself(recorded, database_url):
    book = standings_sheet(recorded, build_projection(recorded), as_of=AS_OF, stage="half_year")
    assert book.caption.startswith(f"{STAGE_NAMES['half_year']}排名 · 截至 {AS_OF}")
    assert book.sheets[0].headers[3] == FIGURE_NAMES["half_year_comp"]
    expected = cli_json("standings", "--stage", "half_year", "--as-of", AS_OF, "--db", database_url)
    table = [book.sheets[0].headers, *(row for sheet in book.sheets for row in sheet.rows)]
    assert as_standings(table) == [{k: r[k] for k in ("rank", "unit", "name", "score")} for r in expected]
    with pytest.raises(Exception, match="stage"):
        standings_sheet(recorded, build_projection(recorded), stage="weekly")


def test_figures_of_limits_the_other_units_to_their_standings_columns(recorded):
    book = standings_sheet(recorded, build_projection(recorded), as_of=AS_OF, figures_of={"D03"})
    full = standings_sheet(recorded, build_projection(recorded), as_of=AS_OF)
    for limited, every in zip(book.sheets, full.sheets, strict=True):
        for row, whole in zip(limited.rows, every.rows, strict=True):
            assert len(row) == len(whole)
            if row[1] == "D03":
                assert row == whole
            else:
                assert row[:4] == whole[:4] and set(row[4:]) == {None}


def test_the_title_row_names_stage_as_of_time_ledger_size_and_checkpoint(recorded):
    latest = recorded.notary.latest()
    size = len(recorded.log.refresh())
    assert latest is not None and latest.size == size
    for as_of, when in ((AS_OF, f"截至 {AS_OF}"), (None, "当前成绩")):
        book = standings_sheet(recorded, build_projection(recorded), as_of=as_of)
        assert book.caption == " · ".join([
            f"{STAGE_NAMES['annual']}排名", when, GENERATED, f"账本 {size} 条记录",
            f"已签名检查点：第 {latest.size} 条，根哈希 {latest.checkpoint.root_b64[:12]}…"])
        workbook = load_workbook(io.BytesIO(to_xlsx(book)))
        for group, worksheet in zip(GROUPS, workbook.worksheets, strict=True):
            assert worksheet["A1"].value == f"{GROUP_NAMES[group]} · {book.caption}"
            assert worksheet["A1"].font.bold
            columns = len(standings_headers())
            assert [str(r) for r in worksheet.merged_cells.ranges] == [f"A1:{_letter(columns)}1"]
        lines = list(csv.reader(io.StringIO(to_csv(book).decode("utf-8-sig"))))
        assert lines[0] == [book.caption]
    unit = unit_sheet(recorded, "D03", as_of=AS_OF)
    assert unit.caption.startswith(f"得分明细 · 截至 {AS_OF} · {GENERATED} · 账本 {size} 条记录")
    assert load_workbook(io.BytesIO(to_xlsx(unit))).worksheets[0]["A1"].value == \
        f"D03 县物价局 · {unit.caption}"
    assert list(csv.reader(io.StringIO(to_csv(unit).decode("utf-8-sig"))))[0] == \
        [f"D03 县物价局 · {unit.caption}"]


def _letter(n: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(n)


def test_every_worksheet_has_a_frozen_header_an_autofilter_and_a_print_set_up(recorded):
    standings = load_workbook(io.BytesIO(to_xlsx(standings_sheet(recorded, build_projection(recorded)))))
    unit = load_workbook(io.BytesIO(to_xlsx(unit_sheet(recorded, "D03"))))
    for worksheet, frozen in [*((w, "D3") for w in standings.worksheets), (unit.worksheets[0], "A3")]:
        last = worksheet.max_row
        assert worksheet.freeze_panes == frozen  # the title and header rows (and rank, code, name)
        assert worksheet.auto_filter.ref == f"A2:{_letter(worksheet.max_column)}{last}"
        assert worksheet.print_title_rows == "$1:$2"  # the title and the header on every page
        setup = worksheet.page_setup
        assert setup.orientation == "landscape" and str(setup.paperSize) == worksheet.PAPERSIZE_A4
        assert setup.fitToWidth == 1 and setup.fitToHeight == 0
        assert worksheet.sheet_properties.pageSetUpPr.fitToPage is True
        assert worksheet.print_options.gridLines
        assert "&P" in worksheet.oddFooter.center.text and "&N" in worksheet.oddFooter.center.text
    assert [w.max_row - 2 for w in standings.worksheets] == [45, 14]


def test_the_unit_sheet_is_the_explanation_tree(recorded, database_url):
    book = unit_sheet(recorded, "d03", as_of=AS_OF)
    assert len(book.sheets) == 1
    sheet = book.sheets[0]
    score = cli_json("score", "D03", "--as-of", AS_OF, "--db", database_url)
    nodes = []

    def walk(node, level):
        nodes.append((level, node))
        for child in node["children"]:
            walk(child, level + 1)

    walk(score["explanation"], 0)
    assert sheet.headers == UNIT_HEADERS and len(sheet.rows) == len(nodes)
    names = code_names(recorded.registry())  # codes with their names, as the pages (issue 28, item 11)
    assert any(row[1].strip("\u3000") != node["label"] for row, (_, node) in zip(sheet.rows, nodes))  # "C01 创城…"
    for row, (level, node) in zip(sheet.rows, nodes, strict=True):
        assert row[0] == level and row[1].strip("\u3000") == name_codes(node["label"], names)
        assert f"{row[2]:.2f}" == node["value"] and row[3] == name_codes(node["formula"], names)
        struck = [e.get("voided_by") or e.get("superseded_by") for e in node["entries"]]
        assert row[4] == ", ".join(f"#{e['seq']}" + (f"（已作废/被替代：{s}）" if s else "")
                                   for e, s in zip(node["entries"], struck, strict=True))
    assert f"{sheet.rows[0][2]:.2f}" == score["total"]
    rows = read_book(to_xlsx(book))["D03 县物价局"]
    assert rows[1] == UNIT_HEADERS and len(rows) == 2 + len(nodes)
    assert f"{rows[2][2]:.2f}" == score["total"]


def test_xlsx_has_a_frozen_header_numbers_as_numbers_and_widths():
    sheet = Sheet("排名: 测试/表", ["单位", "分值"], [["县物价局", Decimal("87.45")], ["X", Decimal("0")]])
    book = load_workbook(io.BytesIO(to_xlsx(Book("标题", [sheet, sheet]))))
    first = book.worksheets[0]
    assert len(book.worksheets) == 2 and first.title != book.worksheets[1].title
    assert first.freeze_panes == "A3"
    assert first["A1"].value == "排名: 测试/表 · 标题" and first["A2"].value == "单位"
    assert first["B3"].value == 87.45 and first["B3"].number_format == "0.00"
    assert first.column_dimensions["A"].width >= 8


def test_csv_starts_with_a_bom_and_parses(recorded):
    book = standings_sheet(recorded, build_projection(recorded), as_of=AS_OF)
    body = to_csv(book)
    assert body.startswith(b"\xef\xbb\xbf")
    table = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert table[0] == [book.caption]
    assert table[1] == ["分组", *standings_headers()] and len(table) == 2 + 59
    expected = recorded.standings_from_log(as_of=AS_OF)
    assert [row[0] for row in table[2:]] == [GROUP_NAMES[r["group"]] for r in expected]
    assert as_standings([row[1:] for row in table[1:]]) == [
        {"rank": str(r["rank"]), "unit": r["unit"], "name": r["name"], "score": r["score"]}
        for r in expected]


def test_csv_of_several_sheets_needs_one_header():
    with pytest.raises(ValueError):
        to_csv(Book("t", [Sheet("a", ["x"], []), Sheet("b", ["y"], [])]))


# -- HTTP ----------------------------------------------------------------------------------------

@pytest.fixture
def client(recorded):
    with TestClient(create_app(ledger=recorded), raise_server_exceptions=False) as client:
        yield client


def bearer(ledger, role="office", **scope):
    _, token = ledger.create_token(actor=f"{role}-reader", role=role, **scope)
    return {"Authorization": f"Bearer {token}"}


PATHS = ["/v1/exports/standings.xlsx", "/v1/exports/standings.csv",
         "/v1/exports/units/D03/score.xlsx", "/v1/exports/units/D03/score.csv"]


@pytest.mark.parametrize("path", PATHS)
def test_http_exports_are_attachments_of_the_right_type(client, recorded, path):
    response = client.get(path, params={"as_of": AS_OF}, headers=bearer(recorded, "auditor"))
    assert response.status_code == 200, response.text
    kind = path.rsplit(".", 1)[1]
    assert response.headers["content-type"].startswith(
        "text/csv" if kind == "csv" else
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    disposition = response.headers["content-disposition"]
    assert disposition.startswith("attachment; filename=\"") and "filename*=UTF-8''" in disposition
    ascii_name = disposition.split('filename="')[1].split('"')[0]
    assert ascii_name.isascii() and ascii_name.endswith(f".{kind}") and AS_OF in ascii_name
    utf8_name = unquote(disposition.split("filename*=UTF-8''")[1])
    assert ("考评排名" if "standings" in path else "县物价局") in utf8_name
    if kind == "xlsx":
        first = next(iter(read_book(response.content).values()))
        assert f"截至 {AS_OF}" in first[0][0] and first[1][0] in ("名次", "层级")
    else:
        assert response.content.startswith(b"\xef\xbb\xbf")
        assert f"截至 {AS_OF}" in response.content.decode("utf-8-sig").splitlines()[0]


def test_http_standings_export_equals_the_standings_endpoint(client, recorded):
    headers = bearer(recorded)
    for params in ({}, {"as_of": AS_OF}):
        table = read_xlsx(client.get("/v1/exports/standings.xlsx", params=params, headers=headers).content)
        rows = client.get("/v1/standings", params=params, headers=headers).json()
        assert as_standings(table) == [{k: r[k] for k in ("rank", "unit", "name", "score")} for r in rows]
    params = {"stage": "process", "as_of": AS_OF}
    response = client.get("/v1/exports/standings.xlsx", params=params, headers=headers)
    assert f"standings-process-{AS_OF}.xlsx" in response.headers["content-disposition"]
    table = read_xlsx(response.content)
    assert table[0][3] == FIGURE_NAMES["process"]
    rows = client.get("/v1/standings", params=params, headers=headers).json()
    assert as_standings(table) == [{k: r[k] for k in ("rank", "unit", "name", "score")} for r in rows]


def test_a_unit_token_reads_standings_and_its_own_sheet_only(client, recorded):
    own = bearer(recorded, "unit", unit="D03")
    assert client.get("/v1/exports/standings.csv", headers=own).status_code == 200
    assert client.get("/v1/exports/units/D03/score.csv", headers=own).status_code == 200
    assert client.get("/v1/exports/units/d03/score.xlsx", headers=own).status_code == 200
    assert client.get("/v1/exports/units/D04/score.csv", headers=own).status_code == 403
    assert client.get("/v1/exports/units/D04/score.csv",
                      headers=bearer(recorded, "leader", units=["D04"])).status_code == 200


def _figure_cells(table: list[list], offset: int) -> dict[str, list]:
    """Each unit's cells after its ranked figure (the other figures and what is missing), by code."""
    return {row[offset + 1]: row[offset + 4:] for row in table if row[offset + 1] not in (None, "单位代码")}


def _limited_to_d03(table: list[list], offset: int = 0) -> None:
    cells = _figure_cells(table, offset)
    assert len(cells) == 59 and any(value not in (None, "") for value in cells.pop("D03"))
    assert {value for row in cells.values() for value in row} <= {None, ""}


def test_a_unit_tokens_standings_exports_carry_standings_and_its_own_figures_only(client, recorded):
    """Issue 17, item 10: the other units' rank, code, name and ranked figure (what `standings`
    carries), no more; the unit's own row every figure."""
    own = bearer(recorded, "unit", unit="D03")
    for params in ({}, {"as_of": AS_OF}):
        xlsx = client.get("/v1/exports/standings.xlsx", params=params, headers=own)
        _limited_to_d03(read_xlsx(xlsx.content))
        rows = client.get("/v1/standings", params=params, headers=own).json()
        assert as_standings(read_xlsx(xlsx.content)) == [
            {k: r[k] for k in ("rank", "unit", "name", "score")} for r in rows]
        text = client.get("/v1/exports/standings.csv", params=params, headers=own).content
        _limited_to_d03(list(csv.reader(io.StringIO(text.decode("utf-8-sig"))))[2:], offset=1)
    every = read_xlsx(client.get("/v1/exports/standings.xlsx", headers=bearer(recorded, "auditor")).content)
    assert all(any(v is not None for v in row) for row in _figure_cells(every, 0).values())


def test_the_pages_standings_download_for_a_unit_token_is_limited_too(client, recorded):
    _, token = recorded.create_token(actor="D03-clerk", role="unit", unit="D03")
    assert client.post("/signin", data={"token": token, "next": "/"}).status_code == 200
    for fmt in ("xlsx", "csv"):
        response = client.get(f"/exports/standings.{fmt}")
        assert response.status_code == 200, response.text
        if fmt == "xlsx":
            _limited_to_d03(read_xlsx(response.content))
        else:
            _limited_to_d03(list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))[2:],
                            offset=1)


@pytest.mark.parametrize("path", PATHS)
def test_http_exports_need_a_token(client, path):
    assert client.get(path).status_code == 401
    assert client.get(path, headers={"Authorization": "Bearer nope"}).status_code == 401


def test_http_export_errors(client, recorded):
    headers = bearer(recorded)
    assert client.get("/v1/exports/units/ZZ9/score.csv", headers=headers).status_code == 404
    assert client.get("/v1/exports/standings.pdf", headers=headers).status_code == 422
    assert client.get("/v1/exports/standings.csv", params={"as_of": "soon"},
                      headers=headers).status_code == 422
    refused = client.get("/v1/exports/standings.xlsx", params={"stage": "weekly"}, headers=headers)
    assert refused.status_code == 422 and refused.json()["detail"]["field"] == "stage"


def test_the_sheets_import_without_the_http_module():
    """So that any module may import the sheets: they know nothing of HTTP routes (no import cycle)."""
    import subprocess
    import sys

    code = ("import sys, kaoping.api.sheets, kaoping.api.routes.exports as x; "
            "assert 'kaoping.api.http' not in sys.modules; assert x.router.routes")
    subprocess.run([sys.executable, "-c", code], check=True)


# -- the leaders' brief sheet (issue 28, item 13) ------------------------------------------------

def test_the_brief_sheet_is_rank_unit_and_the_stages_main_figures_on_a4_upright(client, recorded):
    headers = bearer(recorded)
    for stage, figures in (("annual", ["total", "indicator", "comprehensive", "bonus", "penalty"]),
                           ("half_year", ["half_year_comp", "process", "common"])):
        params = {"sheet": "brief", "stage": stage, "as_of": AS_OF}
        response = client.get("/v1/exports/standings.xlsx", params=params, headers=headers)
        assert response.status_code == 200, response.text
        assert "standings-brief" in response.headers["content-disposition"]
        workbook = load_workbook(io.BytesIO(response.content))
        assert [w.title for w in workbook.worksheets] == [GROUP_NAMES[group] for group in GROUPS]
        rows = client.get("/v1/standings", params={"stage": stage, "as_of": AS_OF}, headers=headers).json()
        for group, worksheet in zip(GROUPS, workbook.worksheets, strict=True):
            table = [list(row) for row in worksheet.iter_rows(values_only=True)]
            # the title: the county, the year, the stage and the day; no ledger size, no hash
            assert table[0][0] == f"{GROUP_NAMES[group]} · 盘县 2018 年度专项考评 · {STAGE_NAMES[stage]}排名 · 截至 {AS_OF}"
            assert "根哈希" not in table[0][0] and "账本" not in table[0][0]
            assert table[1] == ["名次", "单位", *(FIGURE_NAMES[key] for key in figures)]
            # the standings' ranks, names and figures, each figure the unit's score's
            expected = [r for r in rows if r["group"] == group]
            assert [(row[0], row[1], f"{Decimal(str(row[2])):.2f}") for row in table[2:]] == [
                (r["rank"], r["name"], r["score"]) for r in expected]
            for row, r in zip(table[2:], expected, strict=True):
                score = recorded.score(r["unit"], as_of=AS_OF)
                assert [f"{Decimal(str(v)):.2f}" for v in row[2:]] == [score[key] for key in figures]
            # A4 upright, one page wide, the title and header on every page, widths that fit
            setup = worksheet.page_setup
            assert setup.orientation == "portrait" and str(setup.paperSize) == worksheet.PAPERSIZE_A4
            assert setup.fitToWidth == 1 and setup.fitToHeight == 0
            assert worksheet.sheet_properties.pageSetUpPr.fitToPage is True
            assert worksheet.print_title_rows == "$1:$2"
            widths = [worksheet.column_dimensions[_letter(i + 1)].width for i in range(len(table[1]))]
            assert widths[:2] == [6, 26] and set(widths[2:]) == {12} and sum(widths) <= 100


def test_the_brief_sheet_withholds_what_the_full_one_does(client, recorded):
    own = bearer(recorded, "unit", unit="D03")
    body = client.get("/v1/exports/standings.xlsx", params={"sheet": "brief"}, headers=own).content
    table = read_book(body)[GROUP_NAMES["departments"]]
    names = {code: unit.name for code, unit in recorded.registry().units.items()}
    for row in table[2:]:
        if row[1] == names["D03"]:
            assert None not in row
        else:  # another unit: its rank, name and the ranked figure, nothing more
            assert row[2] is not None and row[3:] == [None] * len(row[3:])


def test_the_web_download_offers_the_brief_sheet_and_refuses_another_in_chinese(client, recorded):
    _, token = recorded.create_token(actor="审计组", role="auditor")
    assert client.post("/signin", data={"token": token, "next": "/"}, follow_redirects=False).status_code == 303
    page = client.get("/", params={"stage": "half_year", "as_of": AS_OF}).text
    assert f'href="/exports/standings.xlsx?stage=half_year&amp;as_of={AS_OF}&amp;sheet=brief"' in page
    brief = client.get("/exports/standings.xlsx", params={"stage": "half_year", "as_of": AS_OF, "sheet": "brief"})
    assert brief.status_code == 200 and "%E7%AE%80%E8%A1%A8" in brief.headers["content-disposition"]  # 简表
    wrong = client.get("/exports/standings.xlsx", params={"sheet": "short"})
    assert wrong.status_code == 422 and "表格（sheet）：没有“short”这种表格" in wrong.text
