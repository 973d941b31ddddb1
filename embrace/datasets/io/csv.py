"""CSV/TSV reader with the reference's (pandas-flavoured) options and type inference.

The reference parses CSV with pandas in 10k-row chunks and converts each chunk to Arrow.
We parse with pyarrow's streaming reader (block by block, so memory stays flat) and adjust
the inferred types to what pandas would produce: text is ``large_string`` and stays text
(dates are not parsed), an integer column with missing values is ``float64``, an all-empty
column is ``float64``, an unnamed header cell is ``Unnamed: <i>`` and a repeated one gets
``.1``, ``.2`` suffixes.

Example:
    >>> import tempfile, os
    >>> from embrace.datasets.io.csv import CsvConfig, read_csv
    >>> path = os.path.join(tempfile.mkdtemp(), "t.csv")
    >>> _ = open(path, "w").write("a,b\\n1,x\\n,y\\n")
    >>> table = next(read_csv(path, CsvConfig(), None))
    >>> [str(t) for t in table.schema.types], table.column("a").to_pylist()
    (['double', 'large_string'], [1.0, None])
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator, Sequence

import pyarrow as pa
import pyarrow.csv as pa_csv

from embrace.datasets.io import Format

# pandas' default missing-value markers (read_csv's STR_NA_VALUES)
_PANDAS_NA_VALUES = (
    "", "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan", "1.#IND", "1.#QNAN",
    "<NA>", "N/A", "NA", "NULL", "NaN", "None", "n/a", "nan", "null",
)
_BLOCK_SIZE = 4 << 20  # types are inferred from the first block: large enough to see a representative sample


@dataclass
class CsvConfig:
    """Options of the ``csv`` loader (the pandas ``read_csv`` names the reference accepts)."""

    sep: str = ","
    delimiter: str | None = None
    header: int | str | None = "infer"
    names: Sequence[str] | None = None
    column_names: Sequence[str] | None = None
    usecols: Sequence[str] | None = None
    skiprows: int | None = None
    quotechar: str = '"'
    escapechar: str | None = None
    doublequote: bool = True
    encoding: str | None = None
    na_values: Sequence[str] | None = None
    keep_default_na: bool = True
    true_values: Sequence[str] | None = None
    false_values: Sequence[str] | None = None
    skip_blank_lines: bool = True

    def __post_init__(self) -> None:
        # like the reference: `delimiter` is an alias of `sep`, `column_names` of `names`
        if self.delimiter is not None:
            self.sep = self.delimiter
        if self.column_names is not None:
            self.names = self.column_names
        if self.header not in ("infer", 0, None):
            raise ValueError(f"csv option header={self.header!r} is not supported; use 'infer', 0 or None.")
        if len(self.sep) != 1:
            raise ValueError(f"csv option sep={self.sep!r} must be a single character (got {len(self.sep)}).")


def _pandas_names(names: list[str]) -> list[str]:
    """Name header cells the way pandas does: blanks become ``Unnamed: i``, repeats get ``.k``."""
    out: list[str] = []
    seen: dict[str, int] = {}
    for i, name in enumerate(names):
        name = name if name != "" else f"Unnamed: {i}"
        base = name
        while name in seen:
            seen[base] += 1
            name = f"{base}.{seen[base]}"
        seen.setdefault(name, 0)
        out.append(name)
    return out


def _pandas_type(array: pa.ChunkedArray | pa.Array) -> pa.DataType:
    """The Arrow type pandas + ``Table.from_pandas`` would give this parsed column."""
    kind = array.type
    if pa.types.is_null(kind):
        return pa.float64()
    if pa.types.is_integer(kind) and array.null_count > 0:
        return pa.float64()
    if pa.types.is_string(kind) or pa.types.is_large_string(kind):
        return pa.large_string()
    return kind


def _is_parsed_as_text_by_pandas(kind: pa.DataType) -> bool:
    return pa.types.is_temporal(kind) or pa.types.is_decimal(kind)


def _options(config: CsvConfig, schema: pa.Schema | None, names: list[str] | None, text_columns: set[str]):
    skip = config.skiprows or 0
    has_header_row = config.header == 0 or (config.header == "infer" and config.names is None)
    column_names = list(config.names) if config.names is not None else names
    read = pa_csv.ReadOptions(
        skip_rows=skip + (1 if has_header_row and column_names is not None else 0),
        column_names=column_names,
        encoding=config.encoding or "utf8",
        block_size=_BLOCK_SIZE,
    )
    parse = pa_csv.ParseOptions(
        delimiter=config.sep,
        quote_char=config.quotechar or False,
        escape_char=config.escapechar or False,
        double_quote=config.doublequote,
        ignore_empty_lines=config.skip_blank_lines,
    )
    null_values = list(_PANDAS_NA_VALUES) if config.keep_default_na else []
    null_values += list(config.na_values or [])
    column_types: dict[str, pa.DataType] = {name: pa.string() for name in text_columns}
    if schema is not None:  # text features: read those columns as text so "007" keeps its zeros
        column_types.update({f.name: f.type for f in schema if pa.types.is_string(f.type) or pa.types.is_large_string(f.type)})
    convert = pa_csv.ConvertOptions(
        null_values=null_values,
        strings_can_be_null=True,
        quoted_strings_can_be_null=True,
        true_values=["True", "TRUE", "true", *(config.true_values or [])],
        false_values=["False", "FALSE", "false", *(config.false_values or [])],
        column_types=column_types,
        include_columns=list(config.usecols) if config.usecols is not None else None,
    )
    return read, parse, convert


def _open(path: str, config: CsvConfig, schema: pa.Schema | None) -> pa_csv.CSVStreamingReader:
    """Open the streaming reader, reopening once if pandas would name or type columns differently."""
    names: list[str] | None = None
    text_columns: set[str] = set()
    for _ in range(3):  # at most: fix names, then force date-like columns to text
        reader = pa_csv.open_csv(pa.input_stream(path, compression="detect"), *_options(config, schema, names, text_columns))
        current = reader.schema.names
        fixed = _pandas_names(current) if config.names is None else current
        temporal = {f.name for f in reader.schema if _is_parsed_as_text_by_pandas(f.type)} - text_columns
        if fixed == current and not temporal:
            return reader
        reader.close()
        names = fixed
        text_columns |= temporal
    return reader


def read_csv(path: str, config: CsvConfig, schema: pa.Schema | None) -> Iterator[pa.Table]:
    """Yield the file as Arrow tables, one per parsed block, with pandas-like column types."""
    reader = _open(path, config, schema)
    try:
        for batch in reader:
            table = pa.Table.from_batches([batch])
            yield table.cast(pa.schema([pa.field(n, _pandas_type(c)) for n, c in zip(table.column_names, table.columns)]))
    finally:
        reader.close()


FORMAT = Format("csv", CsvConfig, read_csv)
