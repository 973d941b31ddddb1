"""Diverse (group) beam search vs the legacy reference (transformers 4.53.3, which still has it).

The tiny models are built with the current reference (fixed seed) and saved; the legacy
reference loads the folder and runs every case in one subprocess; ours gets the same weights.
Sequences must be identical, scores and sequence scores within 1e-5, beam indices equal.
"""

from __future__ import annotations

import pytest
import torch
import transformers

import embrace
from embrace.errors import ConfigError
from embrace.generation import HammingDiversityLogitsProcessor
from tests.generation.test_gen_search import _CLASSES, _batch, _configs
from tests.models.seq2seq_parity import TINY
from tests.models.seq2seq_parity import build_pair as build_seq2seq
from tests.oracle.legacy import run_legacy

# A tiny BART whose random continuations vary (untied head, wider init), as in test_gen_seq2seq.
BART = {**TINY, "tie_word_embeddings": False, "init_std": 0.1}
BART_IDS = torch.tensor([[0, 5, 9, 13, 7, 2, 1, 1], [0, 4, 11, 6, 3, 17, 21, 2]])
BART_INPUT = dict(ids=BART_IDS, mask=(BART_IDS != 1).long())

LEGACY_GENERATE = r"""
import torch, transformers
from transformers.generation import DisjunctiveConstraint, PhrasalConstraint
def load(path):
    seq2seq = transformers.AutoConfig.from_pretrained(path).is_encoder_decoder
    auto = transformers.AutoModelForSeq2SeqLM if seq2seq else transformers.AutoModelForCausalLM
    return auto.from_pretrained(path).eval()
models = {name: load(path) for name, path in args["models"].items()}
kinds = {"phrasal": PhrasalConstraint, "disjunctive": DisjunctiveConstraint}
result = []
for case in args["cases"]:
    kwargs = dict(case["kwargs"])
    if "constraints" in case:
        kwargs["constraints"] = [kinds[kind](ids) for kind, ids in case["constraints"]]
    torch.manual_seed(case.get("seed", 0))
    out = models[case["model"]].generate(torch.tensor(case["ids"]), attention_mask=torch.tensor(case["mask"]),
                                         return_dict_in_generate=True, **kwargs)
    got = {"sequences": out.sequences.tolist()}
    for name in ("sequences_scores", "beam_indices"):
        if getattr(out, name, None) is not None:
            got[name] = getattr(out, name).tolist()
    for name in ("scores", "logits"):
        if getattr(out, name, None) is not None:
            got[name] = [step.tolist() for step in getattr(out, name)]
    result.append(got)
"""


def build_pair(name: str, folder) -> tuple:
    """(our model, saved folder) with the current reference's seeded weights."""
    if name == "bart":
        ref, ours = build_seq2seq("bart", "BartConfig", "BartForConditionalGeneration", BART, seed=2)
        ref.save_pretrained(folder)
        return ours, str(folder)
    config_cls, model_cls = _CLASSES[name]
    torch.manual_seed(0)
    ref = getattr(transformers, model_cls)(getattr(transformers, config_cls)(**_configs(name))).eval()
    ref.save_pretrained(folder)
    ours = getattr(embrace, model_cls)(getattr(embrace, config_cls)(**_configs(name))).eval()
    ours.load_state_dict(ref.state_dict(), strict=True)
    return ours, str(folder)


def run_cases(folders: dict[str, str], cases: dict[str, dict]) -> dict[str, dict]:
    """Run every case in the legacy reference in one subprocess; results by case name."""
    ids, mask = _batch()
    payload = []
    for case in cases.values():
        payload.append({"ids": case.get("ids", ids).tolist(), "mask": case.get("mask", mask).tolist(),
                        **{k: v for k, v in case.items() if k not in ("ids", "mask")}})
    out = run_legacy(LEGACY_GENERATE, {"models": folders, "cases": payload})
    return dict(zip(cases, out))


def generate_ours(model, case: dict, **extra):
    ids, mask = _batch()
    ids, mask = case.get("ids", ids), case.get("mask", mask)
    torch.manual_seed(case.get("seed", 0))
    return model.generate(ids, attention_mask=mask, return_dict_in_generate=True, **case["kwargs"], **extra)


def assert_same(expected: dict, got) -> None:
    assert got.sequences.tolist() == expected["sequences"]
    for name in ("sequences_scores", "beam_indices"):
        assert (getattr(got, name, None) is not None) == (name in expected), name
        if name in expected:
            torch.testing.assert_close(getattr(got, name), torch.tensor(expected[name], dtype=getattr(got, name).dtype),
                                       atol=1e-5, rtol=1e-5)
    for name in ("scores", "logits"):
        assert (getattr(got, name) is not None) == (name in expected), name
        if name in expected:
            assert len(getattr(got, name)) == len(expected[name])
            for step, reference in zip(getattr(got, name), expected[name]):
                torch.testing.assert_close(step, torch.tensor(reference), atol=1e-5, rtol=1e-5)


