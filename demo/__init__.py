"""The simulated 2018 evaluation year, for demonstrations, tests and benchmarks: `demo_year(seed, scale)`.

Not part of the ledger: it only produces contract command dicts, which go in through the same
command path as any others (`kaoping demo`, or `python -m kaoping.demo > year.jsonl`).
"""

from .year import demo_year, in_batches

__all__ = ["demo_year", "in_batches"]
