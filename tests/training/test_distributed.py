"""Distributed training: 2 CPU processes (gloo, via `embrace launch` -> torch.distributed.run) must
train to the same weights as 1 process with the same global batch, write checkpoints from rank 0
only, evaluate over the whole eval set exactly once, and score batch_eval_metrics on every rank's
batches together."""

from __future__ import annotations

import os
import textwrap

import numpy as np
import pytest
from torch.utils.data import DistributedSampler

from embrace.errors import TrainingError
from embrace.training.distributed import DistributedState, EvalShardSampler, ShardedSampler
from embrace.training.trainer_utils import EpochSeededRandomSampler
from tests.training.multiprocess import read_report, run_worker

# One script for both runs: under `embrace launch` it runs on 2 ranks, under plain python on 1.
WORKER = textwrap.dedent('''
    import json, os, sys
    import numpy as np
    import torch
    torch.set_num_threads(1)
    from embrace import BertConfig, BertForSequenceClassification
    from embrace.training import Trainer, TrainingArguments
    from embrace.training import checkpoint as ckpt
    from tests.training.multiprocess import StreamingAccuracy

    out, batch_size, report = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    writes = []
    original = ckpt.write_checkpoint
    def recording_write(*a, **k):
        writes.append(a[1])
        return original(*a, **k)
    ckpt.write_checkpoint = recording_write

    torch.manual_seed(0)
    config = BertConfig(vocab_size=50, hidden_size=16, num_hidden_layers=2, num_attention_heads=2,
                        intermediate_size=24, max_position_embeddings=16, num_labels=3,
                        hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0)
    model = BertForSequenceClassification(config)
    g = torch.Generator().manual_seed(1)
    data = [{"input_ids": torch.randint(1, 50, (6,), generator=g).tolist(), "labels": i % 3} for i in range(16)]
    eval_data = data[:7]  # odd: the two ranks get shards of 4 and 3

    def accuracy(p):
        return {"accuracy": float((p.predictions.argmax(-1) == p.label_ids).mean()), "n": len(p.label_ids)}

    args = TrainingArguments(output_dir=out, per_device_train_batch_size=batch_size, per_device_eval_batch_size=2,
                             num_train_epochs=2, learning_rate=1e-3, optim="adamw_torch", save_strategy="epoch",
                             logging_steps=1, report_to="none", disable_tqdm=True, seed=7)
    with args.main_process_first(desc="write a marker"):  # rank 1 enters only after rank 0 has left
        if args.process_index == 0:
            open(out + ".marker", "w").close()
        saw_marker = os.path.exists(out + ".marker")
    trainer = Trainer(model=model, args=args, train_dataset=data, eval_dataset=eval_data, compute_metrics=accuracy)
    trainer.train()
    metrics = trainer.evaluate()
    predictions = trainer.predict(eval_data).predictions
    # 5 examples, batches of 2: rank 0 scores 2 batches, rank 1 one batch and one padding step
    trainer.args.batch_eval_metrics, trainer.args.include_for_metrics = True, ["inputs"]
    trainer.compute_metrics = streaming = StreamingAccuracy()
    batch_metrics = trainer.evaluate(data[:5], metric_key_prefix="batch")

    first_writes = list(writes)  # the checkpoints of the run above only

    # load_best_model_at_end: every rank agrees on the best checkpoint and reloads it after training
    torch.manual_seed(0)
    best_model = BertForSequenceClassification(config)
    best_args = TrainingArguments(output_dir=out + "-best", per_device_train_batch_size=batch_size,
                                  per_device_eval_batch_size=2, num_train_epochs=3, learning_rate=5e-2,
                                  eval_strategy="epoch", save_strategy="epoch", load_best_model_at_end=True,
                                  metric_for_best_model="loss", report_to="none", disable_tqdm=True, seed=7)
    best = Trainer(model=best_model, args=best_args, train_dataset=data, eval_dataset=eval_data)
    best.train()
    with open(f"{report}.rank{args.process_index}.json", "w") as f:
        json.dump({"world_size": args.world_size, "rank": args.process_index, "writes": first_writes,
                   "should_save": args.should_save, "saw_marker": saw_marker, "metrics": metrics, "predictions": predictions.tolist(),
                   "batch_metrics": batch_metrics, "metric_calls": streaming.calls,
                   "losses": [h["loss"] for h in trainer.state.log_history if "loss" in h],
                   "weights": {k: v.tolist() for k, v in model.state_dict().items()},
                   "best_checkpoint": os.path.basename(best.state.best_model_checkpoint),
                   "eval_losses": [h["eval_loss"] for h in best.state.log_history if "eval_loss" in h],
                   "best_weights": {k: v.tolist() for k, v in best_model.state_dict().items()}}, f)
''')


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    root = tmp_path_factory.mktemp("ddp")
    script = root / "worker.py"
    script.write_text(WORKER)
    run_worker(script, [str(root / "two"), "2", str(root / "two")], nproc=2)
    run_worker(script, [str(root / "one"), "4", str(root / "one")])
    return root, read_report(root / "two", 0), read_report(root / "two", 1), read_report(root / "one")


