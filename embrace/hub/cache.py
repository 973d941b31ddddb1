"""The local hub cache layout, shared with ``huggingface_hub``.

A repository lives in ``<cache>/models--org--name/`` with ``blobs/`` (file contents named
by hash), ``snapshots/<commit>/<path>`` (symlinks into ``blobs``), ``refs/<branch or tag>``
(a file holding a commit hash) and ``.no_exist/<commit>/<path>`` (empty markers for files
known to be absent at that commit).

Example:
    >>> repo_folder_name(repo_id="google-bert/bert-base-uncased", repo_type="model")
    'models--google-bert--bert-base-uncased'
"""

from __future__ import annotations

import os
import re

from embrace.errors import HFValidationError
from embrace.hub import constants

_REPO_ID = re.compile(r"(\b[\w\-.]{1,96}\b/)?\b[\w\-.]{1,96}\b", flags=re.ASCII)
COMMIT_HASH = re.compile(r"[0-9a-f]{40}")


class _CachedNoExist:
    """The cache records that the file does not exist at that revision."""

    def __repr__(self) -> str:
        return "_CACHED_NO_EXIST"


_CACHED_NO_EXIST = _CachedNoExist()


def repo_id_problem(repo_id: object) -> str | None:
    """Why ``repo_id`` is not a valid ``"name"`` / ``"org/name"`` repo id, or None when it is.

    Example:
        >>> repo_id_problem("org/name") is None
        True
        >>> repo_id_problem("a/b/c")
        "Repo id must be 'name' or 'org/name', got 'a/b/c'."
    """
    if not isinstance(repo_id, str):
        return f"Repo id must be a string, not {type(repo_id).__name__}: {repo_id!r}."
    if repo_id.count("/") > 1:
        return f"Repo id must be 'name' or 'org/name', got {repo_id!r}."
    if not _REPO_ID.fullmatch(repo_id):
        return (
            f"Repo id {repo_id!r} must use letters, digits, '-', '_' or '.', must not start or end "
            "with '-' or '.', and is at most 96 characters."
        )
    if "--" in repo_id or ".." in repo_id:
        return f"Repo id {repo_id!r} cannot contain '--' or '..'."
    if repo_id.endswith(".git"):
        return f"Repo id {repo_id!r} cannot end with '.git'."
    return None


def validate_repo_id(repo_id: str) -> None:
    """Raise ``HFValidationError`` if ``repo_id`` is not ``"name"`` or ``"org/name"``.

    Example:
        >>> validate_repo_id("google-bert/bert-base-uncased")
    """
    problem = repo_id_problem(repo_id)
    if problem is not None:
        raise HFValidationError(problem)


def validate_relative_filename(filename: str, *, what: str = "filename") -> None:
    """Raise ``HFValidationError`` unless ``filename`` stays inside its folder (no ``..``, not absolute).

    Example:
        >>> validate_relative_filename("onnx/model.onnx")
        >>> validate_relative_filename("../secret")
        Traceback (most recent call last):
        ...
        embrace.errors.HFValidationError: Invalid filename '../secret': it must not contain a '..' path segment. Use a path inside the repository.
    """
    if not isinstance(filename, str):
        raise HFValidationError(f"The {what} must be a string, got {type(filename).__name__}.")
    posix = filename.replace("\\", "/")
    if ".." in posix.split("/"):
        raise HFValidationError(
            f"Invalid {what} '{filename}': it must not contain a '..' path segment. Use a path inside the repository."
        )
    if posix.startswith("/") or re.match(r"^[A-Za-z]:", posix):
        raise HFValidationError(
            f"Invalid {what} '{filename}': it must be relative to the repository root, not an absolute path."
        )


def _check_repo_type(repo_type: str | None) -> str:
    if repo_type is None:
        return constants.REPO_TYPE_MODEL
    if repo_type not in constants.REPO_TYPES_WITH_KERNEL:
        valid = ", ".join(t for t in constants.REPO_TYPES_WITH_KERNEL if t)
        raise HFValidationError(f"Invalid repo type {repo_type!r}. Valid repo types are: {valid}.")
    return repo_type


def repo_folder_name(*, repo_id: str, repo_type: str) -> str:
    """The cache folder name of a repository: ``<type>s--<org>--<name>``.

    Example:
        >>> repo_folder_name(repo_id="squad", repo_type="dataset")
        'datasets--squad'
    """
    return constants.REPO_ID_SEPARATOR.join([f"{repo_type}s", *repo_id.split("/")])


def repo_cache_path(repo_id: str, *, cache_dir: str | os.PathLike | None = None, repo_type: str | None = None) -> str:
    """The folder of ``repo_id`` inside the hub cache (which may not exist).

    Example:
        >>> repo_cache_path("org/name", cache_dir="/cache")
        '/cache/models--org--name'
    """
    cache_dir = constants.hf_hub_cache() if cache_dir is None else os.fspath(cache_dir)
    return os.path.join(cache_dir, repo_folder_name(repo_id=repo_id, repo_type=_check_repo_type(repo_type)))


def cached_commit(repo_cache: str, revision: str) -> str:
    """The commit a revision points to in a cached repo: ``refs/<revision>`` if present, else ``revision``.

    Example:
        >>> cached_commit("/nonexistent", "main")
        'main'
    """
    ref_file = os.path.join(repo_cache, "refs", revision)
    if os.path.isfile(ref_file):
        with open(ref_file, encoding="utf-8") as reader:
            return reader.read().strip()
    return revision


def try_to_load_from_cache(
    repo_id: str,
    filename: str,
    cache_dir: str | os.PathLike | None = None,
    revision: str | None = None,
    repo_type: str | None = None,
) -> str | _CachedNoExist | None:
    """Look a file up in the hub cache, without any network access and without raising if absent.

    Returns the path of the cached file; ``_CACHED_NO_EXIST`` when the cache records that
    the file does not exist at that revision; ``None`` when the cache does not know.
    ``revision`` (default ``"main"``) is a branch, tag or full commit hash.

    Example:
        >>> import tempfile
        >>> try_to_load_from_cache("org/name", "config.json", cache_dir=tempfile.mkdtemp()) is None
        True
    """
    validate_relative_filename(filename)
    repo_cache = repo_cache_path(repo_id, cache_dir=cache_dir, repo_type=repo_type)
    if not os.path.isdir(repo_cache):
        return None
    commit = cached_commit(repo_cache, constants.DEFAULT_REVISION if revision is None else revision)
    if os.path.isfile(os.path.join(repo_cache, ".no_exist", commit, filename)):
        return _CACHED_NO_EXIST
    snapshot = os.path.join(repo_cache, "snapshots", commit)
    if not os.path.isdir(snapshot):
        return None
    cached_file = os.path.join(snapshot, filename)
    return cached_file if os.path.isfile(cached_file) else None
