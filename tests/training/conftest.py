"""Shared tiny models and data for the training tests (built once per session, kept tiny)."""

from __future__ import annotations


import pytest
import torch

TINY_BERT = dict(vocab_size=60, hidden_size=32, num_hidden_layers=2, num_attention_heads=2, intermediate_size=37,
                 max_position_embeddings=32, num_labels=2)


@pytest.fixture(scope="package", autouse=True)
def _one_thread():
    """Tiny models gain nothing from intra-op threads; on a shared CI box they only add contention."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(autouse=True)
def _no_bars(monkeypatch):
    monkeypatch.setenv("EMBRACE_DISABLE_PROGRESS_BARS", "1")
    monkeypatch.setenv("HF_HUB_DISABLE_PROGRESS_BARS", "1")


def make_classification_data(n: int = 48, seed: int = 1) -> list[dict]:
    """Sentences of unequal length (so padding matters) with binary labels."""
    g = torch.Generator().manual_seed(seed)
    data = []
    for i in range(n):
        length = int(torch.randint(3, 12, (1,), generator=g))
        data.append({"input_ids": torch.randint(5, 60, (length,), generator=g).tolist(), "labels": i % 2})
    return data


class PadCollator:
    """Right-pads input_ids with 0 and builds attention_mask (same batches for both trainers)."""

    def __call__(self, features):
        width = max(len(f["input_ids"]) for f in features)
        ids = torch.tensor([f["input_ids"] + [0] * (width - len(f["input_ids"])) for f in features])
        mask = torch.tensor([[1] * len(f["input_ids"]) + [0] * (width - len(f["input_ids"])) for f in features])
        batch = {"input_ids": ids, "attention_mask": mask}
        if "labels" in features[0]:
            labels = [f["labels"] for f in features]
            if isinstance(labels[0], list):
                labels = [x + [-100] * (width - len(x)) for x in labels]
            batch["labels"] = torch.tensor(labels)
        return batch


@pytest.fixture(scope="session")
def bert_state():
    """Weights of a tiny random reference BertForSequenceClassification (seeded)."""
    from transformers import BertConfig, BertForSequenceClassification

    torch.manual_seed(0)
    model = BertForSequenceClassification(BertConfig(**TINY_BERT))
    return {k: v.clone() for k, v in model.state_dict().items()}


def embrace_bert(state):
    from embrace import BertConfig, BertForSequenceClassification

    model = BertForSequenceClassification(BertConfig(**TINY_BERT))
    missing, unexpected = model.load_state_dict(state, strict=False)
    assert not unexpected and all("position_ids" in k for k in missing)
    return model
