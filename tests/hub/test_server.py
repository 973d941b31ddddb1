"""`embrace hub serve` against the REFERENCE client (huggingface_hub 2.4.0) on loopback.

The server runs in a background thread (HubServer, port 0). huggingface_hub froze
HF_HUB_OFFLINE / HF_HUB_DISABLE_XET at import, so those two constants are patched per test;
every call passes `endpoint=` and `cache_dir=` explicitly.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import threading
from pathlib import Path

import httpx
import huggingface_hub
import huggingface_hub.constants as hf_constants
import numpy as np
import pytest
from huggingface_hub import CommitOperationAdd, HfApi, hf_hub_download, snapshot_download
from huggingface_hub import errors as hf_errors
from huggingface_hub.file_download import http_get
from huggingface_hub.utils import get_session

from embrace.hub.server import HubServer
from embrace.hub.server.storage import AddFile, RepoStore, git_blob_id

ALICE_WRITE = "hf_alice_write_token"
ALICE_READ = "hf_alice_read_token"
BOB_WRITE = "hf_bob_write_token"
BOB_READ = "hf_bob_read_token"
CAROL = "hf_carol_token"

TOKENS = {
    "tokens": {
        ALICE_WRITE: {"user": "alice", "role": "write", "orgs": ["acme"]},
        ALICE_READ: {"user": "alice", "role": "read"},
        BOB_WRITE: {"user": "bob", "role": "write"},
        BOB_READ: {"user": "bob", "role": "read"},
        CAROL: {"user": "carol", "role": "read"},
    },
    "private": ["alice/private-model"],
    "gated": {"alice/gated-model": ["carol"]},
}

CONFIG = b'{"model_type": "bert", "hidden_size": 32}\n'
WEIGHTS = np.random.default_rng(0).bytes(50_000)
NESTED = b"nested file\n"


@pytest.fixture(scope="module")
def hub(tmp_path_factory):
    base = tmp_path_factory.mktemp("hub")
    tokens = base / "tokens.json"
    tokens.write_text(json.dumps(TOKENS))
    store = RepoStore(base / "root")
    for repo_id in ("alice/public-model", "alice/private-model", "alice/gated-model"):
        repo = store.create("model", repo_id, author="alice")
        repo.commit([AddFile("config.json", CONFIG), AddFile("model.safetensors", WEIGHTS),
                     AddFile("sub/deep/nested.txt", NESTED), AddFile("README.md", b"---\nlicense: mit\ntags: [test]\n---\n# hi\n")],
                    summary="Add model", author="alice")
    with HubServer(base / "root", tokens_file=tokens) as server:
        server.store = store
        server.tokens_path = tokens
        yield server


@pytest.fixture(autouse=True)
def _online_reference_client(monkeypatch):
    monkeypatch.setattr(hf_constants, "HF_HUB_OFFLINE", False)
    monkeypatch.setattr(hf_constants, "HF_HUB_DISABLE_XET", True)  # this hub speaks git-LFS, not Xet


def _api(hub, token=False) -> HfApi:
    return HfApi(endpoint=hub.url, token=token)


def _new_repo(hub, name: str, **kwargs) -> str:
    repo_id = f"alice/{name}"
    _api(hub, ALICE_WRITE).create_repo(repo_id, **kwargs)
    return repo_id


# --- downloads ---------------------------------------------------------------------


def test_hf_hub_download_regular_and_lfs_files(hub, tmp_path):
    head = hub.store.open("model", "alice/public-model").resolve("main")
    config = hf_hub_download("alice/public-model", "config.json", endpoint=hub.url, cache_dir=tmp_path, token=False)
    weights = hf_hub_download("alice/public-model", "model.safetensors", endpoint=hub.url, cache_dir=tmp_path,
                              token=False)
    nested = hf_hub_download("alice/public-model", "deep/nested.txt", subfolder="sub", endpoint=hub.url,
                             cache_dir=tmp_path, token=False)
    assert Path(config).read_bytes() == CONFIG
    assert Path(weights).read_bytes() == WEIGHTS
    assert Path(nested).read_bytes() == NESTED
    # the client names its cache after the commit and the ETags: git blob id / sha256 for LFS
    cache = tmp_path / "models--alice--public-model"
    assert (cache / "refs" / "main").read_text() == head
    assert Path(config).parent.name == head
    blobs = {p.name for p in (cache / "blobs").iterdir()}
    assert {git_blob_id(CONFIG), hashlib.sha256(WEIGHTS).hexdigest(), git_blob_id(NESTED)} == blobs


def test_resolve_headers_match_the_hub_protocol(hub):
    sha256 = hashlib.sha256(WEIGHTS).hexdigest()
    with httpx.Client(base_url=hub.url) as client:
        regular = client.head("/alice/public-model/resolve/main/config.json")
        assert regular.status_code == 200
        assert regular.headers["ETag"] == f'"{git_blob_id(CONFIG)}"'
        assert regular.headers["Content-Length"] == str(len(CONFIG))
        assert regular.headers["Accept-Ranges"] == "bytes"
        assert len(regular.headers["X-Repo-Commit"]) == 40
        lfs = client.head("/alice/public-model/resolve/main/model.safetensors")
        assert lfs.status_code == 302
        assert lfs.headers["X-Linked-Etag"] == f'"{sha256}"' and lfs.headers["ETag"] == f'"{sha256}"'
        assert lfs.headers["X-Linked-Size"] == str(len(WEIGHTS))
        assert lfs.headers["X-Repo-Commit"] == regular.headers["X-Repo-Commit"]
        assert lfs.headers["Location"].startswith("/_embrace/lfs/")
        followed = client.get("/alice/public-model/resolve/main/model.safetensors", follow_redirects=True)
        assert followed.content == WEIGHTS
        tampered = client.get(lfs.headers["Location"].replace("signature=", "signature=0"))
        assert tampered.status_code == 403


def test_range_requests(hub):
    with httpx.Client(base_url=hub.url, follow_redirects=True) as client:
        for url, content in (("/alice/public-model/resolve/main/config.json", CONFIG),
                             ("/alice/public-model/resolve/main/model.safetensors", WEIGHTS)):
            size = len(content)
            part = client.get(url, headers={"Range": "bytes=5-14"})
            assert part.status_code == 206 and part.content == content[5:15]
            assert part.headers["Content-Range"] == f"bytes 5-14/{size}"
            assert client.get(url, headers={"Range": "bytes=10-"}).content == content[10:]
            assert client.get(url, headers={"Range": "bytes=-4"}).content == content[-4:]
            assert client.get(url, headers={"Range": f"bytes=0-{size * 2}"}).content == content
            bad = client.get(url, headers={"Range": f"bytes={size}-"})
            assert bad.status_code == 416 and bad.headers["Content-Range"] == f"bytes */{size}"
            assert client.get(url, headers={"Range": "bytes=0-1,4-5"}).content == content  # multi-range: ignored
            head = client.head(url, headers={"Range": "bytes=3-"})
            assert head.status_code == 206 and head.headers["Content-Length"] == str(size - 3)


def test_reference_resume_uses_range(hub):
    """The reference client's resumable `http_get` continues a partial download with a Range request."""
    seen = []
    hook = lambda response: seen.append((response.request.headers.get("Range"), response.status_code))  # noqa: E731
    session = get_session()
    session.event_hooks["response"].append(hook)
    try:
        url = f"{hub.url}/alice/public-model/resolve/main/model.safetensors"
        buffer = io.BytesIO()
        buffer.write(WEIGHTS[:1234])
        http_get(url, buffer, resume_size=1234, expected_size=len(WEIGHTS))
    finally:
        session.event_hooks["response"].remove(hook)
    assert buffer.getvalue() == WEIGHTS
    assert ("bytes=1234-", 206) in seen


