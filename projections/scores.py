"""Keeps the scores read model current: pull the notification log from the view's position, work out
which units the new entries can move, recompute those from the log, and write rows and position in
one transaction. Because rows are recomputed rather than incremented, a page seen twice changes
nothing; the tracking row makes sure it is not even written twice.

Checkpoints are judged at today's date, so a row also goes stale when a due date passes with no new
entry: each row keeps `valid_until`, and readers refresh stale rows before answering.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from datetime import date
from typing import Any

from eventsourcing.persistence import IntegrityError, OperationalError, Tracking

from kaoping.domain.entries import Entry
from kaoping.domain.errors import LedgerDamaged
from kaoping.domain.names import unit_of, unit_stream
from kaoping.domain.relevance import moves_others
from kaoping.domain.standings import by_group, pending_for, stage_figure
from kaoping.ledger import budget
from kaoping.ledger.application import Ledger

from .asof import AsOfStandings
from .views import TRACKING_NAME, PostgresScoresView, ScoreRow, SQLiteScoresView

PAGE = 2_000
#: further behind than this, catch-up scores once at the end of the log instead of page by page
JUMP_AFTER = 20_000
Progress = Callable[[int, int], None]


class ScoresProjection:
    """Built by the composition root (`api.bootstrap.build_projection`) over the ledger's door and
    the view's tracking recorder in the ledger's own database."""

    def __init__(self, ledger: Ledger, view: SQLiteScoresView | PostgresScoresView):
        self.ledger = ledger
        self.view = view
        self.asof = AsOfStandings(ledger, self.view)

    # -- writing -------------------------------------------------------------------------------------
    @budget.unbounded
    def catch_up(self, progress: Progress | None = None, *, page: int = PAGE) -> int:
        """Process every notification after the view's position, a page per transaction; returns the
        new position."""
        entries = self._log()
        if not entries:
            self.ledger.registry()  # raises LedgerNotInitialised, as reading an empty ledger does
        today = self.ledger.today()
        position, stale = self.view.position_and_stale(today.isoformat())
        end = entries[-1].seq if entries else 0
        start = _index_after(entries, position)
        if start >= len(entries):  # nothing new: the common case, one query
            if stale:
                self.view.write(self._rows(stale, entries), None)
            return position
        registry = self.ledger.reading_registry()
        if len(entries) - start > JUMP_AFTER:
            # Far behind (a bulk import): each page's rows would be overwritten by the next page's,
            # so score the affected units once, at the end of the log, in one transaction with the
            # new position (a 77,000-entry import scored every unit 39 times page by page).
            self._write_page(registry, entries, start, len(entries), stale, progress)
        else:
            while start < len(entries):
                upto = min(start + page, len(entries))
                self._write_page(registry, entries, start, upto, [], progress)
                start = upto
        self.refresh_stale()
        return self.view.position()

    def _log(self) -> list[Entry]:
        """The log as it stands now, held still. `EntryLog.refresh` hands out its own list, which
        any later refresh extends: a catch-up looping over it chased writers that kept appending
        (a CLI ingest under HTTP load never ended), and rows scored at different lengths went out
        under one position."""
        return list(self.ledger.entries())

    def _write_page(self, registry: Any, entries: Sequence[Entry], start: int, upto: int,
                    also: Sequence[str], progress: Progress | None) -> None:
        """The rows of every unit that entries[start:upto] can move, judged on entries[:upto], and
        the position after them, in one transaction."""
        affected: set[str] = set(also)
        for entry in entries[start:upto]:
            others = moves_others(entry, registry.units)
            affected |= set(registry.units) if others is None else others
            own = unit_of(entry.stream)
            if own is not None:
                affected.add(own)
        rows = self._rows(sorted(affected & set(registry.units)), entries[:upto])
        try:
            self.view.write(rows, Tracking(TRACKING_NAME, entries[upto - 1].seq))
        except IntegrityError:
            pass  # another process recorded this position first; its rows are the same figures
        if progress is not None:
            progress(entries[upto - 1].seq, entries[-1].seq)

    def rebuild(self, progress: Progress | None = None) -> int:
        """Every row recomputed from the log beside the current ones, then swapped in with the
        log position in one transaction (`view.replace`): readers polling meanwhile see the old
        read model whole, and a catch-up meanwhile cannot make the rebuild fail. The log is
        resolved once for every unit (`Reader.scores_each`), and progress is reported as each unit
        of that pass is scored, which is what takes the time."""
        registry = self.ledger.reading_registry()
        entries = self._log()
        codes = sorted(registry.units)
        rows: list[ScoreRow] = []
        if progress is not None:
            progress(0, len(codes))
        for row in self._each_row(codes, entries):
            rows.append(row)
            if progress is not None:
                progress(len(rows), len(codes))
        self.view.replace(rows, Tracking(TRACKING_NAME, entries[-1].seq) if entries else None)
        return self.view.position()

    def refresh_stale(self, today: date | None = None) -> int:
        """Recompute rows whose `valid_until` has come (a checkpoint fell due with no new entry)."""
        today = today or self.ledger.today()
        stale = self.view.stale(today.isoformat())
        if stale:
            self.view.write(self._rows(stale, self._log()), None)
        return len(stale)

    def _rows(self, codes: Sequence[str], entries: Sequence[Entry],
              registry: Any = None) -> list[ScoreRow]:
        return list(self._each_row(codes, entries, registry))

    def _each_row(self, codes: Sequence[str], entries: Sequence[Entry],
                  registry: Any = None) -> Iterator[ScoreRow]:
        """The rows of `codes` judged on `entries`, one at a time, from one resolution of them
        (under the registry readers read now, unless given)."""
        registry = registry or self.ledger.reading_registry()
        today = self.ledger.today()
        position = entries[-1].seq if entries else 0
        for code, document in self.ledger.scores_each(codes, entries=entries, registry=registry):
            unit = registry.units[code]
            yield ScoreRow(
                unit=code, group=unit.group, name=unit.name, process=document["process"],
                half_year_comp=document["half_year_comp"], total=document["total"],
                judged_on=today.isoformat(),
                valid_until=_next_due(self.ledger.stream_entries(unit_stream(code), position), today),
                document=json.dumps(document, ensure_ascii=False),
                pending=json.dumps(document["pending"], ensure_ascii=False))

    # -- reading -------------------------------------------------------------------------------------
    def standings(self, *, group: str | None = None, stage: str = "annual",
                  as_of: str | None = None) -> list[dict[str, Any]]:
        """The current standings, each row with what its figure still waits for (`pending`); as of
        a knowledge time, the stored ones (`projections/asof.py`)."""
        if as_of is not None:
            return self.asof.standings(as_of, group=group, stage=stage)
        figure = stage_figure(stage)
        column = _FIGURE_COLUMNS[figure]
        rows = self.view.figures()
        today = self.ledger.today().isoformat()
        if any(_is_stale(row, today) for row in rows):
            self.refresh_stale()
            rows = self.view.figures()
        waiting = {r[0]: pending_for(figure, json.loads(r[8])) for r in rows}
        return [{**row, "pending": waiting[str(row["unit"])]}
                for row in by_group(((r[1], r[0], r[2], r[column]) for r in rows), group)]

    def score(self, code: str) -> dict[str, Any] | None:
        self.refresh_stale()
        document = self.view.document(code)
        return None if document is None else json.loads(document)  # type: ignore[no-any-return]

    def documents(self) -> dict[str, dict[str, Any]]:
        """Every unit's current `score` document, by unit code (one read of the view)."""
        self.refresh_stale()
        return {row.unit: json.loads(row.document) for row in self.view.rows()}

    def check(self) -> dict[str, Any]:
        """The read model against a recomputation from the log, for `verify`'s `read_model`
        section, with the stored as-of standings in its `as_of` part (`AsOfStandings.check`)."""
        report = self._check_rows()
        report["as_of"] = self.asof.check()
        report["ok"] = report["ok"] and report["as_of"]["ok"]
        return report

    def _check_rows(self) -> dict[str, Any]:
        """The current rows against a recomputation from the log. Rows are recomputed at the view's own position, so a view behind the log is only
        `behind`; a row whose checkpoints fell due since it was judged is only `stale` (a read
        refreshes both). Any other difference is a row changed behind the ledger's back (or
        written by an older version): `ok` false, the first unit and column named."""
        for _ in range(5):
            # rows and position commit together; a catch-up between the two reads moves the
            # position, and then they are read again
            position = self.view.position()
            stored = {row.unit: row for row in self.view.rows()}
            if self.view.position() == position:
                break
        entries = self.ledger.entries()  # read after the position: it holds every entry up to it
        upto = _index_after(entries, position)
        today = self.ledger.today().isoformat()
        stale = sorted(u for u, r in stored.items()
                       if r.judged_on != today and r.valid_until is not None and r.valid_until <= today)
        report: dict[str, Any] = {"ok": True, "rows": len(stored), "position": position,
                                  "behind": len(entries) - upto, "stale": stale, "first_bad": None}
        if upto == 0 and not stored:
            return report  # never caught up: nothing to compare yet
        # under the registry of the view's position: a scheme amended since is the next catch-up's
        registry = self.ledger.registry_at(position)
        units = sorted(registry.units)
        expected = {row.unit: row for row in self._rows(units, entries[:upto], registry)} if upto else {}
        for unit in sorted(set(expected) | set(stored)):
            if unit in stale:
                continue
            problem = _row_problem(stored.get(unit), expected.get(unit))
            if problem is not None:
                report["ok"] = False
                report["first_bad"] = {"unit": unit, "column": problem,
                                       "reason": "differs from a recomputation from the log: "
                                                 "changed behind the ledger's back (run kaoping rebuild)"}
                break
        return report

    def lag(self) -> int:
        """How many notifications the view is behind the log."""
        entries = self.ledger.entries()
        position = self.view.position()
        return len(entries) - _index_after(entries, position)


