"""Imports of spreadsheets (ledger/imports.py, api/imports.py; docs/commands.md §10.3) on both
stores: the demo year written out through the templates and imported gives the standings its JSON
gives; the same sheets as GB18030 CSV too; a second import appends nothing; a changed row names the
entry's seq; a node result a unit reported through the pages is reconciled; errors are all listed."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kaoping.api.bootstrap import build_ledger
from kaoping.api.imports import run_import
from kaoping.api.templates import fill, template_book
from kaoping.demo.year import demo_year
from kaoping.domain.principals import OFFICE, Principal
from kaoping.domain.sheets_in import COLUMNS, KINDS
from kaoping.ledger.application import Ledger
from kaoping.ledger.settings import Settings
from conftest import scratch_database
from tests.sheet_rows import as_csv, demo_subset, sheet_rows

YEAR = demo_year(7)


def submit_to(ledger: Ledger) -> Any:
    return lambda commands, who: ledger.ingest(list(commands), actor=who.actor, principal=who)


def sheet(ledger: Ledger, kind: str, commands: list[dict[str, Any]], fmt: str = "xlsx") -> bytes:
    known = ledger.import_known(OFFICE)
    heads, rows = sheet_rows(kind, commands, known)
    if fmt == "xlsx":
        return fill(kind, known, rows, extra_headers=heads)
    return as_csv(heads or [c.header for c in COLUMNS[kind]], rows, fmt)


def imported(ledger: Ledger, kind: str, data: bytes, name: str = "sheet.xlsx", *, dry_run: bool = False,
             who: Principal = OFFICE) -> dict[str, Any]:
    return run_import(ledger, submit_to(ledger), kind, data, name, who, dry_run=dry_run).as_json()


def standings(ledger: Ledger) -> list[Any]:
    return [ledger.standings_from_log(stage=stage) for stage in ("process", "half_year", "annual")]


@pytest.fixture
def reference_url(request: pytest.FixtureRequest, database_url: str, tmp_path: Path) -> Iterator[str]:
    """A second ledger's database on the same store as `database_url`."""
    if database_url.startswith("sqlite:///"):
        yield f"sqlite:///{tmp_path / 'reference.db'}"
        return
    with scratch_database(request.getfixturevalue("postgres_admin")) as url:
        yield url


#: the standings of the same commands ingested as JSON, per store: made once by this process, then
#: compared with every format's import (the clock is the fixture's, the same for each)
_BY_JSON: dict[str, list[Any]] = {}


def _standings_by_json(reference_url: str, clock: Any, tmp_path: Path) -> list[Any]:
    store = reference_url.split(":", 1)[0]
    if store not in _BY_JSON:
        # a key of its own: a key signs one log
        by_json = build_ledger(Settings(database_url=reference_url,
                                        signing_key=str(tmp_path / "reference.signing-key")), clock=clock)
        try:
            by_json.init()
            for kind in KINDS:
                by_json.ingest(demo_subset(kind, YEAR), actor="office")
            _BY_JSON[store] = standings(by_json)
        finally:
            by_json.close()
    return _BY_JSON[store]


@pytest.mark.parametrize("fmt", ["xlsx", "gb18030"])
def test_the_demo_year_through_sheets_gives_the_standings_of_its_json(
        ledger: Ledger, reference_url: str, clock: Any, tmp_path: Path, fmt: str) -> None:
    by_sheets = ledger
    for kind in KINDS:
        subset = demo_subset(kind, YEAR)
        answer = imported(by_sheets, kind, sheet(by_sheets, kind, subset, fmt), f"{kind}.{fmt}")
        assert answer["errors"] == [], (kind, answer["errors"][:3])
        assert answer["applied"] and answer["appended"] == len(subset), kind
    assert standings(by_sheets) == _standings_by_json(reference_url, clock, tmp_path)


