"""DatasetDict: per-split methods and printout like the reference."""

from __future__ import annotations

import pytest

from embrace.datasets import Dataset, DatasetDict

TRAIN = {"a": [1, 2, 3, 4], "t": ["w", "x", "y", "z"]}
TEST = {"a": [5, 6], "t": ["u", "v"]}


@pytest.fixture()
def pair(ref):
    ours = DatasetDict({"train": Dataset.from_dict(TRAIN), "test": Dataset.from_dict(TEST)})
    theirs = ref.DatasetDict({"train": ref.Dataset.from_dict(TRAIN), "test": ref.Dataset.from_dict(TEST)})
    return ours, theirs


def test_printout_and_properties_match_reference(pair):
    ours, theirs = pair
    assert repr(ours) == repr(theirs)
    for name in ("num_rows", "num_columns", "column_names", "shape"):
        assert getattr(ours, name) == getattr(theirs, name)
    assert ours.unique("t") == theirs.unique("t")


def test_per_split_transforms_match_reference(pair):
    ours, theirs = pair
    cases = [
        lambda d: d.map(lambda x: {"b": x["a"] * 2}),
        lambda d: d.map(lambda b: {"n": [len(t) for t in b["t"]]}, batched=True, remove_columns=["t"]),
        lambda d: d.filter(lambda x: x["a"] % 2 == 0),
        lambda d: d.shuffle(seed=42),
        lambda d: d.shuffle(seeds={"train": 1, "test": 2}),
        lambda d: d.sort("a", reverse=True),
        lambda d: d.rename_column("t", "text").select_columns(["text"]),
        lambda d: d.remove_columns("a").class_encode_column("t"),
    ]
    for case in cases:
        a, b = case(ours), case(theirs)
        assert repr(a) == repr(b)
        for split in ("train", "test"):
            assert a[split][:] == b[split][:] and repr(a[split].features) == repr(b[split].features)


def test_formats_apply_to_every_split(pair):
    ours, _ = pair
    ours.set_format("numpy")
    assert all(d.format["type"] == "numpy" for d in ours.values())
    with ours.formatted_as("torch"):
        assert all(d.format["type"] == "torch" for d in ours.values())
    ours.reset_format()
    assert ours.with_format("arrow")["test"][:].num_rows == 2


def test_bad_keys_and_values(pair):
    ours, _ = pair
    with pytest.raises(KeyError, match="Please first select a split"):
        ours[0]
    with pytest.raises(KeyError, match="available splits"):
        ours["validation"]
    with pytest.raises(TypeError, match="must be Dataset objects"):
        DatasetDict({"train": [1, 2]}).map(lambda x: x)
