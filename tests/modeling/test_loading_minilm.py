"""The real all-MiniLM-L6-v2 checkpoint (BERT keys without the ``bert.`` prefix).

Loads into the body and into a classification head exactly like the reference, and the
load itself stays far below two model sizes of extra resident memory.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import torch
import transformers

import embrace.models.bert as ours_bert

transformers.logging.set_verbosity_error()


def batch() -> dict[str, torch.Tensor]:
    ids = torch.tensor([[101, 7592, 2088, 2003, 1037, 3231, 102, 0], [101, 2023, 2003, 2178, 102, 0, 0, 0]])
    return {"input_ids": ids, "attention_mask": (ids != 0).long()}


def test_minilm_into_bert_model(minilm_dir: Path) -> None:
    model, info = ours_bert.BertModel.from_pretrained(minilm_dir, output_loading_info=True)
    ref, ref_info = transformers.BertModel.from_pretrained(minilm_dir, output_loading_info=True)
    assert info == ref_info
    assert not (info["missing_keys"] or info["unexpected_keys"] or info["mismatched_keys"])
    assert model.dtype == torch.float32 and model.config.dtype == ref.config.dtype
    with torch.no_grad():
        ours_out, ref_out = model(**batch()), ref(**batch())
    torch.testing.assert_close(ours_out.last_hidden_state, ref_out.last_hidden_state, atol=1e-5, rtol=0)
    torch.testing.assert_close(ours_out.pooler_output, ref_out.pooler_output, atol=1e-5, rtol=0)


def test_minilm_into_classifier_reports_new_head(minilm_dir: Path) -> None:
    model, info = ours_bert.BertForSequenceClassification.from_pretrained(minilm_dir, num_labels=3, output_loading_info=True)
    ref, ref_info = transformers.BertForSequenceClassification.from_pretrained(minilm_dir, num_labels=3, output_loading_info=True)
    assert info == ref_info
    assert info["missing_keys"] == {"classifier.weight", "classifier.bias"}
    assert torch.equal(model.classifier.bias, torch.zeros(3))
    assert 0.01 < float(model.classifier.weight.detach().std()) < 0.03  # normal(0, initializer_range=0.02)
    with torch.no_grad():
        torch.testing.assert_close(model.bert(**batch()).pooler_output, ref.bert(**batch()).pooler_output, atol=1e-5, rtol=0)
        model.classifier.load_state_dict(ref.classifier.state_dict())
        torch.testing.assert_close(model(**batch()).logits, ref(**batch()).logits, atol=1e-5, rtol=0)


def test_loaded_weights_are_writable_and_the_file_is_untouched(minilm_dir: Path) -> None:
    weights = minilm_dir / "model.safetensors"
    before = weights.stat().st_mtime_ns, weights.stat().st_size
    model = ours_bert.BertModel.from_pretrained(minilm_dir)
    weight = model.embeddings.word_embeddings.weight
    original = float(weight.detach()[5, 5])
    with torch.no_grad():
        weight.add_(1.0)
    assert float(weight.detach()[5, 5]) == pytest.approx(original + 1.0)
    again = ours_bert.BertModel.from_pretrained(minilm_dir)
    assert float(again.embeddings.word_embeddings.weight.detach()[5, 5]) == original
    assert (weights.stat().st_mtime_ns, weights.stat().st_size) == before


_MEASURE = r"""
import gc, json, sys
import torch
from embrace.models.bert import BertModel

def status(field):
    with open("/proc/self/status") as handle:
        for line in handle:
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024

gc.collect()
before = status("VmRSS")
with open("/proc/self/clear_refs", "w") as handle:
    handle.write("5")  # peak RSS := current RSS
model = BertModel.from_pretrained(sys.argv[1], dtype=sys.argv[2])
peak = status("VmHWM")
size = sum(p.numel() * p.element_size() for p in model.parameters())
print(json.dumps({"extra": peak - before, "model_bytes": size}))
"""


@pytest.mark.parametrize("dtype", ["auto", "bfloat16"])
def test_from_pretrained_peak_memory(minilm_dir: Path, dtype: str) -> None:
    """Peak extra RSS of the load, in a fresh process (the kernel's peak counter is reset first)."""
    if not Path("/proc/self/clear_refs").exists():
        pytest.skip("needs Linux /proc/self/clear_refs to reset the peak-RSS counter")
    out = subprocess.run(
        [sys.executable, "-c", _MEASURE, str(minilm_dir), dtype], capture_output=True, text=True, check=True
    )
    result = json.loads(out.stdout.strip().splitlines()[-1])
    file_bytes = (minilm_dir / "model.safetensors").stat().st_size
    print(f"peak extra RSS ({dtype}): {result['extra'] / 1e6:.1f} MB for {result['model_bytes'] / 1e6:.1f} MB of parameters")
    # zero-copy ("auto"): ~0; converting: the new copy plus the file pages read once.
    assert result["extra"] < 2 * file_bytes
