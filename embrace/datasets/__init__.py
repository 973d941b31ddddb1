"""embrace.datasets: Arrow-backed datasets with the ``datasets`` API.

Port code by changing ``import datasets`` to ``import embrace.datasets as datasets``.
The loading side (``load_dataset``, streaming) is imported on first use.

Example:
    >>> from embrace.datasets import Dataset
    >>> Dataset.from_dict({"text": ["hi"]}).num_rows
    1
"""

from __future__ import annotations

import importlib
from typing import Any

from embrace.datasets.arrow_dataset import Column, Dataset
from embrace.datasets.combine import concatenate_datasets, interleave_datasets
from embrace.datasets.dataset_dict import DatasetDict
from embrace.datasets.disk import load_from_disk
from embrace.datasets.features import (
    Array2D,
    Array3D,
    Array4D,
    Array5D,
    ClassLabel,
    Features,
    LargeList,
    List,
    Sequence,
    Value,
)
from embrace.datasets.fingerprint import disable_caching, enable_caching, is_caching_enabled
from embrace.datasets.info import DatasetInfo
from embrace.datasets.splits import NamedSplit, NamedSplitAll, Split, SplitDict, SplitInfo

# public name -> module of the loading side that defines it (imported on first access, so
# `import embrace.datasets` works while those modules are absent or heavy)
_LAZY: dict[str, str] = {
    "load_dataset": "embrace.datasets.load",
    "load_dataset_builder": "embrace.datasets.load",
    "get_dataset_split_names": "embrace.datasets.load",
    "IterableDataset": "embrace.datasets.iterable_dataset",
    "IterableDatasetDict": "embrace.datasets.iterable_dataset",
    "split_dataset_by_node": "embrace.datasets.iterable_dataset",
}

__all__ = [
    "Array2D", "Array3D", "Array4D", "Array5D", "ClassLabel", "Column", "Dataset", "DatasetDict", "DatasetInfo",
    "Features", "LargeList", "List", "NamedSplit", "NamedSplitAll", "Sequence", "Split", "SplitDict", "SplitInfo",
    "Value", "concatenate_datasets", "disable_caching", "enable_caching", "interleave_datasets",
    "is_caching_enabled", "load_from_disk", *sorted(_LAZY),
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'embrace.datasets' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
