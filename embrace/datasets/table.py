"""Arrow tables behind a dataset: in memory or memory-mapped from ``.arrow`` files.

A :class:`Table` wraps a ``pyarrow.Table`` and remembers the files its buffers come from
(``cache_files``), because map/filter caches are written next to those files. Attribute
access falls through to the wrapped table (``t.num_rows``, ``t.schema``, ``t.column(...)``).

Files are Arrow IPC *streams*, as the reference writes them; IPC *files* are read too.
Writes go to a temporary file renamed into place, so a crash never leaves a truncated
``.arrow`` file under its final name.

Example:
    >>> import pyarrow as pa, tempfile, os
    >>> path = os.path.join(tempfile.mkdtemp(), "t.arrow")
    >>> write_arrow_file(pa.table({"a": [1, 2]}), path)
    2
    >>> table = memory_mapped_table(path)
    >>> table.num_rows, table.cache_files == [path]
    (2, True)
"""

from __future__ import annotations

import os
import tempfile
from typing import Any, Iterable

import numpy as np
import pyarrow as pa

from embrace.datasets.features import Features
from embrace.datasets.features.nested import arrow_type_of, encode_nested, feature_from_arrow_type, needs_encoding
from embrace.errors import DatasetTransformError, EmbraceError


class DatasetFileError(EmbraceError, OSError):
    """An ``.arrow`` file could not be read (missing, truncated, or not Arrow IPC)."""


class Table:
    """A ``pyarrow.Table`` plus the ``.arrow`` files that back it (empty when in memory)."""

    def __init__(self, table: pa.Table, cache_files: Iterable[str] = ()) -> None:
        if isinstance(table, Table):
            cache_files = list(table.cache_files) + [f for f in cache_files if f not in table.cache_files]
            table = table.table
        if not isinstance(table, pa.Table):
            raise TypeError(f"Expected a pyarrow.Table, got {type(table).__name__}.")
        self.table = table
        self.cache_files = list(dict.fromkeys(cache_files))

    def __getattr__(self, name: str) -> Any:
        # only called for names the wrapper lacks: read-only access to the Arrow table
        return getattr(self.__dict__["table"], name)

    def __len__(self) -> int:
        return self.table.num_rows

    def derive(self, table: pa.Table) -> "Table":
        """A new wrapper for ``table`` computed from this one (same backing files)."""
        return Table(table, self.cache_files)

    def __repr__(self) -> str:
        return f"{type(self).__name__}\n{self.table}"

    def __getstate__(self) -> dict:
        return {"table": self.table, "cache_files": self.cache_files}

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)


class InMemoryTable(Table):
    """A table held in memory (built from Python data, or ``keep_in_memory=True``)."""

    def __init__(self, table: pa.Table) -> None:
        super().__init__(table, ())


class MemoryMappedTable(Table):
    """The whole content of one ``.arrow`` file, memory-mapped; pickles as its path so a
    worker process maps the file itself instead of receiving a copy of the data."""

    def __init__(self, table: pa.Table, path: str) -> None:
        super().__init__(table, [path])
        self.path = path

    def __reduce__(self) -> tuple:
        return memory_mapped_table, (self.path,)


def _read(source: Any, path: str) -> pa.Table:
    try:
        table = pa.ipc.open_stream(source).read_all()
    except pa.ArrowInvalid:
        try:
            table = pa.ipc.open_file(source).read_all()
        except pa.ArrowInvalid as exc:
            raise DatasetFileError(f"{path} is not an Arrow IPC stream or file ({exc}); re-create it.") from exc
    return unwrap_extension_columns(table)


def unwrap_extension_columns(table: pa.Table) -> pa.Table:
    """Replace extension-typed columns (arrays written by the reference, when its types
    are registered in this process) by their storage, zero-copy: embrace's features
    describe the storage layout."""
    if not any(isinstance(field.type, pa.ExtensionType) for field in table.schema):
        return table
    columns, fields = [], []
    for field, column in zip(table.schema, table.columns):
        if isinstance(field.type, pa.ExtensionType):
            column = pa.chunked_array([chunk.storage for chunk in column.chunks], type=field.type.storage_type)
            field = pa.field(field.name, field.type.storage_type)
        columns.append(column)
        fields.append(field)
    return pa.Table.from_arrays(columns, schema=pa.schema(fields, metadata=table.schema.metadata))


def memory_mapped_table(path: str | os.PathLike) -> MemoryMappedTable:
    """Map an ``.arrow`` file without reading it into memory."""
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise DatasetFileError(f"Arrow file {path} does not exist.")
    return MemoryMappedTable(_read(pa.memory_map(path), path), path)


