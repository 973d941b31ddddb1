"""Download a whole repository (or the files matching some patterns): ``snapshot_download``.

One request lists the files of the revision and pins its commit
(``GET /api/{models|datasets|spaces}/{repo_id}/revision/{revision}``); every file is then fetched
at that exact commit with :func:`~embrace.hub.download.hf_hub_download`, in parallel threads.
The listing is also kept as ``trees/<commit>.json`` in the repo's cache folder (the reference's
format), so an offline call can tell a complete snapshot from a partial one.

Offline (or ``local_files_only=True``) the revision is resolved through ``refs/`` and the cached
snapshot folder is returned without any network access.

Example:
    >>> sorted(filter_repo_objects(["a.json", "w/model.bin", "b.txt"], allow_patterns=["*.json", "w/"]))
    ['a.json', 'w/model.bin']
    >>> list(filter_repo_objects(["a.json", "b.txt"], ignore_patterns="*.txt"))
    ['a.json']
"""

from __future__ import annotations

import json
import logging
import os
import threading
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any, TypeVar

from embrace.errors import (
    GatedRepoError,
    HfHubHTTPError,
    LocalEntryNotFoundError,
    OfflineModeIsEnabled,
    RepositoryNotFoundError,
    RevisionNotFoundError,
)
from embrace.hub import _http, constants
from embrace.hub.cache import repo_folder_name, validate_repo_id
from embrace.hub.download import REGEX_COMMIT_HASH, _check_repo_type, _write_ref, hf_hub_download
from embrace.utils.files import write_text_atomically

logger = logging.getLogger("embrace.hub")

T = TypeVar("T")
TREE_CACHE_FORMAT_VERSION = 1


def filter_repo_objects(
    items: Iterable[T],
    *,
    allow_patterns: list[str] | str | None = None,
    ignore_patterns: list[str] | str | None = None,
    key: Callable[[T], str] | None = None,
) -> Iterator[T]:
    """Keep the items whose path matches one of ``allow_patterns`` (if given) and none of ``ignore_patterns``.

    Patterns are ``fnmatch`` wildcards matched case-sensitively on ``/``-separated paths; ``*``
    crosses folders (``"data/*.json"`` matches ``data/a/b.json``) and a pattern ending in ``/``
    means the whole folder.

    Example:
        >>> list(filter_repo_objects(["x/a.py", "b.py"], allow_patterns="x/*"))
        ['x/a.py']
    """
    def normalize(patterns: list[str] | str | None) -> list[str] | None:
        if patterns is None:
            return None
        if isinstance(patterns, str):
            patterns = [patterns]
        fixed = [str(p).replace("\\", "/") for p in patterns]
        return [p + "*" if p.endswith("/") else p for p in fixed]

    allow, ignore = normalize(allow_patterns), normalize(ignore_patterns)
    for item in items:
        if key is not None:
            path = key(item)
        elif isinstance(item, (str, Path)):
            path = str(item)
        else:
            raise ValueError(f"filter_repo_objects needs `key=` to get a path out of {item!r}.")
        path = path.replace("\\", "/")
        if allow is not None and not any(fnmatchcase(path, pattern) for pattern in allow):
            continue
        if ignore is not None and any(fnmatchcase(path, pattern) for pattern in ignore):
            continue
        yield item


# --- the tree listing cache (trees/<commit>.json) -----------------------------------------------


def _tree_cache_path(folder: str, commit_hash: str) -> str:
    return os.path.join(folder, "trees", f"{commit_hash}.json")


def read_tree_cache(folder: str, commit_hash: str) -> dict[str, dict[str, Any]] | None:
    """The file listing cached for a commit (path -> {size, blob_id, [lfs_sha256, lfs_size]}), or None."""
    try:
        with open(_tree_cache_path(folder, commit_hash), encoding="utf-8") as reader:
            data = json.load(reader)
        if data.get("format_version") != TREE_CACHE_FORMAT_VERSION:
            return None
        return {path: dict(info) for path, info in data["files"].items()}
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as error:
        logger.warning("Ignoring the corrupted tree cache of %s: %s", commit_hash, error)
        return None


