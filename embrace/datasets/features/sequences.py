"""List features: ``List`` (Arrow list or fixed-size list), ``LargeList`` and the legacy
``Sequence`` spelling (a dict inside a ``Sequence`` becomes a dict of lists, as the
reference stores it).

Example:
    >>> List(Value("int32"))
    List(Value('int32'))
    >>> Sequence({"x": Value("int8")})
    {'x': List(Value('int8'))}
    >>> List(Value("float32"), length=3).arrow_type()
    FixedSizeListType(fixed_size_list<item: float>[3])
"""

from __future__ import annotations

from typing import Any

import pyarrow as pa

from embrace.datasets.features.nested import (
    FEATURE_TYPES,
    arrow_type_of,
    encode_nested,
    decode_nested,
    feature_from_dict,
    feature_to_dict,
    needs_decoding,
    needs_encoding,
    register_feature,
)
from embrace.datasets.features.value import Value  # noqa: F401  (doctest namespace)


class _ListBase:
    changes_values_on_encode = False
    changes_values_on_decode = False

    def __init__(self, feature: Any, id: str | None = None) -> None:
        self.feature = feature
        self.id = id

    def __call__(self) -> pa.DataType:
        return self.arrow_type()

    def encode_example(self, value: Any) -> Any:
        if needs_encoding(self.feature):
            return [encode_nested(self.feature, item) for item in value]
        return value

    def decode_example(self, value: Any) -> Any:
        if needs_decoding(self.feature):
            return [decode_nested(self.feature, item) for item in value]
        return value

    def __hash__(self) -> int:
        return hash((type(self).__name__, repr(self)))


@register_feature
class List(_ListBase):
    """A list of ``feature`` items; ``length=-1`` means variable length (an Arrow ``list``),
    a positive length a ``fixed_size_list``."""

    def __init__(self, feature: Any, length: int = -1, id: str | None = None) -> None:
        super().__init__(feature, id)
        self.length = length

    def arrow_type(self) -> pa.DataType:
        inner = arrow_type_of(self.feature)
        return pa.list_(inner, self.length) if self.length >= 0 else pa.list_(inner)

    def encode_example(self, value: Any) -> Any:
        if self.length >= 0 and value is not None and len(value) != self.length:
            raise ValueError(f"List feature expects {self.length} items per row, got {len(value)}.")
        return super().encode_example(value)

    def with_feature(self, feature: Any) -> "List":
        return List(feature, length=self.length, id=self.id)

    def to_dict(self) -> dict:
        out: dict[str, Any] = {"feature": feature_to_dict(self.feature)}
        if self.length != -1:
            out["length"] = self.length
        if self.id is not None:
            out["id"] = self.id
        out["_type"] = "List"
        return out

    @classmethod
    def from_dict(cls, obj: dict) -> "List":
        return cls(feature_from_dict(obj["feature"]), length=obj.get("length", -1), id=obj.get("id"))

    def __eq__(self, other: object) -> bool:
        return type(other) is List and (self.feature, self.length) == (other.feature, other.length)

    __hash__ = _ListBase.__hash__

    def __repr__(self) -> str:
        if self.length != -1:
            return f"List({self.feature!r}, length={self.length})"
        return f"List({self.feature!r})"


@register_feature
class LargeList(_ListBase):
    """A list with 64-bit offsets (Arrow ``large_list``) for columns over 2 GiB of items."""

    def arrow_type(self) -> pa.DataType:
        return pa.large_list(arrow_type_of(self.feature))

    def with_feature(self, feature: Any) -> "LargeList":
        return LargeList(feature, id=self.id)

    def to_dict(self) -> dict:
        out: dict[str, Any] = {"feature": feature_to_dict(self.feature)}
        if self.id is not None:
            out["id"] = self.id
        out["_type"] = "LargeList"
        return out

    @classmethod
    def from_dict(cls, obj: dict) -> "LargeList":
        return cls(feature_from_dict(obj["feature"]), id=obj.get("id"))

    def __eq__(self, other: object) -> bool:
        return type(other) is LargeList and self.feature == other.feature

    __hash__ = _ListBase.__hash__

    def __repr__(self) -> str:
        return f"LargeList({self.feature!r})"


def Sequence(feature: Any, length: int = -1, id: str | None = None) -> Any:  # noqa: N802 (reference name)
    """The legacy spelling of a list feature: ``List``, or for a dict a dict of ``List``.

    Example:
        >>> Sequence(Value("string"))
        List(Value('string'))
    """
    if isinstance(feature, dict):
        return {name: Sequence(sub, length=length) for name, sub in feature.items()}
    return List(feature, length=length, id=id)


class _LegacySequence:
    """Reads ``{"_type": "Sequence", ...}`` from older ``dataset_info.json`` files."""

    @classmethod
    def from_dict(cls, obj: dict) -> Any:
        return Sequence(feature_from_dict(obj["feature"]), length=obj.get("length", -1))


FEATURE_TYPES["Sequence"] = _LegacySequence
