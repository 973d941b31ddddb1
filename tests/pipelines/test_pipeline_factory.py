"""pipeline(): task inference, defaults, model objects, input kinds, devices, saving, errors."""

from __future__ import annotations

import pytest
import torch
import transformers

import embrace
from embrace.datasets import Dataset
from embrace.errors import LocalEntryNotFoundError, RemoteCodeError, UnknownKeyError
from embrace.pipelines import KeyDataset, KeyPairDataset, SUPPORTED_TASKS

from ._compare import assert_same

TEXTS = ["a short one", "this text is quite a bit longer than the others are", "mid length text"]


@pytest.fixture(scope="module")
def classifier(tiny_bert):
    return embrace.pipeline("text-classification", model=str(tiny_bert("classifier")))


def test_task_inferred_from_architectures(tiny_bert):
    for head, task in (("classifier", "text-classification"), ("ner", "token-classification"),
                       ("mlm", "fill-mask"), ("base", "feature-extraction")):
        assert embrace.pipeline(model=str(tiny_bert(head))).task == task


def test_defaults_are_the_reference_ones():
    from transformers.pipelines import SUPPORTED_TASKS as REFERENCE

    for name, spec in SUPPORTED_TASKS.items():
        if name in REFERENCE:  # question-answering is checked against the legacy reference in its own tests
            assert spec.default_model == REFERENCE[name]["default"]["model"], name


def test_unknown_task_lists_known_tasks():
    with pytest.raises(UnknownKeyError, match="fill-mask.*text-generation"):
        embrace.pipeline("summarise-everything", model="x")
    with pytest.raises(KeyError):
        embrace.pipeline("nope")


def test_default_model_offline_names_it_and_the_fix():
    with pytest.raises(LocalEntryNotFoundError,
                       match=r"distilbert/distilbert-base-uncased-finetuned-sst-2-english.*embrace download"):
        embrace.pipeline("sentiment-analysis")


def test_refusals_and_unknown_options(tiny_bert):
    folder = str(tiny_bert("classifier"))
    with pytest.raises(RemoteCodeError):
        embrace.pipeline("text-classification", model=folder, trust_remote_code=True)
    with pytest.raises(TypeError, match="flavour"):
        embrace.pipeline("text-classification", model=folder, flavour="mint")
    with pytest.raises(RuntimeError, match="task or a model"):
        embrace.pipeline()


def test_model_object_with_tokenizer_from_name_or_path(tiny_bert, classifier):
    folder = tiny_bert("classifier")
    model = embrace.AutoModelForSequenceClassification.from_pretrained(folder)
    ours = embrace.pipeline("text-classification", model=model)
    assert ours(TEXTS) == classifier(TEXTS)
    tokenizer = embrace.AutoTokenizer.from_pretrained(folder)
    assert embrace.pipeline(model=model, tokenizer=tokenizer)(TEXTS) == classifier(TEXTS)
    assert embrace.pipeline("text-classification", model=str(folder), config=str(folder))(TEXTS) == classifier(TEXTS)
    fresh = embrace.AutoModelForSequenceClassification.from_config(
        embrace.BertConfig(vocab_size=99, hidden_size=32, num_hidden_layers=1, num_attention_heads=2,
                           intermediate_size=37))  # never saved: no name_or_path to find a tokenizer with
    with pytest.raises(ValueError, match="tokenizer="):
        embrace.pipeline("text-classification", model=fresh)


def test_inputs_lists_generators_and_datasets(classifier):
    expected = classifier(TEXTS)
    assert [classifier(text)[0] for text in TEXTS] == expected

    pulled = []

    def source():
        for text in TEXTS:
            pulled.append(text)
            yield text

    stream = classifier(source(), batch_size=1)
    assert pulled == []  # nothing runs before the first answer is asked for
    assert next(stream) == expected[0] and pulled == TEXTS[:1]
    assert list(stream) == expected[1:]

    dataset = Dataset.from_dict({"text": TEXTS, "other": TEXTS[::-1]})
    assert list(classifier(KeyDataset(dataset, "text"), batch_size=2)) == expected
    assert list(classifier(dataset["text"], batch_size=2)) == expected
    pairs = list(classifier(KeyPairDataset(dataset, "text", "other")))
    assert pairs == classifier([{"text": a, "text_pair": b} for a, b in zip(TEXTS, TEXTS[::-1])])
    assert classifier.predict(TEXTS) == classifier.transform(TEXTS) == expected


def test_bucketing_keeps_input_order(classifier):
    texts = [TEXTS[i % 3] + " x" * (i % 5) for i in range(11)]
    one_by_one = classifier(texts)
    batched = classifier(texts, batch_size=4)
    assert [a["label"] for a in batched] == [a["label"] for a in one_by_one]
    assert_same(batched, one_by_one, tol=1e-5)
    with pytest.raises(ValueError, match="batch_size"):
        classifier(texts, batch_size=0)


def test_devices(tiny_bert):
    folder = str(tiny_bert("classifier"))
    for device in ("cpu", -1, torch.device("cpu")):
        assert embrace.pipeline("text-classification", model=folder, device=device).device == torch.device("cpu")
    with pytest.raises(ValueError, match="Unknown device"):
        embrace.pipeline("text-classification", model=folder, device="warp-drive")
    with pytest.raises(TypeError, match="device"):
        embrace.pipeline("text-classification", model=folder, device=1.5)


def test_save_pretrained_round_trips_through_the_reference(classifier, tmp_path):
    classifier.save_pretrained(tmp_path / "saved")
    reference = transformers.pipeline("text-classification", model=str(tmp_path / "saved"))
    assert_same(classifier(TEXTS), reference(TEXTS), tol=1e-6)
    (tmp_path / "file").write_text("x")
    with pytest.raises(NotADirectoryError):
        classifier.save_pretrained(tmp_path / "file")