def test_a_second_import_appends_nothing_and_says_so(ledger: Ledger) -> None:
    tasks = demo_subset("tasks", YEAR)[:30]
    data = sheet(ledger, "tasks", tasks)
    first = imported(ledger, "tasks", data)
    size = len(ledger.entries())
    again = imported(ledger, "tasks", data)
    assert first["appended"] == 30 and again["applied"] and again["appended"] == 0
    assert again["duplicates"] == 30 and len(ledger.entries()) == size
    # the same rows saved as CSV (another file): still the same content, still nothing appended
    csv_again = imported(ledger, "tasks", sheet(ledger, "tasks", tasks, "utf-8-sig"), "tasks.csv")
    assert csv_again["errors"] == [] and csv_again["appended"] == 0 and len(ledger.entries()) == size


def test_every_command_points_at_its_row_of_the_stored_sheet(ledger: Ledger) -> None:
    tasks = demo_subset("tasks", YEAR)[:3]
    data = sheet(ledger, "tasks", tasks)
    answer = imported(ledger, "tasks", data, "任务清单.xlsx")
    stored = ledger.stored_file(answer["file_sha256"])
    assert stored is not None and stored.name == "任务清单.xlsx"
    rows = [e.payload["source"] for e in ledger.entries() if e.type == "task.assigned"]
    assert rows[0] == {"file": answer["file_sha256"], "sheet": "任务清单", "row": 3}
    assert [r["row"] for r in rows] == [3, 3 + len(tasks[0]["checkpoints"]),
                                       3 + len(tasks[0]["checkpoints"]) + len(tasks[1]["checkpoints"])]
    listed = ledger.imported_sheets()
    assert listed[0]["sha256"] == answer["file_sha256"] and listed[0]["commands"] == 3


def test_a_changed_row_of_a_recorded_key_names_the_entry(ledger: Ledger) -> None:
    tasks = demo_subset("tasks", YEAR)[:2]
    imported(ledger, "tasks", sheet(ledger, "tasks", tasks))
    seq = next(e.seq for e in ledger.entries() if e.type == "task.assigned")
    changed = [{**tasks[0], "title": "改过的名称"}, tasks[1]]
    size = len(ledger.entries())
    answer = imported(ledger, "tasks", sheet(ledger, "tasks", changed))
    assert [e["code"] for e in answer["errors"]] == ["import.recorded_differs"]
    assert f"第 {seq} 条" in answer["errors"][0]["message"] and answer["errors"][0]["row"] == 3
    assert not answer["applied"] and len(ledger.entries()) == size


def test_node_results_reported_through_the_pages_are_reconciled(ledger: Ledger) -> None:
    task = next(c for c in demo_subset("tasks", YEAR) if c["unit"] == "D03")
    ledger.ingest([task], actor="office")
    first, second = task["checkpoints"][:2]
    unit = Principal(actor="D03", role="unit", unit="D03")
    ledger.ingest([{"id": "web-report-1", "type": "checkpoint.reported", "unit": "D03", "task": task["task"],
                    "checkpoint": first["checkpoint"], "reported_on": "2018-03-01", "completed": True},
                   {"id": "web-report-2", "type": "checkpoint.reported", "unit": "D03", "task": task["task"],
                    "checkpoint": second["checkpoint"], "reported_on": "2018-06-01", "completed": True}],
                  actor="D03", principal=unit)
    rows = [{"unit": "D03", "task": task["task"], "checkpoint": first["checkpoint"], "reported_on": "2018-03-01",
             "completed": True, "recorded_at": "2018-03-02T09:00:00+08:00"},
            {"unit": "D03", "task": task["task"], "checkpoint": second["checkpoint"], "reported_on": "2018-06-01",
             "completed": False, "recorded_at": "2018-06-02T09:00:00+08:00"}]
    size = len(ledger.entries())
    answer = imported(ledger, "node_results", sheet(ledger, "node_results", rows))
    assert answer["duplicates"] == 1
    assert [(e["code"], e["row"]) for e in answer["errors"]] == [("import.report_differs", 4)]
    assert "是否完成" in answer["errors"][0]["message"] and len(ledger.entries()) == size


