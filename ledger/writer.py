"""The write path: commands decided against the ledger as it stands, then appended all or nothing.

A batch is decided in order against private copies of the stream states it touches (`_BatchView`)
and stored in one transaction with its chain links and command index rows (`ledger.store`). A race
lost to a concurrent writer rolls everything back and the batch is decided again. `Group` is one
such view shared by several callers' batches: group commit (`ledger.group_commit`) decides many
requests against one and appends them together.

`Writer.until_appended` is the one retry loop of the append path, for a single batch (`ingest`) and
for a group of callers' batches (`ledger.group_commit`) alike. The first attempt is optimistic: no
lock while deciding. A race is lost when the store finds, under its write lock, that a concurrent
writer changed what the batch was decided on: a version of a stream it writes is taken (the
library's `IntegrityError`), an id it records was recorded (the index's key), a stream it read has a
newer entry, or the clock reading it was decided at is older than the newest stored one
(`store.Basis`; then `RaceLost`). A batch that lost a race is decided again in its *turn*: holding
the store's own write lock (`recorder.turn()`: PostgreSQL's `LOCK TABLE … EXCLUSIVE` on the events,
SQLite's `BEGIN IMMEDIATE`) from before its states are read until its insert commits, so no other
writer can change them meanwhile and it cannot lose again. Without it a bulk ingest (the demo year:
about a second to decide) never won against HTTP writers appending to the same units every few
milliseconds, and gave up with nothing appended. Chunks committed one by one would not keep a file
all or nothing (a refusal in a later chunk would leave the earlier ones); one turn does. Other
writers wait for the turn (their lock timeout is 30 s; reads are not held up), and a small batch's
turn costs no more than its insert's lock already does. (Should a batch lose even in its turn, it
waits a random, growing time before the next.) In its turn a batch reads the clock after the lock is
taken, so its times come after every stored entry's (docs/commands.md §3, 时间与顺序一致); and
only there is a command found in the chain without its index row called damage
(`ledger.index_row_missing`, "restore from backup"): outside a turn it is taken for a race lost to a
writer committing it, and the batch is decided again in its turn.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterable, Sequence
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

from eventsourcing.persistence import IntegrityError

from kaoping.domain import commands as c
from kaoping.domain.errors import IdConflict, KaopingError, LedgerDamaged
from kaoping.domain.events import EntryRecorded, at_console, stream_id
from kaoping.domain.folds import (PublicationsState, RegistryState, RoundState, StreamState,
                                  TokensState, UnitState)
from kaoping.domain.namespaces import own_namespace, own_target
from kaoping.domain.policy import bound_unit
from kaoping.domain.names import PUBLICATIONS_STREAM, TOKENS_STREAM, round_stream, unit_of, unit_stream
from kaoping.domain.principals import OFFICE, Principal
from kaoping.domain.roles import authorize
from kaoping.domain.rules import RecordedCommand, decide

from .files import FileStore
from .notary import Notary
from .settings import Settings
from .store import Basis, Index, NewCommand, NewEntry, RaceLost
from .streams import StreamStates
from .tree import StoredCheckpoint

Clock = Callable[[], datetime]
#: the standings of a stage as of a moment over the log up to a seq (`Reader.frozen`)
Freezer = Callable[[str, datetime, int], dict[str, Any]]
CONFLICT_RETRIES = 12
#: the id and dispute code of a trial dispute (`Writer.disputable`): never appended
TRIAL_ID = "trial"
State = TypeVar("State", bound=StreamState)
T = TypeVar("T")


def back_off(attempt: int) -> None:
    """Random, growing waits: writers that collided on a stream should not collide again."""
    time.sleep(random.uniform(0, 0.005 * 2 ** min(attempt, 6)))


# -- what a caller gets back -----------------------------------------------------------------------

@dataclass
class CommandResult:
    index: int
    id: str
    seqs: list[int]
    duplicate: bool
    #: one inclusion proof per seq against the batch's checkpoint (HTTP appends only): evidence
    #: about the result, not part of what it is
    receipts: list[dict[str, Any]] | None = field(default=None, compare=False)

    def as_json(self) -> dict[str, Any]:
        document = {"index": self.index, "id": self.id, "seqs": self.seqs, "duplicate": self.duplicate}
        if self.receipts is not None:
            document["receipts"] = self.receipts
        return document


@dataclass
class BatchResult:
    results: list[CommandResult] = field(default_factory=list)
    #: the note of the checkpoint the receipts prove against (HTTP appends only)
    checkpoint: str | None = None

    @property
    def appended(self) -> int:
        return sum(1 for r in self.results if not r.duplicate)

    @property
    def duplicates(self) -> int:
        return sum(1 for r in self.results if r.duplicate)


class BatchRejected(Exception):
    """A command of a batch was refused; nothing of the batch was appended."""

    def __init__(self, index: int, command_id: str | None, error: KaopingError):
        super().__init__(f"command {index}: {error}")
        self.index, self.command_id, self.error = index, command_id, error

    def detail(self) -> dict[str, Any]:
        return {"index": self.index, "id": self.command_id, "field": self.error.field,
                "message": self.error.message}


class ConcurrentWriteConflict(KaopingError):
    """Other writers kept changing the same streams; the batch was not appended (retry later)."""


def parsed(items: Sequence[Any], principal: Principal = OFFICE, *,
           namespaced: bool = False) -> list[c.Command]:
    """Raw dicts (or commands already parsed) as commands, with `namespaced` a unit token's in its
    unit's namespace (`domain.namespaces`); the first malformed one rejects the batch."""
    commands: list[c.Command] = []
    for i, item in enumerate(items):
        try:
            command = item if isinstance(item, c.Command) else c.parse_command(item)
            commands.append(own_namespace(command, principal) if namespaced else command)
        except KaopingError as error:
            raise BatchRejected(i, _raw_id(item), error) from error
    return commands


