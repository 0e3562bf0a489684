"""Spreadsheet exports (`kaoping.api.sheets`): the same figures as `standings --json` and
`score --json`, read back from .xlsx with openpyxl and from .csv; the HTTP endpoints and their roles."""

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
    FIGURE_COLUMNS,
    STANDINGS_HEADERS,
    UNIT_HEADERS,
    Sheet,
    standings_sheet,
    to_csv,
    to_xlsx,
    unit_sheet,
)
from kaoping.api.http import create_app
from kaoping.domain.labels import FIGURE_NAMES, GROUP_NAMES
from kaoping.projections.scores import ScoresProjection

AS_OF = "2018-07-31"
runner = CliRunner()


def cli_json(*args):
    result = runner.invoke(cli_app, [*args, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


@pytest.fixture
def recorded(ledger, year):
    ledger.ingest(year, actor="office")
    return ledger


def read_xlsx(body: bytes) -> list[list]:
    sheet = load_workbook(io.BytesIO(body)).worksheets[0]
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def as_standings(table: list[list]) -> list[dict]:
    """The sheet's rows in the shape of `standings --json` (score = the total's column, 2 places)."""
    headers = table[0]
    at = {h: i for i, h in enumerate(headers)}
    return [{"rank": row[at["排名"]], "unit": row[at["单位代码"]], "name": row[at["单位名称"]],
             "score": f"{Decimal(str(row[at[FIGURE_NAMES['total']]])):.2f}"} for row in table[1:]]


@pytest.mark.parametrize("as_of", [None, AS_OF])
def test_xlsx_standings_equal_the_cli_standings(recorded, database_url, as_of):
    body = to_xlsx(standings_sheet(recorded, ScoresProjection(recorded), as_of=as_of))
    table = read_xlsx(body)
    assert table[0] == STANDINGS_HEADERS
    expected = cli_json("standings", "--db", database_url, *(["--as-of", as_of] if as_of else []))
    assert as_standings(table) == [{k: r[k] for k in ("rank", "unit", "name", "score")} for r in expected]
    assert len(table) - 1 == 59


@pytest.mark.parametrize("as_of", [None, AS_OF])
def test_every_figure_of_a_unit_row_equals_its_score(recorded, database_url, as_of):
    table = read_xlsx(to_xlsx(standings_sheet(recorded, ScoresProjection(recorded), as_of=as_of)))
    row = next(r for r in table[1:] if r[1] == "D03")
    score = cli_json("score", "D03", "--db", database_url, *(["--as-of", as_of] if as_of else []))
    first = len(STANDINGS_HEADERS) - len(FIGURE_COLUMNS) - 1
    for (header, key), value in zip(FIGURE_COLUMNS, row[first:first + len(FIGURE_COLUMNS)],
                                    strict=True):
        assert isinstance(value, (int, float)), header
        assert f"{Decimal(str(value)):.2f}" == score[key], header
    assert row[-1] == ("、".join(score["pending"]) or None)


def test_rows_are_ordered_by_group_then_rank(recorded):
    sheet = standings_sheet(recorded, ScoresProjection(recorded))
    groups = [r[3] for r in sheet.rows]
    assert groups == sorted(groups, key=[GROUP_NAMES["departments"], GROUP_NAMES["towns_zones"]].index)
    for group in set(groups):
        ranks = [r[0] for r in sheet.rows if r[3] == group]
        assert ranks == sorted(ranks) and ranks[0] == 1


def test_the_unit_sheet_is_the_explanation_tree(recorded, database_url):
    sheet = unit_sheet(recorded, "d03", as_of=AS_OF)
    score = cli_json("score", "D03", "--as-of", AS_OF, "--db", database_url)
    nodes = []

    def walk(node, level):
        nodes.append((level, node))
        for child in node["children"]:
            walk(child, level + 1)

    walk(score["explanation"], 0)
    assert sheet.headers == UNIT_HEADERS and len(sheet.rows) == len(nodes)
    for row, (level, node) in zip(sheet.rows, nodes, strict=True):
        assert row[0] == level and row[1].strip("\u3000") == node["label"]
        assert f"{row[2]:.2f}" == node["value"] and row[3] == node["formula"]
        struck = [e.get("voided_by") or e.get("superseded_by") for e in node["entries"]]
        assert row[4] == ", ".join(f"#{e['seq']}" + (f"（已作废/被替代：{s}）" if s else "")
                                   for e, s in zip(node["entries"], struck, strict=True))
    assert f"{sheet.rows[0][2]:.2f}" == score["total"]


def test_xlsx_has_a_frozen_header_numbers_as_numbers_and_widths():
    sheet = Sheet("排名: 测试/表", ["单位", "分值"], [["县物价局", Decimal("87.45")], ["X", Decimal("0")]])
    book = load_workbook(io.BytesIO(to_xlsx([sheet, sheet])))
    first = book.worksheets[0]
    assert len(book.worksheets) == 2 and first.title != book.worksheets[1].title
    assert first.freeze_panes == "A2"
    assert first["B2"].value == 87.45 and first["B2"].number_format == "0.00"
    assert first.column_dimensions["A"].width >= 8


def test_csv_starts_with_a_bom_and_parses(recorded):
    body = to_csv(standings_sheet(recorded, ScoresProjection(recorded), as_of=AS_OF))
    assert body.startswith(b"\xef\xbb\xbf")
    table = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert table[0] == STANDINGS_HEADERS and len(table) == 60
    assert as_standings(table) == [{"rank": str(r["rank"]), "unit": r["unit"], "name": r["name"],
                                    "score": r["score"]} for r in recorded.standings_from_log(as_of=AS_OF)]


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
        assert read_xlsx(response.content)[0][0] in ("排名", "层级")
    else:
        assert response.content.startswith(b"\xef\xbb\xbf")


def test_http_standings_export_equals_the_standings_endpoint(client, recorded):
    headers = bearer(recorded)
    for params in ({}, {"as_of": AS_OF}):
        table = read_xlsx(client.get("/v1/exports/standings.xlsx", params=params, headers=headers).content)
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


def test_the_sheets_import_without_the_http_module():
    """So that any module may import the sheets: they know nothing of HTTP routes (no import cycle)."""
    import subprocess
    import sys

    code = ("import sys, kaoping.api.sheets, kaoping.api.routes.exports as x; "
            "assert 'kaoping.api.http' not in sys.modules; assert x.router.routes")
    subprocess.run([sys.executable, "-c", code], check=True)
