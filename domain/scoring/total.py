"""§2 The final score (专项考评成绩): the sections' figures weighted into the total, each figure with
its explanation; `UnitScore` holds them and writes the contract's `score` document."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from ..decimals import exact, fmt, num
from ..entries import Entry
from ..explain import Node
from ..labels import FIGURE_NAMES
from ..names import FIGURES
from ..reference import Indicator, Unit
from ..scheme import Scheme
from .annual import TASKS_NAME, annual_score, five_task_warning, task_load_bonus
from .bonus import bonus_score
from .common import common_score
from .comprehensive import comprehensive_score
from .penalty import penalty_score
from .process import process_score
from .resolution import Cutoff, Resolution
from .tasks import standing_tasks
from .values import ZERO

_FROM_CUTOFF: Any = object()


@dataclass(frozen=True)
class UnitScore:
    """Every figure of `kaoping score --json`, unrounded.

    `annual_individual` INCLUDES the task-load bonus (docs/scheme.md §3.3: the bonus is added to the
    annual individual score and may pass 100; docs/commands.md §4), so `individual` is process × 0.2 +
    annual_individual × 0.8; `task_load_bonus` shows the bonus on its own.
    `bonus` is after every cap (group caps and the overall one); `penalty` is the positive sum
    deducted, derived P8s included.
    """

    unit: str
    scheme_version: str
    cutoff: Cutoff
    total: Decimal
    indicator: Decimal
    individual: Decimal
    process: Decimal
    annual_individual: Decimal
    task_load_bonus: Decimal
    common: Decimal
    chuangcheng: Decimal
    comprehensive: Decimal
    half_year_comp: Decimal
    year_end_comp: Decimal
    bonus: Decimal
    penalty: Decimal
    pending: list[str]
    warnings: list[str]
    explanation: Node

    def figures(self) -> dict[str, Decimal]:
        return {name: getattr(self, name) for name in FIGURES}

    def as_json(self, unit: Unit, *, as_of: Any = _FROM_CUTOFF, upto: Any = _FROM_CUTOFF) -> dict[str, Any]:
        """The contract's shape. `as_of` / `upto` default to the cutoff's (as_of as ISO 8601, null when
        not given); a caller that wants to echo its own spelling passes them."""
        if as_of is _FROM_CUTOFF:
            as_of = self.cutoff.as_of.isoformat() if self.cutoff.as_of is not None else None
        if upto is _FROM_CUTOFF:
            upto = self.cutoff.upto
        document: dict[str, Any] = {"unit": unit.code, "name": unit.name, "group": unit.group,
                                    "as_of": as_of, "upto": upto}
        document.update({name: fmt(value) for name, value in self.figures().items()})
        document["pending"] = list(self.pending)
        document["explanation"] = self.explanation.as_json()
        document["scheme_version"] = self.scheme_version
        document["warnings"] = list(self.warnings)
        return document


def individual_of(scheme: Scheme, process: Decimal, annual: Decimal) -> Decimal:
    return process * scheme.dec("individual", "process") + annual * scheme.dec("individual", "annual")


def indicator_of(scheme: Scheme, individual: Decimal, common: Decimal) -> Decimal:
    return individual * scheme.dec("indicator", "individual") + common * scheme.dec("indicator", "common")


def total_of(scheme: Scheme, indicator: Decimal, comprehensive: Decimal, bonus: Decimal,
             penalty: Decimal) -> Decimal:
    # bonus is already capped; min() again keeps the total's formula literally the plan's
    return (indicator * scheme.dec("total", "indicator") + comprehensive * scheme.dec("total", "comprehensive")
            + min(bonus, scheme.dec("total", "bonus_cap")) - penalty)


def score_unit(unit: Unit, units: Mapping[str, Unit], entries: Sequence[Entry], scheme: Scheme,
               cutoff: Cutoff, *, resolved: Resolution | None = None,
               indicators: Mapping[str, Indicator] | None = None) -> UnitScore:
    """One unit's score at the cutoff. `entries` is the whole ledger in seq order (every stream), or
    any part of it that holds `relevance.relevant_to` the unit; `units` maps code → Unit (B10
    compares the unit's group); `scheme` is the version in force. `resolved` is `counted(entries,
    cutoff)` when the caller already has it (scoring many units at one cutoff); `entries` is then
    not read. `indicators` (the registry's) gives the common indicators' names to the explanation
    only: the registry is recorded at `init`, after the year's first entries, so a cutoff does not
    count its entries; without it the indicators are shown by code."""
    if resolved is None:
        resolved = Resolution(entries, cutoff)
    elif resolved.cutoff != cutoff:
        raise ValueError("resolved was counted at another cutoff")
    pending: list[str] = []

    tasks, voided_tasks = standing_tasks(unit, resolved, cutoff)
    process, process_node = process_score(unit, tasks, resolved, scheme, cutoff)
    annual_tasks, level_means, tasks_node = annual_score(unit, tasks, voided_tasks, resolved, scheme, pending)
    task_load, task_load_node = task_load_bonus(unit, tasks, level_means, resolved, scheme)
    annual = annual_tasks + task_load
    # each term of a formula is called by its figure's name, as the plan and the pages call it
    name = FIGURE_NAMES
    annual_node = Node(name["annual_individual"], annual,
                       f"{TASKS_NAME} {fmt(annual_tasks)} + {name['task_load_bonus']} {exact(task_load)}"
                       f" = {fmt(annual)}", [tasks_node, task_load_node])
    warnings, warning_node = five_task_warning(unit, tasks, resolved, scheme)

    w_process, w_annual = scheme.dec("individual", "process"), scheme.dec("individual", "annual")
    individual = individual_of(scheme, process, annual)
    individual_node = Node(
        name["individual"], individual,
        f"{name['process']} {fmt(process)}×{num(w_process)} + {name['annual_individual']} {fmt(annual)}×"
        f"{num(w_annual)} = {fmt(individual)}",
        [process_node, annual_node] + ([warning_node] if warning_node else []))

    common, chuangcheng, common_node, chuang_node = common_score(unit, resolved, scheme, pending,
                                                                 indicators or {})
    w_individual, w_common = scheme.dec("indicator", "individual"), scheme.dec("indicator", "common")
    indicator = indicator_of(scheme, individual, common)
    indicator_node = Node(name["indicator"], indicator,
                          f"{name['individual']} {fmt(individual)}×{num(w_individual)} + "
                          f"{name['common']} {fmt(common)}×{num(w_common)} = {fmt(indicator)}",
                          [individual_node, common_node])

    comprehensive, comps, comprehensive_node = comprehensive_score(unit, resolved, scheme, pending)
    bonus, bonus_node = bonus_score(unit, units, resolved, scheme)
    penalty, penalty_node, penalty_warnings = penalty_score(unit, tasks, resolved, scheme)
    warnings += penalty_warnings

    w_indicator, w_comprehensive = scheme.dec("total", "indicator"), scheme.dec("total", "comprehensive")
    cap = scheme.dec("total", "bonus_cap")
    total = total_of(scheme, indicator, comprehensive, bonus, penalty)
    total_node = Node(
        name["total"], total,
        f"{name['indicator']} {fmt(indicator)}×{num(w_indicator)} + {name['comprehensive']} "
        f"{fmt(comprehensive)}×{num(w_comprehensive)} + min({name['bonus']} {fmt(bonus)}, {num(cap)}) − "
        f"{name['penalty']} {fmt(penalty)} = {fmt(total)}",
        [indicator_node, comprehensive_node, bonus_node, penalty_node, chuang_node])

    return UnitScore(
        unit=unit.code, scheme_version=scheme.version, cutoff=cutoff, total=total, indicator=indicator,
        individual=individual, process=process, annual_individual=annual, task_load_bonus=task_load,
        common=common, chuangcheng=chuangcheng, comprehensive=comprehensive,
        half_year_comp=comps.get("half_year_comp", ZERO), year_end_comp=comps.get("year_end_comp", ZERO),
        bonus=bonus, penalty=penalty, pending=pending, warnings=warnings, explanation=total_node)
