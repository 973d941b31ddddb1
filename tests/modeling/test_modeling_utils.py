"""PreTrainedModel behaviour (init, tying, embeddings, resizing, checkpointing, masks),
checked against the reference on tiny BERT models and on a tiny in-test family."""

from __future__ import annotations

import copy

import pytest
import torch
import transformers
from torch import nn

import embrace.models.bert as ours_bert
from embrace.configuration import PretrainedConfig
from embrace.errors import UnknownKeyError
from embrace.modeling.modeling_utils import PreTrainedModel
from tests.oracle.legacy import run_legacy

transformers.logging.set_verbosity_error()

TINY = dict(
    vocab_size=99,
    hidden_size=32,
    num_hidden_layers=2,
    num_attention_heads=4,
    intermediate_size=37,
    max_position_embeddings=64,
)
CLASSES = ["BertModel", "BertForSequenceClassification", "BertForMaskedLM", "BertForPreTraining"]


def build(lib, name: str, seed: int = 0, **overrides):
    torch.manual_seed(seed)
    return getattr(lib, name)(lib.BertConfig(**{**TINY, **overrides}))


def pair(name: str, **overrides):
    """(reference, embrace) with identical weights, in eval mode."""
    ref = build(transformers, name, **overrides).eval()
    ours = getattr(ours_bert, name)(ours_bert.BertConfig(**{**TINY, **overrides})).eval()
    ours.load_state_dict(ref.state_dict())
    return ref, ours


IDS = torch.tensor([[2, 5, 7, 9, 11, 0], [3, 4, 98, 6, 0, 0]])
MASK = torch.tensor([[1, 1, 1, 1, 1, 0], [1, 1, 1, 1, 0, 0]])


# --- construction and init ------------------------------------------------------------


@pytest.mark.parametrize("name", CLASSES)
def test_seeded_init_equals_reference(name: str) -> None:
    """Same seed, same class, same config: the very same initial weights as the reference."""
    ref_state = build(transformers, name).state_dict()
    ours_state = build(ours_bert, name).state_dict()
    assert list(ours_state) == list(ref_state)
    for key, value in ref_state.items():
        assert torch.equal(ours_state[key], value), key


@pytest.mark.parametrize("name", CLASSES)
def test_num_parameters_matches_reference(name: str) -> None:
    ref, ours = build(transformers, name), build(ours_bert, name)
    for only_trainable in (False, True):
        for exclude_embeddings in (False, True):
            kwargs = dict(only_trainable=only_trainable, exclude_embeddings=exclude_embeddings)
            assert ours.num_parameters(**kwargs) == ref.num_parameters(**kwargs), kwargs
    ours.bert.embeddings.requires_grad_(False) if name != "BertModel" else ours.embeddings.requires_grad_(False)
    assert ours.num_parameters(only_trainable=True) < ours.num_parameters()


def test_attn_implementation_resolution() -> None:
    model = build(ours_bert, "BertModel")
    assert model.config._attn_implementation == "sdpa"
    eager = ours_bert.BertModel(ours_bert.BertConfig(**TINY, attn_implementation="eager"))
    assert eager.config._attn_implementation == "eager"
    with pytest.raises(UnknownKeyError, match="sdpa"):
        ours_bert.BertModel(ours_bert.BertConfig(**TINY, attn_implementation="flash_nope"))
    model.set_attn_implementation("eager")
    assert model.config._attn_implementation == "eager"
    with pytest.raises(UnknownKeyError):
        model.set_attn_implementation("nope")


def test_constructor_rejects_non_config() -> None:
    with pytest.raises(TypeError, match="PretrainedConfig"):
        ours_bert.BertModel({"hidden_size": 32})


def test_from_config_and_dtype() -> None:
    config = ours_bert.BertConfig(**TINY)
    model = ours_bert.BertModel._from_config(config, dtype=torch.bfloat16)
    assert model.dtype == torch.bfloat16 and config.dtype == torch.bfloat16
    assert ours_bert.BertModel.from_config(ours_bert.BertConfig(**TINY), attn_implementation="eager").config._attn_implementation == "eager"
    assert torch.get_default_dtype() == torch.float32  # restored
    assert not ours_bert.BertModel.can_generate()


def test_device_dtype_base_model() -> None:
    model = build(ours_bert, "BertForSequenceClassification")
    assert model.device == torch.device("cpu") and model.dtype == torch.float32
    assert model.base_model is model.bert
    assert model.bert.base_model is model.bert
    assert model.get_memory_footprint() == build(transformers, "BertForSequenceClassification").get_memory_footprint()


# --- tying and embeddings ---------------------------------------------------------------


def test_tied_and_untied_heads() -> None:
    model = build(ours_bert, "BertForMaskedLM")
    assert model.cls.predictions.decoder.weight is model.bert.embeddings.word_embeddings.weight
    assert model.cls.predictions.decoder.bias is model.cls.predictions.bias
    untied = build(ours_bert, "BertForMaskedLM", tie_word_embeddings=False)
    ref_untied = build(transformers, "BertForMaskedLM", tie_word_embeddings=False)
    assert untied.cls.predictions.decoder.weight is not untied.bert.embeddings.word_embeddings.weight
    assert untied.num_parameters() == ref_untied.num_parameters()


