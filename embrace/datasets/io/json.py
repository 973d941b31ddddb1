"""JSON reader: JSON Lines, a top-level array of records, or records under a ``field``.

Like the reference, JSON Lines are parsed by pyarrow's JSON reader in ~10 MB chunks cut at
line ends (memory stays flat on big files); a whole-document file (an array, or ``field=``)
is loaded once and re-emitted as lines so the same type inference applies to both.

Example:
    >>> import tempfile, os
    >>> from embrace.datasets.io.json import JsonConfig, read_json
    >>> path = os.path.join(tempfile.mkdtemp(), "t.json")
    >>> _ = open(path, "w").write('{"data": [{"a": 1}, {"a": 2, "b": "x"}]}')
    >>> next(read_json(path, JsonConfig(field="data"), None)).to_pydict()
    {'a': [1, 2], 'b': [None, 'x']}
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from typing import Any, Iterator

import pyarrow as pa
import pyarrow.json as pa_json

from embrace.datasets.io import Format
from embrace.errors import DatasetGenerationError


@dataclass
class JsonConfig:
    """Options of the ``json`` loader."""

    field: str | None = None
    encoding: str = "utf-8"
    chunksize: int = 10 << 20

    def __post_init__(self) -> None:
        if self.chunksize <= 0:
            raise ValueError(f"json option chunksize must be a positive number of bytes, got {self.chunksize}.")


def _parse_lines(data: bytes) -> pa.Table:
    # a block must hold at least one whole line; the reference doubles the block size until it fits
    block_size = max(len(data) // 32, 16 << 10)
    while True:
        try:
            return pa_json.read_json(io.BytesIO(data), read_options=pa_json.ReadOptions(block_size=block_size))
        except pa.ArrowInvalid as err:
            if "straddling" not in str(err) or block_size >= len(data):
                raise
            block_size *= 2


def _records_as_lines(records: Any, path: str) -> bytes:
    if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
        raise DatasetGenerationError(
            f"{path}: expected a list of JSON objects (records); got {type(records).__name__}. "
            "Pass field=<key> when the records sit under a key of the top-level object."
        )
    return "\n".join(json.dumps(record, ensure_ascii=False) for record in records).encode()


def read_json(path: str, config: JsonConfig, schema: pa.Schema | None) -> Iterator[pa.Table]:
    """Yield the file as Arrow tables (one per ~``chunksize`` bytes of JSON Lines)."""
    with pa.input_stream(path, compression="detect") as stream:
        head = stream.read(4096).lstrip(b"\xef\xbb\xbf \t\r\n")
    whole_document = config.field is not None or head.startswith(b"[")
    if whole_document:
        with pa.input_stream(path, compression="detect") as stream:
            document = json.loads(stream.read().decode(config.encoding))
        if config.field is not None:
            if not isinstance(document, dict) or config.field not in document:
                keys = sorted(document) if isinstance(document, dict) else []
                raise DatasetGenerationError(f"{path}: field {config.field!r} not found; top-level keys: {keys}.")
            document = document[config.field]
        lines = _records_as_lines(document, path)
        if lines:
            yield _parse_lines(lines)
        return
    with pa.input_stream(path, compression="detect") as stream:
        reader = io.BufferedReader(stream)
        while True:
            chunk = reader.read(config.chunksize)
            if not chunk:
                break
            chunk += reader.readline()  # finish the current line so no record is cut
            if config.encoding.lower().replace("_", "-") not in ("utf-8", "utf8"):
                chunk = chunk.decode(config.encoding).encode()
            if chunk.strip():
                yield _parse_lines(chunk)


FORMAT = Format("json", JsonConfig, read_json)
