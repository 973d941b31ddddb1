"""Adapter folders: what we save loads in the reference PEFT and the other way round, same outputs."""

from __future__ import annotations

import json
import os

import pytest
import torch

from embrace.errors import CheckpointError, ConfigError
from embrace.peft import LoraConfig, PeftModel, get_peft_model
from tests.models.decoder_parity import INPUT_IDS, build_pair
from tests.peft.helpers import MLP, max_diff, randomize_adapters, twin

X = torch.randn(4, 20, generator=torch.Generator().manual_seed(3))
MLP_CONFIG = dict(target_modules=["seq.0", "seq.2"], modules_to_save=["seq.4"], lora_alpha=16, r=4)
LLAMA = dict(
    vocab_size=40, hidden_size=32, intermediate_size=48, num_hidden_layers=2, num_attention_heads=4,
    num_key_value_heads=2, max_position_embeddings=64, pad_token_id=0,
)


@pytest.fixture()
def mlp_pair():
    torch.manual_seed(0)
    base = MLP(num_units_hidden=32)
    ref, ours = twin(base, MLP_CONFIG)
    randomize_adapters(ref, ours)
    with torch.no_grad():
        for model in (ref, ours):  # a trained head, so modules_to_save round-trips something real
            model.base_model.model.seq[4].modules_to_save["default"].weight.mul_(2)
    return base, ref, ours


def test_files_keys_and_config_match_reference(tmp_path, mlp_pair):
    from safetensors.torch import load_file

    _, ref, ours = mlp_pair
    ref.save_pretrained(tmp_path / "ref")
    ours.save_pretrained(tmp_path / "ours")
    assert sorted(os.listdir(tmp_path / "ours")) == ["adapter_config.json", "adapter_model.safetensors"]
    ref_tensors = load_file(tmp_path / "ref" / "adapter_model.safetensors")
    our_tensors = load_file(tmp_path / "ours" / "adapter_model.safetensors")
    assert sorted(our_tensors) == sorted(ref_tensors)
    for key, tensor in ref_tensors.items():
        assert torch.equal(our_tensors[key], tensor), key
    ref_config = json.loads((tmp_path / "ref" / "adapter_config.json").read_text())
    our_config = json.loads((tmp_path / "ours" / "adapter_config.json").read_text())
    ref_config["target_modules"] = sorted(ref_config["target_modules"])  # a set in the reference: any order
    assert our_config == ref_config


def test_ours_loads_in_reference_and_reference_loads_in_ours(tmp_path, mlp_pair):
    import copy

    import peft

    base, ref, ours = mlp_pair
    with torch.no_grad():
        expected = ours(X)
        assert max_diff(ref(X), expected) <= 1e-6
    ours.save_pretrained(tmp_path / "ours")
    ref.save_pretrained(tmp_path / "ref")
    loaded_in_ref = peft.PeftModel.from_pretrained(copy.deepcopy(base), str(tmp_path / "ours"))
    loaded_in_ours = PeftModel.from_pretrained(copy.deepcopy(base), tmp_path / "ref")
    with torch.no_grad():
        assert max_diff(loaded_in_ref(X), expected) <= 1e-6
        assert max_diff(loaded_in_ours(X), expected) <= 1e-6
    assert loaded_in_ours.get_nb_trainable_parameters()[0] == 0 == loaded_in_ref.get_nb_trainable_parameters()[0]
    assert not loaded_in_ours.training
    trainable = PeftModel.from_pretrained(copy.deepcopy(base), tmp_path / "ref", is_trainable=True)
    assert trainable.get_nb_trainable_parameters() == ref.get_nb_trainable_parameters()


