"""TrainingArguments: every knob of a Trainer run, validated once when it is built.

Field names and defaults are those of ``transformers.TrainingArguments`` (5.x), and the v4
spellings keep working: ``evaluation_strategy`` (-> ``eval_strategy``), ``no_cuda`` (-> ``use_cpu``),
``warmup_ratio`` (-> a fractional ``warmup_steps``) and ``group_by_length`` (->
``train_sampling_strategy="group_by_length"``). Under ``torchrun`` the arguments find their rank in
the environment and join the process group the first time ``device`` is read (see
``embrace.training.distributed``). ``fsdp`` shards the model with torch's FSDP2 (``fully_shard``);
its v4 string/list form (``"full_shard offload"``) is folded into ``fsdp_config`` as the reference
does. DeepSpeed, FSDP1, XLA, hub-push and hyper-parameter-search options are not implemented.

Example:
    >>> args = TrainingArguments(output_dir="out", evaluation_strategy="steps", eval_steps=10)
    >>> args.eval_strategy, args.train_batch_size
    (<IntervalStrategy.STEPS: 'steps'>, 8)
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import math
import os
from dataclasses import dataclass, field
from enum import Enum
from functools import cached_property
from typing import TYPE_CHECKING, Any

from embrace.errors import TrainingError
from embrace.utils.logging import get_logger

if TYPE_CHECKING:  # torch is imported lazily: building arguments must not need it
    from collections.abc import Iterator

    import torch

    from embrace.training.distributed import DistributedState

logger = get_logger(__name__)

__all__ = ["TrainingArguments", "IntervalStrategy", "SaveStrategy", "SchedulerType", "OptimizerNames"]


class _StrEnum(str, Enum):
    @classmethod
    def _missing_(cls, value: object) -> Any:
        raise TrainingError(f"{value!r} is not a valid {cls.__name__}; choose one of {[m.value for m in cls]}.")

    def __str__(self) -> str:
        return self.value


class IntervalStrategy(_StrEnum):
    """When logging/evaluation happens: never, every ``*_steps`` optimizer steps, or every epoch."""

    NO = "no"
    STEPS = "steps"
    EPOCH = "epoch"


class SaveStrategy(_StrEnum):
    """When checkpoints are written; ``best`` saves whenever ``metric_for_best_model`` improves."""

    NO = "no"
    STEPS = "steps"
    EPOCH = "epoch"
    BEST = "best"


class SchedulerType(_StrEnum):
    """Names accepted by ``get_scheduler`` and ``TrainingArguments.lr_scheduler_type``."""

    LINEAR = "linear"
    COSINE = "cosine"
    COSINE_WITH_RESTARTS = "cosine_with_restarts"
    POLYNOMIAL = "polynomial"
    CONSTANT = "constant"
    CONSTANT_WITH_WARMUP = "constant_with_warmup"
    INVERSE_SQRT = "inverse_sqrt"
    REDUCE_ON_PLATEAU = "reduce_lr_on_plateau"
    COSINE_WITH_MIN_LR = "cosine_with_min_lr"
    WARMUP_STABLE_DECAY = "warmup_stable_decay"


class OptimizerNames(_StrEnum):
    """Optimizers ``TrainingArguments.optim`` can name (the torch ones and our Adafactor)."""

    ADAMW_TORCH = "adamw_torch"
    ADAMW_TORCH_FUSED = "adamw_torch_fused"
    ADAFACTOR = "adafactor"
    SGD = "sgd"
    ADAGRAD = "adagrad"
    RMSPROP = "rmsprop"


_SAMPLING = ("random", "sequential", "group_by_length")
_INTEGRATIONS = ("tensorboard", "jsonl")
# v4 spellings: accepted as constructor arguments, folded into their 5.x fields, not serialized
_ALIAS_FIELDS = ("evaluation_strategy", "no_cuda", "warmup_ratio", "group_by_length")


@dataclass
class TrainingArguments:
    """Arguments of a ``Trainer`` run (names, defaults and meaning as in ``transformers``).

    Example:
        >>> args = TrainingArguments(output_dir="out", per_device_train_batch_size=4,
        ...                          gradient_accumulation_steps=2, learning_rate=1e-4)
        >>> args.to_dict()["learning_rate"], args.device.type
        (0.0001, 'cpu')
    """

    output_dir: str | None = None
    overwrite_output_dir: bool = False
    do_train: bool = False
    do_eval: bool = False
    do_predict: bool = False
    eval_strategy: IntervalStrategy | str = "no"
    prediction_loss_only: bool = False
    per_device_train_batch_size: int = 8
    per_device_eval_batch_size: int = 8
    gradient_accumulation_steps: int = 1
    eval_accumulation_steps: int | None = None
    eval_delay: float = 0
    learning_rate: float = 5e-5
    weight_decay: float = 0.0
    adam_beta1: float = 0.9
    adam_beta2: float = 0.999
    adam_epsilon: float = 1e-8
    max_grad_norm: float = 1.0
    num_train_epochs: float = 3.0
    max_steps: int = -1
    lr_scheduler_type: SchedulerType | str = "linear"
    lr_scheduler_kwargs: dict | str | None = None
    warmup_steps: float = 0
    logging_dir: str | None = None
    logging_strategy: IntervalStrategy | str = "steps"
    logging_first_step: bool = False
    logging_steps: float = 500
    logging_nan_inf_filter: bool = True
    save_strategy: SaveStrategy | str = "steps"
    save_steps: float = 500
    save_total_limit: int | None = None
    save_only_model: bool = False
    use_cpu: bool = False
    seed: int = 42
    data_seed: int | None = None
    bf16: bool = False
    fp16: bool = False
    dataloader_drop_last: bool = False
    eval_steps: float | None = None
    dataloader_num_workers: int = 0
    dataloader_pin_memory: bool = True
    run_name: str | None = None
    disable_tqdm: bool | None = None
    remove_unused_columns: bool = True
    label_names: list[str] | None = None
    load_best_model_at_end: bool = False
    metric_for_best_model: str | None = None
    greater_is_better: bool | None = None
    ignore_data_skip: bool = False
    label_smoothing_factor: float = 0.0
    optim: OptimizerNames | str = "adamw_torch_fused"
    optim_args: str | None = None
    train_sampling_strategy: str = "random"
    length_column_name: str = "length"
    report_to: None | str | list[str] = "none"
    resume_from_checkpoint: str | None = None
    gradient_checkpointing: bool | None = None
    gradient_checkpointing_kwargs: dict[str, Any] | str | None = None
    include_for_metrics: list[str] = field(default_factory=list)
    batch_eval_metrics: bool = False
    eval_on_start: bool = False
    include_num_input_tokens_seen: str | bool = "no"
    torch_compile: bool = False
    torch_compile_backend: str | None = None
    torch_compile_mode: str | None = None
    # Written into model.config.use_cache by the Trainer: training needs no KV cache, and a packed
    # batch (DataCollatorWithFlattening) is only kept apart when the model builds none.
    use_cache: bool = False
    full_determinism: bool = False
    ddp_find_unused_parameters: bool | None = None
    ddp_bucket_cap_mb: int | None = None
    ddp_broadcast_buffers: bool | None = None
    ddp_backend: str | None = None
    ddp_timeout: int = 1800
    # a bare `--fsdp` on the command line means True; True, "full_shard offload" and lists work in code
    fsdp: str | None = field(default=None, metadata={"nargs": "?", "const": True})
    fsdp_config: dict[str, Any] | str | None = None
    local_rank: int = -1  # what the deprecated torch.distributed.launch passes; the rank comes from the environment
    # v4 aliases (see the module docstring)
    evaluation_strategy: IntervalStrategy | str | None = None
    no_cuda: bool | None = None
    warmup_ratio: float | None = None
    group_by_length: bool | None = None

    def __post_init__(self) -> None:
        self._fold_aliases()
        if self.output_dir is None:
            self.output_dir = "trainer_output"
        self.output_dir = os.fspath(self.output_dir)
        self.eval_strategy = IntervalStrategy(self.eval_strategy)
        self.logging_strategy = IntervalStrategy(self.logging_strategy)
        self.save_strategy = SaveStrategy(self.save_strategy)
        self.lr_scheduler_type = SchedulerType(self.lr_scheduler_type)
        self.optim = OptimizerNames(self.optim)
        for name in ("lr_scheduler_kwargs", "gradient_checkpointing_kwargs"):
            if isinstance(getattr(self, name), str):  # from a command line
                setattr(self, name, json.loads(getattr(self, name)))
        if isinstance(self.include_num_input_tokens_seen, bool):
            self.include_num_input_tokens_seen = "all" if self.include_num_input_tokens_seen else "no"
        if self.train_sampling_strategy not in _SAMPLING:
            raise TrainingError(f"train_sampling_strategy={self.train_sampling_strategy!r}; choose one of {list(_SAMPLING)}.")
        if self.logging_dir is None:
            self.logging_dir = os.path.join(self.output_dir, "runs")
        if self.eval_strategy == IntervalStrategy.STEPS and not self.eval_steps:
            if not self.logging_steps:
                raise TrainingError("eval_strategy='steps' needs eval_steps (or a non-zero logging_steps to reuse).")
            self.eval_steps = self.logging_steps
        self._check_steps()
        self._check_best_model()
        self._check_precision()
        self._check_fsdp()
        self.report_to = self._resolve_report_to(self.report_to)
        if self.disable_tqdm is None:
            self.disable_tqdm = False
        if self.gradient_checkpointing is None:
            self.gradient_checkpointing = False
        if self.run_name is None:
            self.run_name = self.output_dir

    def _fold_aliases(self) -> None:
        if self.evaluation_strategy is not None:
            self.eval_strategy = self.evaluation_strategy
        if self.no_cuda is not None:
            self.use_cpu = self.use_cpu or self.no_cuda
        if self.warmup_ratio is not None:
            if not 0 <= self.warmup_ratio <= 1:
                raise TrainingError(f"warmup_ratio must be in [0, 1], got {self.warmup_ratio}.")
            if self.warmup_steps and self.warmup_ratio:
                raise TrainingError("Give warmup_steps or warmup_ratio, not both (warmup_steps < 1 is a ratio).")
            self.warmup_steps = self.warmup_steps or self.warmup_ratio
        if self.group_by_length:
            self.train_sampling_strategy = "group_by_length"
        for name in _ALIAS_FIELDS:
            setattr(self, name, None)

    def _check_steps(self) -> None:
        for name in ("logging_steps", "eval_steps", "save_steps", "warmup_steps"):
            value = getattr(self, name)
            if value is None:
                continue
            if value < 0:
                raise TrainingError(f"{name} must be >= 0, got {value}.")
            if value > 1:
                if value != int(value):
                    raise TrainingError(f"{name}={value}: values above 1 are step counts and must be whole numbers "
                                        "(values in (0, 1) are fractions of the total steps).")
                setattr(self, name, int(value))
        if self.logging_strategy == IntervalStrategy.STEPS and self.logging_steps == 0:
            raise TrainingError("logging_strategy='steps' needs logging_steps > 0.")
        if self.gradient_accumulation_steps < 1:
            raise TrainingError(f"gradient_accumulation_steps must be >= 1, got {self.gradient_accumulation_steps}.")
        if self.per_device_train_batch_size < 1 or self.per_device_eval_batch_size < 1:
            raise TrainingError("per_device_train_batch_size and per_device_eval_batch_size must be >= 1.")

    def _check_best_model(self) -> None:
        if self.load_best_model_at_end and self.metric_for_best_model is None:
            self.metric_for_best_model = "loss"
        if self.save_strategy == SaveStrategy.BEST and self.metric_for_best_model is None:
            raise TrainingError("save_strategy='best' needs metric_for_best_model (e.g. 'loss' or 'accuracy').")
        if self.greater_is_better is None and self.metric_for_best_model is not None:
            self.greater_is_better = not self.metric_for_best_model.endswith("loss")
        if not self.load_best_model_at_end or self.save_strategy == SaveStrategy.BEST:
            return
        if self.eval_strategy.value != self.save_strategy.value:
            raise TrainingError(
                f"load_best_model_at_end needs matching evaluation and save strategies, got "
                f"eval_strategy={self.eval_strategy.value!r} and save_strategy={self.save_strategy.value!r}; "
                "set both to 'steps' or both to 'epoch'.")
        if self.eval_strategy == IntervalStrategy.STEPS and self._whole(self.eval_steps, self.save_steps):
            if self.save_steps % self.eval_steps != 0:
                raise TrainingError(
                    f"load_best_model_at_end needs save_steps to be a multiple of eval_steps, got "
                    f"save_steps={self.save_steps} and eval_steps={self.eval_steps}.")

    @staticmethod
    def _whole(*values: float) -> bool:
        return all(v >= 1 for v in values)

    def _check_precision(self) -> None:
        if self.fp16 and self.bf16:
            raise TrainingError("fp16 and bf16 are both set; choose one mixed-precision mode.")
        if self.fp16 and self.device.type == "cpu":
            raise TrainingError("fp16 mixed precision needs a CUDA GPU; on CPU use bf16=True or neither.")

    def _check_fsdp(self) -> None:
        if not self.fsdp:
            return
        config = self.fsdp_config if self.fsdp_config is not None else {}
        if isinstance(config, str) and config.lstrip().startswith("{"):  # JSON from a command line
            try:
                config = json.loads(config)
            except json.JSONDecodeError as err:
                raise TrainingError(f"fsdp_config is not valid JSON ({err}): {config!r}") from err
        elif isinstance(config, (str, os.PathLike)):
            config = _read_fsdp_config_file(os.fspath(config))
        if not isinstance(config, dict):
            raise TrainingError(f"fsdp_config must be a dict or the path of a JSON file, got {type(config).__name__}.")
        # the accelerate-style spelling "fsdp_<key>" means "<key>"
        config = {(k[5:] if k.startswith("fsdp_") else k): v for k, v in config.items()}
        if self.fsdp is not True:
            _fold_fsdp_options(self.fsdp, config)
        self.fsdp = True
        config["min_num_params"] = config.get("min_num_params", 0)
        if isinstance(config.get("transformer_layer_cls_to_wrap"), str):
            config["transformer_layer_cls_to_wrap"] = [config["transformer_layer_cls_to_wrap"]]
        for key in ("xla", "xla_fsdp_v2", "xla_fsdp_grad_ckpt"):
            config.setdefault(key, False)
        self.fsdp_config = config
        _validate_fsdp_config(config)
        if self.gradient_checkpointing and _as_bool(config, "activation_checkpointing", False):
            raise TrainingError("fsdp_config['activation_checkpointing'] and gradient_checkpointing=True are both set; "
                                "they do the same thing: keep fsdp_config['activation_checkpointing'] only.")

    @staticmethod
    def _resolve_report_to(report_to: None | str | list[str]) -> list[str]:
        if report_to is None or report_to == "none" or report_to == ["none"]:
            return []
        if report_to == "all":
            return ["tensorboard"] if _tensorboard_available() else []
        names = [report_to] if isinstance(report_to, str) else list(report_to)
        unknown = [n for n in names if n not in _INTEGRATIONS]
        if unknown:
            raise TrainingError(f"report_to has unknown integrations {unknown}; available: {list(_INTEGRATIONS)}.")
        return names

    # ---- derived values ----
    @cached_property
    def _distributed(self) -> "DistributedState":
        from embrace.training.distributed import DistributedState

        return DistributedState.from_env()

    @cached_property
    def device(self) -> "torch.device":
        """This process's device: ``cuda:LOCAL_RANK`` (or the first GPU) unless use_cpu, else the CPU.
        Under torchrun, reading it first joins the process group (nccl on GPU, gloo on CPU)."""
        from embrace.training.distributed import init_distributed

        return init_distributed(self._distributed, use_cpu=self.use_cpu, backend=self.ddp_backend,
                                timeout_s=self.ddp_timeout)

    @property
    def n_gpu(self) -> int:
        """GPUs this process uses (0 on CPU; 1 otherwise: one GPU per process, no DataParallel)."""
        return 0 if self.device.type == "cpu" else 1

    @property
    def parallel_mode(self) -> str:
        """``"distributed"`` under torchrun with more than one process, ``"not_parallel"`` otherwise."""
        return "distributed" if self._distributed.is_distributed else "not_parallel"

    @property
    def world_size(self) -> int:
        """Number of training processes (``WORLD_SIZE``; 1 outside torchrun)."""
        return self._distributed.world_size

    @property
    def process_index(self) -> int:
        """Index of this process among ``world_size`` (``RANK``)."""
        return self._distributed.rank

    @property
    def local_process_index(self) -> int:
        """Index of this process on its machine (``LOCAL_RANK``)."""
        return self._distributed.local_rank

    @contextlib.contextmanager
    def main_process_first(self, local: bool = True, desc: str = "work") -> "Iterator[None]":
        """Run the block on the main process (of this machine with ``local``) first; the other processes wait
        at a barrier and run it afterwards, e.g. to read a dataset cache the main one wrote.

        Example:
            >>> args = TrainingArguments(output_dir="out")
            >>> with args.main_process_first(desc="tokenize"):
            ...     pass
        """
        from embrace.training.distributed import main_process_first

        self.device  # the process group must exist before the barrier
        is_main = (self.local_process_index if local else self.process_index) == 0
        with main_process_first(is_main, self.world_size > 1):
            yield

    @property
    def should_save(self) -> bool:
        """Whether this process writes checkpoints (the main process)."""
        return self.process_index == 0

    @property
    def should_log(self) -> bool:
        """Whether this process logs (the main process)."""
        return self.process_index == 0

    @property
    def train_batch_size(self) -> int:
        """Examples per forward pass in training."""
        return self.per_device_train_batch_size * max(1, self.n_gpu)

    @property
    def eval_batch_size(self) -> int:
        """Examples per forward pass in evaluation."""
        return self.per_device_eval_batch_size * max(1, self.n_gpu)

    def get_warmup_steps(self, num_training_steps: int) -> int:
        """Warmup length in steps: ``warmup_steps`` itself, or that fraction of the run when below 1."""
        if self.warmup_steps >= 1:
            return int(self.warmup_steps)
        return math.ceil(num_training_steps * self.warmup_steps)

    # ---- serialization ----
    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able dict of the fields (enums as their values; v4 alias fields left out)."""
        out = {}
        for f in dataclasses.fields(self):
            if f.name in _ALIAS_FIELDS:
                continue
            value = getattr(self, f.name)
            if isinstance(value, Enum):
                value = value.value
            elif hasattr(value, "to_dict"):  # e.g. a GenerationConfig in Seq2SeqTrainingArguments
                value = value.to_dict()
            out[f.name] = value
        return out

    def to_json_string(self) -> str:
        """``to_dict`` as indented, key-sorted JSON."""
        return json.dumps(self.to_dict(), indent=2, sort_keys=True)

    def to_sanitized_dict(self) -> dict[str, Any]:
        """``to_dict`` with values TensorBoard's hparams accept (bool/int/float/str; others as str)."""
        return {k: v if isinstance(v, (bool, int, float, str)) else str(v) for k, v in self.to_dict().items()}

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> "TrainingArguments":
        """Rebuild from ``to_dict`` output (a checkpoint's training_args.json); unknown keys raise TypeError."""
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise TypeError(f"{cls.__name__} got unknown fields {unknown}.")
        return cls(**values)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(\n{self.to_json_string()}\n)"


