"""domain/rules/publications.py in memory (tests/rules_memory.py): a publication freezes the
standings of a stage as of a moment that has come, with the scheme's appeal window unless the office
sets one (docs/scheme.md §9)."""

from datetime import timedelta

from kaoping.domain.errors import RuleViolation
from kaoping.domain.names import PUBLICATIONS_STREAM
from rules_memory import MemoryLedger, new_id


def published(**extra):
    return {"id": new_id("pub"), "type": "results.published", "stage": "annual", "title": "年度考评结果公示",
            **extra}


def test_a_publication_freezes_the_standings_as_of_now_with_the_scheme_s_window():
    ledger = MemoryLedger()
    [decision] = ledger.record(published())
    assert decision.streams == (PUBLICATIONS_STREAM,)
    assert ledger.frozen == [("annual", ledger.now)]
    assert decision.payload["as_of"] == ledger.now.isoformat() and decision.payload["appeal_days"] == 7
    assert decision.payload["upto_seq"] == len(ledger.seqs) - 1  # the ledger before the publication


def test_the_office_may_set_the_window_and_an_earlier_moment():
    ledger = MemoryLedger()
    [decision] = ledger.record(published(as_of="2019-01-01", appeal_days=3))
    assert decision.payload["appeal_days"] == 3
    assert ledger.frozen[0][1] < ledger.now


def test_a_moment_that_has_not_come_is_refused():
    ledger = MemoryLedger()
    later = (ledger.now + timedelta(days=1)).isoformat()
    ledger.refused(published(as_of=later), field="as_of", error=RuleViolation)
    assert ledger.frozen == []
