"""Signed notes, checkpoints and cosignatures, exactly as C2SP specifies them and Go's
`golang.org/x/mod/sumdb/note` implements them (the vectors in `tests/vectors/signed-note`).

- Keys: a private key is one line `PRIVATE+KEY+<name>+<keyid>+<base64(type ‖ 32-byte seed)>`, its
  verifier key (vkey) `<name>+<keyid>+<base64(type ‖ public key)>`, where keyid is the first 4 bytes
  (hex) of SHA-256(name ‖ 0x0A ‖ type ‖ public key). Type 0x01 signs notes (the ledger's key: its
  name is the log's origin); type 0x04 makes timestamped cosignatures (a witness's key).
- A note is UTF-8 text ending in a newline, a blank line, then lines `— <name> <base64(keyid ‖ sig)>`.
  Opening one ignores signatures by unknown keys, refuses a bad signature by a known key, and
  refuses a note that no known key signed (C2SP signed-note, "Signatures").
- A checkpoint (C2SP tlog-checkpoint) is the note text `<origin>\\n<size>\\n<base64 root>\\n`.
- A cosignature (C2SP tlog-cosignature, Ed25519) signs `cosignature/v1\\ntime <t>\\n` followed by
  the checkpoint text; its signature bytes are keyid ‖ u64 big-endian t ‖ Ed25519 signature.

Pure: a key is made from seed bytes the caller draws; nothing here reads a clock or a file.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from .errors import KaopingError
from .merkle import HASH_SIZE

NOTE_KEY = 0x01
COSIGNATURE_KEY = 0x04
DASH = "\u2014"
#: verifiers must accept at least 16 signature lines; more than this is refused as malformed
MAX_SIGNATURES = 100
COSIGNATURE_HEADER = "cosignature/v1\n"
_DECIMAL = re.compile(r"^(0|[1-9][0-9]{0,18})$")


class NoteError(KaopingError):
    """A key, note, checkpoint or signature that is malformed or does not verify."""


def valid_name(name: str) -> bool:
    """Key names (and so origins) are non-empty, with no Unicode space and no `+`."""
    return bool(name) and "+" not in name and not any(ch.isspace() for ch in name)


def key_id(name: str, kind: int, public: bytes) -> bytes:
    return hashlib.sha256(name.encode() + b"\n" + bytes([kind]) + public).digest()[:4]


#: what `_b64` decodes, in words
_DECODED = {"the vkey's key": "验证公钥的公钥部分", "the private key": "私钥", "a signature": "签名",
            "the checkpoint's root": "检查点的根哈希"}


def _b64(text: str, what: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise NoteError("key.not_base64", field="key", what=_DECODED.get(what, what), what_en=what) from None


def _public_bytes(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(Encoding.Raw, PublicFormat.Raw)


@dataclass(frozen=True)
class Verifier:
    name: str
    kind: int
    id: bytes
    public: bytes

    @classmethod
    def parse(cls, vkey: str) -> Verifier:
        parts = vkey.strip().split("+", 2)
        if len(parts) != 3 or not valid_name(parts[0]) or not re.fullmatch(r"[0-9a-f]{8}", parts[1]):
            raise NoteError("vkey.malformed", field="vkey")
        name, hex_id, key64 = parts
        raw = _b64(key64, "the vkey's key")
        if len(raw) != 33 or raw[0] not in (NOTE_KEY, COSIGNATURE_KEY):
            raise NoteError("vkey.not_ed25519", field="vkey")
        if key_id(name, raw[0], raw[1:]).hex() != hex_id:
            raise NoteError("vkey.id_mismatch", field="vkey")
        return cls(name, raw[0], bytes.fromhex(hex_id), raw[1:])

    @property
    def text(self) -> str:
        return f"{self.name}+{self.id.hex()}+{base64.b64encode(bytes([self.kind]) + self.public).decode()}"

    def verifies(self, message: bytes, signature: bytes) -> bool:
        try:
            Ed25519PublicKey.from_public_bytes(self.public).verify(signature, message)
        except InvalidSignature:
            return False
        return True


@dataclass(frozen=True)
class Signer:
    name: str
    kind: int
    id: bytes
    _key: Ed25519PrivateKey

    @classmethod
    def parse(cls, skey: str) -> Signer:
        parts = skey.strip().split("+", 4)
        if len(parts) != 5 or parts[:2] != ["PRIVATE", "KEY"] or not valid_name(parts[2]) \
                or not re.fullmatch(r"[0-9a-f]{8}", parts[3]):
            raise NoteError("key.malformed", field="key")
        raw = _b64(parts[4], "the private key")
        if len(raw) != 33 or raw[0] not in (NOTE_KEY, COSIGNATURE_KEY):
            raise NoteError("key.not_ed25519", field="key")
        key = Ed25519PrivateKey.from_private_bytes(raw[1:])
        if key_id(parts[2], raw[0], _public_bytes(key.public_key())).hex() != parts[3]:
            raise NoteError("key.id_mismatch", field="key")
        return cls(parts[2], raw[0], bytes.fromhex(parts[3]), key)

    @classmethod
    def from_seed(cls, name: str, seed: bytes, kind: int = NOTE_KEY) -> Signer:
        if not valid_name(name):
            raise NoteError("key.name_invalid", field="origin")
        if len(seed) != 32:
            raise NoteError("key.seed_size", field="key")
        key = Ed25519PrivateKey.from_private_bytes(seed)
        return cls(name, kind, key_id(name, kind, _public_bytes(key.public_key())), key)

    @property
    def verifier(self) -> Verifier:
        return Verifier(self.name, self.kind, self.id, _public_bytes(self._key.public_key()))

    @property
    def text(self) -> str:
        """The private key file's one line. Never log it, print it or put it on a page."""
        seed = self._key.private_bytes_raw()
        return f"PRIVATE+KEY+{self.name}+{self.id.hex()}+{base64.b64encode(bytes([self.kind]) + seed).decode()}"

    def __repr__(self) -> str:  # a key in a traceback or a log line shows its name only
        return f"Signer({self.name!r}, kind={self.kind})"

    def sign(self, message: bytes) -> bytes:
        return self._key.sign(message)


