"""The web pages (Chinese, server-rendered): sign-in, standings, a unit's score, history and disputes.

They run in the `kaoping serve` process beside the JSON API and read the same ledger and read model.
A person signs in with the same bearer token the API takes; the role decides what every page shows.
"""

from __future__ import annotations

import json
import re
import secrets
import threading
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote, urlsplit

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from kaoping.domain import errors as e
from kaoping.domain.relevance import relevant_to
from kaoping.domain.names import GROUPS, STAGES, TOKENS_STREAM
from kaoping.domain.roles import Principal
from kaoping.ledger.application import BatchRejected, Ledger
from kaoping.projections.scores import ScoresProjection

from . import labels
from .charts import bar_chart, line_chart
from .sessions import COOKIE, Session, SessionStore, csrf_ok

HERE = Path(__file__).parent
templates = Jinja2Templates(directory=str(HERE / "templates"))
templates.env.globals.update(labels=labels)
templates.env.filters["short"] = lambda text, n=10: (text or "")[:n]

#: a ledger this small is verified in the request that first needs it; a bigger one in the background
SYNC_VERIFY_LIMIT = 20_000

NONCE = re.compile(r"^[0-9a-f]{12}$")

router = APIRouter(include_in_schema=False)


class SignInRequired(Exception):
    def __init__(self, path: str, reason: str | None = None):
        super().__init__(reason or "sign in")
        self.path, self.reason = path, reason


# -- shared state ------------------------------------------------------------------------------------

class VerifyCache:
    """`ledger.verify()` reads every entry: remember its answer by ledger size, recompute when it grows."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.result: dict[str, Any] | None = None
        self.running = False

    def status(self, ledger: Ledger, size: int) -> dict[str, Any]:
        with self._lock:
            if self.result is not None and self.result["entries"] == size:
                return {**self.result, "fresh": True}
            start = not self.running
            self.running = self.running or start
            known = self.result
        if start:
            if known is None and size <= SYNC_VERIFY_LIMIT:
                self._run(ledger)
                return self.status(ledger, size) if self.result else {"fresh": False, "ok": None}
            threading.Thread(target=self._run, args=(ledger,), daemon=True,
                             name="kaoping-web-verify").start()
        return {**known, "fresh": False} if known else {"fresh": False, "ok": None}

    def _run(self, ledger: Ledger) -> None:
        result = None
        try:
            result = ledger.verify()
        finally:
            with self._lock:
                if result is not None:
                    self.result = result
                self.running = False


class ReplayCache:
    """A unit's replay depends on the log alone (each row judged at its entry's date), and only on
    the entries its score can depend on: keep it until one of those is appended."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._rows: dict[str, tuple[int, list[dict[str, Any]]]] = {}

    def rows(self, ledger: Ledger, code: str) -> list[dict[str, Any]]:
        registry = ledger.registry()
        relevant = relevant_to(registry.units[code], registry.units, ledger.log.refresh())
        last = relevant[-1].seq if relevant else 0
        with self._lock:
            cached = self._rows.get(code)
        if cached is not None and cached[0] == last:
            return cached[1]
        rows = ledger.replay(code)
        with self._lock:
            self._rows[code] = (last, rows)
        return rows


def install_state(app: Any) -> None:
    app.state.web_sessions = SessionStore()
    app.state.web_verify = VerifyCache()
    app.state.web_replay = ReplayCache()


def _ledger(request: Request) -> Ledger:
    return request.app.state.ledger  # type: ignore[no-any-return]


def _projection(request: Request) -> ScoresProjection:
    return request.app.state.projection  # type: ignore[no-any-return]


# -- who is asking -----------------------------------------------------------------------------------

class Visitor:
    def __init__(self, principal: Principal, session: Session):
        self.principal, self.session = principal, session


def visitor(request: Request) -> Visitor:
    store: SessionStore = request.app.state.web_sessions
    path = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    session = store.get(request.cookies.get(COOKIE))
    if session is None:
        raise SignInRequired(path, "expired" if request.cookies.get(COOKIE) else None)
    tokens = _ledger(request).load(TOKENS_STREAM)
    principal = tokens.principal_for(session.digest)  # type: ignore[attr-defined]
    if principal is None:
        store.drop(session.id)
        raise SignInRequired(path, "revoked")
    return Visitor(principal, session)


Who = Annotated[Visitor, Depends(visitor)]

SIGN_IN_REASONS = {"revoked": "令牌已被撤销，会话已结束，请用有效令牌重新登录。",
                   "expired": "会话已过期，请重新登录。", "signed_out": "已退出登录。"}


def sign_in_redirect(_: Request, error: Exception) -> Response:
    assert isinstance(error, SignInRequired)
    target = "/signin?next=" + quote(error.path, safe="")
    if error.reason:
        target += f"&reason={error.reason}"
    response = RedirectResponse(target, status_code=303)
    if error.reason:
        response.delete_cookie(COOKIE, path="/")
    return response


