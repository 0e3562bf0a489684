"""Group commit: concurrent batches appended in one transaction, each still all or nothing."""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from kaoping.domain.principals import Principal
from kaoping.ledger.group_commit import GroupCommitter, PendingBatch
from kaoping.ledger.writer import BatchRejected, CommandResult, Group, Writer


def _task(i, unit="D03", **extra):
    return {"id": f"task-{i}", "type": "task.assigned", "unit": unit, "task": f"T{i}",
            "title": f"任务{i}", "level": "own", "method": "veto", **extra}


def _bad(i):
    return {**_task(i), "level": "nonsense"}


def _history_ids(ledger, unit="D03"):
    return [e["id"] for e in ledger.history(unit)]


def test_a_rejected_batch_leaves_the_others_of_its_group_committed(ledger):
    outcomes = ledger.ingest_group([
        PendingBatch([_task(1), _task(2)], "office"),
        PendingBatch([_task(3), _bad(4)], "office"),
        PendingBatch([_task(5, unit="D04")], "office"),
    ])
    first, rejected, third = outcomes
    assert [r.id for r in first.results] == ["task-1", "task-2"]
    assert isinstance(rejected, BatchRejected) and rejected.index == 1 and rejected.command_id == "task-4"
    assert third.results[0].seqs and not third.results[0].duplicate
    assert _history_ids(ledger) == ["task-1", "task-2"]  # nothing of the rejected batch, not even task-3
    assert _history_ids(ledger, "D04") == ["task-5"]
    assert ledger.verify()["ok"]


def test_results_carry_the_seqs_each_batch_was_given(ledger):
    one, two = ledger.ingest_group([PendingBatch([_task(1)], "office"),
                                    PendingBatch([_task(2)], "office")])
    seqs = {e["id"]: e["seq"] for e in ledger.history("D03")}
    assert one.results == [CommandResult(0, "task-1", [seqs["task-1"]], False)]
    assert two.results == [CommandResult(0, "task-2", [seqs["task-2"]], False)]


def test_the_same_id_in_two_batches_of_a_group_is_appended_once(ledger):
    one, two = ledger.ingest_group([PendingBatch([_task(1)], "office"),
                                    PendingBatch([_task(1)], "office")])
    assert not one.results[0].duplicate and two.results[0].duplicate
    assert one.results[0].seqs == two.results[0].seqs
    assert _history_ids(ledger) == ["task-1"]


def test_the_same_id_with_other_content_fails_only_the_later_batch(ledger):
    one, two = ledger.ingest_group([PendingBatch([_task(1)], "office"),
                                    PendingBatch([_task(1, title="另一个")], "office")])
    assert one.appended == 1
    assert isinstance(two, BatchRejected) and two.error.field == "id"


def test_each_batch_is_judged_with_its_own_principal(ledger):
    unit_token = Principal(actor="d03-staff", role="unit", unit="D03")
    allowed, refused = ledger.ingest_group([PendingBatch([_task(1)], "office"),
                                            PendingBatch([_task(2)], "d03-staff", unit_token)])
    assert allowed.appended == 1
    assert isinstance(refused, BatchRejected)
    assert _history_ids(ledger) == ["task-1"]


def test_a_conflict_with_another_writer_decides_the_group_again(ledger, make_ledger, monkeypatch):
    other = make_ledger()
    real_commit = Group.commit
    calls = []

    def commit_after_a_rival(group):
        if group.writer is ledger.writer:
            calls.append(1)
            if len(calls) == 1:  # the first time only: another process appends to D03 first
                other.ingest([_task(99)], actor="rival")
        real_commit(group)

    monkeypatch.setattr(Group, "commit", commit_after_a_rival)
    one, two = ledger.ingest_group([PendingBatch([_task(1)], "office"),
                                    PendingBatch([_task(2, unit="D04")], "office")])
    assert len(calls) == 2
    assert one.appended == 1 and two.appended == 1
    assert _history_ids(ledger) == ["task-99", "task-1"]
    assert ledger.verify()["ok"]


def test_batches_that_arrive_during_a_commit_are_committed_together(ledger):
    committer = GroupCommitter(ledger.writer)
    real = committer.ingest_group
    release = threading.Event()
    sizes = []

    def slow_first_group(batches):
        sizes.append(len(batches))
        if len(sizes) == 1:
            release.wait(10)
        return real(batches)

    committer.ingest_group = slow_first_group
    try:
        first = committer.submit(PendingBatch([_task(0)], "office"))
        while not sizes:
            threading.Event().wait(0.001)
        later = [committer.submit(PendingBatch([_task(i)], "office")) for i in range(1, 11)]
        later.append(committer.submit(PendingBatch([_bad(11)], "office")))
        release.set()
        assert first.result(10).appended == 1
        assert [f.result(10).appended for f in later[:-1]] == [1] * 10
        with pytest.raises(BatchRejected):
            later[-1].result(10)
    finally:
        committer.close()
    assert sizes == [1, 11]
    assert _history_ids(ledger) == [f"task-{i}" for i in range(11)]


def test_many_concurrent_writers_through_the_committer_lose_nothing(ledger):
    committer = GroupCommitter(ledger.writer)
    units = ["D01", "D02", "D03", "D04"]
    try:
        with ThreadPoolExecutor(max_workers=16) as pool:
            results = list(pool.map(
                lambda i: committer.append(PendingBatch([_task(i, unit=units[i % 4])], "office")),
                range(64)))
    finally:
        committer.close()
    assert all(r.appended == 1 for r in results)
    assert len({s for r in results for s in r.results[0].seqs}) == 64
    assert sum(len(ledger.history(u)) for u in units) == 64
    assert ledger.verify()["ok"]


