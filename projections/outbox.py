"""推送's outbox (docs/commands.md §10.6): the hooks the office registered and the deliveries owed to
them, in tables of the ledger's own database, fed from the notification log exactly once.

The registrations are the operator's configuration, not entries: a secret must never reach an
export, and a hook removed must stop, neither of which an append-only entry allows (contract:
"kept in the ledger's database outside the entries"). The deliveries are derived, as the scores read
model is: `feed` reads the log after the outbox's position and writes the deliveries the new entries
owe, with the new position, in one transaction through the library's tracking recorder — a page
seen twice is refused by the tracking row and rolls back, so a delivery is made once, and its id
(`<hook>-<seq>-<event>`, or `<hook>-<first>-<last>` for a chat robot's gathered message) is the same
however often it is then sent. Feeders take a one-row turn lock first, so two processes never cut
the log at different places. `remind` adds the daily digest's deliveries (ids by day, inserted
only once). The worker (`api/delivery.py`) claims a hook's oldest pending delivery with a lease,
sends it and records the outcome here.
"""

from __future__ import annotations

import secrets as random
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from eventsourcing.persistence import IntegrityError, Tracking
from eventsourcing.postgres import PostgresTrackingRecorder
from eventsourcing.sqlite import SQLiteTrackingRecorder

from kaoping.domain import hooks as h
from kaoping.domain.entries import Entry
from kaoping.domain.errors import NotFound
from kaoping.domain.names import unit_of
from kaoping.ledger.application import Ledger
from kaoping.ledger.store import schema_lock

HOOKS_TABLE = "kaoping_hooks"
DELIVERIES_TABLE = "kaoping_deliveries"
TURN_TABLE = "kaoping_hook_turn"
#: the name under which the outbox tracks its position in the notification log
TRACKING_NAME = "kaoping.hooks"
#: entries per feed transaction
PAGE = 2_000

_DDL = [
    f"""CREATE TABLE IF NOT EXISTS {HOOKS_TABLE} (
    id TEXT PRIMARY KEY, url TEXT NOT NULL, format TEXT NOT NULL, secret TEXT, events TEXT NOT NULL,
    units TEXT NOT NULL, since BIGINT NOT NULL, created_at TEXT NOT NULL, removed_at TEXT)""",
    f"""CREATE TABLE IF NOT EXISTS {DELIVERIES_TABLE} (
    id TEXT PRIMARY KEY, hook TEXT NOT NULL, ord BIGINT NOT NULL, event TEXT NOT NULL, body TEXT NOT NULL,
    status TEXT NOT NULL, attempts INTEGER NOT NULL, next_at TEXT NOT NULL, lease_until TEXT,
    last_error TEXT, created_at TEXT NOT NULL, delivered_at TEXT)""",
    f"CREATE INDEX IF NOT EXISTS kaoping_deliveries_queue ON {DELIVERIES_TABLE} (hook, status, ord, id)",
    f"CREATE TABLE IF NOT EXISTS {TURN_TABLE} (k INTEGER PRIMARY KEY, turns BIGINT NOT NULL)",
]

_HOOK_COLUMNS = ("id", "url", "format", "secret", "events", "units", "since", "created_at", "removed_at")
_DELIVERY_COLUMNS = ("id", "hook", "ord", "event", "body", "status", "attempts", "next_at", "lease_until",
                     "last_error", "created_at", "delivered_at")


def stamp(moment: datetime) -> str:
    """A time as stored: UTC, fixed width, so that text order is time order."""
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def unstamp(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=timezone.utc)


@dataclass(frozen=True)
class Hook:
    id: str
    url: str
    format: str
    secret: str | None
    events: tuple[str, ...]
    units: tuple[str, ...]
    since: int
    created_at: str
    removed_at: str | None

    def shown(self) -> dict[str, Any]:
        """The registration as listed: never the secret, only whether there is one."""
        return {"id": self.id, "url": self.url, "format": self.format, "secret": self.secret is not None,
                "events": list(self.events), "units": list(self.units), "since": self.since,
                "created_at": self.created_at, "removed": self.removed_at is not None}


