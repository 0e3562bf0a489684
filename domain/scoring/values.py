"""§2 arithmetic: every number the scoring reads, from an entry's payload or from the scheme, as the
`Decimal` it stands for, at full precision (rounding and spelling are `domain.decimals`)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

ZERO = Decimal(0)


def dec(value: Any) -> Decimal:
    return value if isinstance(value, Decimal) else Decimal(str(value))
