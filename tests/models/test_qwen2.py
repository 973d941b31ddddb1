"""Qwen2 parity with the reference: q/k/v biases, sliding-window layers, save/load."""

from __future__ import annotations

import pytest
import torch

from tests.models.decoder_parity import (
    build_pair,
    check_incremental_decoding,
    check_logits_loss_grads,
    check_reference_past,
    check_save_load_both_ways,
)

TINY = dict(
    vocab_size=40, hidden_size=32, intermediate_size=48, num_hidden_layers=2, num_attention_heads=4,
    num_key_value_heads=2, max_position_embeddings=64, pad_token_id=0,
)
# Layer 1 slides over 3 keys, layer 0 sees everything.
SLIDING = {**TINY, "use_sliding_window": True, "sliding_window": 3, "max_window_layers": 1}


@pytest.mark.parametrize("attn", ["eager", "sdpa"])
@pytest.mark.parametrize("config", [TINY, SLIDING], ids=["full", "sliding"])
def test_logits_loss_grads(attn, config):
    ref, ours = build_pair("Qwen2Config", "Qwen2ForCausalLM", config, attn=attn)
    assert ours.model.layers[0].self_attn.q_proj.bias is not None
    assert ours.model.layers[0].self_attn.o_proj.bias is None
    check_logits_loss_grads(ref, ours)


@pytest.mark.parametrize("config", [TINY, SLIDING], ids=["full", "sliding"])
def test_incremental_decoding(config):
    ref, ours = build_pair("Qwen2Config", "Qwen2ForCausalLM", config, attn="sdpa")
    check_incremental_decoding(ref, ours)


def test_reference_past_continues():
    ref, ours = build_pair("Qwen2Config", "Qwen2ForCausalLM", TINY)
    check_reference_past(ref, ours)


def test_config_json_and_layer_types_match_reference():
    import transformers

    import embrace

    for kwargs in ({}, SLIDING):
        assert embrace.Qwen2Config(**kwargs).to_json_string() == transformers.Qwen2Config(**kwargs).to_json_string()


def test_save_pretrained_both_directions(tmp_path):
    ref, ours = build_pair("Qwen2Config", "Qwen2ForCausalLM", SLIDING)
    check_save_load_both_ways(ref, ours, tmp_path)


def test_sequence_classification():
    ref, ours = build_pair("Qwen2Config", "Qwen2ForSequenceClassification", {**TINY, "num_labels": 3})
    ids = torch.tensor([[0, 3, 4, 5], [6, 7, 8, 9]])
    labels = torch.tensor([1, 2])
    r, o = ref(input_ids=ids, labels=labels), ours(input_ids=ids, labels=labels)
    assert torch.allclose(o.logits, r.logits, atol=1e-5)
    assert torch.allclose(o.loss, r.loss, atol=1e-5)
