"""NumPy and PyTorch formatters: numbers become arrays/tensors (integers as int64, floats
as float32, like the reference), equal-shape lists are stacked, ragged ones stay lists
(or object arrays for NumPy), strings stay strings.

Example:
    >>> import pyarrow as pa
    >>> NumpyFormatter().format_batch(pa.table({"a": [[1, 2], [3, 4]]}))["a"].shape
    (2, 2)
    >>> TorchFormatter().format_row(pa.table({"x": [0.5]}))["x"].dtype
    torch.float32
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa

from embrace.datasets.formatting.formatting import Formatter, register_formatter


def column_to_numpy(column: pa.ChunkedArray) -> np.ndarray:
    """One Arrow column -> a NumPy array the way the reference extracts it: a plain array
    when every row has one shape and dtype, else an object array of the rows."""
    rows: list = []
    for chunk in column.chunks:
        rows.extend(chunk.to_numpy(zero_copy_only=False))
    if not rows:
        return np.array(rows)
    first = rows[0]
    if any(isinstance(row, np.ndarray) and (row.dtype == object or row.shape != first.shape) for row in rows):
        return np.asarray(rows, dtype=object)
    return np.array(rows)


class _TensorFormatter(Formatter):
    """Shared walk: extract NumPy, then convert leaves with ``_tensorize`` and stack lists
    with ``_consolidate`` (both defined by the subclasses)."""

    def format_row(self, pa_table: pa.Table) -> dict:
        batch = self._numpy_batch(pa_table)
        return {name: self._walk(values[0]) for name, values in batch.items()}

    def format_column(self, pa_table: pa.Table) -> Any:
        return self._walk(self._numpy_batch(pa_table)[pa_table.column_names[0]])

    def format_batch(self, pa_table: pa.Table) -> dict:
        return {name: self._walk(values) for name, values in self._numpy_batch(pa_table).items()}

    def _numpy_batch(self, pa_table: pa.Table) -> dict:
        if self.features is not None and self.features.requires_decoding:
            decoded = self._decode_batch(pa_table.to_pydict())
            return {name: _rows_to_numpy(values) for name, values in decoded.items()}
        return {name: column_to_numpy(pa_table.column(name)) for name in pa_table.column_names}

    def _walk(self, value: Any) -> Any:
        if hasattr(value, "__array__") and not isinstance(value, (np.ndarray, np.generic)):
            value = np.asarray(value)
        if isinstance(value, np.ndarray) and value.dtype == object:
            return self._consolidate([self._walk(item) for item in value])
        if isinstance(value, (list, tuple)):
            return self._consolidate([self._walk(item) for item in value])
        if isinstance(value, dict):
            return {key: self._walk(item) for key, item in value.items()}
        return self._tensorize(value)

    def _consolidate(self, items: list) -> Any:
        raise NotImplementedError

    def _tensorize(self, value: Any) -> Any:
        raise NotImplementedError


def _rows_to_numpy(values: list) -> np.ndarray:
    out = np.empty(len(values), dtype=object)
    out[:] = values
    return out


class NumpyFormatter(_TensorFormatter):
    """NumPy arrays (``dtype`` and other ``np.asarray`` options via format kwargs)."""

    def _consolidate(self, items: list) -> np.ndarray:
        if items and all(
            isinstance(x, (np.ndarray, np.number, np.bool_)) and x.shape == items[0].shape and x.dtype == items[0].dtype
            for x in items
        ):
            return np.stack(items)
        out = np.empty(len(items), dtype=object)
        out[:] = items
        return out

    def _tensorize(self, value: Any) -> Any:
        if isinstance(value, (str, bytes, type(None), np.number)):
            return value
        if isinstance(value, (np.character, np.ndarray)) and np.issubdtype(value.dtype, np.character):
            return value
        default: dict = {}
        if isinstance(value, np.ndarray) and np.issubdtype(value.dtype, np.integer):
            default = {"dtype": np.int64}
        elif isinstance(value, np.ndarray) and np.issubdtype(value.dtype, np.floating):
            default = {"dtype": np.float32}
        return np.asarray(value, **{**default, **self.format_kwargs})


class TorchFormatter(_TensorFormatter):
    """PyTorch tensors (``dtype``/``device`` via format kwargs)."""

    def _consolidate(self, items: list) -> Any:
        import torch

        if items and all(
            isinstance(x, torch.Tensor) and x.shape == items[0].shape and x.dtype == items[0].dtype for x in items
        ):
            return torch.stack(items)
        return items

    def _tensorize(self, value: Any) -> Any:
        import torch

        if isinstance(value, (np.character, np.ndarray)) and np.issubdtype(value.dtype, np.character):
            return value.tolist()  # NumPy strings (np.str_ too) become Python str
        if isinstance(value, (str, bytes, type(None))):
            return value
        default: dict = {}
        if isinstance(value, (np.number, np.ndarray)) and np.issubdtype(value.dtype, np.integer):
            default = {"dtype": torch.int64}
            if value.dtype in (np.uint16, np.uint32):  # no unsigned tensors of these widths
                value = value.astype(np.int64)
        elif isinstance(value, (np.number, np.ndarray)) and np.issubdtype(value.dtype, np.floating):
            default = {"dtype": torch.float32}
        if isinstance(value, np.ndarray) and value.ndim and not value.flags.writeable:
            value = value.copy()  # torch warns on read-only buffers (memory-mapped data)
        return torch.tensor(value, **{**default, **self.format_kwargs})


register_formatter(NumpyFormatter, "numpy", ("np",))
register_formatter(TorchFormatter, "torch", ("pt", "pytorch"))