def test_every_error_is_listed_by_sheet_row_and_column_and_nothing_appended(ledger: Ledger) -> None:
    tasks = demo_subset("tasks", YEAR)[:2]
    ledger.ingest(tasks, actor="office")
    task = tasks[0]
    cps = task["checkpoints"]
    rows = [{"unit": task["unit"], "task": task["task"], "checkpoint": cps[0]["checkpoint"], "reported_on": "31/07",
             "completed": True, "recorded_at": "2018-08-01T09:00:00+08:00"},
            {"unit": "X99", "task": task["task"], "checkpoint": cps[1]["checkpoint"], "reported_on": "2018-07-01",
             "completed": True, "recorded_at": "2018-08-01T09:00:00+08:00"},
            {"unit": task["unit"], "task": task["task"], "checkpoint": "NOPE", "reported_on": "2018年7月31日",
             "completed": True, "recorded_at": "2018-08-01T09:00:00+08:00"}]
    size = len(ledger.entries())
    answer = imported(ledger, "node_results", sheet(ledger, "node_results", rows))
    found = [(e["row"], e["column"], e["code"]) for e in answer["errors"]]
    assert (3, "E", "import.date_no_year") in found and (4, "A", "import.unit_unknown") in found
    assert any(row == 5 for row, _, _ in found)  # the unknown checkpoint, refused by the write path's rules
    assert not answer["applied"] and len(ledger.entries()) == size


def test_a_dry_run_lists_the_figures_it_would_move_and_appends_nothing(ledger: Ledger) -> None:
    tasks = [c for c in demo_subset("tasks", YEAR) if c["unit"] == "D03"]
    ledger.ingest(tasks, actor="office")
    reports = [c for c in demo_subset("node_results", YEAR) if c["unit"] == "D03"][:4]
    size = len(ledger.entries())
    answer = imported(ledger, "node_results", sheet(ledger, "node_results", reports), dry_run=True)
    assert answer["errors"] == [] and not answer["applied"] and answer["commands"] == 4
    assert {m["unit"] for m in answer["moves"]} == {"D03"} and any(m["figure"] == "process" for m in answer["moves"])
    assert len(ledger.entries()) == size and ledger.stored_file(answer["file_sha256"]) is None


def test_a_template_is_read_back_as_nothing_to_import(ledger: Ledger) -> None:
    for kind in KINDS:
        answer = imported(ledger, kind, template_book(kind, ledger.import_known(OFFICE), OFFICE), f"{kind}.xlsx")
        assert answer["errors"] == [] and answer["rows"] == 0 and answer["commands"] == 0, kind


