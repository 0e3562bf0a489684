"""The documents a clone stands on (`docs/scheme.md`, `docs/commands.md`, the README): every link
resolves inside the repository, nothing points at the specification folder beside the project
(a clone does not have it), every scheme key the rules page names is a key of the scheme, and the
commands page names every CLI command and every HTTP path the code serves."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import typer

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
SCHEME = json.loads((ROOT / "domain" / "data" / "scheme-2018.json").read_text(encoding="utf-8"))
#: a path into the folder beside the project that held the specification
OUTSIDE = re.compile(r"\.\./shared|\bshared/(?:spec|vectors|notes)\b")


def _tracked() -> list[Path]:
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    # the files git tracks and those it would (untracked, not ignored): what a clone gets
    names = subprocess.run(["git", "-C", str(ROOT), "ls-files", "--cached", "--others",
                            "--exclude-standard"], capture_output=True, text=True,
                           check=True).stdout.splitlines()
    return [ROOT / name for name in names]


def test_no_file_points_outside_the_repository() -> None:
    found = []
    for path in _tracked():
        try:
            text = path.read_text(encoding="utf-8")
        except (UnicodeDecodeError, FileNotFoundError, IsADirectoryError):
            continue
        found += [f"{path.relative_to(ROOT)}:{n}" for n, line in enumerate(text.splitlines(), 1)
                  if OUTSIDE.search(line)]
    assert found == []


@pytest.mark.parametrize("page", ["README.md", "docs/scheme.md", "docs/commands.md"])
def test_every_relative_link_resolves(page: str) -> None:
    path = ROOT / page
    links = re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", path.read_text(encoding="utf-8"))
    local = [link for link in links if not re.match(r"[a-z]+:", link)]
    assert [link for link in local if not (path.parent / link).exists()] == []
    if page == "README.md":
        assert {"docs/scheme.md", "docs/commands.md"} <= set(local)


def test_the_scheme_keys_the_rules_page_names_exist() -> None:
    from kaoping.domain.commands import COMMAND_TYPES

    text = (DOCS / "scheme.md").read_text(encoding="utf-8")
    named = set(re.findall(r"`([a-z_]+(?:\.[a-z_0-9]+)+)`", text)) - set(COMMAND_TYPES)
    keys = [key for key in named if key.split(".")[0] in SCHEME]
    assert len(keys) >= 20

    def resolves(key: str) -> bool:
        node = SCHEME
        for part in key.split("."):
            if not isinstance(node, dict) or part not in node:
                return False
            node = node[part]
        return True

    assert sorted(key for key in keys if not resolves(key)) == []


def test_the_commands_page_names_every_cli_command() -> None:
    from kaoping.api.cli import app

    text = (DOCS / "commands.md").read_text(encoding="utf-8")
    paths = []

    def walk(command, prefix: str) -> None:
        for name, sub in getattr(command, "commands", {}).items():
            path = f"{prefix}{name}"
            if getattr(sub, "commands", None):
                walk(sub, path + " ")  # a group: its subcommands are what is run
            else:
                paths.append(path)

    walk(typer.main.get_command(app), "")
    assert len(paths) > 25
    missing = [p for p in paths if not re.search(r"`(?:kaoping )?" + re.escape(p) + r"[ `]", text)]
    assert missing == []


def test_the_commands_page_names_every_http_path() -> None:
    from kaoping.api.http import create_app

    def shape(path: str) -> str:
        return re.sub(r"\{[^}]*\}", "{}", path.replace(".{fmt}", ".{xlsx,csv}"))

    text = shape((DOCS / "commands.md").read_text(encoding="utf-8"))
    served = {shape(path) for path in create_app().openapi()["paths"]}
    assert len(served) > 15
    assert sorted(p for p in served if f"`{p}" not in text and f" {p}`" not in text
                  and f" {p}?" not in text) == []
