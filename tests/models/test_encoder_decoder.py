"""EncoderDecoderModel parity: BERT2BERT and BERT2GPT2 warm-started by the reference, loaded both ways."""

from __future__ import annotations

import json

import pytest
import torch
import transformers

import embrace
from embrace.models.encoder_decoder import EncoderDecoderConfig, EncoderDecoderModel
from tests.models.decoder_parity import assert_close

BERT = dict(vocab_size=40, hidden_size=32, num_hidden_layers=2, num_attention_heads=4, intermediate_size=37)
# A different width than BERT, so the encoder output goes through enc_to_dec_proj.
GPT2 = dict(vocab_size=40, n_embd=24, n_layer=2, n_head=4, n_positions=32, bos_token_id=1, eos_token_id=2)

INPUT_IDS = torch.tensor([[2, 5, 9, 13, 7, 3], [2, 11, 6, 3, 0, 0]])
ATTENTION_MASK = (INPUT_IDS != 0).long()
LABELS = torch.tensor([[8, 14, 21, 3], [17, 3, -100, -100]])
START, PAD = 2, 0


@pytest.fixture(scope="module")
def folders(tmp_path_factory):
    """Tiny reference checkpoints: the parts, and the two joint models the reference builds from them."""
    root = tmp_path_factory.mktemp("encoder_decoder")
    torch.manual_seed(0)
    transformers.BertModel(transformers.BertConfig(**BERT)).save_pretrained(root / "bert")
    transformers.GPT2LMHeadModel(transformers.GPT2Config(**GPT2)).save_pretrained(root / "gpt2")
    for name, decoder in (("bert2bert", "bert"), ("bert2gpt2", "gpt2")):
        torch.manual_seed(1)
        model = transformers.EncoderDecoderModel.from_encoder_decoder_pretrained(root / "bert", root / decoder)
        model.config.decoder_start_token_id = START
        model.config.pad_token_id = PAD
        model.save_pretrained(root / name)
    return root


_LOADED: dict = {}


@pytest.fixture(scope="module")
def pair(folders):
    def get(name: str, attn: str = "eager"):
        if (name, attn) not in _LOADED:
            ref = transformers.EncoderDecoderModel.from_pretrained(folders / name, attn_implementation="eager").eval()
            ours = EncoderDecoderModel.from_pretrained(folders / name, attn_implementation=attn)
            _LOADED[name, attn] = ref, ours
        return _LOADED[name, attn]

    return get


def _compare(ref, ours, **extra):
    kwargs = dict(input_ids=INPUT_IDS, attention_mask=ATTENTION_MASK, labels=LABELS, **extra)
    with torch.no_grad():
        r, o = ref(**kwargs), ours(**kwargs)
    assert_close(o.logits, r.logits)
    assert_close(o.loss, r.loss)
    assert_close(o.encoder_last_hidden_state, r.encoder_last_hidden_state)
    return r, o


@pytest.mark.parametrize("attn", ["eager", "sdpa"])
def test_bert2bert_logits_and_loss(pair, attn):
    ref, ours = pair("bert2bert", attn)
    assert type(ours.decoder) is embrace.BertLMHeadModel
    assert ours.decoder.config is ours.config.decoder and ours.config.decoder.add_cross_attention
    assert not hasattr(ours, "enc_to_dec_proj")
    _compare(ref, ours)


@pytest.mark.parametrize("attn", ["eager", "sdpa"])
def test_bert2gpt2_logits_and_loss(pair, attn):
    ref, ours = pair("bert2gpt2", attn)
    assert type(ours.decoder) is embrace.GPT2LMHeadModel
    assert ours.enc_to_dec_proj.weight.shape == (24, 32)
    r, o = _compare(ref, ours, output_attentions=attn == "eager")
    if attn == "eager":
        for mine, theirs in zip(o.cross_attentions, r.cross_attentions):
            assert_close(mine, theirs)


