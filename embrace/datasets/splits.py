"""Split names (``NamedSplit``, ``Split.TRAIN`` ...) and the per-split sizes recorded in
``dataset_info.json`` (``SplitInfo``, ``SplitDict``). Slicing syntax such as
``"train[:10%]"`` lives in ``split_spec.py``.

Example:
    >>> Split.TRAIN == "train", str(Split("validation")), Split("all")
    (True, 'validation', NamedSplitAll())
"""

from __future__ import annotations

import dataclasses
from typing import Any


class NamedSplit:
    """A split name that compares equal to its string.

    Example:
        >>> NamedSplit("train")
        NamedSplit('train')
    """

    def __init__(self, name: str) -> None:
        self._name = name

    def __str__(self) -> str:
        return self._name

    def __repr__(self) -> str:
        return f"NamedSplit({self._name!r})"

    def __eq__(self, other: object) -> bool:
        if isinstance(other, NamedSplit):
            return self._name == other._name
        if isinstance(other, str):
            return self._name == other
        return False

    def __lt__(self, other: "NamedSplit") -> bool:
        return self._name < str(other)

    def __hash__(self) -> int:
        return hash(self._name)


class NamedSplitAll(NamedSplit):
    """The union of every split."""

    def __init__(self) -> None:
        super().__init__("all")

    def __repr__(self) -> str:
        return "NamedSplitAll()"


class Split:
    """The standard split names; ``Split("name")`` builds a custom one.

    Example:
        >>> Split.TEST
        NamedSplit('test')
    """

    TRAIN = NamedSplit("train")
    TEST = NamedSplit("test")
    VALIDATION = NamedSplit("validation")
    ALL = NamedSplitAll()

    def __new__(cls, name: str) -> NamedSplit:  # type: ignore[misc]
        return NamedSplitAll() if name == "all" else NamedSplit(name)


@dataclasses.dataclass
class SplitInfo:
    """Size of one split, as written under ``"splits"`` in ``dataset_info.json``."""

    name: str = ""
    num_bytes: int = 0
    num_examples: int = 0
    shard_lengths: list[int] | None = None
    original_shard_lengths: list[int] | None = None
    dataset_name: str | None = None

    def to_dict(self) -> dict:
        """The JSON form: the reference always writes name, sizes and dataset_name, and the
        shard lists only when set."""
        out: dict[str, Any] = {"name": str(self.name), "num_bytes": self.num_bytes, "num_examples": self.num_examples}
        for key in ("shard_lengths", "original_shard_lengths"):
            if getattr(self, key) is not None:
                out[key] = list(getattr(self, key))
        out["dataset_name"] = self.dataset_name
        return out


class SplitDict(dict):
    """Split name -> :class:`SplitInfo`.

    Example:
        >>> SplitDict.from_split_dict({"train": {"num_examples": 3}})["train"].num_examples
        3
    """

    def __init__(self, *args: Any, dataset_name: str | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.dataset_name = dataset_name

    def add(self, split_info: SplitInfo) -> None:
        if split_info.name in self:
            raise ValueError(f"Split {split_info.name!r} already present; split names must be unique.")
        split_info.dataset_name = split_info.dataset_name or self.dataset_name
        self[str(split_info.name)] = split_info

    @property
    def total_num_examples(self) -> int:
        return sum(info.num_examples for info in self.values())

    @classmethod
    def from_split_dict(cls, split_infos: "list | dict", dataset_name: str | None = None) -> "SplitDict":
        if isinstance(split_infos, dict):
            split_infos = [{"name": name, **info} if isinstance(info, dict) else info for name, info in split_infos.items()]
        out = cls(dataset_name=dataset_name)
        for info in split_infos:
            out.add(info if isinstance(info, SplitInfo) else SplitInfo(**info))
        return out

    def to_dict(self) -> dict:
        return {name: info.to_dict() for name, info in self.items()}

    def copy(self) -> "SplitDict":
        return SplitDict.from_split_dict([dataclasses.replace(info) for info in self.values()], self.dataset_name)
