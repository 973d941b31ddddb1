"""load_dataset on a hub dataset repo of data files: downloaded through embrace's hub client
into the hub cache, split names inferred like a local folder, the same rows as the reference
reading the same files, then loadable offline; loading-script repos are refused."""

from __future__ import annotations

import pytest

import datasets as ref_datasets
from embrace.datasets import load_dataset
from embrace.errors import RemoteCodeError
from tests.hub.fake_hub import hub, hub_server  # noqa: F401  (fixtures)

FILES = {
    "README.md": b"---\nlicense: mit\n---\n# tweets\n",
    "data/train.csv": b"text,label\ngood day,1\nbad day,0\nmeh,2\n",
    "data/test.csv": b"text,label\nfine,1\n",
}


def test_hub_dataset_repo_matches_local_reference_and_works_offline(hub, tmp_path, monkeypatch):
    hub.add_repo("alice/tweets", FILES, repo_type="dataset")
    ours = load_dataset("alice/tweets", cache_dir=str(tmp_path / "prepared"))
    local = tmp_path / "local"
    for name, content in FILES.items():
        (local / name).parent.mkdir(parents=True, exist_ok=True)
        (local / name).write_bytes(content)
    ref = ref_datasets.load_dataset(str(local), cache_dir=str(tmp_path / "ref"))
    assert sorted(ours) == sorted(ref) == ["test", "train"]
    for split in ref:
        assert ours[split][:] == ref[split][:]
        assert ours[split].features.to_dict() == ref[split].features.to_dict()

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    again = load_dataset("alice/tweets", split="train", cache_dir=str(tmp_path / "prepared"))
    assert again[:] == ours["train"][:]


def test_hub_dataset_with_data_files_and_revision(hub, tmp_path):
    hub.add_repo("alice/tweets", FILES, repo_type="dataset")
    only = load_dataset("alice/tweets", data_files={"train": "data/train.csv"}, split="train[:2]",
                        cache_dir=str(tmp_path / "p"))
    assert only[:] == {"text": ["good day", "bad day"], "label": [1, 0]}


def test_loading_script_repo_is_refused(hub, tmp_path):
    hub.add_repo("alice/scripted", {"scripted.py": b"import datasets\n", "README.md": b"# s\n"}, repo_type="dataset")
    with pytest.raises(RemoteCodeError, match="script"):
        load_dataset("alice/scripted", cache_dir=str(tmp_path / "p"))
