"""``map`` and ``filter``: run a Python function over rows or batches, with a fingerprinted
on-disk cache and optional worker processes.

Cache: a dataset backed by ``.arrow`` files writes its ``map`` result to
``cache-<fingerprint>.arrow`` next to those files (atomically) and a later identical call,
in this process or another, memory-maps that file instead of recomputing. The
fingerprint hashes the previous fingerprint, the function (bytecode, constants, closure,
globals it reads) and the arguments that change the result: not ``num_proc``, ``desc``,
``keep_in_memory`` or cache options. In-memory datasets and ``keep_in_memory=True`` write
nothing, like the reference.

Workers (``num_proc > 1``): the rows are cut into ``num_proc`` contiguous shards, each
processed in its own process, and the results are put back in order. Under the ``fork``
start method the function reaches the workers without pickling (lambdas work); under
``spawn`` it must be picklable. A worker's exception is re-raised here with the worker's
traceback attached.

Example:
    >>> from embrace.datasets import Dataset
    >>> ds = Dataset.from_dict({"a": [1, 2, 3]})
    >>> ds.map(lambda x: {"b": x["a"] * 2})["b"][:]
    [2, 4, 6]
    >>> ds.map(lambda batch: {"a": [v + 1 for v in batch["a"]]}, batched=True)["a"][:]
    [2, 3, 4]
    >>> ds.filter(lambda x: x["a"] != 2)["a"][:]
    [1, 3]
"""

from __future__ import annotations

import multiprocessing
import os
import pickle
from collections.abc import Iterator, Mapping, MutableMapping
from concurrent.futures import ProcessPoolExecutor
from typing import TYPE_CHECKING, Any, Callable

import numpy as np
import pyarrow as pa

from embrace.datasets.features import Features
from embrace.datasets.fingerprint import is_caching_enabled, update_fingerprint
from embrace.datasets.progress import progress_bar
from embrace.datasets.table import InMemoryTable, memory_mapped_table, table_from_columns, write_arrow_file
from embrace.errors import ColumnNotFoundError, DatasetTransformError
from embrace.utils.logging import get_logger

if TYPE_CHECKING:
    from embrace.datasets.arrow_dataset import Dataset

logger = get_logger(__name__)

# Rows handed to Python per Arrow conversion when a function runs row by row.
_ROW_CHUNK = 1000


class _Job:
    """Everything one pass over a dataset needs; one instance reaches every worker."""

    def __init__(self, dataset: "Dataset", function: Callable, options: dict) -> None:
        self.dataset = dataset
        self.function = function
        self.options = options


# --- running the function -------------------------------------------------------------


def _call(job: _Job, inputs: Any, indices: Any, rank: int | None) -> Any:
    opts = job.options
    args = [inputs[name] for name in opts["input_columns"]] if opts["input_columns"] else [inputs]
    if opts["with_indices"]:
        args.append(indices)
    if opts["with_rank"]:
        args.append(rank)
    return job.function(*args, **opts["fn_kwargs"])


def _iter_inputs(dataset: "Dataset", opts: dict, table: pa.Table) -> Any:
    """Yield (offset, size, inputs) in the dataset's format: batches or single rows."""
    plain = dataset._is_plain_python()
    if opts["batched"]:
        size = opts["batch_size"] if opts["batch_size"] and opts["batch_size"] > 0 else max(table.num_rows, 1)
        for start in range(0, table.num_rows, size):
            piece = table.slice(start, size)
            if opts["drop_last_batch"] and piece.num_rows < size:
                return
            yield start, piece.num_rows, (piece.to_pydict() if plain else dataset._format(piece, "batch"))
        return
    for start in range(0, table.num_rows, _ROW_CHUNK):
        piece = table.slice(start, _ROW_CHUNK)
        if plain:
            columns = _LazyColumns(piece)
            rows: Any = (LazyRow(columns, i) for i in range(piece.num_rows))
        else:
            rows = (dataset._format(piece.slice(i, 1), "row") for i in range(piece.num_rows))
        for i, row in enumerate(rows):
            yield start + i, 1, row


class _LazyColumns:
    """Python values of a slice's columns, converted from Arrow on first use only."""

    def __init__(self, table: pa.Table) -> None:
        self.table = table
        self.names = table.column_names
        self.values: dict[str, list] = {}

    def get(self, name: str) -> list:
        if name not in self.values:
            self.values[name] = self.table.column(name).to_pylist()
        return self.values[name]


