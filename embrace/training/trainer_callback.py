"""Callbacks: the hooks a Trainer calls at each point of training, plus the state they see.

Same events, arguments and ``trainer_state.json`` fields as the reference. One addition:
``on_step_end`` also receives the optimizer step's micro-batches (``inputs``, a list) and its
summed training loss (``loss``, a float), so a callback can look at what was trained on.

Example:
    >>> class CountSteps(TrainerCallback):
    ...     def __init__(self): self.steps = 0
    ...     def on_step_end(self, args, state, control, **kwargs): self.steps += 1
    >>> handler = CallbackHandler([CountSteps()], None, None, None, None)
    >>> _ = handler.on_step_end(None, TrainerState(), TrainerControl())
    >>> handler.callbacks[0].steps
    1
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
from dataclasses import dataclass
from typing import Any

from embrace.errors import TrainingError
from embrace.training.training_args import IntervalStrategy, SaveStrategy, TrainingArguments
from embrace.utils.files import write_text_atomically
from embrace.utils.logging import get_logger

logger = get_logger(__name__)

__all__ = [
    "TrainerState", "TrainerControl", "TrainerCallback", "ExportableState", "CallbackHandler", "DefaultFlowCallback",
    "PrinterCallback", "ProgressCallback", "EarlyStoppingCallback", "TensorBoardCallback", "JSONLLoggerCallback",
]


class ExportableState:
    """Mixin for callbacks whose state is stored in checkpoints (``state()`` -> ``{"args", "attributes"}``)."""

    def state(self) -> dict:
        """``{"args": constructor kwargs, "attributes": mutable attributes}`` (JSON-able)."""
        raise NotImplementedError(f"{type(self).__name__} must implement state() to be saved in checkpoints.")

    @classmethod
    def from_state(cls, state: dict) -> Any:
        """Rebuild an instance from ``state()`` output."""
        instance = cls(**state["args"])
        for key, value in state["attributes"].items():
            setattr(instance, key, value)
        return instance


@dataclass
class TrainerState:
    """Progress of a run; saved as ``trainer_state.json`` in each checkpoint.

    Example:
        >>> s = TrainerState(global_step=3); s.log_history.append({"loss": 1.0, "step": 3})
        >>> TrainerState(**json.loads(json.dumps(dataclasses.asdict(s)))).global_step
        3
    """

    epoch: float | None = 0
    global_step: int = 0
    max_steps: int = 0
    logging_steps: int = 500
    eval_steps: int = 500
    save_steps: int = 500
    train_batch_size: int | None = None
    num_train_epochs: int = 0
    num_input_tokens_seen: int = 0
    total_flos: float = 0
    log_history: list[dict[str, float]] = None
    best_metric: float | None = None
    best_global_step: int | None = None
    best_model_checkpoint: str | None = None
    is_local_process_zero: bool = True
    is_world_process_zero: bool = True
    is_hyper_param_search: bool = False
    trial_name: str | None = None
    trial_params: dict[str, str | float | int | bool] | None = None
    stateful_callbacks: Any = None

    def __post_init__(self) -> None:
        if self.log_history is None:
            self.log_history = []
        if self.stateful_callbacks is None:
            self.stateful_callbacks = {}
        elif not isinstance(self.stateful_callbacks, dict):  # live callbacks -> their exported states
            states: dict[str, Any] = {}
            for callback in self.stateful_callbacks:
                if not isinstance(callback, ExportableState):
                    raise TypeError(f"Stateful callbacks must inherit ExportableState, got {type(callback).__name__}.")
                name = type(callback).__name__
                if name in states:  # several instances of one callback class: a list of states
                    states[name] = states[name] if isinstance(states[name], list) else [states[name]]
                    states[name].append(callback.state())
                else:
                    states[name] = callback.state()
            self.stateful_callbacks = states

    def to_json_string(self) -> str:
        """The ``trainer_state.json`` text (indented, keys sorted, like the reference)."""
        return json.dumps(dataclasses.asdict(self), indent=2, sort_keys=True) + "\n"

    def save_to_json(self, json_path: str | os.PathLike) -> None:
        """Write ``trainer_state.json`` (atomically)."""
        write_text_atomically(json_path, self.to_json_string())

    @classmethod
    def load_from_json(cls, json_path: str | os.PathLike) -> "TrainerState":
        """Read a ``trainer_state.json`` written by us or by the reference."""
        with open(json_path, encoding="utf-8") as f:
            values = json.load(f)
        known = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in values.items() if k in known})

    def compute_steps(self, args: TrainingArguments, max_steps: int) -> None:
        """Turn fractional logging/eval/save steps (< 1) into step counts for a run of ``max_steps``."""
        for kind in ("logging", "eval", "save"):
            value = getattr(args, f"{kind}_steps")
            if value is not None:
                setattr(self, f"{kind}_steps", math.ceil(max_steps * value) if value < 1 else int(value))


@dataclass
class TrainerControl(ExportableState):
    """Switches callbacks flip to steer the loop (log / evaluate / save now, stop the epoch or run)."""

    should_training_stop: bool = False
    should_epoch_stop: bool = False
    should_save: bool = False
    should_evaluate: bool = False
    should_log: bool = False

    def _new_training(self) -> None:
        self.should_training_stop = False

    def _new_epoch(self) -> None:
        self.should_epoch_stop = False

    def _new_step(self) -> None:
        self.should_save = self.should_evaluate = self.should_log = False

    def _evaluated(self) -> None:
        self.should_evaluate = False

    def _saved(self) -> None:
        self.should_save = False

    def _logged(self) -> None:
        self.should_log = False

    def state(self) -> dict:
        """Exported state (all switches)."""
        return {"args": dataclasses.asdict(self), "attributes": {}}


class TrainerCallback:
    """Base class: override the events you need. Each gets ``(args, state, control, **kwargs)``
    with kwargs ``model``, ``processing_class``, ``optimizer``, ``lr_scheduler``, ``train_dataloader``,
    ``eval_dataloader`` and event-specific ones (``metrics``, ``logs``, ``inputs``/``loss``).
    Return a ``TrainerControl`` to replace the control, or None to keep it."""

    def on_init_end(self, args: TrainingArguments, state: TrainerState, control: TrainerControl, **kwargs: Any) -> Any:
        """End of ``Trainer.__init__``."""

    def on_train_begin(self, args: TrainingArguments, state: TrainerState, control: TrainerControl, **kwargs: Any) -> Any:
        """Start of training."""

    def on_train_end(self, args: TrainingArguments, state: TrainerState, control: TrainerControl, **kwargs: Any) -> Any:
        """End of training."""

    def on_epoch_begin(self, args: TrainingArguments, state: TrainerState, control: TrainerControl, **kwargs: Any) -> Any:
        """Start of an epoch."""

    def on_epoch_end(self, args: TrainingArguments, state: TrainerState, control: TrainerControl, **kwargs: Any) -> Any:
        """End of an epoch."""

    def on_step_begin(self, args: TrainingArguments, state: TrainerState, control: TrainerControl, **kwargs: Any) -> Any:
        """Start of an optimizer step (before its first micro-batch)."""

    def on_pre_optimizer_step(self, args: TrainingArguments, state: TrainerState, control: TrainerControl, **kwargs: Any) -> Any:
        """After gradient clipping, before ``optimizer.step()``."""

    def on_optimizer_step(self, args: TrainingArguments, state: TrainerState, control: TrainerControl, **kwargs: Any) -> Any:
        """After ``optimizer.step()``, before gradients are zeroed."""

    def on_substep_end(self, args: TrainingArguments, state: TrainerState, control: TrainerControl, **kwargs: Any) -> Any:
        """After a micro-batch that is not the last of its accumulation window."""

    def on_step_end(self, args: TrainingArguments, state: TrainerState, control: TrainerControl, **kwargs: Any) -> Any:
        """End of an optimizer step; kwargs add ``inputs`` (the micro-batches) and ``loss`` (their summed loss)."""

    def on_evaluate(self, args: TrainingArguments, state: TrainerState, control: TrainerControl, **kwargs: Any) -> Any:
        """After an evaluation (kwarg ``metrics``)."""

    def on_predict(self, args: TrainingArguments, state: TrainerState, control: TrainerControl, metrics: dict, **kwargs: Any) -> Any:
        """After ``Trainer.predict``."""

    def on_save(self, args: TrainingArguments, state: TrainerState, control: TrainerControl, **kwargs: Any) -> Any:
        """After a checkpoint is written."""

    def on_log(self, args: TrainingArguments, state: TrainerState, control: TrainerControl, **kwargs: Any) -> Any:
        """After something is logged (kwarg ``logs``)."""

    def on_prediction_step(self, args: TrainingArguments, state: TrainerState, control: TrainerControl, **kwargs: Any) -> Any:
        """After each evaluation/prediction batch."""


EVENTS = tuple(name for name in vars(TrainerCallback) if name.startswith("on_"))
# switches reset before an event's callbacks run: a new training / epoch / step starts clean, and a
# done evaluation / save / log is not repeated by the next check
_RESETS = {"on_train_begin": "_new_training", "on_epoch_begin": "_new_epoch", "on_step_begin": "_new_step",
           "on_evaluate": "_evaluated", "on_save": "_saved", "on_log": "_logged"}


class CallbackHandler(TrainerCallback):
    """Calls every registered callback, in order, for each event."""

    def __init__(self, callbacks: list[Any], model: Any, processing_class: Any, optimizer: Any, lr_scheduler: Any) -> None:
        self.callbacks: list[TrainerCallback] = []
        for callback in callbacks:
            self.add_callback(callback)
        self.model = model
        self.processing_class = processing_class
        self.optimizer = optimizer
        self.lr_scheduler = lr_scheduler
        self.train_dataloader = None
        self.eval_dataloader = None
        if not any(isinstance(cb, DefaultFlowCallback) for cb in self.callbacks):
            logger.warning("The Trainer has no DefaultFlowCallback: nothing will schedule logging, evaluation or saving.")

    def add_callback(self, callback: type[TrainerCallback] | TrainerCallback) -> None:
        """Register a callback instance, or a class (instantiated with no arguments)."""
        instance = callback() if isinstance(callback, type) else callback
        if not isinstance(instance, TrainerCallback):
            raise TrainingError(f"Callbacks must be TrainerCallback instances or classes, got {type(instance).__name__}.")
        if type(instance) in {type(cb) for cb in self.callbacks}:
            logger.warning(f"Adding a second {type(instance).__name__}; callbacks now: {self.callback_list}")
        self.callbacks.append(instance)

    def _find(self, callback: type[TrainerCallback] | TrainerCallback) -> TrainerCallback | None:
        for cb in self.callbacks:
            if (isinstance(callback, type) and isinstance(cb, callback)) or cb is callback:
                return cb
        return None

    def pop_callback(self, callback: type[TrainerCallback] | TrainerCallback) -> TrainerCallback | None:
        """Remove and return the first matching callback (by class or instance); None if absent."""
        found = self._find(callback)
        if found is not None:
            self.callbacks.remove(found)
        return found

    def remove_callback(self, callback: type[TrainerCallback] | TrainerCallback) -> None:
        """Remove the first matching callback (by class or instance), if any."""
        self.pop_callback(callback)

    @property
    def callback_list(self) -> str:
        """Names of the registered callbacks, one per line."""
        return "\n".join(type(cb).__name__ for cb in self.callbacks)

    def call_event(self, event: str, args: Any, state: TrainerState, control: TrainerControl, **kwargs: Any) -> TrainerControl:
        """Run ``event`` on each callback; a callback that returns a control replaces it."""
        if event in _RESETS:
            getattr(control, _RESETS[event])()
        for callback in self.callbacks:
            result = getattr(callback, event)(
                args, state, control, model=self.model, processing_class=self.processing_class,
                optimizer=self.optimizer, lr_scheduler=self.lr_scheduler, train_dataloader=self.train_dataloader,
                eval_dataloader=self.eval_dataloader, **kwargs)
            if result is not None:
                control = result
        return control


def _dispatcher(event: str) -> Any:
    def dispatch(self: CallbackHandler, args: Any, state: TrainerState, control: TrainerControl, **kwargs: Any) -> TrainerControl:
        return self.call_event(event, args, state, control, **kwargs)

    dispatch.__name__ = event
    dispatch.__doc__ = f"Call ``{event}`` on every callback."
    return dispatch


for _event in EVENTS:
    setattr(CallbackHandler, _event, _dispatcher(_event))


class DefaultFlowCallback(TrainerCallback):
    """Decides, from the arguments' strategies, when to log, evaluate, save and stop."""

    def on_step_end(self, args: TrainingArguments, state: TrainerState, control: TrainerControl, **kwargs: Any) -> TrainerControl:
        step = state.global_step
        if step == 1 and args.logging_first_step:
            control.should_log = True
        if args.logging_strategy == IntervalStrategy.STEPS and step % state.logging_steps == 0:
            control.should_log = True
        steps_eval = args.eval_strategy == IntervalStrategy.STEPS and args.eval_delay <= step
        if steps_eval and step % state.eval_steps == 0:
            control.should_evaluate = True
        if args.save_strategy == SaveStrategy.STEPS and state.save_steps > 0 and step % state.save_steps == 0:
            control.should_save = True
        if step >= state.max_steps:
            control.should_training_stop = True
            # the last step is always evaluated/saved under step strategies
            if steps_eval and step % state.eval_steps != 0:
                control.should_evaluate = True
            if args.save_strategy == SaveStrategy.STEPS:
                control.should_save = True
        return control

    def on_epoch_end(self, args: TrainingArguments, state: TrainerState, control: TrainerControl, **kwargs: Any) -> TrainerControl:
        if args.logging_strategy == IntervalStrategy.EPOCH:
            control.should_log = True
        if args.eval_strategy == IntervalStrategy.EPOCH and args.eval_delay <= state.epoch:
            control.should_evaluate = True
        if args.save_strategy == SaveStrategy.EPOCH:
            control.should_save = True
        return control


