"""What an auditor runs: `verify` (walk the hash chain of the stored ledger) and `export` (the whole
ledger as JSON Lines, checkable with no database: `ledger.export.verify_export`).

`verify` reads every entry, so a page that shows its answer asks `verify_status`, which remembers
the answer by ledger size and recomputes it, in the background on a big ledger, when the ledger grows.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

from kaoping.domain.chain import first_break

from .export import export_entries
from .settings import Settings
from .store import Index

#: a ledger this small is verified in the request that first needs it; a bigger one in the background
SYNC_VERIFY_LIMIT = 20_000


class Audit:
    def __init__(self, store: Any, index: Index, settings: Settings):
        self.store, self.index, self.settings = store, index, settings
        self.recorder = store.recorder
        self._lock = threading.Lock()
        self._last: dict[str, Any] | None = None
        self._running = False

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

    def verify_status(self, size: int) -> dict[str, Any]:
        """The last `verify()` answer, with `fresh`: whether it covered a ledger of `size` entries.
        A stale answer starts a new check (at most one at a time); `ok` is None before the first."""
        with self._lock:
            if self._last is not None and self._last["entries"] == size:
                return {**self._last, "fresh": True}
            start = not self._running
            self._running = self._running or start
            known = self._last
        if start:
            if known is None and size <= SYNC_VERIFY_LIMIT:
                self._verify_and_keep()
                return self.verify_status(size) if self._last else {"fresh": False, "ok": None}
            threading.Thread(target=self._verify_and_keep, daemon=True,
                             name="kaoping-verify").start()
        return {**known, "fresh": False} if known else {"fresh": False, "ok": None}

    def _verify_and_keep(self) -> None:
        result = None
        try:
            result = self.verify()
        finally:
            with self._lock:
                if result is not None:
                    self._last = result
                self._running = False

    def export(self) -> Iterator[dict[str, Any]]:
        """Every stored entry up to the current last seq, in seq order, with its chain link and stored
        bytes (`ledger/export.py`), read page by page."""
        return export_entries(self.index.all_entries(), self.index.all_links(),
                              end=self.recorder.max_notification_id() or 0, tz=self.settings.zone,
                              mapper=self.store.mapper)


__all__ = ["Audit"]
