"""Time and order agree (docs/commands.md §3, 时间与顺序一致), on SQLite and PostgreSQL: along `seq` the times
the ledger's clock assigns never go backwards, however writers race; so a publication's appeal
window judges at write time the order readers replay. The clock here runs as a real one does, from a
fixed start: writers read it at different moments and see different times."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from kaoping.ledger.writer import BatchRejected
from tests.conftest import Clock

START = datetime(2019, 1, 15, 2, 0, tzinfo=timezone.utc)
DISPUTES = 100


class RunningClock(Clock):
    """The ledger's clock, running from `START` as time passes (every reading is later than the
    one before it, as a real clock's is)."""

    def __init__(self) -> None:
        super().__init__(START)
        self._started = time.monotonic()

    def __call__(self) -> datetime:
        return START + timedelta(seconds=time.monotonic() - self._started)


@pytest.fixture
def clock() -> RunningClock:
    return RunningClock()


def _entries(ledger: Any) -> list[dict[str, Any]]:
    """Every entry, in `seq` order."""
    return sorted(ledger.export(), key=lambda entry: entry["seq"])


def _moment(text: str) -> datetime:
    return datetime.fromisoformat(text)


def _target(n: int) -> dict[str, Any]:
    return {"id": f"t-{n}", "type": "task.assigned", "unit": "D03", "task": f"T{n}",
            "title": f"任务{n}", "level": "own", "method": "veto"}


def _dispute(n: int) -> dict[str, Any]:
    return {"id": f"file-{n}", "type": "dispute.filed", "unit": "D03", "dispute": f"D03-{n:03d}",
            "target": f"t-{n}", "reason": "评分有误"}


def test_a_0_day_publication_racing_disputes_leaves_every_dispute_on_its_side(ledger, make_ledger):
    ledger.ingest([_target(n) for n in range(DISPUTES)], actor="office")  # all counted by it
    writers = [make_ledger() for _ in range(4)]
    publisher = make_ledger()
    go = threading.Barrier(5)

    def publish() -> None:
        go.wait(timeout=60)
        time.sleep(0.05)  # with some disputes already on their way
        publisher.ingest([{"id": "pub", "type": "results.published", "stage": "annual",
                           "title": "年度结果公示", "appeal_days": 0}], actor="office")

    def file(w: int) -> list[str]:
        go.wait(timeout=60)
        refused = []
        for n in range(w, DISPUTES, len(writers)):
            try:
                writers[w].ingest([_dispute(n)], actor="office")
            except BatchRejected as rejection:
                refused.append(rejection.error.code)
        return refused

    with ThreadPoolExecutor(max_workers=5) as pool:
        published = pool.submit(publish)
        refusals = [code for codes in pool.map(file, range(len(writers))) for code in codes]
        published.result()
    assert set(refusals) <= {"dispute.window_closed"}
    entries = _entries(ledger)
    publication = next(entry for entry in entries if entry["id"] == "pub")
    closes = _moment(publication["recorded_at"])  # 0 days: the window closes as it is published
    accepted = [entry for entry in entries if entry["type"] == "dispute.filed"]
    assert len(accepted) + len(refusals) == DISPUTES
    # before it in seq or after, every accepted dispute came while the window was open
    late = [(entry["seq"], entry["recorded_at"]) for entry in accepted
            if _moment(entry["recorded_at"]) > closes]
    assert late == [], f"publication at seq {publication['seq']}, {publication['recorded_at']}"


def test_clock_times_never_go_backwards_along_seq_after_concurrent_appends(ledger, make_ledger):
    writers = [make_ledger() for _ in range(4)]

    def append(w: int) -> None:
        for k in range(25):
            # the units overlap, so that some appends lose races and are decided again
            writers[w].ingest([{**_target(w * 100 + k), "unit": ("D03", "D04", "D05")[k % 3]}],
                              actor="office")

    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(append, range(len(writers))))
    entries = _entries(ledger)
    assert len(entries) > 100
    for times in ([e["appended_at"] for e in entries],
                  [e["recorded_at"] for e in entries if not e["backdated"]]):
        moments = [_moment(t) for t in times]
        assert moments == sorted(moments)
