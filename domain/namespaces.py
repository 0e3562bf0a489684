"""A unit token's own namespace for command ids and dispute codes (issue 17, item 10).

Ids and dispute codes are unique across the ledger, so a refusal for an id or a code already taken
would tell a unit token that another unit (or the office) used it. A unit token's ids are therefore
stored as `D03:ID` and its dispute codes as `D03-CODE` (left as they are when they already carry
the prefix, so a retry of the stored id, or the pages' short numbers `D03-001`, stay themselves):
whatever a unit token sends, it can only meet its own unit's things. Others may not take a unit's
namespace: an id `D03:…` is refused to every other token, and a dispute code `D03-…` is only
for a dispute of D03. Both prefixes use characters of the ids' alphabet, so the office can still
name a unit's entry or dispute in a void or a ruling.
"""

from __future__ import annotations

from collections.abc import Callable, Collection

from . import commands as c
from .errors import InvalidCommand, RuleViolation
from .policy import bound_unit
from .principals import OFFICE, Principal

#: ids and dispute codes are `Code`s: at most this many characters, the prefix included
LONGEST = 64


def unit_id(unit: str, command_id: str) -> str:
    return command_id if command_id.startswith(f"{unit}:") else f"{unit}:{command_id}"


def unit_dispute_code(unit: str, code: str) -> str:
    return code if code.startswith(f"{unit}-") else f"{unit}-{code}"


def own_namespace(cmd: c.Command, principal: Principal | None) -> c.Command:
    """The command as a unit token's is stored (its id, and a dispute's code, in the unit's
    namespace); others' commands unchanged. Idempotent."""
    unit = bound_unit(principal)
    if unit is None:
        return cmd
    update: dict[str, str] = {"id": unit_id(unit, cmd.id)}
    if isinstance(cmd, c.DisputeFiled):
        update["dispute"] = unit_dispute_code(unit, cmd.dispute)
    for name, value in update.items():
        if len(value) > LONGEST:
            raise InvalidCommand("namespace.too_long", field=name, unit=unit,
                                 longest=LONGEST - (len(value) - len(getattr(cmd, name))))
    return cmd.model_copy(update=update)


def own_target(cmd: c.Command, principal: Principal | None, own_entry: Callable[[str], bool]) -> c.Command:
    """A unit token's void request names the entry to void by the id it sent (`r1`) or as stored
    (`D03:r1`). A unit asks to void only what its own tokens recorded, which is in its namespace, so
    a bare target that is an entry of the unit's own stream once prefixed (`own_entry`, the
    ledger's entries so far and the batch's) becomes that; otherwise it stays as sent (an entry
    recorded before namespaces, or one that does not exist and is refused by that name). Only the
    unit's own stream is asked: nothing of another unit is learned. Idempotent."""
    unit = bound_unit(principal)
    if unit is None or not isinstance(cmd, c.VoidRequested) or cmd.target.startswith(f"{unit}:"):
        return cmd
    stored = unit_id(unit, cmd.target)
    if len(stored) > LONGEST or not own_entry(stored):
        return cmd
    return cmd.model_copy(update={"target": stored})


def check_id_namespace(command_id: str, principal: Principal | None, units: Collection[str]) -> None:
    """Refuse an id in a unit's namespace from any token but that unit's (which never send one of
    another unit: theirs are prefixed). The operator (the command line, None or `OFFICE`) holds the
    database and may import what unit tokens recorded elsewhere."""
    if principal is None or principal is OFFICE or bound_unit(principal) is not None:
        return
    owner, colon, _ = command_id.partition(":")
    if colon and owner in units:
        raise InvalidCommand("namespace.unit_id", field="id", unit=owner)


def check_dispute_namespace(code: str, unit: str, units: Collection[str]) -> None:
    """A dispute code `D04-…` is D04's: refused for a dispute of any other unit."""
    owner, dash, _ = code.partition("-")
    if dash and owner in units and owner != unit:
        raise RuleViolation("namespace.dispute_code", field="dispute", owner=owner, unit=unit)


__all__ = ["check_dispute_namespace", "check_id_namespace", "own_namespace", "own_target",
           "unit_dispute_code", "unit_id"]
