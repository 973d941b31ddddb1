"""Row selection and order: ``select``, ``shuffle``, ``sort``, ``shard``,
``train_test_split``, ``flatten_indices``.

These build an *indices mapping* (a ``uint64`` column of row positions) instead of copying
rows, like the reference; ``flatten_indices`` materialises it. Random orders draw from
``np.random.default_rng(seed)`` with the same calls as the reference, so a seed gives the
same permutation in both libraries.

Example:
    >>> from embrace.datasets import Dataset
    >>> ds = Dataset.from_dict({"a": list(range(5))})
    >>> ds.shuffle(seed=42)["a"][:]
    [4, 2, 3, 1, 0]
    >>> ds.shard(num_shards=2, index=1)["a"][:]
    [3, 4]
"""

from __future__ import annotations

from math import ceil, floor
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from embrace.datasets.features import ClassLabel
from embrace.datasets.fingerprint import update_fingerprint
from embrace.datasets.table import InMemoryTable
from embrace.errors import ColumnNotFoundError

if TYPE_CHECKING:
    from embrace.datasets.arrow_dataset import Dataset
    from embrace.datasets.dataset_dict import DatasetDict


def _with_indices(dataset: "Dataset", positions: np.ndarray, fingerprint: str) -> "Dataset":
    """``dataset`` restricted to ``positions`` (relative to its current rows)."""
    positions = np.asarray(positions, dtype=np.int64)
    if dataset._indices is not None:
        positions = dataset._indices.column(0).to_numpy()[positions]
    elif positions.size and positions[0] == 0 and positions[-1] == positions.size - 1 == dataset.num_rows - 1 and np.all(np.diff(positions) == 1):
        return dataset._replace(_fingerprint=fingerprint)  # the identity selection
    elif positions.size and np.all(np.diff(positions) == 1):
        # a contiguous block: slice the table, no mapping needed
        table = dataset._data.derive(dataset._data.table.slice(int(positions[0]), positions.size))
        return dataset._replace(_data=table, _fingerprint=fingerprint)
    indices = InMemoryTable(pa.table({"indices": pa.array(positions.astype(np.uint64), type=pa.uint64())}))
    return dataset._replace(_indices=indices, _fingerprint=fingerprint)


def select(
    self: "Dataset",
    indices: Any,
    keep_in_memory: bool = False,
    indices_cache_file_name: str | None = None,
    writer_batch_size: int | None = 1000,
    new_fingerprint: str | None = None,
) -> "Dataset":
    """The rows at ``indices`` (an iterable of ints), in that order.

    Example:
        >>> from embrace.datasets import Dataset
        >>> Dataset.from_dict({"a": [1, 2, 3]}).select([2, 0])["a"][:]
        [3, 1]
    """
    if isinstance(indices, (int, str, float)):
        raise TypeError(f"select() expects an iterable of row indices, got {type(indices).__name__}.")
    positions = self._positions(indices if isinstance(indices, (np.ndarray, range, list)) else list(indices))
    fingerprint = new_fingerprint or update_fingerprint(self._fingerprint, "select", {"indices": positions})
    return _with_indices(self, positions, fingerprint)


def shuffle(
    self: "Dataset",
    seed: int | None = None,
    generator: np.random.Generator | None = None,
    keep_in_memory: bool = False,
    load_from_cache_file: bool | None = None,
    indices_cache_file_name: str | None = None,
    writer_batch_size: int | None = 1000,
    new_fingerprint: str | None = None,
) -> "Dataset":
    """Rows in a random order (an indices mapping; no data is copied).

    Example:
        >>> from embrace.datasets import Dataset
        >>> Dataset.from_dict({"a": [1, 2, 3]}).shuffle(seed=0)["a"][:]
        [3, 1, 2]
    """
    if generator is not None and not isinstance(generator, np.random.Generator):
        raise ValueError("The provided generator must be an instance of numpy.random.Generator.")
    if generator is None:
        if seed is None:
            seed = _seed_from_global_numpy_state()
        generator = np.random.default_rng(seed)
    permutation = generator.permutation(len(self))
    fingerprint = new_fingerprint or update_fingerprint(self._fingerprint, "shuffle", {"permutation": permutation})
    return _with_indices(self, permutation, fingerprint)


def _seed_from_global_numpy_state() -> int:
    # the reference derives an unseeded shuffle from numpy's global state and advances it,
    # so `np.random.seed(s)` before an unseeded shuffle gives the same order in both
    _, keys, pos, *_ = np.random.get_state()
    seed = keys[pos] if pos < 624 else keys[0]
    np.random.random()
    return int(seed)


