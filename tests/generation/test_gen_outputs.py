"""``output_attentions`` / ``output_hidden_states`` in ``generate``: per step, per layer, parity with the reference.

Eager attention (the only implementation that returns probabilities) on tiny random Llama and
GPT-2 models; greedy and beam search, dynamic and static caches, on a left-padded batch.
"""

from __future__ import annotations

import pytest
import torch
import transformers

import embrace

PAD = 0
_MODELS = {
    "llama": ("LlamaConfig", "LlamaForCausalLM", dict(hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                                                      num_attention_heads=4, num_key_value_heads=2)),
    "gpt2": ("GPT2Config", "GPT2LMHeadModel", dict(n_embd=32, n_layer=2, n_head=4, n_positions=64)),
}


@pytest.fixture(scope="module")
def pairs():
    built = {}
    for name, (config_cls, model_cls, kwargs) in _MODELS.items():
        kwargs = dict(kwargs, vocab_size=64, pad_token_id=PAD, bos_token_id=1, eos_token_id=2,
                      attn_implementation="eager")
        torch.manual_seed(0)
        ref = getattr(transformers, model_cls)(getattr(transformers, config_cls)(**kwargs)).eval()
        ours = getattr(embrace, model_cls)(getattr(embrace, config_cls)(**kwargs)).eval()
        ours.load_state_dict(ref.state_dict(), strict=True)
        built[name] = (ref, ours)
    return built


def _generate(model, **options):
    ids = torch.tensor([[5, 9, 11, 13, 17], [PAD, PAD, 21, 23, 29]])
    return model.generate(ids, attention_mask=(ids != PAD).long(), max_new_tokens=4, return_dict_in_generate=True,
                          output_attentions=True, output_hidden_states=True, **options)


def _assert_steps_close(reference: tuple, ours: tuple) -> None:
    assert len(ours) == len(reference)  # one entry per generated token
    for ref_step, our_step in zip(reference, ours):
        assert len(our_step) == len(ref_step)  # per layer (hidden states: embeddings + each layer)
        for ref_tensor, our_tensor in zip(ref_step, our_step):
            assert our_tensor.shape == ref_tensor.shape
            torch.testing.assert_close(our_tensor, ref_tensor, atol=1e-5, rtol=1e-5, equal_nan=True)


@pytest.mark.parametrize("name", list(_MODELS))
@pytest.mark.parametrize("options", [
    dict(), dict(num_beams=3), dict(cache_implementation="static"), dict(num_beams=2, cache_implementation="static"),
], ids=["greedy", "beam", "greedy-static", "beam-static"])
def test_attentions_and_hidden_states_match_reference(pairs, name, options):
    ref, ours = pairs[name]
    ref_out, our_out = _generate(ref, **options), _generate(ours, **options)
    assert type(our_out).__name__ == type(ref_out).__name__
    assert torch.equal(our_out.sequences, ref_out.sequences)
    _assert_steps_close(ref_out.attentions, our_out.attentions)
    _assert_steps_close(ref_out.hidden_states, our_out.hidden_states)
    # The prompt step sees the whole prompt, later steps one query token.
    assert our_out.attentions[0][0].shape[-2] == 5 and our_out.attentions[1][0].shape[-2] == 1


def test_not_requested_means_none(pairs):
    _, ours = pairs["llama"]
    ids = torch.tensor([[5, 9, 11]])
    out = ours.generate(ids, max_new_tokens=2, return_dict_in_generate=True)
    assert out.attentions is None and out.hidden_states is None
