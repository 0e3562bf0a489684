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


def file_problem(error: Exception) -> str:
    """Why a file could not be read, in words (the system's own message is English)."""
    if isinstance(error, FileNotFoundError):
        return "没有这个文件"
    if isinstance(error, PermissionError):
        return "没有读取权限"
    if isinstance(error, IsADirectoryError):
        return "这是一个目录，不是文件"
    if isinstance(error, UnicodeDecodeError):
        return "不是 UTF-8 文本"
    return f"读取出错（{type(error).__name__}）"


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
        raise KaopingError("key.file_exists", field="out", path=path) from None
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
        raise NoteError("key.unreadable", field="key", path=path, error=file_problem(error),
                        error_en=str(error)) from None
    try:
        return Signer.parse(text)
    except NoteError as error:  # the message says what is wrong, never what the file holds
        raise NoteError("key.file_malformed", field="key", path=path, reason=error.message,
                        reason_en=error.message_en) from None


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


__all__ = ["NoSigningKey", "file_problem", "ensure", "generate", "load", "new_origin"]
