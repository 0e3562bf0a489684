"""The Merkle tree over the ledger, exactly as RFC 9162 §2.1 (= RFC 6962) defines it: hashes,
the ranges a proof is made of, and the verification of inclusion and consistency proofs.

Every stored entry, in ledger order, is one leaf; its data is the 32 raw bytes of the entry's chain
hash (docs/commands.md §6 "树"). A store keeps the hashes of complete,
aligned subtrees (`Node`: level and index), so that a root or a proof reads O(log n) of them:
`inclusion_ranges` and `consistency_ranges` say which subtree hashes a proof consists of, `needed`
which stored nodes those ranges are computed from, and `range_hash` computes one from them. The
verifiers follow RFC 9162 §2.1.3.2 and §2.1.4.2 step by step, with the conventions of
transparency-dev/merkle (whose vectors they are tested against): a consistency proof from size 0 is
refused, equal sizes need an empty proof and equal roots, every hash is 32 bytes.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from .errors import KaopingError

HASH_SIZE = 32
#: the root of the empty tree: SHA-256 of nothing
EMPTY_ROOT = hashlib.sha256(b"").digest()


class ProofError(KaopingError):
    """A proof that does not prove what it claims: refused, never partly believed."""


def leaf_hash(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def _split(n: int) -> int:
    """The largest power of two smaller than n (n > 1): the size of the left subtree."""
    return 1 << ((n - 1).bit_length() - 1)


@dataclass(frozen=True, slots=True, order=True)
class Node:
    """The complete subtree of 2**level leaves starting at leaf index * 2**level."""

    level: int
    index: int


Range = tuple[int, int]  # leaves [start, end)


def is_node(start: int, end: int) -> bool:
    size = end - start
    return size > 0 and size & (size - 1) == 0 and start % size == 0


def node_of(start: int, end: int) -> Node:
    level = (end - start).bit_length() - 1
    return Node(level, start >> level)


def needed(ranges: Iterable[Range]) -> set[Node]:
    """The stored nodes from which the hashes of `ranges` are computed."""
    nodes: set[Node] = set()

    def walk(start: int, end: int) -> None:
        if is_node(start, end):
            nodes.add(node_of(start, end))
        else:
            middle = start + _split(end - start)
            walk(start, middle)
            walk(middle, end)

    for start, end in ranges:
        if end > start:
            walk(start, end)
    return nodes


def range_hash(start: int, end: int, stored: Callable[[Node], bytes]) -> bytes:
    """MTH(D[start:end]) from stored complete subtrees: the RFC's recursion, split at the largest
    power of two below the size, reading a stored node wherever a piece is a complete subtree."""
    if end <= start:
        return EMPTY_ROOT
    if is_node(start, end):
        return stored(node_of(start, end))
    middle = start + _split(end - start)
    return node_hash(range_hash(start, middle, stored), range_hash(middle, end, stored))


def inclusion_ranges(index: int, size: int) -> list[Range]:
    """RFC 9162 §2.1.3.1 PATH(index, D[0:size]) as leaf ranges, from the leaf up."""
    if not 0 <= index < size:
        raise ProofError("proof.leaf_outside", field="seq", index=index, size=size)
    path: list[Range] = []
    start, end = 0, size
    while end - start > 1:
        middle = start + _split(end - start)
        if index < middle:
            path.append((middle, end))
            end = middle
        else:
            path.append((start, middle))
            start = middle
    path.reverse()
    return path


def consistency_ranges(size1: int, size2: int) -> list[Range]:
    """RFC 9162 §2.1.4.1 PROOF(size1, D[0:size2]) as leaf ranges, in proof order."""
    if not 0 < size1 <= size2:
        raise ProofError("proof.no_consistency", field="from", old=size1, new=size2)
    proof: list[Range] = []

    def subproof(m: int, start: int, end: int, whole: bool) -> None:
        n = end - start
        if m == n:
            if not whole:
                proof.append((start, end))
            return
        k = _split(n)
        if m <= k:
            subproof(m, start, start + k, whole)
            proof.append((start + k, end))
        else:
            subproof(m - k, start + k, end, False)
            proof.append((start, start + k))

    if size1 < size2:
        subproof(size1, 0, size2, True)
    return proof


# -- verification -------------------------------------------------------------------------------

def _check(*hashes: bytes) -> None:
    for value in hashes:
        if len(value) != HASH_SIZE:
            raise ProofError("proof.hash_size", field="proof", expected=HASH_SIZE, given=len(value))


def root_from_inclusion(index: int, size: int, leaf: bytes, proof: Sequence[bytes]) -> bytes:
    """RFC 9162 §2.1.3.2: the root that `proof` makes of `leaf` at `index` in a tree of `size`."""
    if not 0 <= index < size:
        raise ProofError("proof.leaf_outside", field="leaf_index", index=index, size=size)
    _check(leaf, *proof)
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            raise ProofError("proof.inclusion_long", field="proof")
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while fn and not fn & 1:
                    fn, sn = fn >> 1, sn >> 1
        else:
            r = node_hash(r, p)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0:
        raise ProofError("proof.inclusion_short", field="proof")
    return r


def verify_inclusion(index: int, size: int, leaf: bytes, proof: Sequence[bytes], root: bytes) -> None:
    if root_from_inclusion(index, size, leaf, proof) != root:
        raise ProofError("proof.inclusion_root", field="proof")


def verify_consistency(size1: int, size2: int, proof: Sequence[bytes], root1: bytes,
                       root2: bytes) -> None:
    """RFC 9162 §2.1.4.2: the tree of size2 with root2 extends the tree of size1 with root1. (The
    roots are compared, not measured: for equal sizes transparency-dev's vectors give any bytes.)"""
    _check(*proof)
    if size2 < size1:
        raise ProofError("proof.rollback", field="to", new=size2, old=size1)
    if size1 == 0:
        raise ProofError("proof.from_empty", field="from")
    if size1 == size2:
        if proof:
            raise ProofError("proof.equal_sizes", field="proof")
        if root1 != root2:
            raise ProofError("proof.fork", field="root")
        return
    if not proof:
        raise ProofError("proof.empty", field="proof")
    path = list(proof)
    if size1 & (size1 - 1) == 0:  # size1 is a power of two: its root is the first node
        path.insert(0, root1)
    fn, sn = size1 - 1, size2 - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            raise ProofError("proof.consistency_long", field="proof")
        if fn & 1 or fn == sn:
            fr, sr = node_hash(c, fr), node_hash(c, sr)
            if not fn & 1:
                while fn and not fn & 1:
                    fn, sn = fn >> 1, sn >> 1
        else:
            sr = node_hash(sr, c)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0 or fr != root1 or sr != root2:
        raise ProofError("proof.consistency_roots", field="proof")


# -- a tree in memory (for checking a file, and for tests) ---------------------------------------

class CompactTree:
    """A tree fed leaf by leaf that keeps only its right edge (one hash per set bit of its size):
    the root at every size, in O(log n) memory, for checking an export of any length."""

    def __init__(self) -> None:
        self.size = 0
        self._edge: list[bytes] = []  # complete subtrees, largest first

    def append(self, leaf: bytes) -> None:
        self._edge.append(leaf)
        size = self.size + 1
        while size & 1 == 0:  # two subtrees of one height: merge them
            right = self._edge.pop()
            self._edge[-1] = node_hash(self._edge[-1], right)
            size >>= 1
        self.size += 1

    def root(self) -> bytes:
        if not self._edge:
            return EMPTY_ROOT
        root = self._edge[-1]
        for left in reversed(self._edge[:-1]):
            root = node_hash(left, root)
        return root


__all__ = ["EMPTY_ROOT", "HASH_SIZE", "CompactTree", "Node", "ProofError", "consistency_ranges",
           "inclusion_ranges", "is_node", "leaf_hash", "needed", "node_hash", "node_of", "range_hash",
           "root_from_inclusion", "verify_consistency", "verify_inclusion"]
