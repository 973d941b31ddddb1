"""Row and column operations and combinations: same rows and order as the reference."""

from __future__ import annotations

import pytest

from embrace.datasets import ClassLabel, Dataset, Features, Value, concatenate_datasets, interleave_datasets
from embrace.errors import ColumnNotFoundError

N = 57
DATA = {"i": list(range(N)), "t": [f"r{i % 7}" for i in range(N)], "n": [None if i % 5 == 0 else i % 4 for i in range(N)]}


@pytest.fixture()
def pair(ref):
    return Dataset.from_dict(DATA), ref.Dataset.from_dict(DATA)


@pytest.mark.parametrize("seed", [0, 42, 1234])
def test_shuffle_order_matches_reference(pair, seed):
    ours, theirs = pair
    assert ours.shuffle(seed=seed)["i"][:] == theirs.shuffle(seed=seed)["i"][:]
    # shuffling a shuffled (indices-mapped) dataset composes the mappings
    assert ours.shuffle(seed=seed).shuffle(seed=1)[:] == theirs.shuffle(seed=seed).shuffle(seed=1)[:]
    assert ours.shuffle(seed=seed)._indices is not None  # no copy: an indices mapping


@pytest.mark.parametrize(
    "kwargs",
    [
        {"test_size": 0.2, "seed": 42},
        {"test_size": 10, "train_size": 30, "seed": 7},
        {"train_size": 0.5, "seed": 3},
        {"test_size": 0.3, "shuffle": False},
    ],
)
def test_train_test_split_membership_matches_reference(pair, kwargs):
    ours, theirs = (d.train_test_split(**kwargs) for d in pair)
    assert repr(ours) == repr(theirs)
    for split in ("train", "test"):
        assert ours[split]["i"][:] == theirs[split]["i"][:]


def test_stratified_split_matches_reference(pair):
    ours, theirs = (d.class_encode_column("t") for d in pair)
    a = ours.train_test_split(test_size=0.25, stratify_by_column="t", seed=5)
    b = theirs.train_test_split(test_size=0.25, stratify_by_column="t", seed=5)
    assert a["train"]["i"][:] == b["train"]["i"][:] and a["test"]["i"][:] == b["test"]["i"][:]
    with pytest.raises(ValueError, match="ClassLabel"):
        pair[0].train_test_split(stratify_by_column="t")


def test_split_size_errors():
    ds = Dataset.from_dict({"a": [1, 2, 3]})
    with pytest.raises(ValueError, match="test_size=5"):
        ds.train_test_split(test_size=5)
    with pytest.raises(ValueError, match="smaller than the number of samples"):
        ds.train_test_split(test_size=2, train_size=2)


@pytest.mark.parametrize("contiguous", [True, False])
def test_shard_matches_reference(pair, contiguous):
    ours, theirs = pair
    for index in range(4):
        assert ours.shard(4, index, contiguous=contiguous)["i"][:] == theirs.shard(4, index, contiguous=contiguous)["i"][:]
    assert concatenate_datasets([ours.shard(4, k) for k in range(4)])["i"][:] == DATA["i"]


def test_select_sort_and_flatten_indices_match_reference(pair):
    ours, theirs = pair
    assert ours.select([5, 1, 50])[:] == theirs.select([5, 1, 50])[:]
    assert ours.select(range(3, 9))[:] == theirs.select(range(3, 9))[:]
    for args in ((["n"],), (["t", "i"],)):
        for kwargs in ({}, {"reverse": True}, {"null_placement": "at_start"}, {"reverse": [True, False]} if len(args[0]) == 2 else {}):
            assert ours.sort(*args, **kwargs)["i"][:] == theirs.sort(*args, **kwargs)["i"][:], (args, kwargs)
    shuffled = ours.shuffle(seed=3).flatten_indices()
    assert shuffled._indices is None and shuffled[:] == theirs.shuffle(seed=3).flatten_indices()[:]
    assert ours.unique("t") == theirs.unique("t")


