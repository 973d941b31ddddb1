"""ModelOutput behaves like the reference's: attribute, key and index access over non-None fields."""

from __future__ import annotations

import pickle
from dataclasses import dataclass

import pytest
import torch
import torch.utils._pytree as pytree

from embrace.modeling import outputs as ours


def test_index_key_attribute_access_skip_none():
    logits = torch.randn(2, 3)
    out = ours.SequenceClassifierOutput(logits=logits)
    assert out[0] is logits and out["logits"] is logits and out.logits is logits
    assert list(out.keys()) == ["logits"]
    assert out.to_tuple() == (logits,)
    with pytest.raises(KeyError):
        out["loss"]
    loss = torch.tensor(1.0)
    out2 = ours.SequenceClassifierOutput(loss=loss, logits=logits)
    assert out2[0] is loss and out2[1] is logits
    assert out2[:2] == (loss, logits)
    assert len(out2) == 2


def test_setting_fields_updates_both_views():
    out = ours.MaskedLMOutput(logits=torch.zeros(1))
    out.loss = torch.ones(())
    assert "loss" in out.keys() and out["loss"] is out.loss
    out["hidden_states"] = (torch.zeros(1),)
    assert out.hidden_states is out["hidden_states"]
    out.loss = None
    assert "loss" not in out.keys() and out.loss is None


def test_forbidden_dict_mutations():
    out = ours.MaskedLMOutput(logits=torch.zeros(1))
    for call in (lambda: out.pop("logits"), lambda: out.update({}), lambda: out.setdefault("a", 1)):
        with pytest.raises(TypeError):
            call()
    with pytest.raises(TypeError):
        del out["logits"]


def test_subclass_must_be_dataclass():
    class NotADataclass(ours.ModelOutput):
        pass

    with pytest.raises(TypeError, match="dataclass"):
        NotADataclass(a=1)


def test_field_order_matches_reference():
    from transformers import modeling_outputs as ref

    for name in [
        "BaseModelOutput", "BaseModelOutputWithPooling", "BaseModelOutputWithPast",
        "BaseModelOutputWithCrossAttentions", "BaseModelOutputWithPoolingAndCrossAttentions",
        "BaseModelOutputWithPastAndCrossAttentions", "CausalLMOutput", "CausalLMOutputWithPast",
        "CausalLMOutputWithCrossAttentions", "MaskedLMOutput", "NextSentencePredictorOutput",
        "SequenceClassifierOutput", "MultipleChoiceModelOutput", "TokenClassifierOutput",
        "QuestionAnsweringModelOutput", "Seq2SeqModelOutput", "Seq2SeqLMOutput",
        "SequenceClassifierOutputWithPast", "Seq2SeqSequenceClassifierOutput",
        "Seq2SeqQuestionAnsweringModelOutput", "BaseModelOutputWithNoAttention",
        "BaseModelOutputWithPoolingAndNoAttention",
    ]:
        ours_fields = list(getattr(ours, name).__dataclass_fields__)
        ref_fields = list(getattr(ref, name).__dataclass_fields__)
        assert ours_fields == ref_fields, name


def test_tuple_matches_reference_when_fields_are_added_later():
    from transformers import modeling_outputs as ref

    t = [torch.full((1,), float(i)) for i in range(4)]
    a = ours.BaseModelOutputWithPoolingAndCrossAttentions(last_hidden_state=t[0], past_key_values=t[1])
    b = ref.BaseModelOutputWithPoolingAndCrossAttentions(last_hidden_state=t[0], past_key_values=t[1])
    a["hidden_states"] = t[2]
    b["hidden_states"] = t[2]
    assert [x is y for x, y in zip(a.to_tuple(), b.to_tuple())] == [True, True, True]
    assert list(a.keys()) == list(b.keys())


def test_dict_as_only_argument_fills_fields():
    out = ours.BaseModelOutput({"last_hidden_state": torch.ones(1), "attentions": (torch.zeros(1),)})
    assert list(out.keys()) == ["last_hidden_state", "attentions"]


def test_pickle_and_pytree_roundtrip():
    out = ours.CausalLMOutputWithPast(loss=torch.tensor(2.0), logits=torch.ones(1, 2))
    back = pickle.loads(pickle.dumps(out))
    assert isinstance(back, ours.CausalLMOutputWithPast)
    assert torch.equal(back.logits, out.logits) and list(back.keys()) == ["loss", "logits"]
    leaves, spec = pytree.tree_flatten(out)
    assert len(leaves) == 2
    rebuilt = pytree.tree_unflatten([leaf * 2 for leaf in leaves], spec)
    assert isinstance(rebuilt, ours.CausalLMOutputWithPast) and torch.equal(rebuilt.logits, out.logits * 2)


def test_new_subclass_is_registered_with_pytree():
    @dataclass
    class MyOutput(ours.ModelOutput):
        a: torch.Tensor | None = None

    leaves, _ = pytree.tree_flatten(MyOutput(a=torch.zeros(3)))
    assert len(leaves) == 1 and leaves[0].shape == (3,)
