"""Rendering a page: the templates with the Chinese vocabulary, the footer every page shows (the
ledger's size, its last entry, the hash-chain check, and a ledger the signer refuses as forked),
the security headers, the problem page."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from jinja2 import pass_context
from jinja2.runtime import Context

from kaoping.domain import labels, policy
from kaoping.domain.moments import local_time

from .visitors import PageRefused, Visitor, services_of


templates = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
templates.env.globals.update(labels=labels)
templates.env.filters["short"] = lambda text, n=10: (text or "")[:n]
templates.env.filters["actor"] = labels.actor_name


@pass_context
def _payload(context: Context, payload: Any) -> str:
    """An entry's content in words, its unit and indicator codes with their names."""
    return labels.name_codes(labels.payload_words(payload), context.get("code_names") or {})


@pass_context
def _named(context: Context, text: Any) -> str:
    """Text the ledger worded (an explanation, a history sentence) with every unit's and common
    indicator's code given its name where the name is not beside it already (issue 28, item 11)."""
    return labels.name_codes(str(text), context.get("code_names") or {})


@pass_context
def _unit(context: Context, code: Any) -> str:
    """A unit by its name, the code after it: "县物价局（D03）"."""
    return labels.named_code(str(code), context.get("code_names") or {})


templates.env.filters.update(payload=_payload, named=_named, unit=_unit)


def code_names(request: Request) -> dict[str, str]:
    """The name of each unit and common indicator, by code, as the registry holds them."""
    return labels.code_names(services_of(request).ledger.registry())

SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'self'; img-src 'self' data:; "
                               "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}

#: the read-only notice a visitor not signed in reads (the signer's own message names sizes)
ANONYMOUS_FORK = ("本服务器现在不登记任何记录：账本与签名者记住的历史不一致（可能被改写或截断）。"
                  "请联系考评办，由运维人员运行 kaoping verify 查明。")

CSRF_REFUSED = "表单校验码（CSRF）缺失或不符，请刷新页面后重试。"


def footer(request: Request, who: Visitor | None) -> dict[str, Any] | None:
    """What every page says of the ledger at its foot; to a visitor not signed in nothing of the
    ledger (no size, time or root: issue 28, item 8) — only, when the signer refuses its tree, that
    the server records nothing now (every page says so: issue 23), in words that name no size."""
    ledger = services_of(request).ledger
    if who is None:
        return {"fork": ANONYMOUS_FORK} if ledger.fork() is not None else None
    entries = ledger.entries()
    tz = ledger.zone
    info: dict[str, Any] = {"entries": len(entries), "last": None, "verify": None}
    fork = ledger.fork()
    if fork is not None:  # the signer refuses this tree: read only, and every page says why
        info["fork"] = fork
    if entries:
        last = entries[-1]
        info["last"] = local_time(last.appended_at, tz, seconds=True)
        info["last_recorded"] = local_time(last.recorded_at, tz)
    if who is not None and policy.may(who.principal, "verify"):
        info["verify"] = ledger.verify_status()
    latest = ledger.latest_checkpoint()
    if latest is not None:
        info["checkpoint"] = {"size": latest.size, "root": latest.checkpoint.root_b64,
                              "origin": latest.origin,
                              "signed_at": _local(latest.signed_at, tz),
                              "witnesses": [{**w, "at": _local_ts(w["time"], tz)}
                                            for w in ledger.witnesses()]}
    return info


def _local(moment: str, zone: Any) -> str:
    return local_time(moment, zone, seconds=True)


def _local_ts(timestamp: int, zone: Any) -> str:
    return local_time(datetime.fromtimestamp(timestamp, timezone.utc), zone)


def render(request: Request, name: str, who: Visitor | None, status_code: int = 200,
           **context: Any) -> HTMLResponse:
    principal = who.principal if who else None
    context.update(who=who, principal=principal, csrf=who.session.csrf if who else None,
                   footer=footer(request, who), code_names=code_names(request),
                   # what the visitor may do, as the policy table says: menus and links ask it
                   may=lambda action, *units: principal is not None and policy.may(principal, action, *units))
    response = templates.TemplateResponse(request, name, context, status_code=status_code)
    response.headers.update(SECURITY_HEADERS)
    return response


def problem(request: Request, who: Visitor | None, status_code: int, title: str,
            message: str) -> HTMLResponse:
    return render(request, "problem.html", who, status_code, title=title, message=message)


def refused_page(request: Request, refused: PageRefused) -> HTMLResponse:
    """What a page shows when the policy table does not let its visitor do what it does."""
    title = "未找到" if refused.status_code == 404 else "无权查看"
    return problem(request, refused.who, refused.status_code, title, refused.error.sentence + "。")


__all__ = ["CSRF_REFUSED", "SECURITY_HEADERS", "problem", "refused_page", "render", "templates"]
