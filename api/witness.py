"""A witness (C2SP tlog-witness, as an auditor runs it on a machine of its own): it keeps the last
checkpoint it verified of a ledger, and from then on accepts a newer one only with a consistency
proof from the size it holds. A smaller size (a rollback), a proof that fails (a fork or a rewrite)
or a bad signature is refused and the state file is left as it was; an accepted checkpoint is
stored atomically (written beside, then renamed), and with a cosigner key it is cosigned (C2SP
tlog-cosignature) and the cosignature sent back to the ledger.

A state can start from a receipt (`start_from_receipt`: the checkpoint a 201 or a unit's downloaded
receipt carries, once its inclusion proofs verify), and two witnesses' states can be compared
(`compare`): two roots for one size, or states no consistency proof joins, are a split view.

What a ledger answers is read with bounds, never whole: a checkpoint is small (`CHECKPOINT_BYTES`)
and a proof at most `MAX_PROOF` hashes. A reply past its bound, JSON that is not what was asked
(too deep, the wrong shape), bad base64 or a note that is no note is `Malformed`: one line saying
so, and nothing is accepted or stored.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

from kaoping.domain.errors import KaopingError
from kaoping.domain.merkle import HASH_SIZE, ProofError, verify_consistency
from kaoping.domain.notes import (Checkpoint, NoteError, Signer, Verifier, cosign, normalized_note,
                                  open_checkpoint)
from kaoping.ledger.keys import file_problem

TIMEOUT = 30
#: the most bytes a checkpoint note may take (100 signature lines of a few hundred bytes)
CHECKPOINT_BYTES = 64 * 1024
#: the most hashes an RFC 9162 proof holds: one per level of a tree of 2**64 leaves
MAX_PROOF = 64
#: the most bytes a proof reply may take: its hashes and the checkpoint note it carries
PROOF_BYTES = CHECKPOINT_BYTES + 16 * 1024
#: what a note's signature (not its form) failing means: refused, not malformed
SIGNATURE_CODES = frozenset({"note.not_signed", "note.bad_signature", "checkpoint.other_origin"})


class Refused(Exception):
    """The ledger showed something a witness must not accept: `zh` for people, `en` for the
    report's `reason` (the contract's JSON, read by programs)."""

    def __init__(self, zh: str, en: str):
        super().__init__(en)
        self.zh, self.en = zh, en


class Report(dict[str, Any]):
    """The contract's report; `reason_zh` is its refusal in Chinese, for the terminal only."""

    reason_zh: str | None = None


class Unreachable(KaopingError):
    """The ledger could not be asked (network, HTTP status, or an answer that is not one)."""


class Malformed(KaopingError):
    """A reply or a file that is not what it should be: too large, not JSON of the right shape,
    bad base64, a note that is no note. Nothing is accepted from it. `what` names it (Chinese)."""

    def __init__(self, code: str, /, *, what: str = "", **params: Any):
        super().__init__(code, what=what, what_en=WHAT_EN.get(what, what), **params)


#: what a reply or a file is, in the refusals' English words
WHAT_EN = {"检查点": "checkpoint", "状态文件": "state file", "一致性证明": "consistency proof",
           "回执文件": "receipt file", "回执中的包含证明": "receipt's inclusion proof",
           "回执中的叶子哈希": "receipt's leaf hash", "回执中的检查点": "receipt's checkpoint", "包含证明": "inclusion proof",
           "对方的状态": "peer's state"}


def _ask(request: urllib.request.Request, limit: int) -> bytes:
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
            declared = response.headers.get("Content-Length", "")
            # read up to the bound and no further, whatever the header says
            body = b"" if declared.isdigit() and int(declared) > limit else response.read(limit + 1)
            if len(body) > limit or (declared.isdigit() and int(declared) > limit):
                raise Malformed("witness.reply_too_large", field="url", url=request.full_url, limit=limit)
            return body  # type: ignore[no-any-return]
    except urllib.error.HTTPError as error:
        raise Unreachable("witness.http_status", field="url", url=request.full_url, status=error.code,
                          body=error.read(200).decode(errors="replace")) from None
    except (urllib.error.URLError, OSError) as error:
        raise Unreachable("witness.unreachable", field="url", url=request.full_url,
                          error=_network_problem(error), error_en=str(error)) from None


