"""Text metrics: bleu, sacrebleu, exact_match (rouge lives in ``rouge.py``).

``bleu`` is the reference's corpus BLEU (the TensorFlow NMT formula: shortest reference
length, optional add-one smoothing, 0..1). ``sacrebleu`` follows SacreBLEU's
``corpus_score`` (closest reference length, smoothing methods, 0..100). Both tokenize with
the ``13a`` rules of mteval unless told otherwise.

Example:
    >>> import embrace.evaluate as evaluate
    >>> out = evaluate.load("bleu").compute(predictions=["hello there general kenobi"], references=[["hello there general kenobi"]])
    >>> out["bleu"], out["brevity_penalty"]
    (1.0, 1.0)
"""

from __future__ import annotations

import collections
import math
import re
import string
from functools import lru_cache
from typing import Any, Callable

import numpy as np
import regex

from embrace.errors import MetricInputError, unknown_key
from embrace.evaluate.features import Sequence, Value
from embrace.evaluate.module import EvaluationModule

# --- tokenizers (mteval 13a / v14 international / none) -----------------------------

# Symbols and punctuation split off; '.' and ',' only when not inside a number; '-' after a digit
_13A_RULES = (
    (re.compile(r"([\{-\~\[-\` -\&\(-\+\:-\@\/])"), r" \1 "),
    (re.compile(r"([^0-9])([\.,])"), r"\1 \2 "),
    (re.compile(r"([\.,])([^0-9])"), r" \1 \2"),
    (re.compile(r"([0-9])(-)"), r"\1 \2 "),
)
_13A_ENTITIES = (("&quot;", '"'), ("&amp;", "&"), ("&lt;", "<"), ("&gt;", ">"))
# Unicode punctuation splits unless between digits; every symbol splits
_INTL_RULES = (
    (regex.compile(r"(\P{N})(\p{P})"), r"\1 \2 "),
    (regex.compile(r"(\p{P})(\P{N})"), r" \1 \2"),
    (regex.compile(r"(\p{S})"), r" \1 "),
)


@lru_cache(maxsize=2**16)
def tokenize_13a(line: str) -> str:
    """mteval-v13a tokenization, the WMT standard; returns space-joined tokens.

    Example:
        >>> tokenize_13a("Hello, world! It costs $3.50-ish.")
        'Hello , world ! It costs $ 3.50 - ish .'
    """
    line = line.replace("<skipped>", "").replace("-\n", "").replace("\n", " ")
    if "&" in line:
        for entity, char in _13A_ENTITIES:
            line = line.replace(entity, char)
    # the surrounding spaces let the period/comma rules see a boundary at both ends
    line = f" {line} "
    for pattern, replacement in _13A_RULES:
        line = pattern.sub(replacement, line)
    return " ".join(line.split())


@lru_cache(maxsize=2**16)
def tokenize_intl(line: str) -> str:
    """mteval-v14 international tokenization (Unicode punctuation and symbols).

    Example:
        >>> tokenize_intl("Preis: 3,50€.")
        'Preis : 3,50 € .'
    """
    for pattern, replacement in _INTL_RULES:
        line = pattern.sub(replacement, line)
    return " ".join(line.split())


def tokenize_none(line: str) -> str:
    """No tokenization: the text is split on whitespace only."""
    return line


SACREBLEU_TOKENIZERS: dict[str, Callable[[str], str]] = {"13a": tokenize_13a, "intl": tokenize_intl, "none": tokenize_none}


def _ngram_counts(tokens: list[str], max_order: int) -> collections.Counter:
    return collections.Counter(tuple(tokens[i : i + n]) for n in range(1, max_order + 1) for i in range(len(tokens) - n + 1))


def _references_per_prediction(references: list) -> list[list[str]]:
    # one string per prediction is a single reference
    return [[ref] if isinstance(ref, str) else list(ref) for ref in references]


TEXT_FEATURES = (
    {"predictions": Value("string"), "references": Sequence(Value("string"))},
    {"predictions": Value("string"), "references": Value("string")},
)


# --- bleu (TensorFlow NMT formula) ---------------------------------------------------


