"""Contrastive search (``penalty_alpha`` + ``top_k``) vs the legacy reference (transformers 4.53.3).

Batched, left-padded prompts; sequences identical, scores / logits within 1e-5.
"""

from __future__ import annotations

import pytest
import torch

from tests.generation.test_gen_group_beam import assert_same, build_pair, generate_ours, run_cases

CASES = {
    "llama_scores": dict(model="llama", kwargs=dict(max_new_tokens=8, penalty_alpha=0.6, top_k=4, output_scores=True,
                                                    output_logits=True)),
    "llama_eos_padding": dict(model="llama", kwargs=dict(max_new_tokens=10, penalty_alpha=0.3, top_k=6,
                                                         eos_token_id=[3, 7, 40])),
    "gpt2_processors": dict(model="gpt2", kwargs=dict(max_new_tokens=8, penalty_alpha=0.8, top_k=3,
                                                      no_repeat_ngram_size=2, output_scores=True)),
    "qwen2_single_prompt": dict(model="qwen2", ids=torch.tensor([[7, 8, 9]]), mask=torch.ones(1, 3, dtype=torch.long),
                                kwargs=dict(max_new_tokens=9, penalty_alpha=0.5, top_k=5)),
}


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    root = tmp_path_factory.mktemp("contrastive")
    pairs = {name: build_pair(name, root / name) for name in ("llama", "gpt2", "qwen2")}
    expected = run_cases({name: folder for name, (_, folder) in pairs.items()}, CASES)
    return {name: model for name, (model, _) in pairs.items()}, expected


@pytest.mark.parametrize("case", list(CASES))
def test_contrastive_search_matches_legacy_reference(setup, case):
    models, expected = setup
    assert_same(expected[case], generate_ours(models[CASES[case]["model"]], CASES[case]))


def test_contrastive_returns_cache_and_hidden_states_of_chosen_tokens(setup):
    models, _ = setup
    case = CASES["llama_scores"]
    out = generate_ours(models["llama"], case, output_hidden_states=True)
    steps = out.hidden_states
    assert len(steps) == 8
    assert steps[0][-1].shape[:2] == (3, 5) and steps[1][-1].shape[:2] == (3, 1)  # prompt, then one chosen token
    assert out.past_key_values.get_seq_length() == out.sequences.shape[1] - 1
    # penalty_alpha=0 ranks by probability only: greedy search.
    greedy = generate_ours(models["llama"], dict(kwargs=dict(max_new_tokens=6))).sequences
    plain = generate_ours(models["llama"], dict(kwargs=dict(max_new_tokens=6, penalty_alpha=1e-12, top_k=4))).sequences
    assert torch.equal(greedy, plain)
