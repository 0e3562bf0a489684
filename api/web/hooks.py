"""The office's 推送 page (`/office/hooks`, docs/commands.md §10.6): the hooks registered (the URL
without its query's values — a robot's access token — and never the secret), a form to register
one (URL, format, events, secret, units), a button to stop one, and the failed deliveries each with
a button to send it again. Office tokens only (`hooks` in the policy table), through the outbox the
API uses (`Outbox.add`, `remove`, `retry`): the page holds no rule of its own. Every form carries the
session's CSRF token and its nonce; the registration's hook id is made from the nonce, so a form sent
twice registers once; a refusal is shown beside its field and registers nothing."""

from __future__ import annotations

import secrets
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from kaoping.api.errors import status_of
from kaoping.domain import errors as e
from kaoping.domain import hooks as h
from kaoping.projections.outbox import Outbox

from .forms import Form, FormRefused, read_form
from .render import render
from .visitors import Page, Visitor, services_of

router = APIRouter(include_in_schema=False)

Hooks = Annotated[Visitor, Page("hooks")]
STATUSES = {"pending": "待投递", "delivered": "已投递", "failed": "失败"}


def _outbox(request: Request) -> Outbox:
    return services_of(request).outbox  # type: ignore[no-any-return]


def hooks_page(request: Request, who: Visitor, *, status_code: int = 200, errors: dict[str, str] | None = None,
               values: dict[str, str] | None = None, done: str | None = None) -> Response:
    outbox = _outbox(request)
    hooks = [{**hook.shown(), "shown_url": h.shown_url(hook.url), "event_names": [h.EVENT_NAMES[x] for x in hook.events]}
             for hook in outbox.hooks()]
    return render(request, "hooks.html", who, status_code, hooks=hooks, failed=outbox.deliveries(failed=True),
                  errors=errors or {}, values=values or {}, done=done, nonce=secrets.token_hex(6),
                  formats=h.FORMAT_NAMES, events=h.EVENT_NAMES, statuses=STATUSES)


@router.get("/office/hooks", response_class=HTMLResponse)
def hooks(request: Request, who: Hooks, done: str | None = None) -> Response:
    return hooks_page(request, who, done=done)


def _codes(text: str) -> list[str]:
    return [c.strip() for c in text.replace("，", ",").replace("、", ",").replace(" ", ",").split(",") if c.strip()]


async def _done(request: Request, who: Visitor, act: Any, field: str, done: str) -> Response:
    """Read the form, do `act(outbox, form)` through the outbox; the page again with the refusal
    beside its field (`field` when the refusal names none), or a redirect saying what was done."""
    form: Form | None = None
    try:
        form = await read_form(request, who)
        await run_in_threadpool(act, _outbox(request), form)
    except FormRefused as refused:
        return await run_in_threadpool(hooks_page, request, who, status_code=refused.status,
                                       errors={refused.field: refused.message}, values=form.fields if form else {})
    except e.KaopingError as error:  # an unknown unit is shown beside the units field
        name = "units" if error.field == "unit" else error.field or field
        return await run_in_threadpool(hooks_page, request, who, status_code=status_of(error),
                                       errors={name: error.message},
                                       values=form.fields if form else {})
    return RedirectResponse(f"/office/hooks?done={quote(done)}", status_code=303)


def _register(outbox: Outbox, form: Form) -> None:
    outbox.add(url=form.value("url"), format=form.value("format"), secret=form.value("secret") or None,
               events=[event for event in h.EVENTS if form.value(f"event_{event}")],
               units=_codes(form.value("units")), hook_id=f"h-{form.nonce}")


@router.post("/office/hooks", response_class=HTMLResponse)
async def register(request: Request, who: Hooks) -> Response:
    return await _done(request, who, _register, "url", "added")


@router.post("/office/hooks/remove", response_class=HTMLResponse)
async def remove(request: Request, who: Hooks) -> Response:
    return await _done(request, who, lambda outbox, form: outbox.remove(form.value("hook")), "hook", "removed")


@router.post("/office/hooks/retry", response_class=HTMLResponse)
async def retry(request: Request, who: Hooks) -> Response:
    return await _done(request, who, lambda outbox, form: outbox.retry(form.value("delivery")), "delivery", "retried")


__all__ = ["router"]
