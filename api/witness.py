"""A witness (C2SP tlog-witness, as an auditor runs it on a machine of its own): it keeps the last
checkpoint it verified of a ledger, and from then on accepts a newer one only with a consistency
proof from the size it holds. A smaller size (a rollback), a proof that fails (a fork or a rewrite)
or a bad signature is refused and the state file is left as it was; an accepted checkpoint is
stored atomically (written beside, then renamed), and with a cosigner key it is cosigned (C2SP
tlog-cosignature) and the cosignature sent back to the ledger.
"""

from __future__ import annotations

import base64
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
from kaoping.domain.merkle import ProofError, verify_consistency
from kaoping.domain.notes import Checkpoint, NoteError, Signer, Verifier, cosign, open_checkpoint
from kaoping.ledger.keys import file_problem

TIMEOUT = 30


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


def _ask(request: urllib.request.Request) -> bytes:
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
            return response.read()  # type: ignore[no-any-return]
    except urllib.error.HTTPError as error:
        raise Unreachable("witness.http_status", field="url", url=request.full_url, status=error.code,
                          body=error.read()[:200].decode(errors="replace")) from None
    except (urllib.error.URLError, OSError) as error:
        raise Unreachable("witness.unreachable", field="url", url=request.full_url,
                          error=_network_problem(error), error_en=str(error)) from None


def _network_problem(error: Exception) -> str:
    if isinstance(error, TimeoutError) or "timed out" in str(error):
        return f"{TIMEOUT} 秒内没有答复"
    if isinstance(error, ConnectionRefusedError) or "refused" in str(error).lower():
        return "连接被拒绝：地址不对，或服务没有运行"
    return f"网络出错（{type(error).__name__}）"


def _get(url: str, token: str) -> bytes:
    return _ask(urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"}))


def _post(url: str, token: str, document: dict[str, Any]) -> None:
    _ask(urllib.request.Request(url, data=json.dumps(document).encode(), method="POST",
                                headers={"Authorization": f"Bearer {token}",
                                         "Content-Type": "application/json"}))


def held(state: Path, verifier: Verifier) -> Checkpoint | None:
    """The checkpoint the state file holds (None before the first run)."""
    try:
        note = state.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as error:
        raise NoteError("witness.state_unreadable", field="state", path=state, error=file_problem(error),
                        error_en=str(error)) from None
    try:
        return open_checkpoint(note, verifier)[0]
    except NoteError as error:
        raise NoteError("witness.state_foreign", field="state", path=state, reason=error.message,
                        reason_en=error.message_en) from None


def _store(state: Path, note: str) -> None:
    state.parent.mkdir(parents=True, exist_ok=True)
    fd, scratch = tempfile.mkstemp(dir=state.parent, prefix=f".{state.name}.")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(note)
            out.flush()
            os.fsync(out.fileno())
        os.replace(scratch, state)
    except BaseException:
        Path(scratch).unlink(missing_ok=True)
        raise


def witness(url: str, token: str, vkey: str, state: Path, *, cosigner: Signer | None = None,
            now: Callable[[], float] | None = None) -> Report:
    """One witnessing round. Returns the contract's report; `ok` false means refused."""
    verifier = Verifier.parse(vkey)
    old = held(state, verifier)
    base = url.rstrip("/")
    report = Report({"ok": False, "origin": verifier.name,
                              "old_size": old.size if old else 0, "new_size": None, "root": None})
    try:
        note = _get(f"{base}/v1/checkpoint", token).decode("utf-8", errors="replace")
        try:
            new, _ = open_checkpoint(note, verifier)
        except NoteError as error:
            raise Refused(f"检查点验证不通过：{error.message}",
                          f"the checkpoint does not verify: {error.message_en}") from None
        report.update(new_size=new.size, root=new.root_b64)
        if old is not None:
            _consistent(base, token, old, new)
    except Refused as refusal:
        report["reason"], report.reason_zh = refusal.en, refusal.zh
        return report
    _store(state, note)
    report["ok"] = True
    if cosigner is not None:
        timestamp = int((now or time.time)())
        line = cosign(new.text, cosigner, timestamp).line
        _post(f"{base}/v1/checkpoint/cosignatures", token,
              {"note": note + line, "vkey": cosigner.verifier.text})
        report["cosigned"] = {"witness": cosigner.name, "time": timestamp}
    return report


def _consistent(base: str, token: str, old: Checkpoint, new: Checkpoint) -> None:
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
    query = urllib.parse.urlencode({"from": old.size, "to": new.size})
    try:
        document = json.loads(_get(f"{base}/v1/proofs/consistency?{query}", token))
        proof = [base64.b64decode(step, validate=True) for step in document["proof"]]
    except (ValueError, KeyError, TypeError) as error:
        raise Refused(f"一致性证明格式不对（{type(error).__name__}）",
                      f"the consistency proof is malformed: {error}") from None
    try:
        verify_consistency(old.size, new.size, proof, old.root, new.root)
    except ProofError as error:
        raise Refused(f"账本分叉或被改写：{error.message}", f"fork or rewrite: {error.message_en}") from None


__all__ = ["Refused", "Report", "Unreachable", "held", "witness"]
