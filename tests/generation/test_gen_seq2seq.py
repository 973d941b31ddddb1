"""Encoder-decoder generate() parity with the reference (transformers 5.x) on tiny BART-family models."""

from __future__ import annotations

import pytest
import torch

from embrace.generation.logits_process import EncoderNoRepeatNGramLogitsProcessor
from tests.models.seq2seq_parity import TINY, assert_close, build_pair

# Untied output projections with a wider init give a tiny random model varied, non-degenerate
# continuations (tied ones keep repeating the decoder start token); seed 2 makes row 0 stop early.
GEN = {**TINY, "tie_word_embeddings": False, "init_std": 0.1}
INPUT_IDS = torch.tensor([[0, 5, 9, 13, 7, 2, 1, 1], [0, 4, 11, 6, 3, 17, 21, 2]])
MASK = (INPUT_IDS != 1).long()


@pytest.fixture(scope="module")
def bart():
    return build_pair("bart", "BartConfig", "BartForConditionalGeneration", GEN, attn="eager", seed=2)


def generate_both(pair, **kwargs):
    ref, ours = pair
    kwargs.setdefault("input_ids", INPUT_IDS)
    kwargs.setdefault("attention_mask", MASK)
    seed = kwargs.pop("seed", None)
    if seed is not None:
        torch.manual_seed(seed)
    expected = ref.generate(**kwargs)
    if seed is not None:
        torch.manual_seed(seed)
    return expected, ours.generate(**kwargs)


def assert_same_generation(expected, got) -> None:
    if isinstance(expected, torch.Tensor):
        assert torch.equal(got, expected), (got, expected)
        return
    assert torch.equal(got.sequences, expected.sequences), (got.sequences, expected.sequences)
    for key in ("sequences_scores", "beam_indices"):
        if expected.get(key) is not None:
            assert_close(got[key].float(), expected[key].float())
    for key in ("scores", "logits"):
        if expected.get(key) is not None:
            assert len(got[key]) == len(expected[key])
            for mine, theirs in zip(got[key], expected[key]):
                finite = torch.isfinite(theirs)
                assert torch.equal(finite, torch.isfinite(mine))
                assert_close(mine[finite], theirs[finite])


def test_greedy_padded_batch(bart):
    expected, got = generate_both(bart, max_new_tokens=12, do_sample=False)
    assert expected.shape[1] > 5  # a real continuation, with row 0 finishing early
    assert_same_generation(expected, got)


@pytest.mark.parametrize("options", [
    {"num_beams": 3, "num_return_sequences": 2},
    {"num_beams": 3, "length_penalty": 2.0, "early_stopping": True},
    {"num_beams": 3, "length_penalty": 0.5, "early_stopping": "never"},
    {"num_beams": 3, "no_repeat_ngram_size": 2},
    {"num_beams": 2, "encoder_no_repeat_ngram_size": 2, "num_return_sequences": 2},
    {"num_beams": 2, "use_cache": False, "repetition_penalty": 1.3},
])
def test_beam_search_with_scores(bart, options):
    expected, got = generate_both(
        bart, max_new_tokens=10, do_sample=False, output_scores=True, output_logits=True,
        return_dict_in_generate=True, **options,
    )
    assert type(got).__name__ == type(expected).__name__ == "GenerateBeamEncoderDecoderOutput"
    assert_same_generation(expected, got)


@pytest.mark.parametrize("options", [{"no_repeat_ngram_size": 2}, {"encoder_no_repeat_ngram_size": 2}])
def test_greedy_with_ngram_constraints(bart, options):
    expected, got = generate_both(bart, max_new_tokens=12, do_sample=False, output_scores=True,
                                  return_dict_in_generate=True, **options)
    assert type(got).__name__ == "GenerateEncoderDecoderOutput"
    assert_same_generation(expected, got)


@pytest.mark.parametrize("options", [{}, {"num_beams": 2}, {"top_k": 5, "num_return_sequences": 2}])
def test_sampling_with_fixed_seed(bart, options):
    expected, got = generate_both(bart, max_new_tokens=8, do_sample=True, seed=0, **options)
    assert_same_generation(expected, got)


def test_encoder_and_decoder_attentions_and_hidden_states(bart):
    expected, got = generate_both(bart, max_new_tokens=4, do_sample=False, return_dict_in_generate=True,
                                  output_attentions=True, output_hidden_states=True)
    assert_same_generation(expected, got)
    for key in ("encoder_attentions", "encoder_hidden_states"):
        for mine, theirs in zip(got[key], expected[key]):
            assert_close(mine, theirs)
    for key in ("decoder_attentions", "cross_attentions", "decoder_hidden_states"):
        assert len(got[key]) == len(expected[key])
        for step_mine, step_theirs in zip(got[key], expected[key]):
            for mine, theirs in zip(step_mine, step_theirs):
                assert_close(mine, theirs)


