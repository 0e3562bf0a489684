"""The whole ledger as `Entry` values, read once and then followed incrementally.

Scoring needs cross-unit facts (ballots, the group's funding), so it reads the ledger in seq order.
The log is append-only, so a reader keeps what it has decoded and asks only for newer seqs.
On PostgreSQL the store's write lock makes commit order equal seq order, so no gap is ever filled
in behind a reader; on SQLite writes are serialised by the database itself.
"""

from __future__ import annotations

import threading
from bisect import bisect_right
from datetime import date, datetime, time, timedelta, timezone, tzinfo
from typing import Any

from kaoping.domain.entries import Entry
from kaoping.domain.errors import InvalidCommand

PAGE = 5_000


class EntryLog:
    def __init__(self, recorder: Any, mapper: Any):
        self.recorder, self.mapper = recorder, mapper
        self._entries: list[Entry] = []
        self._seqs: list[int] = []
        self._lock = threading.Lock()

    def refresh(self) -> list[Entry]:
        with self._lock:
            after = self._seqs[-1] if self._seqs else 0
            while True:
                page = self.recorder.select_notifications(after, PAGE, inclusive_of_start=False)
                for notification in page:
                    event = self.mapper.to_domain_event(notification)
                    self._entries.append(Entry(
                        seq=notification.id, stream=event.stream, id=event.command_id,
                        type=event.entry_type, recorded_at=event.recorded_at,
                        appended_at=event.timestamp, actor=event.actor, backdated=event.backdated,
                        payload=event.payload))
                    self._seqs.append(notification.id)
                if len(page) < PAGE:
                    break
                after = page[-1].id
            return self._entries

    def entry_at(self, seq: int) -> Entry | None:
        entries = self.refresh()
        i = bisect_right(self._seqs, seq) - 1
        return entries[i] if i >= 0 and entries[i].seq == seq else None


def parse_as_of(text: str, tz: tzinfo) -> datetime:
    """A knowledge time: a bare date means the end of that day in the office's zone."""
    text = text.strip()
    try:
        if len(text) == 10:
            day = date.fromisoformat(text)
            moment = datetime.combine(day + timedelta(days=1), time.min, tz) - timedelta(microseconds=1)
        else:
            moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=tz)
        # readers convert to UTC and to the office zone: refuse a moment either cannot hold
        moment.astimezone(timezone.utc)
        moment.astimezone(tz)
    except (ValueError, OverflowError):
        raise InvalidCommand(f"{text!r} is not an ISO date or datetime in range", field="as_of") from None
    return moment