# fsdp_config keys and what they mean; see ``embrace.training.distributed.shard_model``
_FSDP_BOOL_KEYS = ("reshard_after_forward", "cpu_offload", "activation_checkpointing", "cpu_ram_efficient_loading",
                   "xla", "xla_fsdp_v2", "xla_fsdp_grad_ckpt")
_FSDP_KEYS = (*_FSDP_BOOL_KEYS, "version", "state_dict_type", "auto_wrap_policy", "transformer_layer_cls_to_wrap",
              "min_num_params")
FSDP_AUTO_WRAP_POLICIES = ("TRANSFORMER_BASED_WRAP", "SIZE_BASED_WRAP", "NO_WRAP")
# v4 ``fsdp`` options: sharding strategies FSDP2 expresses as reshard_after_forward, and the FSDP1-only ones
_FSDP2_STRATEGIES = {"full_shard": True, "shard_grad_op": False}
_FSDP1_STRATEGIES = ("no_shard", "hybrid_shard", "hybrid_shard_zero2")
_TRUE, _FALSE = ("1", "true", "yes", "y", "on", "t"), ("0", "false", "no", "n", "off", "f")


def _read_fsdp_config_file(path: str) -> dict[str, Any]:
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except (OSError, json.JSONDecodeError) as err:
        raise TrainingError(f"Could not read fsdp_config file {path!r} ({err}); pass a JSON file or a dict.") from err


