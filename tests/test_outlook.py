"""domain/outlook.py through the ledger (`Ledger.outlook`): on a small year, the best and worst total
and rank a unit can still reach bound what every filling of the open inputs gives, scored by the
same scoring as every figure; the bounds are reached; nothing is appended."""

from __future__ import annotations

import itertools
from datetime import datetime, timezone
from typing import Any

import pytest

from kaoping.domain.decimals import fmt, rounded
from kaoping.domain.entries import Entry
from kaoping.domain.scoring import Resolution, score_unit
from kaoping.domain.scoring.resolution import Cutoff
from kaoping.domain.standings import rank

TOWNS = ["T01", "T02", "T03", "T04", "T05", "T06", "T07", "T08", "T09", "T10", "Z01", "Z02", "Z03", "Z04"]
AT = "2018-06-10T10:00:00+08:00"
YEAR_END = datetime(2018, 12, 15, 23, 59, 59, tzinfo=timezone.utc)


def small_year(indicators: list[str]) -> list[dict[str, Any]]:
    """Every town and zone scored on every common indicator and ranked in every ballot kind of the
    year-end round, but for what T01 and T02 leave open (a checkpoint, an assessment, C02 and the
    leaders' ballot for T01; a checkpoint and an assessment for T02); the half-year round closed."""
    commands: list[dict[str, Any]] = [{"id": "close-hy", "type": "round.closed", "round": "half_year"}]
    for n, unit in enumerate(TOWNS):
        for code in indicators:
            if (unit, code) != ("T01", "C02"):
                commands.append({"id": f"c-{unit}-{code}", "type": "common.scored", "unit": unit,
                                 "indicator": code, "score": str(60 + (n * 7 + len(code)) % 40)})
    for unit in ("T01", "T02"):
        commands += [
            {"id": f"t-{unit}", "type": "task.assigned", "unit": unit, "task": "T1", "title": "重点工作",
             "level": "county", "method": "direct_deduction",
             "checkpoints": [{"checkpoint": "K1", "due": "2018-05-31"}, {"checkpoint": "K2", "due": "2018-12-15"}]},
            {"id": f"r-{unit}", "type": "checkpoint.reported", "unit": unit, "task": "T1", "checkpoint": "K1",
             "reported_on": "2018-05-30", "completed": True}]
    commands += [
        {"id": "b-office", "type": "ballot.cast", "round": "year_end", "kind": "office", "rater": "领导小组办公室",
         "group": "towns_zones", "ranking": TOWNS},
        {"id": "b-mutual", "type": "ballot.cast", "round": "year_end", "kind": "mutual", "rater": "D01",
         "group": "towns_zones", "ranking": TOWNS},
        {"id": "b-leader", "type": "ballot.cast", "round": "year_end", "kind": "leader", "rater": "副县长",
         "group": "towns_zones", "ranking": [u for u in TOWNS if u != "T01"]}]
    early = {"task.assigned": "2018-01-10T10:00:00+08:00", "checkpoint.reported": "2018-05-30T10:00:00+08:00"}
    return [{**c, "recorded_at": early.get(c["type"], AT)} for c in commands]


def entry(seq: int, unit: str, kind: str, payload: dict[str, Any]) -> Entry:
    stream = f"round:{payload['round']}" if kind == "ballot.cast" else f"unit:{unit}"
    return Entry(seq=seq, stream=stream, id=f"fill-{seq}", type=kind, recorded_at=YEAR_END,
                 appended_at=YEAR_END, actor="test", backdated=False, payload=payload)


def choices() -> dict[str, list[tuple[str, str, dict[str, Any] | None]]]:
    """Every value each open input can take: (unit, type, payload), None leaving it unrecorded."""
    def report(unit: str, day: str | None) -> tuple[str, str, dict[str, Any] | None]:
        return (unit, "checkpoint.reported", None if day is None else
                {"unit": unit, "task": "T1", "checkpoint": "K2", "reported_on": day, "completed": True})

    def assessed(unit: str, points: str) -> tuple[str, str, dict[str, Any] | None]:
        return (unit, "task.assessed", {"unit": unit, "task": "T1",
                                        "deductions": [{"points": points, "reason": "考核"}]})

    fillers = ["outlook:a", "outlook:b", "outlook:c", "outlook:d"]
    return {
        "T01 K2": [report("T01", d) for d in ("2018-12-01", "2018-12-15", None)],
        "T01 task": [assessed("T01", p) for p in ("0", "45", "100")],
        "T01 C02": [("T01", "common.scored", {"unit": "T01", "indicator": "C02", "score": s}) for s in ("0", "55", "100")],
        "T01 leader": [("T01", "ballot.cast", None if r is None else
                        {"round": "year_end", "kind": "leader", "rater": "县长", "group": "towns_zones", "ranking": r})
                       for r in (["T01"], [*fillers, "T01"], None)],
        "T02 K2": [report("T02", d) for d in ("2018-12-15", None)],
        "T02 task": [assessed("T02", p) for p in ("0", "100")],
    }


@pytest.fixture
def small(ledger: Any, clock: Any) -> Any:
    clock.now = datetime(2018, 6, 20, 2, 0, tzinfo=timezone.utc)
    codes = [code for code, i in ledger.registry().indicators.items() if i.in_average and code != "C20"]
    ledger.ingest(small_year(codes), actor="office")
    return ledger


def test_outlook_bounds_every_filling_of_the_open_inputs(small: Any) -> None:
    ledger = small
    before = len(ledger.entries())
    outlook = ledger.outlook("T01")
    assert len(ledger.entries()) == before  # nothing appended
    assert {o["what"].split(" ")[0] for o in outlook["open"]} >= {"节点", "共性指标"}
    assert len(outlook["open"]) == 4
    registry, entries = ledger.registry(), ledger.entries()
    scheme = registry.scheme_at(ledger.clock())
    end = Cutoff(judge_date=YEAR_END.astimezone(ledger.zone).date(), tz=ledger.zone)
    units = [registry.units[code] for code in TOWNS]
    totals, ranks = set(), set()
    options = choices()
    for picked in itertools.product(*options.values()):
        seq = entries[-1].seq
        filled = [entry(seq := seq + 1, unit, kind, payload) for unit, kind, payload in picked if payload]
        resolved = Resolution([*entries, *filled], end, cite=False)
        scores = {u.code: score_unit(u, registry.units, (), scheme, end, resolved=resolved) for u in units}
        total = rounded(scores["T01"].total)
        place = next(row["rank"] for row in rank((c, c, s.total) for c, s in scores.items()) if row["unit"] == "T01")
        assert rounded(outlook["worst"]["total"]) <= total <= rounded(outlook["best"]["total"]), picked
        assert outlook["best"]["rank"] <= place <= outlook["worst"]["rank"], picked
        totals.add(total)
        ranks.add(place)
    # the bounds of the total are reached by some filling: the best and the worst are not guesses
    assert fmt(max(totals)) == outlook["best"]["total"] and fmt(min(totals)) == outlook["worst"]["total"]
    assert min(ranks) >= outlook["best"]["rank"] and max(ranks) <= outlook["worst"]["rank"]


def test_outlook_now_is_the_score_now_and_closed_inputs_are_not_open(small: Any) -> None:
    ledger = small
    outlook = ledger.outlook("T03")
    assert outlook["total"] == ledger.score("T03")["total"] and outlook["open"] == []
    assert outlook["best"]["total"] == outlook["worst"]["total"]
    assert outlook["best"]["rank"] <= outlook["rank"] <= outlook["worst"]["rank"] or outlook["open"] == []
