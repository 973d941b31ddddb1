"""squad / squad_v2 vs the official SQuAD scoring (as shipped in transformers' squad_metrics,
run in the legacy reference environment) on randomised questions."""

from __future__ import annotations

import random

import pytest

import embrace.evaluate as evaluate
from embrace.errors import MetricInputError
from tests.oracle.legacy import run_legacy

ANSWER_WORDS = ["the", "a", "Denver", "Broncos", "broncos,", "1976", "an", "Eiffel", "tower!", "Tower", "of", "Paris"]


def _text(rng: random.Random, max_words: int = 4) -> str:
    return " ".join(rng.choice(ANSWER_WORDS) for _ in range(rng.randint(0, max_words)))


def _cases(seed: int, n_questions: int) -> tuple[list, list]:
    rng = random.Random(seed)
    preds, refs = [], []
    for i in range(n_questions):
        golds = [] if rng.random() < 0.3 else [_text(rng) for _ in range(rng.randint(1, 3))]
        refs.append({"id": f"q{i}", "answers": {"text": golds, "answer_start": [0] * len(golds)}})
        # half the predictions copy a gold answer (maybe), the rest are random
        text = rng.choice(golds) if golds and rng.random() < 0.5 else _text(rng)
        preds.append({"id": f"q{i}", "prediction_text": text, "no_answer_probability": round(rng.random(), 2)})
    return preds, refs


ORACLE = """
from types import SimpleNamespace
from transformers.data.metrics import squad_metrics as sm
out = []
for case in args["cases"]:
    examples = [SimpleNamespace(qas_id=r["id"], answers=[{"text": t} for t in r["answers"]["text"]]) for r in case["refs"]]
    preds = {p["id"]: p["prediction_text"] for p in case["preds"]}
    na = {p["id"]: p["no_answer_probability"] for p in case["preds"]}
    v2 = dict(sm.squad_evaluate(examples, preds, na, case["threshold"]))
    # v1.1 pairs: exact and f1 of every (gold, prediction) pair with non-empty normalised text
    pairs = [[sm.compute_exact(g, p), sm.compute_f1(g, p)] for g, p in case["pairs"]]
    out.append({"v2": v2, "pairs": pairs})
result = out
"""


@pytest.fixture(scope="module")
def oracle_cases():
    cases = []
    for seed, threshold in [(0, 1.0), (1, 0.5), (2, 0.3), (3, 0.0), (4, 0.75)]:
        preds, refs = _cases(seed, 25)
        pairs = [(g, p["prediction_text"]) for p, r in zip(preds, refs) for g in r["answers"]["text"]]
        cases.append({"preds": preds, "refs": refs, "threshold": threshold, "pairs": pairs})
    return cases, run_legacy(ORACLE, {"cases": cases})


def test_squad_v2_matches_official_script(oracle_cases):
    cases, expected = oracle_cases
    for case, ref in zip(cases, expected):
        out = evaluate.load("squad_v2").compute(predictions=case["preds"], references=case["refs"],
                                                no_answer_threshold=case["threshold"])
        assert out.keys() == ref["v2"].keys()
        for key, value in ref["v2"].items():
            assert out[key] == pytest.approx(value, rel=1e-12, abs=1e-12), key


def test_squad_v2_threshold_from_load(oracle_cases):
    cases, expected = oracle_cases
    case, ref = cases[1], expected[1]
    out = evaluate.load("squad_v2", no_answer_threshold=case["threshold"]).compute(predictions=case["preds"], references=case["refs"])
    assert out["exact"] == pytest.approx(ref["v2"]["exact"]) and out["f1"] == pytest.approx(ref["v2"]["f1"])


def test_squad_v1_matches_official_pair_scores(oracle_cases):
    cases, expected = oracle_cases
    from embrace.evaluate.squad import normalize_answer

    for case, ref in zip(cases, expected):
        preds = [{"id": p["id"], "prediction_text": p["prediction_text"]} for p in case["preds"]]
        out = evaluate.load("squad").compute(predictions=preds, references=case["refs"])
        # v1.1: best pair per question; an empty normalised side scores f1 0 (v2 scores it 1 when both are empty)
        scores = iter(ref["pairs"])
        exact = f1 = 0.0
        for p, r in zip(case["preds"], case["refs"]):
            per_gold = [next(scores) for _ in r["answers"]["text"]]
            exact += max((e for e, _ in per_gold), default=0)
            both_text = [f for (_, f), g in zip(per_gold, r["answers"]["text"])
                         if normalize_answer(g) and normalize_answer(p["prediction_text"])]
            f1 += max(both_text, default=0)
        assert out["exact_match"] == pytest.approx(100 * exact / len(preds), rel=1e-12)
        assert out["f1"] == pytest.approx(100 * f1 / len(preds), rel=1e-12)


def test_squad_reference_example_and_missing_predictions():
    preds = [{"prediction_text": "1976", "id": "56e10a3be3433e1400422b22"}]
    refs = [{"answers": {"answer_start": [97], "text": ["1976"]}, "id": "56e10a3be3433e1400422b22"}]
    assert evaluate.load("squad").compute(predictions=preds, references=refs) == {"exact_match": 100.0, "f1": 100.0}
    # a question without a prediction counts as wrong in v1.1
    refs2 = refs + [{"answers": {"answer_start": [0], "text": ["x"]}, "id": "other"}]
    assert evaluate.load("squad").compute(predictions=preds + [{"prediction_text": "y", "id": "zzz"}], references=refs2)["exact_match"] == 50.0
    v2_preds = [{**preds[0], "no_answer_probability": 0.0}]
    with pytest.raises(MetricInputError, match="no prediction for question ids \\['other'\\]"):
        evaluate.load("squad_v2").compute(predictions=v2_preds + [{"prediction_text": "", "id": "zzz", "no_answer_probability": 1.0}], references=refs2)
    with pytest.raises(MetricInputError, match="don't match the expected format"):
        evaluate.load("squad_v2").compute(predictions=preds, references=refs)  # no no_answer_probability
    with pytest.raises(MetricInputError, match="appears twice"):
        evaluate.load("squad").compute(predictions=preds * 2, references=refs * 2)
