"""Hub access: environment constants, the local cache and file resolution (``huggingface_hub``'s counterpart).

Example:
    >>> from embrace.hub import try_to_load_from_cache, constants
    >>> constants.DEFAULT_REVISION
    'main'
"""

from embrace.hub import constants
from embrace.hub.cache import _CACHED_NO_EXIST, repo_folder_name, try_to_load_from_cache
from embrace.hub.constants import get_token, is_offline_mode
from embrace.hub.resolve import resolve_file

__all__ = [
    "_CACHED_NO_EXIST",
    "constants",
    "get_token",
    "is_offline_mode",
    "repo_folder_name",
    "resolve_file",
    "try_to_load_from_cache",
]