class LazyRow(MutableMapping):
    """One row as a dict whose columns are converted only when read, so a function that
    reads one column of a wide dataset does not pay for the others. Writes are kept on
    the row (a function may update its input and return it)."""

    def __init__(self, columns: _LazyColumns, index: int) -> None:
        self._columns = columns
        self._index = index
        self._local: dict[str, Any] = {}
        self._deleted: set[str] = set()

    def __getitem__(self, key: str) -> Any:
        if key in self._local:
            return self._local[key]
        if key in self._deleted or key not in self._columns.names:
            raise KeyError(key)
        return self._columns.get(key)[self._index]

    def __setitem__(self, key: str, value: Any) -> None:
        self._local[key] = value
        self._deleted.discard(key)

    def __delitem__(self, key: str) -> None:
        if key not in self:
            raise KeyError(key)
        self._local.pop(key, None)
        self._deleted.add(key)

    def __iter__(self) -> Iterator[str]:
        yield from (name for name in self._columns.names if name not in self._deleted)
        yield from (name for name in self._local if name not in self._columns.names)

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def __repr__(self) -> str:
        return repr(dict(self))


def _check_batch_output(output: Any, where: str) -> dict | None:
    if output is None:
        return None
    if isinstance(output, pa.Table):
        return output.to_pydict()
    if not isinstance(output, Mapping):
        raise DatasetTransformError(
            f"The function passed to map returned a {type(output).__name__} {where}; it must return a dict of "
            "columns (or None to keep the rows unchanged)."
        )
    return dict(output)


def _map_shard(job: _Job, table: pa.Table, offset: int, rank: int | None) -> tuple[dict[str, list], int]:
    """Run ``map``'s function over ``table``; returns the output columns and rows covered."""
    opts = job.options
    columns: dict[str, list] = {}
    covered = 0
    with progress_bar(total=table.num_rows, desc=opts["desc"] or "Map", disable=rank not in (None, 0)) as bar:
        for start, size, inputs in _iter_inputs(job.dataset, opts, table):
            indices = list(range(offset + start, offset + start + size)) if opts["batched"] else offset + start
            where = f"for rows {offset + start}..{offset + start + size - 1}" if opts["batched"] else f"for row {offset + start}"
            raw = _call(job, inputs, indices, rank)
            if raw is inputs and opts["remove_columns"]:
                # the function handed back its input: removed columns must not come back
                raw = {name: value for name, value in raw.items() if name not in opts["remove_columns"]}
            output = _check_batch_output(raw, where)
            if output is not None:
                _collect(columns, output, size, start, opts, where)
            covered += size
            bar.update(size)
    return columns, covered


def _collect(columns: dict[str, list], output: dict, size: int, start: int, opts: dict, where: str) -> None:
    if not opts["batched"]:
        if columns and output.keys() != columns.keys():
            raise DatasetTransformError(
                f"The function returned columns {sorted(output)} {where} but {sorted(columns)} before; return the "
                "same columns every time."
            )
        for name, value in output.items():
            columns.setdefault(name, []).append(value)
        return
    lengths = {name: len(values) if hasattr(values, "__len__") else None for name, values in output.items()}
    bad = {name: n for name, n in lengths.items() if n is None}
    if bad:
        raise DatasetTransformError(f"Batched map must return lists/arrays per column; got scalars for {list(bad)} {where}.")
    expected = size if opts["keeps_input"] else next(iter(lengths.values()), size)
    wrong = {name: n for name, n in lengths.items() if n != expected}
    if wrong:
        raise DatasetTransformError(
            f"Columns returned {where} have the wrong number of rows: {wrong} (expected {expected}). Return one value "
            "per input row, or remove all input columns with remove_columns=... to change the number of rows."
        )
    if columns and set(output) != set(columns):
        raise DatasetTransformError(
            f"The function returned columns {sorted(output)} {where} but {sorted(columns)} before; return the same "
            "columns every time."
        )
    for name, values in output.items():
        values = values.tolist() if isinstance(values, np.ndarray) and values.ndim == 1 else values
        columns.setdefault(name, []).extend(values)


