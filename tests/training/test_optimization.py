"""Schedules, Adafactor and weight-decay grouping against transformers.optimization."""

from __future__ import annotations

import pytest
import torch

from embrace.errors import TrainingError
from embrace.training import optimization as ours
from embrace.training.training_args import TrainingArguments

ref = pytest.importorskip("transformers.optimization")

SCHEDULES = [
    ("get_constant_schedule", {}),
    ("get_constant_schedule_with_warmup", {"num_warmup_steps": 4}),
    ("get_linear_schedule_with_warmup", {"num_warmup_steps": 3, "num_training_steps": 20}),
    ("get_cosine_schedule_with_warmup", {"num_warmup_steps": 3, "num_training_steps": 20}),
    ("get_cosine_schedule_with_warmup", {"num_warmup_steps": 0, "num_training_steps": 20, "num_cycles": 1.5}),
    ("get_cosine_with_hard_restarts_schedule_with_warmup", {"num_warmup_steps": 2, "num_training_steps": 20, "num_cycles": 3}),
    ("get_polynomial_decay_schedule_with_warmup", {"num_warmup_steps": 2, "num_training_steps": 18, "lr_end": 1e-4, "power": 2.0}),
    ("get_inverse_sqrt_schedule", {"num_warmup_steps": 3}),
    ("get_inverse_sqrt_schedule", {"num_warmup_steps": 0, "timescale": 5}),
    ("get_wsd_schedule", {"num_warmup_steps": 3, "num_decay_steps": 6, "num_training_steps": 20}),
    ("get_wsd_schedule", {"num_warmup_steps": 4, "num_decay_steps": 5, "num_stable_steps": 6, "warmup_type": "cosine",
                          "decay_type": "1-sqrt", "min_lr_ratio": 0.1}),
    ("get_wsd_schedule", {"num_warmup_steps": 4, "num_decay_steps": 5, "num_training_steps": 15, "warmup_type": "1-sqrt",
                          "decay_type": "linear"}),
]


def _lrs(factory, **kwargs):
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.01)
    sched = factory(opt, **kwargs)
    out = []
    for _ in range(25):
        out.append(sched.get_last_lr()[0])
        opt.step()
        sched.step()
    return out, sched


@pytest.mark.parametrize(("name", "kwargs"), SCHEDULES)
def test_schedule_matches_reference(name, kwargs):
    mine, _ = _lrs(getattr(ours, name), **kwargs)
    theirs, _ = _lrs(getattr(ref, name), **kwargs)
    assert mine == pytest.approx(theirs, abs=1e-12)


@pytest.mark.parametrize("kind", ["linear", "cosine", "cosine_with_restarts", "polynomial", "constant",
                                  "constant_with_warmup", "inverse_sqrt", "warmup_stable_decay"])
def test_get_scheduler_matches_reference(kind):
    extra = {"num_decay_steps": 4} if kind == "warmup_stable_decay" else None
    build = lambda mod, opt: mod.get_scheduler(kind, opt, num_warmup_steps=3, num_training_steps=12,  # noqa: E731
                                               scheduler_specific_kwargs=extra)
    mine, _ = _lrs(lambda opt: build(ours, opt))
    theirs, _ = _lrs(lambda opt: build(ref, opt))
    assert mine == pytest.approx(theirs, abs=1e-12)


def test_scheduler_state_dict_resumes():
    full, _ = _lrs(ours.get_linear_schedule_with_warmup, num_warmup_steps=2, num_training_steps=20)
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.01)
    sched = ours.get_linear_schedule_with_warmup(opt, 2, 20)
    for _ in range(7):
        opt.step(); sched.step()
    opt2 = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.01)
    resumed = ours.get_linear_schedule_with_warmup(opt2, 2, 20)
    resumed.load_state_dict(sched.state_dict())
    assert resumed.get_last_lr()[0] == pytest.approx(full[7])


