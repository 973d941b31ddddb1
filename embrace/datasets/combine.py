"""``concatenate_datasets`` and ``interleave_datasets``.

Interleaving picks rows with the same draws as the reference (cycling without
``probabilities``; blocks of 1000 ``rng.choice`` draws from ``np.random.default_rng(seed)``
with them), so a seed gives the same order in both libraries.

Example:
    >>> from embrace.datasets import Dataset
    >>> a = Dataset.from_dict({"x": [0, 1, 2]}); b = Dataset.from_dict({"x": [10, 11]})
    >>> concatenate_datasets([a, b])["x"][:]
    [0, 1, 2, 10, 11]
    >>> interleave_datasets([a, b])["x"][:]
    [0, 10, 1, 11]
    >>> interleave_datasets([a, b], stopping_strategy="all_exhausted")["x"][:]
    [0, 10, 1, 11, 2, 10]
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa

from embrace.datasets.features import Features, Value
from embrace.datasets.fingerprint import update_fingerprint
from embrace.datasets.info import DatasetInfo
from embrace.datasets.splits import NamedSplit
from embrace.datasets.table import InMemoryTable, Table, cast_table, concat_tables

if TYPE_CHECKING:
    from embrace.datasets.arrow_dataset import Dataset

_STRATEGIES = ("first_exhausted", "all_exhausted", "all_exhausted_without_replacement")


def _align_features(all_features: list[Features]) -> Features:
    """One set of features for datasets stacked by rows: a ``null`` column takes the type
    another dataset gives it; any other difference is an error naming the column."""
    merged: dict[str, Any] = {}
    for features in all_features:
        for name, feature in features.items():
            known = merged.get(name)
            if known is None or (isinstance(known, Value) and known.dtype == "null"):
                merged[name] = feature
            elif not (isinstance(feature, Value) and feature.dtype == "null") and known != feature:
                raise ValueError(
                    f"The features can't be aligned because the key {name} of features {features} has unexpected "
                    f"type - {feature} (expected either {known} or Value(\"null\"))."
                )
    return Features(merged)


def concatenate_datasets(
    dsets: list["Dataset"],
    info: DatasetInfo | None = None,
    split: NamedSplit | None = None,
    axis: int = 0,
) -> "Dataset":
    """Stack datasets by rows (``axis=0``, same columns) or side by side (``axis=1``, same
    number of rows, distinct columns). Indices mappings are kept (offset) for rows.

    Example:
        >>> from embrace.datasets import Dataset
        >>> a = Dataset.from_dict({"x": [1]}); b = Dataset.from_dict({"y": [2]})
        >>> concatenate_datasets([a, b], axis=1)[0]
        {'x': 1, 'y': 2}
    """
    from embrace.datasets.arrow_dataset import Dataset

    if not dsets:
        raise ValueError("Unable to concatenate an empty list of datasets.")
    if not all(isinstance(d, Dataset) for d in dsets):
        kinds = sorted({type(d).__name__ for d in dsets})
        raise ValueError(f"concatenate_datasets expects a list of Dataset objects, got {kinds}.")
    if axis not in (0, 1):
        raise ValueError(f"axis must be 0 (rows) or 1 (columns), got {axis}.")
    dsets = list(dsets)
    if axis == 0:
        names = [set(d.column_names) for d in dsets]
        if any(n != names[0] for n in names):
            raise ValueError(f"Datasets to concatenate by rows need the same columns, got {[d.column_names for d in dsets]}.")
        features = _align_features([d.features for d in dsets])
        ordered = Features({name: features[name] for name in dsets[0].column_names})
        tables = [d._data.derive(cast_table(d._data.table, ordered)) for d in dsets]
        table = concat_tables(tables, axis=0)
        indices = _concatenated_indices(dsets)
    else:
        if any(len(d) != len(dsets[0]) for d in dsets):
            raise ValueError("Number of rows must match for all datasets to concatenate with axis=1.")
        all_names = [name for d in dsets for name in d.column_names]
        duplicated = sorted({name for name in all_names if all_names.count(name) > 1})
        if duplicated:
            raise ValueError(f"Columns {duplicated} appear in several datasets; rename them before concatenating with axis=1.")
        flat = [d.flatten_indices() if d._indices is not None else d for d in dsets]
        table = concat_tables([d._data for d in flat], axis=1)
        ordered = Features({name: feature for d in dsets for name, feature in d.features.items()})
        indices = None
    info = info if info is not None else DatasetInfo.from_merge([d.info for d in dsets])
    info = info.copy()
    info.features = ordered
    fingerprint = update_fingerprint("".join(d._fingerprint for d in dsets), "concatenate", {"axis": axis, "split": str(split)})
    result = Dataset(table, info=info, split=split, indices_table=indices, fingerprint=fingerprint)
    formats = [d.format for d in dsets]
    if all(f == formats[0] for f in formats):
        result.set_format(formats[0]["type"], None if dsets[0]._format_columns is None else formats[0]["columns"],
                          formats[0]["output_all_columns"], **formats[0]["format_kwargs"])
    return result


def _concatenated_indices(dsets: list["Dataset"]) -> Table | None:
    if all(d._indices is None for d in dsets):
        return None
    parts, offset = [], 0
    for d in dsets:
        positions = d._indices.column(0).to_numpy() if d._indices is not None else np.arange(d._data.num_rows, dtype=np.uint64)
        parts.append(positions.astype(np.uint64) + np.uint64(offset))
        offset += d._data.num_rows
    return InMemoryTable(pa.table({"indices": pa.array(np.concatenate(parts), type=pa.uint64())}))


def _interleave_positions(
    lengths: list[int], probabilities: list[float] | None, seed: int | None, stopping_strategy: str
) -> np.ndarray:
    offsets = np.cumsum([0] + lengths[:-1])
    oversampling = stopping_strategy == "all_exhausted"
    if probabilities is None and stopping_strategy == "all_exhausted_without_replacement":
        chunks, remaining, offs = [], list(lengths), np.array(offsets)
        bounds = [0] + sorted(set(lengths))
        for start, end in zip(bounds[:-1], bounds[1:]):
            chunks.append((offs.reshape(1, -1) + np.arange(start, end).reshape(-1, 1)).flatten())
            done = [i for i, n in enumerate(remaining) if n == end]
            remaining = np.delete(remaining, done).tolist()
            offs = np.delete(offs, done)
        return np.concatenate(chunks) if chunks else np.zeros(0, dtype=np.int64)
    if probabilities is None and not oversampling:
        return (offsets.reshape(1, -1) + np.arange(min(lengths)).reshape(-1, 1)).flatten()
    if probabilities is None:
        cycled = np.mod(np.arange(max(lengths)).reshape(-1, 1), np.array(lengths).reshape(1, -1))
        return (cycled + offsets).flatten()
    if stopping_strategy == "all_exhausted_without_replacement":
        return _interleave_without_replacement(lengths, offsets, probabilities, seed)
    return _interleave_sampled(lengths, offsets, probabilities, seed, oversampling)


def _interleave_sampled(lengths: list[int], offsets: np.ndarray, probabilities: list[float], seed: int | None, oversampling: bool) -> np.ndarray:
    count = len(lengths)
    sizes = np.asarray(lengths, dtype=np.int64)
    drawable = np.asarray(probabilities, dtype=np.float64) > 0
    empty = [i for i in range(count) if lengths[i] == 0 and drawable[i]]
    if empty:
        raise ValueError(f"interleave_datasets with probabilities needs every dataset with probability > 0 to have rows; {empty} are empty.")
    if oversampling and not drawable.all():
        raise ValueError(
            "stopping_strategy='all_exhausted' cannot exhaust a dataset with probability 0: "
            f"{[i for i in range(count) if not drawable[i]]}."
        )
    rng = np.random.default_rng(seed)
    blocks, counts = [], np.zeros(count, dtype=np.int64)
    reached = np.zeros(count, dtype=bool)
    # draw in blocks of 1000 until one (or every) source could be exhausted
    while not (reached[drawable].all() if oversampling else reached[drawable].any()):
        block = rng.choice(count, size=1000, p=probabilities)
        blocks.append(block)
        counts += np.bincount(block, minlength=count)
        reached = counts >= sizes
    draws = np.concatenate(blocks)
    exhausted_at = np.full(count, -1, dtype=np.int64)
    for source in np.flatnonzero(drawable):
        hits = np.flatnonzero(draws == source)
        if len(hits) >= lengths[source]:
            exhausted_at[source] = hits[lengths[source] - 1]
    valid = exhausted_at[exhausted_at >= 0]
    used = draws[: (valid.max() if oversampling else valid.min()) + 1]
    positions = np.empty(len(used), dtype=np.int64)
    for source in np.flatnonzero(drawable):
        hits = np.flatnonzero(used == source)
        positions[hits] = np.arange(len(hits)) % lengths[source] + offsets[source]
    return positions


def _interleave_without_replacement(lengths: list[int], offsets: np.ndarray, probabilities: list[float], seed: int | None) -> np.ndarray:
    rng = np.random.default_rng(seed)
    exhausted = np.zeros(len(lengths), dtype=bool)
    current = [0] * len(lengths)
    positions: list[int] = []
    while not exhausted.all():
        for source in rng.choice(len(lengths), size=1000, p=probabilities):
            if exhausted.all():
                break
            if not exhausted[source]:
                positions.append(current[source] + int(offsets[source]))
                current[source] += 1
            if current[source] >= lengths[source]:
                exhausted[source] = True
    return np.asarray(positions, dtype=np.int64)


def interleave_datasets(
    datasets: list["Dataset"],
    probabilities: list[float] | None = None,
    seed: int | None = None,
    info: DatasetInfo | None = None,
    split: NamedSplit | None = None,
    stopping_strategy: str = "first_exhausted",
) -> "Dataset":
    """Alternate rows from several datasets: in turn, or sampled with ``probabilities``.
    ``first_exhausted`` stops when a source runs out; ``all_exhausted`` when every source
    has been fully seen (repeating the shorter ones); ``all_exhausted_without_replacement``
    uses each row once.

    Example:
        >>> from embrace.datasets import Dataset
        >>> a = Dataset.from_dict({"x": [0, 1, 2]}); b = Dataset.from_dict({"x": [10, 11, 12]})
        >>> len(interleave_datasets([a, b], probabilities=[0.5, 0.5], seed=0)) > 0
        True
    """
    from embrace.datasets.arrow_dataset import Dataset

    if not datasets:
        raise ValueError("Unable to interleave an empty list of datasets.")
    if not all(isinstance(d, Dataset) for d in datasets):
        raise ValueError(f"interleave_datasets expects Dataset objects, got {sorted({type(d).__name__ for d in datasets})}.")
    if stopping_strategy not in _STRATEGIES:
        raise ValueError(f"stopping_strategy must be one of {list(_STRATEGIES)}, got {stopping_strategy!r}.")
    if probabilities is not None and len(probabilities) != len(datasets):
        raise ValueError(f"{len(probabilities)} probabilities for {len(datasets)} datasets; give one per dataset.")
    combined = concatenate_datasets(datasets, info=info, split=split)
    positions = _interleave_positions([len(d) for d in datasets], probabilities, seed, stopping_strategy)
    return combined.select(positions)
