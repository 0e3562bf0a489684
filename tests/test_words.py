"""Chinese throughout (issue 15): what a county office clerk reads of a score is in Chinese. Over the
simulated 2018 year, every explanation node's label and formula, every score warning, every pending
input as the pages and sheets name it, and every history sentence of every unit, at the year's end
and at two dates within it, has no English word in it.

An English word is a run of three or more ASCII letters in a token that is not code-like. A token
(a run of ASCII letters, digits and `_ . - + /`) is code-like when it holds a digit (unit, task,
checkpoint, indicator and item codes: D03, P1/Q2, C16, B3+B4; ISO dates; scheme versions: 2018.1;
most entry ids) or is the id of an entry of the ledger (demo-hy-office-departments). The only
words allowed are the formulas' operators, `ALLOWED`."""

from __future__ import annotations

import re
from collections.abc import Collection, Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from kaoping.api.bootstrap import build_ledger
from kaoping.api.cli import app
from kaoping.api.web.words import describe
from kaoping.domain.labels import PENDING_HEADING, pending_name, pending_names
from kaoping.ledger.application import Ledger
from kaoping.ledger.settings import Settings
from conftest import demo_copy

from scoring_helpers import ScoringLog

#: the words a formula may use: its operators, as the plan writes them (docs/scheme.md)
ALLOWED = frozenset({"min", "max", "ceil"})
TOKEN = re.compile(r"[A-Za-z0-9_.+/-]+")
WORD = re.compile(r"[A-Za-z]{3,}")
#: the year's end, the half-year evaluation (ballots of the year-end round still missing), and a
#: day of the first quarter (most inputs missing, checkpoints not yet due)
CUTOFFS = (None, "2018-07-31", "2018-03-15")


def english_words(text: str, ids: Collection[str] = ()) -> list[str]:
    """The English words of `text` (see the module's docstring); `ids` are the ledger's entry ids."""
    return [word for token in TOKEN.findall(text)
            if not any(c.isdigit() for c in token) and token.strip(".-+/") not in ids
            for word in WORD.findall(token) if word.lower() not in ALLOWED]


def test_the_definition_finds_words_and_lets_codes_through() -> None:
    assert english_words("完成比例法 completion ratio：100 × min(实际 170 / 目标 200, 1)") == [
        "completion", "ratio"]
    assert english_words("nothing deducted (reported 2018-03-30 by due 2018-03-31) → 0") == [
        "nothing", "deducted", "reported", "due"]
    assert english_words("任务 P1/Q2，佐证 demo-D03-ev-12，B3+B4 ≤ 0.5，方案 2018.1，C16，"
                         "max(0, 100 − 2)，ceil(45×0.2)") == []
    # an id without a digit is a code only when it is an entry's id
    assert english_words("选票 demo-hy-office-departments") == ["demo", "office", "departments"]
    assert english_words("选票 demo-hy-office-departments", {"demo-hy-office-departments"}) == []
    # a pending code is code-like only where it holds a digit: the words around it are still words
    assert english_words("task.O2、year_end_comp.leader") == ["year", "end", "comp", "leader"]


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory, demo_recorded: Path) -> str:
    """A copy of the demo year, recorded once per session (tests/conftest.py)."""
    return demo_copy(demo_recorded, tmp_path_factory.mktemp("words"))


@pytest.fixture(scope="module")
def demo_ledger(demo_db: str) -> Iterator[Ledger]:
    ledger = build_ledger(Settings(database_url=demo_db))
    yield ledger
    ledger.close()


