"""TrainingArguments: defaults and derived values vs the reference, v4 aliases, validation."""

from __future__ import annotations

import dataclasses
import json

import pytest

from embrace.errors import TrainingError
from embrace.training import IntervalStrategy, SaveStrategy, SchedulerType, TrainingArguments

transformers = pytest.importorskip("transformers")


def test_defaults_match_reference(tmp_path):
    mine = TrainingArguments(output_dir=str(tmp_path))
    theirs = transformers.TrainingArguments(output_dir=str(tmp_path))
    shared = {f.name for f in dataclasses.fields(mine)} & {f.name for f in dataclasses.fields(theirs)}
    skip = {"report_to", "logging_dir", "run_name", "disable_tqdm"}  # environment-dependent in the reference
    diffs = {}
    for name in sorted(shared - skip):
        a, b = getattr(mine, name), getattr(theirs, name)
        a, b = getattr(a, "value", a), getattr(b, "value", b)
        if a != b:
            diffs[name] = (a, b)
    assert not diffs
    assert len(shared) > 60
    for prop in ("train_batch_size", "eval_batch_size", "n_gpu", "world_size", "process_index"):
        assert getattr(mine, prop) == getattr(theirs, prop), prop


def test_default_output_dir_and_derived_values():
    args = TrainingArguments(per_device_train_batch_size=3, eval_strategy="steps", logging_steps=7)
    assert args.output_dir == "trainer_output" == transformers.TrainingArguments().output_dir
    assert args.train_batch_size == 3 and args.eval_steps == 7 and args.device.type == "cpu"
    assert args.get_warmup_steps(100) == 0
    assert TrainingArguments(warmup_steps=0.15).get_warmup_steps(100) == 15
    assert TrainingArguments(warmup_steps=4).get_warmup_steps(100) == 4


def test_v4_aliases():
    args = TrainingArguments(output_dir="o", evaluation_strategy="epoch", no_cuda=True, warmup_ratio=0.1,
                             group_by_length=True)
    assert args.eval_strategy is IntervalStrategy.EPOCH and args.use_cpu
    assert args.warmup_steps == 0.1 and args.train_sampling_strategy == "group_by_length"
    assert "evaluation_strategy" not in args.to_dict() and "no_cuda" not in args.to_dict()


def test_enums_are_str_enums():
    args = TrainingArguments(output_dir="o", save_strategy="epoch", lr_scheduler_type="cosine")
    assert args.save_strategy == "epoch" and args.save_strategy is SaveStrategy.EPOCH
    assert args.lr_scheduler_type is SchedulerType.COSINE and str(args.lr_scheduler_type) == "cosine"


def test_to_dict_and_json_roundtrip():
    args = TrainingArguments(output_dir="o", learning_rate=3e-4, eval_strategy="steps", eval_steps=5,
                             lr_scheduler_kwargs='{"num_cycles": 2}')
    data = json.loads(args.to_json_string())
    assert data["eval_strategy"] == "steps" and data["learning_rate"] == 3e-4
    assert data["lr_scheduler_kwargs"] == {"num_cycles": 2}
    again = TrainingArguments.from_dict(data)
    assert again.to_dict() == args.to_dict()
    with pytest.raises(TypeError, match="unknown fields"):
        TrainingArguments.from_dict({**data, "colour": 1})
    with pytest.raises(TypeError):
        TrainingArguments(output_dir="o", colour=1)


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"load_best_model_at_end": True, "eval_strategy": "epoch", "save_strategy": "steps"}, "matching evaluation and save"),
    ({"load_best_model_at_end": True, "eval_strategy": "steps", "eval_steps": 3, "save_steps": 10}, "multiple of eval_steps"),
    ({"fp16": True, "bf16": True}, "choose one"),
    ({"fp16": True, "use_cpu": True}, "needs a CUDA GPU"),
    ({"eval_strategy": "sometimes"}, "not a valid IntervalStrategy"),
    ({"optim": "adamw_magic"}, "not a valid OptimizerNames"),
    ({"logging_steps": 2.5}, "whole numbers"),
    ({"gradient_accumulation_steps": 0}, "gradient_accumulation_steps"),
    ({"report_to": "wandb"}, "unknown integrations"),
    ({"warmup_ratio": 0.1, "warmup_steps": 3}, "not both"),
    ({"train_sampling_strategy": "zigzag"}, "train_sampling_strategy"),
    ({"save_strategy": "best", "eval_strategy": "epoch"}, "needs metric_for_best_model"),
])
def test_contradictory_settings_raise(kwargs, message):
    with pytest.raises(TrainingError, match=message):
        TrainingArguments(output_dir="o", **kwargs)
    assert issubclass(TrainingError, ValueError)


def test_best_model_defaults_match_reference():
    for kwargs in ({"load_best_model_at_end": True, "eval_strategy": "steps", "eval_steps": 5, "save_steps": 10},
                   {"metric_for_best_model": "accuracy"},
                   {"save_strategy": "best", "eval_strategy": "epoch", "metric_for_best_model": "f1"}):
        mine, theirs = TrainingArguments(output_dir="o", **kwargs), transformers.TrainingArguments(output_dir="o", **kwargs)
        assert (mine.metric_for_best_model, mine.greater_is_better) == (theirs.metric_for_best_model, theirs.greater_is_better)


def test_seq2seq_arguments_serialize():
    from embrace import GenerationConfig
    from embrace.training import Seq2SeqTrainingArguments

    args = Seq2SeqTrainingArguments(output_dir="o", predict_with_generate=True, generation_num_beams=2,
                                    generation_config=GenerationConfig(max_new_tokens=5))
    data = json.loads(args.to_json_string())
    assert data["generation_num_beams"] == 2 and data["generation_config"]["max_new_tokens"] == 5