def write_tree_cache(folder: str, commit_hash: str, files: dict[str, dict[str, Any]]) -> None:
    """Store the file listing of a commit (atomically; failures only warn)."""
    path = _tree_cache_path(folder, commit_hash)
    data = {"format_version": TREE_CACHE_FORMAT_VERSION, "files": {name: files[name] for name in sorted(files)}}
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        write_text_atomically(path, json.dumps(data, indent=1))
    except OSError as error:
        logger.warning("Could not write the tree cache %s: %s", path, error)


def _tree_entries_from_siblings(siblings: list[dict[str, Any]]) -> dict[str, dict[str, Any]] | None:
    """The tree-cache entries built from ``siblings`` fetched with ``blobs=true`` (None if incomplete)."""
    entries: dict[str, dict[str, Any]] = {}
    for sibling in siblings:
        size, blob_id = sibling.get("size"), sibling.get("blobId")
        if not isinstance(size, int) or not isinstance(blob_id, str):
            return None
        entry: dict[str, Any] = {"size": size, "blob_id": blob_id}
        lfs = sibling.get("lfs")
        if isinstance(lfs, dict) and "sha256" in lfs:
            entry["lfs_sha256"] = lfs["sha256"]
            entry["lfs_size"] = lfs.get("size", size)
        entries[sibling["rfilename"]] = entry
    return entries


# --- snapshot_download --------------------------------------------------------------------------


class _BytesBar:
    """A tqdm stand-in handed to each file download: feeds one shared bar of total bytes."""

    bar: Any = None
    lock = threading.Lock()

    def __init__(self, *args: Any, total: int | None = None, initial: int = 0, **kwargs: Any) -> None:
        del args, kwargs
        with self.lock:
            if total is not None:
                self.bar.total = (self.bar.total or 0) + total
            if initial:
                self.bar.update(initial)
            self.bar.refresh()

    def update(self, n: int | float = 1) -> None:
        with self.lock:
            self.bar.update(n)

    def close(self) -> None:
        pass

    def __enter__(self) -> "_BytesBar":
        return self

    def __exit__(self, *exc: object) -> None:
        pass


def _fetch_revision_info(*, repo_id: str, repo_type: str, revision: str, endpoint: str | None,
                         headers: dict[str, str], etag_timeout: float) -> dict[str, Any]:
    from urllib.parse import quote

    base = (endpoint or constants.endpoint()).rstrip("/")
    url = f"{base}/api/{repo_type}s/{repo_id}/revision/{quote(revision, safe='')}"
    response = _http.request("GET", url, headers=headers, params={"blobs": "true"}, timeout=etag_timeout,
                             retry=True)
    _http.hf_raise_for_status(response)
    data = response.json()
    if not isinstance(data.get("sha"), str):
        raise HfHubHTTPError(f"The answer from {url} has no commit 'sha': the endpoint does not look like a hub.")
    return data