def _fold_fsdp_options(fsdp: str | list[str], config: dict[str, Any]) -> None:
    """The v4 ``fsdp="full_shard offload auto_wrap"`` form, written into ``config`` (explicit keys win)."""
    options = fsdp.split() if isinstance(fsdp, str) else list(fsdp)
    strategies = [o for o in options if o in _FSDP2_STRATEGIES or o in _FSDP1_STRATEGIES]
    if len(strategies) > 1:
        raise TrainingError(f"fsdp={fsdp!r} names several sharding strategies {strategies}; choose one.")
    for option in options:
        if option in _FSDP2_STRATEGIES:
            config.setdefault("reshard_after_forward", _FSDP2_STRATEGIES[option])
        elif option in _FSDP1_STRATEGIES:
            raise TrainingError(f"fsdp={option!r} is only available with FSDP1, which embrace does not implement; "
                                "use 'full_shard' or 'shard_grad_op' (FSDP2).")
        elif option == "offload":
            config.setdefault("cpu_offload", True)
        elif option != "auto_wrap":  # auto_wrap is what FSDP2 does by default
            raise TrainingError(f"Unknown `fsdp` option: {option!r}; choose from {sorted(_FSDP2_STRATEGIES)}, "
                                "'offload' and 'auto_wrap'.")