def test_two_processes_train_the_same_weights_as_one_with_the_same_global_batch(runs):
    _, rank0, rank1, single = runs
    assert (rank0["world_size"], rank1["world_size"], single["world_size"]) == (2, 2, 1)
    for name, value in single["weights"].items():
        np.testing.assert_allclose(rank0["weights"][name], value, atol=1e-6, err_msg=name)
        np.testing.assert_allclose(rank1["weights"][name], value, atol=1e-6, err_msg=name)
    # the logged loss is the mean over both ranks: the single process's loss of the same examples
    np.testing.assert_allclose(rank0["losses"], single["losses"], atol=1e-5)


def test_main_process_first_runs_the_main_process_first(runs):
    _, rank0, rank1, _ = runs
    assert rank0["saw_marker"] and rank1["saw_marker"]


def test_only_rank_zero_writes_checkpoints(runs):
    root, rank0, rank1, _ = runs
    assert rank0["should_save"] and not rank1["should_save"]
    assert rank0["writes"] == [4, 8] and rank1["writes"] == []
    assert sorted(os.listdir(root / "two")) == ["checkpoint-4", "checkpoint-8"]  # no temporary leftovers
    from embrace.safetensors.torch import load_file

    saved = load_file(str(root / "two" / "checkpoint-8" / "model.safetensors"))
    for name, tensor in saved.items():
        np.testing.assert_allclose(tensor.numpy(), rank0["weights"][name], atol=0)


def test_eval_is_gathered_over_the_full_set_once(runs):
    _, rank0, rank1, single = runs
    for report in (rank0, rank1):
        assert report["metrics"]["eval_n"] == 7
        assert len(report["predictions"]) == 7
        np.testing.assert_allclose(report["predictions"], single["predictions"], atol=1e-5)
        assert report["metrics"]["eval_accuracy"] == single["metrics"]["eval_accuracy"]
        assert report["metrics"]["eval_loss"] == pytest.approx(single["metrics"]["eval_loss"], abs=1e-5)


def test_batch_eval_metrics_see_every_rank_batch_once(runs):
    _, rank0, rank1, single = runs
    assert single["batch_metrics"]["batch_n"] == 5 and single["metric_calls"] == 3
    for report in (rank0, rank1):
        # each step scores both ranks' batches together: 2 calls, and the result of the single process
        assert report["metric_calls"] == 2
        for key in ("batch_accuracy", "batch_n", "batch_tokens"):
            assert report["batch_metrics"][key] == single["batch_metrics"][key], key
        assert report["batch_metrics"]["batch_loss"] == pytest.approx(single["batch_metrics"]["batch_loss"], abs=1e-5)


def test_load_best_model_at_end_reloads_the_same_checkpoint_on_every_rank(runs):
    root, rank0, rank1, single = runs
    from embrace.safetensors.torch import load_file

    assert rank0["eval_losses"] == pytest.approx(single["eval_losses"], abs=1e-5)
    assert rank0["best_checkpoint"] == rank1["best_checkpoint"] == single["best_checkpoint"]
    steps = [int(name.split("-")[1]) for name in os.listdir(root / "two-best")]
    best_step = int(rank0["best_checkpoint"].split("-")[1])
    # the checkpoint with the lowest eval loss wins
    assert rank0["eval_losses"].index(min(rank0["eval_losses"])) == sorted(steps).index(best_step)
    saved = load_file(str(root / "two-best" / rank0["best_checkpoint"] / "model.safetensors"))
    for report in (rank0, rank1):
        for name, tensor in saved.items():
            np.testing.assert_allclose(report["best_weights"][name], tensor.numpy(), atol=0, err_msg=name)


@pytest.mark.parametrize("size", [7, 8])
def test_sharded_sampler_matches_distributed_sampler(size):
    data = list(range(size))
    for epoch in (0, 1):
        for rank in (0, 1):
            ours = ShardedSampler(EpochSeededRandomSampler(data, seed=3), num_replicas=2, rank=rank)
            theirs = DistributedSampler(data, num_replicas=2, rank=rank, shuffle=True, seed=3)
            ours.set_epoch(epoch)
            theirs.set_epoch(epoch)
            assert list(ours) == list(theirs) and len(ours) == len(theirs)


def test_eval_shards_cover_the_set_once_in_order():
    shards = [list(EvalShardSampler(range(5), 3, rank)) for rank in range(3)]
    assert shards == [[0, 1], [2, 3], [4]]
    assert list(EvalShardSampler(range(1), 2, 1)) == []


def test_bad_rank_environment_is_refused():
    with pytest.raises(TrainingError, match="RANK=2 is outside WORLD_SIZE=2"):
        DistributedState.from_env({"WORLD_SIZE": "2", "RANK": "2"})
    with pytest.raises(TrainingError, match="must be integers"):
        DistributedState.from_env({"WORLD_SIZE": "two"})
    assert DistributedState.from_env({"WORLD_SIZE": "2", "RANK": "1"}).local_rank == 1
