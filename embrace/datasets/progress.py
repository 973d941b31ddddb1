"""Progress bars for long dataset work (map, filter, save), off with
``HF_HUB_DISABLE_PROGRESS_BARS=1``, ``HF_DATASETS_DISABLE_PROGRESS_BARS=1`` or
``EMBRACE_DISABLE_PROGRESS_BARS=1``.

Example:
    >>> with progress_bar(total=3, desc="Map") as bar:
    ...     bar.update(3)
"""

from __future__ import annotations

import os

from tqdm.auto import tqdm

_SWITCHES = ("EMBRACE_DISABLE_PROGRESS_BARS", "HF_DATASETS_DISABLE_PROGRESS_BARS", "HF_HUB_DISABLE_PROGRESS_BARS")


def progress_disabled() -> bool:
    """Whether an environment switch turns the bars off."""
    return any(os.environ.get(name, "").strip().lower() in ("1", "true", "yes", "on") for name in _SWITCHES)


def progress_bar(*, total: int, desc: str, unit: str = " examples", disable: bool = False) -> tqdm:
    """A tqdm bar over ``total`` rows (hidden when disabled)."""
    return tqdm(total=total, desc=desc, unit=unit, disable=disable or progress_disabled(), leave=False)