def test_our_warm_start_builds_the_same_model(folders, pair):
    """from_encoder_decoder_pretrained: same parameter names and part weights as the reference."""
    ref, _ = pair("bert2gpt2")
    ours = EncoderDecoderModel.from_encoder_decoder_pretrained(folders / "bert", folders / "gpt2", pad_token_id=PAD)
    assert ours.config.decoder.is_decoder and ours.config.decoder.add_cross_attention
    assert set(ours.state_dict()) == set(ref.state_dict())
    fresh_ref = transformers.EncoderDecoderModel.from_encoder_decoder_pretrained(folders / "bert", folders / "gpt2")
    for name in ("encoder.embeddings.word_embeddings.weight", "decoder.transformer.h.0.attn.c_attn.weight"):
        assert torch.equal(ours.state_dict()[name], fresh_ref.state_dict()[name])
    ours.load_state_dict(ref.state_dict(), strict=True)
    ours.config.decoder_start_token_id = START
    ours.eval()
    _compare(ref, ours)


@pytest.mark.parametrize("name", ["bert2bert", "bert2gpt2"])
def test_save_with_ours_load_with_reference(pair, name, tmp_path, folders):
    ref, ours = pair(name)
    ours.save_pretrained(tmp_path)
    saved = json.loads((tmp_path / "config.json").read_text())
    expected = json.loads((folders / name / "config.json").read_text())
    assert saved["encoder"]["model_type"] == "bert" and saved["decoder"]["model_type"] == expected["decoder"]["model_type"]
    assert saved["decoder"]["add_cross_attention"] is True and saved["decoder_start_token_id"] == START
    loaded = transformers.EncoderDecoderModel.from_pretrained(tmp_path).eval()
    _compare(loaded, ours)
    assert type(embrace.AutoConfig.from_pretrained(tmp_path)) is EncoderDecoderConfig


@torch.no_grad()
def test_cached_decoding_reuses_encoder_outputs(pair):
    ref, ours = pair("bert2gpt2", "sdpa")
    decoder_ids = torch.tensor([[START, 8, 14, 21], [START, 17, 3, 9]])
    full = ref(input_ids=INPUT_IDS, attention_mask=ATTENTION_MASK, decoder_input_ids=decoder_ids).logits
    encoder_outputs = ours.get_encoder()(input_ids=INPUT_IDS, attention_mask=ATTENTION_MASK)
    out = ours(encoder_outputs=(encoder_outputs.last_hidden_state,), attention_mask=ATTENTION_MASK,
               decoder_input_ids=decoder_ids[:, :2], use_cache=True)
    steps, past = [out.logits], out.past_key_values
    for t in range(2, decoder_ids.shape[1]):
        out = ours(encoder_outputs=encoder_outputs, attention_mask=ATTENTION_MASK,
                   decoder_input_ids=decoder_ids[:, t : t + 1], past_key_values=past, use_cache=True)
        steps.append(out.logits)
        past = out.past_key_values
    assert_close(torch.cat(steps, dim=1), full)


def test_labels_without_decoder_start_token_raise_like_reference(pair):
    ref, ours = pair("bert2bert")
    for model in (ref, ours):
        start = model.config.decoder_start_token_id
        model.config.decoder_start_token_id = None
        try:
            with pytest.raises(ValueError, match="decoder_start_token_id"):
                model(input_ids=INPUT_IDS, labels=LABELS)
        finally:
            model.config.decoder_start_token_id = start


def test_bad_construction_is_refused():
    with pytest.raises(ValueError, match="config"):
        EncoderDecoderModel()
    with pytest.raises(ValueError, match="config"):
        EncoderDecoderModel(config=embrace.BertConfig(**BERT))
    with pytest.raises(ValueError, match="LM head"):
        lm = embrace.BertLMHeadModel(embrace.BertConfig(**BERT, is_decoder=True))
        EncoderDecoderModel(encoder=lm, decoder=embrace.BertLMHeadModel(embrace.BertConfig(**BERT)))
    with pytest.raises(ValueError, match="model_type"):
        EncoderDecoderConfig(encoder={"hidden_size": 8}, decoder=None)


@pytest.mark.parametrize("options", [dict(), dict(num_beams=3, num_return_sequences=2)], ids=["greedy", "beam3"])
def test_generate_matches_reference(pair, options):
    ref, ours = pair("bert2gpt2", "sdpa")
    options = dict(options, max_new_tokens=6, decoder_start_token_id=START, pad_token_id=PAD, eos_token_id=3)
    expected = ref.generate(input_ids=INPUT_IDS, attention_mask=ATTENTION_MASK, **options)
    produced = ours.generate(input_ids=INPUT_IDS, attention_mask=ATTENTION_MASK, **options)
    assert produced.tolist() == expected.tolist()
