"""The git-backed store of `embrace hub serve`: LFS rule, commits, refs, imports, concurrency."""

from __future__ import annotations

import hashlib
import os
import subprocess
import threading

import pytest

from embrace.errors import (
    EntryNotFoundError,
    HfHubHTTPError,
    HFValidationError,
    RepositoryNotFoundError,
    RevisionNotFoundError,
)
from embrace.hub.server.storage import (
    LFS_SIZE_THRESHOLD,
    AddFile,
    AddLfsFile,
    DeletePath,
    RepoStore,
    default_gitattributes,
    git_blob_id,
    gitignore_matches,
    import_folder,
    lfs_pointer_bytes,
    parse_lfs_pointer,
    path_matches,
    should_use_lfs,
)


@pytest.fixture()
def store(tmp_path) -> RepoStore:
    return RepoStore(tmp_path / "root")


def _git(repo, *args: str) -> str:
    return subprocess.run(["git", f"--git-dir={repo.git_dir}", *args], capture_output=True, text=True,
                          check=True).stdout


def test_lfs_rule_patterns_size_and_binary():
    attributes = default_gitattributes()
    assert should_use_lfs("model.safetensors", 10, b"x", attributes)
    assert should_use_lfs("sub/pytorch_model.bin", 10, b"x", attributes)
    assert should_use_lfs("m.gguf", 10, b"x", attributes)
    assert should_use_lfs("tf_model.h5", 10, b"x", attributes)
    assert should_use_lfs("saved_model/v1/variables.data", 10, b"x", attributes)
    assert not should_use_lfs("config.json", 100, b"{}", attributes)
    assert should_use_lfs("big.txt", LFS_SIZE_THRESHOLD, b"text", attributes)
    assert not should_use_lfs("almost.txt", LFS_SIZE_THRESHOLD - 1, b"text", attributes)
    assert should_use_lfs("blob.raw", 10, b"ab\x00cd", attributes)
    assert not should_use_lfs("empty.bin", 0, b"", attributes)  # empty files are always regular
    # a later line of .gitattributes wins, -filter opts out
    assert not should_use_lfs("keep.bin", 10, b"x", attributes + "keep.bin -filter\n")


def test_patterns_and_gitignore():
    assert path_matches("*.bin", "a/b/c.bin")
    assert path_matches("/top.txt", "top.txt") and not path_matches("/top.txt", "a/top.txt")
    assert path_matches("docs/**/*.md", "docs/a/b/x.md") and path_matches("docs/**/*.md", "docs/x.md")
    assert path_matches("*tfevents*", "runs/events.out.tfevents.123")
    ignore = "*.log\n!keep.log\nbuild/\n"
    assert gitignore_matches(ignore, "a/debug.log")
    assert not gitignore_matches(ignore, "keep.log")
    assert gitignore_matches(ignore, "build/x/y.txt")
    assert not gitignore_matches(ignore, "src/build.py")


def test_lfs_pointer_roundtrip_and_garbage():
    sha = hashlib.sha256(b"abc").hexdigest()
    pointer = parse_lfs_pointer(lfs_pointer_bytes(sha, 3))
    assert pointer is not None and pointer.sha256 == sha and pointer.size == 3
    assert pointer.pointer_size == len(lfs_pointer_bytes(sha, 3))
    assert parse_lfs_pointer(b"version https://git-lfs.github.com/spec/v1\noid sha256:nothex\nsize 3\n") is None
    assert parse_lfs_pointer(b"plain text") is None


