"""The one kind of event the ledger stores: an entry recorded in a stream.

Every command becomes one entry in each stream it concerns (a unit, a round, the registry), all
carrying the command's `id`, so a ballot is one entry in the round's stream and one in each ranked
unit's stream, appended together. Everything a later reader needs is decided before the event is
made and written onto it: who recorded it, when it became known (`recorded_at`), when the ledger
appended it (`timestamp`, shown as `appended_at`), and the validated payload in canonical JSON form.
"""

from __future__ import annotations

import functools
import uuid
from datetime import datetime
from typing import Any, ClassVar

from eventsourcing.domain import DomainEvent

_NAMESPACE = uuid.UUID("6f1c3c1e-5d7a-4c8e-9a43-0b7f2a1d4e58")


@functools.lru_cache(maxsize=4096)
def stream_id(stream: str) -> uuid.UUID:
    """Streams have natural names ("unit:D03", "round:half_year"); the store keys them by uuid5."""
    return uuid.uuid5(_NAMESPACE, stream)


class EntryRecorded(DomainEvent):
    """A ledger entry. Its topic must stay stable: move this class only with a registered alias."""

    stream: str
    entry_type: str
    command_id: str
    actor: str
    recorded_at: datetime
    backdated: bool
    payload: dict[str, Any]
    #: the operator's console the entry was recorded at (the OS user who ran `kaoping`), or None:
    #: recorded over HTTP, or before consoles were recorded. Not a field of the dataclass: it is in
    #: an entry's stored state (and so under its hash) only when there is one, so every other entry
    #: is stored, hashed and read exactly as before. Set by `at_console`.
    console: ClassVar[str | None] = None

    @property
    def appended_at(self) -> datetime:
        return self.timestamp


def at_console(event: EntryRecorded, user: str | None) -> EntryRecorded:
    """`event`, marked as recorded at the console of OS user `user` (unmarked when None)."""
    if user:
        object.__setattr__(event, "console", user)
    return event