def test_snapshot_download_with_allow_patterns(hub, tmp_path):
    folder = Path(snapshot_download("alice/public-model", endpoint=hub.url, cache_dir=tmp_path, token=False,
                                    allow_patterns=["*.json", "sub/*"]))
    got = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())
    assert got == ["config.json", "sub/deep/nested.txt"]
    full = Path(snapshot_download("alice/public-model", endpoint=hub.url, cache_dir=tmp_path / "b", token=False))
    assert (full / "model.safetensors").read_bytes() == WEIGHTS
    local = Path(snapshot_download("alice/public-model", endpoint=hub.url, local_dir=tmp_path / "local", token=False))
    assert (local / "sub" / "deep" / "nested.txt").read_bytes() == NESTED


def test_model_info_with_files_metadata(hub):
    repo = hub.store.open("model", "alice/public-model")
    head = repo.resolve("main")
    info = _api(hub).model_info("alice/public-model", files_metadata=True)
    assert info.id == "alice/public-model" and info.sha == head and info.private is False
    assert info.gated is False and info.last_modified is not None
    assert "license:mit" in info.tags and "test" in info.tags and "safetensors" in info.tags
    assert info.card_data is not None and info.card_data.license == "mit"
    siblings = {s.rfilename: s for s in info.siblings}
    assert set(siblings) == {".gitattributes", "config.json", "model.safetensors", "sub/deep/nested.txt", "README.md"}
    assert siblings["config.json"].size == len(CONFIG) and siblings["config.json"].blob_id == git_blob_id(CONFIG)
    assert siblings["config.json"].lfs is None
    lfs = siblings["model.safetensors"].lfs
    assert lfs.sha256 == hashlib.sha256(WEIGHTS).hexdigest() and lfs.size == len(WEIGHTS)
    assert lfs.pointer_size == len(repo.read_blob(siblings["model.safetensors"].blob_id))
    assert siblings["model.safetensors"].size == len(WEIGHTS)
    by_revision = _api(hub).model_info("alice/public-model", revision=head)
    assert by_revision.sha == head and by_revision.siblings[0].size is None
    assert _api(hub).repo_exists("alice/public-model") and not _api(hub).repo_exists("alice/nothing-here")
    assert _api(hub).file_exists("alice/public-model", "sub/deep/nested.txt")
    assert not _api(hub).file_exists("alice/public-model", "missing.bin")