def _filter_shard(job: _Job, table: pa.Table, offset: int, rank: int | None) -> np.ndarray:
    """Positions (relative to the dataset's rows) that ``filter``'s function keeps."""
    opts = job.options
    kept: list[np.ndarray] = []
    flags: list[bool] = []  # row-by-row answers, turned into positions once at the end
    with progress_bar(total=table.num_rows, desc=opts["desc"] or "Filter", disable=rank not in (None, 0)) as bar:
        for start, size, inputs in _iter_inputs(job.dataset, opts, table):
            if not opts["batched"]:
                answer = _call(job, inputs, offset + start, rank)
                if not isinstance(answer, (bool, np.bool_, int, np.integer)):
                    raise DatasetTransformError(
                        f"The filter function must return a bool; got {answer!r} for row {offset + start}."
                    )
                flags.append(bool(answer))
                bar.update(1)
                continue
            mask = np.asarray(_call(job, inputs, list(range(offset + start, offset + start + size)), rank))
            if mask.shape != (size,) or not (mask.dtype == bool or np.issubdtype(mask.dtype, np.integer)):
                raise DatasetTransformError(
                    f"The filter function must return a bool (or, batched, one bool per row); got {mask!r} for "
                    f"rows starting at {offset + start}."
                )
            kept.append(np.flatnonzero(mask.astype(bool)) + offset + start)
            bar.update(size)
    if not opts["batched"]:
        return np.flatnonzero(np.asarray(flags, dtype=bool)) + offset
    return np.concatenate(kept) if kept else np.zeros(0, dtype=np.int64)


# --- worker processes -----------------------------------------------------------------

_WORKER_JOB: dict[str, Any] = {}


def _init_worker(job: _Job, kind: str, num_shards: int) -> None:
    _WORKER_JOB.update(job=job, kind=kind, num_shards=num_shards)


def _run_worker_shard(rank: int) -> Any:
    job: _Job = _WORKER_JOB["job"]
    shard = job.dataset.shard(_WORKER_JOB["num_shards"], rank, contiguous=True)
    offset = _shard_offset(len(job.dataset), _WORKER_JOB["num_shards"], rank)
    table = shard._rows(slice(0, len(shard)))
    if _WORKER_JOB["kind"] == "filter":
        return _filter_shard(job, table, offset, rank)
    columns, covered = _map_shard(job, table, offset, rank)
    return _finish_map_table(job, table, columns, covered)


def _shard_offset(size: int, num_shards: int, rank: int) -> int:
    div, mod = divmod(size, num_shards)
    return div * rank + min(rank, mod)


def _run_in_workers(job: _Job, kind: str, num_proc: int) -> list:
    context = multiprocessing.get_context()
    if context.get_start_method() != "fork":
        try:
            pickle.dumps(job)
        except Exception as exc:  # noqa: BLE001 - any pickling failure has the same fix
            raise DatasetTransformError(
                f"num_proc={num_proc} runs the function in '{context.get_start_method()}' worker processes, which "
                f"needs it to be picklable ({exc}). Define it at module level (not a lambda or local function), or "
                "use num_proc=None."
            ) from exc
    with ProcessPoolExecutor(num_proc, mp_context=context, initializer=_init_worker, initargs=(job, kind, num_proc)) as pool:
        return list(pool.map(_run_worker_shard, range(num_proc)))


# --- map ------------------------------------------------------------------------------


def _finish_map_table(job: _Job, table: pa.Table, columns: dict[str, list], covered: int) -> pa.Table:
    """Merge the function's output columns with the kept input columns."""
    opts = job.options
    dataset = job.dataset
    removed = set(opts["remove_columns"])
    kept_inputs = [name for name in table.column_names if name not in removed and name not in columns]
    base = table.slice(0, covered) if opts["keeps_input"] else None
    order = [name for name in table.column_names if name in kept_inputs or name in columns]
    order += [name for name in columns if name not in order]
    target = opts["features"]
    new_table, new_features = table_from_columns(
        columns, Features({n: target[n] for n in columns if n in target}) if target is not None else None,
        try_features=dataset.features,
    )
    arrays, features = [], Features()
    for name in order:
        if name in columns:
            arrays.append(new_table.column(name))
            features[name] = new_features[name]
        else:
            arrays.append(base.column(name))
            features[name] = target[name] if target is not None and name in target else dataset.features[name]
    if not arrays:
        return pa.table({})
    if target is not None:
        return _cast_to(arrays, order, target)
    return pa.Table.from_arrays(arrays, schema=features.arrow_schema)


