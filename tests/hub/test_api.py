"""HfApi against the fake hub: repo info, listings, repo creation and the commit/upload protocol,
checked against huggingface_hub talking to the same hub (same answers, same wire format)."""

from __future__ import annotations

import hashlib
import io
import os
from pathlib import Path

import pytest

from embrace.errors import (
    EntryNotFoundError,
    GatedRepoError,
    HfHubHTTPError,
    HFValidationError,
    LocalTokenNotFoundError,
    RepositoryNotFoundError,
    RevisionNotFoundError,
)
from embrace.hub import (
    CommitOperationAdd,
    CommitOperationDelete,
    HfApi,
    PushToHubMixin,
    create_repo,
    dataset_info,
    file_exists,
    hf_hub_download,
    list_repo_files,
    model_info,
    repo_exists,
    revision_exists,
    upload_file,
    upload_folder,
    whoami,
)
from tests.hub.fake_hub import git_blob_sha1, hub, hub_server, reference  # noqa: F401

TOKEN = "hf_valid_token"
WEIGHTS = hashlib.sha256(b"w").digest() * 50_000  # 1.6 MB: goes to LFS
FILES = {"config.json": b'{"a": 1}', "model.safetensors": WEIGHTS, "sub/notes.txt": b"hello"}


@pytest.fixture
def repo(hub):
    return hub.add_repo("org/model", FILES, tags=("v1",))


@pytest.fixture
def token(monkeypatch):
    monkeypatch.setenv("HF_TOKEN", TOKEN)
    return TOKEN


def _ref_api(reference, hub):
    return reference.HfApi(endpoint=hub.endpoint, token=TOKEN)


# --- reading ------------------------------------------------------------------------------------


@pytest.mark.parametrize("files_metadata", [False, True])
def test_model_info_matches_reference(reference, hub, repo, files_metadata):
    ours = model_info("org/model", files_metadata=files_metadata)
    theirs = _ref_api(reference, hub).model_info("org/model", files_metadata=files_metadata)
    assert ours.id == theirs.id == "org/model" and ours.sha == theirs.sha == repo
    assert ours.private is False and ours.last_modified == theirs.last_modified
    ours_siblings = [(s.rfilename, s.size, s.blob_id, s.lfs and (s.lfs.sha256, s.lfs.size)) for s in ours.siblings]
    ref_siblings = [(s.rfilename, s.size, s.blob_id, s.lfs and (s.lfs.sha256, s.lfs.size)) for s in theirs.siblings]
    assert ours_siblings == ref_siblings
    if files_metadata:
        by_name = {s.rfilename: s for s in ours.siblings}
        assert by_name["model.safetensors"].lfs.sha256 == hashlib.sha256(WEIGHTS).hexdigest()
        assert by_name["model.safetensors"].lfs["size"] == len(WEIGHTS)
        assert by_name["config.json"].blob_id == git_blob_sha1(FILES["config.json"]) and not by_name["config.json"].lfs


def test_dataset_info_and_revision(reference, hub):
    sha = hub.add_repo("org/data", {"train.csv": b"x\n"}, repo_type="dataset", tags=("v2",))
    info = dataset_info("org/data", revision="v2")
    assert info.sha == sha and [s.rfilename for s in info.siblings] == ["train.csv"]
    assert type(info).__name__ == "DatasetInfo"
    assert hub.requests_for("GET", "/api/datasets/org/data/revision/v2")


def test_list_repo_files_and_existence_checks_match_reference(reference, hub, repo):
    hub.add_repo("org/gated", {"config.json": b"{}"}, gated=True)
    ref = _ref_api(reference, hub)
    api = HfApi(token=TOKEN)
    assert list_repo_files("org/model") == sorted(ref.list_repo_files("org/model")) == sorted(FILES)
    assert api.list_repo_files("org/model", revision="v1") == sorted(FILES)
    for repo_id in ("org/model", "org/nope", "org/gated"):
        assert api.repo_exists(repo_id) == ref.repo_exists(repo_id)
    assert repo_exists("org/gated") is True
    for revision in ("main", "v1", repo, "nope"):
        assert revision_exists("org/model", revision) == ref.revision_exists("org/model", revision)
    for filename in ("config.json", "sub/notes.txt", "model.safetensors", "missing.txt"):
        assert file_exists("org/model", filename) == ref.file_exists("org/model", filename)
    assert file_exists("org/nope", "config.json") is False
    with pytest.raises(GatedRepoError):
        file_exists("org/gated", "config.json")
    paths = sorted(f.path for f in api.list_repo_tree("org/model", recursive=True))
    assert paths == sorted(f.path for f in ref.list_repo_tree("org/model", recursive=True))


