"""Inspect and clean the hub cache: ``scan_cache_dir`` and ``HFCacheInfo.delete_revisions``.

The scan walks ``<cache>/<type>s--<org>--<name>/`` folders: every snapshot revision and its
files (symlinks into ``blobs/``), the refs pointing at each revision, and the blob sizes. A
repo folder that does not follow the layout is skipped and reported in ``warnings`` (as
``CorruptedCacheException``) instead of failing the scan. Sizes count blobs only, each once.

Example:
    >>> import tempfile
    >>> info = scan_cache_dir(tempfile.mkdtemp())
    >>> info.size_on_disk, len(info.repos), info.warnings
    (0, 0, [])
"""

from __future__ import annotations

import logging
import os
import shutil
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from embrace.errors import CacheNotFound, CorruptedCacheException, HFValidationError
from embrace.hub import constants

logger = logging.getLogger("embrace.hub")

FILES_TO_IGNORE = (".DS_Store", "Thumbs.db", "desktop.ini")
_NOT_REPOS = (".locks", "CACHEDIR.TAG")


def _format_size(num: float) -> str:
    """``1234`` -> ``'1.2K'`` (powers of 1000, like the reference).

    Example:
        >>> _format_size(999), _format_size(1_234_567)
        ('999.0', '1.2M')
    """
    for unit in ("", "K", "M", "G", "T", "P", "E", "Z"):
        if abs(num) < 1000.0:
            return f"{num:3.1f}{unit}"
        num /= 1000.0
    return f"{num:.1f}Y"


def _format_timesince(timestamp: float) -> str:
    """``'3 days ago'``-style text for a timestamp."""
    delta = time.time() - timestamp
    if delta < 20:
        return "a few seconds ago"
    for label, seconds in (("year", 365 * 86400), ("month", 30 * 86400), ("week", 7 * 86400),
                           ("day", 86400), ("hour", 3600), ("minute", 60), ("second", 1)):
        if delta >= seconds:
            count = round(delta / seconds)
            return f"{count} {label}{'s' if count > 1 else ''} ago"
    return "a few seconds ago"


@dataclass(frozen=True)
class CachedFileInfo:
    """One file of a cached revision: its snapshot path, the blob it points to and the blob's size/times."""

    file_name: str
    file_path: Path
    blob_path: Path
    size_on_disk: int
    blob_last_accessed: float
    blob_last_modified: float

    @property
    def size_on_disk_str(self) -> str:
        return _format_size(self.size_on_disk)

    @property
    def blob_last_accessed_str(self) -> str:
        return _format_timesince(self.blob_last_accessed)

    @property
    def blob_last_modified_str(self) -> str:
        return _format_timesince(self.blob_last_modified)


@dataclass(frozen=True)
class CachedRevisionInfo:
    """One snapshot folder: its commit hash, files, the refs naming it, and the size of its (distinct) blobs."""

    commit_hash: str
    snapshot_path: Path
    size_on_disk: int
    files: frozenset[CachedFileInfo]
    refs: frozenset[str]
    last_modified: float

    @property
    def nb_files(self) -> int:
        return len(self.files)

    @property
    def size_on_disk_str(self) -> str:
        return _format_size(self.size_on_disk)

    @property
    def last_modified_str(self) -> str:
        return _format_timesince(self.last_modified)


@dataclass(frozen=True)
class CachedRepoInfo:
    """One cached repo: id, type, path, blob count and size, revisions, access times."""

    repo_id: str
    repo_type: str
    repo_path: Path
    size_on_disk: int
    nb_files: int
    revisions: frozenset[CachedRevisionInfo]
    last_accessed: float
    last_modified: float

    @property
    def size_on_disk_str(self) -> str:
        return _format_size(self.size_on_disk)

    @property
    def last_accessed_str(self) -> str:
        return _format_timesince(self.last_accessed)

    @property
    def last_modified_str(self) -> str:
        return _format_timesince(self.last_modified)

    @property
    def cache_id(self) -> str:
        return f"{self.repo_type}/{self.repo_id}"

    @property
    def refs(self) -> dict[str, CachedRevisionInfo]:
        return {ref: revision for revision in self.revisions for ref in revision.refs}


