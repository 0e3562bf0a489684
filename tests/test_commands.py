"""parse_command: what a command says about itself (docs/commands.md §2). Pure: no database."""

from decimal import Decimal

import pytest

from kaoping.domain.commands import COMMAND_TYPES, parse_command
from kaoping.domain.errors import InvalidCommand

SHA = "ab" * 32

#: one minimal valid command of each of the contract's 16 types (only the fields it requires; the
#: 16th, results.published, came with the contract's "Extensions (2026-12)")
MINIMAL = {
    "task.assigned": {"unit": "D03", "task": "P1", "title": "价格监测", "level": "provincial",
                      "method": "veto"},
    "task.withdrawn": {"unit": "D03", "task": "P1", "reason": "调整"},
    "checkpoint.reported": {"unit": "D03", "task": "P1", "checkpoint": "Q1",
                            "reported_on": "2018-03-30", "completed": True},
    "evidence.submitted": {"unit": "D03", "evidence": "E1", "task": "P1", "checkpoint": "Q1",
                           "title": "报告", "sha256": SHA},
    "evidence.verified": {"unit": "D03", "evidence": "E1", "outcome": "confirmed",
                          "method": "online", "verified_on": "2018-04-01"},
    "task.assessed": {"unit": "D03", "task": "P1", "vetoed": False},
    "common.scored": {"unit": "D03", "indicator": "C02", "score": 90},
    "ballot.cast": {"round": "half_year", "kind": "leader", "rater": "副县长甲",
                    "group": "departments", "ranking": ["D03"]},
    "bonus.awarded": {"unit": "D03", "item": "B2", "reason": "市政府通报表扬"},
    "funding.recorded": {"unit": "D03", "amount": "300"},
    "penalty.imposed": {"unit": "D03", "item": "P7", "reason": "暗访发现慢作为"},
    "entry.voided": {"target": "x-1", "reason": "录入错误"},
    "dispute.filed": {"unit": "D03", "dispute": "DIS-1", "target": "x-1", "reason": "有异议"},
    "dispute.resolved": {"dispute": "DIS-1", "outcome": "upheld", "reason": "属实"},
    "round.closed": {"round": "year_end"},
    "results.published": {"stage": "annual", "title": "年度考评结果公示"},
}
#: this project's own command beside the contract's (docs/commands.md §2): a unit's request that the
#: office void an entry it recorded itself, which the contract does not let it dispute
PROJECT_TYPES = {"void.requested": {"unit": "D03", "target": "x-1", "reason": "报告日期填错了"}}
MINIMAL.update(PROJECT_TYPES)


def cmd(kind, **fields):
    return {"id": f"id-{kind}", "type": kind, **MINIMAL[kind], **fields}


def rejected_field(data):
    with pytest.raises(InvalidCommand) as info:
        parse_command(data)
    assert info.value.message  # a message a person can read, besides the field
    return info.value.field


def test_the_contract_has_exactly_these_16_command_types_and_the_project_one_more():
    assert set(COMMAND_TYPES) == set(MINIMAL) and len(set(MINIMAL) - set(PROJECT_TYPES)) == 16


@pytest.mark.parametrize("kind", sorted(MINIMAL))
def test_each_type_is_accepted_with_its_minimal_fields(kind):
    parsed = parse_command(cmd(kind))
    assert parsed.type == kind and parsed.id == f"id-{kind}"
    assert parsed.actor is None and parsed.recorded_at is None
    payload = parsed.payload()
    assert {"id", "type", "actor", "recorded_at"}.isdisjoint(payload)
    for name, value in MINIMAL[kind].items():
        assert name in payload


def test_task_assigned_defaults():
    task = parse_command(cmd("task.assigned"))
    assert task.weight == Decimal(1) and task.difficulty == Decimal(1)
    assert task.important is False and task.checkpoints == [] and task.target is None