def test_create_commit_read_and_git_is_valid(store):
    repo = store.create("model", "alice/tiny")
    first = repo.resolve("main")
    assert list(repo.tree(first).entries) == [".gitattributes"]
    weights = os.urandom(3000)
    result = repo.commit(
        [AddFile("config.json", b'{"a": 1}'), AddFile("model.safetensors", weights), AddFile("sub/notes.txt", b"hi")],
        summary="Add files", description="longer text", author="alice",
    )
    assert repo.resolve("main") == result.oid
    tree = repo.tree(result.oid)
    assert tree.entries["config.json"].oid == git_blob_id(b'{"a": 1}')
    assert tree.entries["config.json"].lfs is None
    lfs = tree.entries["model.safetensors"].lfs
    assert lfs is not None and lfs.sha256 == hashlib.sha256(weights).hexdigest() and lfs.size == 3000
    assert repo.lfs_path(lfs.sha256).read_bytes() == weights
    assert tree.entries["sub"].type == "directory"
    assert [e.path for e in tree.listing()] == [".gitattributes", "config.json", "model.safetensors", "sub"]
    assert [e.path for e in tree.listing("sub")] == ["sub/notes.txt"]
    # the git tree holds the pointer, the history is real git
    assert _git(repo, "cat-file", "blob", f"{result.oid}:model.safetensors").startswith("version https://git-lfs")
    assert _git(repo, "log", "--format=%s|%an", "main").splitlines() == ["Add files|alice", "initial commit|embrace-hub"]
    assert repo.commit_details(result.oid).message == "longer text"
    subprocess.run(["git", f"--git-dir={repo.git_dir}", "fsck", "--strict"], check=True, capture_output=True)


def test_delete_ops_and_errors(store):
    repo = store.create("model", "alice/ops")
    repo.commit([AddFile("a/x.txt", b"1"), AddFile("a/y.txt", b"2"), AddFile("b.txt", b"3")], summary="add")
    result = repo.commit([DeletePath("a", folder=True), DeletePath("b.txt")], summary="delete")
    assert list(repo.tree(result.oid).entries) == [".gitattributes"]
    with pytest.raises(EntryNotFoundError, match="A file with this name doesn't exist"):
        repo.commit([DeletePath("missing.txt")], summary="x")
    with pytest.raises(EntryNotFoundError):
        repo.commit([DeletePath("nofolder", folder=True)], summary="x")
    with pytest.raises(HFValidationError, match="same name"):
        repo.commit([AddFile(".gitattributes/inner", b"x")], summary="x")
    for bad in ("../escape", "/abs", "a//b", ".git/config", "a\\b"):
        with pytest.raises(HFValidationError):
            repo.commit([AddFile(bad, b"x")], summary="x")
    with pytest.raises(HFValidationError, match="never uploaded"):
        repo.commit([AddLfsFile("w.bin", "0" * 64, 3)], summary="x")
    with pytest.raises(RevisionNotFoundError):
        repo.commit([AddFile("c.txt", b"x")], branch="nope", summary="x")
    with pytest.raises(HfHubHTTPError) as info:
        repo.commit([AddFile("c.txt", b"x")], summary="x", parent_commit="1" * 40)
    assert info.value.status_code == 412
    assert repo.resolve("main") == result.oid  # nothing moved


def test_branches_tags_prs_and_revisions(store):
    repo = store.create("dataset", "acme/data")
    main = repo.resolve("main")
    repo.create_branch("dev")
    dev = repo.commit([AddFile("dev.txt", b"d")], branch="dev", summary="dev").oid
    repo.create_tag("v1", revision="dev", message="release")
    repo.create_tag("v0", revision=main)
    assert repo.resolve("main") == main and repo.resolve("v1") == dev and repo.resolve("v0") == main
    assert repo.resolve(dev) == dev and repo.resolve(dev[:10]) == dev
    assert repo.resolve("refs/heads/dev") == dev
    with pytest.raises(HfHubHTTPError) as info:
        repo.create_branch("dev")
    assert info.value.status_code == 409
    with pytest.raises(HFValidationError):
        repo.create_branch("bad..name")
    pr = repo.commit([AddFile("pr.txt", b"p")], branch="main", summary="proposal", create_pr=True)
    assert pr.pr_num == 1 and repo.resolve("refs/pr/1") == pr.oid and repo.resolve("main") == main
    with pytest.raises(HFValidationError, match="not a branch"):
        repo.commit([AddFile("t.txt", b"t")], branch="v1", summary="x")
    repo.delete_tag("v0")
    repo.delete_branch("dev")
    with pytest.raises(RevisionNotFoundError, match="main"):
        repo.resolve("dev")


def test_create_delete_and_bad_ids(store):
    store.create("model", "alice/a")
    with pytest.raises(HfHubHTTPError) as info:
        store.create("model", "alice/a")
    assert info.value.status_code == 409
    store.create("model", "legacy")
    assert store.list_repos("model") == ["alice/a", "legacy"]
    store.delete("model", "alice/a")
    with pytest.raises(RepositoryNotFoundError):
        store.open("model", "alice/a")
    for bad in ("a/b/c", "../x", "x.git", "a--b", ""):
        with pytest.raises(HFValidationError):
            store.create("model", bad)
    with pytest.raises(HFValidationError):
        store.create("notatype", "alice/b")