def in_memory_table(path: str | os.PathLike) -> InMemoryTable:
    """Read an ``.arrow`` file fully into memory."""
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise DatasetFileError(f"Arrow file {path} does not exist.")
    with open(path, "rb") as handle:
        return InMemoryTable(_read(pa.BufferReader(handle.read()), path))


def write_arrow_file(table: pa.Table, path: str | os.PathLike, *, batch_size: int | None = None) -> int:
    """Write ``table`` as an Arrow IPC stream at ``path`` atomically; returns rows written."""
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=".tmp-", suffix=".arrow")
    try:
        with os.fdopen(fd, "wb") as handle, pa.ipc.new_stream(handle, table.schema) as writer:
            for batch in table.to_batches(max_chunksize=batch_size):
                writer.write_batch(batch)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return table.num_rows


def concat_tables(tables: list[Table], axis: int = 0) -> Table:
    """Concatenate tables by rows (``axis=0``) or columns (``axis=1``)."""
    files = [f for table in tables for f in table.cache_files]
    raw = [table.table for table in tables]
    if axis == 0:
        return Table(pa.concat_tables(raw, promote_options="default"), files)
    result = raw[0]
    for other in raw[1:]:
        for name, column in zip(other.column_names, other.columns):
            result = result.append_column(other.schema.field(name), column)
    return Table(result, files)


def _arrow_ready(values: Any) -> Any:
    """Make a column of values acceptable to ``pa.array``: tensors -> NumPy, 2-D+ arrays ->
    lists of rows (Arrow arrays are one-dimensional)."""
    if isinstance(values, (pa.Array, pa.ChunkedArray)):
        return values
    if type(values).__module__ == "torch":
        values = values.detach().cpu().numpy()
    if isinstance(values, np.ndarray):
        return list(values) if values.ndim > 1 else values
    if isinstance(values, (list, tuple)) and values and type(values[0]).__module__ == "torch":
        return [_arrow_ready(value) for value in values]
    return values


def column_to_arrow(name: str, values: Any, feature: Any = None) -> pa.Array:
    """Build the Arrow array of column ``name``, typed by ``feature`` when given."""
    values = _arrow_ready(values)
    try:
        if feature is None:
            return pa.array(values) if not isinstance(values, (pa.Array, pa.ChunkedArray)) else values
        if isinstance(values, (pa.Array, pa.ChunkedArray)):
            return values.cast(arrow_type_of(feature))
        if needs_encoding(feature):
            values = [encode_nested(feature, value) for value in values]
        return pa.array(values, type=arrow_type_of(feature))
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError, OverflowError, TypeError, ValueError) as exc:
        expected = f" as {feature!r}" if feature is not None else ""
        raise DatasetTransformError(f"Column {name!r} cannot be stored{expected}: {exc}") from exc


def table_from_columns(
    columns: dict[str, Any], features: Features | None = None, *, try_features: Features | None = None
) -> tuple[pa.Table, Features]:
    """An Arrow table and its features from ``{name: values}``.

    ``features`` are required types; ``try_features`` are preferred ones that fall back to
    inference when the values do not fit (a column a function overwrote with new types).
    Columns of unequal lengths raise an error naming them.
    """
    lengths = {name: len(values) for name, values in columns.items()}
    if len(set(lengths.values())) > 1:
        raise DatasetTransformError(f"All columns must have the same number of rows, got lengths {lengths}.")
    arrays, out_features = [], Features()
    for name, values in columns.items():
        feature = features.get(name) if features is not None else None
        if feature is None and try_features is not None and name in try_features:
            try:
                array = column_to_arrow(name, values, try_features[name])
                feature = try_features[name]
            except DatasetTransformError:
                array = column_to_arrow(name, values)
        else:
            array = column_to_arrow(name, values, feature)
        arrays.append(array)
        out_features[name] = feature if feature is not None else feature_from_arrow_type(array.type)
    if not arrays:
        return pa.table({}), out_features
    return pa.Table.from_arrays(arrays, schema=out_features.arrow_schema), out_features


def cast_table(table: pa.Table, features: Features) -> pa.Table:
    """``table`` cast to ``features`` (columns matched by name), with the features recorded
    in the schema metadata."""
    missing = [name for name in features if name not in table.column_names]
    if missing or len(features) != table.num_columns:
        raise ValueError(f"Features {list(features)} do not match the table columns {table.column_names}.")
    table = table.select(list(features))
    try:
        return table.cast(features.arrow_schema)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError) as exc:
        raise ValueError(f"Cannot cast the dataset to {features}: {exc}") from exc