@pytest.mark.parametrize("level", ["provincial", "municipal"])
def test_role_defaults_to_lead_for_provincial_and_municipal_tasks(level):
    assert parse_command(cmd("task.assigned", level=level)).role == "lead"
    assert parse_command(cmd("task.assigned", level=level, role="co")).role == "co"


@pytest.mark.parametrize("level", ["own", "county"])
def test_own_and_county_tasks_have_no_role(level):
    assert parse_command(cmd("task.assigned", level=level)).role is None


def test_report_quality_defaults_to_ok():
    report = parse_command(cmd("checkpoint.reported"))
    assert report.quality == "ok" and report.completed is True


@pytest.mark.parametrize("kind", ["bonus.awarded", "penalty.imposed"])
def test_count_defaults_to_one(kind):
    assert parse_command(cmd(kind)).count == 1


@pytest.mark.parametrize("kind, default", [
    ("task.assigned", {"weight": 1, "difficulty": "1.0", "role": "lead", "important": False}),
    ("checkpoint.reported", {"quality": "ok"}),
    ("penalty.imposed", {"count": 1}),
    ("bonus.awarded", {"count": 1}),
])
def test_spelling_out_a_default_is_the_same_content(kind, default):
    assert parse_command(cmd(kind)).content_hash() == parse_command(cmd(kind, **default)).content_hash()


@pytest.mark.parametrize("spelling", [1, "1", "1.0", "1.00", Decimal("1.0"), 1.0])
def test_numbers_as_json_numbers_or_decimal_strings_are_the_same_content(spelling):
    reference = parse_command(cmd("task.assigned", weight="1")).content_hash()
    assert parse_command(cmd("task.assigned", weight=spelling)).content_hash() == reference
    assert parse_command(cmd("task.assigned", weight=spelling)).weight == Decimal(1)


def test_nested_and_fractional_numbers_have_one_spelling():
    def assessed(points):
        return parse_command(cmd("task.assessed", vetoed=None,
                                 deductions=[{"points": points, "reason": "延迟"}])).content_hash()

    assert assessed(5) == assessed("5.0") == assessed(Decimal("5.00"))
    assert assessed("0.5") == assessed(0.5) != assessed("5")
    bonus = [parse_command(cmd("bonus.awarded", item="B11", points=p)).content_hash()
             for p in ("0.15", 0.15, "0.150", Decimal("0.15"))]
    assert len(set(bonus)) == 1


def test_numbers_are_read_as_decimal_not_float():
    score = parse_command(cmd("common.scored", score=0.1)).score
    assert isinstance(score, Decimal) and score == Decimal("0.1")


def test_other_content_is_another_hash_and_who_sent_it_is_not_content():
    base = parse_command(cmd("common.scored"))
    assert parse_command(cmd("common.scored", score=91)).content_hash() != base.content_hash()
    assert parse_command(cmd("common.scored", actor="张三")).content_hash() == base.content_hash()
    backdated = parse_command(cmd("common.scored", recorded_at="2018-08-15T10:00:00+08:00"))
    assert backdated.content_hash() != base.content_hash()


def test_one_instant_spelled_in_two_offsets_is_the_same_content():
    local = parse_command(cmd("common.scored", recorded_at="2018-08-15T10:00:00+08:00"))
    utc = parse_command(cmd("common.scored", recorded_at="2018-08-15T02:00:00Z"))
    assert local.recorded_at == utc.recorded_at
    assert local.content_hash() == utc.content_hash()


def _without(kind, name):
    data = cmd(kind)
    del data[name]
    return data


