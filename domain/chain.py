"""The hash chain that makes a rewrite of the ledger detectable.

Each stored entry's hash covers its exact stored bytes, its place (seq, stream, version) and two
links: the hash of the previous entry of its stream and the hash of the previous entry of the
whole ledger. Changing, deleting, inserting or reordering any entry breaks a link that `verify`
walks; only cutting off the newest entries needs an outside witness (published digests).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

GENESIS = "0" * 64


def entry_hash(
    *,
    seq: int,
    stream: str,
    version: int,
    topic: str,
    state: bytes,
    prev_hash: str,
    global_prev_hash: str,
) -> str:
    digest = hashlib.sha256()
    for part in (b"kaoping-entry-v1", str(seq).encode(), stream.encode(), str(version).encode(),
                 topic.encode(), hashlib.sha256(state).digest(), prev_hash.encode(),
                 global_prev_hash.encode()):
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.hexdigest()


@dataclass(frozen=True, slots=True)
class StoredEntry:
    """An event as the store holds it, with its seq (the notification id)."""

    seq: int
    originator_id: str
    version: int
    topic: str
    state: bytes


@dataclass(frozen=True, slots=True)
class ChainLink:
    seq: int
    originator_id: str
    stream: str
    version: int
    hash: str
    prev_hash: str
    global_prev_hash: str


@dataclass(frozen=True, slots=True)
class Break:
    seq: int
    reason: str


def first_break(entries: list[StoredEntry], links: list[ChainLink]) -> Break | None:
    """Walk the ledger in seq order against its chain; return the first entry that does not fit.

    Both lists are in seq order. Pure so that an exported copy can be checked without a database.
    """
    entries_by_seq = {e.seq: e for e in entries}
    linked = {link.seq for link in links}
    unlinked = next((e.seq for e in entries if e.seq not in linked), None)
    broken = _first_bad_link(entries_by_seq, links)
    candidates = [b for b in (broken,) if b is not None]
    if unlinked is not None:
        candidates.append(Break(unlinked, "entry inserted outside the chain: it has no chain link"))
    return min(candidates, key=lambda b: b.seq, default=None)


def _first_bad_link(entries_by_seq: dict[int, StoredEntry], links: list[ChainLink]) -> Break | None:
    previous_global = GENESIS
    last_in_stream: dict[str, tuple[int, str]] = {}
    for link in links:
        entry = entries_by_seq.get(link.seq)
        if link.global_prev_hash != previous_global:
            return Break(link.seq, "the ledger chain is broken before this entry: an earlier entry was "
                                   "deleted, inserted or reordered")
        if entry is None:
            return Break(link.seq, "entry deleted: its chain link remains but the entry is gone")
        if (entry.originator_id, entry.version) != (link.originator_id, link.version):
            return Break(link.seq, "entry moved: it is not the stream position the chain recorded")
        version_before, hash_before = last_in_stream.get(link.originator_id, (0, GENESIS))
        if link.version != version_before + 1 or link.prev_hash != hash_before:
            return Break(link.seq, f"stream {link.stream} is broken before this entry")
        recomputed = entry_hash(
            seq=entry.seq, stream=link.stream, version=entry.version, topic=entry.topic,
            state=entry.state, prev_hash=link.prev_hash, global_prev_hash=link.global_prev_hash,
        )
        if recomputed != link.hash:
            return Break(link.seq, "entry modified: its content no longer matches its hash")
        previous_global = link.hash
        last_in_stream[link.originator_id] = (link.version, link.hash)
    return None
