"""T5's SentencePiece tokenizer and its ``<extra_id_N>`` sentinels, on a model trained here.

The sentinels are pieces at the top of the vocabulary in reverse order (``<extra_id_0>``
last), as the reference lays them out when it converts ``spiece.model``; checked against
the current reference, against transformers 4.53's SentencePiece-backed T5Tokenizer, and
(segmentation) against the ``sentencepiece`` library.
"""

from __future__ import annotations


import pytest
import sentencepiece
import transformers

from embrace.errors import TokenizerError
from embrace.tokenization import AutoTokenizer, T5Tokenizer
from tests.tokenization.conftest import plain


@pytest.fixture(scope="module")
def texts(corpus):
    return corpus[:160]


@pytest.fixture(scope="module")
def t5_pair(corpus, tmp_path_factory):
    folder = tmp_path_factory.mktemp("t5")
    train = folder / "train.txt"
    train.write_text("\n".join(t.replace("\n", " ") for t in corpus if t.strip()), encoding="utf-8")
    sentencepiece.SentencePieceTrainer.train(
        input=str(train), model_prefix=str(folder / "spiece"), model_type="unigram", vocab_size=700,
        character_coverage=0.98, hard_vocab_limit=False, minloglevel=2, num_threads=1, pad_id=0, eos_id=1, unk_id=2,
        bos_id=-1)
    (folder / "spiece.vocab").unlink()
    train.unlink()
    return folder, T5Tokenizer.from_pretrained(folder), transformers.T5Tokenizer.from_pretrained(str(folder))



def test_t5_sentinels_sit_at_the_top_in_reverse_order(t5_pair):
    _, ours, reference = t5_pair
    pieces = sentencepiece.SentencePieceProcessor(model_file=str(t5_pair[0] / "spiece.model")).get_piece_size()
    assert ours.vocab_size == reference.vocab_size == len(ours) == pieces + 100
    assert ours.get_vocab() == reference.get_vocab()
    assert ours.convert_tokens_to_ids("<extra_id_0>") == pieces + 99
    assert ours.convert_tokens_to_ids("<extra_id_99>") == pieces
    assert set(ours.get_sentinel_tokens()) == {f"<extra_id_{i}>" for i in range(100)}
    assert sorted(ours.get_sentinel_token_ids()) == list(range(pieces, pieces + 100))
    assert set(ours.all_special_ids) == set(reference.all_special_ids)
    text = "The <extra_id_0> walks in <extra_id_1> park"
    assert ours(text)["input_ids"] == reference(text)["input_ids"]
    mine = ours([text, "plain"], text_target=["<extra_id_0> cute dog <extra_id_1> the", "x"], padding=True)
    theirs = reference([text, "plain"], text_target=["<extra_id_0> cute dog <extra_id_1> the", "x"], padding=True)
    assert plain(mine) == plain(theirs)
    for skip in (True, False):
        assert ours.batch_decode(mine["labels"], skip_special_tokens=skip) == reference.batch_decode(
            theirs["labels"], skip_special_tokens=skip)


def test_t5_folders_load_both_ways(t5_pair, texts, tmp_path):
    _, ours, reference = t5_pair
    sample = [t for t in texts[:40] if "  " not in t and t.isascii()] + ["a <extra_id_3> b"]
    ours.save_pretrained(tmp_path / "ours")
    loaded = transformers.AutoTokenizer.from_pretrained(str(tmp_path / "ours"))
    assert loaded(sample)["input_ids"] == ours(sample)["input_ids"]
    assert loaded.convert_tokens_to_ids("<extra_id_0>") == ours.convert_tokens_to_ids("<extra_id_0>")
    reference.save_pretrained(str(tmp_path / "theirs"))
    again = AutoTokenizer.from_pretrained(tmp_path / "theirs")
    assert type(again) is T5Tokenizer
    assert again(sample)["input_ids"] == reference(sample)["input_ids"]
    assert len(again) == len(reference)


def test_t5_extra_ids_options(t5_pair):
    folder, ours, _ = t5_pair
    none = T5Tokenizer(vocab_file=str(folder / "spiece.model"), extra_ids=0)
    assert len(none) == ours.vocab_size - 100 and none.get_sentinel_tokens() == []
    few = T5Tokenizer(vocab_file=str(folder / "spiece.model"), extra_ids=3)
    reference = transformers.T5Tokenizer.from_pretrained(str(folder), extra_ids=3)
    assert few.get_vocab() == reference.get_vocab()
    with pytest.raises(TokenizerError, match="extra_ids"):
        T5Tokenizer(vocab_file=str(folder / "spiece.model"), extra_ids=3,
                    additional_special_tokens=["<extra_id_0>"])


def test_t5_matches_sentencepiece_with_typed_control_tokens(t5_pair, texts):
    folder, ours, _ = t5_pair
    processor = sentencepiece.SentencePieceProcessor(model_file=str(folder / "spiece.model"))
    for text in texts + ["<pad> a </s> b <unk> c", "<extra_id_0>"]:
        assert ours(text, add_special_tokens=False, split_special_tokens=True)["input_ids"] == processor.encode(
            text), text


def test_t5_matches_the_legacy_sentencepiece_tokenizer(t5_pair, texts):
    """transformers 4.53's T5Tokenizer runs SentencePiece itself on the legacy spiece.model."""
    from tests.oracle.legacy import run_legacy

    folder, ours, _ = t5_pair
    sample = [t for t in texts if "<" not in t][:60]  # it frames text after a typed special token its own way
    code = (
        "import transformers\n"
        "tok = transformers.T5Tokenizer(args['model'], legacy=False)\n"
        "result = {'ids': [tok(t)['input_ids'] for t in args['texts']], 'len': len(tok),\n"
        "          'sentinels': tok.convert_tokens_to_ids([f'<extra_id_{i}>' for i in range(100)])}\n"
    )
    legacy = run_legacy(code, {"model": str(folder / "spiece.model"), "texts": sample})
    assert legacy["len"] == len(ours)
    assert legacy["sentinels"] == ours.convert_tokens_to_ids([f"<extra_id_{i}>" for i in range(100)])
    assert legacy["ids"] == ours(sample)["input_ids"]
