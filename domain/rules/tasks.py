"""The rules of a unit's tasks: assigning, withdrawing, reporting a checkpoint, assessing the result.

A task's level and scoring method must be the unit's group's under the scheme in force; a task code
is never reused; reports and assessments are for standing, open tasks, and a checkpoint's report
stands until it is voided (docs/scheme.md §3, docs/commands.md §2).
"""

from __future__ import annotations

from .. import commands as c
from ..errors import RuleViolation, UnknownReference
from ..labels import GROUP_NAMES, LEVEL_NAMES, METHOD_NAMES, coded
from ..names import unit_stream
from .checks import Context, business_date, named_task, named_unit


def task_assigned(cmd: c.TaskAssigned, ctx: Context) -> list[str]:
    unit, state = named_unit(ctx, cmd.unit)
    scheme = ctx.view.registry.scheme_at(ctx.recorded_at)
    if cmd.level not in scheme.levels(unit.group):
        raise RuleViolation("task.level_not_for_group", field="level", level=cmd.level,
                            group=GROUP_NAMES[unit.group], group_code=unit.group,
                            allowed=[coded(lv, LEVEL_NAMES) for lv in scheme.levels(unit.group)],
                            allowed_en=scheme.levels(unit.group))
    if cmd.method not in scheme.methods(unit.group):
        raise RuleViolation("task.method_not_for_group", field="method", method=cmd.method,
                            group=GROUP_NAMES[unit.group], group_code=unit.group,
                            allowed=[coded(m, METHOD_NAMES) for m in scheme.methods(unit.group)],
                            allowed_en=scheme.methods(unit.group))
    if cmd.task in state.tasks:
        raise RuleViolation("task.code_taken", field="task", code=cmd.task, unit=unit.code)
    for i, cp in enumerate(cmd.checkpoints):
        if cp.due < ctx.recorded_on:
            raise RuleViolation("checkpoint.due_before_assignment", field=f"checkpoints.{i}.due",
                                code=cp.checkpoint, due=cp.due, recorded_on=ctx.recorded_on)
    return [unit_stream(unit.code)]


def task_withdrawn(cmd: c.TaskWithdrawn, ctx: Context) -> list[str]:
    unit, state = named_unit(ctx, cmd.unit)
    named_task(ctx, state, cmd.task, open_only=True)
    return [unit_stream(unit.code)]


def checkpoint_reported(cmd: c.CheckpointReported, ctx: Context) -> list[str]:
    unit, state = named_unit(ctx, cmd.unit)
    task = named_task(ctx, state, cmd.task, open_only=True)
    if cmd.checkpoint not in task.checkpoints:
        raise UnknownReference("checkpoint.unknown", field="checkpoint", task=cmd.task,
                               code=cmd.checkpoint)
    standing = state.reports.get((cmd.task, cmd.checkpoint))
    if standing is not None:
        raise RuleViolation("checkpoint.already_reported", field="checkpoint", code=cmd.checkpoint,
                            by=standing)
    business_date(ctx, cmd.reported_on, "reported_on")
    return [unit_stream(unit.code)]


def task_assessed(cmd: c.TaskAssessed, ctx: Context) -> list[str]:
    unit, state = named_unit(ctx, cmd.unit)
    task = named_task(ctx, state, cmd.task, open_only=True)
    expected = c.TaskAssessed.RESULT_FIELD[task.method]
    if cmd.result_field() != expected:
        raise RuleViolation("assessment.wrong_result", field=cmd.result_field(), task=cmd.task,
                            method=METHOD_NAMES.get(task.method, task.method),
                            method_code=task.method, expected=expected)
    return [unit_stream(unit.code)]
