"""feature-extraction: the model's last hidden states, one vector per token.

Unlike the reference, a batched call returns exactly what unbatched calls return: each
text's vectors stop at its last token, with no rows for padding positions.

Example:
    >>> from embrace import pipeline  # doctest: +SKIP
    >>> extractor = pipeline("feature-extraction", model="path/to/minilm")  # doctest: +SKIP
    >>> len(extractor("hello world")[0])  # doctest: +SKIP
    4
"""

from __future__ import annotations

from typing import Any

from .base import Pipeline

_TOKENIZE_OPTIONS = ("padding", "max_length", "stride", "add_special_tokens", "return_token_type_ids",
                     "return_attention_mask", "pad_to_multiple_of", "split_special_tokens")


class FeatureExtractionPipeline(Pipeline):
    """Hidden states of a base model (or the first output of any model) for each text.

    Example:
        >>> FeatureExtractionPipeline._sequence_outputs
        {'last_hidden_state': 1}
    """

    _sequence_outputs = {"last_hidden_state": 1}

    def _sanitize_parameters(self, *, truncation: "bool | str | None" = None,
                             tokenize_kwargs: "dict[str, Any] | None" = None,
                             return_tensors: "bool | None" = None, **kwargs: Any) -> tuple[dict, dict, dict]:
        if kwargs:
            raise self._unknown_options(kwargs, ("truncation", "tokenize_kwargs", "return_tensors"))
        tokenize_kwargs = dict(tokenize_kwargs or {})
        unknown = set(tokenize_kwargs) - set(_TOKENIZE_OPTIONS) - {"truncation"}
        if unknown:
            raise TypeError(f"tokenize_kwargs got unexpected option(s) {', '.join(sorted(unknown))}; "
                            f"it takes: truncation, {', '.join(_TOKENIZE_OPTIONS)}.")
        if truncation is not None:
            if "truncation" in tokenize_kwargs:
                raise ValueError("truncation was given twice: as an argument and inside tokenize_kwargs; keep one.")
            tokenize_kwargs["truncation"] = truncation
        post = {} if return_tensors is None else {"return_tensors": return_tensors}
        return tokenize_kwargs, {}, post

    def preprocess(self, inputs: str, **tokenize_kwargs: Any) -> dict[str, Any]:
        return dict(self.tokenizer(inputs, return_tensors="pt", **tokenize_kwargs))

    def _forward(self, model_inputs: dict[str, Any]) -> dict[str, Any]:
        outputs = self.model(**model_inputs)
        return {"last_hidden_state": outputs[0]}  # (batch, seq, hidden)

    def postprocess(self, model_outputs: dict[str, Any], return_tensors: bool = False) -> Any:
        hidden = model_outputs["last_hidden_state"]  # (1, seq, hidden)
        return hidden if return_tensors else hidden.tolist()
