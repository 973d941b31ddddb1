"""text-classification, token-classification, fill-mask, feature-extraction and
zero-shot-classification against the reference pipelines on tiny random BERTs."""

from __future__ import annotations

import logging

import pytest
import torch
import transformers

import embrace
from embrace.errors import PipelineException

from ._compare import assert_same

TEXTS = [
    "My name is Wolfgang and I live in Berlin.",
    "Hello",
    "unbelievable transformations happen in Kraków today, said Jean-Baptiste Dupont",
    "The quick brown fox jumps over the lazy dog near the riverbank in Copenhagen.",
    "Ok.",
]


def _both(task: str, folder, **kwargs):
    return transformers.pipeline(task, model=str(folder), **kwargs), embrace.pipeline(task, model=str(folder), **kwargs)


@pytest.fixture(scope="module")
def classifier(tiny_bert):
    return _both("text-classification", tiny_bert("classifier"))


@pytest.mark.parametrize("options", [{}, {"top_k": 2}, {"top_k": None}, {"function_to_apply": "sigmoid"},
                                     {"function_to_apply": "none", "top_k": 3}])
def test_text_classification_matches_reference(classifier, options):
    reference, ours = classifier
    assert_same(ours(TEXTS[0], **options), reference(TEXTS[0], **options))
    expected = reference(TEXTS, **options)
    for batch_size in (1, 4):
        assert_same(ours(TEXTS, batch_size=batch_size, **options), expected)


def test_text_classification_pairs_and_legacy_all_scores(classifier):
    reference, ours = classifier
    pair = {"text": "A man eats.", "text_pair": "Someone is eating."}
    assert_same(ours(pair), reference(pair))
    assert_same(ours([pair, pair], batch_size=2), reference([pair, pair]))
    everything = ours(TEXTS[0], return_all_scores=True)
    assert [entry["label"] for entry in everything[0]] == ["negative", "neutral", "positive"]
    # v4's return_all_scores=True: every label in label order, wrapped in a list for one string.
    order = {"negative": 0, "neutral": 1, "positive": 2}
    assert_same(everything, [sorted(reference(TEXTS[0], top_k=None), key=lambda e: order[e["label"]])])


def test_sentiment_analysis_alias_and_bad_options(tiny_bert):
    ours = embrace.pipeline("sentiment-analysis", model=str(tiny_bert("classifier")))
    assert ours.task == "sentiment-analysis" and type(ours).__name__ == "TextClassificationPipeline"
    with pytest.raises(TypeError, match="colour"):
        ours("hi", colour="red")
    with pytest.raises(ValueError, match="function_to_apply"):
        ours("hi", function_to_apply="tanh")
    with pytest.raises(ValueError, match="text_pair"):
        ours({"txt": "a"})


@pytest.fixture(scope="module")
def ner(tiny_bert):
    return _both("token-classification", tiny_bert("ner"))


@pytest.mark.parametrize("options", [
    {}, {"aggregation_strategy": "simple"}, {"aggregation_strategy": "first"},
    {"aggregation_strategy": "average"}, {"aggregation_strategy": "max"}, {"ignore_labels": []},
    {"aggregation_strategy": "simple", "ignore_labels": ["MISC"]},
])
def test_token_classification_matches_reference(ner, options):
    reference, ours = ner
    expected = reference(TEXTS, **options)
    assert any(len(found) > 1 for found in expected)  # the case groups several entities
    assert_same(ours(TEXTS[2], **options), expected[2])
    for batch_size in (1, 4):
        assert_same(ours(TEXTS, batch_size=batch_size, **options), expected)


def test_token_classification_grouped_entities_alias_and_stride(ner):
    reference, ours = ner
    assert_same(ours(TEXTS[2], grouped_entities=True), reference(TEXTS[2], aggregation_strategy="simple"))
    assert_same(ours(TEXTS[2], grouped_entities=True, ignore_subwords=True),
                reference(TEXTS[2], aggregation_strategy="first"))
    long_text = " ".join(TEXTS * 12)
    expected = reference(long_text, aggregation_strategy="simple", stride=16)
    assert_same(ours(long_text, aggregation_strategy="simple", stride=16), expected)
    assert_same(ours([long_text, TEXTS[0]], aggregation_strategy="simple", stride=16, batch_size=4)[0], expected)
    with pytest.raises(ValueError, match="aggregation_strategy"):
        ours(TEXTS[0], stride=8)
    with pytest.raises(ValueError, match="aggregation_strategy"):
        ours(TEXTS[0], aggregation_strategy="longest")


