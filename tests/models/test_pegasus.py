"""Pegasus parity with the reference: pre-LayerNorm, sinusoidal positions, final LayerNorms, save/load."""

from __future__ import annotations

import pytest
import torch

from tests.models.seq2seq_parity import (
    TINY,
    Seq2SeqLMTests,
    batch,
    check_forward_and_grads,
    encoder_inputs,
    pairs_fixture,
)

CONFIG = {**TINY, "scale_embedding": True}
INPUTS = batch(pad=0, eos=1)
ENCODER_ONLY = encoder_inputs(INPUTS)


pairs = pairs_fixture("pegasus", "PegasusConfig", CONFIG)


class TestPegasus(Seq2SeqLMTests):
    lm_class = "PegasusForConditionalGeneration"
    inputs = INPUTS


@pytest.mark.parametrize("name", ["PegasusModel", "PegasusForCausalLM"])
def test_other_classes(pairs, name):
    ref, ours = pairs(name, "sdpa")
    inputs = dict(ENCODER_ONLY)
    if name == "PegasusModel":
        inputs["decoder_input_ids"] = INPUTS["decoder_input_ids"]
    with torch.no_grad():
        check_forward_and_grads(ref, ours, inputs)


def test_user_decoder_embeddings_are_scaled_like_the_reference(pairs):
    ref, ours = pairs("PegasusModel", "sdpa")
    embeds = ours.get_input_embeddings()(INPUTS["decoder_input_ids"]).detach()
    inputs = {**ENCODER_ONLY, "decoder_inputs_embeds": embeds}
    with torch.no_grad():
        check_forward_and_grads(ref, ours, inputs)
