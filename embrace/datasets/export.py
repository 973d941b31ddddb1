"""Exports: ``to_dict``, ``to_list``, ``to_pandas``, ``to_csv``, ``to_json`` (JSON Lines by
default), ``to_parquet``. File writers return the number of bytes written, like the
reference; CSV and JSON go through pandas (imported on use) so the text matches the
reference's byte for byte.

Example:
    >>> from embrace.datasets import Dataset
    >>> ds = Dataset.from_dict({"a": [1, 2]})
    >>> ds.to_dict(), ds.to_list()
    ({'a': [1, 2]}, [{'a': 1}, {'a': 2}])
"""

from __future__ import annotations

import io
import os
from typing import TYPE_CHECKING, Any, BinaryIO, Iterator

import pyarrow as pa

if TYPE_CHECKING:
    from embrace.datasets.arrow_dataset import Dataset

_DEFAULT_BATCH = 1000


def _tables(dataset: "Dataset", batch_size: int | None) -> Iterator[pa.Table]:
    size = batch_size or _DEFAULT_BATCH
    for start in range(0, len(dataset), size):
        yield dataset._rows(slice(start, min(start + size, len(dataset))))


def _all_rows(dataset: "Dataset") -> pa.Table:
    return dataset._rows(slice(0, len(dataset)))


def to_dict(self: "Dataset", batch_size: int | None = None, batched: bool = False) -> Any:
    """Columns as ``{name: list}`` (or an iterator of such batches with ``batched=True``)."""
    if batched:
        return (table.to_pydict() for table in _tables(self, batch_size))
    return self.features.decode_batch(_all_rows(self).to_pydict())


def to_list(self: "Dataset") -> list[dict]:
    """Rows as a list of dicts."""
    return _all_rows(self).to_pylist()


def to_pandas(self: "Dataset", batch_size: int | None = None, batched: bool = False) -> Any:
    """A pandas DataFrame (or an iterator of them with ``batched=True``)."""
    if batched:
        return (table.to_pandas() for table in _tables(self, batch_size))
    return _all_rows(self).to_pandas()


def _open_target(path_or_buf: Any) -> tuple[BinaryIO, bool]:
    if isinstance(path_or_buf, (str, os.PathLike)):
        return open(path_or_buf, "wb"), True
    return path_or_buf, False


def _write_text_batches(self: "Dataset", path_or_buf: Any, batch_size: int | None, render: Any) -> int:
    handle, owned = _open_target(path_or_buf)
    written = 0
    try:
        for index, table in enumerate(_tables(self, batch_size)):
            data = render(table.to_pandas(), index).encode("utf-8")
            handle.write(data)
            written += len(data)
    finally:
        if owned:
            handle.close()
    return written


def to_csv(
    self: "Dataset",
    path_or_buf: str | os.PathLike | BinaryIO,
    batch_size: int | None = None,
    num_proc: int | None = None,
    storage_options: dict | None = None,
    **to_csv_kwargs: Any,
) -> int:
    """Write CSV (header once, no index unless ``index=True``); returns bytes written."""
    to_csv_kwargs.setdefault("index", False)
    header = to_csv_kwargs.pop("header", True)
    return _write_text_batches(
        self, path_or_buf, batch_size,
        lambda df, i: df.to_csv(path_or_buf=None, header=header if i == 0 else False, **to_csv_kwargs),
    )


def to_json(
    self: "Dataset",
    path_or_buf: str | os.PathLike | BinaryIO,
    batch_size: int | None = None,
    num_proc: int | None = None,
    storage_options: dict | None = None,
    **to_json_kwargs: Any,
) -> int:
    """Write JSON Lines (``orient="records", lines=True``) by default; returns bytes written."""
    orient = to_json_kwargs.pop("orient", "records")
    lines = to_json_kwargs.pop("lines", orient == "records")
    if not lines and orient == "records":
        frame = _all_rows(self).to_pandas()
        data = frame.to_json(path_or_buf=None, orient=orient, lines=False, **to_json_kwargs).encode("utf-8")
        handle, owned = _open_target(path_or_buf)
        try:
            handle.write(data)
        finally:
            if owned:
                handle.close()
        return len(data)

    def render(df: Any, index: int) -> str:
        text = df.to_json(path_or_buf=None, orient=orient, lines=lines, **to_json_kwargs)
        return text if text.endswith("\n") else text + "\n"

    return _write_text_batches(self, path_or_buf, batch_size, render)


def to_parquet(
    self: "Dataset",
    path_or_buf: str | os.PathLike | BinaryIO,
    batch_size: int | None = None,
    storage_options: dict | None = None,
    **parquet_writer_kwargs: Any,
) -> int:
    """Write Parquet with the features in the schema metadata; returns bytes written."""
    import pyarrow.parquet as pq

    schema = self.features.arrow_schema
    sink = io.BytesIO() if not isinstance(path_or_buf, (str, os.PathLike)) else path_or_buf
    with pq.ParquetWriter(sink, schema=schema, **parquet_writer_kwargs) as writer:
        for table in _tables(self, batch_size or 100_000):
            writer.write_table(table.cast(schema))
    if isinstance(sink, io.BytesIO):
        data = sink.getvalue()
        path_or_buf.write(data)
        return len(data)
    return os.path.getsize(path_or_buf)