def _raw_id(item: Any) -> str | None:
    if isinstance(item, dict) and isinstance(item.get("id"), str):
        return item["id"]
    return getattr(item, "id", None)


# -- deciding --------------------------------------------------------------------------------------

def _as(state: StreamState, kind: type[State]) -> State:
    if not isinstance(state, kind):
        raise TypeError(f"stream {state.stream} folds into {type(state).__name__}, not {kind.__name__}")
    return state


class _BatchView:
    """The ledger as the rules see it during one batch: stored state plus the batch's own entries."""

    def __init__(self, streams: StreamStates, index: Index, registry: RegistryState,
                 freezer: Freezer, head: int, files: FileStore | None = None):
        self.streams, self.index, self.freezer, self.head = streams, index, freezer, head
        self.files = files
        #: which files the batch asked about, and whether each is stored (asked once)
        self.stored: dict[str, bool] = {}
        self.registry = registry
        self.states: dict[str, StreamState] = {registry.stream: registry}
        #: each stream's version when the batch first read it (the store checks the ones it only read)
        self.read: dict[str, int] = {registry.stream: registry.version}
        self.commands: dict[str, RecordedCommand] = {}
        #: each dispute code's stream as the index has it (None: no such dispute), read once
        self.disputes: dict[str, str | None] = {}

    def state(self, stream: str) -> StreamState:
        if stream not in self.states:
            state = self.states[stream] = self.streams.load(stream, synced=True)
            self.read[stream] = state.version
        return self.states[stream]

    def unit(self, code: str) -> UnitState:
        return _as(self.state(unit_stream(code)), UnitState)

    def tokens(self) -> TokensState:
        return _as(self.state(TOKENS_STREAM), TokensState)

    def publications(self) -> PublicationsState:
        return _as(self.state(PUBLICATIONS_STREAM), PublicationsState)

    def first_seq(self, command_id: str) -> int | None:
        seqs = self.index.seqs(command_id)
        return seqs[0] if seqs else None

    def freeze(self, stage: str, as_of: datetime) -> dict[str, Any]:
        return self.freezer(stage, as_of, self.head)

    def round(self, name: str) -> RoundState:
        return _as(self.state(round_stream(name)), RoundState)

    def command(self, command_id: str) -> RecordedCommand | None:
        if command_id not in self.commands:
            found = self.index.commands([command_id])
            if not found:
                return None
            self.commands.update(found)
        return self.commands[command_id]

    def file_stored(self, sha256: str) -> bool:
        if sha256 not in self.stored:
            self.stored[sha256] = self.files is not None and bool(self.files.has([sha256]))
        return self.stored[sha256]

    def dispute_unit(self, dispute: str) -> str | None:
        if dispute not in self.disputes:
            self.disputes[dispute] = self.index.dispute_stream(dispute)
        streams = self.disputes[dispute]
        return unit_of(streams) if streams is not None else None


