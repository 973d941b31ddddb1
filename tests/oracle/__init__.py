"""Helpers that drive the reference libraries (the oracles) from tests and benchmarks.

Only tests/ and bench/ import this package; embrace itself never touches the reference.
"""
