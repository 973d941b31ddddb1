"""The real `embrace hub serve` / `embrace hub import` commands, driven as subprocesses.

transformers reads HF_ENDPOINT at import time, so the AutoConfig/AutoModel check runs in a
child interpreter whose environment points at the served hub.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import huggingface_hub.constants as hf_constants
import pytest
from huggingface_hub import HfApi, hf_hub_download
from huggingface_hub import errors as hf_errors

ROOT = Path(__file__).resolve().parents[2]


def _child_env(**extra: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith(("HF_", "HUGGINGFACE_"))}
    env.pop("TRANSFORMERS_OFFLINE", None)
    env.update({"HF_HUB_DISABLE_PROGRESS_BARS": "1", "HF_HUB_DISABLE_XET": "1", "TRANSFORMERS_VERBOSITY": "error"})
    env.update(extra)
    return env


class CliHub:
    """`embrace hub serve ROOT --port 0` in a subprocess; the URL comes from its first output line."""

    def __init__(self, root: Path, *args: str) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "embrace", "hub", "serve", str(root), "--port", "0", "--log-level", "warning", *args],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT, env=_child_env(),
        )
        line = self.proc.stdout.readline()  # blocks until the server listens (or dies)
        if not line.startswith("embrace hub: serving"):
            self.proc.kill()
            raise AssertionError(f"server did not start: {line!r} {self.proc.stderr.read()[-3000:]}")
        self.url = line.rsplit(" at ", 1)[1].strip()

    def stop(self) -> None:
        """SIGTERM, then check the server shut down on its own and without an error."""
        self.proc.terminate()
        try:
            code = self.proc.wait(timeout=30)
            errors = self.proc.stderr.read()
        finally:
            self.proc.stdout.close()
            self.proc.stderr.close()
        # uvicorn shuts down gracefully, then re-raises SIGTERM so the exit status tells why it stopped
        assert code in (0, -signal.SIGTERM), errors[-3000:]
        assert "Traceback" not in errors, errors[-3000:]


def _import(folder: Path, repo_id: str, root: Path, *args: str) -> str:
    proc = subprocess.run([sys.executable, "-m", "embrace", "hub", "import", str(folder), repo_id, "--root", str(root),
                           *args], capture_output=True, text=True, cwd=ROOT, env=_child_env(), timeout=120)
    assert proc.returncode == 0, proc.stderr
    sha = proc.stdout.strip()
    assert len(sha) == 40
    return sha


CHILD = textwrap.dedent(
    """
    import json, sys
    import torch
    from transformers import AutoConfig, AutoModel, AutoTokenizer

    local, sha = sys.argv[1], sys.argv[2]
    config = AutoConfig.from_pretrained("alice/tiny-bert")
    model = AutoModel.from_pretrained("alice/tiny-bert").eval()
    tagged = AutoModel.from_pretrained("alice/tiny-bert", revision="v1").eval()
    pinned = AutoConfig.from_pretrained("alice/tiny-bert", revision=sha)
    reference = AutoModel.from_pretrained(local).eval()
    tokenizer = AutoTokenizer.from_pretrained("alice/tiny-bert")
    ids = torch.tensor([tokenizer("hello world")["input_ids"]])
    local_ids = AutoTokenizer.from_pretrained(local)("hello world")["input_ids"]
    with torch.no_grad():
        expected = reference(ids).last_hidden_state
        diff = max((m(ids).last_hidden_state - expected).abs().max().item() for m in (model, tagged))
    print(json.dumps({"hidden_size": config.hidden_size, "pinned": pinned.hidden_size, "diff": diff,
                      "ids": ids.tolist(), "local_ids": [local_ids]}))
    """
)


def test_transformers_loads_a_tiny_bert_from_the_cli_hub(tmp_path):
    from transformers import BertConfig, BertModel, BertTokenizerFast
    import torch

    folder = tmp_path / "tiny-bert"
    torch.manual_seed(0)
    config = BertConfig(vocab_size=64, hidden_size=32, num_hidden_layers=2, num_attention_heads=4,
                        intermediate_size=37, max_position_embeddings=64)
    BertModel(config).save_pretrained(folder)
    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "hello", "world"] + [f"w{i}" for i in range(57)]
    (tmp_path / "vocab.txt").write_text("\n".join(vocab) + "\n")
    BertTokenizerFast(vocab_file=str(tmp_path / "vocab.txt")).save_pretrained(folder)
    assert (folder / "model.safetensors").is_file()

    root = tmp_path / "hub"
    sha = _import(folder, "alice/tiny-bert", root, "--tag", "v1")
    server = CliHub(root)
    try:
        home = tmp_path / "hf_home"
        proc = subprocess.run(
            [sys.executable, "-c", CHILD, str(folder), sha], capture_output=True, text=True, cwd=ROOT, timeout=300,
            env=_child_env(HF_ENDPOINT=server.url, HF_HOME=str(home), HF_HUB_OFFLINE="0"),
        )
        assert proc.returncode == 0, proc.stderr[-3000:]
        result = json.loads(proc.stdout.strip().splitlines()[-1])
        assert result["hidden_size"] == 32 and result["pinned"] == 32
        assert result["diff"] <= 1e-6
        assert result["ids"] == result["local_ids"]
        cache = home / "hub" / "models--alice--tiny-bert"
        assert (cache / "refs" / "main").read_text() == sha
        assert (cache / "snapshots" / sha / "model.safetensors").is_file()
    finally:
        server.stop()


def test_cli_hub_with_tokens_file(tmp_path, monkeypatch):
    monkeypatch.setattr(hf_constants, "HF_HUB_OFFLINE", False)
    monkeypatch.setattr(hf_constants, "HF_HUB_DISABLE_XET", True)
    tokens = tmp_path / "tokens.yaml"
    tokens.write_text("tokens:\n  hf_writer: {user: alice, role: write}\n  hf_reader: {user: bob, role: read}\n")
    server = CliHub(tmp_path / "root", "--tokens", str(tokens))
    try:
        api = HfApi(endpoint=server.url, token="hf_writer")
        assert api.whoami()["name"] == "alice"
        api.create_repo("secret", private=True)
        api.upload_file(path_or_fileobj=os.urandom(3000), path_in_repo="weights.bin", repo_id="alice/secret")
        for token in (False, "hf_reader"):
            with pytest.raises(hf_errors.RepositoryNotFoundError):
                hf_hub_download("alice/secret", "weights.bin", endpoint=server.url, cache_dir=tmp_path / "c",
                                token=token)
        path = hf_hub_download("alice/secret", "weights.bin", endpoint=server.url, cache_dir=tmp_path / "c",
                               token="hf_writer")
        assert Path(path).stat().st_size == 3000
        with pytest.raises(hf_errors.HfHubHTTPError) as info:
            HfApi(endpoint=server.url, token="hf_reader").create_repo("bobs")
        assert info.value.response.status_code == 403
    finally:
        server.stop()


def test_cli_serve_reports_bad_options(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "embrace", "hub", "serve", str(tmp_path / "root"), "--port", "0",
         "--tokens", str(tmp_path / "missing.json")],
        capture_output=True, text=True, cwd=ROOT, env=_child_env(), timeout=60,
    )
    assert proc.returncode == 1 and "Tokens file" in proc.stderr and "missing.json" in proc.stderr
