"""`embrace train CONFIG` on a tiny random BERT + a 60-row CSV, and the offline default model of
`pipeline("sentiment-analysis")` (the fine-tuned stand-in under $HF_HOME/embrace)."""

from __future__ import annotations

import importlib.util
import json
import os
from pathlib import Path

import pytest
import torch

from embrace.cli.main import main
from embrace.errors import ConfigError, LocalEntryNotFoundError

ROOT = Path(__file__).resolve().parents[2]
WORDS = ["good", "great", "love", "fine", "okay", "meh", "bad", "awful", "hate", "the", "movie", "food", "was", "is"]
MOODS = {"positive": ["good", "great", "love"], "neutral": ["fine", "okay", "meh"], "negative": ["bad", "awful", "hate"]}


@pytest.fixture(scope="module")
def tiny_bert(tmp_path_factory) -> Path:
    """A tiny random BERT encoder and its tokenizer, saved by the reference library."""
    import transformers

    folder = tmp_path_factory.mktemp("tiny-bert")
    vocab = folder / "vocab.txt"
    vocab.write_text("\n".join(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *WORDS]) + "\n")
    transformers.BertTokenizerFast(vocab_file=str(vocab)).save_pretrained(folder)
    torch.manual_seed(0)
    config = transformers.BertConfig(vocab_size=len(WORDS) + 5, hidden_size=16, num_hidden_layers=1,
                                     num_attention_heads=2, intermediate_size=24, max_position_embeddings=32)
    transformers.BertModel(config).save_pretrained(folder)
    return folder


@pytest.fixture(scope="module")
def trained(tiny_bert, tmp_path_factory) -> tuple[Path, dict]:
    work = tmp_path_factory.mktemp("train")
    rows = ["mood,text"]
    for i in range(60):
        mood = list(MOODS)[i % 3]
        rows.append(f"{mood},the movie was {MOODS[mood][i % 3]} {'food' if i % 2 else ''}")
    (work / "data.csv").write_text("\n".join(rows) + "\n")
    config = {"model_name_or_path": str(tiny_bert), "dataset": str(work / "data.csv"), "label_column": "mood",
              "max_length": 16, "output_dir": str(work / "out"), "num_train_epochs": 2, "learning_rate": 1e-3,
              "per_device_train_batch_size": 8, "save_strategy": "no", "logging_steps": 2, "seed": 42,
              "report_to": "none", "disable_tqdm": True, "test_size": 0.2}
    (work / "run.json").write_text(json.dumps(config))
    assert main(["train", str(work / "run.json")]) == 0
    return work, config


def test_train_saves_a_classifier_the_reference_loads(trained):
    import transformers

    from embrace import AutoModelForSequenceClassification, AutoTokenizer

    work, _ = trained
    out = work / "out"
    assert sorted(p.name for p in work.iterdir()) == ["data.csv", "out", "run.json"]  # no temporary folder left
    config = json.loads((out / "config.json").read_text())
    assert config["id2label"] == {"0": "negative", "1": "neutral", "2": "positive"}
    assert config["label2id"] == {"negative": 0, "neutral": 1, "positive": 2}
    results = json.loads((out / "all_results.json").read_text())
    assert results["test_samples"] == 12 and results["train_samples"] == 48  # stratified 20%: 4 of each label
    assert results["train_steps"] == 12 and 0 <= results["test_accuracy"] <= 1
    reference = transformers.AutoModelForSequenceClassification.from_pretrained(out).eval()
    ours = AutoModelForSequenceClassification.from_pretrained(out).eval()
    batch = AutoTokenizer.from_pretrained(out)(["the food was great", "hate"], padding=True, return_tensors="pt")
    with torch.no_grad():
        torch.testing.assert_close(ours(**batch).logits, reference(**batch).logits, atol=1e-5, rtol=0)


def test_yaml_config_and_bad_configs_leave_nothing_behind(trained, tmp_path):
    _, config = trained
    bad = {**config, "label_column": "sentiment", "output_dir": str(tmp_path / "out")}
    import yaml

    (tmp_path / "bad.yaml").write_text(yaml.safe_dump(bad))
    with pytest.raises(ConfigError, match=r"no column\(s\) \['sentiment'\].*'mood'"):
        main(["train", str(tmp_path / "bad.yaml")])
    assert sorted(os.listdir(tmp_path)) == ["bad.yaml"]  # neither the output nor its temporary sibling
    (tmp_path / "run.toml").write_text("")
    with pytest.raises(ConfigError, match="must be a .yaml, .yml or .json"):
        main(["train", str(tmp_path / "run.toml")])


def test_shipped_minilm_config_parses():
    from embrace.cli.train import parse_config

    model, data, args = parse_config(ROOT / "configs" / "minilm-tweets.yaml")
    assert (data.label_column, data.max_length, data.dataset_encoding) == ("sentiment", 64, "latin-1")
    assert args.train_sampling_strategy == "group_by_length" and args.per_device_train_batch_size == 32
    assert args.learning_rate == 1.5e-4 and args.seed == 42 and model.model_name_or_path.endswith("model")


def test_offline_sentiment_default_without_anything_cached_names_both_fixes(monkeypatch):
    from embrace import pipeline

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(LocalEntryNotFoundError) as info:
        pipeline("sentiment-analysis")
    message = str(info.value)
    assert "embrace download distilbert/distilbert-base-uncased-finetuned-sst-2-english" in message
    assert os.path.join(os.environ["HF_HOME"], "embrace", "minilm-tweets-sentiment") in message
    assert "scripts/finetune_minilm.py" in message
    assert not os.path.exists(os.path.join(os.environ["HF_HOME"], "embrace"))


def test_offline_sentiment_default_uses_the_fine_tuned_stand_in(trained, monkeypatch):
    import shutil

    from embrace import pipeline

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    stand_in = Path(os.environ["HF_HOME"]) / "embrace" / "minilm-tweets-sentiment"
    shutil.copytree(trained[0] / "out", stand_in)
    classifier = pipeline("sentiment-analysis")
    assert Path(classifier.model.name_or_path) == stand_in
    answers = classifier(["the movie was great", "awful food"])
    assert [a["label"] in ("negative", "neutral", "positive") for a in answers] == [True, True]
    # the same folder named explicitly gives the same answers
    assert pipeline("text-classification", model=str(stand_in))(["the movie was great", "awful food"]) == answers


def test_main_job_sentiment_step(trained, monkeypatch, capsys):
    import shutil

    from embrace.cli.run import SENTIMENT_EXAMPLES, _sentiment

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    _sentiment(None)  # nothing built yet: the step says why it is skipped, the job goes on
    assert "sentiment-analysis skipped" in capsys.readouterr().err
    shutil.copytree(trained[0] / "out", Path(os.environ["HF_HOME"]) / "embrace" / "minilm-tweets-sentiment")
    _sentiment(None)
    out = capsys.readouterr().out
    assert "minilm-tweets-sentiment (3 labels)" in out
    assert all(repr(text) in out for text in SENTIMENT_EXAMPLES)


def test_finetune_script_skips_an_existing_build(trained, capsys):
    spec = importlib.util.spec_from_file_location("finetune_minilm", ROOT / "scripts" / "finetune_minilm.py")
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    cwd = os.getcwd()
    try:
        assert script.main(["--skip-if-exists", "--output-dir", str(trained[0] / "out")]) == 0
    finally:
        os.chdir(cwd)
    assert "already built" in capsys.readouterr().out
