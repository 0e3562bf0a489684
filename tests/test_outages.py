"""The store out of reach (issue 28, item 2): a full disk and killed PostgreSQL connections are
answered 503 with Retry-After and a Chinese sentence, never a 500; retrying with the same ids
records each command once."""

from __future__ import annotations

import errno
import re
import threading
import time
from typing import Any

import psycopg
import pytest
from eventsourcing.sqlite import SQLiteConnectionPool
from fastapi.testclient import TestClient

from kaoping.api.bootstrap import build_ledger
from kaoping.api.http import create_app
from kaoping.api.outages import trouble
from kaoping.ledger.settings import Settings

CJK = re.compile(r"[\u4e00-\u9fff]")


def unavailable(response: Any) -> dict[str, Any]:
    assert response.status_code == 503, response.text
    assert int(response.headers["retry-after"]) > 0
    detail = response.json()["detail"]
    assert detail["code"] == "store.unavailable" and CJK.search(detail["message"])
    return detail


def test_a_full_disk_is_a_503_with_retry_after_not_a_500(tmp_path, year, monkeypatch):
    url = f"sqlite:///{tmp_path / 'full.db'}"
    ledger = build_ledger(Settings(database_url=url))
    ledger.init()
    ledger.ingest(year[:10], actor="office")
    _, token = ledger.create_token(actor="office-clerk", role="office")
    ledger.close()
    headers = {"Authorization": f"Bearer {token}"}
    real = full_sqlite(monkeypatch)
    # every SQLite connection opened from now on finds its database unable to grow: SQLite's own
    # SQLITE_FULL, as on a full disk
    ledger = build_ledger(Settings(database_url=url))
    with TestClient(create_app(ledger=ledger), raise_server_exceptions=False) as client:
        detail = unavailable(client.post("/v1/commands", json=year[10:], headers=headers))
        assert "磁盘已满" in detail["message"] and "重发同一编号" in detail["message"]
        unavailable(client.get("/v1/standings", headers=headers))
    ledger.close()
    monkeypatch.setattr(SQLiteConnectionPool, "_create_connection", real)  # room again: recorded once
    ledger = build_ledger(Settings(database_url=url))
    with TestClient(create_app(ledger=ledger)) as client:
        first = client.post("/v1/commands", json=year[10:], headers=headers)
        assert first.status_code == 201, first.text
        again = client.post("/v1/commands", json=year[10:], headers=headers).json()
        assert all(result["duplicate"] for result in again["results"])
    ledger.close()


def test_killed_postgres_connections_are_503s_never_500s(postgres_admin, year):
    from conftest import scratch_database

    with scratch_database(postgres_admin) as url:
        dbname = url.rsplit("/", 1)[1]
        ledger = build_ledger(Settings(database_url=url))
        ledger.init()
        _, token = ledger.create_token(actor="office-clerk", role="office")
        headers = {"Authorization": f"Bearer {token}"}
        statuses: list[int] = []
        done = threading.Event()

        def kill() -> None:  # an administrator (or a failover) ending the server's connections
            with psycopg.connect(postgres_admin, autocommit=True) as admin:
                kills = 0
                # a third of a second apart while commands arrive, at least four times and until
                # one has landed mid-request (a 503); then the year goes on undisturbed
                while not done.wait(0.3) and (kills < 4 or 503 not in statuses):
                    kills += 1
                    admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                  "WHERE datname = %s AND pid <> pg_backend_pid()", [dbname])

        killer = threading.Thread(target=kill)
        with TestClient(create_app(ledger=ledger), raise_server_exceptions=False) as client:
            killer.start()
            try:
                # A connection killed while idle is replaced unseen (that is no outage to report);
                # only one killed mid-request is a 503. So the year is sent, and then sent again
                # (each command a duplicate, 200) until a kill has landed mid-request, up to a
                # minute: whether and when a kill lands depends on timing, the answers must not.
                deadline = time.monotonic() + 60
                index = 0
                while index < len(year) or (503 not in statuses and time.monotonic() < deadline):
                    index += 1
                    command = year[(index - 1) % len(year)]
                    for _ in range(100):  # what a client told 503 does: the same command again
                        response = client.post("/v1/commands", json=[command], headers=headers)
                        statuses.append(response.status_code)
                        if response.status_code != 503:
                            break
                        unavailable(response)
                        time.sleep(0.05)
                    assert response.status_code in (200, 201), response.text
                    statuses.append(client.get("/v1/standings", headers=headers).status_code)
            finally:
                done.set()
                killer.join()
            assert 500 not in statuses and 503 in statuses, statuses
            assert set(statuses) <= {200, 201, 503}, statuses
        ledger.close()
        ledger = build_ledger(Settings(database_url=url))
        ids = {entry["id"] for entry in ledger.history("D03")}
        assert {command["id"] for command in year if command.get("unit") == "D03"} <= ids
        ledger.close()


