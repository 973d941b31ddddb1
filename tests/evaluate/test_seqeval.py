"""seqeval vs the seqeval library (default conlleval chunking, per type and overall)."""

from __future__ import annotations

import warnings

import pytest
from hypothesis import given, settings, strategies as st
from seqeval.metrics import accuracy_score, classification_report

import embrace.evaluate as evaluate
from embrace.errors import MetricInputError
from embrace.evaluate.seqeval import get_entities

TAGS = ["O", "B-PER", "I-PER", "E-PER", "S-PER", "B-LOC", "I-LOC", "E-LOC", "S-LOC", "I-MISC", "B-MISC", "B", "I", "O"]


@st.composite
def tagged(draw, tags=TAGS):
    lengths = draw(st.lists(st.integers(1, 8), min_size=1, max_size=4))
    preds = [draw(st.lists(st.sampled_from(tags), min_size=n, max_size=n)) for n in lengths]
    refs = [draw(st.lists(st.sampled_from(tags), min_size=n, max_size=n)) for n in lengths]
    return preds, refs


def _reference(preds, refs, **options):
    """What evaluate's seqeval script returns, rebuilt from the seqeval library."""
    report = classification_report(y_true=refs, y_pred=preds, output_dict=True, **options)
    report.pop("macro avg"), report.pop("weighted avg")
    overall = report.pop("micro avg")
    scores = {t: {"precision": s["precision"], "recall": s["recall"], "f1": s["f1-score"], "number": s["support"]} for t, s in report.items()}
    scores.update(overall_precision=overall["precision"], overall_recall=overall["recall"], overall_f1=overall["f1-score"],
                  overall_accuracy=accuracy_score(y_true=refs, y_pred=preds))
    return scores


def _assert_same(out, ref):
    assert out.keys() == ref.keys()
    for key, value in ref.items():
        if isinstance(value, dict):
            assert out[key]["number"] == value["number"]
            for k in ("precision", "recall", "f1"):
                assert out[key][k] == pytest.approx(float(value[k]), rel=1e-12, abs=1e-15), (key, k)
        else:
            assert out[key] == pytest.approx(float(value), rel=1e-12, abs=1e-15), key


@settings(max_examples=120)
@given(data=tagged(), zero_division=st.sampled_from(["warn", 0, 1]))
def test_seqeval_matches_library(data, zero_division):
    preds, refs = data
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = _reference(preds, refs, zero_division=zero_division)
        out = evaluate.load("seqeval").compute(predictions=preds, references=refs, zero_division=zero_division)
    _assert_same(out, ref)


@settings(max_examples=60)
@given(data=tagged(tags=["O", "PER-B", "PER-I", "LOC-B", "LOC-I", "LOC-E", "X-S"]))
def test_seqeval_suffix_tags_match_library(data):
    preds, refs = data
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = _reference(preds, refs, suffix=True)
        out = evaluate.load("seqeval").compute(predictions=preds, references=refs, suffix=True)
    _assert_same(out, ref)


SCHEME_TAGS = {
    "IOB1": ["O", "I-PER", "B-PER", "I-LOC", "B-LOC"],
    "IOB2": ["O", "I-PER", "B-PER", "I-LOC", "B-LOC"],
    "IOE1": ["O", "I-PER", "E-PER", "I-LOC", "E-LOC"],
    "IOE2": ["O", "I-PER", "E-PER", "I-LOC", "E-LOC"],
    "IOBES": ["O", "B-PER", "I-PER", "E-PER", "S-PER", "B-LOC", "E-LOC", "S-LOC"],
    "BILOU": ["O", "B-PER", "I-PER", "L-PER", "U-PER", "B-LOC", "L-LOC", "U-LOC"],
}


@settings(max_examples=40)
@given(scheme=st.sampled_from(sorted(SCHEME_TAGS)), data=st.data(), auto=st.booleans())
def test_seqeval_strict_mode_matches_library(scheme, data, auto):
    import seqeval.scheme

    preds, refs = data.draw(tagged(tags=SCHEME_TAGS[scheme]))
    # auto-detection looks at the references' prefixes; only IOB2/IOE2/IOBES/BILOU can be detected
    use_auto = auto and scheme not in ("IOB1", "IOE1")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            ref = _reference(preds, refs, mode="strict", scheme=None if use_auto else getattr(seqeval.scheme, scheme))
        except ValueError:  # the library could not detect a scheme from these references: neither can we
            with pytest.raises(MetricInputError, match="no supported scheme"):
                evaluate.load("seqeval").compute(predictions=preds, references=refs, mode="strict")
            return
        out = evaluate.load("seqeval").compute(predictions=preds, references=refs, mode="strict",
                                               scheme=None if use_auto else scheme)
    _assert_same(out, ref)


def test_get_entities_and_scheme_handling():
    assert get_entities([["B-PER", "I-PER"], ["I-PER", "O", "S-LOC"]]) == [("PER", 0, 1), ("PER", 3, 3), ("LOC", 5, 5)]
    preds, refs = [["B-PER", "I-PER", "O"]], [["B-PER", "I-PER", "O"]]
    # a scheme alone does not change the default chunking (as in seqeval)
    assert evaluate.load("seqeval").compute(predictions=preds, references=refs, scheme="IOB2")["overall_f1"] == 1.0
    with pytest.raises(MetricInputError, match="Scheme should be one of"):
        evaluate.load("seqeval").compute(predictions=preds, references=refs, scheme="IOB9")
    with pytest.raises(MetricInputError, match="Invalid token is found: S-PER"):
        evaluate.load("seqeval").compute(predictions=[["S-PER"]], references=[["B-PER"]], scheme="IOB2", mode="strict")
    with pytest.raises(MetricInputError, match="example 0 has 2 predicted tags but 3"):
        evaluate.load("seqeval").compute(predictions=[["O", "O"]], references=[["O", "O", "O"]])
    with pytest.raises(MetricInputError, match="don't match the expected format"):
        evaluate.load("seqeval").compute(predictions=["B-PER"], references=["B-PER"])
