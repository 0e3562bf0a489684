"""Knowledge times as callers write them (docs/commands.md §3 "截至时间"): a bare date as an as-of time
means the end of that day in the office's zone; a datetime without an offset is read in that zone."""

from __future__ import annotations

import calendar
from datetime import date, datetime, time, timedelta, timezone, tzinfo

from .errors import InvalidCommand


def local_time(moment: str | datetime | None, zone: tzinfo, *, seconds: bool = False) -> str:
    """A moment as the pages and the command line show it to a person: in the office's zone, to the
    minute (or the second), `2018-07-31 18:00`. A bare date stays a date; text that is no moment
    (or None) is shown as it is (""), never refused: this only formats."""
    if moment is None:
        return ""
    if isinstance(moment, str):
        if len(moment.strip()) == 10:  # a date names a day, in no zone
            return moment.strip()
        try:
            moment = datetime.fromisoformat(moment.replace("Z", "+00:00"))
        except ValueError:
            return moment
    if moment.tzinfo is not None:
        moment = moment.astimezone(zone)
    return moment.strftime("%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M")


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
        missing = no_such_day(text)
        if missing is not None:
            raise missing from None
        raise InvalidCommand("as_of.unreadable", field="as_of", given=text[:64]) from None
    return moment


def no_such_day(text: str) -> InvalidCommand | None:
    """The refusal for a date of a month the calendar has but of a day it does not (2018-02-30,
    2018-04-31), None for anything else."""
    head = text[:10]
    if len(head) != 10 or head[4] != "-" or head[7] != "-" or not (head[:4] + head[5:7] + head[8:]).isdigit():
        return None
    year, month, day = int(head[:4]), int(head[5:7]), int(head[8:])
    if not 1 <= month <= 12 or year < 1:  # not a calendar date at all: the general refusal
        return None
    days = calendar.monthrange(year, month)[1]
    if 1 <= day <= days:
        return None
    return InvalidCommand("date.no_such_day", field="as_of", given=head, year=year, month=month, days=days)
