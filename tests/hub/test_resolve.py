"""Hub cache layout, environment constants and resolve_file, checked against huggingface_hub."""

from __future__ import annotations

import importlib
import os
import socket
from pathlib import Path

import huggingface_hub
import huggingface_hub.constants as hf_constants
import pytest
from huggingface_hub.utils import HFValidationError as RefValidationError
from huggingface_hub.utils import validate_repo_id as ref_validate_repo_id

from embrace.errors import EntryNotFoundError, HFValidationError, LocalEntryNotFoundError
from embrace.hub import _CACHED_NO_EXIST, constants, repo_folder_name, resolve_file, try_to_load_from_cache
from embrace.hub import resolve as resolve_module
from embrace.hub.cache import repo_id_problem

MAIN = "1" * 40
TAGGED = "2" * 40
OLD = "3" * 40


def _blob(repo: Path, content: bytes) -> Path:
    blob = repo / "blobs" / f"sha-{abs(hash(content))}"
    blob.parent.mkdir(parents=True, exist_ok=True)
    blob.write_bytes(content)
    return blob


def _snapshot_file(repo: Path, commit: str, filename: str, content: bytes) -> None:
    """A snapshot entry as huggingface_hub writes it: a relative symlink into blobs/."""
    blob = _blob(repo, content)
    link = repo / "snapshots" / commit / filename
    link.parent.mkdir(parents=True, exist_ok=True)
    link.symlink_to(os.path.relpath(blob, link.parent))


@pytest.fixture
def cache(tmp_path: Path) -> Path:
    """A hub cache with one model repo (main, a tag, an old commit) and one dataset repo."""
    root = tmp_path / "cache"
    repo = root / "models--org--tiny"
    _snapshot_file(repo, MAIN, "config.json", b'{"a": 1}')
    _snapshot_file(repo, MAIN, "sub/tokenizer.json", b"{}")
    _snapshot_file(repo, TAGGED, "config.json", b'{"a": 2}')
    _snapshot_file(repo, OLD, "config.json", b'{"a": 0}')
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text(MAIN)
    (repo / "refs" / "v1.0").write_text(TAGGED)
    marker = repo / ".no_exist" / MAIN / "added_tokens.json"
    marker.parent.mkdir(parents=True)
    marker.touch()
    _snapshot_file(root / "datasets--squad", MAIN, "data.csv", b"x\n")
    (root / "datasets--squad" / "refs").mkdir()
    (root / "datasets--squad" / "refs" / "main").write_text(MAIN)
    (root / "models--org--empty").mkdir()
    return root


@pytest.fixture(autouse=True)
def _no_sockets(monkeypatch):
    """resolve_file must answer from disk: any connection attempt fails the test."""

    def refuse(*args, **kwargs):
        raise AssertionError("a socket was opened")

    monkeypatch.setattr(socket.socket, "connect", refuse)


LOOKUPS = [
    ("org/tiny", "config.json", None, None),
    ("org/tiny", "config.json", "main", "model"),
    ("org/tiny", "config.json", "v1.0", None),
    ("org/tiny", "config.json", OLD, None),
    ("org/tiny", "config.json", "4" * 40, None),
    ("org/tiny", "config.json", "no-such-branch", None),
    ("org/tiny", "sub/tokenizer.json", None, None),
    ("org/tiny", "missing.bin", None, None),
    ("org/tiny", "added_tokens.json", None, None),
    ("org/tiny", "added_tokens.json", "v1.0", None),
    ("org/other", "config.json", None, None),
    ("org/empty", "config.json", None, None),
    ("squad", "data.csv", None, "dataset"),
    ("squad", "data.csv", None, "model"),
]


@pytest.mark.parametrize(("repo_id", "filename", "revision", "repo_type"), LOOKUPS, ids=repr)
def test_try_to_load_from_cache_agrees_with_huggingface_hub(cache, repo_id, filename, revision, repo_type):
    ours = try_to_load_from_cache(repo_id, filename, cache_dir=cache, revision=revision, repo_type=repo_type)
    ref = huggingface_hub.try_to_load_from_cache(
        repo_id, filename, cache_dir=cache, revision=revision, repo_type=repo_type
    )
    if ref is huggingface_hub.file_download._CACHED_NO_EXIST:
        assert ours is _CACHED_NO_EXIST
    else:
        assert ours == ref