@dataclass
class Decided:
    """One batch's place in a group: (index, id, duplicate) per command, and the ids recorded earlier."""

    outcome: list[tuple[int, str, bool]]
    known: list[str]


class Group:
    """Batches decided against one view of the ledger and appended in one transaction."""

    def __init__(self, writer: Writer, known: dict[str, RecordedCommand], head: int,
                 orphans: dict[str, int] | None = None):
        self.writer = writer
        self.known = known
        #: ids whose entries are in the chain while the command index has no row for them
        self.orphans = orphans or {}
        self.head = head  # the log's last seq when the group's states were synced
        self.view = _BatchView(writer.streams, writer.index, writer.streams.registry(synced=True),
                               writer.freezer, head, writer.files)
        #: made in a turn: holding the store's write lock, so nobody else appends until it commits
        self.locked = writer.store.recorder.in_turn()
        self.now = writer.clock()
        self.events: list[EntryRecorded] = []
        self.entries: list[NewEntry] = []
        self.commands: list[NewCommand] = []
        self.hashes: dict[str, str] = {}
        self.seqs: dict[str, list[int]] = {}
        #: the checkpoint the commit signed
        self.checkpoint: StoredCheckpoint | None = None

    def decide(self, commands: list[c.Command], default_actor: str, principal: Principal,
               progress: Callable[[int], None] | None = None) -> Decided:
        """Decide one batch into the group; raises BatchRejected, leaving the group unusable."""
        view, tz = self.view, self.writer.settings.zone
        outcome: list[tuple[int, str, bool]] = []
        known: list[str] = []
        for i, cmd in enumerate(commands):
            if progress is not None and i % 100 == 0:
                progress(i)
            if (isinstance(cmd, c.VoidRequested) and self.writer.settings.unit_namespaces
                    and (unit := bound_unit(principal)) is not None):
                # a void request's bare target, as the unit sent its entry's id: the stored one
                own = view.unit(unit).entries
                cmd = commands[i] = own_target(cmd, principal, lambda entry_id: entry_id in own)
            payload = cmd.payload()
            content_hash = cmd.content_hash(payload)
            # the role first: a token that may not record a command learns nothing about an entry
            # with its id, not even that it is there
            self._judged(i, cmd, commands, lambda: authorize(principal, cmd, view))
            if cmd.id in self.orphans:
                if not self.locked:  # damage only if it is still so while nobody else can append
                    raise RaceLost(f"{cmd.id} in the chain without its index row")
                raise BatchRejected(i, cmd.id, LedgerDamaged(
                    "ledger.index_row_missing", id=cmd.id, seq=self.orphans[cmd.id]))
            earlier = self.known.get(cmd.id)
            earlier_hash = earlier.content_hash if earlier else self.hashes.get(cmd.id)
            if earlier_hash is not None:
                if earlier_hash != content_hash:
                    raise BatchRejected(i, cmd.id, IdConflict("id.conflict", field="id", id=cmd.id))
                outcome.append((i, cmd.id, True))
                if earlier:
                    known.append(cmd.id)
                continue
            decision = self._judged(
                i, cmd, commands, lambda: decide(cmd, view, now=self.now, tz=tz, payload=payload,
                                                 principal=principal))
            for stream in decision.streams:
                state = view.state(stream)
                event = at_console(EntryRecorded(
                    originator_id=stream_id(stream), originator_version=state.version + 1,
                    timestamp=self.now, stream=stream, entry_type=cmd.type, command_id=cmd.id,
                    actor=cmd.actor or default_actor, recorded_at=decision.recorded_at,
                    backdated=decision.backdated, payload=decision.payload,
                ), self.writer.console)
                state.apply(event)
                self.events.append(event)
                self.entries.append(NewEntry(stream, cmd.id))
            dispute = decision.payload.get("dispute") if cmd.type == "dispute.filed" else None
            recorded = RecordedCommand(cmd.id, cmd.type, decision.streams, decision.recorded_at,
                                       content_hash)
            view.commands[cmd.id] = recorded
            if dispute:
                view.disputes[dispute] = decision.streams[0]
            self.commands.append(NewCommand(cmd.id, recorded.type, content_hash,
                                            decision.recorded_at, decision.streams, dispute))
            self.hashes[cmd.id] = content_hash
            outcome.append((i, cmd.id, False))
        return Decided(outcome, known)

    def _judged(self, i: int, cmd: c.Command, commands: list[c.Command],
                judge: Callable[[], Any]) -> Any:
        """`judge()`, its refusal turned into the batch's rejection, unless the ledger moved under
        the group, in which case the group is decided again."""
        writer = self.writer
        try:
            return judge()
        except KaopingError as error:
            # the index was read before the streams: if a concurrent writer recorded one of these
            # ids in between, the refusal may be against its entries; decide again
            if set(writer.index.commands([x.id for x in commands])) - set(self.known):
                raise RaceLost from error
            raise BatchRejected(i, cmd.id, error) from error
        except KeyError as error:
            # The command index is read live, the states as of the group's sync: an entry
            # recorded in between is in one and not the other. Decide again on fresh states.
            if (writer.streams.recorder.max_notification_id() or 0) > self.head:
                raise RaceLost from error
            raise

    def commit(self) -> None:
        if not self.events:
            return
        written = {entry.stream for entry in self.entries}
        basis = Basis({str(stream_id(stream)): version for stream, version in self.view.read.items()
                       if stream not in written}, self.now, self.locked)
        recordings, self.checkpoint = self.writer.put(self.events, self.entries, self.commands, basis)
        for recording in recordings:
            self.seqs.setdefault(recording.domain_event.command_id, []).append(
                recording.notification.id)
        # the view's states were private copies and the view ends here: cache them as they are
        self.writer.streams.remember(self.view.states.values())
        self.writer.streams.committed([r.notification.id for r in recordings])

    def result(self, decided: Decided) -> BatchResult:
        for command_id in decided.known:
            if command_id not in self.seqs:
                self.seqs[command_id] = self.writer.index.seqs(command_id)
        return BatchResult([CommandResult(i, cid, self.seqs.get(cid, []), dup)
                            for i, cid, dup in decided.outcome])


