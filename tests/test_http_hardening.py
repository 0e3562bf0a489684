"""Hostile input over HTTP (issue 17, items 1, 2 and 11; issue 15's refusals in JSON): no input gets
a 500; ids and codes keep to their alphabet; the token is checked before the body is read, and the
body is bounded while it is read; every refusal is the one Chinese JSON shape with a code."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from kaoping.api.http import create_app
from tests.test_bodies import asgi_post as post_chunks

CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture
def client(ledger):
    with TestClient(create_app(ledger=ledger), raise_server_exceptions=False) as client:
        yield client


@pytest.fixture
def office(ledger) -> dict[str, str]:
    _, token = ledger.create_token(actor="office-clerk", role="office")
    return {"Authorization": f"Bearer {token}"}


def scored(cid: str, **extra: Any) -> dict[str, Any]:
    return {"id": cid, "type": "common.scored", "unit": "D03", "indicator": "C02", "score": 80, **extra}


def refusal(response, status: int = 422) -> dict[str, Any]:
    """The detail of a refusal, checked for the shape every refusal has."""
    assert response.status_code == status, response.text
    detail = response.json()["detail"]
    assert {"field", "message", "code", "message_en"} <= set(detail), detail
    assert CJK.search(detail["message"]), detail
    return detail


def raw_post(client, headers: dict[str, str], body: str):
    """Send the text as it is: `json=` would refuse to encode a lone surrogate before sending."""
    return client.post("/v1/commands", content=body.encode("utf-8"),
                       headers={**headers, "Content-Type": "application/json"})


# -- item 1: no 500, whatever the input; ids and codes in their alphabet ---------------------------

def test_an_id_holding_a_lone_surrogate_is_refused_not_a_500(client, ledger, office):
    before = ledger.verify()["entries"]
    response = raw_post(client, office, '[{"id": "sur-\\udfff", "type": "common.scored", "unit": "D03", '
                                        '"indicator": "C02", "score": 80}]')
    detail = refusal(response)
    assert (detail["index"], detail["field"]) == (0, "id")
    assert detail["id"] == "sur-\ufffd"  # echoed as what UTF-8 can carry
    assert ledger.verify()["entries"] == before


@pytest.mark.parametrize("body", [
    '[{"id": "x", "type": "common.scored", "unit": "D03", "indicator": "C02", "score": 80, "\\udfff": 1}]',
    '[{"id": "x", "type": "bonus.awarded", "unit": "D03", "item": "B2", "reason": "\\ud800"}]',
    '[{"id": "x", "type": "\\udfff"}]',
    '[{"id": "x", "type": "common.scored", "unit": "\\udfffD03", "indicator": "C02", "score": 80}]',
])
def test_a_lone_surrogate_anywhere_in_a_command_is_refused_not_a_500(client, office, body):
    assert refusal(raw_post(client, office, body))["index"] == 0


@pytest.mark.parametrize("bad, shown", [("a\u202eb", "U+202E"), ("a\u0085b", "U+0085"),
                                        ("<b>x</b>", "<"), ("a b", " "), ("a/b", "/"),
                                        ("x" * 65, None)])
def test_an_id_outside_the_alphabet_is_refused_naming_the_field_in_chinese(client, office, bad, shown):
    detail = refusal(client.post("/v1/commands", json=[scored(bad)], headers=office))
    assert detail["field"] == "id" and detail["message"].startswith("编号（id）：")
    if shown:
        assert detail["code"] == "code.alphabet" and shown in detail["message"]
    else:
        assert detail["code"] == "invalid.string_too_long"


@pytest.mark.parametrize("field", ["unit", "indicator"])
def test_a_code_outside_the_alphabet_is_refused(client, office, field):
    detail = refusal(client.post("/v1/commands", json=[scored("c-1", **{field: "D0\u202e3"})],
                                 headers=office))
    assert (detail["field"], detail["code"]) == (field, "code.alphabet")


def test_ids_may_be_letters_digits_cjk_and_dashes_dots_colons_underscores(client, office):
    response = client.post("/v1/commands", json=[scored("考评-2018_D03.c02:v1")], headers=office)
    assert response.status_code == 201, response.text


def test_free_text_refuses_direction_overrides(client, office):
    command = {"id": "b-1", "type": "bonus.awarded", "unit": "D03", "item": "B2",
               "reason": "表扬\u202e假"}
    detail = refusal(client.post("/v1/commands", json=[command], headers=office))
    assert (detail["field"], detail["code"]) == ("reason", "text.characters")


# -- item 5: every refusal one Chinese shape, with a code and the English words --------------------

def test_a_rejected_batch_carries_code_and_english_beside_the_chinese(client, office):
    detail = refusal(client.post("/v1/commands", json=[scored("c-1", score="many")], headers=office))
    assert set(detail) == {"index", "id", "field", "message", "code", "message_en"}
    assert (detail["code"], detail["field"]) == ("invalid.decimal_parsing", "score")
    assert detail["message_en"] == "a number is expected"


def test_an_unknown_field_is_refused_by_its_code(client, office):
    detail = refusal(client.post("/v1/commands", json=[scored("c-1", scor=1)], headers=office))
    assert (detail["code"], detail["field"]) == ("command.field_unknown", "scor")


def test_a_task_target_is_named_as_its_target_value(client, office):
    task = {"id": "t-1", "type": "task.assigned", "unit": "D03", "task": "T1", "title": "任务",
            "level": "own", "method": "completion_ratio"}
    detail = refusal(client.post("/v1/commands", json=[task], headers=office))
    assert (detail["code"], detail["field"]) == ("task.target_required", "target")
    assert detail["message"].startswith("目标值")


@pytest.mark.parametrize("headers, code", [({}, "auth.missing"),
                                           ({"Authorization": "Bearer nonsense"}, "auth.unknown")])
def test_401_is_the_same_shape_with_the_bearer_challenge(client, headers, code):
    for response in (client.get("/v1/units", headers=headers),
                     client.post("/v1/commands", json=[scored("c-1")], headers=headers)):
        detail = refusal(response, 401)
        assert detail["code"] == code and response.headers["www-authenticate"] == "Bearer"


@pytest.mark.parametrize("path, field", [("/v1/units/D03/score?upto=abc", "upto"),
                                         ("/v1/proofs/inclusion?seq=0", "seq"),
                                         ("/v1/proofs/inclusion", "seq")])
def test_a_query_parameter_fastapi_cannot_read_is_refused_in_chinese(client, office, path, field):
    detail = refusal(client.get(path, headers=office))
    assert detail["field"] == field and detail["code"].startswith("invalid.")


def test_an_unreadable_as_of_is_refused_in_chinese_with_a_code(client, office):
    detail = refusal(client.get("/v1/standings?as_of=2018-13-45", headers=office))
    assert detail["field"] == "as_of" and detail["code"] != "unclassified"


def test_a_unit_token_reading_another_unit_is_refused_by_code(client, ledger):
    _, token = ledger.create_token(actor="d03-staff", role="unit", unit="D03")
    detail = refusal(client.get("/v1/units/D04/score", headers={"Authorization": f"Bearer {token}"}), 403)
    assert detail["code"] == "unit.own_only"


@pytest.mark.parametrize("body, code", [(b"not json", "batch.not_json"), (b'{"id": "x"}', "batch.not_array")])
def test_a_body_that_is_no_batch_is_refused_by_code(client, office, body, code):
    detail = refusal(client.post("/v1/commands", content=body,
                                 headers={**office, "Content-Type": "application/json"}))
    assert (detail["index"], detail["code"], detail["field"]) == (0, code, "body")


def test_an_unknown_path_is_a_404_in_the_same_shape(client, office):
    assert refusal(client.get("/v1/nothing-here", headers=office), 404)["code"] == "request.not_found"


# -- item 2: the token before the body; the body bounded while it is read -------------------------

def asgi_post(app, headers: dict[str, str], chunks: Iterator[bytes]) -> tuple[int, dict[str, Any], int]:
    """POST /v1/commands straight to the ASGI app, the body sent chunk by chunk as the app asks
    for it: (status, JSON body, how many chunks the app read)."""
    status, body, read = post_chunks(app, "/v1/commands", {**headers, "content-type": "application/json"}, chunks)
    return status, json.loads(body), read


def megabytes(count: int) -> Iterator[bytes]:
    yield b"["
    for _ in range(count):
        yield b" " * (1024 * 1024)


def test_a_bad_token_is_refused_before_a_byte_of_the_body_is_read(ledger):
    app = create_app(ledger=ledger)
    with TestClient(app):  # the lifespan builds the services
        status, body, read = asgi_post(app, {"Authorization": "Bearer nonsense"}, megabytes(100))
    assert status == 401 and body["detail"]["code"] == "auth.unknown"
    assert read == 0


def test_a_body_over_the_limit_stops_being_read_at_the_limit(ledger):
    ledger.settings = ledger.settings.model_copy(update={"max_body_bytes": 3 * 1024 * 1024})
    _, token = ledger.create_token(actor="office-clerk", role="office")
    app = create_app(ledger=ledger)
    with TestClient(app):
        status, body, read = asgi_post(app, {"Authorization": f"Bearer {token}"}, megabytes(100))
    assert status == 413 and body["detail"]["code"] == "batch.too_large"
    assert CJK.search(body["detail"]["message"])
    assert read <= 5  # "[" and the first three megabytes, and the one that passed the limit


def test_a_declared_length_over_the_limit_is_refused_unread(client, office, ledger):
    response = client.post("/v1/commands", content=b"[" + b" " * (9 * 1024 * 1024) + b"]",
                           headers={**office, "Content-Type": "application/json"})
    detail = refusal(response, 413)
    assert (detail["code"], detail["field"]) == ("batch.too_large", "body")


def test_a_batch_of_more_commands_than_the_limit_is_refused_whole(client, ledger, office):
    ledger.settings = ledger.settings.model_copy(update={"max_batch_commands": 3})
    before = ledger.verify()["entries"]
    batch = [scored(f"c-{n}", indicator=f"C0{n + 1}") for n in range(4)]
    detail = refusal(client.post("/v1/commands", json=batch, headers=office), 413)
    assert detail["code"] == "batch.too_many" and "3" in detail["message"]
    assert ledger.verify()["entries"] == before
    assert client.post("/v1/commands", json=batch[:3], headers=office).status_code == 201


# -- item 4: the description documents every answer; it is readable without a token ---------------

def test_the_openapi_description_is_public_and_documents_every_refusal(client):
    document = client.get("/openapi.json").json()
    assert client.get("/docs").status_code == 200
    assert document["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            if path == "/healthz":
                continue
            assert {"401", "403", "404", "422"} <= set(operation["responses"]), (method, path)
            refusal_schema = operation["responses"]["422"]["content"]["application/json"]["schema"]
            assert refusal_schema["$ref"].endswith("Refusal"), (method, path)
    assert "HTTPValidationError" not in document["components"]["schemas"]


@pytest.mark.parametrize("query", ["as_of=", "as_of=2018-02-30", "stage=yearly", "group=all"])
def test_a_query_outside_its_documented_form_is_refused_in_chinese(client, office, query):
    detail = refusal(client.get(f"/v1/standings?{query}", headers=office))
    assert detail["field"] == query.split("=")[0]


def test_a_token_actor_keeps_to_the_alphabet_its_ballots_are_held_to(ledger):
    from kaoping.domain.errors import InvalidCommand

    with pytest.raises(InvalidCommand) as refused:
        ledger.create_token(actor="县长<script>", role="leader", units=["D03"])
    assert (refused.value.field, refused.value.code) == ("actor", "name.alphabet")
    ledger.create_token(actor="副县长 李·明", role="leader", units=["D03"])


def test_a_read_over_its_time_bound_is_a_503_in_the_one_refusal_shape(ledger, year):
    ledger.ingest(year, actor="office")
    _, token = ledger.create_token(actor="审计局", role="auditor")
    ledger.settings = ledger.settings.model_copy(update={"read_timeout": 1e-9})
    with TestClient(create_app(ledger=ledger)) as client:
        response = client.get("/v1/units/D03/replay", headers={"Authorization": f"Bearer {token}"})
    assert refusal(response, 503)["code"] == "read.time_limit"
