"""The repository store behind ``embrace hub serve``: one bare git repository per hub repo.

Layout under ``ROOT``::

    ROOT/
      models/<org>/<name>.git/          bare git repository (real branches, tags, commit shas)
        embrace-hub.json                repo settings: private, gated, creation date
        lfs/objects/ab/cd/<sha256>      large-file contents (git-lfs layout), keyed by sha256
      datasets/<org>/<name>.git/        same for datasets (and spaces/)
      models/<name>.git/                legacy repo ids without a namespace ("gpt2")
      .hub/secret                       key that signs upload and download URLs
      .hub/tmp/                         staging area (same file system, so renames are atomic)

**Which files are stored with LFS.** A file is stored LFS-style (its content in the
object store, a git-lfs pointer file in the git tree) when any of these holds:

1. its path matches a ``filter=lfs`` pattern of the ``.gitattributes`` file at the target
   revision (every new repo starts with a ``.gitattributes`` listing weight, archive and
   media formats: ``*.safetensors``, ``*.bin``, ``*.gguf``, ``*.h5``, ``*.pt``, ``*.onnx``,
   ``*.model``, ``*.parquet``, ``*.zip``, ... see :data:`DEFAULT_LFS_PATTERNS`);
2. it is at least :data:`LFS_SIZE_THRESHOLD` bytes (10 MiB);
3. its first 512 bytes contain a NUL byte (a binary file).

Empty files are always regular. The same rule answers the ``preupload`` endpoint, converts
regular uploads that qualify into LFS objects, and decides what ``embrace hub import`` does.

**Concurrency.** Reads need no lock (git objects are immutable; refs move atomically).
Every write to a repo (commit, branch, tag, settings) holds that repo's lock: a thread lock
inside the process plus a file lock on disk, so the server and ``embrace hub import`` can
write to the same ROOT at the same time. Refs are moved with compare-and-swap
(``git update-ref <ref> <new> <old>``) as a second guard.

Example:
    >>> from embrace.hub.server.storage import RepoStore, AddFile
    >>> store = RepoStore("/tmp/hub-root")  # doctest: +SKIP
    >>> repo = store.create("model", "alice/tiny")  # doctest: +SKIP
    >>> sha = repo.commit([AddFile("config.json", b"{}")], branch="main", summary="add config")  # doctest: +SKIP
    >>> repo.tree(repo.resolve("main")).entries["config.json"].size  # doctest: +SKIP
    2
"""

from __future__ import annotations

import fnmatch
import functools
import hashlib
import json
import logging
import os
import re
import shutil
import subprocess
import threading
import uuid
import zlib
from collections import OrderedDict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import BinaryIO, Union

import filelock

from embrace.errors import (
    EntryNotFoundError,
    HfHubHTTPError,
    HFValidationError,
    RepositoryNotFoundError,
    RevisionNotFoundError,
)
from embrace.hub.cache import repo_id_problem

logger = logging.getLogger("embrace.hub.server")

LFS_SIZE_THRESHOLD = 10 * 1024 * 1024
"""Files of at least this many bytes are always stored with LFS (10 MiB)."""

SAMPLE_SIZE = 512
"""How many leading bytes are inspected to tell a binary file (a NUL byte) from text."""

REPO_TYPES = ("model", "dataset", "space")

DEFAULT_BRANCH = "main"

DEFAULT_LFS_PATTERNS = (
    "*.7z", "*.arrow", "*.bin", "*.bz2", "*.ckpt", "*.ftz", "*.gguf", "*.gz", "*.h5", "*.joblib",
    "*.keras", "*.lfs.*", "*.mlmodel", "*.model", "*.msgpack", "*.npy", "*.npz", "*.onnx", "*.ot",
    "*.parquet", "*.pb", "*.pickle", "*.pkl", "*.pt", "*.pth", "*.rar", "*.safetensors",
    "saved_model/**/*", "*.tar", "*.tar.*", "*.tflite", "*.tgz", "*.wasm", "*.xz", "*.zip", "*.zst",
    "*tfevents*", "*.mds", "*.flac", "*.mp3", "*.ogg", "*.wav", "*.gif", "*.jpeg", "*.jpg",
    "*.png", "*.tiff", "*.webp", "*.mp4",
)
"""The ``filter=lfs`` patterns written into the ``.gitattributes`` of every new repo."""

_LFS_VERSION_LINE = b"version https://git-lfs.github.com/spec/v1"
_POINTER_MAX_SIZE = 1024
_SHA256 = re.compile(r"[0-9a-f]{64}")
_FULL_SHA = re.compile(r"[0-9a-f]{40}")
_SHORT_SHA = re.compile(r"[0-9a-f]{7,40}")
_ZERO_SHA = "0" * 40
_META_FILE = "embrace-hub.json"
_LOCK_FILE = "embrace-hub.lock"
_PR_REF = re.compile(r"refs/pr/([1-9][0-9]*)")


def default_gitattributes() -> str:
    """The ``.gitattributes`` text every new repo starts with (LFS patterns, one per line)."""
    lines = [
        "# Files matching these patterns are stored with git-LFS: the git tree holds a small",
        "# pointer file and the content lives in the hub's large-file object store.",
    ]
    lines += [f"{pattern} filter=lfs diff=lfs merge=lfs -text" for pattern in DEFAULT_LFS_PATTERNS]
    return "\n".join(lines) + "\n"


