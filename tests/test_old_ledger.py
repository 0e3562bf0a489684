"""A ledger written before the house was split into rooms (main of 2026-11: `init`, the D03 year of
`d03-year.jsonl`, an auditor token) must still open, verify and read the same: stored topics, stream
ids, table layouts and token hashes are persisted names that no refactoring may move."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from kaoping.api.cli import app

DATA = Path(__file__).parent / "data"
EXPECTED = json.loads((DATA / "ledger-2026-11.expected.json").read_text(encoding="utf-8"))


@pytest.fixture
def old_db(tmp_path: Path) -> str:
    path = tmp_path / "old.db"
    path.write_bytes(gzip.decompress((DATA / "ledger-2026-11.db.gz").read_bytes()))
    return f"sqlite:///{path}"


def _json(db: str, *args: str) -> Any:
    result = CliRunner().invoke(app, [*args, "--db", db, "--json"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_an_old_ledger_verifies(old_db: str) -> None:
    assert _json(old_db, "verify") == EXPECTED["verify"]


@pytest.mark.parametrize("args, key", [
    (("score", "D03", "--as-of", "2019-01-31"), "score"),
    (("history", "D03"), "history"),
    (("replay", "D03"), "replay"),
    (("standings", "--as-of", "2019-01-31", "--group", "departments"), "standings"),
])
def test_an_old_ledger_reads_as_it_did(old_db: str, args: tuple[str, ...], key: str) -> None:
    assert _json(old_db, *args) == EXPECTED[key]


def test_an_old_token_still_signs_in(old_db: str) -> None:
    from fastapi.testclient import TestClient

    from kaoping.api.http import create_app
    from kaoping.ledger.settings import Settings

    with TestClient(create_app(Settings(database_url=old_db))) as client:
        response = client.get("/v1/units/D03/history",
                              headers={"Authorization": f"Bearer {EXPECTED['token']}"})
    assert response.status_code == 200
    assert response.json() == EXPECTED["history"]