def cross_site(request: Request) -> bool:
    """A form posted from another site: its Origin (sent by browsers on every POST) names another
    host. This guards the sign-in form, which has no session yet and so no CSRF token."""
    origin = request.headers.get("origin")
    if origin is None:
        return False
    return origin == "null" or urlsplit(origin).netloc != request.headers.get("host", "")


def _safe_next(target: str | None) -> str:
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


# -- rendering ---------------------------------------------------------------------------------------

SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'self'; img-src 'self' data:; "
                               "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


def footer(request: Request, who: Visitor | None) -> dict[str, Any]:
    ledger = _ledger(request)
    entries = ledger.log.refresh()
    tz = ledger.settings.zone
    info: dict[str, Any] = {"entries": len(entries), "last": None, "verify": None}
    if entries:
        last = entries[-1]
        info["last"] = last.appended_at.astimezone(tz).strftime("%Y-%m-%d %H:%M:%S")
        info["last_recorded"] = last.recorded_at.astimezone(tz).strftime("%Y-%m-%d %H:%M")
    if who is not None and who.principal.may_verify:
        info["verify"] = request.app.state.web_verify.status(ledger, len(entries))
    return info


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


# -- sign-in -----------------------------------------------------------------------------------------

@router.get("/signin", response_class=HTMLResponse)
def sign_in_form(request: Request, next: str | None = None, reason: str | None = None) -> Response:
    store: SessionStore = request.app.state.web_sessions
    if reason is None and store.get(request.cookies.get(COOKIE)) is not None:
        return RedirectResponse(_safe_next(next), status_code=303)
    return render(request, "signin.html", None, next=_safe_next(next),
                  notice=SIGN_IN_REASONS.get(reason or ""))


@router.post("/signin", response_class=HTMLResponse)
def sign_in(request: Request, token: Annotated[str, Form()] = "",
            next: Annotated[str, Form()] = "/") -> Response:
    store: SessionStore = request.app.state.web_sessions
    if cross_site(request):
        return problem(request, None, 403, "请求被拒绝", "不接受来自其他网站的登录表单。")
    principal = _ledger(request).principal_for(token.strip()) if token.strip() else None
    if principal is None:
        return render(request, "signin.html", None, 401, next=_safe_next(next),
                      error="令牌无效或已被撤销。")
    store.drop(request.cookies.get(COOKIE))  # a new id at every sign-in: no session fixation
    session = store.create(token.strip())
    response = RedirectResponse(_safe_next(next), status_code=303)
    response.set_cookie(COOKIE, session.id, path="/", httponly=True, samesite="strict",
                        secure=request.url.scheme == "https")
    return response


@router.post("/signout")
def sign_out(request: Request, who: Who, csrf: Annotated[str, Form()] = "") -> Response:
    if not csrf_ok(who.session, csrf) or cross_site(request):
        return problem(request, who, 403, "请求被拒绝", "表单校验码（CSRF）缺失或不符，请刷新页面后重试。")
    request.app.state.web_sessions.drop(who.session.id)
    response = RedirectResponse("/signin?reason=signed_out", status_code=303)
    response.delete_cookie(COOKIE, path="/")
    return response


# -- standings ---------------------------------------------------------------------------------------

@router.get("/", response_class=HTMLResponse)
def standings_page(request: Request, who: Who, stage: str = "annual",
                   as_of: str | None = None) -> Response:
    as_of = (as_of or "").strip() or None
    if stage not in STAGES:
        return problem(request, who, 422, "参数有误", f"未知的阶段 {stage!r}。")
    ledger = _ledger(request)
    try:
        if as_of is not None:
            rows = ledger.standings_from_log(stage=stage, as_of=as_of)
        else:
            projection = _projection(request)
            projection.catch_up()
            rows = projection.standings(stage=stage)
    except e.InvalidCommand as error:
        return problem(request, who, 422, "参数有误", f"{error.field}: {error.message}")
    principal = who.principal
    suffix = f"?as_of={quote(as_of)}" if as_of else ""

    def link(code: str) -> str | None:
        return f"/units/{code}{suffix}" if principal.may_read_unit(code) else None

    groups = []
    for group in GROUPS:
        ranked = [{**row, "href": link(str(row["unit"]))} for row in rows if row["group"] == group]
        title = f"{labels.GROUP_NAMES[group]} · {labels.STAGE_NAMES[stage]}"
        groups.append({"key": group, "name": labels.GROUP_NAMES[group], "rows": ranked,
                       "chart": bar_chart(ranked, title=title, link=link, highlight=principal.unit)})
    return render(request, "standings.html", who, stage=stage, as_of=as_of, groups=groups,
                  stages=labels.STAGE_NAMES)


# -- a unit ------------------------------------------------------------------------------------------

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
            state = labels.OUTCOMES.get(outcome, outcome)
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
            and row["type"] not in labels.NOT_DISPUTABLE and row["id"] not in open_targets]


