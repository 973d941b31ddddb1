"""Formatters: turn the Arrow rows a query selected into what ``dataset[key]`` returns.

Each formatter has ``format_row`` (``ds[0]``), ``format_column`` (``ds["a"][:]``) and
``format_batch`` (``ds[:8]``). They are registered by format type with the reference's
aliases (``"np"``, ``"pt"``, ``"pd"``, ``"pa"``, ``"python"`` = ``None``).

Example:
    >>> import pyarrow as pa
    >>> get_formatter(None).format_batch(pa.table({"a": [1, 2]}))
    {'a': [1, 2]}
    >>> get_formatter("arrow").format_column(pa.table({"a": [1, 2]})).to_pylist()
    [1, 2]
"""

from __future__ import annotations

from typing import Any, Callable

import pyarrow as pa

from embrace.datasets.features import Features
from embrace.errors import unknown_key


class Formatter:
    """Base: Python objects with features decoded."""

    def __init__(self, features: Features | None = None, **format_kwargs: Any) -> None:
        self.features = features
        self.format_kwargs = format_kwargs

    def _decode_batch(self, batch: dict) -> dict:
        if self.features is None or not self.features.requires_decoding:
            return batch
        return self.features.decode_batch(batch)

    def format_row(self, pa_table: pa.Table) -> Any:
        return {name: values[0] for name, values in self.format_batch(pa_table).items()}

    def format_column(self, pa_table: pa.Table) -> Any:
        return self.format_batch(pa_table)[pa_table.column_names[0]]

    def format_batch(self, pa_table: pa.Table) -> Any:
        return self._decode_batch(pa_table.to_pydict())


class PythonFormatter(Formatter):
    """Rows as dicts, columns as lists, batches as dicts of lists."""


class ArrowFormatter(Formatter):
    """Everything as Arrow: a 1-row table, a ChunkedArray, a table."""

    def format_row(self, pa_table: pa.Table) -> pa.Table:
        return pa_table

    def format_column(self, pa_table: pa.Table) -> pa.ChunkedArray:
        return pa_table.column(0)

    def format_batch(self, pa_table: pa.Table) -> pa.Table:
        return pa_table


class PandasFormatter(Formatter):
    """Rows and batches as DataFrames, columns as Series (pandas is imported on use)."""

    def format_row(self, pa_table: pa.Table) -> Any:
        return pa_table.to_pandas(types_mapper=None)

    def format_column(self, pa_table: pa.Table) -> Any:
        return pa_table.to_pandas()[pa_table.column_names[0]]

    def format_batch(self, pa_table: pa.Table) -> Any:
        return pa_table.to_pandas()


class CustomFormatter(Formatter):
    """Applies a user ``transform`` to the Python batch (``set_transform``); rows and
    columns are taken out of the transformed 1-row / 1-column batch."""

    def __init__(self, transform: Callable, features: Features | None = None, **format_kwargs: Any) -> None:
        super().__init__(features, **format_kwargs)
        self.transform = transform

    def format_column(self, pa_table: pa.Table) -> Any:
        batch = self.format_batch(pa_table)
        if hasattr(batch, "keys") and len(batch.keys()) > 1:
            raise TypeError(
                f"The transform returned several columns {list(batch.keys())} for the single column "
                f"{pa_table.column_names[0]!r}; index rows instead of a column with this transform."
            )
        return batch[pa_table.column_names[0]]

    def format_batch(self, pa_table: pa.Table) -> Any:
        return self.transform(self._decode_batch(pa_table.to_pydict()))


# canonical format type -> formatter class; filled below and by the tensor modules
FORMATTERS: dict[str | None, Callable[..., Formatter]] = {}
# every accepted spelling -> canonical format type
FORMAT_ALIASES: dict[str | None, str | None] = {}


def register_formatter(cls: Callable[..., Formatter], format_type: str | None, aliases: tuple = ()) -> None:
    """Register ``cls`` for ``format_type`` and its aliases."""
    FORMATTERS[format_type] = cls
    for alias in (format_type, *aliases):
        FORMAT_ALIASES[alias] = format_type


register_formatter(PythonFormatter, None, ("python",))
register_formatter(ArrowFormatter, "arrow", ("pa", "pyarrow"))
register_formatter(PandasFormatter, "pandas", ("pd",))
register_formatter(CustomFormatter, "custom")


def get_format_type_from_alias(format_type: str | None) -> str | None:
    """The canonical format type for ``format_type`` (``"pt"`` -> ``"torch"``)."""
    if format_type not in FORMAT_ALIASES:
        raise unknown_key("format type", format_type, [str(k) for k in FORMAT_ALIASES])
    return FORMAT_ALIASES[format_type]


def get_formatter(format_type: str | None, **format_kwargs: Any) -> Formatter:
    """Build the formatter for ``format_type``; extra options go to it (``dtype=...``)."""
    return FORMATTERS[get_format_type_from_alias(format_type)](**format_kwargs)