def test_list_files_tree_and_paths_info(hub):
    api = _api(hub)
    assert sorted(api.list_repo_files("alice/public-model")) == [
        ".gitattributes", "README.md", "config.json", "model.safetensors", "sub/deep/nested.txt"]
    top = {entry.path: entry for entry in api.list_repo_tree("alice/public-model")}
    assert isinstance(top["sub"], huggingface_hub.hf_api.RepoFolder)
    assert top["model.safetensors"].lfs.sha256 == hashlib.sha256(WEIGHTS).hexdigest()
    inside = [entry.path for entry in api.list_repo_tree("alice/public-model", path_in_repo="sub", recursive=True)]
    assert inside == ["sub/deep", "sub/deep/nested.txt"]
    expanded = list(api.list_repo_tree("alice/public-model", path_in_repo="sub/deep", expand=True))
    assert expanded[0].last_commit.title == "Add model"
    with pytest.raises(hf_errors.EntryNotFoundError):
        list(api.list_repo_tree("alice/public-model", path_in_repo="nope"))
    infos = api.get_paths_info("alice/public-model", ["config.json", "sub", "missing"])
    assert [type(i).__name__ for i in infos] == ["RepoFile", "RepoFolder"]


def test_tree_pagination_follows_link_headers(hub):
    repo = hub.store.create("model", "alice/many-files")
    repo.commit([AddFile(f"files/{i:04d}.txt", str(i).encode()) for i in range(1010)], summary="many")
    files = _api(hub).list_repo_files("alice/many-files")
    assert len(files) == 1011 and len(set(files)) == 1011


def test_safetensors_metadata_over_range_requests(hub, tmp_path):
    from safetensors.numpy import save

    payload = save({"weight": np.zeros((4, 8), dtype=np.float32), "bias": np.zeros(8, dtype=np.float32)})
    repo_id = _new_repo(hub, "st-meta")
    _api(hub, ALICE_WRITE).upload_file(path_or_fileobj=payload, path_in_repo="model.safetensors", repo_id=repo_id)
    meta = _api(hub).get_safetensors_metadata(repo_id)
    assert meta.parameter_count == {"F32": 40}


def test_legacy_ids_spaces_and_unusual_file_names(hub, tmp_path):
    hub.store.create("model", "legacy-model").commit([AddFile("config.json", CONFIG)], summary="add")
    path = hf_hub_download("legacy-model", "config.json", endpoint=hub.url, cache_dir=tmp_path, token=False)
    assert Path(path).read_bytes() == CONFIG
    assert _api(hub).model_info("legacy-model", revision="main").id == "legacy-model"
    name = "dir with space/ünïcode #1.txt"
    hub.store.create("space", "alice/demo").commit([AddFile(name, b"odd"), AddFile("README.md", b"---\nsdk: gradio\n---\n")],
                                                  summary="add")
    path = hf_hub_download("alice/demo", name, repo_type="space", endpoint=hub.url, cache_dir=tmp_path, token=False)
    assert Path(path).read_bytes() == b"odd"
    info = _api(hub).space_info("alice/demo")
    assert info.sdk == "gradio" and name in [s.rfilename for s in info.siblings]


