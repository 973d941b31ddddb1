"""Regression / correlation metrics: pearsonr, spearmanr, mse.

Correlations follow SciPy's definitions (as the reference scripts call them): Pearson's r
on centred, scaled vectors with a two-sided p-value from the exact Beta null distribution;
Spearman's rho as Pearson on average ranks with a Student-t p-value. The regularized
incomplete beta function they need is computed here with a continued fraction.

Example:
    >>> import embrace.evaluate as evaluate
    >>> evaluate.load("mse").compute(predictions=[2.5, 0.0, 2, 8], references=[3, -0.5, 2, 7])
    {'mse': 0.375}
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np

from embrace.errors import MetricInputError
from embrace.evaluate.features import Sequence, Value
from embrace.evaluate.module import EvaluationModule

_FLOATS = {"predictions": Value("float32"), "references": Value("float32")}


def betainc(a: float, b: float, x: float) -> float:
    """Regularized incomplete beta I_x(a, b), by Lentz's continued fraction.

    The fraction converges fast for x < (a + 1) / (a + b + 2); otherwise the symmetry
    I_x(a, b) = 1 - I_{1-x}(b, a) moves x into that region.

    Example:
        >>> round(betainc(2.0, 3.0, 0.4), 10)
        0.5248
    """
    if x <= 0.0:
        return 0.0
    if x >= 1.0:
        return 1.0
    if x > (a + 1.0) / (a + b + 2.0):
        return 1.0 - betainc(b, a, 1.0 - x)
    log_front = math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log1p(-x)
    tiny = 1e-300
    c, d = 1.0, 1.0 - (a + b) * x / (a + 1.0)
    d = 1.0 / (d if abs(d) > tiny else tiny)
    fraction = d
    for m in range(1, 10_000):
        # even step, then odd step of the continued fraction for I_x(a, b)
        for numerator in (
            m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m)),
            -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1)),
        ):
            d = 1.0 + numerator * d
            d = 1.0 / (d if abs(d) > tiny else tiny)
            c = 1.0 + numerator / c
            c = c if abs(c) > tiny else tiny
            fraction *= c * d
        if abs(c * d - 1.0) < 1e-16:
            break
    return math.exp(log_front) * fraction / a


def _student_t_two_sided(t: float, dof: float) -> float:
    """P(|T| >= |t|) for Student's t with ``dof`` degrees of freedom."""
    if math.isnan(t):
        return float("nan")
    if math.isinf(t):
        return 0.0
    return betainc(dof / 2.0, 0.5, dof / (dof + t * t))


def pearsonr(x: Any, y: Any) -> tuple[float, float]:
    """Pearson's r and its two-sided p-value (NaN for a constant input, as SciPy).

    Example:
        >>> r, p = pearsonr([1, 2, 3, 4], [1, 3, 2, 4])
        >>> round(r, 6), round(p, 6)
        (0.8, 0.2)
    """
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    n = len(x)
    if n < 2:
        raise MetricInputError(f"pearsonr needs at least 2 examples, got {n}.")
    xm, ym = x - x.mean(), y - y.mean()
    xmax, ymax = np.abs(xm).max(), np.abs(ym).max()
    if xmax == 0 or ymax == 0:
        warnings.warn("An input array is constant; the correlation coefficient is not defined.", RuntimeWarning, stacklevel=3)
        return float("nan"), float("nan")
    # scale before the norm to keep the squares in range for large inputs
    xm, ym = xm / xmax, ym / ymax
    r = float(np.clip(np.dot(xm / np.linalg.norm(xm), ym / np.linalg.norm(ym)), -1.0, 1.0))
    if n == 2:
        return float(round(r)), 1.0
    # under the null, (r + 1) / 2 ~ Beta(n/2 - 1, n/2 - 1): two tails by symmetry
    half = n / 2.0 - 1.0
    return r, min(1.0, 2.0 * betainc(half, half, (1.0 - abs(r)) / 2.0))


def rankdata(values: Any) -> np.ndarray:
    """Ranks from 1, ties sharing their average rank (SciPy's ``method='average'``).

    Example:
        >>> rankdata([10, 20, 10, 30]).tolist()
        [1.5, 3.0, 1.5, 4.0]
    """
    values = np.asarray(values)
    order = np.argsort(values, kind="mergesort")
    sorted_values = values[order]
    # start index of each run of equal values in sorted order
    starts = np.flatnonzero(np.r_[True, sorted_values[1:] != sorted_values[:-1]])
    ends = np.r_[starts[1:], len(values)]
    average_rank = (starts + ends + 1) / 2.0  # mean of the 1-based ranks start+1 .. end
    ranks = np.empty(len(values), dtype=np.float64)
    ranks[order] = np.repeat(average_rank, ends - starts)
    return ranks


