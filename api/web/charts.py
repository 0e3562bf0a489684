"""Charts drawn on the server as inline SVG: no script, no fonts or files fetched from anywhere.

Every mark carries a <title>, which browsers show as a tooltip on hover. The SVGs scale with their
container (viewBox, width 100%), so the same markup serves a laptop and a phone.
"""

from __future__ import annotations

import math
from datetime import date
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any

from markupsafe import Markup, escape

from kaoping.domain.labels import ENTRY_TYPES



def _n(x: float) -> str:
    return f"{x:.1f}".rstrip("0").rstrip(".")


def _ceil_to(value: float, step: float) -> float:
    return math.ceil(value / step) * step if value > 0 else step


def bar_chart(rows: Sequence[dict[str, Any]], *, title: str,
              link: Callable[[str], str | None] = lambda code: None,
              highlight: str | None = None) -> Markup:
    """Horizontal bars of a group's ranked scores (rows as in `standings`), zero-based axis."""
    if not rows:
        return Markup(f'<p class="empty">{escape(title)}：暂无数据</p>')
    values = [float(Decimal(str(r["score"]))) for r in rows]
    top = _ceil_to(max(max(values), 100.0), 10)
    label_w, bar_w, value_w, row_h, head, foot = 190.0, 470.0, 60.0, 20.0, 8.0, 28.0
    width = label_w + bar_w + value_w
    height = head + row_h * len(rows) + foot
    parts = [f'<svg class="chart bar-chart" viewBox="0 0 {_n(width)} {_n(height)}" '
             f'role="img" aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg">',
             f"<title>{escape(title)}</title>"]
    # grid and axis
    for tick in range(0, int(top) + 1, 20 if top > 60 else 10):
        x = label_w + bar_w * tick / top
        parts.append(f'<line class="grid" x1="{_n(x)}" y1="{_n(head)}" x2="{_n(x)}" '
                     f'y2="{_n(head + row_h * len(rows))}"/>')
        parts.append(f'<text class="tick" x="{_n(x)}" y="{_n(height - 10)}" '
                     f'text-anchor="middle">{tick}</text>')
    for i, (row, value) in enumerate(zip(rows, values)):
        y = head + row_h * i
        w = max(bar_w * value / top, 0.0)
        code = str(row["unit"])
        tip = f'第{row["rank"]}名 {row["name"]}（{code}）：{row["score"]}'
        cls = "bar own" if code == highlight else "bar"
        mark = (f'<g class="row"><title>{escape(tip)}</title>'
                f'<text class="label" x="{_n(label_w - 6)}" y="{_n(y + row_h * 0.7)}" '
                f'text-anchor="end">{escape(row["rank"])}. {escape(row["name"])}</text>'
                f'<rect class="{cls}" x="{_n(label_w)}" y="{_n(y + 3)}" width="{_n(w)}" '
                f'height="{_n(row_h - 6)}"/>'
                f'<text class="value" x="{_n(label_w + w + 4)}" y="{_n(y + row_h * 0.7)}">'
                f'{escape(row["score"])}</text></g>')
        href = link(code)
        parts.append(f'<a href="{escape(href)}">{mark}</a>' if href else mark)
    parts.append("</svg>")
    return Markup("".join(parts))


def line_chart(points: Sequence[dict[str, Any]], *, title: str) -> Markup:
    """The unit's total after each replay row, one marked point per row. Rows with a `date` (an
    explained replay) are placed by date, others in ledger order; a point shows its label in HTML
    when hovered or tapped (it takes the focus), since a phone shows no SVG tooltip; rows of type
    `checkpoint.due` (a checkpoint falling due) are marked apart from entries."""
    if not points:
        return Markup(f'<p class="empty">{escape(title)}：暂无数据</p>')
    values = [float(Decimal(str(p["total"]))) for p in points]
    top = _ceil_to(max(max(values), 10.0), 10)
    bottom = min(0.0, math.floor(min(values) / 10) * 10)
    left, right, head, foot = 44.0, 12.0, 12.0, 34.0
    width, height = 720.0, 280.0
    plot_w, plot_h = width - left - right, height - head - foot
    n = len(points)
    dated = all(p.get("date") for p in points)
    days = [date.fromisoformat(p["date"]).toordinal() for p in points] if dated else list(range(n))
    # ledger order rules: an entry known later than the ones after it (the registry, written when
    # `kaoping init` ran) is drawn at the next one's date, so that the line never runs backwards
    for i in range(n - 2, -1, -1):
        days[i] = min(days[i], days[i + 1])
    first, span = days[0], max(days[-1] - days[0], 1)

    def x_of(i: int) -> float:
        return left + (plot_w * (days[i] - first) / span if n > 1 else plot_w / 2)

    def y_of(v: float) -> float:
        return head + plot_h * (top - v) / (top - bottom)

    parts = [f'<svg class="chart line-chart" viewBox="0 0 {_n(width)} {_n(height)}" '
             f'role="img" aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg">',
             f"<title>{escape(title)}</title>"]
    step = 20 if top - bottom > 60 else 10
    tick = bottom
    while tick <= top:
        y = y_of(tick)
        parts.append(f'<line class="grid" x1="{_n(left)}" y1="{_n(y)}" x2="{_n(width - right)}" '
                     f'y2="{_n(y)}"/>')
        parts.append(f'<text class="tick" x="{_n(left - 6)}" y="{_n(y + 4)}" '
                     f'text-anchor="end">{int(tick)}</text>')
        tick += step
    for i in sorted({0, n - 1}):
        label = date.fromordinal(days[i]).isoformat() if dated else f'第 {points[i]["seq"]} 条'
        parts.append(f'<text class="tick" x="{_n(x_of(i))}" y="{_n(height - foot + 16)}" '
                     f'text-anchor="{"start" if i == 0 and n > 1 else "end"}">{escape(label)}</text>')
    axis = "业务日期" if dated else "账本顺序（每点一条记录）"
    parts.append(f'<text class="axis-title" x="{_n(left + plot_w / 2)}" y="{_n(height - 4)}" '
                 f'text-anchor="middle">{axis}</text>')
    path = " ".join(f"{'M' if i == 0 else 'L'}{_n(x_of(i))},{_n(y_of(v))}" for i, v in enumerate(values))
    parts.append(f'<path class="line" d="{path}"/>')
    for i, (p, v) in enumerate(zip(points, values)):
        due = p["type"] == "checkpoint.due"
        tip = (f'{p["date"]} 节点到期 {"、".join(p.get("checkpoints", ()))} → 总分 {p["total"]}' if due
               else f'第 {p["seq"]} 条 · {ENTRY_TYPES.get(p["type"], p["type"])} · {p["id"]} → 总分 {p["total"]}')
        label = tip + (f'（{p["delta"]}）' if p.get("delta") else "")
        x, y = x_of(i), y_of(v)
        box_x = min(max(x - 110, 0), width - 220)
        box_y = y - 56 if y > 70 else y + 10
        parts.append(
            f'<g class="pt" tabindex="0"><circle class="{"due" if due else "point"}" cx="{_n(x)}" '
            f'cy="{_n(y)}" r="{"4" if due else "3.2"}"><title>{escape(tip)}</title></circle>'
            f'<foreignObject class="tip" x="{_n(box_x)}" y="{_n(box_y)}" width="220" height="48">'
            f'<div xmlns="http://www.w3.org/1999/xhtml" class="tip-label">{escape(label)}</div>'
            f"</foreignObject></g>")
    parts.append("</svg>")
    return Markup("".join(parts))


__all__ = ["bar_chart", "line_chart"]