def test_column_operations_match_reference(pair):
    ours, theirs = pair
    cases = [
        lambda d: d.remove_columns(["t"]),
        lambda d: d.rename_column("t", "text"),
        lambda d: d.rename_columns({"t": "x", "i": "y"}),
        lambda d: d.select_columns(["n", "i"]),
        lambda d: d.add_column("z", list(range(N))),
        lambda d: d.shuffle(seed=1).add_column("z", list(range(N))),
        lambda d: d.add_item({"i": 99, "t": "new", "n": 1}),
        lambda d: d.shuffle(seed=2).add_item({"i": 99, "t": "new", "n": 1}),
        lambda d: d.class_encode_column("t"),
    ]
    for case in cases:
        a, b = case(ours), case(theirs)
        assert a[:] == b[:] and repr(a.features) == repr(b.features) and a.column_names == b.column_names


def test_cast_flatten_match_reference(ref):
    data = {"s": ["1", "2"], "lab": ["neg", "pos"], "st": [{"a": 1, "b": "x"}, {"a": 2, "b": "y"}]}
    ours, theirs = Dataset.from_dict(data), ref.Dataset.from_dict(data)
    a = ours.cast_column("s", Value("int32")).cast_column("lab", ClassLabel(names=["neg", "pos"]))
    b = theirs.cast_column("s", ref.Value("int32")).cast_column("lab", ref.ClassLabel(names=["neg", "pos"]))
    assert a[:] == b[:] and repr(a.features) == repr(b.features)
    assert ours.flatten()[:] == theirs.flatten()[:] and repr(ours.flatten().features) == repr(theirs.flatten().features)
    with pytest.raises(ValueError, match="must be identical"):
        ours.cast(Features({"s": Value("int32")}))


def test_column_errors_name_the_column(pair):
    ours, _ = pair
    with pytest.raises(ColumnNotFoundError, match=r"Column name \['zz'\] not in the dataset"):
        ours.remove_columns("zz")
    with pytest.raises(ValueError, match="New column name i already in the dataset"):
        ours.rename_column("t", "i")
    with pytest.raises(ValueError, match="has 2 values but the dataset has 57 rows"):
        ours.add_column("q", [1, 2])
    with pytest.raises(ColumnNotFoundError, match="not found for sort"):
        ours.sort("zz")


def test_concatenate_matches_reference(ref):
    a_data, b_data = {"x": [1, 2, 3], "y": ["a", "b", "c"]}, {"x": [4, 5], "y": ["d", "e"]}
    ours = [Dataset.from_dict(a_data).shuffle(seed=0), Dataset.from_dict(b_data)]
    theirs = [ref.Dataset.from_dict(a_data).shuffle(seed=0), ref.Dataset.from_dict(b_data)]
    assert concatenate_datasets(ours)[:] == ref.concatenate_datasets(theirs)[:]
    side_ours = concatenate_datasets([Dataset.from_dict(a_data), Dataset.from_dict({"z": [7, 8, 9]}).shuffle(seed=1)], axis=1)
    side_theirs = ref.concatenate_datasets(
        [ref.Dataset.from_dict(a_data), ref.Dataset.from_dict({"z": [7, 8, 9]}).shuffle(seed=1)], axis=1
    )
    assert side_ours[:] == side_theirs[:]
    with pytest.raises(ValueError, match="same columns"):
        concatenate_datasets([Dataset.from_dict(a_data), Dataset.from_dict({"q": [1]})])
    with pytest.raises(ValueError, match="can't be aligned"):
        concatenate_datasets([Dataset.from_dict({"x": [1]}), Dataset.from_dict({"x": ["s"]})])


@pytest.mark.parametrize("strategy", ["first_exhausted", "all_exhausted", "all_exhausted_without_replacement"])
@pytest.mark.parametrize("probabilities", [None, [0.2, 0.5, 0.3]])
def test_interleave_order_matches_reference(ref, strategy, probabilities):
    sizes = (4, 9, 6)
    ours = [Dataset.from_dict({"v": [k * 100 + i for i in range(n)]}) for k, n in enumerate(sizes)]
    theirs = [ref.Dataset.from_dict({"v": [k * 100 + i for i in range(n)]}) for k, n in enumerate(sizes)]
    got = interleave_datasets(ours, probabilities=probabilities, seed=42, stopping_strategy=strategy)["v"][:]
    want = ref.interleave_datasets(theirs, probabilities=probabilities, seed=42, stopping_strategy=strategy)["v"][:]
    assert got == want
