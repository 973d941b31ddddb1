"""snapshot_download against the fake hub, compared with huggingface_hub's on the same repos."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from embrace.errors import LocalEntryNotFoundError, RepositoryNotFoundError, RevisionNotFoundError
from embrace.hub import filter_repo_objects, snapshot_download
from tests.hub.fake_hub import hub, hub_server, reference, tree_of  # noqa: F401

FILES = {
    ".gitattributes": b"*.safetensors filter=lfs\n",
    "config.json": b'{"hidden_size": 8}',
    "model.safetensors": bytes(range(256)) * 5000,  # 1.28 MB, LFS
    "tokenizer/vocab.txt": b"[PAD]\n[UNK]\n",
    "tokenizer/merges.txt": b"#version\n",
    "onnx/model.onnx": b"\0\1\2",
    "README.md": b"# model\n",
}


@pytest.fixture
def repo(hub):
    return hub.add_repo("org/model", FILES, tags=("v1",))


def _files(folder: str | Path) -> dict[str, bytes]:
    root = Path(folder)
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file() and ".cache" not in p.relative_to(root).parts}


def _both(reference, hub, tmp_path, **kwargs):
    ours = snapshot_download("org/model", cache_dir=tmp_path / "ours", **kwargs)
    theirs = reference.snapshot_download("org/model", cache_dir=tmp_path / "ref", endpoint=hub.endpoint, **kwargs)
    return ours, theirs


@pytest.mark.parametrize("revision", [None, "v1", "commit"])
def test_snapshot_and_cache_identical_to_reference(reference, hub, repo, tmp_path, revision):
    revision = repo if revision == "commit" else revision
    ours, theirs = _both(reference, hub, tmp_path, revision=revision)
    assert os.path.relpath(ours, tmp_path / "ours") == os.path.relpath(theirs, tmp_path / "ref")
    assert ours.endswith(os.path.join("snapshots", repo))
    assert _files(ours) == FILES
    # blobs, refs, symlinks, and the trees/<commit>.json listing: all the same
    assert tree_of(tmp_path / "ours") == tree_of(tmp_path / "ref")


@pytest.mark.parametrize(
    ("allow", "ignore"),
    [
        ("*.json", None),
        (["tokenizer/", "*.md"], None),
        (None, ["*.safetensors", "onnx/*"]),
        (["*.txt", "config.json"], "*merges*"),
        ("nothing-matches-*", None),
    ],
)
def test_patterns_select_the_same_files_as_reference(reference, hub, repo, tmp_path, allow, ignore):
    ours, theirs = _both(reference, hub, tmp_path, allow_patterns=allow, ignore_patterns=ignore)
    assert sorted(_files(ours)) == sorted(_files(theirs))
    assert tree_of(tmp_path / "ours") == tree_of(tmp_path / "ref")


def test_filter_repo_objects_matches_reference():
    from huggingface_hub.utils import filter_repo_objects as ref_filter

    paths = list(FILES) + ["a\\b.json", "deep/er/x.json"]
    for allow, ignore in [("*.json", None), (["tokenizer/"], "*.txt"), (None, ".*"), ("deep/*.json", None),
                          (["a/b.json"], None), (["*"], ["*/*"])]:
        assert list(filter_repo_objects(paths, allow_patterns=allow, ignore_patterns=ignore)) == list(
            ref_filter(paths, allow_patterns=allow, ignore_patterns=ignore))


def test_local_dir_layout_matches_reference(reference, hub, repo, tmp_path):
    ours = snapshot_download("org/model", local_dir=tmp_path / "ours", cache_dir=tmp_path / "c1")
    theirs = reference.snapshot_download("org/model", local_dir=tmp_path / "ref", cache_dir=tmp_path / "c2",
                                         endpoint=hub.endpoint)
    assert ours == str(tmp_path / "ours") and theirs == str(tmp_path / "ref")
    assert _files(ours) == FILES

    def layout(folder: Path) -> dict[str, str]:  # metadata files carry a timestamp: compare their first lines
        tree = tree_of(folder)
        for name in tree:
            if name.endswith(".metadata"):
                tree[name] = "\n".join((folder / name).read_text().split("\n")[:2])
        return tree

    assert layout(tmp_path / "ours") == layout(tmp_path / "ref")
    assert tree_of(tmp_path / "c1") == tree_of(tmp_path / "c2")  # refs only


def test_second_call_downloads_nothing_and_new_commits_only_what_changed(hub, repo, tmp_path):
    snapshot_download("org/model", cache_dir=tmp_path)
    hub.requests.clear()
    snapshot_download("org/model", cache_dir=tmp_path)
    assert [r.method for r in hub.requests] == ["GET"]  # the revision info; files at a commit are cached
    new_sha = hub.commit("org/model", {"config.json": b'{"hidden_size": 16}'})
    hub.requests.clear()
    folder = snapshot_download("org/model", cache_dir=tmp_path)
    assert folder.endswith(new_sha)
    gets = [r.path for r in hub.requests_for("GET", "/resolve/")]
    assert gets == [f"/org/model/resolve/{new_sha}/config.json"]  # unchanged blobs are only linked
    assert (tmp_path / "models--org--model" / "refs" / "main").read_text() == new_sha


def test_dataset_repo_and_sequential_workers(reference, hub, tmp_path):
    hub.add_repo("org/data", {"train.csv": b"a\n1\n", "test/part-0.parquet": b"PAR1" * 100}, repo_type="dataset")
    ours = snapshot_download("org/data", repo_type="dataset", cache_dir=tmp_path / "ours", max_workers=1)
    theirs = reference.snapshot_download("org/data", repo_type="dataset", cache_dir=tmp_path / "ref",
                                         endpoint=hub.endpoint)
    assert "datasets--org--data" in ours
    assert tree_of(tmp_path / "ours") == tree_of(tmp_path / "ref")
    assert hub.requests_for("GET", "/api/datasets/org/data/revision/main")


def test_errors(hub, repo, tmp_path, monkeypatch):
    with pytest.raises(RepositoryNotFoundError):
        snapshot_download("org/nope", cache_dir=tmp_path)
    with pytest.raises(RevisionNotFoundError):
        snapshot_download("org/model", revision="nope", cache_dir=tmp_path)
    # the hub answering 500 for the listing: the cached snapshot is served when there is one
    folder = snapshot_download("org/model", cache_dir=tmp_path)
    monkeypatch.setenv("EMBRACE_HUB_MAX_TRIES", "2")
    hub.inject("GET", "/api/models/org/model/revision", "status", status=500, times=10)
    assert snapshot_download("org/model", cache_dir=tmp_path) == folder
    with pytest.raises(LocalEntryNotFoundError, match="could not be reached"):
        snapshot_download("org/model", cache_dir=tmp_path / "empty")


def test_each_client_reads_the_others_snapshot_offline(reference, hub, repo, tmp_path, monkeypatch):
    ours, theirs = _both(reference, hub, tmp_path, revision="v1")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    assert reference.snapshot_download("org/model", cache_dir=tmp_path / "ours", revision="v1",
                                       local_files_only=True) == ours
    assert snapshot_download("org/model", cache_dir=tmp_path / "ref", revision="v1") == theirs


def test_tree_cache_content_is_the_reference_format(hub, repo, tmp_path):
    snapshot_download("org/model", cache_dir=tmp_path)
    data = json.loads((tmp_path / "models--org--model" / "trees" / f"{repo}.json").read_text())
    assert data["format_version"] == 1
    assert data["files"]["model.safetensors"]["lfs_size"] == len(FILES["model.safetensors"])
    assert set(data["files"]["config.json"]) == {"size", "blob_id"}
