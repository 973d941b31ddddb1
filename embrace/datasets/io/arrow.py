"""Arrow IPC reader: the streaming format (what ``save_to_disk`` and the cache write) or the
random-access file format.

Example:
    >>> import tempfile, os, pyarrow as pa
    >>> from embrace.datasets.io.arrow import ArrowConfig, read_arrow
    >>> path = os.path.join(tempfile.mkdtemp(), "t.arrow")
    >>> table = pa.table({"a": [1, 2]})
    >>> with pa.OSFile(path, "wb") as sink, pa.ipc.new_stream(sink, table.schema) as writer:
    ...     writer.write_table(table)
    >>> next(read_arrow(path, ArrowConfig(), None)).to_pydict()
    {'a': [1, 2]}
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator

import pyarrow as pa

from embrace.datasets.io import Format


@dataclass
class ArrowConfig:
    """The ``arrow`` loader has no options (features are given to ``load_dataset``)."""


def read_arrow(path: str, config: ArrowConfig, schema: pa.Schema | None) -> Iterator[pa.Table]:
    """Yield the record batches of an Arrow IPC stream or file as tables."""
    with pa.memory_map(path) as source:
        try:
            reader = pa.ipc.open_stream(source)
            batches = iter(reader)
        except pa.ArrowInvalid:
            source.seek(0)
            file_reader = pa.ipc.open_file(source)
            batches = (file_reader.get_batch(i) for i in range(file_reader.num_record_batches))
        for batch in batches:
            yield pa.Table.from_batches([batch])


FORMAT = Format("arrow", ArrowConfig, read_arrow)
