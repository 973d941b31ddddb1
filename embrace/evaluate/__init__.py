"""embrace.evaluate: metrics with the reference numbers (``import embrace.evaluate as evaluate``).

``load(name)`` returns a metric with ``compute``, ``add`` and ``add_batch``; ``combine``
groups several; ``list_evaluation_modules`` lists them. Everything runs offline on
numpy and the standard library (perplexity imports torch when it computes).

Example:
    >>> import embrace.evaluate as evaluate
    >>> evaluate.load("accuracy").compute(predictions=[1, 0, 1], references=[1, 1, 1])
    {'accuracy': 0.6666666666666666}
"""

from embrace.evaluate.loading import combine, list_evaluation_modules, load
from embrace.evaluate.module import CombinedEvaluations, EvaluationModule

# the reference's name for the metric flavour of an evaluation module
Metric = EvaluationModule

__all__ = ["CombinedEvaluations", "EvaluationModule", "Metric", "combine", "list_evaluation_modules", "load"]
