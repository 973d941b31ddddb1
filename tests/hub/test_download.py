"""hf_hub_download against a loopback fake hub, checked against huggingface_hub on the same hub.

Both clients must leave identical caches (blobs, refs, relative symlinks, .no_exist markers),
each must read the other's cache, and failures (errors from the hub, cut connections,
corrupted bytes, 5xx, unreachable hub, concurrent processes) must end in a clear exception
with nothing corrupt left behind.
"""

from __future__ import annotations

import hashlib
import multiprocessing
import os
import socket
from pathlib import Path

import pytest

from embrace.errors import (
    ChecksumError,
    EntryNotFoundError,
    GatedRepoError,
    HfHubHTTPError,
    HFValidationError,
    LocalEntryNotFoundError,
    RepositoryNotFoundError,
    RevisionNotFoundError,
)
from embrace.hub import _CACHED_NO_EXIST, download, hf_hub_download, resolve_file, try_to_load_from_cache
from tests.hub.fake_hub import download_worker, hub, hub_server, reference, tree_of  # noqa: F401

CONFIG = b'{"model_type": "bert", "hidden_size": 32}'
WEIGHTS = hashlib.sha256(b"seed").digest() * 40_000  # 1.28 MB: an LFS file
TOKENIZER = b'{"version": "1.0"}'


@pytest.fixture
def repo(hub):
    """org/model with a regular file, an LFS file and a nested file; tag v1.0 on the first commit."""
    first = hub.add_repo("org/model", {"config.json": CONFIG, "model.safetensors": WEIGHTS,
                                       "sub/tokenizer.json": TOKENIZER}, tags=("v1.0",))
    return first


def _both(reference, tmp_path, repo_id, filename, **kwargs):
    """Download with embrace and with the reference into two fresh caches; return (ours, theirs, caches)."""
    ours_cache, ref_cache = tmp_path / "ours", tmp_path / "ref"
    ours = hf_hub_download(repo_id, filename, cache_dir=ours_cache, **kwargs)
    theirs = reference.hf_hub_download(repo_id, filename, cache_dir=ref_cache,
                                       endpoint=os.environ["HF_ENDPOINT"], **kwargs)
    return ours, theirs, ours_cache, ref_cache


# --- same files on disk -----------------------------------------------------------------------


@pytest.mark.parametrize("filename", ["config.json", "model.safetensors", "sub/tokenizer.json"])
@pytest.mark.parametrize("revision", [None, "v1.0", "commit"])
def test_cache_layout_is_identical_to_reference(reference, repo, tmp_path, filename, revision):
    revision = repo if revision == "commit" else revision
    ours, theirs, ours_cache, ref_cache = _both(reference, tmp_path, "org/model", filename, revision=revision)
    assert os.path.relpath(ours, ours_cache) == os.path.relpath(theirs, ref_cache)
    assert Path(ours).read_bytes() == Path(theirs).read_bytes()
    assert os.path.islink(ours) and not os.path.isabs(os.readlink(ours))
    assert tree_of(ours_cache) == tree_of(ref_cache)


def test_lfs_blob_is_named_by_sha256_and_regular_by_git_hash(repo, tmp_path):
    weights = hf_hub_download("org/model", "model.safetensors", cache_dir=tmp_path)
    config = hf_hub_download("org/model", "config.json", cache_dir=tmp_path)
    assert os.path.basename(os.path.realpath(weights)) == hashlib.sha256(WEIGHTS).hexdigest()
    git_hash = hashlib.sha1(b"blob %d\0" % len(CONFIG) + CONFIG).hexdigest()
    assert os.path.basename(os.path.realpath(config)) == git_hash
    assert (tmp_path / "models--org--model" / "refs" / "main").read_text() == repo
    assert (tmp_path / "CACHEDIR.TAG").is_file()


def test_each_client_reads_the_others_cache(reference, repo, tmp_path):
    ours, theirs, ours_cache, ref_cache = _both(reference, tmp_path, "org/model", "sub/tokenizer.json")
    # the reference, offline, on our cache
    assert reference.try_to_load_from_cache("org/model", "sub/tokenizer.json", cache_dir=ours_cache) == ours
    assert reference.hf_hub_download("org/model", "sub/tokenizer.json", cache_dir=ours_cache,
                                     local_files_only=True) == ours
    # embrace, offline, on the reference's cache
    assert try_to_load_from_cache("org/model", "sub/tokenizer.json", cache_dir=ref_cache) == theirs
    assert hf_hub_download("org/model", "sub/tokenizer.json", cache_dir=ref_cache, local_files_only=True) == theirs


