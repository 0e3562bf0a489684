"""Where the browser tests put their screenshots: `$KAOPING_SCREENSHOTS/<walk>` when set (the
committed set is retaken with `KAOPING_SCREENSHOTS=docs/screenshots`), else under artifacts/ (ignored
by git), so that an ordinary run of the suite leaves the working tree as it found it."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def screenshots(walk: str) -> Path:
    """The folder of one walk's screenshots, made if missing."""
    base = os.environ.get("KAOPING_SCREENSHOTS")
    folder = (Path(base) if base else ROOT / "artifacts" / "screenshots") / walk
    if not folder.is_absolute():
        folder = ROOT / folder
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def take(page: Any, folder: Path | None, name: str) -> None:
    """A full-page screenshot of `page` as `folder/name`; none where `folder` is None: the walks on
    PostgreSQL show the same pages as on SQLite, whose screenshots are the ones kept, and each
    full-page shot costs Chromium about 0.3 CPU-s."""
    if folder is not None:
        page.screenshot(path=str(folder / name), full_page=True)
