"""Screenshots of the pages people read, for a release note: records the demo year into a new SQLite
ledger in a temporary folder with a `kaoping` command line, serves it with `kaoping serve`, signs in
with an auditor token and takes, with Debian's headless Chromium through Playwright:

    standings.png              the annual standings (1280 px wide, the whole page)
    standings-2018-07-31.png   the same as of 2018-07-31, mid-year
    unit-D03.png               the unit page of D03 down to its score tree, one branch opened
    history-D03.png            the unit page's history section (#history), 1280 px
    history-D03-390.png        the same on a phone, 390 px
    replay-D03.png             the replay chart section (#replay)
    replay-D03-point.png       the same with a point in the middle hovered or tapped

    .venv/bin/python scripts/screenshots.py --out DIR [--kaoping PATH/TO/kaoping] [--unit D03]

--kaoping defaults to the one beside this Python, so another checkout's command line (its own
venv's bin/kaoping) can be driven by this script, to take the same pictures before and after a
change. It needs only the standard library and Playwright (a test dependency); it is not a test.
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

#: Debian's headless shell where installed (as the browser tests take it, tests/test_web_browser.py),
#: else the full browser: the same pictures
CHROMIUM = next((path for path in ("/usr/bin/chromium-headless-shell", "/usr/bin/chromium")
                 if os.path.exists(path)), "/usr/bin/chromium-headless-shell")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run", "--disable-sync"]
DESKTOP = {"viewport": {"width": 1280, "height": 900}, "locale": "zh-CN"}
PHONE = {"viewport": {"width": 390, "height": 844}, "locale": "zh-CN", "device_scale_factor": 2,
         "is_mobile": True}


def run(kaoping: str, env: dict[str, str], *args: str) -> str:
    result = subprocess.run([kaoping, *args], capture_output=True, text=True, timeout=600, env=env)
    if result.returncode != 0:
        sys.exit(f"kaoping {' '.join(args)} failed:\n{result.stderr}")
    return result.stdout


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for(base: str, server: subprocess.Popen[bytes], log: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while True:
        if server.poll() is not None:
            sys.exit(f"kaoping serve stopped:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(f"{base}/healthz", timeout=1) as answer:
                if answer.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        if time.monotonic() > deadline:
            sys.exit(f"kaoping serve did not answer /healthz within {timeout:.0f} s")
        time.sleep(0.2)


def sign_in(page: Any, base: str, token: str) -> None:
    page.goto(base + "/signin")
    page.fill("input[name=token]", token)
    page.click("form[action='/signin'] button[type=submit]")
    page.wait_for_url(base + "/")


def open_first_branch(page: Any, depth: int = 5) -> None:
    """Open the tree's root and, under it, the first node of each level down to `depth`."""
    page.evaluate("""(depth) => {
        let node = document.querySelector('#tree details');
        for (let level = 0; node && level <= depth; level++) {
            node.open = true;
            node = node.querySelector(':scope > .body > details');
        }
    }""", depth)


def down_to(page: Any, selector: str) -> dict[str, float]:
    """The page from its top down to the bottom of `selector`, for a clipped full-page screenshot."""
    bottom = page.evaluate("(s) => { const r = document.querySelector(s).getBoundingClientRect();"
                           " return r.bottom + window.scrollY; }", selector)
    width = page.evaluate("() => document.documentElement.scrollWidth")
    return {"x": 0, "y": 0, "width": width, "height": bottom + 16}


def shoot(kaoping: str, out: Path, unit: str) -> list[Path]:
    from playwright.sync_api import sync_playwright

    out.mkdir(parents=True, exist_ok=True)
    made: list[Path] = []
    with tempfile.TemporaryDirectory(prefix="kaoping-shots-") as folder:
        tmp = Path(folder)
        env = {**os.environ, "KAOPING_SIGNING_KEY": str(tmp / "demo.signing-key")}
        env.pop("KAOPING_DATABASE_URL", None)
        db = f"sqlite:///{tmp / 'demo.db'}"
        run(kaoping, env, "demo", "--db", db)
        token = run(kaoping, env, "token", "create", "--actor", "审计组", "--role", "auditor",
                    "--db", db).strip().splitlines()[-1]
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        log = tmp / "serve.log"
        with log.open("w") as sink:
            server = subprocess.Popen([kaoping, "serve", "--host", "127.0.0.1", "--port", str(port),
                                       "--db", db], stdout=sink, stderr=subprocess.STDOUT, env=env)
        try:
            wait_for(base, server, log)
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)

                def save(page: Any, name: str, selector: str | None = None, **options: Any) -> None:
                    path = out / name
                    if selector:
                        page.locator(selector).screenshot(path=str(path))
                    else:
                        page.screenshot(path=str(path), **options)
                    made.append(path)

                desktop = browser.new_context(**DESKTOP)
                page = desktop.new_page()
                sign_in(page, base, token)
                save(page, "standings.png", full_page=True)
                page.goto(base + "/?as_of=2018-07-31")
                save(page, "standings-2018-07-31.png", full_page=True)

                page.goto(f"{base}/units/{unit}")
                open_first_branch(page)
                save(page, f"unit-{unit}.png", full_page=True, clip=down_to(page, "#tree"))
                save(page, f"history-{unit}.png", "#history")
                save(page, f"replay-{unit}.png", "#replay")
                points = page.locator("#replay circle.point")
                if points.count():
                    middle = points.nth(points.count() // 2)
                    middle.scroll_into_view_if_needed()
                    box = middle.bounding_box()
                    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
                    groups = page.locator("#replay g.pt")  # a point that takes the focus, where one is
                    if groups.count() == points.count():
                        groups.nth(points.count() // 2).focus()
                    save(page, f"replay-{unit}-point.png", "#replay")
                desktop.close()

                phone = browser.new_context(**PHONE)
                page = phone.new_page()
                sign_in(page, base, token)
                page.goto(f"{base}/units/{unit}#history")
                save(page, f"history-{unit}-390.png", "#history")
                phone.close()
                browser.close()
        finally:
            server.terminate()
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait(timeout=10)
    return made


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", required=True, type=Path, help="folder for the PNG files")
    parser.add_argument("--kaoping", default=str(Path(sys.executable).with_name("kaoping")),
                        help="the kaoping command line to drive (default: the one beside this Python)")
    parser.add_argument("--unit", default="D03", help="the unit whose pages to take (default D03)")
    options = parser.parse_args()
    if not os.path.exists(CHROMIUM):
        sys.exit(f"{CHROMIUM} is not installed (apt-get install chromium-headless-shell fonts-noto-cjk)")
    for path in shoot(os.path.abspath(options.kaoping), options.out, options.unit.upper()):
        print(path)


if __name__ == "__main__":
    main()
