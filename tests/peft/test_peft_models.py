"""LoRA on embrace models vs the reference PEFT on reference transformers models with the same weights."""

from __future__ import annotations

import pytest
import torch

from tests.models.decoder_parity import ATTENTION_MASK, INPUT_IDS, build_pair, real_positions
from tests.peft.helpers import max_diff, randomize_adapters

LLAMA = dict(
    vocab_size=40, hidden_size=32, intermediate_size=48, num_hidden_layers=2, num_attention_heads=4,
    num_key_value_heads=2, max_position_embeddings=64, pad_token_id=0,
)
BERT = dict(
    vocab_size=40, hidden_size=32, intermediate_size=48, num_hidden_layers=2, num_attention_heads=4,
    max_position_embeddings=64, num_labels=3,
)
GPT2 = dict(vocab_size=40, n_embd=32, n_layer=2, n_head=4, n_positions=64, pad_token_id=0)


def peft_pair(ref_base, our_base, config_kwargs, *, seed=0):
    import peft

    from embrace import peft as epeft

    torch.manual_seed(seed)
    ref = peft.get_peft_model(ref_base, peft.LoraConfig(**config_kwargs))
    torch.manual_seed(seed)
    ours = epeft.get_peft_model(our_base, epeft.LoraConfig(**config_kwargs))
    return ref, ours


def assert_same_structure(ref, ours):
    assert list(ours.state_dict()) == list(ref.state_dict())
    ref_params = dict(ref.named_parameters())
    for name, param in ours.named_parameters():
        assert param.requires_grad == ref_params[name].requires_grad, name
        assert torch.equal(param, ref_params[name]), name
    assert ours.get_nb_trainable_parameters() == ref.get_nb_trainable_parameters()


def check_logits_before_and_after_merge(ref, ours, kwargs, select=lambda t: t):
    ref.eval()
    ours.eval()
    randomize_adapters(ref, ours)
    with torch.no_grad():
        assert max_diff(select(ours(**kwargs).logits), select(ref(**kwargs).logits)) <= 1e-6
        ours.merge_adapter()
        ref.merge_adapter()
        assert max_diff(select(ours(**kwargs).logits), select(ref(**kwargs).logits)) <= 1e-6
        ours.unmerge_adapter()
        ref.unmerge_adapter()
        assert max_diff(select(ours(**kwargs).logits), select(ref(**kwargs).logits)) <= 1e-6


@pytest.mark.parametrize(
    "config",
    [
        {"target_modules": ["q_proj", "v_proj"], "task_type": "CAUSAL_LM"},
        {"target_modules": "all-linear", "task_type": "CAUSAL_LM", "r": 4, "lora_alpha": 16},
        {"target_modules": ["q_proj", "down_proj"], "layers_to_transform": [1], "task_type": "CAUSAL_LM"},
        {"target_modules": ["embed_tokens", "o_proj"], "init_lora_weights": "gaussian"},
    ],
    ids=["qv", "all-linear", "layers_to_transform", "embedding"],
)
def test_llama_causal_lm(config):
    ref_base, our_base = build_pair("LlamaConfig", "LlamaForCausalLM", LLAMA)
    ref, ours = peft_pair(ref_base, our_base, config)
    assert type(ours).__name__ == type(ref).__name__
    assert_same_structure(ref, ours)
    kwargs = {"input_ids": INPUT_IDS, "attention_mask": ATTENTION_MASK}
    check_logits_before_and_after_merge(ref, ours, kwargs, select=real_positions)


def test_llama_generate_and_merge_and_unload():
    ref_base, our_base = build_pair("LlamaConfig", "LlamaForCausalLM", LLAMA)
    ref, ours = peft_pair(ref_base, our_base, {"target_modules": ["q_proj", "v_proj", "gate_proj"], "task_type": "CAUSAL_LM"})
    randomize_adapters(ref, ours)
    prompt = INPUT_IDS[1:, :4]
    ref_tokens = ref.generate(input_ids=prompt, max_new_tokens=6, do_sample=False)
    our_tokens = ours.generate(input_ids=prompt, max_new_tokens=6, do_sample=False)
    assert torch.equal(our_tokens, ref_tokens)
    merged = ours.merge_and_unload()
    assert type(merged).__name__ == "LlamaForCausalLM"
    assert torch.equal(merged.generate(input_ids=prompt, max_new_tokens=6, do_sample=False), ref_tokens)


