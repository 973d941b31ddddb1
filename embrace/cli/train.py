"""`embrace train CONFIG.yaml|CONFIG.json`: fine-tune a sequence classifier from one config file.

The file is one mapping holding three groups of keys, parsed by ``HfArgumentParser`` into
:class:`ModelArguments`, :class:`DataArguments` and ``TrainingArguments`` (any of its fields):

.. code-block:: yaml

    model_name_or_path: path/or/repo-id      # an encoder checkpoint (BERT family, ...)
    dataset: data/tweets.csv                 # a csv/json/jsonl/parquet file (or a dataset name)
    dataset_encoding: latin-1
    text_column: text
    label_column: sentiment
    output_dir: out/tweets
    num_train_epochs: 1

The labels are class-encoded (sorted names -> ids, written to the model config as
``id2label``/``label2id``), a stratified ``test_size`` split is held out, the model is trained
with ``Trainer`` and evaluated on the held-out split (accuracy), and the final model +
tokenizer are saved. The save is atomic: training writes into a hidden sibling folder that is
renamed to ``output_dir`` only when everything succeeded, so an interrupted run never leaves a
half-written model where a loader would pick it up.

Example:
    >>> import argparse
    >>> p = argparse.ArgumentParser(); add_arguments(p)
    >>> p.parse_args(["run.yaml", "--max-steps", "3"]).max_steps
    3
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from typing import Any

from embrace.utils.logging import get_logger

logger = get_logger(__name__)

__all__ = ["ModelArguments", "DataArguments", "parse_config", "train_classifier", "add_arguments", "run"]

# data file suffix -> load_dataset builder name
_BUILDERS = {".csv": "csv", ".tsv": "csv", ".json": "json", ".jsonl": "json", ".parquet": "parquet"}


@dataclass
class ModelArguments:
    """Which checkpoint to start from."""

    model_name_or_path: str = field(metadata={"help": "folder or hub repo id of the encoder to fine-tune"})


@dataclass
class DataArguments:
    """Where the examples come from and how they are prepared."""

    dataset: str = field(metadata={"help": "a csv/json/jsonl/parquet file, or a dataset name for load_dataset"})
    dataset_encoding: str | None = field(default=None, metadata={"help": "text encoding of a csv file"})
    text_column: str = "text"
    label_column: str = "label"
    test_size: float = field(default=0.1, metadata={"help": "held-out fraction, stratified by label"})
    max_length: int = field(default=128, metadata={"help": "tokens per example after truncation"})
    max_train_samples: int | None = field(default=None, metadata={"help": "train on the first N examples only"})


def parse_config(path: str | os.PathLike) -> tuple[ModelArguments, DataArguments, Any]:
    """(model, data, training) arguments from a ``.yaml``/``.yml``/``.json`` file."""
    from embrace.errors import ConfigError
    from embrace.training import HfArgumentParser, TrainingArguments

    parser = HfArgumentParser((ModelArguments, DataArguments, TrainingArguments))
    suffix = os.path.splitext(os.fspath(path))[1].lower()
    if suffix in (".yaml", ".yml"):
        return parser.parse_yaml_file(path)
    if suffix == ".json":
        return parser.parse_json_file(path)
    raise ConfigError(f"embrace train: {path} must be a .yaml, .yml or .json file (got {suffix or 'no suffix'}).")


def _load_examples(data: DataArguments) -> Any:
    from embrace.datasets import load_dataset

    builder = _BUILDERS.get(os.path.splitext(data.dataset)[1].lower())
    if builder is None:
        return load_dataset(data.dataset, split="train")
    options = {"encoding": data.dataset_encoding} if builder == "csv" and data.dataset_encoding else {}
    if os.path.splitext(data.dataset)[1].lower() == ".tsv":
        options["delimiter"] = "\t"
    return load_dataset(builder, data_files=data.dataset, split="train", **options)


def prepare_splits(data: DataArguments, tokenizer: Any, seed: int) -> tuple[Any, Any, list[str]]:
    """Tokenized (train, test) splits with a ``labels`` column, and the label names in id order."""
    from embrace.errors import ConfigError

    examples = _load_examples(data)
    missing = [c for c in (data.text_column, data.label_column) if c not in examples.column_names]
    if missing:
        raise ConfigError(f"embrace train: {data.dataset} has no column(s) {missing}; its columns are "
                          f"{examples.column_names}. Set text_column / label_column in the config.")
    examples = examples.filter(lambda row: bool(row[data.text_column]) and row[data.label_column] is not None)
    if data.label_column != "labels":
        examples = examples.rename_column(data.label_column, "labels")
    if not hasattr(examples.features["labels"], "names"):  # strings (or ints) -> a ClassLabel, names sorted
        examples = examples.class_encode_column("labels")
    names = list(examples.features["labels"].names)
    splits = examples.train_test_split(test_size=data.test_size, stratify_by_column="labels", seed=seed)
    train, test = splits["train"], splits["test"]
    if data.max_train_samples is not None:
        train = train.select(range(min(data.max_train_samples, len(train))))

    def tokenize(batch: dict[str, list]) -> dict[str, list]:
        return tokenizer(batch[data.text_column], truncation=True, max_length=data.max_length)

    keep = {"labels"}
    train = train.map(tokenize, batched=True, remove_columns=[c for c in train.column_names if c not in keep])
    test = test.map(tokenize, batched=True, remove_columns=[c for c in test.column_names if c not in keep])
    return train, test, names


def accuracy(eval_pred: Any) -> dict[str, float]:
    """Share of argmax predictions equal to the labels."""
    import numpy as np

    predictions, labels = eval_pred
    return {"accuracy": float((np.asarray(predictions).argmax(-1) == np.asarray(labels)).mean())}


def train_classifier(model_args: ModelArguments, data_args: DataArguments, training_args: Any) -> dict[str, float]:
    """Fine-tune, evaluate on the held-out split and save atomically to ``training_args.output_dir``.

    Returns the metrics (``test_accuracy``, ``test_loss``, ``train_runtime``, ...), also written to
    ``all_results.json`` in the output folder.
    """
    from embrace import AutoModelForSequenceClassification, AutoTokenizer
    from embrace.training import Trainer

    final_dir = os.path.abspath(training_args.output_dir)
    parent = os.path.dirname(final_dir)
    os.makedirs(parent, exist_ok=True)
    work_dir = tempfile.mkdtemp(prefix=f".tmp-{os.path.basename(final_dir)}-", dir=parent)
    training_args.output_dir = work_dir
    try:
        tokenizer = AutoTokenizer.from_pretrained(model_args.model_name_or_path)
        train, test, names = prepare_splits(data_args, tokenizer, training_args.seed)
        model = AutoModelForSequenceClassification.from_pretrained(
            model_args.model_name_or_path, num_labels=len(names),
            id2label=dict(enumerate(names)), label2id={n: i for i, n in enumerate(names)})
        trainer = Trainer(model=model, args=training_args, train_dataset=train, eval_dataset=test,
                          processing_class=tokenizer, compute_metrics=accuracy)
        start = time.perf_counter()
        result = trainer.train()
        metrics = dict(result.metrics)
        metrics["train_wall_seconds"] = time.perf_counter() - start
        metrics["train_steps"] = result.global_step
        per_step = training_args.train_batch_size * training_args.gradient_accumulation_steps * training_args.world_size
        epochs = math.ceil(trainer.state.epoch or 1)  # the last batch of an epoch may be short
        metrics["train_samples_seen"] = min(result.global_step * per_step, len(train) * epochs)
        metrics.update(trainer.evaluate(test, metric_key_prefix="test"))
        metrics.update(train_samples=len(train), test_samples=len(test))
        if training_args.should_save:
            training_args.output_dir = final_dir  # what the saved training_args.json should record
            trainer.save_model(work_dir)
            with open(os.path.join(work_dir, "all_results.json"), "w", encoding="utf-8") as f:
                json.dump(metrics, f, indent=2, sort_keys=True)
    except BaseException:
        shutil.rmtree(work_dir, ignore_errors=True)
        raise
    finally:
        training_args.output_dir = final_dir
    if not training_args.should_save:  # another process of a distributed run owns the result
        shutil.rmtree(work_dir, ignore_errors=True)
        return metrics
    if os.path.isdir(final_dir):  # replace an older result only now that the new one is complete
        shutil.rmtree(final_dir)
    os.replace(work_dir, final_dir)
    return metrics


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("config", help="a .yaml/.yml/.json file of model, data and TrainingArguments fields")
    parser.add_argument("--output-dir", default=None, help="override output_dir from the config")
    parser.add_argument("--max-steps", type=int, default=None, help="override max_steps from the config")


def run(args: argparse.Namespace) -> int:
    model_args, data_args, training_args = parse_config(args.config)
    if args.output_dir is not None:
        training_args.output_dir = args.output_dir
    if args.max_steps is not None:
        training_args.max_steps = args.max_steps
    metrics = train_classifier(model_args, data_args, training_args)
    print(json.dumps({k: metrics[k] for k in sorted(metrics) if k.startswith(("test_", "train_"))}, indent=2))
    print(f"saved to {training_args.output_dir}")
    return 0
