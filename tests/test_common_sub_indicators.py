"""Core sub-indicators (docs/commands.md §10.4, docs/scheme.md §4.1): `common.scored` with `parts`
where the scheme in force has sub-indicators — the weighted mean recorded as the indicator's score,
each part explained with its standard — and refused where it has none, or a part is missing, extra,
repeated or out of range."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from kaoping.domain.principals import Principal
from kaoping.ledger.writer import BatchRejected

SUBS = {"version": "2018.2", "common": {"sub_indicators": {"C05": [
    {"code": "C05.1", "name": "投诉按时办结率", "standard": "按时办结率不低于 95%", "evidence": "投诉办理台账"},
    {"code": "C05.2", "name": "群众满意度", "weight": "2", "standard": "回访满意度不低于 90%",
     "evidence": "回访记录"}]}}}
BODY = Principal(actor="县信访局", role="assessor", indicators=("C05",))


def scored(cid: str, indicator: str = "C05", **fields: Any) -> dict[str, Any]:
    return {"id": cid, "type": "common.scored", "unit": "D03", "indicator": indicator, **fields}


def parts(*scores: tuple[str, str]) -> list[dict[str, str]]:
    return [{"sub": sub, "score": score} for sub, score in scores]


def refused(ledger: Any, command: dict[str, Any]) -> Any:
    before = ledger.status()["entries"]
    with pytest.raises(BatchRejected) as info:
        ledger.ingest([command], actor="office")
    assert ledger.status()["entries"] == before  # nothing appended
    return info.value.error


def node(tree: dict[str, Any], label: str) -> dict[str, Any] | None:
    if label in tree["label"]:
        return tree
    return next((found for child in tree["children"] if (found := node(child, label))), None)


@pytest.fixture
def amended(ledger: Any) -> Any:
    ledger.amend_scheme(SUBS)
    ledger.clock.now = ledger.clock.now.replace(hour=ledger.clock.now.hour + 1)
    return ledger


def test_parts_on_an_indicator_without_sub_indicators_are_refused(ledger: Any) -> None:
    error = refused(ledger, scored("s1", parts=parts(("C05.1", "90"))))
    assert error.code == "common.parts_none" and error.field == "parts" and "C05" in error.message


def test_the_score_is_the_weighted_mean_of_the_parts(amended: Any) -> None:
    amended.ingest([scored("s1", parts=parts(("C05.1", "90"), ("c05.2", "80")))], actor="县信访局",
                   principal=BODY)
    entry = [e for e in amended.history("D03") if e["id"] == "s1"][0]
    assert entry["payload"]["score"] == "83.33"  # (1×90 + 2×80) / 3, to 2 places
    document = amended.score("D03")
    part = node(document["explanation"], "核心指标 C05.2")
    assert part is not None and "回访满意度不低于 90%" in part["formula"] and part["entries"]
    assert "(1×90.00 + 2×80.00) / 3 = 83.33" in node(document["explanation"], "C05")["formula"]
    assert document["common"] == "83.33"
    # a retry is a duplicate, not a conflict, though the ledger added the score
    amended.ingest([scored("s1", parts=parts(("C05.1", "90"), ("c05.2", "80")))], actor="县信访局",
                   principal=BODY)
    assert amended.verify()["ok"]


def test_a_score_sent_beside_the_parts_must_equal_their_mean(amended: Any) -> None:
    error = refused(amended, scored("s1", score="85", parts=parts(("C05.1", "90"), ("C05.2", "80"))))
    assert error.code == "common.score_mismatch" and error.field == "score" and "83.33" in error.message
    amended.ingest([scored("s1", score="83.333", parts=parts(("C05.1", "90"), ("C05.2", "80")))], actor="office")


@pytest.mark.parametrize(("given", "code", "field"), [
    (None, "common.parts_required", "parts"),
    (parts(("C05.1", "90")), "common.part_missing", "parts"),
    (parts(("C05.1", "90"), ("C05.2", "80"), ("C05.3", "70")), "common.part_unknown", "parts.2.sub"),
    (parts(("C05.1", "90"), ("C05.1", "80")), "common.part_repeated", "parts.1.sub"),
])
def test_a_missing_extra_or_repeated_part_is_refused(amended: Any, given: Any, code: str, field: str) -> None:
    command = scored("s1", parts=given) if given else scored("s1", score="90")
    error = refused(amended, command)
    assert (error.code, error.field) == (code, field)
    assert error.message and "C05" in error.message


def test_a_part_outside_0_to_100_is_refused(amended: Any) -> None:
    error = refused(amended, scored("s1", parts=parts(("C05.1", "101"), ("C05.2", "80"))))
    assert error.field == "parts.0.score"


def test_a_score_without_score_or_parts_is_refused(ledger: Any) -> None:
    assert refused(ledger, scored("s1")).code == "common.score_missing"


def test_the_scheme_in_force_at_recorded_at_decides(amended: Any) -> None:
    before = amended.clock.now.replace(hour=0, minute=0)
    amended.ingest([scored("old", score="70", recorded_at=before.isoformat())], actor="office")
    assert amended.score("D03")["common"] == "70.00"


def test_the_demo_year_s_parts_average_to_the_scores_it_drew() -> None:
    from kaoping.demo import demo_year
    from kaoping.demo.cores import AMENDMENT

    plain, cored = demo_year(), demo_year(sub_indicators=True)
    assert len(plain) == len(cored)
    subs = AMENDMENT["common"]["sub_indicators"]
    by_parts = [(p, c) for p, c in zip(plain, cored) if c.get("parts")]
    assert {c["indicator"] for _, c in by_parts} == set(subs) and len(by_parts) >= 3 * 59
    for p, c in by_parts:
        assert "score" not in c and p["id"] == c["id"]
        assert sum(Decimal(part["score"]) for part in c["parts"]) / 3 == Decimal(p["score"])
        assert all(0 <= Decimal(part["score"]) <= 100 for part in c["parts"])
    assert [p for p, c in zip(plain, cored) if not c.get("parts")] == [c for c in cored if not c.get("parts")]


def test_kaoping_demo_records_the_amendment_first_and_keeps_every_figure(tmp_path: Any) -> None:
    from typer.testing import CliRunner

    from kaoping.api.bootstrap import build_ledger
    from kaoping.api.cli import app
    from kaoping.demo import demo_year, in_batches
    from kaoping.ledger.settings import Settings

    cored, plain = f"sqlite:///{tmp_path}/cored.db", f"sqlite:///{tmp_path}/plain.db"
    assert CliRunner().invoke(app, ["demo", "--db", cored]).exit_code == 0
    again = CliRunner().invoke(app, ["demo", "--db", cored])
    assert again.exit_code == 0 and "新登记 0 条" in again.output
    a = build_ledger(Settings(database_url=cored))
    b = build_ledger(Settings(database_url=plain, signing_key=str(tmp_path / "plain.signing-key")))
    try:
        b.init()
        for batch in in_batches(demo_year()):
            b.ingest(batch, actor="office")
        assert a.schemes()[-1]["version"] == "2018.2"
        assert a.standings_from_log(stage="annual") == b.standings_from_log(stage="annual")
        assert a.score("D03")["common"] == b.score("D03")["common"]
        assert a.verify()["ok"]
    finally:
        a.close()
        b.close()
