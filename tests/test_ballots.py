"""The ballots page (`/ballots`, api/web/ballots.py; docs/scheme.md §5): a leader, the leading-group
office and a unit rank by 名次 with no script; the bands each position earns are previewed; a replaced
ballot is shown as replaced and a closed round read-only; every bad ballot is refused in Chinese
beside its field and appends nothing; a form sent twice appends once."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi.testclient import TestClient

from kaoping.api.http import create_app

CHARGE = ("D01", "D02", "D03")


@pytest.fixture
def app(ledger: Any) -> Any:
    return create_app(ledger=ledger)


def signed_in(app: Any, ledger: Any, **token: Any) -> TestClient:
    _, secret = ledger.create_token(**token)
    client = TestClient(app)
    client.__enter__()
    client.post("/signin", data={"token": secret, "next": "/"})
    return client


@pytest.fixture
def leader(app: Any, ledger: Any) -> Any:
    client = signed_in(app, ledger, actor="副县长陈立新", role="leader", units=CHARGE)
    yield client
    client.__exit__(None, None, None)


@pytest.fixture
def office(app: Any, ledger: Any) -> Any:
    client = signed_in(app, ledger, actor="领导小组办公室", role="group_office")
    yield client
    client.__exit__(None, None, None)


@pytest.fixture
def town(app: Any, ledger: Any) -> Any:
    client = signed_in(app, ledger, actor="沙岭镇填报员", role="unit", unit="T01")
    yield client
    client.__exit__(None, None, None)


def hidden(page: str) -> dict[str, str]:
    return {name: re.search(rf'name="{name}" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
            for name in ("csrf", "nonce")}


def cast(client: Any, path: str, ranks: dict[str, str], action: str = "cast", data: dict[str, str] | None = None) -> Any:
    data = data or hidden(client.get(path).text)
    return client.post(path, data={**data, "action": action, **{f"rank_{k}": v for k, v in ranks.items()}},
                       follow_redirects=False)


def beside(response: Any, field: str) -> str:
    found = re.search(rf'data-field="{field}">([^<]+)<', response.text)
    assert found, response.text[-3000:]
    return found.group(1)


def ballots(ledger: Any) -> list[Any]:
    return [e for e in ledger.stream_entries("round:half_year") if e.type == "ballot.cast"]


def test_a_leader_lands_on_the_ballots_it_owes(app: Any, ledger: Any, leader: Any) -> None:
    _, secret = ledger.create_token(actor="副县长赵红梅", role="leader", units=["D05"])
    with TestClient(app) as other:
        assert other.post("/signin", data={"token": secret, "next": "/"},
                          follow_redirects=False).headers["location"] == "/ballots"
    landing = leader.get("/ballots")
    assert landing.status_code == 200 and 'data-testid="owed-half_year-departments"' in landing.text
    assert "towns_zones" not in landing.text  # its charge has no town
    page = leader.get("/ballots/half_year/departments").text
    assert 'name="rank_D01"' in page and 'name="rank_D04"' not in page  # its charge only
    assert "优秀" in page and "<script" not in page


def test_preview_shows_the_band_each_position_earns_and_records_nothing(leader: Any, ledger: Any) -> None:
    before = len(ledger.entries())
    preview = cast(leader, "/ballots/half_year/departments", {"D01": "2", "D02": "1", "D03": "3"}, "preview")
    assert preview.status_code == 200 and len(ledger.entries()) == before
    band = re.search(r'data-testid="band-D02">([^<]+)<', preview.text).group(1)  # type: ignore[union-attr]
    assert "第 1 名" in band and "100" in band
    assert "80" in re.search(r'data-testid="band-D03">([^<]+)<', preview.text).group(1)  # type: ignore[union-attr]


def test_a_ballot_is_recorded_once_however_often_sent_and_replaced_shown_replaced(leader: Any, ledger: Any) -> None:
    path = "/ballots/half_year/departments"
    data = hidden(leader.get(path).text)
    assert cast(leader, path, {"D01": "2", "D02": "1", "D03": "3"}, data=data).status_code == 303
    assert cast(leader, path, {"D01": "2", "D02": "1", "D03": "3"}, data=data).status_code == 303
    assert [b.payload["ranking"] for b in ballots(ledger)] == [["D02", "D01", "D03"]]
    assert cast(leader, path, {"D01": "1", "D02": "2", "D03": "3"}).status_code == 303  # a new form replaces
    page = leader.get(path).text
    assert page.count("已被替换") == 1 and "现行" in page and 'value="1"' in page
    assert 'data-testid="owed-half_year-departments"' not in leader.get("/ballots").text


@pytest.mark.parametrize(("ranks", "field", "words"), [
    ({"D01": "1", "D02": "1", "D03": "2"}, "rank_D02", "两个单位"),          # a repeat
    ({"D01": "1", "D02": "3", "D03": "4"}, "rank_D03", "缺名次 2"),          # a gap
    ({"D01": "一", "D02": "2", "D03": "3"}, "rank_D01", "正整数"),
    ({"D01": "1", "D02": "2", "D03": "3", "D04": "4"}, "rank_D04", "分管"),  # outside its charge
    ({"D01": "1", "D02": "2"}, "ranking", "D03"),                           # short: leaves D03 out
])
def test_a_bad_leader_ballot_is_refused_beside_its_field(leader: Any, ledger: Any, ranks: dict[str, str], field: str,
                                                        words: str) -> None:
    before = len(ledger.entries())
    refused = cast(leader, "/ballots/half_year/departments", ranks)
    assert refused.status_code in (403, 422) and words in beside(refused, field)
    assert len(ledger.entries()) == before


def test_the_office_ballot_must_rank_every_unit_of_the_group(office: Any, ledger: Any) -> None:
    path = "/ballots/half_year/towns_zones"
    page = office.get(path).text
    towns = re.findall(r'name="rank_(\w+)"', page)
    assert len(towns) == 14
    short = cast(office, path, {code: str(i + 1) for i, code in enumerate(towns[:-1])})
    assert short.status_code == 422 and towns[-1] in beside(short, "ranking") and not ballots(ledger)
    assert cast(office, path, {code: str(i + 1) for i, code in enumerate(towns)}).status_code == 303
    assert ballots(ledger)[0].payload["kind"] == "office"


def test_a_unit_ranks_the_other_group_never_its_own(town: Any, ledger: Any) -> None:
    assert 'data-testid="owed-half_year-departments"' in town.get("/ballots").text
    assert town.get("/ballots/half_year/towns_zones").status_code == 404  # its own group: no ballot
    own = cast(town, "/ballots/half_year/departments", {"D01": "1", "T01": "2"})  # itself, forged in
    assert own.status_code == 422 and "T01" in beside(own, "rank_T01") and not ballots(ledger)
    assert cast(town, "/ballots/half_year/departments", {"D05": "1", "D01": "2"}).status_code == 303
    assert ballots(ledger)[0].payload | {} == {**ballots(ledger)[0].payload, "kind": "mutual", "rater": "T01",
                                               "ranking": ["D05", "D01"]}


def test_a_closed_round_is_read_only_and_refuses_a_ballot(leader: Any, ledger: Any) -> None:
    path = "/ballots/half_year/departments"
    data = hidden(leader.get(path).text)
    ledger.ingest([{"id": "close", "type": "round.closed", "round": "half_year"}], actor="office")
    page = leader.get(path).text
    assert 'data-testid="closed"' in page and "disabled" in page and 'value="cast"' not in page
    before = len(ledger.entries())
    late = cast(leader, path, {"D01": "1", "D02": "2", "D03": "3"}, data=data)  # a form shown before it closed
    assert late.status_code == 422 and "已关闭" in beside(late, "round")
    assert len(ledger.entries()) == before


def test_other_roles_may_not_open_the_ballots(app: Any, ledger: Any) -> None:
    client = signed_in(app, ledger, actor="核查组", role="verifier")
    assert client.get("/ballots").status_code == 403
    client.__exit__(None, None, None)
