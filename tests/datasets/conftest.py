"""Fixtures for the datasets tests: the reference library, quiet."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def ref():
    """The reference ``datasets`` package (test-only oracle), progress bars off."""
    import datasets

    datasets.disable_progress_bars()
    return datasets