def test_missing_file_leaves_a_no_exist_marker_like_reference(reference, repo, tmp_path):
    with pytest.raises(EntryNotFoundError) as err:
        hf_hub_download("org/model", "added_tokens.json", cache_dir=tmp_path / "ours")
    assert not isinstance(err.value, LocalEntryNotFoundError)
    assert "Entry Not Found" in str(err.value) and "added_tokens.json" in str(err.value)
    with pytest.raises(reference.errors.RemoteEntryNotFoundError):
        reference.hf_hub_download("org/model", "added_tokens.json", cache_dir=tmp_path / "ref",
                                  endpoint=os.environ["HF_ENDPOINT"])
    assert tree_of(tmp_path / "ours") == tree_of(tmp_path / "ref")
    marker = tmp_path / "ours" / "models--org--model" / ".no_exist" / repo / "added_tokens.json"
    assert marker.is_file()
    found = reference.try_to_load_from_cache("org/model", "added_tokens.json", cache_dir=tmp_path / "ours")
    assert found is reference.file_download._CACHED_NO_EXIST
    assert try_to_load_from_cache("org/model", "added_tokens.json", cache_dir=tmp_path / "ours") is _CACHED_NO_EXIST


@pytest.mark.parametrize("repo_type", ["dataset", "space"])
def test_dataset_and_space_urls_and_folders(reference, hub, tmp_path, repo_type):
    hub.add_repo("org/things", {"data/train.csv": b"a,b\n1,2\n"}, repo_type=repo_type)
    ours, theirs, ours_cache, ref_cache = _both(reference, tmp_path, "org/things", "data/train.csv",
                                                repo_type=repo_type)
    assert f"/{repo_type}s--org--things/snapshots/" in ours
    assert hub.requests_for("HEAD")[0].path == f"/{repo_type}s/org/things/resolve/main/data/train.csv"
    assert tree_of(ours_cache) == tree_of(ref_cache)


def test_subfolder_and_single_segment_repo_id(hub, tmp_path):
    hub.add_repo("gpt2", {"onnx/model.onnx": b"\0onnx"})
    path = hf_hub_download("gpt2", "model.onnx", subfolder="onnx", cache_dir=tmp_path)
    assert path.endswith(os.path.join("models--gpt2", "snapshots", hub.repos[("model", "gpt2")].refs["main"],
                                      "onnx", "model.onnx"))
    assert Path(path).read_bytes() == b"\0onnx"


def test_new_commit_on_branch_is_picked_up_and_old_snapshot_kept(hub, repo, tmp_path):
    first = hf_hub_download("org/model", "config.json", cache_dir=tmp_path)
    second_sha = hub.commit("org/model", {"config.json": b'{"hidden_size": 64}'})
    second = hf_hub_download("org/model", "config.json", cache_dir=tmp_path)
    assert first != second and second_sha in second
    assert Path(first).read_bytes() == CONFIG and Path(second).read_bytes() == b'{"hidden_size": 64}'
    assert (tmp_path / "models--org--model" / "refs" / "main").read_text() == second_sha


def test_cached_file_costs_one_head_and_commit_revision_costs_nothing(hub, repo, tmp_path):
    hf_hub_download("org/model", "model.safetensors", cache_dir=tmp_path)
    hub.requests.clear()
    hf_hub_download("org/model", "model.safetensors", cache_dir=tmp_path)
    assert [r.method for r in hub.requests] == ["HEAD"]
    hub.requests.clear()
    hf_hub_download("org/model", "model.safetensors", cache_dir=tmp_path, revision=repo)
    assert hub.requests == []
    # the same blob at another commit is linked, not downloaded again
    hub.commit("org/model", {"README.md": b"# hi"})
    hub.requests.clear()
    hf_hub_download("org/model", "model.safetensors", cache_dir=tmp_path)
    assert [r.method for r in hub.requests] == ["HEAD"]
    assert len(os.listdir(tmp_path / "models--org--model" / "snapshots")) == 2


