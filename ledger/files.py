"""The evidence files (docs/commands.md §10.1): bytes in the ledger's own database, addressed by
their SHA-256, never changed once stored.

The room is a narrow interface — `put` (an `Upload`), `get`, `has`, `iterate`, and `read` for the
bytes — so that a deployment larger than a county's could put an S3-compatible object store with
object lock behind it; the ledger's database is enough for one county, and one backup then holds
the ledger and its files.

Three tables, on SQLite and PostgreSQL alike:

- `kaoping_file_chunks (blob, n, data)`: a file's bytes in pieces of `CHUNK` bytes (1 MiB), so that
  neither an upload nor a download holds a whole file in memory, each piece written in a small
  transaction of its own (an upload never holds the ledger's write lock while a client sends);
- `kaoping_files (sha256, blob, size, media_type, name, stored_at)`: one row per stored file. The
  row is the commit point: a file is stored when, and only when, its row is; it is inserted once
  every piece is written and the bytes' hash is known, in one transaction with its first upload's
  row. A server killed during an upload leaves pieces no row names: nobody reads them, and the next
  start sweeps them (`sweep`: pieces of blobs older than an hour with no file row);
- `kaoping_file_uploads (sha256, unit, actor, uploaded_at)`: who uploaded it (the same bytes may be
  uploaded by several), so that a unit's token reads its own uploads (`policy.may_read_file`).

A blob's id starts with the UTC time its upload began (`20181005T093000-<random>`), which is what
`sweep` compares: no clock column, no index beyond the key.
"""

from __future__ import annotations

import hashlib
import io
import secrets
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import IO, Any

from kaoping.domain.errors import TooLarge

from .sniffing import Sniffer

FILES_TABLE = "kaoping_files"
CHUNKS_TABLE = "kaoping_file_chunks"
UPLOADS_TABLE = "kaoping_file_uploads"
#: the size of a stored piece
CHUNK = 1 << 20
#: pieces of an upload begun this long ago with no file row are an upload that died
ABANDONED = timedelta(hours=1)


def ddl(*, sqlite: bool) -> list[str]:
    blob = "BLOB" if sqlite else "BYTEA"
    return [
        f"""CREATE TABLE IF NOT EXISTS {CHUNKS_TABLE} (
            blob TEXT NOT NULL, n INTEGER NOT NULL, data {blob} NOT NULL, PRIMARY KEY (blob, n))""",
        f"""CREATE TABLE IF NOT EXISTS {FILES_TABLE} (
            sha256 TEXT PRIMARY KEY, blob TEXT NOT NULL, size BIGINT NOT NULL,
            media_type TEXT NOT NULL, name TEXT NOT NULL, stored_at TEXT NOT NULL)""",
        f"""CREATE TABLE IF NOT EXISTS {UPLOADS_TABLE} (
            sha256 TEXT NOT NULL, unit TEXT NOT NULL, actor TEXT NOT NULL, uploaded_at TEXT NOT NULL,
            PRIMARY KEY (sha256, unit, actor))""",
    ]


@dataclass(frozen=True)
class StoredFile:
    sha256: str
    size: int
    media_type: str
    name: str
    stored_at: str

    def as_json(self, duplicate: bool | None = None) -> dict[str, Any]:
        """The upload answer (`POST /v1/files`, `kaoping file add`)."""
        document: dict[str, Any] = {"sha256": self.sha256, "size": self.size,
                                    "media_type": self.media_type, "name": self.name}
        if duplicate is not None:
            document["duplicate"] = duplicate
        return document

    def shown(self) -> dict[str, Any]:
        """What an evidence entry carries wherever it is shown (`file`)."""
        return {"stored": True, "media_type": self.media_type, "size": self.size, "name": self.name}


#: how an entry shows a file nobody uploaded yet
NOT_STORED = {"stored": False, "media_type": None, "size": None, "name": None}


@dataclass(frozen=True)
class Uploader:
    """Who uploads: the actor of the token, and the unit a unit token is bound to ('' for others)."""

    actor: str
    unit: str = ""


