"""The contract's commands (docs/commands.md §2 "录入：命令"), one pydantic model each.

Validation here is only what a command says about itself (types, ranges, required fields); rules that
need the ledger (unknown units, a task assigned twice, a closed round) live in `domain.rules`.
"""

from __future__ import annotations

import hashlib
import json
import re
from datetime import date, datetime, timezone
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Literal, Union

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    StrictBool,
    StrictInt,
    StringConstraints,
    TypeAdapter,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from .decimals import exact
from .errors import InvalidCommand
from .names import unit_code
from .refusals import joined, pydantic_words


def _sane_decimal(value: Decimal) -> Decimal:
    """Scores, points and amounts are ordinary numbers: refuse exponents no ledger figure needs
    (they would store a million digits, or round to a zero that passed a `> 0` check)."""
    if value != 0 and not -12 <= value.adjusted() <= 15:
        raise PydanticCustomError("number.out_of_range", "a number between 1e-12 and 1e15 in size is expected")
    return value


Dec = Annotated[Decimal, AfterValidator(_sane_decimal),
                PlainSerializer(exact, return_type=str, when_used="json")]

#: characters no free text may hold: control codes but tab and line breaks, C1 controls (U+0085),
#: lone surrogates (they cannot be stored as UTF-8) and the bidirectional overrides and isolates
#: that make text read other than it is stored (U+202A–U+202E, U+2066–U+2069)
_UNSAFE_TEXT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff"
                          "\u202a-\u202e\u2066-\u2069\u2028\u2029\ufeff]")


def _code_point(character: str) -> str:
    return f"U+{ord(character):04X}"


def _safe_text(value: str) -> str:
    bad = _UNSAFE_TEXT.search(value)
    if bad:
        raise PydanticCustomError("text.characters", "a control, direction or lone surrogate character "
                                  "({bad}) is not allowed", {"bad": _code_point(bad.group())})
    return value


Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000),
                 AfterValidator(_safe_text)]

#: the alphabet of ids and codes (docs/commands.md §2's `id`, unit, task, checkpoint, evidence, dispute…):
#: ASCII letters and digits, CJK ideographs, and `-` `_` `.` `:`; at most CODE_LENGTH characters
#: after surrounding spaces are stripped. They are keys, shown in tables, pages and file names:
#: nothing in them may be markup, a control or a direction override.
CODE_LENGTH = 64
_CODE_CHARACTER = re.compile("[A-Za-z0-9\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff_.:-]")


#: a name (an `actor`, a ballot's `rater`, which is a token's actor) may also hold inner spaces
#: and the middle dot of transcribed names (·)
_NAME_CHARACTER = re.compile("[ \u00b7A-Za-z0-9\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff_.:-]")


#: the same alphabets, whole strings at once: one match per value instead of one per character
#: (the per-character loop below only runs to name the first character that is not allowed)
_CODE_STRING = re.compile(_CODE_CHARACTER.pattern + "*")
_NAME_STRING = re.compile(_NAME_CHARACTER.pattern + "*")


def _checked(value: str, allowed: re.Pattern[str], code: str,
             whole: re.Pattern[str] | None = None) -> str:
    if whole is not None and whole.fullmatch(value):
        return value
    for character in value:
        if not allowed.fullmatch(character):
            shown = character if character.isprintable() and character.isascii() else _code_point(character)
            raise PydanticCustomError(code, "only letters, digits, CJK ideographs and - _ . : are allowed "
                                      "({bad} is not)", {"bad": shown, "length": CODE_LENGTH})
    return value


def _safe_code(value: str) -> str:
    return _checked(value, _CODE_CHARACTER, "code.alphabet", _CODE_STRING)


def _safe_name(value: str) -> str:
    return _checked(value, _NAME_CHARACTER, "name.alphabet", _NAME_STRING)


Code = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=CODE_LENGTH),
                 AfterValidator(_safe_code)]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=CODE_LENGTH),
                 AfterValidator(_safe_name)]


