"""督办 (docs/scheme.md §11; docs/commands.md "Due dates", "Outlook"): what falls due for every unit,
as known now or on any past day, judged by the same resolution of the log as the process score
(`domain.due`); and each unit's outlook, the range its total and rank can still reach
(`domain.outlook`), scored on the log with its open inputs filled in, nothing appended.

One resolution of the log serves every unit; an answer is kept for its log position, judging day
and parameters (a small cache), so the office's board and the units' pages read it many times for
one computation until an entry is appended or the day turns. What a reader derives from a due
document — its JSON encoding, the board's rendered rows (`due_view`) — is kept beside it under the
same key: at scale 20 the document holds some 40,000 items, and encoding or rendering them took
longer than resolving the log had once it was kept.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Hashable
from datetime import datetime
from typing import Any

from datetime import timedelta

from kaoping.domain.decimals import fmt
from kaoping.domain.due import due_items, due_unit, reddest_first
from kaoping.domain.labels import DUE_STATUSES
from kaoping.domain.errors import InvalidCommand
from kaoping.domain.moments import parse_as_of
from kaoping.domain.outlook import fill, open_inputs, rank_within, year_end
from kaoping.domain.scoring import Resolution, make_cutoff, score_unit
from kaoping.domain.scoring.resolution import Cutoff

from .entry_log import ResultCache
from .reader import Reader

Clock = Callable[[], datetime]
#: `within` is a number of days ahead: at most a year
LONGEST_WITHIN = 366
#: the most megabytes of derived due views kept (the scale-20 document's JSON is about 10 MB)
VIEW_MEGABYTES = 64


class Supervision:
    def __init__(self, reader: Reader, clock: Clock):
        self.reader, self.clock = reader, clock
        self._answers = ResultCache(max_weight=16)
        #: what readers derive from due documents (`due_view`), weighed in megabytes
        self._views = ResultCache(max_weight=VIEW_MEGABYTES)

    def _moment(self, as_of: str | None) -> datetime | None:
        """A knowledge time as readers read it, refusing a day after today (督办 looks back)."""
        if as_of is None:
            return None
        zone = self.reader.settings.zone
        moment = parse_as_of(as_of, zone)
        today = self.reader.today()
        if moment.astimezone(zone).date() > today:
            raise InvalidCommand("due.as_of_future", field="as_of", given=as_of, today=today.isoformat())
        return moment

    def due(self, *, units: Collection[str] | None = None, within: int | None = None,
            as_of: str | None = None) -> dict[str, Any]:
        """`kaoping due --json`: every unit's checkpoints with their lights (only `units` when
        given), units with red items first."""
        return self._due(units, within, as_of)[1]

    def due_view(self, view: Hashable, make: Callable[[dict[str, Any]], Any], *,
                 units: Collection[str] | None = None, within: int | None = None,
                 as_of: str | None = None) -> Any:
        """`make(document)` for the due document of these parameters, kept under `view` and the
        document's own key (log position, judging day, parameters, units): made once until an
        entry is appended or the day turns. `make` must be a pure function of the document."""
        key, document = self._due(units, within, as_of)
        found = self._views.get((view, key))
        if found is None:
            found = make(document)
            self._views.put((view, key), found, weight=1 + _size(found) // 1_000_000)
        return found

    def _due(self, units: Collection[str] | None, within: int | None,
             as_of: str | None) -> tuple[Hashable, dict[str, Any]]:
        zone = self.reader.settings.zone
        registry = self.reader.registry()
        moment = self._moment(as_of)
        today = self.reader.today()
        scheme = registry.scheme_at(moment or self.clock())
        days = scheme.due_soon_days if within is None else within
        if not 0 <= days <= LONGEST_WITHIN:
            raise InvalidCommand("due.within_range", field="within", given=days, longest=LONGEST_WITHIN)
        entries = self.reader.log.refresh()
        cutoff = make_cutoff(entries, as_of=moment, tz=zone, today=today)
        key = (entries[-1].seq if entries else 0, cutoff.judge_date, moment, days, scheme.version,
               registry.version)
        rows = self._answers.get(key)
        if rows is None:
            resolved = Resolution(entries, cutoff, cite=False)
            rows = reddest_first([due_unit(unit, due_items(unit, resolved, cutoff, scheme, days))
                                  for unit in registry.units.values()])
            self._answers.put(key, rows)
        wanted = None if units is None else {registry.unit(code.upper()).code for code in units}
        document = {"as_of": as_of, "within": days,
                    "units": [row for row in rows if wanted is None or row["unit"] in wanted]}
        return (key, None if wanted is None else frozenset(wanted)), document


    def calendar(self, code: str) -> bytes:
        """The unit's checkpoints as an RFC 5545 calendar: one all-day event per checkpoint of a
        standing task, its UID stable (a subscribed calendar updates rather than duplicates), an
        alarm `reminders.due_soon_days` before, reported ones marked."""
        from icalendar import Alarm, Calendar, Event

        registry = self.reader.registry()
        unit = registry.unit(code.upper())
        document = self.due(units=[unit.code])
        days = registry.scheme_at(self.clock()).due_soon_days
        calendar = Calendar()
        calendar.add("prodid", "-//Kaoping//考评 督办//ZH")
        calendar.add("version", "2.0")
        calendar.add("x-wr-calname", f"{unit.name}（{unit.code}）考评节点")
        stamp = self.clock()
        for item in document["units"][0]["items"] if document["units"] else []:
            due = datetime.fromisoformat(item["due"]).date()
            reported = item["status"] in ("reported", "reported_late", "not_completed")
            event = Event()
            event.add("uid", f"{unit.code}-{item['task']}-{item['checkpoint']}@kaoping")
            event.add("dtstamp", stamp)
            event.add("dtstart", due)
            event.add("dtend", due + timedelta(days=1))
            mark = f"【{DUE_STATUSES[item['status']]}】" if reported or item["light"] == "red" else ""
            event.add("summary", f"{mark}{item['task']} {item['title']} · 节点 {item['checkpoint']} 到期")
            stake = (f"已逾期未报，补报可挽回 {item['points_at_stake']} 分" if item["status"] == "overdue"
                     else f"到期前报告可免扣 {item['points_at_stake']} 分")
            event.add("description", f"{unit.name}：任务 {item['task']}（{item['title']}）节点 {item['checkpoint']}，"
                                     f"到期 {item['due']}；" + (DUE_STATUSES[item["status"]] if reported else stake))
            event.add("transp", "TRANSPARENT")
            if not reported:
                alarm = Alarm()
                alarm.add("action", "DISPLAY")
                alarm.add("description", f"{days} 天后到期：{item['task']} 节点 {item['checkpoint']}")
                alarm.add("trigger", timedelta(days=-days))
                event.add_component(alarm)
            calendar.add_component(event)
        return calendar.to_ical()

    def outlook(self, code: str, *, as_of: str | None = None) -> dict[str, Any]:
        """`kaoping outlook UNIT --json`: the unit's total and rank now, the best and worst still
        reachable, and the open inputs that swing them."""
        zone = self.reader.settings.zone
        registry = self.reader.registry()
        unit = registry.unit(code.upper())
        moment = self._moment(as_of)
        entries = self.reader.log.refresh()
        known = entries if moment is None else [e for e in entries if e.recorded_at <= moment]
        today = moment.astimezone(zone).date() if moment is not None else self.reader.today()
        key = ("outlook", known[-1].seq if known else 0, today, moment, registry.version, unit.group)
        group = [u for u in registry.units.values() if u.group == unit.group]
        scenarios = self._answers.get(key)
        if scenarios is None:
            scheme = registry.scheme_at(moment or self.clock())
            cutoff = make_cutoff(known, tz=zone, today=today)
            resolved = Resolution(known, cutoff, cite=False)

            def scored(resolution: Resolution, at: Cutoff) -> dict[str, Any]:
                return {u.code: score_unit(u, registry.units, (), scheme, at, resolved=resolution,
                                           indicators=registry.indicators) for u in group}

            inputs = {u.code: open_inputs(u, resolved, cutoff, scheme, registry.indicators) for u in group}
            end = Cutoff(judge_date=year_end(resolved, cutoff), tz=zone)
            at = datetime.combine(end.judge_date, datetime.max.time(), zone)
            following = (known[-1].seq if known else 0) + 1
            scenarios = {"now": scored(resolved, cutoff), "inputs": inputs}
            for name, best_of in (("best", {u.code for u in group}), ("worst", set())):
                filled = fill(inputs, best_of, at, following).entries
                scenarios[name] = scored(Resolution([*known, *filled], end, cite=False), end)
            self._answers.put(key, scenarios)
        now, best, worst = scenarios["now"], scenarios["best"], scenarios["worst"]
        others = [u.code for u in group if u.code != unit.code]
        return {
            "unit": unit.code, "as_of": as_of, "total": fmt(now[unit.code].total),
            "rank": rank_within(now[unit.code].total, [now[c].total for c in others]),
            "best": {"total": fmt(best[unit.code].total),
                     "rank": rank_within(best[unit.code].total, [worst[c].total for c in others])},
            "worst": {"total": fmt(worst[unit.code].total),
                      "rank": rank_within(worst[unit.code].total, [best[c].total for c in others])},
            "open": [{"what": item.what, "figure": item.figure,
                      "now": fmt(getattr(now[unit.code], item.figure)),
                      "best": fmt(getattr(best[unit.code], item.figure)),
                      "worst": fmt(getattr(worst[unit.code], item.figure))}
                     for item in scenarios["inputs"][unit.code]],
        }


def _size(value: Any) -> int:
    """Bytes a derived view holds, roughly: its text's or bytes' length, or its first such part's."""
    if isinstance(value, (bytes, str)):
        return len(value)
    if isinstance(value, tuple):
        return sum(_size(part) for part in value)
    return 0


__all__ = ["Supervision"]
