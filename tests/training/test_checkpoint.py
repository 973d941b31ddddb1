"""Checkpoints: files on disk, safe loading, atomic writes, rotation, and exact resume."""

from __future__ import annotations

import json
import os

import pytest
import torch

from embrace.errors import CheckpointError
from embrace.training import Trainer, TrainingArguments
from embrace.training import checkpoint as ckpt
from embrace.training import trainer as trainer_module
from tests.training.conftest import PadCollator, embrace_bert, make_classification_data

# 24 examples / batch 4 = 6 batches per epoch; accumulation 2 -> 3 optimizer steps per epoch, so
# step 10 sits in the middle of epoch 4 and resuming must skip batches and restore the RNG
COMMON = dict(per_device_train_batch_size=4, gradient_accumulation_steps=2, learning_rate=5e-3, warmup_steps=2,
              logging_steps=1, seed=11, report_to="none", disable_tqdm=True, max_steps=20)


def _trainer(state, out, eval_dataset=None, **kwargs):
    args = TrainingArguments(output_dir=str(out), **{**COMMON, **kwargs})
    return Trainer(model=embrace_bert(state), args=args, train_dataset=make_classification_data(24),
                   eval_dataset=eval_dataset, data_collator=PadCollator())


def _losses(trainer, first=1):
    return {h["step"]: h["loss"] for h in trainer.state.log_history if "loss" in h and h["step"] >= first}


@pytest.fixture(scope="module")
def full_run(bert_state, tmp_path_factory):
    out = tmp_path_factory.mktemp("full")
    trainer = _trainer(bert_state, out, save_steps=10)
    trainer.train()
    return trainer, out


def test_checkpoint_folder_has_reference_files(full_run):
    _, out = full_run
    assert sorted(os.listdir(out)) == ["checkpoint-10", "checkpoint-20"]
    files = set(os.listdir(out / "checkpoint-10"))
    assert {"model.safetensors", "config.json", "optimizer.pt", "scheduler.pt", "rng_state.pth",
            "trainer_state.json", "training_args.bin", "training_args.json"} <= files
    for name in ("optimizer.pt", "scheduler.pt", "rng_state.pth", "training_args.bin"):
        torch.load(out / "checkpoint-10" / name, weights_only=True)  # nothing but tensors and plain values
    args = torch.load(out / "checkpoint-10" / "training_args.bin", weights_only=True)
    assert args["max_steps"] == 20 and args == json.loads((out / "checkpoint-10" / "training_args.json").read_text())


def test_reference_reads_our_checkpoint(full_run):
    transformers = pytest.importorskip("transformers")
    _, out = full_run
    state = transformers.TrainerState.load_from_json(str(out / "checkpoint-10" / "trainer_state.json"))
    assert state.global_step == 10 and len([h for h in state.log_history if "loss" in h]) == 10
    model = transformers.BertForSequenceClassification.from_pretrained(str(out / "checkpoint-20"))
    ours = full_run[0].model.state_dict()
    for name, value in model.state_dict().items():
        if name in ours:
            torch.testing.assert_close(value, ours[name])


def test_resume_reproduces_uninterrupted_run(full_run, bert_state, tmp_path):
    full, out = full_run
    resumed = _trainer(bert_state, tmp_path, save_strategy="no")
    resumed.train(resume_from_checkpoint=str(out / "checkpoint-10"))
    mine, expected = _losses(resumed, 11), _losses(full, 11)
    assert sorted(mine) == list(range(11, 21))
    for step in mine:
        assert mine[step] == pytest.approx(expected[step], abs=1e-6), step
    for name, value in resumed.model.state_dict().items():
        torch.testing.assert_close(value, full.model.state_dict()[name], atol=1e-6, rtol=0)


def test_resume_true_picks_last_checkpoint(full_run, bert_state, tmp_path):
    _, out = full_run
    trainer = _trainer(bert_state, out, save_strategy="no", max_steps=21)
    trainer.train(resume_from_checkpoint=True)
    assert trainer.state.global_step == 21 and sorted(_losses(trainer, 21)) == [21]
    with pytest.raises(CheckpointError, match="no checkpoint"):
        _trainer(bert_state, tmp_path).train(resume_from_checkpoint=True)


def test_crash_mid_save_leaves_previous_checkpoint_intact(bert_state, tmp_path, monkeypatch):
    trainer = _trainer(bert_state, tmp_path, save_steps=2, max_steps=4)
    real = trainer_module.capture_rng_state
    calls = []

    def flaky():
        calls.append(1)
        if len(calls) == 2:
            raise OSError("disk full")
        return real()

    monkeypatch.setattr(trainer_module, "capture_rng_state", flaky)
    with pytest.raises(OSError, match="disk full"):
        trainer.train()
    assert sorted(os.listdir(tmp_path)) == ["checkpoint-2"]  # no partial checkpoint-4, no temp folder
    state = json.loads((tmp_path / "checkpoint-2" / "trainer_state.json").read_text())
    assert state["global_step"] == 2
    torch.load(tmp_path / "checkpoint-2" / "rng_state.pth", weights_only=True)


