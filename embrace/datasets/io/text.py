"""Plain-text reader: one example per line, per paragraph (blank-line separated) or per file.

Chunking follows the reference exactly (read ~``chunksize`` characters, finish the line,
split), so paragraph boundaries and kept line breaks come out the same.

Example:
    >>> import tempfile, os
    >>> from embrace.datasets.io.text import TextConfig, read_text
    >>> path = os.path.join(tempfile.mkdtemp(), "t.txt")
    >>> _ = open(path, "w").write("a\\nb\\n\\nc")
    >>> next(read_text(path, TextConfig(sample_by="paragraph"), None)).to_pydict()
    {'text': ['a\\nb']}
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Iterator

import pyarrow as pa

from embrace.datasets.io import Format

_SAMPLE_BY = ("line", "paragraph", "document")


@dataclass
class TextConfig:
    """Options of the ``text`` loader."""

    encoding: str = "utf-8"
    encoding_errors: str | None = None
    chunksize: int = 10 << 20
    keep_linebreaks: bool = False
    sample_by: str = "line"

    def __post_init__(self) -> None:
        if self.sample_by not in _SAMPLE_BY:
            raise ValueError(f"text option sample_by={self.sample_by!r} is invalid; use one of {list(_SAMPLE_BY)}.")
        if self.chunksize <= 0:
            raise ValueError(f"text option chunksize must be a positive number of characters, got {self.chunksize}.")


def _column(texts: list[str], name: str) -> pa.Table:
    return pa.Table.from_arrays([pa.array(texts, type=pa.string())], names=[name])


def read_text(path: str, config: TextConfig, schema: pa.Schema | None) -> Iterator[pa.Table]:
    """Yield the file's samples as one-column tables (column ``text`` unless features name it)."""
    name = schema.names[0] if schema is not None else "text"
    # text mode turns "\r\n" and "\r" into "\n", as the reference does
    with open(path, encoding=config.encoding, errors=config.encoding_errors) as f:
        if config.sample_by == "document":
            yield _column([f.read()], name)
            return
        pending = ""
        while True:
            chunk = f.read(config.chunksize)
            if not chunk:
                break
            chunk += f.readline()
            if config.sample_by == "line":
                lines = io.StringIO(chunk).readlines()  # splits on "\n" only, keeping it
                yield _column(lines if config.keep_linebreaks else [line.rstrip("\n") for line in lines], name)
            else:
                parts = (pending + chunk).split("\n\n")
                pending = parts.pop()
                yield _column([part for part in parts if part], name)
        if config.sample_by == "paragraph" and pending:
            yield _column([pending], name)


FORMAT = Format("text", TextConfig, read_text)
