"""The event store's recorders, extended with two tables written in the same transaction.

`kaoping_chain` holds one link per stored event: its seq (the library's notification id), stream,
version, command id and the hashes of `kaoping.domain.chain`. The global link needs the previous
entry's hash, which only exists once the writer holds the store's write lock, so the links are made
inside the insert: on PostgreSQL after the library's `LOCK TABLE … EXCLUSIVE`, on SQLite under the
database's write lock taken by the first INSERT.

`kaoping_commands` indexes every command `id` (primary key: a concurrent duplicate cannot slip in)
with its content hash, type, streams and knowledge time, and every dispute code (unique).

The Merkle tree over the chain's hashes is written in the same transaction too (`ledger/tree.py`):
entries, links and tree commit together or not at all, once the signer's gate has judged the tree
they leave. The checkpoint signing the new size is made right after the commit (`_signed`), so that
the signer's record never holds a tree the database did not get.

Under the same lock, before anything is linked, the insert checks the `Basis` the writer decided
the batch on, and refuses it with `RaceLost` (nothing stored; `ledger.writer` decides it again) when
a concurrent writer changed it: a stream the batch read and does not write has a newer entry, or its
clock reading, taken before the lock, is older than the newest stored entry's (docs/commands.md §3,
时间与顺序一致: along `seq` the clock's times never go backwards).

What the library gives and what is the ledger's own. The recorders override the library's public
write, `insert_events(stored_events, **kwargs)` (the library passes `EventStore.put`'s keyword
arguments through to it: `entries`, `commands`, `signing`, `basis`), and insert the events
themselves, a dozen lines per store, with what the library's recorders expose as public attributes:
`insert_events_statement`, `lock_table_statements`, `channel_name`, `construct_pg_stored_event`,
`events_table_name`, `datastore.transaction` / `get_connection`, and `SQLiteTransaction`. No private
method of `eventsourcing` is overridden or called. The library has no public hook inside its
insert's transaction: its hooks there are private (`_insert_events`, `_insert_stored_events`,
`_fetch_ids_after_insert_events`; its own `examples/searchabletimestamps` overrides `_insert_events`
to write extra rows), and the ledger used all three, a thread-local to carry PostgreSQL's
notification ids from one to the next, and still had to wrap the library's PostgreSQL insert (its
block commits events whose links failed) and its SQLite one (to run in a turn's transaction).
What remains beyond the documented interface, and why the `<9.6` pin stays until a release is
tested: the names and meaning of those attributes (the SQLite insert statement takes the four
columns in order and its rowid is the seq; PostgreSQL's returns `notification_id`), the tables'
layout (`stored_events` by rowid, `notification_id` on PostgreSQL, which `Index`, the audit and the
newest-entry check read), and that the library's connection and transaction blocks turn the
drivers' errors into its own (`IntegrityError` for a version conflict).
"""

from __future__ import annotations

import random
import sqlite3
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

import msgspec
from eventsourcing.application import Application
from eventsourcing.persistence import InterfaceError, OperationalError, StoredEvent
from eventsourcing.postgres import PostgresApplicationRecorder, PostgresFactory
from eventsourcing.sqlite import SQLiteApplicationRecorder, SQLiteFactory, SQLiteTransaction
from eventsourcing.utils import retry

from kaoping.domain.chain import GENESIS, ChainLink, StoredEntry, entry_hash
from kaoping.domain.errors import LedgerDamaged
from kaoping.domain.rules import RecordedCommand

from . import files, tree

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


class RaceLost(Exception):
    """A concurrent writer changed what a batch was decided on while it was being decided: an id it
    records, a stream it read, or the clock's order. Nothing of the batch is stored; the writer
    decides it again (`ledger.writer`)."""