def snapshot_download(
    repo_id: str,
    *,
    repo_type: str | None = None,
    revision: str | None = None,
    cache_dir: str | Path | None = None,
    local_dir: str | Path | None = None,
    library_name: str | None = None,
    library_version: str | None = None,
    user_agent: dict | str | None = None,
    etag_timeout: float = constants.DEFAULT_ETAG_TIMEOUT,
    force_download: bool = False,
    token: bool | str | None = None,
    local_files_only: bool = False,
    allow_patterns: list[str] | str | None = None,
    ignore_patterns: list[str] | str | None = None,
    max_workers: int = 8,
    tqdm_class: Any = None,
    headers: dict[str, str] | None = None,
    endpoint: str | None = None,
) -> str:
    """Download the files of a repo at one revision and return the snapshot folder (or ``local_dir``).

    ``allow_patterns``/``ignore_patterns`` select files (see :func:`filter_repo_objects`). All files
    come from the same commit. Offline (``HF_HUB_OFFLINE=1``) or with ``local_files_only=True``
    the cached snapshot of the revision is returned, or ``LocalEntryNotFoundError`` raised.

    Example:
        >>> import tempfile
        >>> snapshot_download("org/model", cache_dir=tempfile.mkdtemp(), local_files_only=True)
        Traceback (most recent call last):
        ...
        embrace.errors.LocalEntryNotFoundError: Cannot find a cached snapshot of model 'org/model' ...
    """
    validate_repo_id(repo_id)
    cache_dir = str(Path(constants.hf_hub_cache() if cache_dir is None else cache_dir).expanduser().resolve())
    local_dir = str(Path(local_dir).expanduser().resolve()) if local_dir is not None else None
    revision = constants.DEFAULT_REVISION if revision is None else revision
    repo_type = _check_repo_type(repo_type)
    storage_folder = os.path.join(cache_dir, repo_folder_name(repo_id=repo_id, repo_type=repo_type))
    tree_folder = os.path.join(local_dir, ".cache", "huggingface") if local_dir is not None else storage_folder

    commit_hash = revision if REGEX_COMMIT_HASH.match(revision) else None
    siblings: list[str] | None = None
    api_error: Exception | None = None
    offline = local_files_only or constants.is_offline_mode()
    if not offline:
        try:
            hf_headers = _http.build_hf_headers(token=token, library_name=library_name,
                                                library_version=library_version, user_agent=user_agent,
                                                headers=headers)
            info = _fetch_revision_info(repo_id=repo_id, repo_type=repo_type, revision=revision, endpoint=endpoint,
                                        headers=hf_headers, etag_timeout=etag_timeout)
            commit_hash = info["sha"]
            raw_siblings = info.get("siblings") or []
            siblings = [s["rfilename"] for s in raw_siblings]
            tree = _tree_entries_from_siblings(raw_siblings)
            if tree is not None and read_tree_cache(tree_folder, commit_hash) is None:
                write_tree_cache(tree_folder, commit_hash, tree)
        except RevisionNotFoundError:
            raise
        except HfHubHTTPError as error:
            api_error = error
        except Exception as error:
            if not _http.is_connection_error(error):
                raise
            api_error = error
    else:
        api_error = OfflineModeIsEnabled("local_files_only=True" if local_files_only else "HF_HUB_OFFLINE=1")

    if siblings is None:
        return _snapshot_from_disk(
            repo_id=repo_id, repo_type=repo_type, revision=revision, commit_hash=commit_hash,
            storage_folder=storage_folder, tree_folder=tree_folder, local_dir=local_dir,
            allow_patterns=allow_patterns, ignore_patterns=ignore_patterns, api_error=api_error,
            local_files_only=local_files_only,
        )

    assert commit_hash is not None
    wanted = list(filter_repo_objects(siblings, allow_patterns=allow_patterns, ignore_patterns=ignore_patterns))
    if siblings and not wanted and (allow_patterns is not None or ignore_patterns is not None):
        logger.warning("No files of %s matched allow_patterns=%r, ignore_patterns=%r.", repo_id, allow_patterns,
                       ignore_patterns)
    try:
        _write_ref(storage_folder, revision, commit_hash)
    except OSError as error:
        logger.warning("Could not record refs/%s: %s", revision, error)

    bar = _http.make_progress(total=0, desc=f"Fetching {len(wanted)} files", tqdm_class=tqdm_class)
    file_bar = type("_FileBar", (_BytesBar,), {"bar": bar})

    def fetch(filename: str) -> str:
        return hf_hub_download(
            repo_id, filename, repo_type=repo_type, revision=commit_hash, cache_dir=cache_dir, local_dir=local_dir,
            library_name=library_name, library_version=library_version, user_agent=user_agent,
            etag_timeout=etag_timeout, force_download=force_download, token=token, headers=headers,
            endpoint=endpoint, tqdm_class=file_bar,
        )

    try:
        if max_workers <= 1 or len(wanted) <= 1:
            for filename in wanted:
                fetch(filename)
        else:
            with ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="embrace-download") as pool:
                for _ in pool.map(fetch, wanted):
                    pass
    finally:
        bar.close()

    if local_dir is not None:
        return os.path.realpath(local_dir)
    return os.path.join(storage_folder, "snapshots", commit_hash)


