"""FSDP (torch FSDP2 `fully_shard`) under `embrace launch` with 2 gloo CPU processes: the same final
weights as 1 process with the doubled batch (weight decay, clipping and gradient accumulation on),
checkpoints that are the files a single process writes (loadable by from_pretrained here and in the
reference, optimizer.pt loadable into a plain run), resume under FSDP to the uninterrupted result,
evaluation in lockstep, and the arguments' validation against the reference."""

from __future__ import annotations

import json
import logging
import re
import textwrap

import numpy as np
import pytest
import torch

from embrace.errors import CheckpointError, TrainingError
from embrace.training import TrainingArguments
from embrace.training.distributed import optimizer_state_to_indices, optimizer_state_to_names
from tests.training.multiprocess import read_report, run_worker

# One script for both runs: argv = output dir, per-device batch, fsdp option ("" = none).
WORKER = textwrap.dedent('''
    import json, sys
    import torch
    torch.set_num_threads(1)
    from embrace import BertConfig, BertForSequenceClassification
    from embrace.peft import LoraConfig, get_peft_model
    from embrace.training import Trainer, TrainingArguments
    from tests.training.multiprocess import StreamingAccuracy

    out, batch_size, fsdp = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    g = torch.Generator().manual_seed(1)
    data = [{"input_ids": torch.randint(1, 50, (6,), generator=g).tolist(), "labels": i % 3} for i in range(16)]

    def accuracy(p):
        return {"accuracy": float((p.predictions.argmax(-1) == p.label_ids).mean()), "n": len(p.label_ids)}

    def run(output_dir, resume=None, **overrides):
        torch.manual_seed(0)
        config = BertConfig(vocab_size=50, hidden_size=16, num_hidden_layers=2, num_attention_heads=2,
                            intermediate_size=24, max_position_embeddings=16, num_labels=3,
                            hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0)
        model = BertForSequenceClassification(config)
        # 2 steps per epoch of 16 examples; the tiny max_grad_norm makes every step clip
        options = dict(per_device_train_batch_size=batch_size, per_device_eval_batch_size=2,
                       gradient_accumulation_steps=2, num_train_epochs=2, learning_rate=1e-3, weight_decay=0.1,
                       max_grad_norm=0.05, optim="adamw_torch", save_strategy="steps", save_steps=2, logging_steps=1,
                       report_to="none", disable_tqdm=True, seed=7, fsdp=fsdp or None)
        args = TrainingArguments(output_dir=output_dir, **{**options, **overrides})
        trainer = Trainer(model=model, args=args, train_dataset=data, eval_dataset=data[:5], compute_metrics=accuracy)
        trainer.train(resume_from_checkpoint=resume)
        trainer.save_model(output_dir + "/final")
        return trainer, model

    trainer, model = run(out)
    # 5 examples in batches of 2: rank 1 runs one padding forward so that rank 0's last forward can gather
    metrics = trainer.evaluate()
    predictions = trainer.predict(data[:5]).predictions
    # every batch is scored on both ranks' predictions together (rank 1 idles through a padding step)
    trainer.args.batch_eval_metrics, trainer.compute_metrics = True, StreamingAccuracy()
    batch_metrics = trainer.evaluate(metric_key_prefix="batch")
    report = {"world_size": trainer.args.world_size, "metrics": metrics, "predictions": predictions.tolist(),
              "batch_metrics": batch_metrics, "metric_calls": trainer.compute_metrics.calls,
              "grad_norms": [h["grad_norm"] for h in trainer.state.log_history if "grad_norm" in h],
              "sharded": type(model).__name__}
    if fsdp:  # more runs in the same processes
        run(out + "-resumed", resume=out + "/checkpoint-2")  # from the first run's middle checkpoint
        # shard_grad_op keeps the gathered weights from forward to backward, activation checkpointing recomputes
        # the blocks' activations: neither changes the math
        run(out + "-grad-op", fsdp="shard_grad_op", fsdp_config={"activation_checkpointing": True},
            save_strategy="no")
        bf16_trainer, bf16_model = run(out + "-bf16", bf16=True, save_strategy="no")
        report["bf16_param_dtypes"] = sorted({str(p.dtype) for p in bf16_model.parameters()})
        report["bf16_grad_norms"] = [h["grad_norm"] for h in bf16_trainer.state.log_history if "grad_norm" in h]
        refused = {"optimizer": dict(optimizers=(torch.optim.SGD(model.parameters(), lr=0.1), None)),
                   "peft": dict(model=get_peft_model(BertForSequenceClassification(model.config),
                                                     LoraConfig(target_modules=["query"])))}
        for name, kwargs in refused.items():
            try:
                Trainer(**{"model": model, "args": trainer.args, **kwargs})
            except ValueError as err:
                report[name + "_error"] = str(err)
    with open(f"{out}.rank{trainer.args.process_index}.json", "w") as f:
        json.dump(report, f)
''')


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    root = tmp_path_factory.mktemp("fsdp")
    script = root / "worker.py"
    script.write_text(WORKER)
    run_worker(script, [str(root / "fsdp"), "2", "full_shard"], nproc=2)
    run_worker(script, [str(root / "single"), "4", ""])
    return root


