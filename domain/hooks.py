"""推送 (docs/commands.md §10.6), the pure part: what a hook registration may say, which events an
entry raises, what each format sends (the generic envelope and its HMAC signature, DingTalk's and
WeCom's markdown messages, DingTalk's 加签 `sign`), the Chinese texts of a batch of entries and of
the daily reminder digest, the backoff between attempts, and when the day's digest is due. No I/O,
no clock: every time is handed in."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import quote_plus, urlsplit, urlunsplit

from .errors import InvalidCommand
from .labels import DUE_STATUSES

FORMATS = ("generic", "dingtalk", "wecom")
EVENTS = ("entry", "dispute", "publication", "reminder")
#: the formats that speak to a chat group's robot (about 20 messages a minute): entries are
#: gathered into one message per feed, and the digest is one message for all units
CHAT_FORMATS = frozenset({"dingtalk", "wecom"})
#: entries named one by one in a chat message; the rest are counted
CHAT_LISTED = 15
#: how many units a digest names one by one in a chat message
DIGEST_LISTED = 30

FORMAT_NAMES = {"generic": "通用 JSON", "dingtalk": "钉钉机器人", "wecom": "企业微信机器人"}
EVENT_NAMES = {"entry": "每条记录", "dispute": "异议（提出与裁决）", "publication": "公示", "reminder": "每日督办提醒"}
ENTRY_NAMES = {
    "task.assigned": "下达任务", "task.withdrawn": "撤回任务", "checkpoint.reported": "报告节点",
    "evidence.submitted": "提交佐证", "evidence.verified": "核验佐证", "task.assessed": "考核任务",
    "common.scored": "共性指标评分", "ballot.cast": "投票", "round.closed": "关闭轮次",
    "bonus.awarded": "加分", "funding.recorded": "登记资金", "penalty.imposed": "减分",
    "entry.voided": "作废记录", "void.requested": "申请作废", "dispute.filed": "提出异议",
    "dispute.resolved": "裁决异议", "results.published": "公示结果",
}


def check_registration(url: str, format: str, events: Sequence[str], secret: str | None) -> tuple[str, ...]:
    """The registration's own fields held to §10.6; the events, in their canonical order. A
    refusal names the field (`url`, `format`, `events`, `secret`)."""
    parts = urlsplit(url.strip()) if isinstance(url, str) else None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname or len(url) > 2000 \
            or any(ch.isspace() or ord(ch) < 32 for ch in url):
        raise InvalidCommand("hook.url_scheme", field="url", given=_short(url))
    if format not in FORMATS:
        raise InvalidCommand("hook.format_unknown", field="format", given=_short(format), allowed=list(FORMATS))
    chosen = [e.strip() for e in events if e.strip()]
    unknown = [e for e in chosen if e not in EVENTS]
    if unknown:
        raise InvalidCommand("hook.event_unknown", field="events", given=_short(",".join(unknown)),
                             allowed=list(EVENTS))
    if not chosen:
        raise InvalidCommand("hook.events_none", field="events",
                             allowed="、".join(f"{EVENT_NAMES[e]}（{e}）" for e in EVENTS))
    if secret is not None and (not secret or len(secret) > 200 or any(ord(ch) < 32 for ch in secret)):
        raise InvalidCommand("hook.secret", field="secret")
    return tuple(e for e in EVENTS if e in chosen)


def shown_url(url: str) -> str:
    """A receiver's URL as a page lists it: scheme, host, port and path, each query parameter's value
    replaced by "…" (a DingTalk or WeCom robot's URL carries its access token, which is a secret)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    host = f"[{host}]" if ":" in host else host
    try:
        netloc = f"{host}:{parts.port}" if parts.port else host
    except ValueError:  # a port that is no number: shown without it
        netloc = host
    query = "&".join(f"{pair.split('=', 1)[0]}=…" for pair in parts.query.split("&") if pair)
    return urlunsplit((parts.scheme, netloc, parts.path, query, ""))


def _short(text: Any) -> str:
    text = str(text)
    return text if len(text) <= 80 else text[:77] + "…"


def events_of(entry_type: str) -> tuple[str, ...]:
    """The hook events one stored entry raises: every entry is an `entry`; a dispute filed or
    ruled on is also a `dispute`, a publication a `publication`."""
    if entry_type in ("dispute.filed", "dispute.resolved"):
        return ("entry", "dispute")
    if entry_type == "results.published":
        return ("entry", "publication")
    return ("entry",)


# -- the wire ------------------------------------------------------------------------------------
def envelope(delivery: str, event: str, origin: str, at: str, data: Any) -> bytes:
    """The generic format's body: `{"delivery", "event", "origin", "at", "data"}`, UTF-8 JSON."""
    return json.dumps({"delivery": delivery, "event": event, "origin": origin, "at": at, "data": data},
                      ensure_ascii=False, separators=(",", ":"), default=str).encode("utf-8")


def signature(secret: str, body: bytes) -> str:
    """`X-Kaoping-Signature`: `sha256=` and the hex HMAC-SHA256 of the body under the secret."""
    return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def dingtalk_sign(secret: str, timestamp_ms: int) -> str:
    """DingTalk's 加签: base64(HMAC-SHA256(secret, f"{timestamp}\\n{secret}")), URL-encoded."""
    digest = hmac.new(secret.encode("utf-8"), f"{timestamp_ms}\n{secret}".encode("utf-8"), hashlib.sha256).digest()
    return quote_plus(base64.b64encode(digest).decode("ascii"))


def signed_url(url: str, secret: str, timestamp_ms: int) -> str:
    """A DingTalk robot's URL with `timestamp` and `sign` appended to its query."""
    joiner = "&" if urlsplit(url).query else "?"
    return f"{url}{joiner}timestamp={timestamp_ms}&sign={dingtalk_sign(secret, timestamp_ms)}"


def chat_message(format: str, title: str, text: str) -> bytes:
    """A DingTalk (`markdown.title`, `markdown.text`) or WeCom (`markdown.content`) robot message."""
    if format == "dingtalk":
        message: dict[str, Any] = {"msgtype": "markdown", "markdown": {"title": title, "text": text}}
    else:
        message = {"msgtype": "markdown", "markdown": {"content": text}}
    return json.dumps(message, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


# -- texts -----------------------------------------------------------------------------------------
def entry_line(entry: Mapping[str, Any]) -> str:
    """One entry in a chat message: seq, when, what, whose, by whom."""
    unit = entry.get("unit") or "全局"
    what = ENTRY_NAMES.get(str(entry["type"]), str(entry["type"]))
    payload = entry.get("payload") or {}
    detail = next((str(payload[k]) for k in ("task", "indicator", "item", "dispute", "title", "stage")
                   if k in payload), "")
    return (f"- 第 {entry['seq']} 条 · {str(entry['recorded_at'])[:10]} · **{unit}** {what}"
            + (f"（{detail}）" if detail else "") + f" · 登记人 {entry['actor']}")


def entries_text(entries: Sequence[Mapping[str, Any]], link: str | None) -> tuple[str, str]:
    """A chat message naming a batch of new entries: (title, markdown text)."""
    disputes = [e for e in entries if e["type"] in ("dispute.filed", "dispute.resolved")]
    published = [e for e in entries if e["type"] == "results.published"]
    title = f"考评账本新增 {len(entries)} 条记录"
    if published:
        title = "考评结果公示：" + str((published[0].get("payload") or {}).get("title", ""))
    elif disputes:
        title = f"考评账本：{len(disputes)} 条异议动态"
    lines = [f"### {title}", ""] + [entry_line(e) for e in entries[:CHAT_LISTED]]
    if len(entries) > CHAT_LISTED:
        lines.append(f"- ……另有 {len(entries) - CHAT_LISTED} 条")
    if link:
        lines += ["", f"[在账本中查看]({link})"]
    return title, "\n".join(lines)


def digest_text(day: date, units: Sequence[Mapping[str, Any]], link: str | None = None) -> tuple[str, str]:
    """The daily reminder digest for a chat group (title, markdown): for each unit with red or
    yellow items, what falls due when and what it costs; the reddest units first."""
    title = f"督办提醒（{day.month}月{day.day}日）"
    red = sum(int(u["red"]) for u in units)
    yellow = sum(int(u["yellow"]) for u in units)
    lines = [f"### {title}", "", f"{len(units)} 个单位有待办：红灯（逾期未报）{red} 项，黄灯（即将到期）{yellow} 项。", ""]
    for unit in units[:DIGEST_LISTED]:
        lines.append(unit_paragraph(unit))
    if len(units) > DIGEST_LISTED:
        lines.append(f"……另有 {len(units) - DIGEST_LISTED} 个单位，请到督办看板查看。")
    if link:
        lines += ["", f"[打开督办看板]({link})"]
    return title, "\n".join(lines)


def unit_paragraph(unit: Mapping[str, Any]) -> str:
    """One unit in the digest: its name and counts, then one line per red or yellow item."""
    head = f"**{unit['name']}（{unit['unit']}）**：" + "，".join(
        part for part in (f"红灯 {unit['red']} 项" if unit["red"] else "",
                          f"黄灯 {unit['yellow']} 项" if unit["yellow"] else "") if part)
    lines = [head]
    for item in lit_items(unit):
        lines.append(f"- {'🔴' if item['light'] == 'red' else '🟡'} {item['title']}·{item['checkpoint']}："
                     f"{_when(item)}，{DUE_STATUSES.get(item['status'], item['status'])}"
                     + (f"，尚可挽回 {_points(item['points_at_stake'])} 分" if _positive(item["points_at_stake"]) else "")
                     + ("（重要任务）" if item.get("important") else ""))
    return "\n".join(lines) + "\n"


def lit_items(unit: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """A unit's red and yellow items, red first, then by due date."""
    return sorted((i for i in unit["items"] if i["light"] in ("red", "yellow")),
                  key=lambda i: (i["light"] != "red", i["due"]))


def _when(item: Mapping[str, Any]) -> str:
    days = int(item["days"])
    due = date.fromisoformat(str(item["due"]))
    on = f"{due.month}月{due.day}日"
    if days < 0:
        return f"{on}到期，已逾期 {-days} 天"
    if days == 0:
        return f"今天（{on}）到期"
    return f"{on}到期，还有 {days} 天"


def _points(points: Any) -> str:
    """Points as a group reads them: 2, 1.5 (not 2.00)."""
    return format(Decimal(str(points)).normalize(), "f")


def _positive(points: Any) -> bool:
    try:
        return Decimal(str(points)) > 0
    except (TypeError, ValueError, InvalidOperation):
        return False


def reminder_units(due: Mapping[str, Any], wanted: Iterable[str] | None) -> list[Mapping[str, Any]]:
    """The units of a `due` document that the digest names: those with red or yellow items (and
    among the hook's units, when it names some), reddest first as `due` orders them."""
    chosen = set(wanted) if wanted else None
    return [u for u in due["units"] if (u["red"] or u["yellow"]) and (chosen is None or u["unit"] in chosen)]


# -- time ----------------------------------------------------------------------------------------
def backoff(attempts: int, base: float, cap: float = 3600.0) -> float:
    """Seconds to wait after the `attempts`-th failed attempt: base, 2·base, 4·base… up to `cap`."""
    return min(cap, base * (2 ** max(0, attempts - 1)))


def reminder_day(local_now: datetime, hour: int) -> date | None:
    """The day whose digest is due at `local_now` (a time in the office's zone): today once the
    clock has passed `reminders.hour`, else none yet."""
    return local_now.date() if local_now.hour >= hour else None


__all__ = ["CHAT_FORMATS", "EVENTS", "FORMATS", "backoff", "chat_message", "check_registration", "digest_text",
           "dingtalk_sign", "entries_text", "envelope", "events_of", "reminder_day", "reminder_units", "shown_url",
           "signature", "signed_url"]
