"""`replay` in one pass (`domain/scoring/incremental.py`) gives the rows the per-row rescoring gave:
every unit's plain and explained replay, on the demo year and on a random year, against the
implementation it replaced (kept here as the reference: a full `score_unit` over the prefix per row)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from kaoping.demo import demo_year
from kaoping.domain.decimals import fmt
from kaoping.domain.names import unit_stream
from kaoping.domain.relevance import moves_others
from kaoping.domain.scoring import Cutoff, Resolution, score_unit
from kaoping.domain.scoring.incremental import Replayer
from kaoping.ledger.replay import explain


def _total(ledger: Any, unit: Any, upto: int, known_at: Any, day: date, registry: Any = None) -> str:
    """The unit's total over the entries up to seq `upto`, checkpoints judged on `day`, scored
    from scratch (figures only: the reference need not cite, it must rescore). `registry`: the
    reader's, if the caller read it already (the ledger does not change while a reference is made)."""
    registry, tz = registry or ledger.reader.registry(), ledger.reader.settings.zone
    cutoff = Cutoff(judge_date=day, upto=upto, tz=tz)
    relevant = ledger.log.index.relevant_to(unit, registry.units, upto)
    resolved = Resolution(relevant, cutoff, cite=False)
    return fmt(score_unit(unit, registry.units, (), registry.scheme_at(known_at), cutoff,
                          resolved=resolved).total)


def _reference_replay(ledger: Any, code: str) -> list[dict[str, Any]]:
    registry, tz = ledger.reader.registry(), ledger.reader.settings.zone
    unit = registry.unit(code)
    own = unit_stream(unit.code)
    in_own_stream = {e.id for e in ledger.log.index.stream(own)}
    rows: list[dict[str, Any]] = []
    previous = None
    for entry in ledger.log.index.relevant_to(unit, registry.units):
        if entry.stream != own:
            others = moves_others(entry, registry.units)
            if entry.id in in_own_stream or not (others is None or unit.code in others):
                continue
        total = _total(ledger, unit, entry.seq, entry.recorded_at, entry.recorded_at.astimezone(tz).date(),
                       registry)
        if entry.stream == own or total != previous:
            rows.append({"seq": entry.seq, "id": entry.id, "type": entry.type, "total": total})
        previous = total
    return rows


def _reference_explained(ledger: Any, code: str, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    reader = ledger.reader
    registry = reader.registry()
    unit = registry.unit(code)
    by_seq = {e.seq: e for e in ledger.log.refresh()}
    tz = reader.settings.zone
    dues = sorted({(date.fromisoformat(str(cp["due"])), e.seq, f"{e.payload['task']}/{cp['checkpoint']}")
                   for e in ledger.log.index.stream(unit_stream(unit.code))
                   if e.type == "task.assigned" for cp in e.payload.get("checkpoints", ())})
    explained: list[dict[str, Any]] = []
    previous = Decimal(0)
    for i, row in enumerate(rows):
        entry = by_seq[row["seq"]]
        explained.append({**row, "date": entry.recorded_at.astimezone(tz).date().isoformat(),
                          "actor": entry.actor, "delta": fmt(Decimal(row["total"]) - previous)})
        previous = Decimal(row["total"])
        judged = entry.recorded_at.astimezone(tz).date()
        until = (by_seq[rows[i + 1]["seq"]].recorded_at.astimezone(tz).date() if i + 1 < len(rows)
                 else reader.today())
        for day in sorted({d for d, assigned, _ in dues if judged < d <= until and assigned <= entry.seq}):
            total = _total(ledger, unit, entry.seq, entry.recorded_at, day, registry)
            if total != fmt(previous):
                explained.append({"seq": entry.seq, "id": None, "type": "checkpoint.due",
                                  "date": day.isoformat(), "actor": None,
                                  "checkpoints": [n for d, a, n in dues if d == day and a <= entry.seq],
                                  "total": total, "delta": fmt(Decimal(total) - previous)})
                previous = Decimal(total)
    return explained


@pytest.mark.parametrize("seed", [2018, 7], ids=["demo-year", "random-year"])
def test_every_units_replay_is_the_rescored_one(ledger: Any, seed: int) -> None:
    ledger.ingest(demo_year(seed), actor="office")
    units = sorted(ledger.registry().units)
    if ledger.settings.is_postgres:
        # replay reads the decoded log whatever the store: every unit on SQLite; on PostgreSQL the
        # first and last of each group, enough to show it hands the scorer the same log (the
        # rescored reference costs half a second a unit, and CI has a budget)
        units = [code for code in units if code in ("D01", "D03", "D45", "T01", "T10", "Z01", "Z04")]
    for code in units:
        plain = ledger.replay(code)
        assert plain == _reference_replay(ledger, code), code
        assert explain(ledger.reader, code) == _reference_explained(ledger, code, plain), code


def test_voids_and_rulings_move_the_replay_as_rescoring_does(ledger: Any) -> None:
    """Voids are where an incremental resolution can go wrong: a void removes its target's
    dependents and lets an earlier entry of the same key count again."""
    year = demo_year(11)
    ledger.ingest(year, actor="office")
    reports = [c for c in year if c["type"] == "checkpoint.reported" and c["unit"] == "D03"][:3]
    assignment = next(c for c in year if c["type"] == "task.assigned" and c["unit"] == "D04")
    scored = next(c for c in year if c["type"] == "common.scored" and c["unit"] == "D03")
    ledger.ingest([
        {"id": "v-report", "type": "entry.voided", "target": reports[0]["id"], "reason": "重复"},
        {"id": "v-task", "type": "entry.voided", "target": assignment["id"], "reason": "下达有误"},
        {"id": "d-1", "type": "dispute.filed", "dispute": "DIS-1", "target": scored["id"], "unit": "D03",
         "reason": "分数有误"},
        {"id": "d-1-r", "type": "dispute.resolved", "dispute": "DIS-1", "outcome": "upheld", "reason": "属实"},
    ], actor="office")
    for code in ("D03", "D04", "D05"):
        plain = ledger.replay(code)
        assert plain == _reference_replay(ledger, code), code
        assert explain(ledger.reader, code) == _reference_explained(ledger, code, plain), code


def test_the_scorer_gives_what_scoring_the_prefix_gives_at_any_judging_date(ledger: Any) -> None:
    ledger.ingest(demo_year(2018, scale=2), actor="office")
    registry = ledger.registry()
    unit = registry.unit("T01")
    scorer = Replayer(unit, registry.units)
    for i, entry in enumerate(ledger.log.index.relevant_to(unit, registry.units)):
        scorer.apply(entry)
        if i % 7:
            continue
        for day in (entry.recorded_at.date(), date(2018, 12, 31)):
            cutoff = Cutoff(judge_date=day, upto=entry.seq, tz=ledger.reader.settings.zone)
            in_force = registry.scheme_at(entry.recorded_at)
            assert fmt(scorer.total(in_force, cutoff)) == _total(ledger, unit, entry.seq,
                                                                  entry.recorded_at, day)
