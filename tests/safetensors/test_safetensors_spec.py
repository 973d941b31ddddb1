"""The framework-free layer: TensorSpec, serialize, serialize_file, deserialize, module docs."""

from __future__ import annotations

import doctest
import importlib

import numpy as np
import pytest
import safetensors

import embrace.safetensors as ours
from embrace.errors import SafetensorsError

SPEC_DTYPES = [
    "bool", "int8", "uint8", "int16", "uint16", "int32", "uint32", "int64", "uint64", "float16", "float32",
    "float64", "bfloat16", "float8_e4m3fn", "float8_e4m3fnuz", "float8_e5m2", "float8_e5m2fnuz",
    "float8_e8m0fnu", "float4_e2m1fn_x2", "complex64",
]
ITEMSIZE = {"int16": 2, "uint16": 2, "float16": 2, "bfloat16": 2, "int32": 4, "uint32": 4, "float32": 4}
ITEMSIZE |= {"int64": 8, "uint64": 8, "float64": 8, "complex64": 8}


def specs(module) -> tuple[dict, list]:
    """The same raw buffers described by ``module.TensorSpec`` (kept alive by the caller)."""
    buffers, described = [], {}
    for index, dtype in enumerate(SPEC_DTYPES):
        data = np.arange(6 * ITEMSIZE.get(dtype, 1), dtype=np.uint8) + index
        buffers.append(data)
        described[f"t.{dtype}"] = module.TensorSpec(dtype=dtype, shape=[2, 3], data_ptr=data.ctypes.data, data_len=data.nbytes)
    return described, buffers


def test_tensor_spec_matches_the_reference() -> None:
    ours_specs, keep = specs(ours)
    ref_specs, keep2 = specs(safetensors)
    for name, spec in ours_specs.items():
        expected = ref_specs[name]
        assert (spec.dtype, spec.shape, spec.data_len) == (expected.dtype, expected.shape, expected.data_len), name
    assert ours_specs["t.float4_e2m1fn_x2"].shape == [2, 6]  # F4 counts the packed values


@pytest.mark.parametrize("metadata", [None, {"format": "raw"}])
def test_serialize_matches_the_reference(metadata, tmp_path) -> None:
    ours_specs, keep = specs(ours)
    ref_specs, keep2 = specs(safetensors)
    expected = safetensors.serialize(ref_specs, metadata=metadata)
    assert ours.serialize(ours_specs, metadata=metadata) == expected
    ours.serialize_file(ours_specs, tmp_path / "a.safetensors", metadata=metadata)
    assert (tmp_path / "a.safetensors").read_bytes() == expected
    assert sorted(ours.deserialize(expected)) == sorted(
        (name, {"dtype": t["dtype"], "shape": t["shape"], "data": t["data"]}) for name, t in safetensors.deserialize(expected)
    )


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"dtype": "F32", "shape": [1], "data_ptr": 1, "data_len": 4}, "Unknown dtype 'F32'"),
        ({"dtype": "complex128", "shape": [1], "data_ptr": 1, "data_len": 16}, "Unknown dtype"),
        ({"dtype": "float32", "shape": [-1], "data_ptr": 1, "data_len": 4}, "non-negative ints"),
        ({"dtype": "float32", "shape": [1], "data_ptr": -1, "data_len": 4}, "data_ptr must be"),
        ({"dtype": "float4_e2m1fn_x2", "shape": [], "data_ptr": 1, "data_len": 1}, "at least one dimension"),
    ],
)
def test_tensor_spec_refuses_bad_fields(kwargs, message) -> None:
    with pytest.raises(SafetensorsError, match=message):
        ours.TensorSpec(**kwargs)


def test_tensor_spec_is_keyword_only() -> None:
    with pytest.raises(TypeError):
        ours.TensorSpec("float32", [1], 1, 4)


def test_serialize_refuses_a_length_that_does_not_match_the_shape() -> None:
    data = np.zeros(6, dtype=np.float32)
    spec = ours.TensorSpec(dtype="float32", shape=[5], data_ptr=data.ctypes.data, data_len=24)
    with pytest.raises(SafetensorsError, match="needs 20 bytes, but data_len is 24"):
        ours.serialize({"x": spec})
    with pytest.raises(TypeError, match="str -> TensorSpec"):
        ours.serialize({"x": {"dtype": "F32"}})


def test_deserialize_refuses_non_bytes() -> None:
    with pytest.raises(TypeError, match="bytes of a safetensors file"):
        ours.deserialize("not bytes")


def test_reference_exception_name_is_an_alias() -> None:
    assert ours.SafetensorError is SafetensorsError
    assert issubclass(SafetensorsError, ValueError)


@pytest.mark.parametrize(
    "module",
    [
        "embrace.safetensors",
        "embrace.safetensors._format",
        "embrace.safetensors._open",
        "embrace.safetensors.torch",
        "embrace.safetensors.numpy",
    ],
)
def test_docstring_examples_run(module: str) -> None:
    result = doctest.testmod(importlib.import_module(module), optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0
