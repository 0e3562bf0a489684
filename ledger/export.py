"""The whole ledger as JSON Lines with its hash chain, and the check of such a file without a database.

One line per stored entry, in seq order: its place (`seq`, `leaf_index` in the Merkle tree, `stream`,
`version`, `originator_id`), its
decoded fields as `history` shows them (`id`, `type`, `recorded_at`, `appended_at`, `actor`,
`payload`, `backdated`), its chain link (`hash`, `prev_hash`, `global_prev_hash`) and what the hash
covers: the `topic` and the exact stored bytes (`state`, base64). `verify_export` recomputes every
link with `kaoping.domain.chain.first_break` and checks that the decoded fields of each line say what
its stored bytes say, so an edit to any field, a deleted, inserted or reordered line, or an edited
hash is named by its seq. Every line also says the seq the export ran to (`last_seq`), so a file
cut short at a line boundary fails, and an empty file is no export. The database is verified as
it is exported, and what that finds rides on the lines (`damage`, null on a sound ledger), so the
copy of a damaged ledger fails too, even for damage in tables the file does not carry. Given a signed checkpoint and the log's vkey, it also recomputes the
Merkle tree of the first `size` lines: a file cut short, or rewritten even with a consistently
recomputed chain, does not have the checkpoint's root.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import uuid
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime, tzinfo
from pathlib import Path
from typing import Any

from eventsourcing.persistence import (
    DatetimeAsISO,
    DecimalAsStr,
    JSONTranscoder,
    Mapper,
    StoredEvent,
    UUIDAsHex,
)

from kaoping.domain.chain import Break, ChainLink, StoredEntry, first_break
from kaoping.domain.entry_types import VIEWS, files_cited
from kaoping.domain.events import EntryRecorded, stream_id
from kaoping.domain.merkle import CompactTree, leaf_hash
from kaoping.domain.notes import (Checkpoint, NoteError, Verifier, normalized_note, open_checkpoint,
                                  split_note)

from .damage import whole
from .decode import ENTRY_TOPIC

#: the keys of one exported line, in the order they are written; an entry recorded at the operator's
#: console also has `console` after `actor` (`export_line`)
KEYS = ("seq", "leaf_index", "stream", "version", "id", "type", "recorded_at", "appended_at", "actor", "payload",
        "backdated", "topic", "hash", "prev_hash", "global_prev_hash", "originator_id", "state",
        "last_seq", "damage")


def offline_mapper() -> Mapper:  # type: ignore[type-arg]
    """The store's mapper without a store: the library's JSON transcoder with the application's
    default transcodings (the ledger configures no cipher, compressor or other transcoder; a test
    checks that this decodes what the store wrote)."""
    transcoder = JSONTranscoder()
    for transcoding in (UUIDAsHex(), DecimalAsStr(), DatetimeAsISO()):
        transcoder.register(transcoding)
    return Mapper(transcoder=transcoder)


def decode_entry(mapper: Mapper, entry: StoredEntry) -> EntryRecorded | None:  # type: ignore[type-arg]
    if entry.topic != ENTRY_TOPIC:
        return None
    try:
        event = mapper.to_domain_event(StoredEvent(
            originator_id=uuid.UUID(entry.originator_id), originator_version=entry.version,
            topic=entry.topic, state=entry.state))
    except Exception:  # noqa: BLE001 - undecodable bytes are reported, not raised
        return None
    return event if whole(event) else None


def _fields(event: EntryRecorded | None, tz: tzinfo) -> dict[str, Any]:
    if event is None:
        return dict.fromkeys(("id", "type", "recorded_at", "appended_at", "actor", "console", "payload",
                              "backdated"))
    return {"id": event.command_id, "type": event.entry_type,
            "recorded_at": event.recorded_at.astimezone(tz).isoformat(),
            "appended_at": event.timestamp.astimezone(tz).isoformat(),
            "actor": event.actor, "console": event.console, "payload": event.payload,
            "backdated": event.backdated}


def export_entries(entries: Iterable[StoredEntry], links: Iterable[ChainLink], *, end: int,
                   tz: tzinfo, mapper: Mapper | None = None,  # type: ignore[type-arg]
                   damage: dict[int, str] | None = None,
                   unplaced: Sequence[str] = ()) -> Iterator[dict[str, Any]]:
    """Merge the stored entries and their chain links (both in seq order, read page by page) into
    export lines, up to seq `end`. An entry without a link is exported with null hashes, and a link
    without an entry (a deleted entry) as a line with its link and no stored bytes: either way the
    exported file fails `verify_export` as the database fails `verify`. `damage` is what the
    database's verify found, by seq; `unplaced` what it found with no seq, carried by the last line."""
    mapper = mapper or offline_mapper()
    damage = damage or {}
    link_iter = iter(links)
    link = next(link_iter, None)
    leaves = 0  # the tree's leaves are the linked entries, in ledger order
    held: dict[str, Any] | None = None  # each line waits for the next: the last one carries `unplaced`
    for entry in [*_upto(entries, end), None]:
        seq = entry.seq if entry is not None else end + 1
        while link is not None and link.seq < seq:
            if link.seq <= end:  # a link whose entry is gone
                if held is not None:
                    yield held
                held = _line(None, link, leaves, end, damage.get(link.seq), mapper, tz)
                leaves += 1
            link = next(link_iter, None)
        if entry is None:
            break
        own = link if link is not None and link.seq == entry.seq else None
        if own is not None:
            link = next(link_iter, None)
        if held is not None:
            yield held
        held = _line(entry, own, leaves, end, damage.get(entry.seq), mapper, tz)
        leaves += 1 if own else 0
    if held is not None:
        if unplaced:
            held["damage"] = "; ".join([*([held["damage"]] if held["damage"] else []), *unplaced])
        yield held