@pytest.fixture(scope="module")
def unmasker(tiny_bert):
    return _both("fill-mask", tiny_bert("mlm"))


def test_fill_mask_matches_reference(unmasker):
    reference, ours = unmasker
    texts = ["Paris is the [MASK] of France.", "The [MASK] sat on the [MASK].", "I [MASK] it."]
    for options in ({}, {"top_k": 2}, {"targets": ["capital", "city", "dog"]}):
        assert_same(ours(texts[0], **options), reference(texts[0], **options), tol=1e-6)
        expected = reference(texts, **options)
        for batch_size in (1, 2):
            assert_same(ours(texts, batch_size=batch_size, **options), expected, tol=1e-6)


def test_fill_mask_unknown_targets_and_missing_mask(unmasker, caplog):
    reference, ours = unmasker
    text = "Paris is the [MASK] of France."
    with caplog.at_level(logging.WARNING, logger="embrace"):
        answer = ours(text, targets=["capital", "zzyzxq"])
    assert "does not exist in the model vocabulary" in caplog.text
    assert_same(answer, reference(text, targets=["capital", "zzyzxq"]), tol=1e-6)
    with pytest.raises(PipelineException, match=r"\[MASK\]"):
        ours("No mask here.")
    with pytest.raises(ValueError, match="top_k"):
        ours(text, top_k=0)


@pytest.fixture(scope="module")
def extractor(tiny_bert):
    return _both("feature-extraction", tiny_bert("base"))


def test_feature_extraction_matches_reference_without_padding_rows(extractor):
    reference, ours = extractor
    for text in TEXTS:
        assert_same(ours(text), reference(text), tol=1e-5)
    unbatched = [ours(text) for text in TEXTS]
    for batch_size in (2, 4):
        batched = ours(TEXTS, batch_size=batch_size)
        assert [len(v[0]) for v in batched] == [len(v[0]) for v in unbatched]  # no padding positions
        assert_same(batched, unbatched, tol=1e-5)
    tensor = ours(TEXTS[0], return_tensors=True)
    assert isinstance(tensor, torch.Tensor) and tensor.shape[:2] == (1, len(unbatched[0][0]))
    assert_same(ours(TEXTS[3], truncation=True, tokenize_kwargs={"max_length": 6}),
                reference(TEXTS[3], truncation=True, tokenize_kwargs={"max_length": 6}), tol=1e-5)
    with pytest.raises(TypeError, match="colour"):
        ours("x", tokenize_kwargs={"colour": 1})


def test_feature_extraction_real_minilm(minilm_dir):
    reference = transformers.pipeline("feature-extraction", model=str(minilm_dir))
    ours = embrace.pipeline(model=str(minilm_dir))  # task from architectures: BertModel
    assert ours.task == "feature-extraction"
    texts = TEXTS[:3]
    assert_same(ours(texts, batch_size=2), [reference(t) for t in texts], tol=1e-4)


@pytest.fixture(scope="module")
def zero_shot(tiny_bert):
    return _both("zero-shot-classification", tiny_bert("nli"))


@pytest.mark.parametrize("options", [
    {"candidate_labels": ["politics", "sports", "cooking"]},
    {"candidate_labels": "politics, sports", "multi_label": True},
    {"candidate_labels": ["travel"], "hypothesis_template": "This text is about {}."},
])
def test_zero_shot_matches_reference(zero_shot, options):
    reference, ours = zero_shot
    assert_same(ours(TEXTS[0], **options), reference(TEXTS[0], **options), tol=1e-5)
    expected = reference(TEXTS[:3], **options)
    for batch_size in (1, 4):
        assert_same(ours(TEXTS[:3], batch_size=batch_size, **options), expected, tol=1e-5)
    assert ours.entailment_id == 2


def test_zero_shot_bad_input(zero_shot):
    _, ours = zero_shot
    assert_same(ours(TEXTS[0], ["a", "b"]), ours(TEXTS[0], candidate_labels=["a", "b"]))
    with pytest.raises(PipelineException, match="at least one label"):
        ours(TEXTS[0], candidate_labels=[])
    with pytest.raises(PipelineException, match="hypothesis_template"):
        ours(TEXTS[0], candidate_labels=["a"], hypothesis_template="no slot")
