"""What an auditor runs: `verify` (walk the hash chain of the stored ledger, recompute its Merkle
tree, check every stored checkpoint's root and signature) and `export` (the whole ledger as JSON
Lines, checkable with no database: `ledger.export.verify_export`).

`verify` reads every entry, so a page that shows its answer asks `verify_status`, which remembers
the answer by ledger size and recomputes it, in the background on a big ledger, when the ledger grows.
"""

from __future__ import annotations

import threading
from datetime import datetime
from collections.abc import Iterator, Sequence
from typing import Any

from kaoping.domain.chain import Break, ChainLink, first_break
from kaoping.domain.commands import COMMAND_TYPES, content_hash
from kaoping.domain.errors import KaopingError
from kaoping.domain.events import EntryRecorded
from kaoping.domain.merkle import CompactTree, leaf_hash, node_hash
from kaoping.domain.notes import NoteError, Verifier, open_checkpoint

from . import tree
from .export import decode_entry, export_entries
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
        events = {e.seq: decode_entry(self.store.mapper, e) for e in entries}
        broken = first_break(entries, links)
        if broken is None:
            broken = _first_foreign_id(links, self.index.link_command_ids(end), events)
        report = {
            "ok": broken is None,
            "entries": len(entries),
            "streams": len({e.originator_id for e in entries}),
            "first_bad": None if broken is None else {"seq": broken.seq, "reason": broken.reason},
            "head": links[-1].hash if links else None,
        }
        report["tree"] = self._tree(links, end)
        report["checkpoints"] = self._checkpoints(links, checkpoints, vkey)
        report["commands"] = self._commands(links, events, end)
        report["ok"] = (report["ok"] and report["tree"]["ok"] and report["checkpoints"]["ok"]
                        and report["commands"]["ok"])
        return report

    def _commands(self, links: Sequence[ChainLink], events: dict[int, EntryRecorded | None],
                  end: int) -> dict[str, Any]:
        """The command index against the entries: every row names entries of its id with its type,
        streams, knowledge time, dispute code and content hash; every entry's id has its row. A
        missing row lets a retry append the command twice; a wrong hash refuses a true retry."""
        linked = {link.seq for link in links}
        entries_of: dict[str, list[EntryRecorded]] = {}
        first_seq: dict[str, int] = {}
        for seq, event in events.items():
            if event is not None and seq in linked:
                entries_of.setdefault(event.command_id, []).append(event)
                first_seq.setdefault(event.command_id, seq)
        problems: list[tuple[int, str, str]] = []
        rows = 0
        unmatched: list[str] = []
        for row in self.index.command_rows():
            rows += 1
            found = entries_of.pop(row["command_id"], None)
            if found is None:
                unmatched.append(row["command_id"])
                continue
            reason = command_row_problem(row, found)
            if reason is not None:
                problems.append((first_seq[row["command_id"]], row["command_id"], reason))
        # the rows are read after the snapshot: a command appended since has its row, not its entries
        later = {i for i, seq in self.index.linked(unmatched).items() if seq > end}
        rows -= len(later)
        problems.extend((0, i, "its index row names no entry of the ledger")
                        for i in unmatched if i not in later)
        for command_id, _ in entries_of.items():
            problems.append((first_seq[command_id], command_id,
                             "its entries have no command index row: a retry would append it again"))
        # the entry earliest in the ledger first; rows naming no entry after every entry
        bad = min(problems, key=lambda p: (p[0] == 0, p[0], p[1]), default=None)
        return {"ok": bad is None, "count": rows, "problems": len(problems),
                "first_bad": None if bad is None else
                {"id": bad[1], "seq": bad[0] or None, "reason": bad[2]}}

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
        index and stored bytes (`ledger/export.py`), read page by page. The ledger is verified
        first and what verify finds rides on the lines (`damage`): the seq it names, or the last
        line for what has no seq (an index row naming no entry, the tree, a checkpoint), so the
        copy of a damaged ledger never verifies ok, even where the damage is in a table the
        export does not carry (the command index, a link's columns)."""
        report = self.verify()
        damage, unplaced = findings(report)
        end = max(self.recorder.max_notification_id() or 0, self.index.last_link_seq())
        return export_entries(self.index.all_entries(), self.index.all_links(), end=end,
                              tz=self.settings.zone, mapper=self.store.mapper, damage=damage,
                              unplaced=unplaced)


def findings(report: dict[str, Any]) -> tuple[dict[int, str], list[str]]:
    """A verify report's problems as (by seq, without one), in words an exported line carries."""
    damage: dict[int, str] = {}
    unplaced: list[str] = []
    if report.get("first_bad"):
        damage[report["first_bad"]["seq"]] = report["first_bad"]["reason"]
    bad = report.get("commands", {}).get("first_bad")
    if bad:
        words = f"command index, command {bad['id']!r}: {bad['reason']}"
        if bad["seq"] is None or bad["seq"] in damage:
            unplaced.append(words)
        else:
            damage[bad["seq"]] = words
    if report.get("tree") and not report["tree"]["ok"]:
        unplaced.append(f"Merkle tree: {report['tree']['problem']}")
    bad = report.get("checkpoints", {}).get("first_bad")
    if bad:
        unplaced.append(f"checkpoint of size {bad['size']}: {bad['reason']}")
    return damage, unplaced


def first_problem(report: dict[str, Any]) -> str:
    """The first thing a failed verify report names, in one line (Chinese, for the terminal; the
    report's own `reason`s stay as the contract has them)."""
    if report.get("first_bad"):
        bad = report["first_bad"]
        return f"第 {bad['seq']} 条记录（seq {bad['seq']}）：{bad['reason']}"
    if report.get("commands", {}).get("first_bad"):
        bad = report["commands"]["first_bad"]
        return f"命令编号“{bad['id']}”（seq {bad['seq']}）的索引行：{bad['reason']}"
    if report.get("tree") and not report["tree"]["ok"]:
        return f"Merkle 树：{report['tree']['problem']}"
    if report.get("checkpoints", {}).get("first_bad"):
        bad = report["checkpoints"]["first_bad"]
        return f"大小为 {bad['size']} 的检查点：{bad['reason']}"
    if report.get("read_model", {}).get("first_bad"):
        bad = report["read_model"]["first_bad"]
        return f"成绩表中 {bad['unit']} 的 {bad['column']}：{bad['reason']}"
    return "校验未通过"


def _first_foreign_id(links: Sequence[ChainLink], command_ids: dict[int, str],
                      events: dict[int, EntryRecorded | None]) -> Break | None:
    """The chain's command id column is outside the hash: each link's must be its entry's."""
    for link in links:
        event = events.get(link.seq)
        if event is None:
            return Break(link.seq, "the stored bytes do not decode to a ledger entry")
        if command_ids.get(link.seq) != event.command_id:
            return Break(link.seq, "its chain link records another command id than the entry's")
    return None


def command_row_problem(row: dict[str, Any], entries: Sequence[EntryRecorded]) -> str | None:
    """What is wrong with one command index row, given the entries recorded under its id."""
    first = entries[0]
    if row["type"] != first.entry_type:
        return "its index row's type is not its entries'"
    if sorted(row["streams"].split(",")) != sorted(e.stream for e in entries):
        return "its index row's streams are not its entries'"
    if row["content_hash"] == "" and first.entry_type not in COMMAND_TYPES:
        # entries the ledger makes itself (registry, tokens): no content hash, and the row keeps
        # when it was appended, not the entry's (perhaps earlier) recorded_at
        return None
    try:
        recorded_at = datetime.fromisoformat(row["recorded_at"])
    except (TypeError, ValueError):
        recorded_at = None
    if recorded_at != first.recorded_at:
        return "its index row's recorded_at is not its entries'"
    dispute = first.payload.get("dispute") if first.entry_type == "dispute.filed" else None
    if row["dispute"] != dispute:
        return "its index row's dispute code is not its entries'"
    stored = row["content_hash"]
    if first.entry_type in DECIDED_PAYLOADS:
        if len(stored) != 64 or stored.strip("0123456789abcdef") or not stored.strip("0"):
            return "its index row's content hash is not a SHA-256: a retry would be refused"
        return None
    if stored not in (content_hash(first.entry_type, first.payload, None),
                      content_hash(first.entry_type, first.payload, first.recorded_at)):
        return "its index row's content hash is not its entries' content: a retry would be refused"
    return None


#: commands whose entry holds what was decided rather than what was sent (a publication's frozen
#: standings, its as_of made a moment): their content hash cannot be recomputed from the entry,
#: only its form checked
DECIDED_PAYLOADS = frozenset({"results.published"})


__all__ = ["Audit", "command_row_problem", "findings", "first_problem"]
