"""Group commit for concurrent writers in one process.

Each HTTP request is its own all-or-nothing batch, and committing each alone costs one durable
commit (an fsync) per request: under load the disk, not the ledger, sets the pace. Here one writer
thread takes every batch that arrived while the previous group was being committed, decides them in
order against one view of the ledger and appends them in one transaction (`Ledger.ingest_group`).
Each caller still gets its own result: a rejected batch is left out of the group, never failing the
batches committed with it.
"""

from __future__ import annotations

import logging
import queue
import threading
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any

from .application import BatchResult, Ledger, PendingBatch

log = logging.getLogger(__name__)

#: more batches than this wait for the next group, bounding how long any one caller waits
MAX_GROUP = 64


@dataclass
class _Waiting:
    batch: PendingBatch
    future: Future[BatchResult]


class GroupCommitter:
    def __init__(self, ledger: Ledger, *, max_group: int = MAX_GROUP):
        self.ledger = ledger
        self.max_group = max_group
        self._queue: queue.SimpleQueue[_Waiting | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._closed = False
        self.groups = 0
        self.batches = 0

    def submit(self, batch: PendingBatch) -> Future[BatchResult]:
        """Queue a batch; the future holds its BatchResult or the error that refused it. A future
        cancelled before its group starts is not committed."""
        waiting = _Waiting(batch, Future())
        with self._lock:
            if self._closed:
                raise RuntimeError("the group committer is closed")
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="kaoping-group-commit",
                                                daemon=True)
                self._thread.start()
            self._queue.put(waiting)
        return waiting.future

    def append(self, batch: PendingBatch) -> BatchResult:
        return self.submit(batch).result()

    def close(self) -> None:
        with self._lock:
            self._closed = True
            thread = self._thread
        if thread is not None:
            self._queue.put(None)
            thread.join()
        if self.groups:
            log.info("group commit: %d batches in %d groups (%.1f per group)", self.batches,
                     self.groups, self.batches / self.groups)

    def _run(self) -> None:
        while True:
            first = self._queue.get()
            if first is None:
                return
            group = [first]
            stop = False
            while len(group) < self.max_group:
                try:
                    more = self._queue.get_nowait()
                except queue.Empty:
                    break
                if more is None:
                    stop = True
                    break
                group.append(more)
            self._commit(group)
            if stop:
                return

    def _commit(self, group: list[_Waiting]) -> None:
        # a caller that went away (its request cancelled) before its group started is left out;
        # the others can no longer be cancelled, so their futures take whatever the group gives
        group = [w for w in group if w.future.set_running_or_notify_cancel()]
        if not group:
            return
        self.groups += 1
        self.batches += len(group)
        try:
            outcomes: list[Any] = self.ledger.ingest_group([w.batch for w in group])
        except Exception as error:  # noqa: BLE001 - every caller must hear of it; the writer goes on
            log.exception("group commit failed")
            outcomes = [error] * len(group)
        for waiting, outcome in zip(group, outcomes, strict=True):
            if isinstance(outcome, BaseException):
                waiting.future.set_exception(outcome)
            else:
                waiting.future.set_result(outcome)