# --- revisions ----------------------------------------------------------------------


def test_revisions_by_branch_tag_and_commit(hub, tmp_path):
    api = _api(hub, ALICE_WRITE)
    repo_id = _new_repo(hub, "revisions")
    first = api.upload_file(path_or_fileobj=b"v1", path_in_repo="value.txt", repo_id=repo_id).oid
    api.create_tag(repo_id, tag="v1.0", tag_message="first release")
    api.create_branch(repo_id, branch="dev")
    dev = api.upload_file(path_or_fileobj=b"dev", path_in_repo="value.txt", repo_id=repo_id, revision="dev").oid
    main = api.upload_file(path_or_fileobj=b"v2", path_in_repo="value.txt", repo_id=repo_id).oid

    def read(revision: str) -> bytes:
        return Path(hf_hub_download(repo_id, "value.txt", revision=revision, endpoint=hub.url,
                                    cache_dir=tmp_path, token=False)).read_bytes()

    assert read("main") == b"v2" and read("dev") == b"dev" and read("v1.0") == b"v1"
    assert read(first) == b"v1" and read(dev) == b"dev" and read(main[:12]) == b"v2"
    assert api.model_info(repo_id, revision="v1.0").sha == first
    refs = api.list_repo_refs(repo_id)
    assert {b.name: b.target_commit for b in refs.branches} == {"main": main, "dev": dev}
    assert [(t.name, t.target_commit) for t in refs.tags] == [("v1.0", first)]
    commits = api.list_repo_commits(repo_id)
    assert [c.commit_id for c in commits][:2] == [main, first] and commits[-1].title == "initial commit"
    with pytest.raises(hf_errors.RevisionNotFoundError):
        hf_hub_download(repo_id, "value.txt", revision="no-such-branch", endpoint=hub.url, cache_dir=tmp_path,
                        token=False)
    with pytest.raises(hf_errors.RevisionNotFoundError):
        api.model_info(repo_id, revision="no-such-branch")
    with pytest.raises(hf_errors.HfHubHTTPError) as info:
        api.create_branch(repo_id, branch="dev")
    assert info.value.response.status_code == 409
    api.create_branch(repo_id, branch="dev", exist_ok=True)
    api.delete_branch(repo_id, branch="dev")
    api.delete_tag(repo_id, tag="v1.0")
    assert [b.name for b in api.list_repo_refs(repo_id).branches] == ["main"]


def test_pull_request_refs_are_url_encoded_revisions(hub, tmp_path):
    api = _api(hub, ALICE_WRITE)
    repo_id = _new_repo(hub, "with-pr")
    info = api.upload_file(path_or_fileobj=b"proposal", path_in_repo="pr.txt", repo_id=repo_id, create_pr=True)
    assert info.pr_revision == "refs/pr/1" and info.pr_num == 1
    path = hf_hub_download(repo_id, "pr.txt", revision="refs/pr/1", endpoint=hub.url, cache_dir=tmp_path, token=False)
    assert Path(path).read_bytes() == b"proposal"
    assert "pr.txt" not in api.list_repo_files(repo_id)  # main did not move
    assert [pr.ref for pr in api.list_repo_refs(repo_id, include_pull_requests=True).pull_requests] == ["refs/pr/1"]


def test_missing_file_raises_entry_not_found_and_is_cached(hub, tmp_path):
    head = hub.store.open("model", "alice/public-model").resolve("main")
    with pytest.raises(hf_errors.EntryNotFoundError):
        hf_hub_download("alice/public-model", "missing.txt", endpoint=hub.url, cache_dir=tmp_path, token=False)
    assert (tmp_path / "models--alice--public-model" / ".no_exist" / head / "missing.txt").exists()
    with pytest.raises(hf_errors.RepositoryNotFoundError):
        hf_hub_download("alice/does-not-exist", "config.json", endpoint=hub.url, cache_dir=tmp_path, token=False)


# --- uploads --------------------------------------------------------------------------


