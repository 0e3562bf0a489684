"""The office's desk of forms (`/office`, its landing page; docs/scheme.md §§5–9): what waits on it
(open disputes, void requests, important evidence not yet verified, units still incomplete before a
publication), and the forms it records the year with — a bonus, a penalty or funding (a bonus past a
cap is accepted and capped, and the page says so), a task with its checkpoints, closing a ballot
round, and publishing (公示), which lists the units still pending by name and is recorded only once
the office confirms it. Accounts (`/office/accounts`): tokens issued and revoked from the web, each
shown once on a printable sign-in card.

Every form goes through `forms` (CSRF, the nonce as its commands' id, one batch through the group
committer, the refusal beside its field, nothing appended when refused)."""

from __future__ import annotations

import secrets
from decimal import Decimal
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from kaoping.domain import errors as e
from kaoping.domain.labels import FIGURE_NAMES, GROUP_NAMES, LEVEL_NAMES, METHOD_NAMES, ROLE_NAMES, ROUND_NAMES
from kaoping.ledger.application import Ledger

from .forms import Form, FormRefused, read_form, record
from .render import render
from .visitors import Page, Visitor, services_of

router = APIRouter(include_in_schema=False)

Office = Annotated[Visitor, Page("office")]
Accounts = Annotated[Visitor, Page("accounts")]
STAGES = {"half_year": "半年综合评价", "annual": "年度专项考评成绩", "process": "过程成绩"}
AWARDS = {"bonus": "bonus.awarded", "penalty": "penalty.imposed", "funding": "funding.recorded"}


def waiting(ledger: Ledger) -> dict[str, Any]:
    """What waits on the office: open disputes, open void requests, important evidence not verified."""
    entries = ledger.entries()
    important = {(x.payload["unit"], x.payload["task"]) for x in entries
                 if x.type == "task.assigned" and x.payload.get("important")}
    verified = {(x.payload["unit"], x.payload["evidence"]) for x in entries if x.type == "evidence.verified"}
    unverified = sum(1 for x in entries if x.type == "evidence.submitted"
                     and (x.payload["unit"], x.payload.get("task")) in important
                     and (x.payload["unit"], x.payload["evidence"]) not in verified)
    rounds = {name: any(x.type == "round.closed" for x in ledger.stream_entries(f"round:{name}"))
              for name in ROUND_NAMES}
    return {"disputes": len(ledger.disputes(status="open")), "void_requests": len(ledger.void_requests(status="open")),
            "unverified": unverified, "rounds": rounds,
            "incomplete": {stage: len(pending_units(ledger, stage)) for stage in ("half_year", "annual")}}


def pending_units(ledger: Ledger, stage: str) -> list[dict[str, Any]]:
    """The units whose figures for `stage` still lack an input, by name (a publication's warning)."""
    return [row for row in ledger.standings_from_log(stage=stage) if row["pending"]]


def desk_page(request: Request, who: Visitor, *, status_code: int = 200, errors: dict[str, str] | None = None,
              values: dict[str, str] | None = None, form_of: str = "", done: str | None = None,
              note: str | None = None) -> Response:
    ledger = services_of(request).ledger
    registry = ledger.registry()
    scheme = registry.scheme
    stage = (values or {}).get("stage") or "half_year"
    return render(request, "office.html", who, status_code, waiting=waiting(ledger), errors=errors or {},
                  values=values or {}, form_of=form_of, done=done, note=note, nonce=secrets.token_hex(6),
                  units=list(registry.units.values()), bonus_items=scheme.data["bonus"]["items"],
                  penalty_items=scheme.data["penalty"]["items"], stages=STAGES, rounds=ROUND_NAMES,
                  levels=LEVEL_NAMES, methods=METHOD_NAMES, groups=GROUP_NAMES,
                  pending=pending_units(ledger, stage) if form_of == "publish" else [], today=ledger.today().isoformat(),
                  open_tasks=open_tasks(ledger))