def _format_logs(logs: dict[str, Any]) -> dict[str, Any]:
    return {k: (f"{v:.4g}" if isinstance(v, float) else v) for k, v in logs.items() if k != "total_flos"}


class PrinterCallback(TrainerCallback):
    """Prints each log dict (floats to 4 significant digits); used when progress bars are off."""

    def on_log(self, args: TrainingArguments, state: TrainerState, control: TrainerControl, logs: dict | None = None, **kwargs: Any) -> None:
        if state.is_local_process_zero and logs is not None:
            print(_format_logs(logs))


class ProgressCallback(TrainerCallback):
    """tqdm bars for training steps and evaluation batches; logs are written above the bar."""

    def __init__(self, max_str_len: int = 100) -> None:
        self.training_bar = None
        self.prediction_bar = None
        self.max_str_len = max_str_len
        self.current_step = 0

    def on_train_begin(self, args: TrainingArguments, state: TrainerState, control: TrainerControl, **kwargs: Any) -> None:
        from tqdm.auto import tqdm

        if state.is_world_process_zero:
            self.training_bar = tqdm(total=state.max_steps, initial=state.global_step, dynamic_ncols=True)
        self.current_step = state.global_step

    def on_step_end(self, args: TrainingArguments, state: TrainerState, control: TrainerControl, **kwargs: Any) -> None:
        if self.training_bar is not None:
            self.training_bar.update(state.global_step - self.current_step)
            self.current_step = state.global_step

    def on_prediction_step(self, args: TrainingArguments, state: TrainerState, control: TrainerControl, eval_dataloader: Any = None, **kwargs: Any) -> None:
        from tqdm.auto import tqdm

        if not state.is_world_process_zero:
            return
        if self.prediction_bar is None:
            total = len(eval_dataloader) if eval_dataloader is not None and hasattr(eval_dataloader, "__len__") else None
            self.prediction_bar = tqdm(total=total, leave=self.training_bar is None, dynamic_ncols=True)
        self.prediction_bar.update(1)

    def _close_prediction_bar(self) -> None:
        if self.prediction_bar is not None:
            self.prediction_bar.close()
        self.prediction_bar = None

    def on_evaluate(self, args: TrainingArguments, state: TrainerState, control: TrainerControl, **kwargs: Any) -> None:
        self._close_prediction_bar()

    def on_predict(self, args: TrainingArguments, state: TrainerState, control: TrainerControl, metrics: dict | None = None, **kwargs: Any) -> None:
        self._close_prediction_bar()

    def on_log(self, args: TrainingArguments, state: TrainerState, control: TrainerControl, logs: dict | None = None, **kwargs: Any) -> None:
        if self.training_bar is None or logs is None:
            return
        shown = {k: (f"[string of length {len(v)} not shown]" if isinstance(v, str) and len(v) > self.max_str_len else v)
                 for k, v in _format_logs(logs).items()}
        self.training_bar.write(str(shown))

    def on_train_end(self, args: TrainingArguments, state: TrainerState, control: TrainerControl, **kwargs: Any) -> None:
        if self.training_bar is not None:
            self.training_bar.close()
        self.training_bar = None


