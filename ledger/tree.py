"""The Merkle tree's tables, grown in the same transaction as the entries (`ledger/store.py`).

- `kaoping_tree` holds the hash of every complete, aligned subtree (level, index): leaves at level
  0, then each node as soon as both its halves exist, so a root or a proof reads O(log n) rows and an
  append writes two rows per leaf on average (RFC 9162 §2.1; `domain.merkle`).
- `kaoping_leaves` says which entry (seq) each leaf is: leaf_index is the position in ledger order,
  not seq − 1, since a rolled-back transaction can consume a seq.
- `kaoping_checkpoints` holds every signed checkpoint, one per size (the primary key: never two
  roots for one size); `kaoping_cosignatures` what witnesses signed of them. A checkpoint is signed
  after the transaction that grew the tree has committed, by the signer (`ledger/signer.py`), whose
  gate judges the tree inside the transaction first (`Signing`).

A leaf's data is the entry's chain hash, so the tree is grown from the chain links the same
transaction writes. The tree is caught up from the chain first if it lags it (a ledger written
before the tree existed: its first write, or its first open, builds the tree in one transaction);
a tree ahead of its chain is refused, since only a deleted link can make it so.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from kaoping.domain.errors import KaopingError
from kaoping.domain.merkle import (EMPTY_ROOT, Node, consistency_ranges, leaf_hash, needed, node_hash, range_hash)
from kaoping.domain.notes import Checkpoint

TREE_TABLE = "kaoping_tree"
LEAVES_TABLE = "kaoping_leaves"
CHECKPOINTS_TABLE = "kaoping_checkpoints"
COSIGNATURES_TABLE = "kaoping_cosignatures"

def ddl(sqlite: bool) -> list[str]:
    """The tables, in each database's best form: on SQLite the subtree table is clustered on its
    key (WITHOUT ROWID) and a leaf's index is the rowid, so an append updates one b-tree per row
    instead of two."""
    clustered = " WITHOUT ROWID" if sqlite else ""
    leaf_key = "INTEGER PRIMARY KEY" if sqlite else "BIGINT PRIMARY KEY"
    return [
        f"""CREATE TABLE IF NOT EXISTS {TREE_TABLE} (
            level INTEGER NOT NULL,
            idx BIGINT NOT NULL,
            hash TEXT NOT NULL,
            PRIMARY KEY (level, idx)){clustered}""",
        f"""CREATE TABLE IF NOT EXISTS {LEAVES_TABLE} (
            leaf_index {leaf_key},
            seq BIGINT NOT NULL UNIQUE)""",
        f"""CREATE TABLE IF NOT EXISTS {CHECKPOINTS_TABLE} (
            size BIGINT PRIMARY KEY,
            origin TEXT NOT NULL,
            root TEXT NOT NULL,
            note TEXT NOT NULL,
            signed_at TEXT NOT NULL)""",
        f"""CREATE TABLE IF NOT EXISTS {COSIGNATURES_TABLE} (
            size BIGINT NOT NULL,
            witness TEXT NOT NULL,
            key_id TEXT NOT NULL,
            cosigned_at BIGINT NOT NULL,
            vkey TEXT NOT NULL,
            line TEXT NOT NULL,
            received_at TEXT NOT NULL,
            PRIMARY KEY (size, witness, key_id))""",
    ]


#: the PostgreSQL column types of the tables written in bulk (`store._insert_unnested`)
COLUMN_TYPES = {
    TREE_TABLE: ("integer", "bigint", "text"),
    LEAVES_TABLE: ("bigint", "bigint"),
    CHECKPOINTS_TABLE: ("bigint", "text", "text", "text", "text"),
}


class TreeOutOfStep(KaopingError):
    """The tree has leaves the chain has not: a chain link was deleted. `kaoping verify` says which."""


class Tx(Protocol):
    """The open transaction of a write, in the driver's parameter style (`mark`)."""

    mark: str

    def execute(self, statement: str, params: Sequence[Any] = ()) -> None: ...

    def fetchone(self) -> Any: ...

    def fetchall(self) -> list[Any]: ...

    def insert(self, table: str, rows: Sequence[tuple[Any, ...]]) -> None: ...


