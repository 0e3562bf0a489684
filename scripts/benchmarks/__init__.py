"""The benchmark harness behind `scripts/bench`: every figure is a ratio against a baseline measured in
the same run, on the same database kind, so that a noisy shared machine still gives comparable numbers.
"""
