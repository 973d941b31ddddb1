"""Optimizers and learning-rate schedules for training.

Every schedule is a ``torch.optim.lr_scheduler.LambdaLR`` whose multiplier is a plain module-level
function bound with ``functools.partial``: the scheduler then pickles/state-dicts like the
reference's, and ``scheduler.pt`` files are interchangeable.

Example:
    >>> import torch
    >>> from embrace.training.optimization import get_scheduler
    >>> opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=1.0)
    >>> sched = get_scheduler("linear", opt, num_warmup_steps=2, num_training_steps=4)
    >>> [round(sched.get_last_lr()[0], 2) for _ in range(4) if not opt.step() and not sched.step()]
    [0.5, 1.0, 0.5, 0.0]
"""

from __future__ import annotations

import math
import re
from functools import partial
from typing import Any, Callable, Iterable

import torch
from torch import nn
from torch.optim import Optimizer
from torch.optim.lr_scheduler import LambdaLR, ReduceLROnPlateau

from embrace.errors import TrainingError
from embrace.training.training_args import OptimizerNames, SchedulerType, TrainingArguments

__all__ = [
    "Adafactor",
    "get_scheduler",
    "get_constant_schedule",
    "get_constant_schedule_with_warmup",
    "get_linear_schedule_with_warmup",
    "get_cosine_schedule_with_warmup",
    "get_cosine_with_hard_restarts_schedule_with_warmup",
    "get_polynomial_decay_schedule_with_warmup",
    "get_inverse_sqrt_schedule",
    "get_wsd_schedule",
    "get_decay_parameter_names",
    "create_optimizer",
]


def _warmup(step: int, warmup: int) -> float:
    return float(step) / float(max(1, warmup))


# ---- multipliers (step -> factor of the initial lr) ----
def _constant(step: int) -> float:
    return 1.0


def _constant_warmup(step: int, *, num_warmup_steps: int) -> float:
    return _warmup(step, num_warmup_steps) if step < num_warmup_steps else 1.0


def _linear(step: int, *, num_warmup_steps: int, num_training_steps: int) -> float:
    if step < num_warmup_steps:
        return _warmup(step, num_warmup_steps)
    return max(0.0, float(num_training_steps - step) / float(max(1, num_training_steps - num_warmup_steps)))


def _cosine(step: int, *, num_warmup_steps: int, num_training_steps: int, num_cycles: float, min_lr_rate: float = 0.0) -> float:
    if step < num_warmup_steps:
        return _warmup(step, num_warmup_steps)
    progress = float(step - num_warmup_steps) / float(max(1, num_training_steps - num_warmup_steps))
    factor = 0.5 * (1.0 + math.cos(math.pi * float(num_cycles) * 2.0 * progress))
    return max(0.0, factor * (1 - min_lr_rate) + min_lr_rate)


def _cosine_hard_restarts(step: int, *, num_warmup_steps: int, num_training_steps: int, num_cycles: int) -> float:
    if step < num_warmup_steps:
        return _warmup(step, num_warmup_steps)
    progress = float(step - num_warmup_steps) / float(max(1, num_training_steps - num_warmup_steps))
    if progress >= 1.0:
        return 0.0
    return max(0.0, 0.5 * (1.0 + math.cos(math.pi * ((float(num_cycles) * progress) % 1.0))))


def _polynomial(step: int, *, num_warmup_steps: int, num_training_steps: int, lr_end: float, power: float, lr_init: float) -> float:
    if step < num_warmup_steps:
        return _warmup(step, num_warmup_steps)
    if step > num_training_steps:
        return lr_end / lr_init  # LambdaLR multiplies by lr_init
    remaining = 1 - (step - num_warmup_steps) / (num_training_steps - num_warmup_steps)
    return ((lr_init - lr_end) * remaining**power + lr_end) / lr_init


def _inverse_sqrt(step: int, *, num_warmup_steps: int, timescale: int) -> float:
    if step < num_warmup_steps:
        return _warmup(step, num_warmup_steps)
    return 1.0 / math.sqrt((step + timescale - num_warmup_steps) / timescale)