SCORED = dict(output_scores=True, output_logits=True)
CASES = {
    "llama_basic": dict(model="llama", kwargs=dict(max_new_tokens=7, num_beams=4, num_beam_groups=2,
                                                   diversity_penalty=1.0, **SCORED)),
    "llama_three_groups_return_all": dict(model="llama", kwargs=dict(
        max_new_tokens=6, num_beams=6, num_beam_groups=3, diversity_penalty=0.7, num_return_sequences=6,
        length_penalty=0.6, output_scores=True)),
    "llama_eos_early_stopping": dict(model="llama", kwargs=dict(
        max_new_tokens=10, num_beams=4, num_beam_groups=2, diversity_penalty=2.0, eos_token_id=[2, 3, 7, 40],
        early_stopping=True, num_return_sequences=2, output_scores=True)),
    "llama_eos_never": dict(model="llama", kwargs=dict(
        max_new_tokens=9, num_beams=4, num_beam_groups=4, diversity_penalty=0.5, eos_token_id=[3, 7],
        early_stopping="never", length_penalty=1.3, output_scores=True)),
    "bart_encoder_decoder": dict(model="bart", **BART_INPUT, kwargs=dict(
        max_new_tokens=8, num_beams=4, num_beam_groups=2, diversity_penalty=1.0, num_return_sequences=2,
        output_scores=True)),
    "gpt2_sequences_only": dict(model="gpt2", kwargs=dict(max_new_tokens=8, num_beams=4, num_beam_groups=2,
                                                          diversity_penalty=1.5, num_return_sequences=3,
                                                          no_repeat_ngram_size=2)),
}


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    root = tmp_path_factory.mktemp("group_beam")
    llama, llama_dir = build_pair("llama", root / "llama")
    gpt2, gpt2_dir = build_pair("gpt2", root / "gpt2")
    bart, bart_dir = build_pair("bart", root / "bart")
    expected = run_cases({"llama": llama_dir, "gpt2": gpt2_dir, "bart": bart_dir}, CASES)
    return {"llama": llama, "gpt2": gpt2, "bart": bart}, expected


@pytest.mark.parametrize("case", list(CASES))
def test_group_beam_search_matches_legacy_reference(setup, case):
    models, expected = setup
    got = generate_ours(models[CASES[case]["model"]], CASES[case])
    assert_same(expected[case], got)
    prompts = CASES[case].get("ids", _batch()[0]).shape[0]
    assert got.sequences.shape[0] == prompts * CASES[case]["kwargs"].get("num_return_sequences", 1)


def test_hamming_diversity_processor_penalises_earlier_groups_tokens():
    processor = HammingDiversityLogitsProcessor(0.5, num_beams=4, num_beam_groups=2)
    scores = torch.zeros(4, 5)  # two prompts x group of 2
    current = torch.tensor([1, 1, 7 % 5, 0, 3, 4, 0, 0])  # prompt 0: groups (1, 1 | ..), prompt 1: (3, 4 | ..)
    out = processor(torch.zeros(4, 1, dtype=torch.long), scores, current_tokens=current, beam_group_idx=1)
    assert out[:2, 1].tolist() == [-1.0, -1.0] and out[:2].sum() == -2.0
    assert out[2:, 3].tolist() == [-0.5, -0.5] and out[2:, 4].tolist() == [-0.5, -0.5]
    assert torch.equal(processor(None, scores, current_tokens=current, beam_group_idx=0), scores)
    with pytest.raises(ValueError, match="strictly larger than 0"):
        HammingDiversityLogitsProcessor(0.0, num_beams=4, num_beam_groups=2)
    with pytest.raises(ValueError, match="smaller or equal"):
        HammingDiversityLogitsProcessor(1.0, num_beams=2, num_beam_groups=3)


def test_group_beam_bad_options_raise_clear_errors(setup):
    models, _ = setup
    ids = torch.tensor([[5, 6]])
    with pytest.raises(ConfigError, match="divisible by `num_beam_groups`"):
        models["llama"].generate(ids, num_beams=3, num_beam_groups=2, diversity_penalty=1.0, max_new_tokens=2)
    with pytest.raises(ValueError, match="`do_sample` must be set to `False`"):
        models["llama"].generate(ids, num_beams=4, num_beam_groups=2, diversity_penalty=1.0, do_sample=True)
    with pytest.raises(ValueError, match="groups will be identical"):
        models["llama"].generate(ids, num_beams=4, num_beam_groups=2, max_new_tokens=2)
