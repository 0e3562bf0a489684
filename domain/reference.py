"""Reference data: the evaluated units and the common indicators, parsed from their TSV text."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from .names import GROUPS


@dataclass(frozen=True, slots=True)
class Unit:
    code: str
    name: str
    name_en: str
    category: str
    group: str


@dataclass(frozen=True, slots=True)
class Indicator:
    code: str
    name: str
    name_en: str
    assessor: str
    in_average: bool


def _rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text), delimiter="\t"))


def parse_units(text: str) -> tuple[Unit, ...]:
    units = tuple(
        Unit(r["code"], r["name"], r["name_en"], r["category"], r["group"]) for r in _rows(text)
    )
    unknown = {u.group for u in units} - set(GROUPS)
    if unknown:
        raise ValueError(f"unknown group(s) in units: {sorted(unknown)}")
    return units


def parse_indicators(text: str) -> tuple[Indicator, ...]:
    return tuple(
        Indicator(r["code"], r["name"], r["name_en"], r["assessor"], r["in_average"].startswith("yes"))
        for r in _rows(text)
    )
