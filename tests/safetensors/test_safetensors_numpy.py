"""embrace.safetensors.numpy against the reference safetensors.numpy."""

from __future__ import annotations

import numpy as np
import pytest
import safetensors
import safetensors.numpy as ref
import safetensors.torch as ref_torch
import torch

from embrace.errors import SafetensorsError
from embrace.safetensors import safe_open
from embrace.safetensors import numpy as ours

NUMPY_DTYPES = [np.bool_, np.uint8, np.int8, np.uint16, np.int16, np.uint32, np.int32, np.uint64, np.int64]
NUMPY_DTYPES += [np.float16, np.float32, np.float64, np.complex64]


def arrays() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(0)
    out = {}
    for dtype in NUMPY_DTYPES:
        name = np.dtype(dtype).name
        raw = rng.integers(0, 2 if dtype is np.bool_ else 256, size=12 * np.dtype(dtype).itemsize, dtype=np.uint8)
        out[f"{name}.m"] = raw.view(dtype).reshape(3, 4)
        out[f"{name}.s"] = raw[: np.dtype(dtype).itemsize].view(dtype).reshape(())
        out[f"{name}.e"] = np.zeros((0, 2), dtype=dtype)
    return out


def assert_same(actual: dict, expected: dict) -> None:
    assert sorted(actual) == sorted(expected)
    for name, array in expected.items():
        assert actual[name].dtype == array.dtype and actual[name].shape == array.shape, name
        assert actual[name].tobytes() == array.tobytes(), name


@pytest.mark.parametrize("metadata", [None, {"format": "np"}])
def test_save_writes_the_reference_bytes(metadata) -> None:
    assert ours.save(arrays(), metadata=metadata) == ref.save(arrays(), metadata=metadata)


def test_interop_both_directions(tmp_path) -> None:
    ours.save_file(arrays(), tmp_path / "ours.safetensors", metadata={"a": "b"})
    ref.save_file(arrays(), str(tmp_path / "ref.safetensors"), metadata={"a": "b"})
    assert_same(ref.load_file(str(tmp_path / "ours.safetensors")), arrays())
    assert_same(ours.load_file(tmp_path / "ref.safetensors"), arrays())
    assert_same(ours.load_file(tmp_path / "ref.safetensors", backend="pread"), arrays())
    assert_same(ours.load(ref.save(arrays())), arrays())
    assert_same(ref.load(ours.save(arrays())), arrays())


def test_loaded_arrays_are_writable_and_private(tmp_path) -> None:
    path = tmp_path / "a.safetensors"
    ours.save_file({"x": np.arange(4, dtype=np.int32)}, path)
    before = path.read_bytes()
    loaded = ours.load_file(path)
    loaded["x"][0] = 9
    assert path.read_bytes() == before
    from_bytes = ours.load(before)
    from_bytes["x"][1] = 9
    assert ours.load(before)["x"].tolist() == [0, 1, 2, 3]


def test_big_endian_arrays_are_stored_little_endian() -> None:
    values = np.arange(3, dtype=">i4")
    data = ours.save({"x": values})
    assert data == ref.save({"x": values})
    assert ours.load(data)["x"].tolist() == [0, 1, 2]


def test_strided_arrays_are_packed_before_saving() -> None:
    # The reference writes the base buffer of a strided array (wrong values); embrace packs it.
    transposed = np.arange(12, dtype=np.int32).reshape(3, 4).T
    assert np.array_equal(ours.load(ours.save({"x": transposed}))["x"], transposed)


@pytest.mark.parametrize(
    ("tensors", "error", "message"),
    [
        ({"x": np.zeros(2, dtype=np.complex128)}, SafetensorsError, "complex128"),
        ({"x": np.array(["a"])}, SafetensorsError, "cannot store"),
        ({"x": [1, 2]}, SafetensorsError, "must be a numpy.ndarray"),
        ({1: np.zeros(1)}, TypeError, "names must be str"),
        ([np.zeros(1)], SafetensorsError, "Expected a dict"),
    ],
)
def test_invalid_saves_are_refused(tmp_path, tensors, error, message) -> None:
    with pytest.raises(error, match=message):
        ours.save_file(tensors, tmp_path / "x.safetensors")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("dtype", [torch.bfloat16, torch.float8_e4m3fn, torch.float8_e8m0fnu])
def test_dtypes_numpy_lacks_are_refused_by_name(tmp_path, dtype) -> None:
    path = str(tmp_path / "t.safetensors")
    ref_torch.save_file({"x": torch.zeros(2, dtype=dtype)}, path)
    code = safetensors.safe_open(path, framework="pt").get_slice("x").get_dtype()
    with safe_open(path, framework="np") as handle:
        assert handle.get_slice("x").get_dtype() == code
        with pytest.raises(SafetensorsError, match=f"dtype {code} has no numpy equivalent.*framework='pt'"):
            handle.get_tensor("x")


def test_numpy_slices_index_like_the_reference(tmp_path) -> None:
    path = str(tmp_path / "a.safetensors")
    ref.save_file({"b": np.arange(24, dtype=np.float32).reshape(2, 3, 4)}, path)
    with safe_open(path, framework="numpy") as handle, safetensors.safe_open(path, framework="numpy") as expected:
        for index in [(slice(None), 1), (Ellipsis, 2), (0, slice(1, 3)), (slice(None, None, 2),)]:
            got, want = handle.get_slice("b")[index], expected.get_slice("b")[index]
            assert isinstance(got, np.ndarray) and np.array_equal(got, want)
