"""Bench steps for the log outsiders can check: what the Merkle tree and the checkpoint add to an
append, how long a proof takes at the demo year and at a million leaves, and `verify --file` of an
export against a checkpoint beside `sha256sum` of the same file. Each is a ratio or a p99 from one
run, against a baseline of the same run."""

from __future__ import annotations

import hashlib
import os
import random
import statistics
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from .harness import cli_items, latency_row, open_ledger, row


@contextmanager
def _without_tree() -> Iterator[None]:
    """The same ledger with no tree and no checkpoint written: the baseline of the append cost."""
    from kaoping.ledger import tree

    real = tree.grow
    tree.grow = lambda *args, **kwargs: None  # type: ignore[assignment]
    try:
        yield
    finally:
        tree.grow = real  # type: ignore[assignment]


def _append_times(url: str, items: list[Any], commits: int) -> tuple[float, list[float], int]:
    """(seconds for the demo year in one batch, seconds per single-command commit, events)."""
    ledger = open_ledger(url)
    try:
        ledger.init()
        before = ledger.recorder.max_notification_id() or 0
        started = time.perf_counter()
        ledger.ingest(items, actor="office")
        bulk = time.perf_counter() - started
        events = (ledger.recorder.max_notification_id() or 0) - before
        singles = []
        for i in range(commits):
            command = {"id": f"bench-rescore-{i}", "type": "common.scored", "unit": f"D{1 + i % 45:02d}",
                       "indicator": "C02", "score": str(60 + i % 40)}
            started = time.perf_counter()
            ledger.ingest([command], actor="office")
            singles.append(time.perf_counter() - started)
        return bulk, singles, events
    finally:
        ledger.close()


def step_log_append(with_urls: list[str], without_urls: list[str], *, seed: int = 2018,
                    commits: int = 300, workdir: str) -> list[dict[str, Any]]:
    from kaoping.demo import demo_year

    items = cli_items(demo_year(seed=seed, scale=1), os.path.join(workdir, "demo-log.jsonl"))
    bulk_with, bulk_without, single_with, single_without, events = [], [], [], [], 0
    for with_url, without_url in zip(with_urls, without_urls, strict=True):
        bulk, singles, events = _append_times(with_url, items, commits)
        bulk_with.append(bulk)
        single_with.append(statistics.median(singles))
        with _without_tree():
            bulk, singles, _ = _append_times(without_url, items, commits)
        bulk_without.append(bulk)
        single_without.append(statistics.median(singles))
    rate = events / statistics.median(bulk_with)
    base = events / statistics.median(bulk_without)
    commit_rate, commit_base = 1 / statistics.median(single_with), 1 / statistics.median(single_without)
    return [
        row("log", "append with tree + checkpoint, demo year in 1 batch", "events/s", rate, baseline=base,
            baseline_name="the same ingest without tree and checkpoint", target="ratio >= 0.91 (<= 10% more time)",
            target_ratio=1 / 1.10, events=events),
        row("log", "append with tree + checkpoint, 1 command per commit", "commits/s", commit_rate,
            baseline=commit_base, baseline_name="the same commits without tree and checkpoint",
            target="ratio >= 0.91 (<= 10% more time)", target_ratio=1 / 1.10, commits=commits),
    ]


