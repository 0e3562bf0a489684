"""Checkpoints, proofs and receipts (docs/commands.md §6 "检查点", "证明",
"回执"): what lets anyone outside the office hold the ledger to what it once showed.

Every append ends with a checkpoint of the tree it leaves: the signer (`ledger/signer.py`) judges
the tree inside the append's transaction and signs it once the transaction has committed, keeping
its own record beside the key. The notary is the ledger's side of that exchange (`_CommittedTree`:
the committed tree's head, proofs from it, storing what was signed); it reads checkpoints back,
proves inclusion and consistency against stored checkpoints from the stored subtree hashes (O(log n)
reads), hands out receipts, and keeps the cosignatures witnesses send. It never signs two roots for
one size: the signer never signs a tree that does not extend what it signed, and the checkpoints'
primary key is the size.
"""

from __future__ import annotations

import base64
import threading
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import Any

from kaoping.domain.errors import (InvalidCommand, KaopingError, LedgerDamaged, LedgerForked, NotFound,
                                   RuleViolation)
from kaoping.domain.merkle import (EMPTY_ROOT, Node, consistency_ranges, inclusion_ranges, leaf_hash, needed,
                                   range_hash)
from kaoping.domain.folds import WitnessesState
from kaoping.domain.notes import (Checkpoint, NoteError, Signer, Verifier, cosignature_time,
                                  normalized_note, open_checkpoint, split_note)

from . import tree
from .settings import Settings
from .signer import Signatory, Signed, judge


def b64(value: bytes) -> str:
    return base64.b64encode(value).decode()


