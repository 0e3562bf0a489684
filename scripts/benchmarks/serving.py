"""A real `kaoping serve` on a free port, for the bench steps that measure through HTTP and for the
tests that drive the product as a user would (tests/test_http_e2e.py re-exports it): one home, and
the bench never imports the test suite (which needs pytest's conftest on its path)."""

from __future__ import annotations

import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from .cli import command


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def serving(db: str, log_path: Path, *, timeout: float, server: str = "uvicorn") -> Iterator[str]:
    """A real `kaoping serve --server SERVER` on a free port, once it answers /healthz; yields its
    base URL."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with log_path.open("w") as log:
        process = subprocess.Popen([*command(), "serve", "--host", "127.0.0.1", "--port", str(port),
                                    "--server", server, "--db", db], stdout=log, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + timeout
            # one client for every poll: each new client builds a TLS context (reads the CA bundle,
            # ~0.1 s of CPU here), which polling ten times a second made the costliest part of a start
            with httpx.Client(timeout=1, trust_env=False) as poll:
                while True:
                    assert process.poll() is None, log_path.read_text()
                    try:
                        if poll.get(f"{base}/healthz").status_code == 200:
                            break
                    except httpx.TransportError:
                        pass
                    assert time.monotonic() < deadline, \
                        f"kaoping serve did not answer /healthz within {timeout:.0f} s"
                    time.sleep(0.1)
            yield base
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
