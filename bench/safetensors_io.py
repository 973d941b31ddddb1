"""Benchmark: safetensors save and load, embrace vs the reference, on a ~200 MB state dict.

Prints one line per measurement: ``name: ours X, reference Y, ratio Z`` (ratio = ours /
reference; below 1 is better for times). Each number is the best of a few repeats, with
the file in the page cache (what a second load of a model sees).
"""

from __future__ import annotations

import os
import tempfile
import time
from typing import Callable

import torch

import safetensors
import safetensors.torch as reference
from embrace.safetensors import safe_open
from embrace.safetensors import torch as ours

REPEATS = 3


def make_state_dict() -> dict[str, torch.Tensor]:
    """~200 MB in a transformer-like mix: big matrices, small vectors, several dtypes."""
    generator = torch.Generator().manual_seed(0)
    tensors: dict[str, torch.Tensor] = {"embed.weight": torch.randn(24576, 1024, generator=generator)}  # 96 MB
    for layer in range(8):
        prefix = f"layers.{layer}"
        tensors[f"{prefix}.attn.qkv.weight"] = torch.randn(3072, 1024, generator=generator).to(torch.bfloat16)
        tensors[f"{prefix}.mlp.up.weight"] = torch.randn(2048, 1024, generator=generator).to(torch.float16)
        tensors[f"{prefix}.mlp.down.weight"] = torch.randn(1024, 2048, generator=generator).to(torch.bfloat16)
        for norm in ("ln1", "ln2"):
            tensors[f"{prefix}.{norm}.weight"] = torch.ones(1024)
            tensors[f"{prefix}.{norm}.bias"] = torch.zeros(1024)
        tensors[f"{prefix}.position"] = torch.arange(512, dtype=torch.int64)
    return tensors


def best_of(function: Callable[[], object], *, remove: str | None = None) -> float:
    timings = []
    for _ in range(REPEATS):
        if remove is not None and os.path.exists(remove):
            os.remove(remove)  # time writing a new file, not the filesystem freeing the old one
        start = time.perf_counter()
        function()
        timings.append(time.perf_counter() - start)
    return min(timings)


def report(name: str, ours_s: float, reference_s: float) -> None:
    print(f"{name}: ours {ours_s * 1000:.2f} ms, reference {reference_s * 1000:.2f} ms, ratio {ours_s / reference_s:.2f}")


def touch_all(tensors: dict[str, torch.Tensor]) -> None:
    """Read every byte (a mapped load defers the reads until the data is used)."""
    for tensor in tensors.values():
        tensor.clone()


def main() -> None:
    tensors = make_state_dict()
    total_mb = sum(t.numel() * t.element_size() for t in tensors.values()) / 2**20
    with tempfile.TemporaryDirectory() as folder:
        ours_path = os.path.join(folder, "ours.safetensors")
        reference_path = os.path.join(folder, "reference.safetensors")

        report(
            f"save_file {total_mb:.0f} MB (time)",
            best_of(lambda: ours.save_file(tensors, ours_path, metadata={"format": "pt"}), remove=ours_path),
            best_of(
                lambda: reference.save_file(tensors, reference_path, metadata={"format": "pt"}), remove=reference_path
            ),
        )
        report(
            f"save to bytes {total_mb:.0f} MB (time)",
            best_of(lambda: ours.save(tensors)),
            best_of(lambda: reference.save(tensors)),
        )
        report(
            "load_file (time)",
            best_of(lambda: ours.load_file(reference_path)),
            best_of(lambda: reference.load_file(reference_path)),
        )
        report(
            "load_file + clone every tensor (time)",
            best_of(lambda: touch_all(ours.load_file(reference_path))),
            best_of(lambda: touch_all(reference.load_file(reference_path))),
        )

        def open_all(opener: Callable, path: str) -> None:
            with opener(path, framework="pt") as handle:
                for name in handle.keys():
                    handle.get_tensor(name)

        report(
            "safe_open + get_tensor of all keys (time)",
            best_of(lambda: open_all(safe_open, reference_path)),
            best_of(lambda: open_all(safetensors.safe_open, reference_path)),
        )
        with open(reference_path, "rb") as file:
            data = file.read()
        report("load from bytes (time)", best_of(lambda: ours.load(data)), best_of(lambda: reference.load(data)))


if __name__ == "__main__":
    main()
