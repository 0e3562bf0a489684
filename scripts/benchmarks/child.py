"""`python -m scripts.benchmarks.child STEP` with the step's keyword arguments as JSON on stdin: runs one
step in this fresh process and prints its rows, with this process's peak RSS, as JSON on stdout."""

from __future__ import annotations

import json
import sys

from .harness import rss_mb
from .steps import STEPS


def main() -> None:
    step = sys.argv[1]
    kwargs = json.loads(sys.stdin.read() or "{}")
    from kaoping.ledger.application import Ledger  # noqa: F401 - count imports in the starting RSS

    start = rss_mb()
    rows = STEPS[step](**kwargs)
    document = {"rows": rows, "peak_rss_mb": rss_mb(), "start_rss_mb": start}
    sys.stdout.write("\n" + json.dumps(document) + "\n")


if __name__ == "__main__":
    main()