def test_llama_adapter_both_ways_and_second_adapter(tmp_path):
    import peft

    from embrace import peft as epeft

    ref_base, our_base = build_pair("LlamaConfig", "LlamaForCausalLM", LLAMA)
    ref_base2, our_base2 = build_pair("LlamaConfig", "LlamaForCausalLM", LLAMA)
    config = dict(target_modules=["q_proj", "v_proj", "embed_tokens"], task_type="CAUSAL_LM", r=4)
    torch.manual_seed(0)
    ours = epeft.get_peft_model(our_base, epeft.LoraConfig(**config))
    ours.add_adapter("second", epeft.LoraConfig(target_modules=["o_proj"], r=2))
    randomize_adapters(ours)
    ours.save_pretrained(tmp_path)
    assert sorted(os.listdir(tmp_path)) == ["adapter_config.json", "adapter_model.safetensors", "second"]
    ref = peft.PeftModel.from_pretrained(ref_base, str(tmp_path))
    ref.load_adapter(str(tmp_path / "second"), "second")
    assert type(ref).__name__ == "PeftModelForCausalLM"
    ours.eval()
    with torch.no_grad():
        for name in ("default", "second"):
            ref.set_adapter(name)
            ours.set_adapter(name)
            assert max_diff(ours(input_ids=INPUT_IDS).logits, ref(input_ids=INPUT_IDS).logits) <= 1e-6
    # And back: the reference's folders load into a fresh embrace model.
    ref.save_pretrained(tmp_path / "from_ref")
    back = PeftModel.from_pretrained(our_base2, tmp_path / "from_ref")
    back.load_adapter(tmp_path / "from_ref" / "second", "second")
    with torch.no_grad():
        for name in ("default", "second"):
            back.set_adapter(name)
            ref.set_adapter(name)
            assert max_diff(back(input_ids=INPUT_IDS).logits, ref(input_ids=INPUT_IDS).logits) <= 1e-6


def test_bad_adapter_folders_raise_clear_errors(tmp_path, mlp_pair):
    import copy

    base, _, ours = mlp_pair
    ours.save_pretrained(tmp_path / "good")
    with pytest.raises(ValueError, match="neither an existing directory"):
        PeftModel.from_pretrained(copy.deepcopy(base), tmp_path / "missing", local_files_only=True)
    (tmp_path / "empty").mkdir()
    with pytest.raises(FileNotFoundError, match="adapter_config.json"):
        PeftModel.from_pretrained(copy.deepcopy(base), tmp_path / "empty")
    # Wrong base model: the adapter's shapes do not fit.
    with pytest.raises(CheckpointError, match="shape"):
        PeftModel.from_pretrained(MLP(num_units_hidden=16), tmp_path / "good")
    # A config that needs a feature we do not implement is refused, not mis-loaded.
    dora = tmp_path / "dora"
    dora.mkdir()
    data = json.loads((tmp_path / "good" / "adapter_config.json").read_text())
    (dora / "adapter_config.json").write_text(json.dumps({**data, "use_dora": True}))
    with pytest.raises(ConfigError, match="use_dora"):
        PeftModel.from_pretrained(copy.deepcopy(base), dora)
    (dora / "adapter_config.json").write_text("{not json")
    with pytest.raises(ConfigError, match="not valid JSON"):
        PeftModel.from_pretrained(copy.deepcopy(base), dora)
    # Weights for other modules than the config targets.
    other = tmp_path / "other"
    ours.save_pretrained(other)
    data["target_modules"] = ["seq.0"]
    (other / "adapter_config.json").write_text(json.dumps(data))
    with pytest.raises(CheckpointError, match="unexpected keys"):
        PeftModel.from_pretrained(copy.deepcopy(base), other)
    with pytest.raises(ConfigError, match="is a file"):
        ours.save_pretrained(tmp_path / "good" / "adapter_config.json")
    with pytest.raises(ConfigError, match="Unknown adapter"):
        ours.save_pretrained(tmp_path / "x", selected_adapters=["nope"])


def test_config_round_trip_keeps_unknown_keys(tmp_path):
    config = LoraConfig(r=4, target_modules=["a", "b"], layers_to_transform=[0], task_type="SEQ_CLS")
    config.save_pretrained(tmp_path)
    data = json.loads((tmp_path / "adapter_config.json").read_text())
    (tmp_path / "adapter_config.json").write_text(json.dumps({**data, "future_field": 3}))
    loaded = LoraConfig.from_pretrained(tmp_path)
    assert (loaded.r, loaded.target_modules, loaded.layers_to_transform, loaded.task_type) == (4, ["a", "b"], [0], "SEQ_CLS")
    loaded.save_pretrained(tmp_path / "again")
    assert json.loads((tmp_path / "again" / "adapter_config.json").read_text())["future_field"] == 3


def test_get_peft_model_names_base_model_path(tmp_path):
    _, our_base = build_pair("LlamaConfig", "LlamaForCausalLM", LLAMA)
    our_base.save_pretrained(tmp_path / "base")
    import embrace

    base = embrace.LlamaForCausalLM.from_pretrained(tmp_path / "base")
    model = get_peft_model(base, LoraConfig(target_modules=["q_proj"]))
    assert model.peft_config["default"].base_model_name_or_path == str(tmp_path / "base")
    assert model.config is base.config
