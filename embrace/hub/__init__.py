"""Hub access (``huggingface_hub``'s counterpart): environment constants, the local cache, file
resolution, downloads, the API client, uploads and cache scanning.

The download/API names are imported lazily (on first attribute access), so importing the
package does not pull in the HTTP client.

Example:
    >>> from embrace.hub import try_to_load_from_cache, constants
    >>> constants.DEFAULT_REVISION
    'main'
    >>> from embrace.hub import hf_hub_download, snapshot_download, HfApi, scan_cache_dir
    >>> callable(hf_hub_download) and callable(snapshot_download)
    True
"""

from __future__ import annotations

import importlib
from typing import Any

from embrace.hub import constants
from embrace.hub.cache import _CACHED_NO_EXIST, repo_folder_name, try_to_load_from_cache
from embrace.hub.constants import get_token, is_offline_mode
from embrace.hub.resolve import resolve_file

# public name -> module that defines it
_LAZY: dict[str, str] = {
    **{name: "embrace.hub.download" for name in ("hf_hub_download", "hf_hub_url", "get_hf_file_metadata",
                                                 "HfFileMetadata")},
    **{name: "embrace.hub.snapshot" for name in ("snapshot_download", "filter_repo_objects")},
    **{name: "embrace.hub.api" for name in (
        "HfApi", "ModelInfo", "DatasetInfo", "SpaceInfo", "RepoSibling", "RepoFile", "RepoFolder", "BlobLfsInfo",
        "CommitInfo", "RepoUrl", "CommitOperationAdd", "CommitOperationDelete", "whoami", "repo_info",
        "model_info", "dataset_info", "space_info", "repo_exists", "revision_exists", "file_exists",
        "list_repo_files", "list_repo_tree", "create_repo", "delete_repo", "create_commit", "preupload_lfs_files",
        "upload_file", "upload_folder",
    )},
    **{name: "embrace.hub.cache_scan" for name in (
        "scan_cache_dir", "HFCacheInfo", "CachedRepoInfo", "CachedRevisionInfo", "CachedFileInfo",
        "DeleteCacheStrategy",
    )},
    "PushToHubMixin": "embrace.hub.push",
    "build_hf_headers": "embrace.hub._http",
}

__all__ = [
    "_CACHED_NO_EXIST",
    "constants",
    "get_token",
    "is_offline_mode",
    "repo_folder_name",
    "resolve_file",
    "try_to_load_from_cache",
    *sorted(_LAZY),
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'embrace.hub' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
