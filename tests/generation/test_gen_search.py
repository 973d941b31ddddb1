"""generate() parity with the reference: greedy, sampling and beam search on tiny random models.

Each reference model is built with a fixed seed, its weights loaded strictly into ours, and
both ``generate`` calls get the same left-padded batch; sequences must be identical and
scores within 1e-5.
"""

from __future__ import annotations

import pytest
import torch
import transformers

import embrace
from embrace.generation import GenerationConfig, LogitsProcessorList, StoppingCriteriaList, TemperatureLogitsWarper
from embrace.generation.stopping_criteria import MaxLengthCriteria

VOCAB = 64
PAD, BOS, EOS = 0, 1, 2


def _configs(name: str) -> dict:
    if name == "gpt2":
        return dict(vocab_size=VOCAB, n_embd=32, n_layer=2, n_head=4, n_positions=64,
                    bos_token_id=BOS, eos_token_id=EOS, pad_token_id=PAD)
    common = dict(vocab_size=VOCAB, hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=4,
                  num_key_value_heads=2, max_position_embeddings=64, bos_token_id=BOS, eos_token_id=EOS,
                  pad_token_id=PAD)
    return common


_CLASSES = {
    "llama": ("LlamaConfig", "LlamaForCausalLM"),
    "gpt2": ("GPT2Config", "GPT2LMHeadModel"),
    "qwen2": ("Qwen2Config", "Qwen2ForCausalLM"),
}
_CACHE: dict[str, tuple] = {}


def _pair(name: str) -> tuple:
    """(reference model, our model) with identical weights, both in eval mode."""
    if name not in _CACHE:
        config_cls, model_cls = _CLASSES[name]
        torch.manual_seed(0)
        ref = getattr(transformers, model_cls)(getattr(transformers, config_cls)(**_configs(name))).eval()
        ours = getattr(embrace, model_cls)(getattr(embrace, config_cls)(**_configs(name))).eval()
        ours.load_state_dict(ref.state_dict(), strict=True)
        _CACHE[name] = (ref, ours)
    return _CACHE[name]


def _batch() -> tuple[torch.Tensor, torch.Tensor]:
    """Three left-padded prompts of lengths 5, 3 and 1."""
    ids = torch.tensor([[5, 9, 11, 13, 17], [PAD, PAD, 21, 23, 29], [PAD, PAD, PAD, PAD, 31]])
    return ids, (ids != PAD).long()


def _run(model, seed: int = 0, **kwargs):
    ids, mask = _batch()
    torch.manual_seed(seed)
    return model.generate(ids, attention_mask=mask, **kwargs)


