"""Per-request time bounds for heavy reads, and work that stops when its caller goes (issue 17,
item 3).

A `Budget` is a deadline and a cancel flag for one request. The HTTP layer sets the request's
budget in a context variable (`applied`), which FastAPI's worker threads inherit; the readers'
heavy loops (replay, scoring many units, history, the explained replay) call `check()` once per
turn, which raises `TimeLimitExceeded` past the deadline and `ReadCancelled` once the caller has
disconnected. The check is cooperative on purpose: cancelling the asyncio task that waits for a
worker thread does not stop the thread, an exception raised in its own loop does. Outside a
request (the CLI, tests) there is no budget and `check()` costs a context-variable read.
"""

from __future__ import annotations

import functools
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, TypeVar

from kaoping.domain.errors import ReadCancelled, TimeLimitExceeded

F = TypeVar("F", bound=Callable[..., Any])
T = TypeVar("T")
_current: ContextVar[Budget | None] = ContextVar("kaoping_budget", default=None)


class Budget:
    def __init__(self, seconds: float | None, *, clock: Callable[[], float] = time.monotonic):
        self.seconds, self.clock = seconds, clock
        self.deadline = None if seconds is None else clock() + seconds
        self.gone = threading.Event()
        #: how many times a loop checked: a test tells a stopped loop from one that ran on
        self.checks = 0

    def cancel(self) -> None:
        """The caller went away: the next check stops the work."""
        self.gone.set()

    def check(self) -> None:
        self.checks += 1
        if self.gone.is_set():
            raise ReadCancelled("read.cancelled")
        if self.deadline is not None and self.clock() >= self.deadline:
            raise TimeLimitExceeded("read.time_limit", seconds=f"{self.seconds:g}")


def check() -> None:
    """Stop here if the current request's budget is spent or its caller gone (no-op outside one)."""
    budget = _current.get()
    if budget is not None:
        budget.check()


@contextmanager
def applied(budget: Budget) -> Iterator[Budget]:
    token = _current.set(budget)
    try:
        yield budget
    finally:
        _current.reset(token)


def remaining() -> float | None:
    """Seconds left of the current request's budget (None: no bound, or outside a request)."""
    budget = _current.get()
    if budget is None or budget.deadline is None:
        return None
    return max(0.0, budget.deadline - budget.clock())


def checking(items: Iterable[T], every: int = 1000) -> Iterator[T]:
    """`items`, the current request's budget checked every `every` of them."""
    for index, item in enumerate(items):
        if index % every == 0:
            check()
        yield item


class Checked(list):  # type: ignore[type-arg]
    """A list whose every walk checks the current request's budget as it goes: handed to a pure
    loop (the domain's chain walk) that knows nothing of budgets."""

    def __iter__(self) -> Iterator[Any]:
        return checking(list.__iter__(self))


def unbounded(func: F) -> F:
    """`func` runs outside any request's budget: shared upkeep a reader triggers (the read model
    catching up, which commits what other requests then read) is not stopped halfway for the
    request that happened to trigger it."""
    @functools.wraps(func)
    def call(*args: Any, **kwargs: Any) -> Any:
        token = _current.set(None)
        try:
            return func(*args, **kwargs)
        finally:
            _current.reset(token)
    return call  # type: ignore[return-value]


__all__ = ["Budget", "Checked", "applied", "check", "checking", "remaining", "unbounded"]
