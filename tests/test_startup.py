"""Many processes starting on one fresh database at once (a service manager restarting every
worker, CLI commands run side by side): each creates the tables it needs, and all succeed."""

from __future__ import annotations

import multiprocessing
import os
from typing import Any

import pytest

from conftest import scratch_database

STARTS = 8


def _start(url: str, key: str, barrier: Any, failures: Any) -> None:
    from kaoping.api.bootstrap import bootstrap
    from kaoping.ledger.settings import Settings

    os.environ["KAOPING_SIGNING_KEY"] = key
    barrier.wait()
    try:
        services = bootstrap(Settings(database_url=url))
        try:
            services.projection.view.position()
        finally:
            services.close()
    except Exception as error:  # noqa: BLE001 - the test reports every failed start
        failures.put(f"{type(error).__name__}: {error}")


def _start_at_once(url: str, tmp_path: Any) -> list[str]:
    # separate processes, as separate CLI runs, forked from a server that has imported the app once
    # (spawning each would import it eight times over: the start-up race is in `bootstrap`, after
    # the barrier, and not in the imports)
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["kaoping.api.bootstrap", "kaoping.ledger.settings"])
    barrier, failures = context.Barrier(STARTS), context.Queue()
    starts = [context.Process(target=_start, args=(url, str(tmp_path / "key"), barrier, failures))
              for _ in range(STARTS)]
    for process in starts:
        process.start()
    for process in starts:
        process.join()
    found = []
    while not failures.empty():
        found.append(failures.get())
    assert all(p.exitcode == 0 for p in starts)
    return found


def test_simultaneous_starts_on_a_fresh_database_all_succeed(database_url: str, tmp_path: Any) -> None:
    assert _start_at_once(database_url, tmp_path) == []


def test_simultaneous_starts_in_a_fresh_schema_all_succeed(postgres_admin: str, tmp_path: Any) -> None:
    with scratch_database(postgres_admin) as url:
        assert _start_at_once(f"{url}?schema=county_2018", tmp_path) == []