@dataclass(frozen=True)
class Delivery:
    id: str
    hook: str
    ord: int
    event: str
    body: str
    status: str
    attempts: int
    next_at: str
    lease_until: str | None
    last_error: str | None
    created_at: str
    delivered_at: str | None

    def shown(self) -> dict[str, Any]:
        return {"id": self.id, "hook": self.hook, "event": self.event, "status": self.status,
                "attempts": self.attempts, "next_at": self.next_at, "last_error": self.last_error,
                "created_at": self.created_at, "delivered_at": self.delivered_at}


class _OutboxView:
    mark = "?"

    @contextmanager
    def turn(self) -> Iterator[Any]:
        """A transaction holding the feeders' lock (the turn row's update takes SQLite's write
        lock, PostgreSQL's row lock) from its first statement to its commit."""
        with self.datastore.transaction(commit=True) as cursor:  # type: ignore[attr-defined]
            cursor.execute(f"UPDATE {TURN_TABLE} SET turns = turns + 1 WHERE k = 1")
            yield cursor

    def position_in(self, cursor: Any) -> int:
        return self._max_tracking_id(TRACKING_NAME, cursor) or 0  # type: ignore[attr-defined]

    def position(self) -> int:
        return self.max_tracking_id(TRACKING_NAME) or 0  # type: ignore[attr-defined]

    def track(self, cursor: Any, seq: int) -> None:
        self._insert_tracking(cursor, Tracking(TRACKING_NAME, seq))  # type: ignore[attr-defined]

    def execute(self, statement: str, params: Sequence[Any] = (), *, commit: bool = False) -> list[Any]:
        with self.datastore.transaction(commit=commit) as cursor:  # type: ignore[attr-defined]
            cursor.execute(statement.replace("?", self.mark), tuple(params))
            returns = statement.lstrip().startswith("SELECT") or " RETURNING " in statement
            return list(cursor.fetchall()) if returns else []

    def insert_deliveries(self, cursor: Any, rows: Sequence[tuple[Any, ...]]) -> None:
        if rows:
            marks = ",".join([self.mark] * len(_DELIVERY_COLUMNS))
            cursor.executemany(f"INSERT INTO {DELIVERIES_TABLE} VALUES ({marks}) ON CONFLICT (id) DO NOTHING",
                               list(rows))

    def _seed_turn(self) -> None:
        with self.datastore.transaction(commit=True) as cursor:  # type: ignore[attr-defined]
            cursor.execute(f"INSERT INTO {TURN_TABLE} VALUES (1, 0) ON CONFLICT (k) DO NOTHING")


class SQLiteOutboxView(_OutboxView, SQLiteTrackingRecorder):
    mark = "?"

    def construct_create_table_statements(self) -> list[str]:
        return super().construct_create_table_statements() + list(_DDL)

    def create_table(self) -> None:
        try:
            super().create_table()
        except IntegrityError:  # as the scores view: another process made the tracking table meanwhile
            super().create_table()
        self._seed_turn()


class PostgresOutboxView(_OutboxView, PostgresTrackingRecorder):
    mark = "%s"

    def __init__(self, datastore: Any, **kwargs: Any):
        super().__init__(datastore, **kwargs)
        from psycopg.sql import SQL

        for statement in _DDL:
            self.sql_create_statements.append(SQL(statement))  # type: ignore[arg-type]

    def create_table(self) -> None:
        with schema_lock(self.datastore):
            super().create_table()
            self._seed_turn()


