"""A cell read as a clerk typed it (domain/cells.py): dates in the ways people write them, a date
without a year refused, naive times in the office zone, numbers with separators, whole numbers."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from kaoping.domain.cells import CellError, column_letter, read_date, read_decimal, read_int, read_moment, shown

ZONE = ZoneInfo("Asia/Shanghai")


@pytest.mark.parametrize("typed", ["2018-07-31", "2018/7/31", "2018.7.31", "2018年7月31日", 43312, 43312.0,
                                   datetime(2018, 7, 31), date(2018, 7, 31), " 2018 / 07 / 31 "])
def test_a_date_is_read_as_people_type_it(typed: object) -> None:
    assert read_date(typed) == date(2018, 7, 31)


@pytest.mark.parametrize("typed", ["31/07", "7月31日", "07-31"])
def test_a_date_without_a_year_is_an_error(typed: str) -> None:
    with pytest.raises(CellError) as raised:
        read_date(typed)
    assert raised.value.code == "import.date_no_year"


def test_a_naive_time_is_read_in_the_office_zone() -> None:
    assert read_moment("2018-07-31 09:00", ZONE) == "2018-07-31T09:00:00+08:00"
    assert read_moment(datetime(2018, 7, 31, 9), ZONE) == "2018-07-31T09:00:00+08:00"
    assert read_moment("2018-07-31T09:00:00+00:00", ZONE) == "2018-07-31T09:00:00+00:00"


@pytest.mark.parametrize(("typed", "read"), [("1,200.5", "1200.5"), ("1，200", "1200"), (3, "3"), (0.1, "0.1")])
def test_a_number_is_read_with_its_separators_dropped(typed: object, read: str) -> None:
    assert read_decimal(typed) == read


@pytest.mark.parametrize(("read", "typed", "code"), [(read_decimal, "十", "import.number"),
                                                      (read_decimal, "NaN", "import.number"),
                                                      (read_int, "2.5", "import.whole"),
                                                      (read_int, True, "import.whole")])
def test_a_cell_that_will_not_read_names_its_refusal(read: object, typed: object, code: str) -> None:
    with pytest.raises(CellError) as raised:
        read(typed)  # type: ignore[operator]
    assert raised.value.code == code


def test_columns_are_lettered_and_values_shown_as_a_clerk_typed_them() -> None:
    assert [column_letter(n) for n in (1, 26, 27, 52, 703)] == ["A", "Z", "AA", "AZ", "AAA"]
    assert (shown(None), shown(3.0), shown(datetime(2018, 7, 31, 9)), len(shown("字" * 300) or "")) == \
        (None, "3", "2018-07-31 09:00:00", 200)