def spearmanr(x: Any, y: Any) -> tuple[float, float]:
    """Spearman's rho and its two-sided p-value (NaN for a constant or too short input).

    Example:
        >>> rho, p = spearmanr([1, 2, 3, 4, 5], [5, 6, 7, 8, 7])
        >>> round(rho, 6), round(p, 6)
        (0.820783, 0.088587)
    """
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    n = len(x)
    if n <= 1:
        return float("nan"), float("nan")
    if (x == x[0]).all() or (y == y[0]).all():
        warnings.warn("An input array is constant; the correlation coefficient is not defined.", RuntimeWarning, stacklevel=3)
        return float("nan"), float("nan")
    rho = float(np.corrcoef(rankdata(x), rankdata(y))[0, 1])
    dof = n - 2
    with np.errstate(divide="ignore", invalid="ignore"):
        t = float(rho * np.sqrt(max(dof / ((rho + 1.0) * (1.0 - rho)), 0.0))) if abs(rho) < 1 else (
            float("nan") if dof == 0 else math.copysign(math.inf, rho)
        )
    return rho, _student_t_two_sided(t, dof)


class Pearsonr(EvaluationModule):
    """Pearson correlation between predictions and references (``evaluate.load("pearsonr")``).

    Example:
        >>> import embrace.evaluate as evaluate
        >>> out = evaluate.load("pearsonr").compute(predictions=[1, 2, 3, 4], references=[1, 3, 2, 4], return_pvalue=True)
        >>> round(out["pearsonr"], 6), round(out["p-value"], 6)
        (0.8, 0.2)
    """

    name = "pearsonr"
    description = "Pearson correlation coefficient and p-value for testing non-correlation."
    features_spec = _FLOATS

    def _compute(self, predictions: list, references: list, *, return_pvalue: bool = False) -> dict[str, float]:
        r, p = pearsonr(references, predictions)
        return {"pearsonr": r, "p-value": p} if return_pvalue else {"pearsonr": r}


class Spearmanr(EvaluationModule):
    """Spearman rank correlation (``evaluate.load("spearmanr")``).

    Example:
        >>> import embrace.evaluate as evaluate
        >>> evaluate.load("spearmanr").compute(predictions=[10, 9, 2.5, 6, 4], references=[1, 2, 3, 4, 5])
        {'spearmanr': -0.7}
    """

    name = "spearmanr"
    description = "Spearman rank-order correlation coefficient and p-value to test for non-correlation."
    features_spec = _FLOATS

    def _compute(self, predictions: list, references: list, *, return_pvalue: bool = False) -> dict[str, float]:
        rho, p = spearmanr(references, predictions)
        return {"spearmanr": rho, "spearmanr_pvalue": p} if return_pvalue else {"spearmanr": rho}


class Mse(EvaluationModule):
    """Mean squared error, or its root with ``squared=False`` (``evaluate.load("mse")``).

    Config ``"multilist"`` takes one vector per example; ``multioutput`` is
    ``"uniform_average"``, ``"raw_values"`` (one score per output) or per-output weights.

    Example:
        >>> import embrace.evaluate as evaluate
        >>> mse = evaluate.load("mse", "multilist")
        >>> mse.compute(predictions=[[0.5, 1], [-1, 1]], references=[[0, 2], [-1, 2]], multioutput="raw_values")
        {'mse': array([0.125, 1.   ])}
    """

    name = "mse"
    description = "Mean Squared Error: the average of the squared differences between predictions and references."
    config_names = ("default", "multilist")

    @property
    def features_spec(self):  # type: ignore[override]
        if self.config_name == "multilist":
            return {"predictions": Sequence(Value("float32")), "references": Sequence(Value("float32"))}
        return _FLOATS

    def _compute(
        self, predictions: list, references: list, *, sample_weight: Any = None,
        multioutput: Any = "uniform_average", squared: bool = True,
    ) -> dict[str, Any]:
        y_true, y_pred = np.asarray(references, dtype=np.float64), np.asarray(predictions, dtype=np.float64)
        if y_true.shape != y_pred.shape:
            raise MetricInputError(f"Metric 'mse': predictions {y_pred.shape} and references {y_true.shape} differ in shape.")
        if y_true.ndim == 1:  # (n,) -> (n, 1): one output
            y_true, y_pred = y_true[:, None], y_pred[:, None]
        weights = None if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)
        # (n_outputs,) error per output, averaged over examples
        per_output = np.average((y_true - y_pred) ** 2, axis=0, weights=weights)
        if not squared:
            per_output = np.sqrt(per_output)
        if isinstance(multioutput, str):
            if multioutput == "raw_values":
                return {"mse": per_output}
            if multioutput != "uniform_average":
                raise MetricInputError(
                    f"Metric 'mse': multioutput must be 'raw_values', 'uniform_average' or per-output weights, got {multioutput!r}."
                )
            multioutput = None
        return {"mse": float(np.average(per_output, weights=multioutput))}