def _weights(folder):
    from embrace.safetensors.torch import load_file

    return load_file(str(folder / "model.safetensors"))


def test_fsdp_trains_the_same_weights_as_one_process_with_the_doubled_batch(runs):
    rank0, rank1, single = read_report(runs / "fsdp", 0), read_report(runs / "fsdp", 1), read_report(runs / "single")
    assert rank0["world_size"] == rank1["world_size"] == 2 and single["world_size"] == 1
    assert rank0["sharded"] == "FSDPBertForSequenceClassification"
    ours, reference = _weights(runs / "fsdp" / "final"), _weights(runs / "single" / "final")
    assert sorted(ours) == sorted(reference)
    for name, tensor in reference.items():
        np.testing.assert_allclose(ours[name].numpy(), tensor.numpy(), atol=1e-6, err_msg=name)
    # the clipped norm is the norm over all shards, as one process computes it
    assert all(n > 0.05 for n in single["grad_norms"])
    np.testing.assert_allclose(rank0["grad_norms"], single["grad_norms"], rtol=1e-5)


def test_fsdp_checkpoint_holds_the_files_of_a_single_process_run(runs):
    fsdp, single = runs / "fsdp" / "checkpoint-2", runs / "single" / "checkpoint-2"
    assert sorted(p.name for p in fsdp.iterdir()) == sorted(p.name for p in single.iterdir())
    assert sorted(p.name for p in (runs / "fsdp").iterdir()) == ["checkpoint-2", "checkpoint-4", "final"]
    config = json.loads((fsdp / "config.json").read_text())
    assert config["architectures"] == ["BertForSequenceClassification"]
    ours = torch.load(fsdp / "optimizer.pt", weights_only=True)
    theirs = torch.load(single / "optimizer.pt", weights_only=True)
    assert ours["param_groups"] == theirs["param_groups"] and sorted(ours["state"]) == sorted(theirs["state"])
    for index, state in theirs["state"].items():
        for key, value in state.items():
            torch.testing.assert_close(ours["state"][index][key], value, atol=1e-6, rtol=0)


