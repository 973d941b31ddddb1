"""zero-shot-classification with a BART NLI head (the architecture of the task's default,
facebook/bart-large-mnli) against the current reference's pipeline, on a tiny random
BartForSequenceClassification with a byte-level BPE tokenizer built from GPT-2's files."""

from __future__ import annotations

import pytest
import transformers

import embrace

from ._compare import assert_same
from .seq2seq_models import build_bart

TEXTS = [
    "The team won the championship after a dramatic final match.",
    "Parliament passed the new budget",
    "Mix the flour with two eggs, then bake the dough for twenty minutes at a low temperature.",
]
NLI_LABELS = {0: "contradiction", 1: "neutral", 2: "entailment"}


@pytest.fixture(scope="module")
def pipelines(tmp_path_factory, assets_dir):
    folder = build_bart(tmp_path_factory.mktemp("bart-nli"), assets_dir, head="BartForSequenceClassification",
                        num_labels=3, id2label=NLI_LABELS, label2id={v: k for k, v in NLI_LABELS.items()})
    return (transformers.pipeline("zero-shot-classification", model=str(folder)),
            embrace.pipeline("zero-shot-classification", model=str(folder)))


@pytest.mark.parametrize("options", [
    {"candidate_labels": ["sports", "politics", "cooking"]},
    {"candidate_labels": ["sports", "politics", "cooking"], "multi_label": True},
    {"candidate_labels": "sports, cooking", "multi_label": False, "hypothesis_template": "The topic is {}."},
    {"candidate_labels": ["travel"]},
])
def test_matches_reference(pipelines, options):
    reference, ours = pipelines
    assert ours.entailment_id == reference.entailment_id == 2
    assert_same(ours(TEXTS[0], **options), reference(TEXTS[0], **options), tol=1e-5)
    expected = reference(TEXTS, **options)
    for batch_size in (1, 2):  # batch_size=2 pairs texts of unequal lengths, right-padded
        assert_same(ours(TEXTS, batch_size=batch_size, **options), expected, tol=1e-5)


def test_scores_are_distributions(pipelines):
    _, ours = pipelines
    single = ours(TEXTS[1], candidate_labels=["a", "b", "c"])
    assert abs(sum(single["scores"]) - 1) < 1e-5 and single["scores"] == sorted(single["scores"], reverse=True)
    multi = ours(TEXTS[1], candidate_labels=["a", "b", "c"], multi_label=True)
    assert all(0 < score < 1 for score in multi["scores"])


def test_bad_input(pipelines):
    _, ours = pipelines
    with pytest.raises(ValueError, match="at least one label"):
        ours(TEXTS[0], candidate_labels=[])
    with pytest.raises(TypeError, match="flavour"):
        ours(TEXTS[0], candidate_labels=["a"], flavour=1)
