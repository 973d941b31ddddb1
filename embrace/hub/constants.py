"""Hub environment and constants, named as in ``huggingface_hub.constants``.

Settings that come from the environment are read each time they are used (never frozen
at import), both through functions (``hf_hub_cache()``) and through the module attributes
the reference exposes (``constants.HF_HUB_CACHE``), so changing ``os.environ`` takes effect.

Example:
    >>> import os
    >>> from embrace.hub import constants
    >>> os.environ["HF_HUB_CACHE"] = "/tmp/my-cache"
    >>> constants.HF_HUB_CACHE
    '/tmp/my-cache'
    >>> del os.environ["HF_HUB_CACHE"]
"""

from __future__ import annotations

import os
from typing import Any

from embrace.errors import HFValidationError

ENV_VARS_TRUE_VALUES = frozenset({"1", "ON", "YES", "TRUE"})

CONFIG_NAME = "config.json"
PYTORCH_WEIGHTS_NAME = "pytorch_model.bin"
SAFETENSORS_SINGLE_FILE = "model.safetensors"
SAFETENSORS_INDEX_FILE = "model.safetensors.index.json"
REPOCARD_NAME = "README.md"

DEFAULT_REVISION = "main"
DEFAULT_ETAG_TIMEOUT = 10
DEFAULT_DOWNLOAD_TIMEOUT = 10

REPO_ID_SEPARATOR = "--"
REPO_TYPE_MODEL = "model"
REPO_TYPE_DATASET = "dataset"
REPO_TYPE_SPACE = "space"
REPO_TYPE_KERNEL = "kernel"
REPO_TYPES = [None, REPO_TYPE_MODEL, REPO_TYPE_DATASET, REPO_TYPE_SPACE]
REPO_TYPES_WITH_KERNEL = [*REPO_TYPES, REPO_TYPE_KERNEL]
REPO_TYPES_URL_PREFIXES = {
    REPO_TYPE_DATASET: "datasets/",
    REPO_TYPE_SPACE: "spaces/",
    REPO_TYPE_KERNEL: "kernels/",
}
REPO_TYPES_MAPPING = {
    "datasets": REPO_TYPE_DATASET,
    "spaces": REPO_TYPE_SPACE,
    "models": REPO_TYPE_MODEL,
    "kernels": REPO_TYPE_KERNEL,
}

_DEFAULT_ENDPOINT = "https://huggingface.co"


def _is_true(value: str | None) -> bool:
    return value is not None and value.upper() in ENV_VARS_TRUE_VALUES


def _expand(path: str) -> str:
    return os.path.expandvars(os.path.expanduser(path))


def _env_int(name: str, default: int) -> int:
    text = os.environ.get(name)
    if text is None:
        return default
    try:
        return int(text) or default  # 0 means "use the default", as in the reference
    except ValueError:
        raise HFValidationError(f"Environment variable {name}={text!r} must be an integer number of seconds.") from None


def hf_home() -> str:
    """``$HF_HOME``, else ``$XDG_CACHE_HOME/huggingface``, else ``~/.cache/huggingface``.

    Example:
        >>> hf_home().endswith("huggingface") or "HF_HOME" in os.environ
        True
    """
    default = os.path.join(os.environ.get("XDG_CACHE_HOME", os.path.join(os.path.expanduser("~"), ".cache")), "huggingface")
    return _expand(os.environ.get("HF_HOME", default))


def hf_hub_cache() -> str:
    """The hub cache folder: ``$HF_HUB_CACHE``, else the legacy ``$HUGGINGFACE_HUB_CACHE``, else ``$HF_HOME/hub``.

    Example:
        >>> os.path.basename(hf_hub_cache()) == "hub" or "HF_HUB_CACHE" in os.environ
        True
    """
    return _expand(os.environ.get("HF_HUB_CACHE", _legacy_hub_cache()))


def _legacy_hub_cache() -> str:
    return os.environ.get("HUGGINGFACE_HUB_CACHE", os.path.join(hf_home(), "hub"))


