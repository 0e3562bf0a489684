"""Issue 14, "Rules that cannot be bent": findings 5–8 of the trials, each as it was found.

5. short ballots (docs/scheme.md §5: an office ballot ranks every unit of its group, a leader token's
   ballot every unit of that group in its charge); 6. a manual P8 on top of the derived one (§3.1);
7. `annual_individual` includes the task-load bonus (docs/commands.md §4, `score`); 8. loose input.
The scheme's findings (1–4) are in `test_scheme_amendments.py`. Ledger tests run on SQLite and
PostgreSQL through the `ledger` fixture.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from kaoping.api.cli import app as cli_app
from kaoping.api.http import create_app
from kaoping.domain.commands import parse_command
from kaoping.domain.errors import InvalidCommand
from kaoping.domain.labels import DOUBLE_P8
from kaoping.ledger.writer import BatchRejected

from scoring_helpers import ScoringLog

SHA = "ef" * 32
DEPARTMENTS = [f"D{n:02d}" for n in range(1, 46)]
TOWNS_ZONES = [f"T{n:02d}" for n in range(1, 11)] + [f"Z{n:02d}" for n in range(1, 5)]


def refused(ledger: Any, *commands: dict[str, Any], field: str) -> BatchRejected:
    before = ledger.verify()["entries"]
    with pytest.raises(BatchRejected) as info:
        ledger.ingest(list(commands), actor="office")
    assert info.value.error.field == field, info.value.error.message
    assert ledger.verify()["entries"] == before
    return info.value


def ballot(cid: str, kind: str, rater: str, ranking: list[str], group: str = "departments",
           round: str = "half_year") -> dict[str, Any]:
    return {"id": cid, "type": "ballot.cast", "round": round, "kind": kind, "rater": rater,
            "group": group, "ranking": ranking}


def bearer(ledger: Any, role: str, actor: str, **scope: Any) -> dict[str, str]:
    _, token = ledger.create_token(actor=actor, role=role, **scope)
    return {"Authorization": f"Bearer {token}"}


# -- 5. short ballots -------------------------------------------------------------------------------

def test_5_an_office_ballot_ranking_2_of_45_departments_is_refused_naming_the_units_left_out(ledger):
    error = refused(ledger, ballot("o-short", "office", "领导小组办公室", ["D01", "D02"]),
                    field="ranking").error
    assert "D03" in error.message and "D45" in error.message and "D01" not in error.message
    assert "43" in error.message  # how many were left out
    ledger.ingest([ballot("o-full", "office", "领导小组办公室", DEPARTMENTS)], actor="office")
    assert ledger.score("D02")["half_year_comp"] == "10.00"  # 2nd of 45 → 100 × office 0.10


def test_5_an_office_ballot_of_the_towns_and_zones_ranks_all_14(ledger):
    refused(ledger, ballot("o-t", "office", "领导小组办公室", TOWNS_ZONES[:-1], group="towns_zones"),
            field="ranking")
    ledger.ingest([ballot("o-t", "office", "领导小组办公室", TOWNS_ZONES, group="towns_zones")],
                  actor="office")


def test_5_a_leader_tokens_ballot_ranking_1_of_its_3_units_is_refused(ledger):
    leader = bearer(ledger, "leader", "副县长甲", units=["D03", "D04", "D05", "T01"])
    with TestClient(create_app(ledger=ledger)) as client:
        short = client.post("/v1/commands", headers=leader,
                            json=[ballot("l-1", "leader", "副县长甲", ["D03"])])
        assert short.status_code == 422, short.text
        detail = short.json()["detail"]
        assert detail["field"] == "ranking" and "D04" in detail["message"] and "D05" in detail["message"]
        assert "T01" not in detail["message"]  # another group's unit of the charge is not asked for
        full = client.post("/v1/commands", headers=leader,
                           json=[ballot("l-1", "leader", "副县长甲", ["D04", "D03", "D05"]),
                                 ballot("l-2", "leader", "副县长甲", ["T01"], group="towns_zones")])
        assert full.status_code == 201, full.text
    assert ledger.score("D03")["half_year_comp"] == "54.00"  # 2nd of 3 → 90 × leaders 0.60


def test_5_completeness_is_a_scheme_parameter(ledger):
    ledger.amend_scheme({"version": "2018.2", "ballots": {"office_complete": False}})
    ledger.ingest([ballot("o-short", "office", "领导小组办公室", ["D01", "D02"])], actor="office")
    assert ledger.score("D02")["half_year_comp"] == "8.00"  # 2nd of 2 → 80 × office 0.10


# -- 6. a manual P8 on top of the derived one ---------------------------------------------------------

def test_6_a_manual_p8_needs_a_reason(ledger):
    refused(ledger, {"id": "p8", "type": "penalty.imposed", "unit": "D03", "item": "P8"}, field="reason")
    refused(ledger, {"id": "p8", "type": "penalty.imposed", "unit": "D03", "item": "P8", "reason": " "},
            field="reason")
    ledger.ingest([{"id": "p8", "type": "penalty.imposed", "unit": "D03", "item": "P8",
                    "reason": "瞒报安全生产数据"}], actor="office")
    document = ledger.score("D03")
    assert document["penalty"] == "1.00"
    assert not any(DOUBLE_P8 in w for w in document["warnings"])  # no derived P8 beside it


def _falsified_and_manual(log: ScoringLog) -> None:
    log.task("D01", "P1", important=True, checkpoints=[("Q1", "2018-03-31")])
    log.report("D01", "P1", "Q1", "2018-03-30")
    log.add("evidence.submitted", unit="D01", evidence="E1", task="P1", checkpoint="Q1", title="台账",
            sha256=SHA)
    log.add("evidence.verified", unit="D01", evidence="E1", outcome="falsified", method="on_site",
            verified_on="2018-04-10", at="2018-04-10", id="ver-1")


def test_6_a_manual_p8_beside_a_derived_one_is_shown_side_by_side_and_flagged():
    log = ScoringLog()
    _falsified_and_manual(log)
    log.add("penalty.imposed", unit="D01", item="P8", reason="台账弄虚作假", id="p8-hand")
    score = log.score("D01")
    assert score.penalty == 2  # both still count: the office may have found other 虚报
    pair = score.explanation.find(DOUBLE_P8)
    assert pair is not None and pair.value == 2
    assert [child.label for child in pair.children] == ["P8 虚报、瞒报、弄虚作假",
                                                        "P8 虚报、瞒报、弄虚作假（自动计）"]
    assert {e["id"] for c in pair.children for e in c.entries} >= {"p8-hand", "ver-1"}
    assert any(DOUBLE_P8 in w and "p8-hand" in w and "ver-1" in w for w in score.warnings)


def test_6_no_flag_once_the_falsification_is_superseded_or_the_manual_p8_voided():
    log = ScoringLog()
    _falsified_and_manual(log)
    log.add("penalty.imposed", unit="D01", item="P8", reason="台账弄虚作假", id="p8-hand")
    log.void("p8-hand")
    voided = log.score("D01")
    assert voided.penalty == 1 and voided.explanation.find(DOUBLE_P8) is None
    assert not any(DOUBLE_P8 in w for w in voided.warnings)
    log.add("penalty.imposed", unit="D01", item="P8", reason="另有瞒报", id="p8-again")
    assert log.score("D01").explanation.find(DOUBLE_P8) is not None
    log.add("evidence.verified", unit="D01", evidence="E1", outcome="confirmed", method="on_site",
            verified_on="2018-05-10", at="2018-05-10")  # the falsification is superseded
    superseded = log.score("D01")
    assert superseded.penalty == 1 and superseded.explanation.find(DOUBLE_P8) is None


def test_6_the_flag_reaches_the_score_document_warnings(ledger):
    ledger.ingest([
        {"id": "t", "type": "task.assigned", "unit": "D03", "task": "P1", "title": "价格监测",
         "level": "provincial", "method": "veto", "important": True,
         "checkpoints": [{"checkpoint": "Q1", "due": "2019-01-14"}], "recorded_at": "2019-01-10T09:00:00+08:00"},
        {"id": "e", "type": "evidence.submitted", "unit": "D03", "evidence": "E1", "task": "P1",
         "checkpoint": "Q1", "title": "台账", "sha256": SHA},
        {"id": "v", "type": "evidence.verified", "unit": "D03", "evidence": "E1", "outcome": "falsified",
         "method": "on_site", "verified_on": "2019-01-14"},
        {"id": "p", "type": "penalty.imposed", "unit": "D03", "item": "P8", "reason": "台账造假"},
    ], actor="office")
    document = ledger.score("D03")
    assert document["penalty"] == "2.00"
    assert any(DOUBLE_P8 in w for w in document["warnings"])


# -- 7. annual_individual includes the task-load bonus ------------------------------------------------

def test_7_annual_individual_includes_the_task_load_bonus_and_individual_is_unchanged():
    log = ScoringLog()
    log.task("D01", "P1", level="provincial", method="veto", difficulty="2")
    log.task("D01", "M1", level="municipal", method="veto", role="co")
    log.assess("D01", "P1", vetoed=False)
    log.assess("D01", "M1", vetoed=False)
    score = log.score("D01")
    assert score.task_load_bonus == Decimal("0.2") + Decimal("0.025")
    assert score.annual_individual == 100 + score.task_load_bonus  # may pass 100 (§3.3)
    assert score.individual == score.process * Decimal("0.2") + score.annual_individual * Decimal("0.8")
    node = score.explanation.find("年度成绩")
    assert node is not None and node.value == score.annual_individual and "任务量加分" in node.label
    assert [c.label for c in node.children] == ["年度任务成绩（各层级平均，未含任务量加分）", "任务量加分"]


def test_7_annual_individual_with_the_bonus_in_json_and_sheets(ledger):
    from kaoping.api.sheets import figure_keys, standings_headers, unit_sheet

    ledger.ingest([
        {"id": "t", "type": "task.assigned", "unit": "D03", "task": "P1", "title": "价格监测",
         "level": "provincial", "method": "veto"},
        {"id": "a", "type": "task.assessed", "unit": "D03", "task": "P1", "vetoed": False},
    ], actor="office")
    document = ledger.score("D03")
    assert (document["annual_individual"], document["task_load_bonus"]) == ("100.10", "0.10")
    headers = dict(zip(figure_keys(), standings_headers()[3:]))
    assert headers["annual_individual"] == "年度成绩（含任务量加分）"
    sheet = unit_sheet(ledger, "D03").sheets[0]
    row = next(r for r in sheet.rows if str(r[1]).strip().startswith("年度成绩"))
    assert row[2] == Decimal("100.10")


# -- 8. loose input ---------------------------------------------------------------------------------

def test_8_upto_below_1_or_beyond_the_last_seq_is_an_error_naming_upto(ledger, year):
    ledger.ingest(year, actor="office")
    last = ledger.log.refresh()[-1].seq
    for bad in (-1, 0, last + 1, 999999):
        with pytest.raises(InvalidCommand) as info:
            ledger.score("D03", upto=bad)
        assert info.value.field == "upto" and str(last) in info.value.message
    assert ledger.score("D03", upto=last)["upto"] == last
    with TestClient(create_app(ledger=ledger)) as client:
        office = bearer(ledger, "office", "考评办")
        response = client.get("/v1/units/D03/score?upto=999999", headers=office)
        assert response.status_code == 422 and response.json()["detail"]["field"] == "upto"


def test_8_the_cli_refuses_upto_minus_1(tmp_path):
    db = f"sqlite:///{tmp_path / 'cli.db'}"
    runner = CliRunner()
    assert runner.invoke(cli_app, ["init", "--db", db]).exit_code == 0
    result = runner.invoke(cli_app, ["score", "D03", "--upto", "-1", "--db", db, "--json"])
    assert result.exit_code == 1 and "upto" in result.output


@pytest.mark.parametrize("command, field", [
    ({"type": "common.scored", "unit": "D03", "indicator": "C02", "scor": 80}, "scor"),
    ({"type": "common.scored", "unit": "D03", "indicator": "C02", "score": 80, "note": "x"}, "note"),
    ({"type": "task.assigned", "unit": "D03", "task": "P1", "title": "t", "level": "own",
      "method": "veto", "checkpoints": [{"checkpoint": "Q1", "dew": "2018-03-31"}]}, "checkpoints.0.dew"),
    ({"type": "task.assessed", "unit": "D03", "task": "P1",
      "deductions": [{"point": 1, "reason": "x"}]}, "deductions.0.point"),
])
def test_8_a_stray_key_is_refused_as_an_unknown_field_by_its_name(command, field):
    with pytest.raises(InvalidCommand) as info:
        parse_command({"id": "x", **command})
    assert info.value.field == field and info.value.code == "command.field_unknown"


def test_8_a_stray_key_in_a_batch_is_named_and_nothing_is_appended(ledger):
    refused(ledger, {"id": "c", "type": "common.scored", "unit": "D03", "indicator": "C02", "scor": 80},
            field="scor")


def test_8_unit_codes_are_read_case_insensitively_by_every_command_and_reader(ledger):
    ledger.ingest([
        {"id": "c", "type": "common.scored", "unit": "d03", "indicator": "c02", "score": 80},
        {"id": "b", "type": "bonus.awarded", "unit": " d03 ", "item": "b2", "reason": "表扬"},
        ballot("m", "mutual", "t01", ["d03", "D05"]),
    ], actor="office")
    history = ledger.history("d03")
    assert {row["id"] for row in history} == {"c", "b", "m"}
    assert next(r for r in history if r["id"] == "c")["payload"]["unit"] == "D03"
    assert next(r for r in history if r["id"] == "m")["payload"]["rater"] == "T01"
    assert ledger.score("d03")["unit"] == "D03" and ledger.score("d03")["common"] == "80.00"
    # the same command with the code spelt otherwise is the same command: a duplicate
    again = ledger.ingest([{"id": "c", "type": "common.scored", "unit": "D03", "indicator": "C02",
                            "score": 80}], actor="office")
    assert again.results[0].duplicate
    with pytest.raises(BatchRejected):  # a repeat is a repeat whatever its case
        ledger.ingest([ballot("m2", "mutual", "T02", ["d03", "D03"])], actor="office")


@pytest.mark.parametrize("command", [
    {"type": "penalty.imposed", "unit": "D03", "item": "P7"},
    {"type": "penalty.imposed", "unit": "D03", "item": "P7", "reason": ""},
    {"type": "bonus.awarded", "unit": "D03", "item": "B2"},
    {"type": "bonus.awarded", "unit": "D03", "item": "B2", "reason": "  "},
    {"type": "entry.voided", "target": "x", "reason": ""},
    {"type": "task.withdrawn", "unit": "D03", "task": "P1", "reason": " "},
    {"type": "dispute.resolved", "dispute": "D", "outcome": "upheld", "reason": ""},
])
def test_8_penalties_bonuses_voids_withdrawals_and_resolutions_need_a_reason(command):
    with pytest.raises(InvalidCommand) as info:
        parse_command({"id": "x", **command})
    assert info.value.field == "reason"


def test_8_an_empty_penalty_reason_is_refused_by_the_ledger_as_a_disputes_is(ledger):
    refused(ledger, {"id": "p", "type": "penalty.imposed", "unit": "D03", "item": "P7", "reason": ""},
            field="reason")


@pytest.mark.parametrize("unit, level", [("T01", "county"), ("D03", "own")])
def test_8_difficulty_is_refused_on_a_county_or_own_task_like_role(ledger, unit, level):
    task = {"id": "t", "type": "task.assigned", "unit": unit, "task": "K1", "title": "任务",
            "level": level, "method": "veto"}
    refused(ledger, {**task, "difficulty": "2"}, field="difficulty")
    refused(ledger, {**task, "role": "co"}, field="role")
    ledger.ingest([task], actor="office")
