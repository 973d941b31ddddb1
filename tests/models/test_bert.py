"""BERT parity with the current reference (transformers 5.x): outputs, losses and gradients.

Each test builds the reference class on a tiny config with a fixed seed, copies its
state dict into ours with ``strict=True`` (which proves the parameter names match), runs
the same padded batch through both and compares every output field and every parameter
gradient, for the eager and sdpa attention implementations.
"""

from __future__ import annotations

import pytest
import torch
import transformers

import embrace.models.bert as eb
from embrace.errors import ConfigError
from embrace.modeling.cache import Cache, DynamicCache, EncoderDecoderCache

TOL = 1e-5
IMPLS = ["eager", "sdpa"]

TINY = dict(
    vocab_size=99,
    hidden_size=32,
    num_hidden_layers=2,
    num_attention_heads=4,
    intermediate_size=37,
    max_position_embeddings=64,
    type_vocab_size=2,
)


def make_pair(name: str, impl: str, seed: int = 0, model_kwargs: dict | None = None, **config_kwargs):
    """(reference model, our model) with identical weights, both in eval mode."""
    kwargs = {**TINY, **config_kwargs}
    torch.manual_seed(seed)
    ref_config = transformers.BertConfig(**kwargs, attn_implementation=impl)
    ref = getattr(transformers, name)(ref_config, **(model_kwargs or {}))
    ours = getattr(eb, name)(eb.BertConfig(**kwargs, attn_implementation=impl), **(model_kwargs or {}))
    ours.load_state_dict(ref.state_dict(), strict=True)
    return ref.eval(), ours.eval()


def batch(seed: int = 1, batch_size: int = 3, seq: int = 7, left_pad: bool = False):
    g = torch.Generator().manual_seed(seed)
    ids = torch.randint(1, TINY["vocab_size"], (batch_size, seq), generator=g)
    lengths = [seq - 2 * i for i in range(batch_size)]
    mask = torch.zeros(batch_size, seq, dtype=torch.long)
    for row, length in enumerate(lengths):
        if left_pad:
            mask[row, seq - length :] = 1
        else:
            mask[row, :length] = 1
    ids = ids.masked_fill(mask == 0, 0)
    token_types = torch.randint(0, 2, (batch_size, seq), generator=g)
    return {"input_ids": ids, "attention_mask": mask, "token_type_ids": token_types}


def assert_same(a, b, where: str = "output", scaled: bool = False) -> None:
    """Recursively compare outputs (tensors, tuples, ModelOutputs, caches) to max abs diff 1e-5.

    ``scaled`` (used for gradients, which are sums over many positions and can be large)
    makes the tolerance ``1e-5 * max(1, max |a|)``: relative once values exceed 1.
    """
    if isinstance(a, Cache) or isinstance(a, transformers.cache_utils.Cache):
        assert_cache_same(a, b)
        return
    if torch.is_tensor(a):
        assert torch.is_tensor(b), f"{where}: expected a tensor, got {type(b)}"
        assert a.shape == b.shape, f"{where}: shape {tuple(a.shape)} vs {tuple(b.shape)}"
        diff = (a.double() - b.double()).abs().max().item() if a.numel() else 0.0
        tol = TOL * max(1.0, a.abs().max().item()) if scaled and a.numel() else TOL
        assert diff <= tol, f"{where}: max abs diff {diff} (tolerance {tol})"
        return
    if a is None:
        assert b is None, f"{where}: expected None, got {type(b)}"
        return
    if isinstance(a, dict):  # ModelOutput
        assert list(a.keys()) == list(b.keys()), f"{where}: keys {list(a.keys())} vs {list(b.keys())}"
        for key in a.keys():
            assert_same(a[key], b[key], f"{where}.{key}")
        return
    assert isinstance(b, (tuple, list)), f"{where}: expected a sequence, got {type(b)}"
    assert len(a) == len(b), f"{where}: length {len(a)} vs {len(b)}"
    for i, (x, y) in enumerate(zip(a, b)):
        assert_same(x, y, f"{where}[{i}]")