def test_info_errors(hub, repo):
    with pytest.raises(RepositoryNotFoundError):
        model_info("org/nope")
    with pytest.raises(RevisionNotFoundError):
        model_info("org/model", revision="nope")
    with pytest.raises(HFValidationError):
        model_info("not/a/repo")


def test_whoami(hub, token):
    assert whoami()["name"] == "tester"
    assert hub.requests_for("GET", "/api/whoami-v2")[0].headers["authorization"] == f"Bearer {TOKEN}"
    with pytest.raises(HfHubHTTPError, match="Invalid user token"):
        whoami(token="hf_wrong")
    with pytest.raises(HFValidationError):
        whoami(token=False)


def test_whoami_without_token(hub, monkeypatch):
    monkeypatch.delenv("HF_TOKEN", raising=False)
    with pytest.raises(LocalTokenNotFoundError, match="HF_TOKEN"):
        whoami()


# --- repos --------------------------------------------------------------------------------------


def test_create_repo(hub, token):
    url = create_repo("tester/new-model")
    assert url == f"{hub.endpoint}/tester/new-model" and url.repo_id == "tester/new-model"
    assert url.repo_type == "model" and url.namespace == "tester"
    with pytest.raises(HfHubHTTPError) as err:
        create_repo("tester/new-model")
    assert err.value.status_code == 409
    assert create_repo("tester/new-model", exist_ok=True) == url
    data = create_repo("tester/data", repo_type="dataset", private=True)
    assert data.repo_type == "dataset" and hub.repos[("dataset", "tester/data")].private
    HfApi().delete_repo("tester/data", repo_type="dataset")
    assert ("dataset", "tester/data") not in hub.repos


def test_create_repo_payload_matches_reference(reference, hub, token):
    create_repo("tester/a", private=True, repo_type="dataset")
    _ref_api(reference, hub).create_repo("tester/b", private=True, repo_type="dataset")
    ours, theirs = hub.requests_for("POST", "/api/repos/create")
    assert ours.headers["content-type"] == theirs.headers["content-type"] == "application/json"
    assert hub.repos[("dataset", "tester/a")].private and hub.repos[("dataset", "tester/b")].private


# --- uploads ------------------------------------------------------------------------------------


def _wire(payload: list[dict]) -> list[tuple]:
    """A commit payload reduced to what must match between clients (no content bytes)."""
    out = []
    for line in payload:
        value = dict(line["value"])
        if line["key"] == "file":
            value["content"] = hashlib.sha256(value["content"].encode()).hexdigest()
        out.append((line["key"], tuple(sorted(value.items()))))
    return out


def test_upload_wire_format_matches_reference(reference, hub, token, tmp_path):
    (tmp_path / "w.safetensors").write_bytes(WEIGHTS)
    for name, client in (("ours", HfApi()), ("ref", _ref_api(reference, hub))):
        client.create_repo(f"tester/{name}")
        client.upload_file(path_or_fileobj=b'{"x": 1}', path_in_repo="config.json", repo_id=f"tester/{name}",
                           commit_message="add config")
        client.upload_file(path_or_fileobj=str(tmp_path / "w.safetensors"), path_in_repo="w.safetensors",
                           repo_id=f"tester/{name}", commit_message="add weights")
    ours_payloads, ref_payloads = hub.commit_payloads[:2], hub.commit_payloads[2:]
    assert [_wire(p) for p in ours_payloads] == [_wire(p) for p in ref_payloads]
    assert ours_payloads[1][1] == {"key": "lfsFile", "value": {"path": "w.safetensors", "algo": "sha256",
                                                               "oid": hashlib.sha256(WEIGHTS).hexdigest(),
                                                               "size": len(WEIGHTS)}}
    # preupload, LFS batch and PUT were used the same way
    for fragment in ("/preupload/main", ".git/info/lfs/objects/batch", "/__lfs/verify"):
        ours_calls = [r for r in hub.requests if fragment in r.path and "tester/ours" in r.path or
                      (fragment == "/__lfs/verify" and r.path == fragment)]
        assert ours_calls, fragment
    commits = hub.requests_for("POST", "/commit/main")
    assert all(r.headers["content-type"] == "application/x-ndjson" for r in commits)
    batch = hub.requests_for("POST", "lfs/objects/batch")
    assert all(r.headers["accept"] == "application/vnd.git-lfs+json" for r in batch)
    puts = hub.requests_for("PUT")
    assert len(puts) == 1  # the second client finds the object already uploaded


