"""`save_pretrained(..., push_to_hub=True)` and `push_to_hub` on configs and tokenizers (fake hub, loopback)."""

from __future__ import annotations

from pathlib import Path

import pytest

from embrace import AutoTokenizer, BertConfig
from tests.hub.fake_hub import hub, hub_server  # noqa: F401  (fixtures)

TOKEN = "hf_valid_token"  # the token the fake hub accepts


@pytest.fixture
def token(monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("HF_TOKEN", TOKEN)
    return TOKEN


def _files(hub, repo_id: str) -> dict:  # noqa: F811
    repo = hub.repos[("model", repo_id)]
    return repo.commits[repo.refs["main"]]


def test_config_save_pretrained_pushes_the_saved_bytes(hub, token, tmp_path: Path) -> None:  # noqa: F811
    config = BertConfig(hidden_size=48, num_labels=3)
    config.save_pretrained(tmp_path / "cfg", push_to_hub=True, repo_id="tester/cfg", commit_message="cfg")
    assert _files(hub, "tester/cfg")["config.json"].content == (tmp_path / "cfg" / "config.json").read_bytes()
    loaded = BertConfig.from_pretrained("tester/cfg", cache_dir=tmp_path / "cache")
    assert loaded.hidden_size == 48 and loaded.num_labels == 3


def test_tokenizer_push_to_hub_round_trips(hub, token, tmp_path: Path, minilm_dir: Path) -> None:  # noqa: F811
    tokenizer = AutoTokenizer.from_pretrained(minilm_dir)
    info = tokenizer.push_to_hub("tester/tok")
    assert info.commit_message == "Upload tokenizer"
    assert {"tokenizer.json", "tokenizer_config.json"} <= set(_files(hub, "tester/tok"))
    loaded = AutoTokenizer.from_pretrained("tester/tok", cache_dir=tmp_path / "cache")
    text = "Pushing a tokenizer, then loading it back."
    assert loaded(text)["input_ids"] == tokenizer(text)["input_ids"]


def test_tokenizer_save_pretrained_with_push(hub, token, tmp_path: Path, minilm_dir: Path) -> None:  # noqa: F811
    tokenizer = AutoTokenizer.from_pretrained(minilm_dir)
    tokenizer.save_pretrained(tmp_path / "tok2", push_to_hub=True, repo_id="tester/tok2")
    files = _files(hub, "tester/tok2")
    for name, blob in files.items():
        assert blob.content == (tmp_path / "tok2" / name).read_bytes(), name


def test_bad_repo_id_fails_before_any_upload(hub, token, tmp_path: Path) -> None:  # noqa: F811
    from embrace.errors import HFValidationError

    with pytest.raises(HFValidationError, match="Repo id"):
        BertConfig().save_pretrained(tmp_path / "c", push_to_hub=True, repo_id="a/b/c")
    assert not hub.repos
