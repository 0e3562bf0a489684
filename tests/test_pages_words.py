"""Chinese on every page (issue 15): no page of the simulated 2018 year shows an English sentence to a
clerk. Every page a person reaches is read as a browser shows it — its text and the words that
appear on hover or in a field (`title`, `placeholder`, `aria-label`, `alt`, a button's `value`) —
and must hold no English word outside code-like values: the definition and tokeniser of
`tests/test_words.py` (a token with a digit, an entry id of the ledger) plus what a page shows as a
value rather than a word, `CODE_LIKE` (hashes, the ledger's key origin, the units' codes).

The pages: standings at the year's end, mid-year and in the first quarter for each stage, the unit
page (figures, explanation, replay and history, filtered and paged) of units of each group at those
dates, the dispute form, the office's desk and a dispute on it, publications, a comparison, sign-in,
and the refusal pages of a date that is no date, an unknown stage and an unknown unit."""

from __future__ import annotations

import re
from collections.abc import Iterator
from html.parser import HTMLParser
from urllib.parse import parse_qs, urlsplit

import pytest
from fastapi.testclient import TestClient

from kaoping.api.http import create_app
from kaoping.ledger.application import Ledger

from test_web_pages import demo_ledger  # noqa: F401  (the demo year's ledger, a fixture)
from test_words import english_words

#: attributes whose words a person reads: on hover, in an empty field, to a screen reader
SHOWN_ATTRIBUTES = ("title", "placeholder", "aria-label", "alt")
#: values shown as themselves, not as words: a code followed by its name (labels.coded:
#: "process（过程成绩）"), a field's path after its name (labels.field_name: "截至时间（as_of）"), the
#: form of a date a refusal asks for, the ledger's own entry ids ("kaoping:init:scheme:2018.1")
CODE_LIKE = re.compile(r"[A-Za-z_.]+(?=（)|（[A-Za-z_.0-9]+）|YYYY-MM-DD|kaoping:[\w:.-]+")
#: the product's own name beside 考评, and words the pages show as the formats they are
NAMES = frozenset({"Kaoping", "JSON", "CSV", "Excel", "xlsx", "csv", "json", "SVG", "CSRF", "Merkle", "SHA"})


