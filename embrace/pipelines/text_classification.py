"""text-classification (alias sentiment-analysis): labels and scores for texts or text pairs.

Example:
    >>> from embrace.pipelines.text_classification import SCORE_FUNCTIONS
    >>> sorted(SCORE_FUNCTIONS)
    ['none', 'sigmoid', 'softmax']
"""

from __future__ import annotations

from typing import Any, Callable

import torch

from ..utils.logging import get_logger
from .base import Pipeline

logger = get_logger(__name__)

# function_to_apply name -> how logits (labels,) become scores
SCORE_FUNCTIONS: dict[str, Callable[[torch.Tensor], torch.Tensor]] = {
    "sigmoid": torch.sigmoid,
    "softmax": lambda logits: logits.softmax(-1),
    "none": lambda logits: logits,
}

TOKENIZE_OPTIONS = ("truncation", "padding", "max_length", "stride", "add_special_tokens",
                    "return_token_type_ids", "pad_to_multiple_of")


def default_score_function(config: Any) -> str:
    """The scores the reference gives when function_to_apply is not set, from the config."""
    problem_type = getattr(config, "problem_type", None)
    if problem_type == "regression":
        return "none"
    if problem_type == "multi_label_classification" or config.num_labels == 1:
        return "sigmoid"
    if problem_type == "single_label_classification" or config.num_labels > 1:
        return "softmax"
    return getattr(config, "function_to_apply", "none")


class TextClassificationPipeline(Pipeline):
    """Classify texts with a sequence-classification head.

    A call on one string returns a list with one ``{"label", "score"}`` dict (the reference's
    shape); ``top_k=N`` returns the N best labels sorted by score, ``top_k=None`` all of them.

    Example:
        >>> default_score_function(type("C", (), {"problem_type": None, "num_labels": 3})())
        'softmax'
    """

    def _sanitize_parameters(self, *, function_to_apply: "str | None" = None, top_k: Any = "",
                             return_all_scores: "bool | None" = None, **tokenizer_kwargs: Any) -> tuple[dict, dict, dict]:
        unknown = {k: v for k, v in tokenizer_kwargs.items() if k not in TOKENIZE_OPTIONS}
        if unknown:
            raise self._unknown_options(unknown, ("function_to_apply", "top_k", "return_all_scores", *TOKENIZE_OPTIONS))
        post: dict[str, Any] = {}
        if isinstance(top_k, int) or top_k is None:
            post["top_k"] = top_k
            post["_legacy"] = False
        elif top_k != "":
            raise TypeError(f"top_k must be an int or None, got {top_k!r}.")
        elif return_all_scores is not None:
            # v4 spelling: all labels in label order (True) or the best one (False).
            logger.warning("return_all_scores is deprecated: use top_k=None for all scores or top_k=1 for the best.")
            post["top_k"] = None if return_all_scores else 1
        if function_to_apply is not None:
            name = str(getattr(function_to_apply, "value", function_to_apply)).lower()
            if name not in SCORE_FUNCTIONS:
                raise ValueError(f"Unrecognized function_to_apply {function_to_apply!r}: use one of "
                                 f"{', '.join(sorted(SCORE_FUNCTIONS))} (or leave it unset for the default).")
            post["function_to_apply"] = name
        return tokenizer_kwargs, {}, post

    def __call__(self, inputs: Any, **kwargs: Any) -> Any:
        """Classify one text, one ``{"text", "text_pair"}`` pair, or a list / stream of them."""
        result = super().__call__(inputs, **kwargs)
        legacy = "top_k" not in kwargs
        if isinstance(inputs, str) and legacy:
            return [result]
        return result

    def preprocess(self, inputs: Any, **tokenizer_kwargs: Any) -> dict[str, Any]:
        if isinstance(inputs, dict):
            unknown = set(inputs) - {"text", "text_pair"}
            if unknown or "text" not in inputs:
                raise ValueError(f'A text pair is a dict with keys "text" and "text_pair"; got keys {sorted(inputs)}.')
            return dict(self.tokenizer(**inputs, return_tensors="pt", **tokenizer_kwargs))
        if isinstance(inputs, list) and len(inputs) == 1 and isinstance(inputs[0], list) and len(inputs[0]) == 2:
            return dict(self.tokenizer(text=inputs[0][0], text_pair=inputs[0][1], return_tensors="pt", **tokenizer_kwargs))
        if not isinstance(inputs, str):
            raise ValueError(
                f"text-classification takes strings or {{'text': ..., 'text_pair': ...}} dicts, got "
                f"{type(inputs).__name__}. To classify a text pair send {{'text': 'My text', 'text_pair': 'My pair'}}."
            )
        return dict(self.tokenizer(inputs, return_tensors="pt", **tokenizer_kwargs))

    def _forward(self, model_inputs: dict[str, Any]) -> dict[str, Any]:
        return {"logits": self.model(**model_inputs).logits}  # (batch, num_labels)

    def postprocess(self, model_outputs: dict[str, Any], function_to_apply: "str | None" = None,
                    top_k: "int | None" = 1, _legacy: bool = True) -> Any:
        config = self.model.config
        function_to_apply = function_to_apply or default_score_function(config)
        scores = SCORE_FUNCTIONS[function_to_apply](model_outputs["logits"][0].float())  # (num_labels,)
        if top_k == 1 and _legacy:
            best = int(scores.argmax())
            return {"label": config.id2label[best], "score": scores[best].item()}
        ranked = [{"label": config.id2label[i], "score": s} for i, s in enumerate(scores.tolist())]
        if not _legacy:
            ranked.sort(key=lambda entry: entry["score"], reverse=True)
            if top_k is not None:
                ranked = ranked[:top_k]
        return ranked
