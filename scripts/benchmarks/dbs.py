"""Scratch databases: SQLite files in a temporary folder, PostgreSQL databases created and dropped."""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid

PG_ADMIN = os.environ.get("KAOPING_BENCH_POSTGRES",
                          os.environ.get("KAOPING_TEST_POSTGRES",
                                         "postgresql://postgres@127.0.0.1:5432/postgres"))


class Scratch:
    """Hands out fresh database URLs of one kind and removes all of them on `close()`."""

    def __init__(self, kind: str, admin: str = PG_ADMIN):
        if kind not in ("sqlite", "postgres"):
            raise ValueError(kind)
        self.kind, self.admin = kind, admin
        self.folder = tempfile.mkdtemp(prefix=f"kaoping-bench-{kind}-")
        self.pg_names: list[str] = []

    def url(self, label: str) -> str:
        if self.kind == "sqlite":
            return f"sqlite:///{os.path.join(self.folder, label + '.db')}"
        import psycopg

        name = f"kaoping_bench_{label}_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(self.admin, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        self.pg_names.append(name)
        return self.admin.rsplit("/", 1)[0] + "/" + name

    def path(self, name: str) -> str:
        """A plain file in the scratch folder (SQLite baselines, logs, command files)."""
        return os.path.join(self.folder, name)

    def close(self) -> None:
        if self.pg_names:
            import psycopg

            with psycopg.connect(self.admin, autocommit=True) as conn:
                for name in self.pg_names:
                    conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            self.pg_names.clear()
        shutil.rmtree(self.folder, ignore_errors=True)


def postgres_problem(admin: str = PG_ADMIN) -> str | None:
    try:
        import psycopg

        with psycopg.connect(admin, connect_timeout=3):
            return None
    except Exception as error:  # noqa: BLE001 - any failure means: no PostgreSQL here
        return str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
