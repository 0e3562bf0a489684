"""A ledger written before the house was split into rooms (main of 2026-11: `init`, the D03 year of
`d03-year.jsonl`, an auditor token) must still open, verify and read the same: stored topics, stream
ids, table layouts and token hashes are persisted names that no refactoring may move. Its readers
may show more keys than they did then (consumers ignore keys they do not know), never other values.
It has no Merkle tree yet: `kaoping init` builds it once and signs a checkpoint of it."""

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


def _same(found: Any, expected: Any) -> bool:
    """`found` says everything `expected` says; dictionaries may carry more keys."""
    if isinstance(expected, dict):
        return isinstance(found, dict) and all(k in found and _same(found[k], v) for k, v in expected.items())
    if isinstance(expected, list):
        return isinstance(found, list) and len(found) == len(expected) and all(
            _same(f, e) for f, e in zip(found, expected, strict=True))
    return found == expected


def _json(db: str, *args: str) -> Any:
    result = CliRunner().invoke(app, [*args, "--db", db, "--json"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_an_old_ledger_verifies(old_db: str) -> None:
    report = _json(old_db, "verify")
    assert _same(report, EXPECTED["verify"])
    assert report["tree"] == {"ok": True, "size": 0, "lagging": EXPECTED["verify"]["entries"],
                              "problem": None}


def test_init_builds_the_tree_of_an_old_ledger_once_and_signs_it(old_db: str) -> None:
    result = CliRunner().invoke(app, ["init", "--db", old_db], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    report = _json(old_db, "verify")
    entries = EXPECTED["verify"]["entries"]
    assert report["ok"] and report["tree"]["size"] == entries and report["tree"]["lagging"] == 0
    assert report["checkpoints"]["count"] == 1 and report["checkpoints"]["latest"] == entries
    history = _json(old_db, "history", "D03")
    assert _same(history, EXPECTED["history"])
    assert all(row["leaf_index"] is not None and row["leaf_index"] < entries for row in history)
    assert _json(old_db, "prove", str(history[-1]["seq"]))["tree_size"] == entries


@pytest.mark.parametrize("args, key", [
    (("score", "D03", "--as-of", "2019-01-31"), "score"),
    (("history", "D03"), "history"),
    (("replay", "D03"), "replay"),
    (("standings", "--as-of", "2019-01-31", "--group", "departments"), "standings"),
])
def test_an_old_ledger_reads_as_it_did(old_db: str, args: tuple[str, ...], key: str) -> None:
    assert _same(_json(old_db, *args), EXPECTED[key])


def test_an_old_token_still_signs_in(old_db: str) -> None:
    from fastapi.testclient import TestClient

    from kaoping.api.http import create_app
    from kaoping.ledger.settings import Settings

    with TestClient(create_app(Settings(database_url=old_db))) as client:
        response = client.get("/v1/units/D03/history",
                              headers={"Authorization": f"Bearer {EXPECTED['token']}"})
    assert response.status_code == 200
    assert _same(response.json(), EXPECTED["history"])
