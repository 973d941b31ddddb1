"""GenerationConfig: generation_config.json in both directions, defaults, validation, model loading."""

from __future__ import annotations

import json

import pytest
import torch
import transformers

import embrace
from embrace.errors import ConfigError
from embrace.generation import GenerationConfig

_CASES = [
    {},
    dict(max_new_tokens=5, do_sample=True, top_k=3, eos_token_id=[1, 2]),
    dict(num_beams=4, num_return_sequences=2, length_penalty=0.5, early_stopping="never", pad_token_id=0),
    dict(sequence_bias={(1, 2): -1.0}, bad_words_ids=[[3]], stop_strings=["\n"], custom_field="kept"),
]


@pytest.mark.parametrize("options", _CASES)
def test_json_is_byte_identical_both_directions(tmp_path, options):
    ours_dir, ref_dir = tmp_path / "ours", tmp_path / "ref"
    GenerationConfig(**options).save_pretrained(ours_dir)
    transformers.GenerationConfig(**options).save_pretrained(ref_dir)
    ours_text = (ours_dir / "generation_config.json").read_text()
    assert ours_text == (ref_dir / "generation_config.json").read_text()
    assert GenerationConfig.from_pretrained(ref_dir).to_json_string() == ours_text
    assert transformers.GenerationConfig.from_pretrained(ours_dir).to_json_string() == ours_text


def test_from_model_config_and_model_save_match_reference(tmp_path):
    options = dict(vocab_size=40, hidden_size=16, intermediate_size=32, num_hidden_layers=1, num_attention_heads=2,
                   bos_token_id=1, eos_token_id=[2, 3], pad_token_id=0)
    ours = GenerationConfig.from_model_config(embrace.LlamaConfig(**options))
    ref = transformers.GenerationConfig.from_model_config(transformers.LlamaConfig(**options))
    assert ours.to_json_string() == ref.to_json_string()
    embrace.LlamaForCausalLM(embrace.LlamaConfig(**options)).save_pretrained(tmp_path / "ours")
    torch.manual_seed(0)
    transformers.LlamaForCausalLM(transformers.LlamaConfig(**options)).save_pretrained(tmp_path / "ref")
    assert (tmp_path / "ours" / "generation_config.json").read_text() == (
        tmp_path / "ref" / "generation_config.json").read_text()


def test_model_from_pretrained_loads_generation_config(tmp_path):
    options = dict(vocab_size=40, hidden_size=16, intermediate_size=32, num_hidden_layers=1, num_attention_heads=2)
    ref = transformers.LlamaForCausalLM(transformers.LlamaConfig(**options))
    ref.generation_config = transformers.GenerationConfig(max_new_tokens=3, eos_token_id=5, do_sample=False)
    ref.save_pretrained(tmp_path)
    model = embrace.LlamaForCausalLM.from_pretrained(tmp_path)
    assert model.generation_config.max_new_tokens == 3
    assert model.generate(torch.tensor([[7, 8]])).shape == (1, 5)  # max_new_tokens from the file
    (tmp_path / "generation_config.json").unlink()
    assert embrace.LlamaForCausalLM.from_pretrained(tmp_path).generation_config.max_new_tokens is None


def test_update_from_dict_and_unused_kwargs():
    # Like the reference, unknown keys become attributes, so nothing is left unused.
    config, unused = GenerationConfig.from_dict({"top_k": 4}, top_p=0.5, foo=1, return_unused_kwargs=True)
    ref, ref_unused = transformers.GenerationConfig.from_dict({"top_k": 4}, top_p=0.5, foo=1, return_unused_kwargs=True)
    assert (config.top_k, config.top_p, config.foo, unused) == (ref.top_k, ref.top_p, ref.foo, ref_unused)
    assert config.update(temperature=0.3, bar=2) == {"bar": 2}
    assert config.temperature == 0.3
    assert GenerationConfig(top_k=2) == GenerationConfig(top_k=2) != GenerationConfig(top_k=3)


@pytest.mark.parametrize("options, message", [
    (dict(max_new_tokens=0), "max_new_tokens"),
    (dict(early_stopping="sometimes"), "early_stopping"),
    (dict(num_return_sequences=3), "num_return_sequences"),
    (dict(num_beams=2, num_return_sequences=3), "smaller or equal"),
    (dict(cache_implementation="nope"), "cache_implementation"),
    (dict(suppress_tokens=[2], forced_eos_token_id=2), "suppress_tokens"),
])
def test_invalid_values_raise_config_error(options, message):
    with pytest.raises(ConfigError, match=message):
        GenerationConfig(**options)
    with pytest.raises(ValueError):
        transformers.GenerationConfig(**options)


def test_modified_inconsistent_config_is_not_saved(tmp_path):
    config = GenerationConfig.from_dict({})
    config._original_object_hash = hash(config)
    config.temperature = 0.5  # without do_sample: only a warning at creation, an error when saving a change
    with pytest.raises(ConfigError, match="temperature"):
        config.save_pretrained(tmp_path)
    assert not (tmp_path / "generation_config.json").exists()


def test_bad_files_raise(tmp_path):
    (tmp_path / "generation_config.json").write_text("{not json")
    with pytest.raises(ConfigError, match="not valid JSON"):
        GenerationConfig.from_pretrained(tmp_path)
    (tmp_path / "empty").mkdir()
    with pytest.raises(FileNotFoundError, match="generation_config.json"):
        GenerationConfig.from_pretrained(tmp_path / "empty")
    (tmp_path / "generation_config.json").write_text(json.dumps([1, 2]))
    with pytest.raises(ConfigError, match="JSON object"):
        GenerationConfig.from_pretrained(tmp_path)
