"""The web pages of `kaoping serve`: Chinese, server-rendered HTML beside the JSON API, one room
per page (`signin`, `standings`, `units`, `downloads`, `desk`: disputes, void requests, 公示,
comparisons; `todo`: a unit's 待办; `queue`: the verifier's; `board`: the office's 督办 board; `hooks`: the office's 推送; `imports`: the sheets' upload page), sharing `visitors` (who asks), `render`
and `forms` (every form's CSRF, nonce, batch and refusals)."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from . import ballots, board, desk, downloads, hooks, imports, office, queue, scoring, signin, standings, todo, units
from .render import refused_page
from .sessions import SessionStore
from .visitors import PageRefused, SignInRequired

STATIC = Path(__file__).parent / "static"


def mount(app: FastAPI) -> None:
    """Add the pages, their static files and their session store to the API's app."""
    app.state.web_sessions = SessionStore()
    for room in (signin, standings, units, downloads, desk, todo, queue, board, ballots, scoring, office, hooks,
                 imports):
        app.include_router(room.router)
    app.mount("/static", StaticFiles(directory=str(STATIC)), name="static")
    app.add_exception_handler(SignInRequired, signin.sign_in_redirect)  # type: ignore[arg-type]
    app.add_exception_handler(PageRefused, refused_page)  # type: ignore[arg-type]


__all__ = ["mount"]
