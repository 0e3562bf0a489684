"""Which entries cite which stored file (docs/commands.md §10.1): followed from the entry log, so a
file's readers (`policy.may_read_file`), `verify`'s files section and the pages that show an
evidence entry's file ask here rather than scan the log.

An entry cites a file by an evidence entry's `sha256`, a verification's `files` or any command's
`source.file` (`entry_types.files_cited`); voided entries still cite (they stay in the history).
"""

from __future__ import annotations

import threading
from collections import defaultdict

from kaoping.domain.entry_types import files_cited
from kaoping.domain.names import unit_of

from .entry_log import EntryLog


class Citations:
    def __init__(self, log: EntryLog):
        self.log = log
        self._read = 0
        self._lock = threading.Lock()
        #: the streams whose entries cite each file (a ballot cites from every stream it is in)
        self._streams: dict[str, set[str]] = defaultdict(set)
        #: each evidence entry's file, by (unit, evidence code) and by its command id
        self._evidence: dict[tuple[str, str], str] = {}
        self._by_id: dict[str, str] = {}

    def _follow(self) -> None:
        entries = self.log.refresh()
        with self._lock:
            for entry in entries[self._read:]:
                for sha256 in files_cited(entry.type, entry.payload):
                    self._streams[sha256].add(entry.stream)
                if entry.type == "evidence.submitted":
                    self._evidence[(entry.payload["unit"], entry.payload["evidence"])] = entry.payload["sha256"]
                    self._by_id[entry.id] = entry.payload["sha256"]
            self._read = len(entries)

    def cited(self) -> set[str]:
        self._follow()
        with self._lock:
            return set(self._streams)

    def units_citing(self, sha256: str) -> set[str] | None:
        """The units whose streams hold an entry citing the file; None when no entry cites it."""
        self._follow()
        with self._lock:
            streams = self._streams.get(sha256)
            if not streams:
                return None
            return {unit for unit in map(unit_of, streams) if unit is not None}

    def evidence_file(self, unit: str, evidence: str) -> str | None:
        """The file an evidence entry of the unit cites."""
        self._follow()
        with self._lock:
            return self._evidence.get((unit, evidence))


    def evidence_files(self, ids: set[str]) -> dict[str, str]:
        """The file each of these evidence entries (by command id) cites; other ids are left out."""
        self._follow()
        with self._lock:
            return {cid: self._by_id[cid] for cid in ids if cid in self._by_id}


__all__ = ["Citations"]
