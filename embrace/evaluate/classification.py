"""Classification metrics: accuracy, precision, recall, f1, matthews_correlation.

The numbers follow scikit-learn's definitions, which the reference metric scripts call:
labels are the sorted union of the classes seen (or ``labels=``), per-class counts are
weighted by ``sample_weight``, ``average`` picks how per-class scores are combined and
``zero_division`` fills 0/0 scores.

Example:
    >>> import embrace.evaluate as evaluate
    >>> evaluate.load("precision").compute(predictions=[0, 2, 1, 0], references=[0, 1, 2, 0], average="macro")
    {'precision': 0.3333333333333333}
"""

from __future__ import annotations

import warnings
from typing import Any, Callable

import numpy as np

from embrace.errors import MetricInputError
from embrace.evaluate.features import Value
from embrace.evaluate.module import EvaluationModule

_LABELS = {"predictions": Value("int32"), "references": Value("int32")}
_AVERAGES = ("binary", "micro", "macro", "weighted", None)


def _weights(sample_weight: Any, n: int, metric: str) -> np.ndarray:
    if sample_weight is None:
        return np.ones(n, dtype=np.float64)
    weights = np.asarray(sample_weight, dtype=np.float64)
    if weights.shape != (n,):
        raise MetricInputError(f"Metric {metric!r}: sample_weight has {weights.size} values for {n} examples; give one per example.")
    return weights


def _zero_division_value(zero_division: Any, metric: str) -> float:
    if isinstance(zero_division, str) and zero_division == "warn":
        return 0.0
    if isinstance(zero_division, (int, float)) and (zero_division in (0, 1) or np.isnan(zero_division)):
        return float(zero_division)
    raise MetricInputError(f"Metric {metric!r}: zero_division must be 'warn', 0, 1 or np.nan, got {zero_division!r}.")


def _divide(numerator: np.ndarray, denominator: np.ndarray, fill: float, *, what: str, warn: bool) -> np.ndarray:
    """Element-wise ratio; where the denominator is 0 the score is ``fill`` (and a warning
    is shown when zero_division='warn', as the reference does)."""
    zero = denominator == 0
    result = numerator / np.where(zero, 1.0, denominator)
    if zero.any():
        result[zero] = fill
        if warn:
            warnings.warn(f"{what} is ill-defined and being set to {fill} for labels with no samples; "
                          "use `zero_division` to control this.", UserWarning, stacklevel=4)
    return result


def precision_recall_f1(
    references: list, predictions: list, *, average: str | None, labels: Any, pos_label: Any,
    sample_weight: Any, zero_division: Any, metric: str,
) -> tuple[Any, Any, Any]:
    """Precision, recall and F1, averaged as asked (arrays over labels for ``average=None``)."""
    if average not in _AVERAGES:
        raise MetricInputError(f"Metric {metric!r}: average must be one of {list(_AVERAGES)}, got {average!r}.")
    fill = _zero_division_value(zero_division, metric)
    y_true, y_pred = np.asarray(references), np.asarray(predictions)
    present = np.unique(np.concatenate([y_true, y_pred]))
    if average == "binary":
        if len(present) > 2:
            raise MetricInputError(
                f"Metric {metric!r}: target is multiclass ({len(present)} labels) but average='binary'. "
                f"Choose another average setting, one of {[a for a in _AVERAGES if a != 'binary']}."
            )
        if pos_label not in present and len(present) >= 2:
            raise MetricInputError(f"Metric {metric!r}: pos_label={pos_label} is not a valid label. It should be one of {present.tolist()}.")
        label_list = np.asarray([pos_label])
    elif labels is not None:
        label_list = np.asarray(labels)
    else:
        label_list = present
    weights = _weights(sample_weight, len(y_true), metric)
    # per label: (n_labels,) weighted counts of true positives, predictions and truths
    tp = np.array([weights[(y_true == lab) & (y_pred == lab)].sum() for lab in label_list], dtype=np.float64)
    pred_sum = np.array([weights[y_pred == lab].sum() for lab in label_list], dtype=np.float64)
    true_sum = np.array([weights[y_true == lab].sum() for lab in label_list], dtype=np.float64)
    if average == "micro":
        tp, pred_sum, true_sum = tp.sum(keepdims=True), pred_sum.sum(keepdims=True), true_sum.sum(keepdims=True)
    warn = isinstance(zero_division, str)
    precision = _divide(tp, pred_sum, fill, what="Precision", warn=warn and metric == "precision")
    recall = _divide(tp, true_sum, fill, what="Recall", warn=warn and metric == "recall")
    f1 = _divide(2 * tp, true_sum + pred_sum, fill, what="F-score", warn=warn and metric == "f1")
    if average is None:
        return precision, recall, f1
    avg_weights = true_sum if average == "weighted" else None
    return tuple(_nanaverage(score, avg_weights) for score in (precision, recall, f1))


def _nanaverage(scores: np.ndarray, weights: np.ndarray | None) -> float:
    """Average ignoring NaN scores (zero_division=np.nan); all-zero weights fall back to a plain mean."""
    keep = ~np.isnan(scores)
    if not keep.any():
        return float("nan")
    if weights is None or weights[keep].sum() == 0:
        return float(np.mean(scores[keep]))
    return float(np.average(scores[keep], weights=weights[keep]))