def assert_cache_same(ref_cache, our_cache) -> None:
    if isinstance(ref_cache, transformers.EncoderDecoderCache):
        assert type(our_cache).__name__ == "EncoderDecoderCache"
        assert_cache_same(ref_cache.self_attention_cache, our_cache.self_attention_cache)
        assert_cache_same(ref_cache.cross_attention_cache, our_cache.cross_attention_cache)
        return
    assert type(our_cache).__name__ == "DynamicCache"
    assert ref_cache.get_seq_length() == our_cache.get_seq_length()
    assert len(ref_cache.layers) == len(our_cache.layers)
    for i, (r, o) in enumerate(zip(ref_cache.layers, our_cache.layers)):
        assert_same(r.keys, o.keys, f"cache[{i}].keys")
        assert_same(r.values, o.values, f"cache[{i}].values")


def assert_grads_same(ref, ours) -> None:
    ref_grads = {n: p.grad for n, p in ref.named_parameters()}
    checked = 0
    for name, param in ours.named_parameters():
        r = ref_grads[name]
        if r is None:
            assert param.grad is None or not param.grad.any(), name
            continue
        assert_same(r, param.grad, f"grad {name}", scaled=True)
        checked += 1
    assert checked > 0


def run_both(ref, ours, inputs: dict, backward_on: str | None = None):
    """Forward both models; optionally backprop a fixed function of one output and compare grads."""
    ref_out = ref(**inputs)
    our_out = ours(**inputs)
    assert type(our_out).__name__ == type(ref_out).__name__
    assert_same(ref_out, our_out)
    if backward_on is not None:
        r, o = ref_out[backward_on], our_out[backward_on]
        weight = torch.randn(r.shape, generator=torch.Generator().manual_seed(3)) if r.ndim else 1.0
        (r * weight).sum().backward()
        (o * weight).sum().backward()
        assert_grads_same(ref, ours)
    return ref_out, our_out


# --- every model class ------------------------------------------------------------------------


@pytest.mark.parametrize("impl", IMPLS)
def test_bert_model_all_outputs(impl):
    ref, ours = make_pair("BertModel", impl)
    inputs = {**batch(), "output_hidden_states": True, "output_attentions": True}
    _, out = run_both(ref, ours, inputs, backward_on="last_hidden_state")
    assert len(out.hidden_states) == TINY["num_hidden_layers"] + 1
    # Like the reference, sdpa returns no attention weights (an empty tuple), eager one per layer.
    assert len(out.attentions) == (TINY["num_hidden_layers"] if impl == "eager" else 0)


@pytest.mark.parametrize("impl", IMPLS)
def test_bert_model_tuple_output_and_no_pooler(impl):
    ref, ours = make_pair("BertModel", impl, model_kwargs={"add_pooling_layer": False})
    inputs = {**batch(), "return_dict": False, "output_hidden_states": True}
    ref_out, our_out = ref(**inputs), ours(**inputs)
    assert isinstance(our_out, tuple)
    assert_same(ref_out, our_out)


@pytest.mark.parametrize("impl", IMPLS)
def test_bert_model_without_mask_or_token_types(impl):
    ref, ours = make_pair("BertModel", impl)
    run_both(ref, ours, {"input_ids": batch()["input_ids"]}, backward_on="pooler_output")


@pytest.mark.parametrize("impl", IMPLS)
def test_bert_model_inputs_embeds_and_position_ids(impl):
    ref, ours = make_pair("BertModel", impl)
    b = batch()
    embeds = torch.randn(3, 7, TINY["hidden_size"])
    positions = torch.arange(7).flip(0)[None].expand(3, -1)
    run_both(ref, ours, {"inputs_embeds": embeds, "attention_mask": b["attention_mask"], "position_ids": positions})


