"""`embrace env`: versions and settings to paste into a bug report."""

from __future__ import annotations

import argparse
import platform


def add_arguments(parser: argparse.ArgumentParser) -> None:
    del parser  # no options


def run(args: argparse.Namespace) -> int:
    import torch

    from embrace import __version__
    from embrace.hub import constants

    print(f"embrace: {__version__}")
    print(f"python: {platform.python_version()} ({platform.platform()})")
    print(f"torch: {torch.__version__} (cuda available: {torch.cuda.is_available()})")
    print(f"HF_HUB_CACHE: {constants.hf_hub_cache()}")
    print(f"HF_HUB_OFFLINE: {constants.is_offline_mode()}")
    return 0
