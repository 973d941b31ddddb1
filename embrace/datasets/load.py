"""``load_dataset``: local files and folders, packaged formats and hub dataset repos.

``path`` is one of: a packaged loader name (``"csv"``, ``"json"``, ``"parquet"``,
``"text"``, ``"arrow"``) used with ``data_files``/``data_dir``; a local folder (splits and
format inferred from file names and extensions); or a hub dataset repo id, downloaded
through ``embrace.hub.snapshot_download`` and then read like a folder. Loading scripts are
refused: embrace never runs code from a dataset.

Example:
    >>> import tempfile, os
    >>> root = tempfile.mkdtemp()
    >>> _ = open(os.path.join(root, "train.csv"), "w").write("text,label\\nhi,1\\nyo,0\\n")
    >>> _ = open(os.path.join(root, "test.csv"), "w").write("text,label\\nok,1\\n")
    >>> ds = load_dataset(root, cache_dir=os.path.join(root, ".cache"))
    >>> {split: d.num_rows for split, d in ds.items()}
    {'train': 2, 'test': 1}
    >>> list(load_dataset("csv", data_files=os.path.join(root, "train.csv"), split="train[:50%]",
    ...                   cache_dir=os.path.join(root, ".cache"))["text"])
    ['hi']
"""

from __future__ import annotations

import os
from typing import Any

from embrace.datasets.builder import DOWNLOAD_MODES, DatasetBuilder, _choice
from embrace.datasets.data_files import data_files_from_folder, infer_module, resolve_data_files
from embrace.datasets.io import FORMATS, module_for_extension
from embrace.errors import DatasetNotFoundError, RemoteCodeError, RepositoryNotFoundError
from embrace.utils.logging import get_logger

logger = get_logger(__name__)


def _refuse_script(path: str) -> None:
    raise RemoteCodeError(
        f"Dataset scripts are no longer supported, but found {os.path.basename(path)}. embrace never runs code "
        "from a dataset; convert the data to csv/json/parquet files and load those."
    )


def _snapshot_folder(repo_id: str, revision: str | None, token: bool | str | None) -> str:
    from embrace.hub import snapshot_download

    try:
        return snapshot_download(repo_id, repo_type="dataset", revision=revision, token=token)
    except RepositoryNotFoundError as err:
        raise DatasetNotFoundError(
            f"Dataset '{repo_id}' doesn't exist on the Hub or cannot be accessed ({err}). "
            "Check the repo id, pass token= for a private or gated dataset, or give a local path."
        ) from err


def _files_for_folder(folder: str, data_files: Any) -> tuple[str, dict[str, Any], dict[str, list[str]]]:
    """Data files of a local folder (given patterns or inferred splits), and their loader."""
    if data_files is not None:
        files = resolve_data_files(data_files, folder)
        module, defaults = infer_module(files)
        return module, defaults, files
    scripts = [name for name in os.listdir(folder) if name.endswith(".py")]
    try:
        files = data_files_from_folder(folder)
    except FileNotFoundError:
        if scripts:
            _refuse_script(os.path.join(folder, scripts[0]))
        raise
    module, defaults = infer_module(files)
    # keep only files that loader reads (a folder may mix data with notes or images)
    files = {
        split: [p for p in paths if (module_for_extension(p) or ("", {}))[0] == module]
        for split, paths in files.items()
    }
    return module, defaults, {split: paths for split, paths in files.items() if paths}


