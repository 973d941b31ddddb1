"""Dataset construction, access, formats and errors, compared with the reference."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
import torch

from embrace.datasets import ClassLabel, Dataset, Features, Value
from embrace.errors import ColumnNotFoundError, DatasetTransformError

DATA = {"a": [1, 2, 3, 4, 5, 6, 7], "b": ["x", "y", "z", "w", "v", "u", "t"], "f": [0.5, 1.5, 2.5, 3.5, 4.5, 5.5, 6.5]}


@pytest.fixture()
def pair(ref):
    return Dataset.from_dict(DATA), ref.Dataset.from_dict(DATA)


def test_repr_features_shape_and_indexing_match_reference(pair):
    ours, theirs = pair
    assert repr(ours) == repr(theirs)
    assert repr(ours.features) == repr(theirs.features)
    assert (ours.num_rows, ours.num_columns, ours.shape, ours.column_names) == (
        theirs.num_rows, theirs.num_columns, theirs.shape, theirs.column_names,
    )
    for key in (0, -1, 3, slice(1, 4), slice(None, None, 2), slice(5, 2), [0, 6, 2], np.array([1, 1]), range(2, 5)):
        assert ours[key] == theirs[key], key
    assert repr(ours["a"]) == repr(theirs["a"])
    assert ours["b"][2] == theirs["b"][2] and ours["b"][1:3] == theirs["b"][1:3]
    assert list(ours) == list(theirs)
    assert ours.__getitems__([3, 1]) == theirs.__getitems__([3, 1])


def test_constructors_match_reference(ref):
    rows = [{"a": 1, "b": [1.0, 2.0]}, {"a": 2, "b": []}]
    assert Dataset.from_list(rows)[:] == ref.Dataset.from_list(rows)[:]
    assert repr(Dataset.from_list(rows).features) == repr(ref.Dataset.from_list(rows).features)
    df = pd.DataFrame({"x": [1, 2], "y": ["a", "b"]})
    assert Dataset.from_pandas(df)[:] == ref.Dataset.from_pandas(df)[:]
    features = Features({"t": Value("string"), "l": ClassLabel(names=["n", "p"])})
    ours = Dataset.from_dict({"t": ["a", "b"], "l": ["p", 0]}, features=features)
    theirs = ref.Dataset.from_dict(
        {"t": ["a", "b"], "l": ["p", 0]}, features=ref.Features({"t": ref.Value("string"), "l": ref.ClassLabel(names=["n", "p"])})
    )
    assert ours[:] == theirs[:] and repr(ours.features) == repr(theirs.features)


def test_from_generator_caches_to_a_mapped_file(tmp_path):
    def gen(n):
        for i in range(n):
            yield {"i": i, "s": str(i)}

    ds = Dataset.from_generator(gen, gen_kwargs={"n": 4}, cache_dir=str(tmp_path))
    assert ds["i"][:] == [0, 1, 2, 3] and str(ds.split) == "train"
    assert ds.cache_files and ds.cache_files[0]["filename"].startswith(str(tmp_path))
    again = Dataset.from_generator(gen, gen_kwargs={"n": 4}, cache_dir=str(tmp_path))
    assert again.cache_files == ds.cache_files and again._fingerprint == ds._fingerprint


def test_from_file_memory_maps(tmp_path):
    path = tmp_path / "d.arrow"
    with pa.OSFile(str(path), "wb") as sink, pa.ipc.new_stream(sink, pa.schema({"a": pa.int64()})) as writer:
        writer.write_table(pa.table({"a": [5, 6]}))
    ds = Dataset.from_file(str(path))
    assert ds["a"][:] == [5, 6] and ds.cache_files == [{"filename": str(path)}]


@pytest.mark.parametrize("fmt", ["numpy", "torch", "pandas", "arrow"])
def test_formats_match_reference(pair, fmt):
    ours, theirs = (d.with_format(fmt) for d in pair)
    for key in (0, slice(1, 4), [4, 0]):
        _assert_same(ours[key], theirs[key])
    _assert_same(ours["a"][:], theirs["a"][:])
    if fmt != "pandas":  # the reference's Series index for a column slice is not reproduced
        _assert_same(ours["f"][1:3], theirs["f"][1:3])


def test_format_columns_and_output_all_columns_match_reference(pair):
    ours, theirs = pair
    for kwargs in ({"columns": ["a"]}, {"columns": ["a"], "output_all_columns": True}):
        _assert_same(ours.with_format("torch", **kwargs)[0], theirs.with_format("torch", **kwargs)[0])
        _assert_same(ours.with_format("numpy", **kwargs)[:2], theirs.with_format("numpy", **kwargs)[:2])
    ours.set_format("numpy", columns=["b"])
    theirs.set_format("numpy", columns=["b"])
    assert ours.format == theirs.format
    with ours.formatted_as("torch"):
        assert isinstance(ours[0]["a"], torch.Tensor)
    assert isinstance(ours[0]["b"], np.str_)
    ours.reset_format()
    theirs.reset_format()
    assert ours.format == theirs.format and ours[0] == theirs[0]


def test_nested_and_nan_values_in_numpy_format_match_reference(ref):
    data = {"l": [[1, 2], [3, 4]], "r": [[1], [2, 3]], "n": [float("nan"), 1.0], "s": [{"x": 1}, {"x": 2}]}
    _assert_same(Dataset.from_dict(data).with_format("numpy")[:], ref.Dataset.from_dict(data).with_format("numpy")[:])
    _assert_same(Dataset.from_dict(data).with_format("torch")[0], ref.Dataset.from_dict(data).with_format("torch")[0])


def test_transform_matches_reference(pair):
    ours, theirs = pair

    def upper(batch):
        return {"b": [s.upper() for s in batch["b"]]}

    assert ours.with_transform(upper)[1:3] == theirs.with_transform(upper)[1:3]
    assert ours.with_transform(upper)[0] == theirs.with_transform(upper)[0]
    assert ours.with_transform(upper, columns=["b"], output_all_columns=True)[0] == theirs.with_transform(
        upper, columns=["b"], output_all_columns=True
    )[0]


def test_bad_input_errors_name_the_problem():
    with pytest.raises(DatasetTransformError, match=r"'a': 2, 'b': 1"):
        Dataset.from_dict({"a": [1, 2], "b": [1]})
    ds = Dataset.from_dict({"a": [1, 2]})
    with pytest.raises(IndexError, match="Invalid key: 5 is out of bounds for size 2"):
        ds[5]
    with pytest.raises(IndexError, match="out of bounds"):
        ds[[0, -3]]
    with pytest.raises(ColumnNotFoundError, match="Column 'zz' doesn't exist"):
        ds["zz"]
    with pytest.raises(ValueError, match="not in the dataset"):
        ds.set_format("numpy", columns=["zz"])
    with pytest.raises(KeyError, match="Unknown format type 'tensorflow2'"):
        ds.set_format("tensorflow2")
    with pytest.raises(DatasetTransformError, match="Column 'a' cannot be stored"):
        Dataset.from_dict({"a": [1, "x"]})
    with pytest.raises(TypeError, match="dict of columns"):
        Dataset.from_dict([1, 2])


def _assert_same(a, b):
    if isinstance(b, dict):
        assert isinstance(a, dict) and list(a) == list(b)
        for key in b:
            _assert_same(a[key], b[key])
    elif isinstance(b, torch.Tensor):
        assert isinstance(a, torch.Tensor) and a.dtype == b.dtype
        torch.testing.assert_close(a, b, equal_nan=True, rtol=0, atol=0)
    elif isinstance(b, np.ndarray):
        assert isinstance(a, np.ndarray) and a.dtype == b.dtype and a.shape == b.shape
        if b.dtype == object:
            for x, y in zip(a, b):
                _assert_same(x, y)
        else:
            np.testing.assert_array_equal(a, b)
    elif isinstance(b, (pd.DataFrame, pd.Series)):
        assert type(a) is type(b)
        (pd.testing.assert_frame_equal if isinstance(b, pd.DataFrame) else pd.testing.assert_series_equal)(a, b)
    elif isinstance(b, (pa.Table, pa.ChunkedArray)):
        assert type(a) is type(b) and a.to_pylist() == b.to_pylist()
    elif isinstance(b, list):
        assert isinstance(a, list) and len(a) == len(b)
        for x, y in zip(a, b):
            _assert_same(x, y)
    elif isinstance(b, float) and np.isnan(b):
        assert np.isnan(a)
    else:
        assert type(a) is type(b) and a == b, (a, b)


def test_constructor_takes_features_from_info_and_checks_them():
    from embrace.datasets import DatasetInfo

    table = pa.table({"l": [0, 1], "t": ["a", "b"]})
    features = Features({"t": Value("string"), "l": ClassLabel(names=["n", "p"])})
    ds = Dataset(table, info=DatasetInfo(features=features), split="train")
    assert list(ds.features) == ["l", "t"] and ds.features["l"] == ClassLabel(names=["n", "p"])
    assert str(ds.split) == "train" and ds[1] == {"l": 1, "t": "b"}
    with pytest.raises(ValueError, match="do not match the Arrow table"):
        Dataset(table, info=DatasetInfo(features=Features({"l": Value("string"), "t": Value("string")})))
    with pytest.raises(ValueError, match="do not match the Arrow table"):
        Dataset(table, info=DatasetInfo(features=Features({"l": Value("int64")})))
