"""Imports of spreadsheets (docs/commands.md §10.3): a file's bytes read into sheets of cells
(xlsx through python-calamine, or openpyxl read only where a sheet holds formulas, whose cells
without a cached value it finds; CSV in UTF-8 with or without its BOM, or GB18030), the cells
read into commands by the pure `domain.sheets_in`, and the commands held to the ledger before
anything is appended:

- a row whose id was recorded before with the same content (its `source` aside: the same row from
  a file saved again) is a duplicate and is left out; with other content it is an error naming
  the entry's seq;
- a node result whose checkpoint a unit has already reported through the pages is a duplicate where
  the report says the same (date, completed, quality) and an error listing the difference where it
  does not, for the office to decide: nothing is appended until it does;
- the rest are decided on a trial group of the write path (`Writer.group`: the same role check and
  rules as an append, nothing stored), every refusal put on its row, and the figures they would move
  are computed from the log with them (`Reader.as_if`, as a dispute's preview is).

The caller appends the commands as one batch (the HTTP app through the group committer, the CLI
through `Ledger.ingest`) after storing the sheet as a file; `Imports` appends nothing itself.
"""

from __future__ import annotations

import bisect
import csv
import hashlib
import io
import re
import time
import zipfile
from dataclasses import dataclass, field
from typing import Any

from kaoping.domain import commands as c
from kaoping.domain import policy
from kaoping.domain.decimals import fmt
from kaoping.domain.entries import Entry, by_seq
from kaoping.domain.errors import InvalidCommand, KaopingError
from kaoping.domain.names import FIGURES
from kaoping.domain.principals import Principal
from kaoping.domain.sheets_in import HEADER_SEARCH, KINDS, Grid, Known, Read, error_order, read_sheets
from kaoping.domain.standings import by_group

from .entry_log import EntryLog
from .reader import Reader
from .settings import Settings
from .store import Index
from .streams import StreamStates
from .writer import BatchRejected, Writer, parsed

#: a cell's formula element in a worksheet's XML (`<f>`, `<f t="shared" …>`, `<x:f>`), not `<formula1>`
FORMULA = re.compile(rb"<(?:\w+:)?f[ >/]")
OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP = b"PK\x03\x04"
#: how many refusals a trial puts on their rows before it stops looking for more
TRIAL_ROUNDS = 200
#: nor for longer than this (each refusal decides the rest again)
TRIAL_SECONDS = 5.0


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def read_book(data: bytes, name: str) -> list[Grid]:
    """The file's sheets as cells; InvalidCommand (import.not_sheet, import.encrypted) for a file
    that is not a spreadsheet this reads."""
    if data.startswith(OLE2):
        if "EncryptionInfo".encode("utf-16-le") in data:
            raise InvalidCommand("import.encrypted", field="file", name=name)
        raise InvalidCommand("import.not_sheet", field="file", name=name,
                             reason="旧的 Excel 97–2003（xls）格式，请另存为 xlsx")
    if data.startswith(ZIP):
        return _xlsx(data, name)
    return _csv(data, name)


def _xlsx(data: bytes, name: str) -> list[Grid]:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            formulas = any(FORMULA.search(archive.read(info)) for info in archive.infolist()
                           if info.filename.startswith("xl/worksheets/") and info.filename.endswith(".xml"))
    except Exception as error:  # not a ZIP after all, a damaged one
        raise InvalidCommand("import.not_sheet", field="file", name=name, reason=type(error).__name__) from None
    if not formulas:  # python-calamine (Rust) reads cells ~30 times faster; formulas need openpyxl's detail
        grids = _calamine(data)
        if grids is not None:
            return grids
    return _openpyxl(data, name, formulas)


