"""``save_to_disk`` / ``load_from_disk``: the reference's folder layout.

A dataset folder holds ``data-00000-of-0000N.arrow`` (Arrow IPC streams with the features
in the schema metadata), ``dataset_info.json`` and ``state.json`` (fingerprint, format,
split, shard file names). A dataset dict folder holds ``dataset_dict.json``
(``{"splits": [...]}``) and one such folder per split. Each file is written to a temporary
name and renamed into place. Loading memory-maps the shards.

Example:
    >>> import tempfile
    >>> from embrace.datasets import Dataset
    >>> path = tempfile.mkdtemp()
    >>> Dataset.from_dict({"a": [1, 2]}).save_to_disk(path)
    >>> sorted(os.listdir(path))
    ['data-00000-of-00001.arrow', 'dataset_info.json', 'state.json']
    >>> load_from_disk(path)["a"][:]
    [1, 2]
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from embrace.datasets.info import DATASET_INFO_FILENAME, DatasetInfo
from embrace.datasets.progress import progress_bar
from embrace.datasets.table import Table, concat_tables, in_memory_table, memory_mapped_table, write_arrow_file
from embrace.errors import DirectoryExpectedError
from embrace.utils.files import write_text_atomically

if TYPE_CHECKING:
    from embrace.datasets.arrow_dataset import Dataset
    from embrace.datasets.dataset_dict import DatasetDict

STATE_FILENAME = "state.json"
DATASET_DICT_FILENAME = "dataset_dict.json"
DEFAULT_MAX_SHARD_SIZE = 500 * 10**6
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([KMGT]?i?B)\s*$", re.IGNORECASE)
_UNITS = {"B": 1, "KB": 10**3, "MB": 10**6, "GB": 10**9, "TB": 10**12, "KIB": 2**10, "MIB": 2**20, "GIB": 2**30, "TIB": 2**40}


def parse_size(size: int | str) -> int:
    """``"500MB"`` -> 500000000; ints pass through.

    Example:
        >>> parse_size("1KiB"), parse_size(7)
        (1024, 7)
    """
    if isinstance(size, int):
        return size
    match = _SIZE.match(size)
    if not match:
        raise ValueError(f"Cannot read the size {size!r}; write it like 500MB, 1GiB or as a number of bytes.")
    return int(float(match.group(1)) * _UNITS[match.group(2).upper()])


def _write_json(path: str, obj: Any, **dump_kwargs: Any) -> None:
    write_text_atomically(path, json.dumps(obj, **dump_kwargs))


def save_to_disk(
    self: "Dataset",
    dataset_path: str | os.PathLike,
    max_shard_size: int | str | None = None,
    num_shards: int | None = None,
    num_proc: int | None = None,
    storage_options: dict | None = None,
) -> None:
    """Write the dataset into the folder ``dataset_path`` (the rows as seen, after any
    indices mapping), in ``num_shards`` files or as many as ``max_shard_size`` needs.

    Example:
        >>> import tempfile
        >>> from embrace.datasets import Dataset
        >>> Dataset.from_dict({"a": [1]}).save_to_disk(tempfile.mkdtemp(), num_shards=1)
    """
    if storage_options:
        raise ValueError("storage_options (remote file systems) are not supported; save to a local folder.")
    if max_shard_size is not None and num_shards is not None:
        raise ValueError("Pass either max_shard_size or num_shards, not both.")
    dataset_path = os.fspath(dataset_path)
    if os.path.isfile(dataset_path):
        raise DirectoryExpectedError(f"{dataset_path} is a file; save_to_disk needs a folder path.")
    target = Path(dataset_path).expanduser().resolve()
    if any(Path(f["filename"]).resolve().parent == target for f in self.cache_files):
        raise PermissionError(f"Tried to overwrite {target} but a dataset can't overwrite itself.")
    for key, value in self._format_kwargs.items():
        try:
            json.dumps(value)
        except TypeError as exc:
            raise TypeError(f"{exc}\nThe format kwargs must be JSON serializable, but key '{key}' isn't.") from None
    if num_shards is None:
        nbytes = self._data.table.nbytes * len(self) // max(self._data.num_rows, 1)
        num_shards = max(int(nbytes / parse_size(max_shard_size or DEFAULT_MAX_SHARD_SIZE)) + 1, num_proc or 1)
        num_shards = max(min(num_shards, len(self)), 1)
    os.makedirs(dataset_path, exist_ok=True)
    files = [f"data-{i:05d}-of-{num_shards:05d}.arrow" for i in range(num_shards)]
    schema = self.features.arrow_schema
    with progress_bar(total=len(self), desc=f"Saving the dataset (0/{num_shards} shards)") as bar:
        for index, name in enumerate(files):
            shard = self.shard(num_shards, index, contiguous=True)
            rows = shard._rows(slice(0, len(shard))).cast(schema)
            rows = pa.Table.from_arrays(rows.columns, schema=schema)  # keeps the per-field metadata
            write_arrow_file(rows, os.path.join(dataset_path, name), batch_size=1000)
            bar.update(len(shard))
            bar.set_description(f"Saving the dataset ({index + 1}/{num_shards} shards)")
    state = {
        "_data_files": [{"filename": name} for name in files],
        "_fingerprint": self._fingerprint,
        "_format_columns": self._format_columns,
        "_format_kwargs": self._format_kwargs,
        "_format_type": self._format_type,
        "_output_all_columns": self._output_all_columns,
        "_split": str(self._split) if self._split is not None else None,
    }
    _write_json(os.path.join(dataset_path, STATE_FILENAME), state, indent=2, sort_keys=True)
    info = self._info.to_dict()
    _write_json(os.path.join(dataset_path, DATASET_INFO_FILENAME), {k: info[k] for k in sorted(info)}, indent=2)


def _load_dataset_folder(dataset_path: str, keep_in_memory: bool | None) -> "Dataset":
    from embrace.datasets.arrow_dataset import Dataset

    state_path = os.path.join(dataset_path, STATE_FILENAME)
    with open(state_path, encoding="utf-8") as handle:
        state = json.load(handle)
    info = DatasetInfo.from_directory(dataset_path)
    load = in_memory_table if keep_in_memory else memory_mapped_table
    tables: list[Table] = [load(os.path.join(dataset_path, entry["filename"])) for entry in state["_data_files"]]
    table = tables[0] if len(tables) == 1 else concat_tables(tables)
    split = state.get("_split")
    dataset = Dataset(table, info=info, split=split, fingerprint=state["_fingerprint"])
    dataset.set_format(
        state.get("_format_type"), state.get("_format_columns"), state.get("_output_all_columns", False),
        **state.get("_format_kwargs", {}),
    )
    return dataset


def load_from_disk(
    dataset_path: str | os.PathLike,
    keep_in_memory: bool | None = None,
    storage_options: dict | None = None,
) -> "Dataset | DatasetDict":
    """Load a folder written by ``save_to_disk`` (ours or the reference's): a Dataset, or a
    DatasetDict when the folder has ``dataset_dict.json``.

    Example:
        >>> import tempfile
        >>> from embrace.datasets import Dataset, DatasetDict
        >>> path = tempfile.mkdtemp()
        >>> DatasetDict({"train": Dataset.from_dict({"a": [1]})}).save_to_disk(path)
        >>> load_from_disk(path)
        DatasetDict({
            train: Dataset({
                features: ['a'],
                num_rows: 1
            })
        })
    """
    from embrace.datasets.dataset_dict import DatasetDict

    if storage_options:
        raise ValueError("storage_options (remote file systems) are not supported; load from a local folder.")
    dataset_path = os.fspath(dataset_path)
    if not os.path.isdir(dataset_path):
        raise FileNotFoundError(f"Directory {dataset_path} not found; pass the folder written by save_to_disk().")
    if os.path.isfile(os.path.join(dataset_path, DATASET_DICT_FILENAME)):
        return DatasetDict.load_from_disk(dataset_path, keep_in_memory=keep_in_memory)
    has_state = os.path.isfile(os.path.join(dataset_path, STATE_FILENAME))
    has_info = os.path.isfile(os.path.join(dataset_path, DATASET_INFO_FILENAME))
    if not (has_state and has_info):
        raise FileNotFoundError(
            f"Directory {dataset_path} is neither a Dataset folder (state.json + dataset_info.json) nor a DatasetDict "
            "folder (dataset_dict.json); pass a folder written by save_to_disk()."
        )
    return _load_dataset_folder(dataset_path, keep_in_memory)


def dataset_load_from_disk(
    dataset_path: str | os.PathLike, keep_in_memory: bool | None = None, storage_options: dict | None = None
) -> "Dataset":
    """``Dataset.load_from_disk``: like :func:`load_from_disk` but the folder must hold one Dataset."""
    dataset_path = os.fspath(dataset_path)
    if os.path.isfile(os.path.join(dataset_path, DATASET_DICT_FILENAME)) and not os.path.isfile(
        os.path.join(dataset_path, STATE_FILENAME)
    ):
        raise FileNotFoundError(
            f"{dataset_path} holds a DatasetDict; use embrace.datasets.load_from_disk or DatasetDict.load_from_disk."
        )
    result = load_from_disk(dataset_path, keep_in_memory=keep_in_memory, storage_options=storage_options)
    return result