def current_document(projection: ScoresProjection, code: str) -> str | None:
    """A unit's `score` document now, as the JSON text the read model holds once it has caught up
    (the document the log gives today, which `verify` checks); None if it holds none. At scale 20
    scoring a unit with its explanation took 150–200 ms and encoding it again 20–40 ms; this is a
    lookup of text ready to send."""
    unit = projection.ledger.registry().unit(code)
    try:
        projection.catch_up()  # which refreshes the rows whose checkpoints fell due, too
    except (IntegrityError, OperationalError):
        return None  # the store is held by a writer (SQLite's lock): scored from the log instead
    return projection.view.document(unit.code)


def unit_score(projection: ScoresProjection, code: str, *, as_of: str | None = None,
               upto: int | None = None) -> dict[str, Any]:
    """The contract's `score` document of a unit: now, from the read model; as of a date or up to a
    seq, scored from the log."""
    if as_of is None and upto is None:
        document = current_document(projection, code)
        if document is not None:
            return projection.ledger.show_files(json.loads(document))
    return projection.ledger.score(code, as_of=as_of, upto=upto)


def with_read_model(report: dict[str, Any], projection: ScoresProjection) -> dict[str, Any]:
    """A ledger verify report with its `read_model` section. The read model is not the ledger: a
    stale view is named as such; a row that differs from the log makes `ok` false. A log that
    cannot be read is not recomputed: the section says so (`ok` None), the ledger's sections name
    the entry."""
    try:
        report["read_model"] = projection.check()
    except LedgerDamaged as error:
        report["read_model"] = {"ok": None, "unchecked": error.message_en}
    report["ok"] = report["ok"] and report["read_model"]["ok"] is not False
    return report