def _same_output(ref_out, our_out) -> None:
    assert torch.equal(ref_out.sequences, our_out.sequences)
    for name in ("scores", "logits"):
        ref_part, our_part = getattr(ref_out, name), getattr(our_out, name)
        assert (ref_part is None) == (our_part is None)
        if ref_part is not None:
            assert len(ref_part) == len(our_part)
            for r, o in zip(ref_part, our_part):
                finite = torch.isfinite(r)
                assert torch.equal(finite, torch.isfinite(o))
                torch.testing.assert_close(o[finite], r[finite], atol=1e-5, rtol=1e-5)
    for name in ("sequences_scores", "beam_indices"):
        ref_part = getattr(ref_out, name, None)
        if ref_part is not None:
            torch.testing.assert_close(getattr(our_out, name), ref_part, atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("name", ["llama", "gpt2", "qwen2"])
def test_greedy_matches_reference_with_scores(name):
    ref, ours = _pair(name)
    kwargs = dict(max_new_tokens=8, return_dict_in_generate=True, output_scores=True, output_logits=True)
    _same_output(_run(ref, **kwargs), _run(ours, **kwargs))


@pytest.mark.parametrize("name", ["llama", "gpt2"])
def test_beam_search_matches_reference(name):
    ref, ours = _pair(name)
    kwargs = dict(max_new_tokens=7, num_beams=4, num_return_sequences=2, return_dict_in_generate=True,
                  output_scores=True, length_penalty=0.8)
    ref_out, our_out = _run(ref, **kwargs), _run(ours, **kwargs)
    _same_output(ref_out, our_out)
    assert our_out.sequences.shape[0] == 6
    transition_ref = ref.compute_transition_scores(ref_out.sequences, ref_out.scores, ref_out.beam_indices)
    transition_ours = ours.compute_transition_scores(our_out.sequences, our_out.scores, our_out.beam_indices)
    torch.testing.assert_close(transition_ours, transition_ref, atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("early_stopping", [True, False, "never"])
def test_beam_search_eos_and_early_stopping(early_stopping):
    # Token 3 is made an end token; frequent enough in a random model that beams finish early.
    ref, ours = _pair("llama")
    kwargs = dict(max_new_tokens=10, num_beams=3, num_return_sequences=3, eos_token_id=[EOS, 3, 7, 40],
                  early_stopping=early_stopping, return_dict_in_generate=True, output_scores=True)
    _same_output(_run(ref, **kwargs), _run(ours, **kwargs))


def test_beam_sampling_same_seed_same_sequences():
    ref, ours = _pair("llama")
    kwargs = dict(max_new_tokens=6, num_beams=3, do_sample=True, top_k=10, return_dict_in_generate=True,
                  output_scores=True)
    _same_output(_run(ref, seed=3, **kwargs), _run(ours, seed=3, **kwargs))


@pytest.mark.parametrize("options", [
    dict(temperature=0.7, top_k=20),
    dict(top_p=0.8, num_return_sequences=2),
    dict(min_p=0.05, typical_p=0.9),
    dict(epsilon_cutoff=0.01, eta_cutoff=0.02, top_k=0),
])
def test_sampling_same_seed_same_sequences(options):
    ref, ours = _pair("llama")
    kwargs = dict(max_new_tokens=8, do_sample=True, return_dict_in_generate=True, output_scores=True, **options)
    _same_output(_run(ref, seed=5, **kwargs), _run(ours, seed=5, **kwargs))


@pytest.mark.parametrize("options", [
    dict(repetition_penalty=1.5, no_repeat_ngram_size=2),
    dict(bad_words_ids=[[9], [23, 29]], sequence_bias={(31,): 2.0, (5, 9): -1.5}),
    dict(min_new_tokens=4, forced_eos_token_id=EOS, suppress_tokens=[4, 6], begin_suppress_tokens=[8]),
    dict(exponential_decay_length_penalty=(2, 1.5), renormalize_logits=True, min_length=7),
    dict(forced_bos_token_id=12, max_length=12),
])
def test_greedy_with_processors_matches_reference(options):
    ref, ours = _pair("gpt2")
    kwargs = dict(max_new_tokens=9, return_dict_in_generate=True, output_scores=True, **options)
    if "max_length" in options:
        kwargs.pop("max_new_tokens")
    _same_output(_run(ref, **kwargs), _run(ours, **kwargs))


def test_no_cache_and_single_prompt_match_reference():
    ref, ours = _pair("qwen2")
    ids = torch.tensor([[7, 8, 9]])
    torch.testing.assert_close(ours.generate(ids, max_new_tokens=6, use_cache=False),
                               ref.generate(ids, max_new_tokens=6, use_cache=False))
    assert torch.equal(ours.generate(ids, max_new_tokens=6), ref.generate(ids, max_new_tokens=6))


def test_custom_processor_and_criteria_and_eos_padding():
    ref, ours = _pair("llama")
    ids, mask = _batch()
    kwargs = dict(attention_mask=mask, max_new_tokens=10, eos_token_id=[3, 7, 40])
    custom = dict(logits_processor=LogitsProcessorList([TemperatureLogitsWarper(0.5)]),
                  stopping_criteria=StoppingCriteriaList([MaxLengthCriteria(12)]))
    ref_custom = dict(
        logits_processor=transformers.LogitsProcessorList([transformers.TemperatureLogitsWarper(0.5)]),
        stopping_criteria=transformers.StoppingCriteriaList([transformers.MaxLengthCriteria(12)]),
    )
    expected = ref.generate(ids, **kwargs, **ref_custom)
    assert torch.equal(ours.generate(ids, **kwargs, **custom), expected)


def test_generation_config_object_and_kwargs_override():
    ref, ours = _pair("llama")
    ids, mask = _batch()
    expected = ref.generate(ids, attention_mask=mask, generation_config=transformers.GenerationConfig(max_new_tokens=3),
                            max_new_tokens=5)
    got = ours.generate(ids, attention_mask=mask, generation_config=GenerationConfig(max_new_tokens=3), max_new_tokens=5)
    assert torch.equal(got, expected) and got.shape[1] == 10


def test_bad_generate_arguments_raise_clear_errors():
    _, ours = _pair("llama")
    ids = torch.tensor([[5, 6]])
    with pytest.raises(TypeError, match="not_an_option"):
        ours.generate(ids, not_an_option=1)
    with pytest.raises(ValueError, match="max_length"):
        ours.generate(ids, max_length=2)
    with pytest.raises(ValueError, match="tokenizer"):
        ours.generate(ids, stop_strings=["x"], max_new_tokens=2)
    with pytest.raises(TypeError, match="2-D integer tensor"):
        ours.generate(torch.tensor([5.0, 6.0]))
    with pytest.raises(ValueError, match="num_return_sequences"):
        ours.generate(ids, num_return_sequences=2)
    with pytest.raises(ValueError, match="divisible by `num_beam_groups`"):
        ours.generate(ids, num_beams=3, num_beam_groups=2, diversity_penalty=1.0)
