"""map / filter: results match the reference; caching, workers and bad functions."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

from embrace.datasets import ClassLabel, Dataset, Features, Value, load_from_disk
from embrace.datasets.fingerprint import disable_caching, enable_caching
from embrace.errors import DatasetTransformError

DATA = {"t": ["a b", "c", "d e f", "g", "h i"], "l": [0, 1, 0, 1, 1]}


@pytest.fixture()
def pair(ref):
    features = Features({"t": Value("string"), "l": ClassLabel(names=["n", "p"])})
    ref_features = ref.Features({"t": ref.Value("string"), "l": ref.ClassLabel(names=["n", "p"])})
    return Dataset.from_dict(DATA, features=features), ref.Dataset.from_dict(DATA, features=ref_features)


MAP_CASES = [
    ({"function": lambda x: {"n": len(x["t"])}}),
    ({"function": lambda x, i: {"i": i * 2}, "with_indices": True}),
    ({"function": lambda t: {"u": t.upper()}, "input_columns": "t"}),
    ({"function": lambda b: {"n": [len(t) for t in b["t"]]}, "batched": True, "batch_size": 2}),
    ({"function": lambda b, idx: {"i": idx}, "batched": True, "batch_size": 3, "with_indices": True}),
    ({"function": lambda b: {"w": [w for t in b["t"] for w in t.split()]}, "batched": True, "remove_columns": ["t", "l"]}),
    ({"function": lambda x: {"t": x["t"] * 2}, "remove_columns": ["t"]}),
    ({"function": lambda x: {"l": "p"}}),
    ({"function": lambda x: {"t": 5, "z": [1.0]}}),
    ({"function": lambda x: None}),
    ({"function": None, "remove_columns": "l"}),
    ({"function": lambda b: {"n": [1] * len(b["t"])}, "batched": True, "batch_size": 2, "drop_last_batch": True, "remove_columns": ["t", "l"]}),
    ({"function": lambda x, k: {"k": k}, "fn_kwargs": {"k": 3}}),
    ({"function": lambda b: {"n": b["l"]}, "batched": True, "features": Features({"t": Value("string"), "l": ClassLabel(names=["n", "p"]), "n": Value("int8")})}),
]


@pytest.mark.parametrize("case", range(len(MAP_CASES)))
def test_map_matches_reference(pair, ref, case):
    ours, theirs = pair
    kwargs = dict(MAP_CASES[case])
    ref_kwargs = dict(kwargs)
    if "features" in kwargs:
        ref_kwargs["features"] = ref.Features.from_dict(kwargs["features"].to_dict())
    a, b = ours.map(**kwargs), theirs.map(**ref_kwargs)
    assert a[:] == b[:]
    assert repr(a.features) == repr(b.features)
    assert a.column_names == b.column_names


def test_map_in_numpy_format_and_on_shuffled_rows_matches_reference(pair):
    ours, theirs = pair
    fn = lambda b: {"s": b["l"] + 1}  # noqa: E731
    assert ours.with_format("numpy").map(fn, batched=True).with_format(None)[:] == theirs.with_format("numpy").map(fn, batched=True).with_format(None)[:]
    assert ours.shuffle(seed=4).map(lambda x, i: {"i": i}, with_indices=True)[:] == theirs.shuffle(seed=4).map(lambda x, i: {"i": i}, with_indices=True)[:]


def test_filter_matches_reference(pair):
    ours, theirs = pair
    cases = [
        {"function": lambda x: x["l"] == 1},
        {"function": lambda b: [len(t) > 1 for t in b["t"]], "batched": True, "batch_size": 2},
        {"function": lambda x, i: i % 2 == 0, "with_indices": True},
        {"function": lambda t: "e" in t, "input_columns": "t"},
    ]
    for kwargs in cases:
        a, b = ours.filter(**kwargs), theirs.filter(**kwargs)
        assert a[:] == b[:]
    assert ours.shuffle(seed=1).filter(lambda x: x["l"] == 0)[:] == theirs.shuffle(seed=1).filter(lambda x: x["l"] == 0)[:]


def test_bad_functions_raise_clear_errors(pair):
    ours, _ = pair
    with pytest.raises(DatasetTransformError, match=r"wrong number of rows: \{'n': 1\} \(expected 2\)"):
        ours.map(lambda b: {"n": [1]}, batched=True, batch_size=2)
    with pytest.raises(DatasetTransformError, match="returned a int for row 0"):
        ours.map(lambda x: 5)
    with pytest.raises(DatasetTransformError, match="same columns"):
        ours.map(lambda x: {"a": 1} if x["l"] == 0 else {"b": 1})
    with pytest.raises(DatasetTransformError, match="Column 'v' cannot be stored"):
        ours.map(lambda x: {"v": 1 if x["l"] == 0 else "s"})
    with pytest.raises(ValueError, match=r"remove_columns \['zz'\] not in the dataset"):
        ours.map(lambda x: x, remove_columns="zz")
    with pytest.raises(DatasetTransformError, match="must return a bool"):
        ours.filter(lambda b: [True], batched=True)


def _words(batch):
    return {"n": [len(t.split()) for t in batch["t"]]}


def test_num_proc_gives_the_same_rows_and_fingerprint(pair):
    ours, _ = pair
    single = ours.map(_words, batched=True)
    multi = ours.map(_words, batched=True, num_proc=2)
    assert multi[:] == single[:] and multi._fingerprint == single._fingerprint
    ranks = ours.map(lambda x, r: {"r": r}, with_rank=True, num_proc=2)["r"][:]
    assert ranks == [0, 0, 0, 1, 1]
    assert ours.filter(lambda x: x["l"] == 1, num_proc=2)[:] == ours.filter(lambda x: x["l"] == 1)[:]


def _fails_on_row_3(x, i):
    if i == 3:
        raise RuntimeError("boom at row 3")
    return {}


def test_worker_exception_surfaces_with_its_traceback(pair):
    ours, _ = pair
    with pytest.raises(RuntimeError, match="boom at row 3") as info:
        ours.map(_fails_on_row_3, with_indices=True, num_proc=2)
    assert "_fails_on_row_3" in str(info.value.__cause__)


SCRIPT = textwrap.dedent(
    """
    import json, sys
    from embrace.datasets import load_from_disk
    CALLS = []
    def count_words(batch):
        CALLS.append(1)
        return {"n": [len(t.split()) for t in batch["t"]]}
    ds = load_from_disk(sys.argv[1])
    out = ds.map(count_words, batched=True, num_proc=int(sys.argv[2]) or None)
    print(json.dumps({"calls": len(CALLS), "files": [f["filename"] for f in out.cache_files], "n": out["n"][:],
                      "fp": out._fingerprint}))
    """
)


def test_map_cache_is_reused_across_processes(pair, tmp_path):
    import json

    ours, _ = pair
    folder = tmp_path / "saved"
    ours.save_to_disk(str(folder))
    env = {**os.environ, "PYTHONPATH": os.getcwd()}

    def run(num_proc: int) -> dict:
        done = subprocess.run([sys.executable, "-c", SCRIPT, str(folder), str(num_proc)], capture_output=True, text=True, env=env, check=True)
        return json.loads(done.stdout.strip().splitlines()[-1])

    first, second, third = run(0), run(0), run(2)
    assert first["calls"] == 1 and second["calls"] == 0 and third["calls"] == 0
    assert first["files"] == second["files"] == third["files"]
    assert os.path.basename(first["files"][0]) == f"cache-{first['fp']}.arrow"
    assert first["n"] == second["n"] == [2, 1, 3, 1, 2]
    assert not [name for name in os.listdir(folder) if name.startswith(".tmp")]


def test_keep_in_memory_and_disabled_caching_write_nothing(pair, tmp_path):
    ours, _ = pair
    ours.save_to_disk(str(tmp_path))
    loaded = load_from_disk(str(tmp_path))
    before = sorted(os.listdir(tmp_path))
    assert loaded.map(_words, batched=True, keep_in_memory=True).cache_files == []
    disable_caching()
    try:
        assert loaded.map(_words, batched=True).cache_files == []
    finally:
        enable_caching()
    assert sorted(os.listdir(tmp_path)) == before
    # in-memory datasets never write caches
    assert ours.map(_words, batched=True).cache_files == []
    cached = loaded.map(_words, batched=True)
    assert [os.path.dirname(f["filename"]) for f in cached.cache_files] == [str(tmp_path)]


def test_changed_function_gets_a_new_cache_file(pair, tmp_path):
    ours, _ = pair
    ours.save_to_disk(str(tmp_path))
    loaded = load_from_disk(str(tmp_path))
    offset = 1
    a = loaded.map(lambda x: {"n": len(x["t"]) + offset})
    offset = 2
    b = loaded.map(lambda x: {"n": len(x["t"]) + offset})
    assert a._fingerprint != b._fingerprint
    assert a["n"][:] == [len(t) + 1 for t in DATA["t"]] and b["n"][:] == [len(t) + 2 for t in DATA["t"]]