class Shown(HTMLParser):
    """The text a browser shows of a page, and the attributes read on hover (no style, no script,
    and nothing a page marks as code: `<code>` holds ids, hashes and commands, shown as they are)."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("style", "script", "code"):
            self._hidden += 1
        values = dict(attrs)
        self.parts += [str(values[name]) for name in SHOWN_ATTRIBUTES if values.get(name)]
        if tag == "input" and values.get("type") in ("submit", "button") and values.get("value"):
            self.parts.append(str(values["value"]))

    def handle_endtag(self, tag: str) -> None:
        if tag in ("style", "script", "code") and self._hidden:
            self._hidden -= 1

    def handle_data(self, data: str) -> None:
        if not self._hidden and data.strip():
            self.parts.append(data.strip())


def shown(html: str) -> list[str]:
    parser = Shown()
    parser.feed(html)
    return parser.parts


def english_on(html: str, ids: set[str]) -> list[str]:
    words = []
    for part in shown(html):
        words += [w for w in english_words(CODE_LIKE.sub(" ", part), ids) if w not in NAMES]
    return words


@pytest.fixture(scope="module")
def browsers(demo_ledger: Ledger) -> Iterator[dict[str, TestClient]]:
    application = create_app(ledger=demo_ledger)
    with TestClient(application):
        signed = {}
        for who, (actor, role, unit) in {"office": ("县考核办", "office", None),
                                         "d03": ("物价局经办人", "unit", "D03")}.items():
            browser = TestClient(application, follow_redirects=True)
            token = demo_ledger.create_token(actor=actor, role=role, unit=unit)[1]
            assert browser.post("/signin", data={"token": token, "next": "/"}).status_code == 200
            signed[who] = browser
        signed["anyone"] = TestClient(application, follow_redirects=True)
        yield signed


@pytest.fixture(scope="module")
def ids(demo_ledger: Ledger) -> set[str]:
    return {entry.id for entry in demo_ledger.log.refresh()}


def _pages(demo_ledger: Ledger) -> Iterator[tuple[str, str, int]]:
    """(who, path, status) of every page the test reads."""
    for as_of in ("", "2018-07-31", "2018-03-15"):
        for stage in ("annual", "half_year", "process"):
            yield "office", f"/?stage={stage}" + (f"&as_of={as_of}" if as_of else ""), 200
        for unit in ("D03", "D17", "D45", "T01", "T06", "Z02"):
            yield "office", f"/units/{unit}" + (f"?as_of={as_of}" if as_of else ""), 200
    yield "office", "/units/D03?h_type=checkpoint.reported&h_from=2018-03-01&h_to=2018-09-30", 200
    yield "office", "/units/T01?h_page=2", 200
    yield "d03", "/", 200
    yield "d03", "/units/D03", 200
    target = next(r["id"] for r in demo_ledger.history("D03") if r["type"] == "common.scored")
    yield "d03", f"/units/D03/disputes/new?target={target}", 200
    yield "office", "/disputes", 200
    dispute = next(d["dispute"] for d in demo_ledger.appeals.disputes(status="all"))
    yield "office", f"/disputes/{dispute}", 200
    yield "office", "/publications", 200
    publication = demo_ledger.appeals.publications()[0]["id"]
    yield "office", f"/publications/{publication}", 200
    yield "office", "/compare?a=D03&b=D04", 200
    yield "anyone", "/signin", 200
    # refusals: a date that is no date, an unknown stage, an unknown unit, a bad download
    yield "office", "/?as_of=2018-13-45", 422
    yield "office", "/?stage=yearly", 422
    yield "office", "/units/D03?as_of=someday", 422
    yield "office", "/units/X99", 404
    yield "office", "/exports/standings.xlsx?stage=yearly", 422
    yield "office", "/units/D03/score.csv?as_of=2018-02-30", 422


def test_the_reader_of_pages_sees_text_and_hover_words_but_not_styles() -> None:
    html = ('<style>.a{color:red}</style><p title="hover words">正文 <b>bold</b> <code>kaoping verify</code></p>'
            '<input type="submit" value="Send"><input name="x" value="typed">')
    assert shown(html) == ["hover words", "正文", "bold", "Send"]
    assert english_on("<p>阶段（stage）：可选 process（过程成绩）、annual（年度专项考评成绩）</p>", set()) == []
    assert english_on("<p>登记人 office，payload {\"unit\":\"D03\"}</p>", set()) == ["office", "payload", "unit"]
    assert english_on("<p>读模型 is up to date</p>", set()) == ["date"]  # "is", "up", "to": under three letters


def test_no_page_of_the_demo_year_shows_an_english_word(browsers: dict[str, TestClient],
                                                        demo_ledger: Ledger, ids: set[str]) -> None:
    found: dict[str, list[str]] = {}
    for who, path, status in _pages(demo_ledger):
        response = browsers[who].get(path)
        assert response.status_code == status, (path, response.status_code)
        assert "text/html" in response.headers["content-type"], path
        # what the visitor typed may come back in a refusal ("没有“yearly”这个阶段")
        typed = {value for values in parse_qs(urlsplit(path).query).values() for value in values}
        words = english_on(response.text, ids | typed)
        if words:
            found[path] = sorted(set(words))
    assert found == {}, "\n".join(f"{path}: {words}" for path, words in found.items())


def test_a_refusal_page_says_the_ledgers_chinese_sentence_without_a_field_prefix(
        browsers: dict[str, TestClient]) -> None:
    page = browsers["office"].get("/?as_of=2018-13-45")
    assert page.status_code == 422
    text = " ".join(shown(page.text))
    assert "截至时间（as_of）：“2018-13-45”不是日期或时间" in text and "例如 2018-03-31" in text
    assert "as_of: " not in text
