"""The documents a clone stands on (`docs/scheme.md`, `docs/commands.md`, the README): every link
resolves inside the repository, nothing points at the specification folder beside the project
(a clone does not have it), every scheme key the rules page names is a key of the scheme, and the
commands page names every CLI command and every HTTP path the code serves; the README's layout table
names every module of the package, grouped as the folders are; and no file cites a document the
repository lacks (the specification's files: what they say lives in docs/)."""

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


#: scheme keys the rules page promises that the scheme data does not hold yet (sections marked
#: 建设中): each must still be missing, so that whoever adds it to the data also drops it here
PLANNED: dict[str, str] = {}


def test_the_scheme_keys_the_rules_page_names_exist() -> None:
    from kaoping.domain.commands import COMMAND_TYPES

    text = (DOCS / "scheme.md").read_text(encoding="utf-8")
    named = set(re.findall(r"`([a-z_]+(?:\.[a-z_0-9]+)+)`", text)) - set(COMMAND_TYPES)
    keys = [key for key in named if key.split(".")[0] in SCHEME or key in PLANNED]
    assert len(keys) >= 20

    def resolves(key: str) -> bool:
        node = SCHEME
        for part in key.split("."):
            if not isinstance(node, dict) or part not in node:
                return False
            node = node[part]
        return True

    assert sorted(key for key in keys if not resolves(key)) == sorted(PLANNED)


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


#: a document name in the text: `docs/commands.md`, `README.md`, `../README.md`
MD_NAME = re.compile(r"[\w./-]*\w\.md\b")
#: the specification's documents by their short names, which the repository does not hold: what they
#: say lives in docs/commands.md and docs/scheme.md, and that is what code and docs cite
SPEC_NAMES = re.compile(r"\b(?:SCHEME|plan)-2018\b")
#: documents outside the repository that may be named, each with why (none yet: an RFC, a C2SP
#: specification or a library's page is cited by its number or name, not by a file name)
OUTSIDE_DOCUMENTS: dict[str, str] = {}


def _texts() -> list[tuple[Path, str]]:
    found = []
    for path in _tracked():
        if path.suffix not in (".py", ".md", ".html") or not path.is_file():
            continue
        found.append((path, path.read_text(encoding="utf-8")))
    return found


def test_no_file_cites_a_document_the_repository_lacks() -> None:
    files = {path.relative_to(ROOT).as_posix() for path in _tracked() if path.is_file()}
    basenames = {name.rsplit("/", 1)[-1] for name in files}

    def exists(name: str, cited_in: Path) -> bool:
        if "/" not in name:  # a bare name: a document of that name somewhere in the repository
            return name in basenames
        return (cited_in.parent / name).resolve().is_file() or (ROOT / name).resolve().is_file()

    missing, named = [], set()
    for path, text in _texts():
        for number, line in enumerate(text.splitlines(), 1):
            where = f"{path.relative_to(ROOT)}:{number}"
            names = MD_NAME.findall(line)
            named |= set(names)
            missing += [f"{where}: {name}" for name in names
                        if name not in OUTSIDE_DOCUMENTS and not exists(name, path)]
            missing += [f"{where}: {m.group()}" for m in SPEC_NAMES.finditer(line)]
    assert missing == []
    # an exception nobody needs any more goes, so that the list stays a list of reasons
    assert sorted(set(OUTSIDE_DOCUMENTS) - named) == []


#: the folders whose modules the README's layout table lists
PACKAGES = ("domain", "ledger", "projections", "api", "demo")


def _layout_names() -> set[str]:
    """The modules and packages the README's layout table names, as paths: a bold row opens a
    folder (`**`ledger/`**`), a row whose first cell is a sub-folder (`rules/`) names the modules in
    it, any other row names the modules of its first cell within the open folder."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text[text.index("## Layout"):]
    section = section[:section.index("\n## ", 1)]
    named, folder = set(), ""
    for row in (line for line in section.splitlines() if line.startswith("| ")):
        cells = row.strip("|").split(" | ")
        first = cells[0]
        top = re.fullmatch(r"\s*\*\*`(\w+)/`\*\*.*", first)
        if top:
            folder = top.group(1)
            if folder in PACKAGES:
                named.add(f"{folder}/__init__.py")
            continue
        sub = re.fullmatch(r"\s*`(\w+)/`\s*", first)
        if sub:
            inner = f"{folder}/{sub.group(1)}"
            named.add(f"{inner}/__init__.py")
            named |= {f"{inner}/{name}" for name in re.findall(r"`(\w+\.py)`", row)}
        else:
            named |= {f"{folder}/{name}" for name in re.findall(r"`(\w+\.py)`", first)}
    return named


def test_the_readme_layout_names_every_module() -> None:
    modules = {path.relative_to(ROOT).as_posix() for path in _tracked()
               if path.suffix == ".py" and path.parts[len(ROOT.parts)] in PACKAGES and path.is_file()}
    assert len(modules) > 100
    named = _layout_names()
    assert sorted(modules - named) == []  # a module the table leaves out
    assert sorted(named - modules) == []  # a row for a module that is not there (renamed, removed)


def test_the_roles_section_states_the_policy_table() -> None:
    """docs/commands.md §9 is the policy table in words: every action of `ACTIONS` and every command
    type of `RECORD` is named there, so a new action or command cannot go undocumented."""
    from kaoping.domain import policy

    text = (DOCS / "commands.md").read_text(encoding="utf-8")
    section = text[text.index("## 9. 角色与权限"):text.index("## 10. ")]
    named = set(re.findall(r"`([a-z_.]+)`", section))
    assert sorted(set(policy.ACTIONS) - named) == []
    assert sorted(set(policy.RECORD) - named) == []
    assert sorted(set(policy.EVERY_ROLE) - named) == []
