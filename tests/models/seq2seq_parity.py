"""Shared parity checks for the encoder-decoder families (BART, mBART, Marian, Pegasus).

Each check builds a tiny random reference model with a fixed seed, loads its state dict
strictly into the embrace class of the same name (which proves the parameter names), and
compares outputs on a right-padded batch.
"""

from __future__ import annotations

import importlib

import torch

ATOL = 1e-5

TINY = dict(
    vocab_size=60, d_model=32, encoder_layers=2, decoder_layers=2, encoder_attention_heads=4,
    decoder_attention_heads=4, encoder_ffn_dim=37, decoder_ffn_dim=37, max_position_embeddings=64,
)


def batch(pad: int, eos: int) -> dict[str, torch.Tensor]:
    """A right-padded encoder batch (row 0 has two pads), decoder inputs and labels (-100 on padding)."""
    body = torch.tensor([[5, 9, 13, 7, 11], [4, 11, 6, 3, 17]])
    input_ids = torch.tensor([[*body[0, :3].tolist(), eos, pad, pad], [*body[1, :5].tolist(), eos]])
    labels = torch.tensor([[8, 9, 10, eos, -100], [12, 13, 14, 15, eos]])
    return {
        "input_ids": input_ids, "attention_mask": (input_ids != pad).long(), "labels": labels,
        "decoder_input_ids": torch.tensor([[eos, 8, 9, 10], [eos, 12, 13, 14]]),
    }


def reference_class(name: str) -> type:
    return getattr(importlib.import_module("transformers"), name)


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


def assert_close(ours: torch.Tensor, ref: torch.Tensor, atol: float = ATOL) -> None:
    assert ours.shape == ref.shape, (ours.shape, ref.shape)
    diff = (ours - ref).abs().max().item()
    assert diff <= atol, f"max abs diff {diff} > {atol}"


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
        r.loss.backward()
        o.loss.backward()
        ref_grads = {n: p.grad for n, p in ref.named_parameters() if p.grad is not None}
        our_grads = {n: p.grad for n, p in ours.named_parameters() if p.grad is not None}
        assert set(ref_grads) == set(our_grads)
        for name, grad in ref_grads.items():
            assert_close(our_grads[name], grad, atol=1e-4 * max(1.0, grad.abs().max().item()))


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
