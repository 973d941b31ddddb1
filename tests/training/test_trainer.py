"""Trainer behaviour: loss normalisation, streaming evaluation, columns, callbacks, precision options."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest
import torch

from embrace.errors import TrainingError
from embrace.training import (
    EarlyStoppingCallback, Seq2SeqTrainer, Seq2SeqTrainingArguments, Trainer, TrainerCallback, TrainingArguments,
)
from embrace.training.trainer_utils import EvalPrediction, LengthGroupedSampler, get_length_grouped_indices
from tests.training.conftest import PadCollator, embrace_bert, make_classification_data

QUIET = dict(report_to="none", disable_tqdm=True, save_strategy="no")


def tiny_llama(seed=0):
    from embrace import LlamaConfig, LlamaForCausalLM

    torch.manual_seed(seed)
    return LlamaForCausalLM(LlamaConfig(vocab_size=40, hidden_size=16, intermediate_size=24, num_hidden_layers=1,
                                        num_attention_heads=2, num_key_value_heads=2, max_position_embeddings=32))


def lm_data(n=16, seed=2):
    g = torch.Generator().manual_seed(seed)
    out = []
    for _ in range(n):
        ids = torch.randint(3, 40, (int(torch.randint(2, 10, (1,), generator=g)),), generator=g).tolist()
        out.append({"input_ids": ids, "labels": ids})
    return out


def test_accumulation_normalises_over_real_token_count(tmp_path):
    """4 x 2 with accumulation == one batch of 8, for a token-level loss with unequal padding."""
    weights = []
    for bs, ga in ((8, 1), (2, 4)):
        model = tiny_llama()
        args = TrainingArguments(output_dir=str(tmp_path), per_device_train_batch_size=bs, gradient_accumulation_steps=ga,
                                 max_steps=3, optim="sgd", learning_rate=0.5, max_grad_norm=0, **QUIET)
        trainer = Trainer(model=model, args=args, train_dataset=lm_data(), data_collator=PadCollator())
        assert trainer.model_accepts_loss_kwargs
        trainer.train()
        weights.append(model.state_dict())
    moved = False
    for name, value in weights[0].items():
        torch.testing.assert_close(weights[1][name], value, atol=1e-6, rtol=0, msg=name)
        moved |= not torch.equal(value, tiny_llama().state_dict()[name])
    assert moved


class Recorder(TrainerCallback):
    def __init__(self):
        self.events, self.step_inputs = [], []

    def __getattribute__(self, name):
        if name.startswith("on_"):
            def record(args, state, control, **kwargs):
                self.events.append(name)
                if name == "on_step_end":
                    self.step_inputs.append((len(kwargs["inputs"]), kwargs["loss"]))
            return record
        return super().__getattribute__(name)


@pytest.fixture(scope="module")
def trained(bert_state, tmp_path_factory):
    recorder = Recorder()
    args = TrainingArguments(output_dir=str(tmp_path_factory.mktemp("t")), max_steps=4, per_device_train_batch_size=4,
                             gradient_accumulation_steps=2, logging_steps=2, eval_strategy="steps", eval_steps=4,
                             per_device_eval_batch_size=3, include_num_input_tokens_seen=True, **QUIET)
    trainer = Trainer(model=embrace_bert(bert_state), args=args, train_dataset=make_classification_data(24),
                      eval_dataset=make_classification_data(10, seed=4), data_collator=PadCollator(), callbacks=[recorder])
    trainer.train()
    return trainer, recorder


def test_callback_events_and_step_payload(trained):
    trainer, recorder = trained
    events = recorder.events
    assert events[0] == "on_init_end" and events[1] == "on_train_begin" and events[-1] == "on_train_end"
    assert events.count("on_step_begin") == events.count("on_step_end") == events.count("on_optimizer_step") == 4
    assert events.count("on_substep_end") == 4 and events.count("on_pre_optimizer_step") == 4
    assert events.count("on_evaluate") == 1 and events.count("on_prediction_step") == 4
    assert recorder.step_inputs and all(n == 2 for n, _ in recorder.step_inputs)
    logged = [h["loss"] for h in trainer.state.log_history if "loss" in h]
    assert logged[0] == pytest.approx(sum(loss for _, loss in recorder.step_inputs[:2]) / 2)
    assert trainer.state.num_input_tokens_seen > 0


def test_callbacks_add_pop_remove(trained):
    trainer, recorder = trained
    assert trainer.pop_callback(Recorder) is recorder
    trainer.add_callback(recorder)
    trainer.remove_callback(recorder)
    assert all(cb is not recorder for cb in trainer.callback_handler.callbacks)
    with pytest.raises(TrainingError, match="TrainerCallback"):
        trainer.add_callback(object())


def _accuracy(pred: EvalPrediction, compute_result: bool | None = None):
    return {"accuracy": float((np.asarray(pred.predictions).argmax(-1) == np.asarray(pred.label_ids)).mean())}


class BatchAccuracy:
    """compute_metrics for batch_eval_metrics: accumulates counts, reports on the last batch."""

    def __init__(self):
        self.right = self.total = self.calls = 0
        self.largest = 0

    def __call__(self, pred, compute_result):
        self.calls += 1
        logits = pred.predictions
        self.largest = max(self.largest, logits.shape[0])
        self.right += int((logits.argmax(-1) == pred.label_ids).sum())
        self.total += int(pred.label_ids.numel())
        if compute_result:
            return {"accuracy": self.right / self.total}
        return {}


def test_evaluation_modes_agree_and_batch_metrics_stream(trained):
    trainer, _ = trained
    data = make_classification_data(10, seed=4)
    trainer.compute_metrics = _accuracy
    plain = trainer.evaluate(data)
    trainer.args.eval_accumulation_steps = 2
    accumulated = trainer.evaluate(data)
    trainer.args.eval_accumulation_steps = None
    assert accumulated["eval_loss"] == pytest.approx(plain["eval_loss"]) and accumulated["eval_accuracy"] == plain["eval_accuracy"]
    batched = BatchAccuracy()
    trainer.compute_metrics, trainer.args.batch_eval_metrics = batched, True
    try:
        output = trainer.evaluation_loop(trainer.get_eval_dataloader(data), "Evaluation")
    finally:
        trainer.args.batch_eval_metrics = False
    assert output.predictions is None and output.label_ids is None  # nothing was accumulated
    assert batched.calls == 4 and batched.largest == 3
    assert output.metrics["eval_accuracy"] == plain["eval_accuracy"]
    assert output.metrics["eval_loss"] == pytest.approx(plain["eval_loss"])
    assert {"eval_runtime", "eval_samples_per_second", "eval_steps_per_second"} <= set(plain)


def test_eval_loss_matches_reference_definition(trained):
    trainer, _ = trained
    data = make_classification_data(10, seed=4)
    trainer.compute_metrics = None
    model = trainer.model.eval()
    batch = PadCollator()(data)
    with torch.no_grad():
        logits = model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]).logits
    # per-batch mean losses weighted by batch size (3, 3, 3, 1) == the reference's repeat-then-mean
    losses = []
    for i in range(0, 10, 3):
        part = PadCollator()(data[i:i + 3])
        with torch.no_grad():
            out = model(**part)
        losses += [out.loss.item()] * part["input_ids"].shape[0]
    metrics = trainer.evaluate(data)
    assert metrics["eval_loss"] == pytest.approx(float(np.mean(losses)), abs=1e-6)
    prediction = trainer.predict(data)
    np.testing.assert_allclose(prediction.predictions, logits.numpy(), atol=1e-5)
    assert prediction.label_ids.tolist() == [d["labels"] for d in data] and "test_loss" in prediction.metrics


def test_preprocess_logits_for_metrics(trained):
    trainer, _ = trained
    seen = {}

    def metrics(pred):
        seen["dtype"] = pred.predictions.dtype
        return {"accuracy": float((pred.predictions == pred.label_ids).mean())}

    trainer.compute_metrics = metrics
    trainer.preprocess_logits_for_metrics = lambda logits, labels: logits.argmax(-1)
    try:
        assert "eval_accuracy" in trainer.evaluate(make_classification_data(6, seed=4))
    finally:
        trainer.preprocess_logits_for_metrics = None
    assert seen["dtype"] == np.int64


def test_remove_unused_columns_for_lists_and_datasets(bert_state, tmp_path):
    from embrace.datasets import Dataset

    rows = [{**row, "text": "unused", "idx": i} for i, row in enumerate(make_classification_data(8))]
    args = TrainingArguments(output_dir=str(tmp_path), max_steps=1, per_device_train_batch_size=4, **QUIET)
    seen = []

    def collator(features):
        seen.append(set(features[0]))
        return PadCollator()(features)

    trainer = Trainer(model=embrace_bert(bert_state), args=args, data_collator=collator, train_dataset=rows)
    trainer.train()
    assert seen[-1] == {"input_ids", "labels"}
    dataset = Dataset.from_list(rows)
    loader = Trainer(model=embrace_bert(bert_state), args=args, data_collator=collator).get_eval_dataloader(dataset)
    next(iter(loader))
    assert seen[-1] == {"input_ids", "labels"} and set(dataset.column_names) >= {"text", "idx"}
    nothing = Dataset.from_list([{"text": "a"}, {"text": "b"}])
    with pytest.raises(TrainingError, match="No dataset column"):
        trainer.get_test_dataloader(nothing)


def test_group_by_length_sampler_matches_reference():
    from transformers.trainer_pt_utils import get_length_grouped_indices as reference

    lengths = [int(x) for x in torch.randint(1, 50, (203,), generator=torch.Generator().manual_seed(3))]
    for batch in (4, 16):
        ours = get_length_grouped_indices(lengths, batch, generator=torch.Generator().manual_seed(5))
        assert ours == reference(lengths, batch, generator=torch.Generator().manual_seed(5))
    sampler = LengthGroupedSampler(2, dataset=[{"input_ids": [0] * n} for n in (3, 8, 1, 5)])
    assert sorted(sampler) == [0, 1, 2, 3]
    with pytest.raises(TrainingError, match="input_ids"):
        LengthGroupedSampler(2, dataset=[{"x": 1}])


def test_group_by_length_training_batches_are_grouped(bert_state, tmp_path):
    widths = []
    args = TrainingArguments(output_dir=str(tmp_path), max_steps=6, per_device_train_batch_size=4,
                             group_by_length=True, **QUIET)

    def collator(features):
        widths.append(sorted(len(f["input_ids"]) for f in features))
        return PadCollator()(features)

    Trainer(model=embrace_bert(bert_state), args=args, data_collator=collator,
            train_dataset=make_classification_data(24)).train()
    assert widths[0][-1] == max(len(d["input_ids"]) for d in make_classification_data(24))


def test_early_stopping_and_jsonl_log(bert_state, tmp_path):
    scores = iter([0.5, 0.4, 0.3, 0.2, 0.1])
    args = TrainingArguments(output_dir=str(tmp_path), max_steps=10, per_device_train_batch_size=4, eval_strategy="steps",
                             eval_steps=1, logging_steps=1, metric_for_best_model="score", report_to=["jsonl"],
                             disable_tqdm=True, save_strategy="no")
    trainer = Trainer(model=embrace_bert(bert_state), args=args, data_collator=PadCollator(),
                      train_dataset=make_classification_data(24), eval_dataset=make_classification_data(4),
                      compute_metrics=lambda p: {"score": next(scores)}, callbacks=[EarlyStoppingCallback(2)])
    trainer.train()
    assert trainer.state.global_step == 3  # best at step 1, two evaluations without improvement
    lines = [json.loads(x) for x in (tmp_path / "log_history.jsonl").read_text().splitlines()]
    assert lines == [{k: v for k, v in h.items()} for h in trainer.state.log_history]


def test_tensorboard_writes_events(bert_state, tmp_path):
    pytest.importorskip("tensorboard")
    args = TrainingArguments(output_dir=str(tmp_path), max_steps=2, logging_steps=1, report_to="tensorboard",
                             disable_tqdm=True, save_strategy="no")
    Trainer(model=embrace_bert(bert_state), args=args, data_collator=PadCollator(),
            train_dataset=make_classification_data(16)).train()
    assert any(name.startswith("events.out.tfevents") for name in os.listdir(tmp_path / "runs"))


def test_bf16_and_gradient_checkpointing_smoke(tmp_path):
    model = tiny_llama()
    args = TrainingArguments(output_dir=str(tmp_path), max_steps=2, bf16=True, gradient_checkpointing=True,
                             per_device_train_batch_size=4, **QUIET)
    trainer = Trainer(model=model, args=args, train_dataset=lm_data(), data_collator=PadCollator())
    assert model.is_gradient_checkpointing
    before = model.model.embed_tokens.weight.detach().clone()
    output = trainer.train()
    assert np.isfinite(output.training_loss) and not torch.equal(before, model.model.embed_tokens.weight)
    assert model.model.embed_tokens.weight.dtype == torch.float32


def test_packed_batches_train_like_padded_ones(tmp_path):
    # The Trainer turns the model's KV cache off (TrainingArguments.use_cache=False, as the
    # reference does), so a DataCollatorWithFlattening batch keeps its examples apart: the
    # first step's loss equals the padded batch's loss over the same label tokens.
    from embrace.training import DataCollatorWithFlattening

    data = lm_data(n=4)
    losses = {}
    for name, collator in (("packed", DataCollatorWithFlattening()), ("padded", None)):
        model = tiny_llama()
        trainer = Trainer(model=model, args=TrainingArguments(output_dir=str(tmp_path / name), max_steps=1,
                                                              per_device_train_batch_size=4, logging_steps=1, **QUIET),
                          train_dataset=data, data_collator=collator or PadCollator())
        assert model.config.use_cache is False
        losses[name] = trainer.train().training_loss
    assert losses["packed"] == pytest.approx(losses["padded"], abs=1e-5)
    model = tiny_llama()
    Trainer(model=model, args=TrainingArguments(output_dir=str(tmp_path / "cached"), use_cache=True, **QUIET))
    assert model.config.use_cache is True


class Regressor(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.linear = torch.nn.Linear(3, 1)

    def forward(self, x, labels=None):
        out = self.linear(x).squeeze(-1)
        return {"loss": torch.nn.functional.mse_loss(out, labels), "logits": out}


def test_torch_compile_wraps_the_model_and_saves_the_original(tmp_path):
    torch.manual_seed(0)
    model = Regressor()
    data = [{"x": torch.randn(3), "labels": torch.tensor(1.0)} for _ in range(8)]
    args = TrainingArguments(output_dir=str(tmp_path), max_steps=2, torch_compile=True, torch_compile_backend="eager",
                             per_device_train_batch_size=4, **QUIET)
    trainer = Trainer(model=model, args=args, train_dataset=data)
    assert trainer.model_wrapped is not model and trainer.model is model
    trainer.train()
    trainer.save_model()
    from embrace.safetensors.torch import load_file

    saved = load_file(str(tmp_path / "model.safetensors"))
    assert set(saved) == {"linear.weight", "linear.bias"}
    torch.testing.assert_close(saved["linear.weight"], model.linear.weight.detach())


def test_seq2seq_trainer_predicts_with_generate(tmp_path):
    model = tiny_llama()
    args = Seq2SeqTrainingArguments(output_dir=str(tmp_path), predict_with_generate=True, generation_max_length=12,
                                    per_device_eval_batch_size=2, **QUIET)
    data = [{"input_ids": [5, 6, 7, 8]}, {"input_ids": [9, 10, 11, 12]}]
    trainer = Seq2SeqTrainer(model=model, args=args, data_collator=PadCollator())
    out = trainer.predict(data)
    expected = model.generate(torch.tensor([d["input_ids"] for d in data]), max_length=12)
    np.testing.assert_array_equal(out.predictions, expected.numpy())


def test_bad_trainer_input(bert_state, tmp_path):
    args = TrainingArguments(output_dir=str(tmp_path), max_steps=1, **QUIET)
    with pytest.raises(TrainingError, match="model or a model_init"):
        Trainer(args=args)
    trainer = Trainer(model=embrace_bert(bert_state), args=args, data_collator=PadCollator())
    with pytest.raises(TrainingError, match="train_dataset"):
        trainer.train()
    with pytest.raises(TrainingError, match="eval_dataset"):
        trainer.evaluate()
    with pytest.raises(TrainingError, match="needs an eval_dataset"):
        Trainer(model=embrace_bert(bert_state), args=TrainingArguments(output_dir=str(tmp_path), eval_strategy="epoch"))
    trainer.train_dataset = [{"input_ids": [1, 2, 3]}] * 4  # no labels: the model returns no loss
    with pytest.raises(TrainingError, match="returned no loss"):
        trainer.train()
    with pytest.raises(TypeError):
        Trainer(model=embrace_bert(bert_state), args=args, colour=1)


def test_model_init_and_compute_loss_func(tmp_path):
    calls = []

    def loss_func(outputs, labels, num_items_in_batch=None):
        calls.append(int(num_items_in_batch))
        logits = outputs.logits[:, :-1].reshape(-1, outputs.logits.shape[-1])
        return torch.nn.functional.cross_entropy(logits, labels[:, 1:].reshape(-1), reduction="sum") / num_items_in_batch

    args = TrainingArguments(output_dir=str(tmp_path), max_steps=2, per_device_train_batch_size=4, **QUIET)
    trainer = Trainer(model_init=lambda: tiny_llama(), args=args, train_dataset=lm_data(), data_collator=PadCollator(),
                      compute_loss_func=loss_func)
    trainer.train()
    assert len(calls) == 2 and all(c > 0 for c in calls)


def test_iterable_dataset_and_progress_bars(bert_state, tmp_path, monkeypatch, capsys):
    from embrace.training import ProgressCallback

    monkeypatch.delenv("EMBRACE_DISABLE_PROGRESS_BARS")
    monkeypatch.delenv("HF_HUB_DISABLE_PROGRESS_BARS")
    rows = make_classification_data(12)

    class Stream(torch.utils.data.IterableDataset):
        def __iter__(self):
            return iter(rows)

    args = TrainingArguments(output_dir=str(tmp_path), max_steps=5, per_device_train_batch_size=4, logging_steps=1,
                             report_to="none", save_strategy="no")
    trainer = Trainer(model=embrace_bert(bert_state), args=args, train_dataset=Stream(), data_collator=PadCollator())
    assert any(isinstance(cb, ProgressCallback) for cb in trainer.callback_handler.callbacks)
    trainer.train()
    assert trainer.state.global_step == 3  # 12 examples / 4 = 3 steps, then the stream is exhausted
    with pytest.raises(TrainingError, match="max_steps"):
        Trainer(model=embrace_bert(bert_state), args=TrainingArguments(output_dir=str(tmp_path), **QUIET),
                train_dataset=Stream(), data_collator=PadCollator()).train()


@pytest.mark.parametrize(("shape", "shift", "items"), [((6, 5), False, None), ((3, 7, 11), True, None), ((3, 7, 11), True, 9)])
def test_label_smoothing_matches_reference(shape, shift, items):
    from transformers.trainer_pt_utils import LabelSmoother

    from embrace.training.trainer_utils import label_smoothed_loss

    torch.manual_seed(0)
    logits = torch.randn(*shape)
    labels = torch.randint(0, shape[-1], shape[:-1])
    labels[0, ...] = -100 if labels.dim() == 1 else labels[0, ...]
    if labels.dim() > 1:
        labels[1, -2:] = -100
    expected = LabelSmoother(epsilon=0.1)({"logits": logits}, labels, shift_labels=shift, num_items_in_batch=items)
    torch.testing.assert_close(label_smoothed_loss(logits, labels, 0.1, shift_labels=shift, num_items_in_batch=items),
                               expected)


def test_label_smoothing_in_training(bert_state, tmp_path):
    args = TrainingArguments(output_dir=str(tmp_path), max_steps=1, label_smoothing_factor=0.2,
                             per_device_eval_batch_size=8, **QUIET)
    trainer = Trainer(model=embrace_bert(bert_state), args=args, data_collator=PadCollator())
    data = make_classification_data(8)
    batch = PadCollator()(data)
    from embrace.training.trainer_utils import label_smoothed_loss

    with torch.no_grad():
        logits = trainer.model.eval()(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]).logits
    expected = label_smoothed_loss(logits, batch["labels"], 0.2).item()
    assert trainer.evaluate(data)["eval_loss"] == pytest.approx(expected, abs=1e-6)


def test_processing_class_is_saved_and_pads(minilm_dir, tmp_path):
    from embrace import AutoTokenizer, BertConfig, BertForSequenceClassification
    from embrace.datasets import Dataset

    tokenizer = AutoTokenizer.from_pretrained(minilm_dir)
    texts = ["a short one", "a somewhat longer sentence for padding", "mid length text", "x"]
    dataset = Dataset.from_dict({"text": texts, "label": [0, 1, 0, 1]}).map(lambda row: tokenizer(row["text"]))
    torch.manual_seed(0)
    model = BertForSequenceClassification(BertConfig(vocab_size=tokenizer.vocab_size, hidden_size=16, num_hidden_layers=1,
                                                     num_attention_heads=2, intermediate_size=20))
    args = TrainingArguments(output_dir=str(tmp_path), max_steps=1, per_device_train_batch_size=4, save_steps=1,
                             report_to="none", disable_tqdm=True)
    trainer = Trainer(model=model, args=args, train_dataset=dataset, processing_class=tokenizer)
    trainer.train()
    files = set(os.listdir(tmp_path / "checkpoint-1"))
    assert {"tokenizer.json", "tokenizer_config.json", "model.safetensors", "config.json"} <= files
    assert AutoTokenizer.from_pretrained(str(tmp_path / "checkpoint-1"))("a short one")["input_ids"] == \
        tokenizer("a short one")["input_ids"]
