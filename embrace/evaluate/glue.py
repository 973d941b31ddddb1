"""The GLUE benchmark metric: one config per task, each with the task's official scores.

Example:
    >>> import embrace.evaluate as evaluate
    >>> evaluate.load("glue", "mrpc").compute(predictions=[0, 1, 1], references=[0, 1, 0])
    {'accuracy': 0.6666666666666666, 'f1': 0.6666666666666666}
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from embrace.errors import unknown_key
from embrace.evaluate.classification import matthews_corrcoef, precision_recall_f1
from embrace.evaluate.features import Value
from embrace.evaluate.module import EvaluationModule
from embrace.evaluate.regression import pearsonr, spearmanr


def _accuracy(predictions: list, references: list) -> dict[str, float]:
    return {"accuracy": float((np.asarray(predictions) == np.asarray(references)).mean())}


def _accuracy_and_f1(predictions: list, references: list) -> dict[str, float]:
    f1 = precision_recall_f1(references, predictions, average="binary", labels=None, pos_label=1,
                             sample_weight=None, zero_division="warn", metric="glue")[2]
    return {**_accuracy(predictions, references), "f1": float(f1)}


def _pearson_and_spearman(predictions: list, references: list) -> dict[str, float]:
    return {"pearson": pearsonr(predictions, references)[0], "spearmanr": spearmanr(predictions, references)[0]}


def _matthews(predictions: list, references: list) -> dict[str, float]:
    return {"matthews_correlation": matthews_corrcoef(references, predictions)}


# GLUE task -> its scores
_TASKS: dict[str, Callable[[list, list], dict[str, float]]] = {
    "cola": _matthews,
    "stsb": _pearson_and_spearman,
    "mrpc": _accuracy_and_f1,
    "qqp": _accuracy_and_f1,
    **{task: _accuracy for task in ("sst2", "mnli", "mnli_mismatched", "mnli_matched", "qnli", "rte", "wnli", "hans")},
}


class Glue(EvaluationModule):
    """GLUE scores; the config names the task (``evaluate.load("glue", "stsb")``).

    Example:
        >>> import embrace.evaluate as evaluate
        >>> evaluate.load("glue", "sst2").compute(predictions=[0, 1], references=[0, 1])
        {'accuracy': 1.0}
    """

    name = "glue"
    description = "GLUE: the official metrics of each General Language Understanding Evaluation task."
    config_names = tuple(_TASKS)

    def __init__(self, config_name: str | None = None, *, experiment_id: str | None = None) -> None:
        if config_name not in _TASKS:  # a KeyError, as the reference raises for a missing/unknown task
            raise unknown_key("GLUE task (evaluate.load('glue', <task>))", config_name, _TASKS)
        super().__init__(config_name, experiment_id=experiment_id)

    @property
    def features_spec(self):  # type: ignore[override]
        dtype = "float32" if self.config_name == "stsb" else "int64"
        return {"predictions": Value(dtype), "references": Value(dtype)}

    def _compute(self, predictions: list, references: list) -> dict[str, Any]:
        return _TASKS[self.config_name](predictions, references)
