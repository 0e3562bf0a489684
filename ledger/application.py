"""The ledger as one object, for the command line and the tests: the event store and the services
that share it (streams, writer, reader, admin, audit), built from `Settings` and a clock.

Each service is its own room (`ledger/streams.py`, `writer.py`, `group_commit.py`, `reader.py`,
`admin.py`, `audit.py`); `Ledger` only builds them and forwards to them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from datetime import date, datetime, timezone
from typing import Any

from eventsourcing.application import Application

from kaoping.domain.folds import RegistryState, StreamState
from kaoping.domain.principals import OFFICE, Principal

from .admin import Admin
from .appeals import Appeals
from .audit import Audit
from .entry_log import EntryLog
from .group_commit import Outcome, PendingBatch, commit_group
from .notary import Notary
from .reader import Reader
from .settings import Settings
from .store import ChainedPostgresRecorder, ChainedSQLiteRecorder, Index
from .streams import StreamStates
from .writer import BatchResult, Writer

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


class _EventStore(Application):  # type: ignore[type-arg]
    """The library's application, used as the event store: aggregates are folded by `domain.folds`."""

    name = "Kaoping"


class Ledger:
    def __init__(self, settings: Settings, clock: Clock = utc_now):
        self.settings = settings
        self.clock = clock
        self.store = _EventStore(env=settings.eventsourcing_env())
        recorder = self.store.recorder
        if not isinstance(recorder, (ChainedSQLiteRecorder, ChainedPostgresRecorder)):
            raise TypeError(f"unexpected recorder {type(recorder)}")
        self.recorder = recorder
        self.index = Index(recorder)
        self.log = EntryLog(recorder, self.store.mapper)
        self.streams = StreamStates(self.store)
        self.notary = Notary(recorder, settings)
        self.writer = Writer(self.store, self.streams, self.index, self.notary, settings, clock)
        self.reader = Reader(self.store, self.streams, self.index, self.log, self.notary, settings,
                             clock)
        self.writer.freezer = self.reader.frozen  # a publication freezes standings as read
        self.admin = Admin(self.streams, self.writer, self.notary, settings, clock)
        self.audit = Audit(self.store, self.index, self.notary, settings)
        self.appeals = Appeals(self.reader, self.notary, settings, clock)

    def close(self) -> None:
        self.store.close()

    # -- streams ------------------------------------------------------------------------------------
    def load(self, stream: str) -> StreamState:
        return self.streams.load(stream)

    def current(self, stream: str) -> StreamState:
        return self.streams.current(stream)

    def registry(self) -> RegistryState:
        return self.streams.registry()

    # -- writing ------------------------------------------------------------------------------------
    def ingest(self, items: Sequence[Any], *, actor: str, principal: Principal = OFFICE,
               progress: Callable[[int], None] | None = None) -> BatchResult:
        return self.writer.ingest(items, actor=actor, principal=principal, progress=progress)

    def ingest_group(self, batches: Sequence[PendingBatch]) -> list[Outcome]:
        return commit_group(self.writer, batches)

    # -- admin --------------------------------------------------------------------------------------
    def init(self) -> bool:
        return self.admin.init()

    def amend_scheme(self, amendment: Any, *, actor: str = "office",
                     recorded_at: str | None = None) -> str:
        return self.admin.amend_scheme(amendment, actor=actor, recorded_at=recorded_at)

    def preview_amendment(self, amendment: Any, *, recorded_at: str | None = None) -> dict[str, Any]:
        return self.admin.preview_amendment(amendment, self.reader.figures_now, recorded_at=recorded_at)

    def schemes(self) -> list[dict[str, Any]]:
        return self.admin.schemes()

    def create_token(self, *, actor: str, role: str, unit: str | None = None,
                     units: Sequence[str] = (), indicators: Sequence[str] = ()) -> tuple[str, str]:
        return self.admin.create_token(actor=actor, role=role, unit=unit, units=units,
                                       indicators=indicators)

    def revoke_token(self, token_id: str) -> None:
        self.admin.revoke_token(token_id)

    def tokens(self) -> list[dict[str, Any]]:
        return self.admin.tokens()

    def principal_for(self, token: str) -> Principal | None:
        return self.admin.principal_for(token)

    def status(self) -> dict[str, Any]:
        return self.admin.status()

    # -- reading ------------------------------------------------------------------------------------
    def today(self) -> date:
        return self.reader.today()

    def reading_registry(self) -> RegistryState:
        return self.reader.registry()

    def history(self, code: str) -> list[dict[str, Any]]:
        return self.reader.history(code)

    def score(self, code: str, *, as_of: str | None = None, upto: int | None = None,
              entries: Sequence[Any] | None = None,
              registry: RegistryState | None = None) -> dict[str, Any]:
        return self.reader.score(code, as_of=as_of, upto=upto, entries=entries, registry=registry)

    def scores(self, codes: Sequence[str], *, as_of: str | None = None,
               entries: Sequence[Any] | None = None,
               registry: RegistryState | None = None) -> dict[str, dict[str, Any]]:
        return self.reader.scores(codes, as_of=as_of, entries=entries, registry=registry)

    def scores_each(self, codes: Sequence[str], *, entries: Sequence[Any],
                    registry: RegistryState) -> Iterator[tuple[str, dict[str, Any]]]:
        return self.reader.scores_each(codes, entries=entries, registry=registry)

    def replay(self, code: str) -> list[dict[str, Any]]:
        return self.reader.replay(code)

    def standings_from_log(self, *, group: str | None = None, stage: str = "annual",
                           as_of: str | None = None) -> list[dict[str, Any]]:
        return self.reader.standings(group=group, stage=stage, as_of=as_of)

    # -- audit --------------------------------------------------------------------------------------
    def verify(self) -> dict[str, Any]:
        return self.audit.verify()

    def export(self) -> Iterator[dict[str, Any]]:
        return self.audit.export()


__all__ = ["Clock", "Ledger", "utc_now"]