def _scalar_or_array(score: Any) -> Any:
    # the reference returns a float for one score and the per-label array otherwise
    return float(np.asarray(score).reshape(-1)[0]) if np.size(score) == 1 else score


class _PRF(EvaluationModule):
    """Shared body of precision / recall / f1: they differ only in the score they return."""

    features_spec = _LABELS
    _pick: Callable[[tuple], Any]

    def _compute(
        self, predictions: list, references: list, *, labels: Any = None, pos_label: Any = 1,
        average: str | None = "binary", sample_weight: Any = None, zero_division: Any = "warn",
    ) -> dict[str, Any]:
        scores = precision_recall_f1(
            references, predictions, average=average, labels=labels, pos_label=pos_label,
            sample_weight=sample_weight, zero_division=zero_division, metric=self.name,
        )
        return {self.name: _scalar_or_array(type(self)._pick(scores))}


class Precision(_PRF):
    """Precision = TP / (TP + FP) (``evaluate.load("precision")``).

    Example:
        >>> import embrace.evaluate as evaluate
        >>> evaluate.load("precision").compute(predictions=[0, 1, 1], references=[0, 1, 0])
        {'precision': 0.5}
    """

    name = "precision"
    description = "Precision is the fraction of correctly labeled positive examples out of all of the examples labeled positive."
    _pick = staticmethod(lambda scores: scores[0])


class Recall(_PRF):
    """Recall = TP / (TP + FN) (``evaluate.load("recall")``).

    Example:
        >>> import embrace.evaluate as evaluate
        >>> evaluate.load("recall").compute(predictions=[0, 1, 0], references=[1, 1, 0])
        {'recall': 0.5}
    """

    name = "recall"
    description = "Recall is the fraction of the positive examples that were correctly labeled positive."
    _pick = staticmethod(lambda scores: scores[1])


class F1(_PRF):
    """F1 = 2 * precision * recall / (precision + recall) (``evaluate.load("f1")``).

    Example:
        >>> import embrace.evaluate as evaluate
        >>> evaluate.load("f1").compute(predictions=[0, 1, 1], references=[0, 1, 0])
        {'f1': 0.6666666666666666}
    """

    name = "f1"
    description = "The F1 score is the harmonic mean of the precision and recall."
    _pick = staticmethod(lambda scores: scores[2])


class Accuracy(EvaluationModule):
    """Fraction (or, with ``normalize=False``, weighted count) of correct predictions.

    Example:
        >>> import embrace.evaluate as evaluate
        >>> evaluate.load("accuracy").compute(predictions=[0, 1, 2], references=[0, 1, 1], normalize=False)
        {'accuracy': 2.0}
    """

    name = "accuracy"
    description = "Accuracy is the proportion of correct predictions among the total number of cases processed."
    features_spec = _LABELS

    def _compute(self, predictions: list, references: list, *, normalize: bool = True, sample_weight: Any = None) -> dict[str, float]:
        correct = (np.asarray(predictions) == np.asarray(references)).astype(np.float64)
        weights = _weights(sample_weight, len(correct), self.name)
        if normalize:
            return {"accuracy": float(np.average(correct, weights=weights))}
        return {"accuracy": float(np.dot(correct, weights))}


def matthews_corrcoef(references: list, predictions: list, sample_weight: Any = None) -> float:
    """Multiclass Matthews correlation from the weighted confusion matrix (0.0 when undefined)."""
    y_true, y_pred = np.asarray(references), np.asarray(predictions)
    labels = np.unique(np.concatenate([y_true, y_pred]))
    weights = _weights(sample_weight, len(y_true), "matthews_correlation")
    # confusion matrix (n_labels, n_labels): rows = truth, columns = prediction
    confusion = np.zeros((len(labels), len(labels)), dtype=np.float64)
    np.add.at(confusion, (np.searchsorted(labels, y_true), np.searchsorted(labels, y_pred)), weights)
    t_sum, p_sum = confusion.sum(axis=1), confusion.sum(axis=0)
    n_correct, n_samples = np.trace(confusion), p_sum.sum()
    cov_ytyp = n_correct * n_samples - np.dot(t_sum, p_sum)
    cov_ypyp = n_samples**2 - np.dot(p_sum, p_sum)
    cov_ytyt = n_samples**2 - np.dot(t_sum, t_sum)
    if cov_ypyp * cov_ytyt == 0:
        return 0.0
    return float(cov_ytyp / np.sqrt(cov_ytyt * cov_ypyp))


class MatthewsCorrelation(EvaluationModule):
    """Matthews correlation coefficient, in [-1, 1] (``evaluate.load("matthews_correlation")``).

    Example:
        >>> import embrace.evaluate as evaluate
        >>> evaluate.load("matthews_correlation").compute(predictions=[1, 1, 0, 0], references=[1, 1, 0, 0])
        {'matthews_correlation': 1.0}
    """

    name = "matthews_correlation"
    description = "The Matthews correlation coefficient measures the quality of binary and multiclass classifications."
    features_spec = _LABELS

    def _compute(self, predictions: list, references: list, *, sample_weight: Any = None) -> dict[str, float]:
        return {"matthews_correlation": matthews_corrcoef(references, predictions, sample_weight)}