def _mark_pending(node: dict[str, Any]) -> dict[str, Any]:
    return {**node, "pending": str(node.get("formula", "")).startswith("pending: "),
            "children": [_mark_pending(child) for child in node.get("children", ())]}


def unit_refusal(request: Request, who: Visitor, code: str, registry: Any) -> Response | None:
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
    ledger = _ledger(request)
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
    replay = request.app.state.web_replay.rows(ledger, code)
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


#: the contract's figures, in its order, with their Chinese names
FIGURES = ("total", "indicator", "individual", "process", "annual_individual", "task_load_bonus",
           "common", "chuangcheng", "comprehensive", "half_year_comp", "year_end_comp", "bonus",
           "penalty")


@router.get("/units/{code}", response_class=HTMLResponse)
def unit_page(request: Request, who: Who, code: str, as_of: str | None = None,
              filed: str | None = None) -> Response:
    return unit_page_response(request, who, code, as_of=as_of, filed=filed)


@router.post("/units/{code}/disputes", response_class=HTMLResponse)
def file_dispute(request: Request, who: Who, code: str, csrf: Annotated[str, Form()] = "",
                 nonce: Annotated[str, Form()] = "", target: Annotated[str, Form()] = "",
                 reason: Annotated[str, Form()] = "") -> Response:
    code = code.upper()
    if not csrf_ok(who.session, csrf) or cross_site(request):
        return problem(request, who, 403, "请求被拒绝", "表单校验码（CSRF）缺失或不符，请刷新页面后重试。")
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
    try:
        result = _ledger(request).ingest([command], actor=principal.actor, principal=principal)
    except BatchRejected as rejected:
        from kaoping.api.http import status_of

        message = f"{rejected.error.field}: {rejected.error.message}" if rejected.error.field \
            else rejected.error.message
        return unit_page_response(request, who, code, error=message, form=form,
                                  status_code=status_of(rejected.error))
    except e.KaopingError as error:
        return unit_page_response(request, who, code, error=error.message, form=form,
                                  status_code=409)
    _projection(request).catch_up()
    duplicate = "&duplicate=1" if result.results[0].duplicate else ""
    return RedirectResponse(f"/units/{code}?filed={quote(command['dispute'])}{duplicate}#disputes",
                            status_code=303)


# -- downloads ---------------------------------------------------------------------------------------

def _download(body: bytes, fmt: str, name: str, ascii_name: str) -> Response:
    media = ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" if fmt == "xlsx"
             else "text/csv; charset=utf-8")
    disposition = (f'attachment; filename="{ascii_name}.{fmt}"; '
                   f"filename*=UTF-8''{quote(f'{name}.{fmt}', safe='')}")
    return Response(body, media_type=media, headers={"Content-Disposition": disposition,
                                                     "Cache-Control": "no-store",
                                                     "X-Content-Type-Options": "nosniff"})


def _when(as_of: str | None) -> str:
    return "-" + re.sub(r"[^0-9A-Za-z._-]+", "-", as_of).strip("-") if as_of else ""


@router.get("/exports/standings.{fmt}")
def standings_download(request: Request, who: Who, fmt: str, as_of: str | None = None) -> Response:
    from kaoping.api import exports

    if fmt not in ("xlsx", "csv"):
        return problem(request, who, 404, "未找到", f"没有 {fmt} 格式的下载。")
    as_of = (as_of or "").strip() or None
    try:
        sheet = exports.standings_sheet(_ledger(request), _projection(request), as_of=as_of)
    except e.InvalidCommand as bad:
        return problem(request, who, 422, "参数有误", f"{bad.field}: {bad.message}")
    body = exports.to_xlsx([sheet]) if fmt == "xlsx" else exports.to_csv(sheet)
    return _download(body, fmt, "考评排名" + _when(as_of), "standings" + _when(as_of))


@router.get("/units/{code}/score.{fmt}")
def unit_download(request: Request, who: Who, code: str, fmt: str,
                  as_of: str | None = None) -> Response:
    from kaoping.api import exports

    code = code.upper()
    if fmt not in ("xlsx", "csv"):
        return problem(request, who, 404, "未找到", f"没有 {fmt} 格式的下载。")
    registry = _ledger(request).registry()
    refused = unit_refusal(request, who, code, registry)
    if refused is not None:
        return refused
    as_of = (as_of or "").strip() or None
    try:
        sheet = exports.unit_sheet(_ledger(request), code, as_of=as_of)
    except e.InvalidCommand as bad:
        return problem(request, who, 422, "参数有误", f"{bad.field}: {bad.message}")
    body = exports.to_xlsx([sheet]) if fmt == "xlsx" else exports.to_csv(sheet)
    name = registry.units[code].name
    return _download(body, fmt, f"{code}-{name}-得分{_when(as_of)}", f"{code}-score{_when(as_of)}")


def payload_text(payload: Any) -> str:
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":"))


templates.env.filters["payload"] = payload_text

__all__ = ["SignInRequired", "install_state", "router", "sign_in_redirect"]
