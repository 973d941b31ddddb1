"""Real MiniLM weights (a BertModel checkpoint) loaded into BertForMaskedLM, as the reference does it.

The checkpoint has no MLM head, so both libraries must report the same head weights as
newly initialised, load everything else, and agree on the encoder output.
"""

from __future__ import annotations

import pytest
import torch
import transformers

import embrace


@pytest.fixture(scope="module")
def loaded(minilm_dir):
    ours, our_info = embrace.BertForMaskedLM.from_pretrained(minilm_dir, output_loading_info=True)
    ref, ref_info = transformers.BertForMaskedLM.from_pretrained(minilm_dir, output_loading_info=True)
    return ours, our_info, ref, ref_info


def test_mlm_head_reported_newly_initialised_with_reference_keys(loaded):
    _, our_info, _, ref_info = loaded
    assert sorted(our_info["missing_keys"]) == sorted(ref_info["missing_keys"])
    assert our_info["missing_keys"], "the MLM head is not in a BertModel checkpoint"
    assert all(key.startswith("cls.predictions.") for key in our_info["missing_keys"])
    assert sorted(our_info["unexpected_keys"]) == sorted(ref_info["unexpected_keys"])
    assert sorted(our_info["mismatched_keys"]) == sorted(ref_info["mismatched_keys"])


def test_mlm_head_warning_names_the_missing_keys(minilm_dir, caplog):
    with caplog.at_level("WARNING", logger="embrace"):
        embrace.BertForMaskedLM.from_pretrained(minilm_dir)
    text = caplog.text
    assert "newly initialized" in text and "cls.predictions.transform.dense.weight" in text


def test_encoder_weights_load_and_head_is_tied(loaded):
    ours, _, ref, _ = loaded
    ids = torch.tensor([[101, 7592, 2088, 102, 0], [101, 2023, 2003, 1037, 102]])
    mask = (ids != 0).long()
    with torch.no_grad():
        ref_hidden = ref.bert(ids, attention_mask=mask).last_hidden_state
        our_hidden = ours.bert(ids, attention_mask=mask).last_hidden_state
    assert (ref_hidden - our_hidden)[mask.bool()].abs().max().item() <= 1e-5
    assert ours.cls.predictions.decoder.weight is ours.bert.embeddings.word_embeddings.weight
    assert torch.all(ours.cls.predictions.bias == 0)
