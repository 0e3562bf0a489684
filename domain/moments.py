"""Knowledge times as callers write them (docs/commands.md §3 "截至时间"): a bare date as an as-of time
means the end of that day in the office's zone; a datetime without an offset is read in that zone."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone, tzinfo

from .errors import InvalidCommand


def parse_as_of(text: str, tz: tzinfo) -> datetime:
    """A knowledge time: a bare date means the end of that day in the office's zone."""
    text = text.strip()
    try:
        if len(text) == 10:
            day = date.fromisoformat(text)
            moment = datetime.combine(day + timedelta(days=1), time.min, tz) - timedelta(microseconds=1)
        else:
            moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=tz)
        # readers convert to UTC and to the office zone: refuse a moment either cannot hold
        moment.astimezone(timezone.utc)
        moment.astimezone(tz)
    except (ValueError, OverflowError):
        raise InvalidCommand("as_of.unreadable", field="as_of", given=text[:64]) from None
    return moment
