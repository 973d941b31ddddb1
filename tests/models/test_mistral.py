"""Mistral parity with the reference, with a short sliding window so it actually bites."""

from __future__ import annotations

import pytest
import torch

from tests.models.decoder_parity import (
    build_pair,
    check_incremental_decoding,
    check_logits_loss_grads,
    check_save_load_both_ways,
)

TINY = dict(
    vocab_size=40, hidden_size=32, intermediate_size=48, num_hidden_layers=2, num_attention_heads=4,
    num_key_value_heads=2, max_position_embeddings=64, pad_token_id=0, sliding_window=3,
)


@pytest.mark.parametrize("attn", ["eager", "sdpa"])
def test_sliding_window_logits_loss_grads(attn):
    ref, ours = build_pair("MistralConfig", "MistralForCausalLM", TINY, attn=attn)
    check_logits_loss_grads(ref, ours)


@pytest.mark.parametrize("attn", ["eager", "sdpa"])
def test_sliding_window_incremental_decoding(attn):
    ref, ours = build_pair("MistralConfig", "MistralForCausalLM", TINY, attn=attn)
    check_incremental_decoding(ref, ours)


def test_window_changes_the_result():
    _, windowed = build_pair("MistralConfig", "MistralForCausalLM", TINY)
    _, full = build_pair("MistralConfig", "MistralForCausalLM", {**TINY, "sliding_window": None})
    ids = torch.arange(1, 9)[None]
    with torch.no_grad():
        a, b = windowed(input_ids=ids).logits, full(input_ids=ids).logits
    assert torch.allclose(a[:, :3], b[:, :3], atol=1e-6)  # within the window nothing differs
    assert not torch.allclose(a[:, 3:], b[:, 3:], atol=1e-4)


def test_save_pretrained_both_directions(tmp_path):
    ref, ours = build_pair("MistralConfig", "MistralForCausalLM", TINY)
    check_save_load_both_ways(ref, ours, tmp_path)


def test_sequence_classification():
    ref, ours = build_pair("MistralConfig", "MistralForSequenceClassification", {**TINY, "num_labels": 2})
    ids = torch.tensor([[0, 3, 4, 5], [6, 7, 8, 9]])
    with torch.no_grad():
        assert torch.allclose(ours(input_ids=ids).logits, ref(input_ids=ids).logits, atol=1e-5)


def test_default_config_json_matches_reference():
    import transformers

    import embrace

    assert embrace.MistralConfig().to_json_string() == transformers.MistralConfig().to_json_string()
