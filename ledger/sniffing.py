"""What a stored file is, told from its bytes and never from its name (docs/commands.md §10.1).

Accepted: PDF, OFD (a ZIP holding `OFD.xml`), JPEG, PNG, WebP, Office documents (OOXML and the older
OLE2 compound files of Word, Excel and PowerPoint), plain text and ZIP. Everything else is refused:
HTML, SVG and XML, scripts, executables, and whatever a maintained matcher (`filetype`) names that is
not on the list (GIF, audio, fonts, other archives…).

The sniffer is fed the bytes as they arrive and refuses as early as it can (the first 8 KiB decide
most files), so an upload of the wrong kind stops before it is stored:

- the head goes to `filetype`; a PDF, JPEG, PNG or WebP is decided there;
- a ZIP (and so an OOXML or OFD file) is told apart once the whole file is there, from its central
  directory (`zipfile` over a seekable reader of the stored chunks): `OFD.xml` → OFD,
  `[Content_Types].xml` with `word/`, `xl/` or `ppt/` → that OOXML type, any other ZIP → ZIP;
- an OLE2 compound file is accepted when `filetype` names it a Word, Excel or PowerPoint file, or
  when one of those programs' stream names (UTF-16, in the directory) turns up in its bytes: an
  installer (MSI) or any other compound file is refused;
- bytes `filetype` does not know are plain text only if every byte of the file decodes as UTF-8 (a
  BOM allowed) or GB18030, with no control characters but tab, line breaks and form feed, and the
  text does not look like markup or a script: it does not begin with `<` or `#!`, and nowhere holds
  an HTML, SVG or XML opening (`<script`, `<html`, `<svg`, `<?xml`, `<!doctype`, `<iframe`, …).
"""

from __future__ import annotations

import codecs
import re
import zipfile
from collections.abc import Callable
from typing import IO

import filetype

from kaoping.domain.errors import UnsupportedMediaType

#: how many bytes of a file's head decide its kind (filetype reads at most 8 KiB)
HEAD = 8192

PDF = "application/pdf"
OFD = "application/ofd"
ZIP = "application/zip"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PPTX = "application/vnd.openxmlformats-officedocument.presentationml.presentation"
DOC, XLS, PPT = "application/msword", "application/vnd.ms-excel", "application/vnd.ms-powerpoint"
TEXT = "text/plain; charset="

#: what filetype names and the ledger accepts as it is
DECIDED = {"application/pdf": PDF, "image/jpeg": "image/jpeg", "image/png": "image/png",
           "image/webp": "image/webp", DOC: DOC, XLS: XLS, PPT: PPT}
#: what filetype names that is a ZIP underneath: told apart at the end (OFD, OOXML, or ZIP)
ZIPPED = frozenset({ZIP, DOCX, XLSX, PPTX, "application/epub+zip",
                    "application/vnd.oasis.opendocument.text",
                    "application/vnd.oasis.opendocument.spreadsheet",
                    "application/vnd.oasis.opendocument.presentation"})
#: the OOXML type of a package by the folder of its main part
OOXML_FOLDERS = (("word/", DOCX), ("xl/", XLSX), ("ppt/", PPTX))
OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
#: the stream names (UTF-16LE, as a compound file's directory holds them) of Word, Excel, PowerPoint
OLE2_STREAMS = tuple((name.encode("utf-16-le"), kind) for name, kind in
                     (("WordDocument", DOC), ("Workbook", XLS), ("Book", XLS),
                      ("PowerPoint Document", PPT)))
_LONGEST_STREAM = max(len(name) for name, _ in OLE2_STREAMS)

#: text that is markup or a script, wherever it stands (lower-cased, whitespace kept)
MARKUP = re.compile(r"<\s*(script|html|svg|\?xml|!doctype|iframe|body|head|object|embed|math|xml|"
                    r"style|meta|link|a\s|img|form|frame)|javascript:", re.IGNORECASE)
#: control characters plain text may not hold (tab, LF, FF and CR are text)
CONTROL = re.compile("[\x00-\x08\x0b\x0e-\x1f\x7f]")
TEXT_CODECS = ("utf-8-sig", "gb18030")


