"""mBART parity with the reference: pre-LayerNorm stacks, the language-code label shift, heads, save/load."""

from __future__ import annotations

import pytest
import torch

from embrace.models.mbart import MBartConfig, shift_tokens_right
from tests.models.seq2seq_parity import (
    TINY,
    batch,
    build_pair,
    check_forward_and_grads,
    check_incremental_decoding,
    check_save_load_both_ways,
)

INPUTS = batch(pad=1, eos=2)
ENCODER_ONLY = {k: INPUTS[k] for k in ("input_ids", "attention_mask")}


@pytest.fixture(scope="module")
def pairs():
    cache: dict = {}

    def get(class_name: str, attn: str = "eager"):
        if (class_name, attn) not in cache:
            cache[class_name, attn] = build_pair("mbart", "MBartConfig", class_name, TINY, attn=attn)
        return cache[class_name, attn]

    return get


@pytest.mark.parametrize("attn", ["eager", "sdpa"])
def test_conditional_generation_logits_loss_grads(pairs, attn):
    ref, ours = pairs("MBartForConditionalGeneration", attn)
    check_forward_and_grads(ref, ours, {**ENCODER_ONLY, "labels": INPUTS["labels"]})


@pytest.mark.parametrize("name", ["MBartModel", "MBartForSequenceClassification", "MBartForCausalLM"])
def test_other_heads(pairs, name):
    ref, ours = pairs(name, "sdpa")
    inputs = dict(ENCODER_ONLY)
    if name == "MBartForSequenceClassification":
        inputs["labels"] = torch.tensor([1, 0])
    with torch.no_grad():
        check_forward_and_grads(ref, ours, inputs)


def test_incremental_decoding(pairs):
    _, ours = pairs("MBartForConditionalGeneration")
    check_incremental_decoding(ours, INPUTS)


def test_save_load_both_ways(pairs, tmp_path):
    ref, ours = pairs("MBartForConditionalGeneration")
    check_save_load_both_ways(ref, ours, tmp_path, {**ENCODER_ONLY, "decoder_input_ids": INPUTS["decoder_input_ids"]})


def test_language_code_shift_matches_reference():
    from transformers.models.mbart.modeling_mbart import shift_tokens_right as reference_shift

    labels = torch.tensor([[8, 9, 2, 50, -100, -100], [12, 13, 14, 15, 2, 51]])
    ours = shift_tokens_right(labels, 1)
    assert torch.equal(ours, reference_shift(labels, 1))
    assert ours[:, 0].tolist() == [50, 51]


def test_config_has_no_default_decoder_start():
    config = MBartConfig()
    assert config.decoder_start_token_id is None and config.num_labels == 2
