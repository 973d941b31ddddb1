"""RoBERTa, XLM-RoBERTa and CamemBERT parity with the reference: every head, eager and sdpa.

The three families share one implementation (``embrace/models/roberta.py``), so every test
runs for each of them: outputs, losses, gradients, fairseq position ids, incremental
decoding of the causal head, files on disk both ways and the Auto classes.
"""

from __future__ import annotations

import pytest
import torch
import transformers

import embrace
from embrace.models.roberta import create_position_ids_from_input_ids
from tests.models.encoder_parity import (
    batch,
    check_auto_picks_class,
    check_head,
    check_round_trip,
    make_pair,
)
from tests.models.test_bert import assert_same, run_both

TINY = dict(vocab_size=99, hidden_size=32, num_hidden_layers=2, num_attention_heads=4, intermediate_size=37,
            max_position_embeddings=64, type_vocab_size=2)
PAD = 1  # the RoBERTa default pad_token_id
IMPLS = ["eager", "sdpa"]
FAMILIES = ["Roberta", "XLMRoberta", "Camembert"]
HEADS = ["Model", "ForMaskedLM", "ForSequenceClassification", "ForMultipleChoice", "ForTokenClassification",
         "ForQuestionAnswering"]


def pair(family: str, head: str, impl: str = "sdpa", **overrides):
    return make_pair(f"{family}Config", family + head, impl, TINY, **overrides)


def inputs(**kwargs):
    return batch(TINY["vocab_size"], PAD, **kwargs)


@pytest.mark.parametrize("impl", IMPLS)
@pytest.mark.parametrize("head", HEADS)
@pytest.mark.parametrize("family", FAMILIES)
def test_every_head_matches_reference(family, head, impl):
    extra = {"num_labels": 3} if head in ("ForSequenceClassification", "ForTokenClassification") else {}
    ref, ours = pair(family, head, impl, **extra)
    check_head(ref, ours, family + head, inputs(batch_size=4 if head == "ForMultipleChoice" else 3),
               vocab_size=TINY["vocab_size"], num_labels=extra.get("num_labels", 2))


@pytest.mark.parametrize("impl", IMPLS)
@pytest.mark.parametrize("family", FAMILIES)
def test_causal_lm_loss_and_incremental_decoding(family, impl):
    ref, ours = pair(family, "ForCausalLM", impl, is_decoder=True)
    check_head(ref, ours, family + "ForCausalLM", inputs(), vocab_size=TINY["vocab_size"])
    ids = inputs(batch_size=2, seq=6)["input_ids"]
    full = ours(ids).logits
    ref_cache = our_cache = None
    for start, stop in [(0, 3), (3, 4), (4, 6)]:
        ref_out = ref(ids[:, start:stop], past_key_values=ref_cache, use_cache=True)
        our_out = ours(ids[:, start:stop], past_key_values=our_cache, use_cache=True)
        ref_cache, our_cache = ref_out.past_key_values, our_out.past_key_values
        assert_same(ref_out.logits, our_out.logits)
        assert_same(full[:, start:stop], our_out.logits)
    with pytest.raises(TypeError, match="output_scores"):
        ours(ids, output_scores=True)


@pytest.mark.parametrize("family", FAMILIES)
def test_classification_problem_types(family):
    for num_labels, labels in [(1, torch.tensor([0.5, -1.0, 2.0])),
                               (3, torch.tensor([[1.0, 0.0, 1.0], [0.0, 0.0, 1.0], [1.0, 1.0, 0.0]]))]:
        ref, ours = pair(family, "ForSequenceClassification", num_labels=num_labels)
        run_both(ref, ours, {**inputs(), "labels": labels}, backward_on="loss")
        assert ours.config.problem_type == ref.config.problem_type


def test_position_ids_follow_padding_and_cache_offset():
    ids = torch.tensor([[0, 5, 6, 1, 1], [1, 1, 0, 7, 2]])
    assert create_position_ids_from_input_ids(ids, 1).tolist() == [[2, 3, 4, 1, 1], [1, 1, 2, 3, 4]]
    ref_fn = transformers.models.roberta.modeling_roberta.RobertaEmbeddings.create_position_ids_from_input_ids
    assert torch.equal(create_position_ids_from_input_ids(ids, 1, 3), ref_fn(ids, 1, 3))


