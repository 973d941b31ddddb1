"""Constrained beam search (``force_words_ids`` / ``constraints``) vs the legacy reference (transformers 4.53.3).

Same protocol as test_gen_group_beam: the legacy reference runs every case in one subprocess
on the saved tiny models; sequences must be identical and scores within 1e-5.
"""

from __future__ import annotations

import pytest
import torch

from embrace.errors import ConfigError
from embrace.generation import ConstraintListState, DisjunctiveConstraint, PhrasalConstraint
from tests.generation.test_gen_group_beam import BART_INPUT, assert_same, build_pair, generate_ours, run_cases

PAD = 0
TWO_PROMPTS = torch.tensor([[5, 9, 11, 13, 17], [PAD, PAD, 21, 23, 29]])
TWO = dict(ids=TWO_PROMPTS, mask=(TWO_PROMPTS != PAD).long())
CONSTRAINT_CLASSES = {"phrasal": PhrasalConstraint, "disjunctive": DisjunctiveConstraint}

CASES = {
    "force_words": dict(model="llama", **TWO, kwargs=dict(
        max_new_tokens=8, num_beams=4, num_return_sequences=2, force_words_ids=[[7, 8], [12]],
        output_scores=True, output_logits=True)),
    "disjunctive_and_phrasal_constraints": dict(model="llama", **TWO, constraints=[
        ["disjunctive", [[30, 31], [44], [50, 51, 52]]], ["phrasal", [6, 9]]],
        kwargs=dict(max_new_tokens=9, num_beams=5, num_return_sequences=3, length_penalty=0.7, output_scores=True)),
    "force_disjunctive_with_eos": dict(model="llama", **TWO, kwargs=dict(
        max_new_tokens=10, num_beams=3, num_return_sequences=2, force_words_ids=[[[14], [15, 16]]],
        eos_token_id=[2, 3, 7, 40], output_scores=True)),
    "bart_encoder_decoder": dict(model="bart", **BART_INPUT, kwargs=dict(
        max_new_tokens=8, num_beams=3, num_return_sequences=2, force_words_ids=[[[14], [15, 16]], [20]],
        output_logits=True)),  # no output_scores: the reference cannot return beam indices for fallback beams
    "gpt2_three_prompts": dict(model="gpt2", kwargs=dict(max_new_tokens=7, num_beams=3, force_words_ids=[[20, 21]],
                                                         no_repeat_ngram_size=3)),
}


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    root = tmp_path_factory.mktemp("constrained")
    llama, llama_dir = build_pair("llama", root / "llama")
    gpt2, gpt2_dir = build_pair("gpt2", root / "gpt2")
    bart, bart_dir = build_pair("bart", root / "bart")
    expected = run_cases({"llama": llama_dir, "gpt2": gpt2_dir, "bart": bart_dir}, CASES)
    return {"llama": llama, "gpt2": gpt2, "bart": bart}, expected


def _ours(models, case):
    extra = {}
    if "constraints" in case:
        extra["constraints"] = [CONSTRAINT_CLASSES[kind](ids) for kind, ids in case["constraints"]]
    return generate_ours(models[case["model"]], case, **extra)


@pytest.mark.parametrize("case", list(CASES))
def test_constrained_beam_search_matches_legacy_reference(setup, case):
    models, expected = setup
    got = _ours(models, CASES[case])
    assert_same(expected[case], got)


def test_forced_words_appear_when_there_is_room(setup):
    # With 12 new tokens the first prompt's returned beams fulfil both constraints.
    models, _ = setup
    case = dict(CASES["force_words"], kwargs=dict(max_new_tokens=12, num_beams=4, num_return_sequences=2,
                                                  force_words_ids=[[7, 8], [12]]))
    got = generate_ours(models["llama"], case).sequences
    for row in got[:2].tolist():
        generated = row[5:]
        assert 12 in generated
        assert any(generated[i: i + 2] == [7, 8] for i in range(len(generated) - 1))


def test_constraint_state_machines():
    phrase = PhrasalConstraint([4, 7, 9])
    assert phrase.advance() == 4 and phrase.update(4) == (True, False, False) and phrase.remaining() == 2
    assert phrase.update(5) == (False, False, True) and phrase.advance() == 4  # broken phrase starts over
    copy = PhrasalConstraint([4, 7, 9])
    copy.update(4)
    assert copy.copy(stateful=True).advance() == 7 and copy.copy().advance() == 4
    either = DisjunctiveConstraint([[1, 2], [1, 3], [5]])
    assert sorted(either.advance()) == [1, 5]
    assert either.update(1) == (True, False, False) and sorted(either.advance()) == [2, 3]
    assert either.update(3) == (True, True, False) and either.remaining() == 0
    state = ConstraintListState([PhrasalConstraint([4, 7]), DisjunctiveConstraint([[8], [9, 10]])])
    state.reset([4, 7, 9])
    assert not state.completed and state.get_bank() == 2 + 1 and state.advance() == [10]
    state.add(10)
    assert state.completed and state.get_bank() == 4 and state.advance() is None


@pytest.mark.parametrize("bad, match", [
    (dict(token_ids=[]), "non-empty list"),
    (dict(token_ids=[3, -1]), "positive integers"),
])
def test_bad_phrasal_constraint(bad, match):
    with pytest.raises(ValueError, match=match):
        PhrasalConstraint(**bad)


def test_bad_disjunctive_constraint():
    with pytest.raises(ValueError, match="list of lists"):
        DisjunctiveConstraint([1, 2])
    with pytest.raises(ValueError, match="complete subset"):
        DisjunctiveConstraint([[1, 2], [1]])


def test_constrained_bad_options_raise_clear_errors(setup):
    models, _ = setup
    ids = torch.tensor([[5, 6]])
    model = models["llama"]
    with pytest.raises(ConfigError, match="`do_sample` is set to `True`"):
        model.generate(ids, num_beams=2, do_sample=True, force_words_ids=[[3]], max_new_tokens=3)
    with pytest.raises(ValueError, match="at least one constraint"):
        model.generate(ids, num_beams=2, constraints=[], max_new_tokens=3)
    with pytest.raises(ValueError, match="`force_words_ids` has to either be"):
        model.generate(ids, num_beams=2, force_words_ids=[[3, -2]], max_new_tokens=3)
    with pytest.raises(ValueError, match="`num_beams` > 1"):
        model.generate(ids, force_words_ids=[[3]], max_new_tokens=3)