@pytest.mark.parametrize("data, field", [
    pytest.param({"id": "x", "type": "task.renamed", "unit": "D03"}, "type", id="unknown type"),
    pytest.param({"id": "x", "unit": "D03", "item": "P7"}, "type", id="missing type"),
    pytest.param(_without("penalty.imposed", "id"), "id", id="missing id"),
    pytest.param(_without("common.scored", "score"), "score", id="missing field"),
    pytest.param(cmd("penalty.imposed", points=1), "points", id="field of another type"),
    pytest.param(cmd("round.closed", colour="red"), "colour", id="unknown field"),
    pytest.param(cmd("checkpoint.reported", reported_on="2018-02-30"), "reported_on", id="bad date"),
    pytest.param(cmd("checkpoint.reported", reported_on="30/03/2018"), "reported_on",
                 id="date not ISO"),
    pytest.param(cmd("task.assigned", checkpoints=[{"checkpoint": "Q1", "due": "2018-13-01"}]),
                 "checkpoints.0.due", id="bad due date"),
    pytest.param(cmd("common.scored", score=101), "score", id="score 101"),
    pytest.param(cmd("common.scored", score="-1"), "score", id="score -1"),
    pytest.param(cmd("common.scored", score="ninety"), "score", id="score not a number"),
    pytest.param(cmd("evidence.submitted", sha256="ab" * 31), "sha256", id="sha256 62 hex"),
    pytest.param(cmd("evidence.submitted", sha256="g" * 64), "sha256", id="sha256 not hex"),
    pytest.param(cmd("ballot.cast", ranking=["D03", "D04", "D03"]), "ranking", id="ballot repeat"),
    pytest.param(cmd("ballot.cast", ranking=[]), "ranking", id="empty ranking"),
    pytest.param(cmd("ballot.cast", round="quarter"), "round", id="unknown round"),
    pytest.param(cmd("penalty.imposed", count=0), "count", id="count 0"),
    pytest.param(cmd("penalty.imposed", count=1.5), "count", id="count 1.5"),
    pytest.param(cmd("bonus.awarded", count="1.5"), "count", id="bonus count 1.5"),
    pytest.param(cmd("bonus.awarded", count=0), "count", id="bonus count 0"),
    pytest.param(cmd("funding.recorded", amount=0), "amount", id="amount 0"),
    pytest.param(cmd("task.assigned", method="completion_ratio"), "target",
                 id="target missing for completion_ratio"),
    pytest.param(cmd("task.assigned", method="veto", target=100), "target", id="target for veto"),
    pytest.param(cmd("task.assigned", level="own", role="lead"), "role", id="role on own task"),
    pytest.param(cmd("task.assigned", level="county", role="co"), "role", id="role on county task"),
    pytest.param(cmd("task.assigned", level="national"), "level", id="unknown level"),
    pytest.param(cmd("task.assigned", weight=0), "weight", id="weight 0"),
    pytest.param(cmd("task.assigned", checkpoints=[{"checkpoint": "Q1", "due": "2018-03-31"},
                                                   {"checkpoint": "Q1", "due": "2018-06-30"}]),
                 "checkpoints", id="duplicate checkpoint codes"),
    pytest.param(cmd("round.closed", recorded_at="2018-12-31T10:00:00"), "recorded_at",
                 id="recorded_at without offset"),
    pytest.param(cmd("round.closed", recorded_at="2018-12-31"), "recorded_at",
                 id="recorded_at a bare date"),
    pytest.param(cmd("task.assessed", vetoed=None), "actual", id="assessed without result"),
])
def test_rejected_naming_the_field(data, field):
    assert rejected_field(data) == field


@pytest.mark.parametrize("extra", [{"actual": 108}, {"deductions": [{"points": 5}]}])
def test_two_result_fields_are_rejected_naming_one_that_was_given(extra):
    data = cmd("task.assessed", **extra)  # vetoed is given too
    assert rejected_field(data) in {*extra, "vetoed"}


def test_a_command_must_be_an_object():
    with pytest.raises(InvalidCommand):
        parse_command(["task.assigned"])


