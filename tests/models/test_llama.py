"""Llama parity with the reference: names, logits, loss, grads, cache, RoPE types, save/load."""

from __future__ import annotations

import json

import pytest
import torch

from embrace.errors import ConfigError
from tests.models.decoder_parity import (
    ATTENTION_MASK,
    INPUT_IDS,
    assert_close,
    build_pair,
    check_incremental_decoding,
    check_logits_loss_grads,
    check_reference_past,
    check_save_load_both_ways,
    real_positions,
)

TINY = dict(
    vocab_size=40, hidden_size=32, intermediate_size=48, num_hidden_layers=2, num_attention_heads=4,
    num_key_value_heads=2, max_position_embeddings=64, pad_token_id=0,
)


@pytest.mark.parametrize("attn", ["eager", "sdpa"])
def test_causal_lm_logits_loss_grads(attn):
    ref, ours = build_pair("LlamaConfig", "LlamaForCausalLM", TINY, attn=attn)
    check_logits_loss_grads(ref, ours)


@pytest.mark.parametrize("attn", ["eager", "sdpa"])
def test_incremental_decoding_matches_full_forward(attn):
    ref, ours = build_pair("LlamaConfig", "LlamaForCausalLM", TINY, attn=attn)
    check_incremental_decoding(ref, ours)
    check_reference_past(ref, ours)


def test_base_model_outputs_and_tuple_form():
    ref, ours = build_pair("LlamaConfig", "LlamaModel", TINY)
    with torch.no_grad():
        r = ref(input_ids=INPUT_IDS, attention_mask=ATTENTION_MASK, output_hidden_states=True, output_attentions=True)
        o = ours(input_ids=INPUT_IDS, attention_mask=ATTENTION_MASK, output_hidden_states=True, output_attentions=True)
    assert len(o.hidden_states) == len(r.hidden_states) == 3
    for mine, theirs in zip(o.hidden_states, r.hidden_states):
        assert_close(real_positions(mine), real_positions(theirs))
    assert len(o.attentions) == 2
    mask = ATTENTION_MASK.bool()[:, None, :, None].expand_as(r.attentions[0])
    assert_close(o.attentions[0][mask], r.attentions[0][mask])
    as_tuple = ours(input_ids=INPUT_IDS[:1], use_cache=False, return_dict=False)
    assert isinstance(as_tuple, tuple) and len(as_tuple) == 1


def test_tied_embeddings_and_logits_to_keep():
    ref, ours = build_pair("LlamaConfig", "LlamaForCausalLM", {**TINY, "tie_word_embeddings": True})
    assert ours.lm_head.weight is ours.model.embed_tokens.weight
    with torch.no_grad():
        last = ours(input_ids=INPUT_IDS, logits_to_keep=1).logits
        ref_last = ref(input_ids=INPUT_IDS, logits_to_keep=1).logits
    assert last.shape == (2, 1, TINY["vocab_size"])
    assert_close(last, ref_last)


@pytest.mark.parametrize(
    "rope",
    [
        {"rope_type": "linear", "factor": 2.0},
        {"rope_type": "dynamic", "factor": 2.0},
        {"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0,
         "original_max_position_embeddings": 16},
        {"rope_type": "yarn", "factor": 4.0, "original_max_position_embeddings": 16},
    ],
    ids=lambda r: r["rope_type"],
)
def test_rope_scaling_types(rope):
    # A short max_position_embeddings makes dynamic RoPE actually rescale on a longer input.
    config = {**TINY, "max_position_embeddings": 6, "rope_parameters": dict(rope, rope_theta=10000.0)}
    ref, ours = build_pair("LlamaConfig", "LlamaForCausalLM", config)
    assert_close(ours.model.rotary_emb.inv_freq, ref.model.rotary_emb.inv_freq, atol=0)
    with torch.no_grad():
        o = ours(input_ids=INPUT_IDS, attention_mask=ATTENTION_MASK).logits
        r = ref(input_ids=INPUT_IDS, attention_mask=ATTENTION_MASK).logits
    assert_close(real_positions(o), real_positions(r))


def test_legacy_rope_scaling_keys_are_folded_like_the_reference():
    import transformers

    import embrace

    kwargs = {"rope_scaling": {"type": "linear", "factor": 2.0}, "rope_theta": 5e5, "max_position_embeddings": 64}
    ours = embrace.LlamaConfig(**kwargs)
    ref = transformers.LlamaConfig(**kwargs)
    assert ours.to_json_string() == ref.to_json_string()
    assert ours.rope_scaling == ours.rope_parameters


def test_save_pretrained_both_directions(tmp_path):
    ref, ours = build_pair("LlamaConfig", "LlamaForCausalLM", TINY)
    check_save_load_both_ways(ref, ours, tmp_path)


def test_sequence_classification_last_token_and_loss():
    config = {**TINY, "num_labels": 3}
    ref, ours = build_pair("LlamaConfig", "LlamaForSequenceClassification", config)
    labels = torch.tensor([2, 0])
    r = ref(input_ids=INPUT_IDS, attention_mask=ATTENTION_MASK, labels=labels)
    o = ours(input_ids=INPUT_IDS, attention_mask=ATTENTION_MASK, labels=labels)
    assert_close(o.logits, r.logits)
    assert_close(o.loss, r.loss)
    assert ours.config.problem_type == "single_label_classification"


def test_sequence_classification_without_pad_token_rejects_batches():
    config = {**TINY, "num_labels": 2, "pad_token_id": None}
    _, ours = build_pair("LlamaConfig", "LlamaForSequenceClassification", config)
    with pytest.raises(ValueError, match="pad_token_id"):
        ours(input_ids=INPUT_IDS)


def test_auto_classes_build_llama(tmp_path):
    import embrace

    config = embrace.LlamaConfig(**TINY)
    model = embrace.AutoModelForCausalLM.from_config(config)
    assert type(model).__name__ == "LlamaForCausalLM"
    model.save_pretrained(tmp_path)
    assert json.loads((tmp_path / "config.json").read_text())["architectures"] == ["LlamaForCausalLM"]
    assert type(embrace.AutoModel.from_pretrained(tmp_path)).__name__ == "LlamaModel"


def test_bad_configs_raise_clear_errors():
    import embrace

    with pytest.raises(ConfigError, match="num_key_value_heads"):
        embrace.LlamaConfig(hidden_size=32, num_attention_heads=4, num_key_value_heads=3)
    with pytest.raises(ConfigError, match="rope_type"):
        embrace.LlamaConfig(rope_parameters={"rope_type": "warp", "rope_theta": 1.0})
    with pytest.raises(ConfigError, match="factor"):
        embrace.LlamaConfig(rope_parameters={"rope_type": "linear"})


def test_unknown_forward_kwargs_raise_type_error():
    _, ours = build_pair("LlamaConfig", "LlamaForCausalLM", TINY)
    with pytest.raises(TypeError, match="bogus"):
        ours(input_ids=INPUT_IDS, bogus=1)
