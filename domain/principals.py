"""Who acts: a principal is the holder of a bearer token (its actor, role and scope), or the office
itself, as which the command line records. What each may do is the policy table, `domain.policy`."""

from __future__ import annotations

from dataclasses import dataclass

ROLES = ("office", "assessor", "leader", "group_office", "unit", "verifier", "auditor", "calendar")


@dataclass(frozen=True)
class Principal:
    actor: str
    role: str
    unit: str | None = None
    units: frozenset[str] = frozenset()
    indicators: frozenset[str] = frozenset()


OFFICE = Principal(actor="office", role="office")
