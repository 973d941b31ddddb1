"""BERT features the current reference dropped, checked against the legacy one (transformers 4.53).

Relative position embeddings (``relative_key``, ``relative_key_query``), ``head_mask`` and
head pruning. Our tiny models are built here, their weights and inputs saved as plain
tensors; the legacy run builds the same architecture, loads those weights with
``strict=True`` and returns outputs and gradients, which must match ours to 1e-5 under
both of our attention implementations.
"""

from __future__ import annotations

import pytest
import torch

import embrace.models.bert as eb
from tests.oracle.legacy import run_legacy

TOL = 1e-5
TINY = dict(
    vocab_size=99,
    hidden_size=32,
    num_hidden_layers=2,
    num_attention_heads=4,
    intermediate_size=37,
    max_position_embeddings=64,
)
PRUNE = {0: [1, 2], 1: [0]}

# name -> (model class, extra config, prune plan, extra forward inputs, output to backprop)
SCENARIOS = {
    "relative_key": ("BertModel", {"position_embedding_type": "relative_key"}, None, {}, "last_hidden_state"),
    "relative_key_query": (
        "BertModel", {"position_embedding_type": "relative_key_query"}, None, {}, "last_hidden_state",
    ),
    "relative_decoder": (
        "BertLMHeadModel", {"position_embedding_type": "relative_key_query", "is_decoder": True}, None, {}, "logits",
    ),
    "head_mask_2d": (
        "BertModel", {}, None, {"head_mask": torch.tensor([[1.0, 0.0, 1.0, 1.0], [0.0, 1.0, 0.5, 1.0]])},
        "last_hidden_state",
    ),
    "head_mask_1d": ("BertForMaskedLM", {}, None, {"head_mask": torch.tensor([1.0, 1.0, 0.0, 1.0])}, "logits"),
    "pruned": ("BertModel", {}, PRUNE, {}, "last_hidden_state"),
    "pruned_relative": (
        "BertForSequenceClassification", {"position_embedding_type": "relative_key"}, PRUNE, {}, "logits",
    ),
}

LEGACY_CODE = """
import torch, transformers
results = {}
for name, sc in args["scenarios"].items():
    config = transformers.BertConfig(**sc["config"], attn_implementation="eager")
    model = getattr(transformers, sc["cls"])(config).eval()
    if sc["prune"]:
        model.prune_heads({int(k): v for k, v in sc["prune"].items()})
    model.load_state_dict(torch.load(sc["state_dict"], weights_only=True), strict=True)
    inputs = torch.load(sc["inputs"], weights_only=True)
    out = model(**inputs, output_hidden_states=True, output_attentions=True)
    main = out[sc["main"]]
    (main * torch.load(sc["weight"], weights_only=True)).sum().backward()
    results[name] = {
        "main": main.tolist(),
        "hidden_states": [h.tolist() for h in out.hidden_states],
        "attentions": [a.tolist() for a in out.attentions],
        "grads": {n: p.grad.tolist() for n, p in model.named_parameters() if p.grad is not None},
        "pruned_heads": {str(k): sorted(v) for k, v in (config.pruned_heads or {}).items()},
    }
    if sc.get("folder"):  # a model we saved with save_pretrained: the legacy loader rebuilds it
        reloaded = getattr(transformers, sc["cls"]).from_pretrained(sc["folder"]).eval()
        with torch.no_grad():
            results[name]["from_folder"] = reloaded(**inputs)[sc["main"]].tolist()
result = results
"""


def _inputs() -> dict[str, torch.Tensor]:
    g = torch.Generator().manual_seed(1)
    ids = torch.randint(1, TINY["vocab_size"], (3, 7), generator=g)
    mask = torch.tensor([[1] * 7, [1] * 5 + [0] * 2, [1] * 3 + [0] * 4])
    return {
        "input_ids": ids.masked_fill(mask == 0, 0),
        "attention_mask": mask,
        "token_type_ids": torch.randint(0, 2, (3, 7), generator=g),
    }


def _build(name: str, impl: str) -> torch.nn.Module:
    cls_name, extra, prune, _, _ = SCENARIOS[name]
    torch.manual_seed(0)
    model = getattr(eb, cls_name)(eb.BertConfig(**TINY, **extra, attn_implementation=impl))
    if prune:
        model.prune_heads(prune)
    return model.eval()


@pytest.fixture(scope="module")
def legacy_results(tmp_path_factory):
    folder = tmp_path_factory.mktemp("legacy_bert")
    scenarios = {}
    for name, (cls_name, extra, prune, more_inputs, main) in SCENARIOS.items():
        model = _build(name, "eager")
        inputs = {**_inputs(), **more_inputs}
        with torch.no_grad():
            shape = model(**inputs)[main].shape
        weight = torch.randn(shape, generator=torch.Generator().manual_seed(5))
        paths = {key: str(folder / f"{name}_{key}.pt") for key in ("state_dict", "inputs", "weight")}
        torch.save(dict(model.state_dict()), paths["state_dict"])
        torch.save(inputs, paths["inputs"])
        torch.save(weight, paths["weight"])
        scenarios[name] = {
            "cls": cls_name, "config": {**TINY, **extra}, "prune": prune, "main": main, **paths,
        }
        if prune:
            model.save_pretrained(folder / f"{name}_saved")
            scenarios[name]["folder"] = str(folder / f"{name}_saved")
    return folder, run_legacy(LEGACY_CODE, {"scenarios": scenarios})


