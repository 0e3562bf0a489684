"""Checkpoints, proofs and receipts (CONTRACT.md, "Signing key and checkpoints", "Proofs and
receipts"): what lets anyone outside the office hold the ledger to what it once showed.

Every append signs a checkpoint of the tree it leaves, in its own transaction (`ledger/tree.py`);
the notary reads them back, proves inclusion and consistency against stored checkpoints from the
stored subtree hashes (O(log n) reads), hands out receipts, and keeps the cosignatures witnesses
send. It never signs two roots for one size: the checkpoints' primary key is the size, and the
tree is a function of the chain.
"""

from __future__ import annotations

import base64
import threading
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from kaoping.domain.errors import InvalidCommand, NotFound, RuleViolation
from kaoping.domain.merkle import (Node, consistency_ranges, inclusion_ranges, leaf_hash, needed,
                                   range_hash)
from kaoping.domain.notes import (Checkpoint, NoteError, Signer, Verifier, cosignature_time,
                                  split_note)

from . import keys, tree
from .settings import Settings


def b64(value: bytes) -> str:
    return base64.b64encode(value).decode()


class Notary:
    def __init__(self, recorder: Any, settings: Settings):
        self.recorder, self.settings = recorder, settings
        self._signer: Signer | None = None
        self._lock = threading.Lock()

    # -- the key ------------------------------------------------------------------------------------
    def signer(self) -> Signer:
        """The ledger's signing key, read once from its file."""
        with self._lock:
            if self._signer is None:
                path = self.settings.signing_key_path
                signer = keys.load(path)
                if signer is None:
                    raise keys.NoSigningKey("key.missing", field="key", path=path)
                self._signer = signer
            return self._signer

    def ensure_key(self) -> tuple[Signer, bool]:
        """The signing key, made now if there is none (`kaoping init`): (key, whether it was made)."""
        signer, made = keys.ensure(self.settings.signing_key_path)
        with self._lock:
            self._signer = signer
        return signer, made

    def signing(self, now: datetime) -> tree.Signing:
        return tree.Signing(self.signer(), now)

    # -- checkpoints --------------------------------------------------------------------------------
    def sign_current(self, now: datetime) -> tree.StoredCheckpoint | None:
        """A checkpoint of the whole tree (caught up with the chain first): the stored one when
        nothing was appended since, else a new one."""
        signing = self.signing(now)
        self.recorder.grow_tree(signing)
        return signing.signed

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
            stored = tree.read_nodes(tx, needed(ranges))
        return [range_hash(start, end, stored.__getitem__) for start, end in ranges]

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
    def note(self, checkpoint: tree.StoredCheckpoint, tx: tree.Tx | None = None) -> str:
        """The checkpoint's note with every witness's cosignature line of its size appended."""
        lines = [r["line"] for r in self._rows(
            tx, f"SELECT line FROM {tree.COSIGNATURES_TABLE} WHERE size = %s ORDER BY witness, key_id",
            [checkpoint.size])]
        return checkpoint.note + "".join(lines)

    def cosign(self, note: str, vkey: str, now: datetime) -> dict[str, Any]:
        """Keep a witness's cosignature of a stored checkpoint: `note` is that checkpoint with the
        witness's signature line, `vkey` the witness's cosigner key."""
        witness = Verifier.parse(vkey)
        text, signatures = split_note(note)
        checkpoint = Checkpoint.parse(text)
        stored = self.at(checkpoint.size, field="size")
        if stored.checkpoint.text != text:
            raise NoteError("cosignature.not_this_checkpoint", field="note")
        mine = [s for s in signatures if (s.name, s.id) == (witness.name, witness.id)]
        if not mine:
            raise NoteError("cosignature.missing", field="note", name=witness.name)
        cosigned_at = cosignature_time(text, mine[0], witness)
        self.recorder.write(
            f"INSERT INTO {tree.COSIGNATURES_TABLE} VALUES (%s, %s, %s, %s, %s, %s, %s) "
            "ON CONFLICT (size, witness, key_id) DO UPDATE SET cosigned_at = excluded.cosigned_at, "
            "line = excluded.line, vkey = excluded.vkey, received_at = excluded.received_at",
            [stored.size, witness.name, witness.id.hex(), cosigned_at, witness.text, mine[0].line,
             now.isoformat()])
        return {"witness": witness.name, "size": stored.size, "time": cosigned_at}

    def witnesses(self) -> list[dict[str, Any]]:
        """Which witnesses vouched for which size: each witness's largest cosigned size."""
        rows = self.recorder.query(
            f"SELECT witness, MAX(size) AS size, MAX(cosigned_at) AS cosigned_at FROM "
            f"{tree.COSIGNATURES_TABLE} GROUP BY witness ORDER BY witness")
        return [{"witness": r["witness"], "size": int(r["size"]), "time": int(r["cosigned_at"])}
                for r in rows]


def leaf_of(chain_hash: str) -> bytes:
    return leaf_hash(bytes.fromhex(chain_hash))


__all__ = ["Notary", "b64", "leaf_of"]
