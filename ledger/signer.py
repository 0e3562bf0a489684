"""The signer: the ledger's signing key and its own memory of what the key signed (docs/commands.md
§6 "签名者的记录", §10.7). Whoever can write the database can rewrite an entry, recompute the chain, the
tree and the command index with nothing but SHA-256, and delete checkpoints; only the key vouches for
a tree, so only the key's own memory can refuse to vouch for a rewrite.

- **The record.** Beside the key file, never in the database: `<key file>.signed`, one JSON line per
  checkpoint the key signed, `{"size", "root", "signed_at", "note"}` (root base64; `note` the signed
  checkpoint itself, so that a checkpoint signed just before a crash can be stored afterwards).
  A line is appended and fsynced before its note leaves the signer, under an exclusive `flock` held
  from reading the record's last line to writing the new one, so that several processes may share
  one key. A line cut off by a crash (no newline: its write never finished, so its note never left)
  is dropped before the next is written.
- **The judgement.** A tree of (size, root) is signed only when it extends the record's last
  checkpoint (m, r): the same root at the same size, or an RFC 9162 consistency proof from m that
  verifies against r (`domain.merkle.verify_consistency`). The proof's hashes come from the database,
  which the signer does not trust, and need not: a rewritten tree cannot produce a proof that joins
  the recorded root. Anything else (a smaller tree: entries cut; another root within the signed size:
  a rewrite) is refused with `LedgerForked` (`ledger.fork`), and nothing is signed.
- **The narrow interface.** `sign(tree, now)` signs the committed tree, where `tree` answers
  `head(since)` (its size and root), `consistency(old, new)` (proof hashes), `stored()` (the latest
  checkpoint's size) and `keep(signed)` (store a checkpoint); `check(size, root, prove)` is the same
  judgement without signing (the append's gate, run in its transaction); `last()` and `lines()`
  read the record. Nothing else reaches the key.

A ledger that had checkpoints before the record existed (or whose record was lost) starts its
record from the latest stored checkpoint that the key's own signature verifies: the key made it, so
it is a fact about what the key signed, whatever else the database says.

**Moving the signer out of the process.** The key, the record and `Signatory` would move into a
process of their own, on another machine or user than the database's writers, answering one
request, "sign the committed tree", over a socket only the ledger's processes reach; the ledger
keeps `TreeSource` on its side and the exchange becomes: the signer names its record's last
(size, root); the ledger answers with the head and the proof hashes from that size (whoever
supplies them, they are judged against the signer's own root, so they need no trust); the signer
verifies, appends and fsyncs its line, and answers the note, which the ledger stores (`keep`,
including lines a crash left unstored, which the signer would list). A head that moved meanwhile
is answered "ask again", never signed; the `flock` becomes the service's own serialisation. With
an HSM the key stays inside it and the record's last (size, root) must too (sealed storage or a
monotonic counter bound to it), since a record the host can roll back would let a rewrite be
signed after a restore: the HSM would then verify the consistency proof itself, or sign only what
its host-side service, holding the record, has judged. The ledger's gate (`check`) needs only the
record's last line, which the service would publish.
"""

from __future__ import annotations

import base64
import binascii
import fcntl
import json
import os
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from kaoping.domain.errors import LedgerDamaged, LedgerForked
from kaoping.domain.merkle import HASH_SIZE, ProofError, verify_consistency
from kaoping.domain.notes import Checkpoint, Signer, sign_note

from . import keys

#: the record's name is the key file's with this added
RECORD_SUFFIX = ".signed"
#: how much of the record's end is read for its last line at first (a line is ~0.3 KB)
TAIL = 8192


@dataclass(frozen=True)
class Signed:
    """One line of the record: a checkpoint the key signed."""

    size: int
    root: bytes
    signed_at: str
    note: str | None = None
    #: started from a checkpoint the database held, signed before the record existed
    seeded: bool = False

    @property
    def root_b64(self) -> str:
        return base64.b64encode(self.root).decode()

    def line(self) -> bytes:
        document: dict[str, Any] = {"size": self.size, "root": self.root_b64, "signed_at": self.signed_at,
                                    "note": self.note}
        if self.seeded:
            document["seeded"] = True
        return (json.dumps(document, ensure_ascii=False) + "\n").encode()

    @classmethod
    def parse(cls, text: str) -> Signed:
        """A record line; a malformed one is the record damaged (RecordDamaged)."""
        try:
            document = json.loads(text)
            size, root = document["size"], base64.b64decode(document["root"], validate=True)
            if isinstance(size, bool) or not isinstance(size, int) or size < 1 or len(root) != HASH_SIZE:
                raise ValueError("size or root")
            return cls(size, root, str(document["signed_at"]), document.get("note"),
                       bool(document.get("seeded", False)))
        except (ValueError, KeyError, TypeError, binascii.Error, RecursionError) as error:
            raise RecordDamaged("signer.record_damaged", line=text[:80], error=type(error).__name__) \
                from None


