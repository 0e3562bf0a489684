"""The simulated 2018 evaluation year: `demo_year(seed, scale)`, every kind of command for all 59
units, as contract dicts; this module draws the tasks and all that hangs on them, unit_wide.py the rest.

`demo_year(seed, scale)` returns the commands in the order they should be ingested: `recorded_at`
ascending (ties keep generation order, and an entry that refers to another is always recorded
strictly later), so knowledge time follows ledger order. Everything is drawn from one
`random.Random(seed)`: the same seed gives the same list, byte for byte; nothing reads the clock.
The names, topics, notes and reasons are drawn from content.json.

The year (all times +08:00):
- January–February: tasks assigned (provincial, municipal and own tasks to departments, county tasks to
  towns and zones), a few more added in spring; a couple withdrawn in summer, one of them replaced;
- monthly, quarterly or half-year checkpoints due from the month after assignment to 15 December;
  reports mostly on time, some late, some missing, some not completed or of poor quality; evidence
  (mostly on important tasks) verified online or on site, mostly confirmed, a few discrepancies, one
  falsification in the whole year; two reports voided and reported again;
- bonuses, penalties and funding through the year; the half-year ballots in late July (round closed
  30 July); common indicators scored in December (some re-scored, one voided and re-scored);
  year-end assessments and ballots from late December, the year-end round closed 12 January 2019;
  disputes on penalties, verifications and common scores, upheld or rejected.
Nothing is recorded after 2019-01-12, so a ledger whose clock is at 2019-01-15 accepts all of it.

`scale` multiplies the tasks per unit (task codes get a suffix: `P1-07`) and with them checkpoints,
reports, evidence, verifications, assessments, withdrawals and report corrections; ballots, common
scores, bonuses, penalties, funding and disputes do not scale.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from kaoping.domain.reference import Unit

from . import cores, unit_wide
from .draws import END, LAST_DUE, TZ, YEAR, Draws, dec, month_end


# --- the plan of one task -------------------------------------------------------------------------
@dataclass
class _Task:
    unit: Unit
    code: str
    title: str
    level: str
    method: str
    important: bool
    assigned: datetime
    checkpoints: list[tuple[str, date]]
    target: str | None = None
    withdrawn: datetime | None = None
    id: str = ""
    reports: list[dict[str, Any]] = field(default_factory=list)


class _Year(Draws):
    def __init__(self, seed: int, scale: int, actors: bool):
        super().__init__(seed, scale, actors)
        self.tasks: list[_Task] = []
        self.verifications: list[dict[str, Any]] = []
        self.vetoed: set[str] = set()  # the veto tasks failed, drawn when the assessments begin

    def build(self) -> list[dict[str, Any]]:
        # The order of the parts is the order of the draws.
        self.plan_tasks()
        self.plan_withdrawals()
        for task in self.tasks:
            self.assign(task)
        for task in self.tasks:
            self.run_checkpoints(task)
        self.correct_reports()
        falsified = self.falsify_one()
        self.assess()
        scores, disputed_scores = unit_wide.common_scores(self)
        unit_wide.ballots(self)
        unit_wide.bonuses(self)
        penalties = unit_wide.penalties_and_funding(self)
        unit_wide.disputes(self, penalties, self.verifications, falsified, scores, disputed_scores)
        self.publish()
        return self.commands()

    def publish(self) -> None:
        """The half-year results published (公示) once the round closes. Its window is wider than
        the scheme's 7 days because the year's disputes come up to 12 days after their entries;
        it draws nothing, so the rest of the year is what it was."""
        self.emit(datetime(YEAR, 7, 31, 18, 0, tzinfo=TZ), {
            "id": "demo-publication-half-year", "type": "results.published", "stage": "half_year",
            "title": self.text.publications["half_year"], "appeal_days": 15})

    # -- tasks -------------------------------------------------------------------------------------
    def plan_tasks(self) -> None:
        text = self.text
        few = set(self.rng.sample([u.code for u in self.departments], 4))
        for unit in self.departments:
            has_provincial = self.chance(0.82)
            has_municipal = self.chance(0.82) or not has_provincial and self.chance(0.5)
            wanted = self.rng.choice([3, 4]) if unit.code in few else self.rng.randint(5, 9)
            n_prov = self.rng.randint(1, 3 if wanted > 4 else 1) if has_provincial else 0
            n_mun = self.rng.randint(1, 2 if wanted > 4 else 1) if has_municipal else 0
            n_own = max(1, wanted - n_prov - n_mun)
            topics = text.department_topics[unit.code][:]
            self.rng.shuffle(topics)
            topics += [t for t in text.generic_topics if t not in topics]
            for k in range(self.scale):
                suffix = "" if self.scale == 1 else f"-{k + 1:02d}"
                batch = "" if k == 0 else text.later_batch.format(n=k + 1)
                chosen = iter(topics)
                for level, letter, n in (("provincial", "P", n_prov), ("municipal", "M", n_mun),
                                         ("own", "O", n_own)):
                    for i in range(1, n + 1):
                        self.plan_task(unit, f"{letter}{i}{suffix}", next(chosen) + batch, level)
        for unit in self.towns_zones:
            if unit.category == "zone":
                pool = text.zone_topics + text.town_topics[:4]
            elif unit.name.endswith("街道"):
                pool = text.subdistrict_topics + text.town_topics
            else:
                pool = text.town_topics[:]
            wanted = self.rng.randint(5, 9)
            for k in range(self.scale):
                suffix = "" if self.scale == 1 else f"-{k + 1:02d}"
                batch = "" if k == 0 else text.later_batch.format(n=k + 1)
                topics = self.rng.sample(pool, wanted)
                for i, topic in enumerate(topics, start=1):
                    self.plan_task(unit, f"C{i}{suffix}", topic + batch, "county")

    def plan_task(self, unit: Unit, code: str, title: str, level: str,
                  assigned: datetime | None = None) -> _Task:
        rng = self.rng
        if unit.group == "towns_zones":
            method = rng.choices(["cumulative", "completion_ratio", "direct_deduction", "veto"],
                                 [30, 30, 25, 15])[0]
        else:
            method = rng.choices(["completion_ratio", "direct_deduction", "veto"], [40, 38, 22])[0]
        important = self.chance({"provincial": 0.35, "municipal": 0.25, "own": 0.12,
                                 "county": 0.3}[level])
        if assigned is None:
            if self.chance(0.1):  # added during the year (动态设置考核指标)
                day = self.day_between(date(YEAR, 3, 1), date(YEAR, 6, 20))
            elif level == "municipal":
                day = self.day_between(date(YEAR, 1, 15), date(YEAR, 2, 28))
            else:
                day = self.day_between(date(YEAR, 1, 8), date(YEAR, 1, 31))
            assigned = self.moment(day, earliest=9, latest=16)
        task = _Task(unit, code, title, level, method, important, assigned,
                     self.schedule(assigned.date()))
        if method == "completion_ratio":
            task.target = rng.choice(["10", "12", "20", "30", "50", "80", "100", "120", "150", "200",
                                      "500", "1200", "3.5", "8.6"])
        task.id = f"demo-{unit.code}-task-{code}"
        self.tasks.append(task)
        return task

    def schedule(self, assigned: date) -> list[tuple[str, date]]:
        first = date(YEAR, assigned.month + 1, 1) if assigned.month < 12 else LAST_DUE
        cadence = self.rng.choices(["M", "Q", "H"], [25, 50, 25])[0]
        if cadence == "M":
            dues = [(f"M{m:02d}", month_end(m)) for m in range(2, 12)]
        elif cadence == "Q":
            dues = [("Q1", date(YEAR, 3, 31)), ("Q2", date(YEAR, 6, 30)), ("Q3", date(YEAR, 9, 30))]
        else:
            dues = [("H1", date(YEAR, 6, 30))]
        dues = [(code, due) for code, due in dues if due >= first]
        dues.append(({"M": "M12", "Q": "Q4", "H": "H2"}[cadence], LAST_DUE))
        return dues

    def plan_withdrawals(self) -> None:
        candidates = [t for t in self.tasks if t.assigned.month == 1 and len(t.checkpoints) >= 3]
        for task in self.rng.sample(candidates, min(len(candidates), 2 * self.scale)):
            task.withdrawn = self.moment(self.day_between(date(YEAR, 5, 15), date(YEAR, 8, 20)))
        withdrawn = [t for t in self.tasks if t.withdrawn]
        for task in withdrawn[: max(1, len(withdrawn) // 2)]:  # changed, not dropped: a new task
            when = self.after(task.withdrawn, max_days=10)  # type: ignore[arg-type]
            self.plan_task(task.unit, f"{task.code}X", task.title + self.text.replacement, task.level,
                           when)

    def assign(self, task: _Task) -> None:
        cmd: dict[str, Any] = {
            "id": task.id, "type": "task.assigned", "unit": task.unit.code, "task": task.code,
            "title": task.title, "level": task.level, "method": task.method,
        }
        if task.target is not None:
            cmd["target"] = task.target
        if self.chance(0.12):
            cmd["weight"] = self.rng.choice(["0.5", "1.5", "2"])
        if task.level in ("provincial", "municipal"):
            cmd["role"] = "co" if self.chance(0.3) else "lead"
            cmd["difficulty"] = self.rng.choice(["0.8", "0.9", "1", "1", "1.1", "1.2", "1.3", "1.5"])
        if task.important:
            cmd["important"] = True
        cmd["checkpoints"] = [{"checkpoint": code, "due": due.isoformat()} for code, due in task.checkpoints]
        self.emit(task.assigned, cmd)
        if task.withdrawn is not None:
            self.emit(task.withdrawn, {
                "id": f"demo-{task.unit.code}-withdraw-{task.code}", "type": "task.withdrawn",
                "unit": task.unit.code, "task": task.code,
                "reason": self.rng.choice(self.text.withdraw_reasons)})

    # -- checkpoints, evidence, verification ---------------------------------------------------------
    def run_checkpoints(self, task: _Task) -> None:
        q = self.quality[task.unit.code]
        unit = task.unit.code
        notes = self.text.report_notes
        for cp, due in task.checkpoints:
            roll = self.rng.random()
            if roll < 0.02 + 0.09 * (1 - q):
                continue  # never reported
            late = roll < 0.06 + 0.22 * (1 - q)
            if late:
                day = due + timedelta(days=self.rng.randint(1, 16 if due == LAST_DUE else 25))
            else:
                day = max(due - timedelta(days=self.rng.randint(0, 6)),
                          task.assigned.date() + timedelta(days=1))
            when = self.moment(day)
            if task.withdrawn is not None and when >= task.withdrawn:
                continue
            cmd: dict[str, Any] = {
                "id": f"demo-{unit}-report-{task.code}-{cp}", "type": "checkpoint.reported",
                "unit": unit, "task": task.code, "checkpoint": cp, "reported_on": day.isoformat(),
                "completed": True,
            }
            note = self.rng.choice(notes["late"] if late else notes["on_time"])
            if self.chance(0.03 + 0.08 * (1 - q)):
                cmd["completed"] = False
                note = self.rng.choice(notes["incomplete"])
            elif self.chance(0.03 + 0.08 * (1 - q)):
                cmd["quality"] = "poor"
                note = self.rng.choice(notes["poor"])
            if note:
                cmd["note"] = note
            self.emit(when, cmd, unit)
            task.reports.append(cmd)
            if self.chance(0.8 if task.important else 0.08):
                self.evidence(task, cp, when, q)

    def evidence(self, task: _Task, cp: str, reported: datetime, q: float) -> None:
        unit = task.unit.code
        label = self.text.checkpoint_periods[cp]
        pieces = 2 if self.chance(0.1) else 1
        for n in range(1, pieces + 1):
            code = f"E-{task.code}-{cp}" + ("" if n == 1 else f"-p{n}")
            when = self.after(reported, max_days=2)
            if task.withdrawn is not None and when >= task.withdrawn:
                return
            kind = self.rng.choice(self.text.evidence_kinds)
            self.emit(when, {
                "id": f"demo-{unit}-evidence-{code}", "type": "evidence.submitted", "unit": unit,
                "evidence": code, "task": task.code, "checkpoint": cp,
                "title": f"{label}{task.title}{kind}", "sha256": self.sha()}, unit)
            if not self.chance(0.9 if task.important else 0.5):
                continue
            day = when.date() + timedelta(days=self.rng.randint(3, 25))
            if day > date(YEAR + 1, 1, 8):
                day = date(YEAR + 1, 1, 8)
            recorded = self.moment(day + timedelta(days=self.rng.randint(0, 2)))
            if recorded <= when:
                recorded = self.after(when)
            outcome = "discrepancy" if self.chance(0.05 + 0.12 * (1 - q)) else "confirmed"
            verification = self.emit(recorded, {
                "id": f"demo-{unit}-verify-{code}", "type": "evidence.verified", "unit": unit,
                "evidence": code, "outcome": outcome,
                "method": "on_site" if task.important and self.chance(0.75) else "online",
                "verified_on": day.isoformat()}, self.text.verifier)
            rechecked = False
            if outcome == "discrepancy" and self.chance(0.3):  # rectified, verified again
                again = self.moment(day + timedelta(days=self.rng.randint(7, 20)))
                if again <= END - timedelta(days=4):
                    rechecked = True
                    self.emit(again, {
                        "id": f"demo-{unit}-verify-{code}-recheck", "type": "evidence.verified", "unit": unit,
                        "evidence": code, "outcome": "confirmed", "method": "on_site",
                        "verified_on": again.date().isoformat()}, self.text.verifier)
            self.verifications.append({"cmd": verification, "task": task, "rechecked": rechecked,
                                       "when": recorded})

    def correct_reports(self) -> None:
        """A unit keyed a report wrongly: it asks the office for a void (`void.requested`), the office
        voids it and the unit reports again."""
        candidates = [(t, r) for t in self.tasks if t.withdrawn is None for r in t.reports
                      if "note" not in r and r["reported_on"] < "2018-11-01"]
        for task, report in self.rng.sample(candidates, min(len(candidates), 2 * self.scale)):
            reported = datetime.fromisoformat(report["recorded_at"])
            voided = self.after(reported, min_minutes=60 * 24, max_days=3)
            # halfway between the report and the void, drawing nothing from the seed: every other
            # command of the year stays as it was
            self.emit(reported + (voided - reported) / 2,
                      {"id": f"{report['id']}-void-request", "type": "void.requested", "unit": task.unit.code,
                       "target": report["id"], "reason": self.text.void_reasons["request"]}, task.unit.code)
            self.emit(voided, {"id": f"{report['id']}-void", "type": "entry.voided", "target": report["id"],
                               "reason": self.text.void_reasons["report"]})
            again = self.after(voided, min_minutes=60, max_days=1)
            cmd = {k: v for k, v in report.items() if k not in ("recorded_at", "actor")}
            cmd.update(id=report["id"] + "-corrected", reported_on=again.date().isoformat(),
                       note=self.text.corrected_note)
            self.emit(again, cmd, task.unit.code)

    def falsify_one(self) -> dict[str, Any]:
        """Exactly one piece of evidence in the whole year is found falsified (弄虚作假): returns its
        verification."""
        candidates = [v for v in self.verifications
                      if v["task"].important and v["task"].unit.group == "departments"
                      and v["cmd"]["outcome"] == "confirmed" and not v["rechecked"]
                      and v["when"].month in (5, 6, 7, 8, 9, 10)]
        chosen = min(candidates, key=lambda v: self.quality[v["task"].unit.code] + self.rng.random() * 0.3)
        chosen["cmd"]["outcome"] = "falsified"
        chosen["cmd"]["method"] = "on_site"
        return chosen

    def assess(self) -> None:
        reassess = 2 * self.scale
        vetoes = [t for t in self.tasks if t.method == "veto" and t.withdrawn is None]
        weak = [t for t in vetoes if self.quality[t.unit.code] < 0.6] or vetoes
        n_vetoed = min(len(weak), self.rng.randint(1, 2) * self.scale)
        self.vetoed = {t.id for t in self.rng.sample(weak, n_vetoed)}
        for task in self.tasks:
            if task.withdrawn is not None or self.chance(0.07):
                continue  # withdrawn, or still waiting for its year-end assessment
            q = self.quality[task.unit.code]
            when = self.moment(self.day_between(date(YEAR, 12, 18), date(YEAR + 1, 1, 8)))
            cmd = {"id": f"demo-{task.unit.code}-assess-{task.code}", "type": "task.assessed",
                   "unit": task.unit.code, "task": task.code, **self.result(task, q)}
            self.emit(when, cmd)
            if reassess and self.chance(0.05) and when.date() < date(YEAR + 1, 1, 5):
                reassess -= 1
                again = self.after(when, min_minutes=60 * 24, max_days=3)
                self.emit(again, {**{k: v for k, v in cmd.items() if k not in ("recorded_at", "actor")},
                                  "id": cmd["id"] + "-reviewed", **self.result(task, min(1.0, q + 0.15))})

    def result(self, task: _Task, q: float) -> dict[str, Any]:
        rng = self.rng
        if task.method == "completion_ratio":
            ratio = max(0.3, min(1.3, rng.gauss(0.65 + 0.4 * q, 0.12)))
            return {"actual": dec(float(task.target) * ratio, 2)}  # type: ignore[arg-type]
        if task.method == "direct_deduction":
            n = rng.choices([0, 1, 2, 3], [35 * q, 35, 20, 10 * (1 - q) + 2])[0]
            return {"deductions": [{"points": rng.choice(["0.5", "1", "2", "3", "5"]),
                                    "reason": rng.choice(self.text.deduction_reasons)} for _ in range(n)]}
        if task.method == "veto":
            return {"vetoed": task.id in self.vetoed}
        lines, total, goal = [], 0, rng.randint(55, 115) if q > 0.5 else rng.randint(40, 95)
        while total < goal:
            pts = min(rng.choice([5, 10, 10, 15, 20, 25]), goal - total)
            total += pts
            lines.append({"points": str(pts), "reason": self.text.earned_line.format(
                title=task.title, reason=rng.choice(self.text.earned_reasons))})
        return {"points": lines}


def demo_year(seed: int = 2018, scale: int = 1, *, actors: bool = False,
              sub_indicators: bool = False) -> list[dict[str, Any]]:
    """A complete, realistic simulated 2018 year for all 59 units, as contract command dicts in the
    order they should be ingested (recorded_at ascending, so knowledge time follows ledger order),
    deterministic for a given seed.

    `scale` multiplies the per-unit tasks and everything that hangs on them (for benchmarking
    ledgers many years in size). With `actors=True` each command names who recorded it (the unit,
    the verifier, the assessment body, the leader…); leave it off for HTTP, where the actor comes
    from the token. With `sub_indicators=True` three indicators are scored by their core indicators
    (`cores.py`), which the scheme must have first: record `cores.AMENDMENT` at `cores.AMENDED_AT`
    (`kaoping demo` does); every figure is the same.
    """
    year = _Year(seed, scale, actors).build()
    # the indicators with core indicators scored by parts: needs `cores.AMENDMENT` recorded first
    return cores.by_parts(year) if sub_indicators else year


__all__ = ["demo_year"]


def in_batches(commands: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """The year cut into the batches to ingest it in: a publication freezes the entries stored
    before its batch, so each one starts a batch of its own and counts the year up to it."""
    batches: list[list[dict[str, Any]]] = [[]]
    for command in commands:
        if command["type"] == "results.published" and batches[-1]:
            batches.append([])
        batches[-1].append(command)
    return batches