@pytest.mark.parametrize("impl", IMPLS)
def test_for_pretraining(impl):
    ref, ours = make_pair("BertForPreTraining", impl)
    b = batch()
    labels = b["input_ids"].masked_fill(b["attention_mask"] == 0, -100)
    inputs = {**b, "labels": labels, "next_sentence_label": torch.tensor([0, 1, 0]), "output_hidden_states": True}
    run_both(ref, ours, inputs, backward_on="loss")
    # Tied weights: the decoder shares the word embeddings and its bias the head bias.
    assert ours.cls.predictions.decoder.weight is ours.bert.embeddings.word_embeddings.weight
    assert ours.cls.predictions.decoder.bias is ours.cls.predictions.bias


@pytest.mark.parametrize("impl", IMPLS)
def test_for_masked_lm(impl):
    ref, ours = make_pair("BertForMaskedLM", impl)
    b = batch()
    labels = torch.full_like(b["input_ids"], -100)
    labels[:, 1] = b["input_ids"][:, 1]
    run_both(ref, ours, {**b, "labels": labels, "output_attentions": True}, backward_on="loss")
    assert ours.get_output_embeddings() is ours.cls.predictions.decoder


@pytest.mark.parametrize("impl", IMPLS)
def test_lm_head_model_with_labels(impl):
    ref, ours = make_pair("BertLMHeadModel", impl, is_decoder=True)
    b = batch()
    labels = b["input_ids"].masked_fill(b["attention_mask"] == 0, -100)
    run_both(ref, ours, {**b, "labels": labels, "output_hidden_states": True}, backward_on="loss")


@pytest.mark.parametrize("impl", IMPLS)
def test_lm_head_model_left_padding(impl):
    # Left padding leaves fully masked query rows; sdpa and eager treat them differently and
    # we must reproduce each exactly.
    ref, ours = make_pair("BertLMHeadModel", impl, is_decoder=True)
    run_both(ref, ours, {**batch(left_pad=True), "use_cache": True}, backward_on="logits")


@pytest.mark.parametrize("impl", IMPLS)
def test_lm_head_model_logits_to_keep_and_items_in_batch(impl):
    ref, ours = make_pair("BertLMHeadModel", impl, is_decoder=True)
    b = batch()
    run_both(ref, ours, {**b, "logits_to_keep": 2})
    labels = b["input_ids"].masked_fill(b["attention_mask"] == 0, -100)
    run_both(ref, ours, {**b, "labels": labels, "num_items_in_batch": torch.tensor(5)}, backward_on="loss")


@pytest.mark.parametrize("impl", IMPLS)
def test_decoder_with_cross_attention(impl):
    ref, ours = make_pair("BertLMHeadModel", impl, is_decoder=True, add_cross_attention=True)
    b = batch()
    enc = torch.randn(3, 5, TINY["hidden_size"], generator=torch.Generator().manual_seed(7))
    enc_mask = torch.tensor([[1, 1, 1, 1, 1], [1, 1, 1, 0, 0], [1, 0, 0, 0, 0]])
    inputs = {**b, "encoder_hidden_states": enc, "encoder_attention_mask": enc_mask, "output_attentions": True}
    _, out = run_both(ref, ours, inputs, backward_on="logits")
    assert isinstance(out.past_key_values, EncoderDecoderCache)
    if impl == "eager":
        assert len(out.cross_attentions) == TINY["num_hidden_layers"]


@pytest.mark.parametrize("impl", IMPLS)
def test_next_sentence_prediction(impl):
    ref, ours = make_pair("BertForNextSentencePrediction", impl)
    run_both(ref, ours, {**batch(), "labels": torch.tensor([1, 0, 1])}, backward_on="loss")


@pytest.mark.parametrize("impl", IMPLS)
@pytest.mark.parametrize(
    "num_labels,labels",
    [
        (1, torch.tensor([0.5, -1.0, 2.0])),  # regression
        (3, torch.tensor([2, 0, 1])),  # single label
        (3, torch.tensor([[1.0, 0.0, 1.0], [0.0, 0.0, 1.0], [1.0, 1.0, 0.0]])),  # multi label
    ],
    ids=["regression", "single_label", "multi_label"],
)
def test_sequence_classification(impl, num_labels, labels):
    ref, ours = make_pair("BertForSequenceClassification", impl, num_labels=num_labels)
    run_both(ref, ours, {**batch(), "labels": labels}, backward_on="loss")
    assert ours.config.problem_type == ref.config.problem_type


