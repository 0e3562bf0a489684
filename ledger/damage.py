"""Reading stored events when one may have been changed behind the ledger's back.

A stored event whose bytes no longer decode would otherwise surface as the serialisation library's
traceback in whatever read it first (an ingest, an as-of score). Every decode of a stored event
goes through here, so such an event is named instead: `LedgerDamaged` "entry seq N cannot be read:
run kaoping verify", which the CLI prints and HTTP answers with 503.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any
from uuid import UUID

from kaoping.domain.errors import LedgerDamaged
from kaoping.domain.events import EntryRecorded

from .store import CHAIN_TABLE


def decoded(mapper: Any, stored: Any, seq: int | None = None,
            recorder: Any = None) -> EntryRecorded:
    """The entry a stored event (or notification) holds, or `LedgerDamaged` naming its seq (from
    the notification, else from the chain link at its stream position)."""
    try:
        event = mapper.to_domain_event(stored)
    except Exception as error:  # noqa: BLE001 - whatever the bytes make the decoder raise
        raise unreadable(stored, seq, recorder) from error
    if not whole(event):
        raise unreadable(stored, seq, recorder)
    return event


#: what every entry holds, and of which type: bytes changed inside a key or a value can decode to
#: an event missing one, or holding another type, which would fail later, far from the cause
_FIELDS = {"stream": str, "entry_type": str, "command_id": str, "actor": str, "recorded_at": datetime,
           "timestamp": datetime, "backdated": bool, "payload": dict}


def whole(event: Any) -> bool:
    """Whether a decoded event is an entry with every field of its type."""
    return isinstance(event, EntryRecorded) and all(
        isinstance(getattr(event, name, None), kind) for name, kind in _FIELDS.items()) and \
        isinstance(event.console, (str, type(None)))


def stream_events(store: Any, originator_id: UUID) -> Iterator[EntryRecorded]:
    """A stream's entries in version order, as `store.events.get` reads them, each decoded here."""
    for stored in store.recorder.select_events(originator_id):
        yield decoded(store.mapper, stored, recorder=store.recorder)


def unreadable(stored: Any, seq: int | None, recorder: Any) -> LedgerDamaged:
    if seq is None:
        seq = getattr(stored, "id", None)
    if seq is None and recorder is not None:
        rows = recorder.query(f"SELECT seq FROM {CHAIN_TABLE} WHERE originator_id = %s AND version = %s",
                              [str(stored.originator_id), stored.originator_version])
        seq = int(rows[0]["seq"]) if rows else None
    return LedgerDamaged("ledger.entry_unreadable", seq="?" if seq is None else seq)


__all__ = ["decoded", "stream_events", "unreadable", "whole"]
