"""Padding-free packing: decoders keep packed examples apart, like the reference.

``DataCollatorWithFlattening`` concatenates a batch into one row whose ``position_ids``
restart at each example. Without a padding mask and without a cache object, the reference
(transformers 5.23, eager/sdpa) turns the restarts into a block-diagonal causal mask; so do
we. Checked on tiny random Llama, Qwen2 (one full and one sliding-window layer) and Mistral
(every layer sliding) models: logits, loss and gradients against the reference, each packed
segment against the example alone, the packed loss against the padded loss, the masks
themselves, and the conditions under which packing is (not) detected.
"""

from __future__ import annotations

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from embrace.modeling.attention import make_packed_causal_mask, packed_sequence_ids
from embrace.training.data_collator import DataCollatorWithFlattening
from tests.models.decoder_parity import assert_close, assert_grads_close, build_pair

TINY = dict(
    vocab_size=40, hidden_size=32, intermediate_size=48, num_hidden_layers=2, num_attention_heads=4,
    num_key_value_heads=2, max_position_embeddings=64, pad_token_id=0,
)
FAMILIES = {
    "llama": ("LlamaConfig", "LlamaForCausalLM", TINY),
    # Layer 1 slides over 3 keys, so the window must also apply inside each packed sequence.
    "qwen2": ("Qwen2Config", "Qwen2ForCausalLM",
              {**TINY, "use_sliding_window": True, "sliding_window": 3, "max_window_layers": 1}),
    "mistral": ("MistralConfig", "MistralForCausalLM", {**TINY, "sliding_window": 4}),  # every layer slides
}
# Three examples of different lengths (no pad id inside), packed in this order.
EXAMPLES = [[5, 9, 13, 2, 7], [4, 11, 6], [3, 17, 21, 1, 10, 8, 12]]


@pytest.fixture(scope="module")
def pairs():
    """(reference, ours) per (family, attention implementation), built once."""
    return {
        (family, attn): build_pair(config_name, class_name, kwargs, attn=attn)
        for family, (config_name, class_name, kwargs) in FAMILIES.items()
        for attn in ("eager", "sdpa")
    }


def packed_batch() -> dict[str, torch.Tensor]:
    return DataCollatorWithFlattening()([{"input_ids": ids} for ids in EXAMPLES])


def padded_batch() -> dict[str, torch.Tensor]:
    """The same examples right-padded with pad id 0; padding is masked and ignored by the loss."""
    width = max(map(len, EXAMPLES))
    input_ids = torch.tensor([ids + [0] * (width - len(ids)) for ids in EXAMPLES])
    attention_mask = torch.tensor([[1] * len(ids) + [0] * (width - len(ids)) for ids in EXAMPLES])
    return {"input_ids": input_ids, "attention_mask": attention_mask,
            "labels": input_ids.masked_fill(attention_mask == 0, -100)}


def segments(logits: torch.Tensor) -> list[torch.Tensor]:
    """Split (1, total, vocab) packed logits back into one (len, vocab) block per example."""
    return list(logits[0].split([len(ids) for ids in EXAMPLES]))


@pytest.mark.parametrize("attn", ["eager", "sdpa"])
@pytest.mark.parametrize("family", list(FAMILIES))
def test_packed_logits_loss_grads_match_reference(pairs, family, attn):
    ref, ours = pairs[family, attn]
    batch = packed_batch()
    r = ref(**batch, use_cache=False)
    o = ours(**batch, use_cache=False)
    assert_close(o.logits, r.logits)
    assert_close(o.loss, r.loss)
    assert_grads_close(ref, ours, r.loss, o.loss)


@torch.no_grad()
@pytest.mark.parametrize("attn", ["eager", "sdpa"])
@pytest.mark.parametrize("family", list(FAMILIES))
def test_each_packed_segment_equals_the_example_alone(pairs, family, attn):
    _, ours = pairs[family, attn]
    packed = ours(**{k: v for k, v in packed_batch().items() if k != "labels"}, use_cache=False).logits
    for segment, ids in zip(segments(packed), EXAMPLES):
        alone = ours(torch.tensor([ids]), use_cache=False).logits[0]
        assert_close(segment, alone)


@torch.no_grad()
@pytest.mark.parametrize("family", list(FAMILIES))
def test_packed_loss_equals_padded_loss(pairs, family):
    # The collator's -100 at each example start drops exactly the targets that padding drops
    # (the first token, predicted by nothing), so both losses average the same tokens.
    ref, ours = pairs[family, "sdpa"]
    packed, padded = packed_batch(), padded_batch()
    ours_packed, ours_padded = ours(**packed, use_cache=False).loss, ours(**padded, use_cache=False).loss
    assert_close(ours_packed, ours_padded)
    assert_close(ours_packed, ref(**packed, use_cache=False).loss)
    assert_close(ours_padded, ref(**padded, use_cache=False).loss)


@torch.no_grad()
@pytest.mark.parametrize("family", list(FAMILIES))
def test_several_packed_rows_and_broadcast_positions_match_reference(pairs, family):
    ref, ours = pairs[family, "sdpa"]
    input_ids = torch.tensor([[5, 9, 13, 2, 7, 4, 11, 6], [3, 17, 21, 1, 10, 8, 12, 14]])
    # Row 0 packs 5 + 3 tokens; row 1 is one sequence starting at position 2.
    position_ids = torch.tensor([[0, 1, 2, 3, 4, 0, 1, 2], [2, 3, 4, 5, 6, 7, 8, 9]])
    o = ours(input_ids, position_ids=position_ids, use_cache=False).logits
    assert_close(o, ref(input_ids, position_ids=position_ids, use_cache=False).logits)
    assert_close(o[0, 5:], ours(input_ids[:1, 5:], use_cache=False).logits[0])
    # A single (1, seq) row of positions applies to every row of the batch.
    shared = torch.tensor([[0, 1, 2, 0, 1, 2, 3, 4]])
    assert_close(ours(input_ids, position_ids=shared, use_cache=False).logits,
                 ref(input_ids, position_ids=shared, use_cache=False).logits)