def test_cached_files_read_through_the_symlinks(cache):
    path = try_to_load_from_cache("org/tiny", "config.json", cache_dir=cache, revision="v1.0")
    assert Path(path).read_bytes() == b'{"a": 2}'
    assert Path(path).is_symlink() and not os.path.isabs(os.readlink(path))


@pytest.mark.parametrize(
    ("repo_id", "repo_type"), [("org/name", "model"), ("name", "dataset"), ("a/b", "space"), ("x", "kernel")]
)
def test_repo_folder_name_matches_reference(repo_id, repo_type):
    expected = huggingface_hub.file_download.repo_folder_name(repo_id=repo_id, repo_type=repo_type)
    assert repo_folder_name(repo_id=repo_id, repo_type=repo_type) == expected


@pytest.mark.parametrize(
    "repo_id",
    ["foo", "org/name", "Foo-BAR_foo.bar123", "a/b/c", ".repo", "repo-", "foo--bar", "foo..bar", "foo.git",
     "café", "a" * 97, "", "./model", "org/na me"],
)
def test_repo_id_validation_matches_reference(repo_id):
    try:
        ref_validate_repo_id(repo_id)
        ref_valid = True
    except RefValidationError:
        ref_valid = False
    assert (repo_id_problem(repo_id) is None) == ref_valid


def test_bad_repo_type_is_rejected(cache):
    with pytest.raises(HFValidationError, match="Valid repo types are: model, dataset, space, kernel"):
        try_to_load_from_cache("org/tiny", "config.json", cache_dir=cache, repo_type="models")


# --- resolve_file: local folders ---------------------------------------------------------------


def test_local_folder_hits_and_misses(tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "vocab.txt").write_text("a")
    (tmp_path / "config.json").write_text("{}")
    assert resolve_file(tmp_path, "config.json") == os.path.join(tmp_path, "config.json")
    assert resolve_file(str(tmp_path), "vocab.txt", subfolder="sub") == os.path.join(tmp_path, "sub", "vocab.txt")
    assert resolve_file(tmp_path, "model.safetensors", required=False) is None
    with pytest.raises(EntryNotFoundError, match=r"no file named 'model.safetensors' \(it contains: config.json, sub\)"):
        resolve_file(tmp_path, "model.safetensors")
    with pytest.raises(EntryNotFoundError, match="that folder does not exist"):
        resolve_file(tmp_path, "x.json", subfolder="nope")


def test_local_folder_listing_is_short(tmp_path):
    for i in range(15):
        (tmp_path / f"f{i:02d}").touch()
    with pytest.raises(EntryNotFoundError, match="f09 and 5 more"):
        resolve_file(tmp_path, "config.json")


@pytest.mark.parametrize(
    ("filename", "subfolder"),
    [("../secret", ""), ("/etc/passwd", ""), ("a/../../b", ""), ("config.json", ".."), ("config.json", "/abs"),
     ("C:\\x", ""), ("..\\x", "")],
)
def test_path_traversal_is_refused(tmp_path, filename, subfolder):
    with pytest.raises(HFValidationError, match="Invalid (filename|subfolder)"):
        resolve_file(tmp_path, filename, subfolder=subfolder)


def test_mistyped_local_path_is_explained(tmp_path):
    with pytest.raises(HFValidationError, match="no such directory") as err:
        resolve_file(str(tmp_path / "no" / "such" / "dir"), "config.json")
    assert "valid repo id" in str(err.value)


# --- resolve_file: repo ids through the cache ----------------------------------------------------


def test_repo_id_found_in_cache(cache):
    assert resolve_file("org/tiny", "config.json", cache_dir=cache) == str(
        cache / "models--org--tiny" / "snapshots" / MAIN / "config.json"
    )
    assert resolve_file("org/tiny", "tokenizer.json", subfolder="sub", cache_dir=cache).endswith("sub/tokenizer.json")
    assert Path(resolve_file("org/tiny", "config.json", cache_dir=cache, revision=OLD)).read_bytes() == b'{"a": 0}'
    assert resolve_file("squad", "data.csv", cache_dir=cache, repo_type="dataset").endswith("data.csv")


def test_default_cache_comes_from_the_environment(cache, monkeypatch):
    monkeypatch.setenv("HF_HUB_CACHE", str(cache))
    assert resolve_file("org/tiny", "config.json").startswith(str(cache))
    monkeypatch.delenv("HF_HUB_CACHE")
    monkeypatch.setenv("HF_HOME", str(cache.parent))
    (cache.parent / "hub").symlink_to(cache)
    assert resolve_file("org/tiny", "config.json").startswith(str(cache.parent / "hub"))


