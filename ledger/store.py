"""The event store's recorders, extended with two tables written in the same transaction.

`kaoping_chain` holds one link per stored event: its seq (the library's notification id), stream,
version, command id and the hashes of `kaoping.domain.chain`. The global link needs the previous
entry's hash, which only exists once the writer holds the store's write lock, so the links are made
inside the insert: on PostgreSQL after the library's `LOCK TABLE … EXCLUSIVE`, on SQLite under the
database's write lock taken by the first INSERT.

`kaoping_commands` indexes every command `id` (primary key: a concurrent duplicate cannot slip in)
with its content hash, type, streams and knowledge time, and every dispute code (unique).

The Merkle tree over the chain's hashes and the checkpoint signing its new size are written in the
same transaction too (`ledger/tree.py`): entries, links, tree and checkpoint commit together or not
at all.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from eventsourcing.persistence import InterfaceError, OperationalError, StoredEvent
from eventsourcing.postgres import (
    PostgresAggregateRecorder,
    PostgresApplicationRecorder,
    PostgresFactory,
)
from eventsourcing.sqlite import SQLiteApplicationRecorder, SQLiteFactory, SQLiteTransaction
from eventsourcing.utils import retry

from kaoping.domain.chain import GENESIS, ChainLink, StoredEntry, entry_hash
from kaoping.domain.errors import LedgerDamaged
from kaoping.domain.rules import RecordedCommand

from . import tree

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


class _SQLiteTx:
    mark = "?"

    def __init__(self, cursor: Any):
        self.cursor = cursor

    def execute(self, statement: str, params: Sequence[Any] = ()) -> None:
        self.cursor.execute(statement, list(params))

    def fetchone(self) -> Any:
        return self.cursor.fetchone()

    def fetchall(self) -> list[Any]:
        return list(self.cursor.fetchall())

    def insert(self, table: str, rows: Sequence[tuple[Any, ...]]) -> None:
        if rows:
            marks = ",".join("?" * len(rows[0]))
            self.cursor.executemany(f"INSERT INTO {table} VALUES ({marks})", rows)


class _PostgresTx(_SQLiteTx):
    mark = "%s"

    def insert(self, table: str, rows: Sequence[tuple[Any, ...]]) -> None:
        _insert_unnested(self.cursor, table, rows)


def _link_events(tx: tree.Tx, stored_events: Sequence[StoredEvent], seqs: Sequence[int],
                 kwargs: dict[str, Any], edge: tree.Edge) -> None:
    entries: Sequence[NewEntry] = kwargs.get("entries") or ()
    if len(entries) != len(stored_events):
        raise ValueError("every stored event needs its NewEntry to be linked into the chain")
    tx.execute(f"SELECT seq, hash FROM {CHAIN_TABLE} ORDER BY seq DESC LIMIT 1")
    row = tx.fetchone()
    global_prev, seq_before = (row["hash"], int(row["seq"])) if row else (GENESIS, 0)
    if seqs and seqs[0] <= seq_before:
        # SQLite hands out the rowid of a deleted newest entry again: its link is still there, and
        # the insert of the new link would fail as a conflict, retried in vain
        raise LedgerDamaged("ledger.link_without_entry", seq=seqs[0])
    head_before = (seq_before, global_prev)
    heads = _stream_heads(tx, list(dict.fromkeys(str(event.originator_id) for event in stored_events)))
    links = []
    for event, seq, entry in zip(stored_events, seqs, entries, strict=True):
        originator_id = str(event.originator_id)
        prev = heads[originator_id]
        digest = entry_hash(seq=seq, stream=entry.stream, version=event.originator_version,
                            topic=event.topic, state=bytes(event.state), prev_hash=prev,
                            global_prev_hash=global_prev)
        links.append((seq, originator_id, entry.stream, event.originator_version, entry.command_id,
                      digest, prev, global_prev))
        heads[originator_id] = global_prev = digest
    # one statement per table, not one round trip per row: a year's import is thousands of rows
    tx.insert(CHAIN_TABLE, links)
    tx.insert(COMMANDS_TABLE, [(command.command_id, command.type, command.content_hash,
                                command.recorded_at.isoformat(), ",".join(command.streams),
                                command.dispute) for command in kwargs.get("commands") or ()])
    tree.grow(tx, head_before, [(link[0], link[5]) for link in links], kwargs.get("signing"),
              chain_table=CHAIN_TABLE, edge=edge)


def _stream_heads(tx: tree.Tx, originator_ids: Sequence[str]) -> dict[str, str]:
    """The hash of each stream's newest link (GENESIS for a new stream), in one statement per 200
    streams: each stream's own `ORDER BY version DESC LIMIT 1` (an index seek), joined by UNION ALL.
    One statement per stream cost a round trip each (on PostgreSQL's pipeline, a sync each)."""
    heads = dict.fromkeys(originator_ids, GENESIS)
    for start in range(0, len(originator_ids), 200):
        chunk = originator_ids[start:start + 200]
        one = (f"SELECT originator_id, hash FROM (SELECT originator_id, hash FROM {CHAIN_TABLE} "
               f"WHERE originator_id = {tx.mark} ORDER BY version DESC LIMIT 1) AS head")
        tx.execute(" UNION ALL ".join([one] * len(chunk)), chunk)
        heads.update({row["originator_id"]: row["hash"] for row in tx.fetchall()})
    return heads


def _grow_alone(tx: tree.Tx, signing: tree.Signing | None) -> None:
    """Catch the tree up with the chain (and sign its size) with no entry appended."""
    tx.execute(f"SELECT seq, hash FROM {CHAIN_TABLE} ORDER BY seq DESC LIMIT 1")
    row = tx.fetchone()
    tree.grow(tx, (int(row["seq"]), row["hash"]) if row else (0, GENESIS), [], signing,
              chain_table=CHAIN_TABLE, edge=tree.Edge())


#: rows per INSERT on PostgreSQL. The library inserts a batch of events as one array parameter; a
#: year at scale 20 (77,000 events, ~40 MB) in one message left the pipeline waiting forever.
PG_INSERT_CHUNK = 2_000

_PG_COLUMN_TYPES = {
    CHAIN_TABLE: ("bigint", "text", "text", "bigint", "text", "text", "text", "text"),
    COMMANDS_TABLE: ("text", "text", "text", "text", "text", "text"),
    **tree.COLUMN_TYPES,
}


def _insert_unnested(curs: Any, table: str, rows: Sequence[tuple[Any, ...]]) -> None:
    """PostgreSQL: rows inserted into `table` as one statement over column arrays. `executemany`
    sends a statement per row, which cost a third of a bulk ingest."""
    unnest = ", ".join(f"%s::{t}[]" for t in _PG_COLUMN_TYPES[table])
    for start in range(0, len(rows), PG_INSERT_CHUNK):  # bounded messages, as for the events
        columns = zip(*rows[start:start + PG_INSERT_CHUNK], strict=True)
        curs.execute(f"INSERT INTO {table} SELECT * FROM unnest({unnest})", [list(c) for c in columns])


@contextmanager
def schema_lock(datastore: Any) -> Iterator[None]:
    """PostgreSQL: one process at a time creates a schema's tables. `CREATE … IF NOT EXISTS` is
    not safe against itself: two starts at once failed with a duplicate `pg_type` key or `tuple
    concurrently updated`. A session advisory lock, keyed by the schema's name (a ledger per
    schema: ledgers in other schemas start without waiting), held on a connection of its own
    while the tables are created on others; re-entrant, so the read model can take it too."""
    with datastore.get_connection() as conn:
        key = f"kaoping.create_table:{datastore.schema}"
        conn.execute("SELECT pg_advisory_lock(hashtextextended(%s, 0))", [key])
        try:
            yield
        finally:
            conn.execute("SELECT pg_advisory_unlock(hashtextextended(%s, 0))", [key])


class ChainedSQLiteRecorder(SQLiteApplicationRecorder):
    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        #: the tree's right edge as this recorder's last append left it (`tree.Edge`)
        self.edge = tree.Edge()
        #: the connection holding the write lock for this thread's turn (`turn()`)
        self._turn = threading.local()

    @contextmanager
    def turn(self) -> Iterator[None]:
        """The database's write lock, held from now until this thread's next `insert_events`
        commits (or the block ends): a writer that lost a race decides its batch again while no
        one else can append (`ledger.writer`). Reads go on, on other connections (WAL)."""
        with self.datastore.get_connection(commit=True) as conn:
            try:
                conn.cursor().execute("BEGIN IMMEDIATE")
            except sqlite3.OperationalError as error:
                raise OperationalError(error) from error
            self._turn.conn = conn
            try:
                yield
            finally:
                self._turn.conn = None
                conn.rollback()  # nothing to undo once the insert has committed

    def insert_events(self, stored_events: Sequence[StoredEvent], **kwargs: Any) -> Sequence[int] | None:
        conn = getattr(self._turn, "conn", None)
        if conn is None:
            return super().insert_events(stored_events, **kwargs)
        self._turn.conn = None  # the insert ends the turn's transaction
        # the library's transaction end (rollback or commit, its errors as the library's), on the
        # transaction the turn began
        ending = SQLiteTransaction(conn, commit=True)
        try:
            seqs = self._insert_events(conn.cursor(), stored_events, **kwargs)
        except BaseException as error:
            ending.__exit__(type(error), error, error.__traceback__)
            raise
        ending.__exit__(None, None, None)
        return seqs

    def construct_create_table_statements(self) -> list[str]:
        return super().construct_create_table_statements() + _DDL + tree.ddl(sqlite=True)

    def _insert_events(self, c: Any, stored_events: Sequence[StoredEvent], **kwargs: Any) -> Any:
        seqs = super()._insert_events(c, stored_events, **kwargs)
        _link_events(_SQLiteTx(c), stored_events, seqs, kwargs, self.edge)
        return seqs

    def grow_tree(self, signing: tree.Signing | None) -> None:
        with self.writing() as tx:
            _grow_alone(tx, signing)

    @contextmanager
    def writing(self) -> Iterator[tree.Tx]:
        """A write transaction holding the writers' lock from its start, as an append does."""
        with self.datastore.transaction(commit=True) as c:
            # take the write lock before reading, as an append does with its first insert
            c.execute(f"DELETE FROM {tree.LEAVES_TABLE} WHERE 1 = 0")
            yield _SQLiteTx(c)

    def query(self, statement: str, params: Sequence[Any] = ()) -> list[Any]:
        with self.datastore.transaction(commit=False) as c:
            c.execute(statement.replace("%s", "?"), list(params))
            return [dict(row) for row in c.fetchall()]

    def write(self, statement: str, params: Sequence[Any] = ()) -> None:
        with self.datastore.transaction(commit=True) as c:
            c.execute(statement.replace("%s", "?"), list(params))

    @contextmanager
    def reading(self) -> Iterator[tree.Tx]:
        """One read transaction, for reads that belong together (a proof and its checkpoint)."""
        with self.datastore.transaction(commit=False) as c:
            yield _SQLiteTx(c)

    def execute_script(self, statements: Sequence[str]) -> None:
        with self.datastore.transaction(commit=True) as c:
            for statement in statements:
                c.execute(statement)


class ChainedPostgresRecorder(PostgresApplicationRecorder):
    _inserted = threading.local()

    def insert_events(self, stored_events: Sequence[StoredEvent], **kwargs: Any) -> Sequence[int] | None:
        conn = getattr(self._turn, "conn", None)
        if conn is None:
            return self._insert_alone(stored_events, **kwargs)
        self._turn.conn = None  # the insert ends the turn's transaction
        seqs = self._insert_on(conn, stored_events, **kwargs)
        conn.commit()
        return seqs

    @retry((InterfaceError, OperationalError), max_attempts=10, wait=0.2)
    def _insert_alone(self, stored_events: Sequence[StoredEvent], **kwargs: Any) -> Sequence[int] | None:
        with self.datastore.get_connection() as conn:
            return self._insert_on(conn, stored_events, **kwargs)

    def _insert_on(self, conn: Any, stored_events: Sequence[StoredEvent], **kwargs: Any) -> Sequence[int] | None:
        """The library's insert, but a failure after the events are sent rolls their transaction
        back. The library keeps the exception until the transaction block has ended, so the block
        ends normally and commits: events without their chain links, tree or checkpoint. (In a
        turn the block is a savepoint of the turn's transaction.)"""
        from psycopg import Rollback

        failure: Exception | None = None
        seqs: Sequence[int] | None = None
        with conn.pipeline() as pipeline, conn.transaction() as transaction:
            with conn.cursor() as curs:
                self._insert_events(curs, stored_events, **kwargs)
            if stored_events:
                with conn.cursor() as curs:
                    try:
                        self._insert_stored_events(curs, stored_events, **kwargs)
                        pipeline.sync()  # a uniqueness violation is raised here
                        seqs = self._fetch_ids_after_insert_events(curs, stored_events, **kwargs)
                    except Exception as error:  # noqa: BLE001 - raised below, after the rollback
                        failure = error
                        raise Rollback(transaction) from None
        if failure is not None:
            raise failure  # inside the connection: database errors become the library's
        return seqs

    @contextmanager
    def turn(self) -> Iterator[None]:
        """The writers' table lock, held from now until this thread's next `insert_events`
        commits (or the block ends), as in `ChainedSQLiteRecorder.turn`. SELECTs are not blocked
        by it, so the batch is decided on other connections meanwhile."""
        with self.datastore.get_connection() as conn:
            conn.autocommit = False
            try:
                with conn.cursor() as curs:
                    self._lock_table(curs)
                self._turn.conn = conn
                yield
            finally:
                self._turn.conn = None
                conn.rollback()  # nothing to undo once the insert has committed
                conn.autocommit = True

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
        self.edge = tree.Edge()  # as in ChainedSQLiteRecorder
        self._turn = threading.local()
        from psycopg.sql import SQL

        self.sql_create_statements.extend(SQL(s) for s in _DDL + tree.ddl(sqlite=False))  # type: ignore[arg-type]

    def _fetch_ids_after_insert_events(self, curs: Any, stored_events: Sequence[StoredEvent],
                                       **kwargs: Any) -> Any:
        seqs = self._inserted.ids
        if len(seqs) != len(stored_events):
            raise ValueError(f"expected {len(stored_events)} notification ids, got {len(seqs)}")
        _link_events(_PostgresTx(curs), stored_events, seqs, kwargs, self.edge)
        return seqs

    def create_table(self) -> None:
        """The ledger's schema first (a ledger per schema: `Settings.schema`), then its tables."""
        from psycopg.sql import SQL, Identifier

        with schema_lock(self.datastore):
            with self.datastore.transaction(commit=True) as curs:
                curs.execute(SQL("CREATE SCHEMA IF NOT EXISTS {0}").format(Identifier(self.datastore.schema)))
            super().create_table()

    def grow_tree(self, signing: tree.Signing | None) -> None:
        with self.writing() as tx:
            _grow_alone(tx, signing)

    @contextmanager
    def writing(self) -> Iterator[tree.Tx]:
        with self.datastore.transaction(commit=True) as curs:
            self._lock_table(curs)  # the writers' lock: no append can come between
            yield _PostgresTx(curs)

    def query(self, statement: str, params: Sequence[Any] = ()) -> list[Any]:
        with self.datastore.transaction(commit=False) as curs:
            curs.execute(statement, list(params))
            return [dict(row) for row in curs.fetchall()]

    def write(self, statement: str, params: Sequence[Any] = ()) -> None:
        with self.datastore.transaction(commit=True) as curs:
            curs.execute(statement, list(params))

    @contextmanager
    def reading(self) -> Iterator[tree.Tx]:
        with self.datastore.transaction(commit=False) as curs:
            yield _PostgresTx(curs)

    def execute_script(self, statements: Sequence[str]) -> None:
        with self.datastore.transaction(commit=True) as curs:
            for statement in statements:
                curs.execute(statement)


class KaopingSQLiteFactory(SQLiteFactory):
    application_recorder_class = ChainedSQLiteRecorder


class KaopingPostgresFactory(PostgresFactory):
    """With POSTGRES_SCHEMA, the ledger lives in that schema: the library names its tables with the
    schema, and every connection searches it first, so the ledger's own tables (chain, commands,
    tree, read models) are found there too; the schema is made when the tables are."""

    application_recorder_class = ChainedPostgresRecorder

    def __init__(self, env: Any):
        super().__init__(env)
        schema = self.datastore.schema
        if schema != "public":
            self.datastore.pool.kwargs["options"] = f"-c search_path={schema}"


class Index:
    """Reads of the side tables and the raw store, the same on both databases."""

    def __init__(self, recorder: ChainedSQLiteRecorder | ChainedPostgresRecorder):
        self.recorder = recorder

    def _by_ids(self, select: str, ids: Sequence[str], tail: str = "") -> Iterator[dict[str, Any]]:
        """`select … WHERE command_id IN (…) tail` over `ids`, 500 at a time."""
        for start in range(0, len(ids), 500):
            chunk = list(ids[start:start + 500])
            marks = ",".join(["%s"] * len(chunk))
            yield from self.recorder.query(f"{select} WHERE command_id IN ({marks}) {tail}", chunk)

    def commands(self, ids: Sequence[str]) -> dict[str, RecordedCommand]:
        return {row["command_id"]: RecordedCommand(
                    row["command_id"], row["type"], tuple(row["streams"].split(",")),
                    datetime.fromisoformat(row["recorded_at"]), row["content_hash"])
                for row in self._by_ids(f"SELECT * FROM {COMMANDS_TABLE}", ids)}

    def linked(self, ids: Sequence[str]) -> dict[str, int]:
        """The first seq of each of `ids` that has entries in the chain (whatever the index says)."""
        return {row["command_id"]: int(row["seq"]) for row in self._by_ids(
            f"SELECT command_id, MIN(seq) AS seq FROM {CHAIN_TABLE}", ids, "GROUP BY command_id")}

    def command_rows(self) -> Iterator[dict[str, Any]]:
        """Every row of the command index, by id, read page by page."""
        after = ""
        while True:
            page = self.recorder.query(
                f"SELECT * FROM {COMMANDS_TABLE} WHERE command_id > %s ORDER BY command_id LIMIT 10000",
                [after])
            yield from page
            if len(page) < 10_000:
                return
            after = page[-1]["command_id"]

    def link_command_ids(self, end: int) -> dict[int, str]:
        """The command id each chain link up to seq `end` records (a column outside the hash)."""
        found: dict[int, str] = {}
        after = 0
        while True:
            page = self.recorder.query(
                f"SELECT seq, command_id FROM {CHAIN_TABLE} WHERE seq > %s AND seq <= %s ORDER BY seq "
                "LIMIT 10000", [after, end])
            found.update((int(r["seq"]), r["command_id"]) for r in page)
            if len(page) < 10_000:
                return found
            after = int(page[-1]["seq"])

    def dispute_stream(self, dispute: str) -> str | None:
        rows = self.recorder.query(f"SELECT streams FROM {COMMANDS_TABLE} WHERE dispute=%s", [dispute])
        return rows[0]["streams"] if rows else None

    def dispute_of(self, command_id: str) -> str | None:
        """The dispute code a `dispute.filed` command recorded."""
        rows = self.recorder.query(f"SELECT dispute FROM {COMMANDS_TABLE} WHERE command_id=%s", [command_id])
        return rows[0]["dispute"] if rows else None

    def stream_of_seq(self, seq: int) -> str | None:
        """The stream entry `seq` is in (None when no entry has that seq)."""
        rows = self.recorder.query(f"SELECT stream FROM {CHAIN_TABLE} WHERE seq = %s", [seq])
        return rows[0]["stream"] if rows else None

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
