"""domain/policy.py: the one table of who may do and read what. Every route and page of the app
declares an action the table knows; no role is checked anywhere else; the table answers as the
contract's roles say (docs/commands.md §9 "角色与权限")."""

from __future__ import annotations

import ast
import re
import typing
from pathlib import Path

import pytest
from fastapi.routing import APIRoute

from kaoping.api.http import create_app
from kaoping.domain import commands as c
from kaoping.domain import policy
from kaoping.domain.errors import Forbidden, NotFound
from kaoping.domain.principals import ROLES, Principal

ROOT = Path(__file__).resolve().parent.parent

#: routes that act on nothing of the ledger: no token needed (or, for signing out, a session only)
PUBLIC = {("GET", "/healthz"), ("GET", "/signin"), ("POST", "/signin"), ("POST", "/signout"),
          ("GET", "/openapi.json"), ("GET", "/docs"), ("GET", "/redoc"), ("GET", "/docs/oauth2-redirect"),
          ("GET", "/static-offline-docs/{path:path}")}


def principal(role: str, unit: str | None = None) -> Principal:
    scope = {"unit": "D03"} if role == "unit" else {}
    return Principal(actor=f"a-{role}", role=role, unit=unit or scope.get("unit"))


def _routes(routes: typing.Iterable[typing.Any]) -> typing.Iterator[APIRoute]:
    """Every route of the app, those of included routers too (FastAPI includes them lazily)."""
    for route in routes:
        included = getattr(route, "original_router", None)
        if included is not None:
            yield from _routes(included.routes)
        elif isinstance(route, APIRoute):
            yield route


def _declared(route: APIRoute) -> list[str]:
    """The policy actions a route's dependencies declare (`Permit`, `Page`), however deep."""
    found, stack = [], [route.dependant]
    while stack:
        dependant = stack.pop()
        action = getattr(dependant.call, "action", None)
        if action is not None:
            found.append(action)
        stack.extend(dependant.dependencies)
    return found


def test_policy_every_route_and_page_declares_one_known_action() -> None:
    app = create_app()
    undeclared, unknown, routes = [], [], 0
    for route in _routes(app.routes):
        for method in route.methods - {"HEAD"}:
            routes += 1
            actions = _declared(route)
            if (method, route.path) in PUBLIC:
                assert actions == [], (method, route.path)
                continue
            if len(actions) != 1:
                undeclared.append((method, route.path, actions))
            unknown += [(method, route.path, a) for a in actions if a not in policy.ACTIONS]
    assert routes > 30
    assert undeclared == [] and unknown == []


def test_policy_every_action_is_declared_by_some_route() -> None:
    app = create_app()
    used = {a for route in _routes(app.routes) for a in _declared(route)}
    assert set(policy.ACTIONS) == used


ROLE_CHECK = re.compile(r"\.role\s*(==|!=|\bin\b|\bnot in\b)|\brole\s*(==|!=)\s*\"")


def test_policy_no_role_is_checked_outside_the_table() -> None:
    """`.role == …` and kin appear only in the table and in what it hands its scope checks to."""
    allowed = {ROOT / "domain" / "policy.py", ROOT / "domain" / "roles.py"}
    found = []
    for folder in ("api", "ledger", "projections", "domain"):
        for path in sorted((ROOT / folder).rglob("*")):
            if path.suffix not in (".py", ".html") or path in allowed:
                continue
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
                if ROLE_CHECK.search(line) and "task.role" not in line and "cmd.role" not in line:
                    found.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert found == []


def test_policy_records_every_command_type_once() -> None:
    union = typing.get_args(typing.get_args(c.AnyCommand)[0])
    kinds = {typing.get_args(model.model_fields["type"].annotation)[0] for model in union}
    assert set(policy.RECORD) == kinds
    assert all("office" in rule.roles for rule in policy.RECORD.values())