def test_over_the_batch_limit_is_one_error_naming_it(make_ledger: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KAOPING_MAX_BATCH_COMMANDS", "20")
    ledger = make_ledger()
    ledger.init()
    rows = [{"unit": "D03", "task": "P1", "checkpoint": f"C{n}", "reported_on": "2018-07-01", "completed": True}
            for n in range(21)]
    answer = imported(ledger, "node_results", as_csv([c.header for c in COLUMNS["node_results"]],
                                                      sheet_rows("node_results", rows, ledger.import_known(OFFICE))[1],
                                                      "utf-8"), "big.csv")
    assert [e["code"] for e in answer["errors"]] == ["import.too_many_rows"]
    assert "20" in answer["errors"][0]["message"] and "21" in answer["errors"][0]["message"]


def test_a_role_imports_only_its_kinds(ledger: Ledger) -> None:
    from kaoping.domain.errors import Forbidden

    unit = Principal(actor="D03", role="unit", unit="D03")
    with pytest.raises(Forbidden):
        imported(ledger, "tasks", b"x", who=unit)


def test_over_http_a_sheet_is_previewed_then_appended_and_a_template_downloaded(ledger: Ledger) -> None:
    from fastapi.testclient import TestClient

    from kaoping.api.http import create_app

    token = ledger.create_token(actor="县考核办", role="office")[1]
    unit_token = ledger.create_token(actor="D03", role="unit", unit="D03")[1]
    tasks = demo_subset("tasks", YEAR)[:5]
    data = sheet(ledger, "tasks", tasks)
    auth = {"Authorization": f"Bearer {token}"}
    with TestClient(create_app(ledger=ledger)) as client:
        template = client.get("/v1/templates/ballot.xlsx", headers={"Authorization": f"Bearer {unit_token}"})
        assert template.status_code == 200 and template.content.startswith(b"PK")
        size = len(ledger.entries())
        files = {"file": ("任务清单.xlsx", data, "application/octet-stream")}
        preview = client.post("/v1/imports?kind=tasks&dry_run=true", headers=auth, files=files)
        assert preview.status_code == 200 and preview.json()["applied"] is False and len(ledger.entries()) == size
        done = client.post("/v1/imports?kind=tasks", headers=auth, files=files)
        assert done.status_code == 201 and len(done.json()["results"]) == 5
        again = client.post("/v1/imports?kind=tasks", headers=auth, files=files)
        assert again.status_code == 200 and again.json()["results"][0]["duplicate"] is True
        refused = client.post("/v1/imports?kind=tasks", headers={"Authorization": f"Bearer {unit_token}"},
                              files=files)
        assert refused.status_code == 403
        bad = client.post("/v1/imports?kind=tasks", headers=auth,
                          files={"file": ("x.csv", "单位代码（unit）,任务编号（task）\nX99,P1\n".encode("gb18030"),
                                          "text/csv")})
        assert bad.status_code == 422 and bad.json()["errors"]


def test_over_http_bad_files_are_named_and_nothing_is_appended(make_ledger: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from fastapi.testclient import TestClient

    from kaoping.api.http import create_app

    monkeypatch.setenv("KAOPING_MAX_FILE_BYTES", str(64 * 1024))
    ledger = make_ledger()
    ledger.init()
    auth = {"Authorization": f"Bearer {ledger.create_token(actor='县考核办', role='office')[1]}"}
    size = len(ledger.entries())
    with TestClient(create_app(ledger=ledger)) as client:
        big = client.post("/v1/imports?kind=tasks", headers=auth,
                          files={"file": ("big.csv", b"a,b\n" * 40_000, "text/csv")})
        assert big.status_code == 413
        page = client.post("/v1/imports?kind=tasks", headers=auth,
                           files={"file": ("x.html", b"<html><script>alert(1)</script></html>", "text/html")})
        assert page.status_code == 415
        unknown = client.post("/v1/imports?kind=salaries", headers=auth,
                              files={"file": ("x.csv", b"a,b\n", "text/csv")})
        assert unknown.status_code == 422
        pdf = client.post("/v1/imports?kind=tasks", headers=auth,
                          files={"file": ("x.pdf", b"%PDF-1.4\n" + b"\x00\x01" * 100 + b"\n%%EOF\n", "application/pdf")})
        assert pdf.status_code == 422 and pdf.json()["detail"]["code"] == "import.not_sheet"
    assert len(ledger.entries()) == size


def test_an_assessment_body_imports_scores_of_its_own_indicators_only(ledger: Ledger) -> None:
    from openpyxl import load_workbook

    body = Principal(actor="县政府办公室", role="assessor", indicators=frozenset({"C05"}))
    known = ledger.import_known(body)
    template = load_workbook(io.BytesIO(template_book("common_scores", known, body)), read_only=True)
    header = next(template.worksheets[0].iter_rows(min_row=2, max_row=2, values_only=True))
    assert [h for h in header if h and h.startswith("C")] == ["C05 处理投诉事件"]
    heads = [c.header for c in COLUMNS["common_scores"]] + ["C05 处理投诉事件", "C06 " + known.indicators["C06"]]
    rows = [["D03", None, None, 92, None], ["D04", None, None, 88, 75]]
    answer = imported(ledger, "common_scores", fill("common_scores", known, rows, extra_headers=heads), who=body)
    assert [(e["row"], e["column"], e["code"]) for e in answer["errors"]] == [(4, "E", "role.assessor_indicators")]
    rows[1][4] = None
    answer = imported(ledger, "common_scores", fill("common_scores", known, rows, extra_headers=heads), who=body)
    assert answer["errors"] == [] and answer["appended"] == 2
    assert {e.actor for e in ledger.entries() if e.type == "common.scored"} == {"县政府办公室"}


def test_a_rater_imports_its_own_ballot_its_kind_and_name_from_its_token(ledger: Ledger) -> None:
    from openpyxl import load_workbook

    unit = Principal(actor="D03", role="unit", unit="D03")
    known = ledger.import_known(unit)
    book = load_workbook(io.BytesIO(template_book("ballot", known, unit)), read_only=True)
    listed = [row[4] for row in book.worksheets[0].iter_rows(min_row=3, values_only=True) if row[4]]
    assert listed and all(known.units[code][1] == "towns_zones" for code in listed)  # the other group only
    rows = [["半年综合评价", None, None, "镇、街道及经济园区", code, None, rank, None]
            for rank, code in enumerate(listed[:3], start=1)]
    answer = imported(ledger, "ballot", fill("ballot", known, rows), who=unit)
    assert answer["errors"] == [] and answer["appended"] == 1
    [ballot] = {e.id: e for e in ledger.entries() if e.type == "ballot.cast"}.values()  # an entry a stream
    assert ballot.payload["kind"] == "mutual" and ballot.payload["rater"] == "D03"
    assert ballot.payload["ranking"] == listed[:3]


def test_the_command_line_writes_a_template_and_imports_a_sheet(database_url: str, tmp_path: Path) -> None:
    import json

    from typer.testing import CliRunner

    from kaoping.api.cli import app

    runner = CliRunner()
    assert runner.invoke(app, ["init", "--db", database_url]).exit_code == 0
    template = tmp_path / "任务清单.xlsx"
    made = runner.invoke(app, ["template", "tasks", "--group", "departments", "--out", str(template), "--db", database_url])
    assert made.exit_code == 0 and template.read_bytes().startswith(b"PK")
    tasks = [c for c in demo_subset("tasks", YEAR) if c["unit"] == "D03"]
    from kaoping.api.bootstrap import build_ledger

    ledger = build_ledger(Settings(database_url=database_url))
    try:
        sheet_file = tmp_path / "d03.xlsx"
        sheet_file.write_bytes(sheet(ledger, "tasks", tasks))
    finally:
        ledger.close()
    dry = runner.invoke(app, ["import", str(sheet_file), "--kind", "tasks", "--dry-run", "--json", "--db", database_url])
    assert dry.exit_code == 0, dry.output
    answer = json.loads(dry.output)
    assert answer["applied"] is False and answer["commands"] == len(tasks) and answer["errors"] == []
    done = runner.invoke(app, ["import", str(sheet_file), "--kind", "tasks", "--db", database_url])
    assert done.exit_code == 0 and f"新登记 {len(tasks)} 条" in done.output
    again = runner.invoke(app, ["import", str(sheet_file), "--kind", "tasks", "--db", database_url])
    assert again.exit_code == 0 and "已全部登记过" in again.output
    broken = tmp_path / "broken.csv"
    broken.write_bytes("单位代码（unit）,任务编号（task）\nX99,P1\n".encode("gb18030"))
    refused = runner.invoke(app, ["import", str(broken), "--kind", "tasks", "--db", database_url])
    assert refused.exit_code == 1 and "未写入任何内容" in refused.output


def test_the_row_limit_counts_data_rows_only(make_ledger: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KAOPING_MAX_BATCH_COMMANDS", "20")
    ledger = make_ledger()
    ledger.init()
    ledger.ingest([{"id": "t", "type": "task.assigned", "unit": "D03", "task": "P1", "title": "任务", "level": "own",
                    "method": "veto", "checkpoints": [{"checkpoint": f"C{n}", "due": "2019-12-31"} for n in range(20)]}],
                  actor="office")
    rows = [{"unit": "D03", "task": "P1", "checkpoint": f"C{n}", "reported_on": "2019-01-14", "completed": True}
            for n in range(20)]
    answer = imported(ledger, "node_results", sheet(ledger, "node_results", rows))  # a title, a header, 20 rows
    assert answer["errors"] == [] and answer["appended"] == 20