def test_user_decoder_prefix_gets_the_start_token(bart):
    prefix = torch.tensor([[7, 8], [9, 10]])
    expected, got = generate_both(bart, decoder_input_ids=prefix, max_new_tokens=5, do_sample=False)
    assert got[:, 0].tolist() == [2, 2] and got[:, 1:3].tolist() == prefix.tolist()
    assert_same_generation(expected, got)


def test_forced_bos_and_eos(bart):
    expected, got = generate_both(bart, max_new_tokens=6, do_sample=False, num_beams=2, forced_bos_token_id=50,
                                  forced_eos_token_id=2)
    assert got[:, 1].tolist() == [50, 50]
    assert_same_generation(expected, got)


def test_mbart_target_language_code():
    pair = build_pair("mbart", "MBartConfig", "MBartForConditionalGeneration", GEN, seed=2)
    expected, got = generate_both(pair, max_new_tokens=8, do_sample=False, num_beams=3, decoder_start_token_id=2,
                                  forced_bos_token_id=55)
    assert got[:, 1].tolist() == [55, 55]
    assert_same_generation(expected, got)


@pytest.mark.parametrize("family", [
    ("marian", "MarianConfig", "MarianMTModel", {"pad_token_id": 1, "decoder_start_token_id": 1, "eos_token_id": 2,
                                                 "forced_eos_token_id": 2, "scale_embedding": True}),
    ("pegasus", "PegasusConfig", "PegasusForConditionalGeneration", {"pad_token_id": 1, "decoder_start_token_id": 1,
                                                                     "eos_token_id": 2, "forced_eos_token_id": 2}),
])
def test_marian_and_pegasus_greedy_and_beam(family):
    module, config_name, class_name, extra = family
    pair = build_pair(module, config_name, class_name, {**GEN, **extra}, seed=2)
    assert_same_generation(*generate_both(pair, max_new_tokens=8, do_sample=False))
    assert_same_generation(*generate_both(pair, max_new_tokens=8, do_sample=False, num_beams=3,
                                          output_scores=True, return_dict_in_generate=True))


def test_no_decoder_start_and_no_bos_is_refused():
    from embrace.models.bart import BartConfig, BartForConditionalGeneration

    model = BartForConditionalGeneration(BartConfig(**GEN, bos_token_id=None, decoder_start_token_id=None)).eval()
    with pytest.raises(ValueError, match="decoder_start_token_id"):
        model.generate(INPUT_IDS, attention_mask=MASK, max_new_tokens=3)


def test_encoder_runs_once(bart):
    _, ours = bart
    calls = []
    handle = ours.get_encoder().register_forward_hook(lambda *args: calls.append(1))
    try:
        ours.generate(INPUT_IDS, attention_mask=MASK, max_new_tokens=6, num_beams=3, do_sample=False)
    finally:
        handle.remove()
    assert len(calls) == 1


def test_encoder_no_repeat_ngram_processor_matches_reference():
    from transformers.generation.logits_process import EncoderNoRepeatNGramLogitsProcessor as Reference

    generator = torch.Generator().manual_seed(0)
    encoder_ids = torch.randint(0, 6, (2, 9), generator=generator)
    decoder_ids = torch.randint(0, 6, (6, 5), generator=generator)  # 2 rows x 3 beams
    scores = torch.randn(6, 8, generator=generator)
    for n in (1, 2, 3, 7):
        expected = Reference(n, encoder_ids)(decoder_ids, scores)
        got = EncoderNoRepeatNGramLogitsProcessor(n, encoder_ids)(decoder_ids, scores)
        assert torch.equal(got, expected), n
    with pytest.raises(ValueError, match="encoder_ngram_size"):
        EncoderNoRepeatNGramLogitsProcessor(0, encoder_ids)


def test_bart_decoder_as_causal_lm_generates_like_reference():
    pair = build_pair("bart", "BartConfig", "BartForCausalLM", GEN, seed=2)
    prompt = torch.tensor([[0, 0, 5, 9], [4, 11, 6, 3]])
    assert_same_generation(*generate_both(pair, input_ids=prompt, attention_mask=(prompt != 0).long(),
                                          max_new_tokens=6, do_sample=False, num_beams=2))