_WSD_SHAPES: dict[str, Callable[[float], float]] = {
    # warmup shapes map progress 0 -> 1 onto factor 0 -> 1; decay shapes map it onto 1 -> 0
    "warmup:linear": lambda p: p,
    "warmup:cosine": lambda p: 0.5 * (1.0 - math.cos(math.pi * p)),
    "warmup:1-sqrt": lambda p: 1.0 - math.sqrt(1.0 - p),
    "decay:linear": lambda p: 1.0 - p,
    "decay:1-sqrt": lambda p: 1.0 - math.sqrt(p),
}


def _wsd(step: int, *, num_warmup_steps: int, num_stable_steps: int, num_decay_steps: int, warmup_type: str,
         decay_type: str, min_lr_ratio: float, num_cycles: float) -> float:
    if step < num_warmup_steps:
        factor = _WSD_SHAPES[f"warmup:{warmup_type}"](_warmup(step, num_warmup_steps))
        return max(0.0, factor * (1.0 - min_lr_ratio) + min_lr_ratio)
    if step < num_warmup_steps + num_stable_steps:
        return 1.0
    if step < num_warmup_steps + num_stable_steps + num_decay_steps:
        progress = float(step - num_warmup_steps - num_stable_steps) / float(max(1, num_decay_steps))
        if decay_type == "cosine":
            factor = 0.5 * (1.0 + math.cos(math.pi * float(num_cycles) * 2.0 * progress))
        else:
            factor = _WSD_SHAPES[f"decay:{decay_type}"](progress)
        return max(0.0, factor * (1.0 - min_lr_ratio) + min_lr_ratio)
    return min_lr_ratio


# ---- public schedule constructors (reference names and arguments) ----
def get_constant_schedule(optimizer: Optimizer, last_epoch: int = -1) -> LambdaLR:
    """Keep the optimizer's learning rate constant."""
    return LambdaLR(optimizer, _constant, last_epoch=last_epoch)


def get_constant_schedule_with_warmup(optimizer: Optimizer, num_warmup_steps: int, last_epoch: int = -1) -> LambdaLR:
    """Linear warmup from 0 over ``num_warmup_steps``, then constant."""
    return LambdaLR(optimizer, partial(_constant_warmup, num_warmup_steps=num_warmup_steps), last_epoch)


def get_linear_schedule_with_warmup(optimizer: Optimizer, num_warmup_steps: int, num_training_steps: int,
                                    last_epoch: int = -1) -> LambdaLR:
    """Linear warmup, then linear decay to 0 at ``num_training_steps``."""
    fn = partial(_linear, num_warmup_steps=num_warmup_steps, num_training_steps=num_training_steps)
    return LambdaLR(optimizer, fn, last_epoch)


def get_cosine_schedule_with_warmup(optimizer: Optimizer, num_warmup_steps: int, num_training_steps: int,
                                    num_cycles: float = 0.5, last_epoch: int = -1) -> LambdaLR:
    """Linear warmup, then cosine decay (``num_cycles`` waves; 0.5 = half a cosine down to 0)."""
    fn = partial(_cosine, num_warmup_steps=num_warmup_steps, num_training_steps=num_training_steps, num_cycles=num_cycles)
    return LambdaLR(optimizer, fn, last_epoch)


def get_cosine_with_min_lr_schedule_with_warmup(optimizer: Optimizer, num_warmup_steps: int, num_training_steps: int,
                                                num_cycles: float = 0.5, last_epoch: int = -1,
                                                min_lr: float | None = None, min_lr_rate: float | None = None) -> LambdaLR:
    """Cosine schedule that bottoms out at ``min_lr`` (absolute) or ``min_lr_rate`` (fraction of the initial lr)."""
    if (min_lr is None) == (min_lr_rate is None):
        raise TrainingError("cosine_with_min_lr needs exactly one of min_lr or min_lr_rate; got "
                            f"min_lr={min_lr!r}, min_lr_rate={min_lr_rate!r}.")
    rate = min_lr_rate if min_lr_rate is not None else min_lr / optimizer.defaults["lr"]
    fn = partial(_cosine, num_warmup_steps=num_warmup_steps, num_training_steps=num_training_steps,
                 num_cycles=num_cycles, min_lr_rate=rate)
    return LambdaLR(optimizer, fn, last_epoch)


