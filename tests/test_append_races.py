"""Writers racing on one ledger, on SQLite and PostgreSQL: the same command sent by several writers
at once is appended once and the others get duplicates, never an error (`ledger.writer`'s one retry
loop); bounded, so that it runs in the suite on every store."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from kaoping.ledger.group_commit import GroupCommitter, PendingBatch

ROUNDS = 500
WRITERS = 4


def _task(n: int) -> dict[str, Any]:
    return {"id": f"same-{n}", "type": "task.assigned", "unit": "D03", "task": f"S{n}",
            "title": f"任务{n}", "level": "own", "method": "veto"}


def _rounds(send: Callable[[int, dict[str, Any]], Any]) -> list[list[Any]]:
    """Each of WRITERS threads sends round n's command once the others are ready to; per round, what
    each got back (a CommandResult, or the error it was told)."""
    ready = threading.Barrier(WRITERS)

    def writer(w: int) -> list[Any]:
        got: list[Any] = []
        for n in range(ROUNDS):
            ready.wait(timeout=60)
            try:
                got.append(send(w, _task(n)).results[0])
            except Exception as error:  # noqa: BLE001 - what the caller would be told: asserted
                got.append(error)
        return got

    with ThreadPoolExecutor(max_workers=WRITERS) as pool:
        return [list(one_round) for one_round in zip(*pool.map(writer, range(WRITERS)))]


def _appended_once_each_round(rounds: list[list[Any]], ledger: Any) -> None:
    errors = [(n, repr(got)) for n, one_round in enumerate(rounds) for got in one_round
              if isinstance(got, Exception)]
    assert errors == []
    for one_round in rounds:
        assert sorted(got.duplicate for got in one_round) == [False] + [True] * (WRITERS - 1)
        assert len({tuple(got.seqs) for got in one_round}) == 1  # the duplicates name its entry
    assert [e["id"] for e in ledger.history("D03")] == [f"same-{n}" for n in range(ROUNDS)]


def test_the_same_command_from_four_writers_is_appended_once_every_round(ledger, make_ledger):
    # a Ledger each: pools of their own, as separate processes would have
    writers = [make_ledger() for _ in range(WRITERS)]
    rounds = _rounds(lambda w, command: writers[w].ingest([command], actor="office"))
    _appended_once_each_round(rounds, ledger)


def test_the_same_command_from_four_callers_of_one_committer_is_appended_once(ledger, make_ledger):
    committer = GroupCommitter(make_ledger().writer)
    try:
        rounds = _rounds(lambda w, command: committer.append(PendingBatch([command], "office")))
    finally:
        committer.close()
    _appended_once_each_round(rounds, ledger)
