"""Prepare a dataset from data files into the Arrow cache, then open it memory-mapped.

Layout (the reference's): ``<cache>/<dataset>/<config_id>/0.0.0/<module_hash>/`` holds
``<builder>-<split>.arrow`` (Arrow IPC streams, features in the schema metadata) and
``dataset_info.json``. ``<cache>`` is ``cache_dir``, else ``$HF_DATASETS_CACHE``, else
``$HF_HOME/datasets``. ``config_id`` is ``<name>-<16 hex>``: a hash of the loader options,
the features and every data file's path, size and modification time, so editing a file
invalidates the cache while an unchanged call reuses it without reading the sources.
``module_hash`` hashes the reader's source, so a reader fix never serves stale Arrow.

Preparation reads file by file, block by block, and appends to the Arrow file, so a
multi-GB CSV is converted with flat memory; the prepared files are then memory-mapped.
With ``num_proc`` > 1 and several files in a split, the files are dealt out in contiguous
groups to worker processes that each write one shard,
``<builder>-<split>-0000i-of-0000N.arrow`` (the reference's names); ``shard_lengths`` in
``dataset_info.json`` records them and opening concatenates the shards in order. It
writes into ``<dir>.incomplete`` under a file lock and renames the folder into place, so
a crash or a concurrent loader never sees half a dataset.

Example:
    >>> import tempfile, os
    >>> root = tempfile.mkdtemp()
    >>> _ = open(os.path.join(root, "t.csv"), "w").write("a,b\\n1,x\\n2,y\\n")
    >>> builder = DatasetBuilder("csv", data_files={"train": [os.path.join(root, "t.csv")]},
    ...                          cache_dir=os.path.join(root, "cache"))
    >>> builder.download_and_prepare()
    >>> builder.as_dataset(split="train[:1]")[:]
    {'a': [1], 'b': ['x']}
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import shutil
import sys
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Iterator

import pyarrow as pa
from filelock import FileLock
from tqdm.auto import tqdm

from embrace.datasets.features import ClassLabel, Features
from embrace.datasets.info import DatasetInfo
from embrace.datasets.io import Format, get_format
from embrace.datasets.split_spec import resolve_split_spec
from embrace.datasets.splits import SplitDict, SplitInfo
from embrace.errors import DatasetGenerationCastError, DatasetGenerationError
from embrace.hub import constants
from embrace.utils.logging import get_logger

logger = get_logger(__name__)

DOWNLOAD_MODES = ("reuse_dataset_if_exists", "reuse_cache_if_exists", "force_redownload")
VERIFICATION_MODES = ("basic_checks", "all_checks", "no_checks")
VERSION = "0.0.0"


def progress_disabled() -> bool:
    """Progress bars are off when either ``HF_HUB_DISABLE_PROGRESS_BARS`` or
    ``EMBRACE_DISABLE_PROGRESS_BARS`` is set to a true value."""
    return any(
        os.environ.get(var, "").upper() in constants.ENV_VARS_TRUE_VALUES
        for var in ("HF_HUB_DISABLE_PROGRESS_BARS", "EMBRACE_DISABLE_PROGRESS_BARS")
    )


def datasets_cache_root(cache_dir: str | os.PathLike | None = None) -> str:
    """``cache_dir``, else ``$HF_DATASETS_CACHE``, else ``$HF_HOME/datasets``."""
    if cache_dir is not None:
        return os.path.abspath(os.path.expanduser(os.fspath(cache_dir)))
    env = os.environ.get("HF_DATASETS_CACHE")
    return os.path.abspath(os.path.expanduser(env)) if env else os.path.join(constants.hf_home(), "datasets")


def _choice(kind: str, value: Any, allowed: tuple[str, ...], default: str) -> str:
    value = default if value is None else getattr(value, "value", value)  # accept the reference's str enums
    if value not in allowed:
        raise ValueError(f"{kind}={value!r} is invalid; use one of {list(allowed)}.")
    return value


@dataclass
class BuilderConfig:
    """What to build: the config name, the data files per split, features and loader options."""

    name: str = "default"
    data_dir: str | None = None
    data_files: dict[str, list[str]] = field(default_factory=dict)
    features: Features | None = None
    options: Any = None


class DatasetBuilder:
    """Builds one packaged-format dataset (``csv``, ``json``, ``parquet``, ``text``, ``arrow``).

    ``load_dataset`` and ``load_dataset_builder`` create it; ``download_and_prepare`` fills
    the cache, ``as_dataset`` opens it and ``as_streaming_dataset`` reads the files lazily.
    """

    def __init__(
        self,
        module: str,
        *,
        data_files: dict[str, list[str]],
        config_name: str | None = None,
        dataset_name: str | None = None,
        data_dir: str | None = None,
        cache_dir: str | os.PathLike | None = None,
        features: Features | None = None,
        options: dict[str, Any] | None = None,
    ) -> None:
        self.format: Format = get_format(module)
        self.name = module
        self.dataset_name = dataset_name or module
        if features is not None and not isinstance(features, Features):
            raise TypeError(f"features must be a datasets Features object, got {type(features).__name__}.")
        self.config = BuilderConfig(
            name=config_name or "default",
            data_dir=data_dir,
            data_files=data_files,
            features=features,
            options=self.format.make_config(dict(options or {})),
        )
        self.info = DatasetInfo(
            features=features, builder_name=module, dataset_name=self.dataset_name, config_name=self.config.name
        )
        self._cache_root = datasets_cache_root(cache_dir)
        self.cache_dir = os.path.join(
            self._cache_root, self.dataset_name.replace("/", "___"), self._config_id(), VERSION, self._module_hash()
        )

    # --- identity ------------------------------------------------------------------

    def _config_id(self) -> str:
        files = {}
        for split, paths in self.config.data_files.items():
            entries = []
            for path in paths:
                stat = os.stat(path)
                entries.append([path, stat.st_size, stat.st_mtime_ns])
            files[split] = entries
        identity = {
            "options": dataclasses.asdict(self.config.options),
            "features": self.config.features.to_dict() if self.config.features is not None else None,
            "data_files": files,
        }
        digest = hashlib.sha256(json.dumps(identity, sort_keys=True, default=str).encode()).hexdigest()
        return f"{self.config.name}-{digest[:16]}"

    def _module_hash(self) -> str:
        reader_module = sys.modules[self.format.read.__module__]
        with open(reader_module.__file__, "rb") as handle:
            return hashlib.sha256(handle.read()).hexdigest()

    def _arrow_paths(self, directory: str, split: str, num_shards: int = 1) -> list[str]:
        """The Arrow file(s) of one split: one file, or ``num_shards`` numbered shards."""
        if num_shards == 1:
            return [os.path.join(directory, f"{self.name}-{split}.arrow")]
        return [os.path.join(directory, f"{self.name}-{split}-{i:05d}-of-{num_shards:05d}.arrow") for i in range(num_shards)]

    def _split_paths(self, split: str) -> list[str]:
        lengths = self.info.splits[split].shard_lengths
        return self._arrow_paths(self.cache_dir, split, len(lengths) if lengths else 1)

    # --- preparing -----------------------------------------------------------------

    def _is_prepared(self, verification_mode: str) -> bool:
        info_path = os.path.join(self.cache_dir, "dataset_info.json")
        if not os.path.isfile(info_path):
            return False
        info = DatasetInfo.from_directory(self.cache_dir)
        for split, split_info in (info.splits or {}).items():
            lengths = split_info.shard_lengths
            paths = self._arrow_paths(self.cache_dir, split, len(lengths) if lengths else 1)
            if not all(os.path.isfile(path) for path in paths):
                return False
            if verification_mode == "all_checks":
                rows = 0
                for path in paths:
                    with pa.memory_map(path) as source:
                        rows += pa.ipc.open_stream(source).read_all().num_rows
                if rows != split_info.num_examples:
                    return False
        self.info = info
        return True

    def download_and_prepare(
        self,
        output_dir: str | None = None,
        *,
        download_mode: str | None = None,
        verification_mode: str | None = None,
        num_proc: int | None = None,
    ) -> None:
        """Convert the data files to Arrow in the cache (skipped when already prepared).

        Args:
            output_dir: prepare into this folder instead of the cache folder.
            download_mode: ``"reuse_dataset_if_exists"`` (default) or ``"force_redownload"``.
            verification_mode: ``"basic_checks"`` (default), ``"all_checks"`` (also re-counts
                the rows of a reused cache) or ``"no_checks"``.
            num_proc: worker processes converting a split's files in parallel (at most one
                per file; a single file is always converted in this process).
        """
        mode = _choice("download_mode", download_mode, DOWNLOAD_MODES, "reuse_dataset_if_exists")
        verification = _choice("verification_mode", verification_mode, VERIFICATION_MODES, "basic_checks")
        if num_proc is not None and num_proc < 1:
            raise ValueError(f"num_proc must be >= 1, got {num_proc}.")
        if output_dir is not None:
            self.cache_dir = os.path.abspath(os.fspath(output_dir))
        os.makedirs(os.path.dirname(self.cache_dir), exist_ok=True)
        with FileLock(self.cache_dir + "_builder.lock"):
            if mode != "force_redownload" and self._is_prepared(verification):
                logger.info("Found cached dataset at %s", self.cache_dir)
                return
            incomplete = self.cache_dir + ".incomplete"
            shutil.rmtree(incomplete, ignore_errors=True)
            os.makedirs(incomplete)
            try:
                self._prepare_into(incomplete, num_proc or 1)
                shutil.rmtree(self.cache_dir, ignore_errors=True)
                os.replace(incomplete, self.cache_dir)
            finally:
                shutil.rmtree(incomplete, ignore_errors=True)

    def _prepare_into(self, directory: str, num_proc: int) -> None:
        splits = SplitDict(dataset_name=self.dataset_name)
        features = self.config.features
        for split, files in self.config.data_files.items():
            num_shards = min(num_proc, len(files))
            if num_shards == 1:
                num_rows, num_bytes, split_features = self._write_split(files, self._arrow_paths(directory, split)[0], split)
                shard_lengths = None
            else:
                shard_lengths, num_bytes, split_features = self._write_split_in_workers(files, directory, split, num_shards)
                num_rows = sum(shard_lengths)
            splits[split] = SplitInfo(name=split, num_bytes=num_bytes, num_examples=num_rows,
                                      shard_lengths=shard_lengths, dataset_name=self.dataset_name)
            features = features or split_features
        download_size = sum(os.path.getsize(p) for files in self.config.data_files.values() for p in files)
        dataset_size = sum(s.num_bytes for s in splits.values())
        self.info = DatasetInfo(
            features=features, builder_name=self.name, dataset_name=self.dataset_name, config_name=self.config.name,
            version={"version_str": VERSION, "major": 0, "minor": 0, "patch": 0}, splits=splits,
            download_size=download_size, dataset_size=dataset_size, size_in_bytes=download_size + dataset_size,
        )
        self.info.write_to_directory(directory)

    def _write_split_in_workers(self, files: list[str], directory: str, split: str,
                                num_shards: int) -> tuple[list[int], int, Features | None]:
        """Write one shard per worker; returns the shard lengths, bytes and features."""
        # Every shard must share one schema, as in a single-process run where later files are
        # cast to the first one's: infer it here from the first block, then hand it out.
        features = self.config.features or self._first_block_features(files)
        div, mod = divmod(len(files), num_shards)  # the first `mod` groups take one file more
        bounds = [div * rank + min(rank, mod) for rank in range(num_shards + 1)]
        groups = [files[bounds[rank]:bounds[rank + 1]] for rank in range(num_shards)]
        paths = self._arrow_paths(directory, split, num_shards)
        lengths: list[int] = []
        total_bytes = 0
        bar = tqdm(desc=f"Generating {split} split (num_proc={num_shards})", unit=" examples",
                   disable=progress_disabled())
        try:
            with ProcessPoolExecutor(num_shards) as pool:
                jobs = [pool.submit(_write_shard, self, group, path, split, features) for group, path in zip(groups, paths)]
                for job in jobs:  # in shard order, so lengths line up with file names
                    rows, num_bytes = job.result()
                    lengths.append(rows)
                    total_bytes += num_bytes
                    bar.update(rows)
        finally:
            bar.close()
        return lengths, total_bytes, features

    def _first_block_features(self, files: list[str]) -> Features | None:
        for table, _ in self.generate_tables(files):
            return Features.from_arrow_schema(table.schema)
        return None

    def _write_split(self, files: list[str], path: str, split: str, features: Features | None = None,
                     *, progress: bool = True) -> tuple[int, int, Features | None]:
        """Stream every file of one split into one Arrow file; returns rows, bytes and features."""
        features = features or self.config.features
        schema = features.arrow_schema if features is not None else None
        writer = None
        num_rows = num_bytes = 0
        bar = tqdm(desc=f"Generating {split} split", unit=" examples", disable=not progress or progress_disabled())
        try:
            with pa.OSFile(path, "wb") as sink:
                for table, source in self.generate_tables(files):
                    if schema is None:
                        features = Features.from_arrow_schema(table.schema)
                        schema = features.arrow_schema
                    table = conform_table(table, schema, features, source, fill_missing=self.name == "json")
                    if writer is None:
                        writer = pa.ipc.new_stream(sink, schema)
                    writer.write_table(table)
                    num_rows += table.num_rows
                    num_bytes += table.nbytes
                    bar.update(table.num_rows)
                if writer is None:  # no rows at all: still a valid (empty) Arrow file
                    writer = pa.ipc.new_stream(sink, schema if schema is not None else pa.schema([]))
                writer.close()
        finally:
            bar.close()
            # the allocator keeps the parser's freed blocks; hand them back so RSS stays flat
            pa.default_memory_pool().release_unused()
        return num_rows, num_bytes, features

    def generate_tables(self, files: list[str]) -> Iterator[tuple[pa.Table, str]]:
        """Yield ``(table, source file)`` for every block of every file, wrapping reader
        failures in an error that names the file."""
        schema = self.config.features.arrow_schema if self.config.features is not None else None
        for path in files:
            try:
                for table in self.format.read(path, self.config.options, schema):
                    yield table, path
            except (pa.ArrowException, UnicodeDecodeError, json.JSONDecodeError, OSError) as err:
                raise DatasetGenerationError(
                    f"An error occurred while reading {path} with the {self.name!r} loader: {err}"
                ) from err

    # --- opening -----------------------------------------------------------------

    def _split_table(self, split: str, in_memory: bool):
        from embrace.datasets.table import in_memory_table, memory_mapped_table

        from embrace.datasets.table import concat_tables

        opener = in_memory_table if in_memory else memory_mapped_table
        tables = [opener(path) for path in self._split_paths(split)]
        return tables[0] if len(tables) == 1 else concat_tables(tables)

    def _dataset_for_spec(self, spec: str, in_memory: bool):
        from embrace.datasets.arrow_dataset import Dataset
        from embrace.datasets.table import concat_tables

        name2len = {name: s.num_examples for name, s in self.info.splits.items()}
        parts = []
        for split, start, stop in resolve_split_spec(spec, name2len):
            table = self._split_table(split, in_memory)
            parts.append(table if (start, stop) == (0, name2len[split]) else table.derive(table.table.slice(start, stop - start)))
        table = parts[0] if len(parts) == 1 else concat_tables(parts)
        fingerprint = hashlib.sha256(f"{self.cache_dir}|{spec}".encode()).hexdigest()[:16]
        return Dataset(table, info=self.info.copy(), split=spec, fingerprint=fingerprint)

    def as_dataset(self, split: str | list | None = None, *, in_memory: bool = False):
        """Open the prepared splits: a ``DatasetDict`` (``split=None``), one ``Dataset`` for a
        split expression such as ``"train[:10%]+test"``, or a list for a list of expressions."""
        if self.info.splits is None:
            raise RuntimeError("The dataset is not prepared yet; call download_and_prepare() first.")
        if split is None:
            from embrace.datasets.dataset_dict import DatasetDict

            return DatasetDict({name: self._dataset_for_spec(name, in_memory) for name in self.info.splits})
        if isinstance(split, (list, tuple)):
            return [self._dataset_for_spec(str(s), in_memory) for s in split]
        return self._dataset_for_spec(str(split), in_memory)

    def as_streaming_dataset(self, split: str | None = None):
        """Read the data files lazily: an ``IterableDatasetDict`` or one ``IterableDataset``."""
        from embrace.datasets.iterable_dataset import IterableDataset, IterableDatasetDict

        def one(name: str) -> IterableDataset:
            if name not in self.config.data_files:
                raise ValueError(f'Bad split: {name}. Available splits: {list(self.config.data_files)}')
            info = DatasetInfo(features=self.config.features, builder_name=self.name, dataset_name=self.dataset_name,
                               config_name=self.config.name)
            return IterableDataset.from_file_shards(self.generate_tables, self.config.data_files[name], info=info,
                                                    split=name, features=self.config.features,
                                                    fill_missing=self.name == "json")

        if split is None:
            return IterableDatasetDict({name: one(name) for name in self.config.data_files})
        return one(str(split))


def _write_shard(builder: DatasetBuilder, files: list[str], path: str, split: str,
                 features: Features | None) -> tuple[int, int]:
    """Worker body for parallel preparation: one group of files into one shard."""
    rows, num_bytes, _ = builder._write_split(files, path, split, features, progress=False)
    return rows, num_bytes


def _encode_labels(column: pa.ChunkedArray, feature: ClassLabel) -> pa.Array:
    return pa.array([None if v is None else feature.encode_example(v) for v in column.to_pylist()], type=pa.int64())


def conform_table(
    table: pa.Table, schema: pa.Schema, features: Features, source: str, *, fill_missing: bool = False
) -> pa.Table:
    """Cast one block to the split's schema (set by the features or by the first block).

    Raises:
        DatasetGenerationCastError: columns differ or a value does not fit (names file, column, types).
    """
    missing = [name for name in schema.names if name not in table.column_names]
    extra = [name for name in table.column_names if name not in schema.names]
    if extra or (missing and not fill_missing):
        raise DatasetGenerationCastError(
            f"{source}: its columns {table.column_names} do not match the split's columns {schema.names} "
            f"(missing {missing}, unexpected {extra}). Give all files of a split the same columns, "
            "or load them as separate splits with data_files={split: files}."
        )
    arrays = []
    for target in schema:
        if target.name not in table.column_names:
            arrays.append(pa.nulls(table.num_rows, target.type))
            continue
        column = table.column(target.name)
        if column.type != target.type:
            feature = features.get(target.name)
            try:
                if isinstance(feature, ClassLabel) and (pa.types.is_string(column.type) or pa.types.is_large_string(column.type)):
                    column = _encode_labels(column, feature).cast(target.type)
                else:
                    column = column.cast(target.type)
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError, ValueError) as err:
                raise DatasetGenerationCastError(
                    f"{source}: column {target.name!r} has type {column.type} which cannot be cast to the "
                    f"split's type {target.type} ({err}). Fix the data or pass matching features=."
                ) from err
        arrays.append(column)
    return pa.Table.from_arrays(arrays, schema=schema)