def _calamine(data: bytes) -> list[Grid] | None:
    """The workbook's sheets read by python-calamine; None where it is not installed or cannot read
    the file (openpyxl then tries, and names the problem)."""
    try:
        from python_calamine import CalamineWorkbook
    except ImportError:
        return None
    try:
        book = CalamineWorkbook.from_filelike(io.BytesIO(data))
        grids = []
        for sheet_name in book.sheet_names:
            rows = book.get_sheet_by_name(sheet_name).to_python(skip_empty_area=False)
            grids.append(Grid(sheet_name, [[None if cell == "" else cell for cell in row] for row in rows]))
        return grids
    except Exception:  # noqa: BLE001 - openpyxl reads it again and says what is wrong
        return None


def _openpyxl(data: bytes, name: str, formulas: bool) -> list[Grid]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as error:  # a ZIP that is not a workbook, a damaged one
        raise InvalidCommand("import.not_sheet", field="file", name=name, reason=type(error).__name__) from None
    grids = []
    try:
        for sheet in book.worksheets:
            rows = [list(row) for row in sheet.iter_rows(values_only=True)]
            grids.append(Grid(sheet.title, rows))
    finally:
        book.close()
    if formulas:  # which formula cells had no cached value: read the formulas themselves
        raw = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
        try:
            for i, sheet in enumerate(raw.worksheets):
                uncached = set()
                for r, row in enumerate(sheet.iter_rows(values_only=True), start=1):
                    for col, value in enumerate(row, start=1):
                        if isinstance(value, str) and value.startswith("="):
                            cached = grids[i].rows[r - 1][col - 1] if r <= len(grids[i].rows) and \
                                col <= len(grids[i].rows[r - 1]) else None
                            if cached is None:
                                uncached.add((r, col))
                if uncached:
                    grids[i] = Grid(grids[i].name, grids[i].rows, frozenset(uncached))
        finally:
            raw.close()
    return grids


def _csv(data: bytes, name: str) -> list[Grid]:
    if b"\x00" in data[:65536]:
        raise InvalidCommand("import.not_sheet", field="file", name=name, reason="二进制文件")
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise InvalidCommand("import.not_sheet", field="file", name=name, reason="既不是 UTF-8 也不是 GB18030 编码")
    try:
        rows = [list(row) for row in csv.reader(io.StringIO(text, newline=""))]
    except csv.Error as error:
        raise InvalidCommand("import.not_sheet", field="file", name=name, reason=str(error)) from None
    stem = name.rsplit(".", 1)[0].strip() or "CSV"
    return [Grid(stem[:100], [[cell if cell.strip() else None for cell in row] for row in rows])]


@dataclass
class Plan:
    """An import as the ledger would take it: the commands to append (duplicates left out), every
    error, and the rows read. `results` and `moves` are filled by a trial or an append."""

    kind: str
    file_sha256: str
    name: str
    rows: int
    commands: list[dict[str, Any]]
    errors: list[dict[str, Any]]
    #: the ids of rows already recorded with the same content (or reported the same by a unit)
    duplicates: list[str] = field(default_factory=list)
    moves: list[dict[str, Any]] = field(default_factory=list)
    results: list[dict[str, Any]] = field(default_factory=list)
    applied: bool = False
    #: command id → (sheet, row, column): where a refusal of it is shown
    places: dict[str, tuple[str, int, str | None]] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "file_sha256": self.file_sha256, "name": self.name, "rows": self.rows,
                "commands": len(self.commands) + len(self.duplicates), "applied": self.applied,
                "appended": sum(1 for r in self.results if not r["duplicate"]) if self.applied else 0,
                "duplicates": len(self.duplicates),
                "errors": error_order(self.errors), "moves": self.moves, "results": self.results,
                "preview": self.commands[:200]}

    def refused(self, rejected: BatchRejected) -> None:
        """A refusal of the write path, put on its row."""
        error = rejected.error
        command_id = rejected.command_id or ""
        sheet, row, column = self.places.get(command_id, (None, None, None))
        self.errors.append({"sheet": sheet, "row": row, "column": column, "field": error.field,
                            "value": None, "message": error.message, "code": error.code})


