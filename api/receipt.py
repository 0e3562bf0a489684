"""Receipts anyone can check (docs/commands.md §6 "回执人人可查",
§10.8): what a unit keeps of an append, and what a third party runs with it.

A receipt is a 201's body (`{"results": [{"receipts": [...]}], "checkpoint": NOTE}`) or a receipt a
unit downloaded from its page (`{"seq", "leaf_index", "hash", "leaf_hash", "tree_size", "proof",
"checkpoint", "vkey"}`, as `kaoping prove --json` prints it). `check` verifies every inclusion proof
against the receipt's checkpoint and that checkpoint's signature, then asks the ledger for its latest
checkpoint and a consistency proof from the receipt's size, and for each entry's inclusion proof
against that latest checkpoint: an entry cut off (a smaller ledger), a fork or a rewrite (a proof
that fails) is `ok: false`. `start_from` makes a witness's state of the
receipt's checkpoint, so that a unit's own witness holds the ledger to what it acknowledged.
The note parses with or without its trailing newline (`notes.normalized_note`).
"""

from __future__ import annotations

import binascii
import urllib.parse
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kaoping.domain.merkle import ProofError, leaf_hash, verify_inclusion
from kaoping.domain.notes import Checkpoint, NoteError, Verifier, normalized_note

from .witness import (PROOF_BYTES, Malformed, Refused, Report, Unreachable, consistency_proof, consistent, get,
                      hashes_of, held, json_of, latest, opened, read_file, store)

#: the largest receipt file read: a 201 of a whole year's import (5,506 commands) is ~5 MB
RECEIPT_BYTES = 64 * 1024 * 1024


@dataclass(frozen=True)
class Included:
    """One entry a receipt proves: its seq, leaf index, chain hash and inclusion proof."""

    seq: int
    leaf_index: int
    hash: bytes
    proof: list[bytes]


@dataclass(frozen=True)
class Receipt:
    note: str
    entries: list[Included]


def load(path: Path) -> Receipt:
    """The receipt in `path`, either shape; anything else is Malformed."""
    text = read_file(path, RECEIPT_BYTES, "回执文件")
    if text is None:
        raise NoteError("receipt.missing", field="file", path=path)
    document = json_of(text, "回执文件")
    if not isinstance(document, dict) or not isinstance(document.get("checkpoint"), str):
        raise Malformed("receipt.shape", field="file", path=path)
    if "results" in document:  # a 201's body
        results = document["results"]
        raw = [r for result in results if isinstance(result, dict) for r in result.get("receipts") or []] \
            if isinstance(results, list) else None
    else:  # one downloaded receipt
        raw = [document]
    if not raw:
        raise Malformed("receipt.shape", field="file", path=path)
    entries = [_included(item, path) for item in raw]
    return Receipt(normalized_note(document["checkpoint"]), entries)


def _included(item: Any, path: Path) -> Included:
    try:
        seq, index, chain_hash = item["seq"], item["leaf_index"], bytes.fromhex(item["hash"])
        if not all(isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in (seq, index)):
            raise ValueError("seq and leaf_index are whole numbers")
        if len(chain_hash) != 32:
            raise ValueError("hash")
    except (KeyError, TypeError, ValueError, binascii.Error):
        raise Malformed("receipt.shape", field="file", path=path) from None
    included = Included(seq, index, chain_hash, hashes_of(item.get("proof"), "回执中的包含证明"))
    given = item.get("leaf_hash")
    if given is not None and hashes_of([given], "回执中的叶子哈希")[0] != leaf_hash(chain_hash):
        raise Malformed("receipt.leaf_hash", field="file", path=path, seq=seq)
    return included


