"""Resizing a model's token embeddings (and its output projection) to a new vocabulary size.

The embedding module is kept and its weight's data swapped for the resized matrix, so
a tied output layer (the same ``nn.Parameter``) follows automatically. Added rows are
drawn around the old rows' mean (``mean_resizing=True``), which keeps next-token
probabilities almost unchanged, or from the model's own initialiser.

Example:
    >>> from torch import nn
    >>> from embrace.configuration import PretrainedConfig
    >>> from embrace.modeling.modeling_utils import PreTrainedModel
    >>> class Tiny(PreTrainedModel):
    ...     config_class = PretrainedConfig
    ...     def __init__(self, config):
    ...         super().__init__(config)
    ...         self.embed_tokens = nn.Embedding(10, 4)
    ...         self.post_init()
    >>> Tiny(PretrainedConfig()).resize_token_embeddings(12).weight.shape
    torch.Size([12, 4])
"""

from __future__ import annotations

import logging
from typing import Any

import torch
from torch import nn

logger = logging.getLogger("embrace.modeling.modeling_utils")


def _fill_added_rows_with_mean(old_weight: torch.Tensor, new_weight: torch.Tensor, old_rows: int, added: int) -> None:
    """Fill the last ``added`` rows of ``new_weight`` with draws close to the old rows' mean.

    The draws come from a normal distribution with the old rows' mean and a tiny
    (1e-9 scaled) copy of their covariance; if that covariance is not positive
    definite the mean itself is used.
    """
    old = old_weight.detach().to(torch.float32)
    mean = old.mean(dim=0)
    centered = old - mean
    covariance = centered.T @ centered / old_rows
    scaled = 1e-9 * covariance
    is_pd = bool(torch.distributions.constraints.positive_definite.check(scaled).all())
    if is_pd:
        dist = torch.distributions.multivariate_normal.MultivariateNormal(mean, covariance_matrix=scaled)
        new_weight.data[-added:, :] = dist.sample(sample_shape=(added,)).to(old_weight.dtype)
    else:
        new_weight.data[-added:, :] = mean[None, :].repeat(added, 1).to(old_weight.dtype)


def _resized_embedding(model: Any, old: nn.Module, new_num_tokens: int | None, pad_to_multiple_of: int | None, mean_resizing: bool) -> nn.Module:
    if pad_to_multiple_of is not None:
        if not isinstance(pad_to_multiple_of, int) or isinstance(pad_to_multiple_of, bool) or pad_to_multiple_of <= 0:
            raise ValueError(f"pad_to_multiple_of must be a positive int, got {pad_to_multiple_of!r}.")
        if new_num_tokens is None:
            new_num_tokens = old.weight.shape[0]
        new_num_tokens = -(-new_num_tokens // pad_to_multiple_of) * pad_to_multiple_of
    if new_num_tokens is None:
        return old
    if not isinstance(new_num_tokens, int) or new_num_tokens <= 0:
        raise ValueError(f"new_num_tokens must be a positive int, got {new_num_tokens!r}.")
    old_rows, dim = old.weight.shape
    if old_rows == new_num_tokens:
        old.num_embeddings = new_num_tokens  # a tied weight may have been resized already
        return old
    if not isinstance(old, nn.Embedding):
        raise TypeError(
            f"The input embeddings are a {type(old).__name__}, not an nn.Embedding, so they cannot be resized "
            "generically; override resize_token_embeddings for this model."
        )
    fresh = nn.Embedding(new_num_tokens, dim, device=old.weight.device, dtype=old.weight.dtype)
    added = new_num_tokens - old_rows
    with torch.no_grad():
        if added > 0 and not mean_resizing:
            model._init_weights(fresh)
        elif added > 0:
            _fill_added_rows_with_mean(old.weight, fresh.weight, old_rows, added)
        keep = min(old_rows, new_num_tokens)
        fresh.weight.data[:keep, :] = old.weight.data[:keep, :]
    old.weight.data = fresh.weight.data
    old.num_embeddings = new_num_tokens
    if old.padding_idx is not None and new_num_tokens - 1 < old.padding_idx:
        old.padding_idx = None
    return old


def _resized_lm_head(model: Any, old: nn.Module, new_num_tokens: int | None, mean_resizing: bool) -> nn.Module:
    if new_num_tokens is None:
        return old
    old_rows, dim = old.weight.shape
    if old_rows == new_num_tokens:
        if hasattr(old, "out_features"):
            old.out_features = new_num_tokens  # tied to the already resized input embedding
        return old
    if not isinstance(old, nn.Linear):
        raise TypeError(
            f"The output embeddings are a {type(old).__name__}, not an nn.Linear, so they cannot be resized "
            "generically; override resize_token_embeddings for this model."
        )
    has_bias = old.bias is not None
    fresh = nn.Linear(dim, new_num_tokens, bias=has_bias, device=old.weight.device, dtype=old.weight.dtype)
    added = new_num_tokens - old_rows
    with torch.no_grad():
        if added > 0 and not mean_resizing:
            model._init_weights(fresh)
        elif added > 0:
            _fill_added_rows_with_mean(old.weight, fresh.weight, old_rows, added)
            if has_bias:
                bias_mean = torch.mean(old.bias.data, dim=0, dtype=torch.float32)
                bias_std = torch.std(old.bias.data, dim=0).to(torch.float32)
                fresh.bias.data[-added:].normal_(mean=float(bias_mean), std=float(1e-9 * bias_std))
        keep = min(old_rows, new_num_tokens)
        fresh.weight.data[:keep, :] = old.weight.data[:keep, :]
        if has_bias:
            fresh.bias.data[:keep] = old.bias.data[:keep]
    fresh.weight.requires_grad_(old.weight.requires_grad)
    if has_bias:
        fresh.bias.requires_grad_(old.bias.requires_grad)
    return fresh


def resize_token_embeddings(
    model: Any, new_num_tokens: int | None = None, *, pad_to_multiple_of: int | None = None, mean_resizing: bool = True
) -> nn.Module:
    """Resize ``model``'s input embeddings (and output projection); see ``PreTrainedModel.resize_token_embeddings``."""
    embeddings = _resized_embedding(model, model.get_input_embeddings(), new_num_tokens, pad_to_multiple_of, mean_resizing)
    model.set_input_embeddings(embeddings)
    if new_num_tokens is None and pad_to_multiple_of is None:
        return embeddings
    new_rows = embeddings.weight.shape[0]
    output = model.get_output_embeddings()
    if output is not None:
        if isinstance(output, nn.Embedding):
            resized = _resized_embedding(model, output, new_rows, None, mean_resizing)
        else:
            resized = _resized_lm_head(model, output, new_rows, mean_resizing)
        if resized is not output:
            model.set_output_embeddings(resized)
    config = model.config
    text_config = config.get_text_config() if hasattr(config, "get_text_config") else config
    text_config.vocab_size = new_rows
    model.vocab_size = new_rows
    model.tie_weights()
    return model.get_input_embeddings()