@dataclass(frozen=True)
class Basis:
    """What a batch was decided on, checked by the insert under the write lock before anything is
    linked (passed as `insert_events(…, basis=…)`).

    `read`: the version each stream the batch read but does not write had when it was read (by
    originator id); a newer entry in one of them means the batch was decided on a stale view. (A
    stream it writes needs no check: the events' own key, originator id and version, refuses a
    second writer of a version.) `now`: the ledger clock's reading the batch was decided at, its
    entries' `appended_at` and the `recorded_at` of those the clock dates. `now_locked`: whether
    that reading was taken holding the write lock (in a turn), when nothing stored before it can be
    later; a reading taken before the lock must not be older than the newest stored entry's."""

    read: Mapping[str, int] = field(default_factory=dict)
    now: datetime | None = None
    now_locked: bool = False


class Moment(msgspec.Struct, forbid_unknown_fields=True, rename={"kind": "_type_", "text": "_data_"}):
    """The library's `DatetimeAsISO` value in a stored state, as msgspec reads it (`ledger.decode`)."""
    kind: str
    text: datetime


#: a `Moment` of an aware datetime (with its offset)
AWARE = "datetime_iso"


class _Stamp(msgspec.Struct):
    """Only an entry state's `timestamp`; the other fields are skipped unread."""
    timestamp: Moment


_decode_stamp = msgspec.json.Decoder(_Stamp).decode


def appended_at(state: bytes) -> datetime | None:
    """When an entry was appended (its `timestamp`: the ledger clock's reading at its commit), read
    from its stored state; None for a state not of the shape the ledger writes (`kaoping verify`
    names those)."""
    try:
        moment = _decode_stamp(state).timestamp
    except (msgspec.ValidationError, msgspec.DecodeError):
        return None
    return moment.text if moment.kind == AWARE and moment.text.tzinfo is not None else None


@dataclass
class _Newest:
    """The newest entry's `appended_at` as this recorder's last append left it, valid while the
    chain's newest link is (`seq`, `hash`), as `tree.Edge` is: any other append changes them."""

    seq: int = 0
    hash: str = ""
    appended_at: datetime | None = None


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


@dataclass
class _Linker:
    """What a recorder keeps between its appends to link the next: the tree's right edge, the
    newest entry's time, and how to read a stored entry's state by seq."""

    select_state: str
    edge: tree.Edge = field(default_factory=tree.Edge)
    newest: _Newest = field(default_factory=_Newest)

    def link(self, tx: tree.Tx, stored_events: Sequence[StoredEvent], seqs: Sequence[int],
             kwargs: dict[str, Any]) -> None:
        """The chain links, command index rows, tree nodes and checkpoint of events just inserted
        (under the write lock), after checking the batch's `Basis`."""
        entries: Sequence[NewEntry] = kwargs.get("entries") or ()
        if len(entries) != len(stored_events):
            raise ValueError("every stored event needs its NewEntry to be linked into the chain")
        basis: Basis = kwargs.get("basis") or Basis()
        tx.execute(f"SELECT seq, hash FROM {CHAIN_TABLE} ORDER BY seq DESC LIMIT 1")
        row = tx.fetchone()
        global_prev, seq_before = (row["hash"], int(row["seq"])) if row else (GENESIS, 0)
        if seqs and seqs[0] <= seq_before:
            # SQLite hands out the rowid of a deleted newest entry again: its link is still there,
            # and the insert of the new link would fail as a conflict, retried in vain
            raise LedgerDamaged("ledger.link_without_entry", seq=seqs[0])
        head_before = (seq_before, global_prev)
        self._in_order(tx, basis, head_before)
        written = list(dict.fromkeys(str(event.originator_id) for event in stored_events))
        read = [originator for originator in basis.read if originator not in written]
        heads = _stream_heads(tx, written + read)
        for originator in read:
            if heads[originator][1] != basis.read[originator]:
                raise RaceLost(f"stream {originator} changed after the batch read it")
        links = []
        for event, seq, entry in zip(stored_events, seqs, entries, strict=True):
            originator_id = str(event.originator_id)
            prev = heads[originator_id][0]
            digest = entry_hash(seq=seq, stream=entry.stream, version=event.originator_version,
                                topic=event.topic, state=bytes(event.state), prev_hash=prev,
                                global_prev_hash=global_prev)
            links.append((seq, originator_id, entry.stream, event.originator_version,
                          entry.command_id, digest, prev, global_prev))
            heads[originator_id] = (digest, event.originator_version)
            global_prev = digest
        # one statement per table, not one round trip per row: a year's import is thousands of rows
        tx.insert(CHAIN_TABLE, links)
        tx.insert(COMMANDS_TABLE, [(command.command_id, command.type, command.content_hash,
                                    command.recorded_at.isoformat(), ",".join(command.streams),
                                    command.dispute) for command in kwargs.get("commands") or ()])
        tree.grow(tx, head_before, [(link[0], link[5]) for link in links], kwargs.get("signing"),
                  chain_table=CHAIN_TABLE, edge=self.edge)
        if links:
            # a rolled-back transaction leaves a (seq, hash) no link has: never wrongly trusted
            self.newest = _Newest(links[-1][0], links[-1][5], basis.now)

    def _in_order(self, tx: tree.Tx, basis: Basis, head: tuple[int, str]) -> None:
        """A clock reading taken before the lock must not be older than the newest entry's: a batch
        that read the clock before another committed a later reading is decided again, in its turn
        with a fresh reading, rather than stored behind it (equal readings are in order)."""
        if basis.now is None or basis.now_locked or head[0] == 0:
            return
        newest = self.newest
        if (newest.seq, newest.hash) == head and newest.appended_at is not None:
            latest = newest.appended_at
        else:
            tx.execute(self.select_state, [head[0]])
            row = tx.fetchone()
            latest = appended_at(bytes(row["state"])) if row else None
        if latest is not None and basis.now < latest:
            raise RaceLost(f"clock reading {basis.now.isoformat()} is older than the newest "
                           f"entry's {latest.isoformat()}")