def compute_bleu(reference_corpus: list[list[list[str]]], translation_corpus: list[list[str]], max_order: int = 4, smooth: bool = False) -> tuple:
    """Corpus BLEU over token lists: (bleu, precisions, bp, ratio, translation_length, reference_length).

    Example:
        >>> compute_bleu([[["a", "b", "c"]]], [["a", "b", "c"]], max_order=2)[0]
        1.0
    """
    matches = [0] * max_order
    possible = [0] * max_order
    reference_length = translation_length = 0
    for references, translation in zip(reference_corpus, translation_corpus):
        reference_length += min(len(r) for r in references)
        translation_length += len(translation)
        # clip each n-gram by its largest count in any one reference
        merged = collections.Counter()
        for reference in references:
            merged |= _ngram_counts(reference, max_order)
        for ngram, count in (_ngram_counts(translation, max_order) & merged).items():
            matches[len(ngram) - 1] += count
        for order in range(1, max_order + 1):
            possible[order - 1] += max(len(translation) - order + 1, 0)
    if smooth:
        precisions = [(m + 1.0) / (p + 1.0) for m, p in zip(matches, possible)]
    else:
        precisions = [m / p if p > 0 else 0.0 for m, p in zip(matches, possible)]
    geo_mean = math.exp(sum(math.log(p) for p in precisions) / max_order) if min(precisions) > 0 else 0.0
    if reference_length == 0:
        raise MetricInputError("Metric 'bleu': every reference is empty after tokenization; BLEU is undefined.")
    ratio = translation_length / reference_length
    if ratio > 1.0:
        bp = 1.0
    elif ratio == 0.0:
        bp = 0.0  # no output at all: the brevity penalty's limit
    else:
        bp = math.exp(1 - 1.0 / ratio)
    return geo_mean * bp, precisions, bp, ratio, translation_length, reference_length


class Bleu(EvaluationModule):
    """Corpus BLEU in [0, 1] (``evaluate.load("bleu")``); ``tokenizer`` is any callable str -> list.

    Example:
        >>> import embrace.evaluate as evaluate
        >>> out = evaluate.load("bleu").compute(predictions=["the cat sat"], references=["the cat sat on the mat"], max_order=2)
        >>> round(out["bleu"], 4), round(out["brevity_penalty"], 4)
        (0.3679, 0.3679)
    """

    name = "bleu"
    description = "BLEU: n-gram precision of a candidate against references, with a brevity penalty."
    features_spec = TEXT_FEATURES

    def _compute(
        self, predictions: list, references: list, *, tokenizer: Callable[[str], list[str]] | None = None,
        max_order: int = 4, smooth: bool = False,
    ) -> dict[str, Any]:
        tokenize = tokenizer or (lambda text: tokenize_13a(text).split())
        refs = [[tokenize(r) for r in group] for group in _references_per_prediction(references)]
        bleu, precisions, bp, ratio, translation_length, reference_length = compute_bleu(
            refs, [tokenize(p) for p in predictions], max_order=max_order, smooth=smooth
        )
        return {
            "bleu": bleu, "precisions": precisions, "brevity_penalty": bp, "length_ratio": ratio,
            "translation_length": translation_length, "reference_length": reference_length,
        }


# --- sacrebleu ------------------------------------------------------------------------

_SMOOTH_DEFAULTS = {"none": None, "floor": 0.1, "add-k": 1, "exp": None}


def _closest_ref_len(hyp_len: int, ref_lens: list[int]) -> int:
    # nearest length; a tie goes to the shorter reference
    return min(ref_lens, key=lambda ref_len: (abs(hyp_len - ref_len), ref_len))


def _sacrebleu_score(correct: list, total: list, sys_len: int, ref_len: int, *, smooth_method: str,
                     smooth_value: float | None, effective_order: bool, max_order: int) -> tuple[float, list, list, list, float]:
    """SacreBLEU's score from corpus statistics: (score, counts, totals, precisions, bp)."""
    if smooth_value is None:
        smooth_value = _SMOOTH_DEFAULTS[smooth_method]
    bp = 1.0 if sys_len >= ref_len else (math.exp(1 - ref_len / sys_len) if sys_len > 0 else 0.0)
    precisions = [0.0] * max_order
    if not any(correct):
        return 0.0, correct, total, precisions, bp
    correct, total = list(correct), list(total)
    mteval_factor = 1.0
    used_orders = max_order
    for n in range(1, max_order + 1):
        if smooth_method == "add-k" and n > 1:
            correct[n - 1] += smooth_value
            total[n - 1] += smooth_value
        if total[n - 1] == 0:
            break
        if effective_order:
            used_orders = n
        if correct[n - 1] == 0:
            if smooth_method == "exp":  # NIST: halve the credit at each further zero-match order
                mteval_factor *= 2
                precisions[n - 1] = 100.0 / (mteval_factor * total[n - 1])
            elif smooth_method == "floor":
                precisions[n - 1] = 100.0 * smooth_value / total[n - 1]
        else:
            precisions[n - 1] = 100.0 * correct[n - 1] / total[n - 1]
    # a zero precision contributes a huge negative log (SacreBLEU's convention), so the score is 0
    log_sum = sum(math.log(p) if p > 0 else -9999999999 for p in precisions[:used_orders])
    return bp * math.exp(log_sum / used_orders), correct, total, precisions, bp


