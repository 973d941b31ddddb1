"""GPT-2 parity with the reference: Conv1D layout, tied head, cache, heads, cross-attention, save/load."""

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
    reference_class,
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


CROSS = {**TINY, "add_cross_attention": True}
ENCODER_STATES = torch.randn(2, 5, 32, generator=torch.Generator().manual_seed(3))
ENCODER_MASK = torch.tensor([[1, 1, 1, 1, 1], [1, 1, 1, 0, 0]])


@pytest.mark.parametrize("attn", ["eager", "sdpa"])
def test_cross_attention_logits_loss_grads(attn):
    ref, ours = build_pair("GPT2Config", "GPT2LMHeadModel", CROSS, attn=attn)
    assert ours.transformer.h[0].crossattention.c_attn.weight.shape == (32, 64)  # fused k, v
    assert ours.transformer.h[0].crossattention.q_attn.weight.shape == (32, 32)
    kwargs = dict(input_ids=INPUT_IDS, attention_mask=ATTENTION_MASK, encoder_hidden_states=ENCODER_STATES,
                  encoder_attention_mask=ENCODER_MASK, labels=torch.where(ATTENTION_MASK.bool(), INPUT_IDS, -100),
                  output_attentions=attn == "eager")
    r, o = ref(**kwargs), ours(**kwargs)
    keep = ATTENTION_MASK.bool()
    assert_close(o.logits[keep], r.logits[keep])
    assert_close(o.loss, r.loss)
    if attn == "eager":
        assert len(o.cross_attentions) == len(r.cross_attentions) == 2
        for mine, theirs in zip(o.cross_attentions, r.cross_attentions):
            assert_close(mine.transpose(1, 2)[keep], theirs.transpose(1, 2)[keep])  # (batch, seq, heads, enc)
    r.loss.backward()
    o.loss.backward()
    for name, param in ref.named_parameters():
        if "crossattention" in name:
            mine = ours.get_parameter(name).grad
            assert_close(mine, param.grad, atol=1e-4 * max(1.0, param.grad.abs().max().item()))


@torch.no_grad()
def test_cross_attention_cache_matches_full_pass():
    ref, ours = build_pair("GPT2Config", "GPT2LMHeadModel", CROSS, attn="sdpa")
    ids = INPUT_IDS[1:]  # no padding: positions are plain
    encoder = dict(encoder_hidden_states=ENCODER_STATES[1:], encoder_attention_mask=ENCODER_MASK[1:])
    full = ref(input_ids=ids, **encoder).logits
    out = ours(input_ids=ids[:, :4], use_cache=True, **encoder)
    past = out.past_key_values
    assert type(past).__name__ == "EncoderDecoderCache"
    steps = [out.logits]
    for t in range(4, ids.shape[1]):
        out = ours(input_ids=ids[:, t : t + 1], past_key_values=past, use_cache=True, **encoder)
        past = out.past_key_values
        steps.append(out.logits)
    assert_close(torch.cat(steps, dim=1), full)
    assert past.cross_attention_cache.get_seq_length() == 5


def test_cross_attention_save_load_both_ways(tmp_path):
    ref, ours = build_pair("GPT2Config", "GPT2LMHeadModel", CROSS)
    ours.save_pretrained(tmp_path / "ours")
    loaded = reference_class("GPT2LMHeadModel").from_pretrained(tmp_path / "ours").eval()
    kwargs = dict(input_ids=INPUT_IDS[1:], encoder_hidden_states=ENCODER_STATES[1:])
    with torch.no_grad():
        assert_close(loaded(**kwargs).logits, ours(**kwargs).logits)


def test_encoder_states_without_cross_attention_are_refused():
    _, ours = build_pair("GPT2Config", "GPT2LMHeadModel", TINY)
    with pytest.raises(ValueError, match="add_cross_attention"):
        ours(input_ids=INPUT_IDS, encoder_hidden_states=ENCODER_STATES)