def _delete_path(path: Path, kind: str) -> None:
    try:
        if path.is_file() or path.is_symlink():
            os.remove(path)
        else:
            shutil.rmtree(path)
    except FileNotFoundError:
        logger.warning("Could not delete %s: not found (%s).", kind, path)
    except PermissionError:
        logger.warning("Could not delete %s: permission denied (%s).", kind, path)


@dataclass(frozen=True)
class DeleteCacheStrategy:
    """What deleting some revisions will remove; nothing happens until :meth:`execute`."""

    expected_freed_size: int
    blobs: frozenset[Path]
    refs: frozenset[Path]
    repos: frozenset[Path]
    snapshots: frozenset[Path]
    files: frozenset[Path] = frozenset()

    @property
    def expected_freed_size_str(self) -> str:
        return _format_size(self.expected_freed_size)

    def execute(self) -> None:
        """Delete: snapshot entries, whole repos, snapshots and refs first, blobs last (so an interrupted
        run never leaves a snapshot pointing at a missing blob)."""
        for path in self.files:
            path.unlink(missing_ok=True)
        for path in self.repos:
            _delete_path(path, "repo")
        for path in self.snapshots:
            _delete_path(path, "snapshot")
        for path in self.refs:
            _delete_path(path, "ref")
        for path in self.blobs:
            _delete_path(path, "blob")
        logger.info("Cache deletion done; freed %s.", self.expected_freed_size_str)


@dataclass(frozen=True)
class CachedIncompleteFileInfo:
    """A ``blobs/*.incomplete`` file left by an interrupted download."""

    file_path: Path
    size_on_disk: int


@dataclass(frozen=True)
class HFCacheInfo:
    """The whole cache: its repos, total blob size, interrupted downloads, and scan warnings."""

    size_on_disk: int
    repos: frozenset[CachedRepoInfo]
    warnings: list[CorruptedCacheException]
    incomplete_files: frozenset[CachedIncompleteFileInfo] = frozenset()
    cache_dir: Path | None = None

    @property
    def size_on_disk_str(self) -> str:
        return _format_size(self.size_on_disk)

    @property
    def incomplete_size_on_disk(self) -> int:
        return sum(item.size_on_disk for item in self.incomplete_files)

    def delete_revisions(self, *revisions: str) -> DeleteCacheStrategy:
        """Plan the deletion of these commit hashes (from any repos). Blobs still used by another
        revision are kept; a repo left with no revision is removed whole. Unknown hashes only warn.

        Example:
            >>> import tempfile
            >>> scan_cache_dir(tempfile.mkdtemp()).delete_revisions("0" * 40).expected_freed_size
            0
        """
        to_delete = set(revisions)
        per_repo: dict[CachedRepoInfo, set[CachedRevisionInfo]] = defaultdict(set)
        for repo in self.repos:
            for revision in repo.revisions:
                if revision.commit_hash in to_delete:
                    per_repo[repo].add(revision)
        missing = to_delete - {rev.commit_hash for revs in per_repo.values() for rev in revs}
        if missing:
            logger.warning("Revision(s) not found in the cache, nothing to delete for: %s", ", ".join(sorted(missing)))

        blobs: set[Path] = set()
        refs: set[Path] = set()
        repos: set[Path] = set()
        snapshots: set[Path] = set()
        freed: dict[Path, int] = {}
        for repo, doomed in per_repo.items():
            others = repo.revisions - doomed
            if not others:
                repos.add(repo.repo_path)
                for revision in repo.revisions:
                    for file in revision.files:
                        freed[file.blob_path] = file.size_on_disk
                continue
            kept_blobs = {file.blob_path for revision in others for file in revision.files}
            for revision in doomed:
                snapshots.add(revision.snapshot_path)
                refs.update(repo.repo_path / "refs" / ref for ref in revision.refs)
                for file in revision.files:
                    if revision.snapshot_path in file.blob_path.parents:
                        freed[file.blob_path] = file.size_on_disk  # a copied file inside the snapshot
                    elif file.blob_path not in kept_blobs:
                        blobs.add(file.blob_path)
                        freed[file.blob_path] = file.size_on_disk
        return DeleteCacheStrategy(
            expected_freed_size=sum(freed.values()),
            blobs=frozenset(blobs),
            refs=frozenset(refs),
            repos=frozenset(repos),
            snapshots=frozenset(snapshots),
        )

    def delete_files(self, *files: CachedFileInfo) -> DeleteCacheStrategy:
        """Plan the deletion of individual snapshot entries; a blob goes only when nothing else uses it."""
        selected = set(files)
        kept = {file.blob_path for repo in self.repos for revision in repo.revisions for file in revision.files
                if file not in selected}
        freed = {file.blob_path: file.size_on_disk for file in selected if file.blob_path not in kept}
        paths = frozenset(file.file_path for file in selected)
        return DeleteCacheStrategy(expected_freed_size=sum(freed.values()), blobs=frozenset(set(freed) - paths),
                                   refs=frozenset(), repos=frozenset(), snapshots=frozenset(), files=paths)

    def export_as_table(self, *, verbosity: int = 0) -> str:
        """A text table: one row per repo (``verbosity=0``) or per revision (``verbosity=1``)."""
        if verbosity == 0:
            headers = ["REPO ID", "REPO TYPE", "SIZE ON DISK", "NB FILES", "LAST_ACCESSED", "LAST_MODIFIED", "REFS",
                       "LOCAL PATH"]
            rows = [[repo.repo_id, repo.repo_type, f"{repo.size_on_disk_str:>12}", repo.nb_files,
                     repo.last_accessed_str, repo.last_modified_str, ", ".join(sorted(repo.refs)), str(repo.repo_path)]
                    for repo in sorted(self.repos, key=lambda r: r.repo_path)]
        else:
            headers = ["REPO ID", "REPO TYPE", "REVISION", "SIZE ON DISK", "NB FILES", "LAST_MODIFIED", "REFS",
                       "LOCAL PATH"]
            rows = [[repo.repo_id, repo.repo_type, rev.commit_hash, f"{rev.size_on_disk_str:>12}", rev.nb_files,
                     rev.last_modified_str, ", ".join(sorted(rev.refs)), str(rev.snapshot_path)]
                    for repo in sorted(self.repos, key=lambda r: r.repo_path)
                    for rev in sorted(repo.revisions, key=lambda r: r.commit_hash)]
        return _tabulate(rows, headers)


