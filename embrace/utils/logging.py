"""Loggers for embrace modules, all under the ``embrace`` namespace.

Example:
    >>> from embrace.utils.logging import get_logger
    >>> get_logger("embrace.configuration").name
    'embrace.configuration'
    >>> get_logger("hub.resolve").name
    'embrace.hub.resolve'
"""

from __future__ import annotations

import functools
import logging


def get_logger(name: str) -> logging.Logger:
    """Return the logger for ``name``, placed under the ``embrace`` namespace.

    A module passes its ``__name__`` (already ``embrace.<...>``); any other name gets the
    ``embrace.`` prefix, so one ``logging.getLogger("embrace").setLevel(...)`` controls all.

    Example:
        >>> get_logger("embrace.hub").name
        'embrace.hub'
    """
    if name != "embrace" and not name.startswith("embrace."):
        name = f"embrace.{name}"
    return logging.getLogger(name)


@functools.lru_cache(maxsize=None)
def warning_once(logger: logging.Logger, message: str) -> None:
    """Log ``message`` as a warning on ``logger`` the first time only (e.g. deprecations).

    Example:
        >>> warning_once(get_logger("embrace.doc"), "shown once")
    """
    logger.warning(message)
