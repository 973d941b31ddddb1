"""DeBERTa-v2 parity with the reference: disentangled attention variants and every head.

The reference computes the attention itself (eager); ours routes the position bias through
the attention registry, so each check runs our eager and sdpa backends against it.
"""

from __future__ import annotations

import pytest
import torch
import transformers

import embrace
from embrace.errors import ConfigError
from embrace.models.deberta_v2 import build_relative_position, make_log_bucket_position
from tests.models.encoder_parity import batch, check_auto_picks_class, check_head, check_round_trip
from tests.models.test_bert import assert_grads_same, assert_same, run_both

TINY = dict(vocab_size=99, hidden_size=32, num_hidden_layers=2, num_attention_heads=4, intermediate_size=37,
            max_position_embeddings=64, type_vocab_size=2, relative_attention=True, pos_att_type="p2c|c2p",
            position_buckets=8, max_relative_positions=64, norm_rel_ebd="layer_norm", share_att_key=True)
IMPLS = ["eager", "sdpa"]
HEADS = ["Model", "ForMaskedLM", "ForSequenceClassification", "ForMultipleChoice", "ForTokenClassification",
         "ForQuestionAnswering"]
VARIANTS = {
    "v3": {},  # log buckets, shared keys, normalised table (deberta-v3 settings)
    "v2_separate_keys_conv": dict(share_att_key=False, norm_rel_ebd="none", position_buckets=-1,
                                  max_relative_positions=-1, conv_kernel_size=3, conv_act="gelu"),
    "c2p_only_no_abs_positions": dict(pos_att_type=["c2p"], position_biased_input=False, share_att_key=False,
                                      embedding_size=16),
    "no_relative_attention": dict(relative_attention=False, pos_att_type=None, type_vocab_size=0),
}


def pair(head: str, impl: str = "eager", seed: int = 0, **overrides):
    kwargs = {**TINY, **overrides}
    torch.manual_seed(seed)
    ref_config = transformers.DebertaV2Config(**kwargs)
    ref_config._attn_implementation = "eager"
    ref = getattr(transformers, "DebertaV2" + head)(ref_config)
    ours = getattr(embrace, "DebertaV2" + head)(embrace.DebertaV2Config(**kwargs, attn_implementation=impl))
    ours.load_state_dict(ref.state_dict(), strict=True)
    return ref.eval(), ours.eval()


def inputs(**kwargs):
    return batch(TINY["vocab_size"], 0, **kwargs)


@pytest.mark.parametrize("impl", IMPLS)
@pytest.mark.parametrize("head", HEADS)
def test_every_head_matches_reference(head, impl):
    extra = {"num_labels": 3} if head in ("ForSequenceClassification", "ForTokenClassification") else {}
    ref, ours = pair(head, impl, **extra)
    b = inputs(batch_size=4 if head == "ForMultipleChoice" else 3)
    # The reference always returns attention weights; our sdpa backend returns none.
    check_head(ref, ours, "DebertaV2" + head, b, vocab_size=TINY["vocab_size"], num_labels=extra.get("num_labels", 2),
               attentions=impl == "eager")


@pytest.mark.parametrize("impl", IMPLS)
@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_attention_variants_match_reference(variant, impl):
    ref, ours = pair("ForMaskedLM", impl, **VARIANTS[variant])
    b = inputs()
    run_both(ref, ours, {**b, "labels": b["input_ids"].masked_fill(b["attention_mask"] == 0, -100),
                         "output_hidden_states": True}, backward_on="loss")


def test_long_sequence_uses_log_buckets_like_reference():
    ref, ours = pair("Model", "sdpa", max_position_embeddings=128)
    run_both(ref, ours, inputs(batch_size=2, seq=100), backward_on="last_hidden_state")
    ref_fn = transformers.models.deberta_v2.modeling_deberta_v2.make_log_bucket_position
    rel = torch.arange(-200, 200)
    assert torch.equal(make_log_bucket_position(rel, 8, 64), ref_fn(rel, 8, 64))
    q = torch.zeros(1, 5, 2)
    ref_rel = transformers.models.deberta_v2.modeling_deberta_v2.build_relative_position(q, q, 4, 16)
    assert torch.equal(build_relative_position(5, 5, 4, 16), ref_rel)


@pytest.mark.parametrize("legacy", [True, False])
def test_mlm_heads_legacy_and_new(legacy):
    ref, ours = pair("ForMaskedLM", legacy=legacy)
    b = inputs()
    run_both(ref, ours, {**b, "labels": b["input_ids"]}, backward_on="loss")
    if legacy:
        assert ours.cls.predictions.decoder.weight is ours.deberta.embeddings.word_embeddings.weight
    else:
        assert not hasattr(ours, "cls") and ours.get_output_embeddings() is ours.lm_predictions.lm_head.dense


