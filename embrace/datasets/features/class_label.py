"""``ClassLabel``: integer class ids with their names (``str2int`` / ``int2str``).

Example:
    >>> label = ClassLabel(names=["neg", "pos"])
    >>> label.str2int("pos"), label.int2str(0), label.num_classes
    (1, 'neg', 2)
    >>> label
    ClassLabel(names=['neg', 'pos'])
"""

from __future__ import annotations

from typing import Any, Iterable

import pyarrow as pa

from embrace.datasets.features.nested import register_feature


@register_feature
class ClassLabel:
    """Class ids stored as ``int64``; ``names`` (or ``num_classes``, or a ``names_file`` with one
    name per line) give the label set. ``-1`` means "no label", like the reference.
    """

    changes_values_on_encode = True
    changes_values_on_decode = False

    def __init__(
        self,
        num_classes: int | None = None,
        names: list[str] | None = None,
        names_file: str | None = None,
        id: str | None = None,
    ) -> None:
        if names is not None and names_file is not None:
            raise ValueError("ClassLabel: pass either `names` or `names_file`, not both.")
        if names_file is not None:
            with open(names_file, encoding="utf-8") as handle:
                names = [line.strip() for line in handle if line.strip()]
        if names is None:
            if num_classes is None:
                raise ValueError("ClassLabel needs `num_classes`, `names` or `names_file`.")
            names = [str(i) for i in range(num_classes)]
        if not isinstance(names, (list, tuple)):
            raise TypeError(f"ClassLabel `names` must be a list of strings, got {type(names).__name__}.")
        names = [str(name) for name in names]
        if num_classes is not None and num_classes != len(names):
            raise ValueError(f"ClassLabel: num_classes={num_classes} but {len(names)} names were given.")
        if len(set(names)) != len(names):
            duplicated = sorted({name for name in names if names.count(name) > 1})
            raise ValueError(f"ClassLabel names must be unique; duplicated: {duplicated}.")
        self.names = names
        self.num_classes = len(names)
        self.id = id
        self._str2int = {name: i for i, name in enumerate(names)}

    def arrow_type(self) -> pa.DataType:
        return pa.int64()

    def __call__(self) -> pa.DataType:
        return pa.int64()

    def str2int(self, values: str | Iterable[str]) -> int | list[int]:
        """Label name(s) -> id(s); digit strings within range are read as ids."""
        if isinstance(values, str):
            return self._one_str2int(values)
        return [self._one_str2int(value) for value in values]

    def _one_str2int(self, value: str) -> int:
        if value in self._str2int:
            return self._str2int[value]
        stripped = value.strip()
        if stripped in self._str2int:
            return self._str2int[stripped]
        if stripped.lstrip("-").isdigit() and -1 <= int(stripped) < self.num_classes:
            return int(stripped)
        raise ValueError(f"Invalid string class label {value!r}; valid names are {self.names}.")

    def int2str(self, values: int | Iterable[int]) -> str | list[str]:
        """Id(s) -> label name(s)."""
        if isinstance(values, Iterable) and not isinstance(values, (str, bytes)):
            return [self._one_int2str(int(value)) for value in values]
        return self._one_int2str(int(values))

    def _one_int2str(self, value: int) -> str:
        if not 0 <= value < self.num_classes:
            raise ValueError(f"Invalid integer class label {value}; expected 0 <= label < {self.num_classes}.")
        return self.names[value]

    def encode_example(self, value: Any) -> int:
        if isinstance(value, str):
            return self._one_str2int(value)
        value = int(value)
        if not -1 <= value < self.num_classes:
            raise ValueError(f"Class label {value} is out of range: expected -1 <= label < {self.num_classes}.")
        return value

    def decode_example(self, value: Any) -> Any:
        return value

    def to_dict(self) -> dict:
        out: dict[str, Any] = {"names": list(self.names)}
        if self.id is not None:
            out["id"] = self.id
        out["_type"] = "ClassLabel"
        return out

    @classmethod
    def from_dict(cls, obj: dict) -> "ClassLabel":
        if "names" in obj:
            return cls(names=obj["names"], id=obj.get("id"))
        return cls(num_classes=obj["num_classes"], id=obj.get("id"))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ClassLabel) and (self.names, self.id) == (other.names, other.id)

    def __hash__(self) -> int:
        return hash(("ClassLabel", tuple(self.names)))

    def __repr__(self) -> str:
        return f"ClassLabel(names={self.names!r})"
