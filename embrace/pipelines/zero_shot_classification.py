"""zero-shot-classification: rank labels chosen at call time with an NLI model.

Each (text, label) becomes the premise/hypothesis pair ``(text, template.format(label))``;
the model's *entailment* logit says how well the label fits.

Example:
    >>> from embrace.pipelines.zero_shot_classification import parse_labels
    >>> parse_labels("sports, politics,  ")
    ['sports', 'politics']
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..errors import PipelineException
from ..utils.logging import get_logger
from .base import Pipeline

logger = get_logger(__name__)


def parse_labels(labels: "str | list[str]") -> list[str]:
    """Candidate labels from a list or one comma-separated string."""
    if isinstance(labels, str):
        return [label.strip() for label in labels.split(",") if label.strip()]
    return list(labels)


class ZeroShotClassificationPipeline(Pipeline):
    """Score candidate labels for texts with a sequence-classification model trained on NLI.

    Returns ``{"sequence", "labels", "scores"}`` with labels sorted by score. With
    ``multi_label=True`` each label is scored on its own (entailment vs contradiction).

    Example:
        >>> parse_labels(["a", "b"])
        ['a', 'b']
    """

    _chunked = True

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.entailment_id == -1:
            logger.warning("Failed to determine 'entailment' label id from the label2id mapping in the model config. "
                           "Setting to -1. Define a descriptive label2id mapping in the model config to ensure "
                           "correct outputs.")

    @property
    def entailment_id(self) -> int:
        """The label id whose name starts with "entail" (case-insensitive), or -1."""
        for label, index in self.model.config.label2id.items():
            if label.lower().startswith("entail"):
                return index
        return -1

    def _sanitize_parameters(self, *, candidate_labels: Any = None, hypothesis_template: "str | None" = None,
                             multi_label: "bool | None" = None, **kwargs: Any) -> tuple[dict, dict, dict]:
        if kwargs:
            raise self._unknown_options(kwargs, ("candidate_labels", "hypothesis_template", "multi_label"))
        pre: dict[str, Any] = {}
        if candidate_labels is not None:
            pre["candidate_labels"] = parse_labels(candidate_labels)
        if hypothesis_template is not None:
            pre["hypothesis_template"] = hypothesis_template
        return pre, {}, ({} if multi_label is None else {"multi_label": multi_label})

    def __call__(self, sequences: Any, *args: Any, **kwargs: Any) -> Any:
        """Classify one text or a list of texts; labels as the second argument or ``candidate_labels=``."""
        if len(args) == 1 and "candidate_labels" not in kwargs:
            kwargs["candidate_labels"] = args[0]
        elif args:
            raise ValueError(f"Unable to understand extra arguments {args}: pass candidate_labels=... instead.")
        return super().__call__(sequences, **kwargs)

    def preprocess(self, sequence: str, candidate_labels: "list[str] | None" = None,
                   hypothesis_template: str = "This example is {}."):
        if not candidate_labels or not sequence:
            raise PipelineException("You must include at least one label and at least one sequence.")
        if hypothesis_template.format(candidate_labels[0]) == hypothesis_template:
            raise PipelineException(
                f'The provided hypothesis_template "{hypothesis_template}" was not able to be formatted with the '
                "target labels. Make sure the passed template includes formatting syntax such as {} where the "
                "label should go."
            )
        for label in candidate_labels:
            # Truncate the premise only, so the hypothesis (the label) is never cut.
            encoded = self._tokenize_pair(sequence, hypothesis_template.format(label))
            yield {**encoded, "candidate_label": label, "sequence": sequence}

    def _tokenize_pair(self, premise: str, hypothesis: str) -> dict[str, Any]:
        try:
            return dict(self.tokenizer(premise, hypothesis, return_tensors="pt", truncation="only_first"))
        except Exception as err:  # a hypothesis longer than the model can take: send it whole
            if "too short" not in str(err):
                raise
            return dict(self.tokenizer(premise, hypothesis, return_tensors="pt", truncation=False))

    def _forward(self, inputs: dict[str, Any]) -> dict[str, Any]:
        model_inputs = {k: inputs[k] for k in self.tokenizer.model_input_names if k in inputs}
        logits = self.model(**model_inputs).logits  # (batch, num_nli_labels)
        return {"logits": logits, "candidate_label": inputs["candidate_label"], "sequence": inputs["sequence"]}

    def postprocess(self, outputs: list[dict[str, Any]], multi_label: bool = False) -> dict[str, Any]:
        labels = [output["candidate_label"] for output in outputs]
        logits = np.concatenate([output["logits"].float().numpy() for output in outputs])  # (labels, nli)
        if multi_label or len(labels) == 1:
            entail = self.entailment_id
            contradiction = -1 if entail == 0 else 0
            pair = np.exp(logits[:, [contradiction, entail]])
            scores = pair[:, 1] / pair.sum(-1)
        else:
            entail_logits = np.exp(logits[:, self.entailment_id])
            scores = entail_logits / entail_logits.sum()
        order = list(reversed(scores.argsort()))
        return {"sequence": outputs[0]["sequence"], "labels": [labels[i] for i in order],
                "scores": scores[order].tolist()}