@pytest.mark.parametrize("impl", IMPLS)
def test_multiple_choice(impl):
    ref, ours = make_pair("BertForMultipleChoice", impl)
    b = batch(batch_size=4)
    inputs = {k: v.view(2, 2, -1) for k, v in b.items()}
    run_both(ref, ours, {**inputs, "labels": torch.tensor([1, 0])}, backward_on="loss")


@pytest.mark.parametrize("impl", IMPLS)
def test_token_classification(impl):
    ref, ours = make_pair("BertForTokenClassification", impl, num_labels=5)
    b = batch()
    labels = torch.randint(0, 5, b["input_ids"].shape, generator=torch.Generator().manual_seed(4))
    labels = labels.masked_fill(b["attention_mask"] == 0, -100)
    run_both(ref, ours, {**b, "labels": labels}, backward_on="loss")


@pytest.mark.parametrize("impl", IMPLS)
def test_question_answering_with_out_of_range_positions(impl):
    ref, ours = make_pair("BertForQuestionAnswering", impl)
    inputs = {**batch(), "start_positions": torch.tensor([1, 50, 3]), "end_positions": torch.tensor([[2], [6], [99]])}
    run_both(ref, ours, inputs, backward_on="loss")


@pytest.mark.parametrize("name", ["BertForMaskedLM", "BertForQuestionAnswering", "BertForSequenceClassification"])
def test_return_dict_false_tuples(name):
    ref, ours = make_pair(name, "eager")
    inputs = {**batch(), "return_dict": False, "output_hidden_states": True, "output_attentions": True}
    ref_out, our_out = ref(**inputs), ours(**inputs)
    assert isinstance(our_out, tuple)
    assert_same(ref_out, our_out)


# --- building blocks one by one ---------------------------------------------------------------


@pytest.mark.parametrize("impl", IMPLS)
def test_blocks_match_reference_blocks(impl):
    torch.manual_seed(0)
    hidden = torch.randn(2, 5, TINY["hidden_size"])
    pooled = torch.randn(2, TINY["hidden_size"])
    inter = torch.randn(2, 5, TINY["intermediate_size"])
    ref_cfg = transformers.BertConfig(**TINY, attn_implementation=impl)
    our_cfg = eb.BertConfig(**TINY, attn_implementation=impl)
    ref_cfg._attn_implementation = impl
    cases = [
        ("BertEmbeddings", {"input_ids": torch.tensor([[1, 2, 3, 0]])}),
        ("BertSelfOutput", (hidden, hidden * 0.5)),
        ("BertIntermediate", (hidden,)),
        ("BertOutput", (inter, hidden)),
        ("BertPooler", (hidden,)),
        ("BertPredictionHeadTransform", (hidden,)),
        ("BertLMPredictionHead", (hidden,)),
        ("BertOnlyMLMHead", (hidden,)),
        ("BertOnlyNSPHead", (pooled,)),
        ("BertPreTrainingHeads", (hidden, pooled)),
        ("BertSelfAttention", (hidden,)),
        ("BertAttention", (hidden,)),
        ("BertLayer", (hidden,)),
    ]
    for name, args in cases:
        torch.manual_seed(0)
        ref_block = getattr(transformers.models.bert.modeling_bert, name)(ref_cfg).eval()
        our_block = getattr(eb, name)(our_cfg).eval()
        our_block.load_state_dict(ref_block.state_dict(), strict=True)
        call = (lambda m: m(**args)) if isinstance(args, dict) else (lambda m: m(*args))
        ref_out, our_out = call(ref_block), call(our_block)
        if name == "BertLayer":  # the reference layer returns the tensor alone, ours (tensor, weights...)
            our_out = our_out[0]
        if name in ("BertSelfAttention", "BertAttention"):
            ref_out, our_out = ref_out[0], our_out[0]
        assert_same(ref_out, our_out, name)
    torch.manual_seed(0)
    ref_enc = transformers.models.bert.modeling_bert.BertEncoder(ref_cfg).eval()
    our_enc = eb.BertEncoder(our_cfg).eval()
    our_enc.load_state_dict(ref_enc.state_dict(), strict=True)
    assert_same(ref_enc(hidden).last_hidden_state, our_enc(hidden).last_hidden_state, "BertEncoder")


