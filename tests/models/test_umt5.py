"""UMT5 parity: a relative-bias table in every layer (also with a cache), always-scaled tied head, files."""

from __future__ import annotations

import pytest
import torch
import transformers

import embrace
from tests.models.decoder_parity import assert_close
from tests.models.seq2seq_parity import (
    T5_ATTENTION_MASK,
    T5_INPUT_IDS,
    T5_LABELS,
    T5_TINY,
    check_checkpoints_both_ways,
    pairs_fixture,
)

INPUT_IDS, ATTENTION_MASK, LABELS = T5_INPUT_IDS, T5_ATTENTION_MASK, T5_LABELS

pair = pairs_fixture("umt5", "UMT5Config", T5_TINY, default_class="UMT5ForConditionalGeneration")


def test_config_matches_reference():
    ours, ref = embrace.UMT5Config().to_diff_dict(), transformers.UMT5Config().to_diff_dict()
    assert ours == {**ref, "transformers_version": ours["transformers_version"]}


@pytest.mark.parametrize("attn", ["eager", "sdpa"])
def test_logits_loss_and_cached_steps(pair, attn):
    ref, ours = pair(attn=attn)
    assert all(block.layer[0].SelfAttention.has_relative_attention_bias for block in ours.decoder.block)
    kwargs = dict(input_ids=INPUT_IDS, attention_mask=ATTENTION_MASK, labels=LABELS)
    with torch.no_grad():
        r, o = ref(**kwargs), ours(**kwargs)
        assert_close(o.logits, r.logits)
        assert_close(o.loss, r.loss)
        # Step by step with a cache: each layer's bias must see the right query offset.
        decoder_ids = ours._shift_right(LABELS)
        out = ours(input_ids=INPUT_IDS, attention_mask=ATTENTION_MASK, decoder_input_ids=decoder_ids[:, :1],
                   use_cache=True)
        steps, past = [out.logits], out.past_key_values
        for t in range(1, decoder_ids.shape[1]):
            out = ours(encoder_outputs=(o.encoder_last_hidden_state,), attention_mask=ATTENTION_MASK,
                       decoder_input_ids=decoder_ids[:, t : t + 1], past_key_values=past, use_cache=True)
            steps.append(out.logits)
            past = out.past_key_values
    assert_close(torch.cat(steps, dim=1), r.logits)


@torch.no_grad()
def test_encoder_and_heads(pair):
    ref, ours = pair("UMT5EncoderModel")
    assert_close(ours(INPUT_IDS, ATTENTION_MASK).last_hidden_state, ref(INPUT_IDS, ATTENTION_MASK).last_hidden_state)
    ref, ours = pair("UMT5ForSequenceClassification", num_labels=3)
    assert_close(ours(input_ids=INPUT_IDS).logits, ref(input_ids=INPUT_IDS).logits)
    ref, ours = pair("UMT5ForQuestionAnswering")
    assert_close(ours(input_ids=INPUT_IDS).end_logits, ref(input_ids=INPUT_IDS).end_logits)


def test_save_load_both_ways(pair, tmp_path):
    ref, ours = pair()
    inputs = {"input_ids": INPUT_IDS, "labels": LABELS}
    loaded = check_checkpoints_both_ways(ref, ours, tmp_path, embrace.AutoModelForSeq2SeqLM.from_pretrained, inputs)
    assert type(loaded) is embrace.UMT5ForConditionalGeneration
