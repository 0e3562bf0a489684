"""A bulk ingest (the CLI's `kaoping ingest` of a year's file) while HTTP writers keep appending to
the same units: it finishes, all or nothing, and the chain verifies."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from kaoping.demo import demo_year
from kaoping.ledger.group_commit import GroupCommitter, PendingBatch

UNITS = ("D03", "D10", "D28", "D41")


def _load(ledger, done: threading.Event) -> int:
    """Single-command batches through the HTTP path (the group committer), until told to stop."""
    committer = GroupCommitter(ledger.writer)
    k = 0
    try:
        while not done.is_set():
            committer.append(PendingBatch([{
                "id": f"load-{k}", "type": "task.assigned", "unit": UNITS[k % len(UNITS)],
                "task": f"L{k}", "title": f"临时任务{k}", "level": "own", "method": "veto"}],
                actor="office"))
            k += 1
    finally:
        committer.close()
    return k


def test_a_bulk_ingest_of_the_demo_year_finishes_under_concurrent_writers(ledger, make_ledger):
    year = demo_year(2018, 1)
    done = threading.Event()
    with ThreadPoolExecutor(max_workers=1) as pool:
        load = pool.submit(_load, make_ledger(), done)  # a pool of its own, as another process
        try:
            result = ledger.ingest(year, actor="office")
        finally:
            done.set()
        loaded = load.result()
    assert result.appended == len(year) and result.duplicates == 0
    assert loaded > 0
    history = ledger.history("D03")
    assert {e["id"] for e in history} >= {f"load-{k}" for k in range(0, loaded, len(UNITS))}
    assert ledger.verify()["ok"]


def test_a_bulk_ingest_refused_under_load_leaves_nothing(ledger, make_ledger):
    year = demo_year(2018, 1)
    year[-1] = {**year[-1], "unit": "NOPE"}
    done = threading.Event()
    with ThreadPoolExecutor(max_workers=1) as pool:
        load = pool.submit(_load, make_ledger(), done)
        try:
            refused = None
            try:
                ledger.ingest(year, actor="office")
            except Exception as error:  # noqa: BLE001 - asserted below
                refused = error
        finally:
            done.set()
        load.result()
    assert type(refused).__name__ == "BatchRejected" and refused.index == len(year) - 1
    assert not ({e["id"] for e in ledger.history("D28")} & {item["id"] for item in year})
    assert ledger.verify()["ok"]
