"""The prepared-Arrow cache: reference layout, reuse without re-reading, invalidation on
change, HF_DATASETS_CACHE, force_redownload, and flat memory on a big CSV."""

from __future__ import annotations

import gc
import json
import os

import psutil
import pytest

from embrace.datasets import load_dataset, load_dataset_builder
from embrace.datasets import io as formats_module
from embrace.datasets.io import Format


@pytest.fixture
def read_counter(monkeypatch):
    calls = []
    original = formats_module.FORMATS["csv"]

    def counting(path, config, schema):
        calls.append(path)
        return original.read(path, config, schema)

    monkeypatch.setitem(formats_module.FORMATS, "csv", Format("csv", original.config_class, counting))
    return calls


def test_second_call_reuses_cache_without_reading(tmp_path, read_counter):
    path = tmp_path / "d.csv"
    path.write_text("a,b\n1,x\n2,y\n")
    first = load_dataset("csv", data_files=str(path), cache_dir=str(tmp_path / "c"))
    assert read_counter == [str(path)]
    second = load_dataset("csv", data_files=str(path), cache_dir=str(tmp_path / "c"))
    assert read_counter == [str(path)]  # not read again
    assert second["train"][:] == first["train"][:]
    stat = os.stat(path)
    path.write_text("a,b\n7,z\n")  # a change of content and mtime invalidates the cache
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
    assert load_dataset("csv", data_files=str(path), cache_dir=str(tmp_path / "c"))["train"][:] == {"a": [7], "b": ["z"]}
    assert len(read_counter) == 2
    load_dataset("csv", data_files=str(path), cache_dir=str(tmp_path / "c"), download_mode="force_redownload")
    assert len(read_counter) == 3


def test_cache_layout_and_env(tmp_path, monkeypatch):
    path = tmp_path / "d.csv"
    path.write_text("a\n1\n2\n")
    monkeypatch.setenv("HF_DATASETS_CACHE", str(tmp_path / "env_cache"))
    ds = load_dataset("csv", data_files=str(path), split="train")
    (cache_file,) = [f["filename"] for f in ds.cache_files]
    rel = os.path.relpath(cache_file, tmp_path / "env_cache").split(os.sep)
    assert rel[0] == "csv" and rel[1].startswith("default-") and len(rel[1]) == len("default-") + 16
    assert rel[2] == "0.0.0" and len(rel[3]) == 64 and rel[4] == "csv-train.arrow"
    info = json.loads((tmp_path / "env_cache" / os.path.join(*rel[:4]) / "dataset_info.json").read_text())
    assert info["splits"]["train"]["num_examples"] == 2 and info["builder_name"] == "csv"
    assert info["features"] == {"a": {"dtype": "int64", "_type": "Value"}}
    builder = load_dataset_builder("csv", data_files=str(path))
    assert builder.cache_dir == os.path.dirname(cache_file)
    with pytest.raises(ValueError, match="download_mode"):
        load_dataset("csv", data_files=str(path), download_mode="sometimes")


def test_keep_in_memory_has_no_cache_files(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text("a\n1\n")
    assert load_dataset("csv", data_files=str(path), split="train", keep_in_memory=True,
                        cache_dir=str(tmp_path / "c")).cache_files == []


def test_big_csv_is_memory_mapped(tmp_path):
    path = tmp_path / "big.csv"
    line = "1234567,some text that is long enough to fill the file quickly,3.25,True\n"
    with open(path, "w") as f:
        f.write("id,text,score,flag\n")
        chunk = line * 10_000
        for _ in range((120 << 20) // len(chunk)):
            f.write(chunk)
    size = os.path.getsize(path)
    gc.collect()
    process = psutil.Process()
    before = process.memory_info().rss
    ds = load_dataset("csv", data_files=str(path), split="train", cache_dir=str(tmp_path / "c"))
    gc.collect()
    grown = process.memory_info().rss - before
    assert ds.num_rows > 1_000_000
    assert ds[ds.num_rows - 1]["text"].startswith("some text")
    assert grown < size / 3, f"RSS grew by {grown >> 20} MiB for a {size >> 20} MiB CSV"
