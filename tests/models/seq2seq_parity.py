"""Shared parity checks for the encoder-decoder families (BART, mBART, Marian, Pegasus; T5, mT5, UMT5).

Each check builds a tiny random reference model with a fixed seed, loads its state dict
strictly into the embrace class of the same name (which proves the parameter names), and
compares outputs on a right-padded batch.
"""

from __future__ import annotations

import importlib
import json

import pytest
import torch

from tests.models.decoder_parity import assert_close, assert_grads_close, reference_class

TINY = dict(
    vocab_size=60, d_model=32, encoder_layers=2, decoder_layers=2, encoder_attention_heads=4,
    decoder_attention_heads=4, encoder_ffn_dim=37, decoder_ffn_dim=37, max_position_embeddings=64,
)


# The T5 families: relative buckets small enough that short inputs reach the logarithmic ones.
T5_TINY = dict(
    vocab_size=60, d_model=32, d_kv=8, d_ff=37, num_layers=2, num_heads=4, relative_attention_num_buckets=8,
    relative_attention_max_distance=20, dropout_rate=0.0,
)
# Source batch with row 1 right-padded (pad 0, eos 1), and labels with -100 on padding.
T5_INPUT_IDS = torch.tensor([[5, 9, 13, 2, 7, 8, 1], [4, 11, 6, 1, 0, 0, 0]])
T5_ATTENTION_MASK = (T5_INPUT_IDS != 0).long()
T5_LABELS = torch.tensor([[7, 3, 12, 1], [8, 1, -100, -100]])


def batch(pad: int, eos: int) -> dict[str, torch.Tensor]:
    """A right-padded encoder batch (row 0 has two pads), decoder inputs and labels (-100 on padding)."""
    body = torch.tensor([[5, 9, 13, 7, 11], [4, 11, 6, 3, 17]])
    input_ids = torch.tensor([[*body[0, :3].tolist(), eos, pad, pad], [*body[1, :5].tolist(), eos]])
    labels = torch.tensor([[8, 9, 10, eos, -100], [12, 13, 14, 15, eos]])
    return {
        "input_ids": input_ids, "attention_mask": (input_ids != pad).long(), "labels": labels,
        "decoder_input_ids": torch.tensor([[eos, 8, 9, 10], [eos, 12, 13, 14]]),
    }


def our_class(module: str, name: str) -> type:
    return getattr(importlib.import_module(f"embrace.models.{module}"), name)


def build_pair(module: str, config_name: str, class_name: str, config_kwargs: dict, *, attn: str = "eager",
               seed: int = 0):
    """(reference model, embrace model) with identical weights, both in eval mode; loads strictly both ways."""
    ref_config = reference_class(config_name)(**config_kwargs)
    ref_config._attn_implementation = attn
    torch.manual_seed(seed)
    ref = reference_class(class_name)(ref_config).eval()
    ours_config = our_class(module, config_name)(**config_kwargs)
    ours_config._attn_implementation = attn
    ours = our_class(module, class_name)(ours_config).eval()
    result = ours.load_state_dict(ref.state_dict(), strict=True)
    assert not result.missing_keys and not result.unexpected_keys
    assert set(ours.state_dict()) == set(ref.state_dict())
    return ref, ours


def pairs_fixture(module: str, config_name: str, base_config: dict, default_class: str | None = None):
    """A module-scoped fixture: ``get(class_name=default_class, attn="eager", **config_overrides)`` -> (ref, ours).

    Each (class, backend, overrides) pair is built once per test module.
    """

    @pytest.fixture(scope="module")
    def pairs():
        cache: dict = {}

        def get(class_name: str | None = default_class, attn: str = "eager", **overrides):
            key = (class_name, attn, tuple(sorted(overrides.items())))
            if key not in cache:
                cache[key] = build_pair(module, config_name, class_name, {**base_config, **overrides}, attn=attn)
            return cache[key]

        return get

    return pairs


def encoder_inputs(inputs: dict) -> dict:
    """The encoder half of a :func:`batch` (``input_ids`` and ``attention_mask``)."""
    return {k: inputs[k] for k in ("input_ids", "attention_mask")}


def assert_outputs_close(ours, ref) -> None:
    """Every tensor and tuple of tensors the reference returned matches ours."""
    for key, value in ref.items():
        if key == "past_key_values" or value is None:
            continue
        mine = ours[key]
        if isinstance(value, torch.Tensor):
            assert_close(mine, value)
        else:
            assert len(mine) == len(value), key
            for m, r in zip(mine, value):
                assert_close(m, r)


