"""LoRA on a plain nn.Module (the seeds' MLP): names, counts, forward, training, merge, vs the reference."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from embrace.errors import ConfigError
from embrace.peft import LoraConfig, get_peft_model
from tests.peft.helpers import MLP, max_diff, randomize_adapters, twin

MLP_CONFIG = dict(target_modules=["seq.0", "seq.2"], modules_to_save=["seq.4"])
X = torch.randn(6, 20, generator=torch.Generator().manual_seed(3))


@pytest.fixture(scope="module")
def small_mlp():
    torch.manual_seed(0)
    return MLP(num_units_hidden=64)


def test_print_line_and_counts_match_reference(capsys):
    torch.manual_seed(0)
    ref, ours = twin(MLP(), MLP_CONFIG)
    ref.print_trainable_parameters()
    ours.print_trainable_parameters()
    ref_line, our_line = capsys.readouterr().out.strip().splitlines()
    assert our_line == ref_line
    # peft 0.21 freezes original_module, so 52,162 (older releases printed 56,164).
    assert our_line == "trainable params: 52,162 || all params: 4,100,164 || trainable%: 1.2722"
    assert ours.get_nb_trainable_parameters() == ref.get_nb_trainable_parameters() == (52162, 4100164)


def test_parameter_names_grad_flags_and_seeded_init_match_reference(small_mlp):
    ref, ours = twin(small_mlp, MLP_CONFIG)
    ref_params = dict(ref.named_parameters())
    our_params = dict(ours.named_parameters())
    assert list(our_params) == list(ref_params)
    for name, param in ref_params.items():
        assert our_params[name].requires_grad == param.requires_grad, name
        assert torch.equal(our_params[name], param), name
    assert list(ours.state_dict()) == list(ref.state_dict())


@pytest.mark.parametrize(
    "extra",
    [{}, {"init_lora_weights": "gaussian"}, {"init_lora_weights": False}, {"use_rslora": True, "r": 4, "lora_alpha": 16},
     {"bias": "all"}, {"bias": "lora_only"}],
    ids=["default", "gaussian", "no-init", "rslora", "bias-all", "bias-lora-only"],
)
def test_forward_and_merge_match_reference(small_mlp, extra):
    ref, ours = twin(small_mlp, {**MLP_CONFIG, **extra})
    for name, param in ref.named_parameters():
        assert torch.equal(dict(ours.named_parameters())[name], param), name
    assert [n for n, p in ours.named_parameters() if p.requires_grad] == [n for n, p in ref.named_parameters() if p.requires_grad]
    randomize_adapters(ref, ours)
    with torch.no_grad():
        assert max_diff(ours(X), ref(X)) <= 1e-6
        ours.merge_adapter()
        ref.merge_adapter()
        assert max_diff(ours(X), ref(X)) <= 1e-6
        ours.unmerge_adapter()
        ref.unmerge_adapter()
        assert max_diff(ours(X), ref(X)) <= 1e-6
        merged_ours, merged_ref = ours.merge_and_unload(), ref.merge_and_unload()
        assert max_diff(merged_ours(X), merged_ref(X)) <= 1e-6
    assert not any("lora_" in name or "modules_to_save" in name for name, _ in merged_ours.named_parameters())


def test_training_lowers_loss_and_updates_only_adapters(small_mlp):
    _, model = twin(small_mlp, MLP_CONFIG)
    labels = torch.tensor([0, 1, 0, 1, 1, 0])
    frozen = {n: p.detach().clone() for n, p in model.named_parameters() if not p.requires_grad}
    optimizer = torch.optim.SGD([p for p in model.parameters() if p.requires_grad], lr=0.5)
    losses = []
    for _ in range(15):
        loss = nn.functional.nll_loss(model(X), labels)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    assert losses[-1] < losses[0] * 0.9
    for name, param in model.named_parameters():
        if name in frozen:
            assert torch.equal(param, frozen[name]), name
    assert model.base_model.model.seq[0].lora_B["default"].weight.abs().sum() > 0


def test_disable_adapter_gives_base_outputs(small_mlp):
    _, ours = twin(small_mlp, MLP_CONFIG)
    randomize_adapters(ours)
    with torch.no_grad():
        base_out = small_mlp(X)
        assert max_diff(ours(X), base_out) > 1e-4
        with ours.disable_adapter():
            assert max_diff(ours(X), base_out) == 0.0
        ours.merge_adapter()
        with ours.disable_adapter():
            assert max_diff(ours(X), base_out) <= 1e-6
        assert max_diff(ours(X), base_out) > 1e-4


def test_all_linear_regex_exclude_and_layers_to_transform_match_reference(small_mlp):
    for config in (
        {"target_modules": "all-linear"},
        {"target_modules": r"seq\.[02]"},
        {"target_modules": "all-linear", "exclude_modules": ["seq.2"]},
        {"target_modules": ["0", "2", "4"], "exclude_modules": r"seq\.0"},
    ):
        ref, ours = twin(small_mlp, config)
        assert list(ours.state_dict()) == list(ref.state_dict()), config


def test_multiple_adapters_add_set_delete_match_reference(small_mlp):
    import peft

    from embrace import peft as epeft

    ref, ours = twin(small_mlp, MLP_CONFIG)
    torch.manual_seed(5)
    ref.add_adapter("other", peft.LoraConfig(target_modules=["seq.2"], r=4))
    torch.manual_seed(5)
    ours.add_adapter("other", epeft.LoraConfig(target_modules=["seq.2"], r=4))
    assert list(ours.state_dict()) == list(ref.state_dict())
    assert {n for n, p in ours.named_parameters() if p.requires_grad} == {n for n, p in ref.named_parameters() if p.requires_grad}
    randomize_adapters(ref, ours)
    for name in ("other", "default"):
        ref.set_adapter(name)
        ours.set_adapter(name)
        assert ours.active_adapter == name
        with torch.no_grad():
            assert max_diff(ours(X), ref(X)) <= 1e-6
        assert {n for n, p in ours.named_parameters() if p.requires_grad} == {n for n, p in ref.named_parameters() if p.requires_grad}
    ours.delete_adapter("other")
    ref.delete_adapter("other")
    assert list(ours.state_dict()) == list(ref.state_dict())
    with pytest.raises(ConfigError, match="not found"):
        ours.set_adapter("other")


def test_bad_configs_raise_clear_errors(small_mlp):
    with pytest.raises(ConfigError, match="not found in the base model"):
        get_peft_model(MLP(8), LoraConfig(target_modules=["nope"]))
    with pytest.raises(ConfigError, match="ReLU"):
        get_peft_model(MLP(8), LoraConfig(target_modules=["seq.1"]))
    with pytest.raises(ConfigError, match="r must be"):
        LoraConfig(r=0, target_modules=["x"])
    with pytest.raises(ConfigError, match="bias"):
        LoraConfig(bias="some", target_modules=["x"])
    with pytest.raises(ConfigError, match="init_lora_weights"):
        LoraConfig(init_lora_weights="pissa", target_modules=["x"])
    with pytest.raises(ConfigError, match="target_modules"):
        LoraConfig()
    with pytest.raises(ConfigError, match="task_type"):
        LoraConfig(task_type="NOPE", target_modules=["x"])
    # A failed injection leaves nothing half-done: the base model keeps its plain layers.
    base = MLP(8)
    with pytest.raises(ConfigError):
        get_peft_model(base, LoraConfig(target_modules=["seq.0", "seq.1"]))
    assert type(base.seq[0]) is nn.Linear