def _network_problem(error: Exception) -> str:
    if isinstance(error, TimeoutError) or "timed out" in str(error):
        return f"{TIMEOUT} 秒内没有答复"
    if isinstance(error, ConnectionRefusedError) or "refused" in str(error).lower():
        return "连接被拒绝：地址不对，或服务没有运行"
    return f"网络出错（{type(error).__name__}）"


def get(url: str, token: str | None, limit: int) -> bytes:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return _ask(urllib.request.Request(url, headers=headers), limit)


def _post(url: str, token: str, document: dict[str, Any]) -> None:
    _ask(urllib.request.Request(url, data=json.dumps(document).encode(), method="POST",
                                headers={"Authorization": f"Bearer {token}",
                                         "Content-Type": "application/json"}), CHECKPOINT_BYTES)


# -- reading what a ledger or a file holds, within bounds -------------------------------------------

def text_of(body: bytes, what: str) -> str:
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        raise Malformed("witness.not_utf8", field="url", what=what) from None


def json_of(body: bytes | str, what: str) -> Any:
    """JSON as a ledger or a file holds it; too deep, or not JSON: Malformed, naming `what`."""
    try:
        return json.loads(body)
    except RecursionError:
        raise Malformed("witness.json_too_deep", field="url", what=what) from None
    except (ValueError, UnicodeDecodeError):
        raise Malformed("witness.not_json", field="url", what=what) from None


def hashes_of(value: Any, what: str) -> list[bytes]:
    """A proof: a list of at most MAX_PROOF base64 SHA-256 hashes."""
    if not isinstance(value, list) or len(value) > MAX_PROOF:
        raise Malformed("witness.proof_shape", field="url", what=what, most=MAX_PROOF)
    try:
        found = [base64.b64decode(step, validate=True) if isinstance(step, str) else b"" for step in value]
    except (binascii.Error, ValueError):
        raise Malformed("witness.proof_base64", field="url", what=what) from None
    if any(len(step) != HASH_SIZE for step in found):
        raise Malformed("witness.proof_base64", field="url", what=what)
    return found


def opened(note: str, verifier: Verifier, what: str) -> Checkpoint:
    """The checkpoint of a note the log's key signed. A signature that fails is Refused; a note
    that is no note is Malformed."""
    try:
        return open_checkpoint(normalized_note(note), verifier)[0]
    except NoteError as error:
        if error.code in SIGNATURE_CODES:
            raise Refused(f"{what}验证不通过：{error.message}",
                          f"the checkpoint does not verify: {error.message_en}") from None
        raise Malformed("witness.note_malformed", field="url", what=what, reason=error.message,
                        reason_en=error.message_en) from None


def read_file(path: Path, limit: int, what: str) -> str | None:
    """A small text file (a state, a note), None when there is none; one past `limit` is Malformed."""
    try:
        with path.open("rb") as handle:
            body = handle.read(limit + 1)
    except FileNotFoundError:
        return None
    except OSError as error:
        raise NoteError("witness.state_unreadable", field="state", path=path, error=file_problem(error),
                        error_en=str(error)) from None
    if len(body) > limit:
        raise Malformed("witness.file_too_large", field="state", what=what, path=path, limit=limit)
    return text_of(body, what)


def held(state: Path, verifier: Verifier) -> Checkpoint | None:
    """The checkpoint the state file holds (None before the first run)."""
    note = read_file(state, CHECKPOINT_BYTES, "状态文件")
    if note is None:
        return None
    try:
        return open_checkpoint(normalized_note(note), verifier)[0]
    except NoteError as error:
        raise NoteError("witness.state_foreign", field="state", path=state, reason=error.message,
                        reason_en=error.message_en) from None


def store(state: Path, note: str) -> None:
    state.parent.mkdir(parents=True, exist_ok=True)
    fd, scratch = tempfile.mkstemp(dir=state.parent, prefix=f".{state.name}.")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(normalized_note(note))
            out.flush()
            os.fsync(out.fileno())
        os.replace(scratch, state)
    except BaseException:
        Path(scratch).unlink(missing_ok=True)
        raise


def latest(base: str, token: str, verifier: Verifier) -> tuple[str, Checkpoint]:
    """The ledger's latest checkpoint note and what it says, its signature verified."""
    note = text_of(get(f"{base}/v1/checkpoint", token, CHECKPOINT_BYTES), "检查点")
    return note, opened(note, verifier, "检查点")


