"""Read and write safetensors files: the drop-in for the ``safetensors`` package.

``from safetensors import safe_open`` becomes ``from embrace.safetensors import safe_open``;
the torch and numpy helpers live in :mod:`embrace.safetensors.torch` and
:mod:`embrace.safetensors.numpy`. This module also carries the framework-free layer of the
reference: :class:`TensorSpec` + :func:`serialize`/:func:`serialize_file` to write raw
memory, and :func:`deserialize` to read a file's bytes. Importing it does not import torch.

Example:
    >>> import numpy as np
    >>> from embrace.safetensors import TensorSpec, serialize, deserialize
    >>> array = np.arange(3, dtype=np.float32)
    >>> spec = TensorSpec(dtype="float32", shape=[3], data_ptr=array.ctypes.data, data_len=array.nbytes)
    >>> [(name, info["dtype"], info["shape"]) for name, info in deserialize(serialize({"a": spec}))]
    [('a', 'F32', [3])]
"""

from __future__ import annotations

import ctypes
import os
from typing import Any, Sequence

from embrace.errors import SafetensorsError
from embrace.safetensors._format import (
    DTYPE_CODE_BY_NAME,
    as_byte_view,
    build_header,
    check_metadata,
    order_for_writing,
    parse_buffer,
    serialized_bytes,
    tensor_size,
    write_file,
)
from embrace.safetensors._open import SafeSlice, safe_open

# The reference spells its exception without the "s"; both names are the same class.
SafetensorError = SafetensorsError

__all__ = [
    "SafeSlice",
    "SafetensorError",
    "SafetensorsError",
    "TensorSpec",
    "deserialize",
    "safe_open",
    "serialize",
    "serialize_file",
]


class TensorSpec:
    """A tensor in raw memory to :func:`serialize`: dtype name, shape, address, byte length.

    ``dtype`` uses framework spelling (``"float32"``, ``"bfloat16"``, ``"float4_e2m1fn_x2"``...)
    and is stored as its format code (``"F32"``...). For ``float4_e2m1fn_x2`` pass the storage
    shape: the last dimension is doubled to count F4 values. The caller keeps the memory at
    ``data_ptr`` alive and unchanged until serialization returns.

    Example:
        >>> import numpy as np
        >>> from embrace.safetensors import TensorSpec
        >>> a = np.zeros((2, 3), dtype=np.float16)
        >>> TensorSpec(dtype="float16", shape=a.shape, data_ptr=a.ctypes.data, data_len=a.nbytes).dtype
        'F16'
    """

    __slots__ = ("_dtype", "_shape", "_data_ptr", "_data_len")

    def __init__(self, *, dtype: str, shape: Sequence[int], data_ptr: int, data_len: int) -> None:
        code = DTYPE_CODE_BY_NAME.get(dtype)
        if code is None:
            raise SafetensorsError(f"Unknown dtype {dtype!r}. Supported dtypes: {', '.join(DTYPE_CODE_BY_NAME)}.")
        dims = list(shape)
        if not all(isinstance(d, int) and not isinstance(d, bool) and d >= 0 for d in dims):
            raise SafetensorsError(f"shape must be a sequence of non-negative ints, got {dims!r}.")
        if code == "F4":
            if not dims:
                raise SafetensorsError("A float4_e2m1fn_x2 tensor needs at least one dimension (F4 values come in pairs).")
            dims[-1] *= 2
        for field, value in (("data_ptr", data_ptr), ("data_len", data_len)):
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise SafetensorsError(f"{field} must be a non-negative int, got {value!r}.")
        self._dtype, self._shape, self._data_ptr, self._data_len = code, dims, data_ptr, data_len

    @property
    def dtype(self) -> str:
        """The format code written in the header (e.g. ``"F32"``)."""
        return self._dtype

    @property
    def shape(self) -> list[int]:
        """The logical shape written in the header."""
        return list(self._shape)

    @property
    def data_ptr(self) -> int:
        """The address of the tensor's contiguous bytes."""
        return self._data_ptr

    @property
    def data_len(self) -> int:
        """The number of bytes at ``data_ptr``."""
        return self._data_len

    def __repr__(self) -> str:
        return (
            f"TensorSpec(dtype={self._dtype!r}, shape={self._shape}, data_ptr={self._data_ptr}, "
            f"data_len={self._data_len})"
        )


