"""Save and load dicts of numpy arrays in the safetensors format (drop-in for ``safetensors.numpy``).

numpy has no bfloat16, float8 or float4 dtypes, so files holding those load with
``framework="pt"`` only; asking numpy for them raises a SafetensorsError naming the dtype.
Arrays from numpy-native dtype families (and ml_dtypes' bfloat16/float8 arrays) save fine;
big-endian arrays are stored little-endian and strided arrays are packed first.

Example:
    >>> import os, tempfile
    >>> import numpy as np
    >>> from embrace.safetensors.numpy import save_file, load_file
    >>> path = os.path.join(tempfile.mkdtemp(), "arrays.safetensors")
    >>> save_file({"a": np.arange(3, dtype=np.int32)}, path)
    >>> load_file(path)["a"]
    array([0, 1, 2], dtype=int32)
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from embrace.errors import SafetensorsError
from embrace.safetensors._format import (
    DTYPE_CODE_BY_NAME,
    TensorInfo,
    as_byte_view,
    build_header,
    check_metadata,
    order_for_writing,
    parse_buffer,
    serialized_bytes,
    write_file,
)
from embrace.safetensors._open import safe_open

__all__ = ["load", "load_file", "save", "save_file"]

_NUMPY_DTYPES: dict[str, np.dtype] = {
    "BOOL": np.dtype(bool),
    "U8": np.dtype("u1"),
    "I8": np.dtype("i1"),
    "U16": np.dtype("<u2"),
    "I16": np.dtype("<i2"),
    "U32": np.dtype("<u4"),
    "I32": np.dtype("<i4"),
    "U64": np.dtype("<u8"),
    "I64": np.dtype("<i8"),
    "F16": np.dtype("<f2"),
    "F32": np.dtype("<f4"),
    "F64": np.dtype("<f8"),
    "C64": np.dtype("<c8"),
}


def _array_from_buffer(buffer: Any, offset: int, info: TensorInfo) -> np.ndarray:
    """An array viewing ``info.nbytes`` bytes of ``buffer`` at ``offset`` (no copy)."""
    dtype = _NUMPY_DTYPES.get(info.dtype)
    if dtype is None:
        raise SafetensorsError(
            f"dtype {info.dtype} has no numpy equivalent; open the file with framework='pt' to load it "
            f"as a torch tensor. numpy can load: {', '.join(_NUMPY_DTYPES)}."
        )
    if info.nbytes == 0:
        return np.empty(info.shape, dtype=dtype)
    return np.frombuffer(buffer, dtype=dtype, count=info.nbytes // dtype.itemsize, offset=offset).reshape(info.shape)


def load_file(filename: str | os.PathLike, *, backend: str = "mmap") -> dict[str, np.ndarray]:
    """Load every array of a safetensors file (copy-on-write views of the mapped file).

    Example:
        >>> import os, tempfile
        >>> import numpy as np
        >>> from embrace.safetensors.numpy import save_file, load_file
        >>> path = os.path.join(tempfile.mkdtemp(), "a.safetensors")
        >>> save_file({"x": np.ones((2, 2), dtype=np.float32)}, path)
        >>> load_file(path)["x"].shape
        (2, 2)
    """
    with safe_open(filename, framework="np", backend=backend) as handle:
        return handle.get_tensors()


def load(data: bytes) -> dict[str, np.ndarray]:
    """Load arrays from the bytes of a safetensors file (writable copies, independent of ``data``).

    Example:
        >>> import numpy as np
        >>> from embrace.safetensors.numpy import save, load
        >>> load(save({"x": np.array([1.5, 2.5])}))["x"]
        array([1.5, 2.5])
    """
    view = as_byte_view(data)
    header = parse_buffer(view, source="the given data")
    start = header.data_start
    return {
        name: _array_from_buffer(bytearray(view[start + info.begin : start + info.end]), 0, info)
        for name, info in header.tensors.items()
    }


def _prepare(tensor_dict: Any, metadata: Any) -> tuple[bytes, list[Any]]:
    metadata = check_metadata(metadata)
    if not isinstance(tensor_dict, dict):
        raise SafetensorsError(f"Expected a dict of str -> numpy.ndarray, got {type(tensor_dict).__name__}.")
    prepared: dict[str, tuple[str, np.ndarray]] = {}
    for name, array in tensor_dict.items():
        if not isinstance(name, str):
            raise TypeError(f"Array names must be str, got {type(name).__name__} {name!r}.")
        if not isinstance(array, np.ndarray):
            raise SafetensorsError(f"Value of {name!r} must be a numpy.ndarray, got {type(array).__name__}.")
        code = DTYPE_CODE_BY_NAME.get(array.dtype.name)
        if code is None or code == "F4":
            raise SafetensorsError(
                f"Array {name!r} has dtype {array.dtype}, which the safetensors format cannot store. "
                "Supported: bool, (u)int8/16/32/64, float16/32/64, complex64 (and ml_dtypes bfloat16/float8)."
            )
        if array.dtype.byteorder == ">" or (array.dtype.byteorder == "=" and not np.little_endian):
            array = array.astype(array.dtype.newbyteorder("<"))  # the format is little-endian
        prepared[name] = (code, np.asarray(array, order="C"))  # packs strided arrays, keeps 0-d
    order = order_for_writing((name, code) for name, (code, _) in prepared.items())
    entries = [(name, prepared[name][0], list(prepared[name][1].shape), prepared[name][1].nbytes) for name in order]
    chunks = [prepared[name][1].reshape(-1).view(np.uint8) if prepared[name][1].nbytes else b"" for name in order]
    return build_header(entries, metadata), chunks


def save(tensor_dict: dict[str, np.ndarray], metadata: dict[str, str] | None = None) -> bytes:
    """Serialize a dict of numpy arrays to safetensors bytes.

    Example:
        >>> import numpy as np
        >>> from embrace.safetensors.numpy import save
        >>> len(save({"x": np.zeros(2, dtype=np.float32)}))
        72
    """
    header, chunks = _prepare(tensor_dict, metadata)
    return serialized_bytes(header, chunks)


def save_file(
    tensor_dict: dict[str, np.ndarray], filename: str | os.PathLike, metadata: dict[str, str] | None = None
) -> None:
    """Save a dict of numpy arrays to a safetensors file (written atomically).

    Example:
        >>> import os, tempfile
        >>> import numpy as np
        >>> from embrace.safetensors.numpy import save_file
        >>> path = os.path.join(tempfile.mkdtemp(), "a.safetensors")
        >>> save_file({"x": np.arange(4, dtype=np.int64)}, path, metadata={"k": "v"})
        >>> os.path.exists(path)
        True
    """
    header, chunks = _prepare(tensor_dict, metadata)
    write_file(filename, header, chunks)
