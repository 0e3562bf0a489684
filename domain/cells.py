"""A cell as a clerk types it, read as the contract's value (docs/commands.md §10.3): dates as people
write them (2018-07-31, 2018/7/31, 2018.7.31, 2018年7月31日, an Excel date or serial; one without a
year is an error), times with or without their offset, numbers with thousands separators, whole
numbers, text. Pure, and knowing nothing of sheets: `domain/sheets_in.py` reads a sheet's columns
with these, and a cell that will not read raises `CellError` with the refusal code shown on it.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta, tzinfo
from decimal import Decimal, InvalidOperation
from typing import Any


class CellError(Exception):
    """A cell that will not read: its refusal code (`import.…`, in the catalogue) and the words'
    parameters, for the sheet's reader to list on the cell."""

    def __init__(self, code: str, **params: Any):
        super().__init__(code)
        self.code, self.params = code, params


def column_letter(n: int) -> str:
    """1 → A, 27 → AA."""
    letters = ""
    while n:
        n, rest = divmod(n - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def shown(value: Any) -> str | None:
    """A cell's value as an error lists it: a date or time as read, a whole float without its .0,
    at most 200 characters."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)[:200]


_DATE_FORMS = [re.compile(r"^(\d{4})\s*[-/.]\s*(\d{1,2})\s*[-/.]\s*(\d{1,2})$"),
               re.compile(r"^(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日?$")]
_NO_YEAR = re.compile(r"^\d{1,2}\s*[-/.月]\s*\d{1,2}\s*日?$")
_TIME = re.compile(r"^(.*?\d)\s*[T ]\s*(\d{1,2}):(\d{2})(?::(\d{2}))?(?:\.\d+)?\s*(Z|[+-]\d{2}:?\d{2})?$")
#: Excel's day 0 (its serial dates count from here, 1900's missing leap day included)
EXCEL_EPOCH = date(1899, 12, 30)


def read_date(value: Any) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, bool):
        raise CellError("import.date")
    if isinstance(value, (int, float)):
        if 1 <= value < 2_958_466:
            return EXCEL_EPOCH + timedelta(days=int(value))
        raise CellError("import.date")
    text = str(value).strip()
    if _NO_YEAR.match(text):
        raise CellError("import.date_no_year")
    for form in _DATE_FORMS:
        m = form.match(text)
        if m:
            try:
                return date(int(m[1]), int(m[2]), int(m[3]))
            except ValueError:
                raise CellError("import.date") from None
    if re.fullmatch(r"\d{5}(\.0+)?", text):
        return read_date(int(Decimal(text)))
    raise CellError("import.date")


def read_moment(value: Any, zone: tzinfo) -> str:
    """A time as the contract's ISO 8601 text with its offset; a naive one is read in `zone`,
    a bare date as noon of that day."""
    if isinstance(value, datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=zone)
        return moment.isoformat()
    if isinstance(value, float) and not value.is_integer():
        day = read_date(int(value))
        moment = datetime.combine(day, time()) + timedelta(seconds=round((value % 1) * 86400))
        return moment.replace(tzinfo=zone).isoformat()
    text = str(value).strip()
    m = _TIME.match(text)
    if m:
        day = read_date(m[1])
        moment = datetime.combine(day, time(int(m[2]), int(m[3]), int(m[4] or 0)))
        if m[5]:
            try:
                return datetime.fromisoformat(f"{moment.isoformat()}{'+00:00' if m[5] == 'Z' else m[5]}").isoformat()
            except ValueError:
                raise CellError("import.moment") from None
        try:
            return moment.replace(tzinfo=zone).isoformat()
        except ValueError:
            raise CellError("import.moment") from None
    try:
        day = read_date(value)
    except CellError as error:
        if error.code == "import.date_no_year":
            raise
        raise CellError("import.moment") from None
    return datetime.combine(day, time(12)).replace(tzinfo=zone).isoformat()


def read_decimal(value: Any) -> str:
    if isinstance(value, bool):
        raise CellError("import.number")
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return format(Decimal(repr(value)).normalize(), "f")
    text = str(value).strip().replace(",", "").replace("，", "")
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise CellError("import.number") from None
    if not number.is_finite():
        raise CellError("import.number")
    return text


def read_int(value: Any) -> int:
    if isinstance(value, bool):
        raise CellError("import.whole")
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    text = str(value).strip()
    if re.fullmatch(r"[+-]?\d+(\.0+)?", text):
        return int(Decimal(text))
    raise CellError("import.whole")


def read_text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    return str(value).strip()


__all__ = ["EXCEL_EPOCH", "CellError", "column_letter", "read_date", "read_decimal", "read_int", "read_moment",
           "read_text", "shown"]