@router.get("/office", response_class=HTMLResponse)
def office(request: Request, who: Office, done: str | None = None, note: str | None = None) -> Response:
    return desk_page(request, who, done=done, note=note)


async def _recorded(request: Request, who: Visitor, form_of: str, make: Any) -> Response:
    """Record what `make(form)` gives as one batch; the desk again with the refusal beside its field."""
    form: Form | None = None
    try:
        form = await read_form(request, who)
        commands, note = await run_in_threadpool(make, services_of(request).ledger, form)
        receipts = await run_in_threadpool(record, request, who, commands,
                                           lambda index, field: field.split(".")[0] if form_of == "assess" else field)
    except FormRefused as refused:
        return await run_in_threadpool(desk_page, request, who, status_code=refused.status,
                                       errors={refused.field: refused.message},
                                       values=form.fields if form else {}, form_of=form_of)
    after = note(services_of(request).ledger) if callable(note) else note
    target = f"/office?done={quote(receipts[0].id)}" + (f"&note={quote(after)}" if after else "")
    return RedirectResponse(target, status_code=303)


def _award(ledger: Ledger, form: Form) -> tuple[list[dict[str, Any]], Any]:
    kind = form.value("kind")
    if kind not in AWARDS:
        raise FormRefused("kind", "请选择加分、减分或争取资金")
    unit = form.value("unit").upper()
    command: dict[str, Any] = {"id": form.command_id(kind, unit), "type": AWARDS[kind], "unit": unit,
                               "reason": form.value("reason")}
    if kind == "funding":
        command |= {"amount": form.value("amount"), "source": form.value("source")}
    else:
        command["item"] = form.value("item")
        if form.value("points"):
            command["points"] = form.value("points")
        elif form.value("count"):
            command["count"] = int(form.value("count")) if form.value("count").isdigit() else form.value("count")
    note = (lambda after: _cap_note(after, unit)) if kind == "bonus" else None
    return [command], note


def _cap_note(ledger: Ledger, unit: str) -> str | None:
    """Whether the unit's bonus is now capped (docs/scheme.md §6): said on the desk after an award."""
    tree = ledger.score(unit)["explanation"]
    node = _find(tree, FIGURE_NAMES["bonus"])
    if node is None:
        return None
    capped = [child["label"] for child in node["children"] if "≤" in child["label"]
              and _capped_by(child["formula"])]
    total = sum((Decimal(child["value"]) for child in node["children"]), Decimal(0))
    if total > Decimal(node["value"]):
        capped.append(f"加分合计 {total} 超过上限")
    return f"已登记；{unit} 的加分已封顶（{'；'.join(capped)}），现计 {node['value']} 分" if capped else None


def _capped_by(formula: str) -> bool:
    # "min(1.5, 1) = 1": the subtotal past its cap
    try:
        inner = formula[formula.index("(") + 1:formula.index(")")]
        subtotal, cap = (Decimal(x.strip()) for x in inner.split(","))
    except (ValueError, ArithmeticError):
        return False
    return subtotal > cap


def _find(node: dict[str, Any], label: str) -> dict[str, Any] | None:
    if node["label"] == label:
        return node
    return next((found for child in node["children"] if (found := _find(child, label))), None)


@router.post("/office/award", response_class=HTMLResponse)
async def award(request: Request, who: Office) -> Response:
    return await _recorded(request, who, "award", _award)


def _task(ledger: Ledger, form: Form) -> tuple[list[dict[str, Any]], None]:
    checkpoints = []
    for i, line in enumerate(form.value("checkpoints").splitlines()):
        if line.strip():
            code, _, due = line.strip().partition(" ")
            checkpoints.append({"checkpoint": code.strip(), "due": due.strip()})
    unit = form.value("unit").upper()
    command: dict[str, Any] = {"id": form.command_id("task", unit, form.value("task")), "type": "task.assigned",
                               "unit": unit, "task": form.value("task"), "title": form.value("title"),
                               "level": form.value("level"), "method": form.value("method"),
                               "important": form.value("important") == "yes", "checkpoints": checkpoints}
    if form.value("target"):
        command["target"] = form.value("target")
    return [command], None


