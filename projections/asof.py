"""Standings as of a knowledge time, stored once computed (docs/commands.md §4: `standings --as-of`).

The office's date picker asks for the standings as known at the end of a day. Computing them
rescores every unit over the whole log (180 ms for the demo year, about 2 s at scale 20), and the
reader's cache forgets them at the next append, because it is keyed by the log's position. But the
entries an as-of read counts are those with `recorded_at <= moment`: an append recorded later (every
append of the live year, for a past date) changes nothing. So the figures of every unit are stored
per moment with the number of entries that moment counted, the registry version and the log
position they were computed at; they answer again while the moment still counts exactly as many
entries (`EntryLog.counted_at`: the log only grows, so the same count is the same set) under the
same registry. A backdated entry into the moment, or a registry change, makes the next read compute
and store them again.

The rows are derived, like the read model's: `kaoping rebuild` drops them, `verify` recomputes each
at its own position (figures as `score --as-of` gives them on the log up to that position), and a
read that cannot store them (another writer holds SQLite's lock) answers anyway.
"""

from __future__ import annotations

import json
from bisect import bisect_right
from datetime import datetime, timezone
from typing import Any

from eventsourcing.persistence import IntegrityError, OperationalError

from kaoping.domain.decimals import fmt
from kaoping.domain.entries import by_seq
from kaoping.domain.folds import RegistryState
from kaoping.domain.moments import parse_as_of
from kaoping.domain.standings import by_group, pending_for, stage_figure
from kaoping.ledger.application import Ledger

from .views import PostgresScoresView, SQLiteScoresView

#: the figures a row keeps, in its column order after the bookkeeping columns
FIGURES = ("process", "half_year_comp", "total")
_STORED = 5  # moment, unit, counted, registry, upto
#: moments kept at once: a year's month ends, stage dates and what the office asks besides. Any
#: caller who reads standings can ask for any moment; beyond this the stored ones start afresh, so
#: the table and `verify` (which recomputes each) stay bounded.
MAX_MOMENTS = 32


class AsOfStandings:
    def __init__(self, ledger: Ledger, view: SQLiteScoresView | PostgresScoresView):
        self.ledger, self.view = ledger, view

    def standings(self, as_of: str, *, group: str | None = None, stage: str = "annual") -> list[dict[str, Any]]:
        """The standings of `stage` as known at `as_of`, as `Reader.standings` computes them."""
        figure = stage_figure(stage)
        moment = parse_as_of(as_of, self.ledger.zone)
        registry = self.ledger.reading_registry()
        rows = self._valid(moment, registry) or self._computed(moment)
        column = _STORED + FIGURES.index(figure)
        by_unit = {row[1]: row for row in rows}
        units = [u for u in registry.units.values() if group is None or u.group == group]
        ranked = by_group(((u.group, u.code, u.name, by_unit[u.code][column]) for u in units), group)
        return [{**row, "pending": pending_for(figure, json.loads(by_unit[str(row["unit"])][-1]))}
                for row in ranked]

    def _valid(self, moment: datetime, registry: RegistryState) -> list[tuple[Any, ...]] | None:
        """The stored rows of `moment`, if they still hold: one per unit, each computed when the
        moment counted as many entries as now, under this registry."""
        rows = self.view.asof_rows(self._key(moment))
        self.ledger.entries()
        return rows if self._holds(rows, self.ledger.counted_at(moment), registry) else None

    @staticmethod
    def _holds(rows: list[tuple[Any, ...]], counted: int, registry: RegistryState) -> bool:
        return (len(rows) == len(registry.units) and {r[1] for r in rows} == set(registry.units)
                and all(r[2] == counted and r[3] == registry.version for r in rows))

    def _computed(self, moment: datetime) -> list[tuple[Any, ...]]:
        upto, counted, registry, results = self.ledger.figures_as_of(moment)
        key = self._key(moment)
        rows = [(key, code, counted, registry.version, upto, *self._figures(result))
                for code, result in sorted(results.items())]
        try:
            self.view.write_asof(key, rows, MAX_MOMENTS)
        except (IntegrityError, OperationalError):
            pass  # another transaction stored this moment first, or holds SQLite's lock: answered anyway
        return rows

    def check(self) -> dict[str, Any]:
        """Every stored moment that still holds, recomputed on the log up to the position it was
        computed at, for `verify`'s read-model section: `ok` false names the first moment and unit
        that differ. A moment that no longer holds (an entry backdated into it, a registry change)
        is only `stale`: the next read computes it again."""
        zone = f" {self.ledger.zone}"
        stored = [row for row in self.view.asof_rows() if row[0].endswith(zone)]  # judged in this zone
        report: dict[str, Any] = {"ok": True, "moments": len({row[0] for row in stored}), "stale": [],
                                  "first_bad": None}
        log = list(self.ledger.entries())
        registry = self.ledger.reading_registry()
        by_moment: dict[str, list[tuple[Any, ...]]] = {}
        for row in stored:
            by_moment.setdefault(row[0], []).append(row)
        for key, rows in sorted(by_moment.items()):
            moment = datetime.fromisoformat(key.removesuffix(zone))
            if not self._holds(rows, self.ledger.counted_at(moment), registry):
                report["stale"].append(key)
                continue
            prefix = log[:bisect_right(log, rows[0][4], key=by_seq)]
            _, counted, _, results = self.ledger.figures_as_of(moment, prefix)
            for row in rows:
                if row[2] != counted or tuple(row[_STORED:]) != self._figures(results[row[1]]):
                    report["ok"] = False
                    report["first_bad"] = {"moment": key, "unit": row[1],
                                           "reason": "differs from `score --as-of` on the log up to its "
                                                     "position: changed behind the ledger's back (run kaoping rebuild)"}
                    return report
        return report

    def _key(self, moment: datetime) -> str:
        """A moment as stored: the instant in UTC (one instant is one key whatever offset it was
        given in) and the office zone it was judged in (the judge date is the moment's date there)."""
        return f"{moment.astimezone(timezone.utc).isoformat()} {self.ledger.zone}"

    @staticmethod
    def _figures(result: Any) -> tuple[str, ...]:
        return (*(fmt(getattr(result, name)) for name in FIGURES), json.dumps(list(result.pending)))


__all__ = ["AsOfStandings", "FIGURES", "MAX_MOMENTS"]
