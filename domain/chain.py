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


class ChainWalk:
    """`first_break` over entries handed in one at a time, in increasing seq order, as a database
    reads them page by page: each is checked against its link when it comes and need not be kept,
    so a walk holds the links and one entry, never the ledger's stored bytes."""

    def __init__(self, links: list[ChainLink]):
        self.links = links
        self.linked = {link.seq for link in links}
        self.next = 0  # the first link not yet walked
        self.state = _LinkState()
        self.broken: Break | None = None
        self.unlinked: int | None = None

    def add(self, entry: StoredEntry) -> None:
        if entry.seq not in self.linked:
            self.unlinked = entry.seq if self.unlinked is None else self.unlinked
            return
        self._walk_to(entry.seq)
        if self.broken is None:  # the link of this seq is the next one
            self.broken = self.state.problem(self.links[self.next], entry)
            self.next += 1

    def result(self) -> Break | None:
        self._walk_to(None)
        candidates = [b for b in (self.broken,) if b is not None]
        if self.unlinked is not None:
            candidates.append(Break(self.unlinked, "entry inserted outside the chain: it has no chain link"))
        return min(candidates, key=lambda b: b.seq, default=None)

    def _walk_to(self, seq: int | None) -> None:
        """Walk the links before `seq` (all that are left for None): their entries never came."""
        while self.broken is None and self.next < len(self.links) and \
                (seq is None or self.links[self.next].seq < seq):
            self.broken = self.state.problem(self.links[self.next], None)
            self.next += 1


class _LinkState:
    """What the walk along the chain remembers: the last hash, and each stream's last version."""

    def __init__(self) -> None:
        self.previous_global = GENESIS
        self.last_in_stream: dict[str, tuple[int, str]] = {}

    def problem(self, link: ChainLink, entry: StoredEntry | None) -> Break | None:
        """Why `entry` (None: missing) does not fit `link`, the next link of the chain; else None,
        and the walk moves past it."""
        if link.global_prev_hash != self.previous_global:
            return Break(link.seq, "the ledger chain is broken before this entry: an earlier entry was "
                                   "deleted, inserted or reordered")
        if entry is None:
            return Break(link.seq, "entry deleted: its chain link remains but the entry is gone")
        if (entry.originator_id, entry.version) != (link.originator_id, link.version):
            return Break(link.seq, "entry moved: it is not the stream position the chain recorded")
        version_before, hash_before = self.last_in_stream.get(link.originator_id, (0, GENESIS))
        if link.version != version_before + 1 or link.prev_hash != hash_before:
            return Break(link.seq, f"stream {link.stream} is broken before this entry")
        recomputed = entry_hash(
            seq=entry.seq, stream=link.stream, version=entry.version, topic=entry.topic,
            state=entry.state, prev_hash=link.prev_hash, global_prev_hash=link.global_prev_hash,
        )
        if recomputed != link.hash:
            return Break(link.seq, "entry modified: its content no longer matches its hash")
        self.previous_global = link.hash
        self.last_in_stream[link.originator_id] = (link.version, link.hash)
        return None


def _first_bad_link(entries_by_seq: dict[int, StoredEntry], links: list[ChainLink]) -> Break | None:
    state = _LinkState()
    for link in links:
        broken = state.problem(link, entries_by_seq.get(link.seq))
        if broken is not None:
            return broken
    return None