def _proof_latencies(ledger: Any, samples: int, label: str) -> list[dict[str, Any]]:
    notary = ledger.notary
    latest = notary.at(None)
    seqs = [int(r["seq"]) for r in ledger.recorder.query(
        "SELECT seq FROM kaoping_leaves WHERE leaf_index IN (%s, %s, %s)",
        [0, latest.size // 2, latest.size - 1])]
    low, high = min(seqs), max(seqs)
    picks = random.Random(7)
    inclusion, consistency = [], []
    for _ in range(samples):
        seq = picks.randint(low, high)
        started = time.perf_counter()
        try:
            notary.inclusion(seq)
        except Exception:  # noqa: BLE001 - a seq a rolled-back transaction skipped: draw again
            continue
        inclusion.append(time.perf_counter() - started)
        old = picks.randint(1, latest.size)
        started = time.perf_counter()
        notary.consistency(old)
        consistency.append(time.perf_counter() - started)
    return [latency_row("log", f"inclusion proof, {label} ({latest.size:,} leaves)", inclusion, 5.0),
            latency_row("log", f"consistency proof, {label} ({latest.size:,} leaves)", consistency, 5.0)]


def step_log_proofs(url: str, *, samples: int = 300, label: str = "demo year") -> list[dict[str, Any]]:
    ledger = open_ledger(url)
    try:
        return _proof_latencies(ledger, samples, label)
    finally:
        ledger.close()


def step_log_million(url: str, *, leaves: int = 1_000_000, samples: int = 300) -> list[dict[str, Any]]:
    """A tree of `leaves` leaves written straight into the tables (as a million appends would leave
    them: leaves, complete subtrees, one signed checkpoint), then proofs from it."""
    from kaoping.domain.merkle import CompactTree, Node, leaf_hash, node_hash
    from kaoping.domain.notes import Checkpoint, sign_note
    from kaoping.ledger import tree

    ledger = open_ledger(url)
    try:
        ledger.init()
        offset = ledger.recorder.max_notification_id() or 0
        size = ledger.notary.at(None).size
        started = time.perf_counter()
        chain = [hashlib.sha256(i.to_bytes(8, "big")).hexdigest() for i in range(leaves)]
        rows_chain = [(offset + 1 + i, "bench", "bench", i + 1, f"bench-{i}", h, "0" * 64, "0" * 64)
                      for i, h in enumerate(chain)]
        # the ledger's own leaves come first: the tree is over both, its own nodes stored already
        with ledger.recorder.reading() as tx:
            own = tree.read_nodes(tx, [Node(0, i) for i in range(size)])
        level = [own[Node(0, i)] for i in range(size)] + [leaf_hash(bytes.fromhex(h)) for h in chain]
        compact = CompactTree()
        for value in level:
            compact.append(value)
        root = compact.root()
        nodes = [(0, i, value.hex()) for i, value in enumerate(level) if i >= size]
        depth = 0
        while len(level) > 1:
            level = [node_hash(level[i], level[i + 1]) for i in range(0, len(level) - 1, 2)]
            depth += 1
            nodes += [(depth, i, value.hex()) for i, value in enumerate(level) if i >= size >> depth]
        signer = ledger.notary.signer()
        checkpoint = Checkpoint(signer.name, size + leaves, root)
        with ledger.recorder.writing() as tx:
            tx.insert("kaoping_chain", rows_chain)
            tx.insert(tree.TREE_TABLE, nodes)
            tx.insert(tree.LEAVES_TABLE, [(size + i, offset + 1 + i) for i in range(leaves)])
            tx.insert(tree.CHECKPOINTS_TABLE, [(size + leaves, signer.name, root.hex(),
                                                sign_note(checkpoint.text, signer), "2026-12-01T00:00:00+00:00")])
        built = time.perf_counter() - started
        result = _proof_latencies(ledger, samples, "a million leaves")
        for r in result:
            r["details"]["build_seconds"] = round(built, 1)
        return result
    finally:
        ledger.close()


def step_log_verify_file(url: str, *, workdir: str) -> list[dict[str, Any]]:
    """`kaoping verify --file` of the ledger's export against its latest checkpoint and vkey, as a
    ratio to `sha256sum` reading the same file."""
    from kaoping.ledger.export import export_line, verify_export

    path = os.path.join(workdir, "export.jsonl")
    ledger = open_ledger(url)
    try:
        with open(path, "w", encoding="utf-8") as out:
            for line in ledger.export():
                out.write(export_line(line))
        latest = ledger.notary.at(None)
        note, vkey = ledger.notary.note(latest), ledger.notary.signer().verifier.text
    finally:
        ledger.close()
    started = time.perf_counter()
    with open(path, encoding="utf-8") as lines:
        report = verify_export(lines, checkpoint=note, vkey=vkey)
    verify_seconds = time.perf_counter() - started
    if not report["ok"]:
        raise RuntimeError(f"the export does not verify: {report}")
    started = time.perf_counter()
    subprocess.run(["sha256sum", path], check=True, capture_output=True)
    sha_seconds = time.perf_counter() - started
    megabytes = os.path.getsize(path) / 2 ** 20
    return [row("log", f"verify --file against a checkpoint ({report['entries']:,} entries, "
                       f"{megabytes:.0f} MB)", "MB/s", megabytes / verify_seconds,
                baseline=megabytes / sha_seconds, baseline_name="sha256sum of the same file",
                target="info", seconds=round(verify_seconds, 2))]


LOG_STEPS = {"log_append": step_log_append, "log_proofs": step_log_proofs,
             "log_million": step_log_million, "log_verify_file": step_log_verify_file}
