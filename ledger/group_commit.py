"""Group commit for concurrent writers in one process.

Each HTTP request is its own all-or-nothing batch, and committing each alone costs one durable
commit (an fsync) per request: under load the disk, not the ledger, sets the pace. Here one writer
thread takes every batch that arrived while the previous group was being committed, decides them in
order against one view of the ledger and appends them in one transaction (`commit_group`).
Each caller still gets its own result: a rejected batch is left out of the group, never failing the
batches committed with it.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any

from kaoping.domain import commands as c
from kaoping.domain.errors import NotAuthenticated
from kaoping.domain.principals import OFFICE, Principal
from kaoping.domain.tokens import token_digest

from .writer import BatchRejected, BatchResult, ConcurrentWriteConflict, Decided, Writer, parsed

log = logging.getLogger(__name__)

#: more batches than this wait for the next group, bounding how long any one caller waits
MAX_GROUP = 64


@dataclass(frozen=True)
class PendingBatch:
    """One caller's batch waiting for a group commit. With `token`, the caller is found from the
    token inside the group (one look at the tokens for many requests); `actor` and `principal` are
    then ignored."""

    items: Sequence[Any]
    actor: str = ""
    principal: Principal = OFFICE
    token: str | None = None


Outcome = BatchResult | Exception


def commit_group(writer: Writer, batches: Sequence[PendingBatch]) -> list[Outcome]:
    """Decide several callers' batches together and append them in one transaction, each still all
    or nothing. A rejected batch is left out and the others are decided again without it; a race
    lost to another writer decides the whole group again (`Writer.until_appended`: in the store's
    turn); after repeated lost races, or a failure no rule explains, each batch is tried alone, so
    that one batch's failure is its own."""
    outcomes: list[Outcome | None] = [None] * len(batches)
    callers, head = _callers(writer, batches, outcomes)
    commands: dict[int, list[c.Command]] = {}
    for n, batch in enumerate(batches):
        if outcomes[n] is None:
            try:
                commands[n] = parsed(batch.items, callers[n][1],
                                     namespaced=writer.settings.unit_namespaces)
            except BatchRejected as rejected:
                outcomes[n] = rejected

    def attempt(n: int) -> None:
        # nothing of a lost attempt was stored: every batch, refused ones too (a refusal may have
        # been caused by a batch that is now not going to be stored), is decided again. The first
        # group reuses the sync the token check just made (one query fewer per group).
        _forget(outcomes, commands)
        _decide_and_commit(writer, commands, callers, outcomes, head if n == 0 else None)

    try:
        writer.until_appended(attempt)
    except Exception:  # noqa: BLE001 - lost races or not a rule's refusal: find whose batch it is, alone
        _forget(outcomes, commands)
        for n in commands:
            try:
                outcomes[n] = writer.ingest(commands[n], actor=callers[n][0], principal=callers[n][1])
            except Exception as error:  # noqa: BLE001 - reported to that batch's caller only
                outcomes[n] = error
    return _receipted(writer, _filled(outcomes))


def _receipted(writer: Writer, outcomes: list[Outcome]) -> list[Outcome]:
    """Each recorded batch with the latest checkpoint and one inclusion proof per entry against it
    (a duplicate's prove its original entries). Every commit signs a checkpoint of the tree it
    leaves, so the latest covers them all; the proofs are read in one go for the whole group."""
    results = [outcome for outcome in outcomes if isinstance(outcome, BatchResult)]
    if not results:
        return outcomes
    try:
        notary = writer.notary
        with notary.reading() as tx:  # one read transaction for the group, not five
            checkpoint = notary.at(None, tx=tx)
            receipts = notary.receipts([s for r in results for c in r.results for s in c.seqs],
                                       checkpoint, tx)
            note = notary.note(checkpoint, tx)
    except Exception as error:  # noqa: BLE001 - recorded; a retry is a duplicate and gets them
        log.exception("receipts failed")
        return [error if isinstance(outcome, BatchResult) else outcome for outcome in outcomes]
    for result in results:
        result.checkpoint = note
        for command in result.results:
            command.receipts = [receipts[seq] for seq in command.seqs if seq in receipts]
    return outcomes


def _callers(writer: Writer, batches: Sequence[PendingBatch],
             outcomes: list[Outcome | None]) -> tuple[list[tuple[str, Principal]], int | None]:
    """(actor, principal) per batch, and the log's head when the tokens were synced to read them;
    a batch sent with a token nobody holds is refused here."""
    callers = [(batch.actor, batch.principal) for batch in batches]
    head: int | None = None
    if any(batch.token is not None for batch in batches):
        head = writer.streams.sync()
        tokens = writer.streams.tokens(synced=True)
        for n, batch in enumerate(batches):
            if batch.token is None:
                continue
            caller = tokens.principal_for(token_digest(batch.token))
            if caller is None:
                outcomes[n] = NotAuthenticated("auth.unknown", field="authorization")
            else:
                callers[n] = (caller.actor, caller)
    return callers, head


def _decide_and_commit(writer: Writer, commands: dict[int, list[c.Command]],
                       callers: list[tuple[str, Principal]], outcomes: list[Outcome | None],
                       head: int | None = None) -> None:
    """Decide the batches not yet refused into one group and commit it. A refusal leaves the group
    holding part of that batch: the batch is left out and a new group decides the rest."""
    while True:
        live = [n for n in commands if outcomes[n] is None]
        if not live:
            return
        group = writer.group((cmd.id for n in live for cmd in commands[n]), synced=head)
        head = None  # a batch refused: the rest is decided in a new group, on a fresh sync
        decided: dict[int, Decided] = {}
        for n in live:
            try:
                decided[n] = group.decide(commands[n], *callers[n])
            except BatchRejected as rejected:
                outcomes[n] = rejected
                break
        else:
            group.commit()
            for n, one in decided.items():
                try:
                    outcomes[n] = group.result(one)
                except Exception as error:  # noqa: BLE001 - committed; only its report failed
                    outcomes[n] = error
            return


def _forget(outcomes: list[Outcome | None], commands: dict[int, list[c.Command]]) -> None:
    for n in commands:
        outcomes[n] = None


def _filled(outcomes: list[Outcome | None]) -> list[Outcome]:
    return [ConcurrentWriteConflict("write.not_decided") if o is None else o for o in outcomes]


@dataclass
class _Waiting:
    batch: PendingBatch
    future: Future[BatchResult]


class GroupCommitter:
    """The writer thread: takes every batch that arrived while the previous group committed."""

    def __init__(self, writer: Writer, *, max_group: int = MAX_GROUP):
        self.writer = writer
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

    def ingest_group(self, batches: Sequence[PendingBatch]) -> list[Outcome]:
        return commit_group(self.writer, batches)

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
            outcomes: list[Any] = self.ingest_group([w.batch for w in group])
        except Exception as error:  # noqa: BLE001 - every caller must hear of it; the writer goes on
            log.exception("group commit failed")
            outcomes = [error] * len(group)
        for waiting, outcome in zip(group, outcomes, strict=True):
            if isinstance(outcome, BaseException):
                waiting.future.set_exception(outcome)
            else:
                waiting.future.set_result(outcome)
