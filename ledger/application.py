"""The ledger service: `init`, `ingest` (all or nothing, idempotent), `history`, `verify`."""

from __future__ import annotations

import json
import random
import secrets
import threading
import time
from bisect import bisect_right
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from importlib import resources
from typing import Any

from eventsourcing.application import Application
from eventsourcing.persistence import IntegrityError

from kaoping.domain import commands as c
from kaoping.domain.chain import first_break
from kaoping.domain.errors import (
    IdConflict,
    InvalidCommand,
    KaopingError,
    LedgerNotInitialised,
    NotAuthenticated,
    RuleViolation,
    UnknownReference,
)
from kaoping.domain.events import EntryRecorded, stream_id
from kaoping.domain.names import REGISTRY_STREAM, TOKENS_STREAM, unit_stream
from kaoping.domain.reference import parse_indicators, parse_units
from kaoping.domain.relevance import moves_others, relevant_to
from kaoping.domain.decimals import fmt
from kaoping.domain.scoring import counted, make_cutoff, score_unit
from kaoping.domain.standings import by_group, stage_figure
from kaoping.domain.folds import RegistryState, RoundState, StreamState, UnitState, new_state
from kaoping.domain.roles import OFFICE, Principal, authorize, check_scope
from kaoping.domain.rules import RecordedCommand, decide
from kaoping.domain.tokens import TokensState, token_digest

from .export import export_entries
from .reading import EntryLog, ResultCache, parse_as_of
from .settings import Settings
from .store import ChainedPostgresRecorder, ChainedSQLiteRecorder, Index, NewCommand, NewEntry

Clock = Callable[[], datetime]
CONFLICT_RETRIES = 12


def _back_off(attempt: int) -> None:
    """Random, growing waits: writers that collided on a stream should not collide again."""
    time.sleep(random.uniform(0, 0.005 * 2 ** min(attempt, 6)))


def _seq(entry: Any) -> int:
    return entry.seq  # type: ignore[no-any-return]


class _ReadCaches:
    """What the reading methods keep between calls (see `reading_registry`, `_unit_score`)."""

    def __init__(self) -> None:
        self.registry: RegistryState | None = None
        #: UnitScores with their explanations, weighed by the entries of the unit's stream (what
        #: the explanation cites): about two full sets of standings at the demo year's --scale 20
        self.scores = ResultCache(max_weight=250_000)


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


class _EventStore(Application):  # type: ignore[type-arg]
    """The library's application, used as the event store: aggregates are folded by `domain.folds`."""

    name = "Kaoping"


@dataclass(frozen=True)
class CommandResult:
    index: int
    id: str
    seqs: list[int]
    duplicate: bool

    def as_json(self) -> dict[str, Any]:
        return {"index": self.index, "id": self.id, "seqs": self.seqs, "duplicate": self.duplicate}


@dataclass
class BatchResult:
    results: list[CommandResult] = field(default_factory=list)

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


class _RaceLost(Exception):
    """A concurrent writer recorded one of the batch's ids while it was being decided."""


class ConcurrentWriteConflict(KaopingError):
    """Other writers kept changing the same streams; the batch was not appended (retry later)."""


class _BatchView:
    """The ledger as the rules see it during one batch: stored state plus the batch's own entries."""

    def __init__(self, ledger: Ledger, registry: RegistryState, known: dict[str, RecordedCommand]):
        self.ledger = ledger
        self.registry = registry
        self.states: dict[str, StreamState] = {REGISTRY_STREAM: registry}
        self.commands = dict(known)
        self.disputes: dict[str, str] = {}

    def state(self, stream: str) -> StreamState:
        if stream not in self.states:
            self.states[stream] = self.ledger.load(stream, synced=True)
        return self.states[stream]

    def unit(self, code: str) -> UnitState:
        return self.state(unit_stream(code))  # type: ignore[return-value]

    def round(self, name: str) -> RoundState:
        return self.state(f"round:{name}")  # type: ignore[return-value]

    def command(self, command_id: str) -> RecordedCommand | None:
        if command_id not in self.commands:
            found = self.ledger.index.commands([command_id])
            if not found:
                return None
            self.commands.update(found)
        return self.commands[command_id]

    def dispute_unit(self, dispute: str) -> str | None:
        if dispute not in self.disputes:
            streams = self.ledger.index.dispute_stream(dispute)
            if streams is None:
                return None
            self.disputes[dispute] = streams
        return self.disputes[dispute].removeprefix("unit:")


@dataclass(frozen=True)
class PendingBatch:
    """One caller's batch waiting for a group commit. With `token`, the caller is found from the
    token inside the group (one look at the tokens for many requests); `actor` and `principal` are
    then ignored."""

    items: Sequence[Any]
    actor: str = ""
    principal: Principal = OFFICE
    token: str | None = None