class Notary:
    def __init__(self, recorder: Any, settings: Settings,
                 witnesses: Callable[[], WitnessesState] | None = None):
        self.recorder, self.settings = recorder, settings
        #: the registered witnesses (a stream of the ledger), whose cosignatures alone are kept
        self.witnesses_state = witnesses
        self.signatory = Signatory(settings.signing_key_path)
        self._lock = threading.Lock()
        #: the fork the signer last refused, None once it signed (`fork_state`)
        self._fork: LedgerForked | None = None
        self._fork_known = False
        self._origin_checked = False

    # -- the key ------------------------------------------------------------------------------------
    def signer(self) -> Signer:
        """The ledger's signing key, read once from its file."""
        with self._lock:
            return self.signatory.key()

    def ensure_key(self) -> tuple[Signer, bool]:
        """The signing key, made now if there is none (`kaoping init`): (key, whether it was made)."""
        with self._lock:
            return self.signatory.ensure_key()

    def signing(self, now: datetime) -> tree.Signing:
        """What an append hands the store: the signer's gate in its transaction, and the signature
        of the committed tree after it. The key is read first: without it nothing is appended."""
        self.signer()
        return tree.Signing(self._gate, lambda: self.sign_committed(now))

    # -- the signer's judgement ---------------------------------------------------------------------
    def _gate(self, tx: tree.Tx, size: int, root: bytes, before: tuple[int, bytes] | None) -> None:
        """Inside an append's transaction: refuse a tree that does not extend what the key signed.
        The append's leaves were added to the edge of the tree as it was (`before`), so the new
        tree extends that one by construction: it is the tree before the append that is judged
        (and named in the refusal), by its root alone when the record's last checkpoint has its
        size, else by a consistency proof read in the transaction."""
        if not self._origin_checked:  # once per process: another ledger's key appends nothing
            _same_origin(self.latest(tx), self.signer().name)
            self._origin_checked = True
        last = self.signatory.last()
        size, root = before or (size, root)
        try:
            judge(last, size, root, lambda old: tree.consistency_proof(tx, old, size))
        except LedgerForked as fork:
            self._forked(fork)
            raise

    def sign_committed(self, now: datetime) -> tree.StoredCheckpoint | None:
        """Sign the committed tree (after an append, or to catch up): the checkpoint the signer signed,
        or the stored one of that size when it was signed already; None for an empty tree."""
        try:
            with _CommittedTree(self) as committed:
                signed = self.signatory.sign(committed, now, seed=self._seed)
        except LedgerForked as fork:
            self._forked(fork)
            raise
        with self._lock:
            self._fork, self._fork_known = None, True
        if signed is None:
            return None
        return tree.StoredCheckpoint(signed.size, self.signer().name, signed.root, signed.note or "",
                                     signed.signed_at)

    def sign_current(self, now: datetime) -> tree.StoredCheckpoint | None:
        """A checkpoint of the whole tree (caught up with the chain first): the stored one when
        nothing was appended since, else a new one."""
        signing = self.signing(now)
        self.recorder.grow_tree(signing)
        return signing.signed

    def fork_state(self) -> LedgerForked | None:
        """Whether the signer refuses this ledger's tree: judged once per process (read only, no
        signature), then kept up to date by every append and signature."""
        with self._lock:
            if self._fork_known:
                return self._fork
        try:
            with self.recorder.reading() as tx:
                size, root = tree.head(tx)
                if size:
                    self.signatory.check(size, root, lambda old: tree.consistency_proof(tx, old, size))
            fork = None
        except LedgerForked as found:
            fork = found
        except KaopingError:  # no key, a damaged tree: other checks name it
            fork = None
        with self._lock:
            self._fork, self._fork_known = fork, True
        return fork

    def _forked(self, fork: LedgerForked) -> None:
        with self._lock:
            self._fork, self._fork_known = fork, True

    def _seed(self) -> Signed | None:
        """Where a record that does not exist yet starts: the latest stored checkpoint that the
        key's own signature verifies (a ledger signed before the record existed)."""
        verifier = self.signer().verifier
        for stored in reversed(self.all()):
            try:
                signed, _ = open_checkpoint(stored.note, verifier)
            except NoteError:
                continue
            if signed == stored.checkpoint:
                return Signed(stored.size, stored.root, stored.signed_at, stored.note, seeded=True)
        return None

    def keep(self, signed: Signed, *, known_new: bool = False) -> None:
        """Store a checkpoint the signer signed (nothing when it is stored already); a stored row
        of that size with another root is refused: the key did not sign it. `known_new`: the
        caller knows no row of its size is stored."""
        rows = [] if known_new else self.recorder.query(
            f"SELECT root FROM {tree.CHECKPOINTS_TABLE} WHERE size = %s", [signed.size])
        if not rows:  # not waiting for the disk: the record holds the note, and restores it
            self.recorder.write(
                f"INSERT INTO {tree.CHECKPOINTS_TABLE} VALUES (%s, %s, %s, %s, %s) ON CONFLICT (size) DO NOTHING",
                [signed.size, self.signer().name, signed.root.hex(), signed.note, signed.signed_at],
                durable=False)
        elif rows[0]["root"] != signed.root.hex():
            raise LedgerDamaged("checkpoint.foreign_row", size=signed.size)

    def _rows(self, tx: tree.Tx | None, statement: str, params: Sequence[Any] = ()) -> list[Any]:
        """`statement` (written with %s) on `tx`, or in a read transaction of its own without one."""
        if tx is None:
            return self.recorder.query(statement, params)
        tx.execute(statement.replace("%s", tx.mark), list(params))
        return tx.fetchall()

    def reading(self) -> Any:
        """One read transaction for reads that belong together (`at`, `receipts`, `note` take it)."""
        return self.recorder.reading()

    def latest(self, tx: tree.Tx | None = None) -> tree.StoredCheckpoint | None:
        rows = self._rows(tx, f"SELECT size, origin, root, note, signed_at FROM "
                              f"{tree.CHECKPOINTS_TABLE} ORDER BY size DESC LIMIT 1")
        return tree.stored_checkpoint(rows[0]) if rows else None

    def at(self, size: int | None, *, field: str = "size",
           tx: tree.Tx | None = None) -> tree.StoredCheckpoint:
        """The stored checkpoint of `size` (the latest when None); 404 when there is none."""
        if size is None:
            found = self.latest(tx)
            if found is None:
                raise NotFound("checkpoint.none_yet", field=field)
            return found
        rows = self._rows(tx, f"SELECT size, origin, root, note, signed_at FROM "
                              f"{tree.CHECKPOINTS_TABLE} WHERE size = %s", [size])
        if not rows:
            raise NotFound("checkpoint.not_stored", field=field, size=size)
        return tree.stored_checkpoint(rows[0])

    def all(self) -> list[tree.StoredCheckpoint]:
        return [tree.stored_checkpoint(r) for r in self.recorder.query(
            f"SELECT size, origin, root, note, signed_at FROM {tree.CHECKPOINTS_TABLE} ORDER BY size")]

    # -- proofs -------------------------------------------------------------------------------------
    def leaf_indexes(self, seqs: Iterable[int], tx: tree.Tx | None = None) -> dict[int, int]:
        wanted = sorted(set(seqs))
        found: dict[int, int] = {}
        for start in range(0, len(wanted), 500):
            chunk = wanted[start:start + 500]
            marks = ",".join(["%s"] * len(chunk))
            found.update({int(r["seq"]): int(r["leaf_index"]) for r in self._rows(
                tx, f"SELECT seq, leaf_index FROM {tree.LEAVES_TABLE} WHERE seq IN ({marks})", chunk)})
        return found

    def tree_size_at(self, seq: int) -> int:
        """The number of leaves of entries up to seq `seq`."""
        rows = self.recorder.query(f"SELECT MAX(leaf_index) AS last FROM {tree.LEAVES_TABLE} "
                                   "WHERE seq <= %s", [seq])
        return int(rows[0]["last"]) + 1 if rows and rows[0]["last"] is not None else 0

    def _hashes(self, ranges: Sequence[tuple[int, int]]) -> list[bytes]:
        with self.recorder.reading() as tx:
            return tree.range_hashes(tx, ranges)

    def inclusion(self, seq: int, size: int | None = None) -> dict[str, Any]:
        """`prove SEQ --size N`: the entry's inclusion proof in the stored checkpoint of size N."""
        checkpoint = self.at(size)
        index = self.leaf_indexes([seq]).get(seq)
        if index is None:
            raise NotFound("seq.unknown", field="seq", seq=seq)
        if index >= checkpoint.size:
            raise RuleViolation("seq.after_checkpoint", field="size", seq=seq, size=checkpoint.size)
        rows = self.recorder.query(f"SELECT hash FROM {tree.TREE_TABLE} WHERE level = 0 AND idx = %s",
                                   [index])
        chain = self.recorder.query("SELECT hash FROM kaoping_chain WHERE seq = %s", [seq])
        proof = self._hashes(inclusion_ranges(index, checkpoint.size))
        return {"seq": seq, "leaf_index": index, "hash": chain[0]["hash"],
                "leaf_hash": b64(bytes.fromhex(rows[0]["hash"])), "tree_size": checkpoint.size,
                "proof": [b64(h) for h in proof], "checkpoint": self.note(checkpoint)}

    def consistency(self, old: int, new: int | None = None) -> dict[str, Any]:
        """`consistency OLD [NEW]`: the tree of size OLD is a prefix of the checkpoint of size NEW."""
        checkpoint = self.at(new, field="to")
        if old < 1:
            raise InvalidCommand("proof.from_zero", field="from")
        if old > checkpoint.size:
            raise InvalidCommand("proof.from_after_to", field="from", old=old, new=checkpoint.size)
        proof = self._hashes(consistency_ranges(old, checkpoint.size))
        return {"size1": old, "size2": checkpoint.size, "proof": [b64(h) for h in proof],
                "checkpoint": self.note(checkpoint)}

    def receipts(self, seqs: Sequence[int], checkpoint: tree.StoredCheckpoint,
                 tx: tree.Tx | None = None) -> dict[int, dict[str, Any]]:
        """One inclusion proof per seq against `checkpoint`, from one read of the nodes they need
        (every read in `tx` when given, else each in a read transaction of its own)."""
        if tx is None:
            with self.reading() as own:
                return self.receipts(seqs, checkpoint, own)
        indexes = self.leaf_indexes(seqs, tx)
        hashes = {int(r["seq"]): r["hash"] for r in self._chain_hashes(list(indexes), tx)}
        plans = {seq: inclusion_ranges(index, checkpoint.size) for seq, index in indexes.items()
                 if index < checkpoint.size}
        # a group's entries sit side by side at the tree's right edge: their paths share most
        # ranges, so each distinct range is walked and hashed once for all of them
        ranges = {r for plan in plans.values() for r in plan}
        stored = tree.read_nodes(tx, needed(ranges))
        proofs = {(a, b): b64(range_hash(a, b, stored.__getitem__)) for a, b in ranges}
        return {seq: {"seq": seq, "leaf_index": indexes[seq], "hash": hashes[seq],
                      "proof": [proofs[r] for r in plan]}
                for seq, plan in plans.items()}

    def _chain_hashes(self, seqs: Sequence[int], tx: tree.Tx | None = None) -> list[Any]:
        rows: list[Any] = []
        for start in range(0, len(seqs), 500):
            chunk = list(seqs[start:start + 500])
            marks = ",".join(["%s"] * len(chunk))
            rows += self._rows(tx, f"SELECT seq, hash FROM kaoping_chain WHERE seq IN ({marks})", chunk)
        return rows

    def nodes(self, wanted: Iterable[Node]) -> dict[Node, bytes]:
        with self.recorder.reading() as tx:
            return tree.read_nodes(tx, wanted)

    # -- cosignatures -------------------------------------------------------------------------------
    def registered(self) -> dict[str, Verifier]:
        """The registered witnesses' cosigner keys, by name (`kaoping witness add`)."""
        if self.witnesses_state is None:
            return {}
        return {name: Verifier.parse(info.vkey) for name, info in self.witnesses_state().by_name.items()}

    def note(self, checkpoint: tree.StoredCheckpoint, tx: tree.Tx | None = None) -> str:
        """The checkpoint's note with the cosignature line of every registered witness whose
        cosignature of it verifies under its registered key (a row written behind the endpoint's
        back, or by a witness since removed, is left out)."""
        rows = self._rows(
            tx, f"SELECT witness, key_id, line FROM {tree.COSIGNATURES_TABLE} WHERE size = %s "
                "ORDER BY witness, key_id", [checkpoint.size])
        registered = self.registered() if rows else {}
        text = checkpoint.checkpoint.text
        return checkpoint.note + "".join(r["line"] for r in rows if _vouches(registered, r, text))

    def cosign(self, note: str, vkey: str | None, now: datetime) -> dict[str, Any]:
        """Keep a registered witness's cosignature of a stored checkpoint: `note` is that checkpoint
        with the witness's signature line; `vkey` names the witness (its key is the registered one,
        whatever key the request sends). Without it, every registered witness's line in the note."""
        registered = self.registered()
        text, signatures = split_note(normalized_note(note))
        checkpoint = Checkpoint.parse(text)
        stored = self.at(checkpoint.size, field="size")
        if stored.checkpoint.text != text:
            raise NoteError("cosignature.not_this_checkpoint", field="note")
        names = [Verifier.parse(vkey).name] if vkey else \
            list(dict.fromkeys(s.name for s in signatures if s.name in registered))
        if not names:
            raise NoteError("cosignature.none_registered", field="note",
                            known=sorted(registered) or ["（无）"], known_en=sorted(registered) or ["(none)"])
        kept = []
        for name in names:
            witness = registered.get(name)
            if witness is None:
                raise NoteError("witness.unregistered", field="vkey", name=name)
            mine = [s for s in signatures if (s.name, s.id) == (witness.name, witness.id)]
            if not mine:
                raise NoteError("cosignature.not_registered_key", field="note", name=name)
            try:
                cosigned_at = cosignature_time(text, mine[0], witness)
            except NoteError:
                raise NoteError("cosignature.bad_by", field="note", name=name) from None
            self.recorder.write(
                f"INSERT INTO {tree.COSIGNATURES_TABLE} VALUES (%s, %s, %s, %s, %s, %s, %s) "
                "ON CONFLICT (size, witness, key_id) DO UPDATE SET cosigned_at = excluded.cosigned_at, "
                "line = excluded.line, vkey = excluded.vkey, received_at = excluded.received_at",
                [stored.size, witness.name, witness.id.hex(), cosigned_at, witness.text, mine[0].line,
                 now.isoformat()])
            kept.append({"witness": witness.name, "size": stored.size, "time": cosigned_at})
        return kept[0] if len(kept) == 1 else {"cosignatures": kept}

    def witnesses(self) -> list[dict[str, Any]]:
        """Which registered witnesses vouched for which size: each one's largest cosigned size whose
        cosignature verifies under its registered key."""
        found = []
        for name, witness in sorted(self.registered().items()):
            rows = self.recorder.query(
                f"SELECT w.size, w.witness, w.key_id, w.line, w.cosigned_at, c.origin, c.root "
                f"FROM {tree.COSIGNATURES_TABLE} w JOIN {tree.CHECKPOINTS_TABLE} c ON c.size = w.size "
                "WHERE w.witness = %s AND w.key_id = %s ORDER BY w.size DESC LIMIT 20", [name, witness.id.hex()])
            for r in rows:
                text = Checkpoint(r["origin"], int(r["size"]), bytes.fromhex(r["root"])).text
                if _vouches({name: witness}, r, text):
                    found.append({"witness": name, "size": int(r["size"]), "time": int(r["cosigned_at"])})
                    break
        return found


