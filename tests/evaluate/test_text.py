"""bleu / sacrebleu / exact_match vs sacrebleu, nltk and the reference's documented outputs."""

from __future__ import annotations

import math
import warnings

import pytest
import sacrebleu
from hypothesis import given, settings, strategies as st
from nltk.translate.bleu_score import corpus_bleu
from sacrebleu.tokenizers.tokenizer_13a import Tokenizer13a
from sacrebleu.tokenizers.tokenizer_intl import TokenizerV14International

import embrace.evaluate as evaluate
from embrace.errors import MetricInputError, UnknownKeyError
from embrace.evaluate.text import tokenize_13a, tokenize_intl

WORDS = ["the", "cat", "sat", "on", "mat", "a", "dog", "ran", ",", ".", "3.5", "it's", "(x)", "&amp;", "Über", "-", "1-2"]
sentence = st.lists(st.sampled_from(WORDS), min_size=0, max_size=12).map(" ".join)
nonempty_sentence = st.lists(st.sampled_from(WORDS), min_size=1, max_size=12).map(" ".join)
# nltk counts at least one possible n-gram per sentence and order; 4+ tokens make that moot
long_sentence = st.lists(st.sampled_from(WORDS), min_size=4, max_size=12).map(" ".join)


@settings(max_examples=150)
@given(text=st.text(max_size=40))
def test_tokenizers_match_sacrebleu(text):
    assert tokenize_13a(text) == Tokenizer13a()(text)
    assert tokenize_intl(text) == TokenizerV14International()(text)


@st.composite
def corpus(draw, refs_per_pred=st.integers(1, 3), prediction=sentence):
    n = draw(st.integers(1, 6))
    k = draw(refs_per_pred)
    preds = draw(st.lists(prediction, min_size=n, max_size=n))
    refs = [draw(st.lists(nonempty_sentence, min_size=k, max_size=k)) for _ in range(n)]
    return preds, refs


@settings(max_examples=80)
@given(data=corpus(), smooth_method=st.sampled_from(["exp", "floor", "add-k", "none"]),
       lowercase=st.booleans(), tokenize=st.sampled_from([None, "13a", "intl", "none"]), effective=st.booleans())
def test_sacrebleu_matches_corpus_score(data, smooth_method, lowercase, tokenize, effective):
    preds, refs = data
    options = dict(smooth_method=smooth_method, lowercase=lowercase, effective_order=effective)
    scorer = sacrebleu.BLEU(**options, **({"tokenize": tokenize} if tokenize else {}))
    ref = scorer.corpus_score(preds, [list(r) for r in zip(*refs)])
    out = evaluate.load("sacrebleu").compute(predictions=preds, references=refs, smooth_method=smooth_method,
                                             lowercase=lowercase, tokenize=tokenize, use_effective_order=effective)
    assert out["counts"] == ref.counts and out["totals"] == ref.totals
    assert (out["sys_len"], out["ref_len"]) == (ref.sys_len, ref.ref_len)
    assert out["score"] == pytest.approx(ref.score, rel=1e-12, abs=1e-12)
    assert out["bp"] == pytest.approx(ref.bp, rel=1e-12)
    assert out["precisions"] == pytest.approx(ref.precisions, rel=1e-12)


def _tok(text):
    return Tokenizer13a()(text).split()


def _nltk_corpus_bleu(*args, **kwargs):
    with warnings.catch_warnings():  # nltk warns about zero n-gram overlaps; the score is still 0 as expected
        warnings.simplefilter("ignore")
        return corpus_bleu(*args, **kwargs)


@settings(max_examples=60)
@given(data=corpus(refs_per_pred=st.just(1), prediction=long_sentence), max_order=st.integers(1, 4))
def test_bleu_single_reference_matches_nltk(data, max_order):
    preds, refs = data
    out = evaluate.load("bleu").compute(predictions=preds, references=[r[0] for r in refs], max_order=max_order)
    weights = [1.0 / max_order] * max_order
    expected = _nltk_corpus_bleu([[_tok(r[0])] for r in refs], [_tok(p) for p in preds], weights=weights)
    assert out["bleu"] == pytest.approx(expected, rel=1e-9, abs=1e-12)
    assert out["translation_length"] == sum(len(_tok(p)) for p in preds)
    assert out["reference_length"] == sum(len(_tok(r[0])) for r in refs)


