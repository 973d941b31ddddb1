"""SQuAD v1.1 and v2.0 scores, as the official evaluation scripts compute them.

Answers are compared after the official normalisation (lower-case, drop punctuation, drop
the articles a/an/the, collapse whitespace). v1.1 reports exact match and token F1 (both
0..100) over all questions; v2.0 also knows unanswerable questions, applies a
no-answer probability threshold, breaks scores down into HasAns/NoAns and finds the
thresholds that would have maximised exact match and F1.

Example:
    >>> import embrace.evaluate as evaluate
    >>> preds = [{"prediction_text": "1976", "id": "q1"}]
    >>> refs = [{"answers": {"answer_start": [97], "text": ["1976"]}, "id": "q1"}]
    >>> evaluate.load("squad").compute(predictions=preds, references=refs)
    {'exact_match': 100.0, 'f1': 100.0}
"""

from __future__ import annotations

import collections
import re
import string
from typing import Any

from embrace.errors import MetricInputError
from embrace.evaluate.features import Sequence, Value
from embrace.evaluate.module import EvaluationModule

_ARTICLES = re.compile(r"\b(a|an|the)\b", re.UNICODE)
_PUNCTUATION = frozenset(string.punctuation)
_ANSWERS = {"text": Sequence(Value("string")), "answer_start": Sequence(Value("int32"))}


def normalize_answer(text: str) -> str:
    """Lower-case, strip punctuation and articles, collapse whitespace (official SQuAD rules).

    Example:
        >>> normalize_answer("The  Eiffel-Tower!")
        'eiffeltower'
    """
    text = "".join(ch for ch in text.lower() if ch not in _PUNCTUATION)
    return " ".join(_ARTICLES.sub(" ", text).split())


def _token_f1(gold_tokens: list[str], pred_tokens: list[str]) -> float:
    common = collections.Counter(gold_tokens) & collections.Counter(pred_tokens)
    num_same = sum(common.values())
    if num_same == 0:
        return 0.0
    precision, recall = num_same / len(pred_tokens), num_same / len(gold_tokens)
    return 2 * precision * recall / (precision + recall)


def _predictions_by_id(predictions: list[dict], metric: str) -> dict[str, Any]:
    by_id = {}
    for prediction in predictions:
        if prediction["id"] in by_id:
            raise MetricInputError(f"Metric {metric!r}: prediction id {prediction['id']!r} appears twice; give one prediction per question.")
        by_id[prediction["id"]] = prediction
    return by_id


class Squad(EvaluationModule):
    """SQuAD v1.1: exact match and F1, in percent (``evaluate.load("squad")``).

    A question without a prediction scores 0, as in the official script.

    Example:
        >>> import embrace.evaluate as evaluate
        >>> preds = [{"prediction_text": "the Broncos", "id": "a"}]
        >>> refs = [{"answers": {"answer_start": [0], "text": ["Denver Broncos"]}, "id": "a"}]
        >>> evaluate.load("squad").compute(predictions=preds, references=refs)
        {'exact_match': 0.0, 'f1': 66.66666666666666}
    """

    name = "squad"
    description = "SQuAD v1.1: exact match and token F1 of extracted answers against the gold answers."
    features_spec = {
        "predictions": {"id": Value("string"), "prediction_text": Value("string")},
        "references": {"id": Value("string"), "answers": _ANSWERS},
    }

    def _compute(self, predictions: list, references: list) -> dict[str, float]:
        by_id = _predictions_by_id(predictions, self.name)
        exact = f1 = 0.0
        for ref in references:
            if ref["id"] not in by_id:
                continue  # counted in the total with score 0
            prediction = normalize_answer(by_id[ref["id"]]["prediction_text"])
            golds = [normalize_answer(text) for text in ref["answers"]["text"]]
            exact += max((float(prediction == gold) for gold in golds), default=0.0)
            f1 += max((_token_f1(gold.split(), prediction.split()) for gold in golds), default=0.0)
        total = len(references)
        return {"exact_match": 100.0 * exact / total, "f1": 100.0 * f1 / total}


def _v2_scores(gold_texts: list[str], prediction_text: str) -> tuple[int, float]:
    """(exact, f1) of one v2 prediction against the best gold; no gold means the answer is ""."""
    golds = [normalize_answer(t) for t in gold_texts if normalize_answer(t)] or [""]
    prediction = normalize_answer(prediction_text)

    def f1(gold: str) -> float:
        gold_tokens, pred_tokens = gold.split(), prediction.split()
        if not gold_tokens or not pred_tokens:  # an empty side: 1 only if both are empty
            return float(gold_tokens == pred_tokens)
        return _token_f1(gold_tokens, pred_tokens)

    return max(int(prediction == g) for g in golds), max(f1(g) for g in golds)


