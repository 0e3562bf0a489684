"""domain/rules/ballots.py in memory (tests/rules_memory.py): who may rank whom, what a ballot must
rank, and a closed round (docs/scheme.md §5)."""

from kaoping.domain.errors import RuleViolation, UnknownReference
from kaoping.domain.names import round_stream, unit_stream
from kaoping.domain.principals import Principal
from rules_memory import MemoryLedger, new_id

DEPARTMENTS = [f"D{n:02d}" for n in range(1, 46)]


def ballot(ranking, kind="leader", rater="副县长甲", group="departments", round="half_year"):
    return {"id": new_id("bal"), "type": "ballot.cast", "round": round, "kind": kind, "rater": rater,
            "group": group, "ranking": ranking}


def test_a_ballot_is_an_entry_of_its_round_and_of_each_unit_it_ranks():
    ledger = MemoryLedger()
    [decision] = ledger.record(ballot(["D03", "D04"]))
    assert decision.streams == (round_stream("half_year"), unit_stream("D03"), unit_stream("D04"))


def test_a_ballot_ranks_registered_units_of_its_group_never_its_rater():
    ledger = MemoryLedger()
    ledger.refused(ballot(["D03", "D99"]), field="ranking.1", error=UnknownReference)
    ledger.refused(ballot(["D03", "T01"]), field="ranking.1", error=RuleViolation)
    ledger.refused(ballot(["T02", "T01"], kind="mutual", rater="T01", group="towns_zones"),
                   field="group", error=RuleViolation)
    ledger.refused(ballot(["D03"], kind="mutual", rater="X01"), field="rater", error=UnknownReference)
    ledger.record(ballot(["D03", "D05"], kind="mutual", rater="T01"))


def test_an_office_ballot_ranks_every_unit_of_its_group():
    ledger = MemoryLedger()
    error = ledger.refused(ballot(DEPARTMENTS[:-1], kind="office", rater="办公室"), field="ranking",
                           error=RuleViolation)
    assert "D45" in str(error)
    ledger.record(ballot(DEPARTMENTS, kind="office", rater="办公室"))


def test_a_leader_s_ballot_ranks_every_unit_of_the_group_in_the_leader_s_charge():
    ledger = MemoryLedger()
    leader = Principal(actor="副县长甲", role="leader", units=frozenset({"D03", "D04", "T01"}))
    ledger.refused(ballot(["D03"]), field="ranking", error=RuleViolation, principal=leader)
    ledger.record(ballot(["D04", "D03"]), principal=leader)
    ledger.record(ballot(["D03"]))  # from the command line: no charge to hold it to


def test_a_closed_round_takes_no_ballot_and_is_not_closed_again():
    ledger = MemoryLedger()
    close = {"id": new_id("close"), "type": "round.closed", "round": "half_year"}
    assert ledger.record(close)[0].streams == (round_stream("half_year"),)
    ledger.refused(ballot(["D03"]), field="round", error=RuleViolation)
    ledger.refused({**close, "id": new_id("close")}, field="round", error=RuleViolation)
    ledger.record(ballot(["D03"], round="year_end"))
