"""Checkpoint parity with the reference on tiny random BERT models, both directions.

What the reference saves, embrace loads to the same outputs and the same loading report;
what embrace saves, the reference loads with nothing missing or unexpected, and the
files are the reference's own bytes.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
import transformers

import embrace.models.bert as ours_bert
from embrace.modeling.loading import CheckpointMismatchError
from tests.oracle.legacy import run_legacy

transformers.logging.set_verbosity_error()

TINY = dict(
    vocab_size=99,
    hidden_size=32,
    num_hidden_layers=2,
    num_attention_heads=4,
    intermediate_size=37,
    max_position_embeddings=64,
)
CLASSES = ["BertModel", "BertForSequenceClassification", "BertForMaskedLM", "BertForPreTraining"]


def reference_model(name: str, seed: int = 0, **overrides) -> torch.nn.Module:
    torch.manual_seed(seed)
    return getattr(transformers, name)(transformers.BertConfig(**{**TINY, **overrides})).eval()


def ours_model(name: str, seed: int = 0, **overrides) -> torch.nn.Module:
    torch.manual_seed(seed)
    return getattr(ours_bert, name)(ours_bert.BertConfig(**{**TINY, **overrides})).eval()


def batch() -> dict[str, torch.Tensor]:
    generator = torch.Generator().manual_seed(1)
    ids = torch.randint(0, TINY["vocab_size"], (2, 7), generator=generator)
    mask = torch.ones(2, 7, dtype=torch.long)
    mask[1, 5:] = 0
    return {"input_ids": ids, "attention_mask": mask}


def assert_same_outputs(a, b, atol: float = 1e-5) -> None:
    with torch.no_grad():
        out_a, out_b = a(**batch()), b(**batch())
    keys = [k for k in out_a.keys() if torch.is_tensor(out_a[k])]
    assert keys
    for key in keys:
        torch.testing.assert_close(out_b[key].float(), out_a[key].float(), atol=atol, rtol=0, msg=key)


def no_issues(info: dict) -> bool:
    return not (info["missing_keys"] or info["unexpected_keys"] or info["mismatched_keys"] or info["error_msgs"])


@pytest.mark.parametrize("name", CLASSES)
def test_reference_save_embrace_load(name: str, tmp_path: Path) -> None:
    ref = reference_model(name)
    ref.save_pretrained(tmp_path)
    model, info = getattr(ours_bert, name).from_pretrained(tmp_path, output_loading_info=True)
    assert no_issues(info), info
    assert not model.training
    assert model.name_or_path == str(tmp_path)
    assert_same_outputs(ref, model)
    if name in ("BertForMaskedLM", "BertForPreTraining"):
        assert model.cls.predictions.decoder.weight is model.bert.embeddings.word_embeddings.weight


@pytest.mark.parametrize("name", CLASSES)
def test_embrace_save_reference_load(name: str, tmp_path: Path) -> None:
    model = ours_model(name)
    model.save_pretrained(tmp_path / "ours")
    ref, info = getattr(transformers, name).from_pretrained(tmp_path / "ours", output_loading_info=True)
    assert no_issues(info), info
    assert_same_outputs(ref, model)
    # The reference saving the same weights writes the very same bytes.
    ref.save_pretrained(tmp_path / "ref")
    assert (tmp_path / "ours" / "model.safetensors").read_bytes() == (tmp_path / "ref" / "model.safetensors").read_bytes()
    config = json.loads((tmp_path / "ours" / "config.json").read_text())
    assert config["architectures"] == [name] and config["dtype"] == "float32"


CROSS = [
    ("BertForPreTraining", "BertModel"),  # head checkpoint (with `bert.`) into the body
    ("BertForPreTraining", "BertForMaskedLM"),
    ("BertModel", "BertForSequenceClassification"),  # body checkpoint (no prefix) into a head
    ("BertModel", "BertForMaskedLM"),
    ("BertForMaskedLM", "BertForSequenceClassification"),
]


@pytest.mark.parametrize(("saved", "loaded"), CROSS)
def test_cross_class_loading_reports_like_reference(saved: str, loaded: str, tmp_path: Path) -> None:
    reference_model(saved).save_pretrained(tmp_path)
    ref, ref_info = getattr(transformers, loaded).from_pretrained(tmp_path, output_loading_info=True)
    model, info = getattr(ours_bert, loaded).from_pretrained(tmp_path, output_loading_info=True)
    assert info == ref_info
    # Everything the checkpoint provided is identical; the rest was initialised.
    ours_state, ref_state = model.state_dict(), ref.state_dict()
    for key, value in ref_state.items():
        if key not in ref_info["missing_keys"]:
            assert torch.equal(ours_state[key], value), key


def test_base_model_checkpoint_without_prefix_keeps_body_outputs(tmp_path: Path) -> None:
    body = reference_model("BertModel")
    body.save_pretrained(tmp_path)
    model = ours_bert.BertForSequenceClassification.from_pretrained(tmp_path)
    with torch.no_grad():
        torch.testing.assert_close(model.bert(**batch()).last_hidden_state, body(**batch()).last_hidden_state, atol=1e-5, rtol=0)


@pytest.mark.parametrize("direction", ["reference->embrace", "embrace->reference"])
def test_sharded_both_directions(direction: str, tmp_path: Path) -> None:
    ref = reference_model("BertForMaskedLM")
    model = ours_model("BertForMaskedLM")
    model.load_state_dict(ref.state_dict())
    ref.save_pretrained(tmp_path / "ref", max_shard_size="50KB")
    model.save_pretrained(tmp_path / "ours", max_shard_size="50KB")
    ref_files = sorted(p.name for p in (tmp_path / "ref").iterdir())
    assert sorted(p.name for p in (tmp_path / "ours").iterdir()) == ref_files
    assert "model.safetensors.index.json" in ref_files
    assert sum(name.startswith("model-0000") for name in ref_files) >= 2
    for name in ref_files:
        if name != "config.json":
            assert (tmp_path / "ours" / name).read_bytes() == (tmp_path / "ref" / name).read_bytes(), name
    if direction == "reference->embrace":
        loaded, info = ours_bert.BertForMaskedLM.from_pretrained(tmp_path / "ref", output_loading_info=True)
        assert no_issues(info)
        assert_same_outputs(ref, loaded)
    else:
        loaded, info = transformers.BertForMaskedLM.from_pretrained(tmp_path / "ours", output_loading_info=True)
        assert no_issues(info)
        assert_same_outputs(loaded, model)


def test_bin_both_directions(tmp_path: Path) -> None:
    ref = reference_model("BertForSequenceClassification")
    ref.config.save_pretrained(tmp_path / "ref")
    torch.save(ref.state_dict(), tmp_path / "ref" / "pytorch_model.bin")
    model, info = ours_bert.BertForSequenceClassification.from_pretrained(tmp_path / "ref", output_loading_info=True)
    assert no_issues(info), info
    assert_same_outputs(ref, model)

    model.save_pretrained(tmp_path / "ours", safe_serialization=False)
    assert sorted(p.name for p in (tmp_path / "ours").iterdir()) == ["config.json", "pytorch_model.bin"]
    back, info = transformers.BertForSequenceClassification.from_pretrained(tmp_path / "ours", output_loading_info=True)
    assert no_issues(info), info
    assert_same_outputs(back, model)
    # plain tensors only: loadable with weights_only=True
    state = torch.load(tmp_path / "ours" / "pytorch_model.bin", weights_only=True)
    assert all(isinstance(v, torch.Tensor) for v in state.values())


def test_sharded_bin(tmp_path: Path) -> None:
    model = ours_model("BertForMaskedLM")
    model.save_pretrained(tmp_path, safe_serialization=False, max_shard_size="50KB")
    names = sorted(p.name for p in tmp_path.iterdir())
    assert "pytorch_model.bin.index.json" in names and any(n.startswith("pytorch_model-00001-of-") for n in names)
    loaded, info = ours_bert.BertForMaskedLM.from_pretrained(tmp_path, output_loading_info=True)
    assert no_issues(info)
    assert_same_outputs(model, loaded)
    ref, info = transformers.BertForMaskedLM.from_pretrained(tmp_path, output_loading_info=True)
    assert no_issues(info)
    assert_same_outputs(ref, model)


def test_size_mismatch_matches_reference(tmp_path: Path) -> None:
    reference_model("BertForSequenceClassification", num_labels=2).save_pretrained(tmp_path)
    with pytest.raises(CheckpointMismatchError, match="ignore_mismatched_sizes=True"):
        ours_bert.BertForSequenceClassification.from_pretrained(tmp_path, num_labels=3)
    with pytest.raises(RuntimeError):
        ours_bert.BertForSequenceClassification.from_pretrained(tmp_path, num_labels=3)
    model, info = ours_bert.BertForSequenceClassification.from_pretrained(
        tmp_path, num_labels=3, ignore_mismatched_sizes=True, output_loading_info=True
    )
    _, ref_info = transformers.BertForSequenceClassification.from_pretrained(
        tmp_path, num_labels=3, ignore_mismatched_sizes=True, output_loading_info=True
    )
    assert info == ref_info
    assert info["mismatched_keys"] == {
        ("classifier.weight", torch.Size([2, 32]), torch.Size([3, 32])),
        ("classifier.bias", torch.Size([2]), torch.Size([3])),
    }
    assert model.classifier.weight.shape == (3, 32)
    assert torch.equal(model.classifier.bias, torch.zeros(3))  # re-initialised by the family's init


def test_config_kwargs_like_reference(tmp_path: Path) -> None:
    reference_model("BertModel").save_pretrained(tmp_path)
    model = ours_bert.BertForSequenceClassification.from_pretrained(tmp_path, num_labels=5, output_hidden_states=True)
    ref = transformers.BertForSequenceClassification.from_pretrained(tmp_path, num_labels=5, output_hidden_states=True)
    assert model.config.num_labels == ref.config.num_labels == 5
    assert model.classifier.out_features == 5
    with torch.no_grad():
        assert len(model(**batch()).hidden_states) == len(ref(**batch()).hidden_states) == 3
    body = ours_bert.BertModel.from_pretrained(tmp_path, add_pooling_layer=False)
    assert body.pooler is None


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
def test_dtype_auto_follows_checkpoint(dtype: torch.dtype, tmp_path: Path) -> None:
    ref = reference_model("BertForSequenceClassification").to(dtype)
    ref.save_pretrained(tmp_path)
    model = ours_bert.BertForSequenceClassification.from_pretrained(tmp_path)
    ref_back = transformers.BertForSequenceClassification.from_pretrained(tmp_path)
    assert model.dtype == ref_back.dtype == dtype
    assert model.config.dtype == ref_back.config.dtype == dtype
    assert_same_outputs(ref_back, model, atol=1e-2)
    # an explicit dtype wins over the checkpoint's
    model32 = ours_bert.BertForSequenceClassification.from_pretrained(tmp_path, dtype=torch.float32)
    assert model32.dtype == torch.float32
    assert torch.equal(model32.classifier.weight, ref.classifier.weight.float())


@pytest.mark.parametrize("dtype", ["float16", torch.bfloat16])
def test_explicit_dtype_matches_reference(dtype, tmp_path: Path) -> None:
    reference_model("BertModel").save_pretrained(tmp_path)
    model = ours_bert.BertModel.from_pretrained(tmp_path, dtype=dtype)
    ref = transformers.BertModel.from_pretrained(tmp_path, dtype=dtype)
    assert model.dtype == ref.dtype
    for (name, a), (_, b) in zip(sorted(model.state_dict().items()), sorted(ref.state_dict().items())):
        assert a.dtype == b.dtype and torch.equal(a, b), name
    assert_same_outputs(ref, model, atol=2e-2)


def test_saved_dtype_and_reload(tmp_path: Path) -> None:
    model = ours_model("BertForMaskedLM").to(torch.bfloat16)
    model.save_pretrained(tmp_path)
    assert json.loads((tmp_path / "config.json").read_text())["dtype"] == "bfloat16"
    ref = transformers.BertForMaskedLM.from_pretrained(tmp_path)
    assert ref.dtype == torch.bfloat16
    back = ours_bert.BertForMaskedLM.from_pretrained(tmp_path)
    assert back.dtype == torch.bfloat16


def test_legacy_reference_round_trip(tmp_path: Path) -> None:
    """transformers 4.53.3 (v4 habits: `.bin` with the tied copy, safe_serialization=False).

    One legacy process saves its own model in both formats and loads the two folders
    embrace wrote just before.
    """
    ids = batch()["input_ids"]
    ours = ours_model("BertForMaskedLM", seed=3)
    ours.save_pretrained(tmp_path / "ours")
    ours.save_pretrained(tmp_path / "ours_bin", safe_serialization=False)
    out = run_legacy(
        """
        import torch, transformers
        ids = torch.tensor(args["ids"])
        torch.manual_seed(0)
        model = transformers.BertForMaskedLM(transformers.BertConfig(**args["config"])).eval()
        model.save_pretrained(args["folder"] + "/v4_bin", safe_serialization=False)
        model.save_pretrained(args["folder"] + "/v4_safetensors", max_shard_size="50KB")
        with torch.no_grad():
            result = {"v4": model(ids).logits.tolist()}
        for name in ("ours", "ours_bin"):
            loaded, info = transformers.BertForMaskedLM.from_pretrained(args["folder"] + "/" + name, output_loading_info=True)
            with torch.no_grad():
                logits = loaded(ids).logits.tolist()
            result[name] = {"info": {k: sorted(map(str, v)) for k, v in info.items()}, "logits": logits}
        """,
        {"config": TINY, "folder": str(tmp_path), "ids": ids.tolist()},
    )
    for name in ("v4_bin", "v4_safetensors"):
        model, info = ours_bert.BertForMaskedLM.from_pretrained(tmp_path / name, output_loading_info=True)
        assert no_issues(info), (name, info)
        with torch.no_grad():
            torch.testing.assert_close(model(ids).logits, torch.tensor(out["v4"]), atol=1e-5, rtol=0)
    with torch.no_grad():
        expected = ours(ids).logits
    for name in ("ours", "ours_bin"):
        assert out[name]["info"] == {"missing_keys": [], "unexpected_keys": [], "mismatched_keys": [], "error_msgs": []}, name
        torch.testing.assert_close(torch.tensor(out[name]["logits"]), expected, atol=1e-5, rtol=0)