@pytest.mark.parametrize("source", ["path", "bytes", "fileobj"])
def test_upload_file_round_trips_through_both_clients(reference, hub, token, tmp_path, source):
    create_repo("tester/up")
    (tmp_path / "w.bin").write_bytes(WEIGHTS)
    payload = {"path": str(tmp_path / "w.bin"), "bytes": WEIGHTS, "fileobj": io.BytesIO(WEIGHTS)}[source]
    info = upload_file(path_or_fileobj=payload, path_in_repo="weights/w.bin", repo_id="tester/up")
    assert info.oid == hub.repos[("model", "tester/up")].refs["main"]
    assert info.commit_url.endswith(f"/tester/up/commit/{info.oid}") and info.repo_url.repo_id == "tester/up"
    assert info.commit_message == "Upload weights/w.bin with embrace"
    ours = hf_hub_download("tester/up", "weights/w.bin", cache_dir=tmp_path / "c1")
    theirs = reference.hf_hub_download("tester/up", "weights/w.bin", cache_dir=tmp_path / "c2",
                                       endpoint=hub.endpoint, token=TOKEN)
    assert Path(ours).read_bytes() == Path(theirs).read_bytes() == WEIGHTS
    assert hub.repos[("model", "tester/up")].commits[info.oid]["weights/w.bin"].lfs


def test_reference_upload_downloads_with_embrace(reference, hub, token, tmp_path):
    ref = _ref_api(reference, hub)
    ref.create_repo("tester/refmade")
    folder = tmp_path / "src"
    (folder / "sub").mkdir(parents=True)
    (folder / "config.json").write_bytes(b"{}")
    (folder / "sub" / "model.safetensors").write_bytes(WEIGHTS)
    ref.upload_folder(folder_path=folder, repo_id="tester/refmade")
    path = hf_hub_download("tester/refmade", "sub/model.safetensors", cache_dir=tmp_path / "c")
    assert Path(path).read_bytes() == WEIGHTS


def test_upload_folder_patterns_prefix_and_deletes(hub, token, tmp_path):
    create_repo("tester/folder")
    upload_file(path_or_fileobj=b"old", path_in_repo="ckpt/old.log", repo_id="tester/folder")
    upload_file(path_or_fileobj=b"keep", path_in_repo="ckpt/keep.txt", repo_id="tester/folder")
    folder = tmp_path / "src"
    for rel, data in {"a.json": b"{}", "logs/x.log": b"log", "w.safetensors": WEIGHTS, ".git/HEAD": b"ref",
                      ".cache/huggingface/download/a.json.metadata": b"m", "nested/b.json": b"[]"}.items():
        (folder / rel).parent.mkdir(parents=True, exist_ok=True)
        (folder / rel).write_bytes(data)
    info = upload_folder(repo_id="tester/folder", folder_path=folder, path_in_repo="ckpt",
                         ignore_patterns="logs/*", delete_patterns="*.log")
    tree = hub.repos[("model", "tester/folder")].commits[info.oid]
    assert sorted(tree) == ["ckpt/a.json", "ckpt/keep.txt", "ckpt/nested/b.json", "ckpt/w.safetensors"]
    assert info.commit_message == "Upload folder using embrace"
    only_json = upload_folder(repo_id="tester/folder", folder_path=folder, allow_patterns=["*.json"],
                              commit_message="json only")
    assert sorted(p for p in hub.repos[("model", "tester/folder")].commits[only_json.oid] if "/" not in p or
                  p.startswith("nested")) == ["a.json", "nested/b.json"]


def test_unchanged_upload_makes_no_commit(hub, token, caplog):
    create_repo("tester/same")
    first = upload_file(path_or_fileobj=b"same", path_in_repo="f.txt", repo_id="tester/same")
    second = upload_file(path_or_fileobj=b"same", path_in_repo="f.txt", repo_id="tester/same")
    assert second.oid == first.oid
    assert len(hub.commit_payloads) == 1
    assert "No files have been modified" in caplog.text


def test_create_commit_with_deletes_and_pull_request(hub, token):
    create_repo("tester/ops")
    HfApi().create_commit("tester/ops", [CommitOperationAdd("a/x.txt", b"x"), CommitOperationAdd("b.txt", b"b")],
                          commit_message="two files")
    pr = HfApi().create_commit("tester/ops", [CommitOperationDelete("a/"), CommitOperationAdd("c.txt", b"c")],
                               commit_message="delete folder", create_pr=True)
    repo = hub.repos[("model", "tester/ops")]
    assert pr.pr_url == f"{hub.endpoint}/tester/ops/discussions/1"
    assert pr.pr_revision == "refs/pr/1" and pr.pr_num == 1
    assert sorted(repo.commits[repo.refs["refs/pr/1"]]) == ["b.txt", "c.txt"]
    assert sorted(repo.commits[repo.refs["main"]]) == ["a/x.txt", "b.txt"]  # main untouched
    with pytest.raises(EntryNotFoundError):
        HfApi().create_commit("tester/ops", [CommitOperationDelete("nope.txt")], commit_message="x")


