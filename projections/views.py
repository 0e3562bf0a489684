"""The scores read model: one row per unit with its current figures, in the ledger's own database.

Each view is one of the library's tracking recorders, so that a batch of rows and the log position
they reflect commit in one transaction: a position already recorded makes the insert of the
tracking row fail and rolls the rows back (exactly once), and a crash leaves the old rows and the
old position together.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from eventsourcing.persistence import IntegrityError, Tracking
from eventsourcing.postgres import PostgresTrackingRecorder
from eventsourcing.sqlite import SQLiteTrackingRecorder

from kaoping.ledger.store import schema_lock

SCORES_TABLE = "kaoping_scores"
#: standings as of a knowledge time (`projections/asof.py`), a row per unit and moment
ASOF_TABLE = "kaoping_asof_scores"
#: the name under which the view tracks its position in the notification log
TRACKING_NAME = "kaoping.scores"

_DDL = f"""CREATE TABLE IF NOT EXISTS {SCORES_TABLE} (
    unit TEXT PRIMARY KEY,
    grp TEXT NOT NULL,
    name TEXT NOT NULL,
    process TEXT NOT NULL,
    half_year_comp TEXT NOT NULL,
    total TEXT NOT NULL,
    judged_on TEXT NOT NULL,
    valid_until TEXT,
    document TEXT NOT NULL,
    pending TEXT NOT NULL)"""


@dataclass(frozen=True)
class ScoreRow:
    unit: str
    group: str
    name: str
    process: str
    half_year_comp: str
    total: str
    judged_on: str           # the date the checkpoints were judged at
    valid_until: str | None  # the first date a further checkpoint falls due: recompute from then
    document: str            # the contract's `score` JSON
    pending: str             # its `pending` list, as JSON: what a standings row is still waiting for

    def params(self) -> tuple[Any, ...]:
        return (self.unit, self.group, self.name, self.process, self.half_year_comp, self.total,
                self.judged_on, self.valid_until, self.document, self.pending)


_ASOF_DDL = f"""CREATE TABLE IF NOT EXISTS {ASOF_TABLE} (
    moment TEXT NOT NULL,
    unit TEXT NOT NULL,
    counted INTEGER NOT NULL,
    registry INTEGER NOT NULL,
    upto INTEGER NOT NULL,
    process TEXT NOT NULL,
    half_year_comp TEXT NOT NULL,
    total TEXT NOT NULL,
    pending TEXT NOT NULL,
    PRIMARY KEY (moment, unit))"""

#: the columns of an as-of row, in table order
ASOF_COLUMNS = ("moment", "unit", "counted", "registry", "upto", "process", "half_year_comp", "total", "pending")


class _ScoresView:
    mark = "?"

    def _upsert(self) -> str:
        marks = ",".join([self.mark] * 10)
        return (f"INSERT INTO {SCORES_TABLE} VALUES ({marks}) ON CONFLICT (unit) DO UPDATE SET "
                "grp=excluded.grp, name=excluded.name, process=excluded.process, "
                "half_year_comp=excluded.half_year_comp, total=excluded.total, "
                "judged_on=excluded.judged_on, valid_until=excluded.valid_until, "
                "document=excluded.document, pending=excluded.pending")

    def write(self, rows: Sequence[ScoreRow], tracking: Tracking | None) -> None:
        """Rows and (if given) the new log position, in one transaction."""
        with self.datastore.transaction(commit=True) as cursor:  # type: ignore[attr-defined]
            if rows:
                cursor.executemany(self._upsert(), [row.params() for row in rows])
            if tracking is not None:
                self._insert_tracking(cursor, tracking)  # type: ignore[attr-defined]

    def replace(self, rows: Sequence[ScoreRow], tracking: Tracking | None) -> None:
        """Every row and the position replaced, in one transaction: a reader sees the old read
        model or the new one, never part of either. The position is set, not advanced: a catch-up
        that recorded a later one meanwhile is undone with its rows, and its entries are scored
        again at the next catch-up."""
        with self.datastore.transaction(commit=True) as cursor:  # type: ignore[attr-defined]
            self._lock_rows(cursor)
            cursor.execute(f"DELETE FROM {SCORES_TABLE}")
            cursor.execute(f"DELETE FROM {ASOF_TABLE}")  # derived too: made again when asked
            cursor.execute(f"DELETE FROM {self._tracking_table()} WHERE application_name={self.mark}",
                           (TRACKING_NAME,))
            if rows:
                cursor.executemany(self._upsert(), [row.params() for row in rows])
            if tracking is not None:
                self._insert_tracking(cursor, tracking)  # type: ignore[attr-defined]

    def _lock_rows(self, cursor: Any) -> None:
        """SQLite: the DELETE that follows takes the database's write lock."""

    def clear(self) -> None:
        """Drop every row and the position, together."""
        self.replace([], None)

    def rows(self) -> list[ScoreRow]:
        with self.datastore.transaction(commit=False) as cursor:  # type: ignore[attr-defined]
            cursor.execute(f"SELECT unit, grp, name, process, half_year_comp, total, judged_on, "
                           f"valid_until, document, pending FROM {SCORES_TABLE} ORDER BY unit")
            return [ScoreRow(*(r[k] for k in ("unit", "grp", "name", "process", "half_year_comp",
                                              "total", "judged_on", "valid_until", "document",
                                              "pending")))
                    for r in cursor.fetchall()]

    def figures(self) -> list[tuple[str, str, str, str, str, str, str, str | None, str]]:
        """Every row without its document: (unit, group, name, process, half_year_comp, total,
        judged_on, valid_until, pending), by unit."""
        with self.datastore.transaction(commit=False) as cursor:  # type: ignore[attr-defined]
            cursor.execute(f"SELECT unit, grp, name, process, half_year_comp, total, judged_on, "
                           f"valid_until, pending FROM {SCORES_TABLE} ORDER BY unit")
            return [(r["unit"], r["grp"], r["name"], r["process"], r["half_year_comp"], r["total"],
                     r["judged_on"], r["valid_until"], r["pending"]) for r in cursor.fetchall()]

    def drop_if_older(self) -> None:
        """A read model written before its rows kept `pending` is dropped (rows and position
        together) and so rebuilt from the log at the next catch-up: a read model is derived."""
        with self.datastore.transaction(commit=True) as cursor:  # type: ignore[attr-defined]
            cursor.execute(self._columns_query())
            if "pending" in {str(r["name"]) for r in cursor.fetchall()}:
                return
            cursor.execute(f"DROP TABLE {SCORES_TABLE}")
            cursor.execute(_DDL)
            cursor.execute(f"DELETE FROM {self._tracking_table()} WHERE application_name={self.mark}",
                           (TRACKING_NAME,))

    def stale(self, today: str) -> list[str]:
        """Units whose row was judged before `today` and has a checkpoint fallen due since."""
        with self.datastore.transaction(commit=False) as cursor:  # type: ignore[attr-defined]
            cursor.execute(f"SELECT unit FROM {SCORES_TABLE} WHERE judged_on <> {self.mark} AND "
                           f"valid_until IS NOT NULL AND valid_until <= {self.mark} ORDER BY unit",
                           (today, today))
            return [r["unit"] for r in cursor.fetchall()]

    def position_and_stale(self, today: str) -> tuple[int, list[str]]:
        """`position()` and `stale(today)` in one transaction (one round trip fewer per read)."""
        with self.datastore.transaction(commit=False) as cursor:  # type: ignore[attr-defined]
            position = self._max_tracking_id(TRACKING_NAME, cursor) or 0  # type: ignore[attr-defined]
            cursor.execute(f"SELECT unit FROM {SCORES_TABLE} WHERE judged_on <> {self.mark} AND "
                           f"valid_until IS NOT NULL AND valid_until <= {self.mark} ORDER BY unit",
                           (today, today))
            return position, [r["unit"] for r in cursor.fetchall()]

    def document(self, unit: str) -> str | None:
        with self.datastore.transaction(commit=False) as cursor:  # type: ignore[attr-defined]
            cursor.execute(f"SELECT document FROM {SCORES_TABLE} WHERE unit = {self.mark}", (unit,))
            found = cursor.fetchall()
            return found[0]["document"] if found else None

    def position(self) -> int:
        return self.max_tracking_id(TRACKING_NAME) or 0  # type: ignore[attr-defined]

    # -- as-of rows (`projections/asof.py`) ----------------------------------------------------------
    def asof_rows(self, moment: str | None = None) -> list[tuple[Any, ...]]:
        """The stored as-of rows of one moment (every moment's when None), by moment and unit."""
        where, params = (f" WHERE moment = {self.mark}", (moment,)) if moment is not None else ("", ())
        with self.datastore.transaction(commit=False) as cursor:  # type: ignore[attr-defined]
            cursor.execute(f"SELECT {', '.join(ASOF_COLUMNS)} FROM {ASOF_TABLE}{where} ORDER BY moment, unit",
                           params)
            return [tuple(r[c] for c in ASOF_COLUMNS) for r in cursor.fetchall()]

    def write_asof(self, moment: str, rows: Sequence[tuple[Any, ...]], keep: int) -> None:
        """A moment's rows replaced by these, in one transaction; when `keep` other moments are
        stored already, they are dropped first (the table holds at most `keep` moments)."""
        marks = ",".join([self.mark] * len(ASOF_COLUMNS))
        with self.datastore.transaction(commit=True) as cursor:  # type: ignore[attr-defined]
            cursor.execute(f"SELECT COUNT(DISTINCT moment) AS n FROM {ASOF_TABLE} WHERE moment <> {self.mark}",
                           (moment,))
            if cursor.fetchall()[0]["n"] >= keep:
                cursor.execute(f"DELETE FROM {ASOF_TABLE}")
            cursor.execute(f"DELETE FROM {ASOF_TABLE} WHERE moment = {self.mark}", (moment,))
            cursor.executemany(f"INSERT INTO {ASOF_TABLE} VALUES ({marks})", list(rows))

    def _tracking_table(self) -> str:
        return "tracking"


