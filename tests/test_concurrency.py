"""Concurrent writers on one unit: optimistic concurrency retries a conflict; nothing is lost."""

from concurrent.futures import ThreadPoolExecutor


def _task(i):
    return {"id": f"task-{i}", "type": "task.assigned", "unit": "D03", "task": f"T{i}",
            "title": f"任务{i}", "level": "own", "method": "veto"}


def test_concurrent_appends_to_one_unit_are_all_kept(ledger, make_ledger):
    writers = [make_ledger() for _ in range(4)]  # separate connection pools, like separate processes

    def write(w):
        return [writers[w].ingest([_task(w * 100 + k)], actor=f"writer{w}") for k in range(8)]

    with ThreadPoolExecutor(max_workers=4) as pool:
        batches = [r for rs in pool.map(write, range(4)) for r in rs]
    assert all(b.appended == 1 for b in batches)
    history = ledger.history("D03")
    assert sorted(e["id"] for e in history) == sorted(f"task-{w * 100 + k}" for w in range(4) for k in range(8))
    assert [e["version"] for e in history] == list(range(1, 33))
    assert ledger.verify()["ok"]


def test_the_same_command_sent_concurrently_is_appended_once(ledger, make_ledger):
    writers = [make_ledger() for _ in range(4)]
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda w: w.ingest([_task(1)], actor="office"), writers))
    assert sorted(r.appended for r in results) == [0, 0, 0, 1]
    assert len({tuple(r.results[0].seqs) for r in results}) == 1
    assert [e["id"] for e in ledger.history("D03")] == ["task-1"]


def test_verify_during_appends_never_reports_a_break(ledger, make_ledger):
    writer = make_ledger()
    results = []

    def append():
        for k in range(40):
            writer.ingest([_task(500 + k)], actor="office")

    with ThreadPoolExecutor(max_workers=1) as pool:
        appending = pool.submit(append)
        while not appending.done():
            results.append(ledger.verify())
        appending.result()
    assert len(results) > 1
    assert all(r["ok"] for r in results), [r for r in results if not r["ok"]][:1]


def test_a_process_sees_what_another_recorded_since_its_cache_was_filled(ledger, make_ledger):
    other = make_ledger()
    token_id, token = ledger.create_token(actor="auditor-1", role="auditor")
    ledger.ingest([_task(1)], actor="office")  # D03 and the tokens are now cached here
    assert ledger.principal_for(token) is not None
    other.ingest([{**_task(2), "checkpoints": [{"checkpoint": "Q1", "due": "2019-03-31"}]}],
                 actor="office")
    other.revoke_token(token_id)
    assert ledger.principal_for(token) is None
    report = {"id": "r-2", "type": "checkpoint.reported", "unit": "D03", "task": "T2",
              "checkpoint": "Q1", "reported_on": "2019-01-14", "completed": True}
    assert ledger.ingest([_task(3), report], actor="office").appended == 2
    assert [e["id"] for e in ledger.history("D03")] == ["task-1", "task-2", "task-3", "r-2"]
    assert [e["version"] for e in ledger.history("D03")] == [1, 2, 3, 4]
