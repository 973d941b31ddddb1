"""Pegasus parity with the reference: pre-LayerNorm, sinusoidal positions, final LayerNorms, save/load."""

from __future__ import annotations

import pytest
import torch

from tests.models.seq2seq_parity import (
    TINY,
    batch,
    build_pair,
    check_forward_and_grads,
    check_incremental_decoding,
    check_save_load_both_ways,
)

CONFIG = {**TINY, "scale_embedding": True}
INPUTS = batch(pad=0, eos=1)
ENCODER_ONLY = {k: INPUTS[k] for k in ("input_ids", "attention_mask")}


@pytest.fixture(scope="module")
def pairs():
    cache: dict = {}

    def get(class_name: str, attn: str = "eager"):
        if (class_name, attn) not in cache:
            cache[class_name, attn] = build_pair("pegasus", "PegasusConfig", class_name, CONFIG, attn=attn)
        return cache[class_name, attn]

    return get


@pytest.mark.parametrize("attn", ["eager", "sdpa"])
def test_conditional_generation_logits_loss_grads(pairs, attn):
    ref, ours = pairs("PegasusForConditionalGeneration", attn)
    check_forward_and_grads(ref, ours, {**ENCODER_ONLY, "labels": INPUTS["labels"]})


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


def test_incremental_decoding(pairs):
    _, ours = pairs("PegasusForConditionalGeneration")
    check_incremental_decoding(ours, INPUTS)


def test_save_load_both_ways(pairs, tmp_path):
    ref, ours = pairs("PegasusForConditionalGeneration")
    check_save_load_both_ways(ref, ours, tmp_path, {**ENCODER_ONLY, "decoder_input_ids": INPUTS["decoder_input_ids"]})
