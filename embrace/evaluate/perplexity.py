"""Perplexity of texts under a causal language model (``evaluate.load("perplexity")``).

As the reference script: all texts are tokenized together (no special tokens, padded to the
longest), a BOS token is prepended when ``add_start_token``, and each text's perplexity is
exp of its mean next-token cross-entropy over real (non-padding) positions. torch and the
model classes are imported only when this metric computes, so ``import embrace.evaluate``
stays light.

Example:
    >>> import torch, embrace.evaluate as evaluate
    >>> from embrace.evaluate.perplexity import perplexity_from_logits
    >>> logits = torch.zeros(1, 3, 5)   # uniform over 5 tokens
    >>> [round(p, 4) for p in perplexity_from_logits(logits, torch.tensor([[1, 2, 3]]), torch.ones(1, 3)).tolist()]
    [5.0]
"""

from __future__ import annotations

from typing import Any

import numpy as np

from embrace.errors import MetricInputError
from embrace.evaluate.features import Value
from embrace.evaluate.module import EvaluationModule
from embrace.utils.logging import get_logger

logger = get_logger(__name__)


def perplexity_from_logits(logits: Any, input_ids: Any, attention_mask: Any) -> Any:
    """Per-row perplexity: logits (batch, seq, vocab) predict input_ids shifted by one.

    Positions whose target is padding (attention_mask 0) are left out of the mean.
    """
    import torch

    shift_logits = logits[:, :-1, :]  # (batch, seq-1, vocab): position t predicts token t+1
    shift_labels = input_ids[:, 1:]
    shift_mask = attention_mask[:, 1:].to(shift_logits.dtype)
    # (batch, seq-1) token losses; cross_entropy wants the class axis second
    losses = torch.nn.functional.cross_entropy(shift_logits.transpose(1, 2), shift_labels, reduction="none")
    return torch.exp((losses * shift_mask).sum(1) / shift_mask.sum(1))


def _progress(iterable: Any, total: int) -> Any:
    from embrace.hub.constants import disable_progress_bars
    import os

    from tqdm.auto import tqdm

    off = disable_progress_bars() or os.environ.get("EMBRACE_DISABLE_PROGRESS_BARS", "").upper() in ("1", "TRUE", "YES", "ON")
    return tqdm(iterable, total=total, desc="perplexity", disable=bool(off))


class Perplexity(EvaluationModule):
    """Perplexity of ``predictions`` (texts) under ``model``/``tokenizer`` or ``model_id``.

    Pass a loaded causal LM and its tokenizer (``model=``, ``tokenizer=``), or a model id /
    folder (``model_id=``) that ``AutoModelForCausalLM`` and ``AutoTokenizer`` can load.

    Example:
        >>> import embrace.evaluate as evaluate
        >>> evaluate.load("perplexity").features
        {'predictions': Value(dtype='string')}
    """

    name = "perplexity"
    description = "Perplexity: exp of the average negative log-likelihood of a text under a causal language model."
    features_spec = {"predictions": Value("string")}

    def _compute(
        self, predictions: list, *, model_id: str | None = None, model: Any = None, tokenizer: Any = None,
        batch_size: int = 16, add_start_token: bool = True, device: str | None = None, max_length: int | None = None,
    ) -> dict[str, Any]:
        import torch

        model, tokenizer = self._model_and_tokenizer(model_id, model, tokenizer)
        device = device or ("cuda" if torch.cuda.is_available() else "cpu")
        model = model.to(device)
        if tokenizer.pad_token is None and len(predictions) > 1:
            # all texts are padded together, so any existing special token can pad (padded
            # positions are masked out of the loss). The reference only does this for
            # batch_size > 1 and then fails to pad with batch_size=1; we pad either way.
            special = list(tokenizer.special_tokens_map.values())
            if not special:
                raise MetricInputError("Metric 'perplexity': the tokenizer has no special token to pad with; set tokenizer.pad_token or use batch_size=1.")
            tokenizer.add_special_tokens({"pad_token": special[0]})
        if add_start_token and tokenizer.bos_token_id is None:
            raise MetricInputError("Metric 'perplexity': add_start_token=True needs a tokenizer with a bos_token; pass add_start_token=False.")
        # leave room for the BOS token inside max_length
        max_tokenized = max_length - 1 if add_start_token and max_length else max_length
        encodings = tokenizer(
            predictions, add_special_tokens=False, padding=True, truncation=bool(max_tokenized),
            max_length=max_tokenized, return_tensors="pt", return_attention_mask=True,
        )
        input_ids, attention_mask = encodings["input_ids"].to(device), encodings["attention_mask"].to(device)
        min_tokens = 1 if add_start_token else 2
        too_short = [i for i, n in enumerate(attention_mask.sum(1).tolist()) if n < min_tokens]
        if too_short:
            raise MetricInputError(
                f"Metric 'perplexity': texts {too_short[:10]} have fewer than {min_tokens} token(s); "
                + ("remove empty strings." if add_start_token else "use add_start_token=True or remove one-token/empty texts.")
            )
        perplexities: list[float] = []
        starts = range(0, len(input_ids), batch_size)
        for start in _progress(starts, total=len(starts)):
            batch_ids = input_ids[start : start + batch_size]
            batch_mask = attention_mask[start : start + batch_size]
            if add_start_token:
                bos = torch.full((batch_ids.shape[0], 1), tokenizer.bos_token_id, dtype=batch_ids.dtype, device=device)
                batch_ids = torch.cat([bos, batch_ids], dim=1)  # (batch, 1 + seq)
                batch_mask = torch.cat([torch.ones_like(bos), batch_mask], dim=1)
            with torch.no_grad():
                logits = model(batch_ids, attention_mask=batch_mask).logits
            perplexities += perplexity_from_logits(logits, batch_ids, batch_mask).tolist()
        return {"perplexities": perplexities, "mean_perplexity": float(np.mean(perplexities))}

    @staticmethod
    def _model_and_tokenizer(model_id: str | None, model: Any, tokenizer: Any) -> tuple[Any, Any]:
        if model_id is not None:
            if model is not None or tokenizer is not None:
                raise MetricInputError("Metric 'perplexity': pass either model_id or model + tokenizer, not both.")
            from embrace.auto import AutoModelForCausalLM
            from embrace.tokenization.auto import AutoTokenizer

            logger.info("loading %s for perplexity", model_id)
            return AutoModelForCausalLM.from_pretrained(model_id).eval(), AutoTokenizer.from_pretrained(model_id)
        if model is None or tokenizer is None:
            raise MetricInputError("Metric 'perplexity': give model_id='<model id or folder>', or both model= and tokenizer=.")
        return model.eval(), tokenizer