def _best_threshold(predictions: dict[str, str], scores: dict[str, float], na_probs: dict[str, float],
                    has_answer: dict[str, bool]) -> tuple[float, float]:
    """Sweep the no-answer threshold over the sorted probabilities; keep the best total score."""
    current = best = float(sum(1 for qid in has_answer if not has_answer[qid]))
    best_threshold = 0.0
    for qid in sorted(na_probs, key=lambda k: na_probs[k]):
        if qid not in scores:
            continue
        if has_answer[qid]:
            current += scores[qid]
        elif predictions[qid]:
            current -= 1
        if current > best:
            best, best_threshold = current, na_probs[qid]
    return 100.0 * best / len(scores), best_threshold


class SquadV2(EvaluationModule):
    """SQuAD v2.0 with unanswerable questions (``evaluate.load("squad_v2")``).

    ``no_answer_threshold`` (default 1.0; given to ``load`` or ``compute``): a prediction
    whose ``no_answer_probability`` exceeds it counts as "no answer".

    Example:
        >>> import embrace.evaluate as evaluate
        >>> preds = [{"prediction_text": "1976", "id": "q1", "no_answer_probability": 0.0}]
        >>> refs = [{"answers": {"answer_start": [97], "text": ["1976"]}, "id": "q1"}]
        >>> evaluate.load("squad_v2").compute(predictions=preds, references=refs)["HasAns_exact"]
        100.0
    """

    name = "squad_v2"
    description = "SQuAD v2.0: exact match and F1 with unanswerable questions and no-answer thresholds."
    features_spec = {
        "predictions": {"id": Value("string"), "prediction_text": Value("string"), "no_answer_probability": Value("float32")},
        "references": {"id": Value("string"), "answers": _ANSWERS},
    }

    def __init__(self, config_name: str | None = None, *, experiment_id: str | None = None, no_answer_threshold: float = 1.0) -> None:
        super().__init__(config_name, experiment_id=experiment_id)
        self.no_answer_threshold = no_answer_threshold

    def _compute(self, predictions: list, references: list, *, no_answer_threshold: float | None = None) -> dict[str, Any]:
        threshold = self.no_answer_threshold if no_answer_threshold is None else no_answer_threshold
        by_id = _predictions_by_id(predictions, self.name)
        na_probs = {qid: p["no_answer_probability"] for qid, p in by_id.items()}
        texts = {qid: p["prediction_text"] for qid, p in by_id.items()}
        has_answer = {ref["id"]: bool(ref["answers"]["text"]) for ref in references}
        missing = [ref["id"] for ref in references if ref["id"] not in texts]
        if missing:  # the official script fails with a bare KeyError here
            raise MetricInputError(f"Metric 'squad_v2': no prediction for question ids {missing[:10]}; give one prediction per reference id.")
        exact_raw: dict[str, float] = {}
        f1_raw: dict[str, float] = {}
        for ref in references:
            exact_raw[ref["id"]], f1_raw[ref["id"]] = _v2_scores(ref["answers"]["text"], texts[ref["id"]])

        def thresholded(raw: dict[str, float]) -> dict[str, float]:
            # above the threshold the model abstains: right exactly when there is no answer
            return {qid: float(not has_answer[qid]) if na_probs[qid] > threshold else s for qid, s in raw.items()}

        exact, f1 = thresholded(exact_raw), thresholded(f1_raw)

        def summary(qids: list[str]) -> dict[str, Any]:
            return {"exact": 100.0 * sum(exact[q] for q in qids) / len(qids),
                    "f1": 100.0 * sum(f1[q] for q in qids) / len(qids), "total": len(qids)}

        result = summary(list(exact))
        for prefix, wanted in (("HasAns", True), ("NoAns", False)):
            qids = [qid for qid, answerable in has_answer.items() if answerable is wanted]
            if qids:
                result.update({f"{prefix}_{key}": value for key, value in summary(qids).items()})
        result["best_exact"], result["best_exact_thresh"] = _best_threshold(texts, exact_raw, na_probs, has_answer)
        result["best_f1"], result["best_f1_thresh"] = _best_threshold(texts, f1_raw, na_probs, has_answer)
        return result
