"""Fine-tune all-MiniLM-L6-v2 into a 3-way tweet sentiment classifier, and measure it against a floor.

    python scripts/finetune_minilm.py                      # train into the embrace cache folder
    python scripts/finetune_minilm.py --skip-if-exists     # what `make run` does: build once, then reuse
    python scripts/finetune_minilm.py --probe              # also fit the linear-probe baseline

The settings come from ``configs/minilm-tweets.yaml`` (the same file ``embrace train`` reads).
The result lands in ``$HF_HOME/embrace/minilm-tweets-sentiment`` by default: the folder
``pipeline("sentiment-analysis")`` falls back to when offline and the reference default model
is not cached. Training writes a hidden sibling folder and renames it at the end, so an
interrupted run leaves nothing a loader could mistake for a model.

``--probe`` fits the baseline the fine-tune must beat: a logistic regression (in torch, full
batch L-BFGS) on frozen, mean-pooled MiniLM embeddings, trained on as many training examples
as the fine-tune saw and scored on the same held-out 10% split.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from embrace.cli.train import DataArguments, parse_config, prepare_splits, train_classifier  # noqa: E402
from embrace.pipelines.registry import offline_default_dir  # noqa: E402

DEFAULT_CONFIG = os.path.join(ROOT, "configs", "minilm-tweets.yaml")


def _embed(model, tokenizer, texts_ids: list[list[int]], batch_size: int = 128):
    """Mean-pooled last hidden states of tokenized examples: (n, hidden)."""
    import torch
    from tqdm.auto import tqdm

    chunks = []
    with torch.inference_mode():
        for start in tqdm(range(0, len(texts_ids), batch_size), desc="embedding", leave=False):
            batch = tokenizer.pad({"input_ids": texts_ids[start:start + batch_size]}, return_tensors="pt")
            hidden = model(**batch).last_hidden_state  # (batch, seq, hidden)
            mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)  # (batch, seq, 1)
            chunks.append((hidden * mask).sum(1) / mask.sum(1).clamp(min=1))
    return torch.cat(chunks)


def linear_probe(model_path: str, data_args: DataArguments, seed: int, num_train: int) -> float:
    """Test accuracy of a logistic regression on frozen mean-pooled embeddings of ``num_train`` examples."""
    import torch

    from embrace import AutoModel, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(model_path)
    encoder = AutoModel.from_pretrained(model_path).eval()
    train, test, names = prepare_splits(data_args, tokenizer, seed)
    train = train.shuffle(seed=seed).select(range(min(num_train, len(train))))
    x_train = _embed(encoder, tokenizer, train["input_ids"])
    x_test = _embed(encoder, tokenizer, test["input_ids"])
    y_train, y_test = torch.tensor(train["labels"]), torch.tensor(test["labels"])
    torch.manual_seed(seed)
    probe = torch.nn.Linear(x_train.shape[1], len(names))
    optimizer = torch.optim.LBFGS(probe.parameters(), max_iter=200, line_search_fn="strong_wolfe")

    def closure():
        optimizer.zero_grad()
        # a small L2 penalty keeps the full-batch fit from running off on separable data
        loss = torch.nn.functional.cross_entropy(probe(x_train), y_train) + 1e-4 * probe.weight.square().sum()
        loss.backward()
        return loss

    optimizer.step(closure)
    with torch.no_grad():
        return float((probe(x_test).argmax(-1) == y_test).float().mean())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--config", default=DEFAULT_CONFIG, help="YAML/JSON config (default: %(default)s)")
    parser.add_argument("--output-dir", default=None,
                        help="where the model goes (default: $HF_HOME/embrace/minilm-tweets-sentiment)")
    parser.add_argument("--max-steps", type=int, default=None, help="override max_steps of the config")
    parser.add_argument("--skip-if-exists", action="store_true", help="do nothing when the output folder has a model")
    parser.add_argument("--probe", action="store_true", help="also fit and score the linear-probe baseline")
    args = parser.parse_args(argv)

    os.chdir(ROOT)  # the config's paths are relative to the repository root
    model_args, data_args, training_args = parse_config(args.config)
    training_args.output_dir = args.output_dir or offline_default_dir("text-classification")
    if args.max_steps is not None:
        training_args.max_steps = args.max_steps
    if args.skip_if_exists and os.path.isfile(os.path.join(training_args.output_dir, "config.json")):
        print(f"fine-tuned MiniLM already built: {training_args.output_dir}")
        return 0
    print(f"fine-tuning {model_args.model_name_or_path} on {data_args.dataset} -> {training_args.output_dir}")
    metrics = train_classifier(model_args, data_args, training_args)
    report = {"finetune_test_accuracy": metrics["test_accuracy"], "train_seconds": metrics["train_wall_seconds"],
              "train_steps": metrics.get("train_steps", training_args.max_steps),
              "train_examples_seen": metrics["train_samples_seen"], "test_samples": metrics["test_samples"]}
    if args.probe:
        start = time.perf_counter()
        report["probe_test_accuracy"] = linear_probe(model_args.model_name_or_path, data_args, training_args.seed,
                                                     metrics["train_samples_seen"])
        report["probe_seconds"] = time.perf_counter() - start
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
