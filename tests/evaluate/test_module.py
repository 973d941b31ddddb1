"""The metric object: load/registry, add/add_batch/compute, combine, input validation."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import embrace.evaluate as evaluate
from embrace.errors import EvaluationModuleNotFoundError, MetricInputError


def test_import_does_not_pull_torch_or_metric_libraries():
    code = ("import sys, embrace.evaluate as e; [e.load(n, 'mrpc' if n == 'glue' else None) for n in e.list_evaluation_modules()];"
            "bad = [m for m in ('torch', 'sklearn', 'scipy', 'nltk', 'rouge_score', 'sacrebleu', 'seqeval', 'evaluate') if m in sys.modules];"
            "print(bad)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_local_metric_folder_resolves_to_the_builtin(tmp_path):
    folder = tmp_path / "metrics" / "accuracy"
    folder.mkdir(parents=True)
    assert evaluate.load(str(folder)).compute(predictions=[1], references=[1]) == {"accuracy": 1.0}


def test_registry_names_hub_ids_and_unknown_names():
    names = evaluate.list_evaluation_modules()
    assert {"accuracy", "f1", "glue", "squad_v2", "seqeval", "bleu", "sacrebleu", "rouge", "perplexity"} <= set(names)
    assert evaluate.list_evaluation_modules(module_type="measurement") == []
    assert evaluate.list_evaluation_modules(with_details=True)[0] == {"name": names[0], "type": "metric", "community": False, "likes": 0}
    assert evaluate.load("evaluate-metric/rouge").name == "rouge"
    assert isinstance(evaluate.load("accuracy"), evaluate.Metric)
    with pytest.raises(EvaluationModuleNotFoundError, match="offline-first.*accuracy, bleu") as info:
        evaluate.load("bleurt")
    assert isinstance(info.value, FileNotFoundError)
    with pytest.raises(EvaluationModuleNotFoundError, match="type 'metric' only"):
        evaluate.load("accuracy", module_type="comparison")
    with pytest.raises(TypeError, match="no_answer_threshold"):
        evaluate.load("accuracy", no_answer_threshold=0.5)
    with pytest.raises(MetricInputError, match="no config 'multilist'"):
        evaluate.load("accuracy", "multilist")


@settings(max_examples=30)
@given(preds=st.lists(st.integers(0, 2), min_size=1, max_size=20), data=st.data())
def test_add_add_batch_and_compute_agree(preds, data):
    refs = data.draw(st.lists(st.integers(0, 2), min_size=len(preds), max_size=len(preds)))
    split = data.draw(st.integers(0, len(preds)))
    direct = evaluate.load("f1").compute(predictions=preds, references=refs, average="macro")
    metric = evaluate.load("f1")
    metric.add_batch(predictions=np.array(preds[:split]), references=refs[:split])
    for p, r in zip(preds[split:], refs[split:]):
        metric.add(prediction=p, reference=r)
    assert metric.compute(average="macro") == direct
    # compute() consumed the buffer: the next compute needs new data
    with pytest.raises(MetricInputError, match="nothing to compute"):
        metric.compute()
    # inputs given to compute() are scored together with what was added before
    metric.add_batch(predictions=preds[:split], references=refs[:split])
    assert metric.compute(predictions=preds[split:], references=refs[split:], average="macro") == direct


def test_inputs_are_validated_with_the_metric_name():
    acc = evaluate.load("accuracy")
    with pytest.raises(MetricInputError, match="'accuracy'.*missing: \\['references'\\]"):
        acc.compute(predictions=[1, 0])
    with pytest.raises(MetricInputError, match="mismatch in the number of predictions \\(2\\), references \\(3\\)"):
        acc.compute(predictions=[1, 0], references=[1, 0, 1])
    with pytest.raises(MetricInputError, match="don't match the expected format.*Value\\(dtype='int32'\\)"):
        acc.compute(predictions=["a", "b"], references=[1, 0])
    with pytest.raises(MetricInputError, match="must be a list"):
        acc.compute(predictions=1, references=1)
    with pytest.raises(TypeError, match="unexpected keyword arguments \\['averag'\\]"):
        acc.compute(predictions=[1], references=[1], averag="macro")
    with pytest.raises(TypeError, match="unexpected inputs \\['labels'\\]"):
        acc.add_batch(predictions=[1], references=[1], labels=[1])
    # a failed call leaves nothing half-added behind
    assert acc.compute(predictions=[1, 1], references=[1, 0]) == {"accuracy": 0.5}
    rouge = evaluate.load("rouge")
    with pytest.raises(MetricInputError, match="'rouge'"):
        rouge.compute(predictions=[1], references=["a"])


def test_combine_merges_and_prefixes():
    preds, refs = [0, 1, 1, 0], [0, 1, 0, 0]
    both = evaluate.combine(["accuracy", "f1", "precision", "recall"])
    assert both.compute(predictions=preds, references=refs) == {"accuracy": 0.75, "f1": 0.6666666666666666, "precision": 0.5, "recall": 1.0}
    prefixed = evaluate.combine([evaluate.load("accuracy"), "f1"], force_prefix=True)
    prefixed.add_batch(predictions=preds[:2], references=refs[:2])
    prefixed.add(prediction=preds[2], reference=refs[2])
    assert prefixed.compute(predictions=preds[3:], references=refs[3:]) == {"accuracy_accuracy": 0.75, "f1_f1": 0.6666666666666666}
    # options go to the metrics that take them; the same metric twice is numbered
    twice = evaluate.combine(["f1", "f1", "accuracy"])
    out = twice.compute(predictions=[0, 1, 2], references=[0, 2, 2], average="macro")
    assert out == {"f1_0_f1": pytest.approx(5 / 9), "f1_1_f1": pytest.approx(5 / 9), "accuracy": pytest.approx(2 / 3)}
    with pytest.raises(TypeError, match="no metric accepts: \\['beta'\\]"):
        evaluate.combine(["accuracy"]).compute(predictions=[1], references=[1], beta=2)
    with pytest.raises(MetricInputError, match="takes a list"):
        evaluate.combine("accuracy")
    with pytest.raises(EvaluationModuleNotFoundError):
        evaluate.combine(["accuracy", "nope"])