class Upload:
    """One file on its way in: `take` each piece as it arrives (counted against the limit, sniffed,
    hashed; it says when a stored piece is due), `flush` writes the due piece, `commit` stores the
    file (or finds it stored already), `abort` drops what was written. Not thread-safe: one upload,
    one caller."""

    def __init__(self, store: FileStore, name: str, limit: int):
        self.store, self.name, self.limit = store, name, limit
        self.blob = f"{store.clock().astimezone(timezone.utc):%Y%m%dT%H%M%S}-{secrets.token_hex(8)}"
        self.size = 0
        self.pieces = 0
        self.digest = hashlib.sha256()
        self.sniffer = Sniffer()
        self.buffer = bytearray()
        self.done = False

    def take(self, data: bytes) -> bool:
        """Count, sniff and hash one piece; True when a stored piece is due (`flush`)."""
        self.size += len(data)
        if self.size > self.limit:
            raise TooLarge("file.too_large", field="file", limit=self.limit)
        self.sniffer.feed(data)
        self.digest.update(data)
        self.buffer += data
        return len(self.buffer) >= CHUNK

    def flush(self, final: bool = False) -> None:
        while len(self.buffer) >= CHUNK or (final and self.buffer):
            piece = bytes(self.buffer[:CHUNK])
            del self.buffer[:CHUNK]
            # not waiting for the disk: a piece matters only once the file's row names it, and that
            # row's durable commit comes after, in the log's order, making the pieces durable too
            self.store.recorder.write(
                f"INSERT INTO {CHUNKS_TABLE} (blob, n, data) VALUES (%s, %s, %s)",
                [self.blob, self.pieces, piece], durable=False)
            self.pieces += 1

    def write(self, data: bytes) -> None:
        """`take` and, when due, `flush`: for callers with no event loop to keep free."""
        if self.take(data):
            self.flush()

    def commit(self, uploader: Uploader) -> tuple[StoredFile, bool]:
        """The stored file and whether these bytes were stored already (then nothing new is kept
        but who uploaded them)."""
        self.flush(final=True)
        media_type = self.sniffer.finish(lambda: self.store.reader(self.blob, self.size))
        sha256 = self.digest.hexdigest()
        now = self.store.clock().astimezone(timezone.utc).isoformat()
        name = self.name.strip() or sha256
        added = self.store.recorder.write_all([
            (f"INSERT INTO {FILES_TABLE} (sha256, blob, size, media_type, name, stored_at) "
             "VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT (sha256) DO NOTHING",
             [sha256, self.blob, self.size, media_type, name, now]),
            (f"INSERT INTO {UPLOADS_TABLE} (sha256, unit, actor, uploaded_at) VALUES (%s, %s, %s, %s) "
             "ON CONFLICT DO NOTHING", [sha256, uploader.unit, uploader.actor, now]),
        ])[0]
        self.done = True
        if not added:  # stored before: these pieces are not the file's
            self.store.drop_blob(self.blob)
        stored = self.store.get(sha256)
        assert stored is not None  # noqa: S101 - its row was just found or written
        return stored, not added

    def abort(self) -> None:
        if not self.done:
            self.done = True
            self.store.drop_blob(self.blob)


