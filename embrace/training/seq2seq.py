"""Seq2SeqTrainingArguments and Seq2SeqTrainer: the Trainer plus generation-based evaluation.

With ``predict_with_generate=True`` evaluation/prediction returns generated token ids (padded with
the pad token) instead of logits, using ``generation_max_length`` / ``generation_num_beams``.

Example:
    >>> Seq2SeqTrainingArguments(output_dir="o", predict_with_generate=True).generation_num_beams is None
    True
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from embrace.training.trainer import Trainer
from embrace.training.trainer_utils import detach_nested
from embrace.training.training_args import TrainingArguments

__all__ = ["Seq2SeqTrainingArguments", "Seq2SeqTrainer"]


@dataclass
class Seq2SeqTrainingArguments(TrainingArguments):
    """``TrainingArguments`` plus ``sortish_sampler``, ``predict_with_generate``, ``generation_max_length``,
    ``generation_num_beams`` and ``generation_config``."""

    sortish_sampler: bool = False
    predict_with_generate: bool = False
    generation_max_length: int | None = None
    generation_num_beams: int | None = None
    generation_config: Any = None


class Seq2SeqTrainer(Trainer):
    """A ``Trainer`` whose evaluation can generate (see the module docstring)."""

    def _generation_kwargs(self) -> dict[str, Any]:
        kwargs: dict[str, Any] = {}
        if getattr(self.args, "generation_max_length", None) is not None:
            kwargs["max_length"] = self.args.generation_max_length
        if getattr(self.args, "generation_num_beams", None) is not None:
            kwargs["num_beams"] = self.args.generation_num_beams
        if getattr(self.args, "generation_config", None) is not None:
            kwargs["generation_config"] = self.args.generation_config
        return kwargs

    def prediction_step(self, model: nn.Module, inputs: dict[str, Any], prediction_loss_only: bool,
                        ignore_keys: list[str] | None = None) -> tuple[torch.Tensor | None, Any, Any]:
        """Like ``Trainer.prediction_step``; with ``predict_with_generate`` the predictions are generated ids."""
        if not getattr(self.args, "predict_with_generate", False) or prediction_loss_only:
            return super().prediction_step(model, inputs, prediction_loss_only, ignore_keys=ignore_keys)
        inputs = self._prepare_inputs(inputs)
        gen_inputs = {k: v for k, v in inputs.items() if k not in ("labels", "decoder_input_ids", "decoder_attention_mask")}
        with torch.no_grad():
            generated = self.model.generate(**gen_inputs, **self._generation_kwargs())
        loss = None
        labels = inputs.get("labels")
        if labels is not None:
            with torch.no_grad(), self.compute_loss_context_manager():
                loss = self.compute_loss(model, inputs).mean().detach()
        return loss, detach_nested(generated), detach_nested(labels)