def test_embedding_accessors() -> None:
    model = build(ours_bert, "BertForMaskedLM")
    assert model.get_input_embeddings() is model.bert.embeddings.word_embeddings
    assert model.get_output_embeddings() is model.cls.predictions.decoder
    assert build(ours_bert, "BertForSequenceClassification").get_output_embeddings() is None
    new = nn.Embedding(99, 32)
    model.set_input_embeddings(new)
    assert model.bert.embeddings.word_embeddings is new
    model.tie_weights()
    assert model.cls.predictions.decoder.weight is new.weight


@pytest.mark.parametrize("mean_resizing", [False, True])
@pytest.mark.parametrize(("new_num_tokens", "pad_to_multiple_of"), [(120, None), (90, None), (None, 16), (101, 8)])
def test_resize_token_embeddings_matches_reference(new_num_tokens, pad_to_multiple_of, mean_resizing: bool) -> None:
    ref, ours = pair("BertForMaskedLM")
    torch.manual_seed(5)
    ref_emb = ref.resize_token_embeddings(new_num_tokens, pad_to_multiple_of=pad_to_multiple_of, mean_resizing=mean_resizing)
    torch.manual_seed(5)
    ours_emb = ours.resize_token_embeddings(new_num_tokens, pad_to_multiple_of=pad_to_multiple_of, mean_resizing=mean_resizing)
    # Same RNG draws in the same order: identical new rows, not just identical shapes.
    assert torch.equal(ours_emb.weight, ref_emb.weight)
    assert ours.config.vocab_size == ref.config.vocab_size == ours_emb.weight.shape[0]
    assert ours.cls.predictions.bias.shape == ref.cls.predictions.bias.shape
    assert torch.equal(ours.cls.predictions.bias, ref.cls.predictions.bias)
    assert ours.cls.predictions.decoder.weight is ours.bert.embeddings.word_embeddings.weight
    assert ours.cls.predictions.decoder.out_features == ours_emb.num_embeddings
    with torch.no_grad():
        torch.testing.assert_close(ours(IDS % 90).logits, ref(IDS % 90).logits, atol=1e-5, rtol=0)


def test_resize_mean_rows_statistics() -> None:
    """With mean_resizing the added rows sit at the old rows' mean (tiny covariance)."""
    model = build(ours_bert, "BertModel")
    old = model.get_input_embeddings().weight.detach().clone()
    model.resize_token_embeddings(110)
    new = model.get_input_embeddings().weight.detach()
    assert torch.equal(new[:99], old)
    torch.testing.assert_close(new[99:], old.mean(0).expand(11, -1), atol=1e-3, rtol=0)


def test_resize_untied_head_and_no_op() -> None:
    ref, ours = pair("BertForMaskedLM", tie_word_embeddings=False)
    same = ours.resize_token_embeddings()
    assert same is ours.get_input_embeddings() and same.weight.shape[0] == 99
    torch.manual_seed(3)
    ref.resize_token_embeddings(105, mean_resizing=False)
    torch.manual_seed(3)
    ours.resize_token_embeddings(105, mean_resizing=False)
    assert ours.cls.predictions.decoder.weight is not ours.bert.embeddings.word_embeddings.weight
    assert ours.cls.predictions.decoder.weight.shape == (105, 32)
    for (name, a), (_, b) in zip(sorted(ours.state_dict().items()), sorted(ref.state_dict().items())):
        assert a.shape == b.shape and torch.equal(a, b), name


def test_resize_rejects_bad_arguments() -> None:
    model = build(ours_bert, "BertModel")
    with pytest.raises(ValueError, match="pad_to_multiple_of"):
        model.resize_token_embeddings(100, pad_to_multiple_of=2.5)


# --- gradient checkpointing ---------------------------------------------------------------


@pytest.mark.parametrize("kwargs", [None, {"use_reentrant": True}])
def test_gradient_checkpointing_same_loss_and_grads(kwargs) -> None:
    torch.manual_seed(0)
    plain = build(ours_bert, "BertForSequenceClassification", hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0)
    checkpointed = copy.deepcopy(plain)
    checkpointed.gradient_checkpointing_enable(gradient_checkpointing_kwargs=kwargs)
    assert checkpointed.is_gradient_checkpointing and not plain.is_gradient_checkpointing
    plain.train()
    checkpointed.train()
    labels = torch.tensor([0, 1])
    loss_a = plain(input_ids=IDS, attention_mask=MASK, labels=labels).loss
    loss_b = checkpointed(input_ids=IDS, attention_mask=MASK, labels=labels).loss
    loss_a.backward()
    loss_b.backward()
    torch.testing.assert_close(loss_b, loss_a, atol=1e-6, rtol=0)
    for (name, a), (_, b) in zip(plain.named_parameters(), checkpointed.named_parameters()):
        torch.testing.assert_close(b.grad, a.grad, atol=1e-6, rtol=0, msg=name)
    checkpointed.gradient_checkpointing_disable()
    assert not checkpointed.is_gradient_checkpointing


