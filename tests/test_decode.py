"""The log's fast decode (`ledger/decode.py`) gives exactly the entries the library's mapper gives,
and a state it was not written for falls back to the mapper instead of being misread."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from eventsourcing.persistence import Notification
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kaoping.domain.errors import LedgerDamaged
from kaoping.ledger import decode
from kaoping.ledger.decode import ENTRY_TOPIC, entry_of
from kaoping.ledger.export import offline_mapper
from tests.conftest import events_table, raw_execute

MAPPER = offline_mapper()


def _same(a: Any, b: Any) -> None:
    assert a == b
    for moment in ("recorded_at", "appended_at"):  # equal instants are not enough: the same offset
        assert getattr(a, moment).utcoffset() == getattr(b, moment).utcoffset()
        assert getattr(a, moment).isoformat() == getattr(b, moment).isoformat()


def _notification(state: bytes, topic: str = ENTRY_TOPIC, seq: int = 7) -> Notification:
    return Notification(id=seq, originator_id=uuid.uuid4(), originator_version=1, topic=topic, state=state)


def _state(**fields: Any) -> bytes:
    base = {"timestamp": datetime(2019, 1, 15, 2, tzinfo=timezone.utc), "stream": "unit:D03",
            "entry_type": "checkpoint.reported", "command_id": "c1", "actor": "D03",
            "recorded_at": datetime(2018, 3, 30, 9, tzinfo=timezone(timedelta(hours=8))),
            "backdated": False, "payload": {"unit": "D03"}}
    return MAPPER.transcoder.encode({**base, **fields})  # type: ignore[no-any-return]


def test_every_entry_of_a_recorded_ledger_decodes_as_the_mapper_decodes_it(ledger, year):
    ledger.ingest(year, actor="office")
    notifications = ledger.log.recorder.select_notifications(0, 10_000)
    assert len(notifications) == ledger.log.recorder.max_notification_id() > len(year)
    took_fast = 0
    for notification in notifications:
        fast = entry_of(ledger.store.mapper, notification)
        _same(fast, entry_of(ledger.store.mapper, notification, fast=False))
        took_fast += notification.state.count(decode._MARK) == 2
    assert took_fast == len(notifications)


_json = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
                     lambda inner: st.lists(inner, max_size=3)
                     | st.dictionaries(st.sampled_from(["_type_", "_data_", "a", '"_type_"', "值"]), inner,
                                       max_size=3), max_leaves=12)
_offsets = st.integers(-14 * 3600, 14 * 3600).map(lambda s: timezone(timedelta(seconds=s)))
_moments = st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30),
                        timezones=st.none() | _offsets | st.just(timezone.utc))


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(payload=st.dictionaries(st.text(), _json, max_size=4), recorded=_moments, stamp=_moments,
       text=st.text())
def test_any_state_decodes_as_the_mapper_decodes_it(payload, recorded, stamp, text):
    state = _state(payload=payload, recorded_at=recorded, timestamp=stamp, actor=text, stream=text)
    try:
        expected = entry_of(MAPPER, _notification(state), fast=False)
    except LedgerDamaged:  # a naive datetime fails the mapper's own check: so must the fast path
        with pytest.raises(LedgerDamaged):
            entry_of(MAPPER, _notification(state))
        return
    _same(entry_of(MAPPER, _notification(state)), expected)


@pytest.mark.parametrize("state", [
    _state(payload={"at": datetime(2018, 1, 1, tzinfo=timezone.utc)}),  # a transcoded payload value
    _state(recorded_at=datetime(2018, 1, 1)),                            # naive
    _state(extra=1),                                                     # a field it does not know
    _state(class_version=2),
    b'{"not": "an entry"',
    b"\xff\xfe",
])
def test_a_state_of_another_shape_goes_to_the_mapper(state, monkeypatch):
    calls: list[Any] = []
    real = decode.decoded

    def counted(mapper: Any, notification: Any) -> Any:
        calls.append(notification)
        return real(mapper, notification)

    monkeypatch.setattr(decode, "decoded", counted)
    try:
        entry_of(MAPPER, _notification(state))
    except LedgerDamaged as error:
        assert error.params["seq"] == 7
    assert len(calls) == 1


def test_bytes_changed_in_the_store_are_named_by_seq_on_the_fast_path(ledger, year, database_url,
                                                                    make_ledger):
    ledger.ingest(year[:5], actor="office")
    table, seq_column = events_table(database_url)
    raw_execute(database_url, f"UPDATE {table} SET state = %s WHERE {seq_column} = 3",
                (b'{"timestamp":{"_type_":"datetime_iso","_data_":"x"},"_type_":1}',))
    with pytest.raises(LedgerDamaged) as raised:
        make_ledger().log.refresh()
    assert raised.value.params["seq"] == 3
