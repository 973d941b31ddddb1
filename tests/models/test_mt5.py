"""mT5 parity: T5 modules with mT5 defaults, an unscaled tied head, heads and files both ways."""

from __future__ import annotations

import json

import pytest
import torch
import transformers

import embrace
from tests.models.decoder_parity import assert_close

CONFIG = dict(
    vocab_size=60, d_model=32, d_kv=8, d_ff=37, num_layers=2, num_heads=4, relative_attention_num_buckets=8,
    relative_attention_max_distance=20, dropout_rate=0.0, tie_word_embeddings=False,
)
INPUT_IDS = torch.tensor([[5, 9, 13, 2, 7, 8, 1], [4, 11, 6, 1, 0, 0, 0]])
ATTENTION_MASK = (INPUT_IDS != 0).long()
LABELS = torch.tensor([[7, 3, 12, 1], [8, 1, -100, -100]])

_PAIRS: dict = {}


@pytest.fixture(scope="module")
def pair():
    def get(class_name: str = "MT5ForConditionalGeneration", attn: str = "eager", **extra):
        key = (class_name, attn, tuple(sorted(extra.items())))
        if key not in _PAIRS:
            ref_config = transformers.MT5Config(**CONFIG, **extra)
            ref_config._attn_implementation = attn
            torch.manual_seed(0)
            ref = getattr(transformers, class_name)(ref_config).eval()
            ours_config = embrace.MT5Config(**CONFIG, **extra)
            ours_config._attn_implementation = attn
            ours = getattr(embrace, class_name)(ours_config).eval()
            ours.load_state_dict(ref.state_dict(), strict=True)
            _PAIRS[key] = ref, ours
        return _PAIRS[key]

    return get


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
    ours.save_pretrained(tmp_path / "ours")
    ref.save_pretrained(tmp_path / "ref")
    assert json.loads((tmp_path / "ours" / "config.json").read_text()) == json.loads(
        (tmp_path / "ref" / "config.json").read_text()
    )
    loaded_ref = transformers.MT5ForConditionalGeneration.from_pretrained(tmp_path / "ours").eval()
    loaded_ours = embrace.AutoModel.from_pretrained(tmp_path / "ref")
    assert type(loaded_ours) is embrace.MT5Model
    loaded_ours = embrace.MT5ForConditionalGeneration.from_pretrained(tmp_path / "ref")
    with torch.no_grad():
        expected = ours(input_ids=INPUT_IDS, labels=LABELS).logits
        assert_close(loaded_ref(input_ids=INPUT_IDS, labels=LABELS).logits, expected)
        assert_close(loaded_ours(input_ids=INPUT_IDS, labels=LABELS).logits, expected)
