"""``Features``: the column schema of a dataset, its Arrow schema, and its JSON form.

The JSON form is the one the reference writes to ``dataset_info.json`` and into the Arrow
schema metadata (key ``huggingface``), so a table written by either library tells the
other its features.

Example:
    >>> features = Features({"text": Value("string"), "label": ClassLabel(names=["neg", "pos"])})
    >>> features.encode_example({"text": "good", "label": "pos"})
    {'text': 'good', 'label': 1}
    >>> Features.from_dict(features.to_dict()) == features
    True
    >>> features.arrow_schema.field("label").type
    DataType(int64)
"""

from __future__ import annotations

import copy
import json
from typing import Any, Iterable

import pyarrow as pa

from embrace.datasets.features.arrays import Array2D  # noqa: F401  (registers the array types)
from embrace.datasets.features.class_label import ClassLabel  # noqa: F401  (doctest namespace)
from embrace.datasets.features.nested import (
    arrow_type_of,
    decode_nested,
    encode_nested,
    feature_from_arrow_type,
    feature_from_dict,
    feature_to_dict,
    needs_decoding,
    needs_encoding,
)
from embrace.datasets.features.sequences import LargeList, List
from embrace.datasets.features.value import Value  # noqa: F401  (doctest namespace)

_METADATA_KEY = b"huggingface"


class Features(dict):
    """An ordered mapping of column name -> feature.

    Example:
        >>> Features(a=Value("int64")).type
        StructType(struct<a: int64>)
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)

    # --- Arrow ---------------------------------------------------------------------

    @property
    def type(self) -> pa.StructType:
        """The Arrow struct type of one row."""
        return arrow_type_of(dict(self))

    @property
    def arrow_schema(self) -> pa.Schema:
        """The Arrow schema, with the features' JSON form in its ``huggingface`` metadata."""
        metadata = {"info": {"features": self.to_dict()}}
        fields = [
            pa.field(name, arrow_type_of(feature), metadata=getattr(feature, "arrow_field_metadata", dict)() or None)
            for name, feature in self.items()
        ]
        return pa.schema(fields, metadata={_METADATA_KEY: json.dumps(metadata).encode("utf-8")})

    @classmethod
    def from_arrow_schema(cls, schema: pa.Schema) -> "Features":
        """Features of ``schema``: from its ``huggingface`` metadata where it describes a
        column, else inferred from the Arrow type.

        Example:
            >>> Features.from_arrow_schema(pa.schema({"x": pa.list_(pa.int32())}))
            {'x': List(Value('int32'))}
        """
        described: dict[str, Any] = {}
        raw = (schema.metadata or {}).get(_METADATA_KEY)
        if raw:
            info = json.loads(raw.decode("utf-8")).get("info", {})
            described = info.get("features") or {}
        features = cls()
        for field in schema:
            if field.name in described:
                features[field.name] = feature_from_dict(described[field.name])
            else:
                features[field.name] = feature_from_arrow_type(field.type)
        return features

    # --- JSON ----------------------------------------------------------------------

    def to_dict(self) -> dict:
        """The JSON form written to ``dataset_info.json``."""
        return feature_to_dict(dict(self))

    @classmethod
    def from_dict(cls, dic: dict) -> "Features":
        """Inverse of :meth:`to_dict` (also reads the legacy ``Sequence`` type)."""
        return cls(feature_from_dict(dict(dic)))

    # --- values ----------------------------------------------------------------------

    def encode_example(self, example: dict) -> dict:
        """One row of Python values -> what Arrow stores (missing columns become None)."""
        return {name: encode_nested(feature, example.get(name)) for name, feature in self.items()}

    def encode_column(self, column: Iterable, column_name: str) -> list:
        """Encode every value of one column."""
        feature = self[column_name]
        if not needs_encoding(feature):
            return list(column)
        return [encode_nested(feature, value) for value in column]

    def encode_batch(self, batch: dict) -> dict:
        """Encode a columnar batch ``{name: [values]}``."""
        return {name: self.encode_column(values, name) for name, values in batch.items() if name in self} | {
            name: list(values) for name, values in batch.items() if name not in self
        }

    def decode_example(self, example: dict) -> dict:
        """Stored row -> user-facing row."""
        return {
            name: decode_nested(self[name], value) if name in self else value for name, value in example.items()
        }

    def decode_column(self, column: list, column_name: str) -> list:
        """Decode every value of one column."""
        feature = self[column_name]
        if not needs_decoding(feature):
            return column
        return [decode_nested(feature, value) for value in column]

    def decode_batch(self, batch: dict) -> dict:
        """Decode a columnar batch."""
        return {name: self.decode_column(values, name) if name in self else values for name, values in batch.items()}

    @property
    def requires_decoding(self) -> bool:
        return needs_decoding(dict(self))

    # --- shape -----------------------------------------------------------------------

    def flatten(self, max_depth: int = 16) -> "Features":
        """Replace struct columns by their fields (``"a.b"``), appended after the other
        columns like the reference does, up to ``max_depth`` levels.

        Example:
            >>> Features({"a": {"b": Value("int8")}, "c": Value("bool")}).flatten()
            {'c': Value('bool'), 'a.b': Value('int8')}
        """
        flat = self.copy()
        for _ in range(max_depth):
            changed = False
            for name, feature in list(flat.items()):
                if isinstance(feature, dict):
                    del flat[name]
                    flat.update({f"{name}.{sub}": value for sub, value in feature.items()})
                    changed = True
            if not changed:
                break
        return flat

    def reorder_fields_as(self, other: "Features") -> "Features":
        """A copy with columns and struct fields ordered like ``other`` (the leaf types are
        kept; only the structure must agree).

        Example:
            >>> Features(b=Value("int8"), a=Value("bool")).reorder_fields_as(Features(a=Value("bool"), b=Value("int8")))
            {'a': Value('bool'), 'b': Value('int8')}
        """

        def reorder(source: Any, target: Any, where: str) -> Any:
            if isinstance(source, dict) and isinstance(target, dict):
                if set(source) != set(target):
                    raise ValueError(f"Keys mismatch at {where or 'top level'}: {sorted(source)} vs {sorted(target)}.")
                return {name: reorder(source[name], target[name], f"{where}.{name}".lstrip(".")) for name in target}
            if isinstance(source, (List, LargeList)) and isinstance(target, (List, LargeList)):
                return source.with_feature(reorder(source.feature, target.feature, where))
            if isinstance(source, dict) != isinstance(target, dict):
                raise ValueError(f"Type mismatch at {where}: {source!r} vs {target!r}.")
            return source  # leaves keep their own type (a ClassLabel over int64 stays a ClassLabel)

        return Features(reorder(dict(self), dict(other), ""))

    def copy(self) -> "Features":
        return copy.deepcopy(self)

    def __reduce__(self) -> tuple:
        return Features, (dict(self),)
