"""StaticCache and ``cache_implementation="static"``: parity with the dynamic cache and the reference, and
``torch.compile`` of the forward without per-step recompiles.

Tiny random reference models (fixed seed) are loaded strictly into ours; every comparison uses the
same left-padded batch. Mistral gets a sliding window shorter than the sequences, so the window
mask over the static slots is exercised against the reference's rolling window layer.
"""

from __future__ import annotations

import os

import pytest
import torch
import transformers

import embrace
from embrace.modeling.cache import StaticCache, StaticLayer

VOCAB = 64
PAD, BOS, EOS = 0, 1, 2

_CONFIGS = {
    "llama": ("LlamaConfig", "LlamaForCausalLM", {}),
    "mistral": ("MistralConfig", "MistralForCausalLM", {"sliding_window": 4}),
    "qwen2": ("Qwen2Config", "Qwen2ForCausalLM", {}),
    "gpt2": ("GPT2Config", "GPT2LMHeadModel", None),
}


def _config_kwargs(name: str) -> dict:
    extra = _CONFIGS[name][2]
    if extra is None:
        return dict(vocab_size=VOCAB, n_embd=32, n_layer=2, n_head=4, n_positions=64, bos_token_id=BOS,
                    eos_token_id=EOS, pad_token_id=PAD)
    return dict(vocab_size=VOCAB, hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=4,
                num_key_value_heads=2, max_position_embeddings=64, bos_token_id=BOS, eos_token_id=EOS,
                pad_token_id=PAD, **extra)


@pytest.fixture(scope="module")
def pairs():
    built = {}
    for name, (config_cls, model_cls, _) in _CONFIGS.items():
        torch.manual_seed(0)
        ref = getattr(transformers, model_cls)(getattr(transformers, config_cls)(**_config_kwargs(name))).eval()
        ours = getattr(embrace, model_cls)(getattr(embrace, config_cls)(**_config_kwargs(name))).eval()
        ours.load_state_dict(ref.state_dict(), strict=True)
        built[name] = (ref, ours)
    return built


def _batch() -> tuple[torch.Tensor, torch.Tensor]:
    ids = torch.tensor([[5, 9, 11, 13, 17], [PAD, PAD, 21, 23, 29], [PAD, PAD, PAD, PAD, 31]])
    return ids, (ids != PAD).long()


def _run(model, seed: int = 0, **kwargs):
    ids, mask = _batch()
    torch.manual_seed(seed)
    return model.generate(ids, attention_mask=mask, **kwargs)


# --- the cache itself ----------------------------------------------------------------------


def test_static_cache_api_and_export():
    assert embrace.StaticCache is StaticCache
    config = embrace.LlamaConfig(num_hidden_layers=3)
    cache = StaticCache(config=config, max_cache_len=6)
    assert len(cache) == 3 and cache.is_compileable and cache.get_seq_length() == 0
    assert cache.get_max_cache_shape() == 6 and cache.get_mask_sizes(1) == (6, 0)
    keys, values = cache.update(torch.ones(2, 1, 4, 3), 2 * torch.ones(2, 1, 4, 3), 0)
    assert keys.shape == (2, 1, 6, 3) and cache.get_seq_length() == 4
    address = keys.data_ptr()
    keys, values = cache.update(3 * torch.ones(2, 1, 1, 3), torch.ones(2, 1, 1, 3), 0)
    assert keys.data_ptr() == address  # written in place
    assert keys[0, 0, :, 0].tolist() == [1, 1, 1, 1, 3, 0]
    cache.reorder_cache(torch.tensor([1, 0]))
    assert cache.layers[0].keys.data_ptr() == address
    cache.reset()
    assert cache.get_seq_length() == 0 and float(cache.layers[0].keys.abs().sum()) == 0.0


