"""The evaluation scheme as data: versioned, amendable, never constants in code (docs/scheme.md §10).

The document is the JSON of `domain/data/scheme-2018.json` (numbers as decimal strings), and every
version satisfies `scheme_schema.SchemeDocument`. An amendment is a JSON merge patch over the version
in force before it, in force from its recorded time; the result names its own version. Documents
and patches stored in an older form are converted when read (`scheme_schema.upgraded`).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from .errors import InvalidCommand, RuleViolation
from .scheme_schema import canonical, keyed_patch, upgraded


def merge(base: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
    """JSON merge patch (RFC 7386): objects merge key by key, null deletes, anything else replaces."""
    result = copy.deepcopy(base)
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        elif isinstance(value, dict) and isinstance(result.get(key), dict):
            result[key] = merge(result[key], value)
        else:
            result[key] = copy.deepcopy(value)
    return result


#: the keyed collections, and how an entry of each is named in a patch
KEYED = {"bands": '{"良好": {"points": "92"}}', "bonus.caps": '{"B3+B4": "0.5"}'}


@dataclass(frozen=True)
class Scheme:
    data: dict[str, Any]
    #: why a stored version fails today's schema (recorded before the schema was checked, and read
    #: as it was then); None for a valid one
    problem: str | None = None
    #: parameters as read (`dec`, `bands`, `caps`, `levels`): scoring asks for them per figure, and
    #: `data` is never changed after construction (an amendment makes a new Scheme)
    _read: dict[Any, Any] = field(default_factory=dict, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "data", upgraded(self.data))

    @classmethod
    def adopted(cls, document: dict[str, Any]) -> Scheme:
        """The scheme of a `scheme.adopted` entry, in force from its own start."""
        return cls._as_stored(upgraded(document))

    @property
    def version(self) -> str:
        return str(self.data["version"])

    @property
    def in_force_from(self) -> datetime:
        return datetime.fromisoformat(str(self.data["in_force_from"]))

    def amended(self, patch: Any, in_force_from: datetime) -> Scheme:
        """A new amendment of this version, in force from `in_force_from`: refused (InvalidCommand
        or RuleViolation naming the path) unless the amended scheme is a valid scheme."""
        if not isinstance(patch, dict):
            raise InvalidCommand("amendment.not_object", field="amendment")
        version = patch.get("version")
        if not isinstance(version, str) or not version.strip():
            raise InvalidCommand("amendment.version_missing", field="version")
        if version.strip() == self.version:
            raise RuleViolation("amendment.version_in_force", field="version", version=self.version)
        if "in_force_from" in patch:
            raise InvalidCommand("amendment.in_force_from", field="in_force_from")
        bonus = patch.get("bonus")
        for path, given in (("bands", patch.get("bands")),
                            ("bonus.caps", bonus.get("caps") if isinstance(bonus, dict) else None)):
            if isinstance(given, list):
                raise InvalidCommand("amendment.list_not_keyed", field=path, example=KEYED[path])
        merged = merge(self.data, patch)
        merged["in_force_from"] = in_force_from.isoformat()
        return Scheme(canonical(merged))

    def replayed(self, patch: dict[str, Any], in_force_from: datetime) -> Scheme:
        """A stored amendment of this version, never refused: a ledger already written stays
        readable. A patch recorded in the list form means what it meant when it was recorded."""
        merged = merge(self.data, keyed_patch(patch, self.data))
        merged["in_force_from"] = in_force_from.isoformat()
        return self._as_stored(merged)

    @classmethod
    def _as_stored(cls, document: dict[str, Any]) -> Scheme:
        try:
            return cls(canonical(document))
        except InvalidCommand as error:
            return cls(document, problem=str(error))

    # -- reading the parameters ----------------------------------------------------------------
    def dec(self, *path: str) -> Decimal:
        found = self._read.get(path)
        if found is None:
            node: Any = self.data
            for key in path:
                node = node[key]
            found = self._read[path] = Decimal(str(node))
        return found  # type: ignore[no-any-return]

    @property
    def appeal_days(self) -> int:
        """docs/scheme.md §9: days a publication stays open to appeal. A scheme adopted before
        appeals were part of it has the plan's [default], 7."""
        return int(self.data.get("appeals", {}).get("days", 7))

    @property
    def due_soon_days(self) -> int:
        """§11: how many days before its date a checkpoint not yet reported is due soon; a
        scheme recorded before reminders were part of it has the [default], 7."""
        return int(self.data.get("reminders", {}).get("due_soon_days", 7))

    @property
    def reminder_hour(self) -> int:
        """§11: the hour of the daily reminders in the office's zone ([default] 9)."""
        return int(self.data.get("reminders", {}).get("hour", 9))

    def ballot_complete(self, kind: str) -> bool:
        """§5: whether a ballot of this kind must rank every unit its rater judges."""
        return bool(self.data.get("ballots", {}).get(f"{kind}_complete", True))

    def bands(self) -> list[tuple[str, Decimal, Decimal]]:
        """§5: (label, share, points) of each band, best first."""
        found = self._read.get("bands")
        if found is None:
            ordered = sorted(self.data["bands"].items(), key=lambda item: int(item[1]["rank"]))
            found = self._read["bands"] = [(label, Decimal(band["share"]), Decimal(band["points"]))
                                           for label, band in ordered]
        return list(found)

    def caps(self) -> list[tuple[list[str], Decimal]]:
        """§6: (the items capped together, their cap)."""
        found = self._read.get("caps")
        if found is None:
            found = self._read["caps"] = [(key.split("+"), Decimal(cap))
                                          for key, cap in self.data["bonus"]["caps"].items()]
        return [(list(items), cap) for items, cap in found]

    def levels(self, group: str) -> dict[str, Decimal]:
        found = self._read.get(("levels", group))
        if found is None:
            found = self._read[("levels", group)] = {level: Decimal(w)
                                                     for level, w in self.data["levels"][group].items()}
        return dict(found)

    def methods(self, group: str) -> list[str]:
        return list(self.data["methods"][group])

    def sub_indicators(self, indicator: str) -> list[dict[str, Any]]:
        """§4.1: the indicator's sub-indicators in this version (none by default)."""
        return list(self.data["common"].get("sub_indicators", {}).get(indicator, ()))

    def bonus_item(self, code: str) -> dict[str, Any] | None:
        return self.data["bonus"]["items"].get(code)

    def penalty_item(self, code: str) -> dict[str, Any] | None:
        return self.data["penalty"]["items"].get(code)

    @staticmethod
    def is_funding_item(item: dict[str, Any]) -> bool:
        return "funding" in item

    @staticmethod
    def is_set_per_award(item: dict[str, Any]) -> bool:
        return "min" in item and "max" in item


def diff(before: dict[str, Any], after: dict[str, Any], path: str = "") -> list[tuple[str, Any, Any]]:
    """(path, before, after) of every value that differs, objects compared key by key (None where a
    side has no such key); what an amendment's dry run shows."""
    changes: list[tuple[str, Any, Any]] = []
    for key in [*before, *(k for k in after if k not in before)]:
        where = f"{path}.{key}" if path else str(key)
        old, new = before.get(key), after.get(key)
        if isinstance(old, dict) and isinstance(new, dict):
            changes += diff(old, new, where)
        elif old != new:
            changes.append((where, old, new))
    return changes


__all__ = ["Scheme", "diff", "merge"]
