"""Streaming: content and order (shuffle included) match the reference; transforms;
DataLoader workers and ranks cover every row once; state_dict resumes exactly."""

from __future__ import annotations

import json

import pytest
import torch

import datasets as ref_datasets
from datasets.distributed import split_dataset_by_node as ref_split_dataset_by_node
from embrace.datasets import Dataset, IterableDataset, load_dataset, split_dataset_by_node
from embrace.datasets.iterable_dataset import to_iterable_dataset


@pytest.fixture(scope="module")
def shards(tmp_path_factory):
    root = tmp_path_factory.mktemp("stream")
    paths = []
    start = 0
    for i, size in enumerate([40, 7, 55, 1, 30, 12, 9, 3, 20, 11, 5, 8]):  # 12 files: more than 10 input shards
        path = root / f"part-{i:02d}.jsonl"
        path.write_text("".join(json.dumps({"i": start + k, "t": f"row {start + k}"}) + "\n" for k in range(size)))
        paths.append(str(path))
        start += size
    return paths


def _pair(shards, **kwargs):
    ours = load_dataset("json", data_files=shards, split="train", streaming=True, **kwargs)
    ref = ref_datasets.load_dataset("json", data_files=shards, split="train", streaming=True, **kwargs)
    return ours, ref


def _ids(ds):
    return [row["i"] for row in ds]


def test_streaming_content_and_order(shards):
    ours, ref = _pair(shards)
    assert isinstance(ours, IterableDataset) and ours.num_shards == ref.num_shards == 12
    assert list(ours) == list(ref)


@pytest.mark.parametrize("seed,buffer_size", [(42, 1000), (0, 16), (7, 3)])
def test_shuffle_order_matches_reference(shards, seed, buffer_size):
    ours, ref = _pair(shards)
    assert _ids(ours.shuffle(seed=seed, buffer_size=buffer_size)) == _ids(ref.shuffle(seed=seed, buffer_size=buffer_size))


def test_epochs_and_skip_take_order_match_reference(shards):
    ours, ref = _pair(shards)
    o, r = ours.shuffle(seed=1, buffer_size=10), ref.shuffle(seed=1, buffer_size=10)
    for epoch in (1, 2):
        o.set_epoch(epoch)
        r.set_epoch(epoch)
        assert _ids(o) == _ids(r)
    assert _ids(ours.skip(5).take(30).shuffle(seed=3, buffer_size=8)) == _ids(ref.skip(5).take(30).shuffle(seed=3, buffer_size=8))


def test_transforms_match_reference(shards):
    ours, ref = _pair(shards)

    def pipeline(ds):
        ds = ds.map(lambda row, idx: {"j": row["i"] * 2 + idx}, with_indices=True)
        ds = ds.filter(lambda batch: [v % 3 != 0 for v in batch["i"]], batched=True, batch_size=7)
        ds = ds.map(lambda batch: {"n": [len(t) for t in batch["t"]]}, batched=True, batch_size=5)
        return ds.rename_column("t", "text").remove_columns("j").skip(4).take(50)

    assert list(pipeline(ours)) == list(pipeline(ref))
    assert list(ours.select_columns(["i"]).batch(8, drop_last_batch=True)) == list(
        ref.select_columns(["i"]).batch(8, drop_last_batch=True))


def test_with_format_torch(shards):
    ours, ref = _pair(shards)
    a = next(iter(ours.select_columns(["i"]).with_format("torch")))
    b = next(iter(ref.select_columns(["i"]).with_format("torch")))
    assert torch.equal(a["i"], b["i"]) and a["i"].dtype == b["i"].dtype


@pytest.mark.parametrize("num_workers", [2])
def test_dataloader_workers_cover_every_row_once(shards, num_workers):
    ds = load_dataset("json", data_files=shards, split="train", streaming=True)
    loader = torch.utils.data.DataLoader(ds.select_columns(["i"]), batch_size=None, num_workers=num_workers)
    seen = [int(row["i"]) for row in loader]
    assert sorted(seen) == list(range(201))


@pytest.mark.parametrize("world_size", [2, 3, 5])
def test_split_dataset_by_node_has_no_duplicates_or_gaps(shards, world_size):
    ours, ref = _pair(shards)
    parts = [_ids(split_dataset_by_node(ours, rank=r, world_size=world_size)) for r in range(world_size)]
    assert sorted(i for part in parts for i in part) == list(range(201))
    assert parts == [_ids(ref_split_dataset_by_node(ref, rank=r, world_size=world_size))
                     for r in range(world_size)]


@pytest.mark.parametrize("build", [
    lambda ds: ds,
    lambda ds: ds.map(lambda b: {"k": [x + 1 for x in b["i"]]}, batched=True, batch_size=6).filter(lambda r: r["i"] % 4),
    lambda ds: ds.shuffle(seed=5, buffer_size=1).skip(3).take(150),
])
@pytest.mark.parametrize("stop_after", [1, 37, 120])
def test_state_dict_resume(shards, build, stop_after):
    full = _ids(build(load_dataset("json", data_files=shards, split="train", streaming=True)))
    ds = build(load_dataset("json", data_files=shards, split="train", streaming=True))
    it = iter(ds)
    head = [next(it)["i"] for _ in range(stop_after)]
    state = ds.state_dict()
    resumed = build(load_dataset("json", data_files=shards, split="train", streaming=True))
    resumed.load_state_dict(state)
    assert head + _ids(resumed) == full


def test_to_iterable_dataset_shards_and_workers():
    ds = Dataset.from_dict({"x": list(range(23))})
    it = to_iterable_dataset(ds, num_shards=4)
    assert it.num_shards == 4 and [r["x"] for r in it] == list(range(23))
    loader = torch.utils.data.DataLoader(it, batch_size=None, num_workers=2)
    assert sorted(int(r["x"]) for r in loader) == list(range(23))
    with pytest.raises(ValueError, match="num_shards"):
        to_iterable_dataset(ds, num_shards=0)


def test_bad_streaming_input(shards):
    ds = load_dataset("json", data_files=shards, split="train", streaming=True)
    with pytest.raises(ValueError, match="rank"):
        split_dataset_by_node(ds, rank=2, world_size=2)
    with pytest.raises(ValueError, match="buffer_size"):
        ds.shuffle(buffer_size=0)
    with pytest.raises(ValueError, match="load_state_dict"):
        ds.load_state_dict({"nope": 1})
    with pytest.raises(ValueError, match="Bad split"):
        load_dataset("json", data_files=shards, split="test", streaming=True)


def test_dataset_method_to_iterable_dataset_streams_every_row_in_order():
    from embrace.datasets import Dataset

    stream = Dataset.from_dict({"x": list(range(10))}).shuffle(seed=3).to_iterable_dataset(num_shards=4)
    assert stream.num_shards == 4
    assert [row["x"] for row in stream] == Dataset.from_dict({"x": list(range(10))}).shuffle(seed=3)["x"][:]
