"""Ranking within a group (docs/scheme.md §2): by the rounded figure, highest first; equal rounded
figures share a rank (1, 2, 2, 4), then unit code orders the tie."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from .decimals import rounded
from .errors import InvalidCommand
from .labels import GROUP_NAMES, STAGE_NAMES, coded
from .names import GROUPS, STAGES


def rank(rows: Iterable[tuple[str, str, Decimal | str]]) -> list[dict[str, object]]:
    """rows: (unit code, name, unrounded figure) → [{rank, unit, name, score}] best first."""
    ordered = sorted(((rounded(v), code, name) for code, name, v in rows), key=lambda r: (-r[0], r[1]))
    ranked: list[dict[str, object]] = []
    for position, (score, code, name) in enumerate(ordered, start=1):
        same = ranked and ranked[-1]["_score"] == score
        ranked.append({"rank": ranked[-1]["rank"] if same else position, "unit": code, "name": name,
                       "score": f"{score:.2f}", "_score": score})
    for row in ranked:
        del row["_score"]
    return ranked


#: the figures each figure is made of (docs/scheme.md §2), down to the inputs a score lists as pending
PARTS = {
    "total": ("indicator", "comprehensive", "bonus", "penalty"),
    "indicator": ("individual", "common"),
    "individual": ("process", "annual_individual"),
    "annual_individual": ("task", "task_load_bonus"),
    "comprehensive": ("half_year_comp", "year_end_comp"),
}


def pending_for(figure: str, pending: Iterable[str]) -> list[str]:
    """The pending inputs (`year_end_comp.office`, `task.P1`, `common`, …) that `figure` is made of:
    what a provisional figure still waits for. 创城 is shown beside the total, not in it."""
    parts, todo = {figure}, [figure]
    while todo:
        for part in PARTS.get(todo.pop(), ()):
            if part not in parts:
                parts.add(part)
                todo.append(part)
    return [p for p in pending if p.split(".")[0] in parts]


def stage_figure(stage: str) -> str:
    if stage not in STAGES:
        raise InvalidCommand("stage.unknown", field="stage", given=stage,
                             allowed=[coded(s, STAGE_NAMES) for s in STAGES], allowed_en=list(STAGES))
    return STAGES[stage]


def groups(group: str | None) -> tuple[str, ...]:
    if group is None:
        return GROUPS
    if group not in GROUPS:
        raise InvalidCommand("group.unknown", field="group", given=group,
                             allowed=[coded(g, GROUP_NAMES) for g in GROUPS], allowed_en=list(GROUPS))
    return (group,)


def by_group(figures: Iterable[tuple[str, str, str, Decimal | str]],
             group: str | None = None) -> list[dict[str, object]]:
    """figures: (group, unit code, name, figure) → each asked group ranked within itself, with `group`."""
    wanted = groups(group)
    listed = list(figures)
    return [{**row, "group": grp} for grp in wanted
            for row in rank((code, name, value) for g, code, name, value in listed if g == grp)]
