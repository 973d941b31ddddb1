"""Fingerprints: deterministic, sensitive to what a function does, stable across processes."""

from __future__ import annotations

import functools
import subprocess
import sys
import textwrap

import numpy as np

from embrace.datasets import Dataset
from embrace.datasets.fingerprint import Hasher, disable_caching, enable_caching, is_caching_enabled, update_fingerprint

SCALE = 3


def _scaled(x):
    return {"y": x["a"] * SCALE}


def test_functions_hash_by_behaviour():
    assert Hasher.hash(lambda x: x + 1) == Hasher.hash(lambda x: x + 1)
    assert Hasher.hash(lambda x: x + 1) != Hasher.hash(lambda x: x + 2)

    def make(k):
        return lambda x: x * k

    assert Hasher.hash(make(2)) == Hasher.hash(make(2))
    assert Hasher.hash(make(2)) != Hasher.hash(make(3))  # closure values count
    before = Hasher.hash(_scaled)
    globals()["SCALE"] = 4
    try:
        assert Hasher.hash(_scaled) != before  # globals the function reads count
    finally:
        globals()["SCALE"] = 3
    assert Hasher.hash(functools.partial(make, 2)) != Hasher.hash(functools.partial(make, 3))
    assert Hasher.hash(np.arange(3)) != Hasher.hash(np.arange(3, dtype=np.int32))
    assert Hasher.hash({3, 1, 2}) == Hasher.hash({2, 3, 1})


def test_recursive_function_and_unhashable_argument():
    def fact(n):
        return 1 if n <= 1 else n * fact(n - 1)

    assert Hasher.hash(fact) == Hasher.hash(fact)
    import threading

    lock = threading.Lock()
    first = update_fingerprint("abc", "map", {"function": lambda x: lock})
    second = update_fingerprint("abc", "map", {"function": lambda x: lock})
    assert first != second  # random: no reuse of a result that cannot be described


def test_transform_fingerprints_are_deterministic_and_distinct():
    ds = Dataset.from_dict({"a": [1, 2, 3]})
    assert Dataset.from_dict({"a": [1, 2, 3]})._fingerprint == ds._fingerprint
    assert Dataset.from_dict({"a": [1, 2, 4]})._fingerprint != ds._fingerprint
    assert ds.shuffle(seed=1)._fingerprint == ds.shuffle(seed=1)._fingerprint != ds.shuffle(seed=2)._fingerprint
    assert ds.select([0, 1])._fingerprint != ds.select([1, 2])._fingerprint
    assert ds.map(_scaled)._fingerprint == ds.map(_scaled, num_proc=2, desc="x")._fingerprint
    assert ds.map(_scaled)._fingerprint != ds.map(_scaled, batched=True, batch_size=2, remove_columns="a")._fingerprint
    # a slice of the same buffers is a different dataset
    sliced = Dataset(ds.data.table.slice(1, 2))
    assert sliced._fingerprint != Dataset(ds.data.table.slice(0, 2))._fingerprint


def test_fingerprint_is_the_same_in_another_process():
    code = textwrap.dedent(
        """
        from embrace.datasets import Dataset
        ds = Dataset.from_dict({"a": [1, 2, 3]})
        print(ds.map(lambda x: {"b": x["a"] + 1}).shuffle(seed=4)._fingerprint)
        """
    )
    runs = {subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout for _ in range(2)}
    assert len(runs) == 1


def test_caching_switch():
    assert is_caching_enabled()
    disable_caching()
    try:
        assert not is_caching_enabled()
    finally:
        enable_caching()
    assert is_caching_enabled()
