"""The write rules (`kaoping.domain.rules`) without a database: a ledger held in memory as the folds
of its streams, enough of a `LedgerView` for every decider, and `record`, which decides a command
and applies its entry to each stream the decision names, as the writer does (`ledger/writer.py`).

Used by the tests of each rules module (tests/test_rules_*.py); the same rules run on both stores in
tests/test_rejections.py and tests/test_rules_integrity.py."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from kaoping.domain.commands import parse_command
from kaoping.domain.errors import KaopingError
from kaoping.domain.events import EntryRecorded, stream_id
from kaoping.domain.folds import (PublicationsState, RegistryState, RoundState, StreamState,
                                  TokensState, UnitState, new_state)
from kaoping.domain.names import (PUBLICATIONS_STREAM, REGISTRY_STREAM, TOKENS_STREAM, round_stream,
                                  unit_of, unit_stream)
from kaoping.domain.principals import Principal
from kaoping.domain.rules import Decision, RecordedCommand, decide
from kaoping.ledger.admin import init_entries

SHANGHAI = ZoneInfo("Asia/Shanghai")
#: the clock of these tests: 2019-01-15 10:00 in Asia/Shanghai, as tests/conftest.py's `clock`
NOW = datetime(2019, 1, 15, 2, 0, tzinfo=timezone.utc)
_ids = itertools.count()


def _registry_entries() -> list[tuple[str, str, dict[str, Any]]]:
    """What `kaoping init` records in the registry (ledger/admin.py's own list)."""
    return init_entries()


@dataclass
class MemoryLedger:
    """Streams folded in memory, the command index as a dict; `now` is the ledger's clock."""

    now: datetime = NOW
    states: dict[str, StreamState] = field(default_factory=dict)
    commands: dict[str, RecordedCommand] = field(default_factory=dict)
    disputes: dict[str, str] = field(default_factory=dict)
    files: set[str] = field(default_factory=set)
    seqs: dict[str, int] = field(default_factory=dict)
    frozen: list[tuple[str, datetime]] = field(default_factory=list)

    def __post_init__(self) -> None:
        for command_id, kind, payload in _registry_entries():
            self._apply(REGISTRY_STREAM, kind, command_id, self.now, False, payload, "kaoping init")

    # -- the LedgerView the deciders read ---------------------------------------------------------
    @property
    def registry(self) -> RegistryState:
        return self.state(REGISTRY_STREAM)  # type: ignore[return-value]

    def state(self, stream: str) -> StreamState:
        if stream not in self.states:
            self.states[stream] = new_state(stream)
        return self.states[stream]

    def unit(self, code: str) -> UnitState:
        return self.state(unit_stream(code))  # type: ignore[return-value]

    def round(self, name: str) -> RoundState:
        return self.state(round_stream(name))  # type: ignore[return-value]

    def tokens(self) -> TokensState:
        return self.state(TOKENS_STREAM)  # type: ignore[return-value]

    def publications(self) -> PublicationsState:
        return self.state(PUBLICATIONS_STREAM)  # type: ignore[return-value]

    def first_seq(self, command_id: str) -> int | None:
        return self.seqs.get(command_id)

    def freeze(self, stage: str, as_of: datetime) -> dict[str, Any]:
        self.frozen.append((stage, as_of))
        return {"stage": stage, "as_of": as_of.isoformat(), "upto_seq": len(self.seqs),
                "tree_size": len(self.seqs), "rows": []}

    def command(self, command_id: str) -> RecordedCommand | None:
        return self.commands.get(command_id)

    def dispute_unit(self, dispute: str) -> str | None:
        stream = self.disputes.get(dispute)
        return unit_of(stream) if stream is not None else None

    def file_stored(self, sha256: str) -> bool:
        return sha256 in self.files

    # -- recording ---------------------------------------------------------------------------------
    def _apply(self, stream: str, kind: str, command_id: str, recorded_at: datetime, backdated: bool,
               payload: dict[str, Any], actor: str) -> None:
        state = self.state(stream)
        state.apply(EntryRecorded(
            originator_id=stream_id(stream), originator_version=state.version + 1, timestamp=self.now,
            stream=stream, entry_type=kind, command_id=command_id, actor=actor,
            recorded_at=recorded_at, backdated=backdated, payload=payload))
        self.seqs.setdefault(command_id, len(self.seqs) + 1)

    def decide(self, command: dict[str, Any], principal: Principal | None = None) -> Decision:
        """The decision on `command` (a dict as sent), appending nothing; raises the refusal."""
        return decide(parse_command(command), self, now=self.now, tz=SHANGHAI, principal=principal)

    def record(self, *commands: dict[str, Any], principal: Principal | None = None) -> list[Decision]:
        """Decide each command and apply its entry to the streams decided, as the writer does."""
        decisions = []
        for data in commands:
            cmd = parse_command(data)
            decision = decide(cmd, self, now=self.now, tz=SHANGHAI, principal=principal)
            for stream in decision.streams:
                self._apply(stream, cmd.type, cmd.id, decision.recorded_at, decision.backdated,
                            decision.payload, cmd.actor or "office")
            self.commands[cmd.id] = RecordedCommand(cmd.id, cmd.type, decision.streams,
                                                    decision.recorded_at, cmd.content_hash())
            if cmd.type == "dispute.filed":
                self.disputes[decision.payload["dispute"]] = decision.streams[0]
            decisions.append(decision)
        return decisions

    def refused(self, command: dict[str, Any], *, field: str, error: type[KaopingError] = KaopingError,
                code: str | None = None, principal: Principal | None = None) -> KaopingError:
        """The refusal of `command` (of the catalogue's `code`, when given), which must name `field`;
        nothing is recorded."""
        versions = {stream: state.version for stream, state in self.states.items()}
        with pytest.raises(error) as info:
            self.record(command, principal=principal)
        assert info.value.field == field, info.value
        assert code is None or info.value.code == code, info.value.code
        assert {stream: state.version for stream, state in self.states.items()
                if stream in versions} == versions
        return info.value


def new_id(prefix: str) -> str:
    return f"{prefix}-{next(_ids)}"


def task(unit: str = "D03", code: str = "P1", level: str = "provincial", method: str = "completion_ratio",
         **extra: Any) -> dict[str, Any]:
    command = {"id": new_id("task"), "type": "task.assigned", "unit": unit, "task": code, "title": "任务",
               "level": level, "method": method,
               "checkpoints": [{"checkpoint": "Q1", "due": "2019-03-31"},
                               {"checkpoint": "Q2", "due": "2019-06-30"}], **extra}
    if method == "completion_ratio" and "target" not in extra:
        command["target"] = "100"
    return command


def report(unit: str = "D03", code: str = "P1", checkpoint: str = "Q1", **extra: Any) -> dict[str, Any]:
    return {"id": new_id("report"), "type": "checkpoint.reported", "unit": unit, "task": code,
            "checkpoint": checkpoint, "reported_on": "2019-01-15", "completed": True, **extra}
