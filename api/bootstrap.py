"""The one composition root: typed settings in, every service built and wired, nothing connected at
import. The command line, the HTTP app and the tests all build what they use here.

`Services` holds the ledger (event store and its services), the scores read model and the group
committer that the HTTP app and the web forms append through; `close()` stops the committer's
writer thread and closes the store.
"""

from __future__ import annotations

from functools import cached_property
from typing import Any

from kaoping.ledger.application import Clock, Ledger, utc_now
from kaoping.ledger.group_commit import GroupCommitter
from kaoping.ledger.settings import Settings
from kaoping.projections.scores import ScoresProjection, with_read_model


def load_settings(db: str | None = None) -> Settings:
    """Settings from the environment (KAOPING_*), with `--db` overriding the database URL."""
    return Settings(database_url=db) if db else Settings()


def build_ledger(settings: Settings, clock: Clock = utc_now) -> Ledger:
    return Ledger(settings, clock=clock)


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
        return ScoresProjection(self.ledger)

    @cached_property
    def committer(self) -> GroupCommitter:
        return GroupCommitter(self.ledger.writer)

    def verify(self, vkey: str | None = None) -> dict[str, Any]:
        """The ledger's verify report with its `read_model` section (`with_read_model`)."""
        return with_read_model(self.ledger.audit.verify(vkey=vkey), self.projection)

    def close(self) -> None:
        if "committer" in self.__dict__:
            self.committer.close()
        if self.owns_ledger:
            self.ledger.close()


def bootstrap(settings: Settings, clock: Clock = utc_now, *, ledger: Ledger | None = None) -> Services:
    """Every service over one ledger: built from `settings`, or around a `ledger` already open."""
    own = ledger is None
    ledger = ledger if ledger is not None else build_ledger(settings, clock)
    return Services(ledger, owns_ledger=own)


__all__ = ["Services", "bootstrap", "build_ledger", "load_settings"]