def _snapshot_from_disk(
    *,
    repo_id: str,
    repo_type: str,
    revision: str,
    commit_hash: str | None,
    storage_folder: str,
    tree_folder: str,
    local_dir: str | None,
    allow_patterns: list[str] | str | None,
    ignore_patterns: list[str] | str | None,
    api_error: Exception | None,
    local_files_only: bool,
) -> str:
    """The cached snapshot when the hub cannot be (or must not be) asked."""
    if commit_hash is None:
        ref_path = os.path.join(storage_folder, "refs", revision)
        if os.path.isfile(ref_path):
            with open(ref_path, encoding="utf-8") as reader:
                commit_hash = reader.read()
    base_dir = None
    if commit_hash is not None and local_dir is None:
        snapshot = os.path.join(storage_folder, "snapshots", commit_hash)
        if os.path.isdir(snapshot):
            base_dir = snapshot
    if local_dir is not None and os.path.isdir(local_dir) and any(Path(local_dir).iterdir()):
        base_dir = local_dir
    if base_dir is not None:
        if commit_hash is not None:
            tree = read_tree_cache(tree_folder, commit_hash)
            if tree is not None:
                expected = filter_repo_objects(tree, allow_patterns=allow_patterns, ignore_patterns=ignore_patterns)
                missing = [p for p in expected if not os.path.isfile(os.path.join(base_dir, *p.split("/")))]
                if missing:
                    listing = ", ".join(missing[:3]) + (f" and {len(missing) - 3} more" if len(missing) > 3 else "")
                    raise LocalEntryNotFoundError(
                        f"The cached snapshot of {repo_type} '{repo_id}' (revision '{revision}', commit "
                        f"{commit_hash}) is incomplete: {len(missing)} file(s) are missing ({listing}), and the hub "
                        f"cannot be asked ({_reason(api_error, local_files_only)}). Run the same download where the "
                        "hub is reachable to complete it."
                    ) from api_error
        if local_dir is not None:
            logger.warning("Returning the existing local_dir %s: the hub cannot be asked (%s).", local_dir,
                           _reason(api_error, local_files_only))
            return os.path.realpath(local_dir)
        return base_dir

    if isinstance(api_error, (RepositoryNotFoundError, GatedRepoError)) or (
        isinstance(api_error, HfHubHTTPError) and api_error.status_code == 401
    ):
        raise api_error
    where = f"the local folder '{local_dir}'" if local_dir is not None else f"the hub cache ('{storage_folder}')"
    hint = f"`embrace download {repo_id}" + (f" --revision {revision}" if revision != "main" else "") + (
        f" --repo-type {repo_type}" if repo_type != "model" else "") + "`"
    raise LocalEntryNotFoundError(
        f"Cannot find a cached snapshot of {repo_type} '{repo_id}' at revision '{revision}' in {where}, and "
        f"{_reason(api_error, local_files_only)}. Run {hint} where the hub is reachable, or point "
        "cache_dir/HF_HUB_CACHE at a cache that has it."
    ) from api_error


def _reason(error: Exception | None, local_files_only: bool) -> str:
    if local_files_only:
        return "local_files_only=True was passed"
    if isinstance(error, OfflineModeIsEnabled):
        return "offline mode is on (HF_HUB_OFFLINE=1)"
    return f"the hub could not be reached ({type(error).__name__}: {error})"
