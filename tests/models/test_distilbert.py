"""DistilBERT parity with the reference: every head, eager and sdpa, sinusoidal positions, files, Auto."""

from __future__ import annotations

import pytest
import torch
import transformers

import embrace
from embrace.errors import ConfigError
from tests.models.encoder_parity import batch, check_auto_picks_class, check_head, check_round_trip, make_pair
from tests.models.test_bert import assert_grads_same, assert_same, run_both

TINY = dict(vocab_size=99, dim=32, n_layers=2, n_heads=4, hidden_dim=37, max_position_embeddings=64)
IMPLS = ["eager", "sdpa"]
HEADS = ["Model", "ForMaskedLM", "ForSequenceClassification", "ForMultipleChoice", "ForTokenClassification",
         "ForQuestionAnswering"]


def pair(head: str, impl: str = "sdpa", **overrides):
    return make_pair("DistilBertConfig", "DistilBert" + head, impl, TINY, **overrides)


def inputs(**kwargs):
    return batch(TINY["vocab_size"], 0, token_types=False, **kwargs)


@pytest.mark.parametrize("impl", IMPLS)
@pytest.mark.parametrize("head", HEADS)
def test_every_head_matches_reference(head, impl):
    extra = {"num_labels": 3} if head in ("ForSequenceClassification", "ForTokenClassification") else {}
    ref, ours = pair(head, impl, **extra)
    check_head(ref, ours, "DistilBert" + head, inputs(batch_size=4 if head == "ForMultipleChoice" else 3),
               vocab_size=TINY["vocab_size"], num_labels=extra.get("num_labels", 2))


@pytest.mark.parametrize("impl", IMPLS)
def test_sinusoidal_positions_match_reference(impl):
    torch.manual_seed(0)
    ref = transformers.DistilBertModel(transformers.DistilBertConfig(**TINY, sinusoidal_pos_embds=True))
    ours = embrace.DistilBertModel(embrace.DistilBertConfig(**TINY, sinusoidal_pos_embds=True))
    assert_same(ref.embeddings.position_embeddings.weight, ours.embeddings.position_embeddings.weight)
    ours.load_state_dict(ref.state_dict(), strict=True)
    ours.config._attn_implementation = ref.config._attn_implementation = impl
    run_both(ref.eval(), ours.eval(), inputs(), backward_on="last_hidden_state")


def test_config_aliases_and_defaults():
    ours, ref = embrace.DistilBertConfig(), transformers.DistilBertConfig()
    for name in ("vocab_size", "max_position_embeddings", "sinusoidal_pos_embds", "n_layers", "n_heads", "dim",
                 "hidden_dim", "dropout", "attention_dropout", "activation", "initializer_range", "qa_dropout",
                 "seq_classif_dropout", "pad_token_id", "tie_word_embeddings", "hidden_size", "num_attention_heads",
                 "num_hidden_layers"):
        assert getattr(ours, name) == getattr(ref, name), name
    config = embrace.DistilBertConfig(hidden_size=64, num_attention_heads=4)
    assert (config.dim, config.n_heads) == (64, 4)
    config.num_hidden_layers = 3
    assert config.n_layers == 3 and "num_hidden_layers" not in config.to_dict()


def test_inputs_embeds_positions_and_tuple_output():
    ref, ours = pair("Model", "eager")
    embeds = torch.randn(2, 5, TINY["dim"], generator=torch.Generator().manual_seed(0))
    run_both(ref, ours, {"inputs_embeds": embeds}, backward_on="last_hidden_state")
    b = {**inputs(), "position_ids": torch.arange(7).flip(0)[None].expand(3, -1)}
    run_both(ref, ours, b)
    tuple_in = {**inputs(), "return_dict": False, "output_hidden_states": True}
    assert_same(ref(**tuple_in), ours(**tuple_in))


def test_tied_and_untied_mlm_head():
    _, ours = pair("ForMaskedLM")
    assert ours.vocab_projector.weight is ours.distilbert.embeddings.word_embeddings.weight
    ref, ours = pair("ForMaskedLM", tie_word_embeddings=False)
    assert ours.vocab_projector.weight is not ours.distilbert.embeddings.word_embeddings.weight
    run_both(ref, ours, inputs(), backward_on="logits")


def test_chunked_feed_forward_and_gradient_checkpointing():
    ref, ours = pair("Model", chunk_size_feed_forward=7)
    run_both(ref, ours, inputs(), backward_on="last_hidden_state")
    _, plain = pair("ForMaskedLM", dropout=0.0, attention_dropout=0.0)
    _, ckpt = pair("ForMaskedLM", dropout=0.0, attention_dropout=0.0)
    ckpt.gradient_checkpointing_enable()
    plain.train()
    ckpt.train()
    b = inputs()
    plain(**b, labels=b["input_ids"]).loss.backward()
    ckpt(**b, labels=b["input_ids"]).loss.backward()
    assert_grads_same(plain, ckpt)


def test_resize_position_embeddings_keeps_rows():
    ref, ours = pair("ForSequenceClassification")
    before = ours.get_position_embeddings().weight.detach().clone()
    ours.resize_position_embeddings(80)
    ref.resize_position_embeddings(80)
    assert ours.config.max_position_embeddings == 80
    assert torch.equal(ours.get_position_embeddings().weight[:64], before)
    ours.resize_position_embeddings(10)
    assert torch.equal(ours.get_position_embeddings().weight, before[:10])
    assert ours.distilbert.embeddings.position_ids.shape[-1] == 10


@pytest.mark.parametrize("head", ["ForMaskedLM", "ForSequenceClassification", "ForQuestionAnswering"])
def test_files_round_trip_with_reference(tmp_path, head):
    ref, ours = pair(head)
    check_round_trip(tmp_path, ref, ours, inputs())


@pytest.mark.parametrize("head", HEADS)
def test_auto_classes_pick_the_family_class(tmp_path, head):
    ref, _ = pair(head)
    check_auto_picks_class(tmp_path, ref)


def test_bad_input_and_config_raise():
    _, ours = pair("Model")
    with pytest.raises(ValueError, match="exactly one of input_ids or inputs_embeds"):
        ours()
    with pytest.raises(ConfigError, match="must divide dim"):
        embrace.DistilBertConfig(dim=30, n_heads=4)
    with pytest.raises(ValueError, match="num_labels=2"):
        embrace.DistilBertForQuestionAnswering(embrace.DistilBertConfig(**TINY, num_labels=3))
    with pytest.raises(ValueError, match="chunk_size_feed_forward"):
        pair("Model", chunk_size_feed_forward=4)[1](**inputs())