@router.post("/office/task", response_class=HTMLResponse)
async def task(request: Request, who: Office) -> Response:
    return await _recorded(request, who, "task", _task)


def _withdraw(ledger: Ledger, form: Form) -> tuple[list[dict[str, Any]], None]:
    unit = form.value("unit").upper()
    return [{"id": form.command_id("withdraw", unit, form.value("task")), "type": "task.withdrawn", "unit": unit,
             "task": form.value("task"), "reason": form.value("reason")}], None


@router.post("/office/withdraw", response_class=HTMLResponse)
async def withdraw(request: Request, who: Office) -> Response:
    return await _recorded(request, who, "withdraw", _withdraw)


def open_tasks(ledger: Ledger) -> list[dict[str, Any]]:
    """The tasks not yet assessed and not withdrawn, with their scoring method (the assess form's list)."""
    entries = ledger.entries()
    assessed = {(x.payload["unit"], x.payload["task"]) for x in entries if x.type == "task.assessed"}
    withdrawn = {(x.payload["unit"], x.payload["task"]) for x in entries if x.type == "task.withdrawn"}
    return [{"unit": x.payload["unit"], "task": x.payload["task"], "title": x.payload["title"],
             "method": x.payload["method"]} for x in entries if x.type == "task.assigned"
            and (x.payload["unit"], x.payload["task"]) not in assessed | withdrawn]


def _lines(text: str) -> list[dict[str, str]]:
    """"2 迟报一次" per line → [{"points": "2", "reason": "迟报一次"}]."""
    rows = []
    for line in text.splitlines():
        points, _, reason = line.strip().partition(" ")
        if points:
            rows.append({"points": points, "reason": reason.strip()})
    return rows


def _assess(ledger: Ledger, form: Form) -> tuple[list[dict[str, Any]], None]:
    unit, _, task = form.value("target").partition("/")
    command: dict[str, Any] = {"id": form.command_id("assess", unit, task), "type": "task.assessed",
                               "unit": unit, "task": task}
    if form.value("actual"):
        command["actual"] = form.value("actual")
    if form.value("deductions") or form.value("nothing_deducted") == "yes":
        command["deductions"] = _lines(form.value("deductions"))
    if form.value("vetoed"):
        command["vetoed"] = form.value("vetoed") == "yes"
    if form.value("points"):
        command["points"] = _lines(form.value("points"))
    return [command], None


@router.post("/office/assess", response_class=HTMLResponse)
async def assess(request: Request, who: Office) -> Response:
    return await _recorded(request, who, "assess", _assess)


def _close(ledger: Ledger, form: Form) -> tuple[list[dict[str, Any]], None]:
    return [{"id": form.command_id("close", form.value("round")), "type": "round.closed",
             "round": form.value("round")}], None


@router.post("/office/round", response_class=HTMLResponse)
async def close_round(request: Request, who: Office) -> Response:
    return await _recorded(request, who, "round", _close)


def _publish(ledger: Ledger, form: Form) -> tuple[list[dict[str, Any]], None]:
    stage = form.value("stage")
    if stage not in STAGES:
        raise FormRefused("stage", e.InvalidCommand("stage.unknown", given=stage[:20], allowed=list(STAGES),
                                                    allowed_en=", ".join(STAGES)).message)
    pending = pending_units(ledger, stage)
    if pending and form.value("confirm") != str(len(pending)):
        names = "、".join(f"{row['name']}（{row['unit']}）" for row in pending[:60])
        raise FormRefused("confirm", f"还有 {len(pending)} 个单位的{STAGES[stage]}尚不完整：{names}。"
                                     "确认仍要公示，请勾选确认后再提交")
    command: dict[str, Any] = {"id": form.command_id("publish", stage), "type": "results.published",
                               "stage": stage, "title": form.value("title")}
    if form.value("as_of"):
        command["as_of"] = form.value("as_of")
    if form.value("appeal_days"):
        days = form.value("appeal_days")
        command["appeal_days"] = int(days) if days.isdigit() else days
    return [command], None


