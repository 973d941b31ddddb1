"""The example sources behind ``IterableDataset``: a tree of small iterables (data shards at
the leaves; map, filter, skip, take, step, shard interleaving and buffer shuffling above).

Every node can be re-sharded (for DataLoader workers and ranks), have its shard order
shuffled, and record how far iteration went in a small ``state`` dict (so a run can resume
mid-epoch). Shuffling follows the reference step for step (numpy ``default_rng``: shard
order by ``rng.shuffle``, up to 10 shards read round-robin, a buffer that is permuted when
full and yields half), so the same seed gives the same order.

Example:
    >>> import pyarrow as pa
    >>> source = ShardsExamples(lambda shard: iter([pa.table({"x": list(shard)})]), [range(0, 3), range(3, 5)])
    >>> [row["x"] for row in source.shard(2, 1)]
    [3, 4]
"""

from __future__ import annotations

import copy
from itertools import islice
from typing import Any, Callable, Iterator

import numpy as np

from embrace.utils.logging import get_logger

logger = get_logger(__name__)


class ShufflingDisallowed(Exception):
    """Raised inside the tree when skip()/take() fixed the order of the shards."""


def split_number(num: int, parts: int) -> list[int]:
    """Split ``num`` into ``parts`` near-equal integers, the larger ones first."""
    return [num // parts + (1 if i < num % parts else 0) for i in range(parts)]


def shard_indices(num_items: int, num_shards: int, index: int, contiguous: bool) -> list[int]:
    """Which of ``num_items`` shards go to worker ``index`` of ``num_shards``."""
    if contiguous:
        div, mod = divmod(num_items, num_shards)
        start = div * index + min(index, mod)
        return list(range(start, start + div + (1 if index < mod else 0)))
    return list(range(index, num_items, num_shards))


class Examples:
    """A node of the tree. Wrappers hold their child in ``inner``."""

    inner: "Examples | None" = None
    state: dict | None = None

    def __iter__(self) -> Iterator[dict]:
        raise NotImplementedError

    @property
    def num_shards(self) -> int:
        return self.inner.num_shards

    @property
    def arrow_capable(self) -> bool:
        """Whether the reference would stream this node as Arrow tables. Its shuffle then
        fills the buffer in blocks of rows instead of row by row, which changes the order."""
        return self.inner.arrow_capable

    def iter_blocks(self, size: int) -> Iterator[list[dict]]:
        """The rows in blocks of ``size`` (the last one may be shorter)."""
        iterator = iter(self)
        while True:
            block = list(islice(iterator, size))
            if not block:
                return
            yield block

    def _with_inner(self, inner: "Examples") -> "Examples":
        new = copy.copy(self)
        new.inner, new.state = inner, None
        return new

    def shard(self, num_shards: int, index: int, contiguous: bool = True) -> "Examples":
        return self._with_inner(self.inner.shard(num_shards, index, contiguous))

    def shuffle_sources(self, rng: np.random.Generator) -> "Examples":
        return self._with_inner(self.inner.shuffle_sources(rng))

    def shift_rngs(self, value: int) -> "Examples":
        return self._with_inner(self.inner.shift_rngs(value))

    def init_state(self) -> dict:
        self.state = {"inner": self.inner.init_state()}
        return self.state

    def load_state(self, state: dict) -> None:
        for key, value in state.items():
            if key == "inner":
                self.inner.load_state(value)
            else:
                self.state[key] = copy.deepcopy(value)


class ShardsExamples(Examples):
    """Leaf: ``generate(shard)`` yields Arrow tables for each shard (a data file, a row range)."""

    def __init__(self, generate: Callable[[Any], Iterator[Any]], shards: list) -> None:
        self.generate = generate
        self.shards = list(shards)

    @property
    def num_shards(self) -> int:
        return len(self.shards)

    arrow_capable = True

    def shard(self, num_shards: int, index: int, contiguous: bool = True) -> "ShardsExamples":
        return ShardsExamples(self.generate, [self.shards[i] for i in shard_indices(len(self.shards), num_shards, index, contiguous)])

    def shuffle_sources(self, rng: np.random.Generator) -> "ShardsExamples":
        order = list(range(len(self.shards)))
        copy.deepcopy(rng).shuffle(order)
        return ShardsExamples(self.generate, [self.shards[i] for i in order])

    def shift_rngs(self, value: int) -> "ShardsExamples":
        return self

    def init_state(self) -> dict:
        self.state = {"shard_idx": 0, "shard_example_idx": 0}
        return self.state

    def load_state(self, state: dict) -> None:
        self.state.update(shard_idx=state["shard_idx"], shard_example_idx=state["shard_example_idx"])

    def __iter__(self) -> Iterator[dict]:
        state = self.state
        first_shard, skip_rows = (state["shard_idx"], state["shard_example_idx"]) if state else (0, 0)
        for shard_idx in range(first_shard, len(self.shards)):
            seen = 0
            for table in self.generate(self.shards[shard_idx]):
                if seen + table.num_rows <= skip_rows:  # resuming: whole block already consumed
                    seen += table.num_rows
                    continue
                rows = table.to_pylist()
                for i in range(max(skip_rows - seen, 0), len(rows)):
                    if state is not None:
                        state["shard_example_idx"] = seen + i + 1
                    yield rows[i]
                seen += table.num_rows
            skip_rows = 0
            if state is not None:
                state.update(shard_idx=shard_idx + 1, shard_example_idx=0)


class MappedExamples(Examples):
    """Apply ``function`` per row or per batch; ``keep`` turns it into a filter."""

    def __init__(self, inner: Examples, function: Callable, *, with_indices: bool, input_columns: list[str] | None,
                 batched: bool, batch_size: int | None, drop_last_batch: bool, remove_columns: list[str],
                 fn_kwargs: dict, keep: bool) -> None:
        self.inner, self.function, self.with_indices, self.input_columns = inner, function, with_indices, input_columns
        self.batched, self.batch_size, self.drop_last_batch = batched, batch_size, drop_last_batch
        self.remove_columns, self.fn_kwargs, self.keep = remove_columns, fn_kwargs, keep

    arrow_capable = False  # a Python function sees rows, so the reference streams rows from here on

    def init_state(self) -> dict:
        self.state = {"inner": self.inner.init_state(), "num_seen": 0, "batch_start": None, "yielded_in_batch": 0}
        return self.state

    def _call(self, data: dict, indices: Any) -> Any:
        args = [data[c] for c in self.input_columns] if self.input_columns else [data]
        if self.with_indices:
            args.append(indices)
        return self.function(*args, **self.fn_kwargs)

    def _map_rows(self, rows: list[dict], first_index: int) -> list[dict]:
        if not self.batched:
            row = rows[0]
            result = self._call(row, first_index)
            if self.keep:
                return rows if result else []
            if result is not None and not isinstance(result, dict):
                raise TypeError(f"map function must return a dict or None, got {type(result).__name__}.")
            merged = {k: v for k, v in row.items() if k not in self.remove_columns}
            merged.update(result or {})
            return [merged]
        batch = {key: [row.get(key) for row in rows] for key in rows[0]}
        result = self._call(batch, list(range(first_index, first_index + len(rows))))
        if self.keep:
            return [row for row, kept in zip(rows, result) if kept]
        result = result or {}
        if not isinstance(result, dict):
            raise TypeError(f"batched map function must return a dict of lists, got {type(result).__name__}.")
        merged = {k: v for k, v in batch.items() if k not in self.remove_columns and k not in result}
        merged.update(result)
        lengths = {key: len(value) for key, value in merged.items()}
        if len(set(lengths.values())) > 1:
            raise ValueError(
                f"Column lengths mismatch after the batched map: {lengths}. When the function changes the "
                "number of rows, pass remove_columns= with the input columns it does not return."
            )
        count = next(iter(lengths.values()), 0)
        return [{key: merged[key][i] for key in merged} for i in range(count)]

    def __iter__(self) -> Iterator[dict]:
        state = self.state
        size = 1 if not self.batched else (self.batch_size if self.batch_size and self.batch_size > 0 else None)
        skip = 0
        if state is not None and state["batch_start"] is not None:  # resuming inside a batch: replay it
            self.inner.load_state(state["batch_start"])
            skip = state["yielded_in_batch"]
        iterator = iter(self.inner)
        while True:
            start = copy.deepcopy(self.inner.state) if state is not None and self.batched else None
            rows = list(islice(iterator, size)) if size else list(iterator)
            if not rows or (self.drop_last_batch and size and len(rows) < size):
                return
            first_index = state["num_seen"] if state is not None else 0
            outputs = self._map_rows(rows, first_index)
            if state is not None:
                state.update(num_seen=first_index + len(rows), batch_start=start, yielded_in_batch=0)
            for i, row in enumerate(outputs):
                if i < skip:
                    continue
                if state is not None and self.batched:
                    state["yielded_in_batch"] = i + 1
                yield row
            skip = 0
            if not size:
                return


class RowFunctionExamples(Examples):
    """Rewrite each row with ``function`` (select/remove/rename columns); keeps no state."""

    def __init__(self, inner: Examples, function: Callable[[dict], dict], *, keeps_arrow: bool) -> None:
        self.inner, self.function, self.keeps_arrow = inner, function, keeps_arrow

    @property
    def arrow_capable(self) -> bool:
        return self.keeps_arrow and self.inner.arrow_capable

    def __iter__(self) -> Iterator[dict]:
        for row in self.inner:
            yield self.function(row)


class SkipExamples(Examples):
    """Skip the first ``n`` rows; fixes the shard order (no shard shuffling after it)."""

    def __init__(self, inner: Examples, n: int) -> None:
        self.inner, self.n = inner, n

    def shuffle_sources(self, rng: np.random.Generator) -> "Examples":
        raise ShufflingDisallowed

    def shard(self, num_shards: int, index: int, contiguous: bool = True) -> "SkipExamples":
        return SkipExamples(self.inner.shard(num_shards, index, contiguous), split_number(self.n, num_shards)[index])

    def init_state(self) -> dict:
        self.state = {"inner": self.inner.init_state(), "skipped": False}
        return self.state

    def __iter__(self) -> Iterator[dict]:
        iterator = iter(self.inner)
        if not (self.state and self.state["skipped"]):
            for _ in islice(iterator, self.n):
                pass
            if self.state is not None:
                self.state["skipped"] = True
        yield from iterator


class TakeExamples(Examples):
    """Yield at most ``n`` rows; fixes the shard order like the reference."""

    def __init__(self, inner: Examples, n: int) -> None:
        self.inner, self.n = inner, n

    def shuffle_sources(self, rng: np.random.Generator) -> "Examples":
        raise ShufflingDisallowed

    def shard(self, num_shards: int, index: int, contiguous: bool = True) -> "TakeExamples":
        return TakeExamples(self.inner.shard(num_shards, index, contiguous), split_number(self.n, num_shards)[index])

    def init_state(self) -> dict:
        self.state = {"inner": self.inner.init_state(), "num_taken": 0}
        return self.state

    def __iter__(self) -> Iterator[dict]:
        taken = self.state["num_taken"] if self.state else 0
        if taken >= self.n:
            return
        for row in self.inner:
            taken += 1
            if self.state is not None:
                self.state["num_taken"] = taken
            yield row
            if taken >= self.n:
                return


class StepExamples(Examples):
    """Keep one row out of ``step``, starting at ``offset`` (rows split across ranks)."""

    def __init__(self, inner: Examples, step: int, offset: int) -> None:
        self.inner, self.step, self.offset = inner, step, offset

    def init_state(self) -> dict:
        self.state = {"inner": self.inner.init_state(), "position": 0}
        return self.state

    def __iter__(self) -> Iterator[dict]:
        position = self.state["position"] if self.state else 0
        for row in self.inner:
            keep = position % self.step == self.offset
            position += 1
            if self.state is not None:
                self.state["position"] = position
            if keep:
                yield row


class InterleavedShardsExamples(Examples):
    """Read up to ``max_inputs`` groups of shards round-robin, a block of rows at a time
    (feeds the shuffle buffer from several files at once). Groups are cut after
    worker/rank sharding, like the reference."""

    def __init__(self, inner: Examples, max_inputs: int) -> None:
        self.inner, self.max_inputs = inner, max_inputs
        self.sources: list[Examples] | None = None

    def _with_inner(self, inner: Examples) -> "Examples":
        new = super()._with_inner(inner)
        new.sources = None
        return new

    def _build(self) -> list[Examples]:
        count = min(self.inner.num_shards, self.max_inputs)
        return [self.inner.shard(count, i) for i in range(count)] if count else [self.inner]

    def init_state(self) -> dict:
        self.sources = self._build()
        self.state = {"sources": [s.init_state() for s in self.sources], "exhausted": [False] * len(self.sources),
                      "next": 0}
        return self.state

    def load_state(self, state: dict) -> None:
        for source, source_state in zip(self.sources, state["sources"]):
            source.load_state(source_state)
        self.state.update(exhausted=list(state["exhausted"]), next=state["next"])

    def iter_blocks(self, size: int) -> Iterator[list[dict]]:
        sources = self.sources if self.state is not None else self._build()
        exhausted = list(self.state["exhausted"]) if self.state else [False] * len(sources)
        current = self.state["next"] if self.state else 0
        iterators = [s.iter_blocks(size) for s in sources]
        while not all(exhausted):
            i = current
            current = (current + 1) % len(sources)
            if exhausted[i]:
                continue
            block = next(iterators[i], None)
            if block is None:
                exhausted[i] = True
                if self.state is not None:
                    self.state["exhausted"][i] = True
                continue
            if self.state is not None:
                self.state["next"] = current
            yield block

    def __iter__(self) -> Iterator[dict]:
        for block in self.iter_blocks(1):
            yield from block


class BufferShuffledExamples(Examples):
    """Fill a buffer of ``buffer_size`` rows; when full, permute it, yield half, keep half.
    On resume the buffer content is not restored (like the reference): it refills first."""

    def __init__(self, inner: Examples, buffer_size: int, generator: np.random.Generator, block_size: int) -> None:
        self.inner, self.buffer_size, self.generator, self.block_size = inner, buffer_size, generator, block_size

    def shuffle_sources(self, rng: np.random.Generator) -> "Examples":
        return self._with_inner(self.inner.shuffle_sources(rng))

    def shift_rngs(self, value: int) -> "Examples":
        new = self._with_inner(self.inner.shift_rngs(value))
        new.generator = np.random.default_rng(copy.deepcopy(self.generator).integers(0, 1 << 63) - value)
        return new

    def __iter__(self) -> Iterator[dict]:
        rng = copy.deepcopy(self.generator)
        buffer: list[dict] = []
        for block in self.inner.iter_blocks(self.block_size):
            buffer.extend(block)
            if len(buffer) >= self.buffer_size:
                order = rng.permutation(len(buffer))
                keep = self.buffer_size // 2
                out = len(buffer) - keep
                for i in order[:out]:
                    yield buffer[i]
                buffer = [buffer[i] for i in order[out:]]
        for i in rng.permutation(len(buffer)) if buffer else ():
            yield buffer[i]
