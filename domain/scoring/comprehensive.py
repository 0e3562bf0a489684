"""§5 Comprehensive evaluation (综合评价): a ballot's position becomes points by proportion bands
(`band_points`); per round, each kind is the mean over the standing ballots that rank the unit."""

from __future__ import annotations

from decimal import ROUND_CEILING, Decimal

from ..decimals import fmt, num
from ..explain import PENDING, Node, leaf_without_entries
from ..labels import BALLOT_KINDS, FIGURE_NAMES, GROUP_NAMES, ROUND_NAMES
from ..reference import Unit
from ..scheme import Scheme
from .resolution import Resolution, key_of
from .values import ZERO, dec


def band_of(position: int, ranked: int, scheme: Scheme) -> tuple[str, Decimal]:
    """The band (its label) and points position p among n ranked earns, as `band_points` scores it:
    what a ballot form shows beside each 名次."""
    cumulative = ZERO
    bands = scheme.bands()
    for label, share, points in bands:
        cumulative += share
        if position <= int((ranked * cumulative).to_integral_value(rounding=ROUND_CEILING)):
            return label, points
    return bands[-1][0], bands[-1][2]


def band_points(position: int, ranked: int, scheme: Scheme) -> tuple[Decimal, str]:
    """Points for position p (1 = best) among n ranked: band k ends at ceil(n × cumulative share)."""
    cumulative = ZERO
    bands = scheme.bands()
    for label, share, points in bands:
        cumulative += share
        end = int((ranked * cumulative).to_integral_value(rounding=ROUND_CEILING))
        if position <= end:
            return points, (f"第 {position} 名 / 共 {ranked} 个 → {label}"
                            f"（该段止于 ceil({ranked}×{num(cumulative)}) = {end}）→ {num(points)}")
    _, _, last = bands[-1]
    return last, f"第 {position} 名 / 共 {ranked} 个 → {num(last)}"


def comprehensive_score(unit: Unit, resolved: Resolution, scheme: Scheme,
                        pending: list[str]) -> tuple[Decimal, dict[str, Decimal], Node]:
    round_weights = {name: dec(w) for name, w in scheme.data["comprehensive"].items()}
    kind_weights = {name: dec(w) for name, w in scheme.data["comp_kinds"].items()}
    comps: dict[str, Decimal] = {}
    round_nodes = []
    for round_name in round_weights:
        figure = f"{round_name}_comp"
        kind_scores: dict[str, Decimal] = {}
        kind_nodes = []
        for kind in kind_weights:
            # one leaf per rater key that ever ranked the unit, or whose standing ballot does
            keys = []
            for ballot in resolved.ballots(round_name, kind):
                if unit.code in ballot.payload["ranking"]:
                    key = key_of(ballot)
                    if key not in keys:
                        keys.append(key)
            points, leaves = [], []
            for key in keys:
                current = resolved.current.get(key)
                cited = resolved.cite_all(resolved.history(*key), unit.code)
                _, _, _, rater, group = key
                label = f"选票（评价人 {rater}，排{GROUP_NAMES.get(group, group)}）"
                if current is None:
                    leaves.append(Node(label, ZERO, "不计：该评价人的选票均已作废", entries=cited))
                elif unit.code not in current.payload["ranking"]:
                    leaves.append(Node(label, ZERO, f"不计：已被选票 {current.id} 取代，"
                                                    f"该票未排 {unit.code}", entries=cited))
                else:
                    ranking = current.payload["ranking"]
                    value, formula = band_points(ranking.index(unit.code) + 1, len(ranking), scheme)
                    points.append(value)
                    leaves.append(Node(label, value, f"选票 {current.id}：{formula}", entries=cited))
            kind_label = f"{_kind(kind)}（{_round(round_name)}）"
            if points:
                score = sum(points, ZERO) / len(points)
                formula = f"平均({', '.join(num(p) for p in points)}) = {fmt(score)}"
            else:
                score = ZERO
                pending.append(f"{figure}.{kind}")
                formula = PENDING + f"尚无现行选票排 {unit.code} → 0"
            kind_scores[kind] = score
            if leaves:
                kind_nodes.append(Node(kind_label, score, formula, leaves))
            else:
                kind_nodes.append(leaf_without_entries(kind_label, ZERO, f"尚无选票排 {unit.code} → 0",
                                                       pending=True))
        comp = sum((kind_scores[k] * w for k, w in kind_weights.items()), ZERO)
        comps[figure] = comp
        terms = " + ".join(f"{_kind(k)} {fmt(kind_scores[k])}×{num(w)}" for k, w in kind_weights.items())
        round_nodes.append(Node(_round(round_name), comp, f"{terms} = {fmt(comp)}", kind_nodes))
    comprehensive = sum((comps[f"{r}_comp"] * w for r, w in round_weights.items()), ZERO)
    terms = " + ".join(f"{_round(r)} {fmt(comps[f'{r}_comp'])}×{num(w)}" for r, w in round_weights.items())
    return comprehensive, comps, Node(FIGURE_NAMES["comprehensive"], comprehensive,
                                      f"{terms} = {fmt(comprehensive)}", round_nodes)


def _round(name: str) -> str:
    return ROUND_NAMES.get(name, name)


def _kind(kind: str) -> str:
    return BALLOT_KINDS.get(kind, kind)