@pytest.mark.parametrize("role", sorted(policy.EVERY_ROLE))
def test_policy_whole_ledger_reads_by_role(role: str) -> None:
    who = principal(role)
    assert policy.may(who, "standings") and policy.may(who, "publications")
    assert policy.may(who, "verify") is (role != "unit")
    assert policy.may(who, "desk") is (role == "office")
    assert policy.may(who, "cosignature.send") is (role in ("office", "auditor"))


@pytest.mark.parametrize("role", sorted(policy.EVERY_ROLE))
def test_policy_a_unit_token_reads_its_own_unit_only(role: str) -> None:
    who = principal(role)
    assert policy.may(who, "unit.read", "D03")
    assert policy.may(who, "unit.read", "d04") is (role != "unit")
    assert policy.may(who, "compare", "D04", "D05") is (role != "unit")
    assert policy.may(who, "compare", "D04", "D03")


def test_policy_a_calendar_token_reads_its_unit_s_calendar_and_nothing_else() -> None:
    calendar = Principal(actor="日历", role="calendar", unit="D03")
    assert set(ROLES) - policy.EVERY_ROLE == {"calendar"}
    assert [a for a in policy.ACTIONS if policy.may(calendar, a, "D03")] == ["calendar"]
    assert not policy.may(calendar, "calendar", "D04")
    assert policy.token_in_url(calendar) and not any(policy.token_in_url(principal(r)) for r in policy.EVERY_ROLE)


def test_policy_refusals_name_their_catalogue_code_and_field() -> None:
    unit = principal("unit")
    with pytest.raises(Forbidden) as refused:
        policy.require(unit, "unit.read", "D04")
    assert (refused.value.code, refused.value.field) == ("unit.own_only", "unit")
    assert "D03" in refused.value.message
    with pytest.raises(Forbidden) as refused:
        policy.require(unit, "verify")
    assert refused.value.code == "verify.not_for_unit"
    with pytest.raises(Forbidden) as refused:
        policy.require(principal("auditor"), "desk")
    assert refused.value.code == "desk.office_only"
    with pytest.raises(NotFound) as hidden:  # another unit's dispute does not exist, to a unit
        policy.require(unit, "dispute.preview", "D04", code="D04-001")
    assert hidden.value.code == "dispute.not_of_caller" and "D04-001" in hidden.value.message


def test_policy_scoped_unit_holds_a_unit_token_to_its_own() -> None:
    assert policy.scoped_unit(principal("unit"), "disputes", None) == "D03"
    assert policy.scoped_unit(principal("auditor"), "disputes", None) is None
    assert policy.scoped_unit(principal("auditor"), "disputes", "D04") == "D04"
    with pytest.raises(Forbidden):
        policy.scoped_unit(principal("unit"), "disputes", "D04")


def test_policy_only_a_unit_files_disputes_on_its_own_pages() -> None:
    assert policy.may(principal("unit"), "dispute.file", "D03")
    assert not policy.may(principal("unit"), "dispute.file", "D04")
    assert not policy.may(principal("office"), "dispute.file", "D03")


def test_policy_may_record_follows_the_table() -> None:
    assert policy.may_record(principal("verifier"), "evidence.verified")
    assert not policy.may_record(principal("verifier"), "checkpoint.reported")
    assert not any(policy.may_record(principal("auditor"), kind) for kind in policy.RECORD)


def test_policy_pages_and_templates_ask_the_table() -> None:
    """No template decides by a role: menus and links ask `may(...)`."""
    templates = sorted((ROOT / "api" / "web" / "templates").glob("*.html"))
    assert templates and not [t.name for t in templates if "principal.role ==" in t.read_text("utf-8")]
    tree = ast.parse((ROOT / "api" / "web" / "render.py").read_text("utf-8"))
    assert any(isinstance(node, ast.Attribute) and node.attr == "may" for node in ast.walk(tree))


def test_policy_every_refusal_of_the_table_is_catalogued() -> None:
    from kaoping.domain.refusals import REFUSALS

    codes = {code for rule in policy.ACTIONS.values() for code in (rule.refusal, rule.scope_refusal)}
    assert codes - set(REFUSALS) == set()