def _tabulate(rows: list[list[object]], headers: list[str]) -> str:
    widths = [max(len(str(x)) for x in column) for column in zip(*rows, headers)]
    template = " ".join(f"{{:<{width}}}" for width in widths)
    lines = [template.format(*headers), template.format(*["-" * width for width in widths])]
    lines.extend(template.format(*[str(cell) for cell in row]) for row in rows)
    return "\n".join(lines)


def scan_cache_dir(cache_dir: str | Path | None = None) -> HFCacheInfo:
    """Scan the hub cache (default ``HF_HUB_CACHE``) and describe every repo, revision and file in it.

    Raises ``CacheNotFound`` if the folder does not exist, ``HFValidationError`` if it is a file.

    Example:
        >>> scan_cache_dir("/no/such/folder")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        embrace.errors.CacheNotFound: Cache directory not found: /no/such/folder. Pass cache_dir= or set HF_HUB_CACHE ...
    """
    root = Path(constants.hf_hub_cache() if cache_dir is None else cache_dir).expanduser().resolve()
    if not root.exists():
        raise CacheNotFound(
            f"Cache directory not found: {root}. Pass cache_dir= or set HF_HUB_CACHE to the hub cache folder.",
            cache_dir=str(root),
        )
    if root.is_file():
        raise HFValidationError(f"scan_cache_dir expects a folder but {root} is a file. Pass the hub cache folder.")

    repos: set[CachedRepoInfo] = set()
    warnings: list[CorruptedCacheException] = []
    for repo_path in root.iterdir():
        name = repo_path.name
        if name in FILES_TO_IGNORE or name in _NOT_REPOS:
            continue
        if name == "blobs" and (repo_path / ".huggingface-shared-blobs").is_file():
            continue  # the reference's cache-wide shared blob store (marked), not a repo
        try:
            repos.add(_scan_repo(repo_path))
        except CorruptedCacheException as error:
            warnings.append(error)

    blob_paths = {file.blob_path for repo in repos for revision in repo.revisions for file in revision.files}
    size = 0
    for blob in blob_paths:
        try:
            size += blob.stat().st_size
        except OSError:
            pass
    incomplete = set()
    for path in root.glob("*/blobs/*.incomplete"):
        try:
            incomplete.add(CachedIncompleteFileInfo(file_path=path, size_on_disk=path.stat().st_size))
        except OSError:
            continue
    return HFCacheInfo(size_on_disk=size, repos=frozenset(repos), warnings=warnings,
                       incomplete_files=frozenset(incomplete), cache_dir=root)