def _stream_heads(tx: tree.Tx, originator_ids: Sequence[str]) -> dict[str, tuple[str, int]]:
    """The hash and version of each stream's newest link ((GENESIS, 0) for a new stream), in one
    statement per 200 streams: each stream's own `ORDER BY version DESC LIMIT 1` (an index seek),
    joined by UNION ALL. One statement per stream cost a round trip each (on PostgreSQL's pipeline,
    a sync each)."""
    heads = dict.fromkeys(originator_ids, (GENESIS, 0))
    for start in range(0, len(originator_ids), 200):
        chunk = originator_ids[start:start + 200]
        one = (f"SELECT originator_id, hash, version FROM (SELECT originator_id, hash, version "
               f"FROM {CHAIN_TABLE} WHERE originator_id = {tx.mark} ORDER BY version DESC LIMIT 1) "
               "AS head")
        tx.execute(" UNION ALL ".join([one] * len(chunk)), chunk)
        heads.update({row["originator_id"]: (row["hash"], int(row["version"]))
                      for row in tx.fetchall()})
    return heads


def _signed(kwargs: dict[str, Any]) -> None:
    """After an insert has committed: the signer signs the committed tree (`tree.Signing`)."""
    signing: tree.Signing | None = kwargs.get("signing")
    if signing is not None:
        signing.after_commit()


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
        #: the tree's right edge and the newest entry's time as this recorder's last append left them
        self.linker = _Linker(f"SELECT state FROM {self.events_table_name} WHERE rowid = ?")
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
            self._turn.conn = self._turn.held = conn
            try:
                yield
            finally:
                self._turn.conn = self._turn.held = None
                conn.rollback()  # nothing to undo once the insert has committed

    def in_turn(self) -> bool:
        """Whether this thread holds the write lock of a turn not yet ended by an insert."""
        return getattr(self._turn, "conn", None) is not None

    def insert_events(self, stored_events: Sequence[StoredEvent], **kwargs: Any) -> Sequence[int] | None:
        """The events with their links, index rows, tree and checkpoint, in one transaction: the
        library's (its errors as the library's), or the one this thread's turn began."""
        conn = getattr(self._turn, "conn", None)
        if conn is None:
            with self.datastore.transaction(commit=True) as c:
                seqs = self._append(c, stored_events, kwargs)
            _signed(kwargs)
            return seqs
        self._turn.conn = None  # the insert ends the turn's transaction
        # the library's transaction end (rollback or commit, its errors as the library's), on the
        # transaction the turn began
        ending = SQLiteTransaction(conn, commit=True)
        try:
            seqs = self._append(conn.cursor(), stored_events, kwargs)
        except BaseException as error:
            ending.__exit__(type(error), error, error.__traceback__)
            raise
        ending.__exit__(None, None, None)
        _signed(kwargs)
        return seqs

    def _append(self, c: Any, stored_events: Sequence[StoredEvent], kwargs: dict[str, Any]) -> list[int]:
        """The library's rows, one INSERT each for its rowid (the seq), as its own insert writes
        them; then their links. The first INSERT takes the database's write lock."""
        seqs = []
        for event in stored_events:
            originator_id = event.originator_id
            c.execute(self.insert_events_statement,
                      (originator_id.hex if isinstance(originator_id, UUID) else originator_id,
                       event.originator_version, event.topic, event.state))
            seqs.append(int(c.lastrowid))
        self.linker.link(_SQLiteTx(c), stored_events, seqs, kwargs)
        return seqs

    def construct_create_table_statements(self) -> list[str]:
        return (super().construct_create_table_statements() + _DDL + tree.ddl(sqlite=True)
                + files.ddl(sqlite=True))

    def grow_tree(self, signing: tree.Signing | None) -> None:
        with self.writing() as tx:
            _grow_alone(tx, signing)
        _signed({"signing": signing})

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

    def write(self, statement: str, params: Sequence[Any] = (), *, durable: bool = True) -> None:
        """One statement in a transaction of its own. `durable=False` commits without waiting for the
        disk (synchronous=NORMAL for this commit): for a row something durable elsewhere restores
        after a crash (a checkpoint: the signer's record holds its note); in WAL order, the next
        durable commit makes it durable too."""
        held = getattr(self._turn, "held", None)  # after a turn's insert committed (the checkpoint):
        # the pool's one writer connection is the turn's
        with nullcontext(held) if held is not None else self.datastore.get_connection(commit=True) as conn:
            level = None
            if not durable:
                cursor = conn.cursor()
                cursor.execute("PRAGMA synchronous")
                level = cursor.fetchone()[0]
                cursor.execute("PRAGMA synchronous=NORMAL")  # not inside a transaction: before it
            try:
                with conn.transaction(commit=True) as c:
                    c.execute(statement.replace("%s", "?"), list(params))
            finally:
                if level is not None:
                    conn.cursor().execute(f"PRAGMA synchronous={int(level)}")

    def write_all(self, statements: Sequence[tuple[str, Sequence[Any]]]) -> list[int]:
        """Statements in one transaction (not holding the writers' lock from its start, as
        `writing` does); the rows each changed."""
        with self.datastore.transaction(commit=True) as c:
            counts = []
            for statement, params in statements:
                c.execute(statement.replace("%s", "?"), list(params))
                counts.append(c.sqlite_cursor.rowcount)
            return counts

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
    def __init__(self, datastore: Any, **kwargs: Any):
        super().__init__(datastore, **kwargs)
        from psycopg.sql import SQL, Identifier

        self.linker = _Linker(f"SELECT state FROM {self.events_table_name} WHERE notification_id = %s")
        self._turn = threading.local()  # as in ChainedSQLiteRecorder
        self._notify = SQL("NOTIFY {0}").format(Identifier(self.channel_name))
        self.sql_create_statements.extend(SQL(s) for s in _DDL + tree.ddl(sqlite=False) + files.ddl(sqlite=False))  # type: ignore[arg-type]

    def insert_events(self, stored_events: Sequence[StoredEvent], **kwargs: Any) -> Sequence[int] | None:
        conn = getattr(self._turn, "conn", None)
        if conn is None:
            seqs = self._insert_alone(stored_events, kwargs)
        else:
            self._turn.conn = None  # the insert ends the turn's transaction
            seqs = self._insert_on(conn, stored_events, kwargs)
            conn.commit()
        _signed(kwargs)
        return seqs

    @retry((InterfaceError, OperationalError), max_attempts=10, wait=0.2)
    def _insert_alone(self, stored_events: Sequence[StoredEvent], kwargs: dict[str, Any]) -> Sequence[int]:
        with self.datastore.get_connection() as conn:
            return self._insert_on(conn, stored_events, kwargs)

    def _insert_on(self, conn: Any, stored_events: Sequence[StoredEvent], kwargs: dict[str, Any]) -> Sequence[int]:
        """The library's insert, as its own does it (the writers' table lock, a notification, the
        rows as composite values, their notification ids returned), in chunks, then their links;
        any failure rolls the whole transaction back. Raised inside the connection's block, a
        database error becomes the library's. (In a turn the block is a savepoint of the turn's
        transaction.)"""
        from psycopg import Rollback

        failure: Exception | None = None
        seqs: list[int] = []
        with conn.pipeline() as pipeline, conn.transaction() as transaction, conn.cursor() as curs:
            try:
                self._lock(curs)
                curs.execute(self._notify)
                for start in range(0, len(stored_events), PG_INSERT_CHUNK):
                    rows = [self.construct_pg_stored_event(e.originator_id, e.originator_version,
                                                           e.topic, e.state)
                            for e in stored_events[start:start + PG_INSERT_CHUNK]]
                    curs.execute(self.insert_events_statement, (rows,))
                    seqs.extend(int(row["notification_id"]) for row in curs.fetchall())
                pipeline.sync()  # a uniqueness violation is raised here at the latest
                self.linker.link(_PostgresTx(curs), stored_events, seqs, kwargs)
            except Exception as error:  # noqa: BLE001 - raised below, after the rollback
                failure = error
                raise Rollback(transaction) from None
        if failure is not None:
            raise failure
        return seqs

    def _lock(self, curs: Any) -> None:
        """The writers' lock: `LOCK TABLE … IN EXCLUSIVE MODE` on the events, with the library's
        lock timeout, as the library's own insert takes it (reads are not blocked)."""
        for statement in self.lock_table_statements:
            curs.execute(statement, prepare=True)

    @contextmanager
    def turn(self) -> Iterator[None]:
        """The writers' table lock, held from now until this thread's next `insert_events`
        commits (or the block ends), as in `ChainedSQLiteRecorder.turn`. SELECTs are not blocked
        by it, so the batch is decided on other connections meanwhile."""
        with self.datastore.get_connection() as conn:
            conn.autocommit = False
            try:
                with conn.cursor() as curs:
                    self._lock(curs)
                self._turn.conn = conn
                yield
            finally:
                self._turn.conn = None
                conn.rollback()  # nothing to undo once the insert has committed
                conn.autocommit = True

    def in_turn(self) -> bool:
        """Whether this thread holds the write lock of a turn not yet ended by an insert."""
        return getattr(self._turn, "conn", None) is not None

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
        _signed({"signing": signing})

    @contextmanager
    def writing(self) -> Iterator[tree.Tx]:
        with self.datastore.transaction(commit=True) as curs:
            self._lock(curs)  # the writers' lock: no append can come between
            yield _PostgresTx(curs)

    def query(self, statement: str, params: Sequence[Any] = ()) -> list[Any]:
        with self.datastore.transaction(commit=False) as curs:
            curs.execute(statement, list(params))
            return [dict(row) for row in curs.fetchall()]

    def write(self, statement: str, params: Sequence[Any] = (), *, durable: bool = True) -> None:
        """As `ChainedSQLiteRecorder.write`; `durable=False` turns synchronous_commit off for it."""
        with self.datastore.transaction(commit=True) as curs:
            if durable:
                curs.execute(statement, list(params))
                return
            with curs.connection.pipeline():  # the setting and the statement in one round trip
                curs.execute("SET LOCAL synchronous_commit TO OFF")
                curs.execute(statement, list(params))

    def write_all(self, statements: Sequence[tuple[str, Sequence[Any]]]) -> list[int]:
        with self.datastore.transaction(commit=True) as curs:
            counts = []
            for statement, params in statements:
                curs.execute(statement, list(params))
                counts.append(curs.rowcount)
            return counts

    @contextmanager
    def reading(self) -> Iterator[tree.Tx]:
        with self.datastore.transaction(commit=False) as curs:
            yield _PostgresTx(curs)

    def execute_script(self, statements: Sequence[str]) -> None:
        with self.datastore.transaction(commit=True) as curs:
            for statement in statements:
                curs.execute(statement)


