"""mBART parity with the reference: pre-LayerNorm stacks, the language-code label shift, heads, save/load."""

from __future__ import annotations

import pytest
import torch

from embrace.models.mbart import MBartConfig, shift_tokens_right
from tests.models.seq2seq_parity import (
    TINY,
    Seq2SeqLMTests,
    batch,
    check_forward_and_grads,
    encoder_inputs,
    pairs_fixture,
)

INPUTS = batch(pad=1, eos=2)
ENCODER_ONLY = encoder_inputs(INPUTS)


pairs = pairs_fixture("mbart", "MBartConfig", TINY)


class TestMBart(Seq2SeqLMTests):
    lm_class = "MBartForConditionalGeneration"
    inputs = INPUTS


@pytest.mark.parametrize("name", ["MBartModel", "MBartForSequenceClassification", "MBartForCausalLM"])
def test_other_heads(pairs, name):
    ref, ours = pairs(name, "sdpa")
    inputs = dict(ENCODER_ONLY)
    if name == "MBartForSequenceClassification":
        inputs["labels"] = torch.tensor([1, 0])
    with torch.no_grad():
        check_forward_and_grads(ref, ours, inputs)


def test_language_code_shift_matches_reference():
    from transformers.models.mbart.modeling_mbart import shift_tokens_right as reference_shift

    labels = torch.tensor([[8, 9, 2, 50, -100, -100], [12, 13, 14, 15, 2, 51]])
    ours = shift_tokens_right(labels, 1)
    assert torch.equal(ours, reference_shift(labels, 1))
    assert ours[:, 0].tolist() == [50, 51]


def test_config_has_no_default_decoder_start():
    config = MBartConfig()
    assert config.decoder_start_token_id is None and config.num_labels == 2
