"""The house's layout, checked: no import cycle anywhere (imports inside functions count too: a
cycle hidden behind a late import is still a cycle), and imports point inward, domain ← ledger ←
projections ← api, with a pure domain."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
#: the installed package name of each top-level folder (pyproject.toml's package-dir)
PACKAGES = {"domain": "kaoping.domain", "ledger": "kaoping.ledger", "projections": "kaoping.projections",
            "api": "kaoping.api", "demo": "kaoping.demo"}
#: what each layer may import of the others
ALLOWED = {"kaoping.domain": set(),
           "kaoping.demo": {"kaoping.domain"},
           "kaoping.ledger": {"kaoping.domain"},
           "kaoping.projections": {"kaoping.domain", "kaoping.ledger"},
           "kaoping.api": {"kaoping.domain", "kaoping.ledger", "kaoping.projections", "kaoping.demo"}}


def _modules() -> dict[str, Path]:
    found = {}
    for folder, package in PACKAGES.items():
        for path in sorted((ROOT / folder).rglob("*.py")):
            parts = path.relative_to(ROOT / folder).with_suffix("").parts
            if parts[-1] == "__init__":
                parts = parts[:-1]
            found[".".join((package, *parts))] = path
    return found


def _imports(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    is_package = path.name == "__init__.py"
    targets = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = name.split(".") if is_package else name.split(".")[:-1]
                anchor = anchor[:len(anchor) - (node.level - 1)]
                base = ".".join(anchor + ([base] if base else []))
            targets.add(base)
            targets |= {f"{base}.{alias.name}" for alias in node.names}
    return {t for t in targets if t in modules and t != name}


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    return {name: _imports(name, path, modules) for name, path in modules.items()}


def _layer(module: str) -> str:
    return ".".join(module.split(".")[:2])


def test_no_module_imports_itself_through_others() -> None:
    graph = _graph()
    cycles = []

    def visit(node: str, path: list[str], on_path: set[str], done: set[str]) -> None:
        for target in sorted(graph[node]):
            # a package's __init__ importing its own submodules is how a package is assembled
            if target.startswith(node + "."):
                continue
            if target in on_path:
                cycles.append(path[path.index(target):] + [target])
            elif target not in done:
                visit(target, path + [target], on_path | {target}, done)
        done.add(node)

    done: set[str] = set()
    for start in sorted(graph):
        if start not in done:
            visit(start, [start], {start}, done)
    assert cycles == []


def test_imports_point_inward() -> None:
    wrong = sorted((module, target) for module, targets in _graph().items() for target in targets
                   if _layer(target) != _layer(module)
                   and _layer(target) not in ALLOWED[_layer(module)])
    assert wrong == []


def test_the_domain_does_no_io() -> None:
    impure = {"sqlite3", "psycopg", "eventsourcing.postgres", "eventsourcing.sqlite", "fastapi",
              "httpx", "socket", "subprocess", "os", "time"}
    found = []
    for path in sorted((ROOT / "domain").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) and not node.level
                     else [])
            found += [(path.name, n) for n in names if n.split(".")[0] in impure or n in impure]
    assert found == []


def _door() -> set[str]:
    """What `Ledger` declares as its door: its public methods and properties, and its settings and
    clock; not its rooms (the `Rooms` the composition root hands it)."""
    from dataclasses import fields

    from kaoping.ledger.application import Ledger, Rooms

    rooms = {f.name for f in fields(Rooms)} | {"recorder"}
    return {name for name in vars(Ledger) if not name.startswith("_")} | {"settings", "clock"} - rooms


def test_callers_outside_the_ledger_use_its_door_only() -> None:
    """api/, projections/ and demo/ use the ledger's door and never reach into a room
    (`ledger.notary.…`, `services.ledger.log.…`); the composition root wires the rooms."""
    door, past = _door(), []
    for folder in ("api", "projections", "demo"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            if path == ROOT / "api" / "bootstrap.py":
                continue
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if not isinstance(node, ast.Attribute):
                    continue
                holder = node.value
                is_ledger = (isinstance(holder, ast.Name) and holder.id == "ledger") or \
                            (isinstance(holder, ast.Attribute) and holder.attr == "ledger")
                if is_ledger and node.attr not in door:
                    past.append(f"{path.relative_to(ROOT)}:{node.lineno}: ledger.{node.attr}")
    assert past == []
