"""Rendering a page: the templates with the Chinese vocabulary, the footer every page shows (the
ledger's size, its last entry, the hash-chain check), the security headers, the problem page."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from kaoping.domain import labels

from .visitors import Visitor, services_of


templates = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
templates.env.globals.update(labels=labels)
templates.env.filters["short"] = lambda text, n=10: (text or "")[:n]
templates.env.filters["payload"] = labels.payload_words
templates.env.filters["actor"] = labels.actor_name

SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'self'; img-src 'self' data:; "
                               "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}

CSRF_REFUSED = "表单校验码（CSRF）缺失或不符，请刷新页面后重试。"


def footer(request: Request, who: Visitor | None) -> dict[str, Any]:
    ledger = services_of(request).ledger
    entries = ledger.log.refresh()
    tz = ledger.settings.zone
    info: dict[str, Any] = {"entries": len(entries), "last": None, "verify": None}
    if entries:
        last = entries[-1]
        info["last"] = last.appended_at.astimezone(tz).strftime("%Y-%m-%d %H:%M:%S")
        info["last_recorded"] = last.recorded_at.astimezone(tz).strftime("%Y-%m-%d %H:%M")
    if who is not None and who.principal.may_verify:
        info["verify"] = ledger.audit.verify_status(len(entries))
    latest = ledger.notary.latest()
    if latest is not None:
        info["checkpoint"] = {"size": latest.size, "root": latest.checkpoint.root_b64,
                              "origin": latest.origin,
                              "signed_at": _local(latest.signed_at, ledger.settings.zone),
                              "witnesses": [{**w, "at": _local_ts(w["time"], ledger.settings.zone)}
                                            for w in ledger.notary.witnesses()]}
    return info


def _local(moment: str, zone: Any) -> str:
    return datetime.fromisoformat(moment).astimezone(zone).strftime("%Y-%m-%d %H:%M:%S")


def _local_ts(timestamp: int, zone: Any) -> str:
    return datetime.fromtimestamp(timestamp, timezone.utc).astimezone(zone).strftime("%Y-%m-%d %H:%M")


def render(request: Request, name: str, who: Visitor | None, status_code: int = 200,
           **context: Any) -> HTMLResponse:
    context.update(who=who, principal=who.principal if who else None,
                   csrf=who.session.csrf if who else None, footer=footer(request, who))
    response = templates.TemplateResponse(request, name, context, status_code=status_code)
    response.headers.update(SECURITY_HEADERS)
    return response


def problem(request: Request, who: Visitor | None, status_code: int, title: str,
            message: str) -> HTMLResponse:
    return render(request, "problem.html", who, status_code, title=title, message=message)


__all__ = ["CSRF_REFUSED", "SECURITY_HEADERS", "problem", "render", "templates"]