class EarlyStoppingCallback(TrainerCallback, ExportableState):
    """Stop training when ``metric_for_best_model`` has not improved (by more than the threshold)
    for ``early_stopping_patience`` evaluations in a row.

    Example:
        >>> cb = EarlyStoppingCallback(early_stopping_patience=2)
        >>> cb.state()["attributes"]
        {'early_stopping_patience_counter': 0}
    """

    def __init__(self, early_stopping_patience: int = 1, early_stopping_threshold: float | None = 0.0) -> None:
        self.early_stopping_patience = early_stopping_patience
        self.early_stopping_threshold = early_stopping_threshold or 0.0
        self.early_stopping_patience_counter = 0

    def check_metric_value(self, args: TrainingArguments, state: TrainerState, control: TrainerControl, metric_value: float) -> None:
        """Reset the patience counter on an improvement, else count one more miss."""
        best = state.best_metric
        better = best is None or (
            (metric_value > best if args.greater_is_better else metric_value < best)
            and abs(metric_value - best) > self.early_stopping_threshold)
        self.early_stopping_patience_counter = 0 if better else self.early_stopping_patience_counter + 1

    def on_train_begin(self, args: TrainingArguments, state: TrainerState, control: TrainerControl, **kwargs: Any) -> None:
        if args.metric_for_best_model is None:
            raise TrainingError("EarlyStoppingCallback needs TrainingArguments.metric_for_best_model.")
        if args.eval_strategy == IntervalStrategy.NO:
            raise TrainingError("EarlyStoppingCallback needs eval_strategy 'steps' or 'epoch'.")
        if not args.load_best_model_at_end:
            logger.warning("EarlyStoppingCallback without load_best_model_at_end=True: the best model is not "
                           "reloaded when training stops.")

    def on_evaluate(self, args: TrainingArguments, state: TrainerState, control: TrainerControl, metrics: dict | None = None, **kwargs: Any) -> None:
        key = args.metric_for_best_model
        key = key if key.startswith("eval_") else f"eval_{key}"
        value = (metrics or {}).get(key)
        if value is None:
            logger.warning(f"Early stopping is off: the evaluation metrics have no {key!r}.")
            return
        self.check_metric_value(args, state, control, value)
        if self.early_stopping_patience_counter >= self.early_stopping_patience:
            control.should_training_stop = True

    def state(self) -> dict:
        """Exported state (patience settings and the current counter)."""
        return {"args": {"early_stopping_patience": self.early_stopping_patience,
                         "early_stopping_threshold": self.early_stopping_threshold},
                "attributes": {"early_stopping_patience_counter": self.early_stopping_patience_counter}}


