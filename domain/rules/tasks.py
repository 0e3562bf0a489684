"""The rules of a unit's tasks: assigning, withdrawing, reporting a checkpoint, assessing the result.

A task's level and scoring method must be the unit's group's under the scheme in force; a task code
is never reused; reports and assessments are for standing, open tasks, and a checkpoint's report
stands until it is voided (SCHEME-2018 §3, CONTRACT.md "Commands").
"""

from __future__ import annotations

from .. import commands as c
from ..errors import RuleViolation, UnknownReference
from ..names import unit_stream
from .checks import Context, business_date, named_task, named_unit


def task_assigned(cmd: c.TaskAssigned, ctx: Context) -> list[str]:
    unit, state = named_unit(ctx, cmd.unit)
    scheme = ctx.view.registry.scheme_at(ctx.recorded_at)
    if cmd.level not in scheme.levels(unit.group):
        raise RuleViolation(
            f"level {cmd.level!r} is not for {unit.group} (allowed: "
            f"{', '.join(scheme.levels(unit.group))})", field="level")
    if cmd.method not in scheme.methods(unit.group):
        raise RuleViolation(f"method {cmd.method!r} is not for {unit.group}", field="method")
    if cmd.task in state.tasks:
        raise RuleViolation(
            f"task {cmd.task!r} is already assigned to {unit.code} (task codes are never reused)",
            field="task")
    for i, cp in enumerate(cmd.checkpoints):
        if cp.due < ctx.recorded_on:
            raise RuleViolation(
                f"checkpoint {cp.checkpoint!r} is due {cp.due}, before the assignment is recorded "
                f"({ctx.recorded_on})", field=f"checkpoints.{i}.due")
    return [unit_stream(unit.code)]


def task_withdrawn(cmd: c.TaskWithdrawn, ctx: Context) -> list[str]:
    unit, state = named_unit(ctx, cmd.unit)
    named_task(ctx, state, cmd.task, open_only=True)
    return [unit_stream(unit.code)]


def checkpoint_reported(cmd: c.CheckpointReported, ctx: Context) -> list[str]:
    unit, state = named_unit(ctx, cmd.unit)
    task = named_task(ctx, state, cmd.task, open_only=True)
    if cmd.checkpoint not in task.checkpoints:
        raise UnknownReference(f"task {cmd.task!r} has no checkpoint {cmd.checkpoint!r}",
                               field="checkpoint")
    standing = state.reports.get((cmd.task, cmd.checkpoint))
    if standing is not None:
        raise RuleViolation(
            f"checkpoint {cmd.checkpoint!r} is already reported by {standing!r}; void that report "
            "to report again", field="checkpoint")
    business_date(ctx, cmd.reported_on, "reported_on")
    return [unit_stream(unit.code)]


def task_assessed(cmd: c.TaskAssessed, ctx: Context) -> list[str]:
    unit, state = named_unit(ctx, cmd.unit)
    task = named_task(ctx, state, cmd.task, open_only=True)
    expected = c.TaskAssessed.RESULT_FIELD[task.method]
    if cmd.result_field() != expected:
        raise RuleViolation(
            f"task {cmd.task!r} is scored by {task.method}: give {expected!r}",
            field=cmd.result_field())
    return [unit_stream(unit.code)]
