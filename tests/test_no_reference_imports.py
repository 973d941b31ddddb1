"""embrace must run with the reference libraries absent: they are test-only oracles.

A child interpreter installs an import hook that refuses every reference module, then
imports every embrace module and runs a real load-save-forward cycle. Any import of a
reference library (even a lazy one deep inside a function) fails the run.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

BLOCKED = (
    "transformers", "tokenizers", "datasets", "huggingface_hub", "safetensors",
    "peft", "accelerate", "evaluate", "gguf", "sentence_transformers",
)

CHILD = textwrap.dedent(
    """
    import importlib, importlib.abc, pkgutil, sys, tempfile
    BLOCKED = set(sys.argv[1].split(","))

    class Blocker(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] in BLOCKED:
                raise ImportError(f"reference library {name!r} imported by embrace")
            return None

    sys.meta_path.insert(0, Blocker())

    import embrace
    for info in pkgutil.walk_packages(embrace.__path__, "embrace."):
        if info.name != "embrace.__main__":
            importlib.import_module(info.name)
    for name in embrace.__all__:
        getattr(embrace, name)

    import torch
    from embrace import AutoModel, BertConfig, BertForMaskedLM
    config = BertConfig(vocab_size=50, hidden_size=16, num_hidden_layers=1, num_attention_heads=2,
                        intermediate_size=20)
    with tempfile.TemporaryDirectory() as folder:
        BertForMaskedLM(config).save_pretrained(folder)
        model = AutoModel.from_pretrained(folder)
    model(input_ids=torch.tensor([[1, 2, 3]]))
    model = AutoModel.from_pretrained(sys.argv[2])
    model(input_ids=torch.tensor([[101, 2003, 102]]))
    leaked = sorted(m for m in sys.modules if m.split(".")[0] in BLOCKED)
    assert not leaked, leaked
    print("OK")
    """
)


def test_embrace_runs_without_reference_libraries(minilm_dir):
    proc = subprocess.run(
        [sys.executable, "-c", CHILD, ",".join(BLOCKED), str(minilm_dir)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
    )
    assert proc.returncode == 0 and proc.stdout.strip().endswith("OK"), proc.stderr[-3000:]


def test_import_embrace_is_light():
    """`import embrace` must not pull torch or any family module in (lazy public API)."""
    code = "import sys, embrace; print(sorted(m for m in ('torch', 'embrace.models.bert') if m in sys.modules))"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[]"