def test_hostile_or_missing_checkpoint_files_raise(full_run, tmp_path):
    import shutil

    _, out = full_run
    broken = tmp_path / "checkpoint-10"
    shutil.copytree(out / "checkpoint-10", broken)
    (broken / "optimizer.pt").write_bytes(b"not a torch file")
    with pytest.raises(CheckpointError, match="optimizer.pt"):
        ckpt.load_torch_file(broken, "optimizer.pt")
    with pytest.raises(CheckpointError, match="missing"):
        ckpt.load_torch_file(broken, "nothing.pt")

    class Evil:
        def __reduce__(self):
            return (print, ("pwned",))

    torch.save({"x": Evil()}, broken / "scheduler.pt")
    with pytest.raises(CheckpointError, match="safely"):
        ckpt.load_torch_file(broken, "scheduler.pt")


def test_rotation_keeps_the_best_checkpoint(tmp_path):
    for step in (2, 4, 6, 8):
        (tmp_path / f"checkpoint-{step}").mkdir()
    deleted = ckpt.rotate_checkpoints(tmp_path, 2, str(tmp_path / "checkpoint-2"))
    assert sorted(os.listdir(tmp_path)) == ["checkpoint-2", "checkpoint-8"]
    assert [os.path.basename(d) for d in deleted] == ["checkpoint-4", "checkpoint-6"]
    # limit 1 with an older best keeps two, so training can still resume from the newest
    (tmp_path / "checkpoint-10").mkdir()
    ckpt.rotate_checkpoints(tmp_path, 1, str(tmp_path / "checkpoint-2"))
    assert sorted(os.listdir(tmp_path)) == ["checkpoint-10", "checkpoint-2"]


def test_best_model_is_kept_and_loaded_at_end(bert_state, tmp_path):
    scores = iter([0.9, 0.1, 0.2, 0.3])
    trainer = _trainer(bert_state, tmp_path, max_steps=8, eval_strategy="steps", eval_steps=2, save_steps=2,
                       save_total_limit=1, load_best_model_at_end=True, metric_for_best_model="score",
                       eval_dataset=make_classification_data(6, seed=5))
    trainer.compute_metrics = lambda pred: {"score": next(scores)}
    trainer.train()
    assert trainer.state.best_global_step == 2 and trainer.state.best_metric == 0.9
    assert trainer.state.best_model_checkpoint == str(tmp_path / "checkpoint-2")
    assert sorted(os.listdir(tmp_path)) == ["checkpoint-2", "checkpoint-8"]
    from embrace.safetensors.torch import load_file

    best = load_file(str(tmp_path / "checkpoint-2" / "model.safetensors"))
    for name, value in best.items():
        torch.testing.assert_close(trainer.model.state_dict()[name], value)


def test_trainer_state_json_has_reference_fields(full_run):
    transformers = pytest.importorskip("transformers")
    import dataclasses

    _, out = full_run
    ours = json.loads((out / "checkpoint-20" / "trainer_state.json").read_text())
    assert set(ours) == {f.name for f in dataclasses.fields(transformers.TrainerState)}
    assert ours["global_step"] == 20 and ours["max_steps"] == 20 and ours["logging_steps"] == 1
    assert ours["log_history"][0]["step"] == 1 and "TrainerControl" in ours["stateful_callbacks"]


def test_reference_trainer_resumes_from_our_checkpoint(full_run, bert_state, tmp_path):
    transformers = pytest.importorskip("transformers")
    from tests.training.conftest import TINY_BERT

    full, out = full_run
    model = transformers.BertForSequenceClassification(transformers.BertConfig(**TINY_BERT))
    model.load_state_dict(bert_state)
    ref = transformers.Trainer(model=model, args=transformers.TrainingArguments(
        output_dir=str(tmp_path), **{**COMMON, "save_strategy": "no", "use_cpu": True}),
        train_dataset=make_classification_data(24), data_collator=PadCollator())
    ref.model_accepts_loss_kwargs = False  # see test_trainer_parity: the mean-over-window convention
    ref.train(resume_from_checkpoint=str(out / "checkpoint-10"))
    theirs, expected = _losses(ref, 11), _losses(full, 11)
    assert sorted(theirs) == list(range(11, 21))
    for step in theirs:
        assert theirs[step] == pytest.approx(expected[step], abs=1e-5), step


def test_we_resume_from_a_reference_checkpoint(bert_state, tmp_path):
    transformers = pytest.importorskip("transformers")
    from tests.training.conftest import TINY_BERT

    model = transformers.BertForSequenceClassification(transformers.BertConfig(**TINY_BERT))
    model.load_state_dict(bert_state)
    ref = transformers.Trainer(model=model, args=transformers.TrainingArguments(
        output_dir=str(tmp_path / "ref"), **{**COMMON, "save_steps": 10, "use_cpu": True}),
        train_dataset=make_classification_data(24), data_collator=PadCollator())
    ref.model_accepts_loss_kwargs = False  # see test_trainer_parity: the mean-over-window convention
    ref.train()
    ours = _trainer(bert_state, tmp_path / "ours", save_strategy="no")
    ours.train(resume_from_checkpoint=str(tmp_path / "ref" / "checkpoint-10"))
    mine, expected = _losses(ours, 11), _losses(ref, 11)
    assert sorted(mine) == list(range(11, 21))
    for step in mine:
        assert mine[step] == pytest.approx(expected[step], abs=1e-5), step