def test_fsdp_checkpoint_loads_in_a_plain_process_and_in_the_reference(runs):
    from embrace import BertForSequenceClassification

    folder = runs / "fsdp" / "checkpoint-2"
    model = BertForSequenceClassification.from_pretrained(str(folder))
    saved = _weights(folder)
    for name, tensor in model.state_dict().items():
        if name in saved:
            torch.testing.assert_close(tensor, saved[name], atol=0, rtol=0)
    # the optimizer state goes into a plain optimizer over the plain model
    from embrace.training.optimization import create_optimizer

    optimizer = create_optimizer(model, TrainingArguments(output_dir=str(runs / "x"), optim="adamw_torch",
                                                          weight_decay=0.1))
    optimizer.load_state_dict(torch.load(folder / "optimizer.pt", weights_only=True))
    assert optimizer.state[next(model.parameters())]["exp_avg"].shape == next(model.parameters()).shape
    transformers = pytest.importorskip("transformers")
    theirs = transformers.BertForSequenceClassification.from_pretrained(str(runs / "fsdp" / "final"))
    ids = torch.tensor([[3, 7, 9, 11]])
    torch.testing.assert_close(theirs(ids).logits, BertForSequenceClassification.from_pretrained(
        str(runs / "fsdp" / "final"))(input_ids=ids).logits, atol=1e-5, rtol=0)


def test_resuming_under_fsdp_reproduces_the_uninterrupted_run(runs):
    resumed, uninterrupted = _weights(runs / "fsdp-resumed" / "final"), _weights(runs / "fsdp" / "final")
    for name, tensor in uninterrupted.items():
        np.testing.assert_allclose(resumed[name].numpy(), tensor.numpy(), atol=1e-7, err_msg=name)
    assert sorted(p.name for p in (runs / "fsdp-resumed").iterdir()) == ["checkpoint-4", "final"]


def test_fsdp_evaluation_covers_the_set_once_in_lockstep(runs):
    single = read_report(runs / "single")
    for rank in (0, 1):
        report = read_report(runs / "fsdp", rank)
        assert report["metrics"]["eval_n"] == 5 and len(report["predictions"]) == 5
        np.testing.assert_allclose(report["predictions"], single["predictions"], atol=1e-5)
        assert report["metrics"]["eval_loss"] == pytest.approx(single["metrics"]["eval_loss"], abs=1e-5)
        assert report["metric_calls"] == 2 and single["metric_calls"] == 3
        assert report["batch_metrics"]["batch_n"] == single["batch_metrics"]["batch_n"] == 5
        assert report["batch_metrics"]["batch_accuracy"] == single["batch_metrics"]["batch_accuracy"]


def test_shard_grad_op_and_activation_checkpointing_do_not_change_the_result(runs):
    grad_op, full_shard = _weights(runs / "fsdp-grad-op" / "final"), _weights(runs / "fsdp" / "final")
    for name, tensor in full_shard.items():
        np.testing.assert_allclose(grad_op[name].numpy(), tensor.numpy(), atol=1e-6, err_msg=name)


def test_bf16_under_fsdp_computes_in_bf16_over_float32_master_weights(runs):
    report = read_report(runs / "fsdp", 0)
    assert report["bf16_param_dtypes"] == ["torch.float32"]
    assert all(t.dtype == torch.float32 for t in _weights(runs / "fsdp-bf16" / "final").values())
    # bf16 gradients: close to the float32 ones, but not the same numbers
    np.testing.assert_allclose(report["bf16_grad_norms"], report["grad_norms"], rtol=0.05)
    assert report["bf16_grad_norms"] != report["grad_norms"]


def test_an_optimizer_built_before_sharding_and_a_peft_model_are_refused(runs):
    for rank in (0, 1):
        report = read_report(runs / "fsdp", rank)
        assert "holds the parameters from before sharding" in report["optimizer_error"]
        assert "fsdp with a PeftModel is not implemented" in report["peft_error"]


# ---- arguments (one process) --------------------------------------------------------------------------
transformers = pytest.importorskip("transformers")


@pytest.mark.parametrize("fsdp, config", [
    ("full_shard auto_wrap", None),
    (["shard_grad_op", "offload"], {"fsdp_transformer_layer_cls_to_wrap": "BertLayer"}),
    (True, {"min_num_params": 10, "auto_wrap_policy": "SIZE_BASED_WRAP", "cpu_offload": True}),
    ("full_shard", {"reshard_after_forward": False}),  # explicit keys win over the option
])
def test_fsdp_arguments_normalise_like_the_reference(tmp_path, fsdp, config):
    ours = TrainingArguments(output_dir=str(tmp_path), fsdp=fsdp, fsdp_config=config)
    theirs = transformers.TrainingArguments(output_dir=str(tmp_path), fsdp=fsdp, fsdp_config=config)
    assert ours.fsdp is True and theirs.fsdp is True
    assert ours.fsdp_config == theirs.fsdp_config
    assert TrainingArguments.from_dict(ours.to_dict()).fsdp_config == ours.fsdp_config


