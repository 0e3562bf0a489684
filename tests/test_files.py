"""Evidence files (docs/commands.md §10.1): the file store on both databases, what the sniffer
accepts and refuses, `POST /v1/files` and `GET /v1/files/{sha256}` with their limits, headers and
readers, `verify`'s files section, `export --files` / `verify --file --files`, and an upload that
dies half way."""

from __future__ import annotations

import hashlib
import io
import json
import os
import subprocess
import sys
import zipfile
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from kaoping.api.cli import app as cli_app
from kaoping.api.http import create_app
from kaoping.domain.entry_types import VIEWS, files_cited
from kaoping.domain.errors import TooLarge, UnsupportedMediaType
from kaoping.ledger.files import CHUNK, CHUNKS_TABLE, FILES_TABLE, Uploader
from kaoping.ledger.settings import Settings
from kaoping.ledger.sniffing import Sniffer

from conftest import raw_execute

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(range(256)) * 4


def pdf(size: int = 2000) -> bytes:
    return b"%PDF-1.4\n" + bytes((i * 7) % 256 for i in range(size))


def zipped(*names: str) -> bytes:
    """A zip of `names`, the same bytes at every call: each member dated, not stamped with the clock
    (a parameter built at collection that differs by a second between pytest-xdist's workers makes
    them collect different tests, and the whole run fails)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name in names:
            archive.writestr(zipfile.ZipInfo(name, date_time=(2018, 7, 23, 0, 0, 0)), "<x/>")
    return buffer.getvalue()


def sniff(data: bytes, piece: int = 5000) -> str:
    sniffer = Sniffer()
    for start in range(0, len(data), piece):
        sniffer.feed(data[start:start + piece])
    return sniffer.finish(lambda: io.BytesIO(data))


@pytest.mark.parametrize(("data", "kind"), [
    (pdf(), "application/pdf"), (PNG, "image/png"), (JPEG, "image/jpeg"),
    (b"RIFF\x00\x00\x00\x00WEBPVP8 " + bytes(64), "image/webp"),
    (zipped("OFD.xml", "Doc_0/Document.xml"), "application/ofd"),
    (zipped("[Content_Types].xml", "_rels/.rels", "word/document.xml"),
     "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    (zipped("[Content_Types].xml", "xl/workbook.xml"),
     "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    (zipped("photos/1.jpg", "说明.txt"), "application/zip"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600) + "Workbook".encode("utf-16-le") + bytes(9000),
     "application/vnd.ms-excel"),
    ("二〇一八年第三季度价格监测报告\n共 12 项，已全部完成。\n".encode() * 500, "text/plain; charset=utf-8"),
    ("价格监测报告，已完成".encode("gb18030"), "text/plain; charset=gb18030"),
])
def test_sniffer_accepts_by_the_bytes(data: bytes, kind: str) -> None:
    assert sniff(data) == kind


@pytest.mark.parametrize("data", [
    b"<!DOCTYPE html><html><body>hi</body></html>",
    b"  <svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>",
    b"#!/bin/sh\nrm -rf /\n",
    "报告正文\n".encode() * 3000 + b"<script>alert(1)</script>",  # markup far past the head
    b"MZ\x90\x00\x03" + bytes(400),  # a Windows executable named anything
    b"\x7fELF\x02\x01\x01" + bytes(400),
    b"GIF89a" + bytes(100),  # a kind filetype knows, not on the list
    b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(20000),  # a compound file of no Office program (an MSI)
    b"text\x00with a NUL" * 10,
    b"",
])
def test_sniffer_refuses_markup_scripts_executables_and_the_unknown(data: bytes) -> None:
    with pytest.raises(UnsupportedMediaType):
        sniff(data)


def test_sniffer_refuses_text_cut_inside_a_character_in_every_encoding() -> None:
    # found by the HTTP fuzz test: both decoders failing at the end once raised a RuntimeError (500)
    with pytest.raises(UnsupportedMediaType):
        sniff("报送".encode("utf-8")[:-1])
    with pytest.raises(UnsupportedMediaType):
        sniff(b"\x81")


def test_sniffer_refuses_an_executable_at_its_head_before_the_rest_arrives() -> None:
    sniffer = Sniffer()
    with pytest.raises(UnsupportedMediaType):
        sniffer.feed(b"MZ" + bytes(10_000))  # refused at the first 8 KiB: no more is read


# -- the store, on both databases ------------------------------------------------------------------

def store(ledger: Any, data: bytes, name: str = "a.pdf", unit: str = "") -> tuple[Any, bool]:
    upload = ledger.upload(name)
    for start in range(0, len(data), 100_000):
        upload.write(data[start:start + 100_000])
    return upload.commit(Uploader("clerk", unit))


def test_files_are_stored_in_pieces_and_read_back_whole(ledger: Any) -> None:
    data = pdf(2 * CHUNK + 12345)
    stored, duplicate = store(ledger, data)
    assert not duplicate and stored.sha256 == hashlib.sha256(data).hexdigest()
    assert (stored.size, stored.media_type, stored.name) == (len(data), "application/pdf", "a.pdf")
    assert b"".join(ledger.file_bytes(stored.sha256)) == data
    again, duplicate = store(ledger, data, name="another name.pdf")
    assert duplicate and again == stored  # the first name stays; the bytes are stored once
    assert [f.sha256 for f in ledger.files.iterate()] == [stored.sha256]
    pieces = raw_execute(ledger.settings.database_url, f"SELECT COUNT(*) FROM {CHUNKS_TABLE}")
    assert pieces[0][0] == 3


def test_a_refused_upload_leaves_nothing_stored(make_ledger: Any, database_url: str) -> None:
    ledger = make_ledger()
    ledger.init()
    small = type(ledger)(Settings(database_url=database_url, max_file_bytes=CHUNK + 10), ledger.clock,
                         _rooms(ledger))
    with pytest.raises(TooLarge):
        store(small, pdf(CHUNK + 11))
    with pytest.raises(UnsupportedMediaType):
        store(ledger, b"<html>" + bytes(CHUNK * 2))
    for table in (FILES_TABLE, CHUNKS_TABLE):
        assert raw_execute(database_url, f"SELECT COUNT(*) FROM {table}")[0][0] == 0


def _rooms(ledger: Any) -> Any:
    from kaoping.ledger.application import Rooms
    return Rooms(**{name: getattr(ledger, name) for name in Rooms.__dataclass_fields__})


KILLED_UPLOAD = """
import os, sys
from kaoping.api.bootstrap import build_ledger
from kaoping.ledger.settings import Settings
ledger = build_ledger(Settings(database_url=sys.argv[1]))
upload = ledger.upload("half.pdf")
upload.write(b"%PDF-1.4\\n" + bytes(3 * 1024 * 1024))  # three pieces written, never committed
os._exit(9)  # killed mid-upload: no commit, no cleanup
"""


def test_a_server_killed_mid_upload_leaves_no_file_and_its_pieces_are_swept(ledger: Any, clock: Any) -> None:
    url = ledger.settings.database_url
    done = subprocess.run([sys.executable, "-c", KILLED_UPLOAD, url], capture_output=True, timeout=120,
                          env={**os.environ})
    assert done.returncode == 9, done.stderr
    assert raw_execute(url, f"SELECT COUNT(*) FROM {FILES_TABLE}")[0][0] == 0
    assert raw_execute(url, f"SELECT COUNT(*) FROM {CHUNKS_TABLE}")[0][0] == 3  # orphans nobody reads
    clock.now = datetime.now(timezone.utc) + timedelta(minutes=10)  # the child read the real clock
    ledger.sweep_uploads()  # a start soon after: another server's upload may still be going on
    assert raw_execute(url, f"SELECT COUNT(*) FROM {CHUNKS_TABLE}")[0][0] == 3
    clock.now += timedelta(hours=2)
    ledger.sweep_uploads()
    assert raw_execute(url, f"SELECT COUNT(*) FROM {CHUNKS_TABLE}")[0][0] == 0


# -- over HTTP ------------------------------------------------------------------------------------

@pytest.fixture
def client(ledger: Any) -> Any:
    with TestClient(create_app(ledger=ledger), raise_server_exceptions=False) as client:
        yield client


def bearer(ledger: Any, role: str, **scope: Any) -> dict[str, str]:
    _, token = ledger.create_token(actor=f"{role}-{scope.get('unit', '')}", role=role, **scope)
    return {"Authorization": f"Bearer {token}"}


def post(client: Any, headers: dict[str, str], data: bytes, name: str = "报告.pdf") -> Any:
    return client.post("/v1/files", files={"file": (name, data, "application/octet-stream")}, headers=headers)


def stored_count(ledger: Any) -> int:
    return len(list(ledger.files.iterate()))


def test_http_upload_and_read_with_the_contract_s_headers(client: Any, ledger: Any) -> None:
    unit = bearer(ledger, "unit", unit="D03")
    data = pdf(CHUNK + 5)
    first = post(client, unit, data)
    assert first.status_code == 201
    assert first.json() == {"sha256": hashlib.sha256(data).hexdigest(), "size": len(data),
                            "media_type": "application/pdf", "name": "报告.pdf", "duplicate": False}
    again = post(client, bearer(ledger, "verifier"), data, name="other.pdf")
    assert again.status_code == 200 and again.json()["duplicate"] is True
    sha = first.json()["sha256"]
    got = client.get(f"/v1/files/{sha}", headers=unit)  # its own upload
    assert got.status_code == 200 and got.content == data
    assert got.headers["content-type"] == "application/pdf"
    assert got.headers["etag"] == f'"{sha}"'
    assert got.headers["x-content-type-options"] == "nosniff"
    assert got.headers["content-security-policy"] == "sandbox"
    assert got.headers["content-disposition"].startswith("inline;")
    text = post(client, unit, "说明文字\n".encode())
    shown = client.get(f"/v1/files/{text.json()['sha256']}", headers=bearer(ledger, "auditor"))
    assert shown.headers["content-disposition"].startswith("attachment;") and "filename*=UTF-8''" in \
        shown.headers["content-disposition"]


def test_http_refusals_store_nothing(client: Any, ledger: Any) -> None:
    unit = bearer(ledger, "unit", unit="D03")
    assert post(client, {}, pdf()).status_code == 401
    assert post(client, {"Authorization": "Bearer not-a-token"}, pdf()).status_code == 401
    refused = post(client, bearer(ledger, "auditor"), pdf())
    assert refused.status_code == 403 and refused.json()["detail"]["code"] == "file.upload_role"
    html = post(client, unit, b"<!doctype html><script>x</script>", name="report.pdf")
    assert html.status_code == 415 and html.json()["detail"]["field"] == "file"
    assert "按文件内容判断" in html.json()["detail"]["message"]
    exe = post(client, unit, b"MZ\x90\x00" + bytes(20_000), name="scan.pdf")
    assert exe.status_code == 415
    no_part = client.post("/v1/files", files={"other": ("a.pdf", pdf(), "application/pdf")}, headers=unit)
    assert no_part.status_code == 422 and no_part.json()["detail"]["code"] == "file.part_missing"
    assert stored_count(ledger) == 0


def test_http_an_upload_over_the_limit_is_413_and_stores_nothing(make_ledger: Any, database_url: str) -> None:
    ledger = make_ledger()
    ledger.init()
    limited = type(ledger)(Settings(database_url=database_url, max_file_bytes=CHUNK), ledger.clock,
                           _rooms(ledger))
    with TestClient(create_app(ledger=limited), raise_server_exceptions=False) as client:
        over = post(client, bearer(ledger, "office"), pdf(CHUNK + 1))
    assert over.status_code == 413 and over.json()["detail"]["code"] == "file.too_large"
    assert raw_execute(database_url, f"SELECT COUNT(*) FROM {CHUNKS_TABLE}")[0][0] == 0


def test_http_a_file_is_read_by_those_who_may_and_404_to_the_rest(client: Any, ledger: Any) -> None:
    d03, d04 = bearer(ledger, "unit", unit="D03"), bearer(ledger, "unit", unit="D04")
    sha = post(client, d03, pdf()).json()["sha256"]
    nobody = "0" * 64
    for headers in (d04, bearer(ledger, "assessor", indicators=["C02"]), bearer(ledger, "leader", units=["D03"])):
        refused = client.get(f"/v1/files/{sha}", headers=headers)
        assert refused.status_code == 404  # not cited yet: only its uploader and the file readers
        assert refused.json()["detail"]["message"] == client.get(f"/v1/files/{nobody}", headers=headers) \
            .json()["detail"]["message"].replace(nobody, sha)
    for role in ("office", "verifier", "auditor"):
        assert client.get(f"/v1/files/{sha}", headers=bearer(ledger, role)).status_code == 200
    cite(ledger, sha)  # an evidence entry of D03 cites it: whoever may read D03's entries reads it
    assert client.get(f"/v1/files/{sha}", headers=bearer(ledger, "leader", units=["D05"])).status_code == 200
    assert client.get(f"/v1/files/{sha}", headers=d04).status_code == 404


def cite(ledger: Any, sha: str, unit: str = "D03") -> None:
    ledger.ingest([
        {"id": f"t-{unit}", "type": "task.assigned", "unit": unit, "task": "T1", "title": "价格监测",
         "level": "own", "method": "direct_deduction", "checkpoints": [{"checkpoint": "K1", "due": "2019-06-30"}]},
        {"id": f"e-{unit}-{sha[:8]}", "type": "evidence.submitted", "unit": unit, "evidence": f"E-{sha[:8]}",
         "task": "T1", "checkpoint": "K1", "title": "监测报告", "sha256": sha},
    ], actor="office")


# -- verify, export --files, verify --file --files -------------------------------------------------

def test_verify_names_missing_and_changed_files(ledger: Any, database_url: str) -> None:
    stored, _ = store(ledger, pdf(3000))
    cite(ledger, stored.sha256)
    never = hashlib.sha256(b"never uploaded").hexdigest()
    ledger.ingest([{"id": "e2", "type": "evidence.submitted", "unit": "D03", "evidence": "E2", "task": "T1",
                    "checkpoint": "K1", "title": "没有上传的", "sha256": never}], actor="office")
    report = ledger.verify()
    assert report["ok"] and report["files"] == {"cited": 2, "stored": 1, "missing": [never], "mismatched": []}
    raw_execute(database_url, f"UPDATE {CHUNKS_TABLE} SET data = %s", (pdf(2999) + b"!",))
    report = ledger.verify()
    assert not report["ok"] and report["files"]["mismatched"] == [stored.sha256]


def test_verify_collects_the_cited_files_in_its_one_pass_as_reading_the_log_again_does(ledger: Any) -> None:
    """`Ledger.verify` takes the files entries cite from the chain's pass over the entries, not from a
    second read and decode of them: the pass finds what every entry of the log cites."""
    for size in (3000, 3100):
        stored, _ = store(ledger, pdf(size))
        cite(ledger, stored.sha256, unit="D04" if size == 3100 else "D03")
    collected: set[str] = set()
    ledger.audit.verify(cited=collected)
    every = {sha for entry in ledger.log.refresh() if entry.type in VIEWS
             for sha in files_cited(entry.type, entry.payload)}
    assert len(collected) == 2 and collected == every


def test_cli_file_add_get_export_and_offline_verify(ledger: Any, tmp_path: Path) -> None:
    runner, db = CliRunner(), ledger.settings.database_url
    source = tmp_path / "报告.pdf"
    source.write_bytes(pdf(CHUNK + 77))
    added = runner.invoke(cli_app, ["file", "add", str(source), "--db", db, "--json"])
    assert added.exit_code == 0, added.output
    answer = json.loads(added.stdout)
    assert answer["media_type"] == "application/pdf" and answer["duplicate"] is False
    refused = tmp_path / "page.pdf"
    refused.write_bytes(b"<html></html>")
    assert runner.invoke(cli_app, ["file", "add", str(refused), "--db", db]).exit_code == 1
    out = tmp_path / "back.pdf"
    got = runner.invoke(cli_app, ["file", "get", answer["sha256"], "--out", str(out), "--db", db])
    assert got.exit_code == 0 and out.read_bytes() == source.read_bytes()
    cite(ledger, answer["sha256"])
    folder, lines = tmp_path / "files", tmp_path / "ledger.jsonl"
    exported = runner.invoke(cli_app, ["export", "--out", str(lines), "--files", str(folder), "--db", db])
    assert exported.exit_code == 0, exported.output
    assert (folder / answer["sha256"]).read_bytes() == source.read_bytes()
    checked = runner.invoke(cli_app, ["verify", "--file", str(lines), "--files", str(folder), "--json"])
    assert checked.exit_code == 0, checked.output
    assert json.loads(checked.stdout)["files"] == {"cited": 1, "stored": 1, "missing": [], "mismatched": []}
    (folder / answer["sha256"]).write_bytes(b"changed")
    checked = runner.invoke(cli_app, ["verify", "--file", str(lines), "--files", str(folder), "--json"])
    assert checked.exit_code == 1 and json.loads(checked.stdout)["files"]["mismatched"] == [answer["sha256"]]