def _as_bool(config: dict[str, Any], key: str, default: bool) -> bool:
    value = config.get(key, default)
    text = str(value).strip().lower()
    if text in _TRUE or text in _FALSE:
        return text in _TRUE
    raise TrainingError(f"fsdp_config[{key!r}] must be true or false, got {value!r}.")


def _validate_fsdp_config(config: dict[str, Any]) -> None:
    for key in _FSDP_BOOL_KEYS:  # "true"/"false" from a JSON file or a command line become booleans
        if key in config:
            config[key] = _as_bool(config, key, False)
    if any(_as_bool(config, k, False) for k in ("xla", "xla_fsdp_v2")):
        raise TrainingError("fsdp_config['xla'] is set, but XLA FSDP is not implemented; remove it.")
    if str(config.get("version", 2)) != "2":
        raise TrainingError(f"fsdp_config['version']={config['version']!r}: embrace implements FSDP2 only; "
                            "set it to 2 (the default).")
    if config.get("state_dict_type", "FULL_STATE_DICT") != "FULL_STATE_DICT":
        raise TrainingError(f"fsdp_config['state_dict_type']={config['state_dict_type']!r}: checkpoints are always "
                            "written as full, unsharded weights; use 'FULL_STATE_DICT'.")
    policy = config.get("auto_wrap_policy", FSDP_AUTO_WRAP_POLICIES[0])
    if policy not in FSDP_AUTO_WRAP_POLICIES:
        raise TrainingError(f"`auto_wrap_policy` must be one of {list(FSDP_AUTO_WRAP_POLICIES)}, got {policy!r}.")
    if not isinstance(config["min_num_params"], int) or config["min_num_params"] < 0:
        raise TrainingError(f"fsdp_config['min_num_params'] must be an integer >= 0, got {config['min_num_params']!r}.")
    names = config.get("transformer_layer_cls_to_wrap")
    if names is not None and not (isinstance(names, list) and all(isinstance(n, str) for n in names)):
        raise TrainingError(f"fsdp_config['transformer_layer_cls_to_wrap'] must be class names, got {names!r}.")
    if config.get("cpu_ram_efficient_loading"):
        logger.warning("fsdp_config['cpu_ram_efficient_loading'] has no effect: every process loads the full model "
                       "before the Trainer shards it.")
    ignored = sorted(set(config) - set(_FSDP_KEYS))
    if ignored:  # the reference ignores them silently; FSDP1-only keys land here too
        logger.warning(f"fsdp_config keys {ignored} have no effect with FSDP2; known keys: "
                                     f"{sorted(_FSDP_KEYS)}.")


def _tensorboard_available() -> bool:
    import importlib.util

    return importlib.util.find_spec("torch.utils.tensorboard") is not None and (
        importlib.util.find_spec("tensorboard") is not None)
