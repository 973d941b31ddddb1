"""Attention registry, eager vs sdpa, and mask building (compared with the reference)."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from embrace.errors import UnknownKeyError
from embrace.modeling.attention import (
    ALL_ATTENTION_FUNCTIONS,
    AttentionInterface,
    bool_to_additive_mask,
    causal_keep_mask,
    eager_attention_forward,
    make_attention_mask,
    repeat_kv,
    sdpa_attention_forward,
)


def _module(is_causal: bool) -> nn.Module:
    m = nn.Module()
    m.is_causal = is_causal
    return m.eval()


def test_registry_lookup_and_miss_lists_keys():
    assert ALL_ATTENTION_FUNCTIONS["eager"] is eager_attention_forward
    assert ALL_ATTENTION_FUNCTIONS["sdpa"] is sdpa_attention_forward
    assert "sdpa" in ALL_ATTENTION_FUNCTIONS and "nope" not in ALL_ATTENTION_FUNCTIONS
    with pytest.raises(UnknownKeyError) as info:
        ALL_ATTENTION_FUNCTIONS["flash_attention_9"]
    assert isinstance(info.value, KeyError)
    assert "eager" in str(info.value) and "sdpa" in str(info.value) and "flash_attention_9" in str(info.value)
    assert ALL_ATTENTION_FUNCTIONS.boolean_masks("sdpa") and not ALL_ATTENTION_FUNCTIONS.boolean_masks("eager")


def test_register_new_backend():
    registry = AttentionInterface()
    calls = []

    def mine(module, q, k, v, mask, *, scaling, dropout=0.0, **kwargs):
        calls.append(scaling)
        return eager_attention_forward(module, q, k, v, mask, scaling=scaling, dropout=dropout)

    registry.register("mine", mine, boolean_masks=False)
    q = torch.randn(1, 2, 3, 4)
    registry["mine"](_module(False), q, q, q, None, scaling=0.5)
    assert calls == [0.5] and registry.keys() == ["mine"]


@pytest.mark.parametrize("causal", [False, True])
@pytest.mark.parametrize("boolean", [False, True])
def test_eager_equals_sdpa_and_reference(causal, boolean):
    from transformers.integrations.sdpa_attention import sdpa_attention_forward as ref_sdpa
    from transformers.models.bert.modeling_bert import eager_attention_forward as ref_eager

    torch.manual_seed(0)
    q, k, v = (torch.randn(2, 4, 5, 8) for _ in range(3))
    pad = torch.tensor([[1, 1, 1, 1, 1], [1, 1, 1, 0, 0]])
    mask = make_attention_mask(pad, batch_size=2, query_length=5, is_causal=causal, boolean=boolean)
    module = _module(causal)
    out_e, w_e = eager_attention_forward(module, q, k, v, mask, scaling=8**-0.5)
    out_s, w_s = sdpa_attention_forward(module, q, k, v, mask, scaling=8**-0.5)
    assert w_s is None and out_e.shape == (2, 5, 4, 8)
    torch.testing.assert_close(out_e, out_s, atol=1e-6, rtol=1e-5)
    additive = mask if not boolean else bool_to_additive_mask(mask, torch.float32)
    ref_out, ref_w = ref_eager(module, q, k, v, additive, scaling=8**-0.5)
    torch.testing.assert_close(out_e, ref_out, atol=1e-6, rtol=0)
    torch.testing.assert_close(w_e, ref_w, atol=1e-6, rtol=0)
    ref_out_s, _ = ref_sdpa(module, q, k, v, mask, scaling=8**-0.5)
    torch.testing.assert_close(out_s, ref_out_s, atol=1e-6, rtol=0)


def test_no_mask_causal_uses_is_causal_rule():
    torch.manual_seed(0)
    q, k, v = (torch.randn(1, 2, 4, 8) for _ in range(3))
    explicit = make_attention_mask(None, batch_size=1, query_length=4, is_causal=True, boolean=True)
    assert explicit is None  # no padding and q_len == kv_len: left to the attention function
    full = causal_keep_mask(4, 4)[None, None]
    for fn in (eager_attention_forward, sdpa_attention_forward):
        got, _ = fn(_module(True), q, k, v, None, scaling=0.3)
        want, _ = eager_attention_forward(_module(True), q, k, v, full, scaling=0.3)
        torch.testing.assert_close(got, want, atol=1e-6, rtol=1e-5)


def test_make_attention_mask_matches_reference_masks():
    from transformers import BertConfig
    from transformers.masking_utils import create_bidirectional_mask, create_causal_mask

    pad = torch.tensor([[0, 1, 1, 1], [1, 1, 1, 1]])
    emb = torch.zeros(2, 4, 8)
    for impl, boolean in (("eager", False), ("sdpa", True)):
        cfg = BertConfig(hidden_size=8, num_attention_heads=2, attn_implementation=impl)
        ref = create_causal_mask(config=cfg, inputs_embeds=emb, attention_mask=pad, past_key_values=None)
        got = make_attention_mask(pad, batch_size=2, query_length=4, is_causal=True, boolean=boolean)
        assert torch.equal(got.expand_as(ref), ref)
        ref = create_bidirectional_mask(config=cfg, inputs_embeds=emb, attention_mask=pad)
        got = make_attention_mask(pad, batch_size=2, query_length=4, boolean=boolean)
        assert torch.equal(got.expand_as(ref), ref)
        assert make_attention_mask(torch.ones(2, 4), batch_size=2, query_length=4, boolean=boolean) is None


def test_make_attention_mask_with_cache_offset_and_errors():
    # 2 cached + 2 new tokens, no padding: queries see the cache and themselves causally.
    m = make_attention_mask(torch.ones(1, 4), batch_size=1, query_length=2, key_length=4, is_causal=True, boolean=True)
    assert m[0, 0].tolist() == [[True, True, True, False], [True, True, True, True]]
    assert make_attention_mask(None, batch_size=1, query_length=1, key_length=9, is_causal=True) is None
    four_d = torch.zeros(1, 1, 2, 2)
    assert make_attention_mask(four_d, batch_size=1, query_length=2) is four_d
    with pytest.raises(ValueError, match="key positions"):
        make_attention_mask(torch.ones(1, 3), batch_size=1, query_length=2, key_length=5)
    with pytest.raises(ValueError, match="2-D"):
        make_attention_mask(torch.ones(3), batch_size=1, query_length=3)
    three_d = torch.tensor([[[1, 0], [1, 1]]])
    m = make_attention_mask(three_d, batch_size=1, query_length=2)
    assert m.shape == (1, 1, 2, 2) and m[0, 0, 0, 1] == torch.finfo(torch.float32).min


def test_head_mask_under_sdpa_falls_back_to_eager():
    torch.manual_seed(0)
    q, k, v = (torch.randn(1, 2, 3, 4) for _ in range(3))
    head_mask = torch.tensor([1.0, 0.0])[None, :, None, None]
    out, weights = sdpa_attention_forward(_module(False), q, k, v, None, scaling=0.5, head_mask=head_mask)
    assert weights is not None and torch.all(out[:, :, 1] == 0)


def test_grouped_query_attention():
    torch.manual_seed(0)
    q = torch.randn(1, 4, 3, 8)
    k, v = torch.randn(1, 2, 3, 8), torch.randn(1, 2, 3, 8)
    a, _ = eager_attention_forward(_module(True), q, k, v, None, scaling=0.3)
    b, _ = sdpa_attention_forward(_module(True), q, k, v, None, scaling=0.3)
    c, _ = eager_attention_forward(_module(True), q, repeat_kv(k, 2), repeat_kv(v, 2), None, scaling=0.3)
    torch.testing.assert_close(a, b, atol=1e-6, rtol=1e-5)
    torch.testing.assert_close(a, c)
