"""Fixtures: every ledger test runs on SQLite and on PostgreSQL through the one `database_url`.

PostgreSQL tests create and drop their own database. Where no server answers they are skipped,
unless KAOPING_REQUIRE_POSTGRES is set (as `.ci/run` does): then they fail.
"""

from __future__ import annotations

import gc
import itertools
import json
import os
import shutil
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

if os.environ.get("PYTEST_XDIST_WORKER"):
    # pytest-xdist sets COLUMNS=80 in its workers; the CLI's rich consoles (made at import) would
    # then wrap at 80 whatever COLUMNS a test gives CliRunner, as they never do in one process
    os.environ.pop("COLUMNS", None)

# The test processes' garbage collector runs less often. They allocate heavily (decoded logs, Decimal
# explanation trees, hypothesis' examples) while holding a large heap (the app, schemathesis' schema,
# recorded years), and at the default thresholds (700, 10, 10) the collector took 19-23 of 85-100
# CPU-s in four modules measured with gc.callbacks (replay_one_pass, reading_paths, http_api,
# spreadsheets), 30,500 collections; at (10_000, 10, 10): 4-5 s in ~900. Cycles are still collected.
gc.set_threshold(10_000, 10, 10)

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


#: every database a test run makes is named with this prefix (KAOPING_TEST_DB_PREFIX), then the
#: xdist worker and a token of this process, so that two runs on one server never meet
DB_PREFIX = os.environ.get("KAOPING_TEST_DB_PREFIX", "kaoping_test_")
_RUN = f"{DB_PREFIX}{os.environ.get('PYTEST_XDIST_WORKER', 'main')}_{uuid.uuid4().hex[:6]}_"
_made = itertools.count()


def database_name(kind: str = "db") -> str:
    """A new name of this run for a database of `kind` (e.g. a template), within PostgreSQL's 63."""
    return f"{_RUN}{kind}{next(_made)}"[:63]


class _DatabasePool:
    """This worker's scratch databases, made once and emptied between tests: CREATE DATABASE costs a
    checkpoint (~0.3 s), dropping the schemas a test made costs milliseconds."""

    def __init__(self) -> None:
        self.admin: str | None = None
        self.free: list[str] = []
        self.made: list[str] = []

    def take(self, admin: str) -> str:
        self.admin = admin
        if self.free:
            return self.free.pop()
        name = database_name()
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
            # a test needs no durability across a crash of the server: commits need not wait on disk
            conn.execute(f'ALTER DATABASE "{name}" SET synchronous_commit = off')
        self.made.append(name)
        return name

    def give_back(self, admin: str, name: str) -> None:
        """Empty the database (its sessions ended, every schema but the system's dropped, `public`
        made again) and keep it; a database that will not empty is dropped instead."""
        try:
            with psycopg.connect(admin, autocommit=True) as conn:
                conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                             "WHERE datname = %s AND pid <> pg_backend_pid()", (name,))
            with psycopg.connect(_pg_url(admin, name), autocommit=True) as conn:
                schemas = [row[0] for row in conn.execute(
                    "SELECT nspname FROM pg_namespace WHERE nspname NOT LIKE 'pg\\_%' "
                    "AND nspname <> 'information_schema'")]
                for schema in schemas:
                    conn.execute(f'DROP SCHEMA "{schema}" CASCADE')
                conn.execute("CREATE SCHEMA public")
        except psycopg.Error:
            self.drop(admin, name)
            return
        self.free.append(name)

    def drop(self, admin: str, name: str) -> None:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if name in self.made:
            self.made.remove(name)

    def drop_all(self) -> None:
        if self.admin is not None:
            for name in list(self.made):
                self.drop(self.admin, name)
        self.free.clear()


#: take `scratch_database` and `database_name` from `conftest`, the module pytest loaded and whose
#: `pytest_sessionfinish` drops this pool: imported as `tests.conftest` it is a second module with a
#: pool of its own that nothing drops (each run left such a database behind per worker)
POOL = _DatabasePool()


def pytest_sessionfinish(session: pytest.Session) -> None:
    """Drop every database this worker made."""
    try:
        POOL.drop_all()
    except psycopg.Error:
        pass


@contextmanager
def scratch_database(admin: str) -> Iterator[str]:
    """An empty PostgreSQL database of its own for one test, emptied afterwards."""
    name = POOL.take(admin)
    try:
        yield _pg_url(admin, name)
    finally:
        POOL.give_back(admin, name)


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


@pytest.fixture(scope="session")
def demo_recorded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo year (`kaoping.demo.demo_year()`) recorded once per test process on SQLite: a closed
    folder holding `demo.db` and its signing key beside it. Tests take copies (`demo_copy`)."""
    from kaoping.demo import demo_year

    folder = tmp_path_factory.mktemp("demo-year")
    db = folder / "demo.db"
    ledger = build_ledger(Settings(database_url=f"sqlite:///{db}", signing_key=f"{db}.signing-key"))
    try:
        ledger.init()
        ledger.ingest(demo_year(), actor="office")
    finally:
        ledger.close()
    return folder


def demo_copy(recorded: Path, into: Path) -> str:
    """A copy of the recorded demo year in `into` (its key beside it, where the ledger looks): the
    database URL of the copy."""
    target = into / "demo-year"
    shutil.copytree(recorded, target)
    return f"sqlite:///{target / 'demo.db'}"


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


#: the modules whose tests take longest (`scripts/test --durations=40`, each 10–50 s on the 2-core
#: machine), run first so that the workers end together rather than one finishing them alone
SLOW_FIRST = ("test_bench_smoke", "test_roles_browser", "test_hooks", "test_reading_paths", "test_replay_one_pass",
              "test_web_browser", "test_startup", "test_loop_browser", "test_append_races", "test_clerk_browser",
              "test_board_browser", "test_imports_browser", "test_transparency_http", "test_signer",
              "test_receipts", "test_http_e2e", "test_spreadsheets", "test_hooks_browser")


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Under pytest-xdist (`--dist loadgroup`, as scripts/test runs), the tests of a module that
    share a module- or class-scoped fixture (a year recorded once, a served app) stay on one worker,
    so that the fixture is made once; every other test goes wherever a worker is free. The slowest
    modules come first (`SLOW_FIRST`), each module's tests in their order. It runs first
    (`tryfirst`): xdist's worker reads the `xdist_group` marks in its own implementation of this
    hook. (The groups hold only on pytest < 9.2 with pytest-xdist 3.8, see pyproject.toml: without
    them every worker made every such module's fixtures.)"""
    rank = {stem: i for i, stem in enumerate(SLOW_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.stem, len(rank)))
    for item in items:
        info = getattr(item, "_fixtureinfo", None)
        if info is None or item.get_closest_marker("xdist_group"):
            continue
        shared = any(d.scope in ("module", "class", "package")
                     for name in info.names_closure for d in info.name2fixturedefs.get(name, ()))
        if shared:
            item.add_marker(pytest.mark.xdist_group(item.path.stem))
