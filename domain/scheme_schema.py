"""docs/scheme.md §10: what every version of the scheme must be, as pydantic models of every section.

An amended scheme is validated against `SchemeDocument` before it is recorded: an unknown key, a
wrong type or a number out of range is refused naming its path (`process.not_reportd`). The
collections amendments touch are keyed, so that a JSON merge patch changes one entry and keeps the
others: caps by their items (`"B3+B4"`), bands by label (with their `rank`), bonus and penalty items
by code, process deductions by name.

`upgraded` converts a document stored before collections were keyed (the `scheme.adopted` entry of
a ledger already written holds caps and bands as lists, and no start): stored entries are never
rewritten, they are converted whenever they are read.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Annotated, Any, ClassVar, Literal

from pydantic import (AwareDatetime, BaseModel, BeforeValidator, ConfigDict, Field, PlainSerializer,
                      StrictBool, StringConstraints, ValidationError, model_validator)
from pydantic_core import PydanticCustomError

from .decimals import num
from .errors import InvalidCommand
from .refusals import pydantic_words

#: the start of the 2018 scheme, for documents stored before a scheme carried its start: the plan
#: governs the whole 2018 evaluation year (Asia/Shanghai), not just the time `kaoping init` ran
LEGACY_START = "2018-01-01T00:00:00+08:00"


def _number(value: Any) -> Decimal:
    """A number of the scheme: a decimal string ("0.70") or a JSON number, spelt as given."""
    if isinstance(value, bool) or not isinstance(value, (str, int, float, Decimal)):
        raise PydanticCustomError("scheme.number", "a number is expected (a decimal string such as \"0.5\")")
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        raise PydanticCustomError("scheme.not_a_number", "{value} is not a number", {"value": str(value)}) from None
    if not number.is_finite():
        raise PydanticCustomError("scheme.not_a_number", "{value} is not a number", {"value": str(value)})
    return number


Number = Annotated[Decimal, BeforeValidator(_number), PlainSerializer(num, return_type=str)]
Weight = Annotated[Number, Field(ge=0, le=1)]
Points = Annotated[Number, Field(ge=0, le=100)]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Level = Literal["provincial", "municipal", "own", "county"]
Method = Literal["completion_ratio", "direct_deduction", "veto", "cumulative"]
Group = Literal["departments", "towns_zones"]
IndicatorCode = Annotated[str, StringConstraints(pattern=r"^C\d{2}$")]
BonusCode = Annotated[str, StringConstraints(pattern=r"^B\d{1,2}$")]
PenaltyCode = Annotated[str, StringConstraints(pattern=r"^P\d{1,2}$")]
CapKey = Annotated[str, StringConstraints(pattern=r"^B\d{1,2}(\+B\d{1,2})*$")]


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


#: what shares out one whole, as a refusal names it
_SHARES = {"weights": "权重", "shares": "比例"}


def _one_in_all(section: str, weights: dict[str, Decimal], what: str = "weights") -> None:
    """Weights that share out one whole: changing one means changing another."""
    total = sum(weights.values(), Decimal(0))
    if total != 1:
        terms = " + ".join(f"{k} {num(v)}" for k, v in weights.items())
        raise InvalidCommand("scheme.weights_sum", field=section, what=_SHARES.get(what, what), what_en=what,
                             terms=terms, total=num(total))


class Shares(Section):
    """A section of weights that share out one whole: changing one means changing another."""

    #: the section's path, which a refusal names
    PATH: ClassVar[str]
    #: its fields that are not shares
    OTHERS: ClassVar[frozenset[str]] = frozenset()

    @model_validator(mode="after")
    def _whole(self) -> Shares:
        _one_in_all(self.PATH, {name: getattr(self, name) for name in type(self).model_fields
                                if name not in self.OTHERS})
        return self


class Total(Shares):
    PATH, OTHERS = "total", frozenset({"bonus_cap"})
    indicator: Weight
    comprehensive: Weight
    bonus_cap: Points


class Indicator(Shares):
    PATH = "indicator"
    individual: Weight
    common: Weight


class Individual(Shares):
    PATH = "individual"
    process: Weight
    annual: Weight


class Comprehensive(Shares):
    PATH = "comprehensive"
    half_year: Weight
    year_end: Weight


class CompKinds(Shares):
    PATH = "comp_kinds"
    leader: Weight
    office: Weight
    mutual: Weight


class Process(Section):
    """§3.1: the deductions, keyed by name (a patch changes one and keeps the others)."""

    base: Annotated[Number, Field(gt=0, le=100)]
    not_reported: Points
    late: Points
    substandard: Points


LevelWeights = Annotated[dict[Level, Weight], Field(min_length=1)]


class Levels(Section):
    departments: LevelWeights
    towns_zones: LevelWeights

    @model_validator(mode="after")
    def _whole(self) -> Levels:
        _one_in_all("levels.departments", dict(self.departments))
        _one_in_all("levels.towns_zones", dict(self.towns_zones))
        return self


MethodList = Annotated[list[Method], Field(min_length=1)]


class Methods(Section):
    departments: MethodList
    towns_zones: MethodList


class TaskLoad(Section):
    per_task: dict[Level, Annotated[Number, Field(ge=0, le=10)]]
    co_factor: Weight
    gate_level: Level
    gate: Points


class SubIndicator(Section):
    """§4.1: a sub-indicator an assessment body set for its indicator, with how it is judged
    (`standard`) and what proves it (`evidence`, the carrier a unit attaches)."""

    code: Annotated[str, StringConstraints(pattern=r"^C\d{2}\.\d{1,2}$")]
    name: Name
    weight: Annotated[Number, Field(gt=0, le=100)] = Decimal(1)
    standard: Name
    evidence: Name


class Common(Section):
    excluded: list[IndicatorCode]
    chuangcheng: IndicatorCode
    min: Points
    max: Points
    #: §4.1: each indicator's sub-indicators, by the indicator's code (none by default: set by an
    #: amendment, the plan lists none)
    sub_indicators: dict[IndicatorCode, Annotated[list[SubIndicator], Field(min_length=1, max_length=10)]] = {}

    @model_validator(mode="after")
    def _range(self) -> Common:
        if self.min >= self.max:
            raise InvalidCommand("scheme.min_below_max", field="common", min=num(self.min), max=num(self.max))
        for indicator, subs in self.sub_indicators.items():
            codes = [sub.code for sub in subs]
            for i, code in enumerate(codes):
                if not code.startswith(indicator + ".") or codes.index(code) != i:
                    raise InvalidCommand("scheme.sub_indicator_code", field=f"common.sub_indicators.{indicator}.{i}.code",
                                         code=code, indicator=indicator)
        return self


class Ballots(Section):
    """§5: whether a ballot must rank every unit its rater judges ([default] required)."""

    office_complete: StrictBool = True
    leader_complete: StrictBool = True


class Band(Section):
    rank: Annotated[int, Field(ge=1, le=20)]
    share: Annotated[Number, Field(gt=0, le=1)]
    points: Points


class BonusItem(Section):
    """§6: an item earns fixed `points` each, or `funding` (B10, computed), or points set per award
    within `min`–`max` (B11, B12)."""

    name: Name
    points: Annotated[Number, Field(ge=0, le=10)] | None = None
    funding: Annotated[Number, Field(ge=0, le=10)] | None = None
    min: Annotated[Number, Field(ge=0, le=10)] | None = None
    max: Annotated[Number, Field(ge=0, le=10)] | None = None

    @model_validator(mode="after")
    def _one_kind(self) -> BonusItem:
        kinds = [k for k, given in (("points", self.points is not None),
                                    ("funding", self.funding is not None),
                                    ("min and max", self.min is not None or self.max is not None)) if given]
        if len(kinds) != 1:
            raise PydanticCustomError("scheme.bonus_kind", "give exactly one of points, funding, or min and max")
        if kinds == ["min and max"] and (self.min is None or self.max is None or self.min > self.max):
            raise PydanticCustomError("scheme.bonus_range", "an item set per award needs min ≤ max")
        return self


class Bonus(Section):
    items: dict[BonusCode, BonusItem]
    caps: dict[CapKey, Points]

    @model_validator(mode="after")
    def _caps_over_items(self) -> Bonus:
        capped: dict[str, str] = {}
        for key in self.caps:
            for code in key.split("+"):
                item = self.items.get(code)
                if item is None:
                    raise InvalidCommand("scheme.cap_unknown_item", field=f"bonus.caps.{key}", code=code)
                if item.funding is not None:
                    raise InvalidCommand("scheme.cap_funding", field=f"bonus.caps.{key}", code=code)
                if code in capped:
                    raise InvalidCommand("scheme.cap_twice", field=f"bonus.caps.{key}", code=code,
                                         by=capped[code])
                capped[code] = key
        return self


class PenaltyItem(Section):
    name: Name
    points: Annotated[Number, Field(ge=0, le=100)]


class Penalty(Section):
    items: dict[PenaltyCode, PenaltyItem]
    falsified_evidence_item: PenaltyCode

    @model_validator(mode="after")
    def _derived_item(self) -> Penalty:
        if self.falsified_evidence_item not in self.items:
            raise InvalidCommand("scheme.not_penalty", field="penalty.falsified_evidence_item",
                                 code=self.falsified_evidence_item)
        return self


class Appeals(Section):
    """§9: the days a publication stays open to appeal ([default] 7)."""

    days: Annotated[int, Field(ge=0, le=365)] = 7


class Reminders(Section):
    """§11: a checkpoint is due soon within `due_soon_days` of its date ([default] 7); the daily
    reminders go out at `hour` o'clock in the office's zone ([default] 9)."""

    due_soon_days: Annotated[int, Field(ge=0, le=366)] = 7
    hour: Annotated[int, Field(ge=0, le=23)] = 9


class SchemeDocument(Section):
    version: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40)]
    title: Name
    source: Name
    #: when this version is in force from: the scheme's own start for the adopted one, the
    #: recorded time for an amendment (set by the ledger, never by a patch)
    in_force_from: AwareDatetime
    total: Total
    indicator: Indicator
    individual: Individual
    comprehensive: Comprehensive
    comp_kinds: CompKinds
    process: Process
    levels: Levels
    methods: Methods
    min_tasks: dict[Group, Annotated[int, Field(ge=0, le=100)]] = {}
    appeals: Appeals = Appeals()
    reminders: Reminders = Reminders()
    task_load: TaskLoad
    common: Common
    ballots: Ballots = Ballots()
    bands: Annotated[dict[Name, Band], Field(min_length=1)]
    bonus: Bonus
    penalty: Penalty

    @model_validator(mode="after")
    def _across_sections(self) -> SchemeDocument:
        ranks = sorted(band.rank for band in self.bands.values())
        if ranks != list(range(1, len(ranks) + 1)):
            raise InvalidCommand("scheme.band_ranks", field="bands", count=len(ranks), ranks=ranks)
        _one_in_all("bands", {label: band.share for label, band in self.bands.items()}, "shares")
        ordered = sorted(self.bands.values(), key=lambda band: band.rank)
        if any(worse.points > better.points for better, worse in zip(ordered, ordered[1:])):
            raise InvalidCommand("scheme.band_points", field="bands")
        levels = set(self.levels.departments) | set(self.levels.towns_zones)
        if self.task_load.gate_level not in levels:
            raise InvalidCommand("scheme.gate_level", field="task_load.gate_level",
                                 level=self.task_load.gate_level)
        return self


def canonical(document: Any) -> dict[str, Any]:
    """The document validated, as plain JSON (numbers as decimal strings, spelt as given); an
    InvalidCommand naming the path of the first problem otherwise."""
    if not isinstance(document, dict):
        raise InvalidCommand("scheme.not_object", field="scheme")
    try:
        model = SchemeDocument.model_validate(document)
    except ValidationError as error:
        errors = error.errors(include_url=False)
        first = next((e for e in errors if e["type"] == "extra_forbidden"), errors[0])
        path = ".".join(str(part) for part in first["loc"] if part != "[key]")
        if first["type"] == "extra_forbidden":
            raise InvalidCommand("scheme.unknown_key", field=path) from None
        code, zh, en = pydantic_words(first)
        raise InvalidCommand.worded(code, zh, en, field=path or "scheme") from None
    return model.model_dump(mode="json", exclude_none=True)


def upgraded(document: dict[str, Any]) -> dict[str, Any]:
    """A stored document in today's form: list-form caps and bands keyed, a start where it had
    none. A document already in today's form comes back as it is."""
    result = dict(document)
    bands = result.get("bands")
    if isinstance(bands, list):
        result["bands"] = {_band_label(band, i): {k: v for k, v in band.items() if k != "label"}
                           | {"rank": i + 1} for i, band in enumerate(bands) if isinstance(band, dict)}
    bonus = result.get("bonus")
    if isinstance(bonus, dict) and isinstance(bonus.get("caps"), list):
        result["bonus"] = {**bonus, "caps": {"+".join(cap["items"]): cap["cap"] for cap in bonus["caps"]
                                             if isinstance(cap, dict) and "items" in cap and "cap" in cap}}
    result.setdefault("in_force_from", LEGACY_START)
    return result


def keyed_patch(patch: dict[str, Any], base: dict[str, Any]) -> dict[str, Any]:
    """A stored amendment's patch in today's form. Recorded when lists were replaced whole by a
    merge patch, a list of caps or bands meant exactly those: keyed, it names the others with null,
    so that replaying it means what it meant then."""
    result = dict(patch)
    for section, key in (("bands", None), ("bonus", "caps")):
        given = result.get(section) if key is None else (result.get(section) or {}).get(key)
        if not isinstance(given, list):
            continue
        converted = upgraded({section: given} if key is None else {"bonus": {"caps": given}})
        new = converted[section] if key is None else converted["bonus"]["caps"]
        old = base.get(section, {}) if key is None else base.get("bonus", {}).get("caps", {})
        replaced = {name: None for name in old} | new
        if key is None:
            result[section] = replaced
        else:
            result["bonus"] = {**result["bonus"], "caps": replaced}
    return result


def _band_label(band: dict[str, Any], i: int) -> str:
    label = band.get("label")
    return label if isinstance(label, str) and label.strip() else f"band {i + 1}"


__all__ = ["LEGACY_START", "SchemeDocument", "canonical", "keyed_patch", "upgraded"]