@dataclass(frozen=True)
class StoredCheckpoint:
    size: int
    origin: str
    root: bytes
    note: str
    signed_at: str

    @property
    def checkpoint(self) -> Checkpoint:
        return Checkpoint(self.origin, self.size, self.root)


@dataclass
class Signing:
    """What a write hands the store so that its commit ends with a signed checkpoint (the signer,
    `ledger/signer.py`, through `Notary.signing`): `check(tx, size, root, before)` judges, inside the
    write's transaction and before it commits, the tree the write leaves (a tree that does not extend
    what the key signed is refused, and the write appends nothing; `before` is the (size, root) the
    tree had before the write, or None when not known); `sign()` signs the committed tree once the
    transaction has committed (`after_commit`); `signed` is the checkpoint it signed or found."""

    check: Callable[[Tx, int, bytes, tuple[int, bytes] | None], None]
    sign: Callable[[], StoredCheckpoint | None]
    signed: StoredCheckpoint | None = field(default=None)

    def after_commit(self) -> None:
        self.signed = self.sign()


def edge_nodes(size: int) -> list[Node]:
    """The complete subtrees a tree of `size` leaves decomposes into, largest (leftmost) first."""
    nodes, start = [], 0
    for level in range(size.bit_length() - 1, -1, -1):
        if size >> level & 1:
            nodes.append(Node(level, start >> level))
            start += 1 << level
    return nodes


def read_nodes(tx: Tx, nodes: Iterable[Node]) -> dict[Node, bytes]:
    """The stored hashes of `nodes`, in one query per 200 of them. Written level by level
    (`level = ? AND idx IN (…)` joined by OR) so that both databases search the primary key: SQLite
    scans the whole table for a row-value `(level, idx) IN (VALUES …)`."""
    wanted = sorted(set(nodes))
    found: dict[Node, bytes] = {}
    for start in range(0, len(wanted), 200):
        by_level: dict[int, list[int]] = {}
        for node in wanted[start:start + 200]:
            by_level.setdefault(node.level, []).append(node.index)
        where = " OR ".join(f"(level = {tx.mark} AND idx IN ({', '.join([tx.mark] * len(indexes))}))"
                            for indexes in by_level.values())
        tx.execute(f"SELECT level, idx, hash FROM {TREE_TABLE} WHERE {where}",
                   [value for level, indexes in by_level.items() for value in (level, *indexes)])
        found.update({Node(int(r["level"]), int(r["idx"])): bytes.fromhex(r["hash"]) for r in tx.fetchall()})
    return found


def tree_head(tx: Tx) -> tuple[int, int]:
    """(size, seq of the last leaf) of the stored tree."""
    tx.execute(f"SELECT leaf_index, seq FROM {LEAVES_TABLE} ORDER BY leaf_index DESC LIMIT 1")
    row = tx.fetchone()
    return (int(row["leaf_index"]) + 1, int(row["seq"])) if row else (0, 0)


@dataclass
class Edge:
    """What the last append of this process left: the tree's size and its right edge (the complete
    subtrees it decomposes into), valid while the chain's newest link is `chain_head` (any other
    writer's append changes it). Reading them again costs two queries per append; an append that
    is rolled back leaves a `chain_head` no link will have, so the cache is never wrongly trusted."""

    chain_head: str = ""
    size: int = 0
    last_seq: int = 0
    nodes: dict[Node, bytes] = field(default_factory=dict)