def get_cosine_with_hard_restarts_schedule_with_warmup(optimizer: Optimizer, num_warmup_steps: int,
                                                       num_training_steps: int, num_cycles: int = 1,
                                                       last_epoch: int = -1) -> LambdaLR:
    """Linear warmup, then ``num_cycles`` cosine decays, each restarting at the initial lr."""
    fn = partial(_cosine_hard_restarts, num_warmup_steps=num_warmup_steps, num_training_steps=num_training_steps,
                 num_cycles=num_cycles)
    return LambdaLR(optimizer, fn, last_epoch)


def get_polynomial_decay_schedule_with_warmup(optimizer: Optimizer, num_warmup_steps: int, num_training_steps: int,
                                              lr_end: float = 1e-7, power: float = 1.0,
                                              last_epoch: int = -1) -> LambdaLR:
    """Linear warmup, then polynomial decay (``power``) from the initial lr down to ``lr_end``."""
    lr_init = optimizer.defaults["lr"]
    if not lr_init > lr_end:
        raise TrainingError(f"lr_end ({lr_end}) must be smaller than the optimizer's initial lr ({lr_init}).")
    fn = partial(_polynomial, num_warmup_steps=num_warmup_steps, num_training_steps=num_training_steps,
                 lr_end=lr_end, power=power, lr_init=lr_init)
    return LambdaLR(optimizer, fn, last_epoch)


def get_inverse_sqrt_schedule(optimizer: Optimizer, num_warmup_steps: int, timescale: int | None = None,
                              last_epoch: int = -1) -> LambdaLR:
    """Linear warmup, then decay as ``1/sqrt(step)`` (``timescale`` defaults to the warmup length or 10,000)."""
    timescale = timescale if timescale is not None else (num_warmup_steps or 10_000)
    fn = partial(_inverse_sqrt, num_warmup_steps=num_warmup_steps, timescale=timescale)
    return LambdaLR(optimizer, fn, last_epoch)


def get_wsd_schedule(optimizer: Optimizer, num_warmup_steps: int, num_decay_steps: int,
                     num_training_steps: int | None = None, num_stable_steps: int | None = None,
                     warmup_type: str = "linear", decay_type: str = "cosine", min_lr_ratio: float = 0,
                     num_cycles: float = 0.5, last_epoch: int = -1) -> LambdaLR:
    """Warmup-stable-decay: warm up, hold the initial lr, then decay to ``min_lr_ratio`` x the initial lr."""
    if num_training_steps is None and num_stable_steps is None:
        raise TrainingError("get_wsd_schedule needs num_training_steps or num_stable_steps.")
    shapes = ("linear", "cosine", "1-sqrt")
    for label, kind in (("warmup_type", warmup_type), ("decay_type", decay_type)):
        if kind not in shapes:
            raise TrainingError(f"Unknown {label} {kind!r}; expected one of {list(shapes)}.")
    if num_stable_steps is None:
        num_stable_steps = num_training_steps - num_warmup_steps - num_decay_steps
    fn = partial(_wsd, num_warmup_steps=num_warmup_steps, num_stable_steps=num_stable_steps,
                 num_decay_steps=num_decay_steps, warmup_type=warmup_type, decay_type=decay_type,
                 min_lr_ratio=min_lr_ratio, num_cycles=num_cycles)
    return LambdaLR(optimizer, fn, last_epoch)


def _reduce_on_plateau(optimizer: Optimizer, **kwargs: Any) -> ReduceLROnPlateau:
    return ReduceLROnPlateau(optimizer, **kwargs)


