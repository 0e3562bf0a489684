"""The RFC 9162 tree (`domain.merkle`) against the vectors of transparency-dev/merkle
(`tests/vectors/merkle`, Apache-2.0, with its LICENSE): every proof verifies or is refused exactly as the vector says
(every `wantErr: true` case too), and the proofs the tree makes are the vectors' proofs."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kaoping.domain.merkle import (EMPTY_ROOT, CompactTree, Node, ProofError, consistency_ranges,
                                   inclusion_ranges, leaf_hash, needed, node_hash, range_hash,
                                   root_from_inclusion, verify_consistency, verify_inclusion)

MERKLE = Path(__file__).parent / "vectors" / "merkle"
#: the RFC 6962 test data the vectors' tree is made of (transparency-dev/merkle testonly.LeafInputs)
LEAF_INPUTS = ["", "00", "10", "2021", "3031", "40414243", "5051525354555657",
               "606162636465666768696a6b6c6d6e6f"]
LEAVES = [leaf_hash(bytes.fromhex(data)) for data in LEAF_INPUTS]


def _b(text: str | None) -> bytes:
    return base64.b64decode(text or "")


def _vectors(kind: str) -> list[tuple[str, dict]]:
    return [(str(p.relative_to(MERKLE)), json.loads(p.read_text())) for p in sorted((MERKLE / kind).rglob("*.json"))]


def stored(nodes_of: list[bytes]):
    """The stored complete subtrees of a tree of these leaves, as a store would hold them."""
    table = {Node(0, i): leaf for i, leaf in enumerate(nodes_of)}
    level, row = 0, list(nodes_of)
    while len(row) > 1:
        row = [node_hash(row[i], row[i + 1]) for i in range(0, len(row) - 1, 2)]
        level += 1
        table.update({Node(level, i): value for i, value in enumerate(row)})
    return table


@pytest.mark.parametrize("name, vector", _vectors("inclusion"), ids=lambda v: v if isinstance(v, str) else "")
def test_inclusion_vectors(name: str, vector: dict) -> None:
    def check() -> None:
        verify_inclusion(vector["leafIdx"], vector["treeSize"], _b(vector["leafHash"]),
                         [_b(p) for p in vector["proof"] or []], _b(vector["root"]))

    if vector["wantErr"]:
        with pytest.raises(ProofError):
            check()
    else:
        check()


@pytest.mark.parametrize("name, vector", _vectors("consistency"), ids=lambda v: v if isinstance(v, str) else "")
def test_consistency_vectors(name: str, vector: dict) -> None:
    def check() -> None:
        verify_consistency(vector["size1"], vector["size2"], [_b(p) for p in vector["proof"] or []],
                           _b(vector["root1"]), _b(vector["root2"]))

    if vector["wantErr"]:
        with pytest.raises(ProofError):
            check()
    else:
        check()


def test_every_vector_was_read() -> None:
    assert len(_vectors("inclusion")) > 50 and len(_vectors("consistency")) > 50
    assert any(v["wantErr"] for _, v in _vectors("inclusion") + _vectors("consistency"))


def _happy(kind: str) -> list[dict]:
    return [v for _, v in _vectors(kind) if v["desc"] == "happy path" and not v["wantErr"]]


@pytest.mark.parametrize("vector", _happy("inclusion"))
def test_the_tree_makes_the_vectors_inclusion_proofs(vector: dict) -> None:
    size = vector["treeSize"]
    table = stored(LEAVES[:size])
    proof = [range_hash(a, b, table.__getitem__) for a, b in inclusion_ranges(vector["leafIdx"], size)]
    assert proof == [_b(p) for p in vector["proof"] or []]
    assert range_hash(0, size, table.__getitem__) == _b(vector["root"])


@pytest.mark.parametrize("vector", [v for v in _happy("consistency") if v["size1"] > 0])
def test_the_tree_makes_the_vectors_consistency_proofs(vector: dict) -> None:
    table = stored(LEAVES[:vector["size2"]])
    ranges = consistency_ranges(vector["size1"], vector["size2"])
    assert [range_hash(a, b, table.__getitem__) for a, b in ranges] == [_b(p) for p in vector["proof"] or []]


def test_a_proof_reads_only_a_few_stored_nodes() -> None:
    size = 1_000_000
    ranges = inclusion_ranges(123_457, size) + consistency_ranges(777_777, size)
    assert len(needed(ranges)) <= 3 * size.bit_length()


def test_the_empty_tree_and_the_compact_tree() -> None:
    compact = CompactTree()
    assert compact.root() == EMPTY_ROOT == range_hash(0, 0, lambda node: b"")
    roots = []
    for leaf in LEAVES:
        compact.append(leaf)
        roots.append(compact.root())
    assert roots[-1].hex() == "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"
    assert roots[2].hex() == "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77"


@settings(max_examples=60, deadline=None)
@given(size=st.integers(1, 300), data=st.data())
def test_any_proof_the_tree_makes_verifies_and_no_altered_one_does(size: int, data: st.DataObject) -> None:
    leaves = [leaf_hash(i.to_bytes(4, "big")) for i in range(size)]
    table = stored(leaves)
    root = range_hash(0, size, table.__getitem__)
    index = data.draw(st.integers(0, size - 1))
    proof = [range_hash(a, b, table.__getitem__) for a, b in inclusion_ranges(index, size)]
    assert root_from_inclusion(index, size, leaves[index], proof) == root
    old = data.draw(st.integers(1, size))
    consistency = [range_hash(a, b, table.__getitem__) for a, b in consistency_ranges(old, size)]
    verify_consistency(old, size, consistency, range_hash(0, old, table.__getitem__), root)
    if proof:
        bent = list(proof)
        bent[data.draw(st.integers(0, len(bent) - 1))] = leaf_hash(b"forged")
        with pytest.raises(ProofError):
            verify_inclusion(index, size, leaves[index], bent, root)
    if consistency:
        with pytest.raises(ProofError):
            verify_consistency(old, size, consistency[:-1], range_hash(0, old, table.__getitem__), root)