def _walk(node: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield node
    for child in node["children"]:
        yield from _walk(child)


@pytest.mark.parametrize("as_of", CUTOFFS)
def test_no_english_word_in_any_explanation_warning_or_pending_input(demo_ledger: Ledger,
                                                                       as_of: str | None) -> None:
    codes = sorted(demo_ledger.registry().units)
    ids = {entry.id for entry in demo_ledger.log.refresh()}
    documents = demo_ledger.scores(codes, as_of=as_of)
    found: dict[str, list[str]] = {}
    pending_seen, nodes = set(), 0
    for code, document in documents.items():
        texts = [text for node in _walk(document["explanation"]) for text in (node["label"], node["formula"])]
        nodes += len(texts) // 2
        texts += document["warnings"]
        for pending in document["pending"]:
            pending_seen.add(pending)
            assert pending_name(pending) != pending, f"{code}: pending {pending!r} has no name"
            texts.append(pending_name(pending))
        for text in texts:
            if english_words(text, ids):
                found.setdefault(text, []).append(code)
    assert nodes > 59 * 20  # the whole year's trees, not a few stubs
    if as_of is not None:
        assert pending_seen  # within the year some inputs are missing: their names were checked
    assert found == {}, "\n".join(f"{units[0]} (+{len(units) - 1}): {text}" for text, units in found.items())


def test_every_history_sentence_is_in_chinese(demo_ledger: Ledger) -> None:
    registry = demo_ledger.registry()
    ids = {entry.id for entry in demo_ledger.log.refresh()}
    found = []
    for code in sorted(registry.units):
        for row in demo_ledger.history(code):
            sentence = describe(row, code, registry.indicators)
            if english_words(sentence, ids):
                found.append(f"{code} {row['id']}: {sentence}")
    assert found == []


def test_common_indicators_are_named_in_the_explanation(demo_ledger: Ledger) -> None:
    registry = demo_ledger.registry()
    document = demo_ledger.score("D03")
    common = next(node for node in document["explanation"]["children"][0]["children"]
                  if node["label"].startswith("共性指标"))
    assert common["children"]
    for leaf in common["children"]:
        code = leaf["label"].split(" ")[1]
        assert leaf["label"] == f"共性指标 {code} {registry.indicators[code].name}"


def test_the_score_command_names_what_is_missing_in_words(demo_ledger: Ledger, demo_db: str) -> None:
    document = demo_ledger.score("D03", as_of="2018-03-01")
    assert document["pending"] and document["warnings"]
    result = CliRunner().invoke(app, ["score", "D03", "--as-of", "2018-03-01", "--db", demo_db],
                                env={"COLUMNS": "2000"}, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == f"D03 县物价局（县政府各部门）— 方案 {document['scheme_version']}，截至 {document['as_of']}"
    assert f"{PENDING_HEADING}：{pending_names(document['pending'])}" in lines
    assert [line for line in lines if line.startswith("提示：")] == [f"提示：{w}" for w in document["warnings"]]


def _edge_cases() -> list[tuple[ScoringLog, str]]:
    """Scores the demo year does not reach: nothing recorded at all; and one department with every
    branch of a formula that the year never takes (voids of each kind, a replaced ballot, a gated
    task-load bonus, a P8 imposed by hand beside a derived one, an item no scheme has)."""
    empty = ScoringLog()
    log = ScoringLog()
    log.task("D01", "P1", title="价格监测", method="completion_ratio", target="200", important=True,
             checkpoints=[("Q1", "2018-03-31"), ("Q2", "2018-06-30"), ("Q3", "2018-12-31")])
    log.report("D01", "P1", "Q1", "2018-03-30")
    log.add("evidence.submitted", unit="D01", evidence="E1", task="P1", checkpoint="Q1", title="台账",
            sha256="0" * 64)
    log.add("evidence.verified", unit="D01", evidence="E1", outcome="falsified", method="on_site",
            verified_on="2018-04-10", at="2018-04-10")
    log.add("penalty.imposed", unit="D01", item="P8", reason="台账弄虚作假")
    log.report("D01", "P1", "Q2", "2018-08-01", at="2018-08-01")  # reported after a mid-year cutoff
    log.assess("D01", "P1", actual="100")                          # 50 < 70: no task-load bonus
    log.task("D01", "M1", title="价格认定", level="municipal", role="co")            # no checkpoints, not assessed
    log.task("D01", "P2", title="成本调查", checkpoints=[("Q1", "2018-03-31"), ("Q4", "2018-12-15")])
    log.add("task.withdrawn", unit="D01", task="P2", reason="调整", at="2018-09-01")
    log.void(log.task("D01", "P3", title="收费清理"))
    log.void(log.add("bonus.awarded", unit="D01", item="B1"))
    log.add("bonus.awarded", unit="D01", item="B10")                # B10 comes from funding
    log.add("bonus.awarded", unit="D01", item="B99")                # no scheme has it
    log.void(log.add("funding.recorded", unit="D01", amount="100"))
    log.void(log.add("penalty.imposed", unit="D01", item="P1", reason="误记"))
    log.add("penalty.imposed", unit="D01", item="P99", reason="旧方案的项")
    log.void(log.add("common.scored", unit="D01", indicator="C02", score="90"))
    log.add("common.scored", unit="D01", indicator="C20", score="80")  # excluded: nothing counted
    log.void(log.ballot("half_year", "leader", "副县长甲", "departments", ["D01", "D02"]))
    log.ballot("half_year", "mutual", "T01", "departments", ["D01", "D02"])
    log.ballot("half_year", "mutual", "T01", "departments", ["D02", "D03"])  # no longer ranks D01
    return [(empty, "D01"), (log, "D01")]


@pytest.mark.parametrize("as_of", ("2018-07-31", None))
def test_no_english_word_where_the_year_does_not_go(as_of: str | None) -> None:
    found: list[str] = []
    nodes = 0
    for log, code in _edge_cases():
        score = log.score(code, as_of=as_of)
        ids = {entry.id for entry in log.entries}
        for node in score.explanation.walk():
            nodes += 1
            found += [text for text in (node.label, node.formula) if english_words(text, ids)]
        found += [text for text in score.warnings if english_words(text, ids)]
        found += [name for name in map(pending_name, score.pending) if english_words(name, ids)]
    assert nodes > 30
    assert found == []


def test_coded_values_read_in_chinese_in_an_entrys_content():
    from kaoping.domain.labels import payload_words

    text = payload_words({"quality": "ok", "completed": True, "kind": "mutual", "round": "half_year",
                          "outcome": "confirmed", "method": "on_site", "group": "departments"})
    assert "ok" not in text and "mutual" not in text and "half_year" not in text
    assert "合格" in text and "互评" in text and "半年综合评价" in text and "属实" in text and "实地核验" in text
    assert payload_words({"reason": "ok"}) .endswith("ok")  # free text stays as written


def test_unit_and_indicator_codes_read_with_their_names_once():
    from kaoping.domain.labels import name_codes, payload_words

    names = {"D03": "县物价局", "C07": "民心网民意诉求工作", "C01": "创城"}
    assert name_codes("单位：D03，共性指标：C07", names) == "单位：县物价局（D03），共性指标：C07 民心网民意诉求工作"
    assert name_codes("共性指标（C01、C20 除外的平均）", names) == "共性指标（C01 创城、C20 除外的平均）"
    # already named, or part of an id, a dispute's number or a sub-indicator's code: as it is
    already = "县物价局（D03） · 共性指标 C07 民心网民意诉求工作 · demo-D03-common-C07 · 异议 D03-001 · C07.1"
    assert name_codes(already, names) == already
    # a field left out of a payload (None) is not shown as "None"
    assert "None" not in payload_words({"task": "O2", "actual": None, "points": None})
