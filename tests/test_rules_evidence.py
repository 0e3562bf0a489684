"""domain/rules/evidence.py in memory (tests/rules_memory.py): evidence submitted once per code for a
checkpoint of an open task or a common indicator, verified while it stands (docs/commands.md §10.1,
docs/scheme.md §4.1)."""

from kaoping.domain.errors import RuleViolation, UnknownReference
from rules_memory import MemoryLedger, new_id, task

SHA = "ab" * 32


def submitted(code="E1", **extra):
    return {"id": new_id("ev"), "type": "evidence.submitted", "unit": "D03", "evidence": code,
            "title": "报告", "sha256": SHA, **({"task": "P1", "checkpoint": "Q1"} if not extra else extra)}


def verified(code="E1", **extra):
    return {"id": new_id("ver"), "type": "evidence.verified", "unit": "D03", "evidence": code,
            "outcome": "confirmed", "method": "on_site", "verified_on": "2019-01-15", **extra}


def test_evidence_names_a_checkpoint_of_an_open_task_and_its_code_once():
    ledger = MemoryLedger()
    ledger.refused(submitted(), field="task")
    ledger.record(task("D03", "P1"))
    ledger.refused(submitted(task="P1", checkpoint="Q9"), field="checkpoint", error=UnknownReference)
    ledger.record(submitted())
    assert "E1" in ledger.unit("D03").evidence
    ledger.refused(submitted(), field="evidence", error=RuleViolation)


def test_evidence_for_a_common_indicator_within_the_range():
    ledger = MemoryLedger()
    ledger.record(submitted("E2", indicator="C02"))
    ledger.refused(submitted("E3", indicator="C99"), field="indicator", error=UnknownReference)
    ledger.refused(submitted("E3", indicator="C01"), field="indicator", error=RuleViolation)
    ledger.refused(submitted("E3", indicator="C02", sub="S1"), field="sub", error=RuleViolation)


def test_a_verification_names_standing_evidence_on_a_day_that_has_come():
    ledger = MemoryLedger()
    ledger.record(task("D03", "P1"))
    ledger.refused(verified(), field="evidence", error=UnknownReference)
    ledger.record(submitted())
    ledger.refused(verified(verified_on="2019-01-16"), field="verified_on", error=RuleViolation)
    ledger.refused(verified(files=["cd" * 32]), field="files.0", error=UnknownReference)
    ledger.files.add("cd" * 32)
    ledger.record(verified(files=["cd" * 32]))


def test_online_verification_needs_the_stored_file():
    ledger = MemoryLedger()
    ledger.record(task("D03", "P1"), submitted())
    ledger.refused(verified(method="online"), field="method", error=RuleViolation)
    ledger.files.add(SHA)
    ledger.record(verified(method="online"))


def test_voided_evidence_is_not_verified():
    ledger = MemoryLedger()
    ledger.record(task("D03", "P1"))
    [evidence] = [submitted()]
    ledger.record(evidence, {"id": new_id("v"), "type": "entry.voided", "target": evidence["id"],
                             "reason": "更正"})
    ledger.refused(verified(), field="evidence", error=RuleViolation)