def test_no_exist_marker(cache):
    assert resolve_file("org/tiny", "added_tokens.json", cache_dir=cache, required=False) is None
    with pytest.raises(EntryNotFoundError, match="records it as absent") as err:
        resolve_file("org/tiny", "added_tokens.json", cache_dir=cache)
    assert not isinstance(err.value, LocalEntryNotFoundError)


def test_cached_snapshot_lacking_an_optional_file_gives_none(cache):
    assert resolve_file("org/tiny", "special_tokens_map.json", cache_dir=cache, required=False) is None
    assert resolve_file("org/tiny", "special_tokens_map.json", cache_dir=cache, revision="v1.0", required=False) is None


@pytest.mark.parametrize(
    ("repo_id", "filename", "revision", "required"),
    [
        ("org/tiny", "special_tokens_map.json", None, True),
        ("org/other", "config.json", None, False),
        ("org/tiny", "config.json", "no-such-branch", False),
        ("org/empty", "config.json", None, True),
    ],
)
def test_not_cached_raises_with_a_way_out(cache, repo_id, filename, revision, required):
    with pytest.raises(LocalEntryNotFoundError) as err:
        resolve_file(repo_id, filename, cache_dir=cache, revision=revision, required=required)
    message = str(err.value)
    assert f"'{filename}'" in message and f"'{repo_id}'" in message
    assert f"revision '{revision or 'main'}'" in message
    assert "hf download" in message and "local folder" in message
    assert "offline mode is on" in message  # the test session runs with HF_HUB_OFFLINE=1


def test_local_files_only_is_named_in_the_error(cache, monkeypatch):
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    with pytest.raises(LocalEntryNotFoundError, match="local_files_only=True was passed"):
        resolve_file("org/other", "config.json", cache_dir=cache, local_files_only=True)
    monkeypatch.setattr(resolve_module, "_downloader", None)  # the hub client is the default downloader
    with pytest.raises(LocalEntryNotFoundError, match="downloading is not available"):
        resolve_file("org/other", "config.json", cache_dir=cache)


class FakeDownloader:
    def __init__(self, result):
        self.result, self.calls = result, []

    def __call__(self, repo_id, filename, **kwargs):
        self.calls.append((repo_id, filename, kwargs))
        return self.result


@pytest.fixture
def downloader(monkeypatch):
    fake = FakeDownloader("/downloaded/config.json")
    monkeypatch.setattr(resolve_module, "_downloader", fake)
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    return fake


def test_downloader_is_asked_only_for_what_the_cache_lacks(cache, downloader):
    assert resolve_file("org/tiny", "config.json", cache_dir=cache) .endswith("config.json")
    assert resolve_file("org/tiny", "added_tokens.json", cache_dir=cache, required=False) is None
    assert downloader.calls == []
    got = resolve_file("org/other", "w.bin", subfolder="onnx", cache_dir=cache, token="t", required=False)
    assert got == "/downloaded/config.json"
    assert downloader.calls == [
        ("org/other", "onnx/w.bin", dict(revision="main", cache_dir=cache, token="t", repo_type="model",
                                         force_download=False, required=False)),
    ]


def test_force_download_skips_the_cache(cache, downloader):
    resolve_file("org/tiny", "config.json", cache_dir=cache, force_download=True)
    assert downloader.calls[0][2]["force_download"] is True


@pytest.mark.parametrize("offline_by", ["env", "argument"])
def test_offline_never_calls_the_downloader(cache, downloader, monkeypatch, offline_by):
    if offline_by == "env":
        monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    local_only = offline_by == "argument"
    with pytest.raises(LocalEntryNotFoundError):
        resolve_file("org/other", "config.json", cache_dir=cache, local_files_only=local_only)
    with pytest.raises(HFValidationError, match="Cannot pass force_download=True"):
        resolve_file("org/tiny", "config.json", cache_dir=cache, local_files_only=local_only, force_download=True)
    assert downloader.calls == []


def test_set_downloader_returns_the_previous_one(monkeypatch):
    monkeypatch.setattr(resolve_module, "_downloader", None)
    fake = FakeDownloader(None)
    assert resolve_module.set_downloader(fake) is None
    assert resolve_module.set_downloader(None) is fake


