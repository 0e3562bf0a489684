"""The ledger's names, each with one home: streams, figures, stages, groups, kinds of entry.

Everything that spells a stream name, lists the contract's figures or tells which entries are final
imports it from here, so that a search for a name lands on its definition and a new reader (a page,
a sheet, a projection) cannot drift from the others. Chinese labels for these names are in
`domain.labels`.
"""

from __future__ import annotations

from typing import Literal

# -- streams ---------------------------------------------------------------------------------------
#: the scheme, the common indicators and the units
REGISTRY_STREAM = "registry"
#: the bearer tokens (their hashes), created and revoked as entries
TOKENS_STREAM = "tokens"
#: the published results (公示), each with its frozen standings and appeal window
PUBLICATIONS_STREAM = "publications"
#: the witnesses the office registered (their cosigner keys), added and removed as entries
WITNESSES_STREAM = "witnesses"
_UNIT = "unit:"
_ROUND = "round:"

StreamKind = Literal["unit", "round", "registry", "tokens", "publications", "witnesses"]


def unit_stream(code: str) -> str:
    """A unit's own stream: "unit:D03"."""
    return _UNIT + code


def round_stream(name: str) -> str:
    """A ballot round's stream: "round:half_year"."""
    return _ROUND + name


def parse_stream(stream: str) -> tuple[StreamKind, str]:
    """("unit", "D03") for "unit:D03", ("round", "half_year") for "round:half_year", and the
    registry, tokens, publications and witnesses streams as (their name, "")."""
    if stream.startswith(_UNIT):
        return "unit", stream[len(_UNIT):]
    if stream.startswith(_ROUND):
        return "round", stream[len(_ROUND):]
    if stream == REGISTRY_STREAM:
        return "registry", ""
    if stream == TOKENS_STREAM:
        return "tokens", ""
    if stream == PUBLICATIONS_STREAM:
        return "publications", ""
    if stream == WITNESSES_STREAM:
        return "witnesses", ""
    raise ValueError(f"not a stream name: {stream!r}")


def unit_code(code: str) -> str:
    """The one spelling of a unit code (and of the scheme's item and indicator codes): codes are
    read case-insensitively everywhere, commands and readers alike, and stored upper-cased."""
    return code.strip().upper()


def unit_of(stream: str) -> str | None:
    """The unit code of a unit stream, None for any other stream."""
    return stream[len(_UNIT):] if stream.startswith(_UNIT) else None


def is_round(stream: str) -> bool:
    return stream.startswith(_ROUND)


def is_shared(stream: str) -> bool:
    """Streams every unit's score may read: the ballot rounds and the registry."""
    return stream.startswith(_ROUND) or stream == REGISTRY_STREAM


# -- figures, stages, groups -----------------------------------------------------------------------
#: the contract's figures of a score (`kaoping score --json`), in its order
FIGURES = ("total", "indicator", "individual", "process", "annual_individual", "task_load_bonus",
           "common", "chuangcheng", "comprehensive", "half_year_comp", "year_end_comp", "bonus",
           "penalty")

#: the figure each stage ranks by (docs/commands.md §4: `half_year` is the half-year comprehensive
#: evaluation, `annual` the total)
STAGES = {"process": "process", "half_year": "half_year_comp", "annual": "total"}

#: the standings groups (docs/scheme.md §1)
GROUPS = ("departments", "towns_zones")

# -- kinds of entry --------------------------------------------------------------------------------
#: entries that settle something for good: they can be neither voided nor disputed
FINAL_TYPES = frozenset({"entry.voided", "dispute.resolved", "round.closed"})
#: entries that are not about a unit's performance and so cannot be disputed
UNDISPUTABLE_TYPES = FINAL_TYPES | {"ballot.cast", "dispute.filed"}
