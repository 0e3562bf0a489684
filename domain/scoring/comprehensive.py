"""§5 Comprehensive evaluation (综合评价): a ballot's position becomes points by proportion bands
(`band_points`); per round, each kind is the mean over the standing ballots that rank the unit."""

from __future__ import annotations

from decimal import ROUND_CEILING, Decimal

from ..decimals import fmt, num
from ..explain import Node, leaf_without_entries
from ..reference import Unit
from ..scheme import Scheme
from .resolution import Resolution, key_of
from .values import ZERO, dec

ROUND_LABELS = {"half_year": "半年综合评价 half-year comprehensive", "year_end": "年终综合评价 year-end comprehensive"}
KIND_LABELS = {"leader": "领导评价 leaders", "office": "领导小组办公室评价 office", "mutual": "互评 mutual"}


def band_points(position: int, ranked: int, scheme: Scheme) -> tuple[Decimal, str]:
    """Points for position p (1 = best) among n ranked: band k ends at ceil(n × cumulative share)."""
    cumulative = ZERO
    bands = scheme.bands()
    for label, share, points in bands:
        cumulative += share
        end = int((ranked * cumulative).to_integral_value(rounding=ROUND_CEILING))
        if position <= end:
            return points, (f"position {position} of {ranked} → {label} "
                            f"(band ends at ceil({ranked}×{num(cumulative)}) = {end}) → {num(points)}")
    _, _, last = bands[-1]
    return last, f"position {position} of {ranked} → {num(last)}"


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
                label = f"选票 ballot by {rater} ({group})"
                if current is None:
                    leaves.append(Node(label, ZERO, "not counted: every ballot of this rater voided",
                                       entries=cited))
                elif unit.code not in current.payload["ranking"]:
                    leaves.append(Node(label, ZERO, f"not counted: replaced by ballot {current.id}, "
                                                    f"which does not rank {unit.code}", entries=cited))
                else:
                    ranking = current.payload["ranking"]
                    value, formula = band_points(ranking.index(unit.code) + 1, len(ranking), scheme)
                    points.append(value)
                    leaves.append(Node(label, value, f"ballot {current.id}: {formula}", entries=cited))
            kind_label = f"{KIND_LABELS.get(kind, kind)} ({round_name})"
            if points:
                score = sum(points, ZERO) / len(points)
                formula = f"mean({', '.join(num(p) for p in points)}) = {fmt(score)}"
            else:
                score = ZERO
                pending.append(f"{figure}.{kind}")
                formula = f"pending: no standing ballot ranks {unit.code} yet → 0"
            kind_scores[kind] = score
            if leaves:
                kind_nodes.append(Node(kind_label, score, formula, leaves))
            else:
                kind_nodes.append(leaf_without_entries(kind_label, ZERO, f"no ballot ranks {unit.code} yet → 0",
                                                       pending=True))
        comp = sum((kind_scores[k] * w for k, w in kind_weights.items()), ZERO)
        comps[figure] = comp
        terms = " + ".join(f"{k} {fmt(kind_scores[k])}×{num(w)}" for k, w in kind_weights.items())
        round_nodes.append(Node(ROUND_LABELS.get(round_name, round_name), comp, f"{terms} = {fmt(comp)}",
                                kind_nodes))
    comprehensive = sum((comps[f"{r}_comp"] * w for r, w in round_weights.items()), ZERO)
    terms = " + ".join(f"{r} {fmt(comps[f'{r}_comp'])}×{num(w)}" for r, w in round_weights.items())
    return comprehensive, comps, Node("综合评价 comprehensive", comprehensive, f"{terms} = {fmt(comprehensive)}",
                                      round_nodes)
