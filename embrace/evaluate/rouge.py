"""ROUGE-N, ROUGE-L and ROUGE-Lsum, as Google's ``rouge_score`` computes them.

Text is lower-cased, every run of non-alphanumeric characters becomes a space, tokens of
more than 3 characters are Porter-stemmed when ``use_stemmer=True``. ROUGE-N compares
n-gram counts, ROUGE-L the longest common subsequence, ROUGE-Lsum the union LCS of each
reference sentence against all candidate sentences (sentences are the lines of the text).

Example:
    >>> import embrace.evaluate as evaluate
    >>> evaluate.load("rouge").compute(predictions=["hello there", "general kenobi"], references=["hello there", "general kenobi"])
    {'rouge1': 1.0, 'rouge2': 1.0, 'rougeL': 1.0, 'rougeLsum': 1.0}
"""

from __future__ import annotations

import collections
import re
from typing import Any, Callable, NamedTuple

from embrace.errors import MetricInputError
from embrace.evaluate.module import EvaluationModule
from embrace.evaluate.porter import PorterStemmer
from embrace.evaluate.text import TEXT_FEATURES

_NON_ALPHANUMERIC = re.compile(r"[^a-z0-9]+")
_ROUGE_N = re.compile(r"rouge([0-9])$")


class Score(NamedTuple):
    """Precision, recall and F-measure of one ROUGE type on one pair."""

    precision: float
    recall: float
    fmeasure: float


def _score(hits: int, n_prediction: int, n_target: int) -> Score:
    precision = hits / max(n_prediction, 1)
    recall = hits / max(n_target, 1)
    fmeasure = 2 * precision * recall / (precision + recall) if precision + recall > 0 else 0.0
    return Score(precision, recall, fmeasure)


class DefaultTokenizer:
    """rouge_score's tokenizer: lower-case, alphanumeric runs, optional stemming of long tokens.

    Example:
        >>> DefaultTokenizer(use_stemmer=True).tokenize("The runners were running!")
        ['the', 'runner', 'were', 'run']
    """

    def __init__(self, use_stemmer: bool = False) -> None:
        self._stemmer = PorterStemmer() if use_stemmer else None

    def tokenize(self, text: str) -> list[str]:
        tokens = _NON_ALPHANUMERIC.sub(" ", text.lower()).split()
        if self._stemmer is not None:
            # short tokens are kept as they are: stemming them mostly damages them
            tokens = [self._stemmer.stem(t) if len(t) > 3 else t for t in tokens]
        return tokens


def _lcs_table(ref: list[str], can: list[str]) -> list[list[int]]:
    """(len(ref)+1, len(can)+1) table of LCS lengths of every prefix pair."""
    table = [[0] * (len(can) + 1) for _ in range(len(ref) + 1)]
    for i, r in enumerate(ref, 1):
        row, above = table[i], table[i - 1]
        for j, c in enumerate(can, 1):
            row[j] = above[j - 1] + 1 if r == c else max(above[j], row[j - 1])
    return table


def _lcs_indices(ref: list[str], can: list[str]) -> list[int]:
    """Positions in ``ref`` of one LCS, walking back through the table (rouge_score's tie order)."""
    table = _lcs_table(ref, can)
    i, j, picked = len(ref), len(can), []
    while i > 0 and j > 0:
        if ref[i - 1] == can[j - 1]:
            picked.append(i - 1)
            i, j = i - 1, j - 1
        elif table[i][j - 1] > table[i - 1][j]:
            j -= 1
        else:
            i -= 1
    return picked[::-1]


def _rouge_n(target: list[str], prediction: list[str], n: int) -> Score:
    def grams(tokens: list[str]) -> collections.Counter:
        return collections.Counter(tuple(tokens[i : i + n]) for i in range(len(tokens) - n + 1))

    t, p = grams(target), grams(prediction)
    hits = sum(min(count, p[gram]) for gram, count in t.items())
    return _score(hits, sum(p.values()), sum(t.values()))


def _rouge_l(target: list[str], prediction: list[str]) -> Score:
    if not target or not prediction:
        return Score(0.0, 0.0, 0.0)
    return _score(_lcs_table(target, prediction)[-1][-1], len(prediction), len(target))


