"""The `embrace` command: `python -m embrace` and the `make run` job."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import torch
import transformers

ROOT = Path(__file__).resolve().parents[2]


def _embrace(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "embrace", *args], capture_output=True, text=True, cwd=ROOT, timeout=300)


def test_version_and_help() -> None:
    assert _embrace("--version").stdout.strip().startswith("embrace ")
    help_text = _embrace("--help").stdout
    for command in ("run", "env", "hub", "download", "upload", "cache"):
        assert command in help_text


def test_run_prints_the_reference_similarities(minilm_dir: Path) -> None:
    """The job's cosine similarities equal mean-pooled, normalised reference embeddings."""
    sentences = ["A man is eating food.", "A man is eating a piece of bread.", "The girl is carrying a baby."]
    proc = _embrace("run", "--model", str(minilm_dir), *sentences)
    assert proc.returncode == 0, proc.stderr[-2000:]
    printed = [float(v) for v in re.findall(r"^cosine ([+-]\d\.\d+)", proc.stdout, re.M)]

    tokenizer = transformers.AutoTokenizer.from_pretrained(minilm_dir)
    model = transformers.AutoModel.from_pretrained(minilm_dir)
    batch = tokenizer(sentences, padding=True, truncation=True, return_tensors="pt")
    with torch.no_grad():
        hidden = model(**batch).last_hidden_state
    weights = batch["attention_mask"].unsqueeze(-1).float()
    emb = torch.nn.functional.normalize((hidden * weights).sum(1) / weights.sum(1), dim=-1)
    expected = [(emb[i] @ emb[j]).item() for i in range(3) for j in range(i + 1, 3)]
    assert printed == [round(v, 3) for v in expected]


def test_run_without_model_says_how_to_fix(monkeypatch) -> None:
    monkeypatch.delenv("EMBRACE_DEMO_MODEL", raising=False)
    proc = _embrace("run")
    assert proc.returncode != 0 and "--model" in proc.stderr
