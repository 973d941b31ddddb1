"""``IterableDataset``: examples read lazily (``load_dataset(..., streaming=True)`` or
``Dataset.to_iterable_dataset``), transformed on the fly, split across DataLoader workers
and ranks without duplicates or gaps, and resumable mid-epoch with ``state_dict``.

Example:
    >>> import pyarrow as pa
    >>> from embrace.datasets.iterable_dataset import IterableDataset
    >>> ds = IterableDataset.from_generator_of_tables(lambda shard: iter([pa.table({"x": list(shard)})]),
    ...                                               [range(0, 4), range(4, 8)])
    >>> [row["x"] for row in ds.map(lambda row: {"x": row["x"] * 10}).skip(2).take(3)]
    [20, 30, 40]
    >>> [row["x"] for row in ds.shuffle(seed=0, buffer_size=4).take(4)]  # same order as the reference
    [1, 0, 6, 2]
"""

from __future__ import annotations

import copy
import sys
from typing import Any, Callable, Iterator

import numpy as np
import pyarrow as pa
import torch.utils.data

from embrace.datasets._examples import (
    BufferShuffledExamples,
    Examples,
    InterleavedShardsExamples,
    MappedExamples,
    RowFunctionExamples,
    ShardsExamples,
    ShufflingDisallowed,
    SkipExamples,
    StepExamples,
    TakeExamples,
    shard_indices,
)
from embrace.datasets.features import Features, List
from embrace.datasets.info import DatasetInfo
from embrace.utils.logging import get_logger

logger = get_logger(__name__)

_MAX_BUFFER_INPUT_SHARDS = 10
_STRATEGIES = ("auto", "shards", "examples")


def _as_list(names: str | list[str] | None) -> list[str]:
    return [] if names is None else [names] if isinstance(names, str) else list(names)


