"""Parquet reader: record batches straight from the file, optionally a subset of columns.

Example:
    >>> import tempfile, os, pyarrow as pa, pyarrow.parquet as pq
    >>> from embrace.datasets.io.parquet import ParquetConfig, read_parquet
    >>> path = os.path.join(tempfile.mkdtemp(), "t.parquet")
    >>> pq.write_table(pa.table({"a": [1, 2], "b": ["x", "y"]}), path)
    >>> next(read_parquet(path, ParquetConfig(columns=["b"]), None)).to_pydict()
    {'b': ['x', 'y']}
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator, Sequence

import pyarrow as pa
import pyarrow.parquet as pq

from embrace.datasets.io import Format


@dataclass
class ParquetConfig:
    """Options of the ``parquet`` loader."""

    columns: Sequence[str] | None = None
    batch_size: int | None = None


def read_parquet(path: str, config: ParquetConfig, schema: pa.Schema | None) -> Iterator[pa.Table]:
    """Yield the file as Arrow tables; a batch is one row group unless ``batch_size`` is given."""
    parquet_file = pq.ParquetFile(path)
    columns = list(config.columns) if config.columns is not None else None
    if columns is not None:
        missing = sorted(set(columns) - set(parquet_file.schema_arrow.names))
        if missing:
            raise ValueError(f"{path}: columns {missing} are not in the file; it has {parquet_file.schema_arrow.names}.")
    if parquet_file.metadata.num_rows == 0:
        yield parquet_file.schema_arrow.empty_table().select(columns) if columns else parquet_file.schema_arrow.empty_table()
        return
    batch_size = config.batch_size or max(parquet_file.metadata.row_group(0).num_rows, 1)
    for batch in parquet_file.iter_batches(batch_size=batch_size, columns=columns):
        yield pa.Table.from_batches([batch])


FORMAT = Format("parquet", ParquetConfig, read_parquet)
