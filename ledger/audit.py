"""What an auditor runs: `verify` (walk the hash chain of the stored ledger, recompute its Merkle
tree, check every stored checkpoint's root and signature) and `export` (the whole ledger as JSON
Lines, checkable with no database: `ledger.export.verify_export`).

`verify` reads every entry, so a page that shows its answer asks `verify_status`, which remembers
the answer by ledger size and recomputes it, in the background on a big ledger, when the ledger grows.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from kaoping.domain.chain import Break, ChainLink, ChainWalk
from kaoping.domain.commands import COMMAND_TYPES, content_hash
from kaoping.domain.entry_types import VIEWS, files_cited
from kaoping.domain.errors import KaopingError, TimeLimitExceeded
from kaoping.domain.events import EntryRecorded
from kaoping.domain.merkle import CompactTree, leaf_hash, node_hash
from kaoping.domain.notes import NoteError, Verifier, open_checkpoint

from . import budget, tree
from .export import decode_entry, export_entries
from .notary import Notary
from .settings import Settings
from .signer import RecordDamaged, Signed
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
        self._verifying = threading.Lock()
        #: the background check `verify_status` started, if any (`wait` lets it end before a close)
        self._thread: threading.Thread | None = None

    def verify(self, vkey: str | None = None, cited: set[str] | None = None) -> dict[str, Any]:
        """The chain, the tree and the checkpoints. `vkey` checks the checkpoints' signatures
        against a key the auditor holds; without it, against the ledger's own signing key. `cited`:
        a set to which the same pass adds the files the entries that decode cite (a damaged entry
        is skipped here; the chain's check names it)."""
        # one snapshot: the entries and the links up to the last seq read first. Read unbounded, an
        # append between the two reads would look like an entry deleted from the events table.
        # Links commit with their entries, so the larger of the two last seqs is the snapshot's end:
        # an entry deleted at the end still leaves its link inside it.
        # checkpoints first: each covers entries committed before it was read, so within the snapshot
        # the signer's record before the checkpoints: every size it holds was stored (bar a line
        # being written meanwhile, `unstored`) and committed before the snapshot's entries
        with self._one_at_a_time():
            return self._verify(vkey, cited)

    @contextmanager
    def _one_at_a_time(self) -> Iterator[None]:
        """At most one verify runs in this process (it reads the whole ledger): another waits for
        it, within its request's time bound if it has one (503 `verify.busy` past it)."""
        left = budget.remaining()
        if not self._verifying.acquire(timeout=-1 if left is None else left):
            raise TimeLimitExceeded("verify.busy")
        try:
            yield
        finally:
            self._verifying.release()

    def _verify(self, vkey: str | None, cited: set[str] | None = None) -> dict[str, Any]:
        record, unreadable = self._record()
        checkpoints = self.notary.all()
        end = max(self.recorder.max_notification_id() or 0, self.index.last_link_seq())
        # every walk below checks the request's time bound as it goes (`budget`; none in the CLI)
        links = budget.Checked(link for link in budget.checking(self.index.all_links()) if link.seq <= end)
        # one pass over the stored entries, read page by page: each is checked against its link,
        # decoded and summed up (`CommandSeen`), then dropped, so a verify holds the links and what
        # the command index is checked against, never the ledger's bytes and its decoded entries
        # at once (issue 28, item 3)
        walk = ChainWalk(links)
        ids: dict[int, str | None] = {}  # each linked entry's command id (None: its bytes do not decode)
        commands: dict[str, CommandSeen] = {}
        count, streams = 0, set()
        for entry in budget.checking(self.index.all_entries()):
            if entry.seq > end:
                break
            count += 1
            streams.add(entry.originator_id)
            walk.add(entry)
            linked = entry.seq in walk.linked
            event = decode_entry(self.store.mapper, entry) if linked or cited is not None else None
            if linked:
                ids[entry.seq] = event.command_id if event is not None else None
                if event is not None:
                    seen = commands.get(event.command_id)
                    if seen is None:
                        commands[event.command_id] = CommandSeen.of(event, entry.seq)
                    else:
                        seen.streams.append(event.stream)
            if cited is not None and event is not None:
                cited.update(_cites(event))
        broken = walk.result()
        if broken is None:
            broken = _first_foreign_id(links, self.index.link_command_ids(end), ids)
        report = {
            "ok": broken is None,
            "entries": count,
            "streams": len(streams),
            "first_bad": None if broken is None else {"seq": broken.seq, "reason": broken.reason},
            "head": links[-1].hash if links else None,
        }
        report["tree"] = self._tree(links, end)
        report["checkpoints"], signer = self._checkpoints(links, checkpoints, vkey, record, unreadable,
                                                          report["tree"]["size"])
        if signer is not None:
            report["signer"] = signer
        report["commands"] = self._commands(commands, end)
        report["ok"] = (report["ok"] and report["tree"]["ok"] and report["checkpoints"]["ok"]
                        and report["commands"]["ok"] and (signer is None or signer["ok"]))
        return report

    def _commands(self, entries_of: dict[str, CommandSeen], end: int) -> dict[str, Any]:
        """The command index against the entries: every row names entries of its id with its type,
        streams, knowledge time, dispute code and content hash; every entry's id has its row. A
        missing row lets a retry append the command twice; a wrong hash refuses a true retry.
        `entries_of`: what the linked entries of each command id say (emptied here)."""
        problems: list[tuple[int, str, str]] = []
        rows = 0
        unmatched: list[str] = []
        for row in budget.checking(self.index.command_rows()):
            rows += 1
            found = entries_of.pop(row["command_id"], None)
            if found is None:
                unmatched.append(row["command_id"])
                continue
            reason = command_row_problem(row, found)
            if reason is not None:
                problems.append((found.seq, row["command_id"], reason))
        # the rows are read after the snapshot: a command appended since has its row, not its entries
        later = {i for i, seq in self.index.linked(unmatched).items() if seq > end}
        rows -= len(later)
        problems.extend((0, i, "its index row names no entry of the ledger")
                        for i in unmatched if i not in later)
        for command_id, seen in entries_of.items():
            problems.append((seen.seq, command_id,
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
            budget.check()
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
            budget.check()
            for row in page:
                index = int(row["idx"])
                if index != count or index >= len(expected) or bytes.fromhex(row["hash"]) != expected[index]:
                    return False
                count += 1
            if len(page) < 10_000:
                return count == len(expected)
            after = int(page[-1]["idx"])

    def _checkpoints(self, links: Sequence[ChainLink], checkpoints: list[tree.StoredCheckpoint],
                     vkey: str | None, record: list[Signed] | None, unreadable: str | None,
                     tree_size: int) -> tuple[dict[str, Any], dict[str, Any] | None]:
        """The stored checkpoints against the chain's tree (and their signatures), and, where the
        key is configured, the `signer` section: the checkpoints the key's record says it signed
        against those stored and against the tree. A record whose sizes the database has lost, or
        holds with other roots, or that the tree no longer extends, is a rewrite or a cut; without
        a record (an auditor's copy), a latest checkpoint that covers less than the tree is
        reported, since the checkpoints above it may have been deleted."""
        verifier = Verifier.parse(vkey) if vkey else self._own_verifier()
        wanted = {c.size for c in checkpoints} | {line.size for line in record or ()}
        roots: dict[int, bytes] = {}
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
        latest = checkpoints[-1].size if checkpoints else None
        # the stored tree is what the latest checkpoint should cover (a ledger written before the
        # tree existed has neither until its next write)
        uncovered = tree_size - (latest or 0)
        if first_bad is None and uncovered > 0 and not record:
            first_bad = {"size": latest or 0, "reason": (
                f"the latest stored checkpoint covers {latest or 0} of the tree's {tree_size} entries: "
                "checkpoints were deleted, or the ledger stopped between an append and its checkpoint "
                "(after a restart it signs them)")}
        report = {"ok": first_bad is None, "count": len(checkpoints), "latest": latest,
                  "uncovered": uncovered, "signatures_checked": verifier is not None, "first_bad": first_bad}
        if record is None:
            return report, None
        signer = signer_report(record, checkpoints, roots)
        if unreadable is not None:
            signer.update(ok=False, consistent=False, unreadable=unreadable)
        return report, signer

    def _record(self) -> tuple[list[Signed] | None, str | None]:
        """The signer's record, where the key is configured here (None without it), and why it
        could not be read (a line the signer did not write)."""
        signatory = self.notary.signatory
        if not signatory.key_path.is_file():
            return None, None
        try:
            return signatory.lines(), None
        except RecordDamaged as damaged:
            return [], damaged.message_en

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
            self._thread = threading.Thread(target=self._verify_and_keep, daemon=True, name="kaoping-verify")
            self._thread.start()
        return {**known, "fresh": False} if known else {"fresh": False, "ok": None}

    def settle(self, timeout: float = 30) -> None:
        """Wait for a background check still running (the ledger is about to close its store: a
        check reading a closed connection would end the process on SQLite)."""
        thread = self._thread
        if thread is not None and thread.is_alive() and thread is not threading.current_thread():
            thread.join(timeout)

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


def _cites(event: EntryRecorded) -> tuple[str, ...]:
    """The files one decoded entry cites (none for a type that cites none)."""
    return files_cited(event.entry_type, event.payload) if event.entry_type in VIEWS else ()


def signer_report(record: Sequence[Signed], checkpoints: Sequence[tree.StoredCheckpoint],
                  roots: dict[int, bytes]) -> dict[str, Any]:
    """The `signer` section: what the key's record says it signed (`signed` lines) against the
    stored checkpoints and the chain's tree (`roots`: its root at each recorded size it reaches).
    `missing`: recorded sizes with no stored checkpoint; `mismatched`: stored with another root;
    `diverged`: recorded sizes whose root the tree no longer has (a rewrite or a cut), so
    `consistent` is whether the tree extends the record's last checkpoint. The record's last line
    alone may lack its row without fault when the tree still has its root (`unstored`: the process
    stopped between fsyncing the record and storing the checkpoint; before it writes a new line the
    signer stores every line above the latest stored checkpoint, this one included)."""
    stored = {c.size: c for c in checkpoints}
    missing = [line.size for line in record if line.size not in stored]
    unstored: list[int] = []
    if missing and missing[-1] == record[-1].size and roots.get(record[-1].size) == record[-1].root:
        unstored.append(missing.pop())
    mismatched = [line.size for line in record if line.size in stored and stored[line.size].root != line.root]
    diverged = [line.size for line in record if roots.get(line.size) != line.root]
    consistent = not record or roots.get(record[-1].size) == record[-1].root
    return {"ok": consistent and not missing and not mismatched, "signed": len(record),
            "stored": len(checkpoints), "missing": missing, "mismatched": mismatched,
            "consistent": consistent, "diverged": diverged, "unstored": unstored,
            "last": None if not record else {"size": record[-1].size, "root": record[-1].root_b64}}


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
    signer = report.get("signer")
    if signer and not signer["ok"]:
        unplaced.append(f"the signer's record: {signer_problem(signer)[1]}")
    return damage, unplaced


def signer_problem(signer: dict[str, Any]) -> tuple[str, str]:
    """What a failed `signer` section says, (Chinese, English), naming the sizes."""
    parts: list[tuple[str, str]] = []
    if signer.get("unreadable"):
        parts.append(("签名记录（密钥文件旁的 .signed 文件）中有不是签名者写的行", signer["unreadable"]))
    elif not signer["consistent"]:
        last = signer["last"]
        parts.append((f"数据库中的树不是签名密钥最后签署的第 {last['size']} 条（根哈希 {last['root']}）的延续，"
                      f"与签署时不同的大小：{_sizes(signer['diverged'])}",
                      f"the tree does not extend size {last['size']} the key last signed (root {last['root']}); "
                      f"sizes signed with another root: {_sizes(signer['diverged'])}"))
    if signer["missing"]:
        parts.append((f"签名密钥签署过、数据库中却没有的检查点：{_sizes(signer['missing'])}",
                      f"checkpoints the key signed that the database lacks: {_sizes(signer['missing'])}"))
    if signer["mismatched"]:
        parts.append((f"数据库中根哈希与签署时不同的检查点：{_sizes(signer['mismatched'])}",
                      f"stored checkpoints whose root is not the one signed: {_sizes(signer['mismatched'])}"))
    return "；".join(zh for zh, _ in parts), "; ".join(en for _, en in parts)


def _sizes(sizes: Sequence[int], most: int = 12) -> str:
    shown = ", ".join(str(size) for size in sizes[:most])
    return shown + (f" … ({len(sizes)})" if len(sizes) > most else "")


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
    if report.get("signer") and not report["signer"]["ok"]:
        return f"签名记录：{signer_problem(report['signer'])[0]}"
    if report.get("read_model", {}).get("first_bad"):
        bad = report["read_model"]["first_bad"]
        return f"成绩表中 {bad['unit']} 的 {bad['column']}：{bad['reason']}"
    return "校验未通过"


def _first_foreign_id(links: Sequence[ChainLink], command_ids: dict[int, str],
                      ids: dict[int, str | None]) -> Break | None:
    """The chain's command id column is outside the hash: each link's must be its entry's (`ids`:
    each linked entry's command id, None where its bytes do not decode)."""
    for link in links:
        command_id = ids.get(link.seq)
        if command_id is None:
            return Break(link.seq, "the stored bytes do not decode to a ledger entry")
        if command_ids.get(link.seq) != command_id:
            return Break(link.seq, "its chain link records another command id than the entry's")
    return None


@dataclass(slots=True)
class CommandSeen:
    """What the entries of one command id say that its command index row must say too: read off
    its first entry as the verify's pass goes by (the payload itself is not kept)."""

    seq: int                        # its first entry
    type: str
    recorded_at: datetime
    streams: list[str]              # one per entry
    dispute: str | None             # a dispute's code
    hashes: frozenset[str] | None   # the content hashes a row may hold; None: only its form checked

    @classmethod
    def of(cls, first: EntryRecorded, seq: int) -> CommandSeen:
        dispute = first.payload.get("dispute") if first.entry_type == "dispute.filed" else None
        hashes = None
        if first.entry_type not in DECIDED_PAYLOADS:
            sent = [first.payload]
            if first.entry_type == "common.scored" and "parts" in first.payload:
                # the score the ledger computed from the parts when none was sent (docs/commands.md §10.4)
                sent.append({k: v for k, v in first.payload.items() if k != "score"})
            hashes = frozenset(content_hash(first.entry_type, payload, at)
                               for payload in sent for at in (None, first.recorded_at))
        return cls(seq, first.entry_type, first.recorded_at, [first.stream], dispute, hashes)


def command_row_problem(row: dict[str, Any], seen: CommandSeen) -> str | None:
    """What is wrong with one command index row, given what the entries under its id say."""
    if row["type"] != seen.type:
        return "its index row's type is not its entries'"
    if sorted(row["streams"].split(",")) != sorted(seen.streams):
        return "its index row's streams are not its entries'"
    if row["content_hash"] == "" and seen.type not in COMMAND_TYPES:
        # entries the ledger makes itself (registry, tokens): no content hash, and the row keeps
        # when it was appended, not the entry's (perhaps earlier) recorded_at
        return None
    try:
        recorded_at = datetime.fromisoformat(row["recorded_at"])
    except (TypeError, ValueError):
        recorded_at = None
    if recorded_at != seen.recorded_at:
        return "its index row's recorded_at is not its entries'"
    if row["dispute"] != seen.dispute:
        return "its index row's dispute code is not its entries'"
    stored = row["content_hash"]
    if seen.hashes is None:
        if len(stored) != 64 or stored.strip("0123456789abcdef") or not stored.strip("0"):
            return "its index row's content hash is not a SHA-256: a retry would be refused"
        return None
    if stored not in seen.hashes:
        return "its index row's content hash is not its entries' content: a retry would be refused"
    return None


#: commands whose entry holds what was decided rather than what was sent (a publication's frozen
#: standings, its as_of made a moment): their content hash cannot be recomputed from the entry,
#: only its form checked
DECIDED_PAYLOADS = frozenset({"results.published"})


__all__ = ["Audit", "command_row_problem", "findings", "first_problem", "signer_problem", "signer_report"]
