"""Schemathesis against the app's own OpenAPI document: with an office token, no request generated
from the schema (valid or not) gets a 500. SQLite only, a bounded number of examples per operation.

The schema is loaded at import (schemathesis' eager pytest integration: one test per operation); its
lazy `from_fixture` loader does not run under pytest 9, which has no `Node._nodeid`. So the app is
made at import over a database in a temporary directory, and a module fixture fills that database and
runs the app's lifespan.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
from datetime import datetime, timezone
from pathlib import Path

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, assume, settings

from conftest import load_year
from kaoping.api.bootstrap import build_ledger
from kaoping.api.http import create_app
from kaoping.ledger.settings import Settings

WORKDIR = Path(tempfile.mkdtemp(prefix="kaoping-fuzz-"))
atexit.register(shutil.rmtree, WORKDIR, True)  # made at collection, even when no test here runs
SETTINGS = Settings(database_url=f"sqlite:///{WORKDIR / 'fuzz.db'}")
app = create_app(settings=SETTINGS)
schema = schemathesis.openapi.from_asgi("/openapi.json", app)


def fixed_clock() -> datetime:
    return datetime(2019, 1, 15, 2, 0, tzinfo=timezone.utc)


@pytest.fixture(scope="module")
def office_headers():
    """A ledger holding the D03 year, an office token, and the app's lifespan running over it."""
    ledger = build_ledger(SETTINGS, clock=fixed_clock)
    try:
        ledger.init()
        ledger.ingest(load_year(), actor="office")
        _, token = ledger.create_token(actor="fuzz", role="office")
    finally:
        ledger.close()
    with TestClient(app):  # the lifespan puts the ledger and its projection in app.state
        yield {"Authorization": f"Bearer {token}"}


BOUNDED = settings(max_examples=30, deadline=None, derandomize=True, database=None,
                   suppress_health_check=list(HealthCheck))
COMMANDS = {"path": "/v1/commands", "method": "POST"}


def call(case, headers):
    """The response, or the server's exception re-raised (the ASGI test transport raises it)."""
    response = case.call(headers=headers)
    assert response.status_code < 500, (
        f"{case.method} {case.formatted_path} query={case.query!r} body={case.body!r} -> "
        f"{response.status_code} {response.text[:500]}")
    return response


@schema.exclude(**COMMANDS).parametrize()
@BOUNDED
def test_no_read_gets_a_500(case, office_headers):
    call(case, office_headers)


@schema.include(**COMMANDS).parametrize()
@BOUNDED
def test_no_command_batch_gets_a_500(case, office_headers):
    call(case, office_headers)
