"""Who may record and read what (CONTRACT.md, "HTTP"): pure checks over a principal and a command.

The CLI is the operator's tool and records with the office's rights; over HTTP every request acts
as the principal of its bearer token, and the actor written on each entry is the token's actor.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from . import commands as c
from .errors import Forbidden, InvalidCommand
from .principals import OFFICE, ROLES, Principal

if TYPE_CHECKING:  # annotations only: the rules call `authorize`
    from .rules import LedgerView

def check_scope(role: str, unit: str | None, units: list[str], indicators: list[str]) -> None:
    """A token's scope must fit its role, so that a mistake is refused when the token is made."""
    if role not in ROLES:
        raise InvalidCommand(f"unknown role {role!r}; one of {', '.join(ROLES)}", field="role")
    if role == "unit" and not unit:
        raise InvalidCommand("a unit token needs --unit CODE", field="unit")
    if role != "unit" and unit:
        raise InvalidCommand("--unit is only for the unit role", field="unit")
    if role == "leader" and not units:
        raise InvalidCommand("a leader token needs --units CODE,… (the units in the leader's charge)",
                             field="units")
    if role == "assessor" and not indicators:
        raise InvalidCommand("an assessor token needs --indicators C02,…", field="indicators")


def authorize(principal: Principal, cmd: c.Command, view: LedgerView) -> None:
    """Raise Forbidden (naming the field) unless the principal may record this command."""
    if principal.role == "office" and principal is OFFICE:
        return
    if cmd.actor is not None:
        raise Forbidden("is taken from the token; a request may not supply it", field="actor")
    if cmd.recorded_at is not None and principal.role != "office":
        raise Forbidden("only the office may supply recorded_at (for importing history)",
                        field="recorded_at")
    kind = cmd.type
    role = principal.role
    if role == "office":
        return
    if role == "assessor" and isinstance(cmd, c.CommonScored):
        if cmd.indicator not in principal.indicators:
            raise Forbidden(f"this assessor scores {', '.join(sorted(principal.indicators))} only",
                            field="indicator")
        return
    if role == "verifier" and isinstance(cmd, c.EvidenceVerified):
        return
    if isinstance(cmd, c.BallotCast) and role in ("leader", "group_office", "unit"):
        _ballot(principal, cmd)
        return
    if role == "unit" and isinstance(cmd, (c.CheckpointReported, c.EvidenceSubmitted, c.DisputeFiled)):
        if cmd.unit != principal.unit:
            raise Forbidden(f"this token records for unit {principal.unit} only", field="unit")
        if isinstance(cmd, c.DisputeFiled):
            _dispute_of_others(principal, cmd, view)
        return
    raise Forbidden(f"role {role} may not record {kind}", field="type")


def _ballot(principal: Principal, cmd: c.BallotCast) -> None:
    expected_kind = {"leader": "leader", "group_office": "office", "unit": "mutual"}[principal.role]
    if cmd.kind != expected_kind:
        raise Forbidden(f"role {principal.role} casts {expected_kind} ballots only", field="kind")
    rater = principal.unit if principal.role == "unit" else principal.actor
    if cmd.rater != rater:
        raise Forbidden(f"this token rates as {rater!r}", field="rater")
    if principal.role == "leader":
        for i, code in enumerate(cmd.ranking):
            if code not in principal.units:
                raise Forbidden(f"{code} is not in this leader's charge", field=f"ranking.{i}")


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
        raise Forbidden("a unit disputes entries recorded by others, not its own", field="target")


__all__ = ["authorize", "check_scope"]