# scheduler type -> (constructor, the step-count arguments it takes)
_SCHEDULES: dict[SchedulerType, tuple[Callable[..., Any], tuple[str, ...]]] = {
    SchedulerType.LINEAR: (get_linear_schedule_with_warmup, ("num_warmup_steps", "num_training_steps")),
    SchedulerType.COSINE: (get_cosine_schedule_with_warmup, ("num_warmup_steps", "num_training_steps")),
    SchedulerType.COSINE_WITH_RESTARTS: (get_cosine_with_hard_restarts_schedule_with_warmup,
                                         ("num_warmup_steps", "num_training_steps")),
    SchedulerType.POLYNOMIAL: (get_polynomial_decay_schedule_with_warmup, ("num_warmup_steps", "num_training_steps")),
    SchedulerType.CONSTANT: (get_constant_schedule, ()),
    SchedulerType.CONSTANT_WITH_WARMUP: (get_constant_schedule_with_warmup, ("num_warmup_steps",)),
    SchedulerType.INVERSE_SQRT: (get_inverse_sqrt_schedule, ("num_warmup_steps",)),
    SchedulerType.REDUCE_ON_PLATEAU: (_reduce_on_plateau, ()),
    SchedulerType.COSINE_WITH_MIN_LR: (get_cosine_with_min_lr_schedule_with_warmup,
                                       ("num_warmup_steps", "num_training_steps")),
    SchedulerType.WARMUP_STABLE_DECAY: (get_wsd_schedule, ("num_warmup_steps", "num_training_steps")),
}


def get_scheduler(name: str | SchedulerType, optimizer: Optimizer, num_warmup_steps: int | None = None,
                  num_training_steps: int | None = None, scheduler_specific_kwargs: dict | None = None) -> Any:
    """Build any learning-rate schedule from its name (see ``SchedulerType``).

    Example:
        >>> import torch
        >>> opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1)
        >>> type(get_scheduler("cosine", opt, num_warmup_steps=0, num_training_steps=10)).__name__
        'LambdaLR'
    """
    kind = SchedulerType(name)
    build, needed = _SCHEDULES[kind]
    given = {"num_warmup_steps": num_warmup_steps, "num_training_steps": num_training_steps}
    # wsd derives its stable phase from num_training_steps but may be given num_stable_steps instead
    optional = {"num_training_steps"} if kind is SchedulerType.WARMUP_STABLE_DECAY else set()
    for arg in needed:
        if given[arg] is None and arg not in optional:
            raise TrainingError(f"The {kind.value!r} schedule requires `{arg}`; pass it to get_scheduler.")
    kwargs = {arg: given[arg] for arg in needed}
    return build(optimizer, **kwargs, **(scheduler_specific_kwargs or {}))