def test_static_cache_bad_input():
    config = embrace.LlamaConfig(num_hidden_layers=1)
    cache = StaticCache(config=config, max_cache_len=3)
    cache.update(torch.ones(1, 1, 2, 4), torch.ones(1, 1, 2, 4), 0)
    with pytest.raises(ValueError, match="max_cache_len=3"):
        cache.update(torch.ones(1, 1, 2, 4), torch.ones(1, 1, 2, 4), 0)
    assert cache.get_seq_length() == 2  # the failed write left the cache as it was
    with pytest.raises(ValueError, match="positive int"):
        StaticLayer(max_cache_len=0)
    with pytest.raises(TypeError, match="bogus"):
        StaticCache(config=config, max_cache_len=4, bogus=1)
    with pytest.raises(NotImplementedError, match="DynamicCache"):
        cache.crop(-1)


# --- generate ------------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(_CONFIGS))
@pytest.mark.parametrize("options", [
    dict(max_new_tokens=7),
    dict(max_new_tokens=6, do_sample=True, top_k=10),
    dict(max_new_tokens=6, num_beams=3, num_return_sequences=2),
], ids=["greedy", "sample", "beam"])
def test_static_matches_dynamic_and_reference(pairs, name, options):
    ref, ours = pairs[name]
    reference = _run(ref, cache_implementation="static", **options)
    static = _run(ours, cache_implementation="static", **options)
    dynamic = _run(ours, **options)
    assert torch.equal(static, reference)
    assert torch.equal(static, dynamic)


def test_static_scores_match_reference(pairs):
    ref, ours = pairs["llama"]
    options = dict(max_new_tokens=5, cache_implementation="static", return_dict_in_generate=True, output_logits=True)
    ref_out, our_out = _run(ref, **options), _run(ours, **options)
    assert torch.equal(ref_out.sequences, our_out.sequences)
    assert isinstance(our_out.past_key_values, StaticCache)
    for r, o in zip(ref_out.logits, our_out.logits):
        torch.testing.assert_close(o, r, atol=1e-5, rtol=1e-5)


def test_generation_config_cache_implementation_and_user_cache(pairs):
    _, ours = pairs["qwen2"]
    expected = _run(ours, max_new_tokens=5)
    config = embrace.GenerationConfig(max_new_tokens=5, cache_implementation="static", pad_token_id=PAD)
    assert torch.equal(_run(ours, generation_config=config), expected)
    user_cache = StaticCache(config=ours.config, max_cache_len=16)
    assert torch.equal(_run(ours, max_new_tokens=5, past_key_values=user_cache), expected)
    assert user_cache.get_seq_length() == 5 + 4  # prompt + all new tokens but the last


def test_cache_implementation_conflicts_are_refused(pairs):
    _, ours = pairs["llama"]
    cache = StaticCache(config=ours.config, max_cache_len=16)
    with pytest.raises(ValueError, match="only one of the two"):
        _run(ours, max_new_tokens=3, past_key_values=cache, cache_implementation="static")
    with pytest.raises(embrace.errors.ConfigError, match="'static'"):
        _run(ours, max_new_tokens=3, cache_implementation="quantized")


def test_no_automatic_compile_on_cpu(pairs):
    # The reference compiles automatically with a static cache only on CUDA.
    from torch._dynamo.utils import counters

    _, ours = pairs["llama"]
    counters.clear()
    _run(ours, max_new_tokens=3, cache_implementation="static")
    assert not counters["stats"]


# --- torch.compile ------------------------------------------------------------------------------


def _compiled_copy(model, **compile_options):
    clone = type(model)(model.config).eval()
    clone.load_state_dict(model.state_dict())
    clone.forward = torch.compile(clone.forward, fullgraph=True, **compile_options)
    return clone


