"""A tiny in-memory ledger for scoring tests: commands in, `Entry` objects out, with increasing seqs.

Commands are validated by the real `parse_command`, so payloads have exactly the stored JSON form
(Decimals as strings, dates ISO, defaults filled). A command that lands in several streams (a ballot,
a void of one) becomes one Entry per stream, same id, consecutive seqs.
"""

from __future__ import annotations

import json
from datetime import date, datetime, time, timedelta
from importlib import resources
from typing import Any
from zoneinfo import ZoneInfo

from kaoping.domain.commands import parse_command
from kaoping.domain.entries import Entry
from kaoping.domain.reference import parse_indicators, parse_units
from kaoping.domain.scheme import Scheme
from kaoping.domain.scoring import UnitScore, make_cutoff, score_unit

TZ = ZoneInfo("Asia/Shanghai")
_DATA = resources.files("kaoping.domain").joinpath("data")
SCHEME = Scheme(json.loads(_DATA.joinpath("scheme-2018.json").read_text(encoding="utf-8")))
UNITS = {u.code: u for u in parse_units(_DATA.joinpath("units.tsv").read_text(encoding="utf-8"))}
#: the common indicators as `init` registers them: their names are in the explanation
INDICATORS = {i.code: i for i in parse_indicators(_DATA.joinpath("common_indicators.tsv").read_text(encoding="utf-8"))}
END_OF_YEAR = date(2019, 1, 31)


def complete_ranking(ranked: list[str], group: str = "departments") -> list[str]:
    """An office ballot as the ledger takes it (docs/scheme.md §5: it ranks every unit of its group)
    in which each of `ranked` earns the band points it would earn in a short ballot of them alone:
    each stands at the first position of its band among all, the group's other units fill the rest."""
    from kaoping.domain.scoring import band_points

    everyone = [code for code, unit in UNITS.items() if unit.group == group]
    others = iter([code for code in everyone if code not in ranked])
    wanted = [band_points(i + 1, len(ranked), SCHEME)[0] for i in range(len(ranked))]
    ranking: list[str] = []
    placed = 0
    for position in range(1, len(everyone) + 1):
        if placed < len(ranked) and band_points(position, len(everyone), SCHEME)[0] == wanted[placed]:
            ranking.append(ranked[placed])
            placed += 1
        else:
            ranking.append(next(others))
    assert placed == len(ranked) and sorted(ranking) == sorted(everyone)
    return ranking


def moment(when: str | date | datetime) -> datetime:
    """A bare date is noon of that day in the office zone; a datetime string is read as given."""
    if isinstance(when, datetime):
        return when
    if isinstance(when, date):
        return datetime.combine(when, time(12), TZ)
    if len(when) == 10:
        return datetime.combine(date.fromisoformat(when), time(12), TZ)
    return datetime.fromisoformat(when)


def end_of(day: str) -> datetime:
    """A bare date as an as-of time means the end of that day (docs/commands.md §3)."""
    return datetime.combine(date.fromisoformat(day), time(23, 59, 59, 999999), TZ)


class ScoringLog:
    def __init__(self, start: str = "2018-01-02") -> None:
        self.entries: list[Entry] = []
        self._clock = moment(start)
        self._n = 0

    # -- writing -------------------------------------------------------------------------------
    def add(self, type: str, *, at: str | date | datetime | None = None, id: str | None = None,
            **fields: Any) -> str:
        """Append one command; `at` is its recorded_at (default: a minute after the previous one)."""
        self._n += 1
        command_id = id or f"c{self._n}"
        recorded_at = moment(at) if at is not None else self._clock + timedelta(minutes=1)
        self._clock = max(self._clock, recorded_at)
        if type in ("bonus.awarded", "penalty.imposed"):
            fields.setdefault("reason", f"{type} in a scoring test")  # the ledger requires one
        command = parse_command({"id": command_id, "type": type, **fields})
        payload = command.payload()
        seq = self.entries[-1].seq if self.entries else 0
        for stream in self._streams(type, payload):
            seq += 1
            self.entries.append(Entry(seq=seq, stream=stream, id=command_id, type=type, recorded_at=recorded_at,
                                      appended_at=recorded_at, actor="office", backdated=at is not None,
                                      payload=payload))
        return command_id

    def _streams(self, type: str, payload: dict[str, Any]) -> list[str]:
        if type == "ballot.cast":
            return [f"round:{payload['round']}"] + [f"unit:{code}" for code in payload["ranking"]]
        if type == "round.closed":
            return [f"round:{payload['round']}"]
        if type == "entry.voided":
            return list(dict.fromkeys(e.stream for e in self.entries if e.id == payload["target"]))
        if type == "dispute.resolved":
            filed = next(e for e in self.entries if e.type == "dispute.filed"
                         and e.payload["dispute"] == payload["dispute"])
            return [filed.stream]
        return [f"unit:{payload['unit']}"]

    # -- shorthands for the common commands ------------------------------------------------------
    def task(self, unit: str, task: str, level: str = "provincial", method: str = "veto",
             checkpoints: list[tuple[str, str]] | None = None, **fields: Any) -> str:
        fields.setdefault("title", f"task {task}")
        cps = [{"checkpoint": c, "due": d} for c, d in (checkpoints or [])]
        return self.add("task.assigned", unit=unit, task=task, level=level, method=method,
                        checkpoints=cps, **fields)

    def assess(self, unit: str, task: str, **result: Any) -> str:
        return self.add("task.assessed", unit=unit, task=task, **result)

    def report(self, unit: str, task: str, checkpoint: str, reported_on: str, completed: bool = True,
               **fields: Any) -> str:
        fields.setdefault("at", reported_on)
        return self.add("checkpoint.reported", unit=unit, task=task, checkpoint=checkpoint,
                        reported_on=reported_on, completed=completed, **fields)

    def ballot(self, round: str, kind: str, rater: str, group: str, ranking: list[str], **fields: Any) -> str:
        return self.add("ballot.cast", round=round, kind=kind, rater=rater, group=group, ranking=ranking, **fields)

    def void(self, target: str, **fields: Any) -> str:
        return self.add("entry.voided", target=target, reason="error", **fields)

    # -- reading -------------------------------------------------------------------------------
    @property
    def last_seq(self) -> int:
        return self.entries[-1].seq

    def seq_of(self, command_id: str) -> int:
        return max(e.seq for e in self.entries if e.id == command_id)

    def score(self, unit: str = "D01", *, as_of: str | datetime | None = None, upto: int | None = None,
              today: date = END_OF_YEAR) -> UnitScore:
        when = end_of(as_of) if isinstance(as_of, str) and len(as_of) == 10 else (
            datetime.fromisoformat(as_of) if isinstance(as_of, str) else as_of)
        cutoff = make_cutoff(self.entries, as_of=when, upto=upto, tz=TZ, today=today)
        return score_unit(UNITS[unit], UNITS, self.entries, SCHEME, cutoff, indicators=INDICATORS)


def leaves_without_reason(node: Any) -> list[Any]:
    """Leaves of an explanation that cite no entry and do not say why."""
    from kaoping.domain.explain import NO_ENTRY_PREFIXES

    return [leaf for leaf in node.leaves() if not leaf.entries and not leaf.formula.startswith(NO_ENTRY_PREFIXES)]
