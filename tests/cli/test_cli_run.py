"""The `embrace` command: `python -m embrace` (the `run` subcommand is tested in test_run.py)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _embrace(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "embrace", *args], capture_output=True, text=True, cwd=ROOT, timeout=300)


def test_version_and_help() -> None:
    assert _embrace("--version").stdout.strip().startswith("embrace ")
    help_text = _embrace("--help").stdout
    for command in ("run", "env", "hub", "download", "upload", "cache"):
        assert command in help_text
