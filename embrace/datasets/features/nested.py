"""Walk nested feature descriptions: a registry of feature classes by ``"_type"`` and the
generic functions that recurse through dicts and lists of them.

A feature is either a feature object (``Value``, ``ClassLabel``, ``List``, ...) or a plain
``dict`` of features (an Arrow struct). Each feature class implements ``arrow_type()``,
``encode_example(value)``, ``decode_example(value)`` and ``to_dict()``; the functions here
handle the dict level and dispatch to those methods, so adding a feature type is one
class plus ``@register_feature``.

Example:
    >>> from embrace.datasets.features import Value
    >>> arrow_type_of({"a": Value("int32")})
    StructType(struct<a: int32>)
"""

from __future__ import annotations

from typing import Any, Callable

import pyarrow as pa

from embrace.errors import unknown_key

# "_type" written in dataset_info.json -> feature class
FEATURE_TYPES: dict[str, type] = {}


def register_feature(cls: type) -> type:
    """Class decorator: make ``cls`` readable from its ``{"_type": cls.__name__}`` form."""
    FEATURE_TYPES[cls.__name__] = cls
    return cls


def arrow_type_of(feature: Any) -> pa.DataType:
    """The Arrow type that stores ``feature`` (dicts become structs)."""
    if isinstance(feature, dict):
        return pa.struct({name: arrow_type_of(sub) for name, sub in feature.items()})
    if isinstance(feature, (list, tuple)):
        # the legacy ``[feature]`` spelling means a variable-length list
        return pa.list_(arrow_type_of(feature[0]))
    return feature.arrow_type()


def encode_nested(feature: Any, value: Any) -> Any:
    """Turn a Python value into what Arrow stores for ``feature`` (label names -> ids, ...)."""
    if value is None:
        return None
    if isinstance(feature, dict):
        if not isinstance(value, dict):
            raise TypeError(f"Expected a dict with keys {list(feature)} for a struct feature, got {type(value).__name__}.")
        return {name: encode_nested(sub, value.get(name)) for name, sub in feature.items()}
    if isinstance(feature, (list, tuple)):
        return [encode_nested(feature[0], item) for item in value]
    return feature.encode_example(value)


def decode_nested(feature: Any, value: Any) -> Any:
    """Turn a stored Python value back into the user-facing one (identity for plain data)."""
    if value is None:
        return None
    if isinstance(feature, dict):
        return {name: decode_nested(sub, value.get(name)) for name, sub in feature.items()}
    if isinstance(feature, (list, tuple)):
        return [decode_nested(feature[0], item) for item in value]
    return feature.decode_example(value)


def needs_encoding(feature: Any) -> bool:
    """Whether any leaf of ``feature`` changes values on encoding (saves a pass otherwise)."""
    return _any_leaf(feature, lambda leaf: getattr(leaf, "changes_values_on_encode", False))


def needs_decoding(feature: Any) -> bool:
    """Whether any leaf of ``feature`` changes values on decoding."""
    return _any_leaf(feature, lambda leaf: getattr(leaf, "changes_values_on_decode", False))


def _any_leaf(feature: Any, predicate: Callable[[Any], bool]) -> bool:
    if isinstance(feature, dict):
        return any(_any_leaf(sub, predicate) for sub in feature.values())
    if isinstance(feature, (list, tuple)):
        return _any_leaf(feature[0], predicate)
    inner = getattr(feature, "feature", None)
    if inner is not None and _any_leaf(inner, predicate):
        return True
    return predicate(feature)


def feature_to_dict(feature: Any) -> Any:
    """The JSON form of ``feature`` used in ``dataset_info.json`` and the Arrow schema metadata."""
    if isinstance(feature, dict):
        return {name: feature_to_dict(sub) for name, sub in feature.items()}
    if isinstance(feature, (list, tuple)):
        return [feature_to_dict(feature[0])]
    return feature.to_dict()


def feature_from_dict(obj: Any) -> Any:
    """Inverse of :func:`feature_to_dict` (also reads the older ``Sequence`` spelling)."""
    if isinstance(obj, list):
        return FEATURE_TYPES["List"](feature_from_dict(obj[0]))
    if not isinstance(obj, dict):
        raise TypeError(f"A feature description must be a dict or a list, got {obj!r}.")
    if "_type" not in obj:
        return {name: feature_from_dict(sub) for name, sub in obj.items()}
    kind = obj["_type"]
    cls = FEATURE_TYPES.get(kind)
    if cls is None:
        raise unknown_key("feature _type", kind, FEATURE_TYPES)
    return cls.from_dict({key: value for key, value in obj.items() if key != "_type"})


def feature_from_arrow_type(pa_type: pa.DataType) -> Any:
    """The feature that describes a column of Arrow type ``pa_type``."""
    if pa.types.is_struct(pa_type):
        return {field.name: feature_from_arrow_type(field.type) for field in pa_type}
    if pa.types.is_fixed_size_list(pa_type):
        return FEATURE_TYPES["List"](feature_from_arrow_type(pa_type.value_type), length=pa_type.list_size)
    if pa.types.is_list(pa_type):
        return FEATURE_TYPES["List"](feature_from_arrow_type(pa_type.value_type))
    if pa.types.is_large_list(pa_type):
        return FEATURE_TYPES["LargeList"](feature_from_arrow_type(pa_type.value_type))
    if pa.types.is_dictionary(pa_type):
        return feature_from_arrow_type(pa_type.value_type)
    return FEATURE_TYPES["Value"].from_arrow_type(pa_type)


def map_leaves(feature: Any, fn: Callable[[Any], Any]) -> Any:
    """A copy of ``feature`` with ``fn`` applied to every non-container leaf."""
    if isinstance(feature, dict):
        return {name: map_leaves(sub, fn) for name, sub in feature.items()}
    if isinstance(feature, (list, tuple)):
        return [map_leaves(feature[0], fn)]
    inner = getattr(feature, "feature", None)
    if inner is not None:
        return feature.with_feature(map_leaves(inner, fn))
    return fn(feature)