def sort(
    self: "Dataset",
    column_names: str | list[str],
    reverse: bool | list[bool] = False,
    null_placement: str = "at_end",
    keep_in_memory: bool = False,
    load_from_cache_file: bool | None = None,
    indices_cache_file_name: str | None = None,
    writer_batch_size: int | None = 1000,
    new_fingerprint: str | None = None,
) -> "Dataset":
    """Rows sorted by one or more columns (stable); ``reverse`` per column or for all;
    ``null_placement`` is ``"at_end"`` or ``"at_start"``.

    Example:
        >>> from embrace.datasets import Dataset
        >>> Dataset.from_dict({"a": [2, 3, 1]}).sort("a", reverse=True)["a"][:]
        [3, 2, 1]
    """
    names = [column_names] if isinstance(column_names, str) else list(column_names)
    missing = [name for name in names if name not in self.column_names]
    if missing:
        raise ColumnNotFoundError(f"Column(s) {missing} not found for sort(); the dataset has {self.column_names}.")
    if isinstance(reverse, bool):
        reverse = [reverse] * len(names)
    if len(reverse) != len(names):
        raise ValueError(f"`reverse` has {len(reverse)} values for {len(names)} columns; give one per column.")
    if null_placement not in ("at_end", "at_start", "last", "first"):
        raise ValueError(f"null_placement must be 'at_end' or 'at_start', got {null_placement!r}.")
    placement = {"last": "at_end", "first": "at_start"}.get(null_placement, null_placement)
    rows = self._rows(slice(0, len(self))).select(names)
    keys = [(name, "descending" if rev else "ascending", placement) for name, rev in zip(names, reverse)]
    order = pc.sort_indices(rows, sort_keys=keys).to_numpy()
    fingerprint = new_fingerprint or update_fingerprint(
        self._fingerprint, "sort", {"column_names": names, "reverse": reverse, "null_placement": placement}
    )
    return _with_indices(self, order, fingerprint)


def shard(
    self: "Dataset",
    num_shards: int,
    index: int,
    contiguous: bool = True,
    keep_in_memory: bool = False,
    indices_cache_file_name: str | None = None,
    writer_batch_size: int | None = 1000,
) -> "Dataset":
    """Shard ``index`` of ``num_shards``: contiguous blocks (the first ``len % n`` shards
    one row longer), or every ``num_shards``-th row when ``contiguous=False``.

    Example:
        >>> from embrace.datasets import Dataset
        >>> Dataset.from_dict({"a": list(range(5))}).shard(2, 0, contiguous=False)["a"][:]
        [0, 2, 4]
    """
    if not 0 <= index < num_shards:
        raise ValueError(f"index should be in [0, {num_shards - 1}] for num_shards={num_shards}, got {index}.")
    size = len(self)
    if contiguous:
        div, mod = divmod(size, num_shards)
        start = div * index + min(index, mod)
        positions = np.arange(start, start + div + (1 if index < mod else 0))
    else:
        positions = np.arange(index, size, num_shards)
    fingerprint = update_fingerprint(
        self._fingerprint, "shard", {"num_shards": num_shards, "index": index, "contiguous": contiguous}
    )
    return _with_indices(self, positions, fingerprint)


def flatten_indices(
    self: "Dataset",
    keep_in_memory: bool = False,
    cache_file_name: str | None = None,
    writer_batch_size: int | None = 1000,
    features: Any = None,
    disable_nullable: bool = False,
    num_proc: int | None = None,
    new_fingerprint: str | None = None,
) -> "Dataset":
    """Copy the selected rows into a new table so that no indices mapping remains.

    Example:
        >>> from embrace.datasets import Dataset
        >>> Dataset.from_dict({"a": [1, 2]}).shuffle(seed=1).flatten_indices()._indices is None
        True
    """
    table = self._rows(slice(0, len(self))).combine_chunks()
    fingerprint = new_fingerprint or update_fingerprint(self._fingerprint, "flatten_indices", {})
    return self._replace(_data=InMemoryTable(table), _indices=None, _fingerprint=fingerprint)


def _split_sizes(n_samples: int, test_size: Any, train_size: Any) -> tuple[int, int]:
    """Train and test counts, checked like scikit-learn/the reference do."""
    if test_size is None and train_size is None:
        test_size = 0.25
    for name, size in (("test_size", test_size), ("train_size", train_size)):
        if size is not None and not isinstance(size, (int, float)):
            raise ValueError(f"Invalid value for {name}: {size!r} of type {type(size).__name__}.")
        if (isinstance(size, int) and not 0 < size < n_samples) or (isinstance(size, float) and not 0 < size < 1):
            raise ValueError(
                f"{name}={size} should be either positive and smaller than the number of samples {n_samples} "
                "or a float in the (0, 1) range."
            )
    if isinstance(train_size, float) and isinstance(test_size, float) and train_size + test_size > 1:
        raise ValueError(f"The sum of test_size and train_size = {train_size + test_size} should be at most 1.")
    n_test = ceil(test_size * n_samples) if isinstance(test_size, float) else test_size
    n_train = floor(train_size * n_samples) if isinstance(train_size, float) else train_size
    if train_size is None:
        n_train = n_samples - n_test
    elif test_size is None:
        n_test = n_samples - n_train
    if n_train + n_test > n_samples:
        raise ValueError(
            f"The sum of train_size and test_size = {n_train + n_test} should be smaller than the number of "
            f"samples {n_samples}; reduce test_size and/or train_size."
        )
    if n_train == 0:
        raise ValueError(f"With n_samples={n_samples}, test_size={test_size} and train_size={train_size} the train set is empty.")
    return int(n_train), int(n_test)


