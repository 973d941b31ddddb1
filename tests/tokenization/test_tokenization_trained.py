"""Tokenizers trained with the reference ``tokenizers`` library (BPE, WordPiece, Unigram),
wrapped in the reference's ``PreTrainedTokenizerFast`` and saved: our AutoTokenizer loads
the folder and gives the same ids, offsets, masks and decodes; a folder we save from it
loads back into the reference with the same results.
"""

from __future__ import annotations

import pytest
import transformers
from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, processors, trainers

from embrace.tokenization import AutoTokenizer, PreTrainedTokenizer
from tests.tokenization.conftest import plain

SPECIALS = ["[UNK]", "[CLS]", "[SEP]", "[PAD]", "[MASK]"]


def _bpe() -> tuple[Tokenizer, object]:
    tokenizer = Tokenizer(models.BPE(unk_token="[UNK]"))
    tokenizer.normalizer = normalizers.NFC()
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    return tokenizer, trainers.BpeTrainer(vocab_size=500, special_tokens=SPECIALS,
                                          initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False)


def _wordpiece() -> tuple[Tokenizer, object]:
    tokenizer = Tokenizer(models.WordPiece(unk_token="[UNK]"))
    tokenizer.normalizer = normalizers.BertNormalizer(lowercase=True)
    tokenizer.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tokenizer.decoder = decoders.WordPiece()
    return tokenizer, trainers.WordPieceTrainer(vocab_size=500, special_tokens=SPECIALS, show_progress=False)


def _unigram() -> tuple[Tokenizer, object]:
    tokenizer = Tokenizer(models.Unigram())
    tokenizer.normalizer = normalizers.Sequence([normalizers.NFKC(), normalizers.Replace("``", '"')])
    tokenizer.pre_tokenizer = pre_tokenizers.Metaspace()
    tokenizer.decoder = decoders.Metaspace()
    return tokenizer, trainers.UnigramTrainer(vocab_size=2000, special_tokens=SPECIALS, unk_token="[UNK]",
                                              show_progress=False)


BUILDERS = {"bpe": _bpe, "wordpiece": _wordpiece, "unigram": _unigram}


@pytest.fixture(scope="module")
def texts(corpus):
    return corpus[:150]


@pytest.fixture(scope="module")
def trained(corpus, tmp_path_factory):
    """kind -> folder saved by the reference's PreTrainedTokenizerFast around a freshly trained tokenizer."""
    folders = {}
    for kind, build in BUILDERS.items():
        tokenizer, trainer = build()
        tokenizer.train_from_iterator(corpus, trainer=trainer)
        cls_id, sep_id = tokenizer.token_to_id("[CLS]"), tokenizer.token_to_id("[SEP]")
        tokenizer.post_processor = processors.TemplateProcessing(
            single="[CLS] $A [SEP]", pair="[CLS] $A [SEP] $B:1 [SEP]:1",
            special_tokens=[("[CLS]", cls_id), ("[SEP]", sep_id)])
        wrapped = transformers.PreTrainedTokenizerFast(
            tokenizer_object=tokenizer, unk_token="[UNK]", cls_token="[CLS]", sep_token="[SEP]", pad_token="[PAD]",
            mask_token="[MASK]", model_max_length=64)
        folder = tmp_path_factory.mktemp(kind)
        wrapped.save_pretrained(str(folder))
        folders[kind] = folder
    return folders


def _assert_same(ours, reference, texts):
    options = dict(return_offsets_mapping=True, return_token_type_ids=True, return_special_tokens_mask=True)
    for text in texts:
        assert plain(ours(text, **options)) == plain(reference(text, **options)), text
    batch = dict(padding=True, truncation=True, max_length=24, return_tensors="pt")
    assert plain(ours(texts[:10], texts[10:20], **batch)) == plain(reference(texts[:10], texts[10:20], **batch))
    ids = reference(texts)["input_ids"]
    for skip in (True, False):
        assert ours.batch_decode(ids, skip_special_tokens=skip) == reference.batch_decode(
            ids, skip_special_tokens=skip)


@pytest.mark.parametrize("kind", sorted(BUILDERS))
def test_reference_trained_folder_loads_with_same_results(trained, texts, kind):
    reference = transformers.AutoTokenizer.from_pretrained(str(trained[kind]))
    ours = AutoTokenizer.from_pretrained(trained[kind])
    assert type(ours) is PreTrainedTokenizer
    assert ours.get_vocab() == reference.get_vocab()
    assert ours.special_tokens_map == reference.special_tokens_map
    assert ours.model_max_length == reference.model_max_length == 64
    _assert_same(ours, reference, texts)


@pytest.mark.parametrize("kind", sorted(BUILDERS))
def test_our_save_loads_in_the_reference(trained, texts, tmp_path, kind):
    ours = AutoTokenizer.from_pretrained(trained[kind])
    ours.add_tokens(["<new_word>"])
    ours.save_pretrained(tmp_path)
    reference = transformers.AutoTokenizer.from_pretrained(str(tmp_path))
    assert reference.get_vocab() == ours.get_vocab()
    assert reference.convert_tokens_to_ids("<new_word>") == ours.convert_tokens_to_ids("<new_word>")
    _assert_same(ours, reference, texts[:60] + ["a <new_word> b"])