def test_force_download_fetches_again(hub, repo, tmp_path):
    path = hf_hub_download("org/model", "config.json", cache_dir=tmp_path)
    hub.requests.clear()
    assert hf_hub_download("org/model", "config.json", cache_dir=tmp_path, force_download=True) == path
    assert [r.method for r in hub.requests] == ["HEAD", "GET"]
    assert Path(path).read_bytes() == CONFIG


# --- errors, mapped like the reference ----------------------------------------------------------

ERROR_CASES = {
    "missing repo": (dict(repo_id="org/nope", filename="config.json"), RepositoryNotFoundError),
    "private repo, no token": (dict(repo_id="org/private", filename="config.json"), RepositoryNotFoundError),
    "gated repo": (dict(repo_id="org/gated", filename="config.json", token="hf_valid_token"), GatedRepoError),
    "missing revision": (dict(repo_id="org/model", filename="config.json", revision="nope"), RevisionNotFoundError),
    "missing file": (dict(repo_id="org/model", filename="nope.json"), EntryNotFoundError),
}
REFERENCE_NAMES = {
    RepositoryNotFoundError: "RepositoryNotFoundError",
    GatedRepoError: "GatedRepoError",
    RevisionNotFoundError: "RevisionNotFoundError",
    EntryNotFoundError: "RemoteEntryNotFoundError",
}


@pytest.mark.parametrize("case", sorted(ERROR_CASES))
def test_hub_errors_map_like_reference(reference, hub, repo, tmp_path, case):
    hub.add_repo("org/private", {"config.json": CONFIG}, private=True)
    hub.add_repo("org/gated", {"config.json": CONFIG}, gated=True)
    kwargs, expected = ERROR_CASES[case]
    with pytest.raises(expected) as ours:
        hf_hub_download(cache_dir=tmp_path / "ours", **kwargs)
    with pytest.raises(Exception) as theirs:
        reference.hf_hub_download(cache_dir=tmp_path / "ref", endpoint=hub.endpoint, **kwargs)
    assert type(theirs.value).__name__ == REFERENCE_NAMES[expected]
    assert ours.value.status_code == theirs.value.response.status_code
    assert kwargs["repo_id"] in str(ours.value)


def test_repo_not_found_message_says_how_to_fix(hub, tmp_path):
    with pytest.raises(RepositoryNotFoundError) as err:
        hf_hub_download("org/nope", "config.json", cache_dir=tmp_path)
    message = str(err.value)
    assert "Repository Not Found for url" in message and "make sure you are authenticated" in message


def test_private_repo_with_token_and_bare_401(hub, tmp_path, monkeypatch):
    hub.add_repo("org/private", {"config.json": CONFIG}, private=True)
    monkeypatch.setenv("HF_TOKEN", "hf_valid_token")
    assert Path(hf_hub_download("org/private", "config.json", cache_dir=tmp_path)).read_bytes() == CONFIG
    assert hub.requests_for("HEAD")[0].headers["authorization"] == "Bearer hf_valid_token"
    # a 401 without an error code on a file URL also means "not found or not allowed"
    hub.inject("HEAD", "/org/model/", "status", status=401)
    hub.add_repo("org/model", {"config.json": CONFIG})
    with pytest.raises(RepositoryNotFoundError):
        hf_hub_download("org/model", "config.json", cache_dir=tmp_path / "other")


def test_plain_403_reports_the_server_message(reference, hub, repo, tmp_path):
    # like the reference: an error answer on HEAD falls back to the cache, then LocalEntryNotFoundError
    hub.inject("HEAD", "config.json", "status", status=403, headers={"X-Error-Message": "Nope, not today"})
    with pytest.raises(LocalEntryNotFoundError) as err:
        hf_hub_download("org/model", "config.json", cache_dir=tmp_path)
    assert "The hub answered with an error" in str(err.value)
    assert "403 Forbidden" in str(err.value) and "Nope, not today" in str(err.value)
    assert isinstance(err.value.__cause__, HfHubHTTPError) and err.value.__cause__.status_code == 403
    hub.inject("HEAD", "config.json", "status", status=403)
    with pytest.raises(reference.errors.LocalEntryNotFoundError):
        reference.hf_hub_download("org/model", "config.json", cache_dir=tmp_path / "ref", endpoint=hub.endpoint)