def _cast_to(arrays: list, names: list[str], features: Features) -> pa.Table:
    table = pa.Table.from_arrays(arrays, names=names)
    missing = [name for name in names if name not in features]
    if missing or set(features) != set(names):
        raise ValueError(f"`features` must describe exactly the output columns {names}; got {list(features)}.")
    try:
        return table.cast(Features({n: features[n] for n in names}).arrow_schema)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
        raise ValueError(f"The mapped columns do not fit `features` {features}: {exc}") from exc


def map(  # noqa: A001 - the reference's method name
    self: "Dataset",
    function: Callable | None = None,
    with_indices: bool = False,
    with_rank: bool = False,
    input_columns: str | list[str] | None = None,
    batched: bool = False,
    batch_size: int | None = 1000,
    drop_last_batch: bool = False,
    remove_columns: str | list[str] | None = None,
    keep_in_memory: bool = False,
    load_from_cache_file: bool | None = None,
    cache_file_name: str | None = None,
    writer_batch_size: int | None = 1000,
    features: Features | None = None,
    disable_nullable: bool = False,
    fn_kwargs: dict | None = None,
    num_proc: int | None = None,
    suffix_template: str = "_{rank:05d}_of_{num_proc:05d}",
    new_fingerprint: str | None = None,
    desc: str | None = None,
) -> "Dataset":
    """Apply ``function`` to every row (or batch, with ``batched=True``) and merge the
    columns it returns into the dataset.

    ``function(example[, idx][, rank], **fn_kwargs) -> dict | None``; with
    ``input_columns`` it receives those columns as positional arguments instead.
    ``remove_columns`` are dropped before the output is merged (so the function may
    return them again). A batched function may change the number of rows when every
    input column is removed.

    Example:
        >>> from embrace.datasets import Dataset
        >>> ds = Dataset.from_dict({"t": ["a b", "c"]})
        >>> ds.map(lambda b: {"n": [len(t.split()) for t in b["t"]]}, batched=True, remove_columns="t")[:]
        {'n': [2, 1]}
    """
    if len(self.column_names) == 0 and len(self) == 0:
        return self
    input_columns = [input_columns] if isinstance(input_columns, str) else list(input_columns or [])
    remove_columns = [remove_columns] if isinstance(remove_columns, str) else list(remove_columns or [])
    for what, names in (("input_columns", input_columns), ("remove_columns", remove_columns)):
        missing = [name for name in names if name not in self.column_names]
        if missing:
            raise ColumnNotFoundError(f"{what} {missing} not in the dataset. Current columns in the dataset: {self.column_names}")
    if num_proc is not None and num_proc <= 0:
        raise ValueError(f"num_proc must be a positive integer or None, got {num_proc}.")
    function = function if function is not None else _identity
    fingerprint = new_fingerprint or update_fingerprint(
        self._fingerprint,
        "map",
        {
            "function": function, "with_indices": with_indices, "with_rank": with_rank,
            "input_columns": input_columns, "batched": batched, "batch_size": batch_size,
            "drop_last_batch": drop_last_batch, "remove_columns": remove_columns,
            "features": features.to_dict() if features is not None else None,
            "disable_nullable": disable_nullable, "fn_kwargs": fn_kwargs or {},
        },
    )
    cache_path = _cache_path(self, fingerprint, cache_file_name, keep_in_memory)
    load_from_cache_file = is_caching_enabled() if load_from_cache_file is None else load_from_cache_file
    if cache_path is not None and load_from_cache_file and os.path.isfile(cache_path):
        logger.info(f"Loading cached processed dataset at {cache_path}")
        return _dataset_from_file(self, cache_path, fingerprint)
    job = _Job(
        self,
        function,
        {
            "with_indices": with_indices, "with_rank": with_rank, "input_columns": input_columns,
            "batched": batched, "batch_size": batch_size, "drop_last_batch": drop_last_batch,
            "remove_columns": remove_columns, "features": features, "fn_kwargs": fn_kwargs or {},
            "desc": desc, "keeps_input": len(set(remove_columns)) < len(self.column_names) or not batched,
        },
    )
    if num_proc is not None and num_proc > 1 and len(self) > 1:
        tables = _run_in_workers(job, "map", min(num_proc, len(self)))
        result = pa.concat_tables(tables, promote_options="default") if tables else None
    else:
        table = self._rows(slice(0, len(self)))
        columns, covered = _map_shard(job, table, 0, None)
        result = _finish_map_table(job, table, columns, covered)
    if cache_path is not None:
        write_arrow_file(result, cache_path, batch_size=writer_batch_size)
        return _dataset_from_file(self, cache_path, fingerprint)
    return _dataset_from_table(self, InMemoryTable(result), fingerprint)