def endpoint() -> str:
    """The hub URL: ``$HF_ENDPOINT`` without a trailing slash, else ``https://huggingface.co``.

    Example:
        >>> endpoint().startswith("http")
        True
    """
    return os.environ.get("HF_ENDPOINT", _DEFAULT_ENDPOINT).rstrip("/")


def is_offline_mode() -> bool:
    """Whether ``HF_HUB_OFFLINE`` (or the legacy ``TRANSFORMERS_OFFLINE``) is set to 1/ON/YES/TRUE.

    Example:
        >>> isinstance(is_offline_mode(), bool)
        True
    """
    return _is_true(os.environ.get("HF_HUB_OFFLINE") or os.environ.get("TRANSFORMERS_OFFLINE"))


def hf_token_path() -> str:
    """Where the login token is stored: ``$HF_TOKEN_PATH``, else ``$HF_HOME/token``.

    Example:
        >>> os.path.basename(hf_token_path()) == "token" or "HF_TOKEN_PATH" in os.environ
        True
    """
    return _expand(os.environ.get("HF_TOKEN_PATH", os.path.join(hf_home(), "token")))


def get_token() -> str | None:
    """The token from ``$HF_TOKEN`` (or legacy ``$HUGGING_FACE_HUB_TOKEN``), else the token file, else None.

    Surrounding whitespace and newlines are dropped; an empty value counts as no token.

    Example:
        >>> os.environ["HF_TOKEN"] = " hf_abc\\n"
        >>> get_token()
        'hf_abc'
        >>> del os.environ["HF_TOKEN"]
    """
    token = os.environ.get("HF_TOKEN") or os.environ.get("HUGGING_FACE_HUB_TOKEN")
    if token is None:
        try:
            with open(hf_token_path(), encoding="utf-8") as reader:
                token = reader.read()
        except (FileNotFoundError, NotADirectoryError):
            return None
    return token.replace("\r", "").replace("\n", "").strip() or None


def disable_progress_bars() -> bool | None:
    """``HF_HUB_DISABLE_PROGRESS_BARS`` as a bool, or None when it is not set.

    Example:
        >>> disable_progress_bars() in (None, True, False)
        True
    """
    value = os.environ.get("HF_HUB_DISABLE_PROGRESS_BARS")
    return None if value is None else _is_true(value)


def etag_timeout() -> int:
    """Seconds to wait for file metadata: ``$HF_HUB_ETAG_TIMEOUT``, default 10.

    Example:
        >>> etag_timeout() > 0
        True
    """
    return _env_int("HF_HUB_ETAG_TIMEOUT", DEFAULT_ETAG_TIMEOUT)


def download_timeout() -> int:
    """Seconds to wait for download data: ``$HF_HUB_DOWNLOAD_TIMEOUT``, default 10.

    Example:
        >>> download_timeout() > 0
        True
    """
    return _env_int("HF_HUB_DOWNLOAD_TIMEOUT", DEFAULT_DOWNLOAD_TIMEOUT)


# The reference's module attributes, each computed from the environment when read.
_LIVE_ATTRIBUTES = {
    "HF_HOME": hf_home,
    "HF_HUB_CACHE": hf_hub_cache,
    "HUGGINGFACE_HUB_CACHE": _legacy_hub_cache,
    "ENDPOINT": endpoint,
    "HF_HUB_OFFLINE": is_offline_mode,
    "HF_TOKEN_PATH": hf_token_path,
    "HF_HUB_DISABLE_PROGRESS_BARS": disable_progress_bars,
    "HF_HUB_ETAG_TIMEOUT": etag_timeout,
    "HF_HUB_DOWNLOAD_TIMEOUT": download_timeout,
}


def __getattr__(name: str) -> Any:
    getter = _LIVE_ATTRIBUTES.get(name)
    if getter is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getter()


def __dir__() -> list[str]:
    return sorted([*globals(), *_LIVE_ATTRIBUTES])