def test_create_repo_upload_folder_and_download_back(hub, tmp_path):
    api = _api(hub, ALICE_WRITE)
    url = api.create_repo("alice/uploaded")
    assert url.repo_id == "alice/uploaded" and url == f"{hub.url}/alice/uploaded"
    assert api.create_repo("alice/uploaded", exist_ok=True).repo_id == "alice/uploaded"
    with pytest.raises(hf_errors.HfHubHTTPError) as info:
        api.create_repo("alice/uploaded")
    assert info.value.response.status_code == 409

    source = tmp_path / "src"
    (source / "nested").mkdir(parents=True)
    files = {
        "config.json": b'{"x": 1}',
        "pytorch_model.bin": os.urandom(4096),  # LFS by pattern
        "nested/notes.md": b"# notes\n",
        "nested/blob.dat": b"\x00\x01binary",  # LFS because binary
        "skip.log": b"not uploaded",
    }
    for name, content in files.items():
        (source / name).write_bytes(content)
    commit = api.upload_folder(folder_path=source, repo_id="alice/uploaded", ignore_patterns=["*.log"],
                               commit_message="Upload folder", commit_description="with LFS")
    info = api.model_info("alice/uploaded", files_metadata=True)
    assert info.sha == commit.oid
    lfs = {s.rfilename for s in info.siblings if s.lfs is not None}
    assert lfs == {"pytorch_model.bin", "nested/blob.dat"}
    back = Path(snapshot_download("alice/uploaded", endpoint=hub.url, cache_dir=tmp_path / "cache", token=False))
    for name, content in files.items():
        if name != "skip.log":
            assert (back / name).read_bytes() == content
    assert not (back / "skip.log").exists()
    details = api.list_repo_commits("alice/uploaded")[0]
    assert details.title == "Upload folder" and details.message == "with LFS" and details.authors == ["alice"]

    # a second identical upload is a no-op on the client side (remote oids match)
    again = api.upload_folder(folder_path=source, repo_id="alice/uploaded", ignore_patterns=["*.log"])
    assert again.oid == commit.oid
    api.delete_file("config.json", repo_id="alice/uploaded")
    api.delete_folder("nested", repo_id="alice/uploaded")
    assert sorted(api.list_repo_files("alice/uploaded")) == [".gitattributes", "pytorch_model.bin"]
    with pytest.raises(hf_errors.EntryNotFoundError):
        api.delete_file("nested", repo_id="alice/uploaded")
    api.delete_repo("alice/uploaded")
    assert not api.repo_exists("alice/uploaded")
    api.delete_repo("alice/uploaded", missing_ok=True)


