"""The one composition root: typed settings in, every service built and wired, nothing connected at
import. The command line, the HTTP app and the tests all build what they use here.

`build_ledger` builds the ledger's rooms over one event store and hands them to the door
(`ledger.application.Ledger`); `Services` holds that door, the scores read model and the group
committer that the HTTP app and the web forms append through. Nothing else wires a room to another:
callers outside `ledger/` use the door (tests/test_layout.py). `close()` stops the committer's writer
thread and closes the store.
"""

from __future__ import annotations

from functools import cached_property
from typing import Any

from kaoping.ledger.admin import Admin
from kaoping.ledger.appeals import Appeals
from kaoping.ledger.application import Clock, Ledger, Rooms, utc_now
from kaoping.ledger.audit import Audit
from kaoping.ledger.citations import Citations
from kaoping.ledger.entry_log import EntryLog
from kaoping.ledger.files import FileStore
from kaoping.ledger.follower import LogFollower
from kaoping.ledger.group_commit import GroupCommitter
from kaoping.ledger.imports import Imports
from kaoping.ledger.notary import Notary
from kaoping.ledger.reader import Reader
from kaoping.ledger.settings import Settings
from kaoping.ledger.store import ChainedPostgresRecorder, ChainedSQLiteRecorder, EventStore, Index
from kaoping.ledger.streams import StreamStates
from kaoping.ledger.supervision import Supervision
from kaoping.ledger.writer import Writer
from kaoping.projections.outbox import Outbox, PostgresOutboxView, SQLiteOutboxView
from kaoping.projections.scores import ScoresProjection, with_read_model
from kaoping.projections.views import PostgresScoresView, SQLiteScoresView


def load_settings(db: str | None = None) -> Settings:
    """Settings from the environment (KAOPING_*), with `--db` overriding the database URL."""
    return Settings(database_url=db) if db else Settings()


def build_ledger(settings: Settings, clock: Clock = utc_now, *, console: str | None = None) -> Ledger:
    """The ledger's rooms over one event store, wired to each other, behind the door; `console`: the
    OS user of the command line that opened it, written on every entry it records."""
    store = EventStore(env=settings.eventsourcing_env())
    recorder = store.recorder
    if not isinstance(recorder, (ChainedSQLiteRecorder, ChainedPostgresRecorder)):
        raise TypeError(f"unexpected recorder {type(recorder)}")
    index = Index(recorder)
    follower = LogFollower(recorder)  # the one follower of the log: the rooms below read it through it
    log = EntryLog(recorder, store.mapper, follower)
    streams = StreamStates(store, follower)
    notary = Notary(recorder, settings, witnesses=streams.witnesses)
    reader = Reader(store, streams, index, log, notary, settings, clock)
    # a publication freezes standings as the reader reads them
    files = FileStore(recorder, clock)
    writer = Writer(store, streams, index, notary, settings, clock, freezer=reader.frozen, files=files,
                    console=console)
    rooms = Rooms(store=store, index=index, log=log, streams=streams, notary=notary, writer=writer,
                  files=files, citations=Citations(log),
                  reader=reader, admin=Admin(streams, writer, notary, settings, clock),
                  audit=Audit(store, index, notary, settings),
                  appeals=Appeals(reader, notary, settings, clock), supervision=Supervision(reader, clock),
                  imports=Imports(writer, reader, streams, index, log, settings))
    return Ledger(settings, clock, rooms)


def build_projection(ledger: Ledger) -> ScoresProjection:
    """The scores read model over `ledger`, in a table of the ledger's own database (it is made
    there when missing), tracked by the library's exactly-once tracking."""
    view_class = PostgresScoresView if ledger.settings.is_postgres else SQLiteScoresView
    return ScoresProjection(ledger, ledger.store.factory.tracking_recorder(view_class))


def build_outbox(ledger: Ledger) -> Outbox:
    """推送's hooks and deliveries, in tables of the ledger's own database (made when missing), fed
    from the log by the library's exactly-once tracking."""
    view_class = PostgresOutboxView if ledger.settings.is_postgres else SQLiteOutboxView
    return Outbox(ledger, ledger.store.factory.tracking_recorder(view_class), link=ledger.settings.public_url)


def build_committer(ledger: Ledger) -> GroupCommitter:
    return GroupCommitter(ledger.writer)


class Services:
    def __init__(self, ledger: Ledger, *, owns_ledger: bool = True):
        self.ledger = ledger
        #: whether `close()` closes the ledger too (not when it was handed in, as tests do)
        self.owns_ledger = owns_ledger

    @property
    def settings(self) -> Settings:
        return self.ledger.settings

    @cached_property
    def projection(self) -> ScoresProjection:
        """Made when first used: most commands never read the read model (it creates its table)."""
        return build_projection(self.ledger)

    @cached_property
    def outbox(self) -> Outbox:
        """Made when first used, as the read model: most commands never push anything."""
        return build_outbox(self.ledger)

    @cached_property
    def committer(self) -> GroupCommitter:
        return build_committer(self.ledger)

    def verify(self, vkey: str | None = None) -> dict[str, Any]:
        """The ledger's verify report with its `read_model` section (`with_read_model`)."""
        return with_read_model(self.ledger.verify(vkey=vkey), self.projection)

    def close(self) -> None:
        if "committer" in self.__dict__:
            self.committer.close()
        if self.owns_ledger:
            self.ledger.close()


def bootstrap(settings: Settings, clock: Clock = utc_now, *, ledger: Ledger | None = None,
              console: str | None = None) -> Services:
    """Every service over one ledger: built from `settings`, or around a `ledger` already open;
    `console`: the OS user of the command line, recorded on each entry written (`build_ledger`)."""
    own = ledger is None
    ledger = ledger if ledger is not None else build_ledger(settings, clock, console=console)
    return Services(ledger, owns_ledger=own)


__all__ = ["Services", "bootstrap", "build_committer", "build_ledger", "build_outbox", "build_projection", "load_settings"]