def _upto(entries: Iterable[StoredEntry], end: int) -> Iterator[StoredEntry]:
    for entry in entries:
        if entry.seq > end:
            return
        yield entry


def _line(entry: StoredEntry | None, own: ChainLink | None, leaf: int, end: int,
          damage: str | None, mapper: Mapper, tz: tzinfo) -> dict[str, Any]:  # type: ignore[type-arg]
    """One export line: an entry with its link (or none), or a link whose entry is gone."""
    event = decode_entry(mapper, entry) if entry is not None else None
    stream = own.stream if own else (event.stream if event else None)
    return {"seq": entry.seq if entry else own.seq,  # type: ignore[union-attr]
            "leaf_index": leaf if own else None, "stream": stream,
            "version": entry.version if entry else own.version,  # type: ignore[union-attr]
            **_fields(event, tz), "topic": entry.topic if entry else None,
            "hash": own.hash if own else None, "prev_hash": own.prev_hash if own else None,
            "global_prev_hash": own.global_prev_hash if own else None,
            "originator_id": entry.originator_id if entry else own.originator_id,  # type: ignore[union-attr]
            "state": base64.b64encode(entry.state).decode("ascii") if entry else None,
            "last_seq": end, "damage": damage}


def export_line(row: dict[str, Any]) -> str:
    line = {key: row[key] for key in KEYS}
    if row.get("console") is not None:  # recorded at the operator's console: said after the actor
        line = {**{k: line[k] for k in KEYS[:KEYS.index("actor") + 1]}, "console": row["console"],
                **{k: line[k] for k in KEYS[KEYS.index("actor") + 1:]}}
    return json.dumps(line, ensure_ascii=False, default=str) + "\n"