class Adafactor(Optimizer):
    """Adafactor (Shazeer & Stern, 2018): Adam-like updates with factored second moments for matrices.

    Same arguments and update rule as ``transformers.Adafactor``. With ``relative_step=True`` (the
    default) the step size is ``min(1e-2, 1/sqrt(step))`` (or ``1e-6 * step`` with ``warmup_init``);
    with ``scale_parameter`` it is multiplied by the parameter's RMS (floored at ``eps[1]``).

    Example:
        >>> import torch
        >>> w = torch.nn.Parameter(torch.ones(2, 3))
        >>> opt = Adafactor([w], lr=1e-2, relative_step=False, scale_parameter=False)
        >>> w.sum().backward(); opt.step()
        >>> bool((w < 1).all())
        True
    """

    def __init__(self, params: Iterable[Any], lr: float | None = None, eps: tuple[float, float] = (1e-30, 1e-3),
                 clip_threshold: float = 1.0, decay_rate: float = -0.8, beta1: float | None = None,
                 weight_decay: float = 0.0, scale_parameter: bool = True, relative_step: bool = True,
                 warmup_init: bool = False) -> None:
        if lr is not None and relative_step:
            raise TrainingError("Adafactor: a manual `lr` conflicts with relative_step=True; pass relative_step=False "
                                "to use your lr, or drop lr to use the relative step size.")
        if warmup_init and not relative_step:
            raise TrainingError("Adafactor: warmup_init=True only applies with relative_step=True.")
        defaults = dict(lr=lr, eps=eps, clip_threshold=clip_threshold, decay_rate=decay_rate, beta1=beta1,
                        weight_decay=weight_decay, scale_parameter=scale_parameter, relative_step=relative_step,
                        warmup_init=warmup_init)
        super().__init__(params, defaults)

    @staticmethod
    def _rms(tensor: torch.Tensor) -> torch.Tensor:
        return tensor.norm(2) / (tensor.numel() ** 0.5)

    @staticmethod
    def _step_size(group: dict, state: dict) -> float:
        size = group["lr"]
        if group["relative_step"]:
            ceiling = 1e-6 * state["step"] if group["warmup_init"] else 1e-2
            size = min(ceiling, 1.0 / math.sqrt(state["step"]))
        scale = max(group["eps"][1], state["RMS"]) if group["scale_parameter"] else 1.0
        return scale * size

    def _init_state(self, state: dict, grad: torch.Tensor, group: dict) -> None:
        state["step"] = 0
        if group["beta1"] is not None:
            state["exp_avg"] = torch.zeros_like(grad)
        if grad.dim() >= 2:
            # factored second moment: one running mean per row and one per column
            state["exp_avg_sq_row"] = torch.zeros(grad.shape[:-1]).to(grad)
            state["exp_avg_sq_col"] = torch.zeros(grad.shape[:-2] + grad.shape[-1:]).to(grad)
        else:
            state["exp_avg_sq"] = torch.zeros_like(grad)
        state["RMS"] = 0

    @torch.no_grad()
    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Apply one update to every parameter that has a gradient."""
        loss = closure() if closure is not None else None
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                if p.grad.is_sparse:
                    raise TrainingError("Adafactor does not support sparse gradients.")
                self._update(p, group)
        return loss

    def _update(self, p: torch.Tensor, group: dict) -> None:
        grad = p.grad.float() if p.grad.dtype in (torch.float16, torch.bfloat16) else p.grad
        state = self.state[p]
        if not state:
            self._init_state(state, grad, group)
        else:  # states loaded from a checkpoint may sit on another device/dtype
            for key in ("exp_avg", "exp_avg_sq", "exp_avg_sq_row", "exp_avg_sq_col"):
                if key in state:
                    state[key] = state[key].to(grad)
        low_precision = p.dtype in (torch.float16, torch.bfloat16)
        weights = p.float() if low_precision else p
        state["step"] += 1
        state["RMS"] = self._rms(weights)
        lr = self._step_size(group, state)
        beta2t = 1.0 - math.pow(state["step"], group["decay_rate"])
        update = grad**2 + group["eps"][0]
        if grad.dim() >= 2:
            row, col = state["exp_avg_sq_row"], state["exp_avg_sq_col"]
            row.mul_(beta2t).add_(update.mean(dim=-1), alpha=1.0 - beta2t)
            col.mul_(beta2t).add_(update.mean(dim=-2), alpha=1.0 - beta2t)
            # rank-1 reconstruction of 1/sqrt(v): (..., rows, 1) * (..., 1, cols)
            row_factor = (row / row.mean(dim=-1, keepdim=True)).rsqrt_().unsqueeze(-1)
            update = torch.mul(row_factor, col.unsqueeze(-2).rsqrt()).mul_(grad)
        else:
            sq = state["exp_avg_sq"]
            sq.mul_(beta2t).add_(update, alpha=1.0 - beta2t)
            update = sq.rsqrt().mul_(grad)
        update.div_((self._rms(update) / group["clip_threshold"]).clamp_(min=1.0))
        update.mul_(lr)
        if group["beta1"] is not None:
            state["exp_avg"].mul_(group["beta1"]).add_(update, alpha=1 - group["beta1"])
            update = state["exp_avg"]
        if group["weight_decay"] != 0:
            weights.add_(weights, alpha=-group["weight_decay"] * lr)
        weights.add_(-update)
        if low_precision:
            p.copy_(weights)


_NO_DECAY_PATTERNS = [re.compile(p) for p in (r"bias", r"layernorm", r"rmsnorm", r"(?:^|\.)norm(?:$|\.)", r"_norm(?:$|\.)")]


def get_decay_parameter_names(model: nn.Module) -> list[str]:
    """Names of the parameters weight decay applies to: not biases, not inside ``nn.LayerNorm``, not norm weights.

    Example:
        >>> from torch import nn
        >>> get_decay_parameter_names(nn.Sequential(nn.Linear(2, 2), nn.LayerNorm(2)))
        ['0.weight']
    """
    names = []
    for module_name, module in model.named_modules():
        if isinstance(module, nn.LayerNorm):
            continue
        for param_name, _ in module.named_parameters(recurse=False):
            full = f"{module_name}.{param_name}" if module_name else param_name
            if not any(p.search(full.lower()) for p in _NO_DECAY_PATTERNS) and not _inside_layernorm(model, full):
                names.append(full)
    return names


def _inside_layernorm(model: nn.Module, name: str) -> bool:
    # a parameter deep inside a LayerNorm subclass's children is excluded like the LayerNorm's own
    parts = name.split(".")[:-1]
    module = model
    for part in parts:
        module = getattr(module, part)
        if isinstance(module, nn.LayerNorm):
            return True
    return False


def _adamw(args: TrainingArguments, fused: bool) -> tuple[type[Optimizer], dict[str, Any]]:
    kwargs: dict[str, Any] = {"lr": args.learning_rate, "betas": (args.adam_beta1, args.adam_beta2), "eps": args.adam_epsilon}
    if fused:
        kwargs["fused"] = True
    return torch.optim.AdamW, kwargs


# optimizer name -> (class, constructor kwargs) factory
_OPTIMIZERS: dict[OptimizerNames, Callable[[TrainingArguments], tuple[type[Optimizer], dict[str, Any]]]] = {
    OptimizerNames.ADAMW_TORCH: lambda a: _adamw(a, fused=False),
    OptimizerNames.ADAMW_TORCH_FUSED: lambda a: _adamw(a, fused=True),
    OptimizerNames.ADAFACTOR: lambda a: (Adafactor, {"lr": a.learning_rate, "scale_parameter": False, "relative_step": False}),
    OptimizerNames.SGD: lambda a: (torch.optim.SGD, {"lr": a.learning_rate}),
    OptimizerNames.ADAGRAD: lambda a: (torch.optim.Adagrad, {"lr": a.learning_rate}),
    OptimizerNames.RMSPROP: lambda a: (torch.optim.RMSprop, {"lr": a.learning_rate}),
}


def create_optimizer(model: nn.Module, args: TrainingArguments) -> Optimizer:
    """The optimizer ``args.optim`` names, with two groups: decayed weights and the rest (decay 0).

    Example:
        >>> from torch import nn
        >>> opt = create_optimizer(nn.Linear(2, 2), TrainingArguments(output_dir="o", weight_decay=0.1))
        >>> [g["weight_decay"] for g in opt.param_groups]
        [0.1, 0.0]
    """
    factory = _OPTIMIZERS.get(OptimizerNames(args.optim))
    if factory is None:
        raise TrainingError(f"optim={args.optim!r} is not available in embrace; choose one of "
                            f"{sorted(o.value for o in _OPTIMIZERS)}.")
    decay = set(get_decay_parameter_names(model))
    trainable = [(n, p) for n, p in model.named_parameters() if p.requires_grad]
    groups = [
        {"params": [p for n, p in trainable if n in decay], "weight_decay": args.weight_decay},
        {"params": [p for n, p in trainable if n not in decay], "weight_decay": 0.0},
    ]
    cls, kwargs = factory(args)
    return cls(groups, **kwargs)
