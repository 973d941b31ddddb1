"""Data files: folders with split names in file names, data_files dicts with globs, module
inference, split names; and bad input: missing files, wrong splits, type conflicts,
unreadable files, loading scripts, unknown options."""

from __future__ import annotations

import os

import pytest

import datasets as ref_datasets
from embrace.datasets import get_dataset_split_names, load_dataset
from embrace.errors import (
    DataFilesNotFoundError,
    DatasetGenerationCastError,
    DatasetGenerationError,
    EmptyDatasetError,
    RemoteCodeError,
)


def _write(path, text):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def _leftovers(cache):
    return [p for p in cache.rglob("*") if ".incomplete" in p.name or p.suffix == ".arrow"]


def test_folder_split_inference_matches_reference(tmp_path):
    root = tmp_path / "ds"
    _write(root / "train.csv", "a,b\n1,x\n2,y\n")
    _write(root / "my-dev-set.csv", "a,b\n3,z\n")
    _write(root / "test_0.csv", "a,b\n4,w\n")
    _write(root / "README.md", "# card")
    _write(root / ".hidden" / "train.csv", "a,b\n9,q\n")
    ours = load_dataset(str(root), cache_dir=str(tmp_path / "c1"))
    ref = ref_datasets.load_dataset(str(root), cache_dir=str(tmp_path / "c2"))
    assert list(ours) == list(ref) == ["train", "validation", "test"]
    for split in ref:
        assert ours[split][:] == ref[split][:]
    assert get_dataset_split_names(str(root)) == ref_datasets.get_dataset_split_names(str(root))


def test_folder_split_in_directory_names(tmp_path):
    root = tmp_path / "ds"
    _write(root / "train" / "a.jsonl", '{"x": 1}\n')
    _write(root / "train" / "b.jsonl", '{"x": 2}\n')
    _write(root / "validation" / "a.jsonl", '{"x": 3}\n')
    ours = load_dataset(str(root), cache_dir=str(tmp_path / "c1"))
    ref = ref_datasets.load_dataset(str(root), cache_dir=str(tmp_path / "c2"))
    assert {k: v[:] for k, v in ours.items()} == {k: v[:] for k, v in ref.items()}


def test_data_files_dict_with_globs(tmp_path):
    for i in range(3):
        _write(tmp_path / "raw" / f"part-{i}.jsonl", f'{{"i": {i}}}\n')
    _write(tmp_path / "raw" / "holdout.jsonl", '{"i": 99}\n')
    data_files = {"train": str(tmp_path / "raw" / "part-*.jsonl"), "test": [str(tmp_path / "raw" / "holdout.jsonl")]}
    ours = load_dataset("json", data_files=data_files, cache_dir=str(tmp_path / "c1"))
    ref = ref_datasets.load_dataset("json", data_files=data_files, cache_dir=str(tmp_path / "c2"))
    assert {k: v[:] for k, v in ours.items()} == {k: v[:] for k, v in ref.items()} == {
        "train": {"i": [0, 1, 2]}, "test": {"i": [99]}}


def test_missing_data_file_names_it(tmp_path):
    with pytest.raises(DataFilesNotFoundError, match="nope.csv"):
        load_dataset("csv", data_files=str(tmp_path / "nope.csv"), cache_dir=str(tmp_path / "c"))
    with pytest.raises(FileNotFoundError):
        load_dataset("csv", data_files=str(tmp_path / "*.csv"), cache_dir=str(tmp_path / "c"))
    with pytest.raises(ValueError, match="At least one data file"):
        load_dataset("csv")


def test_unknown_split_lists_available(tmp_path):
    path = _write(tmp_path / "d.csv", "a\n1\n")
    with pytest.raises(ValueError, match=r"Unknown split \"validation\".*\['train'\]"):
        load_dataset("csv", data_files=str(path), split="validation", cache_dir=str(tmp_path / "c"))


def test_type_conflict_across_files_names_file_and_column(tmp_path):
    first = _write(tmp_path / "a.csv", "x,y\n1,2\n")
    second = _write(tmp_path / "b.csv", "x,y\nhello,3\n")
    cache = tmp_path / "c"
    with pytest.raises(DatasetGenerationCastError, match=r"b\.csv.*'x'"):
        load_dataset("csv", data_files=[str(first), str(second)], cache_dir=str(cache))
    assert _leftovers(cache) == []  # nothing half-written stays in the cache
    other = _write(tmp_path / "c.csv", "x,z\n1,2\n")
    with pytest.raises(DatasetGenerationCastError, match=r"missing \['y'\]"):
        load_dataset("csv", data_files=[str(first), str(other)], cache_dir=str(cache))


def test_bad_row_names_file_and_row(tmp_path):
    path = _write(tmp_path / "bad.csv", "a,b\n1,2\n3\n")
    with pytest.raises(DatasetGenerationError, match=r"bad\.csv.*(Expected 2 columns|columns)"):
        load_dataset("csv", data_files=str(path), cache_dir=str(tmp_path / "c"))
    broken = _write(tmp_path / "broken.jsonl", '{"a": 1}\n{"a": \n')
    with pytest.raises(DatasetGenerationError, match=r"broken\.jsonl"):
        load_dataset("json", data_files=str(broken), cache_dir=str(tmp_path / "c"))
    binary = tmp_path / "bin.txt"
    binary.write_bytes(b"\xff\xfe\x00bad")
    with pytest.raises(DatasetGenerationError, match=r"bin\.txt"):
        load_dataset("text", data_files=str(binary), cache_dir=str(tmp_path / "c"))


def test_json_field_missing_lists_keys(tmp_path):
    path = _write(tmp_path / "d.json", '{"rows": [{"a": 1}]}')
    with pytest.raises(DatasetGenerationError, match=r"'data' not found.*\['rows'\]"):
        load_dataset("json", data_files=str(path), field="data", cache_dir=str(tmp_path / "c"))


def test_scripts_are_refused(tmp_path):
    script = _write(tmp_path / "ds" / "ds.py", "print('pwned')")
    with pytest.raises(RemoteCodeError, match="Dataset scripts are no longer supported"):
        load_dataset(str(script))
    with pytest.raises(RemoteCodeError, match="ds.py"):
        load_dataset(str(tmp_path / "ds"))


def test_empty_folder_and_unknown_options(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(EmptyDatasetError):
        load_dataset(str(tmp_path / "empty"))
    path = _write(tmp_path / "d.csv", "a\n1\n")
    with pytest.raises(TypeError, match="unexpected option.*'sepp'"):
        load_dataset("csv", data_files=str(path), sepp=";")
    with pytest.raises(ValueError, match="Empty 'data_files'"):
        load_dataset("csv", data_files=[])
    with pytest.raises(ValueError, match="sample_by"):
        load_dataset("text", data_files=str(path), sample_by="word")
    assert not os.path.exists(tmp_path / "c")