def test_compiled_forward_does_not_recompile_per_step(pairs):
    from torch._dynamo.utils import counters

    torch._dynamo.reset()
    _, ours = pairs["llama"]
    expected = _run(ours, max_new_tokens=10, cache_implementation="static")
    compiled = _compiled_copy(ours, backend="eager")
    counters.clear()
    assert torch.equal(_run(compiled, max_new_tokens=10, cache_implementation="static"), expected)
    # One graph for the prompt, one for all the decoding steps.
    assert counters["stats"]["unique_graphs"] <= 2
    counters.clear()
    assert torch.equal(_run(compiled, max_new_tokens=10, cache_implementation="static"), expected)
    assert counters["stats"]["unique_graphs"] == 0
    torch._dynamo.reset()


@pytest.mark.skipif(
    not os.environ.get("EMBRACE_TEST_INDUCTOR"),
    reason="inductor compiles C++ kernels (minutes on a busy CI core); set EMBRACE_TEST_INDUCTOR=1 to run",
)
def test_inductor_compiled_greedy_matches_eager(pairs):
    torch._dynamo.reset()
    _, ours = pairs["llama"]
    expected = _run(ours, max_new_tokens=6, cache_implementation="static")
    compiled = _compiled_copy(ours)
    assert torch.equal(_run(compiled, max_new_tokens=6, cache_implementation="static"), expected)
    torch._dynamo.reset()


# --- automatic compilation (compile_config) ---------------------------------------------------


def _all_devices(**options) -> embrace.CompileConfig:
    config = embrace.CompileConfig(**options)
    config._compile_all_devices = True  # what the reference's own tests use to compile on CPU
    return config


def test_compile_config_matches_reference():
    ours, ref = embrace.CompileConfig(dynamic=True, mode="default"), transformers.CompileConfig(dynamic=True, mode="default")
    assert ours.to_dict() == ref.to_dict()
    assert embrace.CompileConfig() == embrace.CompileConfig()
    # The config is written into a GenerationConfig's JSON like the reference's, and left out of
    # generation_config.json by save_pretrained.
    ours_json = embrace.GenerationConfig(max_new_tokens=4, compile_config=ours).to_json_string()
    assert ours_json == transformers.GenerationConfig(max_new_tokens=4, compile_config=ref).to_json_string()
    with pytest.raises(embrace.errors.ConfigError, match="must be a CompileConfig"):
        embrace.GenerationConfig(compile_config={"dynamic": True})


def test_generation_config_save_drops_compile_config(tmp_path):
    embrace.GenerationConfig(max_new_tokens=4, compile_config=embrace.CompileConfig()).save_pretrained(tmp_path)
    assert "compile_config" not in (tmp_path / "generation_config.json").read_text()


def test_auto_compile_decodes_through_the_compiled_call(pairs):
    from torch._dynamo.utils import counters

    torch._dynamo.reset()
    _, ours = pairs["llama"]
    expected = _run(ours, max_new_tokens=8)
    config = _all_devices(backend="eager", mode="default", fullgraph=True)
    counters.clear()
    assert torch.equal(_run(ours, max_new_tokens=8, cache_implementation="static", compile_config=config), expected)
    # The prompt's pass runs uncompiled; all the decoding steps share one graph.
    assert counters["stats"]["unique_graphs"] == 1
    compiled = ours.get_compiled_call(config)
    assert ours.get_compiled_call(config) is compiled  # reused while the config stays the same
    counters.clear()
    assert torch.equal(_run(ours, max_new_tokens=8, cache_implementation="static", compile_config=config), expected)
    assert not counters["stats"]["unique_graphs"]
    torch._dynamo.reset()


def test_auto_compile_is_skipped_when_it_cannot_or_must_not_run(pairs):
    from torch._dynamo.utils import counters

    _, ours = pairs["llama"]
    counters.clear()
    # disable_compile wins over a config that asks for every device.
    _run(ours, max_new_tokens=3, cache_implementation="static", compile_config=_all_devices(backend="eager"),
         disable_compile=True)
    # A growing cache changes shapes every step: never compiled.
    _run(ours, max_new_tokens=3, compile_config=_all_devices(backend="eager"))
    assert not counters["stats"]
    assert ours._valid_auto_compile_criteria({}, embrace.GenerationConfig()) is False