class EventStore(Application):  # type: ignore[type-arg]
    """The library's application, used as the event store: aggregates are folded by `domain.folds`."""

    name = "Kaoping"


class KaopingSQLiteFactory(SQLiteFactory):
    application_recorder_class = ChainedSQLiteRecorder

    def __init__(self, env: Any):
        _wal_before_first_connection(env.get("SQLITE_DBNAME") or "", float(env.get("SQLITE_LOCK_TIMEOUT") or 5))
        super().__init__(env)


def _wal_before_first_connection(db_name: str, timeout: float) -> None:
    """Turn a fresh database file to WAL mode before the library's pool opens it. The library does it
    on its first connection, once, without retrying; but SQLite refuses that switch with "database is
    locked" at once, not after its busy timeout (the switch upgrades a read lock, where waiting could
    deadlock), while another process holds the file. Processes starting together on a fresh file (a
    service manager starting every worker, CLI commands side by side) each retry it here until the
    lock timeout; once the file is in WAL mode it stays so, and this is one read."""
    if not db_name or ":memory:" in db_name or "mode=memory" in db_name:
        return
    deadline = time.monotonic() + timeout
    connection = sqlite3.connect(db_name, uri=True, timeout=timeout, isolation_level=None)
    try:
        while True:
            try:
                if connection.execute("PRAGMA journal_mode").fetchone()[0].lower() == "wal":
                    return
                connection.execute("PRAGMA journal_mode=WAL")
            except sqlite3.OperationalError as error:
                if "locked" not in str(error) or time.monotonic() > deadline:
                    raise
                time.sleep(0.01 + random.random() * 0.04)  # noqa: S311 - spreading the retries, not a secret
    finally:
        connection.close()


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


