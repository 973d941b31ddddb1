"""pearsonr / spearmanr / mse vs SciPy and scikit-learn, p-values included."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from scipy import special, stats
from sklearn import metrics as skm

import embrace.evaluate as evaluate
from embrace.evaluate.regression import betainc, rankdata

finite = st.floats(-100, 100, allow_nan=False, allow_infinity=False)


@st.composite
def paired(draw, min_size=3):
    n = draw(st.integers(min_size, 30))
    # integer-valued draws give ties, which exercise the average ranks
    elements = st.integers(-5, 5).map(float) if draw(st.booleans()) else finite
    return draw(st.lists(elements, min_size=n, max_size=n)), draw(st.lists(elements, min_size=n, max_size=n))


def _close(ours, ref, rtol=1e-9, atol=1e-12):
    np.testing.assert_allclose(ours, ref, rtol=rtol, atol=atol, equal_nan=True)


@settings(max_examples=80)
@given(data=paired(min_size=2))
def test_pearsonr_and_pvalue_match_scipy(data):
    preds, refs = data
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = stats.pearsonr(refs, preds)
        out = evaluate.load("pearsonr").compute(predictions=preds, references=refs, return_pvalue=True)
    _close(out["pearsonr"], ref[0], rtol=1e-10, atol=1e-12)
    _close(out["p-value"], ref[1], rtol=1e-7, atol=1e-12)


@settings(max_examples=80)
@given(data=paired(min_size=2))
def test_spearmanr_and_pvalue_match_scipy(data):
    preds, refs = data
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = stats.spearmanr(refs, preds)
        out = evaluate.load("spearmanr").compute(predictions=preds, references=refs, return_pvalue=True)
        plain = evaluate.load("spearmanr").compute(predictions=preds, references=refs)
    _close(out["spearmanr"], ref[0], rtol=1e-10, atol=1e-12)
    _close(out["spearmanr_pvalue"], ref[1], rtol=1e-7, atol=1e-12)
    assert set(plain) == {"spearmanr"}


@settings(max_examples=60)
@given(a=st.floats(0.05, 60), b=st.floats(0.05, 60), x=st.floats(0, 1))
def test_betainc_matches_scipy(a, b, x):
    _close(betainc(a, b, x), special.betainc(a, b, x), rtol=1e-9, atol=1e-14)


def test_rankdata_matches_scipy():
    values = [3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5]
    _close(rankdata(values), stats.rankdata(values))


@settings(max_examples=50)
@given(data=paired(min_size=1), squared=st.booleans(), weighted=st.booleans())
def test_mse_matches_sklearn(data, squared, weighted):
    preds, refs = data
    weights = np.linspace(0.5, 2.0, len(preds)) if weighted else None
    out = evaluate.load("mse").compute(predictions=preds, references=refs, squared=squared, sample_weight=weights)
    fn = skm.mean_squared_error if squared else skm.root_mean_squared_error
    _close(out["mse"], fn(refs, preds, sample_weight=weights), rtol=1e-12)


@pytest.mark.parametrize("multioutput", ["raw_values", "uniform_average", [0.3, 0.7]])
@pytest.mark.parametrize("squared", [True, False])
def test_mse_multilist_multioutput(multioutput, squared):
    rng = np.random.default_rng(0)
    preds, refs = rng.normal(size=(12, 2)), rng.normal(size=(12, 2))
    out = evaluate.load("mse", "multilist").compute(predictions=preds.tolist(), references=refs.tolist(),
                                                     multioutput=multioutput, squared=squared)
    fn = skm.mean_squared_error if squared else skm.root_mean_squared_error
    _close(out["mse"], fn(refs, preds, multioutput=multioutput))
    with pytest.raises(ValueError, match="multioutput"):
        evaluate.load("mse", "multilist").compute(predictions=preds.tolist(), references=refs.tolist(), multioutput="mean")