def test_bert_sequence_classification_trains_head_in_full():
    ref_base, our_base = build_pair("BertConfig", "BertForSequenceClassification", BERT)
    ref, ours = peft_pair(ref_base, our_base, {"target_modules": ["query", "value"], "task_type": "SEQ_CLS"})
    assert type(ours).__name__ == "PeftModelForSequenceClassification"
    assert_same_structure(ref, ours)
    assert any("classifier.modules_to_save.default" in n for n, p in ours.named_parameters() if p.requires_grad)
    kwargs = {"input_ids": INPUT_IDS, "attention_mask": ATTENTION_MASK}
    check_logits_before_and_after_merge(ref, ours, kwargs)
    # The loss flows into the adapters and the head only.
    out = ours(**kwargs, labels=torch.tensor([0, 2]))
    out.loss.backward()
    with_grad = {n for n, p in ours.named_parameters() if p.grad is not None}
    assert with_grad and all("lora_" in n or "modules_to_save" in n for n in with_grad)


def test_gpt2_conv1d_fan_in_fan_out():
    ref_base, our_base = build_pair("GPT2Config", "GPT2LMHeadModel", GPT2)
    ref, ours = peft_pair(ref_base, our_base, {"target_modules": ["c_attn", "c_proj"], "fan_in_fan_out": True})
    assert_same_structure(ref, ours)
    kwargs = {"input_ids": INPUT_IDS, "attention_mask": ATTENTION_MASK}
    check_logits_before_and_after_merge(ref, ours, kwargs, select=real_positions)


def test_bf16_merge_is_fp32_merge_rounded_once():
    from embrace import peft as epeft

    _, base = build_pair("LlamaConfig", "LlamaForCausalLM", LLAMA)
    base = base.to(torch.bfloat16)
    torch.manual_seed(0)
    model = epeft.get_peft_model(base, epeft.LoraConfig(target_modules=["q_proj"], lora_alpha=16), autocast_adapter_dtype=False)
    randomize_adapters(model)
    layer = model.base_model.model.model.layers[0].self_attn.q_proj
    assert layer.lora_A["default"].weight.dtype == torch.bfloat16
    original = layer.base_layer.weight.detach().clone()
    delta = layer.lora_B["default"].weight.float() @ layer.lora_A["default"].weight.float() * layer.scaling["default"]
    expected = (original.float() + delta).to(torch.bfloat16)
    # The reference rounds the delta to bf16 before adding it: two roundings.
    twice_rounded = original + delta.to(torch.bfloat16)
    model.merge_adapter()
    assert torch.equal(layer.base_layer.weight, expected)
    assert not torch.equal(twice_rounded, expected)
    model.unmerge_adapter()
    assert max_diff(layer.base_layer.weight, original) <= 2 ** -7 * original.abs().max().item()


def test_bf16_base_gets_fp32_adapters_like_reference():
    ref_base, our_base = build_pair("LlamaConfig", "LlamaForCausalLM", LLAMA)
    ref, ours = peft_pair(ref_base.to(torch.bfloat16), our_base.to(torch.bfloat16), {"target_modules": ["q_proj"]})
    assert_same_structure(ref, ours)
    assert ours.base_model.model.model.layers[0].self_attn.q_proj.lora_A["default"].weight.dtype == torch.float32
    randomize_adapters(ref, ours)
    with torch.no_grad():
        out = ours(input_ids=INPUT_IDS).logits
        assert out.dtype == torch.bfloat16
        assert max_diff(out, ref(input_ids=INPUT_IDS).logits) == 0.0
