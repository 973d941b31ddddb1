"""Download one repository file into the hub cache (or a local folder): ``hf_hub_download``.

The protocol is the hub's: ``HEAD {endpoint}/[datasets/|spaces/]{repo_id}/resolve/{revision}/{file}``
answers with the commit (``X-Repo-Commit``), the content hash (``X-Linked-Etag`` for LFS files,
a sha256; else ``ETag``, the git blob hash) and the size; then ``GET`` streams the bytes into
``blobs/<etag>.incomplete`` (resumed with an HTTP ``Range`` after an interruption), the sha256
of LFS files is checked, and the blob is renamed into place atomically. The snapshot entry
``snapshots/<commit>/<file>`` is a relative symlink to ``../../blobs/<etag>`` (a copy where
symlinks are unavailable), and ``refs/<branch or tag>`` records the commit. A file the hub
reports as absent leaves an empty ``.no_exist/<commit>/<file>`` marker. A file lock per blob
keeps concurrent processes from writing the same blob twice.

Offline (``HF_HUB_OFFLINE=1`` or ``local_files_only=True``) no socket is opened: cached files
are returned, anything else raises ``LocalEntryNotFoundError``. When the hub cannot be reached
but the file is cached, the cached file is returned.

Example:
    >>> hf_hub_url("org/model", "config.json", revision="v1.0", endpoint="http://127.0.0.1:8000")
    'http://127.0.0.1:8000/org/model/resolve/v1.0/config.json'
    >>> hf_hub_url("squad", "data/train.csv", repo_type="dataset", endpoint="http://127.0.0.1:8000")
    'http://127.0.0.1:8000/datasets/squad/resolve/main/data/train.csv'
"""

from __future__ import annotations

import base64
import hashlib
import logging
import os
import re
import shutil
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable
from urllib.parse import quote, urljoin

from embrace.errors import (
    ChecksumError,
    EntryNotFoundError,
    GatedRepoError,
    HfHubHTTPError,
    HFValidationError,
    LocalEntryNotFoundError,
    OfflineModeIsEnabled,
    RepositoryNotFoundError,
    RevisionNotFoundError,
)
from embrace.hub import _http, constants
from embrace.hub.cache import _check_repo_type, repo_folder_name, validate_relative_filename, validate_repo_id

logger = logging.getLogger("embrace.hub")

REGEX_COMMIT_HASH = re.compile(r"^[0-9a-f]{40}$")
REGEX_SHA256 = re.compile(r"^[0-9a-f]{64}$")

CACHEDIR_TAG_CONTENT = (
    "Signature: 8a477f597d28d172789f06886806bc55\n"
    "# This file is a cache directory tag created by embrace (huggingface_hub cache layout).\n"
    "# For information about cache directory tags, see:\n"
    "#\thttps://bford.info/cachedir/\n"
)


@dataclass(frozen=True)
class HfFileMetadata:
    """What the hub says about one file: its commit, content hash (etag), download location and size.

    Example:
        >>> HfFileMetadata(commit_hash="a" * 40, etag="b" * 64, location="http://h/f", size=3).size
        3
    """

    commit_hash: str | None
    etag: str | None
    location: str
    size: int | None


# --- URLs and metadata --------------------------------------------------------------------------


def hf_hub_url(
    repo_id: str,
    filename: str,
    *,
    subfolder: str | None = None,
    repo_type: str | None = None,
    revision: str | None = None,
    endpoint: str | None = None,
) -> str:
    """The URL of a file in a repo: ``{endpoint}/[datasets/|spaces/]{repo_id}/resolve/{revision}/{filename}``.

    The revision is percent-encoded entirely (``refs/pr/1`` -> ``refs%2Fpr%2F1``).

    Example:
        >>> hf_hub_url("gpt2", "config.json", revision="refs/pr/1", endpoint="http://h")
        'http://h/gpt2/resolve/refs%2Fpr%2F1/config.json'
    """
    if subfolder:
        filename = f"{subfolder}/{filename}"
    repo_type = _check_repo_type(repo_type)
    prefix = constants.REPO_TYPES_URL_PREFIXES.get(repo_type, "")
    revision = constants.DEFAULT_REVISION if revision is None else revision
    base = (endpoint or constants.endpoint()).rstrip("/")
    return f"{base}/{prefix}{repo_id}/resolve/{quote(revision, safe='')}/{quote(filename)}"


def _normalize_etag(etag: str | None) -> str | None:
    if etag is None:
        return None
    etag = etag.strip()
    if etag.startswith("W/"):
        etag = etag[2:]
    return etag.strip('"')