# -- notes --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Signature:
    name: str
    id: bytes
    raw: bytes  # what follows the key id

    @property
    def line(self) -> str:
        return f"{DASH} {self.name} {base64.b64encode(self.id + self.raw).decode()}\n"


def sign_note(text: str, signer: Signer) -> str:
    """`text` (ending in a newline) signed by `signer`, as a note."""
    if not text.endswith("\n"):
        raise NoteError("note.no_newline", field="note")
    return text + "\n" + Signature(signer.name, signer.id, signer.sign(text.encode())).line


def normalized_note(note: str) -> str:
    """A note as a person or a tool saved it, ending in exactly one newline: `jq -r` and editors add
    one after the note's own, a copy from a page may lose it. Nothing else is changed."""
    return note.rstrip("\n") + "\n"


def split_note(note: str) -> tuple[str, list[Signature]]:
    """A note's text and signature lines, checked for form only (not verified)."""
    if any(ord(ch) < 0x20 and ch != "\n" for ch in note):
        raise NoteError("note.control_character", field="note")
    at = note.rfind("\n\n")
    if at < 0 or not note.endswith("\n"):
        raise NoteError("note.malformed", field="note")
    text, block = note[:at + 1], note[at + 2:]
    signatures = []
    for line in block.splitlines():
        match = re.fullmatch(DASH + r" (\S+) (\S+)", line)
        if match is None or not valid_name(match.group(1)):
            raise NoteError("note.signature_line", field="note", line=line[:40])
        raw = _b64(match.group(2), "a signature")
        if len(raw) < 5:
            raise NoteError("note.signature_short", field="note")
        signatures.append(Signature(match.group(1), raw[:4], raw[4:]))
    if not signatures or len(signatures) > MAX_SIGNATURES:
        raise NoteError("note.signature_count", field="note", most=MAX_SIGNATURES)
    return text, signatures


