"""accuracy / precision / recall / f1 / matthews_correlation / glue vs scikit-learn and SciPy."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from sklearn import metrics as skm
from scipy import stats

import embrace.evaluate as evaluate
from embrace.errors import MetricInputError, UnknownKeyError


@st.composite
def labelled(draw, n_classes=st.integers(2, 4), weighted=st.booleans()):
    """(predictions, references, sample_weight or None) with a few classes."""
    k = draw(n_classes)
    n = draw(st.integers(1, 25))
    preds = draw(st.lists(st.integers(0, k - 1), min_size=n, max_size=n))
    refs = draw(st.lists(st.integers(0, k - 1), min_size=n, max_size=n))
    weights = draw(st.lists(st.floats(0.0, 3.0), min_size=n, max_size=n)) if draw(weighted) else None
    return preds, refs, weights


def _quiet(fn, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fn(*args, **kwargs)


def _same(ours, ref):
    np.testing.assert_allclose(np.asarray(ours, dtype=float), np.asarray(ref, dtype=float), rtol=1e-12, atol=1e-12)


@settings(max_examples=60)
@given(data=labelled(), average=st.sampled_from(["micro", "macro", "weighted", None]),
       zero_division=st.sampled_from(["warn", 0, 1, np.nan]))
def test_prf_multiclass_matches_sklearn(data, average, zero_division):
    preds, refs, weights = data
    for name, fn in (("precision", skm.precision_score), ("recall", skm.recall_score), ("f1", skm.f1_score)):
        ours = _quiet(evaluate.load(name).compute, predictions=preds, references=refs, average=average,
                      sample_weight=weights, zero_division=zero_division)[name]
        ref = _quiet(fn, refs, preds, average=average, sample_weight=weights, zero_division=zero_division)
        _same(ours, ref)
        assert isinstance(ours, float) if average else isinstance(ours, (np.ndarray, float))


@settings(max_examples=40)
@given(data=labelled(n_classes=st.just(2)), pos_label=st.sampled_from([0, 1]))
def test_prf_binary_pos_label_matches_sklearn(data, pos_label):
    preds, refs, weights = data
    for name, fn in (("precision", skm.precision_score), ("recall", skm.recall_score), ("f1", skm.f1_score)):
        ours = _quiet(evaluate.load(name).compute, predictions=preds, references=refs, pos_label=pos_label, sample_weight=weights)
        _same(ours[name], _quiet(fn, refs, preds, pos_label=pos_label, sample_weight=weights))


@settings(max_examples=30)
@given(data=labelled(n_classes=st.just(4)), labels=st.lists(st.integers(0, 5), min_size=1, max_size=4, unique=True),
       average=st.sampled_from(["micro", "macro", "weighted", None]))
def test_prf_with_labels_subset_matches_sklearn(data, labels, average):
    preds, refs, weights = data
    ours = _quiet(evaluate.load("f1").compute, predictions=preds, references=refs, labels=labels, average=average, sample_weight=weights)
    _same(ours["f1"], _quiet(skm.f1_score, refs, preds, labels=labels, average=average, sample_weight=weights))


@settings(max_examples=50)
@given(data=labelled(), normalize=st.booleans())
def test_accuracy_and_matthews_match_sklearn(data, normalize):
    preds, refs, weights = data
    if weights is not None and normalize and sum(weights) == 0:
        weights = None  # sklearn refuses all-zero weights for a weighted mean; so do we (ZeroDivision)
    acc = evaluate.load("accuracy").compute(predictions=preds, references=refs, normalize=normalize, sample_weight=weights)
    _same(acc["accuracy"], skm.accuracy_score(refs, preds, normalize=normalize, sample_weight=weights))
    mcc = evaluate.load("matthews_correlation").compute(predictions=preds, references=refs, sample_weight=weights)
    _same(mcc["matthews_correlation"], _quiet(skm.matthews_corrcoef, refs, preds, sample_weight=weights))


def test_binary_average_on_multiclass_is_refused_clearly():
    with pytest.raises(MetricInputError, match="multiclass.*average='binary'"):
        evaluate.load("f1").compute(predictions=[0, 1, 2], references=[0, 1, 2])
    with pytest.raises(MetricInputError, match="pos_label=3 is not a valid label"):
        evaluate.load("recall").compute(predictions=[0, 1], references=[1, 0], pos_label=3)
    with pytest.raises(MetricInputError, match="average must be one of"):
        evaluate.load("precision").compute(predictions=[0, 1], references=[1, 0], average="mean")


def test_average_none_returns_per_label_array():
    out = evaluate.load("f1").compute(predictions=[0, 1, 2, 2], references=[0, 2, 2, 1], average=None)
    np.testing.assert_allclose(out["f1"], skm.f1_score([0, 2, 2, 1], [0, 1, 2, 2], average=None))


@pytest.mark.parametrize("task", ["sst2", "mnli", "qnli", "rte", "wnli", "hans", "mrpc", "qqp", "cola"])
def test_glue_classification_tasks(task):
    rng = np.random.default_rng(0)
    preds, refs = rng.integers(0, 2, 40).tolist(), rng.integers(0, 2, 40).tolist()
    out = evaluate.load("glue", task).compute(predictions=preds, references=refs)
    expected = {"cola": {"matthews_correlation": skm.matthews_corrcoef(refs, preds)}}.get(task, {"accuracy": skm.accuracy_score(refs, preds)})
    if task in ("mrpc", "qqp"):
        expected["f1"] = skm.f1_score(refs, preds)
    assert out.keys() == expected.keys()
    for key in out:
        _same(out[key], expected[key])


def test_glue_stsb_and_bad_task():
    rng = np.random.default_rng(1)
    preds, refs = rng.normal(size=30).tolist(), rng.normal(size=30).tolist()
    out = evaluate.load("glue", "stsb").compute(predictions=preds, references=refs)
    _same(out["pearson"], stats.pearsonr(preds, refs)[0])
    _same(out["spearmanr"], stats.spearmanr(preds, refs)[0])
    with pytest.raises(UnknownKeyError, match="GLUE task.*mrpc"):
        evaluate.load("glue")
    with pytest.raises(KeyError):
        evaluate.load("glue", "squad")