def check_forward_and_grads(ref, ours, inputs: dict, *, outputs: bool = True) -> None:
    """Outputs (and with a loss, every gradient) match on the same inputs."""
    extra = {"output_hidden_states": True, "output_attentions": outputs and ours.config._attn_implementation == "eager"}
    r = ref(**inputs, **extra)
    o = ours(**inputs, **extra)
    assert_outputs_close(o, r)
    if r.get("loss") is not None and r.loss.requires_grad:
        assert_grads_close(ref, ours, r.loss, o.loss)


@torch.no_grad()
def check_incremental_decoding(ours, inputs: dict) -> None:
    """Decoding one token at a time with the self/cross-attention cache equals the full decoder pass."""
    full = ours(input_ids=inputs["input_ids"], attention_mask=inputs["attention_mask"],
                decoder_input_ids=inputs["decoder_input_ids"], use_cache=False).logits
    encoder_outputs = ours.get_encoder()(input_ids=inputs["input_ids"], attention_mask=inputs["attention_mask"])
    past, steps = None, []
    for t in range(inputs["decoder_input_ids"].shape[1]):
        out = ours(attention_mask=inputs["attention_mask"], encoder_outputs=encoder_outputs,
                   decoder_input_ids=inputs["decoder_input_ids"][:, t : t + 1], past_key_values=past, use_cache=True)
        past = out.past_key_values
        steps.append(out.logits)
    assert_close(torch.cat(steps, dim=1), full)
    assert past.get_seq_length() == inputs["decoder_input_ids"].shape[1]
    assert past.cross_attention_cache.get_seq_length() == inputs["input_ids"].shape[1]


def check_save_load_both_ways(ref, ours, tmp_path, inputs: dict) -> None:
    """embrace save -> reference load, and reference save -> embrace load, same logits and config.json."""
    module = type(ours).__module__.rsplit(".", 1)[-1]
    ours_dir, ref_dir = tmp_path / "ours", tmp_path / "ref"
    ours.save_pretrained(ours_dir)
    ref.save_pretrained(ref_dir)
    name = type(ours).__name__
    loaded_ref = reference_class(name).from_pretrained(ours_dir, attn_implementation="eager").eval()
    loaded_ours = our_class(module, name).from_pretrained(ref_dir, attn_implementation="eager").eval()
    with torch.no_grad():
        expected = ours(**inputs).logits
        assert_close(loaded_ref(**inputs).logits, expected)
        assert_close(loaded_ours(**inputs).logits, expected)
    assert (ours_dir / "config.json").read_text() == (ref_dir / "config.json").read_text()


class Seq2SeqLMTests:
    """The checks every BART-family generation head gets; a test module subclasses this (``class TestMBart``).

    Subclasses set ``lm_class`` (the head's class name) and ``inputs`` (a :func:`batch`), and
    their module defines the ``pairs`` fixture (:func:`pairs_fixture`).
    """

    lm_class: str
    inputs: dict

    @pytest.mark.parametrize("attn", ["eager", "sdpa"])
    def test_lm_logits_loss_grads(self, pairs, attn):
        ref, ours = pairs(self.lm_class, attn)
        check_forward_and_grads(ref, ours, {**encoder_inputs(self.inputs), "labels": self.inputs["labels"]})

    @pytest.mark.parametrize("attn", ["eager", "sdpa"])
    def test_incremental_decoding(self, pairs, attn):
        _, ours = pairs(self.lm_class, attn)
        check_incremental_decoding(ours, self.inputs)

    def test_save_load_both_ways(self, pairs, tmp_path):
        ref, ours = pairs(self.lm_class)
        inputs = {**encoder_inputs(self.inputs), "decoder_input_ids": self.inputs["decoder_input_ids"]}
        check_save_load_both_ways(ref, ours, tmp_path, inputs)


def check_checkpoints_both_ways(ref, ours, tmp_path, load_ours, inputs: dict):
    """Save both models: the same ``config.json``; the reference loads ours and ``load_ours`` the reference's.

    Both reloaded models give ``ours``' logits on ``inputs``; returns the model ``load_ours`` built.
    """
    ours_dir, ref_dir = tmp_path / "ours", tmp_path / "ref"
    ours.save_pretrained(ours_dir)
    ref.save_pretrained(ref_dir)
    assert json.loads((ours_dir / "config.json").read_text()) == json.loads((ref_dir / "config.json").read_text())
    loaded_ref = reference_class(type(ours).__name__).from_pretrained(ours_dir).eval()
    loaded_ours = load_ours(ref_dir)
    with torch.no_grad():
        expected = ours(**inputs).logits
        assert_close(loaded_ref(**inputs).logits, expected)
        assert_close(loaded_ours(**inputs).logits, expected)
    return loaded_ours