def test_cross_attention_block_matches_reference():
    torch.manual_seed(0)
    ref_cfg = transformers.BertConfig(**TINY, is_decoder=True, add_cross_attention=True, attn_implementation="eager")
    our_cfg = eb.BertConfig(**TINY, is_decoder=True, add_cross_attention=True, attn_implementation="eager")
    ref_block = transformers.models.bert.modeling_bert.BertCrossAttention(ref_cfg).eval()
    our_block = eb.BertCrossAttention(our_cfg).eval()
    our_block.load_state_dict(ref_block.state_dict(), strict=True)
    hidden, enc = torch.randn(2, 3, 32), torch.randn(2, 6, 32)
    ref_out, our_out = ref_block(hidden, enc), our_block(hidden, enc)
    assert_same(ref_out, our_out)


# --- incremental decoding ---------------------------------------------------------------------


@pytest.mark.parametrize("impl", IMPLS)
def test_incremental_decoding_equals_full_forward_and_reference_cache(impl):
    ref, ours = make_pair("BertLMHeadModel", impl, is_decoder=True)
    ids = batch(batch_size=2, seq=6)["input_ids"].clamp(min=1)
    full = ours(ids).logits
    ref_cache = None
    our_cache = None
    steps = [ids[:, :3], ids[:, 3:4], ids[:, 4:5], ids[:, 5:6]]  # a 3-token prompt, then one token at a time
    seen = 0
    for chunk in steps:
        ref_out = ref(chunk, past_key_values=ref_cache, use_cache=True)
        our_out = ours(chunk, past_key_values=our_cache, use_cache=True)
        ref_cache, our_cache = ref_out.past_key_values, our_out.past_key_values
        assert isinstance(our_cache, DynamicCache)
        assert_same(ref_out.logits, our_out.logits)
        assert_same(full[:, seen : seen + chunk.shape[1]], our_out.logits)
        assert_cache_same(ref_cache, our_cache)
        seen += chunk.shape[1]
    assert our_cache.get_seq_length() == 6


@pytest.mark.parametrize("impl", IMPLS)
def test_incremental_decoding_with_padding_and_multi_token_steps(impl):
    ref, ours = make_pair("BertLMHeadModel", impl, is_decoder=True)
    b = batch(batch_size=2, seq=6, left_pad=True)
    ids, mask = b["input_ids"], b["attention_mask"]
    full = ours(ids, attention_mask=mask)
    first = ours(ids[:, :4], attention_mask=mask[:, :4], use_cache=True)
    second = ours(ids[:, 4:], attention_mask=mask, past_key_values=first.past_key_values, use_cache=True)
    assert_same(full.logits[:, 4:], second.logits)
    ref_first = ref(ids[:, :4], attention_mask=mask[:, :4], use_cache=True)
    ref_second = ref(ids[:, 4:], attention_mask=mask, past_key_values=ref_first.past_key_values, use_cache=True)
    assert_same(ref_second.logits, second.logits)


def test_legacy_tuple_cache_is_accepted():
    _, ours = make_pair("BertLMHeadModel", "sdpa", is_decoder=True)
    ids = batch(batch_size=2, seq=5)["input_ids"].clamp(min=1)
    first = ours(ids[:, :4], use_cache=True)
    legacy = first.past_key_values.to_legacy_cache()
    assert isinstance(legacy, tuple) and len(legacy) == TINY["num_hidden_layers"] and len(legacy[0]) == 2
    again = ours(ids[:, 4:], past_key_values=legacy, use_cache=True)
    assert_same(ours(ids).logits[:, 4:], again.logits)
    assert isinstance(again.past_key_values, DynamicCache)


