"""The web pages of `kaoping serve`: Chinese, server-rendered HTML beside the JSON API, one room
per page (`signin`, `standings`, `units`, `downloads`, `desk`: disputes, 公示, comparisons), sharing `visitors` (who asks) and `render`."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from . import desk, downloads, signin, standings, units
from .sessions import SessionStore
from .visitors import SignInRequired

STATIC = Path(__file__).parent / "static"


def mount(app: FastAPI) -> None:
    """Add the pages, their static files and their session store to the API's app."""
    app.state.web_sessions = SessionStore()
    for room in (signin, standings, units, downloads, desk):
        app.include_router(room.router)
    app.mount("/static", StaticFiles(directory=str(STATIC)), name="static")
    app.add_exception_handler(SignInRequired, signin.sign_in_redirect)  # type: ignore[arg-type]


__all__ = ["mount"]