def _approximate_mode(class_counts: np.ndarray, n_draws: int, rng: np.random.Generator) -> np.ndarray:
    """Most likely per-class counts when drawing ``n_draws`` without replacement; ties among
    equal remainders are broken with ``rng`` (the same draws as scikit-learn's helper)."""
    continuous = n_draws * class_counts / class_counts.sum()
    floored = np.floor(continuous)
    missing = int(n_draws - floored.sum())
    if missing > 0:
        remainder = continuous - floored
        for value in np.sort(np.unique(remainder))[::-1]:
            (candidates,) = np.where(remainder == value)
            take = min(len(candidates), missing)
            floored[rng.choice(candidates, size=take, replace=False)] += 1
            missing -= take
            if missing == 0:
                break
    return floored.astype(np.int64)


def _stratified_indices(labels: np.ndarray, n_train: int, n_test: int, rng: np.random.Generator) -> tuple:
    classes, label_ids = np.unique(labels, return_inverse=True)
    counts = np.bincount(label_ids)
    if counts.min() < 2:
        raise ValueError("The least populated class in the stratify column has only 1 member; each class needs at least 2.")
    for name, count in (("train_size", n_train), ("test_size", n_test)):
        if count < len(classes):
            raise ValueError(f"The {name} = {count} should be greater or equal to the number of classes = {len(classes)}.")
    by_class = np.split(np.argsort(label_ids, kind="mergesort"), np.cumsum(counts)[:-1])
    train_counts = _approximate_mode(counts, n_train, rng)
    test_counts = _approximate_mode(counts - train_counts, n_test, rng)
    train: list = []
    test: list = []
    for members, n_tr, n_te, count in zip(by_class, train_counts, test_counts, counts):
        shuffled = members.take(rng.permutation(count), mode="clip")
        train.extend(shuffled[:n_tr])
        test.extend(shuffled[n_tr : n_tr + n_te])
    return rng.permutation(train), rng.permutation(test)


def train_test_split(
    self: "Dataset",
    test_size: float | int | None = None,
    train_size: float | int | None = None,
    shuffle: bool = True,
    stratify_by_column: str | None = None,
    seed: int | None = None,
    generator: np.random.Generator | None = None,
    keep_in_memory: bool = False,
    load_from_cache_file: bool | None = None,
    train_indices_cache_file_name: str | None = None,
    test_indices_cache_file_name: str | None = None,
    writer_batch_size: int | None = 1000,
    train_new_fingerprint: str | None = None,
    test_new_fingerprint: str | None = None,
) -> "DatasetDict":
    """Split into ``DatasetDict({"train", "test"})``; the same seed gives the same rows as
    the reference (including ``stratify_by_column`` on a ClassLabel column).

    Example:
        >>> from embrace.datasets import Dataset
        >>> parts = Dataset.from_dict({"a": list(range(10))}).train_test_split(test_size=0.2, seed=0)
        >>> len(parts["train"]), len(parts["test"])
        (8, 2)
    """
    from embrace.datasets.dataset_dict import DatasetDict

    if len(self) == 0:
        raise ValueError("Cannot split an empty dataset; check that it has rows before train_test_split().")
    n_train, n_test = _split_sizes(len(self), test_size, train_size)
    if generator is None and shuffle:
        generator = np.random.default_rng(_seed_from_global_numpy_state() if seed is None else seed)
    if not shuffle:
        if stratify_by_column is not None:
            raise ValueError("Stratified train/test split needs shuffle=True.")
        train_idx, test_idx = np.arange(n_train), np.arange(n_train, n_train + n_test)
    elif stratify_by_column is not None:
        if stratify_by_column not in self.features:
            raise ColumnNotFoundError(f"Column {stratify_by_column!r} not found; the dataset has {self.column_names}.")
        if not isinstance(self.features[stratify_by_column], ClassLabel):
            raise ValueError(
                f"Stratifying needs a ClassLabel column; {stratify_by_column!r} is "
                f"{type(self.features[stratify_by_column]).__name__} (use class_encode_column first)."
            )
        labels = self._rows(slice(0, len(self))).column(stratify_by_column).to_numpy()
        train_idx, test_idx = _stratified_indices(labels, n_train, n_test, generator)
    else:
        permutation = generator.permutation(len(self))
        test_idx, train_idx = permutation[:n_test], permutation[n_test : n_test + n_train]
    train_fp = train_new_fingerprint or update_fingerprint(self._fingerprint, "train_split", {"indices": train_idx})
    test_fp = test_new_fingerprint or update_fingerprint(self._fingerprint, "test_split", {"indices": test_idx})
    return DatasetDict({"train": _with_indices(self, train_idx, train_fp), "test": _with_indices(self, test_idx, test_fp)})
