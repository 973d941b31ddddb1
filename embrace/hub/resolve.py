"""Find one file of a model/tokenizer/dataset: in a local folder or in the hub cache.

This is the single entry point loaders use (``config.json``, weights, tokenizer files).
Files come from a local folder or from the hub cache; a file missing from the cache is
downloaded by the hub client (:func:`embrace.hub.download.download_for_resolve`, the default
downloader, imported only when first needed) unless offline mode or ``local_files_only``
forbids it. :func:`set_downloader` swaps the downloader (``None`` disables downloading).

Example:
    >>> import os, tempfile
    >>> folder = tempfile.mkdtemp()
    >>> _ = open(os.path.join(folder, "config.json"), "w").write("{}")
    >>> resolve_file(folder, "config.json") == os.path.join(folder, "config.json")
    True
    >>> resolve_file(folder, "vocab.txt", required=False) is None
    True
"""

from __future__ import annotations

import os
from typing import Protocol

from embrace.errors import EntryNotFoundError, HFValidationError, LocalEntryNotFoundError
from embrace.hub import constants
from embrace.hub.cache import (
    _CACHED_NO_EXIST,
    cached_commit,
    repo_cache_path,
    repo_id_problem,
    try_to_load_from_cache,
    validate_relative_filename,
)

_LISTED_ENTRIES = 10  # how many folder entries an error message shows


class Downloader(Protocol):
    """Fetches one repository file into the hub cache and returns its path.

    Returns None when the hub reports that the file does not exist and ``required`` is
    False; raises the errors of :mod:`embrace.errors` otherwise.
    """

    def __call__(
        self,
        repo_id: str,
        filename: str,
        *,
        revision: str,
        cache_dir: str | os.PathLike | None,
        token: str | bool | None,
        repo_type: str,
        force_download: bool,
        required: bool,
    ) -> str | None: ...


def _download_with_hub_client(
    repo_id: str,
    filename: str,
    *,
    revision: str,
    cache_dir: str | os.PathLike | None,
    token: str | bool | None,
    repo_type: str,
    force_download: bool,
    required: bool,
) -> str | None:
    """The default downloader: the hub client, imported on first use (httpx is not needed before)."""
    from embrace.hub.download import download_for_resolve

    return download_for_resolve(repo_id, filename, revision=revision, cache_dir=cache_dir, token=token,
                                repo_type=repo_type, force_download=force_download, required=required)


_downloader: Downloader | None = _download_with_hub_client


def set_downloader(downloader: Downloader | None) -> Downloader | None:
    """Register the function that fetches files missing from the cache; returns the previous one.

    Example:
        >>> previous = set_downloader(None)
        >>> set_downloader(previous) is None
        True
        >>> _downloader is previous
        True
    """
    global _downloader
    previous, _downloader = _downloader, downloader
    return previous


def _describe_folder(folder: str) -> str:
    entries = sorted(os.listdir(folder))
    if not entries:
        return "it is empty"
    shown = ", ".join(entries[:_LISTED_ENTRIES])
    more = f" and {len(entries) - _LISTED_ENTRIES} more" if len(entries) > _LISTED_ENTRIES else ""
    return f"it contains: {shown}{more}"


def _from_folder(folder: str, subfolder: str, filename: str, required: bool) -> str | None:
    location = os.path.join(folder, subfolder) if subfolder else folder
    candidate = os.path.join(location, filename)
    if os.path.isfile(candidate):
        return candidate
    if not required:
        return None
    contents = _describe_folder(location) if os.path.isdir(location) else "that folder does not exist"
    raise EntryNotFoundError(
        f"'{location}' has no file named '{filename}' ({contents}). Check the folder and the file "
        "name, or save the missing file there."
    )


def resolve_file(
    path_or_repo_id: str | os.PathLike,
    filename: str,
    *,
    subfolder: str = "",
    revision: str | None = None,
    cache_dir: str | os.PathLike | None = None,
    local_files_only: bool = False,
    token: str | bool | None = None,
    repo_type: str = "model",
    required: bool = True,
    force_download: bool = False,
) -> str | None:
    """Path of ``filename`` in a local folder or in a repo's hub-cache snapshot.

    ``path_or_repo_id`` is an existing folder, or a repo id (``"name"`` / ``"org/name"``)
    looked up in ``cache_dir`` (default: ``HF_HUB_CACHE``) at ``revision`` (branch, tag
    or commit; default ``"main"``). With ``required=False`` a file that is known to be
    absent gives None; anything else missing raises ``EntryNotFoundError`` (folder, or
    the repo records the file as absent) or ``LocalEntryNotFoundError`` (not in the cache).

    Example:
        >>> import tempfile
        >>> resolve_file("org/model", "config.json", cache_dir=tempfile.mkdtemp(),
        ...              local_files_only=True)  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        embrace.errors.LocalEntryNotFoundError: ...
    """
    validate_relative_filename(filename)
    if subfolder:
        validate_relative_filename(subfolder, what="subfolder")
    path = os.fspath(path_or_repo_id)
    if os.path.isdir(path):
        return _from_folder(path, subfolder, filename, required)

    problem = repo_id_problem(path)
    if problem is not None:
        raise HFValidationError(
            f"'{path}' is neither an existing directory (no such directory) nor a valid repo id: "
            f"{problem} Check the path of the local folder, or pass a repo id such as 'org/name'."
        )
    repo_file = f"{subfolder.strip('/')}/{filename}" if subfolder else filename
    revision = constants.DEFAULT_REVISION if revision is None else revision
    offline = local_files_only or constants.is_offline_mode()
    if force_download and offline:
        reason = "local_files_only=True" if local_files_only else "offline mode (HF_HUB_OFFLINE) is enabled"
        raise HFValidationError(f"Cannot pass force_download=True when {reason}: nothing could be downloaded.")

    if not force_download:
        cached = try_to_load_from_cache(path, repo_file, cache_dir=cache_dir, revision=revision, repo_type=repo_type)
        if isinstance(cached, str):
            return cached
        if cached is _CACHED_NO_EXIST:
            if not required:
                return None
            raise EntryNotFoundError(
                f"Repo '{path}' has no file '{repo_file}' at revision '{revision}' (the hub cache records "
                "it as absent). Check the file name, the revision, or the subfolder."
            )

    if not offline and _downloader is not None:
        return _downloader(
            path,
            repo_file,
            revision=revision,
            cache_dir=cache_dir,
            token=token,
            repo_type=repo_type,
            force_download=force_download,
            required=required,
        )

    repo_cache = repo_cache_path(path, cache_dir=cache_dir, repo_type=repo_type)
    snapshot = os.path.join(repo_cache, "snapshots", cached_commit(repo_cache, revision))
    if not required and os.path.isdir(snapshot):
        return None  # the revision is cached and simply lacks this file
    if offline:
        why = "local_files_only=True was passed" if local_files_only else "offline mode is on (HF_HUB_OFFLINE=1)"
    else:
        why = "downloading is not available (no downloader is registered: set_downloader(None) was called)"
    raise LocalEntryNotFoundError(
        f"Cannot find '{repo_file}' of repo '{path}' at revision '{revision}' in the hub cache "
        f"('{repo_cache}'), and {why}. Download it where there is network (e.g. "
        f"`hf download {path} {repo_file} --revision {revision}`) into this cache, set "
        "HF_HUB_CACHE/cache_dir to a cache that has it, or pass the path of a local folder instead."
    )
