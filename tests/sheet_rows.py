"""The demo year written out as the sheets an import reads (through the templates' layout), for the
import tests and the bench: `demo_subset(kind, year)` is what a sheet of that kind can say (the last
of each key, voided reports left out) and `sheet_rows(kind, commands, known)` its rows, in the
header's order, with Chinese values where people type them."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from typing import Any

from kaoping.domain.labels import BALLOT_KINDS, GROUP_NAMES, LEVEL_NAMES, METHOD_NAMES, QUALITY, ROUND_NAMES, TASK_ROLES
from kaoping.domain.sheets_in import AWARD_TYPES, COLUMNS, Known

TYPES = {"tasks": {"task.assigned"}, "node_results": {"checkpoint.reported"}, "assessments": {"task.assessed"},
         "common_scores": {"common.scored"}, "awards": set(AWARD_TYPES.values()), "ballot": {"ballot.cast"}}


def demo_subset(kind: str, year: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The commands of `kind` a sheet holds: the last of each key, none that was voided."""
    voided = {c["target"] for c in year if c["type"] == "entry.voided"}
    disputed = {c["target"] for c in year if c["type"] == "dispute.filed"}
    last: dict[Any, dict[str, Any]] = {}
    for c in year:
        if c["type"] not in TYPES[kind] or c["id"] in voided or c["id"] in disputed:
            continue
        key = {"tasks": lambda: (c["unit"], c["task"]),
               "node_results": lambda: (c["unit"], c["task"], c["checkpoint"]),
               "assessments": lambda: (c["unit"], c["task"]),
               "common_scores": lambda: (c["unit"], c["indicator"]),
               "awards": lambda: c["id"],
               "ballot": lambda: (c["round"], c["kind"], c["rater"], c["group"])}[kind]()
        last.pop(key, None)
        last[key] = c
    return list(last.values())


def _local(moment: str | None) -> datetime | None:
    return datetime.fromisoformat(moment).replace(tzinfo=None) if moment else None  # the demo's are +08:00


def _row(kind: str, values: dict[str, Any]) -> list[Any]:
    return [values.get(column.field) for column in COLUMNS[kind]]


def sheet_rows(kind: str, commands: list[dict[str, Any]], known: Known) -> tuple[list[str] | None, list[list[Any]]]:
    """(extra headers for a grid, or None; the rows) of a sheet of `kind` saying `commands`."""
    rows: list[list[Any]] = []
    name = {code: unit[0] for code, unit in known.units.items()}
    if kind == "tasks":
        for c in commands:
            for i, cp in enumerate(c["checkpoints"]):
                values = {"checkpoint": cp["checkpoint"], "due": cp["due"]}
                if i == 0:  # the task's own cells on its first row only, as a merged cell reads
                    values.update(unit=c["unit"], unit_name=name.get(c["unit"]), task=c["task"], title=c["title"],
                                  level=LEVEL_NAMES[c["level"]], method=METHOD_NAMES[c["method"]],
                                  target=c.get("target"), weight=c.get("weight"),
                                  role=TASK_ROLES[c["role"]] if c.get("role") else None,
                                  difficulty=c.get("difficulty"),
                                  important=("是" if c["important"] else "否") if "important" in c else None,
                                  recorded_at=_local(c.get("recorded_at")))
                rows.append(_row(kind, values))
    elif kind == "node_results":
        for c in commands:
            rows.append(_row(kind, {"unit": c["unit"], "unit_name": name.get(c["unit"]), "task": c["task"],
                                    "checkpoint": c["checkpoint"], "reported_on": c["reported_on"].replace("-", "/"),
                                    "completed": "完成" if c["completed"] else "未完成",
                                    "quality": QUALITY.get(c["quality"], c["quality"]) if "quality" in c else None,
                                    "note": c.get("note"), "recorded_at": _local(c.get("recorded_at"))}))
    elif kind == "assessments":
        for c in commands:
            base = {"unit": c["unit"], "unit_name": name.get(c["unit"]), "task": c["task"],
                    "recorded_at": _local(c.get("recorded_at"))}
            if "actual" in c:
                rows.append(_row(kind, {**base, "actual": c["actual"]}))
            elif "vetoed" in c:
                rows.append(_row(kind, {**base, "vetoed": "是" if c["vetoed"] else "否"}))
            else:
                lines = c.get("deductions", c.get("points")) or []
                if not lines:
                    rows.append(_row(kind, base))
                for line in lines:
                    rows.append(_row(kind, {**base, "points": line["points"], "reason": line["reason"]}))
    elif kind == "common_scores":
        codes = sorted({c["indicator"] for c in commands})
        heads = [column.header for column in COLUMNS[kind]] + [f"{code} {known.indicators[code]}" for code in codes]
        by_unit: dict[str, dict[str, Any]] = {}
        for c in commands:
            row = by_unit.setdefault(c["unit"], {"unit": c["unit"], "unit_name": name.get(c["unit"]),
                                                 "recorded_at": _local(c.get("recorded_at"))})
            row[c["indicator"]] = c["score"]
        for values in by_unit.values():
            rows.append(_row(kind, values) + [values.get(code) for code in codes])
        return heads, rows
    elif kind == "awards":
        types = {v: k for k, v in AWARD_TYPES.items()}
        for c in commands:
            values = {"type": types[c["type"]], "unit": c["unit"], "unit_name": name.get(c["unit"]),
                      "item": c.get("item"), "count": c.get("count"), "points": c.get("points"),
                      "amount": c.get("amount"), "reason": c.get("reason"), "recorded_at": _local(c.get("recorded_at"))}
            if c["type"] == "funding.recorded":
                values["funding_source"] = c.get("source")
            rows.append(_row(kind, values))
    elif kind == "ballot":
        for c in commands:
            for rank, unit in enumerate(c["ranking"], start=1):
                rows.append(_row(kind, {"round": ROUND_NAMES[c["round"]], "kind": BALLOT_KINDS[c["kind"]],
                                        "rater": c["rater"], "group": GROUP_NAMES[c["group"]], "unit": unit,
                                        "unit_name": name.get(unit), "rank": rank,
                                        "recorded_at": _local(c.get("recorded_at"))}))
    return None, rows


def as_csv(headers: list[str], rows: list[list[Any]], encoding: str = "gb18030") -> bytes:
    """The sheet saved as CSV, as Excel in Chinese saves it (GB18030 by default)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(headers)
    for row in rows:
        writer.writerow(["" if v is None else v.strftime("%Y/%m/%d %H:%M") if isinstance(v, datetime) else v
                         for v in row])
    return buffer.getvalue().encode(encoding)
