"""The pages a clerk reads (issue 28, item 11): walked as each role that reads them — a unit's 待办,
its page (figures, score tree, replay, disputes, history) and dispute form as the unit's own token,
the same unit page as the office and an auditor, the office's dispute desk and a dispute on it —
none shows

- an English word, outside a small allowlist (formats such as PDF and xlsx) and the 详情 toggle
  (`<details class="tech">`, where seq, ids, hashes and receipts are kept for auditors);
- a hash (64 hex digits, or the first ten of one) outside the 详情 toggle, in its text or in what
  a visitor reads on hover;
- a unit's or a common indicator's code without its name beside it ("县物价局（D03）",
  "C07 民心网民意诉求工作").

The page is read as a browser shows it (`test_pages_words.Shown`): its text and its hover words,
with `<code>` read too (an entry's id is its own, `ids`; any other code must pass as the text does).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from html.parser import HTMLParser

import pytest
from fastapi.testclient import TestClient

from kaoping.api.http import create_app
from kaoping.ledger.application import Ledger

from test_pages_words import NAMES, SHOWN_ATTRIBUTES
from test_web_pages import demo_ledger  # noqa: F401  (the demo year's ledger, a fixture)
from test_words import english_words

#: formats and names a page may show as they are, beside NAMES (test_pages_words)
ALLOWED = NAMES | {"PDF", "OFD", "Office", "Word", "PNG", "JPEG", "WebP"}
HASH = re.compile(r"(?<![0-9a-f])[0-9a-f]{64}(?![0-9a-f])|(?<![0-9A-Za-z])[0-9a-f]{10}…")
#: a unit's or common indicator's code standing alone (not in an entry id, a dispute's number D03-001
#: or a sub-indicator's code C05.1)
CODE = re.compile(r"(?<![A-Za-z0-9_#:/.-])([DTZ]\d{2}|C\d{2})(?![A-Za-z0-9_/-]|\.\d)")
#: the ledger's own entries' ids (kaoping:init:scheme:2018.1), which the word tokeniser splits at ":"
OWN_ID = re.compile(r"kaoping:[\w:.-]+")
#: the footer's signed checkpoint root (base64, shown by its first 12 characters, whole on hover): a
#: value, not words, though one without a digit reads as letters (a random key makes one now and then)
ROOT = re.compile(r"(?<![A-Za-z0-9+/])(?:[A-Za-z0-9+/]{12}…|[A-Za-z0-9+/]{43}=)")
#: how near a code its name must stand, in characters of the page's text
NEAR = 40


class Reader(HTMLParser):
    """What a visitor reads of a page outside the 详情 toggles (text and hover words, `<code>`
    included), and what it reads inside them."""

    def __init__(self) -> None:
        super().__init__()
        self.shown: list[str] = []
        self.technical: list[str] = []
        self._skip = 0  # inside <style> or <script>
        self._tech: list[int] = []  # the depth of <details> at each open 详情 toggle
        self._details = 0

    def _sink(self) -> list[str]:
        return self.technical if self._tech else self.shown

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag in ("style", "script"):
            self._skip += 1
        if tag == "details":
            self._details += 1
            if "tech" in (values.get("class") or "").split():
                self._tech.append(self._details)
        self._sink().extend(str(values[name]) for name in SHOWN_ATTRIBUTES if values.get(name))

    def handle_endtag(self, tag: str) -> None:
        if tag in ("style", "script") and self._skip:
            self._skip -= 1
        if tag == "details":
            if self._tech and self._tech[-1] == self._details:
                self._tech.pop()
            self._details -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip and data.strip():
            self._sink().append(data.strip())


def read(html: str) -> Reader:
    reader = Reader()
    reader.feed(html)
    return reader


def faults(html: str, ids: set[str], names: dict[str, str]) -> list[str]:
    """What a page shows that a clerk should not read: English words, hashes, codes without names."""
    text = OWN_ID.sub(lambda m: " " if m.group(0) in ids else m.group(0), " ".join(read(html).shown))
    text = ROOT.sub(" ", text)
    found = [f"英文：{w}" for w in english_words(text, ids) if w not in ALLOWED]
    found += [f"哈希：{h}" for h in HASH.findall(text)]
    for match in CODE.finditer(text):
        code = match.group(1)
        near = text[max(0, match.start() - NEAR):match.end() + NEAR]
        if code in names and names[code] not in near:
            found.append(f"无名称的代码：{code}（{text[max(0, match.start() - 15):match.end() + 15]}）")
    return found


def test_the_reader_finds_words_hashes_and_bare_codes_outside_the_toggle() -> None:
    names = {"D03": "县物价局", "C07": "民心网民意诉求工作"}
    digest = "a1" * 32
    page = (f'<p>县物价局（D03） · C07 民心网民意诉求工作 <code>demo-D03-x</code></p>'
            f'<details class="tech"><summary>详情</summary>第 5 条 <code>{digest}</code> 下载回执 receipt</details>')
    assert faults(page, {"demo-D03-x"}, names) == []
    assert faults('<p>异议 D03-001，第 5 条 kaoping:init:x</p>', {"kaoping:init:x"}, names) == []
    root = "LtKjODbAbcdEfGhIjKlMnOpQrStUvWxYzAbCdEfGhIj="  # a checkpoint root without a digit
    assert faults(f'<p>根哈希 <code title="{root}">{root[:12]}…</code></p>', set(), names) == []
    assert faults('<p>D03 与 D29 的比较</p>', set(), {**names, "D29": "县统计局"}) == [
        "无名称的代码：D03（D03 与 D29 的比较）", "无名称的代码：D29（D03 与 D29 的比较）"]
    assert faults(f'<p title="{digest}">哈希 <code>{digest[:10]}…</code> Receipt</p>', set(), names) == [
        "英文：Receipt", f"哈希：{digest}", f"哈希：{digest[:10]}…"]
    # a toggle that is not the technical one hides nothing
    assert faults(f'<details><summary>展开</summary>共性指标：C07</details>', set(), names) == [
        "无名称的代码：C07（展开 共性指标：C07）"]


@pytest.fixture(scope="module")
def walk(demo_ledger: Ledger) -> Iterator[dict[str, TestClient]]:  # noqa: F811
    """Browsers signed in as each role that reads the clerk pages, with one dispute of D03 open (so
    the desk and the unit page list one awaiting a ruling)."""
    target = next(r["id"] for r in demo_ledger.history("D03")
                  if r["type"] == "common.scored" and r["payload"]["indicator"] == "C07")
    demo_ledger.ingest([{"id": "clerk-walk-dispute", "type": "dispute.filed", "unit": "D03",
                         "dispute": "D03-901", "target": target, "reason": "评分未采纳佐证"}], actor="office")
    application = create_app(ledger=demo_ledger)
    with TestClient(application):
        signed = {}
        for who, (actor, role, unit) in {"office": ("县考核办", "office", None),
                                         "auditor": ("审计组", "auditor", None),
                                         "d03": ("物价局经办人", "unit", "D03"),
                                         "t06": ("吴家镇经办人", "unit", "T06")}.items():
            browser = TestClient(application, follow_redirects=True)
            token = demo_ledger.create_token(actor=actor, role=role, unit=unit)[1]
            assert browser.post("/signin", data={"token": token, "next": "/"}).status_code == 200
            signed[who] = browser
        yield signed


def _pages(demo_ledger: Ledger) -> Iterator[tuple[str, str]]:
    for who, unit in (("d03", "D03"), ("t06", "T06")):
        yield who, "/todo"
        yield who, f"/units/{unit}"
        yield who, f"/units/{unit}?as_of=2018-07-31"
        yield who, f"/units/{unit}?h_page=2"
    target = next(r["id"] for r in demo_ledger.history("D03") if r["type"] == "task.assessed")
    yield "d03", f"/units/D03/disputes/new?target={target}"
    for who in ("office", "auditor"):
        yield who, "/units/D03"
        yield who, "/units/T06?h_type=checkpoint.reported"
    yield "office", "/disputes"
    yield "office", "/disputes?status=all"
    yield "office", "/disputes/D03-901"
    for dispute in {d["dispute"] for d in demo_ledger.appeals.disputes(status="all")}:
        yield "office", f"/disputes/{dispute}"


def test_the_clerk_pages_speak_chinese_show_no_hash_and_name_every_code(
        walk: dict[str, TestClient], demo_ledger: Ledger) -> None:  # noqa: F811
    registry = demo_ledger.registry()
    names = {**{code: unit.name for code, unit in registry.units.items()},
             **{code: indicator.name for code, indicator in registry.indicators.items()}}
    ids = {entry.id for entry in demo_ledger.log.refresh()}
    found = {}
    for who, path in _pages(demo_ledger):
        page = walk[who].get(path)
        assert page.status_code == 200, (who, path, page.status_code)
        wrong = faults(page.text, ids, names)
        if wrong:
            found[f"{who} {path}"] = sorted(set(wrong))
    assert found == {}, "\n".join(f"{where}: {wrong}" for where, wrong in found.items())


def test_history_keeps_seq_id_hash_and_receipt_in_the_toggle(walk: dict[str, TestClient],
                                                              demo_ledger: Ledger) -> None:  # noqa: F811
    """What an auditor needs of each history row is still there, in the 详情 toggle."""
    page = walk["auditor"].get("/units/D03")
    newest = demo_ledger.history("D03")[-1]
    technical = " ".join(read(page.text).technical)
    assert f"第 {newest['seq']} 条" in technical and newest["hash"] in technical
    assert newest["prev_hash"] in technical and "下载回执" in technical
    assert f'href="/units/D03/receipts/{newest["seq"]}.json"' in page.text
