"""Who may record and read what (CONTRACT.md, "HTTP"): pure checks over a principal and a command.

The CLI is the operator's tool and records with the office's rights; over HTTP every request acts
as the principal of its bearer token, and the actor written on each entry is the token's actor.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from . import commands as c
from .errors import Forbidden, InvalidCommand
from .labels import BALLOT_KINDS, ENTRY_TYPES, ROLE_NAMES, coded
from .principals import OFFICE, ROLES, Principal

if TYPE_CHECKING:  # annotations only: the rules call `authorize`
    from .rules import LedgerView

def check_scope(role: str, unit: str | None, units: list[str], indicators: list[str]) -> None:
    """A token's scope must fit its role, so that a mistake is refused when the token is made."""
    if role not in ROLES:
        raise InvalidCommand("role.unknown", field="role", given=role,
                             allowed=[coded(r, ROLE_NAMES) for r in ROLES], allowed_en=", ".join(ROLES))
    if role == "unit" and not unit:
        raise InvalidCommand("token.unit_needed", field="unit")
    if role != "unit" and unit:
        raise InvalidCommand("token.unit_not_for_role", field="unit")
    if role == "leader" and not units:
        raise InvalidCommand("token.leader_units_needed", field="units")
    if role == "assessor" and not indicators:
        raise InvalidCommand("token.assessor_indicators_needed", field="indicators")


def authorize(principal: Principal, cmd: c.Command, view: LedgerView) -> None:
    """Raise Forbidden (naming the field) unless the principal may record this command."""
    if principal.role == "office" and principal is OFFICE:
        return
    if cmd.actor is not None:
        raise Forbidden("actor.from_token", field="actor")
    if cmd.recorded_at is not None and principal.role != "office":
        raise Forbidden("recorded_at.office_only", field="recorded_at")
    kind = cmd.type
    role = principal.role
    if role == "office":
        return
    if role == "assessor" and isinstance(cmd, c.CommonScored):
        if cmd.indicator not in principal.indicators:
            raise Forbidden("role.assessor_indicators", field="indicator",
                            indicators=sorted(principal.indicators))
        return
    if role == "verifier" and isinstance(cmd, c.EvidenceVerified):
        return
    if isinstance(cmd, c.BallotCast) and role in ("leader", "group_office", "unit"):
        _ballot(principal, cmd)
        return
    if role == "unit" and isinstance(cmd, (c.CheckpointReported, c.EvidenceSubmitted, c.DisputeFiled)):
        if cmd.unit != principal.unit:
            raise Forbidden("role.unit_own", field="unit", unit=principal.unit)
        if isinstance(cmd, c.DisputeFiled):
            _dispute_of_others(principal, cmd, view)
        return
    raise Forbidden("role.may_not_record", field="type", role=ROLE_NAMES.get(role, role), role_code=role,
                    kind=ENTRY_TYPES.get(kind, kind), kind_code=kind)


def _ballot(principal: Principal, cmd: c.BallotCast) -> None:
    expected_kind = {"leader": "leader", "group_office": "office", "unit": "mutual"}[principal.role]
    if cmd.kind != expected_kind:
        raise Forbidden("ballot.kind_for_role", field="kind", role=ROLE_NAMES[principal.role],
                        role_code=principal.role, kind=BALLOT_KINDS[expected_kind], kind_code=expected_kind)
    rater = principal.unit if principal.role == "unit" else principal.actor
    if cmd.rater != rater:
        raise Forbidden("ballot.rater_is_token", field="rater", rater=rater)
    if principal.role == "leader":
        for i, code in enumerate(cmd.ranking):
            if code not in principal.units:
                raise Forbidden("ballot.not_in_charge", field=f"ranking.{i}", code=code)


def _dispute_of_others(principal: Principal, cmd: c.DisputeFiled, view: LedgerView) -> None:
    entry = view.unit(cmd.unit).entries.get(cmd.target)
    if entry is None:
        return
    # any token of the unit (a second clerk, a rotated token) records as the unit itself
    tokens = view.tokens()
    own_actors = {principal.actor} | {
        info.principal.actor for info in tokens.by_id.values()
        if info.principal.role == "unit" and info.principal.unit == principal.unit}
    if entry.actor in own_actors:
        raise Forbidden("dispute.own_entry", field="target")


__all__ = ["authorize", "check_scope"]
