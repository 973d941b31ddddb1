"""``Dataset``: rows in an Arrow table (in memory or memory-mapped), an optional indices
mapping (for shuffle/select/filter without copying), features, a format and a fingerprint.

This module holds the object itself: construction, access, iteration and formats. The
operations live in topic modules (``ops/mapping.py``, ``ops/ordering.py``,
``ops/columns.py``, ``export.py``, ``disk.py``) and are attached here as methods, so
each public signature is written once, next to its implementation.

Example:
    >>> ds = Dataset.from_dict({"a": [1, 2, 3], "b": ["x", "y", "z"]})
    >>> ds
    Dataset({
        features: ['a', 'b'],
        num_rows: 3
    })
    >>> ds[0], ds[-1]["b"], ds[1:]["a"]
    ({'a': 1, 'b': 'x'}, 'z', [2, 3])
    >>> ds["a"]
    Column([1, 2, 3])
"""

from __future__ import annotations

import contextlib
import copy
import os
from collections.abc import Iterator, MutableMapping
from typing import Any, Callable

import numpy as np
import pyarrow as pa

from embrace.datasets import disk, export
from embrace.datasets.features import Features
from embrace.datasets.fingerprint import Hasher, default_cache_dir, fingerprint_of_table, update_fingerprint
from embrace.datasets.formatting import PythonFormatter, get_format_type_from_alias, get_formatter
from embrace.datasets.info import DatasetInfo
from embrace.datasets.ops import columns, mapping, ordering
from embrace.datasets.splits import NamedSplit
from embrace.datasets.table import InMemoryTable, Table, memory_mapped_table, table_from_columns, write_arrow_file
from embrace.errors import ColumnNotFoundError

# Rows per Arrow slice when iterating: large enough to amortise the Arrow->Python call.
_ITER_BATCH = 1000


class Column:
    """One column of a dataset, read lazily; indexes and iterates like a list.

    Example:
        >>> col = Dataset.from_dict({"a": [1, 2, 3]})["a"]
        >>> col[0], col[1:], list(col) == [1, 2, 3], col == [1, 2, 3]
        (1, [2, 3], True, True)
    """

    def __init__(self, source: "Dataset | Column", column_name: str) -> None:
        if not isinstance(source.features, dict) or column_name not in source.features:
            raise ColumnNotFoundError(f"Column '{column_name}' doesn't exist. Available columns: {list(source.features)}.")
        self.source = source
        self.column_name = column_name
        self.features = source.features[column_name]

    def _dataset(self) -> Any:
        source = self.source
        if isinstance(source, Dataset) and source._format_type != "custom":
            return source._fast_select_column(self.column_name)
        return source  # a custom transform may need every column

    def __iter__(self) -> Iterator[Any]:
        for example in self._dataset():
            yield example[self.column_name]

    def __getitem__(self, key: Any) -> Any:
        if isinstance(key, str):
            return Column(self, key)
        if isinstance(self.source, Dataset):
            return self._dataset()[key][self.column_name]
        if isinstance(key, (int, np.integer)):
            return self.source[key][self.column_name]
        return [item[self.column_name] for item in self.source[key]]

    def __len__(self) -> int:
        return len(self.source)

    def __repr__(self) -> str:
        head = repr(list(self[:5]))[:-1]
        return f"Column({head}{', ...])' if len(self) > 5 else '])'}"

    def __eq__(self, other: object) -> bool:
        return list(self) == (list(other) if isinstance(other, Column) else other)