def test_a_batch_sent_with_a_token_is_recorded_as_its_actor_and_refused_when_revoked(ledger):
    from kaoping.domain.errors import NotAuthenticated

    kept_id, kept = ledger.create_token(actor="county-office", role="office")
    gone_id, gone = ledger.create_token(actor="old-office", role="office")
    ledger.revoke_token(gone_id)
    recorded, refused, unknown = ledger.ingest_group([
        PendingBatch([_task(1)], token=kept),
        PendingBatch([_task(2)], token=gone),
        PendingBatch([_task(3)], token="kp_nobody_x"),
    ])
    assert recorded.appended == 1
    assert isinstance(refused, NotAuthenticated) and isinstance(unknown, NotAuthenticated)
    assert [(e["id"], e["actor"]) for e in ledger.history("D03")] == [("task-1", "county-office")]


def test_an_entry_recorded_between_the_sync_and_the_decision_is_decided_again(ledger, make_ledger,
                                                                              monkeypatch):
    other = make_ledger()
    ledger.ingest([_task(1)], actor="office")
    real_group = Writer.group
    rivals = []

    def start_then_a_rival_writes(writer, ids, **kwargs):
        group = real_group(writer, ids, **kwargs)  # as the committer calls it (synced=…)
        if writer is ledger.writer and not rivals:
            rivals.append(other.ingest([_task(2)], actor="office"))  # after the sync, before deciding
        return group

    monkeypatch.setattr(Writer, "group", start_then_a_rival_writes)
    void = {"id": "v-2", "type": "entry.voided", "target": "task-2", "reason": "录入错误"}
    innocent, voided = ledger.ingest_group([PendingBatch([_task(9, unit="D04")], "office"),
                                            PendingBatch([void], "office")])
    assert innocent.appended == 1 and voided.appended == 1
    assert [e["voided_by"] for e in ledger.history("D03")][:2] == [None, "v-2"]


def test_a_batch_refused_because_of_one_that_then_fails_is_decided_again(ledger, make_ledger,
                                                                         monkeypatch):
    other = make_ledger()
    ledger.ingest([{**_task(1), "checkpoints": [{"checkpoint": "Q1", "due": "2019-03-31"}]}],
                  actor="office")
    real_commit = Group.commit
    withdraw = {"id": "w-1", "type": "task.withdrawn", "unit": "D03", "task": "T1", "reason": "调整"}
    report = {"id": "r-1", "type": "checkpoint.reported", "unit": "D03", "task": "T1",
              "checkpoint": "Q1", "reported_on": "2019-01-14", "completed": True}

    def a_rival_takes_task_5_first(group):
        if group.writer is ledger.writer and not other.history("D04"):
            other.ingest([{**_task(5, unit="D04"), "id": "rival-5"}], actor="rival")  # T5 taken
        real_commit(group)

    monkeypatch.setattr(Group, "commit", a_rival_takes_task_5_first)
    withdrawing, reporting = ledger.ingest_group([
        PendingBatch([withdraw, _task(5, unit="D04")], "office"),
        PendingBatch([report], "office"),
    ])
    assert isinstance(withdrawing, BatchRejected)
    assert reporting.appended == 1  # judged again once the withdrawal was not going to be stored
    assert [e["id"] for e in ledger.history("D03")] == ["task-1", "r-1"]


def test_an_unexpected_failure_of_one_batch_is_that_batch_s_alone(ledger, monkeypatch):
    from kaoping.ledger import writer

    real_decide = writer.decide

    def failing_for_task_2(cmd, view, **kwargs):
        if cmd.id == "task-2":
            raise RuntimeError("a bug, not a refusal")
        return real_decide(cmd, view, **kwargs)

    monkeypatch.setattr(writer, "decide", failing_for_task_2)
    one, two, three = ledger.ingest_group([PendingBatch([_task(i)], "office") for i in (1, 2, 3)])
    assert isinstance(two, RuntimeError)
    assert one.appended == 1 and three.appended == 1
    assert _history_ids(ledger) == ["task-1", "task-3"]


def test_a_caller_gone_before_its_group_starts_is_not_committed_and_the_writer_goes_on(ledger):
    committer = GroupCommitter(ledger.writer)
    real = committer.ingest_group
    release = threading.Event()
    started = threading.Event()

    def slow(batches):
        started.set()
        release.wait(10)
        return real(batches)

    committer.ingest_group = slow
    try:
        first = committer.submit(PendingBatch([_task(0)], "office"))
        started.wait(10)
        gone = committer.submit(PendingBatch([_task(1)], "office"))
        assert gone.cancel()
        release.set()
        assert first.result(10).appended == 1
        assert committer.append(PendingBatch([_task(2)], "office")).appended == 1
    finally:
        committer.close()
    assert _history_ids(ledger) == ["task-0", "task-2"]
    with pytest.raises(RuntimeError):
        committer.submit(PendingBatch([_task(3)], "office"))


def test_a_token_that_may_not_record_a_command_learns_nothing_from_resending_its_id(ledger):
    from kaoping.domain.errors import Forbidden

    ledger.ingest([_task(1)], actor="office")
    unit_token = Principal(actor="d03-staff", role="unit", unit="D03")
    with pytest.raises(BatchRejected) as refused:
        ledger.ingest([_task(1)], actor="d03-staff", principal=unit_token)
    assert isinstance(refused.value.error, Forbidden)
