"""A unit's page (`/units/{code}`): its figures, the explanation tree down to the entries, the replay
chart, its disputes and its history; a unit token may dispute entries others recorded, through the
same group committer and rules as `POST /v1/commands`."""

from __future__ import annotations

import re
import secrets
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from kaoping.api.errors import status_of
from kaoping.domain import errors as e
from kaoping.domain.explain import PENDING
from kaoping.domain.folds import RegistryState
from kaoping.domain.labels import OUTCOMES
from kaoping.domain.names import FIGURES, UNDISPUTABLE_TYPES
from kaoping.domain.principals import Principal
from kaoping.ledger.group_commit import PendingBatch
from kaoping.ledger.writer import BatchRejected

from .charts import line_chart
from .render import CSRF_REFUSED, problem, render
from .visitors import Visitor, Who, forged, services_of

router = APIRouter(include_in_schema=False)

NONCE = re.compile(r"^[0-9a-f]{12}$")


def _disputes(history: list[dict[str, Any]]) -> list[dict[str, Any]]:
    by_id = {row["id"]: row for row in history}
    resolutions = {row["payload"].get("dispute"): row for row in history
                   if row["type"] == "dispute.resolved"}
    disputes = []
    for row in history:
        if row["type"] != "dispute.filed":
            continue
        code = row["payload"].get("dispute")
        resolved = resolutions.get(code)
        target = by_id.get(row["payload"].get("target"))
        if resolved is not None:
            outcome = resolved["payload"].get("outcome")
            state = OUTCOMES.get(outcome, outcome)
        elif row["voided_by"]:
            outcome, state = "voided", f"已作废（{row['voided_by']}）"
        else:
            outcome, state = "open", "待裁决"
        disputes.append({"code": code, "filed": row, "resolved": resolved, "target": target,
                         "target_id": row["payload"].get("target"), "outcome": outcome,
                         "state": state})
    return disputes


def _dispute_targets(history: list[dict[str, Any]], principal: Principal) -> list[dict[str, Any]]:
    open_targets = {row["payload"].get("target") for row in history if row["type"] == "dispute.filed"}
    return [row for row in history
            if row["actor"] != principal.actor and row["voided_by"] is None
            and row["type"] not in UNDISPUTABLE_TYPES and row["id"] not in open_targets]


def _mark_pending(node: dict[str, Any]) -> dict[str, Any]:
    return {**node, "pending": str(node.get("formula", "")).startswith(PENDING),
            "children": [_mark_pending(child) for child in node.get("children", ())]}


def unit_refusal(request: Request, who: Visitor, code: str,
                 registry: RegistryState) -> Response | None:
    """The page a visitor gets instead of unit `code`'s, if any: unknown unit, or not theirs to read."""
    if code not in registry.units:
        return problem(request, who, 404, "未找到", f"没有代码为 {code} 的被考评单位。")
    if not who.principal.may_read_unit(code):
        return problem(request, who, 403, "无权查看",
                       f"单位令牌只能查看本单位（{who.principal.unit}）的成绩。")
    return None


def unit_page_response(request: Request, who: Visitor, code: str, *, as_of: str | None = None,
                       filed: str | None = None, error: str | None = None,
                       form: dict[str, str] | None = None, status_code: int = 200) -> Response:
    ledger = services_of(request).ledger
    code = code.upper()
    registry = ledger.registry()
    refused = unit_refusal(request, who, code, registry)
    if refused is not None:
        return refused
    as_of = (as_of or "").strip() or None
    try:
        score = ledger.score(code, as_of=as_of)
    except e.InvalidCommand as bad:
        return problem(request, who, 422, "参数有误", f"{bad.field}: {bad.message}")
    history = ledger.history(code)
    replay = ledger.replay(code)
    unit = registry.units[code]
    may_dispute = who.principal.role == "unit" and who.principal.unit == code
    return render(
        request, "unit.html", who, status_code, unit=unit, score=score,
        tree=_mark_pending(score["explanation"]), history=history, as_of=as_of,
        chart=line_chart(replay, title=f"{unit.name}（{code}）总分随账本记录的变化"),
        replay=replay, disputes=_disputes(history), may_dispute=may_dispute,
        targets=_dispute_targets(history, who.principal) if may_dispute else [],
        nonce=secrets.token_hex(6), filed=filed, error=error, form=form or {},
        figures=[(key, score[key]) for key in FIGURES])


@router.get("/units/{code}", response_class=HTMLResponse)
def unit_page(request: Request, who: Who, code: str, as_of: str | None = None,
              filed: str | None = None) -> Response:
    return unit_page_response(request, who, code, as_of=as_of, filed=filed)


@router.post("/units/{code}/disputes", response_class=HTMLResponse)
def file_dispute(request: Request, who: Who, code: str, csrf: Annotated[str, Form()] = "",
                 nonce: Annotated[str, Form()] = "", target: Annotated[str, Form()] = "",
                 reason: Annotated[str, Form()] = "") -> Response:
    code = code.upper()
    if forged(request, who, csrf):
        return problem(request, who, 403, "请求被拒绝", CSRF_REFUSED)
    principal = who.principal
    if principal.role != "unit" or principal.unit != code:
        return problem(request, who, 403, "无权操作", "只有本单位的令牌可以对本单位的记录提出异议。")
    form = {"target": target, "reason": reason}
    if not NONCE.match(nonce):
        return unit_page_response(request, who, code, error="表单已失效，请重新填写。", form=form,
                                  status_code=422)
    command = {"id": f"web-dispute-{code}-{nonce}", "type": "dispute.filed", "unit": code,
               "dispute": f"DSP-{code}-W{nonce.upper()}", "target": target.strip(),
               "reason": reason.strip()}
    services = services_of(request)
    try:
        result = services.committer.append(PendingBatch([command], principal.actor, principal))
    except BatchRejected as rejected:
        message = f"{rejected.error.field}: {rejected.error.message}" if rejected.error.field \
            else rejected.error.message
        return unit_page_response(request, who, code, error=message, form=form,
                                  status_code=status_of(rejected.error))
    except e.KaopingError as error:
        return unit_page_response(request, who, code, error=error.message, form=form,
                                  status_code=409)
    services.projection.catch_up()
    duplicate = "&duplicate=1" if result.results[0].duplicate else ""
    return RedirectResponse(f"/units/{code}?filed={quote(command['dispute'])}{duplicate}#disputes",
                            status_code=303)
