"""A ledger per PostgreSQL schema (`postgresql://…/DB?schema=NAME`): one database holds many
ledgers, a county and year each, and they stay apart: entries, read models, checkpoints, tokens."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from kaoping.api.bootstrap import bootstrap
from kaoping.ledger.settings import Settings
from conftest import scratch_database


@pytest.fixture
def database(postgres_admin: str) -> Any:
    with scratch_database(postgres_admin) as url:
        yield url


def test_two_ledgers_in_one_database_stay_apart(database: str, tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    opened = []
    for name in ("panshan_2018", "panshan_2019"):
        monkeypatch.setenv("KAOPING_SIGNING_KEY", str(tmp_path / f"{name}.key"))
        services = bootstrap(Settings(database_url=f"{database}?schema={name}"))
        services.ledger.init()
        opened.append(services)
    first, second = (s.ledger for s in opened)
    try:
        first.ingest([{"id": "c1", "type": "common.scored", "unit": "D03", "indicator": "C02",
                       "score": "80"}], actor="office")
        _, token = first.create_token(actor="审计", role="auditor")
        opened[0].projection.catch_up()
        opened[1].projection.catch_up()
        assert [r["id"] for r in first.history("D03")] == ["c1"]
        assert second.history("D03") == []
        assert first.principal_for(token) is not None and second.principal_for(token) is None
        assert first.notary.at(None).size == second.notary.at(None).size + 2
        assert first.notary.at(None).origin != second.notary.at(None).origin
        assert opened[0].projection.score("D03")["common"] == "80.00"
        assert opened[1].projection.score("D03")["common"] == "0.00"
        assert first.verify()["ok"] and second.verify()["ok"]
    finally:
        for services in opened:
            services.close()


def test_a_schema_name_is_checked() -> None:
    with pytest.raises(ValueError):
        Settings(database_url="postgresql://postgres@127.0.0.1/db?schema=Robert'); DROP")