def _identity(example: Any) -> Any:
    return example


def _cache_path(dataset: "Dataset", fingerprint: str, cache_file_name: str | None, keep_in_memory: bool) -> str | None:
    """Where this transform's result is cached, or None when it stays in memory."""
    if keep_in_memory or not is_caching_enabled():
        return None
    if cache_file_name is not None:
        return cache_file_name
    files = dataset._data.cache_files
    if not files:
        return None
    return os.path.join(os.path.dirname(os.path.abspath(files[0])), f"cache-{fingerprint}.arrow")


def _dataset_from_table(source: "Dataset", table: Any, fingerprint: str) -> "Dataset":
    from embrace.datasets.arrow_dataset import Dataset

    info = source._info.copy()
    info.features = None  # the table's schema metadata carries the new features
    dataset = Dataset(table, info=info, split=source._split, fingerprint=fingerprint)
    dataset._format_type = source._format_type
    dataset._format_kwargs = dict(source._format_kwargs)
    dataset._output_all_columns = source._output_all_columns
    if source._format_columns is not None:
        dataset._format_columns = [c for c in source._format_columns if c in dataset.column_names]
    return dataset


def _dataset_from_file(source: "Dataset", path: str, fingerprint: str) -> "Dataset":
    return _dataset_from_table(source, memory_mapped_table(path), fingerprint)


# --- filter ---------------------------------------------------------------------------


def filter(  # noqa: A001 - the reference's method name
    self: "Dataset",
    function: Callable | None = None,
    with_indices: bool = False,
    with_rank: bool = False,
    input_columns: str | list[str] | None = None,
    batched: bool = False,
    batch_size: int | None = 1000,
    keep_in_memory: bool = False,
    load_from_cache_file: bool | None = None,
    cache_file_name: str | None = None,
    writer_batch_size: int | None = 1000,
    fn_kwargs: dict | None = None,
    num_proc: int | None = None,
    suffix_template: str = "_{rank:05d}_of_{num_proc:05d}",
    new_fingerprint: str | None = None,
    desc: str | None = None,
) -> "Dataset":
    """Keep the rows for which ``function`` returns True (one bool per row when batched).
    The result is an indices mapping over the same table: no data is copied.

    Example:
        >>> from embrace.datasets import Dataset
        >>> Dataset.from_dict({"a": [1, 2, 3, 4]}).filter(lambda b: [v % 2 == 0 for v in b["a"]], batched=True)["a"][:]
        [2, 4]
    """
    from embrace.datasets.ops.ordering import _with_indices

    input_columns = [input_columns] if isinstance(input_columns, str) else list(input_columns or [])
    missing = [name for name in input_columns if name not in self.column_names]
    if missing:
        raise ColumnNotFoundError(f"input_columns {missing} not in the dataset. Current columns in the dataset: {self.column_names}")
    function = function if function is not None else (_keep_all_rows if batched else _keep_row)
    fingerprint = new_fingerprint or update_fingerprint(
        self._fingerprint,
        "filter",
        {
            "function": function, "with_indices": with_indices, "with_rank": with_rank,
            "input_columns": input_columns, "batched": batched, "batch_size": batch_size,
            "fn_kwargs": fn_kwargs or {},
        },
    )
    job = _Job(
        self,
        function,
        {
            "with_indices": with_indices, "with_rank": with_rank, "input_columns": input_columns,
            "batched": batched, "batch_size": batch_size, "drop_last_batch": False, "fn_kwargs": fn_kwargs or {},
            "desc": desc,
        },
    )
    if num_proc is not None and num_proc > 1 and len(self) > 1:
        positions = np.concatenate(_run_in_workers(job, "filter", min(num_proc, len(self))))
    else:
        positions = _filter_shard(job, self._rows(slice(0, len(self))), 0, None)
    return _with_indices(self, positions, fingerprint)


def _keep_row(*args: Any) -> bool:
    return True


def _keep_all_rows(first: Any, *args: Any) -> list[bool]:
    size = len(next(iter(first.values()))) if isinstance(first, Mapping) else len(first)
    return [True] * size

