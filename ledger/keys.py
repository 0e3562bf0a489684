"""The ledger's signing key on disk: one line in Go's note format, in a file only its owner reads.

`kaoping init` makes one where none is configured (`KAOPING_SIGNING_KEY`, default beside the
ledger: `Settings.signing_key_path`), with a unique origin, so that serving needs no set-up;
`kaoping key generate` makes one explicitly (also a witness's cosigner key). The private key is
read from its file and kept in memory: never written to a log line, an export, an error or a page.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from kaoping.domain.errors import KaopingError
from kaoping.domain.notes import COSIGNATURE_KEY, NOTE_KEY, NoteError, Signer

#: origins are schema-less URLs by convention; this one needs no domain of its own
ORIGIN_PREFIX = "kaoping.local/"


class NoSigningKey(KaopingError):
    """The ledger has no signing key where it looks for one: nothing can be appended (every append
    signs a checkpoint)."""


def new_origin() -> str:
    return ORIGIN_PREFIX + secrets.token_hex(8)


def generate(path: Path, origin: str, *, cosigner: bool = False) -> Signer:
    """A new key in a new file (mode 0600); an existing file is never overwritten."""
    signer = Signer.from_seed(origin, secrets.token_bytes(32), COSIGNATURE_KEY if cosigner else NOTE_KEY)
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise KaopingError(f"{path} exists: a key file is never overwritten", field="out") from None
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(signer.text + "\n")
    return signer


def load(path: Path) -> Signer | None:
    """The key in `path`, or None when there is no such file."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as error:
        raise NoteError(f"cannot read the key file {path}: {error}", field="key") from None
    try:
        return Signer.parse(text)
    except NoteError as error:  # the message says what is wrong, never what the file holds
        raise NoteError(f"{path}: {error.message}", field="key") from None


def ensure(path: Path) -> tuple[Signer, bool]:
    """The key in `path`, made now if there is none: (key, whether it was made)."""
    signer = load(path)
    if signer is not None:
        return signer, False
    try:
        return generate(path, new_origin()), True
    except KaopingError:  # another process made it at the same moment
        found = load(path)
        if found is None:
            raise
        return found, False


__all__ = ["NoSigningKey", "ensure", "generate", "load", "new_origin"]
