"""save_to_disk / load_from_disk: the reference's folder layout, in both directions."""

from __future__ import annotations

import json
import os

import pyarrow as pa
import pytest

from embrace.datasets import ClassLabel, Dataset, DatasetDict, Features, List, Value, load_from_disk
from embrace.errors import DirectoryExpectedError

DATA = {"t": ["a", "b", "c", "d", "e"], "l": [0, 1, 1, 0, 1], "v": [[1.0], [], [2.0, 3.0], [4.0], [5.0]]}


def _datasets(ref):
    ours = Dataset.from_dict(DATA, features=Features({"t": Value("string"), "l": ClassLabel(names=["n", "p"]), "v": List(Value("float32"))}))
    theirs = ref.Dataset.from_dict(
        DATA, features=ref.Features({"t": ref.Value("string"), "l": ref.ClassLabel(names=["n", "p"]), "v": ref.List(ref.Value("float32"))})
    )
    return ours, theirs


def _read(path):
    with open(path, encoding="utf-8") as handle:
        return handle.read()


def test_saved_folder_matches_the_reference_layout(ref, tmp_path):
    ours, theirs = _datasets(ref)
    ours.shuffle(seed=3).save_to_disk(str(tmp_path / "ours"))
    theirs.shuffle(seed=3).save_to_disk(str(tmp_path / "theirs"))
    assert sorted(os.listdir(tmp_path / "ours")) == sorted(os.listdir(tmp_path / "theirs"))
    assert _read(tmp_path / "ours" / "dataset_info.json") == _read(tmp_path / "theirs" / "dataset_info.json")
    state_ours = json.loads(_read(tmp_path / "ours" / "state.json"))
    state_theirs = json.loads(_read(tmp_path / "theirs" / "state.json"))
    state_ours.pop("_fingerprint"), state_theirs.pop("_fingerprint")
    assert state_ours == state_theirs
    # the data files are Arrow IPC streams with the same schema (features in the metadata)
    with pa.memory_map(str(tmp_path / "ours" / "data-00000-of-00001.arrow")) as source:
        table = pa.ipc.open_stream(source).read_all()
    with pa.memory_map(str(tmp_path / "theirs" / "data-00000-of-00001.arrow")) as source:
        expected = pa.ipc.open_stream(source).read_all()
    assert table.schema.equals(expected.schema, check_metadata=True) and table.equals(expected)


def test_reference_loads_ours_and_we_load_the_reference(ref, tmp_path):
    ours, theirs = _datasets(ref)
    ours.with_format("numpy", columns=["l"]).save_to_disk(str(tmp_path / "ours"), num_shards=2)
    theirs.with_format("numpy", columns=["l"]).save_to_disk(str(tmp_path / "theirs"), num_shards=2)
    loaded_by_ref = ref.load_from_disk(str(tmp_path / "ours"))
    loaded_by_us = load_from_disk(str(tmp_path / "theirs"))
    for loaded in (loaded_by_ref, loaded_by_us):
        assert loaded.format["type"] == "numpy" and loaded.format["columns"] == ["l"]
        loaded.reset_format()
        assert loaded[:] == theirs[:] and repr(loaded.features) == repr(theirs.features)
    assert len(loaded_by_us.cache_files) == 2  # memory-mapped shards
    assert Dataset.load_from_disk(str(tmp_path / "ours")).with_format(None)[:] == ours[:]


def test_dataset_dict_round_trips_both_ways(ref, tmp_path):
    ours, theirs = _datasets(ref)
    dd_ours = ours.train_test_split(test_size=2, seed=0)
    dd_theirs = theirs.train_test_split(test_size=2, seed=0)
    assert repr(dd_ours) == repr(dd_theirs)
    dd_ours.save_to_disk(str(tmp_path / "ours"))
    dd_theirs.save_to_disk(str(tmp_path / "theirs"))
    assert _read(tmp_path / "ours" / "dataset_dict.json") == _read(tmp_path / "theirs" / "dataset_dict.json")
    back_ref, back_ours = ref.load_from_disk(str(tmp_path / "ours")), load_from_disk(str(tmp_path / "theirs"))
    assert isinstance(back_ours, DatasetDict) and list(back_ours) == ["train", "test"]
    for split in ("train", "test"):
        assert back_ref[split][:] == dd_theirs[split][:] == back_ours[split][:]
    assert DatasetDict.load_from_disk(str(tmp_path / "ours"))["test"][:] == dd_ours["test"][:]


def test_bad_paths_raise_clear_errors(tmp_path):
    ds = Dataset.from_dict({"a": [1]})
    with pytest.raises(FileNotFoundError, match="not found"):
        load_from_disk(str(tmp_path / "missing"))
    (tmp_path / "empty").mkdir()
    with pytest.raises(FileNotFoundError, match="neither a Dataset folder"):
        load_from_disk(str(tmp_path / "empty"))
    (tmp_path / "file").write_text("x")
    with pytest.raises(DirectoryExpectedError):
        ds.save_to_disk(str(tmp_path / "file"))
    ds.save_to_disk(str(tmp_path / "d"))
    loaded = load_from_disk(str(tmp_path / "d"))
    with pytest.raises(PermissionError, match="can't overwrite itself"):
        loaded.save_to_disk(str(tmp_path / "d"))
    with pytest.raises(TypeError, match="JSON serializable"):
        ds.with_format("numpy", dtype=object).save_to_disk(str(tmp_path / "e"))
    (tmp_path / "d" / "data-00000-of-00001.arrow").write_bytes(b"not arrow")
    with pytest.raises(OSError, match="not an Arrow IPC"):
        load_from_disk(str(tmp_path / "d"))


def test_array2d_columns_round_trip_with_the_reference(ref, tmp_path):
    from embrace.datasets import Array2D

    rows = {"m": [[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], [[0.0, 0.5, 1.0], [1.5, 2.0, 2.5]]]}
    Dataset.from_dict(rows, features=Features({"m": Array2D((2, 3), "float32")})).save_to_disk(str(tmp_path / "ours"))
    ref.Dataset.from_dict(rows, features=ref.Features({"m": ref.Array2D((2, 3), "float32")})).save_to_disk(str(tmp_path / "theirs"))
    by_ref, by_us = ref.load_from_disk(str(tmp_path / "ours")), load_from_disk(str(tmp_path / "theirs"))
    assert repr(by_ref.features) == repr(by_us.features) == "{'m': Array2D(shape=(2, 3), dtype='float32')}"
    assert by_ref[:] == by_us[:] == rows
    assert by_us.with_format("numpy")[:]["m"].shape == by_ref.with_format("numpy")[:]["m"].shape == (2, 2, 3)