def test_upload_large_regular_extension_goes_to_lfs(hub, tmp_path):
    api = _api(hub, ALICE_WRITE)
    repo_id = _new_repo(hub, "big-text")
    big = b"0123456789abcdef" * (11 * 1024 * 1024 // 16)  # 11 MiB of text
    api.upload_file(path_or_fileobj=big, path_in_repo="big.txt", repo_id=repo_id)
    (entry,) = [e for e in api.list_repo_tree(repo_id) if e.path == "big.txt"]
    assert entry.lfs is not None and entry.lfs.sha256 == hashlib.sha256(big).hexdigest()
    path = hf_hub_download(repo_id, "big.txt", endpoint=hub.url, cache_dir=tmp_path, token=False)
    assert hashlib.sha256(Path(path).read_bytes()).hexdigest() == entry.lfs.sha256


def test_preupload_modes_and_parent_commit(hub):
    repo_id = _new_repo(hub, "modes")
    headers = {"Authorization": f"Bearer {ALICE_WRITE}"}
    sample = lambda data: base64.b64encode(data).decode()  # noqa: E731
    body = {"files": [
        {"path": "a.txt", "sample": sample(b"text"), "size": 4},
        {"path": "w.safetensors", "sample": sample(b"{}"), "size": 10},
        {"path": "raw.dat", "sample": sample(b"a\x00b"), "size": 3},
        {"path": "huge.txt", "sample": sample(b"t"), "size": 10 * 1024 * 1024},
        {"path": ".gitattributes", "sample": sample(b"*"), "size": 1},
    ]}
    with httpx.Client(base_url=hub.url, headers=headers) as client:
        answer = client.post(f"/api/models/{repo_id}/preupload/main", json=body).json()
        modes = {f["path"]: f["uploadMode"] for f in answer["files"]}
        assert modes == {"a.txt": "regular", "w.safetensors": "lfs", "raw.dat": "lfs", "huge.txt": "lfs",
                         ".gitattributes": "regular"}
        oids = {f["path"]: f["oid"] for f in answer["files"]}
        assert oids["a.txt"] is None and len(oids[".gitattributes"]) == 40
        bad = client.post(f"/api/models/{repo_id}/preupload/main", json={"files": [{"path": "../x", "size": 1}]})
        assert bad.status_code == 400 and "relative path" in bad.json()["error"]
        xet = client.get(f"/api/models/{repo_id}/xet-write-token/main")
        assert xet.status_code == 501 and "HF_HUB_DISABLE_XET" in xet.json()["error"]
    api = _api(hub, ALICE_WRITE)
    with pytest.raises(hf_errors.HfHubHTTPError) as info:
        api.create_commit(repo_id, [CommitOperationAdd("x.txt", b"x")], commit_message="late",
                          parent_commit="0" * 40)
    assert info.value.response.status_code == 412


def test_lfs_upload_is_checked_against_its_sha256(hub):
    repo_id = _new_repo(hub, "lfs-check")
    content = b"real content" * 100
    oid = hashlib.sha256(content).hexdigest()
    with httpx.Client(base_url=hub.url, headers={"Authorization": f"Bearer {ALICE_WRITE}"}) as client:
        batch = client.post(f"/{repo_id}.git/info/lfs/objects/batch",
                            json={"operation": "upload", "transfers": ["basic"], "hash_algo": "sha256",
                                  "objects": [{"oid": oid, "size": len(content)}], "ref": {"name": "main"}})
        assert batch.status_code == 200 and batch.headers["content-type"].startswith("application/vnd.git-lfs+json")
        href = batch.json()["objects"][0]["actions"]["upload"]["href"]
        corrupt = httpx.put(href, content=content[:-1] + b"!")
        assert corrupt.status_code == 400 and "sha256" in corrupt.json()["error"]
        short = httpx.put(href, content=content[:10])
        assert short.status_code == 400
        assert httpx.put(href.replace("size=", "size=9"), content=content).status_code == 403  # signature covers size
        assert httpx.put(href, content=content).status_code == 200
        again = client.post(f"/{repo_id}.git/info/lfs/objects/batch",
                            json={"operation": "upload", "objects": [{"oid": oid, "size": len(content)}],
                                  "ref": {"name": "main"}}).json()
        assert "actions" not in again["objects"][0]  # already stored: nothing to upload
        download = client.post(f"/{repo_id}.git/info/lfs/objects/batch",
                               json={"operation": "download", "objects": [{"oid": oid, "size": len(content)}]}).json()
        assert httpx.get(download["objects"][0]["actions"]["download"]["href"]).content == content
        invalid = client.post(f"/{repo_id}.git/info/lfs/objects/batch",
                              json={"operation": "upload", "objects": [{"oid": "xyz", "size": 1}],
                                    "ref": {"name": "main"}}).json()
        assert invalid["objects"][0]["error"]["code"] == 422


def test_concurrent_uploads_through_http_all_land(hub):
    repo_id = _new_repo(hub, "concurrent")
    errors = []

    def upload(index: int) -> None:
        try:
            _api(hub, ALICE_WRITE).upload_file(path_or_fileobj=f"file {index}".encode(),
                                               path_in_repo=f"f{index}.txt", repo_id=repo_id)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=upload, args=(i,)) for i in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(_api(hub).list_repo_commits(repo_id)) == 7
    assert sorted(f for f in _api(hub).list_repo_files(repo_id) if f.endswith(".txt")) == [f"f{i}.txt" for i in range(6)]


def test_dataset_repos(hub, tmp_path):
    api = _api(hub, ALICE_WRITE)
    url = api.create_repo("acme/squad-mini", repo_type="dataset")
    assert url.repo_type == "dataset"
    api.upload_file(path_or_fileobj=b"a,b\n1,2\n", path_in_repo="data/train.csv", repo_id="acme/squad-mini",
                    repo_type="dataset")
    assert "data/train.csv" in api.list_repo_files("acme/squad-mini", repo_type="dataset")
    info = api.dataset_info("acme/squad-mini")
    assert info.id == "acme/squad-mini" and info.sha
    path = hf_hub_download("acme/squad-mini", "data/train.csv", repo_type="dataset", endpoint=hub.url,
                           cache_dir=tmp_path, token=False)
    assert Path(path).read_bytes() == b"a,b\n1,2\n"
    with pytest.raises(hf_errors.RepositoryNotFoundError):
        _api(hub).model_info("acme/squad-mini")  # it is a dataset, not a model