def _prepare_specs(tensor_dict: Any, metadata: Any) -> tuple[bytes, list[Any]]:
    metadata = check_metadata(metadata)
    if not isinstance(tensor_dict, dict):
        raise TypeError(f"tensor_dict must be a dict of str -> TensorSpec, got {type(tensor_dict).__name__}")
    for name, spec in tensor_dict.items():
        if not isinstance(name, str) or not isinstance(spec, TensorSpec):
            raise TypeError(
                f"tensor_dict must map str -> TensorSpec, got {type(name).__name__} -> {type(spec).__name__}"
            )
        expected = tensor_size(spec.dtype, spec.shape, name)
        if spec.data_len != expected:
            raise SafetensorsError(
                f"Tensor {name!r} is {spec.dtype} with shape {spec.shape}, which needs {expected} bytes, "
                f"but data_len is {spec.data_len}."
            )
        if spec.data_len and not spec.data_ptr:
            raise SafetensorsError(f"Tensor {name!r} has {spec.data_len} bytes at a null data_ptr.")
    order = order_for_writing((name, spec.dtype) for name, spec in tensor_dict.items())
    specs = [tensor_dict[name] for name in order]
    header = build_header([(name, s.dtype, s.shape, s.data_len) for name, s in zip(order, specs)], metadata)
    # Zero-copy views of the caller's memory.
    chunks = [memoryview((ctypes.c_char * s.data_len).from_address(s.data_ptr)) if s.data_len else b"" for s in specs]
    return header, chunks


def serialize(tensor_dict: dict[str, TensorSpec], metadata: dict[str, str] | None = None) -> bytes:
    """The bytes of a safetensors file holding the tensors described by ``tensor_dict``.

    Example:
        >>> import numpy as np
        >>> from embrace.safetensors import TensorSpec, serialize
        >>> a = np.ones(2, dtype=np.int8)
        >>> serialize({"a": TensorSpec(dtype="int8", shape=[2], data_ptr=a.ctypes.data, data_len=2)})[-2:]
        b'\\x01\\x01'
    """
    header, chunks = _prepare_specs(tensor_dict, metadata)
    return serialized_bytes(header, chunks)


def serialize_file(
    tensor_dict: dict[str, TensorSpec], filename: str | os.PathLike, metadata: dict[str, str] | None = None
) -> None:
    """Write the tensors described by ``tensor_dict`` to a safetensors file (atomically).

    Example:
        >>> import os, tempfile
        >>> import numpy as np
        >>> from embrace.safetensors import TensorSpec, serialize_file, safe_open
        >>> a = np.arange(4, dtype=np.int16)
        >>> path = os.path.join(tempfile.mkdtemp(), "a.safetensors")
        >>> serialize_file({"a": TensorSpec(dtype="int16", shape=[4], data_ptr=a.ctypes.data, data_len=8)}, path)
        >>> with safe_open(path, framework="np") as f:
        ...     f.get_tensor("a")
        array([0, 1, 2, 3], dtype=int16)
    """
    header, chunks = _prepare_specs(tensor_dict, metadata)
    write_file(filename, header, chunks)


def deserialize(data: bytes) -> list[tuple[str, dict[str, Any]]]:
    """Read the bytes of a safetensors file into ``[(name, {"dtype", "shape", "data"})]``.

    ``data`` holds a copy of the tensor's bytes (a bytearray); entries come in file order.

    Example:
        >>> import numpy as np
        >>> from embrace.safetensors import deserialize
        >>> from embrace.safetensors.numpy import save
        >>> deserialize(save({"x": np.array([1, 2], dtype=np.uint8)}))
        [('x', {'dtype': 'U8', 'shape': [2], 'data': bytearray(b'\\x01\\x02')})]
    """
    view = as_byte_view(data)
    header = parse_buffer(view, source="the given data")
    start = header.data_start
    return [
        (name, {"dtype": info.dtype, "shape": list(info.shape), "data": bytearray(view[start + info.begin : start + info.end])})
        for name, info in header.tensors.items()
    ]
