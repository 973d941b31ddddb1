"""ALBERT parity with the reference: shared layer groups, factorised embeddings, SOP and every head."""

from __future__ import annotations

import pytest
import torch
import transformers

import embrace
from embrace.errors import ConfigError
from tests.models.encoder_parity import batch, check_auto_picks_class, check_head, check_round_trip, make_pair
from tests.models.test_bert import assert_grads_same, assert_same, run_both

TINY = dict(vocab_size=99, embedding_size=16, hidden_size=32, num_hidden_layers=3, num_attention_heads=4,
            intermediate_size=37, max_position_embeddings=64, hidden_act="gelu_new")
IMPLS = ["eager", "sdpa"]
HEADS = ["Model", "ForPreTraining", "ForMaskedLM", "ForSequenceClassification", "ForMultipleChoice",
         "ForTokenClassification", "ForQuestionAnswering"]


def pair(head: str, impl: str = "sdpa", **overrides):
    return make_pair("AlbertConfig", "Albert" + head, impl, TINY, **overrides)


def inputs(**kwargs):
    return batch(TINY["vocab_size"], 0, **kwargs)


@pytest.mark.parametrize("impl", IMPLS)
@pytest.mark.parametrize("head", HEADS)
def test_every_head_matches_reference(head, impl):
    extra = {"num_labels": 3} if head in ("ForSequenceClassification", "ForTokenClassification") else {}
    ref, ours = pair(head, impl, **extra)
    check_head(ref, ours, "Albert" + head, inputs(batch_size=4 if head == "ForMultipleChoice" else 3),
               vocab_size=TINY["vocab_size"], num_labels=extra.get("num_labels", 2))


@pytest.mark.parametrize("impl", IMPLS)
def test_pretraining_loss_with_sentence_order(impl):
    ref, ours = pair("ForPreTraining", impl)
    b = inputs()
    labels = b["input_ids"].masked_fill(b["attention_mask"] == 0, -100)
    run_both(ref, ours, {**b, "labels": labels, "sentence_order_label": torch.tensor([0, 1, 1])},
             backward_on="loss")
    assert ours.predictions.decoder.weight is ours.albert.embeddings.word_embeddings.weight
    assert ours.predictions.decoder.bias is ours.predictions.bias


@pytest.mark.parametrize("groups,inner", [(3, 1), (1, 2), (3, 2)])
def test_layer_groups_and_inner_layers(groups, inner):
    ref, ours = pair("Model", "eager", num_hidden_groups=groups, inner_group_num=inner)
    assert len(ours.encoder.albert_layer_groups) == groups
    run_both(ref, ours, {**inputs(), "output_hidden_states": True, "output_attentions": True},
             backward_on="last_hidden_state")


def test_one_group_shares_its_weights_across_every_step():
    _, ours = pair("Model")
    encoder = ours.encoder
    count = lambda module: sum(p.numel() for p in module.parameters())  # noqa: E731
    # Three layer steps, but only the mapping and one layer's weights exist.
    assert count(encoder) == count(encoder.embedding_hidden_mapping_in) + count(encoder.albert_layer_groups[0])
    hidden = ours(**inputs(), output_hidden_states=True).hidden_states
    assert len(hidden) == TINY["num_hidden_layers"] + 1


def test_chunked_feed_forward_and_gradient_checkpointing():
    ref, ours = pair("Model", chunk_size_feed_forward=7)
    run_both(ref, ours, inputs(), backward_on="last_hidden_state")
    _, plain = pair("ForMaskedLM")
    _, ckpt = pair("ForMaskedLM")
    ckpt.gradient_checkpointing_enable()
    plain.train()
    ckpt.train()
    b = inputs()
    plain(**b, labels=b["input_ids"]).loss.backward()
    ckpt(**b, labels=b["input_ids"]).loss.backward()
    assert_grads_same(plain, ckpt)


def test_tuple_output_and_inputs_embeds():
    ref, ours = pair("ForPreTraining", "eager")
    b = {**inputs(), "return_dict": False, "output_hidden_states": True}
    assert_same(ref(**b), ours(**b))
    _, body = pair("Model")
    embeds = torch.randn(2, 5, TINY["embedding_size"], generator=torch.Generator().manual_seed(0))
    ref_body, _ = pair("Model")
    run_both(ref_body, body, {"inputs_embeds": embeds})


def test_config_defaults_match_reference():
    ours, ref = embrace.AlbertConfig(), transformers.AlbertConfig()
    for name in ("vocab_size", "embedding_size", "hidden_size", "num_hidden_layers", "num_hidden_groups",
                 "num_attention_heads", "intermediate_size", "inner_group_num", "hidden_act", "hidden_dropout_prob",
                 "attention_probs_dropout_prob", "max_position_embeddings", "type_vocab_size", "initializer_range",
                 "layer_norm_eps", "classifier_dropout_prob", "pad_token_id", "bos_token_id", "eos_token_id",
                 "tie_word_embeddings"):
        assert getattr(ours, name) == getattr(ref, name), name


@pytest.mark.parametrize("head", ["ForPreTraining", "ForMaskedLM", "ForSequenceClassification"])
def test_files_round_trip_with_reference(tmp_path, head):
    ref, ours = pair(head)
    check_round_trip(tmp_path, ref, ours, inputs())


@pytest.mark.parametrize("head", HEADS)
def test_auto_classes_pick_the_family_class(tmp_path, head):
    ref, _ = pair(head)
    check_auto_picks_class(tmp_path, ref)


def test_bad_input_and_config_raise():
    with pytest.raises(ConfigError, match="not a multiple of the number of attention heads"):
        embrace.AlbertConfig(hidden_size=30, num_attention_heads=4)
    with pytest.raises(ConfigError, match="num_hidden_groups"):
        embrace.AlbertConfig(num_hidden_layers=2, num_hidden_groups=3)
    _, ours = pair("Model")
    with pytest.raises(ValueError, match="exactly one of input_ids or inputs_embeds"):
        ours()
