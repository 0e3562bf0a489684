"""Issue 14, findings 1–4: amending the scheme as docs/scheme.md §10 says. A merge patch over the version
in force before it, refused when dated before the newest version; validated against the schema of
every section, naming the path of what is wrong; keyed collections, so that a patch changes one entry
and keeps the others; `scheme amend --dry-run`; `scheme show` with the moment each version is in
force from. Ledger tests run on SQLite and PostgreSQL through the `ledger` fixture."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from kaoping.api.cli import app as cli_app
from kaoping.domain.errors import InvalidCommand, RuleViolation
from kaoping.domain.names import REGISTRY_STREAM

DATA = Path(__file__).parent / "data"
runner = CliRunner()

#: a provincial task with a checkpoint due 2018-09-30 that D01 never reports (未报, §3.1)
MISSED = {"id": "t-missed", "type": "task.assigned", "unit": "D01", "task": "P1", "title": "省专项",
          "level": "provincial", "method": "veto",
          "checkpoints": [{"checkpoint": "Q3", "due": "2018-09-30"}],
          "recorded_at": "2018-01-10T10:00:00+08:00"}


def bonus(cid: str, item: str, count: int = 1) -> dict[str, Any]:
    return {"id": cid, "type": "bonus.awarded", "unit": "D01", "item": item, "count": count,
            "reason": "表扬", "recorded_at": "2018-03-01T10:00:00+08:00"}


def entries(ledger: Any) -> int:
    return ledger.verify()["entries"]


def refused(ledger: Any, patch: dict[str, Any], *, field: str, recorded_at: str | None = None,
            error: type = InvalidCommand) -> Exception:
    before = entries(ledger)
    with pytest.raises(error) as info:
        ledger.amend_scheme(patch, recorded_at=recorded_at)
    assert info.value.field == field, info.value
    with pytest.raises(error):
        ledger.preview_amendment(patch, recorded_at=recorded_at)  # the dry run refuses it alike
    assert entries(ledger) == before
    return info.value


def stored_amendment(ledger: Any, patch: dict[str, Any], recorded_at: str) -> None:
    """An amendment as a ledger written before §10 was enforced may hold it (appended without the
    rules of today): a backdated one, a list-form patch."""
    from datetime import datetime

    ledger.admin.writer.append_internal(
        REGISTRY_STREAM, ledger.registry().version,
        [(f"kaoping:scheme:{patch['version']}", "scheme.amended",
          {"amendment": patch, "version": patch["version"]})],
        actor="office", recorded_at=datetime.fromisoformat(recorded_at))


# -- 1. a backdated amendment leaked a later rule into an earlier period --------------------------

def test_1_an_amendment_dated_before_the_newest_version_is_refused(ledger):
    ledger.ingest([MISSED], actor="office")
    assert ledger.amend_scheme({"version": "2018.2", "process": {"not_reported": "3"}},
                               recorded_at="2018-11-01") == "2018.2"
    error = refused(ledger, {"version": "2018.3", "bonus": {"caps": {"B3+B4": "0.5"}}},
                    recorded_at="2018-10-01", field="recorded_at", error=RuleViolation)
    assert "2018.2" in error.message and "2018-11-01" in error.message
    # so a score as of 2018-10-15 deducts 2 for the missed checkpoint, and one in November 3
    assert ledger.score("D01", as_of="2018-10-15")["process"] == "98.00"
    assert ledger.score("D01", as_of="2018-10-15")["scheme_version"] == "2018.1"
    assert ledger.score("D01", as_of="2018-11-15")["process"] == "97.00"
    refused(ledger, {"version": "2018.3", "total": {"bonus_cap": "4"}}, recorded_at="2018-11-01",
            field="recorded_at", error=RuleViolation)  # at the same moment: it too would overrule it


def test_1_a_stored_backdated_amendment_is_read_over_the_version_in_force_before_it(ledger):
    ledger.ingest([MISSED], actor="office")
    ledger.amend_scheme({"version": "2018.2", "process": {"not_reported": "3"}}, recorded_at="2018-11-01")
    stored_amendment(ledger, {"version": "2018.3", "bonus": {"caps": {"B3+B4": "0.5"}}},
                     "2018-10-01T00:00:00+08:00")
    october = ledger.registry().scheme_at(ledger.registry().schemes[1].in_force_from)
    assert (october.version, october.data["process"]["not_reported"]) == ("2018.3", "2")
    assert ledger.score("D01", as_of="2018-10-15")["process"] == "98.00"  # not 97: the later rule
    assert [v["version"] for v in ledger.schemes()] == ["2018.1", "2018.3", "2018.2"]


# -- 2. an amendment dropped rules it did not name -------------------------------------------------

def test_2_a_patch_restating_one_cap_keeps_the_others(ledger):
    ledger.ingest([bonus("b5", "B5", 3), bonus("b8", "B8", 3)], actor="office")
    assert ledger.score("D01")["bonus"] == "0.80"  # B5 3 × 0.3 capped at 0.6, B8 3 × 0.1 at 0.2
    ledger.amend_scheme({"version": "2018.2", "bonus": {"caps": {"B3+B4": "0.4"}}},
                        recorded_at="2018-11-01")
    assert ledger.score("D01")["bonus"] == "0.80"
    caps = ledger.registry().scheme.data["bonus"]["caps"]
    assert caps == {"B3+B4": "0.4", "B5+B6": "0.6", "B8": "0.2", "B9": "0.4"}
    ledger.amend_scheme({"version": "2018.3", "bonus": {"caps": {"B8": None}}}, recorded_at="2018-12-01")
    assert ledger.score("D01")["bonus"] == "0.90"  # only the cap the patch names with null goes


def test_2_keyed_bands_items_and_deductions_change_entry_by_entry(ledger):
    ledger.amend_scheme({"version": "2018.2", "bands": {"良好": {"points": "92"}},
                         "penalty": {"items": {"P7": {"points": "0.3"}}},
                         "process": {"late": "1.5"}}, recorded_at="2018-11-01")
    data = ledger.registry().scheme.data
    assert data["bands"]["良好"] == {"rank": 2, "share": "0.30", "points": "92"}
    assert [label for label in data["bands"]] == ["优秀", "良好", "一般", "较差"]
    assert data["penalty"]["items"]["P7"] == {"name": "检查、暗访、核验发现庸懒散慢拖等慢作为、不作为",
                                              "points": "0.3"}
    assert data["process"] == {"base": "100", "not_reported": "2", "late": "1.5", "substandard": "1"}


def test_2_a_list_of_caps_in_a_new_patch_is_refused_as_it_would_replace_them_all(ledger):
    error = refused(ledger, {"version": "2018.2", "bonus": {"caps": [{"items": ["B3", "B4"], "cap": "0.4"}]}},
                    field="bonus.caps")
    assert '"B3+B4"' in error.message


def test_2_a_stored_list_form_patch_still_means_what_it_meant(ledger):
    ledger.ingest([bonus("b5", "B5", 3)], actor="office")
    stored_amendment(ledger, {"version": "2018.2", "bonus": {"caps": [{"items": ["B3", "B4"], "cap": "0.4"}]}},
                     "2018-11-01T00:00:00+08:00")
    assert ledger.registry().scheme.data["bonus"]["caps"] == {"B3+B4": "0.4"}
    assert ledger.score("D01")["bonus"] == "0.90"  # as recorded then: the other caps were replaced


# -- 3. unknown keys, wrong types, numbers out of range; no preview --------------------------------

@pytest.mark.parametrize("patch, field", [
    ({"process": {"not_reportd": "3"}}, "process.not_reportd"),
    ({"procss": {"late": "1"}}, "procss"),
    ({"bonus": {"items": {"B3": {"point": "0.3"}}}}, "bonus.items.B3.point"),
    ({"process": {"late": "abc"}}, "process.late"),
    ({"process": {"late": True}}, "process.late"),
    ({"process": {"late": "-1"}}, "process.late"),
    ({"bands": {"良好": {"points": "120"}}}, "bands.良好.points"),
    ({"ballots": {"office_complete": "no"}}, "ballots.office_complete"),
    ({"total": {"indicator": "0.8"}}, "total"),
    ({"levels": {"departments": {"county": "0.1"}}}, "levels.departments"),
    ({"bonus": {"caps": {"B3+B14": "0.4"}}}, "bonus.caps.B3+B14"),
    ({"bonus": {"items": {"B8": None}}}, "bonus.caps.B8"),
    ({"penalty": {"items": {"P8": None}}}, "penalty.falsified_evidence_item"),
    ({"in_force_from": "2018-06-01T00:00:00+08:00"}, "in_force_from"),
    ({"version": "2018.1"}, "version"),
])
def test_3_an_amendment_that_is_not_a_valid_scheme_is_refused_naming_the_path(ledger, patch, field):
    refused(ledger, {"version": "2018.3", **patch}, field=field, error=(InvalidCommand, RuleViolation))


def test_3_a_stored_amendment_that_is_no_valid_scheme_still_reads_and_show_names_why(ledger):
    ledger.ingest([MISSED], actor="office")
    stored_amendment(ledger, {"version": "2018.3", "process": {"not_reportd": "3"}},
                     "2018-11-01T00:00:00+08:00")  # accepted before amendments were checked
    assert ledger.score("D01", as_of="2018-11-15")["scheme_version"] == "2018.3"
    assert ledger.score("D01", as_of="2018-11-15")["process"] == "98.00"  # the typo changed nothing
    assert "process.not_reportd" in ledger.schemes()[-1]["problem"]
    assert ledger.schemes()[0]["problem"] is None


def test_3_the_dry_run_shows_the_diff_and_the_figures_that_move_and_appends_nothing(database_url, tmp_path):
    db = database_url
    assert runner.invoke(cli_app, ["init", "--db", db]).exit_code == 0
    assert runner.invoke(cli_app, ["ingest", str(DATA / "d03-year.jsonl"), "--db", db]).exit_code == 0
    patch = tmp_path / "late.json"
    patch.write_text(json.dumps({"version": "2018.2", "process": {"late": 1.5}}), encoding="utf-8")
    size = json.loads(runner.invoke(cli_app, ["verify", "--db", db, "--json"]).stdout)["entries"]

    dry = runner.invoke(cli_app, ["scheme", "amend", str(patch), "--dry-run", "--db", db, "--json"])
    assert dry.exit_code == 0, dry.output
    preview = json.loads(dry.stdout)
    assert json.loads(runner.invoke(cli_app, ["verify", "--db", db, "--json"]).stdout)["entries"] == size
    assert {"path": "process.late", "before": "1", "after": "1.5"} in preview["changes"]
    d03 = next(u for u in preview["units"] if u["unit"] == "D03")
    assert {"figure": "process", "before": "96.00", "after": "95.00"} in d03["figures"]  # two late reports
    assert {u["unit"] for u in preview["units"]} == {"D03"}  # no other unit has a late report
    text = runner.invoke(cli_app, ["scheme", "amend", str(patch), "--dry-run", "--db", db])
    assert "process.late" in text.output and "95.00" in text.output and "试算，未登记" in text.output

    assert runner.invoke(cli_app, ["scheme", "amend", str(patch), "--db", db]).exit_code == 0
    after = json.loads(runner.invoke(cli_app, ["score", "D03", "--db", db, "--json"]).stdout)
    assert all(after[f["figure"]] == f["after"] for f in d03["figures"])


def test_3_the_cli_names_the_path_of_an_unknown_key(tmp_path):
    db = f"sqlite:///{tmp_path / 'k.db'}"
    assert runner.invoke(cli_app, ["init", "--db", db]).exit_code == 0
    patch = tmp_path / "typo.json"
    patch.write_text('{"version": "2018.3", "process": {"not_reportd": "3"}}', encoding="utf-8")
    for extra in ([], ["--dry-run"]):
        result = runner.invoke(cli_app, ["scheme", "amend", str(patch), *extra, "--db", db])
        assert result.exit_code == 1 and "process.not_reportd" in result.output
    assert [v["version"] for v in json.loads(
        runner.invoke(cli_app, ["scheme", "show", "--db", db, "--json"]).stdout)] == ["2018.1"]


# -- 4. scheme show said 2018.1 was in force from the day init ran --------------------------------

def test_4_scheme_show_lists_each_version_from_when_it_is_in_force_and_its_entry(ledger, clock):
    ledger.amend_scheme({"version": "2018.2", "total": {"bonus_cap": "4"}}, recorded_at="2018-11-01")
    first, second = ledger.schemes()
    assert first["version"] == "2018.1" and first["in_force_from"] == "2018-01-01T00:00:00+08:00"
    assert first["entry"]["id"] == "kaoping:init:scheme:2018.1" and first["entry"]["type"] == "scheme.adopted"
    assert first["entry"]["seq"] == 1 and first["entry"]["recorded_at"].startswith("2019-01-15")
    assert second["in_force_from"] == "2018-11-01T00:00:00+08:00"
    assert second["entry"]["id"] == "kaoping:scheme:2018.2" and second["entry"]["seq"] > 1
    # a score of a day of 2018 before init ran reads 2018.1, not nothing
    assert ledger.score("D01", as_of="2018-03-01")["scheme_version"] == "2018.1"


def test_4_an_old_ledgers_list_form_scheme_reads_in_force_from_2018(tmp_path):
    import gzip

    path = tmp_path / "old.db"
    path.write_bytes(gzip.decompress((DATA / "ledger-2026-11.db.gz").read_bytes()))
    result = runner.invoke(cli_app, ["scheme", "show", "--db", f"sqlite:///{path}", "--json"])
    assert result.exit_code == 0, result.output
    (version,) = json.loads(result.stdout)
    assert version["in_force_from"] == "2018-01-01T00:00:00+08:00" and version["problem"] is None
    assert version["scheme"]["bonus"]["caps"]["B5+B6"] == "0.6"
    text = runner.invoke(cli_app, ["scheme", "show", "--db", f"sqlite:///{path}"])
    # people read the local time to the minute (issue 28, item 11); --json above keeps the ISO form
    assert "2018.1 自 2018-01-01 00:00 起生效" in " ".join(text.output.split())


def test_a_number_read_from_the_amendment_file_is_stored_as_its_decimal_string(ledger):
    ledger.amend_scheme({"version": "2018.2", "process": {"late": Decimal("1.50")}})
    stored = next(r for r in ledger.admin.streams.registry().schemes if r.scheme.version == "2018.2")
    assert stored.scheme.data["process"]["late"] == "1.50"
