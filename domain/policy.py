"""Who may do and read what: the one policy table, asked by every HTTP route, web page and command.

Two halves, both data:

- `RECORD`: which roles may record which command type, and how a scoped role is held to its scope
  (a unit records for itself, an assessor for its indicators, a rater as itself over its charge).
  `domain.roles.authorize` checks every command against it on the one write path.
- `ACTIONS`: what a page or an endpoint does, by name (`unit.read`, `proof.inclusion`, `desk`…):
  the roles that may, and how a unit-bound token is limited (`Scope`). Routes and pages declare
  their action (`api.deps.Permit`, `api.web.visitors.Page`); a test walks every route of the app
  and fails on one that declares none.

A refusal names its catalogue code (`domain.refusals`): the same words over HTTP, on a page and on
the command line. docs/commands.md §9 ("角色与权限") is the table in words.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import Enum

from .errors import Forbidden, KaopingError, NotFound
from .labels import ROLE_NAMES
from .principals import ROLES, Principal

#: the roles of people who read the ledger: all but `calendar`, a calendar application's token that
#: reads one unit's calendar and nothing else
EVERY_ROLE = frozenset(ROLES) - {"calendar"}
OFFICE_ONLY = frozenset({"office"})
#: every role but `unit`: what reads the whole ledger (every unit, verify)
WHOLE_LEDGER = EVERY_ROLE - {"unit"}


class Scope(Enum):
    """How an action is limited for a token bound to one unit (the `unit` role)."""

    #: no limit: the action does not concern one unit, or a unit token may do it for any unit
    ANY = "any"
    #: about one unit: a unit token may do it for its own unit only
    OWN_UNIT = "own_unit"
    #: about two units (a comparison): a unit token only when one of them is its own
    OWN_PAIR = "own_pair"
    #: about units: a unit token its own unit only, a leader the units in its charge
    CHARGE = "charge"


@dataclass(frozen=True)
class Action:
    what: str
    roles: frozenset[str]
    scope: Scope = Scope.ANY
    #: the refusal when the role may not (a catalogue code taking `role`)
    refusal: str = "action.role"
    #: the refusal when a unit token asks about another unit (a catalogue code taking `unit`)
    scope_refusal: str = "unit.own_only"
    #: the field the scope refusal names (the request's parameter that named the other unit)
    field: str = "unit"
    #: another unit's thing is, to a unit token, a thing that does not exist (404, not 403)
    hidden: bool = False


#: what each page and endpoint does; a route declares exactly one of these
ACTIONS: dict[str, Action] = {
    # reading the standings and the units
    "units.list": Action("单位名录", EVERY_ROLE),
    "standings": Action("排名", EVERY_ROLE),
    "standings.sheet": Action("排名表下载", EVERY_ROLE),
    "unit.read": Action("单位的得分、历史与回放", EVERY_ROLE, Scope.OWN_UNIT),
    "unit.sheet": Action("单位得分表下载", EVERY_ROLE, Scope.OWN_UNIT),
    "unit.receipt": Action("单位记录的回执下载", EVERY_ROLE, Scope.OWN_UNIT),
    "compare": Action("两个单位的比较", EVERY_ROLE, Scope.OWN_PAIR, scope_refusal="compare.unit_own_only",
                      field="a"),
    # the log outsiders check
    "verify": Action("校验整个账本", WHOLE_LEDGER, refusal="verify.not_for_unit"),
    "checkpoint": Action("检查点", EVERY_ROLE),
    "proof.consistency": Action("一致性证明", EVERY_ROLE),
    "proof.inclusion": Action("包含证明", EVERY_ROLE, Scope.OWN_UNIT, scope_refusal="proof.unit_own_only",
                              field="seq"),
    "witnesses": Action("登记的见证人", EVERY_ROLE),
    "cosignature.send": Action("提交见证签名", frozenset({"auditor", "office"}), refusal="cosignature.role"),
    # publication and appeals
    "publications": Action("公示", EVERY_ROLE),
    "disputes": Action("异议列表", EVERY_ROLE, Scope.OWN_UNIT, scope_refusal="dispute.unit_own_only"),
    "dispute.preview": Action("异议裁决预览", EVERY_ROLE, Scope.OWN_UNIT,
                              scope_refusal="dispute.not_of_caller", field="dispute", hidden=True),
    "desk": Action("异议受理台与裁决", OFFICE_ONLY, refusal="desk.office_only"),
    "dispute.file": Action("对本单位的记录提出异议", frozenset({"unit"}), Scope.OWN_UNIT,
                           refusal="dispute.file_unit_only", scope_refusal="dispute.file_own_unit"),
    # recording: every role may send commands; each command is then held to `RECORD`
    "commands": Action("登记命令", EVERY_ROLE),
    # 督办
    "due": Action("督办：到期事项", EVERY_ROLE, Scope.CHARGE, scope_refusal="due.outside_charge"),
    "board": Action("督办看板与下载", EVERY_ROLE, Scope.CHARGE, scope_refusal="due.outside_charge"),
    "calendar": Action("单位节点日历", EVERY_ROLE | {"calendar"}, Scope.OWN_UNIT),
    # 推送 (docs/commands.md §10.6): the operator's configuration
    "hooks": Action("推送的登记与投递", OFFICE_ONLY, refusal="hooks.office_only"),
    # evidence files (docs/commands.md §10.1): who reads which file is `may_read_file`'s
    "file.upload": Action("上传佐证文件", frozenset({"unit", "office", "verifier", "assessor"}),
                          refusal="file.upload_role"),
    "file.read": Action("读取佐证文件", EVERY_ROLE),
    # the checkpoint loop in the browser
    "todo": Action("本单位待办：报告节点、上传佐证、申请作废", frozenset({"unit"}), Scope.OWN_UNIT,
                   refusal="todo.unit_only"),
    "queue": Action("佐证核验队列", frozenset({"verifier", "office"}), refusal="queue.role"),
    # the other roles' recording in the browser
    "ballots": Action("投票：按比例排序评价", frozenset({"leader", "group_office", "unit"}), refusal="ballots.role"),
    "office": Action("考评办的表单：加减分、任务、关闭轮次、公示", OFFICE_ONLY, refusal="office.only"),
    "accounts": Action("账户：签发和吊销令牌", OFFICE_ONLY, refusal="accounts.office_only"),
    "scoring": Action("考核主体评分：共性指标及其核心指标", frozenset({"assessor", "office"}), refusal="scoring.role"),
    # spreadsheets in (docs/commands.md §10.3): which kinds each role imports is `IMPORT_KINDS`
    "import": Action("导入表格", frozenset({"office", "assessor", "leader", "group_office", "unit"}),
                     refusal="import.action_role"),
    "template": Action("下载导入模板", frozenset({"office", "assessor", "leader", "group_office", "unit"}),
                       refusal="import.action_role"),
    "imports.list": Action("导入的表格", frozenset({"office", "auditor"}), refusal="import.list_role"),
}

#: the kinds of sheet each role may import (docs/commands.md §10.3); each command is then held to
#: `RECORD` and the role's scope on the write path (an assessor its indicators, a rater its ballot)
IMPORT_KINDS = {
    "office": frozenset({"tasks", "node_results", "assessments", "common_scores", "awards", "ballot"}),
    "assessor": frozenset({"common_scores"}),
    "leader": frozenset({"ballot"}), "group_office": frozenset({"ballot"}), "unit": frozenset({"ballot"}),
}


def ballot_caster(principal: Principal) -> tuple[str, str] | None:
    """(kind, rater) of the ballots a rater token casts (`BALLOT_KIND_OF_ROLE`: a unit token's
    rater is its unit, the others' their actor); None for a token that casts as any rater."""
    kind = BALLOT_KIND_OF_ROLE.get(principal.role)
    if kind is None:
        return None
    return kind, (principal.unit or "") if principal.role == "unit" else principal.actor


def scored_indicators(principal: Principal) -> frozenset[str] | None:
    """The common indicators an assessment body's token scores; None: any (the office)."""
    return principal.indicators if principal.role == "assessor" and principal.indicators else None


def require_import(principal: Principal, kind: str, kind_name: str) -> None:
    """Raise unless the principal may import sheets of `kind` (`IMPORT_KINDS`)."""
    require(principal, "import")
    if kind not in IMPORT_KINDS.get(principal.role, frozenset()):
        raise _refused(Forbidden, "import.role", field="kind", role=ROLE_NAMES.get(principal.role, principal.role),
                       role_code=principal.role, kind=kind_name, kind_code=kind)


#: who reads a ballot whole (its rater, its ranking of every unit); every other reader sees, of a
#: ballot, the points a unit earned from it and its kind and round (`domain.confidential`)
BALLOT_READERS = frozenset({"office", "group_office", "auditor"})

#: the page each role lands on after signing in, by its action (others: the standings, `/`)
LANDING = {"unit": ("todo", "/todo"), "verifier": ("queue", "/queue"), "leader": ("ballots", "/ballots"),
           "group_office": ("ballots", "/ballots"), "assessor": ("scoring", "/scoring"),
           "office": ("office", "/office")}
#: the roles that read every stored file, cited or not (docs/commands.md §10.1)
FILE_READERS = frozenset({"office", "verifier", "auditor"})


@dataclass(frozen=True)
class Recording:
    """Who may record one command type; scoped roles are held to their scope by `authorize`."""

    roles: frozenset[str]


#: every command type and the roles that may record it (the office records all of them; the
#: command line records as the office)
RECORD: dict[str, Recording] = {
    "task.assigned": Recording(OFFICE_ONLY),
    "task.withdrawn": Recording(OFFICE_ONLY),
    "checkpoint.reported": Recording(frozenset({"office", "unit"})),
    "evidence.submitted": Recording(frozenset({"office", "unit"})),
    "evidence.verified": Recording(frozenset({"office", "verifier"})),
    "task.assessed": Recording(OFFICE_ONLY),
    "common.scored": Recording(frozenset({"office", "assessor"})),
    "ballot.cast": Recording(frozenset({"office", "leader", "group_office", "unit"})),
    "round.closed": Recording(OFFICE_ONLY),
    "bonus.awarded": Recording(OFFICE_ONLY),
    "funding.recorded": Recording(OFFICE_ONLY),
    "penalty.imposed": Recording(OFFICE_ONLY),
    "entry.voided": Recording(OFFICE_ONLY),
    "void.requested": Recording(frozenset({"office", "unit"})),
    "dispute.filed": Recording(frozenset({"office", "unit"})),
    "dispute.resolved": Recording(OFFICE_ONLY),
    "results.published": Recording(OFFICE_ONLY),
}

#: the ballot kind each rater role casts, and who the rater is (`domain.roles`)
BALLOT_KIND_OF_ROLE = {"leader": "leader", "group_office": "office", "unit": "mutual"}


def may_record(principal: Principal, kind: str) -> bool:
    """Whether the principal's role may record commands of type `kind` at all (its scope aside)."""
    recording = RECORD.get(kind)
    return recording is not None and principal.role in recording.roles


def may(principal: Principal, action: str, *units: str | None) -> bool:
    """Whether the principal may do `action` (about `units`, where the action concerns units)."""
    try:
        require(principal, action, *units)
    except (Forbidden, NotFound):
        return False
    return True


def require(principal: Principal, action: str, *units: str | None, **words: object) -> None:
    """Raise the action's refusal unless the principal may do it. `units` are the unit codes the
    request is about (a path's unit, a comparison's pair); None or none: not about a unit yet.
    `words` fill in the refusal's sentence (a dispute's code)."""
    rule = ACTIONS[action]
    if principal.role not in rule.roles:
        raise _refused(Forbidden, rule.refusal, field="role", role=ROLE_NAMES.get(principal.role, principal.role),
                       role_code=principal.role, what=rule.what)
    visible = _visible(principal, rule.scope)
    asked = [code.upper() for code in units if code]
    if visible is None or not asked:
        return
    own = principal.unit
    allowed = (own in asked) if rule.scope is Scope.OWN_PAIR else all(code in visible for code in asked)
    if not allowed:
        raise _refused(NotFound if rule.hidden else Forbidden, rule.scope_refusal, field=rule.field,
                       unit=own, **{"code": asked[0], **words})


def _refused(kind: type[KaopingError], refusal: str, /, **params: object) -> KaopingError:
    """A refusal of the table: its codes are data here, each checked against the catalogue
    (tests/test_policy.py), so they are not spelled at a raise site."""
    return kind(refusal, **params)


def _visible(principal: Principal, scope: Scope) -> frozenset[str] | None:
    """The units a principal may do a scoped action about (None: every unit)."""
    if scope is Scope.ANY:
        return None
    if principal.role in ("unit", "calendar"):
        return frozenset({principal.unit}) if principal.unit else frozenset()
    if scope is Scope.CHARGE and principal.role == "leader":
        return principal.units
    return None


def visible_units(principal: Principal, action: str, codes: Iterable[str]) -> list[str]:
    """Of `codes`, those the principal may do `action` about, in their order."""
    visible = _visible(principal, ACTIONS[action].scope)
    return [code for code in codes if visible is None or code in visible]


def scoped_unit(principal: Principal, action: str, asked: str | None) -> str | None:
    """The unit a list is about: a unit token's own (refusing another one asked for), else `asked`."""
    require(principal, action, asked)
    if principal.role == "unit" and ACTIONS[action].scope is not Scope.ANY:
        return principal.unit
    return asked


def bound_unit(principal: Principal | None) -> str | None:
    """The unit a token is bound to (a unit's clerk): it records, reads and names ids as that unit
    only; None for every other token and for the command line."""
    return principal.unit if principal is not None and principal.role == "unit" else None


#: the one role whose token may be given in a URL (`?token=`): calendar applications cannot send a
#: header, and this token reads one unit's calendar and nothing else
TOKEN_IN_URL = frozenset({"calendar"})


def token_in_url(principal: Principal) -> bool:
    """Whether the principal's token may be given in a URL (`TOKEN_IN_URL`)."""
    return principal.role in TOKEN_IN_URL


def charge(principal: Principal | None) -> frozenset[str] | None:
    """The units a leader's token is in charge of (its ballots rank exactly those); None for others."""
    return principal.units if principal is not None and principal.role == "leader" else None


def landing(principal: Principal) -> str:
    """Where a signed-in visitor lands: its role's page (`LANDING`) if it may open it, else `/`."""
    action, path = LANDING.get(principal.role, ("standings", "/"))
    return path if may(principal, action) else "/"


def may_read_file(principal: Principal, *, citing_units: set[str] | None, own_upload: bool) -> bool:
    """Whether the principal reads a stored file: `FILE_READERS` every one; the other roles one an
    entry cites that they may read (`citing_units`: the units whose streams hold such an entry,
    None when no entry cites it); a unit token also what it uploaded itself. Everyone else is
    answered as for a hash nobody stored (404)."""
    if not may(principal, "file.read"):
        return False
    if principal.role in FILE_READERS:
        return True
    if own_upload and bound_unit(principal) is not None:
        return True
    if citing_units is None:
        return False
    if not citing_units:  # cited outside every unit's stream (a ballot round): a unit token reads none
        return bound_unit(principal) is None
    return bool(visible_units(principal, "unit.read", sorted(citing_units)))


def sees_ballots(principal: Principal) -> bool:
    """Whether the principal reads ballots whole (`BALLOT_READERS`), or as `domain.confidential` shows them."""
    return principal.role in BALLOT_READERS


def sees_figures(principal: Principal, code: str) -> bool:
    """Whether the principal reads every figure of unit `code`: of the units whose pages it may
    read, yes; of any other unit (a unit token's view of the others) only what the standings
    publish — rank, name and the stage's ranked figure (the annual one is the total). One rule for
    the standings sheet, the comparison (API and page) and the unit pages (issue 28, item 6)."""
    return may(principal, "unit.read", code)


def readable_units(principal: Principal, codes: Iterable[str]) -> set[str]:
    """Of `codes`, the units whose own pages (score, history, replay) the principal may read."""
    return {code for code in codes if may(principal, "unit.read", code)}


__all__ = ["ACTIONS", "BALLOT_KIND_OF_ROLE", "BALLOT_READERS", "sees_ballots", "sees_figures", "EVERY_ROLE", "FILE_READERS", "IMPORT_KINDS", "ballot_caster", "require_import", "scored_indicators", "LANDING", "RECORD", "TOKEN_IN_URL", "Action", "Recording", "Scope",
           "bound_unit", "charge", "landing", "token_in_url", "may", "may_read_file", "may_record", "readable_units", "require", "scoped_unit",
           "visible_units"]
