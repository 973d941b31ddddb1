"""``Value``: a scalar column of one Arrow type, named by the reference's dtype strings.

Example:
    >>> Value("int64")
    Value('int64')
    >>> Value("float").dtype
    'float32'
    >>> Value("string").arrow_type()
    DataType(string)
"""

from __future__ import annotations

import re
from typing import Any

import pyarrow as pa

from embrace.datasets.features.nested import register_feature

# dtype aliases users write -> the canonical dtype the reference stores
_ALIASES = {"float": "float32", "double": "float64", "halffloat": "float16", "boolean": "bool"}

# canonical dtype -> pyarrow factory (parametric types are parsed below)
_SIMPLE: dict[str, Any] = {
    "null": pa.null, "bool": pa.bool_,
    "int8": pa.int8, "int16": pa.int16, "int32": pa.int32, "int64": pa.int64,
    "uint8": pa.uint8, "uint16": pa.uint16, "uint32": pa.uint32, "uint64": pa.uint64,
    "float16": pa.float16, "float32": pa.float32, "float64": pa.float64,
    "date32": pa.date32, "date64": pa.date64,
    "binary": pa.binary, "large_binary": pa.large_binary, "binary_view": pa.binary_view,
    "string": pa.string, "large_string": pa.large_string, "string_view": pa.string_view,
}
_UNIT_TYPES = {"time32": pa.time32, "time64": pa.time64, "duration": pa.duration}
_TIMESTAMP = re.compile(r"^timestamp\[(s|ms|us|ns)(?:,\s*tz=([A-Za-z0-9/_+\-:]*))?\]$")
_UNIT = re.compile(r"^(time32|time64|duration)\[(s|ms|us|ns)\]$")
_DECIMAL = re.compile(r"^(decimal128|decimal256)\((\d+),\s*(-?\d+)\)$")
_FIXED_BINARY = re.compile(r"^fixed_size_binary\[(\d+)\]$")


def dtype_to_arrow(dtype: str) -> pa.DataType:
    """The pyarrow type for a dtype string (``"int32"``, ``"timestamp[us, tz=UTC]"``, ...)."""
    dtype = _ALIASES.get(dtype, dtype)
    if dtype in _SIMPLE:
        return _SIMPLE[dtype]()
    if match := _TIMESTAMP.match(dtype):
        unit, tz = match.groups()
        return pa.timestamp(unit, tz) if tz else pa.timestamp(unit)
    if match := _UNIT.match(dtype):
        return _UNIT_TYPES[match.group(1)](match.group(2))
    if match := _DECIMAL.match(dtype):
        factory = pa.decimal128 if match.group(1) == "decimal128" else pa.decimal256
        return factory(int(match.group(2)), int(match.group(3)))
    if match := _FIXED_BINARY.match(dtype):
        return pa.binary(int(match.group(1)))
    known = sorted(_SIMPLE) + ["timestamp[us]", "timestamp[us, tz=UTC]", "time32[s]", "duration[ms]", "decimal128(10, 2)"]
    raise ValueError(f"Unknown dtype {dtype!r} for Value. Valid dtypes include: {', '.join(known)}.")


def arrow_to_dtype(pa_type: pa.DataType) -> str:
    """The dtype string for a pyarrow type (inverse of :func:`dtype_to_arrow`)."""
    if pa.types.is_dictionary(pa_type):
        return arrow_to_dtype(pa_type.value_type)
    if pa.types.is_timestamp(pa_type):
        return f"timestamp[{pa_type.unit}, tz={pa_type.tz}]" if pa_type.tz else f"timestamp[{pa_type.unit}]"
    if pa.types.is_time32(pa_type) or pa.types.is_time64(pa_type) or pa.types.is_duration(pa_type):
        kind = "duration" if pa.types.is_duration(pa_type) else f"time{pa_type.bit_width}"
        return f"{kind}[{pa_type.unit}]"
    if pa.types.is_decimal(pa_type):
        return f"decimal{pa_type.bit_width}({pa_type.precision}, {pa_type.scale})"
    if pa.types.is_fixed_size_binary(pa_type):
        return f"fixed_size_binary[{pa_type.byte_width}]"
    for name, factory in _SIMPLE.items():
        if pa_type == factory():
            return name
    raise ValueError(f"Arrow type {pa_type} has no Value dtype; use a List, a dict (struct) or another feature.")


@register_feature
class Value:
    """A scalar feature of type ``dtype`` (``"int64"``, ``"string"``, ``"float32"``, ...).

    Example:
        >>> Value("int32") == Value("int32")
        True
    """

    changes_values_on_encode = False
    changes_values_on_decode = False

    def __init__(self, dtype: str, id: str | None = None) -> None:
        self.dtype = _ALIASES.get(dtype, dtype)
        self.id = id
        self.pa_type = dtype_to_arrow(self.dtype)  # validates the string early

    def arrow_type(self) -> pa.DataType:
        return self.pa_type

    def __call__(self) -> pa.DataType:
        return self.pa_type

    def encode_example(self, value: Any) -> Any:
        return value

    def decode_example(self, value: Any) -> Any:
        return value

    def to_dict(self) -> dict:
        out: dict[str, Any] = {"dtype": self.dtype}
        if self.id is not None:
            out["id"] = self.id
        out["_type"] = "Value"
        return out

    @classmethod
    def from_dict(cls, obj: dict) -> "Value":
        return cls(obj["dtype"], id=obj.get("id"))

    @classmethod
    def from_arrow_type(cls, pa_type: pa.DataType) -> "Value":
        return cls(arrow_to_dtype(pa_type))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Value) and (self.dtype, self.id) == (other.dtype, other.id)

    def __hash__(self) -> int:
        return hash(("Value", self.dtype, self.id))

    def __repr__(self) -> str:
        return f"Value('{self.dtype}')"
