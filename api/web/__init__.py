"""The web pages of `kaoping serve`: Chinese, server-rendered HTML beside the JSON API."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from .pages import SignInRequired, install_state, router, sign_in_redirect

STATIC = Path(__file__).parent / "static"


def mount(app: FastAPI) -> None:
    """Add the pages, their static files and their session state to the API's app."""
    install_state(app)
    app.include_router(router)
    app.mount("/static", StaticFiles(directory=str(STATIC)), name="static")
    app.add_exception_handler(SignInRequired, sign_in_redirect)


__all__ = ["mount"]