@dataclass
class _Decided:
    outcome: list[tuple[int, str, bool]]
    known: list[str]


class _Group:
    """Batches decided against one view of the ledger and appended in one transaction."""

    def __init__(self, ledger: Ledger, known: dict[str, RecordedCommand]):
        self.ledger = ledger
        self.known = known
        self.view = _BatchView(ledger, ledger.registry(synced=True), {})
        self.now = ledger.clock()
        self.events: list[EntryRecorded] = []
        self.entries: list[NewEntry] = []
        self.commands: list[NewCommand] = []
        self.hashes: dict[str, str] = {}
        self.seqs: dict[str, list[int]] = {}
        self.head = 0  # the log's last seq when the group's states were synced

    @classmethod
    def start(cls, ledger: Ledger, ids: Iterable[str]) -> _Group:
        head = ledger.sync()  # once for the group: its states are then read from the cache
        ledger.registry(synced=True)  # an empty ledger is refused before anything else is read
        group = cls(ledger, ledger.index.commands(sorted(set(ids))))
        group.head = head
        return group

    def decide(self, commands: list[c.Command], default_actor: str, principal: Principal,
               progress: Callable[[int], None] | None = None) -> _Decided:
        """Decide one batch into the group; raises BatchRejected, leaving the group unusable."""
        view, tz = self.view, self.ledger.settings.zone
        outcome: list[tuple[int, str, bool]] = []
        known: list[str] = []
        for i, cmd in enumerate(commands):
            if progress is not None and i % 100 == 0:
                progress(i)
            payload = cmd.payload()
            content_hash = cmd.content_hash(payload)
            # the role first: a token that may not record a command learns nothing about an entry
            # with its id, not even that it is there
            self._judged(i, cmd, commands, lambda: authorize(principal, cmd, view))
            earlier = self.known.get(cmd.id)
            earlier_hash = earlier.content_hash if earlier else self.hashes.get(cmd.id)
            if earlier_hash is not None:
                if earlier_hash != content_hash:
                    raise BatchRejected(i, cmd.id, IdConflict(
                        f"id {cmd.id!r} is already recorded with other content", field="id"))
                outcome.append((i, cmd.id, True))
                if earlier:
                    known.append(cmd.id)
                continue
            decision = self._judged(
                i, cmd, commands, lambda: decide(cmd, view, now=self.now, tz=tz, payload=payload))
            for stream in decision.streams:
                state = view.state(stream)
                event = EntryRecorded(
                    originator_id=stream_id(stream), originator_version=state.version + 1,
                    timestamp=self.now, stream=stream, entry_type=cmd.type,  # type: ignore[attr-defined]
                    command_id=cmd.id, actor=cmd.actor or default_actor,
                    recorded_at=decision.recorded_at, backdated=decision.backdated,
                    payload=decision.payload,
                )
                state.apply(event)
                self.events.append(event)
                self.entries.append(NewEntry(stream, cmd.id))
            dispute = decision.payload.get("dispute") if cmd.type == "dispute.filed" else None  # type: ignore[attr-defined]
            recorded = RecordedCommand(cmd.id, cmd.type, decision.streams,  # type: ignore[attr-defined]
                                       decision.recorded_at, content_hash)
            view.commands[cmd.id] = recorded
            if dispute:
                view.disputes[dispute] = decision.streams[0]
            self.commands.append(NewCommand(cmd.id, recorded.type, content_hash,
                                            decision.recorded_at, decision.streams, dispute))
            self.hashes[cmd.id] = content_hash
            outcome.append((i, cmd.id, False))
        return _Decided(outcome, known)

    def _judged(self, i: int, cmd: c.Command, commands: list[c.Command],
                judge: Callable[[], Any]) -> Any:
        """`judge()`, its refusal turned into the batch's rejection, unless the ledger moved under
        the group, in which case the group is decided again."""
        ledger = self.ledger
        try:
            return judge()
        except KaopingError as error:
            # the index was read before the streams: if a concurrent writer recorded one of these
            # ids in between, the refusal may be against its entries; decide again
            if set(ledger.index.commands([x.id for x in commands])) - set(self.known):
                raise _RaceLost from error
            raise BatchRejected(i, cmd.id, error) from error
        except KeyError as error:
            # The command index is read live, the states as of the group's sync: an entry
            # recorded in between is in one and not the other. Decide again on fresh states.
            if (ledger.recorder.max_notification_id() or 0) > self.head:
                raise _RaceLost from error
            raise

    def commit(self) -> None:
        if not self.events:
            return
        recordings = self.ledger._put(self.events, self.entries, self.commands)
        for recording in recordings:
            event = recording.domain_event
            self.seqs.setdefault(event.command_id, []).append(recording.notification.id)
        # the view's states were private copies and the view ends here: cache them as they are
        self.ledger._remember(self.view.states.values())
        self.ledger._committed([r.notification.id for r in recordings])

    def result(self, decided: _Decided) -> BatchResult:
        for command_id in decided.known:
            if command_id not in self.seqs:
                self.seqs[command_id] = self.ledger.index.seqs(command_id)
        return BatchResult([CommandResult(i, cid, self.seqs.get(cid, []), dup)
                            for i, cid, dup in decided.outcome])