class Sniffer:
    """Fed a file's bytes in order; `refused` raises as soon as they cannot be an accepted type,
    and `media_type` names the type once all are in."""

    def __init__(self, describe: str = "文件") -> None:
        self.head = bytearray()
        self.kind: str | None = None  # "decided" / "zip" / "ole2" / "text", once the head is read
        self.media_type: str | None = None
        self._decoders = {name: codecs.getincrementaldecoder(name)() for name in TEXT_CODECS}
        self._tail = b""  # the last bytes of the previous piece: names and markup split over pieces
        self._text_tail = {name: "" for name in TEXT_CODECS}
        self._ole2: str | None = None
        self.describe = describe

    def feed(self, data: bytes) -> None:
        if self.kind is None:
            room = HEAD - len(self.head)
            self.head += data[:room]
            data = data[room:]
            if len(self.head) < HEAD:
                return
            head = bytes(self.head)
            self._classify(head)
            self._scan(head)
        if data:
            self._scan(data)

    def finish(self, opener: Callable[[], IO[bytes]] | None = None) -> str:
        """The media type of the whole file; `opener` gives a seekable reader of its bytes (only a
        ZIP is read again, for its central directory)."""
        if self.kind is None:
            self._classify(bytes(self.head))
            self._scan(bytes(self.head))
        if self.kind == "text":
            for name, decoder in list(self._decoders.items()):  # a failing decoder is dropped
                try:
                    self._text_piece(name, decoder.decode(b"", final=True))
                except UnicodeDecodeError:
                    self._decoders_drop(name)
            if not self._decoders:
                raise self._refused()
            charset = "utf-8" if "utf-8-sig" in self._decoders else "gb18030"
            self.media_type = TEXT + charset
        elif self.kind == "zip":
            self.media_type = _zip_type(opener) if opener is not None else ZIP
        elif self.kind == "ole2":
            if self._ole2 is None:
                raise self._refused()
            self.media_type = self._ole2
        if self.media_type is None:
            raise self._refused()
        return self.media_type

    # -- the head --------------------------------------------------------------------------------
    def _classify(self, head: bytes) -> None:
        if not head:
            raise UnsupportedMediaType("file.empty", field="file")
        guessed = filetype.guess_mime(head)
        if guessed in DECIDED:
            self.kind, self.media_type = "decided", DECIDED[guessed]
            if head.startswith(OLE2):
                self._ole2 = DECIDED[guessed]
        elif guessed in ZIPPED:
            self.kind = "zip"
        elif guessed is None and head.startswith(OLE2):
            self.kind = "ole2"
        elif guessed is None:
            self.kind = "text"
            stripped = head.removeprefix(codecs.BOM_UTF8).lstrip()
            if stripped.startswith((b"<", b"#!")):
                raise self._refused()
        else:
            raise self._refused(guessed)

    # -- every piece -----------------------------------------------------------------------------
    def _scan(self, data: bytes) -> None:
        if self.kind == "ole2" and self._ole2 is None:
            window = self._tail + data
            found = next((kind for name, kind in OLE2_STREAMS if name in window), None)
            if found is not None:
                self._ole2 = found
            self._tail = window[-_LONGEST_STREAM:]
        elif self.kind == "text":
            for name, decoder in list(self._decoders.items()):
                try:
                    self._text_piece(name, decoder.decode(data))
                except UnicodeDecodeError:
                    self._decoders_drop(name)
            if not self._decoders:
                raise self._refused()

    def _text_piece(self, name: str, text: str) -> None:
        if CONTROL.search(text):
            self._decoders_drop(name)
            return
        window = self._text_tail[name] + text
        if MARKUP.search(window):
            raise self._refused()
        self._text_tail[name] = window[-32:]

    def _decoders_drop(self, name: str) -> None:
        self._decoders.pop(name, None)

    def _refused(self, named: str | None = None) -> UnsupportedMediaType:
        return UnsupportedMediaType("file.type_refused", field="file", named=named or "未知或不接受的内容",
                                    named_en=named or "unknown or refused content")


def _zip_type(opener: Callable[[], IO[bytes]]) -> str:
    """OFD, an OOXML type, or plain ZIP, from the archive's central directory."""
    try:
        with opener() as raw, zipfile.ZipFile(raw) as archive:
            names = set(archive.namelist())
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        raise UnsupportedMediaType("file.type_refused", field="file", named="损坏的 ZIP",
                                   named_en="a damaged ZIP") from None
    if "OFD.xml" in names or any(name.lower() == "ofd.xml" for name in names):
        return OFD
    if "[Content_Types].xml" in names:
        for folder, kind in OOXML_FOLDERS:
            if any(name.startswith(folder) for name in names):
                return kind
    return ZIP


def inline(media_type: str) -> bool:
    """PDF and images are shown in the page; everything else is a download."""
    return media_type == PDF or media_type.startswith("image/")


__all__ = ["HEAD", "Sniffer", "inline"]