def test_lfs_writer_checks_content(store):
    repo = store.create("model", "alice/lfs")
    data = b"payload" * 100
    sha = hashlib.sha256(data).hexdigest()
    with pytest.raises(HFValidationError, match="sha256"):
        with repo.lfs_writer(sha, len(data)) as writer:
            writer.write(data[:-1] + b"X")
    with pytest.raises(HFValidationError, match="bytes"):
        with repo.lfs_writer(sha, len(data)) as writer:
            writer.write(data[:10])
    assert not repo.has_lfs_object(sha)
    assert list(store.tmp_dir.iterdir()) == []  # nothing half-written left behind
    with repo.lfs_writer(sha, len(data)) as writer:
        writer.write(data)
    assert repo.has_lfs_object(sha, len(data))


def test_concurrent_commits_all_land(store):
    repo = store.create("model", "alice/busy")
    errors = []

    def writer(index: int) -> None:
        try:
            for step in range(3):
                store.open("model", "alice/busy").commit(
                    [AddFile(f"w{index}/f{step}.txt", f"{index}-{step}".encode())], summary=f"w{index} s{step}")
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    head = repo.resolve("main")
    assert len(repo.log(head)) == 1 + 4 * 3
    assert len([e for e in repo.tree(head).files() if e.path.endswith(".txt")]) == 12


def test_import_folder_follows_symlinks_and_mirrors(store, tmp_path):
    blobs = tmp_path / "blobs"
    blobs.mkdir()
    (blobs / "aaa").write_bytes(b'{"model_type": "bert"}')
    weights = os.urandom(5000)
    (blobs / "bbb").write_bytes(weights)
    snapshot = tmp_path / "snapshot"
    (snapshot / "sub").mkdir(parents=True)
    (snapshot / "config.json").symlink_to(blobs / "aaa")
    (snapshot / "model.safetensors").symlink_to(os.path.relpath(blobs / "bbb", snapshot))
    (snapshot / "sub" / "readme.txt").write_text("hello")
    (snapshot / ".git").mkdir()
    (snapshot / ".git" / "HEAD").write_text("ignored")
    (snapshot / ".cache" / "huggingface").mkdir(parents=True)
    (snapshot / ".cache" / "huggingface" / "x.metadata").write_text("ignored")

    result = import_folder(store, snapshot, "alice/imported", tag="v1.0", author="alice")
    repo = store.open("model", "alice/imported")
    tree = repo.tree(result.oid)
    assert sorted(e.path for e in tree.files()) == [".gitattributes", "config.json", "model.safetensors",
                                                    "sub/readme.txt"]
    assert tree.entries["model.safetensors"].lfs.sha256 == hashlib.sha256(weights).hexdigest()
    assert repo.resolve("v1.0") == result.oid

    (snapshot / "sub" / "readme.txt").unlink()
    second = import_folder(store, snapshot, "alice/imported", revision="dev", mirror=True)
    assert "sub/readme.txt" not in repo.tree(second.oid).entries
    assert "sub/readme.txt" in repo.tree(repo.resolve("main")).entries  # main untouched
    with pytest.raises(NotADirectoryError):
        import_folder(store, tmp_path / "nope", "alice/imported")


def test_cli_import_prints_sha(tmp_path, capsys):
    from embrace.cli.main import main

    folder = tmp_path / "model"
    folder.mkdir()
    (folder / "config.json").write_text("{}")
    assert main(["hub", "import", str(folder), "alice/cli", "--root", str(tmp_path / "root"),
                 "--message", "first import"]) == 0
    sha = capsys.readouterr().out.strip()
    repo = RepoStore(tmp_path / "root").open("model", "alice/cli")
    assert repo.resolve("main") == sha and repo.commit_details(sha).title == "first import"
    assert main(["hub", "import", str(folder), "bad/id/x", "--root", str(tmp_path / "root")]) == 1
    assert "Repo id" in capsys.readouterr().err
