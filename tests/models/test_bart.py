"""BART parity with the reference: names, every head's outputs/loss/grads, cache, save/load, bad input."""

from __future__ import annotations

import pytest
import torch

from embrace.errors import ConfigError
from embrace.models.bart import BartConfig, BartForConditionalGeneration, shift_tokens_right
from tests.models.seq2seq_parity import (
    TINY,
    Seq2SeqLMTests,
    assert_close,
    batch,
    check_forward_and_grads,
    encoder_inputs,
    pairs_fixture,
    reference_class,
)

INPUTS = batch(pad=1, eos=2)
ENCODER_ONLY = encoder_inputs(INPUTS)


pairs = pairs_fixture("bart", "BartConfig", TINY)


class TestBart(Seq2SeqLMTests):
    lm_class = "BartForConditionalGeneration"
    inputs = INPUTS


@pytest.mark.parametrize("attn", ["eager", "sdpa"])
def test_base_model_outputs_with_default_decoder_inputs(pairs, attn):
    ref, ours = pairs("BartModel", attn)
    with torch.no_grad():
        check_forward_and_grads(ref, ours, ENCODER_ONLY)
        check_forward_and_grads(ref, ours, {**ENCODER_ONLY, "decoder_input_ids": INPUTS["decoder_input_ids"]})


@pytest.mark.parametrize("attn", ["eager", "sdpa"])
def test_sequence_classification_pools_last_eos(pairs, attn):
    ref, ours = pairs("BartForSequenceClassification", attn)
    assert ours.config.num_labels == 3
    check_forward_and_grads(ref, ours, {**ENCODER_ONLY, "labels": torch.tensor([0, 2])})


@pytest.mark.parametrize("attn", ["eager", "sdpa"])
def test_question_answering(pairs, attn):
    ref, ours = pairs("BartForQuestionAnswering", attn)
    positions = {"start_positions": torch.tensor([1, 2]), "end_positions": torch.tensor([3, 9])}
    check_forward_and_grads(ref, ours, {**ENCODER_ONLY, **positions})


@pytest.mark.parametrize("attn", ["eager", "sdpa"])
def test_causal_lm(pairs, attn):
    ref, ours = pairs("BartForCausalLM", attn)
    check_forward_and_grads(ref, ours, {**ENCODER_ONLY, "labels": INPUTS["input_ids"]})


def test_state_dict_loads_into_reference_strictly(pairs):
    for name in ("BartForConditionalGeneration", "BartForSequenceClassification", "BartForCausalLM"):
        ref, ours = pairs(name)
        fresh = reference_class(name)(ref.config)
        result = fresh.load_state_dict(ours.state_dict(), strict=True)
        assert not result.missing_keys and not result.unexpected_keys


def test_tied_weights_and_final_logits_bias(pairs):
    _, ours = pairs("BartForConditionalGeneration")
    assert ours.lm_head.weight is ours.model.shared.weight is ours.model.encoder.embed_tokens.weight
    assert ours.final_logits_bias.shape == (1, TINY["vocab_size"])
    assert "final_logits_bias" in ours.state_dict()
    assert ours.get_encoder() is ours.model.encoder and ours.get_decoder() is ours.model.decoder


def test_shift_tokens_right_matches_reference():
    from transformers.models.bart.modeling_bart import shift_tokens_right as reference_shift

    labels = INPUTS["labels"]
    assert torch.equal(shift_tokens_right(labels, 1, 2), reference_shift(labels, 1, 2))
    with pytest.raises(ConfigError, match="pad_token_id"):
        shift_tokens_right(labels, None, 2)


def test_bad_labels_are_refused(pairs):
    _, ours = pairs("BartForConditionalGeneration")
    with pytest.raises(TypeError, match="integer tensor"):
        ours(**ENCODER_ONLY, labels=INPUTS["labels"].float())
    with pytest.raises(ValueError, match="shape"):
        ours(**ENCODER_ONLY, labels=INPUTS["labels"][0])
    with pytest.raises(ValueError, match="labels"):
        ours(**ENCODER_ONLY, labels=INPUTS["labels"], decoder_input_ids=INPUTS["decoder_input_ids"][:, :2])


def test_sequence_classification_needs_equal_eos_counts(pairs):
    _, ours = pairs("BartForSequenceClassification")
    ids = torch.tensor([[0, 5, 2, 2], [0, 5, 6, 2]])
    with pytest.raises(ValueError, match="same number of <eos>"):
        ours(ids)


def test_config_defaults_aliases_and_validation():
    config = BartConfig(d_model=64, encoder_attention_heads=8)
    assert (config.hidden_size, config.num_attention_heads, config.num_labels) == (64, 8, 3)
    with pytest.raises(ConfigError, match="decoder_attention_heads"):
        BartConfig(d_model=30, encoder_attention_heads=5, decoder_attention_heads=4)


def test_return_dict_false_gives_tuple(pairs):
    _, ours = pairs("BartForConditionalGeneration")
    with torch.no_grad():
        out = ours(**ENCODER_ONLY, decoder_input_ids=INPUTS["decoder_input_ids"], return_dict=False, use_cache=False)
    assert isinstance(out, tuple) and out[0].shape == (2, 4, TINY["vocab_size"])


def test_resize_token_embeddings_resizes_final_logits_bias():
    model = BartForConditionalGeneration(BartConfig(**TINY))
    model.resize_token_embeddings(64)
    assert model.final_logits_bias.shape == (1, 64) and model.lm_head.weight.shape[0] == 64
    assert_close(model.final_logits_bias, torch.zeros(1, 64))


def test_auto_classes_pick_the_bart_heads(pairs, tmp_path):
    from embrace import AutoConfig, AutoModelForCausalLM, AutoModelForSeq2SeqLM, AutoModelForSequenceClassification

    ref, _ = pairs("BartForConditionalGeneration")
    ref.save_pretrained(tmp_path)
    assert type(AutoConfig.from_pretrained(tmp_path)).__name__ == "BartConfig"
    model = AutoModelForSeq2SeqLM.from_pretrained(tmp_path)
    assert type(model).__name__ == "BartForConditionalGeneration"
    assert torch.equal(model.lm_head.weight, ref.lm_head.weight)
    assert type(AutoModelForSequenceClassification.from_config(model.config)).__name__ == "BartForSequenceClassification"
    assert type(AutoModelForCausalLM.from_config(model.config)).__name__ == "BartForCausalLM"
