"""Stored events to `Entry` values, at the speed of a compiled JSON parser.

Reading the log is what every cold read, restart and rebuild pays first. Through the library's
mapper it cost 2.7× the bare read of the rows: the standard JSON parser, a Python hook for every
object of every payload (looking for the `{"_type_": ..., "_data_": ...}` values it transcodes),
then the event object. An entry's state holds exactly two transcoded values, `timestamp` and
`recorded_at`, both datetimes; its payload is the validated command in JSON form. So the state is
parsed by msgspec against that exact shape, the two datetimes included, in one call.

Only states of that shape take the fast path: the entry topic, no cipher or compressor, exactly the
entry's fields (`console` among them or not), no others (`class_version` among them), two datetime values with an offset and no
other transcoded value.
Anything msgspec refuses goes through the library's mapper and `damage.decoded`, which decode what
they can and name a damaged entry as before; a test holds the two paths equal.
"""

from __future__ import annotations

from typing import Any

import msgspec
from eventsourcing.utils import get_topic

from kaoping.domain.entries import Entry
from kaoping.domain.events import EntryRecorded

from .damage import decoded
from .store import AWARE, Moment

#: the one topic the ledger stores (an export naming another is refused before anything is imported)
ENTRY_TOPIC = get_topic(EntryRecorded)


class _State(msgspec.Struct, forbid_unknown_fields=True):
    """An `EntryRecorded` state as the library's JSON transcoder writes it."""
    timestamp: Moment
    stream: str
    entry_type: str
    command_id: str
    actor: str
    recorded_at: Moment
    backdated: bool
    payload: dict[str, Any]
    console: str | None = None  # only in the entries recorded at the operator's console


_decode = msgspec.json.Decoder(_State).decode
#: a transcoded value's key: in the bytes twice (the two datetimes), else something in the payload
#: was transcoded too (a quote inside a JSON string is escaped, so this text is only ever a key)
_MARK = b'"_type_"'


def fast_path(mapper: Any) -> bool:
    """Whether this mapper stores entries as the fast path reads them (the ledger's own does)."""
    return mapper.cipher is None and mapper.compressor is None


def entry_of(mapper: Any, notification: Any, fast: bool = True) -> Entry:
    """The `Entry` a notification holds, or `LedgerDamaged` naming its seq."""
    if fast and notification.topic == ENTRY_TOPIC and notification.state.count(_MARK) == 2:
        try:
            state = _decode(notification.state)
        except (msgspec.ValidationError, msgspec.DecodeError):
            state = None
        if (state is not None and state.timestamp.kind == AWARE == state.recorded_at.kind
                and state.timestamp.text.tzinfo is not None and state.recorded_at.text.tzinfo is not None):
            return Entry(seq=notification.id, stream=state.stream, id=state.command_id,
                         type=state.entry_type, recorded_at=state.recorded_at.text,
                         appended_at=state.timestamp.text, actor=state.actor,
                         backdated=state.backdated, payload=state.payload)
    event = decoded(mapper, notification)
    return Entry(seq=notification.id, stream=event.stream, id=event.command_id, type=event.entry_type,
                 recorded_at=event.recorded_at, appended_at=event.timestamp, actor=event.actor,
                 backdated=event.backdated, payload=event.payload)


__all__ = ["ENTRY_TOPIC", "entry_of", "fast_path"]
