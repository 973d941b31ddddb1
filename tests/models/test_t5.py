"""T5 parity with the reference: relative bias, v1.0 / v1.1 feed-forward, tied head scaling, cache, heads, files."""

from __future__ import annotations

import json

import pytest
import torch
import transformers

import embrace
from embrace.errors import ConfigError
from tests.models.decoder_parity import assert_close, build_pair
from tests.models.seq2seq_parity import T5_TINY, assert_grads_close

BASE = dict(T5_TINY, num_decoder_layers=3, decoder_start_token_id=0)
# v1.0: relu feed-forward, decoder output scaled before the tied head; v1.1: gated gelu, no scaling.
VARIANTS = {
    "v1.0": dict(BASE, feed_forward_proj="relu"),
    "v1.1": dict(BASE, feed_forward_proj="gated-gelu", tie_word_embeddings=False),
}

# Source batch: row 1 right-padded (T5 has no absolute positions, so padding side is free).
INPUT_IDS = torch.tensor([[5, 9, 13, 2, 7, 8, 22, 30, 41, 1], [4, 11, 6, 3, 17, 21, 1, 0, 0, 0]])
ATTENTION_MASK = (INPUT_IDS != 0).long()
LABELS = torch.tensor([[7, 3, 12, 19, 1, -100], [8, 14, 1, -100, -100, -100]])
# Long enough that relative distances land in the logarithmic buckets (max_distance 20).
LONG_IDS = torch.arange(2, 42).remainder(57).add(2)[None].repeat(2, 1)


_PAIRS: dict = {}


@pytest.fixture(scope="module")
def pair():
    """Build each (class, variant, attention) pair once per module."""

    def get(class_name: str = "T5ForConditionalGeneration", variant: str = "v1.0", attn: str = "eager", **extra):
        key = (class_name, variant, attn, tuple(sorted(extra.items())))
        if key not in _PAIRS:
            _PAIRS[key] = build_pair("T5Config", class_name, {**VARIANTS[variant], **extra}, attn=attn)
        return _PAIRS[key]

    return get


@pytest.mark.parametrize("variant", list(VARIANTS))
@pytest.mark.parametrize("attn", ["eager", "sdpa"])
def test_conditional_generation_logits_loss_grads(pair, variant, attn):
    ref, ours = pair(variant=variant, attn=attn)
    assert ours.lm_head.weight is ours.shared.weight
    assert ours.encoder.embed_tokens.weight is ours.shared.weight
    assert ours.config.scale_decoder_outputs is (variant == "v1.0")
    kwargs = dict(input_ids=INPUT_IDS, attention_mask=ATTENTION_MASK, labels=LABELS)
    r, o = ref(**kwargs), ours(**kwargs)
    assert_close(o.logits, r.logits)
    assert_close(o.loss, r.loss)
    assert_close(o.encoder_last_hidden_state, r.encoder_last_hidden_state)
    assert_grads_close(ref, ours, r.loss, o.loss)


@pytest.mark.parametrize("attn", ["eager", "sdpa"])
@torch.no_grad()
def test_long_inputs_use_log_buckets(pair, attn):
    ref, ours = pair(variant="v1.1", attn=attn)
    decoder_ids = LONG_IDS[:, :30]
    mask = torch.ones_like(decoder_ids)
    mask[1, 25:] = 0  # decoder padding combines with causality and the bias
    kwargs = dict(input_ids=LONG_IDS, decoder_input_ids=decoder_ids, decoder_attention_mask=mask)
    assert_close(ours(**kwargs).logits[mask.bool()], ref(**kwargs).logits[mask.bool()])


@torch.no_grad()
def test_hidden_states_and_attentions_match(pair):
    ref, ours = pair(variant="v1.1")
    kwargs = dict(input_ids=INPUT_IDS, attention_mask=ATTENTION_MASK, labels=LABELS, output_hidden_states=True,
                  output_attentions=True)
    r, o = ref(**kwargs), ours(**kwargs)
    for field in ("encoder_hidden_states", "decoder_hidden_states", "encoder_attentions", "decoder_attentions",
                  "cross_attentions"):
        theirs, mine = getattr(r, field), getattr(o, field)
        assert len(mine) == len(theirs), field
        for a, b in zip(mine, theirs):
            assert_close(a, b)


