"""Column operations: add, remove, rename, select, cast, class-encode, flatten, unique,
and ``add_item`` for one more row.

Example:
    >>> from embrace.datasets import Dataset
    >>> ds = Dataset.from_dict({"a": [1, 2], "b": ["x", "y"]})
    >>> ds.rename_column("a", "n").remove_columns("b").column_names
    ['n']
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from embrace.datasets.features import ClassLabel, Features, Value
from embrace.datasets.features.nested import arrow_type_of
from embrace.datasets.fingerprint import update_fingerprint
from embrace.datasets.table import InMemoryTable, column_to_arrow, table_from_columns
from embrace.errors import ColumnNotFoundError

if TYPE_CHECKING:
    from embrace.datasets.arrow_dataset import Dataset


def _require_columns(dataset: "Dataset", names: list[str], what: str = "Column name") -> None:
    missing = [name for name in names if name not in dataset._data.column_names]
    if missing:
        raise ColumnNotFoundError(
            f"{what} {missing} not in the dataset. Current columns in the dataset: {dataset.column_names}"
        )


def _with_table(dataset: "Dataset", table: pa.Table, features: Features, fingerprint: str, **changes: Any) -> "Dataset":
    new = dataset._replace(_data=dataset._data.derive(table), _fingerprint=fingerprint, **changes)
    new._info.features = Features({name: features[name] for name in table.column_names})
    if new._format_columns is not None:
        new._format_columns = [name for name in new._format_columns if name in table.column_names]
    return new


def remove_columns(self: "Dataset", column_names: str | list[str], new_fingerprint: str | None = None) -> "Dataset":
    """Drop one or more columns.

    Example:
        >>> from embrace.datasets import Dataset
        >>> Dataset.from_dict({"a": [1], "b": [2]}).remove_columns(["a"]).column_names
        ['b']
    """
    names = [column_names] if isinstance(column_names, str) else list(column_names)
    _require_columns(self, names)
    table = self._data.table.drop_columns(names)
    fingerprint = new_fingerprint or update_fingerprint(self._fingerprint, "remove_columns", {"column_names": names})
    return _with_table(self, table, self.features, fingerprint)


def select_columns(self: "Dataset", column_names: str | list[str], new_fingerprint: str | None = None) -> "Dataset":
    """Keep only ``column_names``, in that order.

    Example:
        >>> from embrace.datasets import Dataset
        >>> Dataset.from_dict({"a": [1], "b": [2]}).select_columns("b").column_names
        ['b']
    """
    names = [column_names] if isinstance(column_names, str) else list(column_names)
    _require_columns(self, names)
    fingerprint = new_fingerprint or update_fingerprint(self._fingerprint, "select_columns", {"column_names": names})
    return _with_table(self, self._data.table.select(names), self.features, fingerprint)


def rename_columns(self: "Dataset", column_mapping: dict[str, str], new_fingerprint: str | None = None) -> "Dataset":
    """Rename several columns at once (``{old: new}``).

    Example:
        >>> from embrace.datasets import Dataset
        >>> Dataset.from_dict({"a": [1]}).rename_columns({"a": "z"}).column_names
        ['z']
    """
    current = self.column_names
    missing = [old for old in column_mapping if old not in current]
    if missing:
        raise ColumnNotFoundError(f"Original column names {missing} not in the dataset. Current columns in the dataset: {current}")
    renamed = [column_mapping.get(name, name) for name in current]
    if any(not new for new in column_mapping.values()):
        raise ValueError("New column names must be non-empty strings.")
    duplicates = sorted({name for name in renamed if renamed.count(name) > 1})
    if duplicates:
        raise ValueError(
            f"New column names {duplicates} already in the dataset. Please choose column names which are not already "
            f"in the dataset. Current columns in the dataset: {current}"
        )
    table = self._data.table.rename_columns(renamed)
    features = Features({column_mapping.get(name, name): feature for name, feature in self.features.items()})
    fingerprint = new_fingerprint or update_fingerprint(self._fingerprint, "rename_columns", {"column_mapping": column_mapping})
    new = _with_table(self, table, features, fingerprint)
    if self._format_columns is not None:
        new._format_columns = [column_mapping.get(name, name) for name in self._format_columns]
    return new


def rename_column(
    self: "Dataset", original_column_name: str, new_column_name: str, new_fingerprint: str | None = None
) -> "Dataset":
    """Rename one column.

    Example:
        >>> from embrace.datasets import Dataset
        >>> Dataset.from_dict({"a": [1]}).rename_column("a", "b").column_names
        ['b']
    """
    if original_column_name not in self.column_names:
        raise ColumnNotFoundError(
            f"Original column name {original_column_name} not in the dataset. "
            f"Current columns in the dataset: {self.column_names}"
        )
    if new_column_name in self.column_names:
        raise ValueError(
            f"New column name {new_column_name} already in the dataset. Please choose a column name which is not "
            f"already in the dataset. Current columns in the dataset: {self.column_names}"
        )
    return rename_columns(self, {original_column_name: new_column_name}, new_fingerprint=new_fingerprint)


def add_column(
    self: "Dataset", name: str, column: Any, new_fingerprint: str | None = None, feature: Any = None
) -> "Dataset":
    """Append a column of ``len(self)`` values (the dataset's rows are materialised first
    when it has an indices mapping, so the new values line up with the visible rows).

    Example:
        >>> from embrace.datasets import Dataset
        >>> Dataset.from_dict({"a": [1, 2]}).add_column("b", ["x", "y"])[1]
        {'a': 2, 'b': 'y'}
    """
    if name in self.column_names:
        raise ValueError(f"Column {name!r} already exists; remove or rename it first. Columns: {self.column_names}")
    if len(column) != len(self):
        raise ValueError(f"Column {name!r} has {len(column)} values but the dataset has {len(self)} rows.")
    base = self.flatten_indices() if self._indices is not None else self
    array = column_to_arrow(name, column, feature)
    features = Features({**base.features, name: feature if feature is not None else Features.from_arrow_schema(pa.schema([(name, array.type)]))[name]})
    table = base._data.table.append_column(pa.field(name, array.type), array)
    fingerprint = new_fingerprint or update_fingerprint(self._fingerprint, "add_column", {"name": name, "column": column})
    return _with_table(base, table, features, fingerprint)


def add_item(self: "Dataset", item: dict, new_fingerprint: str | None = None) -> "Dataset":
    """Append one row (a dict with every column).

    Example:
        >>> from embrace.datasets import Dataset
        >>> Dataset.from_dict({"a": [1]}).add_item({"a": 2})["a"][:]
        [1, 2]
    """
    missing = [name for name in self.column_names if name not in item]
    extra = [name for name in item if name not in self.column_names]
    if missing or extra:
        raise ValueError(f"add_item needs exactly the columns {self.column_names}; missing {missing}, unexpected {extra}.")
    row, _ = table_from_columns({name: [item[name]] for name in self.column_names}, self.features)
    table = pa.concat_tables([self._data.table, row.cast(self._data.table.schema)])
    fingerprint = new_fingerprint or update_fingerprint(self._fingerprint, "add_item", {"item": item})
    new = self._replace(_data=self._data.derive(table), _fingerprint=fingerprint)
    if self._indices is not None:
        positions = np.append(self._indices.column(0).to_numpy(), np.uint64(self._data.num_rows))
        new._indices = InMemoryTable(pa.table({"indices": pa.array(positions, type=pa.uint64())}))
    return new


def _cast_column_array(array: pa.ChunkedArray, feature: Any, name: str) -> pa.ChunkedArray:
    if isinstance(feature, ClassLabel) and (pa.types.is_string(array.type) or pa.types.is_large_string(array.type)):
        return pa.chunked_array([column_to_arrow(name, array.to_pylist(), feature)], type=pa.int64())
    try:
        return array.cast(arrow_type_of(feature))
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError) as exc:
        raise ValueError(f"Cannot cast column {name!r} from {array.type} to {feature!r}: {exc}") from exc


def cast(
    self: "Dataset",
    features: Features,
    batch_size: int | None = 1000,
    keep_in_memory: bool = False,
    load_from_cache_file: bool | None = None,
    cache_file_name: str | None = None,
    writer_batch_size: int | None = 1000,
    num_proc: int | None = None,
) -> "Dataset":
    """Cast every column to ``features`` (same column names; strings -> ClassLabel ids too).

    Example:
        >>> from embrace.datasets import Dataset, Features, Value
        >>> Dataset.from_dict({"a": ["1"]}).cast(Features({"a": Value("int32")}))[0]
        {'a': 1}
    """
    if sorted(features) != sorted(self.column_names):
        raise ValueError(
            f"The columns in features ({list(features)}) must be identical as the columns in the dataset: "
            f"{self.column_names}"
        )
    table = self._data.table
    arrays = [_cast_column_array(table.column(name), features[name], name) for name in table.column_names]
    ordered = Features({name: features[name] for name in table.column_names})
    new_table = pa.Table.from_arrays(arrays, schema=ordered.arrow_schema)
    fingerprint = update_fingerprint(self._fingerprint, "cast", {"features": features.to_dict()})
    return _with_table(self, new_table, ordered, fingerprint)


def cast_column(self: "Dataset", column: str, feature: Any, new_fingerprint: str | None = None) -> "Dataset":
    """Cast one column to ``feature``.

    Example:
        >>> from embrace.datasets import ClassLabel, Dataset
        >>> Dataset.from_dict({"l": ["n", "p"]}).cast_column("l", ClassLabel(names=["n", "p"]))["l"][:]
        [0, 1]
    """
    _require_columns(self, [column])
    return cast(self, Features({**self.features, column: feature}))


def class_encode_column(self: "Dataset", column: str, include_nulls: bool = False) -> "Dataset":
    """Turn a column into a ClassLabel whose names are its sorted distinct values (as text).

    Example:
        >>> from embrace.datasets import Dataset
        >>> Dataset.from_dict({"t": ["b", "a", "b"]}).class_encode_column("t").features["t"]
        ClassLabel(names=['a', 'b'])
    """
    _require_columns(self, [column])
    if not isinstance(self.features[column], Value):
        raise ValueError(f"Class encoding is only supported for Value columns; {column!r} is {self.features[column]!r}.")
    values = self._data.table.column(column).to_pylist()
    names = sorted({str(value) for value in values if include_nulls or value is not None})
    label = ClassLabel(names=names)
    encoded = [label.str2int(str(value)) if (value is not None or include_nulls) else None for value in values]
    table = self._data.table.set_column(
        self._data.table.column_names.index(column), column, pa.array(encoded, type=pa.int64())
    )
    features = Features({**self.features, column: label})
    fingerprint = update_fingerprint(self._fingerprint, "class_encode_column", {"column": column, "include_nulls": include_nulls})
    return _with_table(self, table, features, fingerprint)


def unique(self: "Dataset", column: str) -> list:
    """Distinct values of ``column`` in order of first appearance.

    Example:
        >>> from embrace.datasets import Dataset
        >>> Dataset.from_dict({"a": [2, 1, 2]}).unique("a")
        [2, 1]
    """
    _require_columns(self, [column], "Column")
    rows = self._rows(slice(0, len(self))) if self._indices is not None else self._data.table
    return pc.unique(rows.column(column)).to_pylist()


def flatten(self: "Dataset", new_fingerprint: str | None = None, max_depth: int = 16) -> "Dataset":
    """Replace struct columns by one column per field (``"a.b"``), in place of the struct.

    Example:
        >>> from embrace.datasets import Dataset
        >>> Dataset.from_dict({"a": [{"b": 1}]}).flatten()[0]
        {'a.b': 1}
    """
    table = self._data.table
    for _ in range(max_depth):
        if not any(pa.types.is_struct(field.type) for field in table.schema):
            break
        table = table.flatten()
    features = self.features.flatten(max_depth=max_depth)
    fingerprint = new_fingerprint or update_fingerprint(self._fingerprint, "flatten", {"max_depth": max_depth})
    return _with_table(self, table, features, fingerprint, _format_columns=None)

