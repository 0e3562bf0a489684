"""What one big `POST /v1/commands` costs the server in memory (issue 17, item 2).

Starts `kaoping serve` on a scratch SQLite ledger on 127.0.0.1, sends bodies of `--mb` megabytes
(a JSON array of one command repeated) with `Bearer nonsense` and with a valid office token, and
prints the server's resident memory before and its peak after each (VmRSS, VmHWM from /proc), with
the status answered. Loopback only; one request each; the server is stopped at the end.

    .venv/bin/python scripts/body_rss.py --mb 53
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

KAOPING = Path(sys.executable).with_name("kaoping")


def memory(pid: int) -> dict[str, int]:
    """VmRSS and VmHWM of the process, in MB."""
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            fields[name] = int(value.split()[0]) // 1024
    return fields


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def post(port: int, token: str, megabytes: int) -> tuple[int, str]:
    command = json.dumps({"id": "x", "type": "common.scored", "unit": "D03", "indicator": "C02",
                          "score": 80}).encode()
    chunk = (command + b",") * (1024 * 1024 // (len(command) + 1))
    count = max(1, megabytes * 1024 * 1024 // len(chunk))
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
    connection.putrequest("POST", "/v1/commands")
    connection.putheader("Authorization", f"Bearer {token}")
    connection.putheader("Content-Type", "application/json")
    connection.putheader("Transfer-Encoding", "chunked")
    connection.endheaders()
    try:
        for n in range(count):
            piece = (b"[" if n == 0 else b"") + chunk
            connection.send(b"%x\r\n%s\r\n" % (len(piece), piece))
        end = command + b"]"
        connection.send(b"%x\r\n%s\r\n0\r\n\r\n" % (len(end), end))
    except (BrokenPipeError, ConnectionResetError):
        pass  # the server answered and closed before the body ended: read what it said
    response = connection.getresponse()
    return response.status, response.read(300).decode("utf-8", "replace")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mb", type=int, default=53)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="kaoping-rss-") as work:
        env = {**os.environ, "KAOPING_DATABASE_URL": f"sqlite:///{work}/rss.db",
               "KAOPING_SIGNING_KEY": f"{work}/key"}
        subprocess.run([str(KAOPING), "init"], env=env, check=True, capture_output=True)
        made = subprocess.run([str(KAOPING), "token", "create", "--actor", "rss", "--role", "office"],
                              env=env, check=True, capture_output=True, text=True)
        token = made.stdout.strip().splitlines()[-1]
        port = free_port()
        server = subprocess.Popen([str(KAOPING), "serve", "--port", str(port)], env=env,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            for _ in range(100):
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=1).close()
                    break
                except OSError:
                    time.sleep(0.2)
            for label, bearer in (("Bearer nonsense", "nonsense"), ("office token", token)):
                before = memory(server.pid)["VmRSS"]
                status, text = post(port, bearer, args.mb)
                after = memory(server.pid)
                print(f"{args.mb} MB body, {label}: {status}; RSS {before} MB before, "
                      f"peak {after['VmHWM']} MB, {after['VmRSS']} MB after; {text[:120]!r}")
        finally:
            server.terminate()
            server.wait(timeout=30)


if __name__ == "__main__":
    main()
