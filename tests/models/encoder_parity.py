"""Shared parity checks for the encoder families (RoBERTa, XLM-R, CamemBERT, DistilBERT, ELECTRA, ...).

Each check builds the reference class on a tiny config with a fixed seed, copies its
state dict into the embrace class of the same name with ``strict=True`` (which proves the
parameter names), runs one padded batch with the labels that head takes, and compares
every output field and every parameter gradient (tolerances of ``test_bert``).
"""

from __future__ import annotations

import torch
import transformers

import embrace
from tests.models.test_bert import assert_same, run_both

# Auto class for each head-name suffix (longest suffix first when matching).
AUTO_FOR_SUFFIX = {
    "ForSequenceClassification": "AutoModelForSequenceClassification",
    "ForTokenClassification": "AutoModelForTokenClassification",
    "ForQuestionAnswering": "AutoModelForQuestionAnswering",
    "ForMultipleChoice": "AutoModelForMultipleChoice",
    "ForPreTraining": "AutoModelForPreTraining",
    "ForMaskedLM": "AutoModelForMaskedLM",
    "ForCausalLM": "AutoModelForCausalLM",
    "Model": "AutoModel",
}


def auto_name(class_name: str) -> str:
    return next(auto for suffix, auto in AUTO_FOR_SUFFIX.items() if class_name.endswith(suffix))


def ours_class(name: str) -> type:
    return getattr(embrace, name)


def make_pair(config_name: str, class_name: str, impl: str, tiny: dict, seed: int = 0, **overrides):
    """(reference model, our model) with identical weights, both in eval mode."""
    kwargs = {**tiny, **overrides}
    torch.manual_seed(seed)
    ref_config = getattr(transformers, config_name)(**kwargs, attn_implementation=impl)
    ref = getattr(transformers, class_name)(ref_config)
    ours = ours_class(class_name)(ours_class(config_name)(**kwargs, attn_implementation=impl))
    result = ours.load_state_dict(ref.state_dict(), strict=True)
    assert not result.missing_keys and not result.unexpected_keys
    return ref.eval(), ours.eval()


def batch(vocab_size: int, pad_id: int, *, seed: int = 1, batch_size: int = 3, seq: int = 7, token_types: bool = True):
    """Right-padded ids (pads are ``pad_id``), a mask and (optionally) random segment ids."""
    g = torch.Generator().manual_seed(seed)
    ids = torch.randint(0, vocab_size, (batch_size, seq), generator=g)
    ids = torch.where(ids == pad_id, (pad_id + 1) % vocab_size, ids)  # real tokens are never the pad id
    mask = torch.zeros(batch_size, seq, dtype=torch.long)
    for row in range(batch_size):
        mask[row, : seq - 2 * row] = 1
    ids = ids.masked_fill(mask == 0, pad_id)
    out = {"input_ids": ids, "attention_mask": mask}
    if token_types:
        out["token_type_ids"] = torch.randint(0, 2, (batch_size, seq), generator=g)
    return out


def head_inputs(class_name: str, inputs: dict, *, num_labels: int = 2, vocab_size: int) -> dict:
    """The batch plus the labels the head named ``class_name`` takes."""
    g = torch.Generator().manual_seed(5)
    ids, mask = inputs["input_ids"], inputs["attention_mask"]
    batch_size = ids.shape[0]
    if class_name.endswith("ForMultipleChoice"):
        # (batch, seq) -> (batch // 2, 2 choices, seq): needs an even batch.
        choice = {k: v[: batch_size - batch_size % 2].reshape(-1, 2, v.shape[-1]) for k, v in inputs.items()}
        return {**choice, "labels": torch.tensor([1] * (batch_size // 2))}
    if class_name.endswith("ForSequenceClassification"):
        return {**inputs, "labels": torch.randint(0, num_labels, (batch_size,), generator=g)}
    if class_name.endswith("ForTokenClassification"):
        labels = torch.randint(0, num_labels, ids.shape, generator=g).masked_fill(mask == 0, -100)
        return {**inputs, "labels": labels}
    if class_name.endswith("ForQuestionAnswering"):
        return {**inputs, "start_positions": torch.tensor([1, 50, 3][:batch_size]),
                "end_positions": torch.tensor([2, 6, 99][:batch_size])}
    if class_name.endswith(("ForMaskedLM", "ForCausalLM")):
        return {**inputs, "labels": ids.masked_fill(mask == 0, -100)}
    if class_name.endswith("ForPreTraining"):
        return {**inputs, "labels": torch.randint(0, 2, ids.shape, generator=g).masked_fill(mask == 0, -100)}
    return dict(inputs)


def check_head(ref, ours, class_name: str, inputs: dict, *, vocab_size: int, num_labels: int = 2,
               attentions: bool = True):
    """Forward with labels, compare every output; backprop the loss (or a fixed projection) and compare grads.

    ``attentions=False`` leaves the attention weights out (a reference that always returns
    them, against our sdpa backend, which returns none).
    """
    full = {**head_inputs(class_name, inputs, num_labels=num_labels, vocab_size=vocab_size),
            "output_hidden_states": True, "output_attentions": attentions}
    ref_out = ref(**full)
    # Heads whose loss needs more labels than given (ALBERT's sentence order) backprop their first output.
    backward_on = "loss" if ref_out.get("loss") is not None else next(iter(ref_out.keys()))
    return run_both(ref, ours, full, backward_on=backward_on)


def check_round_trip(tmp_path, ref, ours, inputs: dict) -> None:
    """Reference save -> our load, our save -> reference load: same outputs, same config.json."""
    name = type(ours).__name__
    ref.save_pretrained(tmp_path / "ref")
    loaded = ours_class(name).from_pretrained(tmp_path / "ref").eval()
    with torch.no_grad():
        assert_same(ref(**inputs), loaded(**inputs))
    loaded.save_pretrained(tmp_path / "ours")
    assert (tmp_path / "ours" / "config.json").read_text() == (tmp_path / "ref" / "config.json").read_text()
    back = getattr(transformers, name).from_pretrained(tmp_path / "ours").eval()
    with torch.no_grad():
        assert_same(ref(**inputs), back(**inputs))


def check_auto_picks_class(tmp_path, ref) -> None:
    """The Auto class for the head builds our class of the reference's name from its folder."""
    name = type(ref).__name__
    ref.save_pretrained(tmp_path / "auto")
    auto = getattr(embrace, auto_name(name))
    model = auto.from_pretrained(tmp_path / "auto")
    assert type(model).__name__ == name
    ref_auto = getattr(transformers, auto_name(name)).from_pretrained(tmp_path / "auto")
    assert type(ref_auto).__name__ == name
