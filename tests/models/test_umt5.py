"""UMT5 parity: a relative-bias table in every layer (also with a cache), always-scaled tied head, files."""

from __future__ import annotations

import json

import pytest
import torch
import transformers

import embrace
from tests.models.decoder_parity import assert_close

CONFIG = dict(
    vocab_size=60, d_model=32, d_kv=8, d_ff=37, num_layers=2, num_heads=4, relative_attention_num_buckets=8,
    relative_attention_max_distance=20, dropout_rate=0.0,
)
INPUT_IDS = torch.tensor([[5, 9, 13, 2, 7, 8, 1], [4, 11, 6, 1, 0, 0, 0]])
ATTENTION_MASK = (INPUT_IDS != 0).long()
LABELS = torch.tensor([[7, 3, 12, 1], [8, 1, -100, -100]])

_PAIRS: dict = {}


@pytest.fixture(scope="module")
def pair():
    def get(class_name: str = "UMT5ForConditionalGeneration", attn: str = "eager", **extra):
        key = (class_name, attn, tuple(sorted(extra.items())))
        if key not in _PAIRS:
            ref_config = transformers.UMT5Config(**CONFIG, **extra)
            ref_config._attn_implementation = attn
            torch.manual_seed(0)
            ref = getattr(transformers, class_name)(ref_config).eval()
            ours_config = embrace.UMT5Config(**CONFIG, **extra)
            ours_config._attn_implementation = attn
            ours = getattr(embrace, class_name)(ours_config).eval()
            ours.load_state_dict(ref.state_dict(), strict=True)
            _PAIRS[key] = ref, ours
        return _PAIRS[key]

    return get


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
    ours.save_pretrained(tmp_path / "ours")
    ref.save_pretrained(tmp_path / "ref")
    assert json.loads((tmp_path / "ours" / "config.json").read_text()) == json.loads(
        (tmp_path / "ref" / "config.json").read_text()
    )
    loaded_ref = transformers.UMT5ForConditionalGeneration.from_pretrained(tmp_path / "ours").eval()
    loaded_ours = embrace.AutoModelForSeq2SeqLM.from_pretrained(tmp_path / "ref")
    assert type(loaded_ours) is embrace.UMT5ForConditionalGeneration
    with torch.no_grad():
        expected = ours(input_ids=INPUT_IDS, labels=LABELS).logits
        assert_close(loaded_ref(input_ids=INPUT_IDS, labels=LABELS).logits, expected)
        assert_close(loaded_ours(input_ids=INPUT_IDS, labels=LABELS).logits, expected)
