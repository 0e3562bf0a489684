"""The whole ledger as `Entry` values, read once and then followed incrementally; and a small cache
for results that are pure functions of what they read.

Scoring needs cross-unit facts (ballots, the group's funding), so it reads the ledger in seq order.
The log is append-only, so a reader keeps what it has decoded and asks only for newer seqs.
On PostgreSQL the store's write lock makes commit order equal seq order, so no gap is ever filled
in behind a reader; on SQLite writes are serialised by the database itself.
"""

from __future__ import annotations

import gc
import threading
from bisect import bisect_right, insort
from collections import OrderedDict
from collections.abc import Hashable, Sequence
from datetime import datetime
from typing import Any

from kaoping.domain.entries import Entry
from kaoping.domain.relevance import StreamIndex

from .decode import entry_of, fast_path
from .follower import PAGE, LogFollower

#: a log read at start of this many entries or more is frozen out of the cyclic collector's sight
FREEZE_AT = 10_000


class EntryLog:
    def __init__(self, recorder: Any, mapper: Any, follower: LogFollower):
        self.recorder, self.mapper = recorder, mapper
        self._fast = fast_path(mapper)
        self._entries: list[Entry] = []
        self._seqs: list[int] = []
        #: every entry's recorded_at, in order of time: how many entries a knowledge time counts
        self._recorded: list[datetime] = []
        self._lock = threading.Lock()
        #: the same entries by stream, kept with them (readers cut it at the seq they read up to)
        self.index = StreamIndex()
        #: the process's one follower of the log, joined at the first read (a process that only
        #: appends never reads the log back)
        self.follower = follower
        self._joined = False

    def refresh(self) -> list[Entry]:
        """The whole log as entries, with whatever was appended since the last read."""
        if not self._joined:
            with self.follower.lock:
                if not self._joined:
                    self.follower.join(self._read_up_to, self._take)
                    self._joined = True
                    if len(self._entries) >= FREEZE_AT:
                        # the log's entries live as long as the process: out of the collector's
                        # sight, a full collection no longer walks them (at scale 20 some 600,000
                        # objects, 200-300 ms a collection, every few dozen page loads)
                        gc.freeze()
        self.follower.follow()
        return self._entries

    def read_after(self, after: int, limit: int) -> list[Entry]:
        """Up to `limit` entries after seq `after`, read from the store and kept nowhere: for a
        reader of its own position (the hooks' outbox) that must not make this process's follower
        read back every page its writer appends."""
        page = self.recorder.select_notifications(after, limit, inclusive_of_start=False)
        return [entry_of(self.mapper, notification, self._fast) for notification in page]

    def _read_up_to(self, position: int) -> None:
        """The log from its start up to `position` (where the follower stands), read in pages."""
        after = self._seqs[-1] if self._seqs else 0
        while after < position:
            page = self.recorder.select_notifications(after, PAGE, stop=position, inclusive_of_start=False)
            if not page:
                return
            self._take(page)
            after = page[-1].id

    def _take(self, notifications: Sequence[Any]) -> None:
        with self._lock:
            last = self._seqs[-1] if self._seqs else 0
            for notification in notifications:
                if notification.id <= last:
                    continue  # read already (a page handed again after a catch-up)
                entry = entry_of(self.mapper, notification, self._fast)
                self.index.add(entry)
                self._entries.append(entry)
                self._seqs.append(notification.id)
                insort(self._recorded, entry.recorded_at)  # an append at the end, unless backdated

    def counted_at(self, moment: datetime) -> int:
        """How many entries of the log as read so far have `recorded_at <= moment`. The log only
        grows, so the entries an as-of read counts are the same set exactly while this is unchanged."""
        with self._lock:
            return bisect_right(self._recorded, moment)

    def is_prefix(self, entries: Any) -> bool:
        """Whether `entries` is a prefix of this log (the whole of it, or a slice from its start)."""
        if entries is self._entries:
            return True
        n = len(entries)
        return (isinstance(entries, list) and 0 < n <= len(self._entries)
                and entries[0] is self._entries[0] and entries[-1] is self._entries[n - 1])


class ResultCache:
    """A small thread-safe LRU map for read results that are pure functions of their key, bounded
    by the total `weight` of what it holds (the caller's measure of a value's size)."""

    def __init__(self, max_weight: int):
        self.max_weight = max_weight
        self._items: OrderedDict[Hashable, tuple[Any, int]] = OrderedDict()
        self._weight = 0
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    def get(self, key: Hashable) -> Any:
        with self._lock:
            item = self._items.get(key)
            if item is None:
                self.misses += 1
                return None
            self._items.move_to_end(key)
            self.hits += 1
            return item[0]

    def put(self, key: Hashable, value: Any, weight: int = 1) -> None:
        if weight > self.max_weight:
            return
        with self._lock:
            old = self._items.pop(key, None)
            if old is not None:
                self._weight -= old[1]
            self._items[key] = (value, weight)
            self._weight += weight
            while self._weight > self.max_weight:
                _, (_, dropped) = self._items.popitem(last=False)
                self._weight -= dropped

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self._weight = 0
