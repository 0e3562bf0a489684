"""Whether a principal may record a command: the role's right from the policy table
(`domain.policy.RECORD`), then the scope of a scoped role (docs/commands.md §9 "角色与权限").

The CLI is the operator's tool and records with the office's rights; over HTTP every request acts
as the principal of its bearer token, and the actor written on each entry is the token's actor.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from . import commands as c
from .errors import Forbidden, InvalidCommand
from .labels import BALLOT_KINDS, ENTRY_TYPES, ROLE_NAMES, coded
from .policy import BALLOT_KIND_OF_ROLE, may_record
from .principals import OFFICE, ROLES, Principal

if TYPE_CHECKING:  # annotations only: the rules call `authorize`
    from .rules import LedgerView

def check_scope(role: str, unit: str | None, units: list[str], indicators: list[str]) -> None:
    """A token's scope must fit its role, so that a mistake is refused when the token is made."""
    if role not in ROLES:
        raise InvalidCommand("role.unknown", field="role", given=role,
                             allowed=[coded(r, ROLE_NAMES) for r in ROLES], allowed_en=", ".join(ROLES))
    if role in ("unit", "calendar") and not unit:
        raise InvalidCommand("token.unit_needed", field="unit")
    if role not in ("unit", "calendar") and unit:
        raise InvalidCommand("token.unit_not_for_role", field="unit")
    if role == "leader" and not units:
        raise InvalidCommand("token.leader_units_needed", field="units")
    if role == "assessor" and not indicators:
        raise InvalidCommand("token.assessor_indicators_needed", field="indicators")


def authorize(principal: Principal, cmd: c.Command, view: LedgerView) -> None:
    """Raise Forbidden (naming the field) unless the principal may record this command: its role
    may record the type (`policy.RECORD`), and a scoped role stays within its scope."""
    if principal is OFFICE:  # the command line, the operator's console
        return
    if cmd.actor is not None:
        raise Forbidden("actor.from_token", field="actor")
    if cmd.recorded_at is not None and principal.role != "office":
        raise Forbidden("recorded_at.office_only", field="recorded_at")
    role, kind = principal.role, cmd.type
    if not may_record(principal, kind):
        raise Forbidden("role.may_not_record", field="type", role=ROLE_NAMES.get(role, role), role_code=role,
                        kind=ENTRY_TYPES.get(kind, kind), kind_code=kind)
    scope = _SCOPES.get((role, type(cmd)))
    if scope is not None:
        scope(principal, cmd, view)


def _assessor(principal: Principal, cmd: c.CommonScored, view: LedgerView) -> None:
    if cmd.indicator not in principal.indicators:
        raise Forbidden("role.assessor_indicators", field="indicator", indicators=sorted(principal.indicators))


def _own_unit(principal: Principal,
              cmd: c.CheckpointReported | c.EvidenceSubmitted | c.DisputeFiled | c.VoidRequested,
              view: LedgerView) -> None:
    if cmd.unit != principal.unit:
        raise Forbidden("role.unit_own", field="unit", unit=principal.unit)
    if isinstance(cmd, c.DisputeFiled):
        _dispute_of_others(principal, cmd, view)
    if isinstance(cmd, c.VoidRequested):
        _void_of_own(principal, cmd, view)


def _ballot(principal: Principal, cmd: c.BallotCast, view: LedgerView) -> None:
    expected_kind = BALLOT_KIND_OF_ROLE[principal.role]
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


Scoping = Callable[[Principal, Any, "LedgerView"], None]
#: how a scoped role is held to its scope, by (role, command class); the office has no scope
_SCOPES: dict[tuple[str, type[c.Command]], Scoping] = {
    ("assessor", c.CommonScored): _assessor,
    ("unit", c.CheckpointReported): _own_unit,
    ("unit", c.EvidenceSubmitted): _own_unit,
    ("unit", c.DisputeFiled): _own_unit,
    ("unit", c.VoidRequested): _own_unit,
    **{(role, c.BallotCast): _ballot for role in BALLOT_KIND_OF_ROLE},
}


def _own_actors(principal: Principal, view: LedgerView) -> set[str]:
    """The actors that record as the principal's unit: any token of the unit (a second clerk, a
    rotated token) records as the unit itself."""
    return {principal.actor} | {info.principal.actor for info in view.tokens().by_id.values()
                                if info.principal.role == "unit" and info.principal.unit == principal.unit}


def _dispute_of_others(principal: Principal, cmd: c.DisputeFiled, view: LedgerView) -> None:
    entry = view.unit(cmd.unit).entries.get(cmd.target)
    if entry is None:
        return
    if entry.actor in _own_actors(principal, view):
        raise Forbidden("dispute.own_entry", field="target")


def _void_of_own(principal: Principal, cmd: c.VoidRequested, view: LedgerView) -> None:
    """The mirror of `dispute.own_entry`: a unit asks for the void of what it recorded itself; an
    entry someone else recorded it disputes."""
    entry = view.unit(cmd.unit).entries.get(cmd.target)
    if entry is not None and entry.actor not in _own_actors(principal, view):
        raise Forbidden("void_request.not_own", field="target")


__all__ = ["authorize", "check_scope"]