def _iso_date(value: Any) -> Any:
    """A date is the contract's `YYYY-MM-DD`, as text: not a number of seconds, not a datetime."""
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if not isinstance(value, str) or not _ISO_DATE.fullmatch(value.strip()):
        raise PydanticCustomError("date_type", "a date YYYY-MM-DD is expected")
    return value.strip()


def _iso_moment(value: Any) -> Any:
    """A time is ISO 8601 text with its offset, not a number of seconds."""
    if isinstance(value, datetime) or value is None:
        return value
    if not isinstance(value, str) or not _ISO_MOMENT.match(value.strip()):
        raise PydanticCustomError("datetime_type", "an ISO 8601 datetime is expected")
    return value.strip()


_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_ISO_MOMENT = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")
IsoDate = Annotated[date, BeforeValidator(_iso_date)]
Moment = Annotated[AwareDatetime, BeforeValidator(_iso_moment)]
Count = Annotated[StrictInt, Field(ge=1, le=1000)]

#: a code the registry or the scheme defines (a unit D03, an indicator C02, an item B3 or P8): read
#: case-insensitively, stored upper-cased, as every reader reads it (`names.unit_code`)
RegistryCode = Annotated[Code, AfterValidator(unit_code)]
OptionalText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000),
                         AfterValidator(_safe_text)]

Level = Literal["provincial", "municipal", "own", "county"]
Method = Literal["completion_ratio", "direct_deduction", "veto", "cumulative"]
Round = Literal["half_year", "year_end"]
Group = Literal["departments", "towns_zones"]


#: a stored file's key (docs/commands.md §10.1): its SHA-256, 64 hexadecimal digits, kept lower-case
Sha256 = Annotated[str, StringConstraints(pattern=r"^[0-9a-fA-F]{64}$"), AfterValidator(str.lower)]


class Source(BaseModel):
    """Where a command was read from (docs/commands.md §10.2): a stored file, and the place in it."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    file: Sha256
    sheet: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200),
                     AfterValidator(_safe_text)] | None = None
    row: Annotated[StrictInt, Field(ge=1, le=10_000_000)] | None = None


class Command(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    if TYPE_CHECKING:  # every command class declares its own `type: Literal[...]`
        type: str

    id: Code
    actor: Name | None = None
    recorded_at: Moment | None = None
    #: the stored file (and sheet and row) the command was read from, where it was (§10.2)
    source: Source | None = None

    @field_validator("recorded_at")
    @classmethod
    def _convertible(cls, value: datetime | None) -> datetime | None:
        if value is not None:
            try:
                value.astimezone(timezone.utc)
            except OverflowError:
                raise PydanticCustomError("recorded_at.out_of_range", "out of range") from None
        return value

    #: the fields other than these describe what happened; they are the entry's payload
    META_FIELDS: ClassVar[frozenset[str]] = frozenset({"id", "type", "actor", "recorded_at"})
    #: optional fields added since entries were first stored: left out of the payload when not
    #: given, so that an entry of before and a command sent again as it was hash as they did
    ADDED_FIELDS: ClassVar[frozenset[str]] = frozenset({"source"})

    def payload(self) -> dict[str, Any]:
        payload = self.model_dump(mode="json", exclude=set(self.META_FIELDS))
        for name in self.ADDED_FIELDS:
            if payload.get(name) is None:
                payload.pop(name, None)
        if isinstance(payload.get("source"), dict):
            payload["source"] = {k: v for k, v in payload["source"].items() if v is not None}
        return payload

    def content_hash(self, payload: dict[str, Any] | None = None) -> str:
        """What makes a retry a duplicate: the command as sent, but not who sent it or when it arrived.
        `payload` is `self.payload()` when the caller has already made it; it is not changed."""
        return content_hash(self.type, self.payload() if payload is None else payload,
                            self.recorded_at)


def content_hash(kind: str, payload: dict[str, Any], recorded_at: datetime | None) -> str:
    """A command's content hash from what its entries keep (type, payload and, when the command
    gave it, `recorded_at`): `verify` recomputes the command index's hashes with it."""
    content = dict(payload)
    content["type"] = kind
    if recorded_at is not None:
        content["recorded_at"] = recorded_at.astimezone(timezone.utc).isoformat()
    canonical = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


class CheckpointSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    checkpoint: Code
    due: IsoDate


class PointsLine(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    points: Annotated[Dec, Field(ge=0, le=1000)]
    reason: OptionalText = ""


#: a task's `target` is its 目标值 (the field name alone reads as a void's target entry)
TARGET = "目标值（target）"


class TaskAssigned(Command):
    type: Literal["task.assigned"]
    unit: RegistryCode
    task: Code
    title: Text
    level: Level
    method: Method
    target: Annotated[Dec, Field(gt=0)] | None = None
    weight: Annotated[Dec, Field(gt=0, le=1000)] = Decimal(1)
    role: Literal["lead", "co"] | None = None
    difficulty: Annotated[Dec, Field(gt=0, le=1000)] = Decimal(1)
    important: StrictBool = False
    checkpoints: list[CheckpointSpec] = []

    @model_validator(mode="after")
    def _method_and_role(self) -> TaskAssigned:
        if self.method == "completion_ratio" and self.target is None:
            raise InvalidCommand("task.target_required", field="target", label=TARGET)
        if self.method != "completion_ratio" and self.target is not None:
            raise InvalidCommand("task.target_only_ratio", field="target", label=TARGET)
        if self.level in ("provincial", "municipal"):
            if self.role is None:
                object.__setattr__(self, "role", "lead")
        else:
            # role and difficulty qualify provincial and municipal tasks only (docs/scheme.md §3): on
            # another level they would be stored and silently mean nothing
            for name in ("role", "difficulty"):
                if name in self.model_fields_set:
                    raise InvalidCommand("task.only_upper_levels", field=name)
        codes = [c.checkpoint for c in self.checkpoints]
        if len(codes) != len(set(codes)):
            repeated = sorted({code for code in codes if codes.count(code) > 1})
            raise InvalidCommand("task.checkpoint_repeated", field="checkpoints", codes=repeated)
        return self


class TaskWithdrawn(Command):
    type: Literal["task.withdrawn"]
    unit: RegistryCode
    task: Code
    reason: Text


class CheckpointReported(Command):
    type: Literal["checkpoint.reported"]
    unit: RegistryCode
    task: Code
    checkpoint: Code
    reported_on: IsoDate
    completed: StrictBool
    quality: Literal["ok", "poor"] = "ok"
    note: OptionalText = ""


class EvidenceSubmitted(Command):
    """Evidence for a task's checkpoint (`task`, `checkpoint`), or for a common indicator and its
    sub-indicator (`indicator`, `sub`) instead (docs/commands.md §10.1, docs/scheme.md §4.1)."""

    type: Literal["evidence.submitted"]
    unit: RegistryCode
    evidence: Code
    task: Code | None = None
    checkpoint: Code | None = None
    indicator: RegistryCode | None = None
    sub: Annotated[Code, AfterValidator(unit_code)] | None = None
    title: Text
    sha256: Sha256

    ADDED_FIELDS: ClassVar[frozenset[str]] = Command.ADDED_FIELDS | {"task", "checkpoint", "indicator", "sub"}

    @model_validator(mode="after")
    def _task_or_indicator(self) -> EvidenceSubmitted:
        on_task = self.task is not None or self.checkpoint is not None
        on_indicator = self.indicator is not None or self.sub is not None
        if on_task == on_indicator:
            raise InvalidCommand("evidence.task_or_indicator", field="indicator" if on_indicator else "task")
        if on_task and (self.task is None or self.checkpoint is None):
            raise InvalidCommand.worded("missing", "必须填写", "field required",
                                        field="checkpoint" if self.task is not None else "task")
        if on_indicator and self.indicator is None:
            raise InvalidCommand.worded("missing", "必须填写", "field required", field="indicator")
        return self


class EvidenceVerified(Command):
    type: Literal["evidence.verified"]
    unit: RegistryCode
    evidence: Code
    outcome: Literal["confirmed", "discrepancy", "falsified"]
    method: Literal["online", "on_site"]
    verified_on: IsoDate
    #: the files the verifier saw or photographed on site, each already stored
    files: Annotated[list[Sha256], Field(max_length=50)] | None = None

    ADDED_FIELDS: ClassVar[frozenset[str]] = Command.ADDED_FIELDS | {"files"}


class TaskAssessed(Command):
    type: Literal["task.assessed"]
    unit: RegistryCode
    task: Code
    actual: Annotated[Dec, Field(ge=0)] | None = None
    deductions: list[PointsLine] | None = None
    vetoed: StrictBool | None = None
    points: list[PointsLine] | None = None

    #: which field carries the result for each scoring method
    RESULT_FIELD: ClassVar[dict[str, str]] = {
        "completion_ratio": "actual",
        "direct_deduction": "deductions",
        "veto": "vetoed",
        "cumulative": "points",
    }

    @model_validator(mode="after")
    def _one_result(self) -> TaskAssessed:
        given = [f for f in self.RESULT_FIELD.values() if getattr(self, f) is not None]
        if len(given) != 1:
            raise InvalidCommand("assessment.one_result",
                                 field=given[1] if len(given) > 1 else "actual")
        return self

    def result_field(self) -> str:
        return next(f for f in self.RESULT_FIELD.values() if getattr(self, f) is not None)


class CommonPart(BaseModel):
    """§4.1 (docs/commands.md §10.4): one core sub-indicator's score within a common score."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    sub: RegistryCode
    score: Annotated[Dec, Field(ge=0, le=100)]


class CommonScored(Command):
    type: Literal["common.scored"]
    unit: RegistryCode
    indicator: RegistryCode
    #: required unless `parts` gives it (the ledger then records their weighted mean)
    score: Annotated[Dec, Field(ge=0, le=100)] | None = None
    #: one score per sub-indicator, where the scheme in force has them (docs/commands.md §10.4)
    parts: Annotated[list[CommonPart], Field(min_length=1, max_length=10)] | None = None

    ADDED_FIELDS: ClassVar[frozenset[str]] = Command.ADDED_FIELDS | {"score", "parts"}

    @model_validator(mode="after")
    def _score_or_parts(self) -> CommonScored:
        if self.score is None and self.parts is None:
            raise InvalidCommand("common.score_missing", field="score")
        return self


class BallotCast(Command):
    type: Literal["ballot.cast"]
    round: Round
    kind: Literal["leader", "office", "mutual"]
    rater: Name
    group: Group
    ranking: Annotated[list[RegistryCode], Field(min_length=1)]

    @model_validator(mode="after")
    def _mutual_rater_is_a_unit(self) -> BallotCast:
        if self.kind == "mutual":
            object.__setattr__(self, "rater", unit_code(self.rater))
        return self

    @field_validator("ranking")
    @classmethod
    def _no_repeat(cls, ranking: list[str]) -> list[str]:
        seen: set[str] = set()
        for unit in ranking:
            if unit in seen:
                raise PydanticCustomError("ballot.ranked_twice", "{unit} is ranked twice", {"unit": unit})
            seen.add(unit)
        return ranking


class BonusAwarded(Command):
    type: Literal["bonus.awarded"]
    unit: RegistryCode
    item: RegistryCode
    count: Count = 1
    points: Dec | None = None
    reason: Text


class FundingRecorded(Command):
    type: Literal["funding.recorded"]
    unit: RegistryCode
    amount: Annotated[Dec, Field(gt=0)]
    #: the funds' source, in words (the contract's field since the start); an object here is the
    #: provenance every command may carry (docs/commands.md §10.2), as the two share a name
    source: OptionalText | Source = ""  # type: ignore[assignment]
    reason: OptionalText = ""


class PenaltyImposed(Command):
    type: Literal["penalty.imposed"]
    unit: RegistryCode
    item: RegistryCode
    count: Count = 1
    reason: Text


class EntryVoided(Command):
    type: Literal["entry.voided"]
    target: Code
    reason: Text


class VoidRequested(Command):
    """A unit asks the office to void an entry it recorded itself (a wrong report): the contract
    does not let a unit dispute its own entry, so the request is an entry of its own, which the
    office answers with `entry.voided` — of the target to grant it, of the request to decline it."""

    type: Literal["void.requested"]
    unit: RegistryCode
    target: Code
    reason: Text


class DisputeFiled(Command):
    type: Literal["dispute.filed"]
    unit: RegistryCode
    dispute: Code
    target: Code
    reason: Text


class DisputeResolved(Command):
    type: Literal["dispute.resolved"]
    dispute: Code
    outcome: Literal["upheld", "rejected"]
    reason: Text


class RoundClosed(Command):
    type: Literal["round.closed"]
    round: Round


class ResultsPublished(Command):
    """公示: the ledger freezes the standings of `stage` as of `as_of` into the entry it appends
    (docs/scheme.md §9; docs/commands.md §7 "公示")."""

    type: Literal["results.published"]
    stage: Literal["process", "half_year", "annual"]
    as_of: Annotated[str, StringConstraints(strip_whitespace=True, min_length=10, max_length=40)] | None = None
    title: Text
    appeal_days: Annotated[StrictInt, Field(ge=0, le=366)] | None = None


AnyCommand = Annotated[
    Union[
        TaskAssigned,
        TaskWithdrawn,
        CheckpointReported,
        EvidenceSubmitted,
        EvidenceVerified,
        TaskAssessed,
        CommonScored,
        BallotCast,
        BonusAwarded,
        FundingRecorded,
        PenaltyImposed,
        EntryVoided,
        VoidRequested,
        DisputeFiled,
        DisputeResolved,
        RoundClosed,
        ResultsPublished,
    ],
    Field(discriminator="type"),
]

COMMAND_TYPES: dict[str, type[Command]] = {
    model.model_fields["type"].annotation.__args__[0]: model  # type: ignore[union-attr]
    for model in AnyCommand.__origin__.__args__  # type: ignore[attr-defined]
}

_adapter: TypeAdapter[Any] = TypeAdapter(AnyCommand)


_name_adapter: TypeAdapter[str] = TypeAdapter(Name)


def checked_name(value: Any, field: str) -> str:
    """A name outside a command (a token's actor, which its ballots give as `rater`), held to the
    alphabet a command's names keep to."""
    try:
        return _name_adapter.validate_python(value)
    except ValidationError as error:
        code, zh, en = pydantic_words(error.errors(include_url=False)[0])
        raise InvalidCommand.worded(code, zh, en, field=field) from None


def _field_of(loc: tuple[Any, ...], data: Any) -> str:
    # pydantic puts the union's tag first in the location; the caller knows the field, not the tag
    parts = list(loc)
    if parts and isinstance(data, dict) and parts[0] == data.get("type"):
        parts = parts[1:]
    return ".".join(str(p) for p in parts) or "type"


def parse_command(data: Any) -> Command:
    """Validate one command object; raise InvalidCommand naming the first offending field."""
    allowed = joined(sorted(COMMAND_TYPES))
    if not isinstance(data, dict):
        raise InvalidCommand("command.not_object", field="")
    if "type" not in data:
        raise InvalidCommand("command.type_missing", field="type", allowed=allowed)
    if not isinstance(data["type"], str) or data["type"] not in COMMAND_TYPES:
        raise InvalidCommand("command.type_unknown", field="type", allowed=allowed,
                             given=str(data["type"])[:CODE_LENGTH])
    try:
        return _adapter.validate_python(data)
    except ValidationError as error:
        errors = error.errors(include_url=False)
        # a stray key is most often a misspelt one: name it, not the field it left missing
        unknown = [e for e in errors if e["type"] == "extra_forbidden"]
        if unknown:
            field = _field_of(unknown[0]["loc"], data)
            raise InvalidCommand("command.field_unknown", field=field,
                                 name=field.rsplit(".", 1)[-1][:CODE_LENGTH], type=data["type"]) from None
        first = errors[0]
        field = _field_of(first["loc"], data)
        code, zh, en = pydantic_words(first)
        label = TARGET if field == "target" and data["type"] == "task.assigned" else None
        raise InvalidCommand.worded(code, zh, en, field=field, label=label) from None