def _filled(outcomes: list[BatchResult | Exception | None]) -> list[BatchResult | Exception]:
    return [ConcurrentWriteConflict("not decided") if o is None else o for o in outcomes]


def _parsed(items: Sequence[Any]) -> list[c.Command]:
    parsed: list[c.Command] = []
    for i, item in enumerate(items):
        try:
            parsed.append(item if isinstance(item, c.Command) else c.parse_command(item))
        except KaopingError as error:
            raise BatchRejected(i, _raw_id(item), error) from error
    return parsed


class Ledger:
    def __init__(self, settings: Settings, clock: Clock = utc_now):
        self.settings = settings
        self.clock = clock
        self.store = _EventStore(env=settings.eventsourcing_env())
        recorder = self.store.recorder
        if not isinstance(recorder, (ChainedSQLiteRecorder, ChainedPostgresRecorder)):
            raise TypeError(f"unexpected recorder {type(recorder)}")
        self.recorder = recorder
        events_table = getattr(recorder, "events_table_name", "stored_events")
        self.index = Index(recorder, events_table)
        self.log = EntryLog(recorder, self.store.mapper)
        self._reads = _ReadCaches()
        self._cache: dict[str, StreamState] = {}
        self._cache_lock = threading.Lock()
        #: every cached state holds all of its stream's entries up to this seq
        self._head = 0
        self._streams_by_id: dict[Any, str] = {}
        self._sync_lock = threading.Lock()

    def close(self) -> None:
        self.store.close()

    # -- stream states ------------------------------------------------------------------------------
    def load(self, stream: str, *, synced: bool = False) -> StreamState:
        """A private copy of a stream's state, brought up to date from the store: for deciding."""
        return self.current(stream, synced=synced).clone()

    def current(self, stream: str, *, synced: bool = False) -> StreamState:
        """The cached state, brought up to date, shared with other readers: never mutate it.
        `synced`: the caller has just called `sync()` and accepts its view of the log."""
        if not synced:
            self.sync()
        with self._cache_lock:
            cached = self._cache.get(stream)
        if cached is not None:
            return cached
        # Read whole, under the sync lock: a sync moving the head past a newer entry of this stream
        # while it is read (it is not cached yet, so the sync would pass it over) would otherwise
        # leave a stale state cached for good.
        with self._sync_lock:
            with self._cache_lock:
                cached = self._cache.get(stream)
            if cached is not None:
                return cached
            state = new_state(stream)
            for event in self.store.events.get(stream_id(stream)):
                state.apply(event)  # type: ignore[arg-type]
            self._remember([state])
        return state

    def sync(self) -> int:
        """Bring the cached states up to the log's last seq. One cheap query when nothing is new (the
        usual case when this process is the only writer); otherwise the new notifications are read
        once and applied to the states they concern, instead of one query per stream per use."""
        head = self.recorder.max_notification_id() or 0
        if head <= self._head:
            return head
        with self._sync_lock:
            with self._cache_lock:
                after, empty = self._head, not self._cache
            while after < head and not empty:  # with nothing cached there is nothing to bring up
                page = self.recorder.select_notifications(after, 2_000, stop=head,
                                                          inclusive_of_start=False)
                if not page:
                    break
                self._catch_up_cached(page)
                after = page[-1].id
            with self._cache_lock:
                self._head = max(self._head, head)
        return head

    def _catch_up_cached(self, notifications: Sequence[Any]) -> None:
        with self._cache_lock:
            wanted = [n for n in notifications if self._streams_by_id.get(n.originator_id) in self._cache]
        if not wanted:
            return
        updated: dict[str, StreamState] = {}
        for notification in wanted:
            stream = self._streams_by_id[notification.originator_id]
            state = updated.get(stream)
            if state is None:
                with self._cache_lock:
                    cached = self._cache.get(stream)
                if cached is None:
                    continue  # forgotten after a gap, earlier in this page
                state = cached.clone()
            if notification.originator_version == state.version + 1:
                state.apply(self.store.mapper.to_domain_event(notification))  # type: ignore[arg-type]
                updated[stream] = state
            elif notification.originator_version > state.version + 1:
                # a gap: the cached state missed entries; forget it, it is read whole when next used
                with self._cache_lock:
                    self._cache.pop(stream, None)
                updated.pop(stream, None)
        self._remember(updated.values())

    def _committed(self, seqs: Sequence[int]) -> None:
        """After this process appended `seqs` (and cached the states they changed): if they follow
        the last synced seq directly, nobody else wrote in between and the cache is still whole."""
        if not seqs:
            return
        with self._cache_lock:
            if min(seqs) == self._head + 1:
                self._head = max(seqs)

    def _remember(self, states: Iterable[StreamState]) -> None:
        """Cache states, as they are: every caller hands over states it will not touch again."""
        with self._cache_lock:
            for state in states:
                cached = self._cache.get(state.stream)
                if cached is None or cached.version < state.version:
                    self._cache[state.stream] = state
                    self._streams_by_id[stream_id(state.stream)] = state.stream

    def registry(self, *, synced: bool = False) -> RegistryState:
        """The registry, shared: contract commands never write to it, so nobody mutates it."""
        registry = self.current(REGISTRY_STREAM, synced=synced)
        if registry.version == 0:
            raise LedgerNotInitialised("the ledger is empty: run `kaoping init` first")
        return registry  # type: ignore[return-value]

    # -- init ---------------------------------------------------------------------------------------
    def init(self) -> bool:
        """Record the 2018 scheme, the common indicators and the 59 units. False if already there."""
        if self.current(REGISTRY_STREAM).version > 0:
            return False
        data = resources.files("kaoping.domain") / "data"
        scheme = json.loads((data / "scheme-2018.json").read_text(encoding="utf-8"))
        entries: list[tuple[str, str, dict[str, Any]]] = [
            (f"kaoping:init:scheme:{scheme['version']}", "scheme.adopted", {"scheme": scheme}),
        ]
        for ind in parse_indicators((data / "common_indicators.tsv").read_text(encoding="utf-8")):
            entries.append((f"kaoping:init:indicator:{ind.code}", "indicator.registered",
                            {"code": ind.code, "name": ind.name, "name_en": ind.name_en,
                             "assessor": ind.assessor, "in_average": ind.in_average}))
        for unit in parse_units((data / "units.tsv").read_text(encoding="utf-8")):
            entries.append((f"kaoping:init:unit:{unit.code}", "unit.registered",
                            {"code": unit.code, "name": unit.name, "name_en": unit.name_en,
                             "category": unit.category, "group": unit.group}))
        try:
            self._append_internal(REGISTRY_STREAM, 0, entries, actor="kaoping init")
        except IntegrityError:
            return False  # another process initialised it at the same moment
        return True

    def _append_internal(self, stream: str, version: int, entries: list[tuple[str, str, dict[str, Any]]],
                         *, actor: str, recorded_at: datetime | None = None) -> list[int]:
        """Entries the ledger makes itself (registry, tokens): not contract commands, same chain."""
        now = self.clock()
        events = [
            EntryRecorded(originator_id=stream_id(stream), originator_version=v, timestamp=now,
                          stream=stream, entry_type=kind, command_id=cid, actor=actor,
                          recorded_at=recorded_at or now, backdated=recorded_at is not None,
                          payload=payload)
            for v, (cid, kind, payload) in enumerate(entries, start=version + 1)
        ]
        recordings = self._put(events, [NewEntry(stream, e.command_id) for e in events],
                               [NewCommand(e.command_id, e.entry_type, "", now, (stream,), None)
                                for e in events])
        return [r.notification.id for r in recordings]

    def _put(self, events: list[EntryRecorded], entries: list[NewEntry],
             commands: list[NewCommand]) -> list[Any]:
        """Store events with their chain links and command index rows in one transaction.
        `Application.save` would do the same after checking each event against a runtime Protocol,
        which costs more than encoding it; the ledger has no aggregates to cache or snapshot."""
        return self.store.events.put(events, entries=entries, commands=commands)

    def amend_scheme(self, amendment: dict[str, Any], *, actor: str = "office",
                     recorded_at: str | None = None) -> str:
        """Record an amendment (a JSON merge patch naming its new version); in force from recorded_at."""
        registry = self.registry()
        # a bare date puts the amendment in force from the start of that day
        when = parse_as_of(recorded_at + "T00:00:00" if recorded_at and len(recorded_at.strip()) == 10
                           else recorded_at, self.settings.zone) if recorded_at else None
        if when is not None and when > self.clock():
            raise RuleViolation("must not be in the future", field="recorded_at")
        try:
            amended = registry.scheme.amended(amendment)
        except (ValueError, KeyError, TypeError) as error:
            raise InvalidCommand(str(error), field="amendment") from None
        if any(s.version == amended.version for _, s in registry.schemes):
            raise RuleViolation(f"version {amended.version} already exists", field="version")
        self._append_internal(REGISTRY_STREAM, registry.version,
                              [(f"kaoping:scheme:{amended.version}", "scheme.amended",
                                {"amendment": amendment, "version": amended.version})],
                              actor=actor, recorded_at=when)
        return amended.version

    def schemes(self) -> list[dict[str, Any]]:
        return [{"version": s.version, "in_force_from": t.astimezone(self.settings.zone).isoformat(),
                 "scheme": s.data} for t, s in self.registry().schemes]

    # -- tokens -------------------------------------------------------------------------------------
    def create_token(self, *, actor: str, role: str, unit: str | None = None,
                     units: Sequence[str] = (), indicators: Sequence[str] = ()) -> tuple[str, str]:
        """Make a bearer token; only its SHA-256 is stored. Returns (token id, the token itself)."""
        check_scope(role, unit, list(units), list(indicators))
        registry = self.registry()
        for code in [unit] if unit else list(units):
            registry.unit(code, field_name="unit" if unit else "units")
        for code in indicators:
            if code not in registry.indicators:
                raise UnknownReference(f"unknown common indicator {code!r}", field="indicators")
        token_id = secrets.token_hex(6)
        token = f"kp_{token_id}_{secrets.token_urlsafe(32)}"
        payload = {"token_id": token_id, "actor": actor, "role": role, "unit": unit,
                   "units": sorted(set(units)), "indicators": sorted(set(indicators)),
                   "sha256": token_digest(token)}
        state = self.load(TOKENS_STREAM)
        self._append_internal(TOKENS_STREAM, state.version,
                              [(f"kaoping:token:{token_id}", "token.created", payload)],
                              actor="kaoping token")
        return token_id, token

    def revoke_token(self, token_id: str) -> None:
        state: TokensState = self.load(TOKENS_STREAM)  # type: ignore[assignment]
        info = state.by_id.get(token_id)
        if info is None:
            raise UnknownReference(f"no token {token_id!r}", field="token_id")
        if info.revoked_by is not None:
            raise RuleViolation(f"token {token_id!r} is already revoked", field="token_id")
        self._append_internal(TOKENS_STREAM, state.version,
                              [(f"kaoping:token:{token_id}:revoked", "token.revoked",
                                {"token_id": token_id})], actor="kaoping token")

    def tokens(self) -> list[dict[str, Any]]:
        state: TokensState = self.current(TOKENS_STREAM)  # type: ignore[assignment]
        return [info.as_json() for info in state.by_id.values()]

    def principal_for(self, token: str) -> Principal | None:
        state: TokensState = self.current(TOKENS_STREAM)  # type: ignore[assignment]
        return state.principal_for(token_digest(token))

    # -- ingest -------------------------------------------------------------------------------------
    def ingest(self, items: Sequence[Any], *, actor: str, principal: Principal = OFFICE,
               progress: Callable[[int], None] | None = None) -> BatchResult:
        """Append a batch all or nothing. `items` are raw dicts or parsed commands."""
        parsed = _parsed(items)
        for attempt in range(CONFLICT_RETRIES):
            try:
                return self._append_once(parsed, actor, principal, progress)
            except (IntegrityError, _RaceLost):
                _back_off(attempt)
        raise ConcurrentWriteConflict("other writers kept changing the same streams; nothing appended")

    def _append_once(self, commands: list[c.Command], default_actor: str, principal: Principal,
                     progress: Callable[[int], None] | None) -> BatchResult:
        group = _Group.start(self, [cmd.id for cmd in commands])
        decided = group.decide(commands, default_actor, principal, progress)
        group.commit()
        return group.result(decided)

    def ingest_group(self, batches: Sequence[PendingBatch]) -> list[BatchResult | Exception]:
        """Group commit: decide several callers' batches together and append them in one
        transaction, each still all or nothing. A rejected batch is left out and the others are
        decided again without it; a conflict with another writer decides the whole group again."""
        outcomes: list[BatchResult | Exception | None] = [None] * len(batches)
        parsed: dict[int, list[c.Command]] = {}
        batches = list(batches)
        if any(batch.token is not None for batch in batches):
            self.sync()
            tokens: TokensState = self.current(TOKENS_STREAM, synced=True)  # type: ignore[assignment]
            for n, batch in enumerate(batches):
                if batch.token is None:
                    continue
                caller = tokens.principal_for(token_digest(batch.token))
                if caller is None:
                    outcomes[n] = NotAuthenticated("unknown or revoked token")
                else:
                    batches[n] = PendingBatch(batch.items, caller.actor, caller)
        for n, batch in enumerate(batches):
            if outcomes[n] is not None:
                continue
            try:
                parsed[n] = _parsed(batch.items)
            except BatchRejected as rejected:
                outcomes[n] = rejected
        attempt = 0
        live = dict(parsed)  # the batches still in the group: rejections leave it
        while live:
            try:
                group = _Group.start(self, [cmd.id for cmds in live.values() for cmd in cmds])
                decided: dict[int, _Decided] = {}
                for n, commands in live.items():
                    try:
                        decided[n] = group.decide(commands, batches[n].actor, batches[n].principal)
                    except BatchRejected as rejected:
                        # the group's state holds part of this batch: leave it out, start again
                        outcomes[n] = rejected
                        del live[n]
                        break
                else:
                    group.commit()
                    for n, one in decided.items():
                        try:
                            outcomes[n] = group.result(one)
                        except Exception as error:  # noqa: BLE001 - committed; only its report failed
                            outcomes[n] = error
                    return _filled(outcomes)
            except (IntegrityError, _RaceLost):
                # nothing was stored: every batch, refused ones too (a refusal may have been caused
                # by a batch that is now not going to be stored), is decided again
                live = dict(parsed)
                for n in parsed:
                    outcomes[n] = None
                attempt += 1
                if attempt >= CONFLICT_RETRIES:
                    break
                _back_off(attempt)
            except Exception:  # noqa: BLE001 - not a rule's refusal: find whose batch it is, alone
                live = dict(parsed)
                for n in parsed:
                    outcomes[n] = None
                break
        # other writers kept winning, or something failed that no rule explains: each batch on its
        # own, so that one batch's failure is its own
        for n in live:
            try:
                outcomes[n] = self.ingest(parsed[n], actor=batches[n].actor,
                                          principal=batches[n].principal)
            except Exception as error:  # noqa: BLE001 - reported to that batch's caller only
                outcomes[n] = error
        return _filled(outcomes)

    # -- reading ------------------------------------------------------------------------------------
    def history(self, code: str) -> list[dict[str, Any]]:
        unit = self.registry().unit(code)
        stream = unit_stream(unit.code)
        state = self.load(stream)
        links = {link.version: link for link in self.index.all_links(stream)}
        rows = []
        for event in self.store.events.get(stream_id(stream)):
            link = links[event.originator_version]
            rows.append(self._entry_json(event, link.seq, link.hash, link.prev_hash,  # type: ignore[arg-type]
                                         state.entries[event.command_id].voided_by,  # type: ignore[attr-defined]
                                         link.global_prev_hash))
        return rows

    def _entry_json(self, event: EntryRecorded, seq: int, digest: str, prev: str, voided_by: str | None,
                    global_prev: str) -> dict[str, Any]:
        tz = self.settings.zone
        return {
            "seq": seq, "id": event.command_id, "type": event.entry_type,
            "recorded_at": event.recorded_at.astimezone(tz).isoformat(),
            "appended_at": event.timestamp.astimezone(tz).isoformat(),
            "actor": event.actor, "payload": event.payload, "hash": digest, "prev_hash": prev,
            "voided_by": voided_by, "backdated": event.backdated, "stream": event.stream,
            "version": event.originator_version, "global_prev_hash": global_prev,
        }

    def today(self) -> Any:
        return self.clock().astimezone(self.settings.zone).date()

    def score(self, code: str, *, as_of: str | None = None, upto: int | None = None,
              entries: Sequence[Any] | None = None,
              registry: RegistryState | None = None) -> dict[str, Any]:
        """The contract's `score` document. Callers scoring many times pass the log prefix they
        read (`entries`) and the `registry`, so that neither is read again for every unit."""
        registry = registry or self.reading_registry()
        unit = registry.unit(code)
        tz = self.settings.zone
        moment = parse_as_of(as_of, tz) if as_of is not None else None
        if entries is None or self.log.is_prefix(entries):
            # the log (or a prefix of it): scored from its stream index, through the result cache
            log = self.log.refresh() if entries is None else entries
            result = self._unit_score(unit, registry, log, moment, upto)
        else:  # entries of the caller's own making: scored as given
            cutoff = make_cutoff(entries, as_of=moment, upto=upto, tz=tz, today=self.today())
            in_force = registry.scheme_at(self._knowledge_time(entries, moment, upto))
            result = score_unit(unit, registry.units, relevant_to(unit, registry.units, entries),
                                in_force, cutoff)
        return result.as_json(unit, as_of=as_of, upto=upto)

    def reading_registry(self) -> RegistryState:
        """The registry for readers, at the registry version of the log they read (`registry()` may
        already be past it); shared, since nobody changes it."""
        self.log.refresh()
        version = len(self.log.index.stream(REGISTRY_STREAM))
        cached: RegistryState | None = self._reads.registry
        if cached is not None and cached.version == version:
            return cached
        registry = self.registry()
        self._reads.registry = registry
        return registry

    def _unit_score(self, unit: Any, registry: RegistryState, log: Sequence[Any],
                    moment: datetime | None, upto: int | None, *, cache: bool = True) -> Any:
        """`score_unit` for `unit` on the log prefix `log`, from the log's stream index. The result is
        a pure function of `_score_key`, so it is cached under it."""
        key = self._score_key(unit, registry, log, moment, upto)
        if cache:
            hit = self._reads.scores.get(key)
            if hit is not None:
                return hit
        cutoff, position = key[2], log[-1].seq if log else 0
        if upto is not None:
            position = min(position, upto)
        result = score_unit(unit, registry.units, self.log.index.relevant_to(unit, registry.units, position),
                            self._in_force(registry, log, moment, upto), cutoff)
        if cache:
            self._reads.scores.put(key, result, self._weight(unit))
        return result

    def _weight(self, unit: Any) -> int:
        return 1 + len(self.log.index.stream(unit_stream(unit.code)))

    def scores(self, codes: Sequence[str], *, as_of: str | None = None,
               entries: Sequence[Any] | None = None,
               registry: RegistryState | None = None) -> dict[str, dict[str, Any]]:
        """`score(code, as_of=, entries=, registry=)` for each code (a dict by code), with the log's
        counted entries resolved once for them all rather than once per unit."""
        registry = registry or self.reading_registry()
        units = [registry.unit(code) for code in codes]
        moment = parse_as_of(as_of, self.settings.zone) if as_of is not None else None
        if entries is not None and not self.log.is_prefix(entries):
            return {u.code: self.score(u.code, as_of=as_of, entries=entries, registry=registry)
                    for u in units}
        log = self.log.refresh() if entries is None else entries
        results = self._unit_scores(units, registry, log, moment, None)
        return {u.code: results[u.code].as_json(u, as_of=as_of, upto=None) for u in units}

    def _unit_scores(self, units: Sequence[Any], registry: RegistryState, log: Sequence[Any],
                     moment: datetime | None, upto: int | None) -> dict[str, Any]:
        """`_unit_score` for many units at one cutoff: those not cached are scored from one
        resolution of the whole log prefix (`scoring.counted`), which every unit shares."""
        found: dict[str, Any] = {}
        missing = []
        for unit in units:
            key = self._score_key(unit, registry, log, moment, upto)
            hit = self._reads.scores.get(key)
            if hit is not None:
                found[unit.code] = hit
            else:
                missing.append((unit, key))
        if len(missing) < 3:  # not worth resolving the whole log
            for unit, _ in missing:
                found[unit.code] = self._unit_score(unit, registry, log, moment, upto)
            return found
        cutoff, in_force = missing[0][1][2], self._in_force(registry, log, moment, upto)
        position = log[-1].seq if log else 0
        prefix = log if upto is None or position <= upto else log[:bisect_right(log, upto, key=_seq)]
        resolved = counted(prefix, cutoff)
        for unit, key in missing:
            result = score_unit(unit, registry.units, (), in_force, cutoff, resolved=resolved)
            self._reads.scores.put(key, result, self._weight(unit))
            found[unit.code] = result
        return found

    def _in_force(self, registry: RegistryState, log: Sequence[Any], moment: datetime | None,
                  upto: int | None) -> Any:
        return registry.scheme_at(self._knowledge_time(log, moment, upto))

    def _score_key(self, unit: Any, registry: RegistryState, log: Sequence[Any],
                   moment: datetime | None, upto: int | None) -> tuple[Any, ...]:
        """What a unit's score at a cutoff depends on: the unit, the seq of the last entry relevant
        to it (the log is append-only), the cutoff, the scheme in force and the registry version."""
        cutoff = make_cutoff(log, as_of=moment, upto=upto, tz=self.settings.zone, today=self.today())
        position = log[-1].seq if log else 0
        if upto is not None:
            position = min(position, upto)  # entries after upto do not count
        return (unit.code, self.log.index.relevant_position(unit, registry.units, position), cutoff,
                moment.isoformat() if moment is not None else None,
                self._in_force(registry, log, moment, upto).version, registry.version)

    def _knowledge_time(self, entries: Sequence[Any], moment: datetime | None,
                        upto: int | None) -> datetime:
        if moment is not None:
            return moment
        if upto is not None:
            at = bisect_right(entries, upto, key=_seq)
            if at:
                return entries[at - 1].recorded_at  # type: ignore[no-any-return]
        return self.clock()

    def replay(self, code: str) -> list[dict[str, Any]]:
        """The unit's total after each entry that concerns it or moves its total, oldest first."""
        registry = self.reading_registry()
        unit = registry.unit(code)
        # every entry that concerns the unit or moves its total is among those its score depends on:
        # filter the log once, not once per row
        entries = relevant_to(unit, registry.units, self.log.refresh())
        own = unit_stream(unit.code)
        # only entries relevant to the unit can concern it or move its total
        position = entries[-1].seq if entries else 0
        candidates = self.log.index.relevant_to(unit, registry.units, position)
        in_own_stream = {e.id for e in self.log.index.stream(own, position)}
        rows: list[dict[str, Any]] = []
        previous = None
        for entry in candidates:
            if entry.stream != own:
                others = moves_others(entry, registry.units)
                # a ballot that ranks the unit has its own copy in the unit's stream: count it there
                if entry.id in in_own_stream or not (others is None or unit.code in others):
                    continue
            # one row per entry: not worth caching, and only the total is wanted (as `score` shows it)
            total = fmt(self._unit_score(unit, registry, entries, None, entry.seq, cache=False).total)
            if entry.stream == own or total != previous:
                rows.append({"seq": entry.seq, "id": entry.id, "type": entry.type, "total": total})
            previous = total
        return rows

    def standings_from_log(self, *, group: str | None = None, stage: str = "annual",
                           as_of: str | None = None) -> list[dict[str, Any]]:
        figure = stage_figure(stage)
        registry = self.reading_registry()
        entries = self.log.refresh()
        moment = parse_as_of(as_of, self.settings.zone) if as_of is not None else None
        units = [u for u in registry.units.values() if group is None or u.group == group]
        results = self._unit_scores(units, registry, entries, moment, None)
        return by_group(((u.group, u.code, u.name, fmt(getattr(results[u.code], figure)))
                         for u in units), group)

    def verify(self) -> dict[str, Any]:
        # one snapshot: the entries and the links up to the last seq read first. Read unbounded, an
        # append between the two reads would look like an entry deleted from the events table.
        # Links commit with their entries, so the larger of the two last seqs is the snapshot's end:
        # an entry deleted at the end still leaves its link inside it.
        end = max(self.recorder.max_notification_id() or 0, self.index.last_link_seq())
        entries = [e for e in self.index.all_entries() if e.seq <= end]
        broken = first_break(entries, [link for link in self.index.all_links() if link.seq <= end])
        return {
            "ok": broken is None,
            "entries": len(entries),
            "streams": len({e.originator_id for e in entries}),
            "first_bad": None if broken is None else {"seq": broken.seq, "reason": broken.reason},
        }

    def export(self) -> Iterator[dict[str, Any]]:
        """Every stored entry up to the current last seq, in seq order, with its chain link and stored
        bytes (`ledger/export.py`), read page by page."""
        return export_entries(self.index.all_entries(), self.index.all_links(),
                              end=self.recorder.max_notification_id() or 0, tz=self.settings.zone,
                              mapper=self.store.mapper)

    def status(self) -> dict[str, Any]:
        registry = self.current(REGISTRY_STREAM)
        initialised = registry.version > 0
        return {
            "database": _redacted(self.settings.database_url),
            "initialised": initialised,
            "scheme_version": registry.scheme.version if initialised else None,  # type: ignore[attr-defined]
            "units": len(registry.units),  # type: ignore[attr-defined]
            "entries": self.recorder.max_notification_id() or 0,
        }


def _raw_id(item: Any) -> str | None:
    if isinstance(item, dict) and isinstance(item.get("id"), str):
        return item["id"]
    return getattr(item, "id", None)


def _redacted(url: str) -> str:
    if "@" in url and ":" in url.split("@")[0].split("//")[-1]:
        scheme, rest = url.split("//", 1)
        user = rest.split("@")[0].split(":")[0]
        return f"{scheme}//{user}:***@{rest.split('@', 1)[1]}"
    return url


__all__ = ["BatchRejected", "BatchResult", "CommandResult", "ConcurrentWriteConflict", "Ledger",
           "PendingBatch",
           "RuleViolation", "utc_now"]
