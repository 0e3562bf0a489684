"""How figures and numbers are written (docs/scheme.md §2): half-up to 2 places for display, never
"-0.00"; full precision everywhere else, one spelling per number."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")


def rounded(value: Decimal | str) -> Decimal:
    """A figure as shown and as ranked: half-up to 2 places (halves of negatives away from zero),
    never -0.00."""
    result = Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)
    return abs(result) if result.is_zero() else result


def fmt(value: Decimal) -> str:
    """The display form of a figure: "87.45"."""
    return f"{rounded(value):f}"


def num(value: Decimal) -> str:
    """A parameter or an input as written (a weight "0.70", a difficulty "1.5"), never an exponent."""
    return f"{value:f}"


def exact(value: Decimal) -> str:
    """One spelling per number, unrounded (1, 1.0 and "1.00" are all "1"), never an exponent: for
    thresholds tested on full precision (the 70 gate) and for content hashes."""
    text = f"{value.normalize():f}"
    return "0" if text in ("-0", "0") else text
