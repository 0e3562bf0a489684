"""The event store's recorders, extended with two tables written in the same transaction.

`kaoping_chain` holds one link per stored event: its seq (the library's notification id), stream,
version, command id and the hashes of `kaoping.domain.chain`. The global link needs the previous
entry's hash, which only exists once the writer holds the store's write lock, so the links are made
inside the insert: on PostgreSQL after the library's `LOCK TABLE … EXCLUSIVE`, on SQLite under the
database's write lock taken by the first INSERT.

`kaoping_commands` indexes every command `id` (primary key: a concurrent duplicate cannot slip in)
with its content hash, type, streams and knowledge time, and every dispute code (unique).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from functools import partial
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from eventsourcing.persistence import StoredEvent
from eventsourcing.postgres import (
    PostgresAggregateRecorder,
    PostgresApplicationRecorder,
    PostgresFactory,
)
from eventsourcing.sqlite import SQLiteApplicationRecorder, SQLiteFactory

from kaoping.domain.chain import GENESIS, ChainLink, StoredEntry, entry_hash
from kaoping.domain.rules import RecordedCommand

CHAIN_TABLE = "kaoping_chain"
COMMANDS_TABLE = "kaoping_commands"

_DDL = [
    f"""CREATE TABLE IF NOT EXISTS {CHAIN_TABLE} (
        seq BIGINT PRIMARY KEY,
        originator_id TEXT NOT NULL,
        stream TEXT NOT NULL,
        version BIGINT NOT NULL,
        command_id TEXT NOT NULL,
        hash TEXT NOT NULL,
        prev_hash TEXT NOT NULL,
        global_prev_hash TEXT NOT NULL,
        UNIQUE (originator_id, version))""",
    f"CREATE INDEX IF NOT EXISTS {CHAIN_TABLE}_stream ON {CHAIN_TABLE} (stream, version)",
    f"CREATE INDEX IF NOT EXISTS {CHAIN_TABLE}_command ON {CHAIN_TABLE} (command_id)",
    f"""CREATE TABLE IF NOT EXISTS {COMMANDS_TABLE} (
        command_id TEXT PRIMARY KEY,
        type TEXT NOT NULL,
        content_hash TEXT NOT NULL,
        recorded_at TEXT NOT NULL,
        streams TEXT NOT NULL,
        dispute TEXT UNIQUE)""",
]


@dataclass(frozen=True)
class NewEntry:
    """What the recorder needs besides the stored event to link it: passed as `app.save(entries=…)`."""

    stream: str
    command_id: str


@dataclass(frozen=True)
class NewCommand:
    command_id: str
    type: str
    content_hash: str
    recorded_at: datetime
    streams: tuple[str, ...]
    dispute: str | None


class _Sql:
    """The side tables' statements, in the driver's parameter style."""

    def __init__(self, mark: str):
        self.last_link = f"SELECT hash FROM {CHAIN_TABLE} ORDER BY seq DESC LIMIT 1"
        self.stream_head = (
            f"SELECT hash FROM {CHAIN_TABLE} WHERE originator_id={mark} ORDER BY version DESC LIMIT 1"
        )
        self.insert_link = f"INSERT INTO {CHAIN_TABLE} VALUES ({','.join([mark] * 8)})"
        self.insert_command = f"INSERT INTO {COMMANDS_TABLE} VALUES ({','.join([mark] * 6)})"


def _link_events(
    execute: Any,
    executemany: Any,
    fetchone: Any,
    sql: _Sql,
    stored_events: Sequence[StoredEvent],
    seqs: Sequence[int],
    kwargs: dict[str, Any],
) -> None:
    entries: Sequence[NewEntry] = kwargs.get("entries") or ()
    if len(entries) != len(stored_events):
        raise ValueError("every stored event needs its NewEntry to be linked into the chain")
    execute(sql.last_link, ())
    row = fetchone()
    global_prev = row["hash"] if row else GENESIS
    heads: dict[str, str] = {}
    links = []
    for event, seq, entry in zip(stored_events, seqs, entries, strict=True):
        originator_id = str(event.originator_id)
        if originator_id not in heads:
            execute(sql.stream_head, (originator_id,))
            row = fetchone()
            heads[originator_id] = row["hash"] if row else GENESIS
        prev = heads[originator_id]
        digest = entry_hash(seq=seq, stream=entry.stream, version=event.originator_version,
                            topic=event.topic, state=bytes(event.state), prev_hash=prev,
                            global_prev_hash=global_prev)
        links.append((seq, originator_id, entry.stream, event.originator_version, entry.command_id,
                      digest, prev, global_prev))
        heads[originator_id] = global_prev = digest
    # one statement per table, not one round trip per row: a year's import is thousands of rows
    if links:
        executemany(sql.insert_link, links)
    commands = [(command.command_id, command.type, command.content_hash,
                 command.recorded_at.isoformat(), ",".join(command.streams), command.dispute)
                for command in kwargs.get("commands") or ()]
    if commands:
        executemany(sql.insert_command, commands)


#: rows per INSERT on PostgreSQL. The library inserts a batch of events as one array parameter; a
#: year at scale 20 (77,000 events, ~40 MB) in one message left the pipeline waiting forever.
PG_INSERT_CHUNK = 2_000

_PG_COLUMN_TYPES = {
    CHAIN_TABLE: ("bigint", "text", "text", "bigint", "text", "text", "text", "text"),
    COMMANDS_TABLE: ("text", "text", "text", "text", "text", "text"),
}


def _insert_unnested(curs: Any, statement: str, rows: Sequence[tuple[Any, ...]]) -> None:
    """PostgreSQL: the rows of an `INSERT INTO table VALUES (...)` as one statement over column
    arrays. `executemany` sends a statement per row, which cost a third of a bulk ingest."""
    table = statement.split()[2]
    unnest = ", ".join(f"%s::{t}[]" for t in _PG_COLUMN_TYPES[table])
    for start in range(0, len(rows), PG_INSERT_CHUNK):  # bounded messages, as for the events
        columns = zip(*rows[start:start + PG_INSERT_CHUNK], strict=True)
        curs.execute(f"INSERT INTO {table} SELECT * FROM unnest({unnest})", [list(c) for c in columns])


class ChainedSQLiteRecorder(SQLiteApplicationRecorder):
    sql = _Sql("?")

    def construct_create_table_statements(self) -> list[str]:
        return super().construct_create_table_statements() + _DDL

    def _insert_events(self, c: Any, stored_events: Sequence[StoredEvent], **kwargs: Any) -> Any:
        seqs = super()._insert_events(c, stored_events, **kwargs)
        _link_events(c.execute, c.executemany, c.fetchone, self.sql, stored_events, seqs, kwargs)
        return seqs

    def query(self, statement: str, params: Sequence[Any] = ()) -> list[Any]:
        with self.datastore.transaction(commit=False) as c:
            c.execute(statement.replace("%s", "?"), list(params))
            return [dict(row) for row in c.fetchall()]

    def execute_script(self, statements: Sequence[str]) -> None:
        with self.datastore.transaction(commit=True) as c:
            for statement in statements:
                c.execute(statement)


class ChainedPostgresRecorder(PostgresApplicationRecorder):
    sql = _Sql("%s")
    _inserted = threading.local()

    def _insert_stored_events(self, curs: Any, stored_events: Sequence[StoredEvent],
                              **kwargs: Any) -> None:
        """The library's insert, a chunk at a time inside the same transaction and table lock; each
        chunk's notification ids are read before the next is sent."""
        self._lock_table(curs)
        self._notify_channel(curs)
        ids: list[int] = []
        for start in range(0, len(stored_events), PG_INSERT_CHUNK):
            PostgresAggregateRecorder._insert_stored_events(
                self, curs, stored_events[start:start + PG_INSERT_CHUNK], **kwargs)
            ids.extend(row["notification_id"] for row in curs.fetchall())
        self._inserted.ids = ids

    def __init__(self, datastore: Any, **kwargs: Any):
        super().__init__(datastore, **kwargs)
        from psycopg.sql import SQL

        self.sql_create_statements.extend(SQL(s) for s in _DDL)  # type: ignore[arg-type]

    def _fetch_ids_after_insert_events(self, curs: Any, stored_events: Sequence[StoredEvent],
                                       **kwargs: Any) -> Any:
        seqs = self._inserted.ids
        if len(seqs) != len(stored_events):
            raise ValueError(f"expected {len(stored_events)} notification ids, got {len(seqs)}")
        _link_events(lambda s, p: curs.execute(s, p), partial(_insert_unnested, curs), curs.fetchone,
                     self.sql,
                     stored_events, seqs, kwargs)
        return seqs

    def query(self, statement: str, params: Sequence[Any] = ()) -> list[Any]:
        with self.datastore.transaction(commit=False) as curs:
            curs.execute(statement, list(params))
            return [dict(row) for row in curs.fetchall()]

    def execute_script(self, statements: Sequence[str]) -> None:
        with self.datastore.transaction(commit=True) as curs:
            for statement in statements:
                curs.execute(statement)