class Dataset:
    """A dataset backed by an Arrow table.

    ``Dataset(arrow_table, info=None, split=None, indices_table=None, fingerprint=None)``
    wraps a ``pyarrow.Table`` (or a :class:`~embrace.datasets.table.Table` from
    ``memory_mapped_table``); the features come from ``info.features`` or the table schema.
    """

    def __init__(
        self,
        arrow_table: pa.Table | Table,
        info: DatasetInfo | None = None,
        split: str | NamedSplit | None = None,
        indices_table: pa.Table | Table | None = None,
        fingerprint: str | None = None,
    ) -> None:
        self._data = arrow_table if isinstance(arrow_table, Table) else InMemoryTable(arrow_table)
        self._info = info.copy() if info is not None else DatasetInfo()
        self._split = NamedSplit(split) if isinstance(split, str) else split
        self._indices = None
        if indices_table is not None:
            self._indices = indices_table if isinstance(indices_table, Table) else InMemoryTable(indices_table)
        self._format_type: str | None = None
        self._format_kwargs: dict = {}
        self._format_columns: list[str] | None = None
        self._output_all_columns = False
        inferred = Features.from_arrow_schema(self._data.schema)
        if self._info.features is None:
            self._info.features = inferred
        else:
            try:
                self._info.features = self._info.features.reorder_fields_as(inferred)
                mismatch = None if self._info.features.type == inferred.type else "the Arrow types differ"
            except ValueError as exc:
                mismatch = str(exc)
            if mismatch:
                raise ValueError(
                    f"The features given in `info` do not match the Arrow table ({mismatch}):\n"
                    f"given: {self._info.features}\ntable: {inferred}"
                )
        self._fingerprint = fingerprint or self._content_fingerprint()

    def _content_fingerprint(self) -> str:
        base = fingerprint_of_table(self._data)
        if self._indices is None:
            return base
        return update_fingerprint(base, "indices", {"indices": fingerprint_of_table(self._indices)})

    # --- construction -----------------------------------------------------------------

    @classmethod
    def from_dict(
        cls,
        mapping: dict,
        features: Features | None = None,
        info: DatasetInfo | None = None,
        split: str | NamedSplit | None = None,
    ) -> "Dataset":
        """Build an in-memory dataset from ``{column: values}`` (all columns of one length).

        Example:
            >>> Dataset.from_dict({"a": [1, 2]}).num_rows
            2
        """
        if not isinstance(mapping, dict):
            raise TypeError(f"from_dict expects a dict of columns, got {type(mapping).__name__}.")
        if features is not None:
            missing = [name for name in features if name not in mapping]
            mapping = {**mapping, **{name: [None] * _common_length(mapping) for name in missing}}
            mapping = {name: mapping[name] for name in list(features) + [n for n in mapping if n not in features]}
        table, inferred = table_from_columns(mapping, features)
        info = info.copy() if info is not None else DatasetInfo()
        info.features = inferred
        return cls(InMemoryTable(table), info=info, split=split)

    @classmethod
    def from_list(
        cls,
        mapping: list[dict],
        features: Features | None = None,
        info: DatasetInfo | None = None,
        split: str | NamedSplit | None = None,
    ) -> "Dataset":
        """Build a dataset from a list of rows; the first row names the columns.

        Example:
            >>> Dataset.from_list([{"a": 1}, {"a": 2}])["a"][:]
            [1, 2]
        """
        columns = {name: [row.get(name) for row in mapping] for name in mapping[0]} if mapping else {}
        return cls.from_dict(columns, features=features, info=info, split=split)

    @classmethod
    def from_pandas(
        cls,
        df: Any,
        features: Features | None = None,
        info: DatasetInfo | None = None,
        split: str | NamedSplit | None = None,
        preserve_index: bool | None = None,
    ) -> "Dataset":
        """Build a dataset from a pandas DataFrame (pandas is only needed by the caller).

        Example:
            >>> import pandas as pd
            >>> Dataset.from_pandas(pd.DataFrame({"a": [1, 2]})).features
            {'a': Value('int64')}
        """
        schema = features.arrow_schema if features is not None else None
        table = pa.Table.from_pandas(df, schema=schema, preserve_index=preserve_index)
        info = info.copy() if info is not None else DatasetInfo()
        info.features = features if features is not None else Features.from_arrow_schema(table.schema)
        return cls(InMemoryTable(table), info=info, split=split)

    @classmethod
    def from_generator(
        cls,
        generator: Callable,
        features: Features | None = None,
        cache_dir: str | None = None,
        keep_in_memory: bool = False,
        gen_kwargs: dict | None = None,
        num_proc: int | None = None,
        split: str | NamedSplit = "train",
        fingerprint: str | None = None,
    ) -> "Dataset":
        """Build a dataset from a generator of row dicts. Unless ``keep_in_memory``, the
        rows are written once to an ``.arrow`` file in the cache, reused by the next call
        with the same generator and arguments (the file is memory-mapped).

        Example:
            >>> def gen():
            ...     yield {"a": 1}
            ...     yield {"a": 2}
            >>> Dataset.from_generator(gen, keep_in_memory=True)["a"][:]
            [1, 2]
        """
        gen_kwargs = gen_kwargs or {}
        fingerprint = fingerprint or Hasher.hash([generator, gen_kwargs, features, str(split)])
        path = os.path.join(cache_dir or default_cache_dir(), "generator", f"default-{fingerprint}", f"generator-{split}.arrow")
        info = DatasetInfo(features=features)
        if not keep_in_memory and os.path.isfile(path):
            return cls(memory_mapped_table(path), info=info, split=split, fingerprint=fingerprint)
        rows = list(generator(**gen_kwargs))
        columns = {name: [row.get(name) for row in rows] for name in (rows[0] if rows else features or {})}
        table, inferred = table_from_columns(columns, features)
        info.features = inferred
        if keep_in_memory:
            return cls(InMemoryTable(table), info=info, split=split, fingerprint=fingerprint)
        write_arrow_file(table, path)
        return cls(memory_mapped_table(path), info=info, split=split, fingerprint=fingerprint)

    @classmethod
    def from_file(
        cls,
        filename: str,
        info: DatasetInfo | None = None,
        split: str | NamedSplit | None = None,
        indices_filename: str | None = None,
        in_memory: bool = False,
    ) -> "Dataset":
        """Open an ``.arrow`` file (memory-mapped unless ``in_memory``).

        Example:
            >>> import tempfile
            >>> path = os.path.join(tempfile.mkdtemp(), "d.arrow")
            >>> _ = write_arrow_file(pa.table({"a": [1]}), path)
            >>> Dataset.from_file(path)["a"][:]
            [1]
        """
        from embrace.datasets.table import in_memory_table

        load = in_memory_table if in_memory else memory_mapped_table
        indices = load(indices_filename) if indices_filename is not None else None
        return cls(load(filename), info=info, split=split, indices_table=indices)

    def _replace(self, **changes: Any) -> "Dataset":
        """A shallow copy with some state replaced (internal: callers keep it consistent)."""
        new = object.__new__(type(self))
        new.__dict__.update(self.__dict__)
        new._info = self._info.copy()
        new._format_kwargs = dict(self._format_kwargs)
        for key, value in changes.items():
            setattr(new, key, value)
        return new

    # --- description ----------------------------------------------------------------

    @property
    def data(self) -> Table:
        """The Arrow table (all rows, before the indices mapping)."""
        return self._data

    @property
    def info(self) -> DatasetInfo:
        return self._info

    @property
    def split(self) -> NamedSplit | None:
        return self._split

    @property
    def features(self) -> Features:
        return self._info.features

    @property
    def cache_files(self) -> list[dict]:
        """The ``.arrow`` files backing the table, as ``[{"filename": path}]``."""
        files = self._data.cache_files + (self._indices.cache_files if self._indices is not None else [])
        return [{"filename": path} for path in files]

    @property
    def num_rows(self) -> int:
        return self._indices.num_rows if self._indices is not None else self._data.num_rows

    @property
    def num_columns(self) -> int:
        return self._data.num_columns

    @property
    def column_names(self) -> list[str]:
        return list(self._data.column_names)

    @property
    def shape(self) -> tuple[int, int]:
        return (self.num_rows, self.num_columns)

    def __len__(self) -> int:
        return self.num_rows

    def __repr__(self) -> str:
        return f"Dataset({{\n    features: {list(self._info.features)},\n    num_rows: {self.num_rows}\n}})"

    @property
    def format(self) -> dict:
        """The current output format: type, kwargs, columns, output_all_columns."""
        return {
            "type": self._format_type,
            "format_kwargs": self._format_kwargs,
            "columns": self.column_names if self._format_columns is None else self._format_columns,
            "output_all_columns": self._output_all_columns,
        }

    # --- formats --------------------------------------------------------------------

    def set_format(
        self,
        type: str | None = None,  # noqa: A002 - the reference's argument name
        columns: str | list[str] | None = None,
        output_all_columns: bool = False,
        **format_kwargs: Any,
    ) -> None:
        """Set what ``__getitem__`` returns: ``None``/``"python"``, ``"numpy"``, ``"torch"``,
        ``"pandas"``, ``"arrow"`` (in place). ``columns`` limits the formatted columns;
        with ``output_all_columns`` the others are returned as Python objects.

        Example:
            >>> ds = Dataset.from_dict({"a": [1, 2]}); ds.set_format("numpy"); ds[:]["a"]
            array([1, 2])
        """
        if "transform" in format_kwargs and type != "custom":
            raise TypeError("`transform` is only accepted with type='custom'; use set_transform().")
        format_type = get_format_type_from_alias(type)
        if isinstance(columns, str):
            columns = [columns]
        if isinstance(columns, tuple):
            columns = list(columns)
        if columns is not None:
            missing = [name for name in columns if name not in self._data.column_names]
            if missing:
                raise ColumnNotFoundError(
                    f"Columns {missing} not in the dataset. Current columns in the dataset: {self.column_names}."
                )
        self._format_type = format_type
        self._format_kwargs = format_kwargs
        self._format_columns = columns
        self._output_all_columns = output_all_columns
        get_formatter(format_type, features=self.features, **format_kwargs)  # validates the kwargs now

    def reset_format(self) -> None:
        """Back to Python objects for every column."""
        self.set_format()

    def with_format(
        self,
        type: str | None = None,  # noqa: A002
        columns: str | list[str] | None = None,
        output_all_columns: bool = False,
        **format_kwargs: Any,
    ) -> "Dataset":
        """A copy with :meth:`set_format` applied.

        Example:
            >>> Dataset.from_dict({"a": [1]}).with_format("torch")[0]["a"]
            tensor(1)
        """
        dataset = self._replace()
        dataset.set_format(type, columns, output_all_columns, **format_kwargs)
        return dataset

    def set_transform(
        self, transform: Callable | None, columns: list[str] | None = None, output_all_columns: bool = False
    ) -> None:
        """Format batches with ``transform(batch_dict)`` on access (in place).

        Example:
            >>> ds = Dataset.from_dict({"a": [1, 2]})
            >>> ds.set_transform(lambda b: {"a": [x * 10 for x in b["a"]]}); ds[1]
            {'a': 20}
        """
        self.set_format("custom", columns=columns, output_all_columns=output_all_columns, transform=transform)

    def with_transform(
        self, transform: Callable | None, columns: list[str] | None = None, output_all_columns: bool = False
    ) -> "Dataset":
        """A copy with :meth:`set_transform` applied."""
        dataset = self._replace()
        dataset.set_transform(transform, columns=columns, output_all_columns=output_all_columns)
        return dataset

    @contextlib.contextmanager
    def formatted_as(
        self,
        type: str | None = None,  # noqa: A002
        columns: list[str] | None = None,
        output_all_columns: bool = False,
        **format_kwargs: Any,
    ) -> Iterator[None]:
        """Temporarily use another format inside a ``with`` block."""
        saved = (self._format_type, self._format_kwargs, self._format_columns, self._output_all_columns)
        try:
            self.set_format(type, columns, output_all_columns, **format_kwargs)
            yield
        finally:
            self._format_type, self._format_kwargs, self._format_columns, self._output_all_columns = saved

    # --- access -------------------------------------------------------------------

    def _positions(self, key: Any) -> np.ndarray:
        """Row positions (before the indices mapping) selected by an int sequence."""
        positions = np.asarray(key)
        if positions.dtype == bool:
            raise TypeError("Boolean masks are not supported as dataset keys; use filter() or np.flatnonzero(mask).")
        if positions.size and not np.issubdtype(positions.dtype, np.integer):
            raise TypeError(f"Dataset keys must be integers, got values of dtype {positions.dtype}.")
        positions = positions.astype(np.int64, copy=False).reshape(-1)
        size = len(self)
        positions = np.where(positions < 0, positions + size, positions)
        bad = positions[(positions < 0) | (positions >= size)]
        if bad.size:
            raise IndexError(f"Invalid key: {int(bad[0])} is out of bounds for size {size}.")
        return positions

    def _rows(self, key: Any) -> pa.Table:
        """The Arrow rows selected by an int, slice, range or sequence of ints."""
        table = self._data.table
        size = len(self)
        if isinstance(key, (int, np.integer)) and not isinstance(key, bool):
            index = int(key) + size if key < 0 else int(key)
            if not 0 <= index < size:
                raise IndexError(f"Invalid key: {key} is out of bounds for size {size}.")
            if self._indices is None:
                return table.slice(index, 1)
            return table.take([self._indices.column(0)[index].as_py()])
        if isinstance(key, slice):
            start, stop, step = key.indices(size)
            if step == 1 and self._indices is None:
                return table.slice(start, max(stop - start, 0))
            positions = np.arange(start, stop, step, dtype=np.int64)
        else:
            positions = self._positions(key)
        if self._indices is not None:
            positions = self._indices.column(0).to_numpy()[positions]
        return table.take(positions)

    def _formatter(self, format_type: Any = "__current__") -> Any:
        kind = self._format_type if format_type == "__current__" else format_type
        return get_formatter(kind, features=self.features, **(self._format_kwargs if kind == self._format_type else {}))

    def _format(self, table: pa.Table, kind: str) -> Any:
        """Format ``table`` as a ``"row"``, ``"column"`` or ``"batch"`` with the current format."""
        formatter = self._formatter()
        columns = self._format_columns
        if columns is None:
            return getattr(formatter, f"format_{kind}")(table)
        if kind == "column":
            name = table.column_names[0]
            chosen = formatter if name in columns else PythonFormatter(features=self.features)
            return chosen.format_column(table)
        out = getattr(formatter, f"format_{kind}")(table.select([c for c in table.column_names if c in columns]))
        if self._output_all_columns and isinstance(out, MutableMapping):
            others = [c for c in table.column_names if c not in columns]
            rest = getattr(PythonFormatter(features=self.features), f"format_{kind}")(table.select(others))
            out.update(rest)
        return out

    def __getitem__(self, key: Any) -> Any:
        """``int`` -> a row, ``slice``/list of ints -> a batch, ``str`` -> a :class:`Column`."""
        if isinstance(key, str):
            return Column(self, key)
        kind = "row" if isinstance(key, (int, np.integer)) else "batch"
        return self._format(self._rows(key), kind)

    def __getitems__(self, keys: list[int]) -> list:
        """Rows for ``keys`` in one Arrow call (used by ``torch.utils.data.DataLoader``)."""
        batch = self[keys]
        count = len(next(iter(batch.values()))) if batch else 0
        return [{name: values[i] for name, values in batch.items()} for i in range(count)]

    def _fast_select_column(self, name: str) -> "Dataset":
        dataset = self._replace(_data=self._data.derive(self._data.table.select([name])))
        dataset._info.features = Features({name: self.features[name]})
        if dataset._format_columns is not None:
            dataset._format_columns = [c for c in dataset._format_columns if c == name]
        return dataset

    def _is_plain_python(self) -> bool:
        return self._format_type is None and self._format_columns is None and not self.features.requires_decoding

    def __iter__(self) -> Iterator[Any]:
        """Rows one by one, in the current format."""
        size = len(self)
        plain = self._is_plain_python()
        for start in range(0, size, _ITER_BATCH):
            table = self._rows(slice(start, min(start + _ITER_BATCH, size)))
            if plain:
                yield from table.to_pylist()
            else:
                for i in range(table.num_rows):
                    yield self._format(table.slice(i, 1), "row")

    def iter(self, batch_size: int, drop_last_batch: bool = False) -> Iterator[Any]:
        """Batches of ``batch_size`` rows in the current format.

        Example:
            >>> [b["a"] for b in Dataset.from_dict({"a": [1, 2, 3]}).iter(batch_size=2)]
            [[1, 2], [3]]
        """
        size = len(self)
        for start in range(0, size, batch_size):
            stop = start + batch_size
            if stop > size and drop_last_batch:
                return
            yield self._format(self._rows(slice(start, min(stop, size))), "batch")

    def __enter__(self) -> "Dataset":
        return self

    def __exit__(self, *exc: Any) -> None:
        return None

    def __deepcopy__(self, memo: dict) -> "Dataset":
        # Arrow buffers are immutable: share them, copy the Python-level state
        new = self._replace()
        new._format_kwargs = copy.deepcopy(self._format_kwargs, memo)
        return new

    # --- operations (implemented in their topic modules) ------------------------------

    map = mapping.map
    filter = mapping.filter
    select = ordering.select
    shuffle = ordering.shuffle
    sort = ordering.sort
    shard = ordering.shard
    flatten_indices = ordering.flatten_indices
    train_test_split = ordering.train_test_split
    add_column = columns.add_column
    add_item = columns.add_item
    remove_columns = columns.remove_columns
    rename_column = columns.rename_column
    rename_columns = columns.rename_columns
    select_columns = columns.select_columns
    cast = columns.cast
    cast_column = columns.cast_column
    class_encode_column = columns.class_encode_column
    unique = columns.unique
    flatten = columns.flatten
    to_dict = export.to_dict
    to_list = export.to_list
    to_pandas = export.to_pandas
    to_csv = export.to_csv
    to_json = export.to_json
    to_parquet = export.to_parquet
    save_to_disk = disk.save_to_disk
    load_from_disk = staticmethod(disk.dataset_load_from_disk)

    def to_iterable_dataset(self, num_shards: int = 1) -> "Any":
        """Stream this dataset as an `IterableDataset` of `num_shards` contiguous shards.

        Example:
            >>> from embrace.datasets import Dataset
            >>> stream = Dataset.from_dict({"x": [1, 2, 3]}).to_iterable_dataset(num_shards=3)
            >>> [row["x"] for row in stream]
            [1, 2, 3]
        """
        from .iterable_dataset import to_iterable_dataset  # streaming imports the core: import late

        return to_iterable_dataset(self, num_shards)


def _common_length(mapping: dict) -> int:
    return len(next(iter(mapping.values()))) if mapping else 0


def _install_info_properties() -> None:
    """``ds.description``, ``ds.citation``, ... read through to ``ds.info`` like the reference."""
    for name in (
        "builder_name", "citation", "config_name", "dataset_size", "description", "download_checksums",
        "download_size", "homepage", "license", "size_in_bytes", "supervised_keys", "version",
    ):
        setattr(Dataset, name, property(lambda self, _n=name: getattr(self._info, _n)))


_install_info_properties()