@torch.no_grad()
@pytest.mark.parametrize("blocker", ["cache", "attention_mask"])
def test_packing_is_not_detected_where_the_reference_does_not_detect_it(pairs, blocker):
    # The reference only separates packed sequences when there is neither a cache object
    # (use_cache=True creates one, even empty) nor a 2-D attention mask; otherwise restarting
    # positions only move the rotary angles and the examples see each other. We match it.
    ref, ours = pairs["llama", "sdpa"]
    batch = {k: v for k, v in packed_batch().items() if k != "labels"}
    options = ({"use_cache": True} if blocker == "cache"
               else {"use_cache": False, "attention_mask": torch.ones_like(batch["input_ids"])})
    o = ours(**batch, **options).logits
    assert_close(o, ref(**batch, **options).logits)
    second = segments(o)[1]
    alone = ours(torch.tensor([EXAMPLES[1]]), use_cache=False).logits[0]
    assert (second - alone).abs().max() > 1e-3  # the second example did see the first


@pytest.mark.parametrize("attn", ["eager", "sdpa"])
@pytest.mark.parametrize("family", list(FAMILIES))
def test_masks_equal_the_reference_masks(pairs, family, attn):
    from transformers.masking_utils import create_causal_mask, create_sliding_window_causal_mask

    ref, ours = pairs[family, attn]
    position_ids = packed_batch()["position_ids"]
    embeds = torch.zeros(1, position_ids.shape[1], TINY["hidden_size"])
    cache_position = torch.arange(position_ids.shape[1])
    masks = ours.model._masks(None, embeds, 0, cache_position, None, position_ids)
    for window, mask in masks.items():
        if window is None:
            expected = create_causal_mask(ref.config, embeds, None, None, position_ids)
        else:
            assert window == ref.config.sliding_window
            expected = create_sliding_window_causal_mask(ref.config, embeds, None, None, position_ids)
        assert mask.dtype == expected.dtype
        assert torch.equal(mask, expected), window


@torch.no_grad()
def test_monotone_positions_keep_the_fast_path(pairs):
    # Plain positions (one sequence per row) leave the mask to SDPA's is_causal (None).
    _, ours = pairs["llama", "sdpa"]
    embeds = torch.zeros(2, 6, TINY["hidden_size"])
    cache_position = torch.arange(6)
    for position_ids in (torch.arange(6)[None], torch.arange(3, 9)[None].expand(2, -1)):
        assert ours.model._masks(None, embeds, 0, cache_position, None, position_ids) == {None: None}


def test_packed_sequence_ids_and_mask():
    assert packed_sequence_ids(torch.tensor([[0, 1, 2], [5, 6, 7]])) is None
    # A repeated position, a jump forward and a restart all begin a new sequence.
    assert packed_sequence_ids(torch.tensor([[0, 1, 1, 2, 5, 0]])).tolist() == [[0, 0, 1, 1, 2, 3]]
    ids = packed_sequence_ids(torch.tensor([[0, 1, 2, 3, 0, 1, 2]]))
    windowed = make_packed_causal_mask(ids, sliding_window=2, boolean=True)[0, 0].int()
    assert windowed.tolist() == [
        [1, 0, 0, 0, 0, 0, 0], [1, 1, 0, 0, 0, 0, 0], [0, 1, 1, 0, 0, 0, 0], [0, 0, 1, 1, 0, 0, 0],
        [0, 0, 0, 0, 1, 0, 0], [0, 0, 0, 0, 1, 1, 0], [0, 0, 0, 0, 0, 1, 1],
    ]
    additive = make_packed_causal_mask(ids, dtype=torch.float16)
    assert additive.dtype == torch.float16 and additive[0, 0, 4, 3] == torch.finfo(torch.float16).min
    assert additive[0, 0, 4, 4] == 0


@given(st.lists(st.lists(st.integers(0, 6), min_size=1, max_size=12), min_size=1, max_size=3).filter(
    lambda rows: len({len(r) for r in rows}) == 1))
def test_packed_sequence_ids_match_reference(rows):
    from transformers.masking_utils import find_packed_sequence_indices

    position_ids = torch.tensor(rows)
    ours, ref = packed_sequence_ids(position_ids), find_packed_sequence_indices(position_ids)
    assert (ours is None) == (ref is None)
    if ours is not None:
        assert torch.equal(ours, ref)


@pytest.mark.parametrize("attn", ["eager", "sdpa"])
def test_gpt2_packed_batches_match_reference_and_the_examples_alone(attn):
    # GPT-2 reads the same restarts from position_ids (learned position embeddings, no rotary).
    ref, ours = build_pair("GPT2Config", "GPT2LMHeadModel",
                           dict(vocab_size=40, n_embd=32, n_layer=2, n_head=4, n_positions=64), attn=attn)
    batch = packed_batch()
    r, o = ref(**batch, use_cache=False), ours(**batch, use_cache=False)
    assert_close(o.logits, r.logits)
    assert_close(o.loss, r.loss)
    assert_grads_close(ref, ours, r.loss, o.loss)
    with torch.no_grad():
        for ids, segment in zip(EXAMPLES, segments(o.logits)):
            assert_close(segment, ours(torch.tensor([ids]), use_cache=False).logits[0])