@pytest.mark.parametrize(
    ("repo_id", "filename"), [("a/b/c", "config.json"), ("org/model", "../etc/passwd"), ("org/model", "/abs")]
)
def test_invalid_arguments_are_refused_before_any_request(hub, tmp_path, repo_id, filename):
    with pytest.raises(HFValidationError):
        hf_hub_download(repo_id, filename, cache_dir=tmp_path)
    assert hub.requests == []


# --- interrupted, corrupt, flaky ---------------------------------------------------------------


def test_cut_connection_is_resumed_with_range(hub, repo, tmp_path):
    hub.inject("GET", "model.safetensors", "cut", after_bytes=300_000)
    path = hf_hub_download("org/model", "model.safetensors", cache_dir=tmp_path)
    assert Path(path).read_bytes() == WEIGHTS
    gets = hub.requests_for("GET", "model.safetensors")
    assert len(gets) == 2 and gets[1].headers["range"] == "bytes=300000-"
    assert not list((tmp_path / "models--org--model" / "blobs").glob("*.incomplete"))


def test_interrupted_download_is_kept_and_resumed_by_the_next_call(hub, repo, tmp_path, monkeypatch):
    monkeypatch.setenv("EMBRACE_HUB_MAX_TRIES", "3")
    hub.inject("GET", "model.safetensors", "cut", after_bytes=250_000)
    hub.inject("GET", "model.safetensors", "cut", after_bytes=0, times=10)
    with pytest.raises(HfHubHTTPError, match="failed after 3 tries") as err:
        hf_hub_download("org/model", "model.safetensors", cache_dir=tmp_path)
    assert "resumes" in str(err.value)
    blobs = tmp_path / "models--org--model" / "blobs"
    incomplete = blobs / (hashlib.sha256(WEIGHTS).hexdigest() + ".incomplete")
    assert incomplete.stat().st_size == 250_000
    assert not (tmp_path / "models--org--model" / "snapshots" / repo / "model.safetensors").exists()
    hub.faults.clear()
    hub.requests.clear()
    path = hf_hub_download("org/model", "model.safetensors", cache_dir=tmp_path)
    assert Path(path).read_bytes() == WEIGHTS
    assert hub.requests_for("GET")[0].headers["range"] == "bytes=250000-"
    assert not incomplete.exists()


def test_server_ignoring_range_restarts_the_file(hub, repo, tmp_path):
    hub.inject("GET", "model.safetensors", "cut", after_bytes=100_000)
    hub.inject("GET", "model.safetensors", "norange")
    path = hf_hub_download("org/model", "model.safetensors", cache_dir=tmp_path)
    assert Path(path).read_bytes() == WEIGHTS


def test_corrupted_bytes_raise_checksum_error_and_leave_nothing(hub, repo, tmp_path):
    hub.inject("GET", "model.safetensors", "corrupt")
    with pytest.raises(ChecksumError, match="sha256") as err:
        hf_hub_download("org/model", "model.safetensors", cache_dir=tmp_path)
    assert isinstance(err.value, OSError)
    storage = tmp_path / "models--org--model"
    assert list((storage / "blobs").iterdir()) == []
    assert not (storage / "snapshots" / repo / "model.safetensors").exists()
    assert try_to_load_from_cache("org/model", "model.safetensors", cache_dir=tmp_path) is None
    # the next try starts clean and succeeds
    assert Path(hf_hub_download("org/model", "model.safetensors", cache_dir=tmp_path)).read_bytes() == WEIGHTS


def test_5xx_on_get_is_retried_then_reported(hub, repo, tmp_path, monkeypatch):
    hub.inject("GET", "config.json", "status", status=503, times=2)
    assert Path(hf_hub_download("org/model", "config.json", cache_dir=tmp_path)).read_bytes() == CONFIG
    assert len(hub.requests_for("GET", "config.json")) == 3
    monkeypatch.setenv("EMBRACE_HUB_MAX_TRIES", "3")
    hub.inject("GET", "sub/tokenizer.json", "status", status=500, times=10,
               headers={"X-Error-Message": "storage is down"})
    with pytest.raises(HfHubHTTPError, match="storage is down") as err:
        hf_hub_download("org/model", "sub/tokenizer.json", cache_dir=tmp_path)
    assert err.value.status_code == 500 and "Gave up after 3 tries" in str(err.value)
    assert len(hub.requests_for("GET", "tokenizer.json")) == 3


