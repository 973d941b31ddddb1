"""The shared head losses match the reference's ``transformers.loss.loss_utils`` functions."""

from __future__ import annotations

import importlib
from types import SimpleNamespace

import pytest
import torch
from transformers.loss import loss_utils as ref

from embrace.modeling import losses

VOCAB = 7


def _logits_and_labels(seed: int = 0, shape: tuple[int, ...] = (2, 5)) -> tuple[torch.Tensor, torch.Tensor]:
    gen = torch.Generator().manual_seed(seed)
    logits = torch.randn(*shape, VOCAB, generator=gen)
    labels = torch.randint(0, VOCAB, shape, generator=gen)
    labels[0, 1] = -100
    return logits, labels


@pytest.mark.parametrize("options", [{}, {"num_items_in_batch": 3}, {"num_items_in_batch": torch.tensor(4)},
                                     {"ignore_index": 2}])
def test_causal_lm_loss_matches_reference(options):
    logits, labels = _logits_and_labels()
    if "ignore_index" in options:  # the ignored label must be a valid class id then
        labels[labels == -100] = options["ignore_index"]
    ours = losses.causal_lm_loss(logits, labels, VOCAB, **options)
    torch.testing.assert_close(ours, ref.ForCausalLMLoss(logits, labels, VOCAB, **options))


def test_causal_lm_loss_with_given_shift_labels_ignores_labels():
    logits, labels = _logits_and_labels()
    shifted = torch.roll(labels, 1, dims=1)
    ours = losses.causal_lm_loss(logits, labels, VOCAB, shift_labels=shifted)
    torch.testing.assert_close(ours, ref.ForCausalLMLoss(logits, labels, VOCAB, shift_labels=shifted))


def test_masked_and_token_classification_losses_match_reference():
    logits, labels = _logits_and_labels(seed=1)
    torch.testing.assert_close(losses.masked_lm_loss(logits, labels), ref.ForMaskedLMLoss(logits, labels, VOCAB))
    config = SimpleNamespace(num_labels=VOCAB)
    torch.testing.assert_close(
        losses.token_classification_loss(logits, labels), ref.ForTokenClassification(logits, labels, config)
    )


@pytest.mark.parametrize(
    "num_labels, labels",
    [(1, torch.tensor([0.5, -1.0, 2.0])), (3, torch.tensor([0, 2, 1])), (3, torch.tensor([[1.0, 0, 1], [0, 0, 1],
                                                                                          [1, 1, 0]]))],
    ids=["regression", "single_label", "multi_label"],
)
def test_sequence_classification_loss_infers_problem_type_like_reference(num_labels, labels):
    logits = torch.randn(3, num_labels, generator=torch.Generator().manual_seed(2))
    model = SimpleNamespace(config=SimpleNamespace(problem_type=None), num_labels=num_labels)
    ref_config = SimpleNamespace(problem_type=None, num_labels=num_labels)
    ours = losses.sequence_classification_loss(model, logits, labels)
    torch.testing.assert_close(ours, ref.ForSequenceClassificationLoss(labels, logits, ref_config))
    assert model.config.problem_type == ref_config.problem_type


@pytest.mark.parametrize("start, end", [([1, 3], [2, 4]), ([[0], [9]], [[2], [-5]])], ids=["plain", "out_of_range"])
def test_span_prediction_loss_matches_reference(start, end):
    gen = torch.Generator().manual_seed(3)
    start_logits, end_logits = torch.randn(2, 5, generator=gen), torch.randn(2, 5, generator=gen)
    start, end = torch.tensor(start), torch.tensor(end)
    ours = losses.span_prediction_loss(start_logits, end_logits, start, end)
    torch.testing.assert_close(ours, ref.ForQuestionAnsweringLoss(start_logits, end_logits, start, end))
    assert losses.span_prediction_loss(start_logits, end_logits, start, None) is None


def test_check_loss_kwargs_names_the_unknown_option():
    losses.check_loss_kwargs("Head", {"num_items_in_batch": 2, "ignore_index": -1, "shift_labels": None})
    with pytest.raises(TypeError, match=r"Head\.forward got unexpected keyword arguments \['colour'\]"):
        losses.check_loss_kwargs("Head", {"colour": 1})


@pytest.mark.parametrize("keep, expected", [(0, [0, 1, 2, 3]), (2, [2, 3]), (torch.tensor([0, 3]), [0, 3])])
def test_keep_positions_slices_the_sequence_axis(keep, expected):
    hidden = torch.arange(4.0).view(1, 4, 1)
    assert losses.keep_positions(hidden, keep).flatten().tolist() == expected


def test_keep_positions_per_row_indices_and_mask():
    hidden = torch.arange(6.0).view(2, 3, 1)
    assert losses.keep_positions(hidden, torch.tensor([[2], [0]])).flatten().tolist() == [2.0, 3.0]
    mask = torch.tensor([[True, False, False], [False, False, True]])
    assert losses.keep_positions(hidden, mask).flatten().tolist() == [0.0, 5.0]


@pytest.mark.parametrize("module_name", ["embrace.models.camembert", "embrace.models.xlm_roberta"])
def test_roberta_variants_bind_each_name_to_the_class_of_that_name(module_name):
    module = importlib.import_module(module_name)
    for name in module.__all__:
        cls = getattr(module, name)
        assert (cls.__name__, cls.__qualname__, cls.__module__) == (name, name, module_name)
    prefix = module.__all__[0].removesuffix("Config")
    config_class = getattr(module, f"{prefix}Config")
    for name in module.__all__[1:]:
        assert getattr(module, name).config_class is config_class
        assert getattr(module, name)._body_first is False