class TensorBoardCallback(TrainerCallback):
    """Writes numeric logs as TensorBoard scalars under ``args.logging_dir`` (needs ``tensorboard``)."""

    def __init__(self, tb_writer: Any = None) -> None:
        self.tb_writer = tb_writer

    def on_train_begin(self, args: TrainingArguments, state: TrainerState, control: TrainerControl, **kwargs: Any) -> None:
        if self.tb_writer is None and state.is_world_process_zero:
            try:
                from torch.utils.tensorboard import SummaryWriter
            except ImportError as err:
                raise TrainingError("report_to='tensorboard' needs the tensorboard package: pip install tensorboard") from err
            self.tb_writer = SummaryWriter(log_dir=args.logging_dir)
            self.tb_writer.add_text("args", args.to_json_string())

    def on_log(self, args: TrainingArguments, state: TrainerState, control: TrainerControl, logs: dict | None = None, **kwargs: Any) -> None:
        if self.tb_writer is None:
            return
        for key, value in (logs or {}).items():
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                tag = key if key.startswith(("eval_", "test_")) else f"train/{key}"
                self.tb_writer.add_scalar(tag, value, state.global_step)
        self.tb_writer.flush()

    def on_train_end(self, args: TrainingArguments, state: TrainerState, control: TrainerControl, **kwargs: Any) -> None:
        if self.tb_writer is not None:
            self.tb_writer.close()
            self.tb_writer = None


class JSONLLoggerCallback(TrainerCallback):
    """Appends every log dict, with its step, as one JSON line to ``<output_dir>/log_history.jsonl``
    (a file tools can tail while training runs)."""

    def __init__(self, path: str | os.PathLike | None = None) -> None:
        self.path = path

    def on_log(self, args: TrainingArguments, state: TrainerState, control: TrainerControl, logs: dict | None = None, **kwargs: Any) -> None:
        if not state.is_world_process_zero or logs is None:
            return
        path = self.path or os.path.join(args.output_dir, "log_history.jsonl")
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        with open(path, "a", encoding="utf-8") as f:
            f.write(json.dumps({**logs, "step": state.global_step}) + "\n")


# report_to name -> callback class
INTEGRATION_CALLBACKS: dict[str, type[TrainerCallback]] = {
    "tensorboard": TensorBoardCallback,
    "jsonl": JSONLLoggerCallback,
}