class RecordDamaged(LedgerDamaged):
    """A line of the record that is not one the signer wrote: nothing is judged against it, so
    nothing is signed."""


class TreeSource(Protocol):
    """What the signer asks of the ledger: the tree as committed, proofs from it, and to keep what it
    signed."""

    def head(self, since: int | None) -> tuple[int, bytes]:
        """(size, root) of the committed tree; `since` is the size the signer will ask a
        consistency proof from, if any (a source may read what that proof needs in the same go)."""
        ...

    def consistency(self, old: int, new: int) -> Sequence[bytes]:
        """The RFC 9162 consistency proof from size `old` to size `new` of the committed tree."""
        ...

    def keep(self, signed: Signed) -> None:
        """Store the checkpoint `signed` (a no-op when it is stored already)."""
        ...

    def stored(self) -> int:
        """The size of the latest checkpoint stored (0 for none)."""
        ...


Prove = Callable[[int], Sequence[bytes]]


def judge(last: Signed | None, size: int, root: bytes, prove: Prove) -> None:
    """Refuse (LedgerForked) a tree of (size, root) that does not extend `last`; `prove(m)` gives the
    consistency proof from size m to `size`, asked for only when the sizes differ."""
    if last is None:
        return
    if size < last.size:
        raise _forked(last, size, root, "smaller")
    if size == last.size:
        if root != last.root:
            raise _forked(last, size, root, "rewritten")
        return
    try:
        verify_consistency(last.size, size, list(prove(last.size)), last.root, root)
    except (ProofError, KeyError):  # a node the proof needs is gone from the database: no proof
        raise _forked(last, size, root, "inconsistent") from None


#: why a tree does not extend the record, in words
_WHY = {"smaller": ("比签名密钥已签署的小：已确认的记录被截掉了", "smaller than what the key signed: entries were cut"),
        "rewritten": ("与签名密钥在同一大小签署的根不同：历史被改写了", "another root for the size the key signed: "
                      "history was rewritten"),
        "inconsistent": ("不是签名密钥已签署的树的延续（一致性证明不成立）：历史被改写了",
                         "not an extension of the tree the key signed (no consistency proof): history was "
                         "rewritten")}


def _forked(last: Signed, size: int, root: bytes, why: str) -> LedgerForked:
    zh, en = _WHY[why]
    return LedgerForked("ledger.fork", signed_size=last.size, signed_root=last.root_b64, size=size,
                        root=base64.b64encode(root).decode(), why=zh, why_en=en)


