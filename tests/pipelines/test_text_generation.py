"""text-generation against the reference pipeline: a tiny random Llama with SmolLM2's
tokenizer and chat template, greedy so the texts must match exactly."""

from __future__ import annotations

import pytest
import torch
import transformers

import embrace

from ._compare import assert_same

PROMPTS = ["Once upon a time", "The capital of France is", "Hi"]
CHAT = [{"role": "user", "content": "What is the capital of France?"}]


@pytest.fixture(scope="module")
def generators(tiny_llama):
    return (transformers.pipeline("text-generation", model=str(tiny_llama)),
            embrace.pipeline("text-generation", model=str(tiny_llama)))


@pytest.mark.parametrize("options", [
    {"max_new_tokens": 6, "do_sample": False},
    {"max_new_tokens": 5, "do_sample": False, "return_full_text": False, "prefix": "Story: "},
    {"max_new_tokens": 4, "do_sample": False, "return_tensors": True},
    {"max_new_tokens": 4, "num_beams": 2, "num_return_sequences": 2, "do_sample": False},
])
def test_strings_match_reference(generators, options):
    reference, ours = generators
    assert_same(ours(PROMPTS[0], **options), reference(PROMPTS[0], **options))
    assert_same(ours(PROMPTS, batch_size=2, **options), reference(PROMPTS, **options))


def test_batched_equals_unbatched(generators):
    _, ours = generators
    single = ours(PROMPTS, max_new_tokens=5, do_sample=False)
    for batch_size in (2, 4):
        assert ours(PROMPTS, batch_size=batch_size, max_new_tokens=5, do_sample=False) == single


def test_chat_matches_reference(generators):
    reference, ours = generators
    for options in ({"max_new_tokens": 5, "do_sample": False},
                    {"max_new_tokens": 5, "do_sample": False, "return_full_text": False}):
        assert_same(ours(CHAT, **options), reference(CHAT, **options))
        assert_same(ours([CHAT, CHAT[:1]], batch_size=2, **options), reference([CHAT, CHAT[:1]], **options))
    prefill = CHAT + [{"role": "assistant", "content": "The capital"}]
    assert_same(ours(prefill, max_new_tokens=4, do_sample=False), reference(prefill, max_new_tokens=4, do_sample=False))
    assert_same(ours(prefill, max_new_tokens=4, do_sample=False, continue_final_message=False),
                reference(prefill, max_new_tokens=4, do_sample=False, continue_final_message=False))


def test_stop_sequence_and_sampling_seed(generators):
    reference, ours = generators
    full = ours(PROMPTS[0], max_new_tokens=8, do_sample=False, return_full_text=False)[0]["generated_text"]
    stop = full[len(full) // 2:][:3] or full
    assert_same(ours(PROMPTS[0], max_new_tokens=8, do_sample=False, stop_sequence=stop),
                reference(PROMPTS[0], max_new_tokens=8, do_sample=False, stop_sequence=stop))
    torch.manual_seed(3)
    first = ours(PROMPTS[1], max_new_tokens=5)
    torch.manual_seed(3)
    assert ours(PROMPTS[1], max_new_tokens=5) == first  # default sampling is seeded by torch


def test_bad_generation_options(generators):
    _, ours = generators
    with pytest.raises(TypeError, match="colour"):
        ours(PROMPTS[0], max_new_tokens=2, colour="red")
    with pytest.raises(ValueError, match="mutually exclusive"):
        ours(PROMPTS[0], return_full_text=True, return_text=True)
    with pytest.raises(ValueError, match="role"):
        ours([{"role": "user"}])