def verify_export(lines: Iterable[str], *, checkpoint: str | None = None,
                  vkey: str | None = None, files: Path | None = None) -> dict[str, Any]:
    """Check an exported file; the same document as `Ledger.verify()` plus `head`, the last hash.
    With `checkpoint` (a signed note) and `vkey`, also `checkpoint`: its signature, and whether the
    first `size` lines have its root. With `files` (a folder `export --files` wrote), also `files`:
    the files the entries cite, found there as `<sha256>` and hashed again (`check_files`)."""
    cited: set[str] = set()
    claimed = _claimed(checkpoint, vkey) if checkpoint is not None else None
    mapper = offline_mapper()
    tree, root_at_size = CompactTree(), None
    misplaced: list[Break] = []
    entries: list[StoredEntry] = []
    links: list[ChainLink] = []
    problems: list[Break] = []
    streams: set[str] = set()
    last_seq = 0
    claimed_end: set[Any] = set()
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line, object_pairs_hook=_one_each)
            if isinstance(row, dict) and row.get("state") is None and row.get("hash") is not None:
                # a link whose entry was gone when exported: the chain check names it deleted
                seq = _int(row["seq"])
                links.append(ChainLink(seq, _str(row["originator_id"]), _str(row["stream"]),
                                       _int(row["version"]), str(row["hash"]),
                                       str(row.get("prev_hash")), str(row.get("global_prev_hash"))))
                last_seq = seq
                claimed_end.add(row.get("last_seq"))
                if row.get("damage"):
                    problems.append(Break(seq, f"line {number}: the ledger failed verify when "
                                               f"exported: {row['damage']}"))
                continue
            entry = StoredEntry(_int(row["seq"]), _str(row["originator_id"]), _int(row["version"]),
                                _str(row["topic"]),
                                base64.b64decode(_str(row["state"]), validate=True))
            stream = _str(row["stream"])
        except (ValueError, KeyError, TypeError, binascii.Error, RecursionError) as error:
            problems.append(Break(last_seq + 1, f"line {number} is not an exported entry: {error}"))
            continue
        last_seq = entry.seq
        claimed_end.add(row.get("last_seq"))
        entries.append(entry)
        streams.add(entry.originator_id)
        if row.get("hash") is not None:
            links.append(ChainLink(entry.seq, entry.originator_id, stream, entry.version,
                                   str(row["hash"]), str(row.get("prev_hash")),
                                   str(row.get("global_prev_hash"))))
            if row.get("leaf_index") != tree.size:
                misplaced.append(Break(entry.seq, f"line {number}: leaf_index is not its place "
                                                  f"({tree.size}) among the ledger's entries"))
            try:
                tree.append(leaf_hash(bytes.fromhex(str(row["hash"]))))
            except ValueError:
                problems.append(Break(entry.seq, f"line {number}: hash is not hexadecimal"))
            if claimed is not None and tree.size == claimed[0].size:
                root_at_size = tree.root()
        if row.get("damage"):
            problems.append(Break(entry.seq, f"line {number}: the ledger failed verify when "
                                             f"exported: {row['damage']}"))
        mismatch = _mismatch(row, entry, stream, mapper)
        if mismatch:
            problems.append(Break(entry.seq, f"line {number}: {mismatch}"))
        elif files is not None and isinstance(row.get("payload"), dict) and row.get("type") in VIEWS:
            cited.update(files_cited(str(row["type"]), row["payload"]))
    broken = first_break(entries, links)
    if broken is not None:
        problems.append(broken)
    cut = _cut_short(claimed_end, last_seq, bool(entries or problems))
    if cut is not None:
        problems.append(cut)
    # a line moved also has the wrong leaf_index: the chain's reason says more, so it comes first
    bad = min(problems or misplaced, key=lambda b: b.seq, default=None)
    report: dict[str, Any] = {
        "ok": bad is None,
        "entries": len(entries),
        "streams": len(streams),
        "first_bad": None if bad is None else {"seq": bad.seq, "reason": bad.reason},
        "head": links[-1].hash if links else None,
    }
    if claimed is not None:
        signed, signature_ok = claimed
        report["checkpoint"] = {"origin": signed.origin, "size": signed.size, "root": signed.root_b64,
                                "signature_ok": signature_ok,
                                "root_matches": root_at_size == signed.root,
                                "lines_in_file": tree.size}
        report["ok"] = report["ok"] and signature_ok and root_at_size == signed.root
    if files is not None:
        report["files"] = check_files(cited, files)
        report["ok"] = report["ok"] and not report["files"]["mismatched"]
    return report