class Outbox:
    """Built by the composition root (`api.bootstrap.build_outbox`) over the ledger's door and the
    outbox's tracking recorder in the ledger's own database."""

    def __init__(self, ledger: Ledger, view: SQLiteOutboxView | PostgresOutboxView, *, link: str | None = None):
        self.ledger = ledger
        self.view = view
        #: where a chat message's link points (`KAOPING_PUBLIC_URL`), if the office set it
        self.link = link.rstrip("/") if link else None
        self._origin: str | None = None

    # -- registrations ---------------------------------------------------------------------------------
    def add(self, *, url: str, format: str, events: Sequence[str] | None = None, secret: str | None = None,
            units: Sequence[str] = (), hook_id: str | None = None) -> Hook:
        """Register a receiver; it is owed what is appended from now on (and the digests). A
        `hook_id` given (a page form's, made from its nonce) makes the registration idempotent: the
        same id registered again is the hook already registered, nothing added."""
        chosen = h.check_registration(url, format, list(events) if events is not None else list(h.EVENTS), secret)
        registry = self.ledger.registry()
        codes = tuple(sorted({u.strip().upper() for u in units if u.strip()}))
        for code in codes:
            registry.unit(code)  # refuses an unknown unit, naming it
        hook = Hook(id=hook_id or "h-" + random.token_hex(4), url=url.strip(), format=format, secret=secret,
                    events=chosen, units=codes, since=self.ledger.head(), created_at=stamp(self.ledger.clock()),
                    removed_at=None)
        self.view.execute(f"INSERT INTO {HOOKS_TABLE} VALUES (?,?,?,?,?,?,?,?,?) ON CONFLICT (id) DO NOTHING",
                          (hook.id, hook.url, hook.format, hook.secret, ",".join(hook.events), ",".join(hook.units),
                           hook.since, hook.created_at, None), commit=True)
        return self._stored(hook.id) if hook_id else hook

    def hooks(self, *, removed: bool = False) -> list[Hook]:
        rows = self.view.execute(f"SELECT {', '.join(_HOOK_COLUMNS)} FROM {HOOKS_TABLE} ORDER BY created_at, id")
        found = [_hook(r) for r in rows]
        return found if removed else [hook for hook in found if hook.removed_at is None]

    def _stored(self, hook_id: str) -> Hook:
        rows = self.view.execute(f"SELECT {', '.join(_HOOK_COLUMNS)} FROM {HOOKS_TABLE} WHERE id = ?", (hook_id,))
        if not rows:
            raise NotFound("hook.unknown", field="hook", given=hook_id[:80])
        return _hook(rows[0])

    def remove(self, hook_id: str) -> Hook:
        """Stop a hook: it is owed nothing more and its pending deliveries are not sent. A hook
        already removed is left as it is (a form sent twice); one never registered is refused."""
        hook = self._stored(hook_id)
        if hook.removed_at is None:
            self.view.execute(f"UPDATE {HOOKS_TABLE} SET removed_at = ? WHERE id = ? AND removed_at IS NULL",
                              (stamp(self.ledger.clock()), hook.id), commit=True)
        return hook

    # -- feeding ---------------------------------------------------------------------------------------
    def feed(self) -> int:
        """The deliveries the entries after the outbox's position owe, written with the new
        position, a page per transaction; the new position. Entries are read from the store
        (`Ledger.entries_after`), not through the process's shared log, so a server's writer is not
        made to read back what it appends; the page is read before the turn is taken (the turn
        holds SQLite's write lock) and read again if another feeder moved the position meanwhile.
        With no hook registered nothing is owed: the position moves to the log's head unread (a
        server started on a large ledger does not decode it all in its worker's thread)."""
        while True:
            position = self.view.position()
            if not self.hooks():
                head = self.ledger.head()
                if head <= position:
                    return position
                with self.view.turn() as cursor:
                    if self.view.position_in(cursor) != position:
                        continue
                    if not any(hook.removed_at is None for hook in self._hooks_in(cursor)):
                        self.view.track(cursor, head)
                        return head
                # a hook was registered meanwhile: its entries are read below
            page = self.ledger.entries_after(position, PAGE)
            if not page:
                return position
            with self.view.turn() as cursor:
                if self.view.position_in(cursor) != position:
                    continue  # another feeder wrote this page first: read from its position
                hooks = [hook for hook in self._hooks_in(cursor) if hook.removed_at is None]
                self.view.insert_deliveries(cursor, self._owed(hooks, page))
                self.view.track(cursor, page[-1].seq)
            if len(page) < PAGE:
                return page[-1].seq

    def _hooks_in(self, cursor: Any) -> list[Hook]:
        cursor.execute(f"SELECT {', '.join(_HOOK_COLUMNS)} FROM {HOOKS_TABLE} ORDER BY created_at, id")
        return [_hook(r) for r in cursor.fetchall()]

    def _owed(self, hooks: Sequence[Hook], page: Sequence[Entry]) -> list[tuple[Any, ...]]:
        now = stamp(self.ledger.clock())
        rows: list[tuple[Any, ...]] = []
        for hook in hooks:
            matched: list[tuple[Entry, tuple[str, ...]]] = []
            for entry in page:
                if entry.seq <= hook.since:
                    continue
                unit = unit_of(entry.stream)
                if hook.units and unit not in hook.units:
                    continue
                events = tuple(e for e in h.events_of(entry.type) if e in hook.events)
                if events:
                    matched.append((entry, events))
            if not matched:
                continue
            if hook.format in h.CHAT_FORMATS:
                shown = [self.entry_data(entry) for entry, _ in matched]
                title, text = h.entries_text(shown, self.link)
                events = {e for _, evs in matched for e in evs}
                event = "publication" if "publication" in events else "dispute" if "dispute" in events else "entry"
                first, last = matched[0][0].seq, matched[-1][0].seq
                rows.append(_row(f"{hook.id}-{first}-{last}", hook.id, first, event,
                                 h.chat_message(hook.format, title, text).decode("utf-8"), now))
                continue
            for entry, events in matched:
                data = self.entry_data(entry)
                for event in events:
                    delivery = f"{hook.id}-{entry.seq}-{event}"
                    rows.append(_row(delivery, hook.id, entry.seq, event,
                                     h.envelope(delivery, event, self.origin(), now, data).decode("utf-8"), now))
        return rows

    def entry_data(self, entry: Entry) -> dict[str, Any]:
        """An entry as a hook receives it: the fields `history` shows but its hashes."""
        zone = self.ledger.zone
        return {"seq": entry.seq, "id": entry.id, "type": entry.type, "stream": entry.stream,
                "unit": unit_of(entry.stream), "recorded_at": entry.recorded_at.astimezone(zone).isoformat(),
                "appended_at": entry.appended_at.astimezone(zone).isoformat(), "actor": entry.actor,
                "backdated": entry.backdated, "payload": entry.payload}

    def origin(self) -> str:
        """The ledger's name in its checkpoints (`kaoping.local/…`): which ledger a delivery is from."""
        if self._origin is None:
            latest = self.ledger.latest_checkpoint()
            self._origin = latest.origin if latest is not None else "kaoping"
        return self._origin

    # -- the daily digest --------------------------------------------------------------------------------
    def remind(self, now: datetime | None = None) -> list[str]:
        """The digest deliveries due at `now` (the ledger's clock): once `reminders.hour` has passed
        in the office's zone, each hook taking reminders is owed that day's digest, once (its id
        names the day). The ids made now."""
        now = now or self.ledger.clock()
        hooks = [hook for hook in self.hooks() if "reminder" in hook.events]
        if not hooks:
            return []
        local = now.astimezone(self.ledger.zone)
        day = h.reminder_day(local, self.ledger.registry().scheme_at(now).reminder_hour)
        if day is None:
            return []
        key = day.strftime("%Y%m%d")
        have = {r["id"] for r in self.view.execute(
            f"SELECT id FROM {DELIVERIES_TABLE} WHERE event = 'reminder' AND id LIKE ?", (f"%-r{key}%",))}
        waiting = [hook for hook in hooks if not any(d.startswith(f"{hook.id}-r{key}") for d in have)]
        if not waiting:
            return []
        due = self.ledger.due()
        made: list[tuple[Any, ...]] = []
        stamped = stamp(now)
        position = self.view.position()
        for hook in waiting:
            units = h.reminder_units(due, hook.units)
            if hook.format in h.CHAT_FORMATS:
                if not units:
                    continue
                title, text = h.digest_text(day, units, self.link and f"{self.link}/board")
                made.append(_row(f"{hook.id}-r{key}", hook.id, position, "reminder",
                                 h.chat_message(hook.format, title, text).decode("utf-8"), stamped))
                continue
            for unit in units:
                delivery = f"{hook.id}-r{key}-{unit['unit']}"
                data = {"day": day.isoformat(), "as_of": due["as_of"], "within": due["within"], **unit,
                        "items": h.lit_items(unit)}
                made.append(_row(delivery, hook.id, position, "reminder",
                                 h.envelope(delivery, "reminder", self.origin(), stamped, data).decode("utf-8"),
                                 stamped))
        with self.view.turn() as cursor:
            self.view.insert_deliveries(cursor, made)
        return [row[0] for row in made]

    # -- the worker's side -------------------------------------------------------------------------------
    def head(self, hook_id: str) -> Delivery | None:
        """The hook's oldest delivery not yet delivered or failed: deliveries go out in log order."""
        rows = self.view.execute(
            f"SELECT {', '.join(_DELIVERY_COLUMNS)} FROM {DELIVERIES_TABLE} WHERE hook = ? AND status = 'pending' "
            "ORDER BY ord, id LIMIT 1", (hook_id,))
        return _delivery(rows[0]) if rows else None

    def claim(self, delivery: Delivery, now: datetime, lease: float) -> bool:
        """Take a delivery for `lease` seconds, unless another worker holds it."""
        done = self.view.execute(
            f"UPDATE {DELIVERIES_TABLE} SET lease_until = ? WHERE id = ? AND status = 'pending' "
            "AND (lease_until IS NULL OR lease_until <= ?) RETURNING id",
            (stamp(now + timedelta(seconds=lease)), delivery.id, stamp(now)), commit=True)
        return len(done) == 1

    def delivered(self, delivery: Delivery, now: datetime) -> None:
        self.view.execute(f"UPDATE {DELIVERIES_TABLE} SET status = 'delivered', attempts = attempts + 1, "
                          "delivered_at = ?, lease_until = NULL, last_error = NULL WHERE id = ?",
                          (stamp(now), delivery.id), commit=True)

    def attempt_failed(self, delivery: Delivery, now: datetime, error: str, *, max_attempts: int,
                       backoff: float) -> str:
        """Record a failed attempt: retried after a backoff, or `failed` after the last one."""
        attempts = delivery.attempts + 1
        status = "failed" if attempts >= max_attempts else "pending"
        later = now + timedelta(seconds=h.backoff(attempts, backoff))
        self.view.execute(f"UPDATE {DELIVERIES_TABLE} SET status = ?, attempts = ?, next_at = ?, "
                          "lease_until = NULL, last_error = ? WHERE id = ?",
                          (status, attempts, stamp(later), error[:300], delivery.id), commit=True)
        return status

    # -- the office's view ---------------------------------------------------------------------------------
    def deliveries(self, *, failed: bool = False, hook: str | None = None, limit: int = 200) -> list[Delivery]:
        where, params = ["1 = 1"], []
        if failed:
            where.append("status = 'failed'")
        if hook:
            where.append("hook = ?")
            params.append(hook)
        rows = self.view.execute(
            f"SELECT {', '.join(_DELIVERY_COLUMNS)} FROM {DELIVERIES_TABLE} WHERE {' AND '.join(where)} "
            f"ORDER BY created_at DESC, ord DESC, id DESC LIMIT {int(limit)}", params)
        return [_delivery(r) for r in rows]

    def delivery(self, delivery_id: str) -> Delivery:
        rows = self.view.execute(f"SELECT {', '.join(_DELIVERY_COLUMNS)} FROM {DELIVERIES_TABLE} WHERE id = ?",
                                 (delivery_id,))
        if not rows:
            raise NotFound("hook.delivery_unknown", field="delivery", given=delivery_id[:80])
        return _delivery(rows[0])

    def retry(self, delivery_id: str) -> Delivery:
        """Send a delivery again (a failed one, by hand): same id, attempts counted afresh."""
        found = self.delivery(delivery_id)
        self.view.execute(f"UPDATE {DELIVERIES_TABLE} SET status = 'pending', attempts = 0, next_at = ?, "
                          "lease_until = NULL WHERE id = ?", (stamp(self.ledger.clock()), found.id), commit=True)
        return self.delivery(found.id)

    def counts(self) -> dict[str, int]:
        rows = self.view.execute(f"SELECT status, COUNT(*) AS n FROM {DELIVERIES_TABLE} GROUP BY status")
        return {str(r["status"]): int(r["n"]) for r in rows}


def _row(delivery: str, hook: str, ord: int, event: str, body: str, now: str) -> tuple[Any, ...]:
    return (delivery, hook, ord, event, body, "pending", 0, now, None, None, now, None)


def _hook(r: Any) -> Hook:
    return Hook(id=r["id"], url=r["url"], format=r["format"], secret=r["secret"],
                events=tuple(e for e in str(r["events"]).split(",") if e),
                units=tuple(u for u in str(r["units"]).split(",") if u), since=int(r["since"]),
                created_at=r["created_at"], removed_at=r["removed_at"])


def _delivery(r: Any) -> Delivery:
    return Delivery(**{c: r[c] for c in _DELIVERY_COLUMNS})


__all__ = ["Delivery", "Hook", "Outbox", "PostgresOutboxView", "SQLiteOutboxView", "stamp", "unstamp"]
