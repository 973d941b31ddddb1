"""Exports: same dicts, lists, frames and file bytes as the reference."""

from __future__ import annotations

import io

import pyarrow.parquet as pq
import pytest

from embrace.datasets import Dataset

DATA = {"a": [1, 2, 3], "s": ["x", "y,z", 'q"'], "f": [0.5, None, 2.25], "l": [[1], [], [2, 3]]}


@pytest.fixture()
def pair(ref):
    return Dataset.from_dict(DATA).shuffle(seed=1), ref.Dataset.from_dict(DATA).shuffle(seed=1)


def test_python_and_pandas_exports_match_reference(pair):
    import pandas as pd

    ours, theirs = pair
    assert ours.to_dict() == theirs.to_dict()
    assert ours.to_list() == theirs.to_list()
    pd.testing.assert_frame_equal(ours.to_pandas(), theirs.to_pandas())
    assert [b for b in ours.to_dict(batched=True, batch_size=2)] == [b for b in theirs.to_dict(batched=True, batch_size=2)]


@pytest.mark.parametrize("method", ["to_csv", "to_json"])
def test_text_files_match_reference_bytes(pair, tmp_path, method):
    ours, theirs = pair
    n_ours = getattr(ours, method)(str(tmp_path / "ours"), batch_size=2)
    n_theirs = getattr(theirs, method)(str(tmp_path / "theirs"), batch_size=2)
    assert (tmp_path / "ours").read_bytes() == (tmp_path / "theirs").read_bytes()
    assert n_ours == n_theirs
    buffer = io.BytesIO()
    getattr(ours, method)(buffer)
    assert buffer.getvalue() == (tmp_path / "theirs").read_bytes()


def test_parquet_round_trips_with_features(pair, ref, tmp_path):
    ours, theirs = pair
    ours.to_parquet(str(tmp_path / "ours.parquet"))
    theirs.to_parquet(str(tmp_path / "theirs.parquet"))
    a, b = pq.read_table(tmp_path / "ours.parquet"), pq.read_table(tmp_path / "theirs.parquet")
    assert a.equals(b) and a.schema.metadata[b"huggingface"] == b.schema.metadata[b"huggingface"]
