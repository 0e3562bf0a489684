"""`kaoping replay UNIT --explain`: the plain replay's rows with their date, change and actor, and
rows of type `checkpoint.due` where a checkpoint falling due moved the total with no entry; on
SQLite and PostgreSQL."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from typer.testing import CliRunner

from kaoping.api.cli import app
from kaoping.ledger.replay import explain, largest_moves


def year() -> list[dict[str, Any]]:
    return [
        {"id": "t1", "type": "task.assigned", "unit": "D03", "task": "T1", "title": "价格监测",
         "level": "own", "method": "veto", "checkpoints": [{"checkpoint": "Q1", "due": "2018-03-31"}],
         "recorded_at": "2018-01-10T10:00:00+08:00"},
        {"id": "c1", "type": "common.scored", "unit": "D03", "indicator": "C02", "score": "80",
         "recorded_at": "2018-02-01T10:00:00+08:00"},
        # nothing reported by 31 March: the deduction comes then, not with this later entry
        {"id": "c2", "type": "common.scored", "unit": "D03", "indicator": "C03", "score": "70",
         "recorded_at": "2018-05-01T10:00:00+08:00"},
    ]


def test_a_checkpoint_falling_due_is_a_row_of_its_own(ledger: Any) -> None:
    ledger.ingest(year(), actor="office")
    rows = explain(ledger.reader, "D03")
    plain = ledger.replay("D03")
    assert [{k: r[k] for k in ("seq", "id", "type", "total")} for r in rows
            if r["type"] != "checkpoint.due"] == plain
    (due,) = [r for r in rows if r["type"] == "checkpoint.due"]
    assert due["date"] == "2018-03-31" and due["checkpoints"] == ["T1/Q1"]
    assert Decimal(due["delta"]) < 0  # the missed report's deduction, at its due date
    after = rows[rows.index(due) + 1]
    assert after["id"] == "c2" and after["date"] == "2018-05-01" and after["actor"] == "office"
    c2_alone = Decimal(after["total"]) - Decimal(due["total"])
    assert Decimal(after["delta"]) == c2_alone  # c2 carries its own change only
    assert sum(Decimal(r["delta"]) for r in rows) == Decimal(rows[-1]["total"])
    assert rows[-1]["total"] == ledger.score("D03")["total"]
    assert due in largest_moves(rows)


def test_the_command_line_and_the_plain_replay(ledger: Any, database_url: str) -> None:
    ledger.ingest(year(), actor="office")
    runner = CliRunner()
    explained = json.loads(runner.invoke(app, ["replay", "D03", "--explain", "--json", "--db", database_url]).stdout)
    assert any(r["type"] == "checkpoint.due" for r in explained)
    plain = json.loads(runner.invoke(app, ["replay", "D03", "--json", "--db", database_url]).stdout)
    assert all(set(r) == {"seq", "id", "type", "total"} for r in plain)  # the contract's shape
    table = runner.invoke(app, ["replay", "D03", "--explain", "--db", database_url])
    assert table.exit_code == 0 and "节点到期" in table.stdout and "T1/Q1" in table.stdout