def _recorded_command(row: Any) -> RecordedCommand:
    return RecordedCommand(row["command_id"], row["type"], tuple(row["streams"].split(",")),
                           datetime.fromisoformat(row["recorded_at"]), row["content_hash"])


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
        return {row["command_id"]: _recorded_command(row)
                for row in self._by_ids(f"SELECT * FROM {COMMANDS_TABLE}", ids)}

    def linked(self, ids: Sequence[str]) -> dict[str, int]:
        """The first seq of each of `ids` that has entries in the chain (whatever the index says)."""
        return {row["command_id"]: int(row["seq"]) for row in self._by_ids(
            f"SELECT command_id, MIN(seq) AS seq FROM {CHAIN_TABLE}", ids, "GROUP BY command_id")}

    def recorded(self, ids: Sequence[str]) -> tuple[dict[str, RecordedCommand], dict[str, int]]:
        """Which of `ids` are recorded: their index rows, and the first seq of each that has
        entries in the chain but no index row. One statement reads both tables, so it sees one
        moment of the store: a command committed meanwhile has its links and its row, or neither
        (two reads, one of each table, found a command committed between them "in the chain but
        not indexed" and told its sender to restore from backup)."""
        known: dict[str, RecordedCommand] = {}
        unindexed: dict[str, int] = {}
        for start in range(0, len(ids), 500):
            chunk = list(ids[start:start + 500])
            marks = ",".join(["%s"] * len(chunk))
            rows = self.recorder.query(
                f"SELECT command_id, type, content_hash, recorded_at, streams, NULL AS seq "
                f"FROM {COMMANDS_TABLE} WHERE command_id IN ({marks}) UNION ALL "
                f"SELECT command_id, NULL, NULL, NULL, NULL, MIN(seq) FROM {CHAIN_TABLE} AS link "
                f"WHERE command_id IN ({marks}) AND NOT EXISTS (SELECT 1 FROM {COMMANDS_TABLE} AS "
                "indexed WHERE indexed.command_id = link.command_id) GROUP BY command_id",
                chunk + chunk)
            for row in rows:
                if row["seq"] is None:
                    known[row["command_id"]] = _recorded_command(row)
                else:
                    unindexed[row["command_id"]] = int(row["seq"])
        return known, unindexed

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
