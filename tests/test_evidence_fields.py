"""Evidence and provenance (docs/commands.md §10.1–10.2, docs/scheme.md §4.1): evidence for a
common indicator and its sub-indicator instead of a checkpoint, a verification's files, a command's
`source`, every evidence entry shown with its file, and the void request a unit sends the office."""

from __future__ import annotations

from typing import Any

import pytest

from kaoping.domain.principals import Principal
from kaoping.ledger.files import Uploader
from kaoping.ledger.writer import BatchRejected

D03 = Principal(actor="物价局填报员", role="unit", unit="D03")
VERIFIER = Principal(actor="核查组", role="verifier")
SUBS = {"version": "2018.2", "common": {"sub_indicators": {"C05": [
    {"code": "C05.1", "name": "投诉按时办结率", "standard": "按时办结率不低于 95%", "evidence": "投诉办理台账"},
    {"code": "C05.2", "name": "群众满意度", "weight": "2", "standard": "回访满意度不低于 90%",
     "evidence": "回访记录"}]}}}


def stored(ledger: Any, data: bytes, name: str = "scan.pdf") -> str:
    upload = ledger.upload(name)
    upload.write(data)
    return upload.commit(Uploader("clerk", "D03"))[0].sha256


def pdf(tag: str) -> bytes:
    return b"%PDF-1.4\n" + tag.encode() * 400


def refused(ledger: Any, command: dict[str, Any], principal: Principal | None = None) -> Any:
    with pytest.raises(BatchRejected) as info:
        ledger.ingest([command], actor=principal.actor if principal else "office",
                      **({"principal": principal} if principal else {}))
    return info.value.error


def evidence(cid: str, sha: str, **where: Any) -> dict[str, Any]:
    where = where or {"task": "T1", "checkpoint": "K1"}
    return {"id": cid, "type": "evidence.submitted", "unit": "D03", "evidence": cid.upper(),
            "title": "材料", "sha256": sha, **where}


def verification(cid: str, code: str, method: str, **extra: Any) -> dict[str, Any]:
    return {"id": cid, "type": "evidence.verified", "unit": "D03", "evidence": code, "outcome": "confirmed",
            "method": method, "verified_on": "2019-01-15", **extra}


@pytest.fixture
def year(ledger: Any) -> Any:
    ledger.ingest([{"id": "t1", "type": "task.assigned", "unit": "D03", "task": "T1", "title": "价格监测",
                    "level": "own", "method": "direct_deduction", "important": True,
                    "checkpoints": [{"checkpoint": "K1", "due": "2019-06-30"}]}], actor="office")
    return ledger


def test_evidence_for_a_common_indicator_follows_the_scheme_in_force(year: Any) -> None:
    sha = "ab" * 32
    assert refused(year, evidence("e1", sha, indicator="C05", sub="C05.1")).code == "evidence.sub_none"
    assert refused(year, evidence("e1", sha, indicator="C01")).code == "evidence.indicator_range"
    year.ingest([evidence("e1", sha, indicator="c05")], actor="office")  # no sub-indicators yet
    year.clock.now = year.clock.now.replace(hour=3)
    year.amend_scheme(SUBS)
    year.clock.now = year.clock.now.replace(hour=4)
    assert refused(year, evidence("e2", sha, indicator="C05")).code == "evidence.sub_required"
    unknown = refused(year, evidence("e2", sha, indicator="C05", sub="C05.9"))
    assert unknown.code == "evidence.sub_unknown" and "C05.1（投诉按时办结率）" in unknown.message
    year.ingest([evidence("e2", sha, indicator="C05", sub="c05.2")], actor="物价局填报员", principal=D03)
    before = year.score("D03")
    year.ingest([verification("v2", "E2", "on_site", outcome="falsified")], actor="核查组", principal=VERIFIER)
    assert year.score("D03")["total"] == before["total"]  # indicator evidence is verified, never scored
    assert year.unit_state("D03").evidence["E2"].sub == "C05.2"


def test_an_amendment_s_sub_indicators_pass_the_schema(year: Any) -> None:
    with pytest.raises(Exception) as bad:
        year.amend_scheme({"version": "2018.3", "common": {"sub_indicators": {"C05": [
            {"code": "C06.1", "name": "x", "standard": "x", "evidence": "x"}]}}})
    assert getattr(bad.value, "field", "") == "common.sub_indicators.C05.0.code"


