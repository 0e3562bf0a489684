"""What an auditor runs: `verify` (walk the hash chain of the stored ledger, recompute its Merkle
tree, check every stored checkpoint's root and signature) and `export` (the whole ledger as JSON
Lines, checkable with no database: `ledger.export.verify_export`).

`verify` reads every entry, so a page that shows its answer asks `verify_status`, which remembers
the answer by ledger size and recomputes it, in the background on a big ledger, when the ledger grows.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from typing import Any

from kaoping.domain.chain import ChainLink, first_break
from kaoping.domain.errors import KaopingError
from kaoping.domain.merkle import CompactTree, leaf_hash, node_hash
from kaoping.domain.notes import NoteError, Verifier, open_checkpoint

from . import tree
from .export import export_entries
from .notary import Notary
from .settings import Settings
from .store import Index

#: a ledger this small is verified in the request that first needs it; a bigger one in the background
SYNC_VERIFY_LIMIT = 20_000


class Audit:
    def __init__(self, store: Any, index: Index, notary: Notary, settings: Settings):
        self.store, self.index, self.notary, self.settings = store, index, notary, settings
        self.recorder = store.recorder
        self._lock = threading.Lock()
        self._last: dict[str, Any] | None = None
        self._running = False

    def verify(self, vkey: str | None = None) -> dict[str, Any]:
        """The chain, the tree and the checkpoints. `vkey` checks the checkpoints' signatures
        against a key the auditor holds; without it, against the ledger's own signing key."""
        # one snapshot: the entries and the links up to the last seq read first. Read unbounded, an
        # append between the two reads would look like an entry deleted from the events table.
        # Links commit with their entries, so the larger of the two last seqs is the snapshot's end:
        # an entry deleted at the end still leaves its link inside it.
        # checkpoints first: each covers entries committed before it was read, so within the snapshot
        checkpoints = self.notary.all()
        end = max(self.recorder.max_notification_id() or 0, self.index.last_link_seq())
        entries = [e for e in self.index.all_entries() if e.seq <= end]
        links = [link for link in self.index.all_links() if link.seq <= end]
        broken = first_break(entries, links)
        report = {
            "ok": broken is None,
            "entries": len(entries),
            "streams": len({e.originator_id for e in entries}),
            "first_bad": None if broken is None else {"seq": broken.seq, "reason": broken.reason},
        }
        report["tree"] = self._tree(links, end)
        report["checkpoints"] = self._checkpoints(links, checkpoints, vkey)
        report["ok"] = report["ok"] and report["tree"]["ok"] and report["checkpoints"]["ok"]
        return report

    def _tree(self, links: Sequence[ChainLink], end: int) -> dict[str, Any]:
        """The stored tree (of the snapshot's entries) against the one the chain makes: which entry
        each leaf is, and every stored node (a wrong interior node would only make proofs fail, but
        is still a rewrite)."""
        seqs = [int(r["seq"]) for r in self.recorder.query(
            f"SELECT seq FROM {tree.LEAVES_TABLE} WHERE seq <= %s ORDER BY leaf_index", [end])]
        problem = None
        if seqs != [link.seq for link in links[:len(seqs)]]:
            problem = "the tree's leaves are not the chain's entries in ledger order"
        level = [leaf_hash(bytes.fromhex(link.hash)) for link in links[:len(seqs)]]
        depth = 0
        while problem is None and level:
            if not self._stored_level_is(depth, level):
                problem = f"stored subtree hashes at level {depth} are not the chain's"
            level = [node_hash(level[i], level[i + 1]) for i in range(0, len(level) - 1, 2)]
            depth += 1
        return {"ok": problem is None, "size": len(seqs), "lagging": len(links) - len(seqs),
                "problem": problem}

    def _stored_level_is(self, depth: int, expected: Sequence[bytes]) -> bool:
        """Whether the stored nodes of one level are exactly `expected` (by index), read in pages."""
        after, count = -1, 0
        while True:
            # nodes of leaves appended after the snapshot are not its to judge
            page = self.recorder.query(
                f"SELECT idx, hash FROM {tree.TREE_TABLE} WHERE level = %s AND idx > %s AND idx < %s "
                "ORDER BY idx LIMIT 10000", [depth, after, len(expected)])
            for row in page:
                index = int(row["idx"])
                if index != count or index >= len(expected) or bytes.fromhex(row["hash"]) != expected[index]:
                    return False
                count += 1
            if len(page) < 10_000:
                return count == len(expected)
            after = int(page[-1]["idx"])

    def _checkpoints(self, links: Sequence[ChainLink], checkpoints: list[tree.StoredCheckpoint],
                     vkey: str | None) -> dict[str, Any]:
        verifier = Verifier.parse(vkey) if vkey else self._own_verifier()
        roots: dict[int, bytes] = {}
        wanted = {c.size for c in checkpoints}
        compact = CompactTree()
        for link in links:
            compact.append(leaf_hash(bytes.fromhex(link.hash)))
            if compact.size in wanted:
                roots[compact.size] = compact.root()
        first_bad = None
        for stored in checkpoints:
            reason = None
            if stored.size not in roots:
                reason = f"the chain has {len(links)} entries, fewer than the checkpoint's size"
            elif roots[stored.size] != stored.root:
                reason = "its root is not the root of the first size entries: history was rewritten"
            elif verifier is not None:
                try:
                    signed, _ = open_checkpoint(stored.note, verifier)
                    if signed != stored.checkpoint:
                        reason = "its note does not say its size and root"
                except NoteError as error:
                    reason = f"its signature does not verify ({error.message})"
            if reason is not None:
                first_bad = {"size": stored.size, "reason": reason}
                break
        return {"ok": first_bad is None, "count": len(checkpoints),
                "latest": checkpoints[-1].size if checkpoints else None,
                "signatures_checked": verifier is not None, "first_bad": first_bad}

    def _own_verifier(self) -> Verifier | None:
        try:
            return self.notary.signer().verifier
        except KaopingError:  # no key here, and none given: the signatures go unchecked
            return None

    def verify_status(self, size: int) -> dict[str, Any]:
        """The last `verify()` answer, with `fresh`: whether it covered a ledger of `size` entries.
        A stale answer starts a new check (at most one at a time); `ok` is None before the first."""
        with self._lock:
            if self._last is not None and self._last["entries"] == size:
                return {**self._last, "fresh": True}
            start = not self._running
            self._running = self._running or start
            known = self._last
        if start:
            if known is None and size <= SYNC_VERIFY_LIMIT:
                self._verify_and_keep()
                return self.verify_status(size) if self._last else {"fresh": False, "ok": None}
            threading.Thread(target=self._verify_and_keep, daemon=True,
                             name="kaoping-verify").start()
        return {**known, "fresh": False} if known else {"fresh": False, "ok": None}

    def _verify_and_keep(self) -> None:
        result = None
        try:
            result = self.verify()
        finally:
            with self._lock:
                if result is not None:
                    self._last = result
                self._running = False

    def export(self) -> Iterator[dict[str, Any]]:
        """Every stored entry up to the current last seq, in seq order, with its chain link, leaf
        index and stored bytes (`ledger/export.py`), read page by page."""
        return export_entries(self.index.all_entries(), self.index.all_links(),
                              end=self.recorder.max_notification_id() or 0, tz=self.settings.zone,
                              mapper=self.store.mapper)


__all__ = ["Audit"]