def test_bad_schedule_requests_raise():
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.01)
    with pytest.raises(TrainingError, match="requires `num_training_steps`"):
        ours.get_scheduler("linear", opt, num_warmup_steps=1)
    with pytest.raises(ValueError, match="not a valid SchedulerType"):
        ours.get_scheduler("zigzag", opt, num_warmup_steps=1)
    with pytest.raises(ValueError, match="lr_end"):
        ours.get_polynomial_decay_schedule_with_warmup(opt, 1, 10, lr_end=1.0)
    with pytest.raises(ValueError, match="warmup_type"):
        ours.get_wsd_schedule(opt, 1, 2, num_training_steps=10, warmup_type="exp")


ADAFACTOR_CONFIGS = [
    {},
    {"warmup_init": True},
    {"lr": 1e-2, "relative_step": False, "scale_parameter": False},
    {"lr": 1e-2, "relative_step": False, "beta1": 0.9, "weight_decay": 0.1},
    {"scale_parameter": False, "clip_threshold": 0.5, "decay_rate": -0.5},
]


@pytest.mark.parametrize("config", ADAFACTOR_CONFIGS)
def test_adafactor_matches_reference(config):
    torch.manual_seed(0)
    shapes = [(4, 6), (6,), (2, 3, 5)]
    start = [torch.randn(s) for s in shapes]
    grads = [[torch.randn(s) for s in shapes] for _ in range(5)]
    results = []
    for cls in (ours.Adafactor, ref.Adafactor):
        params = [torch.nn.Parameter(t.clone()) for t in start]
        opt = cls(params, **config)
        for step_grads in grads:
            for p, g in zip(params, step_grads):
                p.grad = g.clone()
            opt.step()
        results.append([p.detach() for p in params])
    for mine, theirs in zip(*results):
        torch.testing.assert_close(mine, theirs, atol=1e-6, rtol=0)


def test_adafactor_bf16_params_and_bad_options():
    p = torch.nn.Parameter(torch.ones(3, 4, dtype=torch.bfloat16))
    p.grad = torch.ones(3, 4, dtype=torch.bfloat16)
    ours.Adafactor([p]).step()
    assert p.dtype == torch.bfloat16 and bool((p < 1).all())
    with pytest.raises(ValueError, match="relative_step"):
        ours.Adafactor([p], lr=1e-3)
    with pytest.raises(ValueError, match="warmup_init"):
        ours.Adafactor([p], lr=1e-3, relative_step=False, warmup_init=True)


def test_decay_parameter_names_match_reference():
    from transformers import BertConfig, BertForSequenceClassification, Trainer

    from tests.training.conftest import TINY_BERT

    model = BertForSequenceClassification(BertConfig(**TINY_BERT))
    expected = Trainer.get_decay_parameter_names(None, model)
    assert sorted(ours.get_decay_parameter_names(model)) == sorted(expected)
    assert not any("bias" in n or "LayerNorm" in n for n in ours.get_decay_parameter_names(model))


@pytest.mark.parametrize(("optim", "cls"), [("adamw_torch", torch.optim.AdamW), ("adamw_torch_fused", torch.optim.AdamW),
                                            ("adafactor", ours.Adafactor), ("sgd", torch.optim.SGD)])
def test_create_optimizer_groups(optim, cls):
    model = torch.nn.Sequential(torch.nn.Linear(3, 3), torch.nn.LayerNorm(3))
    model[0].bias.requires_grad_(False)
    opt = ours.create_optimizer(model, TrainingArguments(output_dir="o", optim=optim, weight_decay=0.05, learning_rate=0.1))
    assert isinstance(opt, cls)
    decayed, plain = opt.param_groups
    assert decayed["weight_decay"] == 0.05 and plain["weight_decay"] == 0.0
    assert [p.shape for p in decayed["params"]] == [torch.Size([3, 3])]
    assert len(plain["params"]) == 2  # LayerNorm weight and bias; the frozen bias is left out
    assert all(g["lr"] == 0.1 for g in opt.param_groups)