@pytest.mark.parametrize("bad", ["t\x001", "t\n1", "t\x7f1"])
def test_ids_and_codes_refuse_control_characters(bad):
    item = {"id": bad, "type": "task.assigned", "unit": "D03", "task": "T1", "title": "任务",
            "level": "own", "method": "veto"}
    with pytest.raises(InvalidCommand) as refused:
        parse_command(item)
    assert refused.value.field == "id"
    with pytest.raises(InvalidCommand) as refused:
        parse_command({**item, "id": "t1", "task": bad})
    assert refused.value.field == "task"


# -- strict types (issue 17, item 11): what the contract spells one way is not read from another --

@pytest.mark.parametrize("data, field", [
    pytest.param(cmd("bonus.awarded", count=True), "count", id="count true"),
    pytest.param(cmd("penalty.imposed", count=True), "count", id="penalty count true"),
    pytest.param(cmd("bonus.awarded", count="2"), "count", id="count as text"),
    pytest.param(cmd("bonus.awarded", count=Decimal("2.0")), "count", id="count 2.0"),
    pytest.param(cmd("results.published", appeal_days=True), "appeal_days", id="appeal_days true"),
    pytest.param(cmd("checkpoint.reported", reported_on=1522368000), "reported_on",
                 id="reported_on as seconds"),
    pytest.param(cmd("checkpoint.reported", reported_on="2018-03-30T00:00:00"), "reported_on",
                 id="reported_on a datetime"),
    pytest.param(cmd("evidence.verified", verified_on=1522540800), "verified_on",
                 id="verified_on as seconds"),
    pytest.param(cmd("task.assigned", checkpoints=[{"checkpoint": "Q1", "due": 1522454400}]),
                 "checkpoints.0.due", id="due as seconds"),
    pytest.param(cmd("round.closed", recorded_at=1546214400), "recorded_at", id="recorded_at as seconds"),
    pytest.param(cmd("checkpoint.reported", completed=1), "completed", id="completed 1"),
    pytest.param(cmd("checkpoint.reported", completed="yes"), "completed", id="completed yes"),
    pytest.param(cmd("task.assigned", important="true"), "important", id="important as text"),
    pytest.param(cmd("task.assessed", vetoed=0), "vetoed", id="vetoed 0"),
])
def test_a_value_of_another_type_is_refused_not_converted(data, field):
    assert rejected_field(data) == field


def test_dates_and_times_in_their_contract_forms_are_accepted():
    report = parse_command(cmd("checkpoint.reported", recorded_at="2018-03-30T18:00:00+08:00"))
    assert str(report.reported_on) == "2018-03-30" and report.recorded_at.utcoffset().seconds == 8 * 3600
    assert parse_command(cmd("bonus.awarded", count=2)).count == 2


@pytest.mark.parametrize("bad", ["t\u202e1", "t\u00851", "<t1>", "t&1"])
def test_ids_and_codes_keep_to_their_alphabet(bad):
    with pytest.raises(InvalidCommand) as refused:
        parse_command(cmd("task.withdrawn", id=bad))
    assert refused.value.field == "id" and refused.value.message.startswith("编号（id）")
    with pytest.raises(InvalidCommand) as refused:
        parse_command(cmd("task.withdrawn", task=bad))
    assert refused.value.field == "task"


@pytest.mark.parametrize("good", ["D03-2018.Q1:a_b", "县政府考核办", "x" * 64])
def test_the_whole_string_check_lets_every_allowed_code_through(good):
    # codes are checked by one match of the whole string; a valid one must still pass as it is
    item = {"id": good, "type": "task.assigned", "unit": "D03", "task": "T1", "title": "任务",
            "level": "own", "method": "veto", "actor": "张 三·李"}
    assert parse_command(item).id == good


def test_a_code_refused_by_its_alphabet_still_names_its_first_bad_character():
    item = {"id": "ok-1<b>/", "type": "task.assigned", "unit": "D03", "task": "T1", "title": "任务",
            "level": "own", "method": "veto"}
    with pytest.raises(InvalidCommand) as refused:
        parse_command(item)
    assert refused.value.field == "id" and "<" in refused.value.message and "/" not in refused.value.message
