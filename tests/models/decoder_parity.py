"""Shared parity checks for the decoder-only families (Llama, Mistral, Qwen2, GPT-2).

Each check builds a tiny random reference model with a fixed seed, loads its state dict
strictly into the embrace class of the same name (which proves the parameter names), and
compares outputs on a left-padded batch.
"""

from __future__ import annotations

import importlib

import torch

ATOL = 1e-5

# A left-padded batch: row 0 has two pads, row 1 none.
INPUT_IDS = torch.tensor([[0, 0, 5, 9, 13, 2, 7, 8], [4, 11, 6, 3, 17, 21, 1, 10]])
ATTENTION_MASK = torch.tensor([[0, 0, 1, 1, 1, 1, 1, 1], [1, 1, 1, 1, 1, 1, 1, 1]])


def reference_class(name: str) -> type:
    return getattr(importlib.import_module("transformers"), name)


def build_pair(config_name: str, class_name: str, config_kwargs: dict, *, attn: str = "eager", seed: int = 0):
    """(reference model, embrace model) with identical weights, both in eval mode."""
    import embrace

    ref_config = reference_class(config_name)(**config_kwargs)
    ref_config._attn_implementation = attn
    torch.manual_seed(seed)
    ref = reference_class(class_name)(ref_config).eval()
    ours_config = getattr(embrace, config_name)(**config_kwargs)
    ours_config._attn_implementation = attn
    ours = getattr(embrace, class_name)(ours_config).eval()
    result = ours.load_state_dict(ref.state_dict(), strict=True)
    assert not result.missing_keys and not result.unexpected_keys
    return ref, ours


def assert_close(ours: torch.Tensor, ref: torch.Tensor, atol: float = ATOL) -> None:
    assert ours.shape == ref.shape, (ours.shape, ref.shape)
    diff = (ours - ref).abs().max().item()
    assert diff <= atol, f"max abs diff {diff} > {atol}"


def real_positions(logits: torch.Tensor, mask: torch.Tensor = ATTENTION_MASK) -> torch.Tensor:
    """Logits at non-padding positions only (the reference leaves pad rows backend-dependent)."""
    return logits[mask.bool()]


def check_logits_loss_grads(ref, ours, *, labels: bool = True) -> None:
    """Padded-batch logits, loss and every gradient match."""
    kwargs = {"input_ids": INPUT_IDS, "attention_mask": ATTENTION_MASK}
    if labels:
        kwargs["labels"] = torch.where(ATTENTION_MASK.bool(), INPUT_IDS, -100)
    ref.train(False)
    ours.train(False)
    r = ref(**kwargs)
    o = ours(**kwargs)
    assert_close(real_positions(o.logits), real_positions(r.logits))
    if labels:
        assert_close(o.loss, r.loss)
        assert_grads_close(ref, ours, r.loss, o.loss)


def assert_grads_close(ref, ours, ref_loss: torch.Tensor, our_loss: torch.Tensor) -> None:
    """Back-propagate both losses: the same parameters get gradients, and they match; then clear them."""
    ref_loss.backward()
    our_loss.backward()
    ref_grads = {n: p.grad for n, p in ref.named_parameters() if p.grad is not None}
    our_grads = {n: p.grad for n, p in ours.named_parameters() if p.grad is not None}
    assert set(ref_grads) == set(our_grads)
    for name, grad in ref_grads.items():
        assert_close(our_grads[name], grad, atol=1e-4 * max(1.0, grad.abs().max().item()))
    ref.zero_grad()
    ours.zero_grad()


@torch.no_grad()
def check_incremental_decoding(ref, ours, *, prefill: int = 5) -> None:
    """Prefill + one-token steps with a cache equal the full forward (ours and the reference)."""
    full = ours(input_ids=INPUT_IDS, attention_mask=ATTENTION_MASK, use_cache=False).logits
    ref_full = ref(input_ids=INPUT_IDS, attention_mask=ATTENTION_MASK, use_cache=False).logits
    assert_close(real_positions(full), real_positions(ref_full))
    step_logits = []
    out = ours(input_ids=INPUT_IDS[:, :prefill], attention_mask=ATTENTION_MASK[:, :prefill], use_cache=True)
    past = out.past_key_values
    step_logits.append(out.logits)
    for t in range(prefill, INPUT_IDS.shape[1]):
        out = ours(input_ids=INPUT_IDS[:, t : t + 1], attention_mask=ATTENTION_MASK[:, : t + 1], past_key_values=past,
                   use_cache=True)
        past = out.past_key_values
        step_logits.append(out.logits)
    incremental = torch.cat(step_logits, dim=1)
    assert_close(real_positions(incremental), real_positions(full))
    assert past.get_seq_length() == INPUT_IDS.shape[1]


@torch.no_grad()
def check_reference_past(ref, ours, *, prefill: int = 5) -> None:
    """Our model continues from the reference's prefill cache (legacy tuples) to the same logits."""
    ref_out = ref(input_ids=INPUT_IDS[:, :prefill], attention_mask=ATTENTION_MASK[:, :prefill], use_cache=True)
    legacy = tuple((layer.keys, layer.values) for layer in ref_out.past_key_values.layers)
    ours_out = ours(input_ids=INPUT_IDS[:, prefill:], attention_mask=ATTENTION_MASK, past_key_values=legacy)
    ref_next = ref(input_ids=INPUT_IDS[:, prefill:], attention_mask=ATTENTION_MASK,
                   past_key_values=ref_out.past_key_values).logits
    assert_close(real_positions(ours_out.logits, ATTENTION_MASK[:, prefill:]),
                 real_positions(ref_next, ATTENTION_MASK[:, prefill:]))


def check_save_load_both_ways(ref, ours, tmp_path) -> None:
    """embrace save -> reference load, and reference save -> embrace load, same logits."""
    import embrace

    ours_dir, ref_dir = tmp_path / "ours", tmp_path / "ref"
    ours.save_pretrained(ours_dir)
    ref.save_pretrained(ref_dir)
    name = type(ours).__name__
    loaded_ref = reference_class(name).from_pretrained(ours_dir, attn_implementation="eager").eval()
    loaded_ours = getattr(embrace, name).from_pretrained(ref_dir, attn_implementation="eager")
    with torch.no_grad():
        expected = ours(input_ids=INPUT_IDS, attention_mask=ATTENTION_MASK).logits
        assert_close(real_positions(loaded_ref(input_ids=INPUT_IDS, attention_mask=ATTENTION_MASK).logits),
                     real_positions(expected))
        assert_close(real_positions(loaded_ours(input_ids=INPUT_IDS, attention_mask=ATTENTION_MASK).logits),
                     real_positions(expected))
    assert (ours_dir / "config.json").read_text() == (ref_dir / "config.json").read_text()
