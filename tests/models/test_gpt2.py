"""GPT-2 parity with the reference: Conv1D layout, tied head, cache, heads, save/load."""

from __future__ import annotations

import pytest
import torch

from tests.models.decoder_parity import (
    ATTENTION_MASK,
    INPUT_IDS,
    assert_close,
    build_pair,
    check_incremental_decoding,
    check_logits_loss_grads,
    check_reference_past,
    check_save_load_both_ways,
)

TINY = dict(vocab_size=40, n_embd=32, n_layer=2, n_head=4, n_positions=16, pad_token_id=0)


@pytest.mark.parametrize("attn", ["eager", "sdpa"])
def test_lm_logits_loss_grads(attn):
    ref, ours = build_pair("GPT2Config", "GPT2LMHeadModel", TINY, attn=attn)
    assert ours.transformer.h[0].attn.c_attn.weight.shape == (32, 96)  # (in, out) like the reference
    assert ours.lm_head.weight is ours.transformer.wte.weight
    check_logits_loss_grads(ref, ours)


@pytest.mark.parametrize("attn", ["eager", "sdpa"])
def test_incremental_decoding(attn):
    ref, ours = build_pair("GPT2Config", "GPT2LMHeadModel", TINY, attn=attn)
    check_incremental_decoding(ref, ours)
    check_reference_past(ref, ours)


def test_double_heads_mc_loss_and_lm_loss():
    ref, ours = build_pair("GPT2Config", "GPT2DoubleHeadsModel", TINY)
    ids = INPUT_IDS[None].expand(3, -1, -1) % 40  # (batch 3, choices 2, seq 8)
    mc_token_ids = torch.tensor([[7, 5], [6, 7], [3, 4]])
    kwargs = dict(input_ids=ids, mc_token_ids=mc_token_ids, mc_labels=torch.tensor([0, 1, 1]), labels=ids)
    r, o = ref(**kwargs), ours(**kwargs)
    assert_close(o.mc_logits, r.mc_logits)
    assert_close(o.mc_loss, r.mc_loss)
    assert_close(o.loss, r.loss)
    assert_close(o.logits, r.logits)


def test_sequence_and_token_classification():
    ref, ours = build_pair("GPT2Config", "GPT2ForSequenceClassification", {**TINY, "num_labels": 3})
    labels = torch.tensor([1, 2])
    r = ref(input_ids=INPUT_IDS, attention_mask=ATTENTION_MASK, labels=labels)
    o = ours(input_ids=INPUT_IDS, attention_mask=ATTENTION_MASK, labels=labels)
    assert_close(o.logits, r.logits)
    assert_close(o.loss, r.loss)
    ref, ours = build_pair("GPT2Config", "GPT2ForTokenClassification", {**TINY, "num_labels": 5})
    labels = torch.randint(0, 5, INPUT_IDS.shape, generator=torch.Generator().manual_seed(0))
    r, o = ref(input_ids=INPUT_IDS, labels=labels), ours(input_ids=INPUT_IDS, labels=labels)
    assert_close(o.logits, r.logits)
    assert_close(o.loss, r.loss)


def test_hidden_states_match():
    ref, ours = build_pair("GPT2Config", "GPT2Model", TINY)
    with torch.no_grad():
        r = ref(input_ids=INPUT_IDS, output_hidden_states=True)
        o = ours(input_ids=INPUT_IDS, output_hidden_states=True)
    assert len(o.hidden_states) == len(r.hidden_states)
    for mine, theirs in zip(o.hidden_states, r.hidden_states):
        assert_close(mine, theirs)


def test_save_pretrained_both_directions(tmp_path):
    ref, ours = build_pair("GPT2Config", "GPT2LMHeadModel", TINY)
    check_save_load_both_ways(ref, ours, tmp_path)


def test_cross_attention_is_refused_clearly():
    import embrace
    from embrace.errors import ConfigError

    with pytest.raises(ConfigError, match="add_cross_attention"):
        embrace.GPT2Config(add_cross_attention=True)