def _index_after(entries: Sequence[Entry], position: int) -> int:
    lo, hi = 0, len(entries)
    while lo < hi:
        mid = (lo + hi) // 2
        if entries[mid].seq <= position:
            lo = mid + 1
        else:
            hi = mid
    return lo


#: the column of `ScoresView.figures()` rows that holds each ranked figure
_FIGURE_COLUMNS = {"process": 3, "half_year_comp": 4, "total": 5}


def _is_stale(row: tuple[Any, ...], today: str) -> bool:
    """As `ScoresView.stale`: judged before today, and a checkpoint has fallen due since."""
    judged_on, valid_until = row[6], row[7]
    return judged_on != today and valid_until is not None and valid_until <= today


#: the columns of a row that a recomputation must reproduce (not when it was judged)
_COMPARED = ("group", "name", "process", "half_year_comp", "total", "document", "pending")


def _row_problem(stored: ScoreRow | None, expected: ScoreRow | None) -> str | None:
    """The first column in which a stored row is not the recomputed one (`row` if either is missing)."""
    if stored is None or expected is None:
        return "row"
    return next((c for c in _COMPARED if getattr(stored, c) != getattr(expected, c)), None)


def _next_due(stream_entries: Sequence[Entry], today: date) -> str | None:
    """The first checkpoint due date after today among the unit's assignments, from the entries of
    the unit's own stream (over-approximate: withdrawn or voided tasks only cause a harmless early
    recompute)."""
    upcoming = [cp["due"] for e in stream_entries if e.type == "task.assigned"
                for cp in e.payload.get("checkpoints", ()) if cp["due"] > today.isoformat()]
    return min(upcoming) if upcoming else None


__all__ = ["ScoresProjection", "current_document", "unit_score", "with_read_model"]