def test_a_verification_s_files_are_stored_and_online_needs_the_evidence_s_file(year: Any) -> None:
    sha = stored(year, pdf("report"))
    missing = "cd" * 32
    year.ingest([evidence("e1", sha), evidence("e2", missing)], actor="office")
    assert refused(year, verification("v1", "E2", "online"), VERIFIER).code == "evidence.online_unstored"
    year.ingest([verification("v2", "E2", "on_site")], actor="核查组", principal=VERIFIER)  # the original seen
    photo = "ef" * 32
    error = refused(year, verification("v3", "E1", "on_site", files=[photo]), VERIFIER)
    assert (error.code, error.field) == ("file.not_stored", "files.0")
    photo = stored(year, pdf("photo of the site"), "现场.pdf")
    year.ingest([verification("v3", "E1", "online", files=[photo.upper()])], actor="核查组", principal=VERIFIER)
    row = next(r for r in year.history("D03") if r["id"] == "v3")
    assert row["payload"]["files"] == [photo]


def test_source_names_a_stored_file_and_shows_in_history_and_explanations(year: Any) -> None:
    sheet = stored(year, "单位,任务\nD03,T1\n".encode(), "节点结果.csv")
    report = {"id": "r1", "type": "checkpoint.reported", "unit": "D03", "task": "T1", "checkpoint": "K1",
              "reported_on": "2019-01-14", "completed": True}
    error = refused(year, {**report, "source": {"file": "0" * 64, "row": 2}})
    assert (error.code, error.field) == ("file.not_stored", "source.file")
    source = {"file": sheet, "sheet": "节点结果", "row": 2}
    year.ingest([{**report, "source": source}], actor="office")
    assert next(r for r in year.history("D03") if r["id"] == "r1")["payload"]["source"] == source
    cited = [e for e in _entries(year.score("D03", as_of="2019-12-31")["explanation"]) if e["id"] == "r1"]
    assert cited and all(e["source"] == source for e in cited)


def _entries(node: dict[str, Any]) -> list[dict[str, Any]]:
    return list(node.get("entries", ())) + [e for c in node.get("children", ()) for e in _entries(c)]


def test_every_evidence_entry_shows_its_file_as_it_is_now(year: Any) -> None:
    data = pdf("later")
    sha = __import__("hashlib").sha256(data).hexdigest()
    year.ingest([evidence("e1", sha), verification("v1", "E1", "on_site", outcome="falsified")], actor="office")
    row = next(r for r in year.history("D03") if r["id"] == "e1")
    assert row["file"] == {"stored": False, "media_type": None, "size": None, "name": None}
    cited = [e for e in _entries(year.score("D03")["explanation"]) if e["id"] == "e1"]
    assert cited and all(e["file"]["stored"] is False for e in cited)  # the derived P8 cites it
    stored(year, data, "监测报告.pdf")  # uploaded after the entry: the same entry now shows it
    row = next(r for r in year.history("D03") if r["id"] == "e1")
    assert row["file"] == {"stored": True, "media_type": "application/pdf", "size": len(data),
                           "name": "监测报告.pdf"}
    assert all(e["file"]["stored"] for e in _entries(year.score("D03")["explanation"]) if e["id"] == "e1")


def test_a_unit_asks_the_office_to_void_its_own_entry(year: Any) -> None:
    report = {"id": "r1", "type": "checkpoint.reported", "unit": "D03", "task": "T1", "checkpoint": "K1",
              "reported_on": "2019-01-14", "completed": True}
    # a unit token's ids are stored in its namespace (`D03:r1`): it and the office name its entries
    # by the ids the answers give (docs/commands.md §5, 单位令牌的编号空间)
    [r1] = [r.id for r in year.ingest([report], actor=D03.actor, principal=D03).results]
    request = {"id": "q1", "type": "void.requested", "unit": "D03", "target": r1, "reason": "报告日期填错了"}
    [q1] = [r.id for r in year.ingest([request], actor=D03.actor, principal=D03).results]
    again = refused(year, {**request, "id": "q2"}, D03)
    assert again.code == "void_request.open" and again.field == "target"
    year.ingest([{"id": "no", "type": "entry.voided", "target": q1, "reason": "原报告无误"}], actor="office")
    year.ingest([{**request, "id": "q3"}], actor=D03.actor, principal=D03)  # declined: it may ask again
    year.ingest([{"id": "yes", "type": "entry.voided", "target": r1, "reason": "依 q3 作废"}], actor="office")
    assert refused(year, {**request, "id": "q4"}, D03).code == "entry.already_voided"
    year.ingest([{"id": "t-office", "type": "task.withdrawn", "unit": "D03", "task": "T1", "reason": "调整"}],
                actor="office")
    others = refused(year, {**request, "id": "q5", "target": "t-office"}, D03)
    assert (others.code, others.field) == ("void_request.not_own", "target")  # it disputes those instead
    assert refused(year, {**request, "id": "q6", "target": "t1", "unit": "D04"}, D03).code == "role.unit_own"
