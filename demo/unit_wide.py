"""The part of the simulated year that hangs on units, not on their tasks: common-indicator scores,
the half-year and year-end ballots, bonuses, penalties, funding, and the disputes the year ends with.

None of it grows with `scale`. It is drawn after the tasks (year.py calls these in a fixed order),
and the disputes take their targets from both parts.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from kaoping.domain.reference import Unit

from .draws import END, TZ, YEAR, Draws, dec

# Relative frequencies of the bonus and penalty items beyond the one of each the year always has;
# the order of the keys is the order of the draws.
BONUS_WEIGHTS = {"B1": 1, "B2": 3, "B3": 5, "B4": 8, "B5": 2, "B6": 4, "B7": 6, "B8": 8, "B9": 4,
                 "B11": 4, "B12": 4, "B13": 1}
PENALTY_WEIGHTS = {"P1": 1, "P2": 1, "P3": 2, "P4": 2, "P5": 4, "P6": 4, "P7": 9, "P9": 2, "P10": 2,
                   "P11": 1}

Scores = dict[tuple[str, str], dict[str, Any]]


def _again(cmd: dict[str, Any]) -> dict[str, Any]:
    """The command as it was sent (a correction restates it and changes some fields)."""
    return {k: v for k, v in cmd.items() if k not in ("recorded_at", "actor")}


# -- common indicators -------------------------------------------------------------------------------
def common_scores(d: Draws) -> tuple[Scores, list[tuple[str, str]]]:
    """Every unit scored on every indicator in December, some re-scored, one voided and re-scored.
    Returns the first scores and the four keys whose scores will be disputed."""
    rng = d.rng
    scores: Scores = {}
    for i, ind in enumerate(d.indicators):
        day = date(YEAR, 12, 10) + timedelta(days=(i * 18) // len(d.indicators))
        start = datetime.combine(day, time(9, 0), tzinfo=TZ)
        for j, unit in enumerate(d.units):
            q = d.quality[unit.code]
            score = max(55.0, min(100.0, rng.gauss(70 + 26 * q, 4)))
            cmd = d.emit(start + timedelta(minutes=j * 3 + rng.randrange(3)), {
                "id": f"demo-{unit.code}-common-{ind.code}", "type": "common.scored",
                "unit": unit.code, "indicator": ind.code, "score": dec(round(score * 2) / 2)},
                ind.assessor)
            scores[(unit.code, ind.code)] = cmd
    keys = rng.sample(sorted(scores), 13)
    for key in keys[4:12]:  # re-scored after review: the later score supersedes
        first = scores[key]
        when = d.after(datetime.fromisoformat(first["recorded_at"]), min_minutes=60 * 24 * 3,
                       max_days=7)
        d.emit(when, {**_again(first), "id": first["id"] + "-rescored",
                      "score": dec(min(100.0, float(first["score"]) + rng.choice([-4, -2, 2, 3, 5])))},
               first.get("actor"))
    first = scores[keys[12]]  # keyed in wrongly: voided by the office, then scored again
    voided = d.after(datetime.fromisoformat(first["recorded_at"]), min_minutes=60 * 24, max_days=2)
    d.emit(voided, {"id": first["id"] + "-void", "type": "entry.voided", "target": first["id"],
                    "reason": d.text.void_reasons["common_score"]})
    d.emit(d.after(voided, min_minutes=120, max_days=1),
           {**_again(first), "id": first["id"] + "-rekeyed",
            "score": dec(min(100.0, float(first["score"]) + 3))},
           first.get("actor"))
    return scores, keys[:4]


# -- ballots -----------------------------------------------------------------------------------------
def _ranked(d: Draws, units: list[Unit]) -> list[str]:
    noisy = {u.code: d.quality[u.code] + d.rng.gauss(0, 0.12) for u in units}
    return sorted(noisy, key=lambda code: (-noisy[code], code))


def ballots(d: Draws) -> None:
    rng = d.rng
    leaders, group_office = d.text.leaders, d.text.group_office
    departments, towns = d.departments[:], d.towns_zones[:]
    rng.shuffle(departments)
    rng.shuffle(towns)
    charge: dict[str, dict[str, list[Unit]]] = {name: {} for name in leaders}
    sizes = [len(departments) // len(leaders)] * len(leaders)
    for _ in range(len(departments) - sum(sizes)):
        sizes[rng.randrange(len(leaders))] += 1
    start = 0
    for name, size in zip(leaders, sizes):  # the leaders' charges partition the units
        charge[name]["departments"] = departments[start:start + size]
        start += size
    town_leaders = rng.sample(leaders[1:], 4)
    for k, name in enumerate(town_leaders):
        charge[name]["towns_zones"] = towns[k::4]
    partners = {u.code: rng.sample(d.departments, rng.randint(8, 15)) for u in d.towns_zones}
    partners.update({u.code: rng.sample(d.towns_zones, rng.randint(3, 8)) for u in d.departments})
    rounds = [  # (round, first ballot day, last ballot day, closed)
        ("half_year", date(YEAR, 7, 18), date(YEAR, 7, 26), datetime(YEAR, 7, 30, 17, 0, tzinfo=TZ)),
        ("year_end", date(YEAR, 12, 26), date(YEAR + 1, 1, 8),
         datetime(YEAR + 1, 1, 11, 17, 0, tzinfo=TZ)),
    ]
    for name, first, last, closes in rounds:
        short = "hy" if name == "half_year" else "ye"
        leader_ballots = []
        for leader in leaders:
            for group, units in charge[leader].items():
                n = d.next_number(f"{short}-leader")
                leader_ballots.append(d.emit(d.moment(d.day_between(first, last)), {
                    "id": f"demo-{short}-leader-{n}", "type": "ballot.cast", "round": name,
                    "kind": "leader", "rater": leader, "group": group, "ranking": _ranked(d, units)},
                    leader))
        for group, units in (("departments", d.departments), ("towns_zones", d.towns_zones)):
            d.emit(d.moment(last), {
                "id": f"demo-{short}-office-{group}", "type": "ballot.cast", "round": name,
                "kind": "office", "rater": group_office, "group": group, "ranking": _ranked(d, units)},
                group_office)
        for rater in d.units:
            group = "departments" if rater.group == "towns_zones" else "towns_zones"
            d.emit(d.moment(d.day_between(first, last)), {
                "id": f"demo-{short}-mutual-{rater.code}", "type": "ballot.cast", "round": name,
                "kind": "mutual", "rater": rater.code, "group": group,
                "ranking": _ranked(d, partners[rater.code])}, rater.code)
        for ballot in rng.sample(leader_ballots, rng.randint(1, 2)):  # a leader changes its mind
            ranking = ballot["ranking"][:]
            while ranking == ballot["ranking"]:
                rng.shuffle(ranking)
            d.emit(closes - timedelta(hours=rng.randint(4, 20)), {
                **_again(ballot), "id": ballot["id"] + "-replaced", "ranking": ranking}, ballot["rater"])
        d.emit(closes, {"id": f"demo-{short}-close", "type": "round.closed", "round": name})


# -- bonus, penalty, funding -------------------------------------------------------------------------
def _pick_unit(d: Draws, good: bool) -> Unit:
    weights = [d.quality[u.code] ** 2 if good else (1.1 - d.quality[u.code]) ** 2 for u in d.units]
    return d.rng.choices(d.units, weights)[0]


def bonuses(d: Draws) -> None:
    items = list(BONUS_WEIGHTS)
    for item in items + d.rng.choices(items, [BONUS_WEIGHTS[i] for i in items], k=36):
        unit = _pick_unit(d, good=True)
        cmd: dict[str, Any] = {"id": f"demo-{unit.code}-bonus-{d.next_number(unit.code + 'b')}",
                               "type": "bonus.awarded", "unit": unit.code, "item": item}
        if item in ("B11", "B12"):
            cmd["points"] = d.rng.choice(["0.1", "0.15", "0.2"])
        elif d.chance(0.15):
            cmd["count"] = 2
        cmd["reason"] = d.rng.choice(d.text.bonus_reasons[item])
        d.emit(d.moment(d.day_between(date(YEAR, 3, 1), date(YEAR, 12, 28))), cmd)


def penalties_and_funding(d: Draws) -> list[dict[str, Any]]:
    """Returns the penalties (some of them will be disputed)."""
    penalties = []
    items = list(PENALTY_WEIGHTS)
    for item in items + d.rng.choices(items, [PENALTY_WEIGHTS[i] for i in items], k=20):
        unit = _pick_unit(d, good=False)
        cmd: dict[str, Any] = {"id": f"demo-{unit.code}-penalty-{d.next_number(unit.code + 'p')}",
                               "type": "penalty.imposed", "unit": unit.code, "item": item}
        if item == "P7" and d.chance(0.3):
            cmd["count"] = d.rng.randint(2, 3)
        cmd["reason"] = d.rng.choice(d.text.penalty_reasons[item])
        penalties.append(d.emit(d.moment(d.day_between(date(YEAR, 3, 1), date(YEAR, 12, 10))), cmd))
    for unit in d.rng.sample(d.units, len(d.units) // 3):
        for _ in range(d.rng.choice([1, 1, 2, 3])):
            source = d.rng.choice(d.text.funding_sources)
            d.emit(d.moment(d.day_between(date(YEAR, 3, 1), date(YEAR, 12, 20))), {
                "id": f"demo-{unit.code}-funding-{d.next_number(unit.code + 'f')}",
                "type": "funding.recorded", "unit": unit.code,
                "amount": dec(max(5.0, d.rng.lognormvariate(6, 1.1))), "source": source,
                "reason": d.rng.choice(d.text.funding_reasons).format(source)})
    return penalties


# -- disputes ----------------------------------------------------------------------------------------
def _dispute(d: Draws, target: dict[str, Any], about: str, outcome: str, *,
             filed_within: int = 12, rescore: bool = False) -> None:
    said = d.text.disputes[about]
    unit = target["unit"]
    code = f"DSP-{unit}-{d.next_number(unit + 'd'):02d}"
    made = datetime.fromisoformat(target["recorded_at"])
    filed = d.after(made, min_minutes=60 * 24, max_days=max(0, min(filed_within, (END - made).days - 6)))
    d.emit(filed, {"id": f"demo-{unit}-dispute-{code}", "type": "dispute.filed", "unit": unit,
                   "dispute": code, "target": target["id"], "reason": said["reason"]}, unit)
    resolved = d.after(filed, min_minutes=60 * 24, max_days=min(12, (END - filed).days - 3))
    d.emit(resolved, {"id": f"demo-{unit}-resolve-{code}", "type": "dispute.resolved",
                      "dispute": code, "outcome": outcome, "reason": said[outcome]})
    if rescore and outcome == "upheld":
        d.emit(d.after(resolved, min_minutes=120, max_days=1), {
            **_again(target), "id": target["id"] + "-after-dispute",
            "score": dec(min(100.0, float(target["score"]) + d.rng.choice([3, 4, 6])))},
            target.get("actor"))


def disputes(d: Draws, penalties: list[dict[str, Any]], verifications: list[dict[str, Any]],
             falsified: dict[str, Any], scores: Scores, disputed_scores: list[tuple[str, str]]) -> None:
    """Disputes on penalties, on discrepancies found in verification, on the one falsification and
    on common scores, alternately upheld and rejected."""
    rng = d.rng
    outcomes = ["upheld", "rejected", "upheld", "rejected"]
    for penalty, outcome in zip(rng.sample(penalties, 4), outcomes):
        _dispute(d, penalty, "penalty", outcome)
    discrepancies = [v["cmd"] for v in verifications
                     if v["cmd"]["outcome"] == "discrepancy" and not v["rechecked"]
                     and v["when"] < END - timedelta(days=10)]
    for verification, outcome in zip(rng.sample(discrepancies, min(3, len(discrepancies))), outcomes):
        _dispute(d, verification, "verification", outcome)
    _dispute(d, falsified["cmd"], "falsified", "rejected")
    for key, outcome in zip(disputed_scores, outcomes):
        _dispute(d, scores[key], "common_score", outcome, filed_within=4, rescore=True)
