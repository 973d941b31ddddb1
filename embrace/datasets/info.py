"""``DatasetInfo``: description, features and sizes of a dataset (``dataset_info.json``).

Example:
    >>> from embrace.datasets.features import Features, Value
    >>> info = DatasetInfo(features=Features(a=Value("int64")))
    >>> info
    DatasetInfo(features={'a': Value('int64')})
    >>> sorted(info.to_dict())
    ['citation', 'description', 'features', 'homepage', 'license']
"""

from __future__ import annotations

import copy
import dataclasses
import json
import os
from typing import Any

from embrace.datasets.features import Features
from embrace.datasets.splits import SplitDict

DATASET_INFO_FILENAME = "dataset_info.json"
LICENSE_FILENAME = "LICENSE"

# Fields the reference writes even when they hold their default.
_ALWAYS_WRITTEN = ("description", "citation", "homepage", "license")


@dataclasses.dataclass
class DatasetInfo:
    """What is known about a dataset. Fields and JSON form follow the reference."""

    description: str = ""
    citation: str = ""
    homepage: str = ""
    license: str = ""
    features: Features | None = None
    post_processed: dict | None = None
    supervised_keys: dict | None = None
    builder_name: str | None = None
    dataset_name: str | None = None
    config_name: str | None = None
    version: Any = None
    splits: SplitDict | None = None
    download_checksums: dict | None = None
    download_size: int | None = None
    post_processing_size: int | None = None
    dataset_size: int | None = None
    size_in_bytes: int | None = None

    def __post_init__(self) -> None:
        if self.features is not None and not isinstance(self.features, Features):
            self.features = Features.from_dict(self.features)
        if self.splits is not None and not isinstance(self.splits, SplitDict):
            self.splits = SplitDict.from_split_dict(self.splits)

    def to_dict(self) -> dict:
        """The JSON form: description fields always, others only when set (like the reference)."""
        out: dict[str, Any] = {}
        for field in dataclasses.fields(self):
            value = getattr(self, field.name)
            if field.name not in _ALWAYS_WRITTEN and value is None:
                continue
            if field.name in _ALWAYS_WRITTEN or value != field.default:
                out[field.name] = _jsonable(value)
        return out

    @classmethod
    def from_dict(cls, dataset_info_dict: dict) -> "DatasetInfo":
        names = {field.name for field in dataclasses.fields(cls)}
        return cls(**{key: value for key, value in dataset_info_dict.items() if key in names})

    def write_to_directory(self, dataset_info_dir: str, pretty_print: bool = False) -> None:
        """Write ``dataset_info.json`` (and ``LICENSE`` when set) into ``dataset_info_dir``."""
        with open(os.path.join(dataset_info_dir, DATASET_INFO_FILENAME), "w", encoding="utf-8") as handle:
            json.dump(self.to_dict(), handle, indent=4 if pretty_print else None)
        if self.license:
            with open(os.path.join(dataset_info_dir, LICENSE_FILENAME), "w", encoding="utf-8") as handle:
                handle.write(self.license)

    @classmethod
    def from_directory(cls, dataset_info_dir: str) -> "DatasetInfo":
        """Read ``dataset_info.json`` from ``dataset_info_dir``."""
        path = os.path.join(dataset_info_dir, DATASET_INFO_FILENAME)
        if not os.path.isfile(path):
            raise FileNotFoundError(f"No {DATASET_INFO_FILENAME} in {dataset_info_dir!r}.")
        with open(path, encoding="utf-8") as handle:
            return cls.from_dict(json.load(handle))

    def update(self, other_dataset_info: "DatasetInfo", ignore_none: bool = True) -> None:
        for field in dataclasses.fields(other_dataset_info):
            value = getattr(other_dataset_info, field.name)
            if value is not None or not ignore_none:
                setattr(self, field.name, copy.deepcopy(value))

    def copy(self) -> "DatasetInfo":
        return copy.deepcopy(self)

    @classmethod
    def from_merge(cls, dataset_infos: list["DatasetInfo"]) -> "DatasetInfo":
        """Merge infos of concatenated datasets: equal infos stay, else texts are joined."""
        infos = [info.copy() for info in dataset_infos if info is not None]
        if infos and all(info == infos[0] for info in infos):
            return infos[0]

        def joined(name: str) -> str:
            return "\n\n".join(dict.fromkeys(getattr(info, name) for info in infos)).strip()

        return cls(**{name: joined(name) for name in _ALWAYS_WRITTEN})

    def __repr__(self) -> str:
        shown = ", ".join(
            f"{field.name}={getattr(self, field.name)!r}"
            for field in dataclasses.fields(self)
            if getattr(self, field.name) != field.default
        )
        return f"DatasetInfo({shown})"


def _jsonable(value: Any) -> Any:
    if hasattr(value, "to_dict"):
        return value.to_dict()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    if isinstance(value, dict):
        return {key: _jsonable(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(item) for item in value]
    return str(value)
