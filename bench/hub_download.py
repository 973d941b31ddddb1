"""Benchmark: ``snapshot_download`` of a ~100 MB repo from a loopback hub, embrace vs huggingface_hub.

The repo holds an 80 MB LFS file, a 16 MB LFS file and a few small files. It is served by
embrace's own hub (``embrace hub serve``, in a separate process so the server does not compete
with the client for the GIL); where that server is not available, by the test suite's fake hub
(also in its own process). Each client downloads into a fresh cache folder, one run each.
embrace also verifies the sha256 of every LFS file, which the reference does not.

Prints::

    hub_snapshot_download_time (s): ours X, reference Y, ratio Z

Ratio = ours / reference (lower is better). The hub is on 127.0.0.1 only; this script
unsets HF_HUB_OFFLINE for itself, since loopback is not the network.

Usage: ``python bench/hub_download.py``
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
REPO_ID = "bench/hundred-mb"
MB = 1024 * 1024

# loopback is not "the network": both clients must be online, quiet, and without Xet
os.environ.pop("HF_HUB_OFFLINE", None)
os.environ.pop("TRANSFORMERS_OFFLINE", None)
os.environ["HF_HUB_DISABLE_PROGRESS_BARS"] = "1"
os.environ["EMBRACE_DISABLE_PROGRESS_BARS"] = "1"
os.environ["HF_HUB_DISABLE_XET"] = "1"
os.environ["HF_HUB_DISABLE_TELEMETRY"] = "1"
sys.path.insert(0, str(ROOT))


def _files() -> dict[str, bytes]:
    block = os.urandom(MB)
    return {
        "model.safetensors": block * 80,
        "optimizer/state.bin": block[::-1] * 16,
        "config.json": b'{"model_type": "bert", "hidden_size": 768}',
        "tokenizer.json": b'{"version": "1.0", "model": {"type": "WordPiece"}}' * 200,
        "README.md": b"# a benchmark repo\n",
    }


def _start_embrace_hub(workdir: Path, files: dict[str, bytes]) -> tuple[str, subprocess.Popen]:
    src = workdir / "src"
    for name, data in files.items():
        (src / name).parent.mkdir(parents=True, exist_ok=True)
        (src / name).write_bytes(data)
    hub_root = workdir / "hub"
    subprocess.run([sys.executable, "-m", "embrace", "hub", "import", str(src), REPO_ID, "--root", str(hub_root)],
                   check=True, capture_output=True, cwd=ROOT)
    proc = subprocess.Popen([sys.executable, "-m", "embrace", "hub", "serve", str(hub_root), "--port", "0",
                             "--log-level", "warning"], stdout=subprocess.PIPE, text=True, cwd=ROOT)
    line = proc.stdout.readline()  # "embrace hub: serving ROOT at http://127.0.0.1:PORT"
    match = re.search(r"(http://\S+)", line)
    if match is None:
        proc.kill()
        raise RuntimeError(f"embrace hub serve did not start: {line!r}")
    return match.group(1), proc


def _start_fake_hub(files: dict[str, bytes]) -> tuple[str, object]:
    import multiprocessing

    from tests.hub.fake_hub import serve_forever

    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    proc = context.Process(target=serve_forever, args=([("model", REPO_ID, files)], queue), daemon=True)
    proc.start()
    return queue.get(timeout=120), proc


def main() -> int:
    files = _files()
    total = sum(len(data) for data in files.values())
    workdir = Path(tempfile.mkdtemp(prefix="embrace-bench-hub-"))
    try:
        try:
            import embrace.hub.server  # noqa: F401

            endpoint, server = _start_embrace_hub(workdir, files)
            served_by = "embrace hub serve"
        except ImportError:
            endpoint, server = _start_fake_hub(files)
            served_by = "tests/hub/fake_hub.py"
        os.environ["HF_ENDPOINT"] = endpoint
        del files

        import huggingface_hub

        from embrace.hub import model_info, snapshot_download

        # warm-up outside the clock, the same for both: imports, the connection pool, the server
        huggingface_hub.HfApi(endpoint=endpoint).model_info(REPO_ID)
        model_info(REPO_ID)

        timings, sizes = {}, {}
        for name, download in (("reference", huggingface_hub.snapshot_download), ("ours", snapshot_download)):
            cache = workdir / f"cache-{name}"
            start = time.perf_counter()
            folder = download(REPO_ID, cache_dir=cache, endpoint=endpoint)
            timings[name] = time.perf_counter() - start
            sizes[name] = sum(p.stat().st_size for p in Path(folder).rglob("*") if p.is_file())
            if sizes[name] < total:  # a hub may add a .gitattributes of its own
                raise RuntimeError(f"{name} downloaded {sizes[name]} bytes, expected at least {total}")
        if sizes["ours"] != sizes["reference"]:
            raise RuntimeError(f"the two clients downloaded different amounts: {sizes}")
        print(f"# {sizes['ours'] / MB:.1f} MB from {served_by} at {endpoint}")
        ratio = timings["ours"] / timings["reference"]
        print(f"hub_snapshot_download_time (s): ours {timings['ours']:.3f}, reference {timings['reference']:.3f}, "
              f"ratio {ratio:.2f}")
        return 0
    finally:
        if "server" in locals():
            server.terminate()
        shutil.rmtree(workdir, ignore_errors=True)



if __name__ == "__main__":
    raise SystemExit(main())