@router.post("/office/publish", response_class=HTMLResponse)
async def publish(request: Request, who: Office) -> Response:
    return await _recorded(request, who, "publish", _publish)


SUB_ROWS = 3


def subs_page(request: Request, who: Visitor, *, status_code: int = 200, errors: dict[str, str] | None = None,
              values: dict[str, str] | None = None, done: str | None = None) -> Response:
    registry = services_of(request).ledger.registry()
    scheme = registry.scheme
    rows = [{"indicator": registry.indicators[code], "subs": scheme.sub_indicators(code)}
            for code in sorted(scheme.data["common"].get("sub_indicators", {})) if code in registry.indicators]
    missing = [i for code, i in sorted(registry.indicators.items())
               if not scheme.sub_indicators(code) and i.assessor != "县委宣传部"]
    return render(request, "sub_indicators.html", who, status_code, rows=rows, missing=missing,
                  version=scheme.version, indicators=sorted(registry.indicators.values(), key=lambda i: i.code),
                  errors=errors or {}, values=values or {}, done=done, nonce=secrets.token_hex(6), n=SUB_ROWS)


def _same_subs(stored: list[dict[str, Any]], sent: list[dict[str, Any]]) -> bool:
    """Whether the sub-indicators in force are those sent (a form sent again after it was recorded)."""
    def norm(subs: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
        try:
            return [(s["code"], s["name"], s["standard"], s["evidence"], Decimal(str(s.get("weight", 1))))
                    for s in subs]
        except ArithmeticError:
            return []
    return bool(stored) and norm(stored) == norm(sent)


@router.get("/office/sub-indicators", response_class=HTMLResponse)
def sub_indicators(request: Request, who: Office, done: str | None = None) -> Response:
    """Every body's core sub-indicators in the scheme in force, compiled as the list the office
    issues (汇总并统一印发, docs/scheme.md §4.1), printable; and the form that sets one indicator's
    (an amendment of the scheme, docs/scheme.md §10)."""
    return subs_page(request, who, done=done)


@router.post("/office/sub-indicators", response_class=HTMLResponse)
async def set_sub_indicators(request: Request, who: Office) -> Response:
    """One indicator's core sub-indicators, recorded as a scheme amendment; sent again once it is
    in force, a no-op."""
    form: Form | None = None
    ledger = services_of(request).ledger
    try:
        form = await read_form(request, who)
        indicator = form.value("indicator").upper()
        subs = []
        for i in range(1, SUB_ROWS + 1):
            if not any(form.value(f"{k}_{i}") for k in ("name", "standard", "evidence")):
                continue
            sub = {"code": f"{indicator}.{i}", "name": form.value(f"name_{i}"),
                   "standard": form.value(f"standard_{i}"), "evidence": form.value(f"evidence_{i}")}
            if form.value(f"weight_{i}"):
                sub["weight"] = form.value(f"weight_{i}")
            subs.append(sub)
        scheme = ledger.registry().scheme
        if subs and scheme.version == form.value("version") and \
                _same_subs(scheme.sub_indicators(indicator), subs):
            return RedirectResponse(f"/office/sub-indicators?done={quote(scheme.version)}", status_code=303)
        amendment = {"version": form.value("version"), "common": {"sub_indicators": {indicator: subs or None}}}
        version = await run_in_threadpool(lambda: ledger.amend_scheme(amendment, actor=who.principal.actor))
    except FormRefused as refused:
        return subs_page(request, who, status_code=refused.status, errors={refused.field: refused.message},
                         values=form.fields if form else {})
    except e.KaopingError as error:
        field = error.field or ""
        parts = field.split(".")  # common.sub_indicators.C05.0.name → name_1
        if len(parts) >= 5 and parts[3].isdigit():
            field = f"{parts[4]}_{int(parts[3]) + 1}"
        return subs_page(request, who, status_code=422, errors={field: error.message},
                         values=form.fields if form else {})
    return RedirectResponse(f"/office/sub-indicators?done={quote(version)}", status_code=303)


# -- voids ----------------------------------------------------------------------------------------
def void_page(request: Request, who: Visitor, target: str, *, status_code: int = 200,
              errors: dict[str, str] | None = None, values: dict[str, str] | None = None) -> Response:
    """An entry, what voiding it would move (nothing appended), and the form that voids it."""
    ledger = services_of(request).ledger
    try:
        preview = ledger.void_preview(target)
    except e.KaopingError as error:
        return render(request, "problem.html", who, 404, title="未找到", message=error.message + "。")
    return render(request, "void.html", who, status_code, preview=preview, errors=errors or {},
                  values=values or {}, nonce=secrets.token_hex(6), names=FIGURE_NAMES)


@router.get("/office/void", response_class=HTMLResponse)
def void(request: Request, who: Office, target: str) -> Response:
    return void_page(request, who, target)


@router.post("/office/void", response_class=HTMLResponse)
async def void_entry(request: Request, who: Office, target: str) -> Response:
    form: Form | None = None
    try:
        form = await read_form(request, who)
        receipts = await run_in_threadpool(record, request, who, [{
            "id": form.command_id("void", target[:24]), "type": "entry.voided", "target": target,
            "reason": form.value("reason")}])
    except FormRefused as refused:
        return await run_in_threadpool(void_page, request, who, target, status_code=refused.status,
                                       errors={refused.field: refused.message}, values=form.fields if form else {})
    return RedirectResponse(f"/office?done={quote(receipts[0].id)}", status_code=303)


# -- accounts ---------------------------------------------------------------------------------------
def accounts_page(request: Request, who: Visitor, *, status_code: int = 200, errors: dict[str, str] | None = None,
                  values: dict[str, str] | None = None, issued: dict[str, Any] | None = None) -> Response:
    ledger = services_of(request).ledger
    return render(request, "accounts.html", who, status_code, tokens=ledger.tokens(), errors=errors or {},
                  values=values or {}, issued=issued, roles=ROLE_NAMES, nonce=secrets.token_hex(6))


@router.get("/office/accounts", response_class=HTMLResponse)
def accounts(request: Request, who: Accounts) -> Response:
    return accounts_page(request, who)


def _codes(text: str) -> list[str]:
    return [c.strip().upper() for c in text.replace("，", ",").replace("、", ",").split(",") if c.strip()]


@router.post("/office/accounts", response_class=HTMLResponse)
async def issue(request: Request, who: Accounts) -> Response:
    """A token for one person, shown once on a printable card (the ledger keeps its hash only)."""
    form: Form | None = None
    try:
        form = await read_form(request, who)
        ledger = services_of(request).ledger
        role = form.value("role")
        token_id, token = await run_in_threadpool(
            lambda: ledger.create_token(actor=form.value("actor"), role=role, unit=form.value("unit").upper() or None,
                                        units=_codes(form.value("units")), indicators=_codes(form.value("indicators"))))
    except FormRefused as refused:
        return accounts_page(request, who, status_code=refused.status, errors={refused.field: refused.message},
                             values=form.fields if form else {})
    except e.KaopingError as error:
        return accounts_page(request, who, status_code=422, errors={error.field or "actor": error.message},
                             values=form.fields if form else {})
    return accounts_page(request, who, issued={"token_id": token_id, "token": token, "actor": form.value("actor"),
                                               "role": ROLE_NAMES.get(role, role), "url": str(request.base_url)})


@router.post("/office/accounts/revoke", response_class=HTMLResponse)
async def revoke(request: Request, who: Accounts) -> Response:
    form: Form | None = None
    try:
        form = await read_form(request, who)
        await run_in_threadpool(services_of(request).ledger.revoke_token, form.value("token_id"))
    except FormRefused as refused:
        return accounts_page(request, who, status_code=refused.status, errors={refused.field: refused.message})
    except e.KaopingError as error:
        return accounts_page(request, who, status_code=422, errors={"token_id": error.message})
    return RedirectResponse("/office/accounts", status_code=303)


__all__ = ["router"]
