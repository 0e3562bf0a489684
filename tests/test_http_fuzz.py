"""Schemathesis against the app's own OpenAPI document, with every check (`--checks all`: no 500,
every status and body documented and matching its schema, what the schema allows accepted and what
it forbids refused, the bearer token required). With an office token, on SQLite, a bounded number
of examples per operation.

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
from hypothesis import HealthCheck, given, settings
from schemathesis.config import SchemathesisConfig

from conftest import load_year
from kaoping.api.bootstrap import build_ledger
from kaoping.api.http import create_app
from kaoping.ledger.settings import Settings

WORKDIR = Path(tempfile.mkdtemp(prefix="kaoping-fuzz-"))
atexit.register(shutil.rmtree, WORKDIR, True)  # made at collection, even when no test here runs
SETTINGS = Settings(database_url=f"sqlite:///{WORKDIR / 'fuzz.db'}")
app = create_app(settings=SETTINGS)

#: operations where a request the schema allows may still be refused with 422 for what the ledger
#: holds, which no schema can say: a command breaking a rule (a unit or task that does not exist),
#: a cosignature that does not verify, a proof between sizes the tree does not have, `upto` past the
#: last entry, a unit compared with itself, an `as_of` after the ledger's clock (due lists, a unit's
#: outlook), a hook whose URL is not http(s) (docs/commands.md §10.6)
RULES_DECIDE = ["/v1/commands", "/v1/checkpoint/cosignatures", "/v1/proofs/consistency",
                "/v1/proofs/inclusion", "/v1/units/{code}/score", "/v1/compare", "/v1/due",
                "/v1/units/{code}/outlook", "/v1/hooks"]
#: an upload the schema allows may still be over the size limit (413) or of a kind the ledger does not
#: take (415), which only its bytes tell; an import reads the file's bytes too: a file that is not a
#: spreadsheet (422) or not a kind the ledger stores at all (415), which the schema's `binary` cannot say
CONTENT_DECIDES = ["/v1/files", "/v1/imports"]
REFUSED = ["2xx", "401", "403", "404", "409", "413", "422"]
CONFIG = SchemathesisConfig.from_dict({"operations": [
    *({"include-path": path, "checks": {"positive_data_acceptance": {"expected-statuses": REFUSED}}}
      for path in RULES_DECIDE),
    *({"include-path": path, "checks": {"positive_data_acceptance": {
        "expected-statuses": [*REFUSED, "415"]}}} for path in CONTENT_DECIDES)]})
schema = schemathesis.openapi.from_asgi("/openapi.json", app, config=CONFIG)
#: the office token the fixture makes, handed to schemathesis' auth so that its checks know which
#: header is the credential (they send requests without it, or with a wrong one, and expect 401)
TOKEN: dict[str, str] = {}


@schema.auth(refresh_interval=None)
class OfficeToken:
    def get(self, case, ctx):
        return TOKEN.get("office", "no-token-yet")  # asked at collection too, before the fixture

    def set(self, case, data, ctx):
        case.headers = {**(case.headers or {}), "Authorization": f"Bearer {data}"}


def fixed_clock() -> datetime:
    return datetime(2019, 1, 15, 2, 0, tzinfo=timezone.utc)


@pytest.fixture(scope="module")
def office_token():
    """A ledger holding the D03 year, an office token, and the app's lifespan running over it."""
    ledger = build_ledger(SETTINGS, clock=fixed_clock)
    try:
        ledger.init()
        ledger.ingest(load_year(), actor="office")
        _, TOKEN["office"] = ledger.create_token(actor="fuzz", role="office")
    finally:
        ledger.close()
    with TestClient(app):  # the lifespan puts the ledger and its projection in app.state
        yield


BOUNDED = settings(max_examples=12, deadline=None, derandomize=True, database=None,
                   suppress_health_check=list(HealthCheck))
COMMANDS = {"path": "/v1/commands", "method": "POST"}


@schema.exclude(**COMMANDS).parametrize()
@BOUNDED
def test_every_read_conforms_to_the_schema(case, office_token):
    case.call_and_validate()


@schema.include(**COMMANDS).parametrize()
@BOUNDED
def test_every_command_batch_conforms_to_the_schema(case, office_token):
    case.call_and_validate()


def test_the_examples_are_sent_with_the_token(office_token):
    """Every check above passes on 401s alone: the token must reach the app. Examples of the reads
    drawn as above (the same auth), sent here: some must be answered 2xx, none 401."""
    answered: list[int] = []

    @given(schema.exclude(**COMMANDS).as_strategy(auth_storage=schema.auth))
    @BOUNDED
    def send(case):
        answered.append(case.call().status_code)

    send()
    assert any(200 <= status < 300 for status in answered), answered
    assert 401 not in answered, answered