def test_5xx_on_head_is_retried_when_nothing_is_cached(hub, repo, tmp_path):
    hub.inject("HEAD", "config.json", "status", status=502, times=2)
    assert Path(hf_hub_download("org/model", "config.json", cache_dir=tmp_path)).read_bytes() == CONFIG


def test_hub_down_serves_the_cached_file(hub, repo, tmp_path, monkeypatch):
    path = hf_hub_download("org/model", "config.json", cache_dir=tmp_path)
    hub.inject("HEAD", "config.json", "status", status=500, times=100)
    assert hf_hub_download("org/model", "config.json", cache_dir=tmp_path) == path
    monkeypatch.setenv("EMBRACE_HUB_MAX_TRIES", "2")
    with pytest.raises(LocalEntryNotFoundError, match="Cannot reach the hub"):
        hf_hub_download("org/model", "config.json", cache_dir=tmp_path / "empty")


def test_unreachable_hub_serves_the_cache_and_explains_otherwise(hub, repo, tmp_path, monkeypatch):
    path = hf_hub_download("org/model", "config.json", cache_dir=tmp_path)
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    dead_endpoint = f"http://127.0.0.1:{closed.getsockname()[1]}"
    closed.close()
    monkeypatch.setenv("HF_ENDPOINT", dead_endpoint)
    monkeypatch.setenv("EMBRACE_HUB_MAX_TRIES", "2")
    assert hf_hub_download("org/model", "config.json", cache_dir=tmp_path) == path
    with pytest.raises(LocalEntryNotFoundError) as err:
        hf_hub_download("org/model", "model.safetensors", cache_dir=tmp_path)
    message = str(err.value)
    assert "'model.safetensors'" in message and "'org/model'" in message and "revision 'main'" in message
    assert "embrace download org/model model.safetensors" in message


def test_concurrent_processes_download_one_blob_once(hub, repo, tmp_path):
    context = multiprocessing.get_context("spawn")
    jobs = [("org/model", "model.safetensors", str(tmp_path), hub.endpoint)] * 4
    with context.Pool(4) as pool:
        paths = pool.map(download_worker, jobs)
    assert len(set(paths)) == 1 and Path(paths[0]).read_bytes() == WEIGHTS
    assert len(hub.requests_for("GET", "model.safetensors")) == 1
    blobs = os.listdir(tmp_path / "models--org--model" / "blobs")
    assert blobs == [hashlib.sha256(WEIGHTS).hexdigest()]


def test_concurrent_threads_share_the_blob(hub, repo, tmp_path):
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(4) as pool:
        paths = list(pool.map(lambda _: hf_hub_download("org/model", "model.safetensors", cache_dir=tmp_path),
                              range(4)))
    assert len(set(paths)) == 1 and Path(paths[0]).read_bytes() == WEIGHTS
    assert len(hub.requests_for("GET", "model.safetensors")) == 1


# --- redirects, tokens, headers ---------------------------------------------------------------


def test_relative_redirect_of_a_renamed_repo(reference, hub, repo, tmp_path):
    hub.renamed["old-org/old-name"] = "org/model"
    ours, theirs, ours_cache, ref_cache = _both(reference, tmp_path, "old-org/old-name", "config.json")
    assert Path(ours).read_bytes() == CONFIG
    assert "models--old-org--old-name" in ours
    assert tree_of(ours_cache) == tree_of(ref_cache)


def test_cdn_redirect_drops_the_token(reference, hub, repo, tmp_path):
    hub.cdn = True
    ours, theirs, ours_cache, ref_cache = _both(reference, tmp_path, "org/model", "model.safetensors",
                                                token="hf_valid_token")
    assert Path(ours).read_bytes() == WEIGHTS
    assert tree_of(ours_cache) == tree_of(ref_cache)
    cdn_gets = [r for r in hub.requests if r.port == hub.cdn_port]
    assert len(cdn_gets) == 2  # one per client
    assert all("authorization" not in r.headers for r in cdn_gets)
    heads = hub.requests_for("HEAD")
    assert all(r.headers.get("authorization") == "Bearer hf_valid_token" for r in heads)