class Signatory:
    """The signer of one key file and its record (see the module's docstring)."""

    def __init__(self, key_path: Path):
        self.key_path = key_path
        self.record_path = key_path.with_name(key_path.name + RECORD_SUFFIX)
        self._key: Signer | None = None
        #: the record's last line, by the file's (inode, size, mtime) when it was read
        self._last: tuple[tuple[int, int, int], Signed | None] | None = None

    # -- the key --------------------------------------------------------------------------------
    def key(self) -> Signer:
        """The signing key, read once from its file."""
        if self._key is None:
            found = keys.load(self.key_path)
            if found is None:
                raise keys.NoSigningKey("key.missing", field="key", path=self.key_path)
            self._key = found
        return self._key

    def ensure_key(self) -> tuple[Signer, bool]:
        """The key, made now if there is none (`kaoping init`): (key, whether it was made)."""
        self._key, made = keys.ensure(self.key_path)
        return self._key, made

    # -- the record -----------------------------------------------------------------------------
    def last(self) -> Signed | None:
        """The record's last line (None before the first), read again only when the file changed."""
        try:
            fd = os.open(self.record_path, os.O_RDONLY)
        except FileNotFoundError:
            return None
        try:
            stat = os.fstat(fd)
            stamp = (stat.st_ino, stat.st_size, stat.st_mtime_ns)
            if self._last is not None and self._last[0] == stamp:
                return self._last[1]
            last, _ = _last_line(fd, stat.st_size)
        finally:
            os.close(fd)
        self._last = (stamp, last)
        return last

    def lines(self) -> list[Signed]:
        """Every line of the record, oldest first (a line cut off by a crash left out)."""
        try:
            data = self.record_path.read_bytes()
        except FileNotFoundError:
            return []
        whole = data[:data.rfind(b"\n") + 1]
        return [Signed.parse(line) for line in whole.decode("utf-8", "replace").splitlines() if line.strip()]

    # -- judging and signing --------------------------------------------------------------------
    def check(self, size: int, root: bytes, prove: Prove) -> None:
        """The judgement alone, against the record as it is now (no lock: the record only grows,
        and whatever line is last, the tree must extend it)."""
        judge(self.last(), size, root, prove)

    def sign(self, tree: TreeSource, now: datetime,
             seed: Callable[[], Signed | None] | None = None) -> Signed | None:
        """Sign the committed tree: read its head under the record's lock, judge it, and if it is a
        new size, append and fsync the record's line before the note is kept. The checkpoints of
        the record's lines above the latest stored one are kept first (a crash between the record
        and the database leaves them unstored), so that only lines since the last signature can
        lack their stored checkpoint. None for an empty tree. `seed` gives the checkpoint a record
        that does not exist yet starts from."""
        with self._locked() as fd:
            last, end = _last_line(fd, os.fstat(fd).st_size)
            if last is None and seed is not None:
                last = seed()
                if last is not None:
                    end = _append(fd, end, last)
            size, root = tree.head(last.size if last is not None else None)
            if size == 0:
                return None
            judge(last, size, root, lambda old: tree.consistency(old, size))
            for line in _lines_after(fd, end, tree.stored()):  # signed, and lost by a crash
                tree.keep(line)
            if last is not None and last.size == size:
                return last
            key = self.key()
            checkpoint = Checkpoint(key.name, size, root)
            signed = Signed(size, root, now.isoformat(), sign_note(checkpoint.text, key))
            _append(fd, end, signed)
            tree.keep(signed)
            return signed

    @contextmanager
    def _locked(self) -> Iterator[int]:
        """The record opened for appending, under an exclusive flock (made 0600 if missing)."""
        self.record_path.parent.mkdir(parents=True, exist_ok=True)
        made = not self.record_path.exists()
        fd = os.open(self.record_path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            if made:  # the new name itself must survive a crash
                _fsync_dir(self.record_path.parent)
            yield fd
        finally:
            os.close(fd)  # closing releases the lock


def _last_line(fd: int, size: int) -> tuple[Signed | None, int]:
    """The last complete line of the record open as `fd` of `size` bytes, and where the complete
    lines end (a line cut off by a crash begins there)."""
    window = TAIL
    while True:
        start = max(0, size - window)
        data = os.pread(fd, size - start, start)
        end = data.rfind(b"\n")
        if end < 0 and start > 0:
            window *= 2
            continue
        if end < 0:
            return None, 0
        begin = data.rfind(b"\n", 0, end) + 1
        if begin == 0 and start > 0:
            window *= 2
            continue
        line = data[begin:end].decode("utf-8", "replace")
        return (Signed.parse(line) if line.strip() else None), start + end + 1


def _lines_after(fd: int, end: int, size: int) -> list[Signed]:
    """The record's lines (of its first `end` bytes) of checkpoints larger than `size`, oldest
    first, read from the end."""
    window = TAIL
    while True:
        start = max(0, end - window)
        lines = [line for line in os.pread(fd, end - start, start).decode("utf-8", "replace").split("\n")
                 if line.strip()]
        if start > 0:
            lines = lines[1:]  # the window's first line may begin before it
        found = []
        for line in reversed(lines):
            signed = Signed.parse(line)
            if signed.size <= size:
                return found[::-1]
            found.append(signed)
        if start == 0:
            return found[::-1]
        window *= 2


def _append(fd: int, end: int, signed: Signed) -> int:
    """Write `signed` as the record's next line at `end` (dropping a line cut off after it) and
    fsync it; where the record now ends."""
    if os.fstat(fd).st_size != end:
        os.ftruncate(fd, end)
    line = signed.line()
    os.write(fd, line)
    os.fsync(fd)
    return end + len(line)


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


__all__ = ["RECORD_SUFFIX", "RecordDamaged", "Signatory", "Signed", "TreeSource", "judge"]
