"""A client for the hub's HTTP API: repo info, file listing, repo creation and commits (uploads).

``HfApi`` holds the endpoint and token; the module-level functions (``model_info``,
``upload_file``, ...) call a shared default instance, which reads ``HF_ENDPOINT`` and the token
at call time. Uploads follow the hub's commit protocol:

1. ``POST /api/{type}s/{repo_id}/preupload/{revision}`` tells, per file, whether it goes to
   git ("regular") or to LFS, and the oid the file already has on the hub;
2. LFS files go through the batch API ``POST {repo_id}.git/info/lfs/objects/batch`` and are
   ``PUT`` to the returned URL (basic transfer; multipart when the server asks for it);
3. ``POST /api/{type}s/{repo_id}/commit/{revision}`` sends an NDJSON body: a ``header`` line,
   then one line per operation (``file`` with base64 content, ``lfsFile`` with oid and size,
   ``deletedFile``, ``deletedFolder``).

Nothing here is reached offline: with ``HF_HUB_OFFLINE=1`` every call raises
``OfflineModeIsEnabled`` before any socket is opened.

Example:
    >>> api = HfApi(endpoint="http://127.0.0.1:8000", token=False)
    >>> api.endpoint
    'http://127.0.0.1:8000'
    >>> op = CommitOperationAdd(path_in_repo="config.json", path_or_fileobj=b"{}")
    >>> op.upload_info.size, op.upload_info.sha256.hex()[:8]
    (2, '44136fa3')
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import logging
import math
import os
import warnings
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path, PurePosixPath
from typing import Any, BinaryIO, Union
from urllib.parse import quote, unquote, urlparse

from embrace.errors import (
    EntryNotFoundError,
    GatedRepoError,
    HfHubHTTPError,
    HFValidationError,
    LocalTokenNotFoundError,
    OfflineModeIsEnabled,
    RepositoryNotFoundError,
    RevisionNotFoundError,
)
from embrace.hub import _http, constants
from embrace.hub.cache import validate_repo_id
from embrace.hub.snapshot import filter_repo_objects

logger = logging.getLogger("embrace.hub")

DEFAULT_IGNORE_PATTERNS = [
    ".git",
    ".git/*",
    "*/.git",
    "**/.git/**",
    ".cache/huggingface",
    ".cache/huggingface/*",
    "*/.cache/huggingface",
    "**/.cache/huggingface/**",
]
FORBIDDEN_FOLDERS = [".git", ".cache"]
LFS_HEADERS = {"Accept": "application/vnd.git-lfs+json", "Content-Type": "application/vnd.git-lfs+json"}
_PREUPLOAD_BATCH = 256
_SAMPLE_SIZE = 512
_HASH_BLOCK = 8 * 1024 * 1024


# --- result types ---------------------------------------------------------------------------


def _parse_datetime(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


@dataclass
class BlobLfsInfo(dict):
    """LFS details of a file: ``size``, ``sha256`` and ``pointer_size`` (also readable as dict keys)."""

    size: int
    sha256: str
    pointer_size: int

    def __post_init__(self) -> None:
        self.update(size=self.size, sha256=self.sha256, pointer_size=self.pointer_size)


@dataclass
class RepoSibling:
    """One file of a repo as listed by ``model_info``: ``rfilename`` always; ``size``, ``blob_id``
    and ``lfs`` with ``files_metadata=True``."""

    rfilename: str
    size: int | None = None
    blob_id: str | None = None
    lfs: BlobLfsInfo | None = None


@dataclass
class RepoFile:
    """A file in a tree listing (``list_repo_tree``)."""

    path: str
    size: int
    blob_id: str
    lfs: BlobLfsInfo | None = None

    @property
    def rfilename(self) -> str:
        return self.path


@dataclass
class RepoFolder:
    """A folder in a tree listing (``list_repo_tree``)."""

    path: str
    tree_id: str


class RepoInfo:
    """What the hub says about a repo; ``id``, ``sha`` and ``siblings`` plus every other field it sent
    (as attributes, with the reference's snake_case names for the common ones)."""

    repo_type = "model"

    def __init__(self, **data: Any) -> None:
        self.id: str = data.pop("id", None) or data.pop("_id", None)
        data.pop("_id", None)
        self.author = data.pop("author", None)
        self.sha: str | None = data.pop("sha", None)
        self.private = data.pop("private", None)
        self.gated = data.pop("gated", None)
        self.disabled = data.pop("disabled", None)
        self.downloads = data.pop("downloads", None)
        self.likes = data.pop("likes", None)
        self.tags = data.pop("tags", None)
        self.card_data = data.pop("cardData", None) or data.pop("card_data", None)
        last_modified = data.pop("lastModified", None) or data.pop("last_modified", None)
        self.last_modified = _parse_datetime(last_modified)
        created_at = data.pop("createdAt", None) or data.pop("created_at", None)
        self.created_at = _parse_datetime(created_at)
        siblings = data.pop("siblings", None)
        self.siblings: list[RepoSibling] | None = None
        if siblings is not None:
            self.siblings = [
                RepoSibling(
                    rfilename=item["rfilename"],
                    size=item.get("size"),
                    blob_id=item.get("blobId"),
                    lfs=BlobLfsInfo(size=item["lfs"]["size"], sha256=item["lfs"]["sha256"],
                                    pointer_size=item["lfs"].get("pointerSize", 0)) if item.get("lfs") else None,
                )
                for item in siblings
            ]
        # backwards-compatible camelCase aliases, as in the reference
        self.lastModified = self.last_modified
        self.cardData = self.card_data
        self.__dict__.update(data)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(id={self.id!r}, sha={self.sha!r}, private={self.private!r})"


class ModelInfo(RepoInfo):
    """Information about a model repo (``model_info``)."""

    def __init__(self, **data: Any) -> None:
        self.pipeline_tag = data.pop("pipeline_tag", None)
        self.library_name = data.pop("library_name", None)
        self.config = data.pop("config", None)
        super().__init__(**data)


class DatasetInfo(RepoInfo):
    """Information about a dataset repo (``dataset_info``)."""

    repo_type = "dataset"


class SpaceInfo(RepoInfo):
    """Information about a Space repo (``space_info``)."""

    repo_type = "space"

    def __init__(self, **data: Any) -> None:
        self.sdk = data.pop("sdk", None)
        super().__init__(**data)


class RepoUrl(str):
    """The URL of a repo (a ``str``) with ``endpoint``, ``repo_type``, ``repo_id``, ``namespace`` and ``repo_name``.

    Example:
        >>> url = RepoUrl("http://h/datasets/org/data", endpoint="http://h")
        >>> url.repo_type, url.repo_id, url.namespace
        ('dataset', 'org/data', 'org')
    """

    def __new__(cls, url: Any, endpoint: str | None = None) -> "RepoUrl":
        return super().__new__(cls, url)

    def __init__(self, url: Any, endpoint: str | None = None) -> None:
        super().__init__()
        self.endpoint = (endpoint or constants.endpoint()).rstrip("/")
        path = str(self)
        if path.startswith(self.endpoint):
            path = path[len(self.endpoint):]
        else:
            path = urlparse(path).path
        parts = [p for p in path.strip("/").split("/") if p]
        repo_type = constants.REPO_TYPE_MODEL
        if parts and parts[0] in constants.REPO_TYPES_MAPPING:
            repo_type = constants.REPO_TYPES_MAPPING[parts[0]]
            parts = parts[1:]
        self.repo_type = repo_type
        self.repo_id = "/".join(parts[:2])
        self.namespace = parts[0] if len(parts) == 2 else None
        self.repo_name = parts[-1] if parts else ""
        self.url = str(self)

    def __repr__(self) -> str:
        return f"RepoUrl('{self}', endpoint='{self.endpoint}', repo_type='{self.repo_type}', repo_id='{self.repo_id}')"


class CommitInfo(str):
    """The commit a call created (a ``str``: its URL) with ``oid``, ``commit_url``, ``commit_message``,
    ``commit_description``, ``pr_url``, ``pr_revision``, ``pr_num`` and ``repo_url``.

    Example:
        >>> info = CommitInfo(commit_url="http://h/org/m/commit/" + "a" * 40, commit_message="m", oid="a" * 40,
        ...                   _endpoint="http://h")
        >>> info.repo_url.repo_id, info.pr_num
        ('org/m', None)
    """

    def __new__(cls, commit_url: str, *args: Any, **kwargs: Any) -> "CommitInfo":
        return str.__new__(cls, commit_url)

    def __init__(
        self,
        commit_url: str,
        commit_message: str,
        commit_description: str = "",
        oid: str = "",
        pr_url: str | None = None,
        _endpoint: str | None = None,
    ) -> None:
        super().__init__()
        self.commit_url = commit_url
        self.commit_message = commit_message
        self.commit_description = commit_description
        self.oid = oid
        self.pr_url = pr_url
        self._endpoint = _endpoint
        self.repo_url = RepoUrl(commit_url.split("/commit/")[0], endpoint=_endpoint)
        if pr_url is not None:
            self.pr_num: int | None = int(pr_url.rstrip("/").split("/")[-1])
            self.pr_revision: str | None = f"refs/pr/{self.pr_num}"
        else:
            self.pr_num = None
            self.pr_revision = None

    def __reduce__(self) -> Any:
        return type(self), (self.commit_url, self.commit_message, self.commit_description, self.oid, self.pr_url,
                            self._endpoint)


# --- commit operations ----------------------------------------------------------------------


def _validate_path_in_repo(path_in_repo: str) -> str:
    if path_in_repo.startswith("/"):
        path_in_repo = path_in_repo[1:]
    if path_in_repo == "." or any(part == ".." for part in path_in_repo.split("/")):
        raise HFValidationError(f"Invalid path_in_repo '{path_in_repo}': it must not be '.' or contain '..'.")
    if path_in_repo.startswith("./"):
        path_in_repo = path_in_repo[2:]
    for forbidden in FORBIDDEN_FOLDERS:
        if forbidden in path_in_repo.split("/"):
            raise HFValidationError(
                f"Invalid path_in_repo '{path_in_repo}': files under a '{forbidden}/' folder cannot be committed."
            )
    return path_in_repo


def git_blob_hash(data: bytes) -> str:
    """The git object id of a blob (what the hub calls the oid of a regular file).

    Example:
        >>> git_blob_hash(b"")
        'e69de29bb2d1d6434b8b29ae775ad8c2e48c5391'
    """
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


class UploadInfo:
    """Size, first 512 bytes and (lazily computed) sha256 of a file to upload."""

    def __init__(self, size: int, sample: bytes, sha256: bytes | None = None, source_path: str | None = None):
        if sha256 is None and source_path is None:
            raise ValueError("UploadInfo needs either sha256 or source_path.")
        self.size, self.sample, self._sha256, self._source_path = size, sample, sha256, source_path

    @property
    def sha256(self) -> bytes:
        if self._sha256 is None:
            hasher = hashlib.sha256()
            with open(self._source_path, "rb") as reader:  # type: ignore[arg-type]
                for block in iter(lambda: reader.read(_HASH_BLOCK), b""):
                    hasher.update(block)
            self._sha256 = hasher.digest()
        return self._sha256

    @classmethod
    def from_path(cls, path: str) -> "UploadInfo":
        with open(path, "rb") as reader:
            sample = reader.read(_SAMPLE_SIZE)
        return cls(size=os.path.getsize(path), sample=sample, source_path=path)

    @classmethod
    def from_bytes(cls, data: bytes) -> "UploadInfo":
        return cls(size=len(data), sample=data[:_SAMPLE_SIZE], sha256=hashlib.sha256(data).digest())

    @classmethod
    def from_fileobj(cls, fileobj: BinaryIO) -> "UploadInfo":
        start = fileobj.tell()
        hasher = hashlib.sha256()
        sample = fileobj.read(_SAMPLE_SIZE)
        hasher.update(sample)
        for block in iter(lambda: fileobj.read(_HASH_BLOCK), b""):
            hasher.update(block)
        size = fileobj.tell() - start
        fileobj.seek(start)
        return cls(size=size, sample=sample, sha256=hasher.digest())


@dataclass
class CommitOperationAdd:
    """Add or replace ``path_in_repo`` with a local file path, bytes, or a binary file object.

    Example:
        >>> CommitOperationAdd(path_in_repo="/weights/a.bin", path_or_fileobj=b"xyz").path_in_repo
        'weights/a.bin'
    """

    path_in_repo: str
    path_or_fileobj: Union[str, Path, bytes, BinaryIO]
    upload_info: UploadInfo = field(init=False, repr=False)
    _upload_mode: str | None = field(init=False, repr=False, default=None)
    _should_ignore: bool | None = field(init=False, repr=False, default=None)
    _remote_oid: str | None = field(init=False, repr=False, default=None)
    _is_uploaded: bool = field(init=False, repr=False, default=False)
    _is_committed: bool = field(init=False, repr=False, default=False)

    def __post_init__(self) -> None:
        self.path_in_repo = _validate_path_in_repo(self.path_in_repo)
        if isinstance(self.path_or_fileobj, Path):
            self.path_or_fileobj = str(self.path_or_fileobj)
        if isinstance(self.path_or_fileobj, str):
            self.path_or_fileobj = os.path.normpath(os.path.expanduser(self.path_or_fileobj))
            if not os.path.isfile(self.path_or_fileobj):
                raise HFValidationError(f"'{self.path_or_fileobj}' is not a file on the local file system.")
            self.upload_info = UploadInfo.from_path(self.path_or_fileobj)
        elif isinstance(self.path_or_fileobj, (bytes, bytearray)):
            self.path_or_fileobj = bytes(self.path_or_fileobj)
            self.upload_info = UploadInfo.from_bytes(self.path_or_fileobj)
        elif isinstance(self.path_or_fileobj, io.BufferedIOBase) or (
            hasattr(self.path_or_fileobj, "read") and hasattr(self.path_or_fileobj, "seek")
        ):
            self.upload_info = UploadInfo.from_fileobj(self.path_or_fileobj)  # type: ignore[arg-type]
        else:
            raise HFValidationError(
                "path_or_fileobj must be a file path (str or Path), bytes, or a binary file object with seek() and "
                f"tell(); got {type(self.path_or_fileobj).__name__}."
            )

    def as_file(self) -> BinaryIO:
        """A readable binary file object over the content (rewound; the caller closes it)."""
        if isinstance(self.path_or_fileobj, str):
            return open(self.path_or_fileobj, "rb")
        if isinstance(self.path_or_fileobj, bytes):
            return io.BytesIO(self.path_or_fileobj)
        return _Unclosable(self.path_or_fileobj)  # type: ignore[arg-type]

    def read_all(self) -> bytes:
        with self.as_file() as handle:
            return handle.read()

    def b64content(self) -> bytes:
        """The base64-encoded content (what a regular file carries in a commit)."""
        return base64.b64encode(self.read_all())

    @property
    def _local_oid(self) -> str | None:
        if self._upload_mode is None:
            return None
        if self._upload_mode == "lfs":
            return self.upload_info.sha256.hex()
        return git_blob_hash(self.read_all())


class _Unclosable(io.RawIOBase):
    """Wraps a caller's file object: reads from where it started, and leaves it open and rewound on close."""

    def __init__(self, inner: BinaryIO) -> None:
        super().__init__()
        self._inner, self._start = inner, inner.tell()

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self._inner.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def read(self, size: int = -1) -> bytes:
        return self._inner.read(size)

    def seekable(self) -> bool:
        return True

    def seek(self, offset: int, whence: int = 0) -> int:
        if whence == 0:
            return self._inner.seek(self._start + offset) - self._start
        return self._inner.seek(offset, whence) - self._start

    def tell(self) -> int:
        return self._inner.tell() - self._start

    def close(self) -> None:
        self._inner.seek(self._start)
        super().close()


@dataclass
class CommitOperationDelete:
    """Delete a file, or a folder when the path ends with ``/`` (or ``is_folder=True``).

    Example:
        >>> CommitOperationDelete(path_in_repo="logs/").is_folder
        True
    """

    path_in_repo: str
    is_folder: bool | str = "auto"

    def __post_init__(self) -> None:
        self.path_in_repo = _validate_path_in_repo(self.path_in_repo)
        if self.is_folder == "auto":
            self.is_folder = self.path_in_repo.endswith("/")
        if not isinstance(self.is_folder, bool):
            raise HFValidationError(f"is_folder must be True, False or 'auto', got {self.is_folder!r}.")


CommitOperation = Union[CommitOperationAdd, CommitOperationDelete]


# --- the client -----------------------------------------------------------------------------


def _check_repo_type(repo_type: str | None) -> str:
    if repo_type is None:
        return constants.REPO_TYPE_MODEL
    if repo_type not in constants.REPO_TYPES_WITH_KERNEL:
        valid = ", ".join(t for t in constants.REPO_TYPES_WITH_KERNEL if t)
        raise HFValidationError(f"Invalid repo type {repo_type!r}. Valid repo types are: {valid}.")
    return repo_type


class HfApi:
    """A hub API client bound to an endpoint (default ``HF_ENDPOINT``) and a token (default ``HF_TOKEN``
    or the token file; ``token=False`` sends none).

    Example:
        >>> HfApi(token=False).endpoint == constants.endpoint()
        True
    """

    def __init__(
        self,
        endpoint: str | None = None,
        token: str | bool | None = None,
        library_name: str | None = None,
        library_version: str | None = None,
        user_agent: dict | str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        self._endpoint = endpoint.rstrip("/") if endpoint else None
        self.token = token
        self.library_name = library_name
        self.library_version = library_version
        self.user_agent = user_agent
        self.headers = headers

    @property
    def endpoint(self) -> str:
        """The hub URL (``HF_ENDPOINT`` at call time unless set explicitly)."""
        return self._endpoint or constants.endpoint()

    # --- plumbing ------------------------------------------------------------------------

    def _build_hf_headers(self, token: bool | str | None = None) -> dict[str, str]:
        if token is None:
            token = self.token
        return _http.build_hf_headers(token=token, library_name=self.library_name,
                                      library_version=self.library_version, user_agent=self.user_agent,
                                      headers=self.headers)

    def _request(self, method: str, url: str, *, token: bool | str | None = None, retry: bool = True,
                 endpoint_name: str | None = None, extra_headers: dict[str, str] | None = None,
                 **kwargs: Any) -> Any:
        if constants.is_offline_mode():
            raise OfflineModeIsEnabled(
                f"Cannot reach {url}: offline mode is enabled (HF_HUB_OFFLINE=1). Unset HF_HUB_OFFLINE to use the hub."
            )
        headers = self._build_hf_headers(token)
        if extra_headers:
            headers.update(extra_headers)
        response = _http.request(method, url, headers=headers, retry=retry, **kwargs)
        _http.hf_raise_for_status(response, endpoint_name=endpoint_name)
        return response

    def _api_url(self, repo_type: str, repo_id: str) -> str:
        return f"{self.endpoint}/api/{repo_type}s/{repo_id}"

    # --- reading -------------------------------------------------------------------------

    def whoami(self, token: bool | str | None = None) -> dict:
        """Who the token belongs to (``name``, ``type``, ``orgs``, ``auth``...): ``GET /api/whoami-v2``.

        Example:
            >>> HfApi(token=False).whoami()
            Traceback (most recent call last):
            ...
            embrace.errors.HFValidationError: whoami needs a token, but token=False was passed.
        """
        token = self.token if token is None else token
        if token is False:
            raise HFValidationError("whoami needs a token, but token=False was passed.")
        if token is None or token is True:
            token = constants.get_token()
        if token is None:
            raise LocalTokenNotFoundError(
                "whoami needs a token and none is set: set HF_TOKEN, write it to "
                f"{constants.hf_token_path()}, or pass token='hf_...'."
            )
        try:
            return self._request("GET", f"{self.endpoint}/api/whoami-v2", token=token).json()
        except HfHubHTTPError as error:
            if error.status_code == 401:
                raise HfHubHTTPError("Invalid user token: the hub did not accept it. Check HF_TOKEN / token=.",
                                     status_code=401) from error
            raise

    def repo_info(
        self,
        repo_id: str,
        *,
        revision: str | None = None,
        repo_type: str | None = None,
        timeout: float | None = None,
        files_metadata: bool = False,
        token: bool | str | None = None,
    ) -> ModelInfo | DatasetInfo | SpaceInfo:
        """Information about a repo at a revision: ``GET /api/{type}s/{repo_id}[/revision/{revision}]``.

        ``files_metadata=True`` adds size, blob id and LFS sha256 to each sibling.

        Example:
            >>> info = HfApi().repo_info("org/model", files_metadata=True)  # doctest: +SKIP
            >>> info.sha, [(s.rfilename, s.size) for s in info.siblings]  # doctest: +SKIP
            ('1f2e...', [('config.json', 612), ('model.safetensors', 437955512)])
        """
        validate_repo_id(repo_id)
        repo_type = _check_repo_type(repo_type)
        url = self._api_url(repo_type, repo_id)
        if revision is not None:
            url += f"/revision/{quote(revision, safe='')}"
        params = {"blobs": "true"} if files_metadata else None
        data = self._request("GET", url, token=token, params=params, timeout=timeout).json()
        cls = {"dataset": DatasetInfo, "space": SpaceInfo}.get(repo_type, ModelInfo)
        return cls(**data)

    def model_info(self, repo_id: str, *, revision: str | None = None, timeout: float | None = None,
                   files_metadata: bool = False, token: bool | str | None = None) -> ModelInfo:
        """Information about a model repo (see :meth:`repo_info`)."""
        return self.repo_info(repo_id, revision=revision, repo_type="model", timeout=timeout,  # type: ignore
                              files_metadata=files_metadata, token=token)

    def dataset_info(self, repo_id: str, *, revision: str | None = None, timeout: float | None = None,
                     files_metadata: bool = False, token: bool | str | None = None) -> DatasetInfo:
        """Information about a dataset repo (see :meth:`repo_info`)."""
        return self.repo_info(repo_id, revision=revision, repo_type="dataset", timeout=timeout,  # type: ignore
                              files_metadata=files_metadata, token=token)

    def space_info(self, repo_id: str, *, revision: str | None = None, timeout: float | None = None,
                   files_metadata: bool = False, token: bool | str | None = None) -> SpaceInfo:
        """Information about a Space repo (see :meth:`repo_info`)."""
        return self.repo_info(repo_id, revision=revision, repo_type="space", timeout=timeout,  # type: ignore
                              files_metadata=files_metadata, token=token)

    def repo_exists(self, repo_id: str, *, repo_type: str | None = None, token: bool | str | None = None) -> bool:
        """Whether the repo exists (a gated repo exists even without access).

        Example:
            >>> HfApi().repo_exists("org/not-a-repo")  # doctest: +SKIP
            False
        """
        try:
            self.repo_info(repo_id, repo_type=repo_type, token=token)
            return True
        except GatedRepoError:
            return True
        except RepositoryNotFoundError:
            return False

    def revision_exists(self, repo_id: str, revision: str, *, repo_type: str | None = None,
                        token: bool | str | None = None) -> bool:
        """Whether the repo has this branch, tag or commit."""
        try:
            self.repo_info(repo_id, revision=revision, repo_type=repo_type, token=token)
            return True
        except (RevisionNotFoundError, RepositoryNotFoundError):
            return False

    def file_exists(self, repo_id: str, filename: str, *, repo_type: str | None = None, revision: str | None = None,
                    token: bool | str | None = None) -> bool:
        """Whether the file exists in the repo at the revision (one ``HEAD`` request); gated repos raise.

        Example:
            >>> HfApi().file_exists("org/model", "config.json")  # doctest: +SKIP
            True
        """
        from embrace.hub.download import _fetch_metadata, hf_hub_url

        if constants.is_offline_mode():
            raise OfflineModeIsEnabled("file_exists needs the hub, but offline mode is enabled (HF_HUB_OFFLINE=1).")
        url = hf_hub_url(repo_id, filename, repo_type=repo_type, revision=revision, endpoint=self.endpoint)
        headers = self._build_hf_headers(token)
        headers["Accept-Encoding"] = "identity"
        try:
            _fetch_metadata(url, headers=headers, timeout=constants.etag_timeout(), retry=True)
            return True
        except GatedRepoError:
            raise
        except (RepositoryNotFoundError, EntryNotFoundError, RevisionNotFoundError):
            return False

    def list_repo_files(self, repo_id: str, *, revision: str | None = None, repo_type: str | None = None,
                        token: bool | str | None = None) -> list[str]:
        """All file paths of the repo at the revision (from the repo info's siblings).

        Example:
            >>> HfApi().list_repo_files("org/model")  # doctest: +SKIP
            ['.gitattributes', 'config.json', 'model.safetensors']
        """
        info = self.repo_info(repo_id, revision=revision, repo_type=repo_type, token=token)
        return [sibling.rfilename for sibling in info.siblings or []]

    def list_repo_tree(self, repo_id: str, path_in_repo: str | None = None, *, recursive: bool = False,
                       revision: str | None = None, repo_type: str | None = None,
                       token: bool | str | None = None) -> Iterator[RepoFile | RepoFolder]:
        """Files and folders under ``path_in_repo``: ``GET /api/{type}s/{repo_id}/tree/{revision}[/{path}]``
        (pages followed through the ``Link`` header)."""
        repo_type = _check_repo_type(repo_type)
        revision = quote(revision or constants.DEFAULT_REVISION, safe="")
        path = "/" + quote(path_in_repo.strip("/")) if path_in_repo else ""
        url: str | None = f"{self._api_url(repo_type, repo_id)}/tree/{revision}{path}"
        params: dict[str, str] | None = {"recursive": "true" if recursive else "false"}
        while url:
            response = self._request("GET", url, token=token, params=params)
            for item in response.json():
                if item.get("type") == "directory":
                    yield RepoFolder(path=item["path"], tree_id=item.get("oid", ""))
                else:
                    lfs = item.get("lfs")
                    yield RepoFile(path=item["path"], size=item.get("size", 0), blob_id=item.get("oid", ""),
                                   lfs=BlobLfsInfo(size=lfs["size"], sha256=lfs["oid"],
                                                   pointer_size=lfs.get("pointerSize", 0)) if lfs else None)
            url = response.links.get("next", {}).get("url")
            params = None

    # --- repos ---------------------------------------------------------------------------

    def create_repo(
        self,
        repo_id: str,
        *,
        token: bool | str | None = None,
        private: bool | None = None,
        repo_type: str | None = None,
        exist_ok: bool = False,
        space_sdk: str | None = None,
    ) -> RepoUrl:
        """Create a repo: ``POST /api/repos/create``; with ``exist_ok=True`` an existing repo is fine.

        Example:
            >>> HfApi(endpoint="http://127.0.0.1:9").create_repo("a/b/c")
            Traceback (most recent call last):
            ...
            embrace.errors.HFValidationError: Repo id must be 'name' or 'org/name', got 'a/b/c'.
        """
        validate_repo_id(repo_id)
        repo_type = _check_repo_type(repo_type) if repo_type is not None else None
        organization, name = repo_id.split("/") if "/" in repo_id else (None, repo_id)
        payload: dict[str, Any] = {"name": name, "organization": organization}
        if private is not None:
            payload["visibility"] = "private" if private else "public"
        if repo_type is not None:
            payload["type"] = repo_type
        if repo_type == "space":
            if space_sdk is None:
                raise HFValidationError(
                    "Creating a Space needs space_sdk ('gradio', 'streamlit', 'docker' or 'static')."
                )
            payload["sdk"] = space_sdk
        url = f"{self.endpoint}/api/repos/create"
        try:
            response = self._request("POST", url, token=token, json_body=payload, retry=False)
        except HfHubHTTPError as error:
            response = getattr(error, "response", None)
            if exist_ok and error.status_code == 409 and response is not None:
                try:
                    return RepoUrl(response.json()["url"], endpoint=self.endpoint)
                except (ValueError, KeyError, TypeError):
                    return self._repo_url(repo_id, repo_type)
            if exist_ok and error.status_code in (401, 402, 403):
                try:  # no right to create, but the repo may already be there
                    self.repo_info(repo_id, repo_type=repo_type, token=token)
                    return self._repo_url(repo_id, repo_type)
                except HfHubHTTPError:
                    raise error from None
            raise
        return RepoUrl(response.json()["url"], endpoint=self.endpoint)

    def _repo_url(self, repo_id: str, repo_type: str | None) -> RepoUrl:
        prefix = constants.REPO_TYPES_URL_PREFIXES.get(repo_type or "model", "")
        return RepoUrl(f"{self.endpoint}/{prefix}{repo_id}", endpoint=self.endpoint)

    def delete_repo(self, repo_id: str, *, token: bool | str | None = None, repo_type: str | None = None,
                    missing_ok: bool = False) -> None:
        """Delete a repo: ``DELETE /api/repos/delete``."""
        organization, name = repo_id.split("/") if "/" in repo_id else (None, repo_id)
        payload: dict[str, Any] = {"name": name, "organization": organization}
        if repo_type is not None:
            payload["type"] = _check_repo_type(repo_type)
        try:
            self._request("DELETE", f"{self.endpoint}/api/repos/delete", token=token, json_body=payload, retry=False)
        except RepositoryNotFoundError:
            if not missing_ok:
                raise

    # --- commits -------------------------------------------------------------------------

    def create_commit(
        self,
        repo_id: str,
        operations: Iterable[CommitOperation],
        *,
        commit_message: str,
        commit_description: str | None = None,
        token: bool | str | None = None,
        repo_type: str | None = None,
        revision: str | None = None,
        create_pr: bool | None = None,
        num_threads: int = 5,
        parent_commit: str | None = None,
    ) -> CommitInfo:
        """Create one commit with file additions and deletions (the repo must exist).

        Example:
            >>> HfApi().create_commit("me/model", [CommitOperationAdd("config.json", b"{}"),
            ...                                    CommitOperationDelete("old/")],
            ...                       commit_message="new config, drop old/")  # doctest: +SKIP
            CommitInfo('http://127.0.0.1:8000/me/model/commit/...')
        """
        if not commit_message:
            raise HFValidationError("commit_message must be a non-empty string.")
        if parent_commit is not None and not (len(parent_commit) == 40 and all(c in "0123456789abcdef"
                                                                               for c in parent_commit)):
            raise HFValidationError(f"parent_commit must be a full 40-character commit hash, got {parent_commit!r}.")
        validate_repo_id(repo_id)
        repo_type = _check_repo_type(repo_type)
        unquoted_revision = revision or constants.DEFAULT_REVISION
        quoted_revision = quote(unquoted_revision, safe="")
        create_pr = bool(create_pr)
        commit_description = commit_description or ""
        operations = list(operations)
        additions = [op for op in operations if isinstance(op, CommitOperationAdd)]
        for addition in additions:
            if addition._is_committed:
                raise HFValidationError(f"{addition} was already committed; create a new CommitOperationAdd.")
        _warn_on_overwrites(operations)

        try:
            self.preupload_lfs_files(repo_id, additions, token=token, repo_type=repo_type,
                                     revision=unquoted_revision, create_pr=create_pr, num_threads=num_threads)
        except RepositoryNotFoundError as error:
            raise _with_hint(error, _NO_REPO_HINT)

        deleted = {op.path_in_repo.rstrip("/") for op in operations if isinstance(op, CommitOperationDelete)}

        def is_deleted(path: str) -> bool:
            return path in deleted or any(str(parent) in deleted for parent in PurePosixPath(path).parents)

        to_commit = [
            op for op in operations
            if not (isinstance(op, CommitOperationAdd) and op._remote_oid is not None
                    and op._remote_oid == op._local_oid and not is_deleted(op.path_in_repo))
        ]
        if not to_commit:
            logger.warning("No files have been modified since the last commit; skipping the empty commit.")
            info = self.repo_info(repo_id, repo_type=repo_type, revision=unquoted_revision, token=token)
            prefix = f"{self.endpoint}/{repo_type}s" if repo_type != "model" else self.endpoint
            return CommitInfo(commit_url=f"{prefix}/{repo_id}/commit/{info.sha}", commit_message=commit_message,
                              commit_description=commit_description, oid=info.sha or "", _endpoint=self.endpoint)

        lines: list[dict[str, Any]] = [{"key": "header", "value": {"summary": commit_message,
                                                                   "description": commit_description}}]
        if parent_commit is not None:
            lines[0]["value"]["parentCommit"] = parent_commit
        for op in to_commit:
            if isinstance(op, CommitOperationAdd):
                if op._should_ignore:
                    continue
                if op._upload_mode == "lfs":
                    lines.append({"key": "lfsFile", "value": {"path": op.path_in_repo, "algo": "sha256",
                                                              "oid": op.upload_info.sha256.hex(),
                                                              "size": op.upload_info.size}})
                else:
                    lines.append({"key": "file", "value": {"content": op.b64content().decode(),
                                                           "path": op.path_in_repo, "encoding": "base64"}})
            else:
                lines.append({"key": "deletedFolder" if op.is_folder else "deletedFile",
                              "value": {"path": op.path_in_repo}})
        body = b"".join(json.dumps(line).encode() + b"\n" for line in lines)
        url = f"{self._api_url(repo_type, repo_id)}/commit/{quoted_revision}"
        try:
            response = self._request("POST", url, token=token, content=body, retry=False, endpoint_name="commit",
                                     params={"create_pr": "1"} if create_pr else None,
                                     extra_headers={"Content-Type": "application/x-ndjson"})
        except RepositoryNotFoundError as error:
            raise _with_hint(error, _NO_REPO_HINT)
        data = response.json()
        for addition in additions:
            addition._is_committed = True
        return CommitInfo(commit_url=data["commitUrl"], commit_message=commit_message,
                          commit_description=commit_description, oid=data["commitOid"],
                          pr_url=data.get("pullRequestUrl") if create_pr else None, _endpoint=self.endpoint)

    def preupload_lfs_files(
        self,
        repo_id: str,
        additions: Iterable[CommitOperationAdd],
        *,
        token: bool | str | None = None,
        repo_type: str | None = None,
        revision: str | None = None,
        create_pr: bool | None = None,
        num_threads: int = 5,
    ) -> None:
        """Ask the hub how each file is stored (git or LFS) and upload the LFS ones ahead of the commit."""
        repo_type = _check_repo_type(repo_type)
        unquoted_revision = revision or constants.DEFAULT_REVISION
        additions = [op for op in additions if not op._is_uploaded]
        pending = [op for op in additions if op._upload_mode is None]
        for start in range(0, len(pending), _PREUPLOAD_BATCH):
            chunk = pending[start:start + _PREUPLOAD_BATCH]
            payload = {"files": [{"path": op.path_in_repo,
                                  "sample": base64.b64encode(op.upload_info.sample).decode("ascii"),
                                  "size": op.upload_info.size} for op in chunk]}
            url = f"{self._api_url(repo_type, repo_id)}/preupload/{quote(unquoted_revision, safe='')}"
            response = self._request("POST", url, token=token, json_body=payload,
                                     params={"create_pr": "1"} if create_pr else None)
            files = response.json().get("files")
            if not isinstance(files, list):
                raise HfHubHTTPError(f"Malformed preupload answer from {url}: no 'files' list.")
            by_path = {item["path"]: item for item in files}
            for op in chunk:
                item = by_path.get(op.path_in_repo)
                if item is None or item.get("uploadMode") not in ("lfs", "regular"):
                    raise HfHubHTTPError(f"Malformed preupload answer from {url} for '{op.path_in_repo}'.")
                op._upload_mode = item["uploadMode"]
                op._should_ignore = bool(item.get("shouldIgnore", False))
                op._remote_oid = item.get("oid")
                if op.upload_info.size == 0:
                    op._upload_mode = "regular"  # empty files always go to git
        lfs_ops = [op for op in additions if op._upload_mode == "lfs" and not op._should_ignore]
        if lfs_ops:
            self._upload_lfs(repo_id, lfs_ops, token=token, repo_type=repo_type, revision=unquoted_revision,
                             num_threads=num_threads)
        for op in lfs_ops:
            op._is_uploaded = True

    def _upload_lfs(self, repo_id: str, operations: list[CommitOperationAdd], *, token: bool | str | None,
                    repo_type: str, revision: str, num_threads: int) -> None:
        prefix = constants.REPO_TYPES_URL_PREFIXES.get(repo_type, "")
        batch_url = f"{self.endpoint}/{prefix}{repo_id}.git/info/lfs/objects/batch"
        by_oid = {op.upload_info.sha256.hex(): op for op in operations}
        actions: list[dict[str, Any]] = []
        for start in range(0, len(operations), _PREUPLOAD_BATCH):
            chunk = operations[start:start + _PREUPLOAD_BATCH]
            payload = {
                "operation": "upload",
                "transfers": ["basic", "multipart"],
                "objects": [{"oid": op.upload_info.sha256.hex(), "size": op.upload_info.size} for op in chunk],
                "hash_algo": "sha256",
                "ref": {"name": unquote(revision)},
            }
            response = self._request("POST", batch_url, token=token, json_body=payload, extra_headers=LFS_HEADERS)
            objects = response.json().get("objects")
            if not isinstance(objects, list):
                raise HfHubHTTPError(f"Malformed LFS batch answer from {batch_url}: no 'objects' list.")
            errors = [obj for obj in objects if "error" in obj]
            if errors:
                listing = "\n".join(f"- {by_oid.get(e.get('oid'), e.get('oid'))}: {e['error'].get('message')}"
                                    for e in errors)
                raise HfHubHTTPError(f"The LFS batch API refused some files:\n{listing}")
            actions.extend(obj for obj in objects if obj.get("actions"))

        def upload(action: dict[str, Any]) -> None:
            operation = by_oid[action["oid"]]
            try:
                self._lfs_upload_one(operation, action, token=token)
            except Exception as error:
                raise HfHubHTTPError(f"Uploading '{operation.path_in_repo}' to the LFS storage failed: {error}") \
                    from error

        if len(actions) <= 1 or num_threads <= 1:
            for action in actions:
                upload(action)
        else:
            with ThreadPoolExecutor(max_workers=num_threads, thread_name_prefix="embrace-upload") as pool:
                list(pool.map(upload, actions))

    def _fix_url(self, url: str) -> str:
        """Hub-issued URLs that name huggingface.co go to the configured endpoint instead (mirrors, tests)."""
        default = constants._DEFAULT_ENDPOINT
        if self.endpoint != default and url.startswith(default):
            return self.endpoint + url[len(default):]
        return url

    def _lfs_upload_one(self, operation: CommitOperationAdd, action: dict[str, Any], *,
                        token: bool | str | None) -> None:
        upload = action["actions"].get("upload")
        verify = action["actions"].get("verify")
        if upload is None or not isinstance(upload.get("href"), str):
            raise HfHubHTTPError("Malformed LFS batch answer: the upload action has no href.")
        header = dict(upload.get("header") or {})
        upload_url = self._fix_url(upload["href"])
        chunk_size = header.pop("chunk_size", None)
        if chunk_size is not None:
            self._lfs_multipart(operation, header, int(chunk_size), upload_url)
        else:
            extra = {k: str(v) for k, v in header.items() if not k.isdigit()}
            with operation.as_file() as handle:
                response = _http.request("PUT", upload_url, content=handle, headers=extra or None)
            _http.hf_raise_for_status(response)
        if verify is not None:
            response = _http.request("POST", self._fix_url(verify["href"]), headers=self._build_hf_headers(token),
                                     json_body={"oid": operation.upload_info.sha256.hex(),
                                                "size": operation.upload_info.size})
            _http.hf_raise_for_status(response)

    def _lfs_multipart(self, operation: CommitOperationAdd, header: dict[str, Any], chunk_size: int,
                       upload_url: str) -> None:
        part_urls = [url for _, url in sorted((int(k), v) for k, v in header.items() if k.isdigit())]
        if len(part_urls) != math.ceil(operation.upload_info.size / chunk_size):
            raise HfHubHTTPError("Malformed LFS batch answer: the number of parts does not match the file size.")
        parts = []
        with operation.as_file() as handle:
            for number, part_url in enumerate(part_urls, start=1):
                handle.seek((number - 1) * chunk_size)
                response = _http.request("PUT", self._fix_url(part_url), content=handle.read(chunk_size))
                _http.hf_raise_for_status(response)
                etag = response.headers.get("etag")
                if not etag:
                    raise HfHubHTTPError(f"The LFS storage gave no etag for part {number} of "
                                         f"'{operation.path_in_repo}'.")
                parts.append({"partNumber": number, "etag": etag})
        response = _http.request("POST", upload_url, headers=LFS_HEADERS,
                                 json_body={"oid": operation.upload_info.sha256.hex(), "parts": parts})
        _http.hf_raise_for_status(response)

    def upload_file(
        self,
        *,
        path_or_fileobj: str | Path | bytes | BinaryIO,
        path_in_repo: str,
        repo_id: str,
        token: bool | str | None = None,
        repo_type: str | None = None,
        revision: str | None = None,
        commit_message: str | None = None,
        commit_description: str | None = None,
        create_pr: bool | None = None,
        parent_commit: str | None = None,
    ) -> CommitInfo:
        """Upload one file (a path, bytes or a binary file object) to ``path_in_repo`` in one commit.

        Example:
            >>> HfApi().upload_file(path_or_fileobj="./model.safetensors", path_in_repo="model.safetensors",
            ...                     repo_id="me/model")  # doctest: +SKIP
            CommitInfo('http://127.0.0.1:8000/me/model/commit/...')
        """
        operation = CommitOperationAdd(path_in_repo=path_in_repo, path_or_fileobj=path_or_fileobj)
        message = commit_message if commit_message is not None else f"Upload {path_in_repo} with embrace"
        return self.create_commit(repo_id, [operation], commit_message=message,
                                  commit_description=commit_description, token=token, repo_type=repo_type,
                                  revision=revision, create_pr=create_pr, parent_commit=parent_commit)

    def upload_folder(
        self,
        *,
        repo_id: str,
        folder_path: str | Path,
        path_in_repo: str | None = None,
        commit_message: str | None = None,
        commit_description: str | None = None,
        token: bool | str | None = None,
        repo_type: str | None = None,
        revision: str | None = None,
        create_pr: bool | None = None,
        parent_commit: str | None = None,
        allow_patterns: list[str] | str | None = None,
        ignore_patterns: list[str] | str | None = None,
        delete_patterns: list[str] | str | None = None,
    ) -> CommitInfo:
        """Upload the files of a local folder (filtered by the patterns) in one commit; ``.git`` and
        ``.cache/huggingface`` are always skipped. ``delete_patterns`` removes matching remote files
        that the folder does not replace.

        Example:
            >>> HfApi().upload_folder(repo_id="me/model", folder_path="./checkpoint",
            ...                       ignore_patterns="*.tmp")  # doctest: +SKIP
            CommitInfo('http://127.0.0.1:8000/me/model/commit/...')
        """
        folder = Path(folder_path).expanduser().resolve()
        if not folder.is_dir():
            raise HFValidationError(f"'{folder}' is not a directory: upload_folder needs a folder to upload.")
        if create_pr and revision not in (None, constants.DEFAULT_REVISION):
            raise HFValidationError("create_pr=True opens the pull request against the default branch: do not "
                                    "pass a revision with it.")
        ignore = [ignore_patterns] if isinstance(ignore_patterns, str) else list(ignore_patterns or [])
        ignore += DEFAULT_IGNORE_PATTERNS
        prefix = f"{path_in_repo.strip('/')}/" if path_in_repo and path_in_repo.strip("/") else ""
        local_files = {p.relative_to(folder).as_posix(): p for p in sorted(folder.glob("**/*")) if p.is_file()}
        selected = list(filter_repo_objects(local_files, allow_patterns=allow_patterns, ignore_patterns=ignore))
        additions = [CommitOperationAdd(path_in_repo=prefix + rel, path_or_fileobj=str(local_files[rel]))
                     for rel in selected]
        deletions: list[CommitOperation] = []
        if delete_patterns is not None:
            remote = self.list_repo_files(repo_id, revision=None if create_pr else revision, repo_type=repo_type,
                                          token=token)
            under = [p[len(prefix):] for p in remote if p.startswith(prefix)]
            added = {op.path_in_repo for op in additions}
            deletions = [CommitOperationDelete(path_in_repo=prefix + rel, is_folder=False)
                         for rel in filter_repo_objects(under, allow_patterns=delete_patterns)
                         if prefix + rel not in added and not rel.endswith(".gitattributes")]
        return self.create_commit(repo_id, deletions + additions,
                                  commit_message=commit_message or "Upload folder using embrace",
                                  commit_description=commit_description, token=token, repo_type=repo_type,
                                  revision=revision, create_pr=create_pr, parent_commit=parent_commit)

    # --- downloads bound to this client ---------------------------------------------------

    def hf_hub_download(self, repo_id: str, filename: str, **kwargs: Any) -> str:
        """:func:`embrace.hub.hf_hub_download` with this client's endpoint and token."""
        from embrace.hub.download import hf_hub_download

        kwargs.setdefault("endpoint", self.endpoint)
        kwargs.setdefault("token", self.token)
        return hf_hub_download(repo_id, filename, **kwargs)

    def snapshot_download(self, repo_id: str, **kwargs: Any) -> str:
        """:func:`embrace.hub.snapshot_download` with this client's endpoint and token."""
        from embrace.hub.snapshot import snapshot_download

        kwargs.setdefault("endpoint", self.endpoint)
        kwargs.setdefault("token", self.token)
        return snapshot_download(repo_id, **kwargs)


_NO_REPO_HINT = "Note: commits need an existing repo; create it first with create_repo(repo_id, exist_ok=True)."


def _with_hint(error: Exception, hint: str) -> Exception:
    """The same exception (same type and attributes) with ``hint`` appended to its message."""
    if error.args and isinstance(error.args[0], str) and hint not in error.args[0]:
        error.args = (f"{error.args[0]}\n{hint}", *error.args[1:])
    return error


def _warn_on_overwrites(operations: list[CommitOperation]) -> None:
    seen: dict[str, int] = {}
    for op in operations:
        if isinstance(op, CommitOperationAdd):
            if seen.get(op.path_in_repo):
                warnings.warn(f"'{op.path_in_repo}' is added more than once in the same commit; the last one wins.")
            seen[op.path_in_repo] = seen.get(op.path_in_repo, 0) + 1
        elif seen.get(op.path_in_repo.rstrip("/")) and not op.is_folder:
            warnings.warn(f"'{op.path_in_repo}' is added and then deleted in the same commit.")


# module-level functions on a shared client (endpoint and token read at call time)
api = HfApi()
whoami = api.whoami
repo_info = api.repo_info
model_info = api.model_info
dataset_info = api.dataset_info
space_info = api.space_info
repo_exists = api.repo_exists
revision_exists = api.revision_exists
file_exists = api.file_exists
list_repo_files = api.list_repo_files
list_repo_tree = api.list_repo_tree
create_repo = api.create_repo
delete_repo = api.delete_repo
create_commit = api.create_commit
preupload_lfs_files = api.preupload_lfs_files
upload_file = api.upload_file
upload_folder = api.upload_folder
