"""fill-mask: the most likely tokens for each mask token of a text.

Example:
    >>> from embrace import pipeline  # doctest: +SKIP
    >>> unmasker = pipeline("fill-mask", model="path/to/bert")  # doctest: +SKIP
    >>> unmasker("Paris is the [MASK] of France.", top_k=1)  # doctest: +SKIP
    [{'score': 0.9, 'token': 3007, 'token_str': 'capital', 'sequence': 'paris is the capital of france.'}]
"""

from __future__ import annotations

from typing import Any

import torch

from ..errors import PipelineException
from ..utils.logging import get_logger
from .base import Pipeline

logger = get_logger(__name__)


class FillMaskPipeline(Pipeline):
    """Predict masked tokens with a masked-LM head.

    One mask: a list of ``top_k`` dicts (score, token, token_str, sequence); several masks:
    one such list per mask. ``targets`` limits the candidates to the given words.

    Example:
        >>> FillMaskPipeline._sequence_outputs
        {'logits': 1}
    """

    _sequence_outputs = {"logits": 1}

    def _sanitize_parameters(self, *, top_k: "int | None" = None, targets: Any = None,
                             tokenizer_kwargs: "dict[str, Any] | None" = None, **kwargs: Any) -> tuple[dict, dict, dict]:
        if kwargs:
            raise self._unknown_options(kwargs, ("top_k", "targets", "tokenizer_kwargs"))
        if self.tokenizer.mask_token_id is None:
            raise PipelineException(
                f"fill-mask needs a tokenizer with a mask token, but {type(self.tokenizer).__name__} defines none."
            )
        pre = {"tokenizer_kwargs": tokenizer_kwargs} if tokenizer_kwargs is not None else {}
        post: dict[str, Any] = {}
        if targets is not None:
            post["target_ids"] = self._target_ids(targets)
        if top_k is not None:
            if isinstance(top_k, bool) or not isinstance(top_k, int) or top_k < 1:
                raise ValueError(f"top_k must be a positive int, got {top_k!r}.")
            post["top_k"] = top_k
        return pre, {}, post

    def _target_ids(self, targets: "str | list[str]") -> list[int]:
        """Token ids of the target words; a word not in the vocabulary becomes its first token."""
        vocab = self.tokenizer.get_vocab()
        ids: list[int] = []
        for target in [targets] if isinstance(targets, str) else targets:
            token_id = vocab.get(target)
            if token_id is None:
                pieces = self.tokenizer(target, add_special_tokens=False, return_attention_mask=False,
                                        return_token_type_ids=False, max_length=1, truncation=True)["input_ids"]
                if not pieces:
                    logger.warning("The specified target token `%s` does not exist in the model vocabulary. "
                                   "We cannot replace it with anything meaningful, ignoring it", target)
                    continue
                token_id = pieces[0]
                logger.warning("The specified target token `%s` does not exist in the model vocabulary. "
                               "Replacing with `%s`.", target, self.tokenizer.convert_ids_to_tokens(token_id))
            ids.append(token_id)
        # The reference dedups through a set; sorted keeps the order stable between runs.
        ids = sorted(set(ids))
        if not ids:
            raise ValueError("At least one target must be provided when passed.")
        return ids

    def __call__(self, inputs: Any, **kwargs: Any) -> Any:
        """Fill the mask(s) of one text or of each text of a list."""
        outputs = super().__call__(inputs, **kwargs)
        if isinstance(inputs, list) and len(inputs) == 1:
            return outputs[0]
        return outputs

    def preprocess(self, inputs: str, tokenizer_kwargs: "dict[str, Any] | None" = None) -> dict[str, Any]:
        model_inputs = dict(self.tokenizer(inputs, return_tensors="pt", **(tokenizer_kwargs or {})))
        if not (model_inputs["input_ids"][0] == self.tokenizer.mask_token_id).any():
            raise PipelineException(
                f"No mask_token ({self.tokenizer.mask_token}) found on the input {inputs!r}: put at least one "
                f"{self.tokenizer.mask_token} where the model should fill in a token."
            )
        return model_inputs

    def _forward(self, model_inputs: dict[str, Any]) -> dict[str, Any]:
        logits = self.model(**model_inputs).logits  # (batch, seq, vocab)
        return {"logits": logits, "input_ids": model_inputs["input_ids"]}

    def postprocess(self, model_outputs: dict[str, Any], top_k: int = 5,
                    target_ids: "list[int] | None" = None) -> Any:
        if target_ids is not None:
            top_k = min(top_k, len(target_ids))
        input_ids = model_outputs["input_ids"][0]  # (seq,)
        masked = torch.nonzero(input_ids == self.tokenizer.mask_token_id).squeeze(-1)  # (masks,)
        probs = model_outputs["logits"][0, masked].float().softmax(-1)  # (masks, vocab)
        if target_ids is not None:
            probs = probs[:, target_ids]
        values, predictions = probs.topk(top_k)
        single = len(masked) == 1
        results = []
        for mask_index, (row_values, row_ids) in enumerate(zip(values.tolist(), predictions.tolist())):
            row = []
            for score, token in zip(row_values, row_ids):
                if target_ids is not None:
                    token = target_ids[token]
                tokens = input_ids.clone()
                tokens[masked[mask_index]] = token
                tokens = tokens[tokens != self.tokenizer.pad_token_id]
                row.append({"score": score, "token": token, "token_str": self.tokenizer.decode([token]),
                            "sequence": self.tokenizer.decode(tokens, skip_special_tokens=single)})
            results.append(row)
        return results[0] if single else results
