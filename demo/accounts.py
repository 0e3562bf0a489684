"""Who signs in to the demo year: one account per role (docs/commands.md §9), named and scoped as the
year's own commands have them — the office, the leading-group office, a county leader with the units
the year's ballots show in his or her charge, an assessment body with its indicators, a department
and a town, a verifier and an auditor. `kaoping demo-tokens` issues their tokens."""

from __future__ import annotations

from typing import Any

from .content import content
from .draws import _reference


def demo_accounts(commands: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The accounts, each `{"key", "actor", "role", "unit", "units", "indicators"}`; `key` names
    the account in the kept token file."""
    text = content()
    leader = text.leaders[2]
    charge = sorted({code for c in commands if c["type"] == "ballot.cast" and c["kind"] == "leader"
                     and c["rater"] == leader for code in c["ranking"]})
    body = "县政府办公室"
    indicators = sorted(i.code for i in _reference()[1] if i.assessor == body)
    plain: dict[str, Any] = {"unit": None, "units": [], "indicators": []}
    return [
        {**plain, "key": "office", "actor": "县考核办", "role": "office"},
        {**plain, "key": "group_office", "actor": text.group_office, "role": "group_office"},
        {**plain, "key": "leader", "actor": leader, "role": "leader", "units": charge},
        {**plain, "key": "assessor", "actor": body, "role": "assessor", "indicators": indicators},
        {**plain, "key": "unit", "actor": "县物价局填报员", "role": "unit", "unit": "D03"},
        {**plain, "key": "unit_town", "actor": "沙岭镇填报员", "role": "unit", "unit": "T01"},
        {**plain, "key": "verifier", "actor": "核查组", "role": "verifier"},
        {**plain, "key": "auditor", "actor": "审计演示", "role": "auditor"},
    ]


__all__ = ["demo_accounts"]
