"""``DatasetDict``: split name -> Dataset, with the Dataset methods applied per split.

Example:
    >>> from embrace.datasets import Dataset
    >>> dd = DatasetDict({"train": Dataset.from_dict({"a": [1, 2]}), "test": Dataset.from_dict({"a": [3]})})
    >>> dd.num_rows
    {'train': 2, 'test': 1}
    >>> dd.map(lambda x: {"b": x["a"] * 10})["test"][0]
    {'a': 3, 'b': 30}
"""

from __future__ import annotations

import contextlib
import json
import os
import re
from typing import Any, Callable, Iterator

from embrace.datasets.arrow_dataset import Dataset
from embrace.datasets.disk import DATASET_DICT_FILENAME, _load_dataset_folder, _write_json
from embrace.datasets.features import Features


class DatasetDict(dict):
    """A dict of splits; every transform returns a new DatasetDict."""

    def _check_values_type(self) -> None:
        for name, dataset in self.items():
            if not isinstance(dataset, Dataset):
                raise TypeError(f"Values in DatasetDict must be Dataset objects; split {name!r} is {type(dataset).__name__}.")

    def _apply(self, method: str, *args: Any, **kwargs: Any) -> "DatasetDict":
        self._check_values_type()
        return DatasetDict({name: getattr(dataset, method)(*args, **kwargs) for name, dataset in self.items()})

    def __repr__(self) -> str:
        body = "\n".join(f"{name}: {dataset}" for name, dataset in self.items())
        body = re.sub(r"^", " " * 4, body, flags=re.M)
        return f"DatasetDict({{\n{body}\n}})"

    def __getitem__(self, key: Any) -> Any:
        if isinstance(key, str) or not self:
            if isinstance(key, str) and key not in self:
                raise KeyError(f"Split {key!r} not found; available splits: {list(self)}.")
            return super().__getitem__(key)
        raise KeyError(
            f"Invalid key: {key!r}. Please first select a split. For example: `my_dataset_dictionary['{next(iter(self))}'][{key!r}]`. "
            f"Available splits: {sorted(self)}"
        )

    # --- description (one value per split) ---------------------------------------------

    @property
    def data(self) -> dict:
        return {name: dataset.data for name, dataset in self.items()}

    @property
    def cache_files(self) -> dict:
        return {name: dataset.cache_files for name, dataset in self.items()}

    @property
    def num_columns(self) -> dict:
        return {name: dataset.num_columns for name, dataset in self.items()}

    @property
    def num_rows(self) -> dict:
        return {name: dataset.num_rows for name, dataset in self.items()}

    @property
    def column_names(self) -> dict:
        return {name: dataset.column_names for name, dataset in self.items()}

    @property
    def shape(self) -> dict:
        return {name: dataset.shape for name, dataset in self.items()}

    def unique(self, column: str) -> dict:
        return {name: dataset.unique(column) for name, dataset in self.items()}

    # --- formats (in place) ----------------------------------------------------------

    def set_format(self, type: str | None = None, columns: list[str] | None = None, output_all_columns: bool = False, **format_kwargs: Any) -> None:  # noqa: A002
        for dataset in self.values():
            dataset.set_format(type, columns, output_all_columns, **format_kwargs)

    def reset_format(self) -> None:
        for dataset in self.values():
            dataset.reset_format()

    def set_transform(self, transform: Callable | None, columns: list[str] | None = None, output_all_columns: bool = False) -> None:
        for dataset in self.values():
            dataset.set_transform(transform, columns=columns, output_all_columns=output_all_columns)

    @contextlib.contextmanager
    def formatted_as(self, type: str | None = None, columns: list[str] | None = None, output_all_columns: bool = False, **format_kwargs: Any) -> Iterator[None]:  # noqa: A002
        with contextlib.ExitStack() as stack:
            for dataset in self.values():
                stack.enter_context(dataset.formatted_as(type, columns, output_all_columns, **format_kwargs))
            yield

    def with_format(self, type: str | None = None, columns: list[str] | None = None, output_all_columns: bool = False, **format_kwargs: Any) -> "DatasetDict":  # noqa: A002
        return self._apply("with_format", type, columns, output_all_columns, **format_kwargs)

    def with_transform(self, transform: Callable | None, columns: list[str] | None = None, output_all_columns: bool = False) -> "DatasetDict":
        return self._apply("with_transform", transform, columns=columns, output_all_columns=output_all_columns)

    # --- transforms (new DatasetDict) ---------------------------------------------------

    def map(self, function: Callable | None = None, **kwargs: Any) -> "DatasetDict":
        """``Dataset.map`` on every split (same keyword options; ``cache_file_names`` maps
        split -> file)."""
        self._check_values_type()
        cache_file_names = kwargs.pop("cache_file_names", None) or {}
        return DatasetDict(
            {name: ds.map(function, cache_file_name=cache_file_names.get(name), **kwargs) for name, ds in self.items()}
        )

    def filter(self, function: Callable | None = None, **kwargs: Any) -> "DatasetDict":
        """``Dataset.filter`` on every split."""
        kwargs.pop("cache_file_names", None)
        return self._apply("filter", function, **kwargs)

    def flatten(self, max_depth: int = 16) -> "DatasetDict":
        return self._apply("flatten", max_depth=max_depth)

    def cast(self, features: Features) -> "DatasetDict":
        return self._apply("cast", features)

    def cast_column(self, column: str, feature: Any) -> "DatasetDict":
        return self._apply("cast_column", column, feature)

    def remove_columns(self, column_names: str | list[str]) -> "DatasetDict":
        return self._apply("remove_columns", column_names)

    def rename_column(self, original_column_name: str, new_column_name: str) -> "DatasetDict":
        return self._apply("rename_column", original_column_name, new_column_name)

    def rename_columns(self, column_mapping: dict[str, str]) -> "DatasetDict":
        return self._apply("rename_columns", column_mapping)

    def select_columns(self, column_names: str | list[str]) -> "DatasetDict":
        return self._apply("select_columns", column_names)

    def class_encode_column(self, column: str, include_nulls: bool = False) -> "DatasetDict":
        return self._apply("class_encode_column", column, include_nulls=include_nulls)

    def flatten_indices(self, **kwargs: Any) -> "DatasetDict":
        return self._apply("flatten_indices", **kwargs)

    def sort(self, column_names: str | list[str], reverse: bool | list[bool] = False, null_placement: str = "at_end", **kwargs: Any) -> "DatasetDict":
        kwargs.pop("indices_cache_file_names", None)
        return self._apply("sort", column_names, reverse=reverse, null_placement=null_placement, **kwargs)

    def shuffle(self, seeds: int | dict | None = None, seed: int | None = None, generators: dict | None = None, **kwargs: Any) -> "DatasetDict":
        """Shuffle every split; ``seeds``/``generators`` may be given per split."""
        if seed is not None and seeds is not None:
            raise ValueError("Please specify seed or seeds, but not both.")
        seeds = seed if seed is not None else seeds
        kwargs.pop("indices_cache_file_names", None)
        self._check_values_type()
        return DatasetDict(
            {
                name: ds.shuffle(
                    seed=seeds.get(name) if isinstance(seeds, dict) else seeds,
                    generator=(generators or {}).get(name),
                    **kwargs,
                )
                for name, ds in self.items()
            }
        )

    # --- disk ----------------------------------------------------------------------------

    def save_to_disk(
        self,
        dataset_dict_path: str | os.PathLike,
        max_shard_size: int | str | None = None,
        num_shards: dict[str, int] | None = None,
        num_proc: int | None = None,
        storage_options: dict | None = None,
    ) -> None:
        """Write ``dataset_dict.json`` and one save_to_disk folder per split."""
        self._check_values_type()
        path = os.fspath(dataset_dict_path)
        num_shards = num_shards or {}
        os.makedirs(path, exist_ok=True)
        _write_json(os.path.join(path, DATASET_DICT_FILENAME), {"splits": list(self)})
        for name, dataset in self.items():
            dataset.save_to_disk(
                os.path.join(path, name), max_shard_size=max_shard_size, num_shards=num_shards.get(name),
                num_proc=num_proc, storage_options=storage_options,
            )

    @staticmethod
    def load_from_disk(
        dataset_dict_path: str | os.PathLike, keep_in_memory: bool | None = None, storage_options: dict | None = None
    ) -> "DatasetDict":
        """Load a folder written by ``DatasetDict.save_to_disk``."""
        path = os.fspath(dataset_dict_path)
        manifest = os.path.join(path, DATASET_DICT_FILENAME)
        if not os.path.isfile(manifest):
            raise FileNotFoundError(
                f"No {DATASET_DICT_FILENAME} in {path}: not a DatasetDict folder (use Dataset.load_from_disk for one split)."
            )
        with open(manifest, encoding="utf-8") as handle:
            splits = json.load(handle)["splits"]
        return DatasetDict({name: _load_dataset_folder(os.path.join(path, name), keep_in_memory) for name in splits})