def _int_or_none(value: str | None) -> int | None:
    try:
        return int(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None


def _fetch_metadata(url: str, *, headers: dict[str, str], timeout: float | None, retry: bool) -> HfFileMetadata:
    """HEAD ``url``, following redirects that stay on the same origin (e.g. a renamed repo)."""
    current = url
    for _ in range(_http._MAX_REDIRECTS):
        response = _http.request("HEAD", current, headers=headers, timeout=timeout, retry=retry)
        _http.hf_raise_for_status(response)
        location = response.headers.get("Location")
        if response.is_redirect and location:
            target = urljoin(current, location)
            if _http.same_origin(current, target):
                current = target
                continue
            # A redirect to another host (a CDN): this response carries the metadata.
        final_location = urljoin(current, location) if location else str(response.request.url)
        size = response.headers.get("X-Linked-Size")
        if size is None and not response.is_redirect:
            size = response.headers.get("Content-Length")
        return HfFileMetadata(
            commit_hash=response.headers.get("X-Repo-Commit"),
            etag=_normalize_etag(response.headers.get("X-Linked-Etag") or response.headers.get("ETag")),
            location=final_location,
            size=_int_or_none(size),
        )
    raise HfHubHTTPError(f"Too many redirects ({_http._MAX_REDIRECTS}) while resolving {url}.")


def get_hf_file_metadata(
    url: str,
    token: bool | str | None = None,
    timeout: float | None = constants.DEFAULT_ETAG_TIMEOUT,
    library_name: str | None = None,
    library_version: str | None = None,
    user_agent: dict | str | None = None,
    headers: dict[str, str] | None = None,
    endpoint: str | None = None,
    retry_on_errors: bool = False,
) -> HfFileMetadata:
    """Ask the hub (one ``HEAD`` request) for a file's commit, etag, location and size.

    Raises the errors of :mod:`embrace.errors` (``RepositoryNotFoundError``,
    ``RevisionNotFoundError``, ``EntryNotFoundError``, ``GatedRepoError``, ``HfHubHTTPError``).

    Example:
        >>> get_hf_file_metadata("http://127.0.0.1:9/x/resolve/main/f")  # doctest: +SKIP
        HfFileMetadata(commit_hash='...', etag='...', location='...', size=...)
    """
    del endpoint  # the URL already names the hub
    if constants.is_offline_mode():
        raise OfflineModeIsEnabled(f"Cannot reach {url}: offline mode is enabled (HF_HUB_OFFLINE=1).")
    request_headers = _http.build_hf_headers(token=token, library_name=library_name, library_version=library_version,
                                             user_agent=user_agent, headers=headers)
    request_headers["Accept-Encoding"] = "identity"  # the size must be the real file size
    return _fetch_metadata(url, headers=request_headers, timeout=timeout, retry=retry_on_errors)


# --- small cache helpers ------------------------------------------------------------------------


def _pointer_path(storage_folder: str, commit_hash: str, relative_filename: str) -> str:
    snapshots = os.path.join(storage_folder, "snapshots")
    pointer = os.path.join(snapshots, commit_hash, relative_filename)
    if Path(os.path.abspath(snapshots)) not in Path(os.path.abspath(pointer)).parents:
        raise HFValidationError(
            f"Invalid revision or filename: '{commit_hash}/{relative_filename}' would leave the snapshots folder "
            f"of '{storage_folder}'."
        )
    return pointer


def _write_ref(storage_folder: str, revision: str, commit_hash: str) -> None:
    """Record ``refs/<revision>`` -> commit (atomically, and only when it changed)."""
    if revision == commit_hash:
        return
    ref_path = Path(storage_folder) / "refs" / revision
    try:
        if ref_path.is_file() and ref_path.read_text() == commit_hash:
            return
    except OSError:
        pass
    ref_path.parent.mkdir(parents=True, exist_ok=True)
    tmp = ref_path.with_name(f"{ref_path.name}.{uuid.uuid4().hex[:8]}.tmp")
    tmp.write_text(commit_hash)
    os.replace(tmp, ref_path)


def _cached_commit_for(storage_folder: str, revision: str) -> str | None:
    if REGEX_COMMIT_HASH.match(revision):
        return revision
    ref_path = os.path.join(storage_folder, "refs", revision)
    if os.path.isfile(ref_path):
        with open(ref_path, encoding="utf-8") as reader:
            return reader.read()
    return None


def _create_cachedir_tag(folder: str | Path) -> None:
    tag = Path(folder) / "CACHEDIR.TAG"
    if not tag.exists():
        try:
            tag.write_text(CACHEDIR_TAG_CONTENT)
        except OSError:
            pass


_SYMLINKS_SUPPORTED: dict[str, bool] = {}


def _symlinks_supported(folder: str) -> bool:
    if constants._is_true(os.environ.get("HF_HUB_DISABLE_SYMLINKS")):
        return False
    if folder not in _SYMLINKS_SUPPORTED:
        probe = os.path.join(folder, f".symlink-probe-{uuid.uuid4().hex[:8]}")
        try:
            os.symlink("target-that-does-not-exist", probe)
            os.remove(probe)
            _SYMLINKS_SUPPORTED[folder] = True
        except OSError:
            _SYMLINKS_SUPPORTED[folder] = False
            logger.warning(
                "Symlinks are not supported in %s: cached files are copied instead of linked (uses more disk).", folder
            )
    return _SYMLINKS_SUPPORTED[folder]


def _create_symlink(src: str, dst: str, *, new_blob: bool) -> None:
    """Point ``dst`` at ``src`` with a relative symlink; without symlink support, move (new blob) or copy it."""
    try:
        os.remove(dst)
    except OSError:
        pass
    abs_src, abs_dst = os.path.abspath(src), os.path.abspath(dst)
    try:
        probe_folder = os.path.commonpath([abs_src, abs_dst])  # the repo folder: probed once per repo
    except ValueError:  # different drives (Windows)
        probe_folder = os.path.dirname(abs_dst)
    if _symlinks_supported(probe_folder):
        try:
            os.symlink(os.path.relpath(abs_src, os.path.dirname(abs_dst)), abs_dst)
            return
        except FileExistsError:
            if os.path.islink(abs_dst) and os.path.realpath(abs_dst) == os.path.realpath(abs_src):
                return  # another process linked the same blob concurrently
            raise
        except OSError:
            pass  # e.g. a file system that refuses symlinks between these folders: copy instead
    if new_blob:
        shutil.move(abs_src, abs_dst)
    else:
        shutil.copyfile(abs_src, abs_dst)


class _Lock:
    """A file lock (waits as long as needed, logging every 10 s; falls back to a soft lock)."""

    def __init__(self, path: str | Path) -> None:
        from filelock import FileLock

        Path(path).parent.mkdir(parents=True, exist_ok=True)
        self._path = str(path)
        self._lock = FileLock(self._path)

    def __enter__(self) -> "_Lock":
        from filelock import SoftFileLock, Timeout

        start = time.monotonic()
        while True:
            try:
                self._lock.acquire(timeout=10)
                return self
            except Timeout:
                logger.info("Still waiting for lock %s (%.0f s).", self._path, time.monotonic() - start)
            except NotImplementedError:
                self._lock = SoftFileLock(self._path)

    def __exit__(self, *exc: object) -> None:
        try:
            self._lock.release()
        except OSError:
            pass


# --- the transfer -------------------------------------------------------------------------------


def _open_for_resume(path: Path, *, restart: bool) -> Any:
    if restart or not path.exists():
        return open(path, "wb")
    handle = open(path, "r+b")
    handle.seek(0, os.SEEK_END)
    return handle


def _http_get(
    url: str,
    handle: Any,
    *,
    headers: dict[str, str],
    expected_size: int | None,
    hash_name: str | None,
    displayed_filename: str,
    tqdm_class: Any = None,
) -> tuple[int, str | None]:
    """Stream ``url`` into the open file ``handle`` from its current end, resuming with ``Range`` after
    a broken transfer and retrying on 5xx (bounded; the count restarts whenever bytes arrive).

    Returns the final size and, with ``hash_name``, the hex digest of the whole file (old and new bytes).
    """
    position = handle.tell()
    hasher = hashlib.new(hash_name) if hash_name else None
    if hasher is not None and position:
        handle.seek(0)
        remaining = position
        while remaining:
            block = handle.read(min(_http.DOWNLOAD_CHUNK_SIZE, remaining))
            if not block:
                break
            hasher.update(block)
            remaining -= len(block)
        handle.seek(position)
    if expected_size is not None and position == expected_size:
        return position, hasher.hexdigest() if hasher is not None else None

    retryable = _http.retryable_exceptions()
    tries = _http.max_tries()
    attempt = 0
    progress = _http.make_progress(total=expected_size, initial=position, desc=displayed_filename,
                                   tqdm_class=tqdm_class)
    try:
        while True:
            attempt += 1
            request_headers = dict(headers)
            request_headers["Accept-Encoding"] = "identity"
            if position:
                request_headers["Range"] = f"bytes={position}-"
            try:
                with _http.stream("GET", url, headers=request_headers,
                                  timeout=constants.download_timeout()) as response:
                    if response.status_code in _http.RETRY_STATUS_CODES:
                        if attempt < tries:
                            raise _RetryableStatus(response.status_code)
                        try:
                            _http.hf_raise_for_status(response)
                        except HfHubHTTPError as error:
                            error.args = (f"{error.args[0]}\nGave up after {tries} tries; {position} bytes were "
                                          "received and are kept, so running the same call again resumes there.",)
                            raise
                    _http.hf_raise_for_status(response)
                    if position and response.status_code != 206:
                        # The server ignored the Range header: start the file over.
                        handle.seek(0)
                        handle.truncate()
                        if hasher is not None:
                            hasher = hashlib.new(hash_name)  # type: ignore[arg-type]
                        progress.update(-position)
                        position = 0
                    for chunk in response.iter_raw():  # as received: a break loses nothing
                        handle.write(chunk)
                        if hasher is not None:
                            hasher.update(chunk)
                        position += len(chunk)
                        progress.update(len(chunk))
                        attempt = 0  # progress was made: a fresh set of tries for the next break
                return position, hasher.hexdigest() if hasher is not None else None
            except (_RetryableStatus, *retryable) as error:
                if attempt >= tries:
                    raise HfHubHTTPError(
                        f"Downloading '{displayed_filename}' from {url} failed after {tries} tries ({error!r}); "
                        f"{position} bytes were received and are kept, so running the same call again resumes "
                        "there. Check your connection and HF_ENDPOINT."
                    ) from error
                logger.warning("Download of %s interrupted (%s); resuming at byte %d (%d/%d).", displayed_filename,
                               error, position, attempt, tries - 1)
                _http.backoff_sleep(attempt)
    finally:
        progress.close()


class _RetryableStatus(Exception):
    def __init__(self, status: int) -> None:
        super().__init__(f"HTTP {status}")
        self.status = status


def _download_to_file(
    *,
    incomplete_path: Path,
    destination_path: Path,
    url: str,
    headers: dict[str, str],
    expected_size: int | None,
    etag: str,
    filename: str,
    force_download: bool,
    tqdm_class: Any = None,
) -> None:
    """Fetch ``url`` into ``incomplete_path`` (resuming it), verify it, then move it to ``destination_path``.

    The caller holds the lock for ``incomplete_path``. On a size or sha256 mismatch the partial
    file is deleted and ``ChecksumError`` raised, so nothing corrupt is left behind.
    """
    if destination_path.exists() and not force_download:
        return
    expected_sha256 = etag if REGEX_SHA256.match(etag) else None
    if expected_size is not None:
        _warn_if_no_space(expected_size, incomplete_path.parent)
    with _open_for_resume(incomplete_path, restart=force_download) as handle:
        if expected_size is not None and handle.tell() > expected_size:
            handle.seek(0)
            handle.truncate()
        size, digest = _http_get(url, handle, headers=headers, expected_size=expected_size,
                                 hash_name="sha256" if expected_sha256 else None, displayed_filename=filename,
                                 tqdm_class=tqdm_class)
    problem = None
    if expected_size is not None and size != expected_size:
        problem = f"it has {size} bytes but the hub announced {expected_size}"
    elif expected_sha256 is not None and digest != expected_sha256:
        problem = f"its sha256 is {digest} but the hub announced {expected_sha256}"
    if problem is not None:
        incomplete_path.unlink(missing_ok=True)
        raise ChecksumError(
            f"The download of '{filename}' from {url} is corrupt: {problem}. The partial file was removed and "
            "nothing was placed in the cache. Run the download again; if it keeps failing, the server or a proxy "
            "in between is serving damaged data."
        )
    if os.path.lexists(destination_path):
        os.replace(incomplete_path, destination_path)
    else:
        shutil.move(str(incomplete_path), str(destination_path))


def _warn_if_no_space(expected_size: int, folder: Path) -> None:
    for path in (folder, *folder.parents):
        try:
            free = shutil.disk_usage(path).free
        except OSError:
            continue
        if free < expected_size:
            logger.warning("Not enough free disk space to download the file: %d bytes needed, %d free in %s.",
                           expected_size, free, folder)
        return


# --- hf_hub_download ----------------------------------------------------------------------------


@dataclass(frozen=True)
class _FileRequest:
    """One file of one repo revision and how to fetch it: what both download modes share."""

    repo_id: str
    filename: str
    repo_type: str
    revision: str
    endpoint: str | None
    etag_timeout: float
    headers: dict[str, str]  # loses its authorization when the file is served by another host (a CDN)
    force_download: bool
    local_files_only: bool
    tqdm_class: Any


def _metadata_or_error(
    request: _FileRequest,
    *,
    storage_folder: str | None = None,
    relative_filename: str | None = None,
    retry: bool = False,
) -> tuple[HfFileMetadata | None, Exception | None]:
    """(metadata whose ``location`` is the URL to download, None), or (None, error) when the hub could
    not tell us (offline, unreachable, 5xx, private/gated). Missing revisions and files raise right away.
    """
    repo_id, filename, repo_type, revision = request.repo_id, request.filename, request.repo_type, request.revision
    if request.local_files_only:
        return None, OfflineModeIsEnabled(
            f"Cannot access '{filename}' of {repo_type} '{repo_id}' at revision '{revision}': "
            "local_files_only=True was passed."
        )
    if constants.is_offline_mode():
        return None, OfflineModeIsEnabled(
            f"Cannot access '{filename}' of {repo_type} '{repo_id}' at revision '{revision}': offline mode is "
            "enabled (HF_HUB_OFFLINE=1)."
        )
    url = hf_hub_url(repo_id, filename, repo_type=repo_type, revision=revision, endpoint=request.endpoint)
    request_headers = dict(request.headers)
    request_headers["Accept-Encoding"] = "identity"
    try:
        try:
            metadata = _fetch_metadata(url, headers=request_headers, timeout=request.etag_timeout, retry=retry)
        except EntryNotFoundError as error:
            response = getattr(error, "response", None)
            commit_hash = response.headers.get("X-Repo-Commit") if response is not None else None
            if storage_folder is not None and relative_filename is not None and commit_hash is not None:
                marker = Path(storage_folder) / ".no_exist" / commit_hash / relative_filename
                try:
                    marker.parent.mkdir(parents=True, exist_ok=True)
                    marker.touch()
                    _write_ref(storage_folder, revision, commit_hash)
                except OSError as os_error:
                    logger.warning("Could not record that %s does not exist: %s", marker, os_error)
            raise
        if metadata.commit_hash is None:
            raise HfHubHTTPError(
                f"The answer from {url} has no 'X-Repo-Commit' header, so it does not come from a hub. "
                "If HF_ENDPOINT (or endpoint=) is set, check that it points to a hub; otherwise check your proxy."
            )
        if metadata.etag is None:
            raise HfHubHTTPError(
                f"The answer from {url} has no ETag, so the file cannot be cached reliably. Check that the "
                "endpoint is a hub (HF_ENDPOINT) and that no proxy strips headers."
            )
        if not _http.same_origin(url, metadata.location):
            request.headers.pop("authorization", None)  # never send the token to a CDN
        return metadata, None
    except (RevisionNotFoundError, EntryNotFoundError):
        raise
    except HfHubHTTPError as error:
        return None, error
    except Exception as error:
        if _http.is_connection_error(error):
            return None, error
        raise


def _is_transient(error: Exception) -> bool:
    if isinstance(error, HfHubHTTPError):
        return error.status_code in _http.RETRY_STATUS_CODES
    return not isinstance(error, OfflineModeIsEnabled) and _http.is_connection_error(error)


def _raise_head_error(error: Exception, request: _FileRequest, *, where: str) -> None:
    repo_id, filename, repo_type, revision = request.repo_id, request.filename, request.repo_type, request.revision
    local_files_only = request.local_files_only
    if request.force_download:
        if local_files_only:
            raise HFValidationError("Cannot pass force_download=True and local_files_only=True at the same time.")
        if isinstance(error, OfflineModeIsEnabled):
            raise HFValidationError("Cannot pass force_download=True when offline mode (HF_HUB_OFFLINE) is enabled.")
        raise HfHubHTTPError(f"force_download=True failed: the hub could not be asked about '{filename}' "
                             f"({error}).") from error
    fetch_hint = (
        f"Run `embrace download {repo_id} {filename}"
        + (f" --revision {revision}" if revision != constants.DEFAULT_REVISION else "")
        + (f" --repo-type {repo_type}" if repo_type != constants.REPO_TYPE_MODEL else "")
        + "` where the hub is reachable"
    )
    if local_files_only or isinstance(error, OfflineModeIsEnabled):
        why = "local_files_only=True was passed" if local_files_only else "offline mode is on (HF_HUB_OFFLINE=1)"
        raise LocalEntryNotFoundError(
            f"Cannot find '{filename}' of {repo_type} '{repo_id}' at revision '{revision}' in {where}, and {why}. "
            f"{fetch_hint} (then reuse that cache), point cache_dir/HF_HUB_CACHE at a cache that has it, or "
            + ("pass local_files_only=False." if local_files_only else "unset HF_HUB_OFFLINE.")
        ) from error
    if isinstance(error, (RepositoryNotFoundError, GatedRepoError)) or (
        isinstance(error, HfHubHTTPError) and error.status_code == 401
    ):
        raise error
    if isinstance(error, HfHubHTTPError) and not _is_transient(error):
        problem = f"The hub answered with an error for '{filename}'"
    else:
        problem = f"Cannot reach the hub to fetch '{filename}'"
    raise LocalEntryNotFoundError(
        f"{problem} of {repo_type} '{repo_id}' at revision '{revision}' ({type(error).__name__}: {error}), and it "
        f"is not in {where}. Check your connection, token and HF_ENDPOINT, then retry; or "
        f"{fetch_hint[0].lower() + fetch_hint[1:]} and reuse that cache."
    ) from error


def _hub_metadata(
    request: _FileRequest,
    *,
    local_copy: Callable[[Exception], str | None],
    where: str,
    storage_folder: str | None = None,
    relative_filename: str | None = None,
) -> HfFileMetadata | str:
    """What the hub says about the file; when it cannot answer, the path ``local_copy(error)`` offers
    (unless ``force_download``), else one retry of a transient failure, else a clear error."""
    lookup = dict(storage_folder=storage_folder, relative_filename=relative_filename)
    metadata, error = _metadata_or_error(request, **lookup)
    if error is not None and not request.force_download:
        path = local_copy(error)
        if path is not None:
            return path
        if _is_transient(error):
            logger.info("The hub could not be reached (%s); retrying before giving up.", error)
            metadata, error = _metadata_or_error(request, **lookup, retry=True)
    if error is not None:
        _raise_head_error(error, request, where=where)
    assert metadata is not None
    return metadata


def hf_hub_download(
    repo_id: str,
    filename: str,
    *,
    subfolder: str | None = None,
    repo_type: str | None = None,
    revision: str | None = None,
    library_name: str | None = None,
    library_version: str | None = None,
    cache_dir: str | Path | None = None,
    local_dir: str | Path | None = None,
    user_agent: dict | str | None = None,
    force_download: bool = False,
    etag_timeout: float = constants.DEFAULT_ETAG_TIMEOUT,
    token: bool | str | None = None,
    local_files_only: bool = False,
    headers: dict[str, str] | None = None,
    endpoint: str | None = None,
    tqdm_class: Any = None,
) -> str:
    """Download a file of a hub repo (unless cached) and return its local path.

    Files land in the shared cache (``cache_dir``, default ``HF_HUB_CACHE``) as
    ``<type>s--<org>--<name>/snapshots/<commit>/<filename>``, a symlink into ``blobs/``; with
    ``local_dir`` they are written under that folder instead (bookkeeping in
    ``local_dir/.cache/huggingface/``). ``revision`` is a branch, tag or commit hash (default
    ``"main"``). Offline or with ``local_files_only=True`` nothing touches the network.

    Raises ``RepositoryNotFoundError`` / ``GatedRepoError`` / ``RevisionNotFoundError`` /
    ``EntryNotFoundError`` for what the hub reports, ``LocalEntryNotFoundError`` when the hub is
    out of reach and the file is not cached, ``ChecksumError`` when the bytes do not match.

    Example:
        >>> import tempfile
        >>> hf_hub_download("org/model", "config.json", cache_dir=tempfile.mkdtemp(), local_files_only=True)
        Traceback (most recent call last):
        ...
        embrace.errors.LocalEntryNotFoundError: Cannot find 'config.json' of model 'org/model' at revision 'main' ...
    """
    if constants.etag_timeout() != constants.DEFAULT_ETAG_TIMEOUT:
        etag_timeout = constants.etag_timeout()  # the environment wins, as in the reference
    validate_repo_id(repo_id)
    revision = constants.DEFAULT_REVISION if revision is None else revision
    cache_dir = str(Path(constants.hf_hub_cache() if cache_dir is None else cache_dir).expanduser().resolve())
    if subfolder == "":
        subfolder = None
    if subfolder is not None:
        validate_relative_filename(subfolder, what="subfolder")
        filename = f"{subfolder.strip('/')}/{filename}"
    validate_relative_filename(filename)
    repo_type = _check_repo_type(repo_type)
    hf_headers = _http.build_hf_headers(token=token, library_name=library_name, library_version=library_version,
                                        user_agent=user_agent, headers=headers)
    request = _FileRequest(repo_id=repo_id, filename=filename, repo_type=repo_type, revision=revision,
                           endpoint=endpoint, etag_timeout=etag_timeout, headers=hf_headers,
                           force_download=force_download, local_files_only=local_files_only, tqdm_class=tqdm_class)
    if local_dir is not None:
        return _download_to_local_dir(request, local_dir=Path(local_dir).expanduser().resolve(), cache_dir=cache_dir)
    return _download_to_cache_dir(request, cache_dir=cache_dir)


def _download_to_cache_dir(request: _FileRequest, *, cache_dir: str) -> str:
    repo_id, filename, repo_type, revision = request.repo_id, request.filename, request.repo_type, request.revision
    force_download = request.force_download
    storage_folder = os.path.join(cache_dir, repo_folder_name(repo_id=repo_id, repo_type=repo_type))
    relative_filename = os.path.join(*filename.split("/"))

    # A commit hash never moves: a cached file needs no network at all.
    if REGEX_COMMIT_HASH.match(revision) and not force_download:
        pointer = _pointer_path(storage_folder, revision, relative_filename)
        if os.path.exists(pointer):
            return pointer

    def cached_copy(error: Exception) -> str | None:
        # the hub is out of reach, but the cache may hold the file for the commit the revision last pointed to
        cached_commit = _cached_commit_for(storage_folder, revision)
        if cached_commit is None:
            return None
        pointer = _pointer_path(storage_folder, cached_commit, relative_filename)
        return pointer if os.path.exists(pointer) else None

    answer = _hub_metadata(request, local_copy=cached_copy, where=f"the hub cache ('{storage_folder}')",
                           storage_folder=storage_folder, relative_filename=relative_filename)
    if isinstance(answer, str):
        return answer
    url, etag, commit_hash, size = answer.location, answer.etag, answer.commit_hash, answer.size
    assert etag is not None and commit_hash is not None

    blob_path = os.path.join(storage_folder, "blobs", etag)
    pointer = _pointer_path(storage_folder, commit_hash, relative_filename)
    if not force_download and os.path.exists(pointer):
        try:
            _write_ref(storage_folder, revision, commit_hash)
        except OSError:
            pass  # a read-only cache still serves its files
        return pointer

    os.makedirs(os.path.dirname(blob_path), exist_ok=True)
    os.makedirs(os.path.dirname(pointer), exist_ok=True)
    _create_cachedir_tag(cache_dir)
    _write_ref(storage_folder, revision, commit_hash)

    lock_path = os.path.join(cache_dir, ".locks", repo_folder_name(repo_id=repo_id, repo_type=repo_type),
                             f"{etag}.lock")
    with _Lock(lock_path):
        new_blob = False
        if force_download or not os.path.exists(blob_path):
            _download_to_file(incomplete_path=Path(blob_path + ".incomplete"), destination_path=Path(blob_path),
                              url=url, headers=request.headers, expected_size=size, etag=etag, filename=filename,
                              force_download=force_download, tqdm_class=request.tqdm_class)
            new_blob = True
        if force_download or not os.path.exists(pointer):
            _create_symlink(blob_path, pointer, new_blob=new_blob)
    return pointer


# --- local_dir mode -----------------------------------------------------------------------------


@dataclass
class _LocalPaths:
    file_path: Path
    lock_path: Path
    metadata_path: Path

    def incomplete_path(self, etag: str) -> Path:
        digest = base64.urlsafe_b64encode(hashlib.sha1(self.metadata_path.name.encode()).digest()).decode()
        return self.metadata_path.parent / f"{digest}.{etag}.incomplete"


@dataclass
class _LocalMetadata:
    commit_hash: str
    etag: str
    timestamp: float


def _huggingface_dir(local_dir: Path) -> Path:
    """``local_dir/.cache/huggingface`` with its ``.gitignore`` (``*``) and ``CACHEDIR.TAG``."""
    path = local_dir / ".cache" / "huggingface"
    path.mkdir(parents=True, exist_ok=True)
    _create_cachedir_tag(path)
    gitignore = path / ".gitignore"
    if not gitignore.exists():
        try:
            gitignore.write_text("*")
        except OSError:
            pass
    return path


def _local_paths(local_dir: Path, filename: str) -> _LocalPaths:
    relative = os.path.join(*filename.split("/"))
    file_path = local_dir / relative
    metadata_path = _huggingface_dir(local_dir) / "download" / f"{relative}.metadata"
    file_path.parent.mkdir(parents=True, exist_ok=True)
    metadata_path.parent.mkdir(parents=True, exist_ok=True)
    return _LocalPaths(file_path=file_path, lock_path=metadata_path.with_suffix(".lock"), metadata_path=metadata_path)


def _read_local_metadata(paths: _LocalPaths) -> _LocalMetadata | None:
    with _Lock(paths.lock_path):
        if not paths.metadata_path.exists():
            return None
        try:
            with paths.metadata_path.open() as reader:
                metadata = _LocalMetadata(commit_hash=reader.readline().strip(), etag=reader.readline().strip(),
                                          timestamp=float(reader.readline().strip()))
        except (OSError, ValueError) as error:
            logger.warning("Invalid metadata file %s (%s); removing it.", paths.metadata_path, error)
            paths.metadata_path.unlink(missing_ok=True)
            return None
        try:
            # a file edited after the download has metadata that no longer describes it
            if paths.file_path.stat().st_mtime - 1 <= metadata.timestamp:
                return metadata
        except FileNotFoundError:
            return None
    return None


def _write_local_metadata(paths: _LocalPaths, *, commit_hash: str, etag: str) -> None:
    with _Lock(paths.lock_path):
        with paths.metadata_path.open("w") as writer:
            writer.write(f"{commit_hash}\n{etag}\n{time.time()}\n")


def _sha256_of(path: Path) -> str:
    hasher = hashlib.sha256()
    with open(path, "rb") as reader:
        for block in iter(lambda: reader.read(_http.DOWNLOAD_CHUNK_SIZE), b""):
            hasher.update(block)
    return hasher.hexdigest()


def _download_to_local_dir(request: _FileRequest, *, local_dir: Path, cache_dir: str) -> str:
    repo_id, filename, repo_type, revision = request.repo_id, request.filename, request.repo_type, request.revision
    force_download = request.force_download
    paths = _local_paths(local_dir, filename)
    metadata = _read_local_metadata(paths)
    if (
        REGEX_COMMIT_HASH.match(revision)
        and not force_download
        and paths.file_path.is_file()
        and metadata is not None
        and metadata.commit_hash == revision
    ):
        return str(paths.file_path)

    def existing_file(error: Exception) -> str | None:
        if not paths.file_path.is_file():
            return None
        logger.warning("Could not reach the hub to check '%s' (%s); using the existing local file.", filename, error)
        return str(paths.file_path)

    answer = _hub_metadata(request, local_copy=existing_file, where=f"the local folder '{local_dir}'")
    if isinstance(answer, str):
        return answer
    url, etag, commit_hash, size = answer.location, answer.etag, answer.commit_hash, answer.size
    assert etag is not None and commit_hash is not None

    if not force_download and paths.file_path.is_file():
        if metadata is not None and metadata.etag == etag:
            _write_local_metadata(paths, commit_hash=commit_hash, etag=etag)
            return str(paths.file_path)
        if metadata is None and REGEX_SHA256.match(etag) and _sha256_of(paths.file_path) == etag:
            _write_local_metadata(paths, commit_hash=commit_hash, etag=etag)
            return str(paths.file_path)

    if not force_download:
        from embrace.hub.cache import try_to_load_from_cache

        cached = try_to_load_from_cache(repo_id, filename, cache_dir=cache_dir, revision=commit_hash,
                                        repo_type=repo_type)
        if isinstance(cached, str):
            with _Lock(paths.lock_path):
                shutil.copyfile(cached, paths.file_path)
            _write_local_metadata(paths, commit_hash=commit_hash, etag=etag)
            return str(paths.file_path)

    with _Lock(paths.lock_path):
        paths.file_path.unlink(missing_ok=True)
        _download_to_file(incomplete_path=paths.incomplete_path(etag), destination_path=paths.file_path, url=url,
                          headers=request.headers, expected_size=size, etag=etag, filename=filename,
                          force_download=force_download, tqdm_class=request.tqdm_class)
    _write_local_metadata(paths, commit_hash=commit_hash, etag=etag)
    return str(paths.file_path)


# --- the seam used by resolve_file (from_pretrained and friends) --------------------------------


def download_for_resolve(
    repo_id: str,
    filename: str,
    *,
    revision: str,
    cache_dir: str | os.PathLike | None,
    token: bool | str | None,
    repo_type: str,
    force_download: bool,
    required: bool,
) -> str | None:
    """Fetch a file for :func:`embrace.hub.resolve.resolve_file`; None when the hub says it does not
    exist and ``required`` is False.

    Example:
        >>> from embrace.hub import resolve
        >>> resolve._downloader is not None
        True
    """
    try:
        return hf_hub_download(repo_id, filename, revision=revision, cache_dir=cache_dir, token=token,
                               repo_type=repo_type, force_download=force_download)
    except LocalEntryNotFoundError:
        if not required:
            # The hub is out of reach: an optional file is simply absent when the revision itself is
            # cached (the same answer resolve_file gives offline).
            from embrace.hub.cache import cached_commit, repo_cache_path

            repo_cache = repo_cache_path(repo_id, cache_dir=cache_dir, repo_type=repo_type)
            if os.path.isdir(os.path.join(repo_cache, "snapshots", cached_commit(repo_cache, revision))):
                return None
        raise
    except EntryNotFoundError:
        if not required:
            return None
        raise
