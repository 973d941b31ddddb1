"""Offline means no socket at all: HF_HUB_OFFLINE=1 or local_files_only=True serve the cache,
and anything missing raises an error that says what is missing and how to get it."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from embrace.errors import HFValidationError, LocalEntryNotFoundError, OfflineModeIsEnabled
from embrace.hub import HfApi, hf_hub_download, model_info, resolve_file, snapshot_download
from tests.hub.fake_hub import hub, hub_server, reference  # noqa: F401

ROOT = Path(__file__).resolve().parents[2]
FILES = {"config.json": b'{"a": 1}', "model.safetensors": b"\0" * 2048, "sub/vocab.txt": b"[PAD]\n"}


@pytest.fixture
def cached(hub, tmp_path):
    """A cache holding a full snapshot of org/model (main and tag v1), filled while online."""
    sha = hub.add_repo("org/model", FILES, tags=("v1",))
    snapshot = snapshot_download("org/model", cache_dir=tmp_path)
    snapshot_download("org/model", cache_dir=tmp_path, revision="v1")
    return tmp_path, sha, snapshot


@pytest.fixture
def no_sockets(monkeypatch):
    """Any attempt to open a connection or resolve a name fails the test."""
    def refuse(*args, **kwargs):
        raise AssertionError(f"network access attempted: {args!r}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)


@pytest.fixture(params=["env", "local_files_only"])
def offline(request, monkeypatch):
    """Offline through HF_HUB_OFFLINE=1, or through local_files_only=True (returned as call kwargs)."""
    if request.param == "env":
        monkeypatch.setenv("HF_HUB_OFFLINE", "1")
        return {}
    return {"local_files_only": True}


def test_cached_files_are_served_without_sockets(cached, no_sockets, offline):
    cache, sha, snapshot = cached
    for name in FILES:
        path = hf_hub_download("org/model", name, cache_dir=cache, **offline)
        assert Path(path).read_bytes() == FILES[name]
        assert path == os.path.join(snapshot, *name.split("/"))
    assert hf_hub_download("org/model", "config.json", cache_dir=cache, revision="v1", **offline).startswith(
        os.path.join(str(cache), "models--org--model", "snapshots", sha))
    assert snapshot_download("org/model", cache_dir=cache, **offline) == snapshot
    assert snapshot_download("org/model", cache_dir=cache, revision=sha, **offline) == snapshot
    assert resolve_file("org/model", "sub/vocab.txt", cache_dir=cache, **offline).endswith("vocab.txt")


def test_missing_files_explain_what_and_how(cached, no_sockets, offline):
    cache, sha, _ = cached
    with pytest.raises(LocalEntryNotFoundError) as err:
        hf_hub_download("org/model", "tokenizer.json", cache_dir=cache, revision="v2", **offline)
    message = str(err.value)
    assert "'tokenizer.json'" in message and "'org/model'" in message and "revision 'v2'" in message
    assert "embrace download org/model tokenizer.json --revision v2" in message
    assert ("local_files_only=True" in message) == bool(offline)
    assert ("HF_HUB_OFFLINE" in message) == (not offline)
    with pytest.raises(LocalEntryNotFoundError, match="org/other"):
        snapshot_download("org/other", cache_dir=cache, **offline)
    with pytest.raises(LocalEntryNotFoundError):
        hf_hub_download("org/model", "config.json", cache_dir=cache / "empty", **offline)


def test_force_download_offline_is_refused(cached, no_sockets, offline):
    cache, _, _ = cached
    with pytest.raises(HFValidationError, match="force_download"):
        hf_hub_download("org/model", "config.json", cache_dir=cache, force_download=True, **offline)


def test_api_calls_refuse_offline_without_sockets(hub, no_sockets, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(OfflineModeIsEnabled, match="HF_HUB_OFFLINE"):
        model_info("org/model")
    with pytest.raises(OfflineModeIsEnabled):
        HfApi(token="hf_x").upload_file(path_or_fileobj=b"x", path_in_repo="x", repo_id="org/model")
    with pytest.raises(OfflineModeIsEnabled):
        HfApi().file_exists("org/model", "config.json")
    assert issubclass(OfflineModeIsEnabled, ConnectionError)


def test_partial_snapshot_is_reported_offline_by_both_clients(reference, hub, tmp_path, monkeypatch):
    sha = hub.add_repo("org/model", FILES)
    snapshot_download("org/model", cache_dir=tmp_path, allow_patterns="*.json")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(LocalEntryNotFoundError, match=r"incomplete: 2 file\(s\) are missing"):
        snapshot_download("org/model", cache_dir=tmp_path)
    assert snapshot_download("org/model", cache_dir=tmp_path, allow_patterns="*.json").endswith(sha)
    with pytest.raises(reference.errors.IncompleteSnapshotError):
        reference.snapshot_download("org/model", cache_dir=tmp_path, local_files_only=True)


def test_offline_process_never_imports_the_http_client(cached):
    """A fresh interpreter with HF_HUB_OFFLINE=1 serves the cache without even loading httpx."""
    cache, _, snapshot = cached
    code = textwrap.dedent(
        f"""
        import sys
        from embrace.hub import hf_hub_download, snapshot_download, resolve_file
        print(hf_hub_download("org/model", "config.json", cache_dir={str(cache)!r}))
        print(snapshot_download("org/model", cache_dir={str(cache)!r}))
        print(resolve_file("org/model", "sub/vocab.txt", cache_dir={str(cache)!r}))
        print("httpx" in sys.modules)
        """
    )
    env = dict(os.environ, HF_HUB_OFFLINE="1", HF_ENDPOINT="http://192.0.2.1:1")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, env=env,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.split()
    assert lines[0] == os.path.join(snapshot, "config.json") and lines[1] == snapshot
    assert lines[-1] == "False"
