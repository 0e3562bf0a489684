"""The ledger's one door: every caller outside `ledger/` (the HTTP routes, the pages, the command
line, the read models, the demo) uses the methods of `Ledger` and never reaches past it into a room.

Behind the door each responsibility is a room of its own (`streams.py` cached states, `writer.py`
+ `group_commit.py` the write path, `reader.py` + `entry_log.py` scores and history, `notary.py`
checkpoints and proofs, `appeals.py` publication and disputes, `admin.py` init, scheme and tokens,
`audit.py` + `export.py` verify and export). The rooms are built and wired by the one composition
root (`api/bootstrap.py`), which hands them to the door; `Ledger` only forwards, grouped below as
the rooms are. A test (`tests/test_layout.py`) holds `api/`, `projections/` and `demo/` to the
methods declared here.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

from kaoping.domain import policy
from kaoping.domain.entries import Entry
from kaoping.domain.folds import RegistryState, StreamState, UnitState
from kaoping.domain.principals import OFFICE, Principal
from kaoping.domain.scoring import UnitScore

from .admin import Admin
from .appeals import Appeals
from .audit import Audit
from .citations import Citations
from .compare import compare
from .entry_log import EntryLog
from .files import NOT_STORED, FileStore, StoredFile, Upload, Uploader, store_paths
from .group_commit import Outcome, PendingBatch, commit_group
from .imports import Imports, Plan, read_book
from .notary import Notary
from .reader import Reader
from .replay import explain
from .settings import Settings
from .store import Index
from .streams import StreamStates
from .supervision import Supervision
from .tree import StoredCheckpoint
from .writer import BatchResult, Writer

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


@dataclass(frozen=True)
class Rooms:
    """What the composition root builds behind the door, over one event store."""

    store: Any
    index: Index
    log: EntryLog
    streams: StreamStates
    notary: Notary
    writer: Writer
    reader: Reader
    admin: Admin
    audit: Audit
    appeals: Appeals
    supervision: Supervision
    files: FileStore
    citations: Citations
    imports: Imports | None = None


class Ledger:
    def __init__(self, settings: Settings, clock: Clock, rooms: Rooms):
        self.settings, self.clock = settings, clock
        # the rooms stay reachable for the composition root and for tests of one room; callers
        # outside `ledger/` use the door's methods (tests/test_layout.py holds them to it)
        self.store, self.index, self.log = rooms.store, rooms.index, rooms.log
        self.recorder = rooms.store.recorder
        self.streams, self.notary, self.writer = rooms.streams, rooms.notary, rooms.writer
        self.reader, self.admin, self.audit, self.appeals = rooms.reader, rooms.admin, rooms.audit, rooms.appeals
        self.supervision = rooms.supervision
        self.files, self.citations = rooms.files, rooms.citations
        self.imports = rooms.imports

    def close(self) -> None:
        self.audit.settle()  # the footer's background check, if one is running, before the store closes
        self.store.close()

    @property
    def zone(self) -> Any:
        """The office's time zone (`KAOPING_TZ`), in which bare dates are read and times shown."""
        return self.settings.zone

    # -- streams ------------------------------------------------------------------------------------
    def load(self, stream: str) -> StreamState:
        return self.streams.load(stream)

    def current(self, stream: str) -> StreamState:
        return self.streams.current(stream)

    def registry(self) -> RegistryState:
        return self.streams.registry()

    def unit_state(self, code: str) -> UnitState:
        """A unit's folded state as it stands (its tasks, evidence, disputes): shared, never mutate."""
        return self.streams.unit(code)

    # -- writing ------------------------------------------------------------------------------------
    def ingest(self, items: Sequence[Any], *, actor: str, principal: Principal = OFFICE,
               progress: Callable[[int], None] | None = None) -> BatchResult:
        return self.writer.ingest(items, actor=actor, principal=principal, progress=progress)

    def ingest_group(self, batches: Sequence[PendingBatch]) -> list[Outcome]:
        return commit_group(self.writer, batches)

    def dispute_of(self, command_id: str) -> str | None:
        """The dispute code a recorded `dispute.filed` command holds (under its stored id)."""
        return self.index.dispute_of(command_id)

    # -- admin --------------------------------------------------------------------------------------
    def init(self) -> bool:
        return self.admin.init()

    def amend_scheme(self, amendment: Any, *, actor: str = "office",
                     recorded_at: str | None = None) -> str:
        return self.admin.amend_scheme(amendment, actor=actor, recorded_at=recorded_at)

    def preview_amendment(self, amendment: Any, *, recorded_at: str | None = None) -> dict[str, Any]:
        return self.admin.preview_amendment(amendment, self.reader.figures_now, recorded_at=recorded_at)

    def schemes(self) -> list[dict[str, Any]]:
        return self.admin.schemes()

    def create_token(self, *, actor: str, role: str, unit: str | None = None,
                     units: Sequence[str] = (), indicators: Sequence[str] = ()) -> tuple[str, str]:
        return self.admin.create_token(actor=actor, role=role, unit=unit, units=units,
                                       indicators=indicators)

    def revoke_token(self, token_id: str) -> None:
        self.admin.revoke_token(token_id)

    def tokens(self) -> list[dict[str, Any]]:
        return self.admin.tokens()

    def principal_for(self, token: str) -> Principal | None:
        return self.admin.principal_for(token)

    def principal_for_digest(self, digest: str) -> Principal | None:
        return self.admin.principal_for_digest(digest)

    def status(self) -> dict[str, Any]:
        return self.admin.status()

    # -- reading ------------------------------------------------------------------------------------
    def today(self) -> date:
        return self.reader.today()

    def reading_registry(self) -> RegistryState:
        return self.reader.registry()

    def registry_at(self, position: int) -> RegistryState:
        """The registry as the log up to seq `position` left it."""
        return self.reader.registry_at(position)

    def entries(self) -> list[Entry]:
        """The whole log as `Entry` values, in seq order, read up to now (shared: never mutate)."""
        return self.log.refresh()

    def entries_after(self, seq: int, limit: int) -> list[Entry]:
        """Up to `limit` entries after `seq`, straight from the store (not the shared log above)."""
        return self.log.read_after(seq, limit)

    def head(self) -> int:
        """The seq of the last entry stored (0 for an empty ledger), one cheap query."""
        return self.recorder.max_notification_id() or 0

    def stream_entries(self, stream: str, upto: int | None = None) -> Sequence[Entry]:
        """The entries of one stream as read so far, up to seq `upto` (all when None)."""
        return self.log.index.stream(stream) if upto is None else self.log.index.stream(stream, upto)

    def counted_at(self, moment: datetime) -> int:
        """How many entries of the log as read so far a knowledge time `moment` counts."""
        return self.log.counted_at(moment)

    def history(self, code: str) -> list[dict[str, Any]]:
        """The unit's entries, oldest first; an evidence entry with its file (`file`)."""
        rows = self.reader.history(code)
        shas = [row["payload"]["sha256"] for row in rows if row["type"] == "evidence.submitted"]
        if not shas:
            return rows
        shown = self.files_shown(shas)
        return [{**row, "file": shown[row["payload"]["sha256"]]} if row["type"] == "evidence.submitted"
                else row for row in rows]

    def unit_of_seq(self, seq: int) -> str | None:
        """The stream entry `seq` is in (None when no entry has that seq, also when no database
        could hold that number: SQLite's integers end at 2**63 - 1)."""
        if not 0 < seq < 2**63:
            return None
        return self.index.stream_of_seq(seq)

    def score(self, code: str, *, as_of: str | None = None, upto: int | None = None,
              entries: Sequence[Any] | None = None,
              registry: RegistryState | None = None) -> dict[str, Any]:
        """The contract's `score` document, its evidence entries with their files (`show_files`)."""
        return self.show_files(self.reader.score(code, as_of=as_of, upto=upto, entries=entries,
                                                 registry=registry))

    def show_files(self, document: dict[str, Any]) -> dict[str, Any]:
        """A score document whose explanation's evidence entries carry their file as it is now
        (`{"stored", "media_type", "size", "name"}`): added when shown, never stored with the
        document (a file uploaded later changes it). A copy: the document may be a cached one."""
        ids: set[str] = set()

        def collect(node: dict[str, Any]) -> None:
            ids.update(e["id"] for e in node.get("entries", ()) if e.get("type") == "evidence.submitted")
            for child in node.get("children", ()):
                collect(child)

        collect(document.get("explanation") or {})
        if not ids:
            return document
        by_id = self.citations.evidence_files(ids)
        shown = self.files_shown(sorted(set(by_id.values())))

        def copy(node: dict[str, Any]) -> dict[str, Any]:
            entries = [{**e, "file": shown[by_id[e["id"]]]} if e.get("id") in by_id
                       and e.get("type") == "evidence.submitted" else e for e in node.get("entries", ())]
            return {**node, "entries": entries, "children": [copy(c) for c in node.get("children", ())]}

        return {**document, "explanation": copy(document["explanation"])}

    def scores(self, codes: Sequence[str], *, as_of: str | None = None,
               entries: Sequence[Any] | None = None,
               registry: RegistryState | None = None) -> dict[str, dict[str, Any]]:
        return self.reader.scores(codes, as_of=as_of, entries=entries, registry=registry)

    def scores_each(self, codes: Sequence[str], *, entries: Sequence[Any],
                    registry: RegistryState) -> Iterator[tuple[str, dict[str, Any]]]:
        return self.reader.scores_each(codes, entries=entries, registry=registry)

    def unit_scores(self) -> dict[str, UnitScore]:
        """Every unit's figures now (no explanations)."""
        return self.reader.unit_scores()

    def figures_as_of(self, moment: datetime, entries: Sequence[Entry] | None = None) -> Any:
        """(upto, counted, registry, figures) of every unit as of `moment` (`Reader.figures_as_of`)."""
        return self.reader.figures_as_of(moment, entries)

    def replay(self, code: str) -> list[dict[str, Any]]:
        return self.reader.replay(code)

    def replay_explained(self, code: str) -> list[dict[str, Any]]:
        """The replay with each row's date, change and actor, and the due dates that moved it."""
        return explain(self.reader, code)

    def compare(self, a: str, b: str, *, as_of: str | None = None) -> dict[str, Any]:
        return compare(self.reader, a, b, as_of=as_of)

    def standings_from_log(self, *, group: str | None = None, stage: str = "annual",
                           as_of: str | None = None) -> list[dict[str, Any]]:
        return self.reader.standings(group=group, stage=stage, as_of=as_of)

    # -- publication and appeals --------------------------------------------------------------------
    def publications(self) -> list[dict[str, Any]]:
        return self.appeals.publications()

    def publication(self, publication_id: str) -> dict[str, Any]:
        return self.appeals.publication(publication_id)

    def moved_since(self, publication_id: str) -> dict[str, list[dict[str, Any]]]:
        return self.appeals.moved_since(publication_id)

    def disputes(self, *, status: str = "open", unit: str | None = None) -> list[dict[str, Any]]:
        return self.appeals.disputes(status=status, unit=unit)

    def dispute(self, code: str) -> dict[str, Any] | None:
        """One dispute of the worklist, any status (None when there is no such code)."""
        return next((d for d in self.appeals.disputes(status="all") if d["dispute"] == code), None)

    def dispute_preview(self, code: str) -> dict[str, Any]:
        return self.appeals.preview(code)

    def void_preview(self, target: str) -> dict[str, Any]:
        """What voiding entry `target` now would move (every figure and rank); appends nothing."""
        return self.appeals.void_preview(target)

    def disputable(self, code: str, principal: Principal) -> set[str]:
        """The ids of the entries of unit `code`'s history that `principal` may dispute now: those a
        `dispute.filed` of theirs would be accepted on, as the write path judges it."""
        return self.writer.disputable(code, principal, self.history(code))

    # -- 督办 ---------------------------------------------------------------------------------------
    def due(self, *, units: Sequence[str] | None = None, within: int | None = None,
            as_of: str | None = None) -> dict[str, Any]:
        """What falls due for every unit (or `units`), with lights and the points at stake."""
        return self.supervision.due(units=units, within=within, as_of=as_of)

    def due_view(self, view: Hashable, make: Callable[[dict[str, Any]], Any], *, units: Sequence[str] | None = None,
                 within: int | None = None, as_of: str | None = None) -> Any:
        """`make(document)` of the due document, kept with it per log position and day (the JSON
        answer's bytes, the board's rows): a reader does not redo it for every request."""
        return self.supervision.due_view(view, make, units=units, within=within, as_of=as_of)

    def calendar(self, code: str) -> bytes:
        """The unit's checkpoints as an RFC 5545 calendar (`text/calendar`)."""
        return self.supervision.calendar(code)

    def outlook(self, code: str, *, as_of: str | None = None) -> dict[str, Any]:
        """The range the unit's total and rank can still reach from its open inputs (pure)."""
        return self.supervision.outlook(code, as_of=as_of)

    # -- evidence files (docs/commands.md §10.1) ------------------------------------------------
    def upload(self, name: str) -> Upload:
        """A file on its way into the store, held to `KAOPING_MAX_FILE_BYTES`: feed it, then commit."""
        return self.files.put(name, self.settings.max_file_bytes)

    def stored_file(self, sha256: str) -> StoredFile | None:
        return self.files.get(sha256)

    def stored_files(self, sha256s: Sequence[str]) -> dict[str, StoredFile]:
        return self.files.many(sha256s)

    def file_bytes(self, sha256: str) -> Iterator[bytes]:
        """The stored bytes, a piece (1 MiB) at a time."""
        return self.files.read(sha256)

    def readable_file(self, sha256: str, principal: Principal) -> StoredFile | None:
        """The stored file if `principal` may read it (`policy.may_read_file`); None both for a
        file nobody stored and for one it may not read, which it is told alike (404)."""
        stored = self.files.get(sha256)
        if stored is None:
            return None
        unit = policy.bound_unit(principal)
        own = unit is not None and self.files.uploaded_by(sha256, unit)
        allowed = policy.may_read_file(principal, citing_units=self.citations.units_citing(sha256),
                                       own_upload=own)
        return stored if allowed else None

    def files_shown(self, sha256s: Sequence[str]) -> dict[str, dict[str, Any]]:
        """What an entry citing each file shows of it: `{"stored", "media_type", "size", "name"}`."""
        stored = self.files.many(sha256s)
        return {sha: stored[sha].shown() if sha in stored else dict(NOT_STORED) for sha in sha256s}

    def file_intact(self, sha256: str) -> bool:
        """Whether the stored bytes still hash to their key (the check a verifier is shown)."""
        return not self.files.mismatched(sha256)

    def void_requests(self, *, status: str = "open") -> list[dict[str, Any]]:
        """The units' void requests (`void.requested`), oldest first, each `open`, `granted` (its
        target voided) or `declined` (the request itself voided), with the entry it names."""
        entries = self.log.refresh()
        by_id = {e.id: e for e in entries}
        voids = {e.payload["target"]: e for e in entries if e.type == "entry.voided"}
        rows = []
        for request in (e for e in entries if e.type == "void.requested"):
            target = by_id.get(request.payload["target"])
            state = "declined" if request.id in voids else "granted" if request.payload["target"] in voids \
                else "open"
            if status != "all" and state != status:
                continue
            rows.append({"id": request.id, "seq": request.seq, "unit": request.payload["unit"],
                         "target": request.payload["target"], "reason": request.payload["reason"],
                         "actor": request.actor, "recorded_at": request.recorded_at.astimezone(self.zone).isoformat(),
                         "status": state, "target_type": target.type if target else None,
                         "target_payload": dict(target.payload) if target else None})
        return rows

    def evidence_file(self, unit: str, evidence: str) -> str | None:
        """The hash of the file an evidence entry of the unit cites (None: no such evidence)."""
        return self.citations.evidence_file(unit, evidence)

    def add_files(self, paths: Sequence[Any], *, actor: str = "office") -> list[dict[str, Any]]:
        """`kaoping file add`: each path stored, one upload answer each."""
        return store_paths(self.files, paths, self.settings.max_file_bytes, Uploader(actor))

    def files_report(self, cited: set[str]) -> dict[str, Any]:
        """`verify`'s files section: the files entries cite (`cited`, collected by verify's pass,
        which skips an entry that no longer decodes), how many are stored, the cited ones never
        uploaded (`missing`: reported only) and the stored ones whose bytes no longer hash to their
        key (`mismatched`: the ledger is not ok)."""
        stored = [f.sha256 for f in self.files.iterate()]
        return {"cited": len(cited), "stored": len(stored), "missing": sorted(cited - set(stored)),
                "mismatched": [sha for sha in stored if self.files.mismatched(sha)]}

    def export_files(self, folder: Path) -> int:
        """`export --files DIR`: every stored file an entry cites, written as `DIR/<sha256>` (a file
        of the right bytes already there is kept); how many were written or kept."""
        folder.mkdir(parents=True, exist_ok=True)
        count = 0
        for sha256 in sorted(self.files.has(self.citations.cited())):
            partial = folder / f"{sha256}.partial"
            with open(partial, "wb") as target:
                for piece in self.files.read(sha256):
                    target.write(piece)
            partial.replace(folder / sha256)
            count += 1
        return count

    def sweep_uploads(self) -> None:
        """Drop the pieces of uploads a killed server left (`FileStore.sweep`)."""
        self.files.sweep()

    # -- spreadsheets in (docs/commands.md §10.3) ----------------------------------------------
    def import_plan(self, kind: str, data: bytes, name: str, principal: Principal) -> Plan:
        """A sheet read and held to the ledger (duplicates left out, every error listed); nothing
        appended."""
        assert self.imports is not None
        return self.imports.plan(kind, data, name, principal)

    def import_trial(self, plan: Plan, principal: Principal, actor: str, *, moves: bool = True) -> None:
        """The plan decided on a trial group (refusals on their rows) and, with no error, the
        figures it would move; nothing appended."""
        assert self.imports is not None
        self.imports.trial(plan, principal, actor, moves=moves)

    def import_grids(self, data: bytes, name: str) -> list[Any]:
        """A sheet's cells as an import reads them (`domain.sheets_in.Grid`s), for a page to show."""
        return read_book(data, name)

    def import_known(self, principal: Principal) -> Any:
        """What a template is filled in with and a sheet read against (`domain.sheets_in.Known`)."""
        assert self.imports is not None
        return self.imports.known(principal)

    def store_bytes(self, data: bytes, name: str, actor: str) -> StoredFile:
        """Bytes held in memory (an imported sheet) stored as a file."""
        upload = self.files.put(name, self.settings.max_file_bytes)
        try:
            upload.write(data)
            stored, _ = upload.commit(Uploader(actor))
        except BaseException:
            upload.abort()
            raise
        return stored

    def imported_sheets(self) -> list[dict[str, Any]]:
        """Every imported sheet (a stored file entries cite as their `source`), newest first: its
        hash, name, who imported it, when, and the entries it produced."""
        by_file: dict[str, dict[str, Any]] = {}
        for entry in self.log.refresh():
            source = entry.payload.get("source")
            if not isinstance(source, dict) or "file" not in source:
                continue
            row = by_file.setdefault(source["file"], {"sha256": source["file"], "actor": entry.actor,
                                                      "appended_at": entry.appended_at, "ids": set(),
                                                      "first_seq": entry.seq, "last_seq": entry.seq})
            row["ids"].add(entry.id)
            row["last_seq"] = entry.seq
        stored = self.files.many(list(by_file))
        rows = []
        for sha, row in by_file.items():
            file = stored.get(sha)
            rows.append({"sha256": sha, "name": file.name if file else None, "actor": row["actor"],
                         "imported_at": row["appended_at"].astimezone(self.zone).isoformat(timespec="seconds"),
                         "commands": len(row["ids"]), "first_seq": row["first_seq"], "last_seq": row["last_seq"]})
        return sorted(rows, key=lambda r: -r["last_seq"])

    # -- the log outsiders check --------------------------------------------------------------------
    def latest_checkpoint(self) -> StoredCheckpoint | None:
        return self.notary.latest()

    def checkpoint_note(self) -> str:
        """The latest checkpoint's note with its witnesses' cosignatures (404 before the first)."""
        return self.notary.note(self.notary.at(None))

    def sign_checkpoint(self) -> StoredCheckpoint | None:
        """`kaoping checkpoint`: sign the current tree (or find it signed); None on an empty tree."""
        return self.notary.sign_current(self.clock())

    def check_key(self) -> None:
        """Raise unless the signing key can be read (nothing can be appended without it)."""
        self.notary.signer()

    def vkey(self) -> str:
        return self.notary.signer().verifier.text

    def prove(self, seq: int, size: int | None = None) -> dict[str, Any]:
        return self.notary.inclusion(seq, size)

    def consistency(self, old: int, new: int | None = None) -> dict[str, Any]:
        return self.notary.consistency(old, new)

    def cosign(self, note: str, vkey: str) -> dict[str, Any]:
        return self.notary.cosign(note, vkey, self.clock())

    def witnesses(self) -> list[dict[str, Any]]:
        """Which registered witnesses vouched for which size: each one's largest cosigned size."""
        return self.notary.witnesses()

    def registered_witnesses(self) -> list[dict[str, Any]]:
        """`GET /v1/witnesses`: the witnesses the office registered, each with the largest size it
        has validly cosigned (null before its first)."""
        cosigned = {w["witness"]: w for w in self.notary.witnesses()}
        return [{**w, "cosigned_size": cosigned.get(w["name"], {}).get("size"),
                 "cosigned_time": cosigned.get(w["name"], {}).get("time")} for w in self.admin.witnesses()]

    def add_witness(self, vkey: str) -> tuple[dict[str, Any], bool]:
        """Register a witness's cosigner key (an entry of the witnesses stream)."""
        return self.admin.add_witness(vkey)

    def remove_witness(self, name: str) -> None:
        self.admin.remove_witness(name)

    def fork(self) -> str | None:
        """Why the signer refuses this ledger's tree (it is then read only), or None."""
        fork = self.notary.fork_state()
        return fork.message if fork is not None else None

    # -- audit --------------------------------------------------------------------------------------
    def verify(self, vkey: str | None = None) -> dict[str, Any]:
        """The chain, tree and checkpoints (`Audit.verify`), and the stored files (`files`)."""
        cited: set[str] = set()  # collected by the chain's one pass over the entries
        report = self.audit.verify(vkey=vkey, cited=cited)
        report["files"] = self.files_report(cited)
        if report["files"]["mismatched"]:
            report["ok"] = False
        return report

    def verify_status(self) -> dict[str, Any]:
        """The last verify answer, and whether it covered the ledger as it stands (`Audit`)."""
        return self.audit.verify_status(len(self.log.refresh()))

    def export(self) -> Iterator[dict[str, Any]]:
        return self.audit.export()


__all__ = ["Clock", "Ledger", "Rooms", "utc_now"]