def _rouge_lsum(target_sents: list[list[str]], prediction_sents: list[list[str]]) -> Score:
    """Summary-level LCS: each reference sentence's union LCS with all candidate sentences,
    every token credited at most as often as it occurs on both sides."""
    m = sum(map(len, target_sents))
    n = sum(map(len, prediction_sents))
    if not m or not n:
        return Score(0.0, 0.0, 0.0)
    left_target = collections.Counter(tok for s in target_sents for tok in s)
    left_prediction = collections.Counter(tok for s in prediction_sents for tok in s)
    hits = 0
    for ref in target_sents:
        union = sorted(set().union(*(_lcs_indices(ref, can) for can in prediction_sents)))
        for token in (ref[i] for i in union):
            if left_prediction[token] > 0 and left_target[token] > 0:
                hits += 1
                left_prediction[token] -= 1
                left_target[token] -= 1
    return _score(hits, n, m)


class RougeScorer:
    """Score one prediction against one or several targets (``rouge_score.rouge_scorer.RougeScorer``).

    Example:
        >>> RougeScorer(["rouge1"]).score("the cat sat", "the cat")["rouge1"].recall
        0.6666666666666666
    """

    def __init__(self, rouge_types: list[str], use_stemmer: bool = False, tokenizer: Any = None) -> None:
        for rouge_type in rouge_types:
            if rouge_type not in ("rougeL", "rougeLsum") and not (_ROUGE_N.match(rouge_type) and rouge_type != "rouge0"):
                raise MetricInputError(f"Invalid rouge type {rouge_type!r}: use 'rouge1'..'rouge9', 'rougeL' or 'rougeLsum'.")
        self.rouge_types = list(rouge_types)
        self._tokenizer = tokenizer or DefaultTokenizer(use_stemmer)

    def score(self, target: str, prediction: str) -> dict[str, Score]:
        target_tokens = self._tokenizer.tokenize(target)
        prediction_tokens = self._tokenizer.tokenize(prediction)
        result = {}
        for rouge_type in self.rouge_types:
            if rouge_type == "rougeL":
                result[rouge_type] = _rouge_l(target_tokens, prediction_tokens)
            elif rouge_type == "rougeLsum":
                result[rouge_type] = _rouge_lsum(self._sentences(target), self._sentences(prediction))
            else:
                result[rouge_type] = _rouge_n(target_tokens, prediction_tokens, int(rouge_type[5:]))
        return result

    def _sentences(self, text: str) -> list[list[str]]:
        return [self._tokenizer.tokenize(line) for line in text.split("\n") if line]

    def score_multi(self, targets: list[str], prediction: str) -> dict[str, Score]:
        """Per type, the score against the target with the best F-measure (first on ties)."""
        per_target = [self.score(t, prediction) for t in targets]
        return {k: max(per_target, key=lambda s: s[k].fmeasure)[k] for k in self.rouge_types}


class _CallableTokenizer:
    """Adapts a plain ``str -> list[str]`` callable to the ``.tokenize`` interface."""

    def __init__(self, func: Callable[[str], list[str]]) -> None:
        self.tokenize = func


class Rouge(EvaluationModule):
    """ROUGE F-measures (``evaluate.load("rouge")``); mean over pairs, or one list per type.

    Example:
        >>> import embrace.evaluate as evaluate
        >>> evaluate.load("rouge").compute(predictions=["the cat sat"], references=["the cat"], rouge_types=["rouge1"],
        ...                                use_aggregator=False)
        {'rouge1': [0.8]}
    """

    name = "rouge"
    description = "ROUGE: n-gram and longest-common-subsequence overlap between a summary and references."
    features_spec = TEXT_FEATURES

    def _compute(
        self, predictions: list, references: list, *, rouge_types: list[str] | None = None,
        use_aggregator: bool = True, use_stemmer: bool = False, tokenizer: Callable[[str], list[str]] | None = None,
    ) -> dict[str, Any]:
        rouge_types = rouge_types or ["rouge1", "rouge2", "rougeL", "rougeLsum"]
        scorer = RougeScorer(rouge_types, use_stemmer=use_stemmer, tokenizer=_CallableTokenizer(tokenizer) if tokenizer else None)
        multi_ref = not isinstance(references[0], str)
        scores = [scorer.score_multi(r, p) if multi_ref else scorer.score(r, p) for r, p in zip(references, predictions)]
        per_type = {k: [s[k].fmeasure for s in scores] for k in rouge_types}
        if not use_aggregator:
            return per_type
        # the reference reports the median of 1000 bootstrap means, a random estimate of
        # this mean; the plain mean is its deterministic centre
        return {k: sum(values) / len(values) for k, values in per_type.items()}
