"""Marian parity with the reference: sinusoidal positions, shared or separate embeddings, save/load."""

from __future__ import annotations

import pytest
import torch

from embrace.models.marian import MarianConfig, MarianMTModel
from tests.models.seq2seq_parity import (
    TINY,
    Seq2SeqLMTests,
    batch,
    check_forward_and_grads,
    encoder_inputs,
    pairs_fixture,
    reference_class,
)

PAD = 59
CONFIG = {**TINY, "pad_token_id": PAD, "decoder_start_token_id": PAD, "scale_embedding": True}
SEPARATE = {"share_encoder_decoder_embeddings": False, "decoder_vocab_size": 62}
INPUTS = batch(pad=PAD, eos=0)
ENCODER_ONLY = encoder_inputs(INPUTS)


pairs = pairs_fixture("marian", "MarianConfig", CONFIG)


class TestMarian(Seq2SeqLMTests):
    lm_class = "MarianMTModel"
    inputs = INPUTS

    def test_save_load_both_ways(self, pairs, tmp_path):
        from embrace.safetensors import safe_open

        super().test_save_load_both_ways(pairs, tmp_path)
        with safe_open(str(tmp_path / "ours" / "model.safetensors"), framework="pt") as f:
            assert not any("embed_positions" in key for key in f.keys())  # fixed tables are not saved


def test_separate_decoder_vocabulary(pairs):
    ref, ours = pairs("MarianMTModel", "sdpa", **SEPARATE)
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