@pytest.mark.parametrize("impl", IMPLS)
def test_incremental_decoding_with_cross_attention_cache(impl):
    ref, ours = make_pair("BertLMHeadModel", impl, is_decoder=True, add_cross_attention=True)
    ids = batch(batch_size=2, seq=4)["input_ids"].clamp(min=1)
    enc = torch.randn(2, 5, TINY["hidden_size"], generator=torch.Generator().manual_seed(2))
    full = ours(ids, encoder_hidden_states=enc).logits
    ref_cache = our_cache = None
    for t in range(4):
        ref_out = ref(ids[:, t : t + 1], encoder_hidden_states=enc, past_key_values=ref_cache, use_cache=True)
        our_out = ours(ids[:, t : t + 1], encoder_hidden_states=enc, past_key_values=our_cache, use_cache=True)
        ref_cache, our_cache = ref_out.past_key_values, our_out.past_key_values
        assert_same(full[:, t : t + 1], our_out.logits)
        assert_same(ref_out.logits, our_out.logits)
        assert_cache_same(ref_cache, our_cache)
    assert our_cache.is_updated == {0: True, 1: True}
    legacy = our_cache.to_legacy_cache()
    assert len(legacy[0]) == 4


# --- training features ------------------------------------------------------------------------


def test_gradient_checkpointing_gives_same_gradients():
    _, plain = make_pair("BertForMaskedLM", "sdpa", hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0)
    _, ckpt = make_pair("BertForMaskedLM", "sdpa", hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0)
    ckpt.gradient_checkpointing_enable()
    assert ckpt.bert.encoder.gradient_checkpointing
    b = batch()
    plain.train()
    ckpt.train()
    plain(**b, labels=b["input_ids"]).loss.backward()
    ckpt(**b, labels=b["input_ids"]).loss.backward()
    assert_grads_same(plain, ckpt)


@pytest.mark.parametrize("impl", IMPLS)
def test_chunked_feed_forward(impl):
    ref, ours = make_pair("BertModel", impl, chunk_size_feed_forward=7)
    run_both(ref, ours, batch(), backward_on="last_hidden_state")
    _, plain = make_pair("BertModel", impl)
    assert_same(plain(**batch()).last_hidden_state, ours(**batch()).last_hidden_state)
    with pytest.raises(ValueError, match="chunk_size_feed_forward"):
        ours(**batch(seq=6))


def test_dropout_is_active_in_training_mode():
    _, ours = make_pair("BertModel", "sdpa", hidden_dropout_prob=0.5)
    ours.train()
    b = batch()
    a, c = ours(**b).last_hidden_state, ours(**b).last_hidden_state
    assert not torch.allclose(a, c)


def test_init_weights_follow_reference_scheme():
    torch.manual_seed(0)
    model = eb.BertForMaskedLM(eb.BertConfig(**TINY, initializer_range=0.5))
    emb = model.bert.embeddings.word_embeddings.weight
    assert torch.all(emb[0] == 0)  # padding row
    assert 0.3 < emb[1:].std().item() < 0.7
    assert torch.all(model.cls.predictions.bias == 0)
    assert torch.all(model.bert.encoder.layer[0].output.LayerNorm.weight == 1)
    assert torch.all(model.bert.encoder.layer[0].attention.self.query.bias == 0)
    assert torch.equal(model.bert.embeddings.position_ids[0], torch.arange(TINY["max_position_embeddings"]))
    assert "bert.embeddings.position_ids" not in model.state_dict()


def test_untied_head_keeps_its_own_weights():
    ref, ours = make_pair("BertForMaskedLM", "sdpa", tie_word_embeddings=False)
    assert ours.cls.predictions.decoder.weight is not ours.bert.embeddings.word_embeddings.weight
    run_both(ref, ours, batch(), backward_on="logits")


# --- bad input --------------------------------------------------------------------------------