def _close(ours: torch.Tensor, theirs: list, where: str, scaled: bool = False) -> None:
    """Max abs diff <= 1e-5; for gradients (``scaled``) relative to their size once above 1.

    Gradients summed over many positions reach magnitudes in the hundreds, where 1e-5 is
    below one float32 ulp, so they get ``1e-5 * max(1, max |grad|)``.
    """
    ref = torch.tensor(theirs, dtype=torch.float64)
    assert tuple(ours.shape) == tuple(ref.shape), f"{where}: shape {tuple(ours.shape)} vs {tuple(ref.shape)}"
    diff = (ours.detach().double() - ref).abs().max().item()
    tol = TOL * max(1.0, ref.abs().max().item()) if scaled else TOL
    assert diff <= tol, f"{where}: max abs diff {diff} (tolerance {tol})"


@pytest.mark.parametrize("impl", ["eager", "sdpa"])
@pytest.mark.parametrize("name", list(SCENARIOS))
def test_matches_legacy_reference(legacy_results, name, impl):
    folder, results = legacy_results
    want = results[name]
    _, _, _, more_inputs, main = SCENARIOS[name]
    model = _build(name, impl)
    model.load_state_dict(torch.load(folder / f"{name}_state_dict.pt", weights_only=True), strict=True)
    out = model(**_inputs(), **more_inputs, output_hidden_states=True, output_attentions=True)
    _close(out[main], want["main"], main)
    assert len(out.hidden_states) == len(want["hidden_states"])
    for i, (h, w) in enumerate(zip(out.hidden_states, want["hidden_states"])):
        _close(h, w, f"hidden_states[{i}]")
    if impl == "eager":
        assert len(out.attentions) == len(want["attentions"])
        for i, (a, w) in enumerate(zip(out.attentions, want["attentions"])):
            _close(a, w, f"attentions[{i}]")
    (out[main] * torch.load(folder / f"{name}_weight.pt", weights_only=True)).sum().backward()
    grads = {n: p.grad for n, p in model.named_parameters() if p.grad is not None}
    assert sorted(grads) == sorted(want["grads"])
    for param_name, grad in grads.items():
        _close(grad, want["grads"][param_name], f"grad {param_name}", scaled=True)


def test_pruned_heads_are_recorded_and_rebuilt(legacy_results):
    _, results = legacy_results
    model = _build("pruned", "sdpa")
    assert model.config.pruned_heads == {0: [1, 2], 1: [0]}
    assert {str(k): v for k, v in model.config.pruned_heads.items()} == results["pruned"]["pruned_heads"]
    layer0 = model.encoder.layer[0].attention
    assert layer0.self.num_attention_heads == 2 and layer0.self.query.weight.shape == (16, 32)
    assert layer0.output.dense.weight.shape == (32, 16)
    # Pruning again with overlapping heads only removes the new ones.
    model.prune_heads({0: [2, 3]})
    assert model.config.pruned_heads[0] == [1, 2, 3] and layer0.self.num_attention_heads == 1
    # A config carrying pruned_heads (as read back from config.json) rebuilds the same shapes.
    rebuilt = eb.BertModel(eb.BertConfig(**TINY, pruned_heads={"0": [1, 2], "1": [0]}))
    rebuilt.load_state_dict(_build("pruned", "sdpa").state_dict(), strict=True)


@pytest.mark.parametrize("name", ["pruned", "pruned_relative"])
def test_saved_pruned_model_loads_in_legacy_reference(legacy_results, name):
    folder, results = legacy_results
    _, _, _, more_inputs, main = SCENARIOS[name]
    ours = type(_build(name, "eager")).from_pretrained(folder / f"{name}_saved").eval()
    with torch.no_grad():
        out = ours(**_inputs(), **more_inputs)[main]
    _close(out, results[name]["from_folder"], f"{name} reloaded by the legacy reference")
    _close(out, results[name]["main"], f"{name} reloaded by embrace")


def test_relative_decoder_incremental_equals_full():
    model = _build("relative_decoder", "sdpa")
    ids = _inputs()["input_ids"].clamp(min=1)
    full = model(ids).logits
    step1 = model(ids[:, :4], use_cache=True)
    step2 = model(ids[:, 4:5], past_key_values=step1.past_key_values, use_cache=True)
    step3 = model(ids[:, 5:], past_key_values=step2.past_key_values, use_cache=True)
    got = torch.cat([step1.logits, step2.logits, step3.logits], dim=1)
    assert (got - full).abs().max().item() <= TOL


def test_head_mask_rejects_bad_shape():
    model = _build("head_mask_2d", "eager")
    with pytest.raises(ValueError, match="head_mask"):
        model(**_inputs(), head_mask=torch.ones(2, 2, 4))
