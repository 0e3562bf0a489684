"""domain/due.py and ledger/supervision.py (督办, docs/scheme.md §11): each checkpoint's status,
light and points at stake, in memory; the demo year's board as of 2018-06-20 against an independent
reading of its commands; `GET /v1/due` as each role may see it."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient
from scoring_helpers import SCHEME, TZ, UNITS, ScoringLog, end_of

from kaoping.api.http import create_app
from conftest import demo_copy
from kaoping.demo import demo_year
from kaoping.domain.due import due_items
from kaoping.domain.scoring import Resolution, make_cutoff

TODAY = "2018-03-20"


def items_of(log: ScoringLog, unit: str = "D01", today: str = TODAY, within: int = 7) -> dict[str, Any]:
    cutoff = make_cutoff(log.entries, as_of=end_of(today), tz=TZ, today=date.fromisoformat(today))
    resolved = Resolution(log.entries, cutoff, cite=False)
    return {f"{i.task}/{i.checkpoint}": i for i in due_items(UNITS[unit], resolved, cutoff, SCHEME, within)}


def test_due_unreported_checkpoints_by_days_left() -> None:
    log = ScoringLog()
    log.task("D01", "T1", level="own", method="direct_deduction",
             checkpoints=[("K1", "2018-03-10"), ("K2", "2018-03-20"), ("K3", "2018-03-27"), ("K4", "2018-03-28")])
    items = items_of(log)
    assert [(i.status, i.light, i.days, i.points_at_stake) for i in items.values()] == [
        ("overdue", "red", -10, Decimal(1)),       # 未报 now costs 2; a late report would cost 1
        ("due_soon", "yellow", 0, Decimal(2)),     # due today: reported today it is on time
        ("due_soon", "yellow", 7, Decimal(2)),
        ("upcoming", "green", 8, Decimal(2))]
    assert items_of(log, within=8)["T1/K4"].status == "due_soon"


def test_due_reported_checkpoints_and_the_evidence_of_important_tasks() -> None:
    log = ScoringLog()
    log.task("D01", "T1", level="own", method="direct_deduction", important=True,
             checkpoints=[("K1", "2018-03-01"), ("K2", "2018-03-05"), ("K3", "2018-03-10"), ("K4", "2018-03-12")])
    log.report("D01", "T1", "K1", "2018-03-01")
    log.report("D01", "T1", "K2", "2018-03-07")
    log.report("D01", "T1", "K3", "2018-03-10", completed=False)
    log.report("D01", "T1", "K4", "2018-03-12", quality="poor")
    log.add("evidence.submitted", unit="D01", evidence="E1", task="T1", checkpoint="K1", title="报告",
            sha256="a" * 64, at="2018-03-02")
    log.add("evidence.verified", unit="D01", evidence="E1", outcome="confirmed", method="online",
            verified_on="2018-03-03", at="2018-03-03")
    items = items_of(log)
    assert [(i.status, i.light, i.points_at_stake) for i in items.values()] == [
        ("reported", "green", 0), ("reported_late", "yellow", 0), ("not_completed", "yellow", 0),
        ("not_completed", "yellow", 0)]  # important with no evidence: yellow
    assert (items["T1/K1"].evidence_submitted, items["T1/K1"].evidence_verified) == (1, 1)


def test_due_a_voided_report_is_unreported_and_a_withdrawn_task_stops_listing() -> None:
    log = ScoringLog()
    log.task("D01", "T1", level="own", method="direct_deduction", checkpoints=[("K1", "2018-03-01")])
    log.task("D01", "T2", level="own", method="direct_deduction",
             checkpoints=[("K1", "2018-03-01"), ("K2", "2018-04-01")])
    report = log.report("D01", "T1", "K1", "2018-03-01")
    log.void(report, at="2018-03-05")
    log.add("task.withdrawn", unit="D01", task="T2", reason="上级统筹", at="2018-03-06")
    items = items_of(log)
    assert items["T1/K1"].status == "overdue"
    assert set(items) == {"T1/K1", "T2/K1"}  # T2/K2 falls due after the withdrawal: not judged
    # and as known before the void, the report stood
    assert items_of(log, today="2018-03-04")["T1/K1"].status == "reported"


# -- the demo year, read independently of the scoring -------------------------------------------

def independent_board(commands: list[dict[str, Any]], as_of: date, within: int) -> dict[str, dict[str, str]]:
    """Each unit's red and yellow checkpoints as of `as_of`, from the commands alone: standing task
    assignments minus withdrawals, the latest standing report per checkpoint (voids undone)."""
    known = [c for c in commands if date.fromisoformat(c["recorded_at"][:10]) <= as_of]
    voided = {c["target"] for c in known if c["type"] == "entry.voided"}
    voided |= {f["target"] for f in known if f["type"] == "dispute.filed" and any(
        r["type"] == "dispute.resolved" and r["dispute"] == f["dispute"] and r["outcome"] == "upheld"
        for r in known)}
    tasks = {(c["unit"], c["task"]): c for c in known if c["type"] == "task.assigned" and c["id"] not in voided}
    withdrawn = {(c["unit"], c["task"]): date.fromisoformat(c["recorded_at"][:10])
                 for c in known if c["type"] == "task.withdrawn" and c["id"] not in voided}
    reported = {(c["unit"], c["task"], c["checkpoint"]) for c in known
                if c["type"] == "checkpoint.reported" and c["id"] not in voided}
    board: dict[str, dict[str, str]] = {}
    for (unit, task), assignment in tasks.items():
        for cp in assignment.get("checkpoints", []):
            due = date.fromisoformat(cp["due"])
            if (unit, task) in withdrawn and due > withdrawn[(unit, task)]:
                continue
            if (unit, task, cp["checkpoint"]) in reported:
                continue
            if due < as_of:
                board.setdefault(unit, {})[f"{task}/{cp['checkpoint']}"] = "red"
            elif (due - as_of).days <= within:
                board.setdefault(unit, {})[f"{task}/{cp['checkpoint']}"] = "yellow"
    return board


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory, demo_recorded: Any) -> Any:
    from kaoping.api.bootstrap import build_ledger
    from kaoping.ledger.settings import Settings

    ledger = build_ledger(Settings(database_url=demo_copy(demo_recorded, tmp_path_factory.mktemp("due"))))
    commands = demo_year()
    yield ledger, commands
    ledger.close()


def test_due_the_demo_board_of_2018_06_20_is_what_the_commands_imply(demo: Any) -> None:
    ledger, commands = demo
    document = ledger.due(as_of="2018-06-20")
    board = {row["unit"]: {f"{i['task']}/{i['checkpoint']}": i["light"] for i in row["items"]
                           if i["light"] != "green" and i["status"] in ("overdue", "due_soon")}
             for row in document["units"]}
    assert {unit: items for unit, items in board.items() if items} == \
        independent_board(commands, date(2018, 6, 20), document["within"])
    assert document["within"] == 7 and document["as_of"] == "2018-06-20"
    reds = [row["red"] for row in document["units"]]
    assert reds == sorted(reds, reverse=True) and reds[0] > 0  # reddest first


def test_due_refuses_a_future_day_and_a_within_out_of_range(demo: Any) -> None:
    from kaoping.domain.errors import InvalidCommand

    ledger, _ = demo
    future = (ledger.today() + timedelta(days=1)).isoformat()
    with pytest.raises(InvalidCommand) as refused:
        ledger.due(as_of=future)
    assert refused.value.code == "due.as_of_future"
    with pytest.raises(InvalidCommand) as refused:
        ledger.due(within=10_000)
    assert refused.value.field == "within"


def test_due_over_http_each_role_sees_its_own(demo: Any) -> None:
    ledger, _ = demo
    tokens = {"unit": ledger.create_token(actor="物价局经办人", role="unit", unit="D03")[1],
              "leader": ledger.create_token(actor="副县长", role="leader", units=["D03", "D05"])[1],
              "auditor": ledger.create_token(actor="审计组", role="auditor")[1]}
    with TestClient(create_app(ledger=ledger)) as client:
        def get(role: str, query: str = "") -> Any:
            return client.get(f"/v1/due?as_of=2018-06-20{query}", headers={"Authorization": f"Bearer {tokens[role]}"})

        assert [row["unit"] for row in get("unit").json()["units"]] == ["D03"]
        assert sorted(row["unit"] for row in get("leader").json()["units"]) == ["D03", "D05"]
        assert len(get("auditor").json()["units"]) == len(UNITS)
        assert get("unit", "&unit=D04").status_code == 403
        assert get("leader", "&unit=D04").json()["detail"]["code"] == "due.outside_charge"
        assert get("auditor", "&within=-1").status_code == 422
        assert get("auditor", "&unit=D04").json()["units"][0]["unit"] == "D04"


def test_due_views_are_made_once_per_log_position_and_follow_every_append(ledger: Any, year: list[dict[str, Any]]) -> None:
    """What readers derive from a due document (the JSON bytes, the board's rows) is kept with it:
    made once while nothing is appended, made again after an append, and always what the document
    of that moment gives — over HTTP, the body is the document of now, the board page its lights."""
    import json

    ledger.ingest([c for c in year if c["type"] == "task.assigned"], actor="office")
    made: list[int] = []

    def count(document: dict[str, Any]) -> int:
        made.append(1)
        return sum(row["red"] for row in document["units"])

    first = ledger.due_view("reds", count)
    assert ledger.due_view("reds", count) == first and len(made) == 1
    assert ledger.due_view("reds", count, units=["D03"]) == first and len(made) == 2  # another document
    office = ledger.create_token(actor="县考评办", role="office")[1]
    with TestClient(create_app(ledger=ledger)) as client:
        headers = {"Authorization": f"Bearer {office}"}
        assert client.get("/v1/due", headers=headers).json() == json.loads(json.dumps(ledger.due()))
        client.post("/signin", data={"token": office, "next": "/board"})
        before = client.get("/board?within=366").text
        assert 'data-item="P1/Q1" data-light="red"' in before
        report = {"id": "rep-q1", "type": "checkpoint.reported", "unit": "D03", "task": "P1", "checkpoint": "Q1",
                  "reported_on": "2018-03-30", "completed": True}
        assert client.post("/v1/commands", json=[report], headers=headers).status_code == 201
        assert ledger.due_view("reds", count) == first - 1 and len(made) == 3
        answer = client.get("/v1/due", headers=headers).json()
        assert answer == json.loads(json.dumps(ledger.due()))
        lights = {(i["task"], i["checkpoint"]): i["light"] for row in answer["units"] for i in row["items"]}
        assert lights[("P1", "Q1")] != "red"
        assert 'data-item="P1/Q1" data-light="red"' not in client.get("/board?within=366").text
