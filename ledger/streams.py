"""Stream states, folded from the store and cached: what the write-time rules judge against.

Each process folds a stream's entries into its state (`domain.folds`) once, caches it, and keeps the
cache current from the notifications appended since it last looked, which the process's one
follower of the log (`follower.py`) reads once for every room (`sync`: one cheap query when nothing
is new). States are shared between readers and never mutated in place: a writer
takes a private copy (`load`) and hands back the copies it appended to (`remember`).
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence
from typing import Any, TypeVar
from uuid import UUID

from kaoping.domain.errors import LedgerNotInitialised
from kaoping.domain.events import stream_id
from kaoping.domain.folds import (RegistryState, RoundState, StreamState, TokensState, UnitState,
                                  WitnessesState, new_state)
from kaoping.domain.names import REGISTRY_STREAM, TOKENS_STREAM, WITNESSES_STREAM, round_stream, unit_stream

from .damage import decoded, stream_events
from .follower import LogFollower

State = TypeVar("State", bound=StreamState)


class StreamStates:
    def __init__(self, store: Any, follower: LogFollower):
        self.store = store
        self.recorder = store.recorder
        self._cache: dict[str, StreamState] = {}
        self._cache_lock = threading.Lock()
        self._streams_by_id: dict[UUID, str] = {}
        #: the process's one follower of the log: every cached state holds all of its stream's
        #: entries up to its position; its lock is held while a stream is read whole
        self.follower = follower
        follower.subscribe(self._catch_up_cached, self._has_cached)

    def _has_cached(self) -> bool:
        with self._cache_lock:
            return bool(self._cache)

    # -- typed views of the streams the rules read ------------------------------------------------
    def registry(self, *, synced: bool = False, required: bool = True) -> RegistryState:
        """The registry, shared: contract commands never write to it, so nobody mutates it.
        `required`: an empty ledger (no `kaoping init` yet) is refused."""
        registry = self._typed(REGISTRY_STREAM, RegistryState, synced)
        if required and registry.version == 0:
            raise LedgerNotInitialised("ledger.empty")
        return registry

    def tokens(self, *, synced: bool = False) -> TokensState:
        return self._typed(TOKENS_STREAM, TokensState, synced)

    def witnesses(self, *, synced: bool = False) -> WitnessesState:
        return self._typed(WITNESSES_STREAM, WitnessesState, synced)

    def unit(self, code: str, *, synced: bool = False) -> UnitState:
        return self._typed(unit_stream(code), UnitState, synced)

    def round(self, name: str, *, synced: bool = False) -> RoundState:
        return self._typed(round_stream(name), RoundState, synced)

    def _typed(self, stream: str, kind: type[State], synced: bool) -> State:
        state = self.current(stream, synced=synced)
        if not isinstance(state, kind):
            raise TypeError(f"stream {stream} folds into {type(state).__name__}, not {kind.__name__}")
        return state

    # -- the cache ----------------------------------------------------------------------------------
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
        # Read whole, under the follower's lock: a sync moving the head past a newer entry of this
        # stream while it is read (it is not cached yet, so the sync would pass it over) would
        # otherwise leave a stale state cached for good.
        with self.follower.lock:
            with self._cache_lock:
                cached = self._cache.get(stream)
            if cached is not None:
                return cached
            state = new_state(stream)
            for event in stream_events(self.store, stream_id(stream)):
                state.apply(event)
            self.remember([state])
        return state

    def sync(self) -> int:
        """Bring the cached states up to the log's last seq (through the one follower, which reads
        new notifications once for every room): one cheap query when nothing is new."""
        return self.follower.follow()

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
                state.apply(decoded(self.store.mapper, notification))
                updated[stream] = state
            elif notification.originator_version > state.version + 1:
                # a gap: the cached state missed entries; forget it, it is read whole when next used
                with self._cache_lock:
                    self._cache.pop(stream, None)
                updated.pop(stream, None)
        self.remember(updated.values())

    def committed(self, seqs: Sequence[int]) -> None:
        """After this process appended `seqs` (and cached the states they changed): if they follow
        the last synced seq directly, nobody else wrote in between and the cache is still whole."""
        self.follower.appended(seqs, by=self._catch_up_cached)

    def remember(self, states: Iterable[StreamState]) -> None:
        """Cache states, as they are: every caller hands over states it will not touch again."""
        with self._cache_lock:
            for state in states:
                cached = self._cache.get(state.stream)
                if cached is None or cached.version < state.version:
                    self._cache[state.stream] = state
                    self._streams_by_id[stream_id(state.stream)] = state.stream


__all__ = ["StreamStates"]