def utc_iso(moment: datetime | None = None) -> str:
    """A date the way the hub API writes it: ``2024-05-01T12:00:00.000Z`` (UTC, milliseconds)."""
    moment = (moment or datetime.now(timezone.utc)).astimezone(timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


# --- LFS pointers ------------------------------------------------------------------


@dataclass(frozen=True)
class LfsPointer:
    """What a git-lfs pointer file says: the content's sha256 and size, and the pointer's own size."""

    sha256: str
    size: int
    pointer_size: int


def lfs_pointer_bytes(sha256: str, size: int) -> bytes:
    """The canonical git-lfs pointer file for a content of ``size`` bytes with this sha256.

    Example:
        >>> lfs_pointer_bytes("a" * 64, 3).splitlines()[1]
        b'oid sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa'
    """
    return b"%s\noid sha256:%s\nsize %d\n" % (_LFS_VERSION_LINE, sha256.encode("ascii"), size)


def parse_lfs_pointer(data: bytes) -> LfsPointer | None:
    """The pointer described by ``data``, or None when ``data`` is not a git-lfs pointer file.

    Example:
        >>> parse_lfs_pointer(lfs_pointer_bytes("b" * 64, 10)).size
        10
        >>> parse_lfs_pointer(b"hello") is None
        True
    """
    if len(data) > _POINTER_MAX_SIZE or not data.startswith(_LFS_VERSION_LINE + b"\n"):
        return None
    fields: dict[str, str] = {}
    for line in data.decode("utf-8", "replace").splitlines()[1:]:
        key, _, value = line.partition(" ")
        fields[key] = value
    oid = fields.get("oid", "")
    size = fields.get("size", "")
    if not oid.startswith("sha256:") or not _SHA256.fullmatch(oid[7:]) or not size.isdigit():
        return None
    return LfsPointer(sha256=oid[7:], size=int(size), pointer_size=len(data))


# --- .gitattributes / .gitignore patterns ------------------------------------------


def _glob_to_regex(pattern: str) -> str:
    """Translate a gitignore-style glob (``*``, ``?``, ``[..]``, ``**``) to a regex over full paths."""
    out = []
    i = 0
    while i < len(pattern):
        char = pattern[i]
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif pattern.startswith("/**", i) and i + 3 == len(pattern):
            out.append("/.*")
            i += 3
        elif pattern.startswith("**", i):
            out.append(".*")
            i += 2
        elif char == "*":
            out.append("[^/]*")
            i += 1
        elif char == "?":
            out.append("[^/]")
            i += 1
        elif char == "[":
            end = pattern.find("]", i + 1)
            if end == -1:
                out.append(re.escape(char))
                i += 1
            else:
                body = pattern[i + 1 : end].replace("\\", "\\\\")
                if body.startswith("!"):
                    body = "^" + body[1:]
                out.append(f"[{body}]")
                i = end + 1
        else:
            out.append(re.escape(char))
            i += 1
    return "".join(out)


@functools.lru_cache(maxsize=1024)
def _compiled_pattern(pattern: str) -> tuple[bool, "re.Pattern[str]"]:
    """``(anchored, regex)``: anchored patterns match the full path, the others the file name."""
    anchored = "/" in pattern.rstrip("/")
    body = pattern.lstrip("/")
    return anchored, re.compile(_glob_to_regex(body) if anchored else fnmatch.translate(body))


def path_matches(pattern: str, path: str) -> bool:
    """Whether ``path`` (relative, ``/``-separated) matches a gitattributes/gitignore pattern.

    A pattern without a ``/`` matches the file name at any depth; one with a ``/`` is
    anchored at the repo root.

    Example:
        >>> path_matches("*.bin", "sub/pytorch_model.bin")
        True
        >>> path_matches("saved_model/**/*", "saved_model/v1/vars.data")
        True
        >>> path_matches("/top.txt", "sub/top.txt")
        False
    """
    anchored, regex = _compiled_pattern(pattern)
    return regex.fullmatch(path if anchored else path.rsplit("/", 1)[-1]) is not None


@functools.lru_cache(maxsize=64)
def lfs_patterns(gitattributes: str) -> tuple[tuple[str, bool], ...]:
    """``(pattern, is_lfs)`` pairs of a ``.gitattributes`` text, in file order (later lines win)."""
    rules = []
    for raw in gitattributes.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        pattern, *attributes = line.split()
        for attribute in attributes:
            if attribute == "filter=lfs":
                rules.append((pattern, True))
            elif attribute in ("-filter", "!filter") or (attribute.startswith("filter=") and attribute != "filter=lfs"):
                rules.append((pattern, False))
    return tuple(rules)


def gitignore_matches(gitignore: str, path: str) -> bool:
    """Whether a ``.gitignore`` text ignores ``path`` (negations with ``!``, folders with a trailing ``/``).

    Example:
        >>> gitignore_matches("*.log\\n!keep.log\\n", "a/debug.log"), gitignore_matches("*.log\\n!keep.log\\n", "keep.log")
        (True, False)
    """
    ignored = False
    parts = path.split("/")
    folders = ["/".join(parts[: i + 1]) for i in range(len(parts) - 1)]  # "a", "a/b", ...
    for raw in gitignore.splitlines():
        line = raw.rstrip()
        if not line or line.startswith("#"):
            continue
        negate = line.startswith("!")
        pattern = line[1:] if negate else line
        folder_only = pattern.endswith("/")
        pattern = pattern.rstrip("/")
        if not pattern:
            continue
        hit = any(path_matches(pattern, folder) for folder in folders)
        if not folder_only:
            hit = hit or path_matches(pattern, path)
        if hit:
            ignored = not negate
    return ignored


def should_use_lfs(path: str, size: int, sample: bytes, gitattributes: str | None) -> bool:
    """The LFS rule of this hub (see the module docstring): pattern, size or binary content.

    Example:
        >>> should_use_lfs("model.safetensors", 100, b"", default_gitattributes())
        True
        >>> should_use_lfs("config.json", 100, b"{}", default_gitattributes())
        False
        >>> should_use_lfs("data.raw", 100, b"\\x00\\x01", None)
        True
    """
    if size == 0:
        return False
    if size >= LFS_SIZE_THRESHOLD or b"\x00" in sample[:SAMPLE_SIZE]:
        return True
    decision = False
    for pattern, is_lfs in lfs_patterns(gitattributes or ""):
        if path_matches(pattern, path):
            decision = is_lfs
    return decision


# --- validation --------------------------------------------------------------------


def check_repo_type(repo_type: str | None) -> str:
    """``"model"`` for None, the type itself when valid; HFValidationError otherwise."""
    repo_type = repo_type or "model"
    if repo_type not in REPO_TYPES:
        raise HFValidationError(f"Invalid repo type {repo_type!r}. Valid repo types are: {', '.join(REPO_TYPES)}.")
    return repo_type


def check_repo_id(repo_id: str) -> str:
    """The repo id itself when it is a valid ``name`` or ``org/name``; HFValidationError otherwise."""
    problem = repo_id_problem(repo_id)
    if problem is not None:
        raise HFValidationError(problem)
    return repo_id


def check_path_in_repo(path: str) -> str:
    """A file path inside a repo: relative, ``/``-separated, no empty, ``.`` or ``..`` segment, no ``.git``.

    Example:
        >>> check_path_in_repo("onnx/model.onnx")
        'onnx/model.onnx'
    """
    if not isinstance(path, str) or not path:
        raise HFValidationError(f"A path in the repository must be a non-empty string, got {path!r}.")
    if "\x00" in path or "\n" in path or "\r" in path or "\\" in path:
        raise HFValidationError(f"Invalid path {path!r}: no NUL, newline or backslash characters are allowed.")
    parts = path.split("/")
    if path.startswith("/") or any(part in ("", ".", "..") for part in parts):
        raise HFValidationError(
            f"Invalid path {path!r}: use a relative path such as 'folder/file.txt' (no leading '/', no empty, "
            "'.' or '..' segments)."
        )
    if parts[0] == ".git" or ".git" in parts:
        raise HFValidationError(f"Invalid path {path!r}: '.git' folders cannot be committed.")
    return path


# --- data records ------------------------------------------------------------------


@dataclass(frozen=True)
class TreeEntry:
    """One file or folder of a commit's tree.

    ``oid`` is the git object id (for an LFS file: of its pointer), ``size`` the content
    size (for an LFS file: of the real content), ``lfs`` the pointer for LFS files.
    """

    path: str
    type: str  # "file" | "directory"
    oid: str
    size: int
    lfs: LfsPointer | None = None

    @property
    def etag(self) -> str:
        """What the hub uses as ETag: the sha256 for LFS files, the git blob id otherwise."""
        return self.lfs.sha256 if self.lfs is not None else self.oid


@dataclass(frozen=True)
class Tree:
    """Every file and folder of one commit, keyed by path (sorted)."""

    commit: str
    entries: dict[str, TreeEntry]

    def files(self) -> list[TreeEntry]:
        return [entry for entry in self.entries.values() if entry.type == "file"]

    def listing(self, folder: str = "", *, recursive: bool = False) -> list[TreeEntry]:
        """The entries under ``folder`` ('' = root): direct children, or all descendants when recursive.

        Raises EntryNotFoundError when ``folder`` is not a folder of this tree.
        """
        folder = folder.strip("/")
        if folder and (folder not in self.entries or self.entries[folder].type != "directory"):
            raise EntryNotFoundError(f"Folder {folder!r} does not exist at commit {self.commit}.")
        prefix = f"{folder}/" if folder else ""
        out = []
        for path, entry in self.entries.items():
            if not path.startswith(prefix):
                continue
            if not recursive and "/" in path[len(prefix) :]:
                continue
            out.append(entry)
        return out


@dataclass(frozen=True)
class CommitDetails:
    """A commit as the hub API describes it."""

    oid: str
    parents: tuple[str, ...]
    author: str
    email: str
    date: str  # utc_iso
    title: str
    message: str


@dataclass
class RepoMeta:
    """Repo settings kept next to the git data (``embrace-hub.json``)."""

    private: bool = False
    gated: Union[bool, str] = False  # False | "auto" | "manual"
    gated_users: list[str] = field(default_factory=list)
    created_at: str = field(default_factory=utc_iso)

    def to_json(self) -> dict:
        return {"private": self.private, "gated": self.gated, "gatedUsers": self.gated_users, "createdAt": self.created_at}

    @classmethod
    def from_json(cls, data: dict) -> "RepoMeta":
        gated = data.get("gated", False)
        return cls(
            private=bool(data.get("private", False)),
            gated=gated if gated in ("auto", "manual") else False,
            gated_users=[str(user) for user in data.get("gatedUsers", [])],
            created_at=str(data.get("createdAt") or utc_iso()),
        )


# --- commit operations --------------------------------------------------------------


@dataclass(frozen=True)
class AddFile:
    """Add or replace ``path`` with ``data``; stored as LFS when the LFS rule says so."""

    path: str
    data: bytes


@dataclass(frozen=True)
class AddLfsFile:
    """Add or replace ``path`` with an LFS object already in the repo's object store."""

    path: str
    sha256: str
    size: int | None = None


@dataclass(frozen=True)
class DeletePath:
    """Delete the file ``path``, or every file under the folder ``path`` when ``folder``."""

    path: str
    folder: bool = False


CommitOperation = Union[AddFile, AddLfsFile, DeletePath]


@dataclass(frozen=True)
class CommitResult:
    """The commit a write created, and the pull-request number when it opened one."""

    oid: str
    pr_num: int | None = None


# --- git plumbing ------------------------------------------------------------------


class GitError(HfHubHTTPError):
    """A git command of the store failed (a server-side problem: HTTP 500)."""

    def __init__(self, message: str) -> None:
        super().__init__(message, status_code=500)


def _git_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    # Inherited GIT_* variables (a hook's GIT_DIR, GIT_INDEX_FILE, ...) must not leak into the store.
    env = {key: value for key, value in os.environ.items() if not key.startswith("GIT_")}
    env.update(
        {
            "GIT_CONFIG_NOSYSTEM": "1",
            "GIT_CONFIG_GLOBAL": os.devnull,
            "GIT_TERMINAL_PROMPT": "0",
            "LC_ALL": "C",
        }
    )
    if extra:
        env.update(extra)
    return env


def run_git(git_dir: Path, *args: str, input: bytes | None = None, env: dict[str, str] | None = None,
            ok_codes: tuple[int, ...] = (0,)) -> bytes:
    """Run ``git --git-dir=<git_dir> <args>`` and return its stdout; GitError on failure."""
    proc = subprocess.run(
        ["git", f"--git-dir={git_dir}", *args],
        input=input,
        capture_output=True,
        env=_git_env(env),
        check=False,
    )
    if proc.returncode not in ok_codes:
        stderr = proc.stderr.decode("utf-8", "replace").strip()
        raise GitError(f"git {args[0]} failed in {git_dir} (exit {proc.returncode}): {stderr}")
    return proc.stdout


def _git_date_to_iso(value: str) -> str:
    return utc_iso(datetime.fromisoformat(value.strip()))


# --- the store ----------------------------------------------------------------------


class RepoStore:
    """All repositories under one ROOT folder (see the module docstring for the layout).

    Args:
        root: the folder that holds every repo; created when missing.

    Example:
        >>> store = RepoStore("/tmp/hub-root")  # doctest: +SKIP
        >>> store.exists("model", "alice/tiny")  # doctest: +SKIP
        False
    """

    def __init__(self, root: str | os.PathLike) -> None:
        if shutil.which("git") is None:
            raise FileNotFoundError("The hub server stores repos with git, but no `git` executable is on PATH. Install git.")
        self.root = Path(root).expanduser().absolute()
        if self.root.exists() and not self.root.is_dir():
            raise NotADirectoryError(f"Hub root {self.root} exists and is not a folder: pass a folder path.")
        self.tmp_dir.mkdir(parents=True, exist_ok=True)
        self._tree_cache: OrderedDict[tuple[str, str], Tree] = OrderedDict()
        self._commit_cache: OrderedDict[tuple[str, str], CommitDetails] = OrderedDict()
        self._cache_lock = threading.Lock()
        self._thread_locks: dict[str, threading.Lock] = {}
        self._thread_locks_guard = threading.Lock()

    # -- paths

    @property
    def tmp_dir(self) -> Path:
        return self.root / ".hub" / "tmp"

    def repo_dir(self, repo_type: str, repo_id: str) -> Path:
        """Where a repo lives: ``ROOT/<type>s/<org>/<name>.git``."""
        return self.root / f"{check_repo_type(repo_type)}s" / f"{check_repo_id(repo_id)}.git"

    def secret(self) -> bytes:
        """The key that signs upload/download URLs (created once, kept in ``ROOT/.hub/secret``)."""
        path = self.root / ".hub" / "secret"
        try:
            return path.read_bytes()
        except FileNotFoundError:
            pass
        tmp = self.tmp_dir / f"secret-{uuid.uuid4().hex}"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(os.urandom(32))
        try:
            os.link(tmp, path)  # first writer wins; everyone then reads the same key
        except FileExistsError:
            pass
        finally:
            tmp.unlink()
        return path.read_bytes()

    # -- repos

    def exists(self, repo_type: str, repo_id: str) -> bool:
        try:
            return (self.repo_dir(repo_type, repo_id) / "HEAD").is_file()
        except HFValidationError:
            return False

    def open(self, repo_type: str, repo_id: str) -> "HubRepo":
        """The repo, or RepositoryNotFoundError."""
        if not self.exists(repo_type, repo_id):
            raise RepositoryNotFoundError(f"{repo_type.capitalize()} repository {repo_id!r} does not exist on this hub.",
                                          status_code=404)
        return HubRepo(self, repo_type, repo_id)

    def create(self, repo_type: str, repo_id: str, *, private: bool = False, gated: Union[bool, str] = False,
               author: str | None = None) -> "HubRepo":
        """Create a repo with a ``main`` branch holding one commit (the default ``.gitattributes``).

        Raises HfHubHTTPError with status 409 when the repo already exists.
        """
        target = self.repo_dir(repo_type, repo_id)
        if (target / "HEAD").is_file():
            raise HfHubHTTPError(f"You already created this {repo_type} repo: {repo_id!r} exists.", status_code=409)
        staging = self.tmp_dir / f"new-{uuid.uuid4().hex}.git"
        try:
            run_git(staging, "init", "--quiet", "--bare", f"--initial-branch={DEFAULT_BRANCH}", str(staging))
            meta = RepoMeta(private=private, gated=gated if gated in ("auto", "manual") else False)
            _write_json_atomic(staging / _META_FILE, meta.to_json(), self.tmp_dir)
            blob = _write_loose_blob(staging, default_gitattributes().encode())
            tree = run_git(staging, "mktree", input=f"100644 blob {blob}\t.gitattributes\n".encode()).decode().strip()
            commit = _commit_tree(staging, tree, None, "initial commit", author)
            run_git(staging, "update-ref", f"refs/heads/{DEFAULT_BRANCH}", commit, _ZERO_SHA)
            target.parent.mkdir(parents=True, exist_ok=True)
            try:
                os.rename(staging, target)  # atomic: a half-made repo is never visible
            except OSError as exc:
                if (target / "HEAD").is_file():
                    raise HfHubHTTPError(f"You already created this {repo_type} repo: {repo_id!r} exists.",
                                         status_code=409) from exc
                raise
        finally:
            if staging.exists():
                shutil.rmtree(staging, ignore_errors=True)
        logger.info("created %s repo %s", repo_type, repo_id)
        return HubRepo(self, repo_type, repo_id)

    def delete(self, repo_type: str, repo_id: str) -> None:
        """Delete a repo and its LFS objects; RepositoryNotFoundError when it does not exist."""
        repo = self.open(repo_type, repo_id)
        with repo.lock():
            trash = self.tmp_dir / f"deleted-{uuid.uuid4().hex}"
            os.rename(repo.git_dir, trash)
        shutil.rmtree(trash, ignore_errors=True)
        with self._cache_lock:
            for key in [key for key in self._tree_cache if key[0] == str(repo.git_dir)]:
                del self._tree_cache[key]
        logger.info("deleted %s repo %s", repo_type, repo_id)

    def list_repos(self, repo_type: str) -> list[str]:
        """Every repo id of a type, sorted."""
        base = self.root / f"{check_repo_type(repo_type)}s"
        if not base.is_dir():
            return []
        ids = []
        for entry in sorted(base.iterdir()):
            if entry.name.endswith(".git") and (entry / "HEAD").is_file():
                ids.append(entry.name[:-4])
            elif entry.is_dir() and not entry.name.endswith(".git"):
                for sub in sorted(entry.iterdir()):
                    if sub.name.endswith(".git") and (sub / "HEAD").is_file():
                        ids.append(f"{entry.name}/{sub.name[:-4]}")
        return ids

    # -- caches shared by repos (commits and trees are immutable, so keys never go stale)

    def _cached(self, cache: OrderedDict, key: tuple[str, str]):
        with self._cache_lock:
            value = cache.get(key)
            if value is not None:
                cache.move_to_end(key)
            return value

    def _remember(self, cache: OrderedDict, key: tuple[str, str], value, limit: int) -> None:
        with self._cache_lock:
            cache[key] = value
            cache.move_to_end(key)
            while len(cache) > limit:
                cache.popitem(last=False)

    def _thread_lock(self, key: str) -> threading.Lock:
        with self._thread_locks_guard:
            return self._thread_locks.setdefault(key, threading.Lock())


def _write_json_atomic(path: Path, data: dict, tmp_dir: Path) -> None:
    tmp = tmp_dir / f"json-{uuid.uuid4().hex}"
    tmp.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    os.replace(tmp, path)


def git_blob_id(data: bytes) -> str:
    """The git object id of a blob holding ``data`` (sha1 of ``blob <size>\\0<data>``).

    Example:
        >>> git_blob_id(b"")
        'e69de29bb2d1d6434b8b29ae775ad8c2e48c5391'
    """
    digest = hashlib.sha1(b"blob %d\x00" % len(data))
    digest.update(data)
    return digest.hexdigest()


def _write_loose_blob(git_dir: Path, data: bytes) -> str:
    """Store ``data`` as a loose git object (git's own zlib format) and return its id."""
    oid = git_blob_id(data)
    target = git_dir / "objects" / oid[:2] / oid[2:]
    if target.exists():
        return oid
    target.parent.mkdir(parents=True, exist_ok=True)
    compressor = zlib.compressobj(1)
    payload = compressor.compress(b"blob %d\x00" % len(data)) + compressor.compress(data) + compressor.flush()
    tmp = target.parent / f"tmp_obj_{uuid.uuid4().hex}"
    tmp.write_bytes(payload)
    os.chmod(tmp, 0o444)
    os.replace(tmp, target)
    return oid


def _identity(author: str | None) -> dict[str, str]:
    name = author or "embrace-hub"
    email = f"{re.sub(r'[^A-Za-z0-9._-]', '-', name)}@users.noreply.embrace.local"
    return {"GIT_AUTHOR_NAME": name, "GIT_AUTHOR_EMAIL": email, "GIT_COMMITTER_NAME": name, "GIT_COMMITTER_EMAIL": email}


def _commit_tree(git_dir: Path, tree: str, parent: str | None, message: str, author: str | None) -> str:
    args = ["commit-tree", tree]
    if parent is not None:
        args += ["-p", parent]
    text = message if message.endswith("\n") else message + "\n"
    return run_git(git_dir, *args, input=text.encode("utf-8"), env=_identity(author)).decode().strip()


# --- one repository ---------------------------------------------------------------


class HubRepo:
    """One repository of a :class:`RepoStore`: refs, trees, blobs, LFS objects and commits."""

    def __init__(self, store: RepoStore, repo_type: str, repo_id: str) -> None:
        self.store = store
        self.repo_type = repo_type
        self.repo_id = repo_id
        self.git_dir = store.repo_dir(repo_type, repo_id)

    def __repr__(self) -> str:
        return f"HubRepo({self.repo_type!r}, {self.repo_id!r})"

    @property
    def namespace(self) -> str | None:
        return self.repo_id.split("/")[0] if "/" in self.repo_id else None

    # -- locking and settings

    @contextmanager
    def lock(self) -> Iterator[None]:
        """Hold this repo's write lock (thread lock + on-disk file lock)."""
        key = str(self.git_dir)
        with self.store._thread_lock(key), filelock.FileLock(str(self.git_dir / _LOCK_FILE), timeout=120):
            yield

    def meta(self) -> RepoMeta:
        try:
            return RepoMeta.from_json(json.loads((self.git_dir / _META_FILE).read_text(encoding="utf-8")))
        except FileNotFoundError:
            return RepoMeta()

    def update_meta(self, *, private: bool | None = None, gated: Union[bool, str, None] = None,
                    gated_users: list[str] | None = None) -> RepoMeta:
        """Change repo settings; only the arguments given change."""
        with self.lock():
            meta = self.meta()
            if private is not None:
                meta.private = bool(private)
            if gated is not None:
                meta.gated = gated if gated in ("auto", "manual") else False
            if gated_users is not None:
                meta.gated_users = list(gated_users)
            _write_json_atomic(self.git_dir / _META_FILE, meta.to_json(), self.store.tmp_dir)
        return meta

    # -- refs and revisions

    def refs(self) -> dict[str, str]:
        """``refname -> commit sha`` for every branch, tag (peeled) and PR ref."""
        out = run_git(self.git_dir, "for-each-ref", "--format=%(objectname) %(*objectname) %(refname)")
        refs = {}
        for line in out.decode("utf-8", "replace").splitlines():
            parts = line.split(" ", 2)
            if len(parts) == 3:
                oid, peeled, name = parts
                refs[name] = peeled or oid
        return refs

    def resolve(self, revision: str | None) -> str:
        """The commit sha a branch, tag, ``refs/...`` name or (short) commit sha points to.

        Raises RevisionNotFoundError with the valid branches and tags when it points nowhere.
        """
        revision = revision or DEFAULT_BRANCH
        refs = self.refs()
        for candidate in (f"refs/heads/{revision}", f"refs/tags/{revision}", revision):
            if candidate.startswith("refs/") and candidate in refs:
                return refs[candidate]
        if _SHORT_SHA.fullmatch(revision):
            out = run_git(self.git_dir, "rev-parse", "--verify", "--quiet", f"{revision}^{{commit}}", ok_codes=(0, 1, 128))
            sha = out.decode().strip()
            if _FULL_SHA.fullmatch(sha):
                return sha
        branches = sorted(name[len("refs/heads/"):] for name in refs if name.startswith("refs/heads/"))
        tags = sorted(name[len("refs/tags/"):] for name in refs if name.startswith("refs/tags/"))
        raise RevisionNotFoundError(
            f"Revision {revision!r} does not exist in {self.repo_type} repo {self.repo_id!r}. "
            f"Use a branch ({', '.join(branches) or 'none'}), a tag ({', '.join(tags) or 'none'}) or a commit sha.",
            status_code=404,
        )

    def branch_ref(self, revision: str) -> str:
        """The full ref a commit can be written to: ``refs/heads/<branch>`` or ``refs/pr/<n>``.

        Raises RevisionNotFoundError when the branch does not exist, HFValidationError for a
        tag or a commit sha (commits go on branches).
        """
        refs = self.refs()
        if revision.startswith("refs/heads/") or _PR_REF.fullmatch(revision):
            ref = revision
        else:
            ref = f"refs/heads/{revision}"
        if ref in refs:
            return ref
        if f"refs/tags/{revision}" in refs or _FULL_SHA.fullmatch(revision):
            raise HFValidationError(
                f"Cannot commit to {revision!r}: it is a tag or a commit, not a branch. Pass a branch name "
                "(create one with create_branch)."
            )
        self.resolve(revision)  # raises RevisionNotFoundError with the list of branches
        raise RevisionNotFoundError(f"Branch {revision!r} does not exist in {self.repo_id!r}.", status_code=404)

    def _check_ref_name(self, ref: str) -> None:
        proc = subprocess.run(["git", "check-ref-format", ref], capture_output=True, env=_git_env(), check=False)
        if proc.returncode != 0 or ref.split("/")[-1].startswith("-"):
            raise HFValidationError(f"Invalid branch or tag name {ref.split('/', 2)[-1]!r}: it is not a valid git ref name.")

    def create_branch(self, name: str, *, starting_point: str | None = None) -> str:
        """Create a branch at ``starting_point`` (default: head of ``main``); 409 when it exists."""
        self._check_ref_name(f"refs/heads/{name}")
        with self.lock():
            commit = self.resolve(starting_point or DEFAULT_BRANCH)
            if f"refs/heads/{name}" in self.refs():
                raise HfHubHTTPError(f"Branch {name!r} already exists in {self.repo_id!r}.", status_code=409)
            run_git(self.git_dir, "update-ref", f"refs/heads/{name}", commit, _ZERO_SHA)
        return commit

    def delete_branch(self, name: str) -> None:
        if name == DEFAULT_BRANCH:
            raise HFValidationError(f"The default branch {DEFAULT_BRANCH!r} cannot be deleted.")
        with self.lock():
            refs = self.refs()
            ref = f"refs/heads/{name}"
            if ref not in refs:
                raise RevisionNotFoundError(f"Branch {name!r} does not exist in {self.repo_id!r}.", status_code=404)
            run_git(self.git_dir, "update-ref", "-d", ref, refs[ref])

    def create_tag(self, name: str, *, revision: str | None = None, message: str | None = None,
                   author: str | None = None) -> str:
        """Tag ``revision`` (annotated when ``message`` is given); 409 when the tag exists."""
        self._check_ref_name(f"refs/tags/{name}")
        with self.lock():
            commit = self.resolve(revision or DEFAULT_BRANCH)
            if f"refs/tags/{name}" in self.refs():
                raise HfHubHTTPError(f"Tag {name!r} already exists in {self.repo_id!r}.", status_code=409)
            target = commit
            if message:
                identity = _identity(author)
                text = (
                    f"object {commit}\ntype commit\ntag {name}\n"
                    f"tagger {identity['GIT_COMMITTER_NAME']} <{identity['GIT_COMMITTER_EMAIL']}> "
                    f"{int(datetime.now(timezone.utc).timestamp())} +0000\n\n{message}\n"
                )
                target = run_git(self.git_dir, "mktag", input=text.encode("utf-8")).decode().strip()
            run_git(self.git_dir, "update-ref", f"refs/tags/{name}", target, _ZERO_SHA)
        return commit

    def delete_tag(self, name: str) -> None:
        with self.lock():
            out = run_git(self.git_dir, "for-each-ref", "--format=%(objectname)", f"refs/tags/{name}").decode().strip()
            if not out:
                raise RevisionNotFoundError(f"Tag {name!r} does not exist in {self.repo_id!r}.", status_code=404)
            run_git(self.git_dir, "update-ref", "-d", f"refs/tags/{name}", out)

    # -- reading commits, trees and blobs

    def commit_details(self, oid: str) -> CommitDetails:
        key = (str(self.git_dir), oid)
        cached = self.store._cached(self.store._commit_cache, key)
        if cached is not None:
            return cached
        out = run_git(self.git_dir, "log", "-1", "--format=%H%x00%P%x00%an%x00%ae%x00%cI%x00%B", oid, "--")
        return self._parse_log_records(out)[0]

    def log(self, revision_sha: str, *, path: str | None = None, limit: int | None = None) -> list[CommitDetails]:
        """Commits reachable from ``revision_sha`` (newest first), optionally only those touching ``path``."""
        args = ["log", "--format=%H%x00%P%x00%an%x00%ae%x00%cI%x00%B%x1e"]
        if limit is not None:
            args.append(f"-{int(limit)}")
        args += [revision_sha, "--"]
        if path is not None:
            args.append(f":(literal){path}")
        return self._parse_log_records(run_git(self.git_dir, *args))

    def _parse_log_records(self, out: bytes) -> list[CommitDetails]:
        records = []
        for raw in out.decode("utf-8", "replace").split("\x1e"):
            raw = raw.lstrip("\n")
            if not raw.strip():
                continue
            oid, parents, name, email, date, body = raw.split("\x00", 5)
            body = body.rstrip("\n")
            title, _, rest = body.partition("\n")
            details = CommitDetails(oid=oid, parents=tuple(parents.split()), author=name, email=email,
                                    date=_git_date_to_iso(date), title=title, message=rest.strip("\n"))
            self.store._remember(self.store._commit_cache, (str(self.git_dir), oid), details, 4096)
            records.append(details)
        return records

    def tree(self, commit: str) -> Tree:
        """Every file and folder of ``commit`` (a full sha), LFS pointers decoded. Cached per commit."""
        key = (str(self.git_dir), commit)
        cached = self.store._cached(self.store._tree_cache, key)
        if cached is not None:
            return cached
        out = run_git(self.git_dir, "ls-tree", "-r", "-t", "-l", "-z", "--full-tree", commit)
        raw_entries = []
        small_blobs = []
        for record in out.split(b"\x00"):
            if not record:
                continue
            meta, _, raw_path = record.partition(b"\t")
            mode, kind, oid, size = meta.decode().split()
            path = raw_path.decode("utf-8", "surrogateescape")
            if kind == "tree":
                raw_entries.append((path, "directory", oid, 0))
            elif kind == "blob" and mode in ("100644", "100755"):
                raw_entries.append((path, "file", oid, int(size)))
                if int(size) <= _POINTER_MAX_SIZE:
                    small_blobs.append(oid)
        pointers = self._read_pointers(small_blobs)
        entries = {}
        for path, kind, oid, size in sorted(raw_entries):
            pointer = pointers.get(oid) if kind == "file" else None
            entries[path] = TreeEntry(path=path, type=kind, oid=oid, size=pointer.size if pointer else size, lfs=pointer)
        tree = Tree(commit=commit, entries=entries)
        self.store._remember(self.store._tree_cache, key, tree, 256)
        return tree

    def _read_pointers(self, oids: list[str]) -> dict[str, LfsPointer]:
        if not oids:
            return {}
        unique = list(dict.fromkeys(oids))
        out = run_git(self.git_dir, "cat-file", "--batch", input=("\n".join(unique) + "\n").encode())
        pointers = {}
        pos = 0
        for oid in unique:
            header_end = out.index(b"\n", pos)
            header = out[pos:header_end].split()
            size = int(header[2])
            data = out[header_end + 1 : header_end + 1 + size]
            pos = header_end + 1 + size + 1
            pointer = parse_lfs_pointer(data)
            if pointer is not None:
                pointers[oid] = pointer
        return pointers

    def read_blob(self, oid: str) -> bytes:
        return run_git(self.git_dir, "cat-file", "blob", oid)

    def read_file(self, commit: str, path: str) -> bytes | None:
        """The content of a regular (non-LFS) file at ``commit``, None when missing or LFS."""
        entry = self.tree(commit).entries.get(path)
        if entry is None or entry.type != "file" or entry.lfs is not None:
            return None
        return self.read_blob(entry.oid)

    def gitattributes(self, commit: str | None) -> str | None:
        if commit is None:
            return None
        data = self.read_file(commit, ".gitattributes")
        return data.decode("utf-8", "replace") if data is not None else None

    # -- LFS object store

    def lfs_path(self, sha256: str) -> Path:
        if not _SHA256.fullmatch(sha256):
            raise HFValidationError(f"Invalid LFS object id {sha256!r}: expected 64 lowercase hex characters (a sha256).")
        return self.git_dir / "lfs" / "objects" / sha256[:2] / sha256[2:4] / sha256

    def has_lfs_object(self, sha256: str, size: int | None = None) -> bool:
        try:
            stat = self.lfs_path(sha256).stat()
        except (FileNotFoundError, HFValidationError):
            return False
        return size is None or stat.st_size == size

    def lfs_writer(self, sha256: str, size: int | None = None) -> "LfsWriter":
        """A writer that streams content into the object store and checks its sha256 (and size)."""
        return LfsWriter(self, sha256, size)

    def store_lfs_bytes(self, data: bytes) -> str:
        sha = hashlib.sha256(data).hexdigest()
        if not self.has_lfs_object(sha, len(data)):
            with self.lfs_writer(sha, len(data)) as writer:
                writer.write(data)
        return sha

    def store_lfs_file(self, source: str | os.PathLike) -> tuple[str, int]:
        """Copy a local file into the object store; returns ``(sha256, size)``."""
        writer = LfsWriter(self, None, None)
        with writer, open(source, "rb") as handle:
            for chunk in iter(lambda: handle.read(1 << 20), b""):
                writer.write(chunk)
        return writer.sha256, writer.size

    # -- writing commits

    def commit(self, operations: Iterable[CommitOperation], *, branch: str = DEFAULT_BRANCH, summary: str,
               description: str = "", author: str | None = None, parent_commit: str | None = None,
               create_pr: bool = False) -> CommitResult:
        """Apply ``operations`` on top of ``branch`` and move the branch to the new commit.

        With ``create_pr=True`` the commit goes to a new ``refs/pr/<n>`` ref instead and the
        branch does not move. Raises RevisionNotFoundError (unknown branch), EntryNotFoundError
        (deleting a missing path), HFValidationError (bad path, file/folder clash), and
        HfHubHTTPError 412 when ``parent_commit`` is not the branch head any more.
        """
        operations = list(operations)
        with self.lock():
            ref = self.branch_ref(branch)
            head = self.refs()[ref]
            if parent_commit is not None and parent_commit != head:
                raise HfHubHTTPError(
                    f"Branch {branch!r} moved: its head is {head}, not the parent commit {parent_commit} you "
                    "asked for. Fetch the new head and retry.",
                    status_code=412,
                )
            base = self.tree(head)
            files = {entry.path: entry.oid for entry in base.files()}
            current = dict(files)
            attributes = self.gitattributes(head)
            for op in operations:
                if isinstance(op, AddFile) and op.path == ".gitattributes":
                    attributes = op.data.decode("utf-8", "replace")
            for op in operations:
                if isinstance(op, DeletePath):
                    path = op.path.strip("/") if op.folder else op.path
                    check_path_in_repo(path)
                    if op.folder:
                        doomed = [p for p in current if p.startswith(path + "/")]
                        if not doomed:
                            raise EntryNotFoundError(f"Cannot delete folder {path!r}: no such folder in {branch!r}.")
                        for doomed_path in doomed:
                            del current[doomed_path]
                    else:
                        if path not in current:
                            raise EntryNotFoundError(
                                f"Cannot delete {path!r}: A file with this name doesn't exist in {branch!r}."
                            )
                        del current[path]
                elif isinstance(op, AddFile):
                    check_path_in_repo(op.path)
                    if should_use_lfs(op.path, len(op.data), op.data[:SAMPLE_SIZE], attributes):
                        sha = self.store_lfs_bytes(op.data)
                        current[op.path] = _write_loose_blob(self.git_dir, lfs_pointer_bytes(sha, len(op.data)))
                    else:
                        current[op.path] = _write_loose_blob(self.git_dir, op.data)
                elif isinstance(op, AddLfsFile):
                    check_path_in_repo(op.path)
                    path = self.lfs_path(op.sha256)
                    if not path.is_file():
                        raise HFValidationError(
                            f"LFS object {op.sha256} for {op.path!r} was never uploaded to this repo: upload it "
                            "through the LFS batch API before committing."
                        )
                    size = path.stat().st_size
                    if op.size is not None and op.size != size:
                        raise HFValidationError(
                            f"LFS object {op.sha256} for {op.path!r} has {size} bytes, not the {op.size} announced."
                        )
                    current[op.path] = _write_loose_blob(self.git_dir, lfs_pointer_bytes(op.sha256, size))
                else:
                    raise TypeError(f"Unknown commit operation {op!r}.")
            _check_file_folder_clashes(current)

            records = []
            for path in sorted(set(files) - set(current)):
                records.append(f"0 {_ZERO_SHA}\t{path}")
            for path, oid in sorted(current.items()):
                if files.get(path) != oid:
                    records.append(f"100644 {oid} 0\t{path}")
            tree_oid = self._write_tree(head, records)
            message = summary.strip() or "Update files"
            if description.strip():
                message = f"{message}\n\n{description.strip()}"
            new_commit = _commit_tree(self.git_dir, tree_oid, head, message, author)
            pr_num = None
            if create_pr:
                numbers = [int(m.group(1)) for name in self.refs() if (m := _PR_REF.fullmatch(name))]
                pr_num = max(numbers, default=0) + 1
                run_git(self.git_dir, "update-ref", f"refs/pr/{pr_num}", new_commit, _ZERO_SHA)
            else:
                run_git(self.git_dir, "update-ref", ref, new_commit, head)
        logger.info("commit %s on %s %s (%s): %s", new_commit[:12], self.repo_id,
                    f"refs/pr/{pr_num}" if pr_num else ref, author or "anonymous", summary)
        return CommitResult(oid=new_commit, pr_num=pr_num)

    def _write_tree(self, parent: str, records: list[str]) -> str:
        index = self.store.tmp_dir / f"index-{uuid.uuid4().hex}"
        env = {"GIT_INDEX_FILE": str(index)}
        try:
            run_git(self.git_dir, "read-tree", parent, env=env)
            if records:
                payload = "".join(record + "\x00" for record in records).encode("utf-8", "surrogateescape")
                run_git(self.git_dir, "update-index", "-z", "--index-info", input=payload, env=env)
            return run_git(self.git_dir, "write-tree", env=env).decode().strip()
        finally:
            index.unlink(missing_ok=True)


def _check_file_folder_clashes(paths: dict[str, str]) -> None:
    for path in paths:
        parts = path.split("/")
        for depth in range(1, len(parts)):
            folder = "/".join(parts[:depth])
            if folder in paths:
                raise HFValidationError(
                    f"Cannot have both a file {folder!r} and a file {path!r} inside a folder of the same name: "
                    f"delete {folder!r} in the same commit or choose another path."
                )


class LfsWriter:
    """Streams one LFS object into a repo's object store, checking sha256 and size at the end.

    Use as a context manager: the object appears in the store (atomically) only when the
    block ends without error and the content matches; otherwise nothing is left behind.
    """

    def __init__(self, repo: HubRepo, sha256: str | None, size: int | None) -> None:
        if sha256 is not None:
            repo.lfs_path(sha256)  # validates the id
        self.repo = repo
        self.expected_sha256 = sha256
        self.expected_size = size
        self.size = 0
        self._digest = hashlib.sha256()
        self._tmp = repo.store.tmp_dir / f"lfs-{uuid.uuid4().hex}"
        self._handle: BinaryIO | None = None
        self.sha256 = ""

    def __enter__(self) -> "LfsWriter":
        self._handle = open(self._tmp, "wb")
        return self

    def write(self, chunk: bytes) -> None:
        assert self._handle is not None, "use LfsWriter as a context manager"
        self.size += len(chunk)
        if self.expected_size is not None and self.size > self.expected_size:
            raise HFValidationError(f"Upload is larger than the {self.expected_size} bytes announced for this LFS object.")
        self._digest.update(chunk)
        self._handle.write(chunk)

    def __exit__(self, exc_type, exc, tb) -> None:
        assert self._handle is not None
        self._handle.close()
        try:
            if exc_type is not None:
                return
            self.sha256 = self._digest.hexdigest()
            if self.expected_size is not None and self.size != self.expected_size:
                raise HFValidationError(
                    f"Upload has {self.size} bytes but {self.expected_size} were announced for LFS object "
                    f"{self.expected_sha256}. Retry the upload."
                )
            if self.expected_sha256 is not None and self.sha256 != self.expected_sha256:
                raise HFValidationError(
                    f"Upload content has sha256 {self.sha256}, not the announced {self.expected_sha256}: the file "
                    "changed or was corrupted in transit. Retry the upload."
                )
            target = self.repo.lfs_path(self.sha256)
            target.parent.mkdir(parents=True, exist_ok=True)
            os.chmod(self._tmp, 0o444)
            os.replace(self._tmp, target)
        finally:
            self._tmp.unlink(missing_ok=True)


# --- importing a local folder --------------------------------------------------------


def iter_folder_files(folder: str | os.PathLike) -> list[tuple[str, Path]]:
    """``(path_in_repo, local_path)`` of every file under ``folder``, following symlinks.

    Skips ``.git/`` folders and the ``.cache/huggingface/`` metadata that ``local_dir``
    downloads leave behind. Works on hub-cache snapshot folders (symlinks into ``blobs/``).
    """
    root = Path(folder)
    if not root.is_dir():
        raise NotADirectoryError(f"Cannot import {root}: it is not a folder. Pass the model/dataset folder to import.")
    found = []
    for dirpath, dirnames, filenames in os.walk(root, followlinks=True):
        rel_dir = Path(dirpath).relative_to(root).as_posix()
        dirnames[:] = sorted(d for d in dirnames if d != ".git" and not (rel_dir == "." and d == ".cache"))
        for name in sorted(filenames):
            local = Path(dirpath) / name
            if not local.is_file():
                continue  # a dangling symlink
            rel = name if rel_dir == "." else f"{rel_dir}/{name}"
            found.append((rel, local))
    return found


def import_folder(store: RepoStore, folder: str | os.PathLike, repo_id: str, *, repo_type: str = "model",
                  revision: str = DEFAULT_BRANCH, message: str | None = None, author: str | None = None,
                  mirror: bool = False, private: bool = False, gated: Union[bool, str] = False,
                  tag: str | None = None) -> CommitResult:
    """Commit the files of a local folder to ``repo_id`` on branch ``revision``.

    The repo is created when missing, the branch is created from ``main`` when missing.
    Files are added or replaced; with ``mirror=True`` files of the branch that are not in
    the folder are deleted (``.gitattributes`` is kept). Large and binary files go to the
    LFS object store (streamed, never fully in memory). ``tag`` tags the new commit.

    Example:
        >>> store = RepoStore("/tmp/hub-root")  # doctest: +SKIP
        >>> import_folder(store, "./tiny-bert", "alice/tiny-bert").oid  # doctest: +SKIP
        '5d8c...'
    """
    repo_type = check_repo_type(repo_type)
    check_repo_id(repo_id)
    files = iter_folder_files(folder)
    if not store.exists(repo_type, repo_id):
        try:
            store.create(repo_type, repo_id, private=private, gated=gated, author=author)
        except HfHubHTTPError as exc:
            if exc.status_code != 409:  # created concurrently: fine
                raise
    repo = store.open(repo_type, repo_id)
    if f"refs/heads/{revision}" not in repo.refs() and not revision.startswith("refs/"):
        try:
            repo.create_branch(revision)
        except HfHubHTTPError as exc:
            if exc.status_code != 409:
                raise
    head = repo.resolve(revision)
    attributes_source = dict(files).get(".gitattributes")
    attributes = (attributes_source.read_text(encoding="utf-8", errors="replace") if attributes_source
                  else repo.gitattributes(head))
    operations: list[CommitOperation] = []
    for path_in_repo, local in files:
        size = local.stat().st_size
        with open(local, "rb") as handle:
            sample = handle.read(SAMPLE_SIZE)
        if should_use_lfs(path_in_repo, size, sample, attributes):
            sha, stored_size = repo.store_lfs_file(local)
            operations.append(AddLfsFile(path_in_repo, sha, stored_size))
        else:
            operations.append(AddFile(path_in_repo, local.read_bytes()))
    if mirror:
        present = {path for path, _ in files} | {".gitattributes"}
        operations += [DeletePath(entry.path) for entry in repo.tree(head).files() if entry.path not in present]
    summary = message or f"Import {Path(folder).name or folder}"
    result = repo.commit(operations, branch=revision, summary=summary, author=author)
    if tag:
        repo.create_tag(tag, revision=result.oid, author=author)
    return result
