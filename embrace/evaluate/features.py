"""Input kinds a metric declares for its predictions and references.

The reference describes metric inputs with ``datasets`` features and rejects data that does
not encode to them. We keep the same spellings (``Value("int32")``, ``Sequence(...)``, plain
dicts for structs) as small validators: each checks one example and describes itself in
error messages, so a wrong input is reported before any number is computed.

Example:
    >>> from embrace.evaluate.features import Sequence, Value
    >>> Value("int32").accepts(3), Value("int32").accepts("3")
    (True, False)
    >>> Sequence(Value("string")).accepts(["B-PER", "O"])
    True
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass
from typing import Any, Mapping, Union


def _is_int(kind: type) -> bool:
    # bool is an int in Python and a valid class label in the reference (it casts to 0/1)
    return issubclass(kind, numbers.Integral)


def _is_float(kind: type) -> bool:
    return issubclass(kind, numbers.Real)


def _is_string(kind: type) -> bool:
    return issubclass(kind, str)


# dtype name -> check on the value's type; the names are the ``datasets.Value`` dtypes the
# reference metrics use
_DTYPE_CHECKS = {
    "int32": _is_int,
    "int64": _is_int,
    "float32": _is_float,
    "float64": _is_float,
    "float": _is_float,
    "string": _is_string,
}


@dataclass(frozen=True)
class Value:
    """One scalar of a dtype: ``"int32"``/``"int64"`` (labels), ``"float32"``/``"float"``, ``"string"``.

    Example:
        >>> Value("float32").accepts(0.5)
        True
    """

    dtype: str

    def __post_init__(self) -> None:
        if self.dtype not in _DTYPE_CHECKS:
            raise ValueError(f"Unknown Value dtype {self.dtype!r}; use one of {sorted(_DTYPE_CHECKS)}.")

    def accepts(self, value: Any) -> bool:
        """Whether ``value`` is one valid example of this kind."""
        return _DTYPE_CHECKS[self.dtype](type(value))

    def accepts_all(self, values: list) -> bool:
        """Whether every item is valid (validity depends on the type only: one check per type)."""
        return all(_DTYPE_CHECKS[self.dtype](kind) for kind in set(map(type, values)))

    def __repr__(self) -> str:
        return f"Value(dtype={self.dtype!r})"


@dataclass(frozen=True)
class Sequence:
    """A list (or tuple / 1-D array) whose items are all of ``feature``.

    Example:
        >>> Sequence(Value("float32")).accepts([1.0, 2])
        True
    """

    feature: "Feature"

    def accepts(self, value: Any) -> bool:
        """Whether ``value`` is a sequence of valid items (strings are not sequences here)."""
        if isinstance(value, (str, bytes, Mapping)) or not hasattr(value, "__iter__"):
            return False
        return all(accepts(self.feature, item) for item in value)

    def __repr__(self) -> str:
        return f"Sequence(feature={self.feature!r})"


Feature = Union[Value, Sequence, Mapping[str, Any]]


def accepts_all(feature: Feature, values: list) -> bool:
    """Whether every example in ``values`` fits ``feature`` (fast for scalar features).

    Example:
        >>> accepts_all(Value("int32"), [1, 2, True]), accepts_all(Value("int32"), [1, 2.5])
        (True, False)
    """
    if isinstance(feature, Value):
        return feature.accepts_all(values)
    return all(accepts(feature, value) for value in values)


def accepts(feature: Feature, value: Any) -> bool:
    """Check one example against a feature; a dict feature is a struct with those keys.

    Example:
        >>> accepts({"id": Value("string")}, {"id": "q1"})
        True
        >>> accepts({"id": Value("string")}, {"qid": "q1"})
        False
    """
    if isinstance(feature, Mapping):
        if not isinstance(value, Mapping) or set(feature) - set(value):
            return False
        return all(accepts(sub, value[key]) for key, sub in feature.items())
    return feature.accepts(value)