# --- auth -------------------------------------------------------------------------------


def test_whoami(hub):
    me = _api(hub, ALICE_WRITE).whoami()
    assert me["name"] == "alice" and me["auth"]["accessToken"]["role"] == "write"
    assert [org["name"] for org in me["orgs"]] == ["acme"]
    with pytest.raises(hf_errors.HfHubHTTPError, match="Invalid user token"):
        _api(hub, "hf_unknown").whoami()


def test_private_repo_needs_a_member_token(hub, tmp_path):
    def download(token):
        return hf_hub_download("alice/private-model", "config.json", endpoint=hub.url, cache_dir=tmp_path / str(token),
                               token=token)

    for token in (False, "hf_wrong_token", BOB_READ):
        with pytest.raises(hf_errors.RepositoryNotFoundError) as info:
            download(token)
        assert info.value.response.status_code == (404 if token == BOB_READ else 401)
        with pytest.raises(hf_errors.RepositoryNotFoundError):
            _api(hub, token).model_info("alice/private-model")
        with pytest.raises(hf_errors.RepositoryNotFoundError):
            snapshot_download("alice/private-model", endpoint=hub.url, cache_dir=tmp_path / "s", token=token)
    assert Path(download(ALICE_READ)).read_bytes() == CONFIG
    assert Path(hf_hub_download("alice/private-model", "model.safetensors", endpoint=hub.url, cache_dir=tmp_path,
                                token=ALICE_READ)).read_bytes() == WEIGHTS
    assert _api(hub, ALICE_READ).model_info("alice/private-model").private is True
    assert "alice/private-model" not in [m.id for m in _api(hub).list_models(author="alice")]
    assert "alice/private-model" in [m.id for m in _api(hub, ALICE_READ).list_models(author="alice")]


def test_gated_repo(hub, tmp_path):
    info = _api(hub).model_info("alice/gated-model")  # metadata stays visible
    assert info.gated == "auto"
    with pytest.raises(hf_errors.GatedRepoError) as anonymous:
        hf_hub_download("alice/gated-model", "config.json", endpoint=hub.url, cache_dir=tmp_path, token=False)
    assert anonymous.value.response.status_code == 401
    with pytest.raises(hf_errors.GatedRepoError) as refused:
        hf_hub_download("alice/gated-model", "config.json", endpoint=hub.url, cache_dir=tmp_path, token=BOB_READ)
    assert refused.value.response.status_code == 403
    with pytest.raises(hf_errors.GatedRepoError):
        snapshot_download("alice/gated-model", endpoint=hub.url, cache_dir=tmp_path / "s", token=BOB_READ)
    granted = hf_hub_download("alice/gated-model", "config.json", endpoint=hub.url, cache_dir=tmp_path, token=CAROL)
    assert Path(granted).read_bytes() == CONFIG


def test_write_permissions(hub):
    repo_id = _new_repo(hub, "guarded")
    for token, status in ((False, 401), (ALICE_READ, 403), (BOB_WRITE, 403)):
        with pytest.raises(hf_errors.HfHubHTTPError) as info:
            _api(hub, token).upload_file(path_or_fileobj=b"x", path_in_repo="x.txt", repo_id=repo_id)
        assert not isinstance(info.value, hf_errors.RepositoryNotFoundError)
        assert info.value.response.status_code == status
    with pytest.raises(hf_errors.HfHubHTTPError) as info:
        _api(hub, ALICE_READ).create_repo("alice/read-only-cannot")
    assert info.value.response.status_code == 403
    with pytest.raises(hf_errors.HfHubHTTPError) as info:
        _api(hub, BOB_WRITE).create_repo("alice/not-bobs")
    assert info.value.response.status_code == 403
    assert _api(hub, BOB_WRITE).create_repo("bobs-own").repo_id == "bob/bobs-own"  # namespace from the token
    assert _api(hub, ALICE_WRITE).create_repo("acme/org-repo").repo_id == "acme/org-repo"  # org member