class KaopingSQLiteFactory(SQLiteFactory):
    application_recorder_class = ChainedSQLiteRecorder


class KaopingPostgresFactory(PostgresFactory):
    application_recorder_class = ChainedPostgresRecorder


class Index:
    """Reads of the side tables and the raw store, the same on both databases."""

    def __init__(self, recorder: ChainedSQLiteRecorder | ChainedPostgresRecorder):
        self.recorder = recorder

    def commands(self, ids: Sequence[str]) -> dict[str, RecordedCommand]:
        found: dict[str, RecordedCommand] = {}
        for start in range(0, len(ids), 500):
            chunk = list(ids[start:start + 500])
            marks = ",".join(["%s"] * len(chunk))
            for row in self.recorder.query(
                f"SELECT * FROM {COMMANDS_TABLE} WHERE command_id IN ({marks})", chunk
            ):
                found[row["command_id"]] = RecordedCommand(
                    row["command_id"], row["type"], tuple(row["streams"].split(",")),
                    datetime.fromisoformat(row["recorded_at"]), row["content_hash"],
                )
        return found

    def dispute_stream(self, dispute: str) -> str | None:
        rows = self.recorder.query(f"SELECT streams FROM {COMMANDS_TABLE} WHERE dispute=%s", [dispute])
        return rows[0]["streams"] if rows else None

    def seqs(self, command_id: str) -> list[int]:
        rows = self.recorder.query(
            f"SELECT seq FROM {CHAIN_TABLE} WHERE command_id=%s ORDER BY seq", [command_id])
        return [int(r["seq"]) for r in rows]

    def links(self, stream: str | None = None, after: int = 0, limit: int = 10_000) -> list[ChainLink]:
        where, params = "WHERE seq > %s", [after]
        if stream is not None:
            where += " AND stream = %s"
            params.append(stream)  # type: ignore[arg-type]
        rows = self.recorder.query(
            f"SELECT * FROM {CHAIN_TABLE} {where} ORDER BY seq LIMIT {int(limit)}", params)
        return [ChainLink(int(r["seq"]), r["originator_id"], r["stream"], int(r["version"]), r["hash"],
                          r["prev_hash"], r["global_prev_hash"]) for r in rows]

    def last_link_seq(self) -> int:
        rows = self.recorder.query(f"SELECT MAX(seq) AS seq FROM {CHAIN_TABLE}")
        return int(rows[0]["seq"] or 0)

    def all_links(self, stream: str | None = None) -> Iterator[ChainLink]:
        after = 0
        while True:
            page = self.links(stream, after)
            yield from page
            if len(page) < 10_000:
                return
            after = page[-1].seq

    def all_entries(self) -> Iterator[StoredEntry]:
        after = 0
        while True:
            page = self.recorder.select_notifications(after, 10_000, inclusive_of_start=False)
            for n in page:
                yield StoredEntry(n.id, str(n.originator_id), n.originator_version, n.topic,
                                  bytes(n.state))
            if len(page) < 10_000:
                return
            after = page[-1].id