def _one_each(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A JSON object whose keys are all different: a line with a key twice (anywhere, nested too)
    says two things, and which one a reader takes is its own choice, so it is no exported line."""
    found: dict[str, Any] = {}
    for key, value in pairs:
        if key in found:
            raise ValueError(f"the key {key!r} appears twice")
        found[key] = value
    return found


def check_files(cited: set[str], folder: Path) -> dict[str, Any]:
    """`verify`'s files section for an export's folder: of the files the entries cite, those not in
    `folder` as `<sha256>` (`missing`) and those whose bytes there do not hash to their name
    (`mismatched`); `stored` counts the cited files found."""
    missing, mismatched, stored = [], [], 0
    for sha256 in sorted(cited):
        path = folder / sha256
        if not path.is_file():
            missing.append(sha256)
            continue
        stored += 1
        digest = hashlib.sha256()
        with open(path, "rb") as source:
            while piece := source.read(1 << 20):
                digest.update(piece)
        if digest.hexdigest() != sha256:
            mismatched.append(sha256)
    return {"cited": len(cited), "stored": stored, "missing": missing, "mismatched": mismatched}


def _cut_short(claimed: set[Any], last_seq: int, any_line: bool) -> Break | None:
    """Every line says the seq the export ran to (`last_seq`): a file whose lines stop before it
    was cut short, and an empty file is no export at all."""
    if not any_line:
        return Break(1, "the file holds no entries: it is not an export of a ledger")
    if len(claimed) != 1:
        return Break(last_seq + 1, "its lines do not agree on last_seq, the seq the export ran to "
                                   "(lines missing it were not written by kaoping export)")
    end = next(iter(claimed))
    if isinstance(end, bool) or not isinstance(end, int):
        return Break(last_seq + 1, "last_seq, the seq the export ran to, is missing or not a number")
    if last_seq < end:
        return Break(last_seq + 1, f"the file stops at seq {last_seq} but the export ran to seq {end}: "
                                   "cut short")
    return None


def _claimed(note: str, vkey: str | None) -> tuple[Checkpoint, bool]:
    """The checkpoint a note claims, and whether `vkey`'s key signed it. A malformed note or vkey
    is refused (NoteError): the caller asked a question that has no answer."""
    if vkey is None:
        raise NoteError("verify.checkpoint_needs_vkey", field="vkey")
    verifier = Verifier.parse(vkey)
    note = normalized_note(note)  # saved with `jq -r` (a newline more) or without its last one
    try:
        checkpoint, _ = open_checkpoint(note, verifier)
        return checkpoint, True
    except NoteError as error:
        if error.field != "signature":
            raise
    return Checkpoint.parse(split_note(note)[0]), False


def _int(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"expected a whole number, got {value!r}")
    return value


def _str(value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError(f"expected a string, got {value!r}")
    return value


def _same(a: Any, b: Any) -> bool:
    """Equal as JSON, types included (true is not 1, "1" is not 1)."""
    return json.dumps(a, sort_keys=True, default=str) == json.dumps(b, sort_keys=True, default=str)


def _same_moment(text: Any, moment: datetime) -> bool:
    try:
        parsed = datetime.fromisoformat(text)
    except (TypeError, ValueError):
        return False
    return parsed.tzinfo is not None and parsed == moment


def _mismatch(row: dict[str, Any], entry: StoredEntry, stream: str,
              mapper: Mapper) -> str | None:  # type: ignore[type-arg]
    """Why the line's decoded fields disagree with its stored bytes, or None."""
    if entry.topic != ENTRY_TOPIC:
        return f"unknown topic {entry.topic!r}"
    if entry.originator_id != str(stream_id(stream)):
        return f"originator_id is not the id of stream {stream!r}"
    event = decode_entry(mapper, entry)
    if event is None:
        return "the stored bytes do not decode to a ledger entry"
    decoded = {"stream": event.stream, "id": event.command_id, "type": event.entry_type,
               "actor": event.actor, "backdated": event.backdated, "payload": event.payload}
    for key, value in decoded.items():
        if key not in row or not _same(row[key], value):
            return f"{key} does not match the entry's stored bytes"
    if row.get("console") != event.console:
        return "console does not match the entry's stored bytes"
    for key, moment in (("recorded_at", event.recorded_at), ("appended_at", event.timestamp)):
        if not _same_moment(row.get(key), moment):
            return f"{key} does not match the entry's stored bytes"
    return None