@settings(max_examples=40)
@given(n=st.integers(1, 5), length=st.integers(1, 8), data=st.data())
def test_bleu_multi_reference_matches_nltk(n, length, data):
    # references of one length make nltk's closest length equal to the reference's shortest
    words = st.lists(st.sampled_from(["a", "b", "c", "d"]), min_size=length, max_size=length).map(" ".join)
    refs = [data.draw(st.lists(words, min_size=2, max_size=3)) for _ in range(n)]
    preds = [data.draw(long_sentence) for _ in range(n)]
    out = evaluate.load("bleu").compute(predictions=preds, references=refs, max_order=2)
    expected = _nltk_corpus_bleu([[_tok(r) for r in group] for group in refs], [_tok(p) for p in preds], weights=[0.5, 0.5])
    assert out["bleu"] == pytest.approx(expected, rel=1e-9, abs=1e-12)


@settings(max_examples=40)
@given(data=corpus(refs_per_pred=st.just(1)))
def test_bleu_smoothing_is_add_one_on_every_order(data):
    preds, refs = data
    stats = sacrebleu.BLEU(tokenize="13a").corpus_score(preds, [[r[0] for r in refs]])  # single refs: same clipped counts
    out = evaluate.load("bleu").compute(predictions=preds, references=refs, smooth=True)
    precisions = [(c + 1) / (t + 1) for c, t in zip(stats.counts, stats.totals)]
    ratio = stats.sys_len / stats.ref_len
    bp = 1.0 if ratio > 1 else (0.0 if ratio == 0 else math.exp(1 - 1 / ratio))
    assert out["precisions"] == pytest.approx(precisions, rel=1e-12)
    assert out["bleu"] == pytest.approx(math.exp(sum(map(math.log, precisions)) / 4) * bp, rel=1e-9)


def test_bleu_reference_readme_example():
    out = evaluate.load("bleu").compute(
        predictions=["hello there general kenobi", "foo bar foobar"],
        references=[["hello there general kenobi", "hello there !"], ["foo bar foobar"]],
    )
    assert out == {"bleu": 1.0, "precisions": [1.0, 1.0, 1.0, 1.0], "brevity_penalty": 1.0, "length_ratio": 1.1666666666666667,
                   "translation_length": 7, "reference_length": 6}


def test_sacrebleu_bad_options():
    with pytest.raises(MetricInputError, match="same number of references"):
        evaluate.load("sacrebleu").compute(predictions=["a", "b"], references=[["a"], ["b", "c"]])
    with pytest.raises(UnknownKeyError, match="13a, intl, none"):
        evaluate.load("sacrebleu").compute(predictions=["a"], references=[["a"]], tokenize="moses")
    with pytest.raises(UnknownKeyError, match="add-k"):
        evaluate.load("sacrebleu").compute(predictions=["a"], references=[["a"]], smooth_method="laplace")


# The reference metric card's examples and their documented outputs.
EM_REFS = ["the cat", "theater", "YELLING", "agent007"]
EM_PREDS = ["cat?", "theater", "yelling", "agent"]


@pytest.mark.parametrize(
    "options, expected",
    [
        ({}, 0.25),
        ({"regexes_to_ignore": ["the ", "yell"], "ignore_case": True, "ignore_punctuation": True}, 0.5),
        ({"regexes_to_ignore": ["the ", "yell", "YELL"], "ignore_case": True, "ignore_punctuation": True}, 0.75),
        ({"regexes_to_ignore": ["the ", "yell", "YELL"], "ignore_case": True, "ignore_punctuation": True, "ignore_numbers": True}, 1.0),
    ],
)
def test_exact_match_reference_examples(options, expected):
    assert evaluate.load("exact_match").compute(predictions=EM_PREDS, references=EM_REFS, **options)["exact_match"] == expected


def test_exact_match_reference_sentence_example():
    refs = ["The cat sat on the mat.", "Theaters are great.", "It's like comparing oranges and apples."]
    preds = ["The cat sat on the mat?", "Theaters are great.", "It's like comparing apples and oranges."]
    assert round(evaluate.load("exact_match").compute(predictions=preds, references=refs)["exact_match"], 2) == 0.33


def test_exact_match_empty_after_normalisation_needs_identical_raw_text():
    out = evaluate.load("exact_match").compute(predictions=["!!", "", "?"], references=["..", "", "?"], ignore_punctuation=True)
    assert out["exact_match"] == pytest.approx(2 / 3)
