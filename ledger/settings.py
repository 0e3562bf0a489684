"""Typed settings, read from the environment (KAOPING_*) and overridden by command-line flags."""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
import re
from typing import Annotated
from urllib.parse import parse_qs, unquote, urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


SCHEMA_NAME = re.compile(r"[a-z][a-z0-9_]{0,62}")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="KAOPING_", frozen=True)

    database_url: str = "sqlite:///./kaoping.db"
    tz: str = "Asia/Shanghai"
    #: the file of the ledger's Ed25519 signing key (Go note format); default: beside the SQLite
    #: file (`kaoping.db.signing-key`), or `./kaoping-<dbname>.signing-key` for PostgreSQL
    signing_key: str | None = None
    #: the largest body `POST /v1/commands` reads (bytes), enforced while reading, before parsing:
    #: the demo year (5,506 commands, every unit's tasks, reports, scores, ballots) is 1.3 MB of
    #: JSON, so 8 MiB holds a whole year six times over, with room for long free text
    max_body_bytes: Annotated[int, Field(ge=1024)] = 8 * 1024 * 1024
    #: the most commands one batch may hold: twice the demo year
    max_batch_commands: Annotated[int, Field(ge=1)] = 10_000
    #: the largest evidence file an upload may hold (bytes), counted while it is read (413 past it)
    max_file_bytes: Annotated[int, Field(ge=1024)] = 50 * 1024 * 1024
    #: seconds a heavy read over HTTP (replay, as-of standings and scores, history, exports, a
    #: unit's page) may run before it is stopped and answered 503 with Retry-After; 0: no bound
    read_timeout: float = Field(default=60.0, ge=0)
    #: store a unit token's command ids as `D03:ID` and its dispute codes as `D03-CODE`
    #: (`domain.namespaces`), so that no refusal tells it whether another unit used an id or a code
    #: (issue 28, item 7). On by default; `KAOPING_UNIT_NAMESPACES=0` keeps a unit token's ids and
    #: codes ledger-wide as sent (then a 409 tells it that another unit used an id)
    unit_namespaces: bool = True
    #: 推送 (docs/commands.md §10.6): attempts of one delivery before it is `failed`, the seconds a
    #: receiver may take to answer, the first backoff (doubled after each failed attempt, at most an
    #: hour), how often the worker looks for new entries and deliveries, and whether `kaoping serve`
    #: runs the worker in its process
    hook_max_attempts: Annotated[int, Field(ge=1, le=1000)] = 10
    hook_timeout: Annotated[float, Field(gt=0, le=300)] = 10.0
    hook_backoff: Annotated[float, Field(ge=0, le=3600)] = 2.0
    hook_poll: Annotated[float, Field(gt=0, le=3600)] = 1.0
    hook_worker: bool = True
    #: the address the office reaches the pages at, for the links in chat messages (none: no link)
    public_url: str | None = None

    @field_validator("database_url")
    @classmethod
    def _known_scheme(cls, url: str) -> str:
        if not (url.startswith("sqlite:///") or url.startswith(("postgresql://", "postgres://"))):
            raise ValueError("expected sqlite:///PATH or postgresql://USER@HOST:PORT/DBNAME[?schema=NAME]")
        if url.startswith(("postgresql://", "postgres://")):
            schema = parse_qs(urlsplit(url).query).get("schema", [""])[-1]
            if schema and not SCHEMA_NAME.fullmatch(schema):
                raise ValueError(f"schema {schema!r}: lower-case letters, digits and _, starting with a letter")
        return url

    @field_validator("tz")
    @classmethod
    def _known_zone(cls, tz: str) -> str:
        try:
            ZoneInfo(tz)
        except (ZoneInfoNotFoundError, ValueError) as error:
            raise ValueError(f"unknown time zone {tz!r}") from error
        return tz

    @cached_property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.tz)

    @property
    def schema(self) -> str | None:
        """The PostgreSQL schema of this ledger (`?schema=NAME`): one database holds many ledgers,
        a county and year each, every table of a ledger in its own schema."""
        if not self.is_postgres:
            return None
        return parse_qs(urlsplit(self.database_url).query).get("schema", [None])[-1]

    @property
    def signing_key_path(self) -> Path:
        if self.signing_key:
            return Path(self.signing_key).expanduser()
        if not self.is_postgres:
            return Path((self.database_url.removeprefix("sqlite:///") or "./kaoping.db") + ".signing-key")
        name = urlsplit(self.database_url).path.lstrip("/") or "kaoping"
        return Path(f"kaoping-{name}{'-' + self.schema if self.schema else ''}.signing-key")

    @property
    def is_postgres(self) -> bool:
        return not self.database_url.startswith("sqlite:")

    def eventsourcing_env(self) -> dict[str, str]:
        """The library's own configuration, built from ours (never from module globals)."""
        if not self.is_postgres:
            return {
                "PERSISTENCE_MODULE": "kaoping.ledger.store:KaopingSQLiteFactory",
                "SQLITE_DBNAME": self.database_url.removeprefix("sqlite:///") or "./kaoping.db",
                "SQLITE_LOCK_TIMEOUT": "30",
            }
        url = urlsplit(self.database_url)
        return {
            "PERSISTENCE_MODULE": "kaoping.ledger.store:KaopingPostgresFactory",
            "POSTGRES_DBNAME": url.path.lstrip("/") or "kaoping",
            "POSTGRES_HOST": url.hostname or "127.0.0.1",
            "POSTGRES_PORT": str(url.port or 5432),
            "POSTGRES_USER": unquote(url.username or "postgres"),
            "POSTGRES_PASSWORD": unquote(url.password or ""),
            "POSTGRES_LOCK_TIMEOUT": "30",
            # one connection kept open, up to 15 opened as the load asks (idle ones close after ten
            # minutes): a `kaoping` command runs on one, and a server grows to what its requests need.
            # Five opened up front cost every process start five PostgreSQL backends it mostly never used
            "POSTGRES_POOL_SIZE": "1",
            "POSTGRES_MAX_OVERFLOW": "14",
            **({"POSTGRES_SCHEMA": self.schema} if self.schema else {}),
        }
