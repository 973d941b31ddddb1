"""The metric registry, ``load``, ``combine`` and ``list_evaluation_modules``.

Names resolve offline to built-in metric classes: ``"accuracy"`` and the hub-style
``"evaluate-metric/accuracy"`` are the same metric. Nothing is downloaded (the reference
would fetch a script from the hub and run it; embrace never runs remote code), so an
unknown name fails at once with the list of known ones.

Example:
    >>> import embrace.evaluate as evaluate
    >>> evaluate.load("evaluate-metric/accuracy").name
    'accuracy'
    >>> "rouge" in evaluate.list_evaluation_modules()
    True
"""

from __future__ import annotations

import importlib
import os
from typing import Any

from embrace.errors import EvaluationModuleNotFoundError, MetricInputError
from embrace.evaluate.module import CombinedEvaluations, EvaluationModule

# metric name -> "module:Class" inside embrace.evaluate (imported on first load)
METRICS: dict[str, str] = {
    "accuracy": "classification:Accuracy",
    "precision": "classification:Precision",
    "recall": "classification:Recall",
    "f1": "classification:F1",
    "matthews_correlation": "classification:MatthewsCorrelation",
    "pearsonr": "regression:Pearsonr",
    "spearmanr": "regression:Spearmanr",
    "mse": "regression:Mse",
    "glue": "glue:Glue",
    "squad": "squad:Squad",
    "squad_v2": "squad:SquadV2",
    "seqeval": "seqeval:Seqeval",
    "bleu": "text:Bleu",
    "sacrebleu": "text:Sacrebleu",
    "exact_match": "text:ExactMatch",
    "rouge": "rouge:Rouge",
    "perplexity": "perplexity:Perplexity",
}
_HUB_NAMESPACE = "evaluate-metric/"


def _metric_class(path: str) -> type[EvaluationModule]:
    name = path[len(_HUB_NAMESPACE):] if path.startswith(_HUB_NAMESPACE) else path
    # a local metric script folder ("./metrics/accuracy") names the metric by its last part
    name = name.rstrip("/").rsplit("/", 1)[-1] if os.path.isdir(path) else name
    name = name[:-3] if name.endswith(".py") else name
    if name not in METRICS:
        raise EvaluationModuleNotFoundError(
            f"Unknown evaluation module {path!r}. embrace is offline-first and never downloads or runs metric "
            f"scripts; the built-in metrics are: {', '.join(sorted(METRICS))} (also as 'evaluate-metric/<name>')."
        )
    module_name, class_name = METRICS[name].split(":")
    return getattr(importlib.import_module(f"embrace.evaluate.{module_name}"), class_name)


def load(
    path: str, config_name: str | None = None, *, module_type: str | None = None,
    experiment_id: str | None = None, keep_in_memory: bool = False, **init_kwargs: Any,
) -> EvaluationModule:
    """Instantiate a metric by name (``evaluate.load``).

    Args:
        path: a metric name (``"f1"``), its hub id (``"evaluate-metric/f1"``) or a local
            folder named after a built-in metric.
        config_name: the metric's configuration (``"mrpc"`` for GLUE, ``"multilist"`` for mse).
        module_type: ``"metric"`` (the only type embrace ships) or None.
        experiment_id: a label kept on the metric (the reference uses it to separate caches).
        keep_in_memory: accepted for compatibility; inputs are always kept in memory.
        init_kwargs: options of the metric's configuration, e.g. ``no_answer_threshold``
            for ``squad_v2``; unknown ones raise ``TypeError``.

    Example:
        >>> import embrace.evaluate as evaluate
        >>> evaluate.load("glue", "cola").config_name
        'cola'
    """
    del keep_in_memory  # examples always live in memory until compute()
    if module_type not in (None, "metric"):
        raise EvaluationModuleNotFoundError(
            f"embrace ships evaluation modules of type 'metric' only; got module_type={module_type!r}."
        )
    cls = _metric_class(path)
    try:
        return cls(config_name, experiment_id=experiment_id, **init_kwargs)
    except TypeError as err:
        if init_kwargs and "unexpected keyword" in str(err):
            raise TypeError(f"load({path!r}) got options the metric does not take: {sorted(init_kwargs)}.") from None
        raise


def combine(evaluations: Any, force_prefix: bool = False) -> CombinedEvaluations:
    """Group metrics so that one ``compute`` returns all their scores (``evaluate.combine``).

    Example:
        >>> import embrace.evaluate as evaluate
        >>> evaluate.combine(["precision", "recall"]).compute(predictions=[1, 1, 0], references=[1, 0, 0])
        {'precision': 0.5, 'recall': 1.0}
    """
    if isinstance(evaluations, (str, EvaluationModule)):
        raise MetricInputError("combine() takes a list (or dict) of metrics, e.g. combine(['accuracy', 'f1']).")
    return CombinedEvaluations(evaluations, force_prefix=force_prefix)


def list_evaluation_modules(module_type: str | None = None, include_community: bool = True, with_details: bool = False) -> list:
    """Names of the available metrics (all built in; there is no community hub offline).

    Example:
        >>> import embrace.evaluate as evaluate
        >>> evaluate.list_evaluation_modules(module_type="comparison")
        []
    """
    del include_community  # every module is built in
    if module_type not in (None, "metric"):
        return []
    names = sorted(METRICS)
    if with_details:
        return [{"name": name, "type": "metric", "community": False, "likes": 0} for name in names]
    return names