def test_gradient_checkpointing_unsupported_raises() -> None:
    class NoCheckpointing(PreTrainedModel):
        config_class = PretrainedConfig

        def __init__(self, config):
            super().__init__(config)
            self.lin = nn.Linear(2, 2)
            self.post_init()

    with pytest.raises(ValueError, match="gradient checkpointing"):
        NoCheckpointing(PretrainedConfig()).gradient_checkpointing_enable()


# --- attention mask helpers (removed from the current reference; checked against v4) ------


def test_extended_attention_masks_match_legacy_reference() -> None:
    encoder = build(ours_bert, "BertModel")
    decoder = build(ours_bert, "BertModel", is_decoder=True)
    mask = torch.tensor([[1, 1, 0], [1, 0, 0]])
    mask3d = torch.tensor([[[1, 0], [1, 1]]])
    ours = {
        "encoder": encoder.get_extended_attention_mask(mask, (2, 3)).tolist(),
        "decoder": decoder.get_extended_attention_mask(mask, (2, 3)).tolist(),
        "three_d": encoder.get_extended_attention_mask(mask3d, (1, 2)).tolist(),
        "fp16": encoder.get_extended_attention_mask(mask, (2, 3), dtype=torch.float16).tolist(),
        "inverted": encoder.invert_attention_mask(mask).tolist(),
    }
    reference = run_legacy(
        """
        import torch, transformers
        cfg = dict(vocab_size=99, hidden_size=32, num_hidden_layers=2, num_attention_heads=4, intermediate_size=37)
        enc = transformers.BertModel(transformers.BertConfig(**cfg))
        dec = transformers.BertModel(transformers.BertConfig(**cfg, is_decoder=True))
        mask = torch.tensor([[1, 1, 0], [1, 0, 0]])
        mask3d = torch.tensor([[[1, 0], [1, 1]]])
        result = {
            "encoder": enc.get_extended_attention_mask(mask, (2, 3)).tolist(),
            "decoder": dec.get_extended_attention_mask(mask, (2, 3)).tolist(),
            "three_d": enc.get_extended_attention_mask(mask3d, (1, 2)).tolist(),
            "fp16": enc.get_extended_attention_mask(mask, (2, 3), dtype=torch.float16).tolist(),
            "inverted": enc.invert_attention_mask(mask).tolist(),
        }
        """
    )
    assert ours == reference


def test_extended_attention_mask_bad_rank() -> None:
    with pytest.raises(ValueError, match="attention_mask"):
        build(ours_bert, "BertModel").get_extended_attention_mask(torch.ones(1, 1, 1, 1, 1), (1, 1))


# --- a family that relies on the defaults ---------------------------------------------------


class _NestedConfig(PretrainedConfig):
    model_type = "nested-test"
    initializer_range: float = 0.5
    tie_word_embeddings: bool = True


class _Inner(PreTrainedModel):
    config_class = _NestedConfig
    calls: list[str] = []

    def __init__(self, config):
        super().__init__(config)
        self.embed_tokens = nn.Embedding(7, 3, padding_idx=1)
        self.norm = nn.LayerNorm(3)
        self.post_init()

    def _init_weights(self, module: nn.Module) -> None:
        _Inner.calls.append(type(module).__name__)
        super()._init_weights(module)


class _Outer(PreTrainedModel):
    config_class = _NestedConfig
    base_model_prefix = "inner"
    _tied_weights_keys = {"head.weight": "inner.embed_tokens.weight"}

    def __init__(self, config):
        super().__init__(config)
        self.inner = _Inner(config)
        self.head = nn.Linear(3, 7, bias=False)
        self.post_init()

    def get_output_embeddings(self):
        return self.head


def test_default_init_dispatch_and_tying() -> None:
    _Inner.calls.clear()
    model = _Outer(_NestedConfig())
    # the inner model initialised its own modules once; the outer did not redo them
    assert sorted(_Inner.calls) == ["Embedding", "LayerNorm", "_Inner"]
    assert model.head.weight is model.inner.embed_tokens.weight
    assert torch.equal(model.inner.embed_tokens.weight[1], torch.zeros(3))  # padding row
    assert torch.equal(model.inner.norm.weight, torch.ones(3))
    assert 0.2 < float(model.inner.embed_tokens.weight.detach().std()) < 1.0  # std from initializer_range
    assert model.get_input_embeddings() is model.inner.embed_tokens
    assert model.all_tied_weights_keys == {"head.weight": "inner.embed_tokens.weight"}
    before = model.inner.norm.weight.clone()
    with torch.no_grad():
        model.inner.norm.weight.mul_(3)
    model.init_weights()  # re-initialises on demand
    assert torch.equal(model.inner.norm.weight, before)