class IterableDataset(torch.utils.data.IterableDataset):
    """A dataset read as a stream of example dicts (a ``torch.utils.data.IterableDataset``)."""

    def __init__(self, ex_iterable: Examples, info: DatasetInfo | None = None, split: str | None = None, *,
                 formatting: str | None = None, distributed: tuple[int, int, str] | None = None) -> None:
        self._ex_iterable = ex_iterable
        self._info = info if info is not None else DatasetInfo()
        self._split = split
        self._formatting = formatting
        self._distributed = distributed  # (rank, world_size, strategy)
        self._epoch = 0
        self._state_dict: dict | None = None
        self._starting_state_dict: dict | None = None

    # --- construction --------------------------------------------------------------

    @classmethod
    def from_generator_of_tables(cls, generate: Callable[[Any], Iterator[pa.Table]], shards: list, *,
                                 info: DatasetInfo | None = None, split: str | None = None) -> "IterableDataset":
        """Stream the Arrow tables that ``generate(shard)`` yields for each shard, in order."""
        return cls(ShardsExamples(generate, shards), info=info, split=split)

    @classmethod
    def from_file_shards(cls, generate_tables: Callable, files: list[str], *, info: DatasetInfo, split: str,
                         features: Features | None, fill_missing: bool) -> "IterableDataset":
        """One shard per data file (what the builder streams); with features, blocks are cast to them."""
        return cls.from_generator_of_tables(_FileShard(generate_tables, features, fill_missing), list(files),
                                            info=info, split=split)

    def _derive(self, ex_iterable: Examples, *, features: Any = "keep", formatting: Any = "keep") -> "IterableDataset":
        info = self._info.copy()
        if features != "keep":
            info.features = features
        new = IterableDataset(ex_iterable, info=info, split=self._split,
                              formatting=self._formatting if formatting == "keep" else formatting,
                              distributed=self._distributed)
        new._epoch = self._epoch
        return new

    # --- properties ----------------------------------------------------------------

    @property
    def info(self) -> DatasetInfo:
        return self._info

    @property
    def split(self) -> str | None:
        return self._split

    @property
    def features(self) -> Features | None:
        return self._info.features

    @property
    def column_names(self) -> list[str] | None:
        return list(self.features) if self.features is not None else None

    @property
    def num_shards(self) -> int:
        return self._ex_iterable.num_shards

    n_shards = num_shards

    @property
    def epoch(self) -> int:
        return self._epoch

    def __repr__(self) -> str:
        columns = self.column_names if self.column_names is not None else "Unknown"
        return f"IterableDataset({{\n    features: {columns},\n    num_shards: {self.num_shards}\n}})"

    # --- iteration -----------------------------------------------------------------

    def _prepared(self) -> Examples:
        ex = self._ex_iterable
        if self._epoch:
            try:
                ex = ex.shuffle_sources(np.random.default_rng(self._epoch))
            except ShufflingDisallowed:
                pass
            ex = ex.shift_rngs(self._epoch)
        if self._distributed:
            rank, world_size, strategy = self._distributed
            if strategy == "shards" and ex.num_shards < world_size:
                raise ValueError(f"Cannot iterate with strategy='shards': num_shards={ex.num_shards} < world_size={world_size}.")
            if strategy == "shards" or (strategy == "auto" and ex.num_shards % world_size == 0):
                ex = ex.shard(world_size, rank, contiguous=False)
            else:
                ex = StepExamples(ex, world_size, rank)
        return ex

    def _start(self, ex: Examples) -> Examples:
        self._state_dict = {"examples_iterable": ex.init_state(), "epoch": self._epoch}
        start = self._starting_state_dict
        if start and start["epoch"] == self._epoch:
            ex.load_state(start["examples_iterable"])
        return ex

    def _rows(self) -> Iterator[dict]:
        ex = self._prepared()
        worker = torch.utils.data.get_worker_info() if "torch" in sys.modules else None
        if worker is not None:
            if not shard_indices(ex.num_shards, worker.num_workers, worker.id, contiguous=False):
                if worker.id == 0 or worker.id == ex.num_shards:
                    logger.warning("Too many dataloader workers: %d (max is dataset.num_shards=%d); the extra "
                                   "workers stop.", worker.num_workers, ex.num_shards)
                return
            ex = ex.shard(worker.num_workers, worker.id, contiguous=False).shift_rngs(worker.id)
        yield from self._start(ex)

    def __iter__(self) -> Iterator[Any]:
        if self._formatting in (None, "python"):
            yield from self._rows()
            return
        from embrace.datasets.formatting import get_formatter

        formatter = get_formatter(self._formatting, features=self.features)
        schema = self.features.arrow_schema if self.features is not None else None
        for row in self._rows():
            yield formatter.format_row(pa.Table.from_pylist([row], schema=schema))

    def iter(self, batch_size: int, drop_last_batch: bool = False) -> Iterator[dict]:
        """Iterate in batches (dicts of lists) of ``batch_size`` rows."""
        yield from self.batch(batch_size, drop_last_batch=drop_last_batch)

    # --- state ---------------------------------------------------------------------

    def state_dict(self) -> dict:
        """Where iteration is now (a small dict); pass it to :meth:`load_state_dict` to resume.

        Example:
            >>> ds = IterableDataset.from_generator_of_tables(lambda s: iter([pa.table({"x": list(s)})]), [range(5)])
            >>> it = iter(ds); _ = next(it); _ = next(it)
            >>> state = ds.state_dict()
            >>> ds.load_state_dict(state); [row["x"] for row in ds]
            [2, 3, 4]
        """
        if self._state_dict is None:
            return {"examples_iterable": self._prepared().init_state(), "epoch": self._epoch}
        return copy.deepcopy(self._state_dict)

    def load_state_dict(self, state_dict: dict) -> None:
        """Resume the next iteration from ``state_dict`` (a shuffle buffer is refilled, not restored)."""
        if not isinstance(state_dict, dict) or "examples_iterable" not in state_dict:
            raise ValueError("load_state_dict expects a dict returned by IterableDataset.state_dict().")
        self._starting_state_dict = copy.deepcopy(state_dict)

    def set_epoch(self, epoch: int) -> None:
        """Reshuffle differently each epoch (the shuffle seed is combined with ``epoch``)."""
        self._epoch = epoch

    # --- transforms ----------------------------------------------------------------

    def map(self, function: Callable | None = None, with_indices: bool = False, input_columns: str | list[str] | None = None,
            batched: bool = False, batch_size: int | None = 1000, drop_last_batch: bool = False,
            remove_columns: str | list[str] | None = None, features: Features | None = None,
            fn_kwargs: dict | None = None) -> "IterableDataset":
        """Apply ``function`` to each row (or batch, a dict of lists) when iterated."""
        function = function if function is not None else (lambda x, *args: {})
        removed = _as_list(remove_columns)
        ex = MappedExamples(self._ex_iterable, function, with_indices=with_indices, input_columns=_as_list(input_columns),
                            batched=batched, batch_size=batch_size, drop_last_batch=drop_last_batch,
                            remove_columns=removed, fn_kwargs=dict(fn_kwargs or {}), keep=False)
        return self._derive(ex, features=features)

    def filter(self, function: Callable | None = None, with_indices: bool = False,
               input_columns: str | list[str] | None = None, batched: bool = False, batch_size: int | None = 1000,
               fn_kwargs: dict | None = None) -> "IterableDataset":
        """Keep the rows for which ``function`` is true (per batch: a list of bools)."""
        function = function if function is not None else (lambda x, *args: [True] * len(next(iter(x.values()))) if batched else True)
        ex = MappedExamples(self._ex_iterable, function, with_indices=with_indices, input_columns=_as_list(input_columns),
                            batched=batched, batch_size=batch_size, drop_last_batch=False, remove_columns=[],
                            fn_kwargs=dict(fn_kwargs or {}), keep=True)
        return self._derive(ex)

    def batch(self, batch_size: int, drop_last_batch: bool = False) -> "IterableDataset":
        """Group rows into batches: each example becomes a dict of lists of ``batch_size`` rows."""
        if batch_size <= 0:
            raise ValueError(f"batch_size must be positive, got {batch_size}.")
        features = Features({k: List(v) for k, v in self.features.items()}) if self.features is not None else None
        grouped = self.map(lambda b: {k: [v] for k, v in b.items()}, batched=True, batch_size=batch_size,
                           drop_last_batch=drop_last_batch)
        return self._derive(grouped._ex_iterable, features=features)

    def shuffle(self, seed: int | None = None, generator: np.random.Generator | None = None,
                buffer_size: int = 1000) -> "IterableDataset":
        """Shuffle with a ``buffer_size`` buffer and a shuffled shard order (same order as the
        reference for the same seed)."""
        if buffer_size <= 0:
            raise ValueError(f"buffer_size must be positive, got {buffer_size}.")
        generator = np.random.default_rng(seed) if generator is None else copy.deepcopy(generator)
        ex = self._ex_iterable
        try:
            ex = InterleavedShardsExamples(ex.shuffle_sources(generator), _MAX_BUFFER_INPUT_SHARDS)
            inputs = _MAX_BUFFER_INPUT_SHARDS
        except ShufflingDisallowed:
            inputs = 1  # after skip()/take() the shard order is fixed and shards are read one at a time
        # the reference feeds Arrow-backed streams to the buffer in blocks of rows: same blocks, same order
        block_size = max(1, buffer_size // inputs) if ex.arrow_capable else 1
        return self._derive(BufferShuffledExamples(ex, buffer_size, generator, block_size))

    def skip(self, n: int) -> "IterableDataset":
        """Skip the first ``n`` rows."""
        return self._derive(SkipExamples(self._ex_iterable, n))

    def take(self, n: int) -> "IterableDataset":
        """Keep only the first ``n`` rows."""
        return self._derive(TakeExamples(self._ex_iterable, n))

    def shard(self, num_shards: int, index: int, contiguous: bool = True) -> "IterableDataset":
        """Keep one of ``num_shards`` groups of this dataset's shards."""
        if not 0 <= index < num_shards:
            raise ValueError(f"index must be in [0, {num_shards}), got {index}.")
        return self._derive(self._ex_iterable.shard(num_shards, index, contiguous))

    def _columns_op(self, fn: Callable[[dict], dict], features: Features | None, *, keeps_arrow: bool) -> "IterableDataset":
        return self._derive(RowFunctionExamples(self._ex_iterable, fn, keeps_arrow=keeps_arrow), features=features)

    def _check_columns(self, names: list[str]) -> None:
        if self.features is not None:
            missing = [n for n in names if n not in self.features]
            if missing:
                raise ValueError(f"Columns {missing} not in the dataset. Current columns: {list(self.features)}.")

    def select_columns(self, column_names: str | list[str]) -> "IterableDataset":
        """Keep only ``column_names``."""
        names = _as_list(column_names)
        self._check_columns(names)
        features = Features({n: self.features[n] for n in names}) if self.features is not None else None
        return self._columns_op(lambda row: {n: row[n] for n in names}, features, keeps_arrow=True)

    def remove_columns(self, column_names: str | list[str]) -> "IterableDataset":
        """Drop ``column_names``."""
        names = _as_list(column_names)
        self._check_columns(names)
        features = Features({n: f for n, f in self.features.items() if n not in names}) if self.features is not None else None
        # the reference removes and renames through map(): rows, not Arrow, from there on
        return self._columns_op(lambda row: {k: v for k, v in row.items() if k not in names}, features, keeps_arrow=False)

    def rename_columns(self, column_mapping: dict[str, str]) -> "IterableDataset":
        """Rename columns (``{old: new}``)."""
        self._check_columns(list(column_mapping))
        features = (Features({column_mapping.get(n, n): f for n, f in self.features.items()})
                    if self.features is not None else None)
        return self._columns_op(lambda row: {column_mapping.get(k, k): v for k, v in row.items()}, features,
                               keeps_arrow=False)

    def rename_column(self, original_column_name: str, new_column_name: str) -> "IterableDataset":
        """Rename one column."""
        return self.rename_columns({original_column_name: new_column_name})

    def with_format(self, type: str | None = None) -> "IterableDataset":  # noqa: A002 (reference name)
        """Yield rows formatted as ``"torch"``/``"numpy"``/... (``None``: Python objects)."""
        if type is not None:
            from embrace.datasets.formatting import get_format_type_from_alias, get_formatter

            type = get_format_type_from_alias(type)
            get_formatter(type)  # fail now on an unknown format, not mid-iteration
        return self._derive(self._ex_iterable, formatting=type)


class _FileShard:
    """Picklable per-file table generator for streaming (DataLoader workers receive it)."""

    def __init__(self, generate_tables: Callable, features: Features | None, fill_missing: bool) -> None:
        self.generate_tables, self.features, self.fill_missing = generate_tables, features, fill_missing

    def __call__(self, path: str) -> Iterator[pa.Table]:
        from embrace.datasets.builder import conform_table

        for table, source in self.generate_tables([path]):
            if self.features is not None:
                table = conform_table(table, self.features.arrow_schema, self.features, source,
                                      fill_missing=self.fill_missing)
            yield table


class _TableSlices:
    """Picklable generator of a map-style dataset's rows ``[start, stop)`` as Arrow blocks."""

    def __init__(self, dataset: Any, batch_size: int = 1000) -> None:
        self.dataset, self.batch_size = dataset.with_format("arrow"), batch_size

    def __call__(self, bounds: tuple[int, int]) -> Iterator[pa.Table]:
        for start in range(bounds[0], bounds[1], self.batch_size):
            yield self.dataset[start:min(start + self.batch_size, bounds[1])]


def to_iterable_dataset(dataset: Any, num_shards: int = 1) -> IterableDataset:
    """``Dataset.to_iterable_dataset``: stream a map-style dataset as ``num_shards`` contiguous shards.

    Example:
        >>> from embrace.datasets import Dataset
        >>> ds = to_iterable_dataset(Dataset.from_dict({"x": list(range(6))}), num_shards=3)
        >>> ds.num_shards, [row["x"] for row in ds.shard(3, 1)]
        (3, [2, 3])
    """
    if not 1 <= num_shards <= max(len(dataset), 1):
        raise ValueError(f"num_shards must be between 1 and the number of rows ({len(dataset)}), got {num_shards}.")
    shards = []
    for index in range(num_shards):
        rows = shard_indices(len(dataset), num_shards, index, contiguous=True)
        shards.append((rows[0], rows[-1] + 1) if rows else (0, 0))
    info = DatasetInfo(features=dataset.features)
    return IterableDataset.from_generator_of_tables(_TableSlices(dataset), shards, info=info, split=dataset.split)


class IterableDatasetDict(dict):
    """A dict of split name -> ``IterableDataset``; transforms apply to every split."""

    def _apply(self, method: str, *args: Any, **kwargs: Any) -> "IterableDatasetDict":
        return IterableDatasetDict({k: getattr(v, method)(*args, **kwargs) for k, v in self.items()})

    def map(self, *args: Any, **kwargs: Any) -> "IterableDatasetDict":
        return self._apply("map", *args, **kwargs)

    def filter(self, *args: Any, **kwargs: Any) -> "IterableDatasetDict":
        return self._apply("filter", *args, **kwargs)

    def shuffle(self, seed: int | None = None, generator: np.random.Generator | None = None,
                buffer_size: int = 1000) -> "IterableDatasetDict":
        return self._apply("shuffle", seed=seed, generator=generator, buffer_size=buffer_size)

    def with_format(self, type: str | None = None) -> "IterableDatasetDict":  # noqa: A002
        return self._apply("with_format", type)

    def select_columns(self, column_names: str | list[str]) -> "IterableDatasetDict":
        return self._apply("select_columns", column_names)

    def remove_columns(self, column_names: str | list[str]) -> "IterableDatasetDict":
        return self._apply("remove_columns", column_names)

    def rename_column(self, original_column_name: str, new_column_name: str) -> "IterableDatasetDict":
        return self._apply("rename_column", original_column_name, new_column_name)

    def rename_columns(self, column_mapping: dict[str, str]) -> "IterableDatasetDict":
        return self._apply("rename_columns", column_mapping)

    def __repr__(self) -> str:
        body = ",\n".join(f"    {k}: {v!r}" for k, v in self.items())
        return f"IterableDatasetDict({{\n{body}\n}})"


def split_dataset_by_node(dataset: Any, rank: int, world_size: int, strategy: str = "auto") -> Any:
    """The part of ``dataset`` for node ``rank`` of ``world_size``: whole shards when the shard
    count divides evenly (``"auto"``/``"shards"``), else every ``world_size``-th row.

    Example:
        >>> ds = IterableDataset.from_generator_of_tables(lambda s: iter([pa.table({"x": list(s)})]), [range(5)])
        >>> [[row["x"] for row in split_dataset_by_node(ds, rank=r, world_size=2)] for r in (0, 1)]
        [[0, 2, 4], [1, 3]]
    """
    if not 0 <= rank < world_size:
        raise ValueError(f"rank must be in [0, world_size={world_size}), got {rank}.")
    if strategy not in _STRATEGIES:
        raise ValueError(f"strategy={strategy!r} is invalid; use one of {list(_STRATEGIES)}.")
    if not isinstance(dataset, IterableDataset):
        return dataset.shard(num_shards=world_size, index=rank, contiguous=True)
    if dataset._distributed:
        old_rank, old_world, old_strategy = dataset._distributed
        if strategy not in ("auto", old_strategy):
            raise ValueError(f"Cannot change the strategy of an already split dataset ({old_strategy!r} -> {strategy!r}).")
        strategy, rank, world_size = old_strategy, world_size * old_rank + rank, world_size * old_world
    if strategy == "shards" and dataset.num_shards < world_size:
        raise ValueError(f"Cannot split num_shards={dataset.num_shards} across world_size={world_size} with "
                         "strategy='shards': some nodes would get no shard.")
    new = dataset._derive(dataset._ex_iterable)
    new._distributed = (rank, world_size, strategy)
    return new
