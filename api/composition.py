"""The one composition root: typed settings in, a ready ledger out. Nothing connects at import."""

from __future__ import annotations

from kaoping.ledger.application import Clock, Ledger, utc_now
from kaoping.ledger.settings import Settings


def load_settings(db: str | None = None) -> Settings:
    return Settings(database_url=db) if db else Settings()


def build_ledger(settings: Settings, clock: Clock = utc_now) -> Ledger:
    return Ledger(settings, clock=clock)
