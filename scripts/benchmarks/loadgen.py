"""HTTP load generator, a process of its own: `python -m scripts.benchmarks.loadgen CONFIG.json`.

CONFIG: {"base_url", "token", "shared": [commands posted first, in one untimed batch],
"clients": [[commands of client 0 in order], ...], "duration": s, "warmup": requests per client,
"floor_seconds": s of GET /healthz afterwards (default 3)}.
Each client is one connection sending its commands in order, one command per request, waiting for
each answer. Prints `START` and `END` around the timed part (the runner samples the server's CPU
there), then the result as one JSON line. Uses aiohttp when installed (the `bench` extra), else httpx.
"""

from __future__ import annotations

import asyncio
import json
import os
import resource
import sys
import time
from typing import Any


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


class _Client:
    """The smallest common surface of aiohttp and httpx: post bytes, get (status, text)."""

    def __init__(self, base_url: str, token: str, connections: int):
        self.url = base_url.rstrip("/") + "/v1/commands"
        self.headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        self.connections = connections
        self.library = os.environ.get("KAOPING_BENCH_HTTP_CLIENT", "")
        if not self.library:
            try:
                import aiohttp  # noqa: F401

                self.library = "aiohttp"
            except ImportError:
                self.library = "httpx"

    async def __aenter__(self) -> _Client:
        if self.library == "aiohttp":
            import aiohttp

            self.session: Any = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self.connections),
                timeout=aiohttp.ClientTimeout(total=120))
        else:
            import httpx

            self.session = httpx.AsyncClient(
                limits=httpx.Limits(max_connections=self.connections,
                                    max_keepalive_connections=self.connections), timeout=120)
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self.library == "aiohttp":
            await self.session.close()
        else:
            await self.session.aclose()

    async def get(self, path: str) -> int:
        url = self.url.removesuffix("/v1/commands") + path
        if self.library == "aiohttp":
            async with self.session.get(url) as response:
                await response.read()
                return int(response.status)
        response = await self.session.get(url)
        return int(response.status_code)

    async def post(self, body: bytes) -> tuple[int, str]:
        if self.library == "aiohttp":
            async with self.session.post(self.url, data=body, headers=self.headers) as response:
                return response.status, await response.text()
        response = await self.session.post(self.url, content=body, headers=self.headers)
        return response.status_code, response.text


async def run(config: dict[str, Any]) -> dict[str, Any]:
    bodies = [[json.dumps([cmd], ensure_ascii=False).encode() for cmd in commands]
              for commands in config["clients"]]
    warmup, duration = int(config.get("warmup", 2)), float(config["duration"])
    errors: list[str] = []
    error_count = 0
    latencies: list[float] = []

    async with _Client(config["base_url"], config["token"], len(bodies)) as client:
        if config.get("shared"):
            status, text = await client.post(json.dumps(config["shared"], ensure_ascii=False).encode())
            if status != 201:
                raise SystemExit(f"setup batch refused: {status} {text[:500]}")

        async def send(body: bytes, record: bool) -> None:
            nonlocal error_count
            started = time.perf_counter()
            try:
                status, text = await client.post(body)
            except Exception as error:  # noqa: BLE001 - every failure is counted and shown
                status, text = -1, f"{type(error).__name__}: {error}"
            if record:
                latencies.append(time.perf_counter() - started)
            if status != 201:
                error_count += 1
                if len(errors) < 5:
                    errors.append(f"{status} {text[:300]}")

        async def warm(mine: list[bytes]) -> None:
            for body in mine[:warmup]:
                await send(body, False)

        await asyncio.gather(*(warm(mine) for mine in bodies))
        warm_errors = error_count
        print("START", flush=True)
        cpu0, started = _cpu(), time.perf_counter()
        deadline = started + duration
        exhausted = 0

        async def timed(mine: list[bytes]) -> None:
            nonlocal exhausted
            for body in mine[warmup:]:
                if time.perf_counter() >= deadline:
                    return
                await send(body, True)
            exhausted += 1

        await asyncio.gather(*(timed(mine) for mine in bodies))
        elapsed = time.perf_counter() - started
        cpu = _cpu() - cpu0
        print("END", flush=True)

        # the HTTP stack's own ceiling on this machine: the same clients on GET /healthz, which
        # does nothing. Appends can't be faster than this, whatever the database does.
        floor_requests = 0
        floor_deadline = time.perf_counter() + float(config.get("floor_seconds", 3.0))

        async def floor() -> None:
            nonlocal floor_requests
            while time.perf_counter() < floor_deadline:
                if await client.get("/healthz") == 200:
                    floor_requests += 1

        floor_started = time.perf_counter()
        await asyncio.gather(*(floor() for _ in bodies))
        floor_rate = floor_requests / (time.perf_counter() - floor_started)
    return {"floor_rate": floor_rate, "library": client.library, "clients": len(bodies), "requests": len(latencies),
            "seconds": elapsed, "rate": len(latencies) / elapsed if elapsed else 0.0,
            "errors": error_count, "warmup_errors": warm_errors, "first_errors": errors,
            "latencies": latencies, "cpu_seconds": cpu, "cpu_percent": 100 * cpu / elapsed,
            "clients_exhausted": exhausted}


def main() -> None:
    with open(sys.argv[1], encoding="utf-8") as source:
        config = json.load(source)
    result = asyncio.run(run(config))
    sys.stdout.write(json.dumps(result) + "\n")


if __name__ == "__main__":
    main()