class Sacrebleu(EvaluationModule):
    """SacreBLEU corpus score in [0, 100] (``evaluate.load("sacrebleu")``).

    Example:
        >>> import embrace.evaluate as evaluate
        >>> out = evaluate.load("sacrebleu").compute(predictions=["hello there general kenobi"], references=[["hello there general kenobi"]])
        >>> out["score"], out["counts"], out["bp"]
        (100.00000000000004, [4, 3, 2, 1], 1.0)
    """

    name = "sacrebleu"
    description = "SacreBLEU: reproducible, shareable BLEU scores with standard tokenization."
    features_spec = TEXT_FEATURES

    def _compute(
        self, predictions: list, references: list, *, smooth_method: str = "exp", smooth_value: float | None = None,
        force: bool = False, lowercase: bool = False, tokenize: str | None = None, use_effective_order: bool = False,
    ) -> dict[str, Any]:
        del force  # only silences SacreBLEU's "looks tokenized" warning, which we never emit
        refs = _references_per_prediction(references)
        if any(len(group) != len(refs[0]) for group in refs):
            raise MetricInputError("Metric 'sacrebleu': sacrebleu requires the same number of references for each prediction.")
        if smooth_method not in _SMOOTH_DEFAULTS:
            raise unknown_key("smooth_method", smooth_method, _SMOOTH_DEFAULTS)
        tokenize = tokenize or "13a"
        if tokenize not in SACREBLEU_TOKENIZERS:
            raise unknown_key("sacrebleu tokenizer", tokenize, SACREBLEU_TOKENIZERS)
        tokenizer = SACREBLEU_TOKENIZERS[tokenize]
        max_order = 4

        def prepare(text: str) -> list[str]:
            text = text.lower() if lowercase else text
            return tokenizer(text.rstrip()).split()

        correct, total = [0] * max_order, [0] * max_order
        sys_len = ref_len = 0
        for prediction, group in zip(predictions, refs):
            ref_tokens = [prepare(r) for r in group]
            ref_ngrams: collections.Counter = collections.Counter()
            for tokens in ref_tokens:
                ref_ngrams |= _ngram_counts(tokens, max_order)
            hyp = prepare(prediction)
            sys_len += len(hyp)
            ref_len += _closest_ref_len(len(hyp), [len(t) for t in ref_tokens])
            for ngram, count in _ngram_counts(hyp, max_order).items():
                total[len(ngram) - 1] += count
                correct[len(ngram) - 1] += min(count, ref_ngrams.get(ngram, 0))
        score, counts, totals, precisions, bp = _sacrebleu_score(
            correct, total, sys_len, ref_len, smooth_method=smooth_method, smooth_value=smooth_value,
            effective_order=use_effective_order, max_order=max_order,
        )
        return {"score": score, "counts": counts, "totals": totals, "precisions": precisions, "bp": bp,
                "sys_len": sys_len, "ref_len": ref_len}


# --- exact_match ----------------------------------------------------------------------

_DROP_PUNCTUATION = str.maketrans("", "", string.punctuation)
_DROP_DIGITS = str.maketrans("", "", string.digits)


class ExactMatch(EvaluationModule):
    """Fraction of predictions equal to their reference after optional normalisation.

    Example:
        >>> import embrace.evaluate as evaluate
        >>> evaluate.load("exact_match").compute(predictions=["The Cat!", "dog"], references=["the cat", "cat"],
        ...                                      ignore_case=True, ignore_punctuation=True)
        {'exact_match': 0.5}
    """

    name = "exact_match"
    description = "Exact match: the rate at which the prediction is exactly the reference."
    features_spec = {"predictions": Value("string"), "references": Value("string")}

    def _compute(
        self, predictions: list, references: list, *, regexes_to_ignore: list[str] | None = None,
        ignore_case: bool = False, ignore_punctuation: bool = False, ignore_numbers: bool = False,
    ) -> dict[str, float]:
        def normalize(text: str) -> str:
            for pattern in regexes_to_ignore or ():
                text = re.sub(pattern, "", text)
            if ignore_case:
                text = text.lower()
            if ignore_punctuation:
                text = text.translate(_DROP_PUNCTUATION)
            if ignore_numbers:
                text = text.translate(_DROP_DIGITS)
            return text

        # a prediction normalised to "" only counts when the raw texts were identical
        scores = [
            normalize(p) == normalize(r) and (normalize(p) != "" or p == r) for p, r in zip(predictions, references)
        ]
        return {"exact_match": float(np.mean(scores))}