# --- environment --------------------------------------------------------------------------------

ENV_NAMES = (
    "HF_HOME", "XDG_CACHE_HOME", "HF_HUB_CACHE", "HUGGINGFACE_HUB_CACHE", "HF_ENDPOINT", "HF_HUB_OFFLINE",
    "TRANSFORMERS_OFFLINE", "HF_TOKEN_PATH", "HF_HUB_DISABLE_PROGRESS_BARS", "HF_HUB_ETAG_TIMEOUT",
    "HF_HUB_DOWNLOAD_TIMEOUT",
)
COMPARED = (
    "HF_HOME", "HF_HUB_CACHE", "HUGGINGFACE_HUB_CACHE", "ENDPOINT", "HF_HUB_OFFLINE", "HF_TOKEN_PATH",
    "HF_HUB_DISABLE_PROGRESS_BARS", "HF_HUB_ETAG_TIMEOUT", "HF_HUB_DOWNLOAD_TIMEOUT",
)

ENVIRONMENTS = [
    {},
    {"XDG_CACHE_HOME": "/xdg"},
    {"HF_HOME": "~/hf", "XDG_CACHE_HOME": "/xdg"},
    {"HF_HOME": "/h", "HUGGINGFACE_HUB_CACHE": "/legacy"},
    {"HF_HOME": "/h", "HUGGINGFACE_HUB_CACHE": "/legacy", "HF_HUB_CACHE": "$HOME/new"},
    {"HF_ENDPOINT": "http://127.0.0.1:8080/", "HF_TOKEN_PATH": "/t/token"},
    {"HF_HUB_OFFLINE": "1"}, {"HF_HUB_OFFLINE": "yes"}, {"HF_HUB_OFFLINE": "ON"}, {"HF_HUB_OFFLINE": "true"},
    {"HF_HUB_OFFLINE": "0"}, {"HF_HUB_OFFLINE": "false"}, {"HF_HUB_OFFLINE": ""}, {"TRANSFORMERS_OFFLINE": "1"},
    {"HF_HUB_DISABLE_PROGRESS_BARS": "1"}, {"HF_HUB_DISABLE_PROGRESS_BARS": "no"},
    {"HF_HUB_ETAG_TIMEOUT": "3", "HF_HUB_DOWNLOAD_TIMEOUT": "0"},
]


@pytest.fixture
def reference_constants(monkeypatch):
    """Re-read huggingface_hub.constants under the test's environment (it reads env at import)."""
    for name in ENV_NAMES:
        monkeypatch.delenv(name, raising=False)
    yield lambda: importlib.reload(hf_constants)
    monkeypatch.undo()
    importlib.reload(hf_constants)


@pytest.mark.parametrize("env", ENVIRONMENTS, ids=repr)
def test_constants_follow_the_environment_like_reference(reference_constants, monkeypatch, env):
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    ref = reference_constants()
    for name in COMPARED:
        assert getattr(constants, name) == getattr(ref, name), name
    assert constants.is_offline_mode() == ref.is_offline_mode()


def test_invalid_timeout_is_explained(monkeypatch):
    monkeypatch.setenv("HF_HUB_ETAG_TIMEOUT", "soon")
    with pytest.raises(HFValidationError, match="HF_HUB_ETAG_TIMEOUT='soon'"):
        constants.etag_timeout()


def test_unknown_constant_is_an_attribute_error():
    with pytest.raises(AttributeError, match="NOT_A_CONSTANT"):
        constants.NOT_A_CONSTANT  # noqa: B018


def test_token_from_environment_then_file(monkeypatch, tmp_path):
    for name in ("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HF_TOKEN_PATH", str(tmp_path / "token"))
    assert constants.get_token() is None
    (tmp_path / "token").write_text("  hf_file\r\n")
    assert constants.get_token() == "hf_file"
    monkeypatch.setenv("HUGGING_FACE_HUB_TOKEN", "hf_legacy")
    assert constants.get_token() == "hf_legacy"
    monkeypatch.setenv("HF_TOKEN", "hf_env")
    assert constants.get_token() == "hf_env"
    monkeypatch.setenv("HF_TOKEN", "")
    monkeypatch.delenv("HUGGING_FACE_HUB_TOKEN")
    assert constants.get_token() == "hf_file"