def test_token_and_user_agent_headers(hub, repo, tmp_path, monkeypatch):
    monkeypatch.setenv("HF_TOKEN", "hf_env_token")
    monkeypatch.setitem(hub.tokens, "hf_env_token", "tester")
    hf_hub_download("org/model", "config.json", cache_dir=tmp_path, user_agent={"pipeline": "x"})
    head = hub.requests_for("HEAD")[0]
    assert head.headers["authorization"] == "Bearer hf_env_token"
    assert "embrace/" in head.headers["user-agent"] and "pipeline/x" in head.headers["user-agent"]
    hub.requests.clear()
    hf_hub_download("org/model", "sub/tokenizer.json", cache_dir=tmp_path, token=False)
    assert all("authorization" not in r.headers for r in hub.requests)
    # a token the hub rejects is reported as such (not as a missing file or a network problem)
    monkeypatch.setenv("HF_TOKEN", "hf_revoked")
    with pytest.raises(HfHubHTTPError, match="Invalid credentials in Authorization header") as err:
        hf_hub_download("org/model", "model.safetensors", cache_dir=tmp_path)
    assert err.value.status_code == 401


# --- symlinks, local_dir, progress -------------------------------------------------------------


def test_without_symlink_support_files_are_real_files(reference, hub, repo, tmp_path, monkeypatch):
    monkeypatch.setattr(download, "_symlinks_supported", lambda folder: False)
    path = hf_hub_download("org/model", "model.safetensors", cache_dir=tmp_path)
    assert not os.path.islink(path) and Path(path).read_bytes() == WEIGHTS
    assert try_to_load_from_cache("org/model", "model.safetensors", cache_dir=tmp_path) == path
    assert reference.try_to_load_from_cache("org/model", "model.safetensors", cache_dir=tmp_path) == path
    # a second revision with the same content gets its own copy
    hub.commit("org/model", {"README.md": b"x"})
    second = hf_hub_download("org/model", "model.safetensors", cache_dir=tmp_path)
    assert second != path and Path(second).read_bytes() == WEIGHTS


def test_local_dir_layout_matches_reference(reference, hub, repo, tmp_path):
    for filename in ("config.json", "model.safetensors", "sub/tokenizer.json"):
        ours = hf_hub_download("org/model", filename, local_dir=tmp_path / "ours", cache_dir=tmp_path / "c1")
        theirs = reference.hf_hub_download("org/model", filename, local_dir=tmp_path / "ref",
                                           cache_dir=tmp_path / "c2", endpoint=hub.endpoint)
        assert os.path.relpath(ours, tmp_path / "ours") == os.path.relpath(theirs, tmp_path / "ref") == filename
        assert not os.path.islink(ours)
    ours_tree = {k: v for k, v in tree_of(tmp_path / "ours").items() if not k.endswith(".metadata")}
    ref_tree = {k: v for k, v in tree_of(tmp_path / "ref").items() if not k.endswith(".metadata")}
    assert ours_tree == ref_tree
    for name in ("config.json", "model.safetensors", "sub/tokenizer.json"):
        ours_meta = (tmp_path / "ours/.cache/huggingface/download" / f"{name}.metadata").read_text().split("\n")
        ref_meta = (tmp_path / "ref/.cache/huggingface/download" / f"{name}.metadata").read_text().split("\n")
        assert ours_meta[:2] == ref_meta[:2]  # commit and etag; the timestamp differs
    # the reference accepts our local_dir as up to date (no download), and we accept its
    hub.requests.clear()
    reference.hf_hub_download("org/model", "model.safetensors", local_dir=tmp_path / "ours", revision=repo,
                              endpoint=hub.endpoint)
    hf_hub_download("org/model", "model.safetensors", local_dir=tmp_path / "ref", revision=repo)
    assert hub.requests == []


def test_local_dir_reuses_the_cache_and_offline_returns_the_file(hub, repo, tmp_path, monkeypatch):
    hf_hub_download("org/model", "model.safetensors", cache_dir=tmp_path / "cache")
    hub.requests.clear()
    path = hf_hub_download("org/model", "model.safetensors", local_dir=tmp_path / "out", cache_dir=tmp_path / "cache")
    assert [r.method for r in hub.requests] == ["HEAD"]  # copied from the cache, not downloaded
    assert Path(path).read_bytes() == WEIGHTS
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    assert hf_hub_download("org/model", "model.safetensors", local_dir=tmp_path / "out") == path


