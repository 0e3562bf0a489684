"""Who acts: a principal is the holder of a bearer token (its actor, role and scope), or the office
itself, as which the command line records. The rules of what each may do are `domain.roles`."""

from __future__ import annotations

from dataclasses import dataclass

ROLES = ("office", "assessor", "leader", "group_office", "unit", "verifier", "auditor")


@dataclass(frozen=True)
class Principal:
    actor: str
    role: str
    unit: str | None = None
    units: frozenset[str] = frozenset()
    indicators: frozenset[str] = frozenset()

    def may_read_unit(self, code: str) -> bool:
        return self.role != "unit" or code == self.unit

    @property
    def may_verify(self) -> bool:
        return self.role != "unit"


OFFICE = Principal(actor="office", role="office")
