"""ELECTRA parity with the reference: discriminator, generator and every other head, eager and sdpa."""

from __future__ import annotations

import pytest
import torch
import transformers

import embrace
from embrace.errors import ConfigError
from tests.models.encoder_parity import batch, check_auto_picks_class, check_head, check_round_trip, make_pair
from tests.models.test_bert import assert_same, run_both

TINY = dict(vocab_size=99, embedding_size=16, hidden_size=32, num_hidden_layers=2, num_attention_heads=4,
            intermediate_size=37, max_position_embeddings=64)
IMPLS = ["eager", "sdpa"]
HEADS = ["Model", "ForPreTraining", "ForMaskedLM", "ForSequenceClassification", "ForMultipleChoice",
         "ForTokenClassification", "ForQuestionAnswering"]


def pair(head: str, impl: str = "sdpa", **overrides):
    return make_pair("ElectraConfig", "Electra" + head, impl, TINY, **overrides)


def inputs(**kwargs):
    return batch(TINY["vocab_size"], 0, **kwargs)


@pytest.mark.parametrize("impl", IMPLS)
@pytest.mark.parametrize("head", HEADS)
def test_every_head_matches_reference(head, impl):
    extra = {"num_labels": 3} if head in ("ForSequenceClassification", "ForTokenClassification") else {}
    ref, ours = pair(head, impl, **extra)
    check_head(ref, ours, "Electra" + head, inputs(batch_size=4 if head == "ForMultipleChoice" else 3),
               vocab_size=TINY["vocab_size"], num_labels=extra.get("num_labels", 2))


def test_discriminator_loss_without_mask_and_equal_widths():
    ref, ours = pair("ForPreTraining", embedding_size=32)
    assert not hasattr(ours.electra, "embeddings_project")
    ids = inputs()["input_ids"]
    labels = torch.randint(0, 2, ids.shape, generator=torch.Generator().manual_seed(0))
    run_both(ref, ours, {"input_ids": ids, "labels": labels}, backward_on="loss")


@pytest.mark.parametrize("impl", IMPLS)
def test_causal_lm_loss_and_incremental_decoding(impl):
    ref, ours = pair("ForCausalLM", impl, is_decoder=True)
    check_head(ref, ours, "ElectraForCausalLM", inputs(), vocab_size=TINY["vocab_size"])
    ids = inputs(batch_size=2, seq=6)["input_ids"]
    full = ours(ids).logits
    ref_cache = our_cache = None
    for start, stop in [(0, 3), (3, 4), (4, 6)]:
        ref_out = ref(ids[:, start:stop], past_key_values=ref_cache, use_cache=True)
        our_out = ours(ids[:, start:stop], past_key_values=our_cache, use_cache=True)
        ref_cache, our_cache = ref_out.past_key_values, our_out.past_key_values
        assert_same(ref_out.logits, our_out.logits)
        assert_same(full[:, start:stop], our_out.logits)


@pytest.mark.parametrize("summary_type", ["last", "mean", "cls_index"])
def test_multiple_choice_summary_types(summary_type):
    ref, ours = pair("ForMultipleChoice", summary_type=summary_type)
    b = {k: v[:2].reshape(1, 2, -1) for k, v in inputs().items()}
    run_both(ref, ours, {**b, "labels": torch.tensor([1])}, backward_on="loss")


def test_generator_is_tied_and_tuple_output_matches():
    ref, ours = pair("ForMaskedLM", "eager")
    assert ours.generator_lm_head.weight is ours.electra.embeddings.word_embeddings.weight
    assert ours.get_output_embeddings() is ours.generator_lm_head
    b = {**inputs(), "return_dict": False, "output_hidden_states": True, "output_attentions": True}
    assert_same(ref(**b), ours(**b))


def test_config_defaults_match_reference():
    ours, ref = embrace.ElectraConfig(), transformers.ElectraConfig()
    for name in ("vocab_size", "embedding_size", "hidden_size", "num_hidden_layers", "num_attention_heads",
                 "intermediate_size", "hidden_act", "hidden_dropout_prob", "attention_probs_dropout_prob",
                 "max_position_embeddings", "type_vocab_size", "initializer_range", "layer_norm_eps",
                 "summary_type", "summary_use_proj", "summary_activation", "summary_last_dropout", "pad_token_id",
                 "use_cache", "classifier_dropout", "is_decoder", "add_cross_attention", "tie_word_embeddings"):
        assert getattr(ours, name) == getattr(ref, name), name


@pytest.mark.parametrize("head", ["ForPreTraining", "ForMaskedLM", "ForSequenceClassification"])
def test_files_round_trip_with_reference(tmp_path, head):
    ref, ours = pair(head)
    check_round_trip(tmp_path, ref, ours, inputs())


@pytest.mark.parametrize("head", HEADS + ["ForCausalLM"])
def test_auto_classes_pick_the_family_class(tmp_path, head):
    ref, _ = pair(head)
    check_auto_picks_class(tmp_path, ref)


def test_bad_input_and_config_raise():
    with pytest.raises(ConfigError, match="summary_type"):
        embrace.ElectraConfig(summary_type="attn")
    _, ours = pair("Model")
    with pytest.raises(ValueError, match="exactly one of input_ids or inputs_embeds"):
        ours()
    _, lm = pair("ForCausalLM", is_decoder=True)
    with pytest.raises(TypeError, match="output_scores"):
        lm(inputs()["input_ids"], output_scores=True)