def test_local_dir_file_edited_by_hand_is_replaced(hub, repo, tmp_path):
    path = Path(hf_hub_download("org/model", "config.json", local_dir=tmp_path))
    metadata = tmp_path / ".cache" / "huggingface" / "download" / "config.json.metadata"
    os.utime(metadata, (0, 0))
    path.write_bytes(b"edited")
    os.utime(path, (4_000_000_000, 4_000_000_000))  # modified after the metadata was written
    assert Path(hf_hub_download("org/model", "config.json", local_dir=tmp_path)).read_bytes() == CONFIG


def test_progress_bar_shows_total_bytes_unless_disabled(hub, repo, tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("HF_HUB_DISABLE_PROGRESS_BARS", raising=False)
    monkeypatch.delenv("EMBRACE_DISABLE_PROGRESS_BARS", raising=False)
    hf_hub_download("org/model", "model.safetensors", cache_dir=tmp_path / "a")
    err = capsys.readouterr().err
    assert "model.safetensors" in err and "1.22M/1.22M" in err
    monkeypatch.setenv("EMBRACE_DISABLE_PROGRESS_BARS", "1")
    hf_hub_download("org/model", "model.safetensors", cache_dir=tmp_path / "b")
    assert capsys.readouterr().err == ""


# --- resolve_file downloads through the hub client -----------------------------------------------


def test_resolve_file_downloads_what_the_cache_lacks(hub, repo, tmp_path):
    path = resolve_file("org/model", "config.json", cache_dir=tmp_path)
    assert Path(path).read_bytes() == CONFIG
    assert resolve_file("org/model", "added_tokens.json", cache_dir=tmp_path, required=False) is None
    with pytest.raises(EntryNotFoundError):
        resolve_file("org/model", "vocab.txt", cache_dir=tmp_path)
    hub.requests.clear()
    # now cached: neither the file nor the known-absent one costs a request
    assert resolve_file("org/model", "config.json", cache_dir=tmp_path) == path
    assert resolve_file("org/model", "added_tokens.json", cache_dir=tmp_path, required=False) is None
    assert hub.requests == []


def test_resolve_file_with_the_hub_down_serves_the_cache(hub, repo, tmp_path, monkeypatch):
    config = resolve_file("org/model", "config.json", cache_dir=tmp_path)
    monkeypatch.setenv("EMBRACE_HUB_MAX_TRIES", "1")
    hub.inject("HEAD", "/org/model/", "status", status=503, times=100)
    assert resolve_file("org/model", "config.json", cache_dir=tmp_path) == config
    assert resolve_file("org/model", "special_tokens_map.json", cache_dir=tmp_path, required=False) is None
    with pytest.raises(LocalEntryNotFoundError):
        resolve_file("org/model", "vocab.txt", cache_dir=tmp_path)
    with pytest.raises(LocalEntryNotFoundError):
        resolve_file("org/model", "config.json", cache_dir=tmp_path / "empty", required=False)


def test_pretrained_config_from_the_hub(hub, repo, tmp_path):
    from embrace import AutoConfig

    config = AutoConfig.from_pretrained("org/model", cache_dir=tmp_path)
    assert config.hidden_size == 32


# --- the CLI --------------------------------------------------------------------------------------


def test_cli_download_prints_the_path(hub, repo, tmp_path, capsys):
    from embrace.cli.main import main

    assert main(["download", "org/model", "config.json", "--cache-dir", str(tmp_path), "--quiet"]) == 0
    path = capsys.readouterr().out.strip()
    assert Path(path).read_bytes() == CONFIG
    assert main(["download", "org/model", "--include", "*.json", "--cache-dir", str(tmp_path), "--quiet"]) == 0
    folder = Path(capsys.readouterr().out.strip())
    assert sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()) == [
        "config.json", "sub/tokenizer.json"]
    assert main(["download", "org/model", "config.json", "--local-dir", str(tmp_path / "out"), "--quiet"]) == 0
    assert capsys.readouterr().out.strip() == str(tmp_path / "out" / "config.json")
    assert main(["download", "org/nope", "config.json", "--cache-dir", str(tmp_path), "--quiet"]) == 1
    assert "Repository Not Found" in capsys.readouterr().err