def test_trouble_tells_a_full_disk_from_a_lost_connection_and_from_a_bug():
    assert "磁盘已满" in trouble(OSError(errno.ENOSPC, "No space left on device")).message
    assert "连接中断" in trouble(psycopg.OperationalError("terminating connection due to administrator command")).message
    assert trouble(OSError(errno.ECONNRESET, "reset")) is None
    assert trouble(ValueError("a bug")) is None


# -- the command line: what was committed, in words, and never a traceback ----------------------

def full_sqlite(monkeypatch: pytest.MonkeyPatch) -> Any:
    """Every SQLite connection opened from now on finds its database unable to grow; the pool's own
    connection maker, to put back."""
    real = SQLiteConnectionPool._create_connection

    def full(self: Any) -> Any:
        connection = real(self)
        connection._sqlite_conn.execute("PRAGMA max_page_count = 1")
        return connection

    monkeypatch.setattr(SQLiteConnectionPool, "_create_connection", full)
    return real


def test_ingest_on_a_full_disk_says_nothing_was_confirmed_and_shows_no_traceback(tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from kaoping.api.cli import app
    from tests.test_cli import YEAR

    db = f"sqlite:///{tmp_path / 'cli.db'}"
    runner = CliRunner()
    assert runner.invoke(app, ["init", "--db", db]).exit_code == 0
    full_sqlite(monkeypatch)
    result = runner.invoke(app, ["ingest", str(YEAR), "--db", db])
    assert result.exit_code == 75, result.output
    words = " ".join(result.output.split())
    assert "磁盘已满" in words and "重新运行同一命令" in words and "Traceback" not in words
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_ingest_committed_before_the_read_model_failed_says_it_was_committed(tmp_path, monkeypatch):
    from eventsourcing.persistence import OperationalError
    from typer.testing import CliRunner

    from kaoping.api.cli import app
    from kaoping.projections.scores import ScoresProjection
    from tests.test_cli import YEAR, YEAR_LINES

    db = f"sqlite:///{tmp_path / 'cli.db'}"
    runner = CliRunner()
    assert runner.invoke(app, ["init", "--db", db]).exit_code == 0

    def no_room(self: Any, *args: Any, **kwargs: Any) -> int:
        raise OperationalError("database or disk is full")

    monkeypatch.setattr(ScoresProjection, "catch_up", no_room)
    result = runner.invoke(app, ["ingest", str(YEAR), "--db", db])
    words = " ".join(result.output.split())
    assert result.exit_code == 0, words
    assert f"新登记 {len(YEAR_LINES)} 条" in words and "已全部写入账本" in words and "磁盘已满" in words


def test_the_command_line_never_shows_a_traceback(monkeypatch, capsys):
    import kaoping.api.cli as cli

    def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("something nobody foresaw")

    monkeypatch.setattr(cli, "app", broken)
    with pytest.raises(SystemExit) as ended:
        cli.main()
    assert ended.value.code == 1
    captured = capsys.readouterr()
    assert "内部错误" in captured.err and "Traceback" not in captured.err + captured.out
