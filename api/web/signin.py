"""Signing in with a bearer token, and out: a session cookie that holds only a random id."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from kaoping.domain import policy

from .render import CSRF_REFUSED, problem, render
from .sessions import COOKIE
from .visitors import SignInRequired, Who, cross_site, forged, services_of, sessions_of

router = APIRouter(include_in_schema=False)

SIGN_IN_REASONS = {"revoked": "令牌已被撤销，会话已结束，请用有效令牌重新登录。",
                   "expired": "会话已过期，请重新登录。", "signed_out": "已退出登录。"}


def sign_in_redirect(_: Request, error: SignInRequired) -> Response:
    target = "/signin?next=" + quote(error.path, safe="")
    if error.reason:
        target += f"&reason={error.reason}"
    response = RedirectResponse(target, status_code=303)
    if error.reason:
        response.delete_cookie(COOKIE, path="/")
    return response


def _safe_next(target: str | None) -> str:
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


@router.get("/signin", response_class=HTMLResponse)
def sign_in_form(request: Request, next: str | None = None, reason: str | None = None) -> Response:
    if reason is None and sessions_of(request).get(request.cookies.get(COOKIE)) is not None:
        return RedirectResponse(_safe_next(next), status_code=303)
    return render(request, "signin.html", None, next=_safe_next(next),
                  notice=SIGN_IN_REASONS.get(reason or ""))


@router.post("/signin", response_class=HTMLResponse)
def sign_in(request: Request, token: Annotated[str, Form()] = "",
            next: Annotated[str, Form()] = "/") -> Response:
    store = sessions_of(request)
    if cross_site(request):
        return problem(request, None, 403, "请求被拒绝", "不接受来自其他网站的登录表单。")
    principal = services_of(request).ledger.principal_for(token.strip()) if token.strip() else None
    if principal is None:
        return render(request, "signin.html", None, 401, next=_safe_next(next),
                      error="令牌无效或已被撤销。")
    if not policy.may(principal, "standings"):  # a calendar application's token reads its calendar only
        return render(request, "signin.html", None, 403, next=_safe_next(next),
                      error="日历订阅令牌只用于在日历软件里订阅本单位的节点日历，不能登录网页。")
    store.drop(request.cookies.get(COOKIE))  # a new id at every sign-in: no session fixation
    session = store.create(token.strip())
    target = _safe_next(next)
    response = RedirectResponse(policy.landing(principal) if target == "/" else target, status_code=303)
    response.set_cookie(COOKIE, session.id, path="/", httponly=True, samesite="strict",
                        secure=request.url.scheme == "https")
    return response


@router.post("/signout")
def sign_out(request: Request, who: Who, csrf: Annotated[str, Form()] = "") -> Response:
    if forged(request, who, csrf):
        return problem(request, who, 403, "请求被拒绝", CSRF_REFUSED)
    sessions_of(request).drop(who.session.id)
    response = RedirectResponse("/signin?reason=signed_out", status_code=303)
    response.delete_cookie(COOKIE, path="/")
    return response
