"""What every part of the simulated year shares: its calendar, the one random generator that every
draw comes from, the units and indicators the draws are about, and the commands recorded so far.

All randomness goes through `Draws.rng`, in the order the parts of the year are built: a part that
drew one number more, or one fewer, would shift every later draw and change the whole year.
"""

from __future__ import annotations

import calendar
import random
from datetime import date, datetime, time, timedelta, timezone
from importlib import resources
from typing import Any

from kaoping.domain.reference import Indicator, Unit, parse_indicators, parse_units

from .content import Content, content

TZ = timezone(timedelta(hours=8))
YEAR = 2018
LAST_DUE = date(YEAR, 12, 15)
#: nothing is recorded after this moment
END = datetime(YEAR + 1, 1, 12, 18, 0, tzinfo=TZ)


def _reference() -> tuple[tuple[Unit, ...], tuple[Indicator, ...]]:
    data = resources.files("kaoping.domain") / "data"
    return (parse_units((data / "units.tsv").read_text(encoding="utf-8")),
            parse_indicators((data / "common_indicators.tsv").read_text(encoding="utf-8")))


def month_end(month: int) -> date:
    return date(YEAR, month, calendar.monthrange(YEAR, month)[1])


def dec(value: float, places: int = 1) -> str:
    text = f"{value:.{places}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


class Draws:
    def __init__(self, seed: int, scale: int, actors: bool):
        if scale < 1:
            raise ValueError("scale must be at least 1")
        self.rng = random.Random(seed)
        self.scale = scale
        self.actors = actors
        self.text: Content = content()
        self.units, self.indicators = _reference()
        self.departments = [u for u in self.units if u.group == "departments"]
        self.towns_zones = [u for u in self.units if u.group == "towns_zones"]
        # a latent quality per unit: good units report on time, rank high, score well
        self.quality = {u.code: self.rng.uniform(0.35, 1.0) for u in self.units}
        self.items: list[tuple[datetime, int, dict[str, Any]]] = []
        self.counters: dict[str, int] = {}

    def emit(self, when: datetime, cmd: dict[str, Any], actor: str | None = None) -> dict[str, Any]:
        if when > END:
            raise AssertionError(f"{cmd['id']} would be recorded after the year ({when})")
        cmd["recorded_at"] = when.isoformat()
        if self.actors:
            cmd["actor"] = actor or self.text.office
        self.items.append((when, len(self.items), cmd))
        return cmd

    def commands(self) -> list[dict[str, Any]]:
        """Everything emitted, in recording order (ties keep emission order)."""
        self.items.sort(key=lambda item: (item[0], item[1]))
        commands = [cmd for _, _, cmd in self.items]
        if len({cmd["id"] for cmd in commands}) != len(commands):
            raise AssertionError("demo ids repeat")
        return commands

    def next_number(self, key: str) -> int:
        self.counters[key] = self.counters.get(key, 0) + 1
        return self.counters[key]

    def moment(self, day: date, *, earliest: int = 8, latest: int = 17) -> datetime:
        """A time in office hours on `day`."""
        return datetime.combine(day, time(self.rng.randint(earliest, latest), self.rng.randrange(60)),
                                tzinfo=TZ)

    def day_between(self, first: date, last: date) -> date:
        return first + timedelta(days=self.rng.randint(0, max(0, (last - first).days)))

    def after(self, when: datetime, *, min_minutes: int = 10, max_days: int = 0) -> datetime:
        """A moment strictly after `when` (at least `min_minutes`, within `max_days` more days)."""
        later = when + timedelta(minutes=min_minutes + self.rng.randrange(50))
        if max_days:
            later += timedelta(days=self.rng.randint(0, max_days))
            if later.date() != when.date() and later.hour < 8:
                later = later.replace(hour=8 + self.rng.randrange(9))
        return later

    def chance(self, p: float) -> bool:
        return self.rng.random() < p

    def sha(self) -> str:
        return f"{self.rng.getrandbits(256):064x}"
