"""perplexity with an embrace causal LM vs a manual computation on the reference model."""

from __future__ import annotations

import shutil

import pytest
import torch

import embrace
import embrace.evaluate as evaluate
from embrace.errors import MetricInputError

GPT2_FILES = ("openai-whisper", "openai-whisper-20230124", "whisper", "assets", "gpt2")
TINY = dict(vocab_size=50257, n_embd=16, n_layer=2, n_head=2, n_positions=64)
TEXTS = ["The capital of France is Paris.", "lorem ipsum", "Hello world, this is a slightly longer sentence for perplexity!", "ok"]


@pytest.fixture(scope="module")
def models(assets_dir):
    import transformers

    torch.manual_seed(0)
    ref = transformers.GPT2LMHeadModel(transformers.GPT2Config(**TINY)).eval()
    ours = embrace.GPT2LMHeadModel(embrace.GPT2Config(**TINY)).eval()
    ours.load_state_dict(ref.state_dict(), strict=True)
    folder = assets_dir.joinpath(*GPT2_FILES)
    # compute() gives a pad-less tokenizer a pad token (as the reference does); results do not depend on it
    return ref, ours, transformers.AutoTokenizer.from_pretrained(folder), embrace.AutoTokenizer.from_pretrained(folder), folder


def _manual(ref, tokenizer, texts, *, add_start_token, max_length):
    """One text at a time, no padding: exp(mean next-token cross-entropy)."""
    out = []
    for text in texts:
        limit = (max_length - 1 if add_start_token else max_length) if max_length else None
        ids = tokenizer(text, add_special_tokens=False)["input_ids"][:limit]
        ids = torch.tensor([[tokenizer.bos_token_id] * add_start_token + ids])
        with torch.no_grad():
            logits = ref(ids).logits
        loss = torch.nn.functional.cross_entropy(logits[0, :-1], ids[0, 1:])
        out.append(torch.exp(loss).item())
    return out


@pytest.mark.parametrize("add_start_token, max_length, batch_size", [(True, None, 2), (False, None, 3), (True, 6, 4), (False, 5, 1)])
def test_perplexity_matches_manual_reference(models, add_start_token, max_length, batch_size):
    ref, ours, ref_tok, tokenizer, _ = models
    texts = TEXTS if add_start_token else [t for t in TEXTS if t != "ok"]  # one-token texts need the start token
    out = evaluate.load("perplexity").compute(predictions=texts, model=ours, tokenizer=tokenizer, batch_size=batch_size,
                                              add_start_token=add_start_token, max_length=max_length, device="cpu")
    expected = _manual(ref, ref_tok, texts, add_start_token=add_start_token, max_length=max_length)
    assert out["perplexities"] == pytest.approx(expected, rel=1e-5)
    assert out["mean_perplexity"] == pytest.approx(sum(expected) / len(expected), rel=1e-5)


def test_perplexity_from_model_id_folder(models, tmp_path):
    ref, ours, ref_tok, _, folder = models
    ours.save_pretrained(tmp_path)
    for f in folder.iterdir():
        shutil.copy(f, tmp_path / f.name)
    out = evaluate.load("perplexity").compute(predictions=TEXTS[:2], model_id=str(tmp_path), device="cpu")
    assert out["perplexities"] == pytest.approx(_manual(ref, ref_tok, TEXTS[:2], add_start_token=True, max_length=None), rel=1e-5)


def test_perplexity_bad_inputs(models):
    _, ours, _, tokenizer, _ = models
    metric = evaluate.load("perplexity")
    with pytest.raises(MetricInputError, match="fewer than 2 token"):
        metric.compute(predictions=["ok", "fine words"], model=ours, tokenizer=tokenizer, add_start_token=False, device="cpu")
    with pytest.raises(MetricInputError, match="fewer than 1 token"):
        metric.compute(predictions=["", "words"], model=ours, tokenizer=tokenizer, device="cpu")
    with pytest.raises(MetricInputError, match="model_id.*model= and tokenizer="):
        metric.compute(predictions=["words"], model=ours)
    with pytest.raises(MetricInputError, match="don't match the expected format"):
        metric.compute(predictions=[1, 2], model=ours, tokenizer=tokenizer)