@pytest.mark.parametrize("attn", ["eager", "sdpa"])
@torch.no_grad()
def test_incremental_decoding_matches_full_pass(pair, attn):
    ref, ours = pair(variant="v1.0", attn=attn)
    decoder_ids = ours._shift_right(LABELS)
    full = ref(input_ids=INPUT_IDS, attention_mask=ATTENTION_MASK, decoder_input_ids=decoder_ids).logits
    encoder_outputs = ours.get_encoder()(input_ids=INPUT_IDS, attention_mask=ATTENTION_MASK)
    out = ours(encoder_outputs=encoder_outputs, attention_mask=ATTENTION_MASK, decoder_input_ids=decoder_ids[:, :2],
               use_cache=True)
    steps = [out.logits]
    past = out.past_key_values
    assert isinstance(past, embrace.modeling.cache.EncoderDecoderCache)
    for t in range(2, decoder_ids.shape[1]):
        out = ours(encoder_outputs=encoder_outputs, attention_mask=ATTENTION_MASK,
                   decoder_input_ids=decoder_ids[:, t : t + 1], past_key_values=past, use_cache=True)
        past = out.past_key_values
        steps.append(out.logits)
    assert_close(torch.cat(steps, dim=1), full)
    assert past.get_seq_length() == decoder_ids.shape[1]
    assert past.cross_attention_cache.get_seq_length() == INPUT_IDS.shape[1]


@torch.no_grad()
def test_continues_from_reference_cache(pair):
    ref, ours = pair(variant="v1.1")
    decoder_ids = ours._shift_right(LABELS)
    ref_out = ref(input_ids=INPUT_IDS, attention_mask=ATTENTION_MASK, decoder_input_ids=decoder_ids[:, :3],
                  use_cache=True)
    cache = ref_out.past_key_values
    legacy = tuple(
        (s.keys, s.values, c.keys, c.values)
        for s, c in zip(cache.self_attention_cache.layers, cache.cross_attention_cache.layers)
    )
    full = ref(input_ids=INPUT_IDS, attention_mask=ATTENTION_MASK, decoder_input_ids=decoder_ids).logits
    mine = ours(encoder_outputs=(ref_out.encoder_last_hidden_state,), attention_mask=ATTENTION_MASK,
                decoder_input_ids=decoder_ids[:, 3:], past_key_values=legacy).logits
    assert_close(mine, full[:, 3:])


@torch.no_grad()
def test_bare_model_and_encoder_model(pair):
    ref, ours = pair("T5Model", variant="v1.0")
    decoder_ids = ours._shift_right(LABELS)
    r = ref(input_ids=INPUT_IDS, attention_mask=ATTENTION_MASK, decoder_input_ids=decoder_ids)
    o = ours(input_ids=INPUT_IDS, attention_mask=ATTENTION_MASK, decoder_input_ids=decoder_ids)
    assert_close(o.last_hidden_state, r.last_hidden_state)
    assert ours.get_input_embeddings() is ours.shared
    ref, ours = pair("T5EncoderModel", variant="v1.1")
    assert_close(ours(INPUT_IDS, ATTENTION_MASK).last_hidden_state, ref(INPUT_IDS, ATTENTION_MASK).last_hidden_state)


def test_classification_and_span_heads(pair):
    ref, ours = pair("T5ForSequenceClassification", variant="v1.0", num_labels=3)
    labels = torch.tensor([2, 0])
    r = ref(input_ids=INPUT_IDS, attention_mask=ATTENTION_MASK, labels=labels)
    o = ours(input_ids=INPUT_IDS, attention_mask=ATTENTION_MASK, labels=labels)
    assert_close(o.logits, r.logits)
    assert_close(o.loss, r.loss)

    ref, ours = pair("T5ForTokenClassification", variant="v1.1", num_labels=4)
    labels = torch.tensor([[0, 1, 2, 3, 0, 1, 2, 3, 0, 1]] * 2)
    r, o = ref(input_ids=INPUT_IDS, labels=labels), ours(input_ids=INPUT_IDS, labels=labels)
    assert_close(o.logits, r.logits)
    assert_close(o.loss, r.loss)

    ref, ours = pair("T5ForQuestionAnswering", variant="v1.0")
    spans = dict(start_positions=torch.tensor([1, 3]), end_positions=torch.tensor([4, 30]))
    r = ref(input_ids=INPUT_IDS, attention_mask=ATTENTION_MASK, **spans)
    o = ours(input_ids=INPUT_IDS, attention_mask=ATTENTION_MASK, **spans)
    assert_close(o.start_logits, r.start_logits)
    assert_close(o.end_logits, r.end_logits)
    assert_close(o.loss, r.loss)


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_save_load_both_ways(pair, variant, tmp_path):
    ref, ours = pair(variant=variant)
    ours.save_pretrained(tmp_path / "ours")
    ref.save_pretrained(tmp_path / "ref")
    assert json.loads((tmp_path / "ours" / "config.json").read_text()) == json.loads(
        (tmp_path / "ref" / "config.json").read_text()
    )
    loaded_ref = transformers.T5ForConditionalGeneration.from_pretrained(tmp_path / "ours").eval()
    loaded_ours = embrace.AutoModelForSeq2SeqLM.from_pretrained(tmp_path / "ref")
    assert type(loaded_ours) is embrace.T5ForConditionalGeneration
    assert loaded_ours.config.scale_decoder_outputs is (variant == "v1.0")
    kwargs = dict(input_ids=INPUT_IDS, attention_mask=ATTENTION_MASK, labels=LABELS)
    with torch.no_grad():
        expected = ours(**kwargs).logits
        assert_close(loaded_ref(**kwargs).logits, expected)
        assert_close(loaded_ours(**kwargs).logits, expected)


