"""domain/entry_types.py: every entry of the demo year reads as the view of its type, field for
field what the payload holds; a view ignores keys added later and reads optional ones absent."""

from __future__ import annotations

import dataclasses
from datetime import date, datetime
from decimal import Decimal

import msgspec
import pytest

from kaoping.domain import commands as c
from kaoping.domain.entry_types import VIEWS, CheckpointDue, EvidenceSubmitted, TaskAssigned, typed
from kaoping.domain.entries import Entry
from kaoping.domain.policy import RECORD
from kaoping.demo import demo_year

MOMENT = datetime.fromisoformat("2018-03-01T09:00:00+08:00")


def entry(item: dict) -> Entry:
    command = c.parse_command(item)
    return Entry(seq=1, stream="unit:D03", id=command.id, type=command.type, recorded_at=MOMENT,
                 appended_at=MOMENT, actor="office", backdated=False, payload=command.payload())


def test_entry_types_cover_every_command_type() -> None:
    assert set(VIEWS) == set(RECORD)


@pytest.fixture(scope="module")
def demo_entries() -> list[Entry]:
    return [entry(item) for item in demo_year(7)]


#: the types the demo year never records: a publication (the ledger adds its frozen standings when
#: it decides one), and a unit's void request (the demo's figures are held fixed; its fields are
#: read below from a request of its own)
NOT_IN_DEMO = {"results.published", "void.requested"}


def test_entry_types_read_every_demo_entry_field_for_field(demo_entries: list[Entry]) -> None:
    request = entry({"id": "v", "type": "void.requested", "unit": "D03", "target": "r1", "reason": "报错了"})
    assert {e.type for e in demo_entries} >= set(VIEWS) - NOT_IN_DEMO
    for e in [*demo_entries, request]:
        if e.type == "results.published":
            continue  # the ledger adds its frozen standings when it decides one
        as_json = msgspec.json.decode(msgspec.json.encode(typed(e)))
        for key, value in e.payload.items():
            assert as_json[key] == value, (e.id, key)


def test_entry_types_give_dates_and_decimals() -> None:
    task = typed(entry({"id": "t", "type": "task.assigned", "unit": "D03", "task": "T1", "title": "任务",
                        "level": "own", "method": "completion_ratio", "target": "12.5",
                        "checkpoints": [{"checkpoint": "K1", "due": "2018-03-31"}]}))
    assert isinstance(task, TaskAssigned) and task.target == Decimal("12.5") and not task.important
    assert task.checkpoints == (CheckpointDue(checkpoint="K1", due=date(2018, 3, 31)),)


def test_entry_types_ignore_keys_added_later_and_default_optional_ones() -> None:
    stored = entry({"id": "e", "type": "evidence.submitted", "unit": "D03", "evidence": "EV1", "task": "T1",
                    "checkpoint": "K1", "title": "报告", "sha256": "a" * 64})
    later = dataclasses.replace(stored, payload={**stored.payload, "a_field_of_2027": 1})
    view = typed(later)
    assert isinstance(view, EvidenceSubmitted) and view.indicator is None and view.sha256 == "a" * 64
