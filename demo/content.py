"""The simulated year's Chinese sample content (names, topics, notes, reasons), read from content.json.

The text is data so that it can be read and edited without reading the generator. Every key of the
file is a field here: a key missing, misspelt or left over fails at the first read, before any draw.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from importlib import resources


@dataclass(frozen=True)
class Content:
    # Lists stay lists, as json reads them: the generator hands them to random.choice, sample and
    # shuffle (on a copy), and must draw from exactly the sequences it always has.
    office: str
    group_office: str
    verifier: str
    leaders: list[str]
    department_topics: dict[str, list[str]]
    generic_topics: list[str]
    town_topics: list[str]
    subdistrict_topics: list[str]
    zone_topics: list[str]
    later_batch: str
    replacement: str
    withdraw_reasons: list[str]
    report_notes: dict[str, list[str]]
    corrected_note: str
    checkpoint_periods: dict[str, str]
    evidence_kinds: list[str]
    deduction_reasons: list[str]
    earned_reasons: list[str]
    earned_line: str
    void_reasons: dict[str, str]
    bonus_reasons: dict[str, list[str]]
    penalty_reasons: dict[str, list[str]]
    funding_sources: list[str]
    funding_reasons: list[str]
    disputes: dict[str, dict[str, str]]
    publications: dict[str, str]


@functools.cache
def content() -> Content:
    raw = json.loads((resources.files("kaoping.demo") / "content.json").read_text(encoding="utf-8"))
    raw.pop("about")  # a note for whoever edits the file
    return Content(**raw)