def open_note(note: str, verifier: Verifier) -> tuple[str, list[Signature]]:
    """The text of a note that `verifier` signed, and its other signatures (unverified). A bad
    signature by the verifier's key, or none, refuses the note."""
    text, signatures = split_note(note)
    own = [s for s in signatures if (s.name, s.id) == (verifier.name, verifier.id)]
    if not own:
        raise NoteError("note.not_signed", field="signature", name=verifier.name)
    if not all(verifier.verifies(text.encode(), s.raw) for s in own):
        raise NoteError("note.bad_signature", field="signature", name=verifier.name)
    return text, [s for s in signatures if (s.name, s.id) != (verifier.name, verifier.id)]


# -- checkpoints --------------------------------------------------------------------------------

@dataclass(frozen=True)
class Checkpoint:
    origin: str
    size: int
    root: bytes

    @property
    def text(self) -> str:
        return f"{self.origin}\n{self.size}\n{base64.b64encode(self.root).decode()}\n"

    @property
    def root_b64(self) -> str:
        return base64.b64encode(self.root).decode()

    @classmethod
    def parse(cls, text: str) -> Checkpoint:
        lines = text.split("\n")
        if len(lines) < 4 or lines[-1] != "":
            raise NoteError("checkpoint.malformed", field="checkpoint", label="检查点（checkpoint）")
        origin, size, root = lines[0], lines[1], lines[2]
        if not origin or any(ch.isspace() for ch in origin) or not _DECIMAL.match(size):
            raise NoteError("checkpoint.origin_or_size", field="checkpoint", label="检查点（checkpoint）")
        digest = _b64(root, "the checkpoint's root")
        if len(digest) != HASH_SIZE:
            raise NoteError("checkpoint.root_size", field="checkpoint", label="检查点（checkpoint）")
        return cls(origin, int(size), digest)


def open_checkpoint(note: str, verifier: Verifier) -> tuple[Checkpoint, list[Signature]]:
    """A checkpoint note signed by the log's key (whose name must be the origin)."""
    text, others = open_note(note, verifier)
    checkpoint = Checkpoint.parse(text)
    if checkpoint.origin != verifier.name:
        raise NoteError("checkpoint.other_origin", field="checkpoint", label="检查点（checkpoint）",
                        origin=checkpoint.origin, name=verifier.name)
    return checkpoint, others


# -- cosignatures -------------------------------------------------------------------------------

def _cosigned(checkpoint_text: str, timestamp: int) -> bytes:
    return f"{COSIGNATURE_HEADER}time {timestamp}\n{checkpoint_text}".encode()


def cosign(checkpoint_text: str, signer: Signer, timestamp: int) -> Signature:
    if signer.kind != COSIGNATURE_KEY:
        raise NoteError("cosignature.needs_cosigner", field="key")
    if not 0 <= timestamp < 2 ** 63:
        raise NoteError("cosignature.time", field="time")
    stamp = timestamp.to_bytes(8, "big")
    return Signature(signer.name, signer.id, stamp + signer.sign(_cosigned(checkpoint_text, timestamp)))


def cosignature_time(checkpoint_text: str, signature: Signature, verifier: Verifier) -> int:
    """The time of a valid cosignature of the checkpoint by `verifier`; refused otherwise."""
    if verifier.kind != COSIGNATURE_KEY or (signature.name, signature.id) != (verifier.name, verifier.id):
        raise NoteError("cosignature.other_key", field="cosignature")
    if len(signature.raw) != 8 + 64:
        raise NoteError("cosignature.malformed", field="cosignature")
    timestamp = int.from_bytes(signature.raw[:8], "big")
    if timestamp >= 2 ** 63 or not verifier.verifies(_cosigned(checkpoint_text, timestamp),
                                                     signature.raw[8:]):
        raise NoteError("cosignature.bad", field="cosignature")
    return timestamp


__all__ = ["COSIGNATURE_KEY", "NOTE_KEY", "Checkpoint", "NoteError", "Signature", "Signer",
           "Verifier", "cosign", "cosignature_time", "key_id", "normalized_note", "open_checkpoint", "open_note",
           "sign_note", "split_note", "valid_name"]