def test_settings_make_a_repo_private_then_gated(hub, tmp_path):
    api = _api(hub, ALICE_WRITE)
    repo_id = _new_repo(hub, "settings", private=True)
    with pytest.raises(hf_errors.RepositoryNotFoundError):
        _api(hub).model_info(repo_id)
    api.update_repo_settings(repo_id, private=False, gated="manual")
    assert _api(hub).model_info(repo_id).gated == "manual"
    with pytest.raises(hf_errors.GatedRepoError):
        hf_hub_download(repo_id, ".gitattributes", endpoint=hub.url, cache_dir=tmp_path, token=BOB_READ)
    with pytest.raises(hf_errors.HfHubHTTPError):
        _api(hub, BOB_WRITE).update_repo_settings(repo_id, gated=False)


def test_tokens_file_is_reloaded(hub, tmp_path):
    extra = dict(TOKENS, tokens={**TOKENS["tokens"], "hf_new_token": {"user": "dave", "role": "read"}})
    original = hub.tokens_path.read_text()
    try:
        hub.tokens_path.write_text(json.dumps(extra))
        os.utime(hub.tokens_path, ns=(1, 1))  # a different mtime, whatever the clock resolution
        assert _api(hub, "hf_new_token").whoami()["name"] == "dave"
    finally:
        hub.tokens_path.write_text(original)


def test_cdn_origin_gets_no_token_and_signed_urls(hub, tmp_path):
    """With a CDN on another origin (localhost vs 127.0.0.1) the client stops at the 302 and drops its token."""
    with HubServer(hub.root, tokens_file=hub.tokens_path, cdn_url="http://localhost:{port}") as cdn_hub:
        with httpx.Client(base_url=cdn_hub.url, headers={"Authorization": f"Bearer {ALICE_READ}"}) as client:
            head = client.head("/alice/private-model/resolve/main/model.safetensors")
            assert head.status_code == 302
            assert head.headers["Location"].startswith(f"http://localhost:{cdn_hub.port}/_embrace/lfs/")
        path = hf_hub_download("alice/private-model", "model.safetensors", endpoint=cdn_hub.url, cache_dir=tmp_path,
                               token=ALICE_READ)
        assert Path(path).read_bytes() == WEIGHTS


# --- embrace's own client ------------------------------------------------------------


def test_embrace_client_against_the_server(hub, tmp_path, monkeypatch):
    """Same hub, embrace.hub instead of huggingface_hub: downloads, metadata, upload, errors."""
    from embrace import errors as embrace_errors
    from embrace.hub import HfApi as EmbraceApi
    from embrace.hub import hf_hub_download as embrace_download
    from embrace.hub import snapshot_download as embrace_snapshot

    monkeypatch.setenv("HF_HUB_OFFLINE", "0")
    weights = embrace_download("alice/public-model", "model.safetensors", endpoint=hub.url, cache_dir=tmp_path,
                               token=False)
    assert Path(weights).read_bytes() == WEIGHTS
    assert Path(weights).resolve().name == hashlib.sha256(WEIGHTS).hexdigest()
    folder = Path(embrace_snapshot("alice/public-model", endpoint=hub.url, cache_dir=tmp_path, token=False,
                                   allow_patterns=["sub/*"]))
    assert (folder / "sub" / "deep" / "nested.txt").read_bytes() == NESTED
    api = EmbraceApi(endpoint=hub.url, token=ALICE_WRITE)
    info = api.model_info("alice/private-model", files_metadata=True)
    assert {s.rfilename for s in info.siblings if s.lfs is not None} == {"model.safetensors"}
    repo_id = _new_repo(hub, "from-embrace")
    payload = os.urandom(3000)
    api.upload_file(path_or_fileobj=payload, path_in_repo="weights.bin", repo_id=repo_id)
    back = embrace_download(repo_id, "weights.bin", endpoint=hub.url, cache_dir=tmp_path, token=False)
    assert Path(back).read_bytes() == payload
    with pytest.raises(embrace_errors.RepositoryNotFoundError):
        embrace_download("alice/private-model", "config.json", endpoint=hub.url, cache_dir=tmp_path, token=False)
    with pytest.raises(embrace_errors.GatedRepoError):
        embrace_download("alice/gated-model", "config.json", endpoint=hub.url, cache_dir=tmp_path, token=BOB_READ)
    with pytest.raises(embrace_errors.EntryNotFoundError):
        embrace_download("alice/public-model", "missing.txt", endpoint=hub.url, cache_dir=tmp_path, token=False)
