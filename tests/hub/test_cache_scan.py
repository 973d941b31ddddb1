"""scan_cache_dir and delete_revisions compared with huggingface_hub's on the same caches."""

from __future__ import annotations

import os
import shutil

import huggingface_hub
import pytest

from embrace.errors import CacheNotFound, CorruptedCacheException, HFValidationError
from embrace.hub import hf_hub_download, scan_cache_dir, snapshot_download
from tests.hub.fake_hub import hub, hub_server, tree_of  # noqa: F401

BIG = b"\x01" * 1_100_000


@pytest.fixture
def cache(hub, tmp_path):
    """A cache filled by embrace: two repos, a dataset, three revisions of one repo sharing blobs,
    a detached revision, plus corrupted entries and an interrupted download."""
    root = tmp_path / "cache"
    first = hub.add_repo("org/model", {"config.json": b"{}", "model.safetensors": BIG, "sub/a.txt": b"a"},
                         tags=("v1",))
    snapshot_download("org/model", cache_dir=root, revision="v1")
    second = hub.commit("org/model", {"config.json": b'{"b": 2}'})
    snapshot_download("org/model", cache_dir=root)
    hub.commit("org/model", {"extra.bin": b"\x02" * 1000})
    hf_hub_download("org/model", "extra.bin", cache_dir=root)  # a partial third revision
    hub.commit("org/model", {"README.md": b"r"}, branch="dev")
    hf_hub_download("org/model", "README.md", cache_dir=root, revision="dev")
    hub.add_repo("gpt2", {"vocab.json": b"{}"})
    hf_hub_download("gpt2", "vocab.json", cache_dir=root)
    hub.add_repo("org/data", {"train.csv": b"x,y\n"}, repo_type="dataset")
    snapshot_download("org/data", repo_type="dataset", cache_dir=root)
    # corrupted or odd entries: each becomes a warning, the scan goes on
    (root / "not-a-repo").mkdir()
    (root / "models--no--snapshots").mkdir()
    (root / "weird--type--x" / "snapshots").mkdir(parents=True)
    (root / "models--a-file").write_text("x")
    broken = root / "models--org--broken" / "snapshots" / ("9" * 40)
    broken.mkdir(parents=True)
    (broken / "config.json").symlink_to("../../blobs/missing")
    dangling = root / "models--org--dangling"
    (dangling / "snapshots").mkdir(parents=True)
    (dangling / "refs").mkdir()
    (dangling / "refs" / "main").write_text("8" * 40)
    (root / "models--org--model" / "blobs" / "deadbeef.incomplete").write_bytes(b"\0" * 123)
    (root / ".DS_Store").write_text("")
    return root, first, second


def _summary(info) -> dict:
    """Everything comparable in an HFCacheInfo (from either library)."""
    return {
        "size_on_disk": info.size_on_disk,
        "repos": sorted(
            (repo.repo_id, repo.repo_type, str(repo.repo_path), repo.size_on_disk, repo.nb_files, repo.last_accessed,
             repo.last_modified,
             sorted((rev.commit_hash, sorted(rev.refs), rev.size_on_disk, rev.nb_files, str(rev.snapshot_path),
                     rev.last_modified,
                     sorted((f.file_name, str(f.file_path), str(f.blob_path), f.size_on_disk, f.blob_last_modified)
                            for f in rev.files))
                    for rev in repo.revisions))
            for repo in info.repos),
        # which top-level entries were reported (the wording is each library's own)
        "warnings": sorted(next(name for name in os.listdir(info.cache_dir) if f"/{name}" in str(w))
                           for w in info.warnings),
        "incomplete": sorted((str(f.file_path), f.size_on_disk) for f in info.incomplete_files),
        "cache_dir": str(info.cache_dir),
    }


def test_scan_matches_reference(cache):
    root, _, _ = cache
    ours, theirs = scan_cache_dir(root), huggingface_hub.scan_cache_dir(root)
    assert _summary(ours) == _summary(theirs)
    assert len(ours.warnings) == 6 and all(isinstance(w, CorruptedCacheException) for w in ours.warnings)
    assert {r.repo_id for r in ours.repos} == {"org/model", "gpt2", "org/data"}
    model = next(r for r in ours.repos if r.repo_id == "org/model")
    assert len(model.revisions) == 4 and sorted(model.refs) == ["dev", "main", "v1"]
    assert ours.size_on_disk_str == theirs.size_on_disk_str
    assert ours.export_as_table() == theirs.export_as_table()
    assert ours.export_as_table(verbosity=1) == theirs.export_as_table(verbosity=1)


