"""Fixed-rank array features ``Array2D`` .. ``Array5D``.

They are stored as nested Arrow lists (one level per dimension). Written files mark such
a column with the Arrow extension-type field metadata the reference expects, so the
reference reads it back as its own array type, without embrace registering a pyarrow
extension type (the reference registers one under its module name, and two
registrations of one name would clash in a process that imports both). Extension
columns read from files are unwrapped to their storage lists (``table.py``).

Example:
    >>> Array2D(shape=(2, 3), dtype="float32")
    Array2D(shape=(2, 3), dtype='float32')
    >>> Array2D(shape=(2, 3), dtype="int8").arrow_type()
    ListType(list<item: list<item: int8>>)
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pyarrow as pa

from embrace.datasets.features.nested import register_feature
from embrace.datasets.features.value import dtype_to_arrow


class _ArrayND:
    ndims = 0
    changes_values_on_encode = True
    changes_values_on_decode = False

    def __init__(self, shape: tuple, dtype: str, id: str | None = None) -> None:
        shape = tuple(shape)
        if len(shape) != self.ndims:
            raise ValueError(f"{type(self).__name__} needs a shape of {self.ndims} dimensions, got {shape}.")
        if any(dim is None for dim in shape[1:]):
            raise ValueError(f"{type(self).__name__}: only the first dimension may be None (dynamic), got {shape}.")
        self.shape = shape
        self.dtype = dtype
        self.id = id
        dtype_to_arrow(dtype)  # validate early

    def arrow_type(self) -> pa.DataType:
        pa_type = dtype_to_arrow(self.dtype)
        for _ in self.shape:
            pa_type = pa.list_(pa_type)
        return pa_type

    def __call__(self) -> pa.DataType:
        return self.arrow_type()

    def arrow_field_metadata(self) -> dict[bytes, bytes]:
        """Arrow extension-type markers for a top-level column: a reader that knows the
        reference's ``ArrayNDExtensionType`` (the reference itself) rebuilds that type."""
        name = f"datasets.features.features.{type(self).__name__}ExtensionType"
        return {
            b"ARROW:extension:name": name.encode(),
            b"ARROW:extension:metadata": json.dumps((list(self.shape), self.dtype)).encode(),
        }

    def encode_example(self, value: Any) -> Any:
        array = np.asarray(value)
        expected = tuple(dim if dim is not None else array.shape[i] for i, dim in enumerate(self.shape))
        if array.shape != expected:
            raise ValueError(f"{type(self).__name__} expects arrays of shape {self.shape}, got {array.shape}.")
        return array.tolist()

    def decode_example(self, value: Any) -> Any:
        return value

    def to_dict(self) -> dict:
        out: dict[str, Any] = {"shape": list(self.shape), "dtype": self.dtype}
        if self.id is not None:
            out["id"] = self.id
        out["_type"] = type(self).__name__
        return out

    @classmethod
    def from_dict(cls, obj: dict) -> "_ArrayND":
        return cls(shape=tuple(obj["shape"]), dtype=obj["dtype"], id=obj.get("id"))

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and (self.shape, self.dtype) == (other.shape, other.dtype)

    def __hash__(self) -> int:
        return hash((type(self).__name__, self.shape, self.dtype))

    def __repr__(self) -> str:
        return f"{type(self).__name__}(shape={self.shape}, dtype='{self.dtype}')"


@register_feature
class Array2D(_ArrayND):
    """A 2-D array per row (``shape`` of 2 dims, the first may be ``None``)."""

    ndims = 2


@register_feature
class Array3D(_ArrayND):
    """A 3-D array per row."""

    ndims = 3


@register_feature
class Array4D(_ArrayND):
    """A 4-D array per row."""

    ndims = 4


@register_feature
class Array5D(_ArrayND):
    """A 5-D array per row."""

    ndims = 5
