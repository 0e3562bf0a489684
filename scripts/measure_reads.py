"""Cold read timings on one ledger, to compare two checkouts on the same database (docs/performance.md,
issue 16): `python scripts/measure_reads.py URL [replay explain asof score rebuild]` prints one JSON
line. Each measurement clears the reader's caches first; rebuild is timed against a bare read of the
notification log, three times. Run another checkout's code with PYTHONPATH pointing at a folder
whose `kaoping` links to it."""
import json
import resource
import statistics
import sys
import time
from pathlib import Path

from kaoping.api.bootstrap import build_ledger, load_settings

url, what = sys.argv[1], set(sys.argv[2:]) or {"replay", "explain", "asof", "score", "rebuild"}
ledger = build_ledger(load_settings(url))
t = time.perf_counter(); ledger.log.refresh() if hasattr(ledger, "log") else None
out = {"log_read_s": round(time.perf_counter() - t, 3)}
reader = ledger.reader
units = sorted(ledger.registry().units)
def timed(f, n=1):
    s = []
    for _ in range(n):
        t = time.perf_counter(); f(); s.append(time.perf_counter() - t)
    return s
def cold_replay(c):
    reader._replays.clear(); reader.explained.clear(); return ledger.replay(c)
if "replay" in what:
    codes = [c for c in ("D01", "D03", "T01", "Z01", "J01") if c in units]
    s = {c: round(timed(lambda: cold_replay(c))[0] * 1000, 1) for c in codes}
    out["replay_ms"] = s; out["replay_rows"] = {c: len(ledger.replay(c)) for c in codes}
if "explain" in what:
    from kaoping.ledger.replay import explain
    s = {}
    for c in ("D03", "T01"):
        reader._replays.clear(); reader.explained.clear()
        s[c] = round(timed(lambda: explain(reader, c))[0] * 1000, 1)
    out["explain_ms"] = s
if "asof" in what:
    s = []
    for d in ("2018-07-31", "2018-12-31"):
        reader.scores_cache.clear()
        s += timed(lambda: ledger.standings_from_log(as_of=d))
    out["standings_asof_ms"] = [round(x * 1000) for x in s]
if "score" in what:
    s = []
    for c in units[::8]:
        reader.scores_cache.clear()
        s += timed(lambda: ledger.score(c))
    out["score_ms"] = {"max": round(max(s) * 1000, 1), "median": round(statistics.median(s) * 1000, 1)}
if "rebuild" in what:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from scripts.benchmarks.harness import read_all_notifications
    from kaoping.api.bootstrap import build_projection
    ratios = []
    for _ in range(3):
        l2 = build_ledger(load_settings(url))
        t = time.perf_counter(); n = read_all_notifications(l2.recorder); bare = time.perf_counter() - t
        l2 = build_ledger(load_settings(url)); p = build_projection(l2)
        t = time.perf_counter(); p.rebuild(); rb = time.perf_counter() - t
        ratios.append((round(bare / rb, 3), round(rb, 3)))
    out["rebuild_ratio_s"] = ratios
out["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
print(json.dumps(out))