@pytest.mark.parametrize(
    "num_labels,labels,problem_type",
    [
        (1, torch.tensor([0.5, -1.0, 2.0]), None),  # DeBERTa's own regression
        (3, torch.tensor([2, -1, 1]), None),  # negative = unlabelled, skipped
        (3, torch.tensor([-1, -1, -1]), None),  # nothing labelled: zero loss
        (3, torch.softmax(torch.randn(3, 3, generator=torch.Generator().manual_seed(0)), -1), None),  # soft labels
        (3, torch.tensor([2, 0, 1]), "single_label_classification"),
        (3, torch.tensor([[1.0, 0.0, 1.0], [0.0, 0.0, 1.0], [1.0, 1.0, 0.0]]), "multi_label_classification"),
    ],
    ids=["regression", "skip_unlabelled", "none_labelled", "soft_labels", "single_label", "multi_label"],
)
def test_sequence_classification_losses(num_labels, labels, problem_type):
    ref, ours = pair("ForSequenceClassification", num_labels=num_labels, problem_type=problem_type)
    run_both(ref, ours, {**inputs(), "labels": labels})
    assert ours.config.problem_type == ref.config.problem_type


def test_tuple_output_inputs_embeds_and_gradient_checkpointing():
    ref, ours = pair("ForQuestionAnswering")
    b = {**inputs(), "return_dict": False, "output_hidden_states": True}
    assert_same(ref(**b), ours(**b))
    ref, ours = pair("Model")
    embeds = torch.randn(2, 5, TINY["hidden_size"], generator=torch.Generator().manual_seed(0))
    run_both(ref, ours, {"inputs_embeds": embeds})
    _, plain = pair("ForMaskedLM", hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0)
    _, ckpt = pair("ForMaskedLM", hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0)
    ckpt.gradient_checkpointing_enable()
    plain.train()
    ckpt.train()
    b = inputs()
    plain(**b, labels=b["input_ids"]).loss.backward()
    ckpt(**b, labels=b["input_ids"]).loss.backward()
    assert_grads_same(plain, ckpt)


def test_config_defaults_and_pos_att_type_spelling():
    ours, ref = embrace.DebertaV2Config(), transformers.DebertaV2Config()
    for name in ("vocab_size", "hidden_size", "num_hidden_layers", "num_attention_heads", "intermediate_size",
                 "hidden_act", "hidden_dropout_prob", "attention_probs_dropout_prob", "max_position_embeddings",
                 "type_vocab_size", "initializer_range", "layer_norm_eps", "relative_attention",
                 "max_relative_positions", "pad_token_id", "position_biased_input", "pos_att_type", "pooler_dropout",
                 "pooler_hidden_act", "legacy", "tie_word_embeddings", "pooler_hidden_size"):
        assert getattr(ours, name) == getattr(ref, name), name
    assert embrace.DebertaV2Config(pos_att_type="P2C | c2p").pos_att_type == ["p2c", "c2p"]


@pytest.mark.parametrize("head,extra", [("ForMaskedLM", {}), ("ForMaskedLM", {"legacy": False}),
                                        ("ForSequenceClassification", {})], ids=["mlm", "mlm_new_head", "cls"])
def test_files_round_trip_with_reference(tmp_path, head, extra):
    ref, ours = pair(head, **extra)
    check_round_trip(tmp_path, ref, ours, inputs())


@pytest.mark.parametrize("head", HEADS)
def test_auto_classes_pick_the_family_class(tmp_path, head):
    ref, _ = pair(head)
    check_auto_picks_class(tmp_path, ref)


def test_bad_input_and_config_raise():
    with pytest.raises(ConfigError, match="pos_att_type"):
        embrace.DebertaV2Config(pos_att_type=["c2c"])
    with pytest.raises(ValueError, match="not a multiple of the number of attention heads"):
        embrace.DebertaV2Model(embrace.DebertaV2Config(**{**TINY, "hidden_size": 30}))
    _, ours = pair("Model")
    ids = inputs()["input_ids"]
    with pytest.raises(ValueError, match="either input_ids or inputs_embeds"):
        ours()
    with pytest.raises(ValueError, match="both input_ids and inputs_embeds"):
        ours(ids, inputs_embeds=torch.zeros(3, 7, 32))
    with pytest.raises(ValueError, match="padding mask"):
        ours(ids, attention_mask=torch.ones(3, 1, 7, 7))
