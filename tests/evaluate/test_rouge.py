"""rouge vs Google's rouge_score, and our Porter stemmer vs nltk's (the one rouge_score uses)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from nltk.stem.porter import PorterStemmer as NltkPorter
from rouge_score import rouge_scorer

import embrace.evaluate as evaluate
from embrace.errors import MetricInputError
from embrace.evaluate.porter import PorterStemmer

TYPES = ["rouge1", "rouge2", "rouge3", "rougeL", "rougeLsum"]
VOCAB = ["the", "cat", "cats", "running", "runs", "ran", "happily", "generalization", "a", "mat", "sat", "on",
         "relational", "hopping", "agreed", "Dogs!", "x1", "--", "\n"]
text = st.lists(st.sampled_from(VOCAB), min_size=0, max_size=14).map(" ".join)


def test_porter_matches_nltk_on_a_real_vocabulary(minilm_dir):
    words = [w for w in (minilm_dir / "vocab.txt").read_text().split() if w.isalnum() and not w.startswith("[")][::3]
    ours, ref = PorterStemmer(), NltkPorter()
    mismatches = [(w, ours.stem(w), ref.stem(w)) for w in words if ours.stem(w) != ref.stem(w)]
    assert not mismatches, mismatches[:20]


@settings(max_examples=300)
@given(word=st.text(alphabet="aeiouybcdlstnrgzmp0", min_size=1, max_size=12))
def test_porter_matches_nltk_on_random_words(word):
    assert PorterStemmer().stem(word) == NltkPorter().stem(word)


@settings(max_examples=60)
@given(pairs=st.lists(st.tuples(text, text), min_size=1, max_size=5), use_stemmer=st.booleans())
def test_rouge_matches_rouge_score(pairs, use_stemmer):
    preds, refs = [p for p, _ in pairs], [r for _, r in pairs]
    scorer = rouge_scorer.RougeScorer(TYPES, use_stemmer=use_stemmer)
    expected = [scorer.score(r, p) for p, r in zip(preds, refs)]
    out = evaluate.load("rouge").compute(predictions=preds, references=refs, rouge_types=TYPES, use_stemmer=use_stemmer,
                                         use_aggregator=False)
    for key in TYPES:
        np.testing.assert_allclose(out[key], [s[key].fmeasure for s in expected], rtol=1e-12, atol=1e-15)
    mean = evaluate.load("rouge").compute(predictions=preds, references=refs, rouge_types=TYPES, use_stemmer=use_stemmer)
    for key in TYPES:
        assert mean[key] == pytest.approx(np.mean([s[key].fmeasure for s in expected]), rel=1e-12, abs=1e-15)


@settings(max_examples=40)
@given(pred=text, refs=st.lists(text, min_size=1, max_size=3))
def test_rouge_multi_reference_takes_best_fmeasure(pred, refs):
    expected = rouge_scorer.RougeScorer(TYPES).score_multi(refs, pred)
    out = evaluate.load("rouge").compute(predictions=[pred], references=[refs], rouge_types=TYPES, use_aggregator=False)
    for key in TYPES:
        assert out[key] == pytest.approx([expected[key].fmeasure], rel=1e-12, abs=1e-15)


def test_rouge_default_types_custom_tokenizer_and_errors():
    out = evaluate.load("rouge").compute(predictions=["hello there", "general kenobi"], references=["hello there", "general kenobi"])
    assert out == {"rouge1": 1.0, "rouge2": 1.0, "rougeL": 1.0, "rougeLsum": 1.0}
    # a custom tokenizer is used as is: case is kept, so "A" and "a" differ
    by_chars = evaluate.load("rouge").compute(predictions=["Ab"], references=["ab"], tokenizer=list, rouge_types=["rouge1"])
    assert by_chars == {"rouge1": 0.5}
    with pytest.raises(MetricInputError, match="Invalid rouge type 'rougeX'"):
        evaluate.load("rouge").compute(predictions=["a"], references=["a"], rouge_types=["rougeX"])