def test_scan_of_a_reference_made_cache(hub, tmp_path, monkeypatch):
    import huggingface_hub.constants as ref_constants

    monkeypatch.setattr(ref_constants, "HF_HUB_OFFLINE", False)
    hub.add_repo("org/model", {"config.json": b"{}", "w.safetensors": BIG})
    huggingface_hub.snapshot_download("org/model", cache_dir=tmp_path, endpoint=hub.endpoint)
    assert _summary(scan_cache_dir(tmp_path)) == _summary(huggingface_hub.scan_cache_dir(tmp_path))


@pytest.mark.parametrize("which", ["old", "two", "all-of-repo", "unknown", "detached-dev"])
def test_delete_revisions_matches_reference(cache, tmp_path, which):
    root, first, second = cache
    copy = tmp_path / "copy"
    shutil.copytree(root, copy, symlinks=True)
    info = scan_cache_dir(root)
    model = next(r for r in info.repos if r.repo_id == "org/model")
    by_ref = {ref: rev.commit_hash for ref, rev in model.refs.items()}
    hashes = {
        "old": [first],
        "two": [first, second],
        "all-of-repo": [rev.commit_hash for rev in model.revisions],
        "unknown": ["0" * 40],
        "detached-dev": [by_ref["dev"], next(r for r in info.repos if r.repo_id == "gpt2").revisions.__iter__()
                         .__next__().commit_hash],
    }[which]
    ours = info.delete_revisions(*hashes)
    theirs = huggingface_hub.scan_cache_dir(copy).delete_revisions(*hashes)
    assert ours.expected_freed_size == theirs.expected_freed_size
    rel = lambda paths, base: sorted(os.path.relpath(p, base) for p in paths)  # noqa: E731
    for field in ("blobs", "refs", "repos", "snapshots"):
        assert rel(getattr(ours, field), root) == rel(getattr(theirs, field), copy), field
    ours.execute()
    theirs.execute()
    assert tree_of(root) == tree_of(copy)
    after = scan_cache_dir(root)
    assert not {rev.commit_hash for repo in after.repos for rev in repo.revisions} & set(hashes)


def test_delete_old_revision_keeps_shared_blobs(cache):
    root, first, second = cache
    strategy = scan_cache_dir(root).delete_revisions(first)
    # model.safetensors and sub/a.txt are shared with the newer revision; only the old config.json goes
    assert strategy.expected_freed_size == 2
    strategy.execute()
    model = next(r for r in scan_cache_dir(root).repos if r.repo_id == "org/model")
    assert "v1" not in model.refs and (root / "models--org--model" / "refs" / "main").exists()
    assert hf_hub_download("org/model", "model.safetensors", cache_dir=root, revision=second, local_files_only=True)


def test_delete_files_matches_reference(cache):
    root, _, _ = cache
    ours_info, ref_info = scan_cache_dir(root), huggingface_hub.scan_cache_dir(root)
    pick = lambda info: [f for r in info.repos for rev in r.revisions for f in rev.files  # noqa: E731
                         if f.file_name in ("config.json", "vocab.json")]
    ours, theirs = ours_info.delete_files(*pick(ours_info)), ref_info.delete_files(*pick(ref_info))
    assert ours.expected_freed_size == theirs.expected_freed_size
    assert sorted(map(str, ours.files)) == sorted(map(str, theirs.files))
    assert sorted(map(str, ours.blobs)) == sorted(map(str, theirs.blobs))


def test_missing_cache_and_file_instead_of_folder(tmp_path):
    with pytest.raises(CacheNotFound, match="HF_HUB_CACHE") as err:
        scan_cache_dir(tmp_path / "nope")
    assert err.value.cache_dir == str(tmp_path / "nope")
    (tmp_path / "file").write_text("x")
    with pytest.raises(HFValidationError, match="is a file"):
        scan_cache_dir(tmp_path / "file")


def test_default_cache_dir_comes_from_the_environment(cache, monkeypatch):
    root, _, _ = cache
    monkeypatch.setenv("HF_HUB_CACHE", str(root))
    assert len(scan_cache_dir().repos) == 3


def test_cli_scan_and_delete(cache, capsys):
    from embrace.cli.main import main

    root, first, _ = cache
    assert main(["cache", "scan", "--dir", str(root)]) == 0
    out = capsys.readouterr().out
    assert "org/model" in out and "Scanned 3 repo(s)" in out and "Got 6 warning(s)" in out
    assert main(["cache", "scan", "--dir", str(root), "-v"]) == 0
    assert first in capsys.readouterr().out
    assert main(["cache", "delete", first, "--dir", str(root), "--dry-run"]) == 0
    assert "Would free 2.0" in capsys.readouterr().out
    assert (root / "models--org--model" / "snapshots" / first).exists()
    assert main(["cache", "delete", first, "--dir", str(root)]) == 0
    assert "Deleted 1 revision(s)" in capsys.readouterr().out
    assert not (root / "models--org--model" / "snapshots" / first).exists()
    assert main(["cache", "delete", "0" * 40, "--dir", str(root)]) == 1
    assert "not in the cache" in capsys.readouterr().err
