"""Split expressions resolve to the same rows as the reference (rounding included)."""

from __future__ import annotations

import pytest

import datasets as ref_datasets
from embrace.datasets import load_dataset
from embrace.datasets.split_spec import parse_split_spec, resolve_split_spec

SPECS = ["train", "train[:10%]", "train[100:200]", "train[:-10%]", "train+test", "train[10%:20%]+test[:50]",
         "train[-7:]", "train[33%:67%]", "test[:-1]", "train[:33%](pct1_dropremainder)", "train[5:3]",
         "test[10%:]", "train[:1000]"]


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    root = tmp_path_factory.mktemp("split_spec")
    (root / "train.csv").write_text("i\n" + "".join(f"{i}\n" for i in range(237)))
    (root / "test.csv").write_text("i\n" + "".join(f"{1000 + i}\n" for i in range(61)))
    return {"train": str(root / "train.csv"), "test": str(root / "test.csv")}


@pytest.mark.parametrize("spec", SPECS)
def test_split_spec_parity(files, tmp_path, spec):
    ours = load_dataset("csv", data_files=files, split=spec, cache_dir=str(tmp_path / "c1"))
    ref = ref_datasets.load_dataset("csv", data_files=files, split=spec, cache_dir=str(tmp_path / "c2"))
    assert list(ours["i"]) == list(ref["i"])
    assert str(ours.split) == str(ref.split)


def test_list_of_specs(files, tmp_path):
    ours = load_dataset("csv", data_files=files, split=["train[:5]", "test[-2:]"], cache_dir=str(tmp_path / "c"))
    assert [list(d["i"]) for d in ours] == [[0, 1, 2, 3, 4], [1059, 1060]]


def test_rounding_rules_match_reference_arithmetic():
    # closest rounds half to even like Python's round(); pct1 drops the remainder
    assert resolve_split_spec("train[:50%]", {"train": 5}) == [("train", 0, 2)]
    assert resolve_split_spec("train[:50%](pct1_dropremainder)", {"train": 250}) == [("train", 0, 100)]
    with pytest.raises(ValueError, match="pct1_dropremainder"):
        resolve_split_spec("train[:50%](pct1_dropremainder)", {"train": 99})


@pytest.mark.parametrize("bad", ["train[::2]", "train[1%:5]x", "train[:200%]", "train[:5](closest)", "train[:5%](rnd)",
                                 "tr ain"])
def test_malformed_specs_are_rejected(bad):
    with pytest.raises(ValueError):
        parse_split_spec(bad)