def load_dataset_builder(
    path: str,
    name: str | None = None,
    *,
    data_dir: str | None = None,
    data_files: Any = None,
    cache_dir: str | None = None,
    features: Any = None,
    download_mode: str | None = None,
    revision: str | None = None,
    token: bool | str | None = None,
    storage_options: dict | None = None,
    **config_kwargs: Any,
) -> DatasetBuilder:
    """Resolve ``path`` and the data files into a :class:`DatasetBuilder` without preparing it.

    ``config_kwargs`` are the loader's options (e.g. ``delimiter=";"`` for csv,
    ``field="data"`` for json, ``sample_by="paragraph"`` for text); unknown ones raise
    ``TypeError`` listing the supported options.

    Example:
        >>> import tempfile, os
        >>> root = tempfile.mkdtemp()
        >>> _ = open(os.path.join(root, "a.tsv"), "w").write("x\\ty\\n1\\t2\\n")
        >>> builder = load_dataset_builder(root)
        >>> builder.name, dict(builder.config.data_files) == {"train": [os.path.join(root, "a.tsv")]}
        ('csv', True)
    """
    _choice("download_mode", download_mode, DOWNLOAD_MODES, DOWNLOAD_MODES[0])  # fail before any work
    if storage_options is not None:
        raise ValueError(
            "storage_options (remote fsspec filesystems) are not supported; download the files and pass local "
            "paths, or use a hub dataset repo id."
        )
    if data_files is not None and not data_files:
        raise ValueError(f"Empty 'data_files': {data_files!r}. It should be either non-empty or None (default).")
    path = os.fspath(path)
    if path.endswith(".py"):
        _refuse_script(path)
    if path in FORMATS:
        module, defaults, dataset_name = path, {}, path
        if data_files is None and data_dir is None:
            raise ValueError(
                f"At least one data file must be specified, but got data_files=None. Pass "
                f"load_dataset({path!r}, data_files=...) or data_dir=<folder>."
            )
        files = (
            resolve_data_files(data_files, os.path.abspath(data_dir or "."))
            if data_files is not None
            else _files_for_folder(os.path.abspath(data_dir), None)[2]
        )
    elif os.path.isfile(path):
        raise DatasetNotFoundError(
            f"{path!r} is a file, not a dataset folder or loader name. Load it with "
            f"load_dataset({(module_for_extension(path) or ('csv', {}))[0]!r}, data_files={path!r})."
        )
    else:
        if os.path.isdir(path):
            folder, dataset_name = os.path.abspath(path), os.path.basename(os.path.abspath(path))
        elif os.path.exists(os.path.dirname(path) or "/nonexistent") or path.startswith((".", "/", "~")):
            raise DatasetNotFoundError(f"Local dataset folder {path!r} does not exist.")
        else:
            folder, dataset_name = _snapshot_folder(path, revision, token), path
        if data_dir is not None:
            folder = os.path.join(folder, data_dir)
            if not os.path.isdir(folder):
                raise DatasetNotFoundError(f"data_dir {data_dir!r} does not exist in {path!r}.")
        module, defaults, files = _files_for_folder(folder, data_files)
    return DatasetBuilder(
        module,
        data_files=files,
        config_name=name,
        dataset_name=dataset_name,
        data_dir=data_dir,
        cache_dir=cache_dir,
        features=features,
        options={**defaults, **config_kwargs},
    )


def load_dataset(
    path: str,
    name: str | None = None,
    *,
    data_dir: str | None = None,
    data_files: Any = None,
    split: Any = None,
    cache_dir: str | None = None,
    features: Any = None,
    download_mode: str | None = None,
    verification_mode: str | None = None,
    keep_in_memory: bool | None = None,
    save_infos: bool = False,
    revision: str | None = None,
    token: bool | str | None = None,
    streaming: bool = False,
    num_proc: int | None = None,
    storage_options: dict | None = None,
    **config_kwargs: Any,
):
    """Load a dataset: a ``DatasetDict`` of all splits, or a ``Dataset`` for ``split=``.

    The first call converts the data files to Arrow in the cache; later calls with the
    same files and options reuse it without reading the sources. ``split`` accepts
    expressions such as ``"train[:10%]"``, ``"train[100:200]"``, ``"train+test"``.
    ``streaming=True`` returns an ``IterableDataset``(``Dict``) that reads the files lazily.

    Example:
        >>> import tempfile, os
        >>> root = tempfile.mkdtemp()
        >>> path = os.path.join(root, "d.jsonl")
        >>> _ = open(path, "w").write('{"a": 1}\\n{"a": 2}\\n{"a": 3}\\n')
        >>> list(load_dataset("json", data_files=path, split="train[-2:]", cache_dir=root)["a"])
        [2, 3]
        >>> [row["a"] for row in load_dataset("json", data_files=path, split="train", streaming=True)]
        [1, 2, 3]
    """
    builder = load_dataset_builder(
        path, name, data_dir=data_dir, data_files=data_files, cache_dir=cache_dir, features=features,
        download_mode=download_mode, revision=revision, token=token, storage_options=storage_options,
        **config_kwargs,
    )
    if streaming:
        return builder.as_streaming_dataset(split=split)
    builder.download_and_prepare(download_mode=download_mode, verification_mode=verification_mode, num_proc=num_proc)
    if save_infos:
        if not os.path.isdir(path):
            raise ValueError("save_infos=True writes dataset_info.json into a local dataset folder; path is not one.")
        builder.info.write_to_directory(path)
    return builder.as_dataset(split=split, in_memory=bool(keep_in_memory))


def get_dataset_split_names(
    path: str,
    config_name: str | None = None,
    *,
    data_files: Any = None,
    data_dir: str | None = None,
    revision: str | None = None,
    token: bool | str | None = None,
    **config_kwargs: Any,
) -> list[str]:
    """The split names ``load_dataset`` would produce, without reading any data.

    Example:
        >>> import tempfile, os
        >>> root = tempfile.mkdtemp()
        >>> for name in ("train.txt", "validation.txt"):
        ...     _ = open(os.path.join(root, name), "w").write("x\\n")
        >>> get_dataset_split_names(root)
        ['train', 'validation']
    """
    builder = load_dataset_builder(
        path, config_name, data_files=data_files, data_dir=data_dir, revision=revision, token=token, **config_kwargs
    )
    return list(builder.config.data_files)