def verified(receipt: Receipt, verifier: Verifier) -> Checkpoint:
    """The receipt's checkpoint, once its signature and every inclusion proof verify (Refused
    otherwise)."""
    checkpoint = opened(receipt.note, verifier, "回执中的检查点")
    for entry in receipt.entries:
        try:
            verify_inclusion(entry.leaf_index, checkpoint.size, leaf_hash(entry.hash), entry.proof,
                             checkpoint.root)
        except ProofError as error:
            raise Refused(f"回执中序号 {entry.seq} 的包含证明不成立：{error.message}",
                          f"the inclusion proof of seq {entry.seq} does not verify: {error.message_en}") from None
    return checkpoint


def check(path: Path, url: str, token: str, vkey: str) -> Report:
    """`kaoping receipt check`: `{"ok", "receipt_size", "current_size", "seqs", "problem"}`."""
    verifier = Verifier.parse(vkey)
    receipt = load(path)
    base = url.rstrip("/")
    report = Report({"ok": False, "receipt_size": None, "current_size": None,
                     "seqs": [entry.seq for entry in receipt.entries], "problem": None})
    try:
        mine = verified(receipt, verifier)
        report["receipt_size"] = mine.size
        _, now = latest(base, token, verifier)
        report["current_size"] = now.size
        if now.size < mine.size:
            raise Refused(f"账本现在只有 {now.size} 条，少于回执的 {mine.size} 条：回执中的记录被截掉了",
                          f"the ledger now has {now.size} entries, fewer than the receipt's {mine.size}: "
                          "entries were cut off")
        consistent(mine, now, lambda old, new: consistency_proof(base, token, old, new))
        report["reproved"] = reproved(base, token, receipt, now)
    except Refused as refusal:
        report["problem"], report.reason_zh = refusal.en, refusal.zh
        return report
    report["ok"] = True
    return report


def reproved(base: str, token: str, receipt: Receipt, now: Checkpoint) -> int:
    """Ask the ledger to prove each of the receipt's entries again, against its latest checkpoint:
    a database rewritten under checkpoints that still stand (the signer refuses to sign it, but
    serves what it signed before) cannot. Entries the token may not prove (a unit token, another
    unit's entry) are skipped. How many were proved again."""
    count = 0
    for entry in receipt.entries:
        query = urllib.parse.urlencode({"seq": entry.seq, "size": now.size})
        try:
            document = json_of(get(f"{base}/v1/proofs/inclusion?{query}", token, PROOF_BYTES), "包含证明")
        except Unreachable as error:
            if error.params.get("status") == 403:
                continue
            raise
        proof = hashes_of(document.get("proof") if isinstance(document, dict) else None, "包含证明")
        try:
            if not isinstance(document, dict) or document.get("hash") != entry.hash.hex():
                raise ProofError("proof.inclusion_root", field="proof")
            verify_inclusion(entry.leaf_index, now.size, leaf_hash(entry.hash), proof, now.root)
        except ProofError:
            raise Refused(f"账本现在证明不了序号 {entry.seq} 的记录在大小为 {now.size} 的检查点中：记录被改写或删除了",
                          f"the ledger no longer proves seq {entry.seq} in its checkpoint of size {now.size}: "
                          "the entry was rewritten or removed") from None
        count += 1
    return count


def start_from(path: Path, vkey: str, state: Path) -> Report:
    """`kaoping witness --receipt`: a new state file holding the receipt's checkpoint, once the
    receipt verifies; an existing state is never replaced."""
    verifier = Verifier.parse(vkey)
    if held(state, verifier) is not None:
        raise NoteError("witness.state_exists", field="state", path=state)
    receipt = load(path)
    report = Report({"ok": False, "origin": verifier.name, "old_size": 0, "new_size": None, "root": None})
    try:
        checkpoint = verified(receipt, verifier)
    except Refused as refusal:
        report["reason"], report.reason_zh = refusal.en, refusal.zh
        return report
    store(state, receipt.note)
    report.update(ok=True, new_size=checkpoint.size, root=checkpoint.root_b64,
                  seqs=[entry.seq for entry in receipt.entries])
    return report


__all__ = ["Included", "RECEIPT_BYTES", "Receipt", "check", "load", "start_from", "verified"]
