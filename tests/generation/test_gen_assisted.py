"""Assisted generation (assistant model, prompt lookup) vs the current reference.

The assistant is the main model cut to its first layer (same embeddings and head), so it
agrees with the main model often but not always: drafts get both accepted and rejected.
Greedy assisted output must equal plain greedy output; sampling with the same seed must
equal the reference's assisted sampling (same random draws in the same order).
"""

from __future__ import annotations

import pytest
import torch
import transformers

import embrace
from tests.generation.test_gen_search import _CLASSES, _configs

PROMPT = torch.tensor([[5, 9, 11, 13, 17, 5, 9, 11]])


def _build(name: str) -> dict:
    config_cls, model_cls = _CLASSES[name]
    layers_key = "n_layer" if name == "gpt2" else "num_hidden_layers"
    torch.manual_seed(0)
    main_config = _configs(name)
    small_config = dict(main_config, **{layers_key: 1})
    ref = getattr(transformers, model_cls)(getattr(transformers, config_cls)(**main_config)).eval()
    ref_small = getattr(transformers, model_cls)(getattr(transformers, config_cls)(**small_config)).eval()
    ref_small.load_state_dict(ref.state_dict(), strict=False)  # the first layer, embeddings and head of the main model
    ours = getattr(embrace, model_cls)(getattr(embrace, config_cls)(**main_config)).eval()
    ours.load_state_dict(ref.state_dict(), strict=True)
    ours_small = getattr(embrace, model_cls)(getattr(embrace, config_cls)(**small_config)).eval()
    ours_small.load_state_dict(ref_small.state_dict(), strict=True)
    return {"ref": (ref, ref_small), "ours": (ours, ours_small)}


@pytest.fixture(scope="module")
def models():
    return {name: _build(name) for name in ("llama", "gpt2")}


def _both(pair: dict, seed: int = 0, assistant_config: dict | None = None, **kwargs) -> tuple:
    """(reference output, our output) of the same assisted call; assistant options set on both assistants."""
    outs = []
    for side in ("ref", "ours"):
        main, assistant = pair[side]
        for key, value in (assistant_config or {}).items():
            setattr(assistant.generation_config, key, value)
        torch.manual_seed(seed)
        outs.append(main.generate(PROMPT, assistant_model=assistant, **kwargs))
    return tuple(outs)


def _same(ref_out, our_out) -> None:
    assert torch.equal(our_out.sequences, ref_out.sequences)
    for name in ("scores", "logits"):
        assert len(getattr(our_out, name)) == len(getattr(ref_out, name))
        for o, r in zip(getattr(our_out, name), getattr(ref_out, name)):
            finite = torch.isfinite(r)
            assert torch.equal(finite, torch.isfinite(o))
            torch.testing.assert_close(o[finite], r[finite], atol=1e-5, rtol=1e-5)


SCORED = dict(return_dict_in_generate=True, output_scores=True, output_logits=True)


@pytest.mark.parametrize("name", ["llama", "gpt2"])
@pytest.mark.parametrize("assistant_config", [
    dict(num_assistant_tokens=3, num_assistant_tokens_schedule="constant", assistant_confidence_threshold=0.0),
    dict(num_assistant_tokens=5, num_assistant_tokens_schedule="heuristic", assistant_confidence_threshold=0.0),
    dict(num_assistant_tokens=20, num_assistant_tokens_schedule="constant", assistant_confidence_threshold=0.4),
])
def test_assisted_greedy_equals_plain_greedy_and_reference(models, name, assistant_config):
    pair = models[name]
    ref_out, our_out = _both(pair, assistant_config=assistant_config, max_new_tokens=10, **SCORED)
    _same(ref_out, our_out)
    main = pair["ours"][0]
    plain = main.generate(PROMPT, max_new_tokens=10, **SCORED)
    _same(plain, our_out)
    # The heuristic schedule's learnt draft length persists on the assistant, as in the reference.
    assert pair["ours"][1].generation_config.num_assistant_tokens == pair["ref"][1].generation_config.num_assistant_tokens


@pytest.mark.parametrize("options", [
    dict(top_k=10),
    dict(temperature=0.7, top_p=0.9, eos_token_id=[3, 7]),
])
def test_assisted_sampling_same_seed_as_reference(models, options):
    config = dict(num_assistant_tokens=4, num_assistant_tokens_schedule="constant", assistant_confidence_threshold=0.4)
    ref_out, our_out = _both(models["llama"], seed=3, assistant_config=config, max_new_tokens=16, do_sample=True,
                             **SCORED, **options)
    _same(ref_out, our_out)


@pytest.mark.parametrize("options", [
    dict(prompt_lookup_num_tokens=3),
    dict(prompt_lookup_num_tokens=5, max_matching_ngram_size=1, no_repeat_ngram_size=3),
    dict(prompt_lookup_num_tokens=2, eos_token_id=[13, 40]),
])
def test_prompt_lookup_matches_reference_and_greedy(models, options):
    ref, ours = models["llama"]["ref"][0], models["llama"]["ours"][0]
    expected = ref.generate(PROMPT, max_new_tokens=12, **SCORED, **options)
    got = ours.generate(PROMPT, max_new_tokens=12, **SCORED, **options)
    _same(expected, got)
    plain = {k: v for k, v in options.items() if k not in ("prompt_lookup_num_tokens", "max_matching_ngram_size")}
    assert torch.equal(got.sequences, ours.generate(PROMPT, max_new_tokens=12, **plain))


def test_prompt_lookup_sampling_same_seed_as_reference(models):
    ref, ours = models["gpt2"]["ref"][0], models["gpt2"]["ours"][0]
    outs = []
    for model in (ref, ours):
        torch.manual_seed(11)
        outs.append(model.generate(PROMPT, max_new_tokens=10, do_sample=True, prompt_lookup_num_tokens=3, **SCORED))
    _same(*outs)


def test_confidence_criteria_stops_on_unsure_token():
    stop = embrace.generation.ConfidenceCriteria(0.3)
    scores = (torch.tensor([[0.0, 5.0, 0.0]]),)
    assert stop(torch.tensor([[0, 1]]), scores).tolist() == [False]
    assert stop(torch.tensor([[0, 2]]), scores).tolist() == [True]


def test_assisted_bad_input_raises_clear_errors(models):
    main, assistant = models["llama"]["ours"]
    batch = torch.tensor([[5, 9, 11], [5, 9, 12]])
    with pytest.raises(ValueError, match="only supported for batch_size = 1"):
        main.generate(batch, assistant_model=assistant, max_new_tokens=3)
    with pytest.raises(ValueError, match="only supported for batch_size = 1"):
        main.generate(batch, prompt_lookup_num_tokens=2, max_new_tokens=3)
    with pytest.raises(ValueError, match="num_return_sequences has to be 1"):
        main.generate(PROMPT, assistant_model=assistant, do_sample=True, num_return_sequences=2, max_new_tokens=3)
    with pytest.raises(ValueError, match="requires `use_cache=True`"):
        main.generate(PROMPT, assistant_model=assistant, use_cache=False, max_new_tokens=3)
    with pytest.raises(ValueError, match="Invalid max_matching_ngram_size"):
        main.generate(PROMPT, prompt_lookup_num_tokens=0, max_new_tokens=3)
    other = embrace.LlamaForCausalLM(embrace.LlamaConfig(**dict(_configs("llama"), vocab_size=80))).eval()
    with pytest.raises(ValueError, match="share a tokenizer"):
        main.generate(PROMPT, assistant_model=other, max_new_tokens=3)