# -- the writer ------------------------------------------------------------------------------------

def _no_freezer(stage: str, as_of: datetime, upto: int) -> dict[str, Any]:
    raise RuntimeError("this writer was built without a reader to freeze standings with")


class Writer:
    def __init__(self, store: Any, streams: StreamStates, index: Index, notary: Notary,
                 settings: Settings, clock: Clock, freezer: Freezer = _no_freezer,
                 files: FileStore | None = None, console: str | None = None):
        self.store, self.streams, self.index, self.notary = store, streams, index, notary
        #: the OS user at whose console this writer records (the command line's), written on each
        #: entry it makes (`EntryRecorded.console`); None over HTTP
        self.console = console
        self.settings, self.clock = settings, clock
        #: the stored evidence files, asked whether a file a command cites is stored
        self.files = files
        #: a publication freezes standings as the reader reads them (`Reader.frozen`)
        self.freezer = freezer

    def group(self, ids: Iterable[str], *, synced: int | None = None) -> Group:
        """A new group over the ledger as it stands; `ids` are the commands it will decide.
        `synced`: the head of a `streams.sync()` the caller has just made, so it is not made twice."""
        # once for the group: its states are then read from the cache
        head = self.streams.sync() if synced is None else synced
        self.streams.registry(synced=True)  # an empty ledger is refused before anything else is read
        # an id with entries but no index row would be appended a second time: found here instead
        known, orphans = self.index.recorded(sorted(set(ids)))
        return Group(self, known, head, orphans)

    def until_appended(self, attempt: Callable[[int], T]) -> T:
        """`attempt(n)` (decide a group against the ledger as it stands and commit it), again after
        each race it loses: the first time optimistically, every later time in the store's turn;
        ConcurrentWriteConflict after CONFLICT_RETRIES lost races.
        Whatever else `attempt` raises (a refusal, a failure) ends it."""
        for n in range(CONFLICT_RETRIES):
            if n > 1:  # the first turn needs no wait: its lock puts the writers in a row
                back_off(n)
            try:
                with self.store.recorder.turn() if n else nullcontext():
                    return attempt(n)
            except (IntegrityError, RaceLost):
                continue
        raise ConcurrentWriteConflict("write.contended")

    def ingest(self, items: Sequence[Any], *, actor: str, principal: Principal = OFFICE,
               progress: Callable[[int], None] | None = None) -> BatchResult:
        """Append a batch all or nothing. `items` are raw dicts or parsed commands."""
        commands = parsed(items, principal, namespaced=self.settings.unit_namespaces)

        def attempt(n: int) -> tuple[Group, Decided]:
            group = self.group(cmd.id for cmd in commands)
            decided = group.decide(commands, actor, principal, progress)
            group.commit()
            return group, decided

        group, decided = self.until_appended(attempt)
        return group.result(decided)

    def append_internal(self, stream: str, version: int,
                        entries: list[tuple[str, str, dict[str, Any]]], *, actor: str,
                        recorded_at: datetime | None = None) -> list[int]:
        """Entries the ledger makes itself (registry, tokens): not contract commands, same chain.
        Rare, so made in the store's turn: the clock is read holding its write lock."""
        with self.store.recorder.turn():
            now = self.clock()
            events = [
                at_console(EntryRecorded(
                    originator_id=stream_id(stream), originator_version=v, timestamp=now, stream=stream,
                    entry_type=kind, command_id=cid, actor=actor, recorded_at=recorded_at or now,
                    backdated=recorded_at is not None, payload=payload), self.console)
                for v, (cid, kind, payload) in enumerate(entries, start=version + 1)
            ]
            recordings, _ = self.put(events, [NewEntry(stream, e.command_id) for e in events],
                                     [NewCommand(e.command_id, e.entry_type, "", now, (stream,), None)
                                      for e in events], Basis(now=now, now_locked=True))
        return [r.notification.id for r in recordings]

    def disputable(self, unit: str, principal: Principal, history: Sequence[dict[str, Any]]) -> set[str]:
        """The ids of `history` (unit `unit`'s) on which a `dispute.filed` by `principal` would be
        accepted now: each tried alone against the ledger as it stands, by the same role check and
        decider as an append, and nothing appended. A page offers exactly these."""
        group = self.group(())
        view, tz = group.view, self.settings.zone
        view.commands.update(self.index.commands([row["id"] for row in history]))  # one read for all
        accepted = set()
        for row in history:
            trial = c.DisputeFiled(id=TRIAL_ID, type="dispute.filed", unit=unit, dispute=TRIAL_ID,
                                   target=row["id"], reason=TRIAL_ID)
            try:
                authorize(principal, trial, view)
                decide(trial, view, now=group.now, tz=tz, principal=principal)
            except KaopingError:
                continue
            accepted.add(row["id"])
        return accepted

    def put(self, events: list[EntryRecorded], entries: list[NewEntry], commands: list[NewCommand],
            basis: Basis) -> tuple[list[Any], StoredCheckpoint | None]:
        """Store events with their chain links, command index rows, tree nodes and a signed
        checkpoint in one transaction, if the `basis` they were decided on still holds (else
        RaceLost); the recordings and that checkpoint.
        `Application.save` would do the same after checking each event against a runtime Protocol,
        which costs more than encoding it; the ledger has no aggregates to cache or snapshot."""
        signing = self.notary.signing(events[0].timestamp if events else self.clock())
        recordings = self.store.events.put(events, entries=entries, commands=commands,
                                           signing=signing, basis=basis)
        return recordings, signing.signed


__all__ = ["BatchRejected", "BatchResult", "CommandResult", "ConcurrentWriteConflict", "Group",
           "Writer"]