@pytest.mark.parametrize("impl", IMPLS)
def test_inputs_embeds_and_explicit_positions(impl):
    ref, ours = pair("Roberta", "Model", impl)
    b = inputs()
    embeds = torch.randn(3, 7, TINY["hidden_size"], generator=torch.Generator().manual_seed(0))
    run_both(ref, ours, {"inputs_embeds": embeds, "attention_mask": b["attention_mask"]},
             backward_on="last_hidden_state")
    positions = torch.arange(7).flip(0)[None].expand(3, -1) + 2
    run_both(ref, ours, {**b, "position_ids": positions})
    run_both(ref, ours, {"input_ids": b["input_ids"]})  # no mask, no token types


def test_tuple_outputs_and_tied_head():
    ref, ours = pair("Roberta", "ForMaskedLM", "eager")
    b = {**inputs(), "return_dict": False, "output_hidden_states": True}
    assert_same(ref(**b), ours(**b))
    assert ours.lm_head.decoder.weight is ours.roberta.embeddings.word_embeddings.weight
    assert ours.lm_head.decoder.bias is ours.lm_head.bias
    assert ours.get_output_embeddings() is ours.lm_head.decoder


def test_untied_head_keeps_its_own_weights():
    ref, ours = pair("XLMRoberta", "ForMaskedLM", tie_word_embeddings=False)
    assert ours.lm_head.decoder.weight is not ours.roberta.embeddings.word_embeddings.weight
    run_both(ref, ours, inputs(), backward_on="logits")


def test_init_weights_follow_reference_scheme():
    torch.manual_seed(0)
    model = embrace.RobertaForMaskedLM(embrace.RobertaConfig(**TINY, initializer_range=0.5))
    emb = model.roberta.embeddings
    assert torch.all(emb.word_embeddings.weight[PAD] == 0) and torch.all(emb.position_embeddings.weight[PAD] == 0)
    assert 0.3 < emb.word_embeddings.weight.std().item() < 0.7
    assert torch.all(model.lm_head.bias == 0)
    assert "roberta.embeddings.position_ids" not in model.state_dict()
    assert type(model.roberta).__name__ == "RobertaModel"
    assert type(embrace.CamembertForQuestionAnswering(embrace.CamembertConfig(**TINY)).roberta).__name__ == (
        "CamembertModel"
    )


@pytest.mark.parametrize("family", FAMILIES)
def test_config_defaults_match_reference(family):
    ours, ref = getattr(embrace, f"{family}Config")(), getattr(transformers, f"{family}Config")()
    assert ours.model_type == ref.model_type
    for name in ("vocab_size", "hidden_size", "num_hidden_layers", "num_attention_heads", "intermediate_size",
                 "hidden_act", "hidden_dropout_prob", "attention_probs_dropout_prob", "max_position_embeddings",
                 "type_vocab_size", "initializer_range", "layer_norm_eps", "pad_token_id", "bos_token_id",
                 "eos_token_id", "use_cache", "classifier_dropout", "is_decoder", "add_cross_attention",
                 "tie_word_embeddings"):
        assert getattr(ours, name) == getattr(ref, name), name


@pytest.mark.parametrize("family", FAMILIES)
@pytest.mark.parametrize("head", ["ForMaskedLM", "ForSequenceClassification", "ForCausalLM"])
def test_files_round_trip_with_reference(tmp_path, family, head):
    extra = {"is_decoder": True} if head == "ForCausalLM" else {}
    ref, ours = pair(family, head, **extra)
    check_round_trip(tmp_path, ref, ours, inputs())


@pytest.mark.parametrize("family", FAMILIES)
@pytest.mark.parametrize("head", HEADS + ["ForCausalLM"])
def test_auto_classes_pick_the_family_class(tmp_path, family, head):
    ref, _ = pair(family, head)
    check_auto_picks_class(tmp_path, ref)


def test_bad_input_raises():
    _, ours = pair("Roberta", "Model")
    with pytest.raises(ValueError, match="exactly one of input_ids or inputs_embeds"):
        ours()
    _, choice = pair("Roberta", "ForMultipleChoice")
    with pytest.raises(ValueError, match="exactly one"):
        choice()
    with pytest.raises(ValueError, match="not a multiple of the number of attention heads"):
        embrace.RobertaModel(embrace.RobertaConfig(**{**TINY, "hidden_size": 30}))
