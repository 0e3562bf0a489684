"""ledger/follower.py: the one follower of the log. New notifications are read once for every room
that keeps something current from them (the stream states, the entry log); a process that only
appends never reads the log back; a room that starts reading late catches up, then follows."""

from __future__ import annotations

from typing import Any

TASK = {"id": "t1", "type": "task.assigned", "unit": "D03", "task": "O1", "title": "价格认定", "level": "own",
        "method": "direct_deduction", "checkpoints": [{"checkpoint": "M6", "due": "2019-06-30"}]}


def spy(ledger: Any) -> list[tuple[int, int | None]]:
    """Record every page the ledger's recorder is asked for, as (after, stop)."""
    calls: list[tuple[int, int | None]] = []
    recorder = ledger.recorder
    select = recorder.select_notifications

    def counted(start: int, limit: int, stop: int | None = None, **kwargs: Any) -> Any:
        calls.append((start, stop))
        return select(start, limit, stop=stop, **kwargs)

    recorder.select_notifications = counted
    return calls


def test_follower_reads_new_notifications_once_for_every_room(make_ledger: Any) -> None:
    reader = make_ledger()
    reader.init()
    writer = make_ledger()  # another process appending to the same ledger
    reader.entries()
    reader.unit_state("D03")  # both rooms now keep something current
    calls = spy(reader)
    writer.ingest([TASK], actor="office")
    assert [e.id for e in reader.entries()][-1] == "t1"
    assert "O1" in reader.unit_state("D03").tasks
    assert len(calls) == 1  # one page for both rooms, not one each
    reader.entries()
    assert len(calls) == 1  # nothing new: no page


def test_follower_a_process_that_only_appends_never_reads_the_log_back(make_ledger: Any) -> None:
    ledger = make_ledger()
    ledger.init()
    ledger.ingest([TASK], actor="office")  # its first look at the log
    calls = spy(ledger)
    for n in range(2, 5):
        ledger.ingest([{**TASK, "id": f"t{n}", "task": f"O{n}"}], actor="office")
    assert calls == []  # its own appends are known to it: nothing read back


def test_follower_a_room_joining_late_catches_up_then_follows(make_ledger: Any) -> None:
    ledger = make_ledger()
    ledger.init()
    ledger.ingest([TASK], actor="office")  # appended before the entry log reads anything
    first = [e.id for e in ledger.entries()]
    assert first[-1] == "t1" and len(first) == len(set(e.seq for e in ledger.entries()))
    other = make_ledger()
    other.ingest([{**TASK, "id": "t2", "task": "O2"}], actor="office")
    ids = [e.id for e in ledger.entries()]
    assert ids == first + ["t2"]  # each entry once, in seq order