def test_checkpoint_with_own_lm_head_loads_untied(pair, tmp_path):
    """A v1.1 / FLAN checkpoint stores a separate lm_head.weight: both libraries keep it untied."""
    ref, _ = pair(variant="v1.1")
    folder = tmp_path / "untied"
    ref.save_pretrained(folder)
    from embrace.safetensors.torch import load_file, save_file

    tensors = load_file(folder / "model.safetensors")
    tensors["lm_head.weight"] = torch.randn(tensors["shared.weight"].shape, generator=torch.Generator().manual_seed(1))
    save_file(tensors, folder / "model.safetensors", metadata={"format": "pt"})
    loaded_ref = transformers.T5ForConditionalGeneration.from_pretrained(folder).eval()
    loaded_ours = embrace.T5ForConditionalGeneration.from_pretrained(folder)
    assert loaded_ours.lm_head.weight is not loaded_ours.shared.weight
    assert torch.equal(loaded_ours.lm_head.weight, tensors["lm_head.weight"])
    with torch.no_grad():
        assert_close(loaded_ours(INPUT_IDS, labels=LABELS).logits, loaded_ref(INPUT_IDS, labels=LABELS).logits)


def test_auto_classes_pick_t5(pair, tmp_path):
    _, ours = pair("T5Model", variant="v1.0")
    ours.save_pretrained(tmp_path)
    assert type(embrace.AutoConfig.from_pretrained(tmp_path)) is embrace.T5Config
    assert type(embrace.AutoModel.from_pretrained(tmp_path)) is embrace.T5Model


def test_labels_without_decoder_start_token_raise_like_reference(pair):
    config = dict(VARIANTS["v1.0"])
    config.pop("decoder_start_token_id")
    ref, ours = build_pair("T5Config", "T5ForConditionalGeneration", config)
    # The reference fails on the missing attribute; we say what to set.
    with pytest.raises((AttributeError, ValueError), match="decoder_start_token_id"):
        ref(input_ids=INPUT_IDS, labels=LABELS)
    with pytest.raises(ValueError, match="decoder_start_token_id"):
        ours(input_ids=INPUT_IDS, labels=LABELS)


def test_bad_configs_and_inputs(pair):
    with pytest.raises(ConfigError, match="feed_forward_proj"):
        embrace.T5Config(feed_forward_proj="gated-gelu-x")
    _, ours = pair("T5ForSequenceClassification", variant="v1.0", num_labels=3)
    no_eos = INPUT_IDS.clone()
    no_eos[1, 6] = 2  # row 1 loses its eos token
    with pytest.raises(ValueError, match="eos"):
        ours(input_ids=no_eos)
    _, ours = pair()
    with pytest.raises(ValueError, match="use_cache"):
        ours.get_encoder()(input_ids=INPUT_IDS, use_cache=True)
    with pytest.raises(ValueError, match="exactly one"):
        ours.get_encoder()()


@pytest.fixture(scope="module")
def generation_pair():
    """A v1.1 pair with larger random weights, so greedy and beam outputs vary and sometimes stop at eos."""
    config = {key: value for key, value in VARIANTS["v1.1"].items() if key != "num_decoder_layers"}
    ref, ours = build_pair("T5Config", "T5ForConditionalGeneration", config, attn="sdpa")
    generator = torch.Generator().manual_seed(1)
    with torch.no_grad():
        for param in ref.parameters():
            param.copy_(torch.randn(param.shape, generator=generator) * 0.5)
    ours.load_state_dict(ref.state_dict(), strict=True)
    return ref, ours


@pytest.mark.parametrize(
    "options", [dict(max_new_tokens=10), dict(max_new_tokens=10, num_beams=3, num_return_sequences=2)],
    ids=["greedy", "beam3"],
)
def test_generate_matches_reference(generation_pair, options):
    ref, ours = generation_pair
    expected = ref.generate(input_ids=INPUT_IDS, attention_mask=ATTENTION_MASK, **options)
    produced = ours.generate(input_ids=INPUT_IDS, attention_mask=ATTENTION_MASK, **options)
    assert produced.tolist() == expected.tolist()
    assert (produced[:, 0] == 0).all()  # every sequence starts from decoder_start_token_id
