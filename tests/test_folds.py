"""A stream state's cheap `clone` must behave as a deep copy: changing one never shows in the other."""

import copy

import pytest

from kaoping.domain.events import stream_id


def _events(ledger, stream):
    return list(ledger.store.events.get(stream_id(stream)))


@pytest.mark.parametrize("split", [1, 10, 25, 40])
def test_a_clone_and_its_original_evolve_apart(ledger, year, split):
    ledger.ingest(year, actor="office")
    events = _events(ledger, "unit:D03")
    assert len(events) > 40
    state = ledger.load("unit:D03").__class__("unit:D03")
    for event in events[:split]:
        state.apply(event)
    before = copy.deepcopy(state)
    clone = state.clone()
    for event in events[split:]:
        clone.apply(event)
    assert state == before  # voids, withdrawals and upheld disputes in the clone left it alone
    assert clone == ledger.load("unit:D03")
    assert clone != state


def test_token_states_keep_their_two_indexes_shared(ledger):
    token_id, _ = ledger.create_token(actor="a", role="auditor")
    clone = ledger.current("tokens").clone()
    assert clone.by_id[token_id] is next(iter(clone.by_digest.values()))