def test_bad_inputs_raise_like_reference():
    _, ours = make_pair("BertModel", "sdpa")
    ids = batch()["input_ids"]
    with pytest.raises(ValueError, match="exactly one of input_ids or inputs_embeds"):
        ours(input_ids=ids, inputs_embeds=torch.zeros(3, 7, 32))
    with pytest.raises(ValueError, match="exactly one of input_ids or inputs_embeds"):
        ours()
    with pytest.raises(ValueError, match="exactly one"):
        eb.BertForMultipleChoice(eb.BertConfig(**TINY))()
    with pytest.raises(ValueError, match="key positions"):
        ours(ids, attention_mask=torch.ones(3, 5))


def test_bad_configs_raise():
    with pytest.raises(ValueError, match="not a multiple of the number of attention heads"):
        eb.BertModel(eb.BertConfig(**{**TINY, "hidden_size": 30}))
    with pytest.raises(ConfigError, match="is_decoder"):
        eb.BertModel(eb.BertConfig(**TINY, add_cross_attention=True))
    with pytest.raises(ConfigError, match="position_embedding_type"):
        eb.BertConfig(**TINY, position_embedding_type="rotary")
    with pytest.raises(KeyError, match="sdpa"):
        eb.BertModel(eb.BertConfig(**TINY, attn_implementation="flash_attention_42"))
    with pytest.raises(KeyError, match="gelu_new"):
        eb.BertModel(eb.BertConfig(**TINY, hidden_act="not_an_activation"))


def test_decoder_without_cross_attention_rejects_encoder_states():
    _, ours = make_pair("BertLMHeadModel", "sdpa", is_decoder=True)
    with pytest.raises(ValueError, match="add_cross_attention=True"):
        ours(batch()["input_ids"], encoder_hidden_states=torch.zeros(3, 4, 32))


def test_lm_head_rejects_unknown_keyword():
    _, ours = make_pair("BertLMHeadModel", "sdpa", is_decoder=True)
    with pytest.raises(TypeError, match="output_scores"):
        ours(batch()["input_ids"], output_scores=True)


def test_config_matches_reference_defaults():
    ours, ref = eb.BertConfig(), transformers.BertConfig()
    for name in ["vocab_size", "hidden_size", "num_hidden_layers", "num_attention_heads", "intermediate_size",
                 "hidden_act", "hidden_dropout_prob", "attention_probs_dropout_prob", "max_position_embeddings",
                 "type_vocab_size", "initializer_range", "layer_norm_eps", "pad_token_id", "use_cache",
                 "classifier_dropout", "is_decoder", "add_cross_attention", "bos_token_id", "eos_token_id",
                 "tie_word_embeddings"]:
        assert getattr(ours, name) == getattr(ref, name), name
    assert ours.model_type == "bert" and ours.position_embedding_type == "absolute"


# --- files on disk --------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["BertForMaskedLM", "BertForSequenceClassification", "BertLMHeadModel"])
def test_checkpoints_round_trip_with_reference(tmp_path, name):
    extra = {"is_decoder": True} if name == "BertLMHeadModel" else {}
    ref, _ = make_pair(name, "sdpa", **extra)
    ref.save_pretrained(tmp_path / "ref")
    ours = getattr(eb, name).from_pretrained(tmp_path / "ref").eval()
    inputs = batch()
    assert_same(ref(**inputs), ours(**inputs))
    ours.save_pretrained(tmp_path / "ours")
    assert (tmp_path / "ours" / "config.json").read_text() == (tmp_path / "ref" / "config.json").read_text()
    back = getattr(transformers, name).from_pretrained(tmp_path / "ours").eval()
    assert_same(ref(**inputs), back(**inputs))


def test_hidden_state_selection_by_index():
    ref, ours = make_pair("BertModel", "sdpa")
    for selection in ([0, -1], 1):
        _, out = run_both(ref, ours, {**batch(), "output_hidden_states": selection})
        assert sum(h is not None for h in out.hidden_states) == (2 if isinstance(selection, list) else 1)
