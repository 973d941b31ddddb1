"""Marian parity with the reference: sinusoidal positions, shared or separate embeddings, save/load."""

from __future__ import annotations

import pytest
import torch

from embrace.models.marian import MarianConfig, MarianMTModel
from tests.models.seq2seq_parity import (
    TINY,
    batch,
    build_pair,
    check_forward_and_grads,
    check_incremental_decoding,
    check_save_load_both_ways,
    reference_class,
)

PAD = 59
CONFIG = {**TINY, "pad_token_id": PAD, "decoder_start_token_id": PAD, "scale_embedding": True}
SEPARATE = {**CONFIG, "share_encoder_decoder_embeddings": False, "decoder_vocab_size": 62}
INPUTS = batch(pad=PAD, eos=0)
ENCODER_ONLY = {k: INPUTS[k] for k in ("input_ids", "attention_mask")}


@pytest.fixture(scope="module")
def pairs():
    cache: dict = {}

    def get(class_name: str, attn: str = "eager", config: tuple = ()):
        key = (class_name, attn, config)
        if key not in cache:
            cache[key] = build_pair("marian", "MarianConfig", class_name, {**CONFIG, **dict(config)}, attn=attn)
        return cache[key]

    return get


@pytest.mark.parametrize("attn", ["eager", "sdpa"])
def test_mt_model_logits_loss_grads(pairs, attn):
    ref, ours = pairs("MarianMTModel", attn)
    check_forward_and_grads(ref, ours, {**ENCODER_ONLY, "labels": INPUTS["labels"]})


def test_separate_decoder_vocabulary(pairs):
    ref, ours = pairs("MarianMTModel", "sdpa", tuple(SEPARATE.items()))
    assert not hasattr(ours.model, "shared")
    assert ours.lm_head.weight is ours.model.decoder.embed_tokens.weight
    assert ours.lm_head.weight.shape[0] == 62 and ours.model.encoder.embed_tokens.weight.shape[0] == TINY["vocab_size"]
    check_forward_and_grads(ref, ours, {**ENCODER_ONLY, "labels": INPUTS["labels"]})


@pytest.mark.parametrize("name", ["MarianModel", "MarianForCausalLM"])
def test_other_classes(pairs, name):
    ref, ours = pairs(name, "sdpa")
    inputs = dict(ENCODER_ONLY)
    if name == "MarianModel":
        inputs["decoder_input_ids"] = INPUTS["decoder_input_ids"]
    with torch.no_grad():
        check_forward_and_grads(ref, ours, inputs)


def test_model_needs_decoder_inputs(pairs):
    _, ours = pairs("MarianModel", "sdpa")
    with pytest.raises(ValueError, match="exactly one of input_ids or inputs_embeds"):
        ours(**ENCODER_ONLY)


def test_sinusoidal_positions_match_reference_init():
    torch.manual_seed(0)
    ref = reference_class("MarianMTModel")(reference_class("MarianConfig")(**CONFIG))
    ours = MarianMTModel(MarianConfig(**CONFIG))
    for side in ("encoder", "decoder"):
        mine = getattr(ours.model, side).embed_positions.weight
        assert torch.equal(mine, getattr(ref.model, side).embed_positions.weight)
        assert not mine.requires_grad


def test_incremental_decoding(pairs):
    _, ours = pairs("MarianMTModel")
    check_incremental_decoding(ours, INPUTS)


def test_save_load_both_ways_without_positions(pairs, tmp_path):
    from embrace.safetensors import safe_open

    ref, ours = pairs("MarianMTModel")
    check_save_load_both_ways(ref, ours, tmp_path, {**ENCODER_ONLY, "decoder_input_ids": INPUTS["decoder_input_ids"]})
    with safe_open(str(tmp_path / "ours" / "model.safetensors"), framework="pt") as f:
        assert not any("embed_positions" in key for key in f.keys())