class Imports:
    def __init__(self, writer: Writer, reader: Reader, streams: StreamStates, index: Index, log: EntryLog,
                 settings: Settings):
        self.writer, self.reader, self.streams, self.index, self.log = writer, reader, streams, index, log
        self.settings = settings

    def known(self, principal: Principal) -> Known:
        registry = self.streams.registry()
        tasks = {}
        for code in registry.units:
            for task, state in self.streams.unit(code).tasks.items():
                tasks[(code, task)] = state.method
        kind, rater = policy.ballot_caster(principal) or (None, None)
        return Known({u.code: (u.name, u.group) for u in registry.units.values()},
                     {i.code: i.name for i in registry.indicators.values()}, tasks, self.settings.zone,
                     kind, rater)

    def plan(self, kind: str, data: bytes, name: str, principal: Principal) -> Plan:
        """The sheet read and held to the ledger; nothing appended (InvalidCommand for an unknown
        kind or a file that is not a spreadsheet)."""
        if kind not in KINDS:
            raise InvalidCommand("import.kind_unknown", field="kind", kind=str(kind)[:40], allowed=list(KINDS))
        sha = sha256_of(data)
        grids = read_book(data, name)
        rows = sum(sum(1 for row in g.rows if any(v is not None and str(v).strip() for v in row)) for g in grids)
        limit = self.settings.max_batch_commands
        # far over the limit: said before a row is read (a title and a header a sheet allowed for)
        if rows - HEADER_SEARCH * len(grids) > limit:
            error = InvalidCommand("import.too_many_rows", field="file", count=rows - len(grids), limit=limit)
            return Plan(kind, sha, name, rows - len(grids), [], [_whole(error, grids[0].name)])
        read = read_sheets(kind, grids, self.known(principal), sha)
        if read.rows > limit:  # the data rows counted as the import counts them: the one error
            error = InvalidCommand("import.too_many_rows", field="file", count=read.rows, limit=limit)
            return Plan(kind, sha, name, read.rows, [], [_whole(error, grids[0].name)])
        plan = Plan(kind, sha, name, read.rows, [], list(read.errors))
        self._recorded(plan, read)
        return plan

    def _recorded(self, plan: Plan, read: Read) -> None:
        """Rows already recorded: duplicates left out, differences listed as errors."""
        ids = [command["id"] for command in read.commands]
        recorded = self.index.commands(ids)
        entries = self.log.refresh() if recorded or plan.kind == "node_results" else []
        reports = self._reports(entries) if plan.kind == "node_results" else {}
        for i, command in enumerate(read.commands):
            place = read.place_of(i, None)
            sheet, row, column = place if place else (command["source"]["sheet"], command["source"]["row"], None)
            plan.places[command["id"]] = (sheet, row, column)
            earlier = recorded.get(command["id"])
            if earlier is not None:
                entry = _entry(entries, self.index.seqs(command["id"]))
                if entry is not None and _same(entry.payload, command):
                    plan.duplicates.append(command["id"])
                else:
                    plan.errors.append({"sheet": sheet, "row": row, "column": column, "field": "id",
                                        "value": command["id"], "code": "import.recorded_differs",
                                        "message": InvalidCommand("import.recorded_differs",
                                                                  seq=entry.seq if entry else "?",
                                                                  id=command["id"]).message})
                continue
            if plan.kind == "node_results":
                report = reports.get((command["unit"], command["task"], command["checkpoint"]))
                if report is not None:
                    differs = [name for name, key, default in (("报告日期", "reported_on", None),
                                                              ("是否完成", "completed", None),
                                                              ("质量", "quality", "ok"))
                               if report.payload.get(key, default) != command.get(key, default)]
                    if not differs:
                        plan.duplicates.append(command["id"])
                    else:
                        plan.errors.append({"sheet": sheet, "row": row, "column": column, "field": "checkpoint",
                                            "value": command["checkpoint"], "code": "import.report_differs",
                                            "message": InvalidCommand("import.report_differs", seq=report.seq,
                                                                      differs="、".join(differs)).message})
                    continue
            plan.commands.append(command)

    @staticmethod
    def _reports(entries: list[Entry]) -> dict[tuple[str, str, str], Entry]:
        """Each checkpoint's standing report (the latest not voided)."""
        voided = {e.payload["target"] for e in entries if e.type == "entry.voided"}
        voided |= {e.payload.get("target") for e in entries
                   if e.type == "dispute.resolved" and e.payload.get("outcome") == "upheld"}
        reports = {}
        for entry in entries:
            if entry.type == "checkpoint.reported" and entry.id not in voided:
                p = entry.payload
                reports[(p["unit"], p["task"], p["checkpoint"])] = entry
        return reports

    def trial(self, plan: Plan, principal: Principal, actor: str, *, moves: bool = True) -> None:
        """Decide the plan's commands on a trial group of the write path, nothing stored: every
        refusal put on its row; with no error, the figures they would move (`plan.moves`)."""
        commands = list(plan.commands)
        if not commands:
            return
        rounds, started = 0, time.monotonic()
        while commands and rounds < TRIAL_ROUNDS and time.monotonic() - started < TRIAL_SECONDS:
            rounds += 1
            try:
                cmds = parsed(commands, principal, namespaced=self.settings.unit_namespaces)
                group = self.writer.group([cmd.id for cmd in cmds])
                # the sheet itself is stored only when the import is committed: the trial takes it
                # as stored (it is the file every command's `source` names)
                group.view.stored[plan.file_sha256] = True
                group.decide(cmds, actor, principal)
            except BatchRejected as rejected:
                plan.refused(rejected)
                del commands[rejected.index]
                continue
            break
        if plan.errors or not moves or not commands:
            return
        head = group.head
        extra = [Entry(seq=head + n, stream=event.stream, id=event.command_id, type=event.entry_type,
                       recorded_at=event.recorded_at, appended_at=event.timestamp, actor=event.actor,
                       backdated=event.backdated, payload=event.payload)
                 for n, event in enumerate(group.events, start=1)]
        before, after = self.reader.as_if([]), self.reader.as_if(extra)
        registry = self.reader.registry()
        ranks_before, ranks_after = _ranks(registry, before), _ranks(registry, after)
        for code in sorted(registry.units):
            for figure in FIGURES:
                was, would = fmt(getattr(before[code], figure)), fmt(getattr(after[code], figure))
                if was != would:
                    plan.moves.append({"unit": code, "name": registry.units[code].name, "figure": figure,
                                       "now": was, "after": would})
            if ranks_before[code] != ranks_after[code]:  # as a dispute's preview lists it
                plan.moves.append({"unit": code, "name": registry.units[code].name, "figure": "rank",
                                   "now": ranks_before[code], "after": ranks_after[code]})


