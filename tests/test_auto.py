"""Auto classes: the registry picks the same class as the reference, and misses explain themselves."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
import transformers

import embrace
from embrace.errors import ConfigError, RemoteCodeError, UnknownKeyError

transformers.logging.set_verbosity_error()

TINY = dict(vocab_size=99, hidden_size=32, num_hidden_layers=2, num_attention_heads=4, intermediate_size=37)

AUTO_CLASSES = [
    "AutoModel",
    "AutoModelForPreTraining",
    "AutoModelForMaskedLM",
    "AutoModelForCausalLM",
    "AutoModelForSequenceClassification",
    "AutoModelForMultipleChoice",
    "AutoModelForTokenClassification",
    "AutoModelForQuestionAnswering",
    "AutoModelForNextSentencePrediction",
]


@pytest.fixture(scope="module")
def reference_bert_dir(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("ref_bert")
    torch.manual_seed(0)
    transformers.BertForPreTraining(transformers.BertConfig(**TINY)).save_pretrained(folder)
    return folder


@pytest.mark.parametrize("auto_name", AUTO_CLASSES)
def test_auto_class_picks_the_reference_class(auto_name: str, reference_bert_dir: Path) -> None:
    kwargs = {"is_decoder": True} if auto_name == "AutoModelForCausalLM" else {}
    # Heads absent from the checkpoint are freshly initialised; the same seed gives the same init.
    torch.manual_seed(1)
    ours = getattr(embrace, auto_name).from_pretrained(reference_bert_dir, **kwargs)
    torch.manual_seed(1)
    ref = getattr(transformers, auto_name).from_pretrained(reference_bert_dir, **kwargs)
    assert type(ours).__name__ == type(ref).__name__
    ids = torch.tensor([[2, 5, 7, 9, 3], [2, 8, 4, 3, 0]])
    inputs = {"input_ids": ids, "attention_mask": (ids != 0).long()}
    if auto_name == "AutoModelForMultipleChoice":
        inputs = {k: v.unsqueeze(0) for k, v in inputs.items()}  # (batch=1, choices=2, seq)
    with torch.no_grad():
        ours_out, ref_out = ours(**inputs), ref(**inputs)
    for key in ref_out.keys():
        if isinstance(ref_out[key], torch.Tensor):
            torch.testing.assert_close(ours_out[key], ref_out[key], atol=1e-5, rtol=0)


def test_auto_config_reads_model_type(reference_bert_dir: Path) -> None:
    config = embrace.AutoConfig.from_pretrained(reference_bert_dir, num_labels=4)
    assert type(config).__name__ == "BertConfig"
    assert config.num_labels == 4 and config.hidden_size == 32


def test_auto_from_config_builds_fresh_model() -> None:
    model = embrace.AutoModelForSequenceClassification.from_config(embrace.BertConfig(**TINY, num_labels=3))
    assert type(model).__name__ == "BertForSequenceClassification"
    assert model.classifier.out_features == 3


def test_unknown_model_type_lists_known_types(tmp_path: Path) -> None:
    (tmp_path / "config.json").write_text(json.dumps({"model_type": "not-a-model"}))
    with pytest.raises(UnknownKeyError, match="not-a-model.*bert"):
        embrace.AutoConfig.from_pretrained(tmp_path)


def test_missing_model_type_is_explained(tmp_path: Path) -> None:
    (tmp_path / "config.json").write_text(json.dumps({"hidden_size": 8}))
    with pytest.raises(ConfigError, match="model_type"):
        embrace.AutoConfig.from_pretrained(tmp_path)


def test_remote_code_is_refused(reference_bert_dir: Path) -> None:
    with pytest.raises(RemoteCodeError, match="never executes"):
        embrace.AutoModel.from_pretrained(reference_bert_dir, trust_remote_code=True)
    with pytest.raises(RemoteCodeError):
        embrace.AutoConfig.from_pretrained(reference_bert_dir, trust_remote_code=True)


def test_auto_class_cannot_be_instantiated() -> None:
    with pytest.raises(OSError, match="from_pretrained"):
        embrace.AutoModel()


def test_register_custom_classes() -> None:
    from embrace.auto import _REGISTERED_CONFIGS, _REGISTERED_MODELS

    class TinyConfig(embrace.PretrainedConfig):
        model_type = "tiny-test"
        width: int = 4

    class TinyModel(embrace.PreTrainedModel):
        config_class = TinyConfig

        def __init__(self, config):
            super().__init__(config)
            self.proj = torch.nn.Linear(config.width, config.width)
            self.post_init()

    try:
        embrace.AutoConfig.register("tiny-test", TinyConfig)
        embrace.AutoModel.register(TinyConfig, TinyModel)
        assert type(embrace.AutoConfig.for_model("tiny-test", width=6)) is TinyConfig
        assert type(embrace.AutoModel.from_config(TinyConfig(width=6))) is TinyModel
        with pytest.raises(ConfigError, match="already registered"):
            embrace.AutoConfig.register("tiny-test", TinyConfig)
    finally:
        _REGISTERED_CONFIGS.pop("tiny-test", None)
        _REGISTERED_MODELS.get("AutoModel", {}).pop(TinyConfig, None)


SENTENCES = [
    "The quick brown fox jumps over the lazy dog.",
    "A man is playing a guitar on stage.",
    "Stock markets fell sharply after the announcement.",
    "Je pense, donc je suis.",
    "Das ist ein Satz auf Deutsch mit Umlauten: Größe, Übermaß.",
    "東京は日本の首都です。",
    "I love 🍕 and 🍣!!!",
    "def f(x): return x ** 2  # square",
    "https://example.com/path?query=1&other=two",
    "",
]


def test_minilm_fifty_sentences_match_the_reference(minilm_dir: Path) -> None:
    """Real weights, padded batch of 50 varied sentences: last_hidden_state within 1e-5."""
    tokenizer = transformers.AutoTokenizer.from_pretrained(minilm_dir)
    sentences = [f"{s} ({i})" if i >= len(SENTENCES) else s for i, s in enumerate(SENTENCES * 5)]
    sentences = [s + " extra words" * (i % 7) for i, s in enumerate(sentences)]
    batch = tokenizer(sentences, padding=True, truncation=True, return_tensors="pt")
    ours = embrace.AutoModel.from_pretrained(minilm_dir)
    ref = transformers.AutoModel.from_pretrained(minilm_dir)
    with torch.no_grad():
        ours_out, ref_out = ours(**batch).last_hidden_state, ref(**batch).last_hidden_state
    assert ours_out.shape[0] == 50
    torch.testing.assert_close(ours_out, ref_out, atol=1e-5, rtol=0)
