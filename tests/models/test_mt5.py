"""mT5 parity: T5 modules with mT5 defaults, an unscaled tied head, heads and files both ways."""

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

pair = pairs_fixture(
    "mt5", "MT5Config", {**T5_TINY, "tie_word_embeddings": False}, default_class="MT5ForConditionalGeneration"
)


def test_config_matches_reference():
    ours, ref = embrace.MT5Config(), transformers.MT5Config()
    assert ours.to_diff_dict() == {**ref.to_diff_dict(), "transformers_version": ours.to_diff_dict()["transformers_version"]}
    assert not hasattr(ours, "scale_decoder_outputs")


@pytest.mark.parametrize("attn", ["eager", "sdpa"])
def test_conditional_generation_logits_and_loss(pair, attn):
    ref, ours = pair(attn=attn)
    assert ours.lm_head.weight is ours.shared.weight
    kwargs = dict(input_ids=INPUT_IDS, attention_mask=ATTENTION_MASK, labels=LABELS)
    with torch.no_grad():
        r, o = ref(**kwargs), ours(**kwargs)
    assert_close(o.logits, r.logits)
    assert_close(o.loss, r.loss)


@torch.no_grad()
def test_encoder_and_heads(pair):
    ref, ours = pair("MT5EncoderModel")
    assert_close(ours(INPUT_IDS, ATTENTION_MASK).last_hidden_state, ref(INPUT_IDS, ATTENTION_MASK).last_hidden_state)
    ref, ours = pair("MT5ForSequenceClassification", num_labels=3)
    assert type(ours.transformer) is embrace.MT5Model
    assert_close(ours(input_ids=INPUT_IDS).logits, ref(input_ids=INPUT_IDS).logits)
    ref, ours = pair("MT5ForTokenClassification", num_labels=3)
    assert type(ours.transformer) is embrace.MT5EncoderModel
    assert_close(ours(input_ids=INPUT_IDS).logits, ref(input_ids=INPUT_IDS).logits)
    ref, ours = pair("MT5ForQuestionAnswering")
    assert_close(ours(input_ids=INPUT_IDS).start_logits, ref(input_ids=INPUT_IDS).start_logits)


def test_save_load_both_ways(pair, tmp_path):
    ref, ours = pair()
    inputs = {"input_ids": INPUT_IDS, "labels": LABELS}
    check_checkpoints_both_ways(ref, ours, tmp_path, embrace.MT5ForConditionalGeneration.from_pretrained, inputs)
    assert type(embrace.AutoModel.from_pretrained(tmp_path / "ref")) is embrace.MT5Model
