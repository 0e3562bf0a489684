"""Fixtures: every ledger test runs on SQLite and on PostgreSQL through the one `database_url`.

PostgreSQL tests create and drop their own database. Where no server answers they are skipped,
unless KAOPING_REQUIRE_POSTGRES is set (as `.ci/run` does): then they fail.
"""

from __future__ import annotations

import json
import os
import sqlite3
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import psycopg
import pytest

from kaoping.api.bootstrap import build_ledger
from kaoping.ledger.application import Ledger
from kaoping.ledger.settings import Settings

PG_ADMIN = os.environ.get("KAOPING_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres")
DATA = Path(__file__).parent / "data"


def _postgres_available() -> str | None:
    try:
        with psycopg.connect(PG_ADMIN, connect_timeout=3):
            return None
    except psycopg.Error as error:
        return str(error).strip().splitlines()[0]


@pytest.fixture(scope="session")
def postgres_admin() -> str:
    problem = _postgres_available()
    if problem:
        if os.environ.get("KAOPING_REQUIRE_POSTGRES"):
            pytest.fail(f"PostgreSQL is required but unreachable at {PG_ADMIN}: {problem}")
        pytest.skip(f"PostgreSQL unreachable ({problem})")
    return PG_ADMIN


def _pg_url(admin: str, dbname: str) -> str:
    return admin.rsplit("/", 1)[0] + "/" + dbname


@contextmanager
def scratch_database(admin: str) -> Iterator[str]:
    """A PostgreSQL database of its own for one test, dropped afterwards."""
    dbname = f"kaoping_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{dbname}"')
    try:
        yield _pg_url(admin, dbname)
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)')


@pytest.fixture(autouse=True)
def signing_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test's ledgers sign with a key of their own, in the test's folder (`kaoping init` makes
    it), never one beside a database elsewhere or in the working directory."""
    path = tmp_path / "ledger.signing-key"
    monkeypatch.setenv("KAOPING_SIGNING_KEY", str(path))
    return path


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'ledger.db'}"
        return
    with scratch_database(request.getfixturevalue("postgres_admin")) as url:
        yield url


class Clock:
    """The ledger's clock, set by the test."""

    def __init__(self, now: datetime):
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock(datetime(2019, 1, 15, 2, 0, tzinfo=timezone.utc))


@pytest.fixture
def make_ledger(database_url: str, clock: Clock) -> Iterator[Any]:
    opened: list[Ledger] = []

    def make() -> Ledger:
        ledger = build_ledger(Settings(database_url=database_url), clock=clock)
        opened.append(ledger)
        return ledger

    yield make
    for ledger in opened:
        ledger.close()


@pytest.fixture
def ledger(make_ledger: Any) -> Ledger:
    ledger = make_ledger()
    ledger.init()
    return ledger


def load_year() -> list[dict[str, Any]]:
    return [json.loads(line) for line in (DATA / "d03-year.jsonl").read_text("utf-8").splitlines()]


@pytest.fixture
def year() -> list[dict[str, Any]]:
    return load_year()


def raw_execute(database_url: str, statement: str, params: tuple[Any, ...] = ()) -> list[Any]:
    """Change the store behind the library's back, as an intruder with database access would."""
    if database_url.startswith("sqlite:///"):
        with sqlite3.connect(database_url.removeprefix("sqlite:///")) as conn:
            rows = conn.execute(statement.replace("%s", "?"), params).fetchall()
        conn.close()
        return rows
    with psycopg.connect(database_url, autocommit=True) as conn:
        cursor = conn.execute(statement, params)
        return cursor.fetchall() if cursor.description else []


def events_table(database_url: str) -> tuple[str, str]:
    """(table, seq column) of the library's stored events on this database."""
    if database_url.startswith("sqlite:///"):
        return "stored_events", "rowid"
    return "kaoping_events", "notification_id"
