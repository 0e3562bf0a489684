"""An insider with write access to the database, but not to the key file: rewrites that leave the
chain, the Merkle tree and the command index consistent, recomputed with nothing but SHA-256, as
issue 23's review did them. Everything here goes through `raw_execute` (behind the library's back)."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

from kaoping.domain.chain import StoredEntry
from kaoping.domain.commands import content_hash
from kaoping.domain.merkle import leaf_hash, node_hash
from kaoping.ledger.export import decode_entry, offline_mapper
from tests.conftest import events_table, raw_execute
from tests.test_transparency import _edit_entry, _recompute_chain_from


def leaf_of_seq(url: str, seq: int) -> int:
    return int(raw_execute(url, "SELECT leaf_index FROM kaoping_leaves WHERE seq = %s", (seq,))[0][0])


def rebuild_tree(url: str) -> None:
    """Every stored subtree hash recomputed from the chain's hashes, in the leaves' order."""
    rows = raw_execute(url, "SELECT l.leaf_index, c.hash FROM kaoping_leaves l JOIN kaoping_chain c "
                            "ON c.seq = l.seq ORDER BY l.leaf_index")
    work: dict[tuple[int, int], bytes] = {}
    for index, chain_hash in rows:
        level, at, value = 0, int(index), leaf_hash(bytes.fromhex(chain_hash))
        work[0, at] = value
        while at & 1:
            value = node_hash(work[level, at - 1], value)
            level, at = level + 1, at >> 1
            work[level, at] = value
    raw_execute(url, "DELETE FROM kaoping_tree")
    for (level, at), value in work.items():
        raw_execute(url, "INSERT INTO kaoping_tree VALUES (%s, %s, %s)", (level, at, value.hex()))


def _entry(url: str, seq: int) -> Any:
    table, seq_column = events_table(url)
    originator, version, topic, state = raw_execute(
        url, f"SELECT originator_id, originator_version, topic, state FROM {table} WHERE {seq_column} = %s",
        (seq,))[0]
    return decode_entry(offline_mapper(), StoredEntry(seq, str(uuid.UUID(str(originator))), int(version),
                                                      topic, bytes(state)))


def rewrite(url: str, seq: int) -> None:
    """Rewrite entry `seq`'s payload and make everything consistent again: the chain from it on,
    the tree, and its command's content hash in the command index."""
    before = _entry(url, seq)
    (stored_hash,) = raw_execute(url, "SELECT content_hash FROM kaoping_commands WHERE command_id = %s",
                                 (before.command_id,))[0]
    supplied = stored_hash == content_hash(before.entry_type, before.payload, before.recorded_at)
    _edit_entry(url, seq)
    after = _entry(url, seq)
    assert after.payload != before.payload
    raw_execute(url, "UPDATE kaoping_commands SET content_hash = %s WHERE command_id = %s",
                (content_hash(after.entry_type, after.payload, after.recorded_at if supplied else None),
                 after.command_id))
    _recompute_chain_from(url, seq)
    rebuild_tree(url)


def delete_checkpoints_above(url: str, size: int) -> None:
    raw_execute(url, "DELETE FROM kaoping_cosignatures WHERE size > %s", (size,))
    raw_execute(url, "DELETE FROM kaoping_checkpoints WHERE size > %s", (size,))


def cut(url: str, count: int) -> int:
    """Delete the newest `count` entries with their links, leaves, index rows and the checkpoints
    that covered them; the tree's new size."""
    table, seq_column = events_table(url)
    seqs = [int(r[0]) for r in raw_execute(url, "SELECT seq FROM kaoping_chain ORDER BY seq DESC LIMIT %s",
                                          (count,))]
    size = leaf_of_seq(url, min(seqs))
    for seq in seqs:
        (command,) = raw_execute(url, "SELECT command_id FROM kaoping_chain WHERE seq = %s", (seq,))[0]
        raw_execute(url, "DELETE FROM kaoping_commands WHERE command_id = %s", (command,))
        raw_execute(url, f"DELETE FROM {table} WHERE {seq_column} = %s", (seq,))
        raw_execute(url, "DELETE FROM kaoping_chain WHERE seq = %s", (seq,))
        raw_execute(url, "DELETE FROM kaoping_leaves WHERE seq = %s", (seq,))
    rebuild_tree(url)
    delete_checkpoints_above(url, size)
    return size


def stored_roots(url: str) -> dict[int, str]:
    return {int(size): root for size, root in raw_execute(url, "SELECT size, root FROM kaoping_checkpoints")}


def append_with_a_key_of_its_own(url: str, key: Path, commands: list[dict[str, Any]]) -> None:
    """Append through the library with a key the insider made. The ledger refuses another ledger's
    key while checkpoints of its own are stored, so the insider sets them aside first, appends
    (the entries commit, its key signs), then deletes its own checkpoints and puts the genuine
    ones back: the tree has grown past the last size the ledger's key signed."""
    from kaoping.api.bootstrap import build_ledger
    from kaoping.ledger.settings import Settings

    kept = raw_execute(url, "SELECT size, origin, root, note, signed_at FROM kaoping_checkpoints")
    raw_execute(url, "DELETE FROM kaoping_checkpoints")
    forger = build_ledger(Settings(database_url=url, signing_key=str(key)))
    try:
        forger.notary.ensure_key()
        forger.ingest(commands, actor="office")
    finally:
        forger.close()
    raw_execute(url, "DELETE FROM kaoping_checkpoints")
    for row in kept:
        raw_execute(url, "INSERT INTO kaoping_checkpoints VALUES (%s, %s, %s, %s, %s)", tuple(row))


def rewrite_grown_past(url: str, seq: int, key: Path, commands: list[dict[str, Any]]) -> None:
    """Rewrite entry `seq` and grow the tree past the last size the ledger's key signed."""
    append_with_a_key_of_its_own(url, key, commands)
    rewrite(url, seq)


def rewrite_with_checkpoints_deleted(url: str, seq: int) -> None:
    """Rewrite entry `seq` and delete every checkpoint from its leaf on (issue 23's first finding)."""
    leaf = leaf_of_seq(url, seq)
    rewrite(url, seq)
    delete_checkpoints_above(url, leaf)