def consistency_proof(base: str, token: str, old: int, new: int) -> list[bytes]:
    query = urllib.parse.urlencode({"from": old, "to": new})
    document = json_of(get(f"{base}/v1/proofs/consistency?{query}", token, PROOF_BYTES), "一致性证明")
    return hashes_of(document.get("proof") if isinstance(document, dict) else None, "一致性证明")


ProofOf = Callable[[int, int], list[bytes]]


def consistent(old: Checkpoint, new: Checkpoint, proof_of: ProofOf) -> None:
    """Refuse (Refused) a `new` checkpoint that is not a consistent extension of `old`."""
    if new.origin != old.origin:
        raise Refused(f"检查点属于另一个账本（{new.origin}，不是 {old.origin}）",
                      f"the checkpoint is of another log ({new.origin}, not {old.origin})")
    if new.size < old.size:
        raise Refused(f"账本被回滚：大小 {new.size} 小于已见过的 {old.size}",
                      f"rollback: size {new.size} is smaller than the {old.size} already seen")
    if new.size == old.size:
        if new.root != old.root:
            raise Refused(f"账本分叉：大小 {new.size} 有两个不同的根",
                          f"fork: two different roots for size {new.size}")
        return
    try:
        verify_consistency(old.size, new.size, proof_of(old.size, new.size), old.root, new.root)
    except ProofError as error:
        raise Refused(f"账本分叉或被改写：{error.message}", f"fork or rewrite: {error.message_en}") from None


# -- a witnessing round ---------------------------------------------------------------------------

def witness(url: str, token: str, vkey: str, state: Path, *, cosigner: Signer | None = None,
            now: Callable[[], float] | None = None) -> Report:
    """One witnessing round. Returns the contract's report; `ok` false means refused."""
    verifier = Verifier.parse(vkey)
    old = held(state, verifier)
    base = url.rstrip("/")
    report = Report({"ok": False, "origin": verifier.name,
                     "old_size": old.size if old else 0, "new_size": None, "root": None})
    try:
        note, new = latest(base, token, verifier)
        report.update(new_size=new.size, root=new.root_b64)
        if old is not None:
            consistent(old, new, lambda a, b: consistency_proof(base, token, a, b))
    except Refused as refusal:
        report["reason"], report.reason_zh = refusal.en, refusal.zh
        return report
    store(state, note)
    report["ok"] = True
    if cosigner is not None:
        timestamp = int((now or time.time)())
        line = cosign(new.text, cosigner, timestamp).line
        _post(f"{base}/v1/checkpoint/cosignatures", token,
              {"note": normalized_note(note) + line, "vkey": cosigner.verifier.text})
        report["cosigned"] = {"witness": cosigner.name, "time": timestamp}
    return report


def compare(mine: Path, other: str, other_label: str, vkey: str,
            proof_of: ProofOf | None) -> Report:
    """Two witnesses' states (`mine`, and `other`: the other's note): a split view when they hold
    two roots for one size, or when no consistency proof (`proof_of`, from the ledger) joins the
    smaller to the larger. `ok` false means a split view."""
    verifier = Verifier.parse(vkey)
    a = held(mine, verifier)
    if a is None:
        raise NoteError("witness.state_missing", field="state", path=mine)
    b = opened(other, verifier, other_label)
    report = Report({"ok": False, "origin": verifier.name, "a": {"size": a.size, "root": a.root_b64},
                     "b": {"size": b.size, "root": b.root_b64}, "split": False})
    if a.size != b.size and proof_of is None:
        raise NoteError("witness.compare_needs_proof", field="url", a=a.size, b=b.size)
    older, newer = sorted((a, b), key=lambda c: c.size)
    try:
        consistent(older, newer, proof_of or (lambda old, new: []))
    except Refused as refusal:
        report["split"] = True
        report["reason"], report.reason_zh = f"split view: {refusal.en}", f"分裂视图：{refusal.zh}"
        return report
    report["ok"] = True
    return report


__all__ = ["CHECKPOINT_BYTES", "MAX_PROOF", "Malformed", "PROOF_BYTES", "Refused", "Report", "Unreachable",
           "compare", "consistency_proof", "consistent", "get", "held", "hashes_of", "json_of", "latest",
           "opened", "read_file", "store", "text_of", "witness"]
