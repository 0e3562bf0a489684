"""domain/rules/voids.py in memory (tests/rules_memory.py): what may be voided, disputed and
resolved, once; a void goes to every stream of its target (docs/commands.md §3 "作废",
docs/scheme.md §9)."""

from datetime import timedelta

from kaoping.domain.errors import RuleViolation, UnknownReference
from kaoping.domain.names import round_stream, unit_stream
from kaoping.domain.principals import Principal
from rules_memory import MemoryLedger, new_id, report, task


def void(target):
    return {"id": new_id("void"), "type": "entry.voided", "target": target, "reason": "更正"}


def dispute(target, code="DIS-1", unit="D03"):
    return {"id": new_id("dis"), "type": "dispute.filed", "unit": unit, "dispute": code,
            "target": target, "reason": "有异议"}


def resolve(code="DIS-1"):
    return {"id": new_id("res"), "type": "dispute.resolved", "dispute": code, "outcome": "upheld",
            "reason": "核实"}


def ledger_with_a_report():
    ledger = MemoryLedger()
    first = report("D03", "P1", "Q1")
    ledger.record(task("D03", "P1"), first)
    return ledger, first["id"]


def test_a_void_goes_to_every_stream_of_its_target_once():
    ledger = MemoryLedger()
    cast = {"id": new_id("bal"), "type": "ballot.cast", "round": "half_year", "kind": "leader",
            "rater": "副县长甲", "group": "departments", "ranking": ["D03", "D04"]}
    ledger.record(cast)
    [decision] = ledger.record(void(cast["id"]))
    assert decision.streams == (round_stream("half_year"), unit_stream("D03"), unit_stream("D04"))
    ledger.refused(void(cast["id"]), field="target", code="entry.already_voided")
    ledger.refused(void("nothing-such"), field="target", error=UnknownReference)
    ledger.refused(void("kaoping:init:unit:D03"), field="target", error=UnknownReference)


def test_final_entries_are_not_voided():
    ledger, target = ledger_with_a_report()
    first_void = void(target)
    ledger.record(first_void)
    ledger.refused(void(first_void["id"]), field="target", code="entry.final")


def test_a_dispute_is_on_a_standing_entry_of_its_unit_not_already_disputed():
    ledger, target = ledger_with_a_report()
    ledger.refused(dispute(target, unit="D04"), field="target", code="dispute.not_of_unit")
    unit_token = Principal(actor="D04", role="unit", unit="D04")
    ledger.refused(dispute(target, code="D04-DIS-9", unit="D04"), field="target", error=UnknownReference,
                   principal=unit_token)
    filed = dispute(target)
    assert ledger.record(filed)[0].streams == (unit_stream("D03"),)
    ledger.refused(dispute(target, code="DIS-2"), field="target", code="dispute.already_open")
    ledger.refused(dispute(target), field="dispute", code="dispute.code_taken")
    ledger.refused(dispute(filed["id"], code="DIS-3"), field="target", code="dispute.undisputable")


def test_a_resolution_settles_an_open_dispute_once_and_is_final():
    ledger, target = ledger_with_a_report()
    filed = dispute(target)
    ledger.refused(resolve(), field="dispute", error=UnknownReference)
    ledger.record(filed)
    resolution = resolve()
    assert ledger.record(resolution)[0].streams == (unit_stream("D03"),)
    ledger.refused(resolve(), field="dispute", code="dispute.already_resolved")
    ledger.refused(void(filed["id"]), field="target", code="dispute.resolved_final")
    ledger.refused(void(resolution["id"]), field="target", code="entry.final")


def test_a_voided_dispute_is_not_resolved():
    ledger, target = ledger_with_a_report()
    filed = dispute(target)
    ledger.record(filed, void(filed["id"]))
    ledger.refused(resolve(), field="dispute", code="dispute.voided")


def test_a_dispute_of_a_published_entry_is_filed_within_the_appeal_window():
    ledger, target = ledger_with_a_report()
    ledger.record({"id": new_id("pub"), "type": "results.published", "stage": "process",
                   "title": "公示", "appeal_days": 2})
    ledger.now += timedelta(days=3)
    ledger.refused(dispute(target), field="target", code="dispute.window_closed")


def test_a_void_request_is_for_a_standing_entry_of_the_unit_with_none_open():
    ledger, target = ledger_with_a_report()
    request = {"id": new_id("vr"), "type": "void.requested", "unit": "D03", "target": target,
               "reason": "填错"}
    ledger.refused({**request, "unit": "D04"}, field="target", code="dispute.not_of_unit")
    assert ledger.record(request)[0].streams == (unit_stream("D03"),)
    ledger.refused({**request, "id": new_id("vr")}, field="target", code="void_request.open")
    ledger.refused({**request, "id": new_id("vr"), "target": request["id"]}, field="target",
                   code="void_request.final")