def _scan_repo(repo_path: Path) -> CachedRepoInfo:
    if not repo_path.is_dir():
        raise CorruptedCacheException(f"Repo path is not a directory: {repo_path}")
    if "--" not in repo_path.name:
        raise CorruptedCacheException(f"Repo path is not a valid hub cache folder (no '--' in its name): {repo_path}")
    type_prefix, repo_id = repo_path.name.split("--", maxsplit=1)
    if type_prefix not in constants.REPO_TYPES_MAPPING:
        raise CorruptedCacheException(
            f"Repo type must be one of {sorted(constants.REPO_TYPES_MAPPING)}, found `{type_prefix}` ({repo_path})."
        )
    repo_type = constants.REPO_TYPES_MAPPING[type_prefix]
    repo_id = repo_id.replace("--", "/")

    snapshots = repo_path / "snapshots"
    refs_dir = repo_path / "refs"
    if not snapshots.is_dir():
        raise CorruptedCacheException(f"Snapshots dir doesn't exist in cached repo: {snapshots}")

    refs_by_hash: dict[str, set[str]] = defaultdict(set)
    if refs_dir.exists():
        if refs_dir.is_file():
            raise CorruptedCacheException(f"Refs directory cannot be a file: {refs_dir}")
        for ref in refs_dir.glob("**/*"):
            if ref.is_dir() or ref.name in FILES_TO_IGNORE:
                continue
            refs_by_hash[ref.read_text()].add(ref.relative_to(refs_dir).as_posix())

    blob_stats: dict[Path, os.stat_result] = {}
    revisions: set[CachedRevisionInfo] = set()
    for revision_path in snapshots.iterdir():
        if revision_path.name in FILES_TO_IGNORE:
            continue
        if revision_path.is_file():
            raise CorruptedCacheException(f"Snapshots folder corrupted. Found a file: {revision_path}")
        files = set()
        for file_path in revision_path.glob("**/*"):
            if file_path.is_dir():
                continue
            if file_path.is_symlink():
                blob_path = Path(os.path.abspath(file_path.parent / os.readlink(file_path)))
            else:
                blob_path = file_path  # a copy (no symlink support)
            if not blob_path.exists():
                raise CorruptedCacheException(f"Blob missing (broken symlink): {blob_path}")
            if blob_path not in blob_stats:
                blob_stats[blob_path] = blob_path.stat()
            stat = blob_stats[blob_path]
            files.add(CachedFileInfo(file_name=file_path.name, file_path=file_path, blob_path=blob_path,
                                     size_on_disk=stat.st_size, blob_last_accessed=stat.st_atime,
                                     blob_last_modified=stat.st_mtime))
        if files:
            last_modified = max(blob_stats[f.blob_path].st_mtime for f in files)
        else:
            last_modified = revision_path.stat().st_mtime
        revisions.add(CachedRevisionInfo(
            commit_hash=revision_path.name,
            snapshot_path=revision_path,
            size_on_disk=sum(blob_stats[p].st_size for p in {f.blob_path for f in files}),
            files=frozenset(files),
            refs=frozenset(refs_by_hash.pop(revision_path.name, set())),
            last_modified=last_modified,
        ))
    if refs_by_hash:
        raise CorruptedCacheException(
            f"Reference(s) refer to missing commit hashes: {dict(refs_by_hash)} ({repo_path})."
        )
    if blob_stats:
        last_accessed = max(s.st_atime for s in blob_stats.values())
        last_modified = max(s.st_mtime for s in blob_stats.values())
    else:
        stat = repo_path.stat()
        last_accessed, last_modified = stat.st_atime, stat.st_mtime
    return CachedRepoInfo(
        repo_id=repo_id,
        repo_type=repo_type,
        repo_path=repo_path,
        size_on_disk=sum(s.st_size for s in blob_stats.values()),
        nb_files=len(blob_stats),
        revisions=frozenset(revisions),
        last_accessed=last_accessed,
        last_modified=last_modified,
    )
