"""`embrace run`: the `make run` main job (MiniLM similarities + SmolLM2 chat answer) and
pipeline tasks from the command line, compared with the reference."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import torch
import transformers

ROOT = Path(__file__).resolve().parents[2]
SENTENCES = ["A man is eating food.", "A man is eating a piece of bread.", "The girl is carrying a baby."]


def _embrace(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "embrace", "run", *args], capture_output=True, text=True, cwd=ROOT,
                          timeout=300, input=stdin)


@pytest.fixture(scope="module")
def main_job(minilm_dir, smollm2_gguf) -> subprocess.CompletedProcess:
    return _embrace("--model", str(minilm_dir), "--gguf", str(smollm2_gguf), *SENTENCES)


def test_main_job_prints_the_reference_similarities(main_job, minilm_dir) -> None:
    """The job's cosine similarities equal mean-pooled, normalised reference embeddings."""
    assert main_job.returncode == 0, main_job.stderr[-2000:]
    printed = [float(v) for v in re.findall(r"^cosine ([+-]\d\.\d+)", main_job.stdout, re.M)]
    tokenizer = transformers.AutoTokenizer.from_pretrained(minilm_dir)
    model = transformers.AutoModel.from_pretrained(minilm_dir)
    batch = tokenizer(SENTENCES, padding=True, truncation=True, return_tensors="pt")
    with torch.no_grad():
        hidden = model(**batch).last_hidden_state
    weights = batch["attention_mask"].unsqueeze(-1).float()
    emb = torch.nn.functional.normalize((hidden * weights).sum(1) / weights.sum(1), dim=-1)
    expected = [(emb[i] @ emb[j]).item() for i in range(3) for j in range(i + 1, 3)]
    assert printed == [round(v, 3) for v in expected]


def test_main_job_answers_through_the_chat_template(main_job) -> None:
    # The reference (transformers, gguf_file=, greedy, 20 new tokens) answers exactly this.
    assert "question: What is the capital of France?" in main_job.stdout
    assert re.search(r"^answer:   The capital of France is Paris\.  \(", main_job.stdout, re.M), main_job.stdout[-500:]


def test_main_job_errors_say_how_to_fix(monkeypatch, minilm_dir, tmp_path) -> None:
    monkeypatch.delenv("EMBRACE_DEMO_MODEL", raising=False)
    proc = _embrace()
    assert proc.returncode != 0 and "--model" in proc.stderr
    proc = _embrace("--model", str(minilm_dir), "--gguf", str(tmp_path / "missing.gguf"))
    assert proc.returncode != 0 and "missing.gguf" in proc.stderr and "make assets" in proc.stderr


@pytest.fixture(scope="module")
def tiny_mlm(tmp_path_factory, minilm_dir) -> Path:
    folder = tmp_path_factory.mktemp("cli-mlm")
    config = transformers.BertConfig(vocab_size=30522, hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                                     intermediate_size=37)
    torch.manual_seed(0)
    transformers.BertForMaskedLM(config).eval().save_pretrained(folder)
    for name in ("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "vocab.txt"):
        shutil.copy(minilm_dir / name, folder / name)
    return folder


def test_task_json_lines_match_the_reference(tiny_mlm) -> None:
    texts = ["Paris is the [MASK] of France.", "I [MASK] it."]
    proc = _embrace("fill-mask", *texts, "--model", str(tiny_mlm), "--json", "--batch-size", "2",
                    "--option", "top_k=2")
    assert proc.returncode == 0, proc.stderr[-2000:]
    lines = [json.loads(line) for line in proc.stdout.splitlines()]
    reference = transformers.pipeline("fill-mask", model=str(tiny_mlm))
    assert [line["input"] for line in lines] == texts
    for line, text in zip(lines, texts):
        expected = reference(text, top_k=2)
        assert [a["token_str"] for a in line["output"]] == [a["token_str"] for a in expected]
        assert all(abs(a["score"] - b["score"]) < 1e-6 for a, b in zip(line["output"], expected))


def test_task_reads_stdin_and_prints_readably(tiny_mlm) -> None:
    proc = _embrace("fill-mask", "--model", str(tiny_mlm), "--option", "top_k=1",
                    stdin="Paris is the [MASK] of France.\n\nI [MASK] it.\n")
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.count("> ") == 2 and "token_str=" in proc.stdout
    bad = _embrace("fill-mask", "No mask.", "--model", str(tiny_mlm))
    assert bad.returncode != 0 and "mask" in bad.stderr.lower()
    bad = _embrace("fill-mask", "I [MASK] it.", "--model", str(tiny_mlm), "--option", "top_k")
    assert bad.returncode != 0 and "KEY=VALUE" in bad.stderr
