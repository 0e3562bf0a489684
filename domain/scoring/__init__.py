"""The scoring engine: one unit's score under the scheme, from the ledger's entries, at a cutoff.

Pure: no clock, no I/O, no database. Every number of the scheme (weights, bands, deductions, bonus
and penalty points, caps, task-load factors, the 70 gate) is read from the `Scheme`; arithmetic is
`Decimal` at full precision, rounded only for display (`decimals.fmt`).

One module per section of docs/scheme.md: `total` (§2), `tasks` (§3), `process` (§3.1), `annual`
(§3.2–3.3), `common` (§4), `comprehensive` (§5), `bonus` (§6), `penalty` (§7). `resolution` reads
the entries at a cutoff as docs/commands.md §3 says (order, knowledge time, voids, supersession), once for
every unit scored at that cutoff.

Public API: `Cutoff`, `make_cutoff`, `counted` (a `Resolution`), `score_unit`, `UnitScore` (with
`as_json`), `band_points`.
"""

from .comprehensive import band_points
from .resolution import Cutoff, Resolution, counted, make_cutoff
from .total import UnitScore, score_unit

__all__ = ["Cutoff", "Resolution", "UnitScore", "band_points", "counted", "make_cutoff", "score_unit"]