def grow(tx: Tx, chain_head_before: tuple[int, str], links: Sequence[tuple[int, str]],
         signing: Signing | None, *, chain_table: str, edge: Edge) -> None:
    """Add the leaves of `links` ((seq, chain hash), in seq order) to the tree, after catching the
    tree up to `chain_head_before` (the chain's last (seq, hash) before them); with `signing`, the
    tree it leaves is judged by the signer's gate before the transaction commits. `edge` is this
    process's cache of the tree's right edge; it is updated."""
    chain_seq_before, chain_hash_before = chain_head_before
    cached = edge.chain_head == chain_hash_before and edge.last_seq == chain_seq_before
    size, last_seq = (edge.size, edge.last_seq) if cached else tree_head(tx)
    if last_seq > chain_seq_before:
        raise TreeOutOfStep("tree.out_of_step", field="seq", tree_seq=last_seq, chain_seq=chain_seq_before)
    leaves = list(links)
    if last_seq < chain_seq_before:
        tx.execute(f"SELECT seq, hash FROM {chain_table} WHERE seq > {tx.mark} AND seq <= {tx.mark} "
                   "ORDER BY seq", (last_seq, chain_seq_before))
        leaves = [(int(r["seq"]), r["hash"]) for r in tx.fetchall()] + leaves
    start = dict(edge.nodes) if cached else (read_nodes(tx, edge_nodes(size)) if leaves else {})
    size_before = size
    # keyed by plain (level, index) tuples while growing: a `Node` made and hashed per step cost
    # more than the hashing itself on a bulk ingest
    work = {(node.level, node.index): value for node, value in start.items()}
    new_nodes: list[tuple[int, int, str]] = []
    for seq, chain_hash in leaves:
        index, level, value = size, 0, leaf_hash(bytes.fromhex(chain_hash))
        work[0, index] = value
        new_nodes.append((0, index, value.hex()))
        while index & 1:  # a right child completes its parent
            value = node_hash(work[level, index - 1], value)
            index, level = index >> 1, level + 1
            work[level, index] = value
            new_nodes.append((level, index, value.hex()))
        size += 1
    if leaves:
        tx.insert(TREE_TABLE, new_nodes)
        tx.insert(LEAVES_TABLE, [(size - len(leaves) + i, seq) for i, (seq, _) in enumerate(leaves)])
    right = edge_nodes(size)
    known = {node: work[node.level, node.index] for node in right if (node.level, node.index) in work}
    missing = [node for node in right if node not in known]
    known.update(read_nodes(tx, missing) if missing else {})
    if signing is not None and size > 0:
        before = edge_root(size_before, start) if leaves else None
        signing.check(tx, size, _root(size, known), None if before is None else (size_before, before))
    edge.chain_head = links[-1][1] if links else chain_hash_before
    edge.size, edge.last_seq = size, leaves[-1][0] if leaves else last_seq
    edge.nodes = {node: known[node] for node in right}


def edge_root(size: int, nodes: dict[Node, bytes]) -> bytes | None:
    """The root of a tree of `size` leaves from its right edge's hashes (None if one is missing)."""
    right = edge_nodes(size)
    if not right or any(node not in nodes for node in right):
        return None
    root = nodes[right[-1]]
    for node in reversed(right[:-1]):
        root = node_hash(nodes[node], root)
    return root


def _root(size: int, nodes: dict[Node, bytes]) -> bytes:
    root = edge_root(size, nodes)
    if root is None:
        raise TreeOutOfStep("tree.node_missing", field="size", size=size)
    return root


def head(tx: Tx) -> tuple[int, bytes]:
    """(size, root) of the stored tree (the empty tree's root for size 0); refused when a subtree
    its root needs is not stored."""
    size, _ = tree_head(tx)
    return size, _root(size, read_nodes(tx, edge_nodes(size))) if size else EMPTY_ROOT


def consistency_proof(tx: Tx, old: int, new: int) -> list[bytes]:
    """The RFC 9162 consistency proof from size `old` to size `new`, from the stored subtree hashes
    (KeyError when one it needs is not stored)."""
    return range_hashes(tx, consistency_ranges(old, new))


def range_hashes(tx: Tx, ranges: Sequence[tuple[int, int]]) -> list[bytes]:
    """The hash of each leaf range, from the stored subtrees it is made of (one read)."""
    stored = read_nodes(tx, needed(ranges))
    return [range_hash(start, end, stored.__getitem__) for start, end in ranges]


def stored_checkpoint(row: Any) -> StoredCheckpoint:
    return StoredCheckpoint(int(row["size"]), row["origin"], bytes.fromhex(row["root"]), row["note"],
                            row["signed_at"])


__all__ = ["CHECKPOINTS_TABLE", "COLUMN_TYPES", "COSIGNATURES_TABLE", "Edge", "LEAVES_TABLE",
           "Signing", "StoredCheckpoint", "TREE_TABLE", "TreeOutOfStep", "Tx", "consistency_proof", "ddl",
           "edge_nodes", "edge_root", "grow", "head", "range_hashes", "read_nodes", "stored_checkpoint",
           "tree_head"]