class SQLiteScoresView(_ScoresView, SQLiteTrackingRecorder):
    mark = "?"

    def construct_create_table_statements(self) -> list[str]:
        return super().construct_create_table_statements() + [_DDL, _ASOF_DDL]

    def create_table(self) -> None:
        try:
            super().create_table()
        except IntegrityError:
            # The library looks for its tracking table outside the transaction that creates it:
            # a process starting at the same moment created it (and recorded its migration) in
            # between. Looked at again, it is there.
            super().create_table()
        self.drop_if_older()

    def _columns_query(self) -> str:
        return f"SELECT name FROM pragma_table_info('{SCORES_TABLE}')"


class PostgresScoresView(_ScoresView, PostgresTrackingRecorder):
    mark = "%s"

    def __init__(self, datastore: Any, **kwargs: Any):
        super().__init__(datastore, **kwargs)
        from psycopg.sql import SQL

        self.sql_create_statements.append(SQL(_DDL))  # type: ignore[arg-type]
        self.sql_create_statements.append(SQL(_ASOF_DDL))  # type: ignore[arg-type]

    def create_table(self) -> None:
        with schema_lock(self.datastore):
            super().create_table()
            self.drop_if_older()

    def _columns_query(self) -> str:
        return ("SELECT column_name AS name FROM information_schema.columns "
                f"WHERE table_schema = current_schema() AND table_name = '{SCORES_TABLE}'")

    def _tracking_table(self) -> str:
        return f'"{self.datastore.schema}"."{self.tracking_table_name}"'

    def _lock_rows(self, cursor: Any) -> None:
        # concurrent catch-ups wait for the swap rather than hold some rows it needs while it
        # holds others (a deadlock); readers are not blocked by this mode
        cursor.execute(f"LOCK TABLE {SCORES_TABLE} IN SHARE ROW EXCLUSIVE MODE")