def _same_origin(latest: tree.StoredCheckpoint | None, name: str) -> None:
    """Refuse a key whose name is not the origin of the checkpoints stored: another ledger's key."""
    if latest is not None and latest.origin != name:
        raise NoteError("key.other_ledger", field="key", key_origin=name, origin=latest.origin)


def _vouches(registered: dict[str, Verifier], row: Any, text: str) -> bool:
    """Whether a stored cosignature line is a registered witness's valid cosignature of `text`."""
    witness = registered.get(row["witness"])
    if witness is None or witness.id.hex() != row["key_id"]:
        return False
    try:
        _, (signature,) = split_note(text + "\n" + row["line"])
        cosignature_time(text, signature, witness)
    except (NoteError, ValueError):
        return False
    return True


class _CommittedTree:
    """The committed tree as the signer asks for it (`signer.TreeSource`), after the append's
    transaction has committed: its questions are answered in one read transaction, open while the
    signer works (`with`), and its checkpoints are stored in transactions of their own."""

    def __init__(self, notary: Notary):
        self.notary = notary
        self._latest: tree.StoredCheckpoint | None = None
        self._nodes: dict[Node, bytes] = {}
        self._reading: Any = None
        self._tx: tree.Tx | None = None

    def __enter__(self) -> _CommittedTree:
        self._reading = self.notary.recorder.reading()
        self._tx = self._reading.__enter__()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._reading.__exit__(*exc)

    def head(self, since: int | None) -> tuple[int, bytes]:
        """The head, with the latest checkpoint (its origin checked) in one query, and the right
        edge's hashes with those of the proof from `since` in another."""
        assert self._tx is not None
        tx = self._tx
        tx.execute(f"SELECT (SELECT MAX(leaf_index) FROM {tree.LEAVES_TABLE}) AS last_leaf, c.size, c.origin, "
                   f"c.root, c.note, c.signed_at FROM (SELECT 1 AS one) AS one LEFT JOIN (SELECT * FROM "
                   f"{tree.CHECKPOINTS_TABLE} ORDER BY size DESC LIMIT 1) AS c ON 1 = 1")
        row = tx.fetchone()
        self._latest = tree.stored_checkpoint(row) if row["size"] is not None else None
        _same_origin(self._latest, self.notary.signer().name)
        size = int(row["last_leaf"]) + 1 if row["last_leaf"] is not None else 0
        if size == 0:
            return 0, EMPTY_ROOT
        ranges = consistency_ranges(since, size) if since is not None and 0 < since < size else []
        self._nodes = tree.read_nodes(tx, set(tree.edge_nodes(size)) | needed(ranges))
        root = tree.edge_root(size, self._nodes)
        if root is None:
            raise tree.TreeOutOfStep("tree.node_missing", field="size", size=size)
        return size, root

    def consistency(self, old: int, new: int) -> list[bytes]:
        ranges = consistency_ranges(old, new)
        if not needed(ranges) <= self._nodes.keys():
            assert self._tx is not None
            self._nodes.update(tree.read_nodes(self._tx, needed(ranges)))
        return [range_hash(start, end, self._nodes.__getitem__) for start, end in ranges]

    def stored(self) -> int:
        return self._latest.size if self._latest is not None else 0

    def keep(self, signed: Signed) -> None:
        # above the latest stored checkpoint read with the head, no row can have its size
        self.notary.keep(signed, known_new=self._latest is None or self._latest.size < signed.size)


def leaf_of(chain_hash: str) -> bytes:
    return leaf_hash(bytes.fromhex(chain_hash))


__all__ = ["Notary", "b64", "leaf_of"]