class FileStore:
    def __init__(self, recorder: Any, clock: Callable[[], datetime]):
        self.recorder, self.clock = recorder, clock

    # -- the narrow interface ----------------------------------------------------------------------
    def put(self, name: str, limit: int) -> Upload:
        """An upload to feed; nothing is stored until it commits."""
        return Upload(self, name, limit)

    def get(self, sha256: str) -> StoredFile | None:
        return self.many([sha256]).get(sha256)

    def has(self, sha256s: Iterable[str]) -> set[str]:
        return set(self.many(sha256s))

    def iterate(self) -> Iterator[StoredFile]:
        """Every stored file, by hash, page by page."""
        after = ""
        while True:
            rows = self.recorder.query(f"SELECT sha256, size, media_type, name, stored_at FROM {FILES_TABLE} "
                                       "WHERE sha256 > %s ORDER BY sha256 LIMIT 1000", [after])
            yield from (_stored(row) for row in rows)
            if len(rows) < 1000:
                return
            after = rows[-1]["sha256"]

    def read(self, sha256: str) -> Iterator[bytes]:
        """The stored bytes, one piece at a time (an empty iterator for a hash nobody stored)."""
        rows = self.recorder.query(f"SELECT blob FROM {FILES_TABLE} WHERE sha256 = %s", [sha256])
        if rows:
            yield from self._pieces(rows[0]["blob"])

    # -- beyond it ---------------------------------------------------------------------------------
    def many(self, sha256s: Iterable[str]) -> dict[str, StoredFile]:
        wanted = sorted(set(sha256s))
        found: dict[str, StoredFile] = {}
        for start in range(0, len(wanted), 500):
            chunk = wanted[start:start + 500]
            marks = ",".join(["%s"] * len(chunk))
            for row in self.recorder.query(f"SELECT sha256, size, media_type, name, stored_at FROM "
                                           f"{FILES_TABLE} WHERE sha256 IN ({marks})", chunk):
                found[row["sha256"]] = _stored(row)
        return found

    def uploaded_by(self, sha256: str, unit: str) -> bool:
        """Whether a token bound to `unit` uploaded these bytes."""
        return bool(self.recorder.query(f"SELECT 1 AS one FROM {UPLOADS_TABLE} WHERE sha256 = %s AND unit = %s",
                                        [sha256, unit]))

    def mismatched(self, sha256: str) -> bool:
        """Whether the stored bytes no longer hash to their key, or are not as long as stored."""
        rows = self.recorder.query(f"SELECT blob, size FROM {FILES_TABLE} WHERE sha256 = %s", [sha256])
        if not rows:
            return False
        digest, size = hashlib.sha256(), 0
        for piece in self._pieces(rows[0]["blob"]):
            digest.update(piece)
            size += len(piece)
        return digest.hexdigest() != sha256 or size != int(rows[0]["size"])

    def reader(self, blob: str, size: int) -> IO[bytes]:
        """A seekable reader of a blob's pieces (the sniffer reads a ZIP's central directory)."""
        return _BlobReader(self, blob, size)

    def drop_blob(self, blob: str) -> None:
        self.recorder.write(f"DELETE FROM {CHUNKS_TABLE} WHERE blob = %s", [blob])

    def sweep(self) -> None:
        """Drop the pieces of uploads that died (no file row, begun over `ABANDONED` ago)."""
        before = f"{(self.clock() - ABANDONED).astimezone(timezone.utc):%Y%m%dT%H%M%S}"
        self.recorder.write(f"DELETE FROM {CHUNKS_TABLE} WHERE blob < %s AND blob NOT IN "
                            f"(SELECT blob FROM {FILES_TABLE})", [before])

    def _pieces(self, blob: str) -> Iterator[bytes]:
        n = 0
        while True:
            rows = self.recorder.query(f"SELECT data FROM {CHUNKS_TABLE} WHERE blob = %s AND n = %s", [blob, n])
            if not rows:
                return
            yield bytes(rows[0]["data"])
            n += 1

    def piece(self, blob: str, n: int) -> bytes:
        rows = self.recorder.query(f"SELECT data FROM {CHUNKS_TABLE} WHERE blob = %s AND n = %s", [blob, n])
        return bytes(rows[0]["data"]) if rows else b""


def _stored(row: dict[str, Any]) -> StoredFile:
    return StoredFile(row["sha256"], int(row["size"]), row["media_type"], row["name"], row["stored_at"])


class _BlobReader(io.RawIOBase):
    """Random reads over a blob's pieces, one piece in memory at a time."""

    def __init__(self, store: FileStore, blob: str, size: int):
        super().__init__()
        self.store, self.blob, self.size, self.position = store, blob, size, 0
        self.cached: tuple[int, bytes] = (-1, b"")

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self.position

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self.position, io.SEEK_END: self.size}[whence]
        self.position = max(0, base + offset)
        return self.position

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        done = 0
        while done < len(view) and self.position < self.size:
            n, offset = divmod(self.position, CHUNK)
            if self.cached[0] != n:
                self.cached = (n, self.store.piece(self.blob, n))
            piece = self.cached[1][offset:offset + len(view) - done]
            if not piece:
                break
            view[done:done + len(piece)] = piece
            done += len(piece)
            self.position += len(piece)
        return done


def store_paths(store: FileStore, paths: Sequence[Any], limit: int, uploader: Uploader) -> list[dict[str, Any]]:
    """`kaoping file add`: each file read in pieces into the store, one upload answer each."""
    answers = []
    for path in paths:
        upload = store.put(path.name, limit)
        try:
            with open(path, "rb") as source:
                while piece := source.read(CHUNK):
                    upload.write(piece)
            stored, duplicate = upload.commit(uploader)
        except BaseException:
            upload.abort()
            raise
        answers.append(stored.as_json(duplicate))
    return answers


__all__ = ["CHUNK", "FileStore", "NOT_STORED", "StoredFile", "Upload", "Uploader", "ddl", "store_paths"]
