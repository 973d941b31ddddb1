"""Weights-only loading of pytorch_model.bin files, and shard index validation."""

from __future__ import annotations

import collections
import doctest
import json
import os
import pathlib
import pickle

import pytest
import torch

import embrace.io
import embrace.io.torch_bin
from embrace.errors import CheckpointError, UnsafeCheckpointError
from embrace.io import load_torch_bin, read_shard_index


class TouchesMarker:
    """Unpickling this would create a marker file (stands for any code a pickle can run)."""

    def __init__(self, marker: pathlib.Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (pathlib.Path.touch, (self.marker,))


class RunsShell:
    def __init__(self, marker: pathlib.Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def state_dict() -> collections.OrderedDict:
    torch.manual_seed(0)
    shared = torch.randn(4, 3)
    weights = collections.OrderedDict(
        [
            ("embed.weight", shared),
            ("head.weight", shared),  # tied: one storage, two names
            ("norm.weight", torch.ones(3, dtype=torch.bfloat16)),
            ("step", torch.tensor(7)),
        ]
    )
    weights._metadata = {"": {"version": 1}}  # what Module.state_dict() attaches
    return weights


@pytest.mark.parametrize("zip_format", [True, False], ids=["zip", "legacy"])
def test_a_torch_saved_state_dict_loads_equal(tmp_path, zip_format: bool) -> None:
    path = tmp_path / "pytorch_model.bin"
    expected = state_dict()
    torch.save(expected, path, _use_new_zipfile_serialization=zip_format)
    loaded = load_torch_bin(path)
    assert type(loaded) is dict and list(loaded) == list(expected)
    for name, tensor in expected.items():
        assert loaded[name].dtype == tensor.dtype and torch.equal(loaded[name], tensor)
    assert loaded["embed.weight"].data_ptr() == loaded["head.weight"].data_ptr()  # ties survive


@pytest.mark.parametrize("zip_format", [True, False], ids=["zip", "legacy"])
@pytest.mark.parametrize(
    ("payload", "global_name"), [(TouchesMarker, "getattr"), (RunsShell, "system")], ids=["touch", "os.system"]
)
def test_a_malicious_pickle_is_refused_without_running(tmp_path, zip_format, payload, global_name) -> None:
    marker = tmp_path / "pwned"
    path = tmp_path / "pytorch_model.bin"
    torch.save({"w": torch.ones(1), "evil": payload(marker)}, path, _use_new_zipfile_serialization=zip_format)
    with pytest.raises(UnsafeCheckpointError) as caught:
        load_torch_bin(path)
    message = str(caught.value)
    assert str(path) in message and global_name in message
    assert "never runs pickle code" in message and "save_file" in message and "safe_serialization=True" in message
    assert not marker.exists()


def test_a_plain_pickle_is_refused_without_running(tmp_path) -> None:
    marker = tmp_path / "pwned"
    path = tmp_path / "pytorch_model.bin"
    path.write_bytes(pickle.dumps({"w": RunsShell(marker)}, protocol=4))
    with pytest.raises(UnsafeCheckpointError, match="refused"):
        load_torch_bin(path)
    assert not marker.exists()


def test_numpy_inside_the_pickle_is_refused(tmp_path) -> None:
    import numpy as np

    path = tmp_path / "pytorch_model.bin"
    torch.save({"w": np.zeros(2)}, path)
    with pytest.raises(UnsafeCheckpointError, match="numpy"):
        load_torch_bin(path)


@pytest.mark.parametrize("zip_format", [True, False], ids=["zip", "legacy"])
def test_a_truncated_file_gives_a_clear_error(tmp_path, zip_format: bool) -> None:
    path = tmp_path / "pytorch_model.bin"
    torch.save(state_dict(), path, _use_new_zipfile_serialization=zip_format)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(CheckpointError, match="truncated, corrupt or not a torch.save file"):
        load_torch_bin(path)


@pytest.mark.parametrize("content", [b"", b"hello world", b"PK\x03\x04garbage"], ids=["empty", "text", "bad-zip"])
def test_files_that_are_not_checkpoints_give_a_clear_error(tmp_path, content: bytes) -> None:
    path = tmp_path / "pytorch_model.bin"
    path.write_bytes(content)
    with pytest.raises(CheckpointError, match=str(path)):
        load_torch_bin(path)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ([torch.ones(1)], "holds a list, not a state dict"),
        ({"w": torch.ones(1), "epoch": 3}, "'epoch': int"),
        ({"model": {"w": torch.ones(1)}}, "nested under 'model'"),
        ({1: torch.ones(1)}, "1: Tensor"),
    ],
)
def test_checkpoints_that_are_not_flat_state_dicts_are_refused(tmp_path, content, message: str) -> None:
    path = tmp_path / "checkpoint.bin"
    torch.save(content, path)
    with pytest.raises(CheckpointError, match=message):
        load_torch_bin(path)


def test_a_missing_file_raises_file_not_found(tmp_path) -> None:
    with pytest.raises(FileNotFoundError):
        load_torch_bin(tmp_path / "missing.bin")


# --- shard index ----------------------------------------------------------------------


def write_index(folder: pathlib.Path, document) -> pathlib.Path:
    path = folder / "model.safetensors.index.json"
    path.write_text(document if isinstance(document, str) else json.dumps(document))
    return path


def test_a_shard_index_reads_like_transformers_writes_it(tmp_path) -> None:
    weight_map = {
        "b.weight": "pytorch_model-00002-of-00002.bin",
        "a.weight": "pytorch_model-00001-of-00002.bin",
        "c.weight": "pytorch_model-00002-of-00002.bin",
    }
    index = read_shard_index(write_index(tmp_path, {"metadata": {"total_size": 96}, "weight_map": weight_map}))
    assert index.metadata == {"total_size": 96}
    assert index.weight_map == weight_map
    assert index.shard_files == ["pytorch_model-00001-of-00002.bin", "pytorch_model-00002-of-00002.bin"]
    assert read_shard_index(write_index(tmp_path, {"weight_map": weight_map})).metadata == {}


@pytest.mark.parametrize(
    "shard",
    ["../outside.safetensors", "..", ".", "sub/model.safetensors", "/etc/passwd", "..\\x.bin", "C:evil.bin", "a\x00b"],
)
def test_shard_names_that_leave_the_folder_are_refused(tmp_path, shard: str) -> None:
    path = write_index(tmp_path, {"weight_map": {"a.weight": "model-1.safetensors", "b.weight": shard}})
    with pytest.raises(CheckpointError, match="not a plain file name"):
        read_shard_index(path)


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ("{not json", "is not valid JSON"),
        ([], "must hold a JSON object"),
        ({"metadata": {}}, "no 'weight_map' object"),
        ({"weight_map": []}, "no 'weight_map' object"),
        ({"weight_map": {"a": 3}}, "must be a shard file name"),
        ({"weight_map": {"a": ""}}, "must be a shard file name"),
        ({"weight_map": {}, "metadata": [1]}, "'metadata' must be an object"),
    ],
)
def test_malformed_indexes_are_refused(tmp_path, document, message: str) -> None:
    with pytest.raises(CheckpointError, match=message):
        read_shard_index(write_index(tmp_path, document))


@pytest.mark.parametrize("module", [embrace.io, embrace.io.torch_bin])
def test_docstring_examples_run(module) -> None:
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0