def _ranks(registry: Any, scores: dict[str, Any]) -> dict[str, int]:
    """Each unit's rank by its total within its group (the annual standings)."""
    rows = by_group((u.group, u.code, u.name, fmt(scores[u.code].total)) for u in registry.units.values())
    return {str(row["unit"]): int(row["rank"]) for row in rows}  # type: ignore[call-overload]


def _whole(error: KaopingError, sheet: str) -> dict[str, Any]:
    return {"sheet": sheet, "row": None, "column": None, "field": error.field, "value": None,
            "message": error.message, "code": error.code}


def _entry(entries: list[Entry], seqs: list[int]) -> Entry | None:
    if not seqs:
        return None
    i = bisect.bisect_left(entries, seqs[0], key=by_seq)
    return entries[i] if i < len(entries) and entries[i].seq == seqs[0] else None


def _same(payload: Any, command: dict[str, Any]) -> bool:
    """Whether a recorded entry says what the row says, where each came from aside."""
    try:
        parsed_command = c.parse_command(command)
    except KaopingError:
        return False
    mine = {k: v for k, v in parsed_command.payload().items() if k != "source"}
    theirs = {k: v for k, v in dict(payload).items() if k != "source"}
    if command["type"] == "ballot.cast":  # a ballot's entries carry what its stream needs
        return all(theirs.get(k) == v for k, v in mine.items())
    return mine == theirs


__all__ = ["Imports", "Plan", "read_book", "sha256_of"]