def test_upload_errors_are_clear(hub, token, monkeypatch):
    with pytest.raises(RepositoryNotFoundError, match="create_repo"):
        upload_file(path_or_fileobj=b"x", path_in_repo="x", repo_id="tester/missing")
    with pytest.raises(HFValidationError, match="not a file"):
        upload_file(path_or_fileobj="/no/such/file", path_in_repo="x", repo_id="tester/missing")
    with pytest.raises(HFValidationError, match=r"\.git"):
        CommitOperationAdd(".git/config", b"x")
    with pytest.raises(HFValidationError, match=r"\.\."):
        CommitOperationAdd("../x", b"x")
    monkeypatch.delenv("HF_TOKEN")
    hub.add_repo("tester/ro", {"a": b"a"})
    with pytest.raises(HfHubHTTPError) as err:
        upload_file(path_or_fileobj=b"x", path_in_repo="x", repo_id="tester/ro")
    assert err.value.status_code == 401


def test_lfs_put_is_retried_on_5xx(hub, token):
    create_repo("tester/flaky")
    hub.inject("PUT", "/__lfs/", "status", status=503, times=2)
    info = upload_file(path_or_fileobj=WEIGHTS, path_in_repo="w.bin", repo_id="tester/flaky")
    assert hub.repos[("model", "tester/flaky")].commits[info.oid]["w.bin"].content == WEIGHTS
    assert len(hub.requests_for("PUT")) == 3


# --- push_to_hub --------------------------------------------------------------------------------


def test_push_to_hub_saves_and_uploads_a_config(reference, hub, token, tmp_path):
    from embrace.configuration import PretrainedConfig

    class TinyConfig(PretrainedConfig):  # configs push through their own PushToHubMixin base
        model_type = "tiny"
        hidden_size: int = 8

    info = TinyConfig(hidden_size=24).push_to_hub("tester/tiny", private=True)
    assert info.commit_message == "Upload config"
    assert hub.repos[("model", "tester/tiny")].private
    loaded = TinyConfig.from_pretrained("tester/tiny", cache_dir=tmp_path / "c")
    assert loaded.hidden_size == 24
    theirs = reference.hf_hub_download("tester/tiny", "config.json", cache_dir=tmp_path / "r",
                                       endpoint=hub.endpoint, token=TOKEN)
    local = tmp_path / "local"
    TinyConfig(hidden_size=24).save_pretrained(local)
    assert Path(theirs).read_bytes() == (local / "config.json").read_bytes()


def test_push_to_hub_passes_safe_serialization_when_accepted(hub, token):
    seen = {}

    class Model(PushToHubMixin):
        def save_pretrained(self, folder, safe_serialization=True):
            seen["safe"] = safe_serialization
            Path(folder, "model.safetensors" if safe_serialization else "pytorch_model.bin").write_bytes(b"w")

    Model().push_to_hub("tester/m", safe_serialization=False, commit_message="weights")
    assert seen == {"safe": False}
    repo = hub.repos[("model", "tester/m")]
    assert list(repo.commits[repo.refs["main"]]) == ["pytorch_model.bin"]


# --- the CLI --------------------------------------------------------------------------------------


def test_cli_upload_file_and_folder(hub, token, tmp_path, capsys):
    from embrace.cli.main import main

    (tmp_path / "src" / "d").mkdir(parents=True)
    (tmp_path / "src" / "config.json").write_bytes(b"{}")
    (tmp_path / "src" / "d" / "w.safetensors").write_bytes(WEIGHTS)
    assert main(["upload", "tester/cli", str(tmp_path / "src"), "--quiet"]) == 0
    assert capsys.readouterr().out.strip() == f"{hub.endpoint}/tester/cli/tree/main"
    assert main(["upload", "tester/cli", str(tmp_path / "src" / "config.json"), "cfg/c.json", "--quiet"]) == 0
    assert capsys.readouterr().out.strip() == f"{hub.endpoint}/tester/cli/blob/main/cfg/c.json"
    repo = hub.repos[("model", "tester/cli")]
    assert sorted(repo.commits[repo.refs["main"]]) == ["cfg/c.json", "config.json", "d/w.safetensors"]
    assert main(["upload", "tester/cli", str(tmp_path / "missing")]) == 2
    assert "does not exist" in capsys.readouterr().err


def test_module_functions_follow_hf_endpoint(hub, repo, monkeypatch):
    assert model_info("org/model").sha == repo
    monkeypatch.setenv("HF_ENDPOINT", "http://127.0.0.1:1")
    assert HfApi().endpoint == "http://127.0.0.1:1"
    assert HfApi(endpoint="http://x/").endpoint == "http://x"
    assert os.environ["HF_ENDPOINT"] == "http://127.0.0.1:1"
