"""load_dataset(num_proc=N): a split's files are converted by worker processes into numbered
shards, with the reference's file names, shard lengths and row order; errors in a worker
surface with the file name and leave no half-prepared cache."""

from __future__ import annotations

import json
import os

import pytest

import datasets as ref_datasets
from embrace.datasets import load_dataset
from embrace.errors import DatasetGenerationCastError


def _files(root, count: int, rows: int = 3) -> list[str]:
    paths = []
    for i in range(count):
        path = root / f"part{i}.csv"
        path.write_text("a,b\n" + "".join(f"{i * 100 + r},t{i}-{r}\n" for r in range(rows + i)))
        paths.append(str(path))
    return paths


def _split_info(dataset) -> dict:
    folder = os.path.dirname(dataset.cache_files[0]["filename"])
    with open(os.path.join(folder, "dataset_info.json")) as handle:
        return json.load(handle)["splits"]["train"]


@pytest.mark.parametrize("count,num_proc", [(3, 2), (5, 3), (2, 8)])
def test_shards_match_reference(tmp_path, count, num_proc):
    files = _files(tmp_path, count)
    ours = load_dataset("csv", data_files={"train": files}, num_proc=num_proc, cache_dir=str(tmp_path / "c1"))["train"]
    ref = ref_datasets.load_dataset("csv", data_files={"train": files}, num_proc=num_proc,
                                    cache_dir=str(tmp_path / "c2"))["train"]
    assert ours[:] == ref[:]
    assert ours.features.to_dict() == ref.features.to_dict()
    names = lambda ds: [os.path.basename(f["filename"]) for f in ds.cache_files]  # noqa: E731
    assert names(ours) == names(ref)
    assert _split_info(ours).get("shard_lengths") == _split_info(ref).get("shard_lengths")


def test_sharded_cache_is_reused_by_a_plain_call(tmp_path):
    files = _files(tmp_path, 4)
    cache = str(tmp_path / "c")
    first = load_dataset("csv", data_files={"train": files}, num_proc=2, cache_dir=cache)["train"]
    mtimes = {f["filename"]: os.stat(f["filename"]).st_mtime_ns for f in first.cache_files}
    again = load_dataset("csv", data_files={"train": files}, cache_dir=cache)["train"]
    assert again[:] == first[:]
    assert {f["filename"]: os.stat(f["filename"]).st_mtime_ns for f in again.cache_files} == mtimes


def test_type_conflict_in_a_worker_names_the_file_and_leaves_nothing(tmp_path):
    files = _files(tmp_path, 3)
    with open(files[2], "a") as handle:
        handle.write("not-a-number,x\n")
    cache = tmp_path / "c"
    with pytest.raises(DatasetGenerationCastError, match="part2.csv"):
        load_dataset("csv", data_files={"train": files}, num_proc=2, cache_dir=str(cache))
    leftovers = [p for p in cache.rglob("*") if ".incomplete" in p.name or p.suffix == ".arrow"]
    assert leftovers == []
