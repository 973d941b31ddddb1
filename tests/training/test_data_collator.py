"""Data collators vs transformers' on the real MiniLM tokenizer: same batches, same masks per seed."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch

from embrace.errors import DataCollatorError
from embrace.training import data_collator as ours

ref = pytest.importorskip("transformers.data.data_collator")

# the reference's own warnings (whole-word masking setting, slow tensor creation) are not ours to test
pytestmark = [pytest.mark.filterwarnings("ignore:Random token replacement:UserWarning"),
              pytest.mark.filterwarnings("ignore:Creating a tensor from a list of numpy:UserWarning")]

TEXTS = [
    "hello world",
    "a much longer sentence about unbelievable tokenization here",
    "short one",
    "the quick brown fox jumps over the lazy dog again and again",
]


@pytest.fixture(scope="module")
def toks(minilm_dir):
    """(ours, reference) MiniLM tokenizers."""
    import transformers

    from embrace import AutoTokenizer

    return AutoTokenizer.from_pretrained(minilm_dir), transformers.AutoTokenizer.from_pretrained(minilm_dir)


@pytest.fixture
def left_padded(toks):
    """Both tokenizers switched to left padding for one test."""
    for tok in toks:
        tok.padding_side = "left"
    yield toks
    for tok in toks:
        tok.padding_side = "right"


@pytest.fixture(scope="module")
def encoded(toks):
    return [dict(toks[0](text)) for text in TEXTS]


def assert_same_batch(a, b):
    """Same keys, container types, dtypes, shapes and values."""
    assert set(a) == set(b)
    for key in a:
        x, y = a[key], b[key]
        assert type(x) is type(y), key
        if isinstance(x, (torch.Tensor, np.ndarray)):
            assert x.dtype == y.dtype, key
            assert tuple(x.shape) == tuple(y.shape), key
            assert np.array_equal(np.asarray(x), np.asarray(y)), key
        else:
            assert x == y, key


def run_both(make, features, *, seed=0):
    """Call ours and the reference collator with the same global RNG state (torch and numpy)."""
    out = []
    for module in (ours, ref):
        torch.manual_seed(seed)
        np.random.seed(seed)
        out.append(make(module)(features))
    return out


# --- default_data_collator --------------------------------------------------------------


@dataclasses.dataclass
class _Row:
    input_ids: list
    label: int


DEFAULT_CASES = {
    "int label": [{"input_ids": [1, 2, 3], "label": 1, "text": "a"}, {"input_ids": [4, 5, 6], "label": 0, "text": "b"}],
    "float label": [{"x": [0.5, 1.0], "label": 1.5}, {"x": [2.0, 3.0], "label": 0.25}],
    "numpy label": [{"input_ids": [1, 2], "label": np.int64(3)}, {"input_ids": [3, 4], "label": np.int64(1)}],
    "label_ids": [{"input_ids": [1, 2], "label_ids": [1, 0]}, {"input_ids": [3, 4], "label_ids": [0, 1]}],
    "float label_ids": [{"input_ids": [1], "label_ids": [0.5, 1.5]}, {"input_ids": [3], "label_ids": [2.0, 1.0]}],
    "arrays": [{"pixel": np.ones((2, 3), dtype=np.float32), "label": None}, {"pixel": np.zeros((2, 3), dtype=np.float32), "label": None}],
    "none dropped": [{"input_ids": [1, 2], "extra": None}, {"input_ids": [3, 4], "extra": None}],
}


@pytest.mark.parametrize("return_tensors", ["pt", "np"])
@pytest.mark.parametrize("case", sorted(DEFAULT_CASES))
def test_default_collator_matches_reference(case, return_tensors):
    features = DEFAULT_CASES[case]
    assert_same_batch(ours.default_data_collator(features, return_tensors),
                      ref.default_data_collator(features, return_tensors))
    assert_same_batch(ours.DefaultDataCollator(return_tensors=return_tensors)(features),
                      ref.DefaultDataCollator(return_tensors=return_tensors)(features))


def test_default_collator_tensors_and_objects():
    features = [{"input_ids": torch.tensor([1, 2]), "label": torch.tensor(1), "label_ids": None},
                {"input_ids": torch.tensor([3, 4]), "label": torch.tensor(0), "label_ids": None}]
    assert_same_batch(ours.default_data_collator(features), ref.default_data_collator(features))
    tensor_labels = [{"label_ids": torch.tensor([1.0, 2.0])}, {"label_ids": torch.tensor([3.0, 4.0])}]
    assert_same_batch(ours.default_data_collator(tensor_labels), ref.default_data_collator(tensor_labels))
    rows = [_Row([1, 2], 1), _Row([3, 4], 0)]
    assert_same_batch(ours.default_data_collator(rows), ref.default_data_collator(rows))


def test_default_collator_bad_input():
    with pytest.raises(KeyError, match="same keys.*missing \\['label'\\]"):
        ours.default_data_collator([{"input_ids": [1], "label": 0}, {"input_ids": [2]}])
    with pytest.raises(ValueError, match="Cannot batch key 'label_ids'.*lengths \\[1, 2\\]"):
        ours.default_data_collator([{"label_ids": [1]}, {"label_ids": [1, 2]}])
    with pytest.raises(DataCollatorError, match="'input_ids'.*DataCollatorWithPadding"):
        ours.default_data_collator([{"input_ids": [1, 2, 3]}, {"input_ids": [1]}], return_tensors="np")
    with pytest.raises(ValueError, match="empty"):
        ours.default_data_collator([])
    with pytest.raises(ValueError, match="'tf' not recognized"):
        ours.default_data_collator([{"input_ids": [1]}], return_tensors="tf")
    with pytest.raises(ValueError, match="'jax' not recognized"):
        ours.DefaultDataCollator()([{"input_ids": [1]}], return_tensors="jax")


# --- padding collators --------------------------------------------------------------------


@pytest.mark.parametrize("return_tensors", ["pt", "np"])
@pytest.mark.parametrize("options", [{}, {"pad_to_multiple_of": 8}, {"padding": "max_length", "max_length": 20},
                                     {"padding": "longest", "max_length": 5}])
def test_with_padding_matches_reference(toks, encoded, options, return_tensors):
    features = [dict(row, label=i % 2) for i, row in enumerate(encoded)]
    a, b = (module.DataCollatorWithPadding(tok, return_tensors=return_tensors, **options)(features)
            for module, tok in zip((ours, ref), toks))
    assert_same_batch(dict(a), dict(b))
    assert "labels" in a and "label" not in a


def test_with_padding_label_ids_and_left_side(left_padded, encoded):
    features = [dict(row, label_ids=[i, i + 1]) for i, row in enumerate(encoded)]
    a, b = (module.DataCollatorWithPadding(tok)(features) for module, tok in zip((ours, ref), left_padded))
    assert_same_batch(dict(a), dict(b))
    assert a["input_ids"][0, 0].item() == left_padded[0].pad_token_id


def test_with_padding_bad_input(toks, encoded):
    with pytest.raises(KeyError, match="same keys"):
        ours.DataCollatorWithPadding(toks[0])([encoded[0], {"input_ids": [101, 102]}])
    with pytest.raises(ValueError, match="'tf' not recognized"):
        ours.DataCollatorWithPadding(toks[0], return_tensors="tf")(encoded)
    with pytest.raises(ValueError, match="'jax' not recognized"):
        ours.DataCollatorForTokenClassification(toks[0])(encoded, return_tensors="jax")


@pytest.mark.parametrize("return_tensors", ["pt", "np"])
@pytest.mark.parametrize("label_name", ["labels", "label"])
def test_token_classification_matches_reference(toks, encoded, return_tensors, label_name):
    features = [dict(row, **{label_name: list(range(len(row["input_ids"])))}) for row in encoded]
    for options in ({}, {"pad_to_multiple_of": 8, "label_pad_token_id": -1}):
        a, b = (module.DataCollatorForTokenClassification(tok, return_tensors=return_tensors, **options)(features)
                for module, tok in zip((ours, ref), toks))
        assert_same_batch(dict(a), dict(b))
    no_labels = [dict(row) for row in encoded]
    a, b = (module.DataCollatorForTokenClassification(tok)(no_labels) for module, tok in zip((ours, ref), toks))
    assert_same_batch(dict(a), dict(b))


def test_token_classification_left_padding(left_padded, encoded):
    features = [dict(row, labels=torch.arange(len(row["input_ids"]))) for row in encoded]
    a, b = (module.DataCollatorForTokenClassification(tok)(features) for module, tok in zip((ours, ref), left_padded))
    assert_same_batch(dict(a), dict(b))
    assert a["labels"][0, 0].item() == -100


@pytest.mark.parametrize("return_tensors", ["pt", "np"])
def test_multiple_choice(toks, return_tensors):
    tok = toks[0]
    features = [{**{k: [tok(TEXTS[i])[k], tok(TEXTS[i + 1])[k]] for k in ("input_ids", "attention_mask")},
                 "label": i % 2} for i in range(3)]
    batch = ours.DataCollatorForMultipleChoice(tok, return_tensors=return_tensors)(features)
    if return_tensors == "pt":
        assert_same_batch(batch, ref.DataCollatorForMultipleChoice(toks[1])(features))
    assert tuple(batch["input_ids"].shape[:2]) == (3, 2)
    assert batch["labels"].tolist() == [0, 1, 0]


class _ShiftRight:
    """Stands in for a seq2seq model: decoder inputs are the labels shifted right (pad 0)."""

    def prepare_decoder_input_ids_from_labels(self, labels):
        labels = torch.as_tensor(labels)
        shifted = labels.new_zeros(labels.shape)
        shifted[:, 1:] = labels[:, :-1]
        return shifted.masked_fill(shifted == -100, 0)


@pytest.mark.parametrize("return_tensors", ["pt", "np"])
@pytest.mark.parametrize("options", [{}, {"pad_to_multiple_of": 4}, {"padding": "max_length", "max_length": 16},
                                     {"label_pad_token_id": -1}])
def test_seq2seq_matches_reference(toks, encoded, return_tensors, options):
    for as_array in (False, True):
        features = [dict(row, labels=np.arange(i + 2) if as_array else list(range(i + 2)))
                    for i, row in enumerate(encoded)]
        a, b = (module.DataCollatorForSeq2Seq(tok, return_tensors=return_tensors, **options)(features)
                for module, tok in zip((ours, ref), toks))
        assert_same_batch(dict(a), dict(b))


def test_seq2seq_model_unpadded_and_missing_labels(toks, encoded):
    features = [dict(row, labels=list(range(i + 2))) for i, row in enumerate(encoded)]
    a, b = (module.DataCollatorForSeq2Seq(tok, model=_ShiftRight())(features) for module, tok in zip((ours, ref), toks))
    assert_same_batch(dict(a), dict(b))
    assert a["decoder_input_ids"][0].tolist() == [0, 0, 1, 0, 0]
    same = [{"input_ids": [101, 7, 102], "labels": [1, 2]}, {"input_ids": [101, 8, 102], "labels": [3, 4]}]
    a, b = (module.DataCollatorForSeq2Seq(tok, padding=False)(same) for module, tok in zip((ours, ref), toks))
    assert_same_batch(dict(a), dict(b))
    none_labels = [dict(row, labels=None) for row in encoded]
    a, b = (module.DataCollatorForSeq2Seq(tok)(none_labels) for module, tok in zip((ours, ref), toks))
    assert_same_batch(dict(a), dict(b))
    assert a["labels"] is None


def test_seq2seq_left_padding(left_padded, encoded):
    features = [dict(row, labels=list(range(i + 2))) for i, row in enumerate(encoded)]
    a, b = (module.DataCollatorForSeq2Seq(tok, model=_ShiftRight())(features)
            for module, tok in zip((ours, ref), left_padded))
    assert_same_batch(dict(a), dict(b))
    assert a["labels"][0].tolist() == [-100, -100, -100, 0, 1]


# --- language modeling --------------------------------------------------------------------


@pytest.mark.parametrize("return_tensors", ["pt", "np"])
@pytest.mark.parametrize("seed", [None, 7])
@pytest.mark.parametrize("special_mask", [False, True])
def test_mlm_masks_match_reference(toks, return_tensors, seed, special_mask):
    features = [dict(toks[0](text, return_special_tokens_mask=special_mask)) for text in TEXTS]
    for options in ({"mlm_probability": 0.5}, {"mlm_probability": 0.6, "mask_replace_prob": 0.5,
                                               "random_replace_prob": 0.4, "pad_to_multiple_of": 8}):
        collators = [module.DataCollatorForLanguageModeling(tok, return_tensors=return_tensors, seed=seed, **options)
                     for module, tok in zip((ours, ref), toks)]
        # two calls: a seeded collator keeps drawing from its own generator
        for call in range(2):
            a, b = run_both(lambda module: collators[module is ref], features, seed=call)
            assert_same_batch(dict(a), dict(b))


@pytest.mark.parametrize("return_tensors", ["pt", "np"])
def test_mlm_on_plain_id_lists(toks, return_tensors):
    ids = [toks[0](text)["input_ids"] for text in TEXTS]
    for rows in (ids, [np.array(row, dtype=np.int32) for row in ids], [row[:4] for row in ids]):
        a, b = run_both(lambda m: m.DataCollatorForLanguageModeling(
            toks[m is ref], return_tensors=return_tensors, mlm_probability=0.4), rows, seed=3)
        assert_same_batch(dict(a), dict(b))
    tensors = [torch.tensor(row) for row in ids]
    a, b = run_both(lambda m: m.DataCollatorForLanguageModeling(toks[m is ref], pad_to_multiple_of=8), tensors)
    assert_same_batch(dict(a), dict(b))


@pytest.mark.parametrize("return_tensors", ["pt", "np"])
def test_whole_word_mask_matches_reference(toks, return_tensors):
    features = [dict(toks[0](text, return_offsets_mapping=True, padding="max_length", max_length=16,
                             return_special_tokens_mask=True)) for text in TEXTS]
    with pytest.warns(UserWarning, match="Random token replacement"):
        collator = ours.DataCollatorForLanguageModeling(toks[0], whole_word_mask=True, mlm_probability=0.5,
                                                        return_tensors=return_tensors)
    a, b = run_both(lambda m: collator if m is ours else m.DataCollatorForLanguageModeling(
        toks[1], whole_word_mask=True, mlm_probability=0.5, return_tensors=return_tensors), features, seed=5)
    assert_same_batch(dict(a), dict(b))
    # a word split into pieces ("unbelievable" -> several tokens) is masked all together or not at all
    masked = np.asarray(a["labels"]) != -100
    pieces = 0
    for row, feature in enumerate(features):
        offsets, special = feature["offset_mapping"], feature["special_tokens_mask"]
        for i in range(1, len(offsets)):
            if not special[i] and not special[i - 1] and offsets[i][0] == offsets[i - 1][1]:
                pieces += 1
                assert masked[row, i] == masked[row, i - 1]
    assert pieces > 0 and masked.any()


def test_mlm_never_masks_special_tokens(toks):
    tok = toks[0]
    collator = ours.DataCollatorForLanguageModeling(tok, mlm_probability=1.0, mask_replace_prob=1.0,
                                                    random_replace_prob=0.0)
    batch = collator([dict(tok(text)) for text in TEXTS])
    specials = torch.isin(batch["labels"], torch.tensor(tok.all_special_ids))
    assert not specials.any()
    original = ours.DataCollatorWithPadding(tok)([dict(tok(text)) for text in TEXTS])["input_ids"]
    is_special = torch.isin(original, torch.tensor(tok.all_special_ids))
    assert torch.equal(batch["input_ids"][is_special], original[is_special])
    assert (batch["input_ids"][~is_special] == tok.mask_token_id).all()
    assert torch.equal(batch["labels"][~is_special], original[~is_special])


@pytest.mark.parametrize("return_tensors", ["pt", "np"])
def test_clm_labels(toks, encoded, return_tensors):
    a, b = (module.DataCollatorForLanguageModeling(tok, mlm=False, return_tensors=return_tensors)(encoded)
            for module, tok in zip((ours, ref), toks))
    assert_same_batch(dict(a), dict(b))
    assert (np.asarray(a["labels"])[np.asarray(a["attention_mask"]) == 0] == -100).all()


def test_language_modeling_bad_input(toks, encoded):
    from embrace.tokenization import PreTrainedTokenizer
    from embrace.tokenizers import Tokenizer
    from embrace.tokenizers.models import WordLevel

    no_mask = PreTrainedTokenizer(tokenizer_object=Tokenizer(WordLevel({"a": 0, "b": 1}, unk_token="a")))
    with pytest.raises(ValueError, match="does not have a mask token.*mlm=False"):
        ours.DataCollatorForLanguageModeling(no_mask)
    with pytest.raises(ValueError, match="does not have a pad token"):
        ours.DataCollatorForLanguageModeling(no_mask, mlm=False)([[0, 1], [1]])
    tok = toks[0]
    for bad in ({"mlm_probability": 1.5}, {"mlm_probability": None}, {"mask_replace_prob": 0.8, "random_replace_prob": 0.3},
                {"mask_replace_prob": -0.1}, {"mlm": False, "whole_word_mask": True}):
        with pytest.raises(ValueError):
            ours.DataCollatorForLanguageModeling(tok, **bad)
    with pytest.warns(UserWarning):
        wwm = ours.DataCollatorForLanguageModeling(tok, whole_word_mask=True)
    with pytest.raises(DataCollatorError, match="return_offsets_mapping=True"):
        wwm(encoded)
    with pytest.raises(KeyError, match="same keys"):
        ours.DataCollatorForLanguageModeling(tok)([encoded[0], {"input_ids": [101, 102]}])
    with pytest.raises(ValueError, match="empty"):
        ours.DataCollatorForLanguageModeling(tok)([])


# --- padding-free packing -----------------------------------------------------------------


@pytest.mark.parametrize("return_tensors", ["pt", "np"])
@pytest.mark.parametrize("options", [{}, {"return_flash_attn_kwargs": True, "return_seq_idx": True},
                                     {"return_position_ids": False, "separator_id": -1, "position_ids_start": 2}])
def test_flattening_matches_reference(toks, return_tensors, options):
    ids = [toks[0](text)["input_ids"] for text in TEXTS]
    for features in ([{"input_ids": row} for row in ids],
                     [{"input_ids": torch.tensor(row), "labels": torch.tensor(row[::-1])} for row in ids]):
        a, b = (module.DataCollatorWithFlattening(return_tensors=return_tensors, **options)(features)
                for module in (ours, ref))
        assert_same_batch(a, b)
    a = ours.DataCollatorWithFlattening(**options)(features, separator_id=-7)
    assert a["labels"][0, 0].item() == -7


def test_flattening_layout_and_errors():
    batch = ours.DataCollatorWithFlattening(return_flash_attn_kwargs=True)([{"input_ids": [5, 6, 7]}, {"input_ids": [8, 9]}])
    assert batch["input_ids"].tolist() == [[5, 6, 7, 8, 9]]
    assert batch["labels"].tolist() == [[-100, 6, 7, -100, 9]]
    assert batch["position_ids"].tolist() == [[0, 1, 2, 0, 1]]
    assert batch["cu_seq_lens_q"].tolist() == [0, 3, 5] and batch["cu_seq_lens_q"].dtype == torch.int32
    assert batch["max_length_k"] == 3
    with pytest.raises(ValueError, match="return_tensors must be one of"):
        ours.DataCollatorWithFlattening(return_tensors="tf")([{"input_ids": [1]}])
    with pytest.raises(TypeError):
        ours.DataCollatorWithFlattening(unknown_option=True)