def test_fsdp_config_from_a_json_file_and_the_command_line(tmp_path):
    from embrace.training import HfArgumentParser

    path = tmp_path / "fsdp.json"
    path.write_text(json.dumps({"fsdp_min_num_params": 5, "transformer_layer_cls_to_wrap": ["BertLayer"]}))
    args = TrainingArguments(output_dir=str(tmp_path), fsdp="full_shard", fsdp_config=str(path))
    assert args.fsdp_config["min_num_params"] == 5 and args.fsdp_config["reshard_after_forward"] is True
    parsed, = HfArgumentParser(TrainingArguments).parse_args_into_dataclasses(
        ["--output_dir", str(tmp_path), "--fsdp", "--fsdp_config", '{"reshard_after_forward": "false"}'])
    assert parsed.fsdp is True and parsed.fsdp_config["reshard_after_forward"] is False
    assert TrainingArguments(output_dir=str(tmp_path)).fsdp is None


@pytest.mark.parametrize("kwargs, match", [
    ({"fsdp": "no_shard"}, "only available with FSDP1"),
    ({"fsdp": "hybrid_shard offload"}, "only available with FSDP1"),
    ({"fsdp": "full_shard shard_grad_op"}, "several sharding strategies"),
    ({"fsdp": "full_shard bogus"}, "Unknown `fsdp` option"),
    ({"fsdp": True, "fsdp_config": {"auto_wrap_policy": "EVERYTHING"}}, "auto_wrap_policy` must be one of"),
    ({"fsdp": True, "fsdp_config": {"version": 1}}, "FSDP2 only"),
    ({"fsdp": True, "fsdp_config": {"xla": True}}, "XLA FSDP is not implemented"),
    ({"fsdp": True, "fsdp_config": {"state_dict_type": "SHARDED_STATE_DICT"}}, "full, unsharded"),
    ({"fsdp": True, "fsdp_config": {"cpu_offload": "maybe"}}, "must be true or false"),
    ({"fsdp": True, "fsdp_config": {"min_num_params": -1}}, "integer >= 0"),
    ({"fsdp": True, "fsdp_config": {"transformer_layer_cls_to_wrap": [3]}}, "must be class names"),
    ({"fsdp": True, "fsdp_config": [1]}, "must be a dict"),
    ({"fsdp": True, "fsdp_config": "missing.json"}, "Could not read fsdp_config file"),
    ({"fsdp": True, "fsdp_config": '{"min_num_params": }'}, "not valid JSON"),
    ({"fsdp": True, "fsdp_config": {"activation_checkpointing": True}, "gradient_checkpointing": True}, "both set"),
])
def test_bad_fsdp_arguments_are_refused(tmp_path, kwargs, match):
    with pytest.raises(TrainingError, match=match):
        TrainingArguments(output_dir=str(tmp_path), **kwargs)


def test_reference_refuses_the_same_fsdp1_strategies(tmp_path):
    for option in ("no_shard", "hybrid_shard", "bogus"):
        with pytest.raises(ValueError):
            transformers.TrainingArguments(output_dir=str(tmp_path), fsdp=option)


def test_unknown_fsdp_config_keys_are_kept_with_a_warning(tmp_path, caplog):
    with caplog.at_level(logging.WARNING, logger="embrace"):
        args = TrainingArguments(output_dir=str(tmp_path), fsdp=True,
                                 fsdp_config={"forward_prefetch": True, "cpu_ram_efficient_loading": "true"})
    assert args.fsdp_config["forward_prefetch"] is True and args.fsdp_config["cpu_ram_efficient_loading"] is True
    assert "['forward_prefetch'] have no effect with FSDP2" in caplog.text
    assert "'cpu_ram_efficient_loading'] has no effect" in caplog.text


