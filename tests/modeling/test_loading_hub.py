"""Models through a hub: push with embrace, load with embrace and with the reference.

Uses the in-memory fake hub of tests/hub (loopback only). The uploaded files are the bytes
of a local save, which the reference loads (tests/modeling/test_loading_bert.py).
"""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

import embrace.models.bert as ours_bert
from tests.hub.fake_hub import hub, hub_server  # noqa: F401  (fixtures)

TOKEN = "hf_valid_token"  # the token the fake hub accepts
TINY = dict(vocab_size=99, hidden_size=32, num_hidden_layers=2, num_attention_heads=4, intermediate_size=37,
            max_position_embeddings=64)


@pytest.fixture
def token(monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("HF_TOKEN", TOKEN)
    return TOKEN


def _model() -> ours_bert.BertForSequenceClassification:
    torch.manual_seed(0)
    return ours_bert.BertForSequenceClassification(ours_bert.BertConfig(**TINY)).eval()


def _logits(model, ids: torch.Tensor) -> torch.Tensor:
    with torch.no_grad():
        return model(input_ids=ids).logits


@pytest.mark.parametrize("how", ["push_to_hub", "save_pretrained"])
def test_push_then_load_from_the_hub(how: str, hub, token, tmp_path: Path) -> None:  # noqa: F811
    model = _model()
    if how == "push_to_hub":
        info = model.push_to_hub("tester/tiny-bert", commit_message="weights")
        assert info.commit_message == "weights"
    else:
        model.save_pretrained(tmp_path / "tiny-bert", push_to_hub=True, repo_id="tester/tiny-bert", max_shard_size="50KB")
    repo = hub.repos[("model", "tester/tiny-bert")]
    files = sorted(repo.commits[repo.refs["main"]])
    assert "config.json" in files and any(name.startswith("model") and name.endswith(".safetensors") for name in files)

    ids = torch.tensor([[2, 5, 7, 9]])
    loaded = ours_bert.BertForSequenceClassification.from_pretrained("tester/tiny-bert", cache_dir=tmp_path / "cache")
    torch.testing.assert_close(_logits(loaded, ids), _logits(model, ids), atol=1e-6, rtol=0)
    local = tmp_path / "local"
    model.save_pretrained(local, max_shard_size="50KB" if how == "save_pretrained" else "50GB")
    uploaded = repo.commits[repo.refs["main"]]
    assert sorted(p.name for p in local.iterdir()) == files
    for name in files:
        assert uploaded[name].content == (local / name).read_bytes(), name


def test_repo_without_weights_names_the_files(hub, token, tmp_path: Path) -> None:  # noqa: F811
    hub.add_repo("tester/no-weights", {"config.json": ours_bert.BertConfig(**TINY).to_json_string().encode()})
    from embrace.errors import CheckpointError

    with pytest.raises(CheckpointError, match="pytorch_model.bin"):
        ours_bert.BertModel.from_pretrained("tester/no-weights", cache_dir=tmp_path / "cache")