def test_fsdp_on_one_process_is_refused(tmp_path):
    from embrace.training import Trainer

    model = torch.nn.Linear(2, 2)
    args = TrainingArguments(output_dir=str(tmp_path), fsdp="full_shard", report_to="none")
    with pytest.raises(TrainingError, match="only works in distributed training"):
        Trainer(model=model, args=args)
    with pytest.raises(ValueError, match="only works in distributed training"):  # the reference's error
        transformers.Trainer(model=torch.nn.Linear(2, 2), args=transformers.TrainingArguments(
            output_dir=str(tmp_path), fsdp="full_shard", report_to="none"))


def test_optimizer_state_conversion_round_trips_and_checks_the_groups():
    by_name = {"state": {"b": {"step": torch.tensor(1.0)}, "c": {"step": torch.tensor(2.0)}},
               "param_groups": [{"lr": 0.1, "params": ["a", "b"]}, {"lr": 0.2, "params": ["c"]}]}
    names = [["a", "b"], ["c"]]
    numbered = optimizer_state_to_indices(by_name, names)
    assert sorted(numbered["state"]) == [1, 2] and [g["params"] for g in numbered["param_groups"]] == [[0, 1], [2]]
    assert optimizer_state_to_names(numbered, names) == by_name
    with pytest.raises(CheckpointError, match="parameter groups of sizes"):
        optimizer_state_to_names(numbered, [["a"], ["b", "c"]])


def _tiny(cls_name):
    import embrace

    config_cls = getattr(embrace, re.sub("For.*", "Config", cls_name))
    config = config_cls(vocab_size=30, hidden_size=8, num_hidden_layers=2, num_attention_heads=2, intermediate_size=8)
    return getattr(embrace, cls_name)(config)


@pytest.mark.parametrize("cls_name, config, units", [
    # the blocks the model declares in _no_split_modules, children first
    ("BertForSequenceClassification", {}, ["bert.encoder.layer.1", "bert.encoder.layer.0", "bert.embeddings"]),
    # a tied input embedding stays with the root (and the LM head that shares it)
    ("BertForMaskedLM", {}, ["bert.encoder.layer.1", "bert.encoder.layer.0"]),
    ("BertForSequenceClassification", {"transformer_layer_cls_to_wrap": ["BertSelfAttention"]},
     ["bert.encoder.layer.1.attention.self", "bert.encoder.layer.0.attention.self"]),
    # every module above 500 parameters (a layer has 464; the 512 x 8 position table 4,096)
    ("BertForSequenceClassification", {"auto_wrap_policy": "SIZE_BASED_WRAP", "min_num_params": 500},
     ["bert.encoder.layer", "bert.encoder", "bert.embeddings.position_embeddings", "bert.embeddings", "bert"]),
    ("BertForSequenceClassification", {"auto_wrap_policy": "NO_WRAP"}, []),
    ("LlamaForCausalLM", {}, ["model.layers.1", "model.layers.0"]),
])
def test_fsdp_units_follow_the_wrap_policy(cls_name, config, units):
    from embrace.training.distributed import fsdp_units

    torch.manual_seed(0)
    assert fsdp_units(_tiny(cls_name), config) == units


def test_fsdp_units_without_declared_blocks_fall_back_to_size_and_name_unknown_classes():
    from embrace.training.distributed import fsdp_units

    model = torch.nn.Sequential(torch.nn.Linear(20, 20), torch.nn.Sequential(torch.nn.Linear(2, 2)))
    assert fsdp_units(model, {}) == []
    assert fsdp_units(model, {"min_num_params": 100}) == ["0"]
    with pytest.raises(TrainingError, match="Could not find the transformer layer class BertLayer in Sequential"):
        fsdp_units(model, {"transformer_layer_cls_to_wrap": ["BertLayer"]})
