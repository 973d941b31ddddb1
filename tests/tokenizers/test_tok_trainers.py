"""Trainers against the reference: the same corpus and settings give the same model.

The reference is driven with the simplest pipeline (its ``Whitespace`` pre-tokenizer);
embrace's trainers are fed the words that pre-tokenizer produces (through the same
``feed(sequences, process)`` call the Tokenizer makes).

BPE / WordPiece / WordLevel: identical vocabulary (ids) and merges. When prefixes or
suffixes are involved, the reference numbers the decorated characters (``##a``,
``a</w>``) in its hash-map order, different on every run; the test reads that order back
from the reference's vocabulary and feeds the words to embrace in an order that
reproduces it -- everything after that must match exactly.

Unigram: same vocabulary size, and the held-out log-likelihood within 1%.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

tokenizers = pytest.importorskip("tokenizers")
from tokenizers import Tokenizer as RefTokenizer  # noqa: E402
from tokenizers import models as ref_models  # noqa: E402
from tokenizers import pre_tokenizers as ref_pre  # noqa: E402
from tokenizers import trainers as ref_trainers  # noqa: E402

from embrace.errors import TokenizerError  # noqa: E402
from embrace.tokenizers import trainers  # noqa: E402
from embrace.tokenizers.models import BPE, Unigram, WordLevel, WordPiece  # noqa: E402

DATA = Path(__file__).parent / "data"
_PRE = ref_pre.Whitespace()


@pytest.fixture(scope="module")
def lines() -> list[str]:
    return (DATA / "train_corpus.txt").read_text(encoding="utf-8").splitlines()


def _split(text: str) -> list[str]:
    return [w for w, _ in _PRE.pre_tokenize_str(text)]


def _word_counts(lines: list[str]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for line in lines:
        for w in _split(line):
            counts[w] = counts.get(w, 0) + 1
    return counts


def _train_reference(model, trainer, lines: list[str]) -> dict:
    tok = RefTokenizer(model)
    tok.pre_tokenizer = _PRE
    tok.train_from_iterator(lines, trainer)
    return json.loads(tok.to_str())


def _train_ours(model, trainer, lines: list[str]):
    trainer.feed(lines, _split)
    specials = trainer.train(model)
    return model, specials


def _feed_in_order(trainer, counts: dict[str, int], order: list[str]) -> None:
    """Feed the words so that they are first seen in ``order`` (with their counts)."""
    trainer.feed([""], lambda _: [w for w in order for _ in range(counts[w])])


def _reference_word_order(
    ref_vocab: dict[str, int], counts: dict[str, int], n_specials: int, prefix: str | None, suffix: str | None
) -> list[str]:
    """An order of the words that makes embrace number the decorated characters
    (``##a``, ``a</w>``) exactly as this reference run did."""
    by_id = sorted(ref_vocab, key=ref_vocab.get)
    k = n_specials
    while k < len(by_id) and len(by_id[k]) == 1:
        k += 1
    alphabet = set(by_id[n_specials:k]) | set(by_id[:n_specials])
    decorated = set()
    for c in alphabet:
        decorated |= {(prefix or "") + c, c + (suffix or ""), (prefix or "") + c + (suffix or "")}
    decorated -= alphabet
    targets = []
    while k < len(by_id) and by_id[k] in decorated:
        targets.append(by_id[k])
        k += 1

    def pieces(word: str) -> list[str]:
        out = []
        last = len(word) - 1
        for i, c in enumerate(word):
            if c not in alphabet:
                continue
            s = ((prefix or "") if i else "") + c + ((suffix or "") if i == last else "")
            if s != c:
                out.append(s)
        return list(dict.fromkeys(out))

    seqs = {w: pieces(w) for w in counts}
    containing: dict[str, list[str]] = {}
    for w, seq in seqs.items():
        for t in seq:
            containing.setdefault(t, []).append(w)
    introduced: set[str] = set()
    placed: dict[str, None] = {}
    p = 0
    while p < len(targets):
        for w in containing.get(targets[p], []):
            if w in placed:
                continue
            new = [t for t in seqs[w] if t not in introduced]
            if new == targets[p : p + len(new)]:
                placed[w] = None
                introduced.update(new)
                p += len(new)
                break
        else:
            raise AssertionError(f"cannot reproduce the reference's numbering at {targets[p]!r}")
    for w in counts:
        placed.setdefault(w, None)
    return list(placed)


def _vocab_in_id_order(vocab: dict[str, int]) -> list[tuple[str, int]]:
    return sorted(vocab.items(), key=lambda kv: kv[1])


# --- BPE ----------------------------------------------------------------------------------


def _limit_without_ties(counts: dict[str, int], near: int) -> int:
    """An alphabet limit whose cut does not fall between equally frequent characters
    (the reference breaks such ties in hash order)."""
    chars: dict[str, int] = {}
    for w, n in counts.items():
        for c in w:
            chars[c] = chars.get(c, 0) + n
    ordered = sorted(chars.values())
    for limit in range(near, len(ordered)):
        cut = len(ordered) - limit
        if ordered[cut - 1] != ordered[cut]:
            return limit
    raise AssertionError("no tie-free alphabet limit")


BPE_CONFIGS = [
    dict(vocab_size=1000),
    dict(vocab_size=3000, min_frequency=2, special_tokens=["<unk>", "<s>", "e"]),
    dict(vocab_size=2000, max_token_length=4, initial_alphabet=["z", "ÿ", "Ωmega", ""]),
    dict(vocab_size=400),
    dict(vocab_size=5, special_tokens=["<pad>"]),
    dict(vocab_size=30000),
]


@pytest.mark.parametrize("config", BPE_CONFIGS, ids=[str(i) for i in range(len(BPE_CONFIGS))])
def test_bpe_same_vocab_and_merges(lines, config):
    ref = _train_reference(ref_models.BPE(), ref_trainers.BpeTrainer(show_progress=False, **config), lines)
    ours, specials = _train_ours(BPE(), trainers.BpeTrainer(show_progress=False, **config), lines)
    ours_json = ours.to_dict()
    assert _vocab_in_id_order(ours_json["vocab"]) == _vocab_in_id_order(ref["model"]["vocab"])
    assert list(ours_json["vocab"]) == list(ref["model"]["vocab"])
    assert ours_json["merges"] == ref["model"]["merges"]
    assert json.dumps(ours_json, ensure_ascii=False) == json.dumps(ref["model"], ensure_ascii=False)
    assert [getattr(t, "content", t) for t in specials] == [t["content"] for t in ref["added_tokens"]]


def test_bpe_limit_alphabet(lines):
    limit = _limit_without_ties(_word_counts(lines), 60)
    config = dict(vocab_size=800, limit_alphabet=limit)
    ref = _train_reference(ref_models.BPE(), ref_trainers.BpeTrainer(show_progress=False, **config), lines)
    ours, _ = _train_ours(BPE(), trainers.BpeTrainer(show_progress=False, **config), lines)
    assert ours.to_dict()["vocab"] == ref["model"]["vocab"]
    assert ours.to_dict()["merges"] == ref["model"]["merges"]


@pytest.mark.parametrize(
    "prefix,suffix", [("##", None), (None, "</w>"), ("@@", "</w>")], ids=["prefix", "suffix", "both"]
)
def test_bpe_prefix_suffix(lines, prefix, suffix):
    config = dict(vocab_size=1500, continuing_subword_prefix=prefix, end_of_word_suffix=suffix,
                  special_tokens=["<unk>"])
    ref_config = {k: v for k, v in config.items() if v is not None}  # the reference refuses None
    ref = _train_reference(ref_models.BPE(unk_token="<unk>"),
                           ref_trainers.BpeTrainer(show_progress=False, **ref_config), lines)
    counts = _word_counts(lines)
    order = _reference_word_order(ref["model"]["vocab"], counts, 1, prefix, suffix)
    trainer = trainers.BpeTrainer(show_progress=False, **config)
    _feed_in_order(trainer, counts, order)
    ours = BPE(unk_token="<unk>")
    trainer.train(ours)
    assert json.dumps(ours.to_dict(), ensure_ascii=False) == json.dumps(ref["model"], ensure_ascii=False)
    # and the trained model tokenizes like the reference's
    ref_model = RefTokenizer.from_str(json.dumps(ref)).model
    for word in list(counts)[:500]:
        assert [t.value for t in ours.tokenize(word)] == [t.value for t in ref_model.tokenize(word)]


def test_bpe_trainer_sets_model_options():
    model = BPE(continuing_subword_prefix="@@", unk_token="<u>", dropout=0.5)
    trainer = trainers.BpeTrainer(show_progress=False)
    trainer.feed(["aaab abab"], str.split)
    trainer.train(model)
    # like the reference: the trainer's (absent) prefix replaces the model's; the rest stays
    assert model.continuing_subword_prefix is None and model.unk_token == "<u>" and model.dropout == 0.5


# --- WordPiece ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "config", [dict(vocab_size=1200), dict(vocab_size=2500, min_frequency=3, special_tokens=["[UNK]", "[CLS]"])],
    ids=["small", "specials"],
)
def test_wordpiece_same_vocab(lines, config):
    ref = _train_reference(
        ref_models.WordPiece(unk_token="[UNK]", max_input_chars_per_word=50),
        ref_trainers.WordPieceTrainer(show_progress=False, **config),
        lines,
    )
    counts = _word_counts(lines)
    order = _reference_word_order(ref["model"]["vocab"], counts, len(config.get("special_tokens", [])), "##", None)
    trainer = trainers.WordPieceTrainer(show_progress=False, **config)
    _feed_in_order(trainer, counts, order)
    ours = WordPiece(unk_token="[UNK]", max_input_chars_per_word=50)
    trainer.train(ours)
    assert json.dumps(ours.to_dict(), ensure_ascii=False) == json.dumps(ref["model"], ensure_ascii=False)


def test_wordpiece_trainer_defaults_and_fields():
    trainer = trainers.WordPieceTrainer(show_progress=False)
    assert trainer.continuing_subword_prefix == "##" and trainer.vocab_size == 30000
    trainer.feed(["hugging hugs"], str.split)
    model = WordPiece(continuing_subword_prefix="@@", unk_token="<u>", max_input_chars_per_word=7)
    trainer.train(model)
    assert model.continuing_subword_prefix == "##" and model.unk_token == "<u>"
    assert model.max_input_chars_per_word == 7


# --- WordLevel ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "config",
    [dict(), dict(vocab_size=100, special_tokens=["<unk>", "<pad>"]), dict(min_frequency=5, special_tokens=["the"])],
    ids=["all", "limited", "min_frequency"],
)
def test_wordlevel_same_vocab(lines, config):
    ref = _train_reference(ref_models.WordLevel(unk_token="<unk>"),
                           ref_trainers.WordLevelTrainer(show_progress=False, **config), lines)
    ours, _ = _train_ours(WordLevel(unk_token="<unk>"), trainers.WordLevelTrainer(show_progress=False, **config), lines)
    assert ours.to_dict()["vocab"] == ref["model"]["vocab"]
    if "the" not in config.get("special_tokens", []):  # a special token that is also a word: see reference
        assert json.dumps(ours.to_dict(), ensure_ascii=False) == json.dumps(ref["model"], ensure_ascii=False)


# --- Unigram ----------------------------------------------------------------------------------


def _log_likelihood(model: Unigram, lines: list[str]) -> tuple[float, int]:
    pieces = model.pieces()
    total, count = 0.0, 0
    for line in lines:
        for w in _split(line):
            toks = model.tokenize(w)
            count += len(toks)
            total += sum(pieces[t.id][1] for t in toks)
    return total, count


@pytest.mark.parametrize("vocab_size", [300, 800])
def test_unigram_comparable_to_reference(lines, vocab_size):
    train, held_out = lines[:1400], lines[1400:]
    config = dict(vocab_size=vocab_size, special_tokens=["<unk>", "<s>"], unk_token="<unk>")
    ref = _train_reference(ref_models.Unigram(), ref_trainers.UnigramTrainer(show_progress=False, **config), train)
    ours, specials = _train_ours(Unigram(), trainers.UnigramTrainer(show_progress=False, **config), train)
    ref_model = Unigram.from_dict(ref["model"])
    assert ours.get_vocab_size() == ref_model.get_vocab_size() == vocab_size
    assert ours.unk_id == ref["model"]["unk_id"] == 0
    assert [p for p, _ in ours.pieces()[:2]] == ["<unk>", "<s>"]
    ref_ll, _ = _log_likelihood(ref_model, held_out)
    our_ll, _ = _log_likelihood(ours, held_out)
    assert abs(our_ll - ref_ll) <= 0.01 * abs(ref_ll)
    # most pieces are the same ones
    ours_set = {p for p, _ in ours.pieces()}
    ref_set = {p for p, _ in ref_model.pieces()}
    assert len(ours_set & ref_set) >= 0.9 * vocab_size
    # every character of the corpus stays in the vocabulary
    assert {c for line in train for w in _split(line) for c in w} <= ours_set


def test_unigram_unk_token_not_special_and_errors(lines):
    trainer = trainers.UnigramTrainer(vocab_size=400, unk_token="<unk>", show_progress=False, initial_alphabet=["ж"])
    model = Unigram()
    trainer.feed(lines[:300], _split)
    trainer.train(model)
    assert model.unk_id == 0 and model.id_to_token(0) == "<unk>" and model.get_vocab_size() == 400
    assert model.token_to_id("ж") is not None
    trainer = trainers.UnigramTrainer(vocab_size=5, show_progress=False)
    trainer.feed(lines[:50], _split)
    with pytest.raises(TokenizerError, match="distinct characters"):
        trainer.train(Unigram())


# --- the trainer interface ------------------------------------------------------------------


def test_trainer_interface(capsys):
    trainer = trainers.BpeTrainer(special_tokens=["<s>", "</s>"], initial_alphabet=["abc", "d"], show_progress=False)
    assert [getattr(t, "content", t) for t in trainer.special_tokens] == ["<s>", "</s>"]
    assert trainer.initial_alphabet == ["a", "d"]
    trainer.feed(["x y", "y z"], str.split)
    assert trainer.get_word_count() == 3
    trainer.feed(["only"], str.split)  # a new feed replaces the counts, like the reference
    assert trainer.get_word_count() == 1
    with pytest.raises(TokenizerError, match="BPE"):
        trainer.train(WordLevel())
    assert isinstance(BPE().get_trainer(), trainers.BpeTrainer)
    assert isinstance(WordPiece().get_trainer(), trainers.WordPieceTrainer)
    assert isinstance(WordLevel().get_trainer(), trainers.WordLevelTrainer)
    assert isinstance(Unigram().get_trainer(), trainers.UnigramTrainer)
    with pytest.raises(TypeError):
        trainers.BpeTrainer(vocab_size=10, bogus=1)  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        trainers.BpeTrainer(100)  # type: ignore[misc]  # keyword-only, like the reference
    assert "vocab_size=30000" in repr(trainers.WordLevelTrainer())


def test_progress_bars_respect_env(monkeypatch, capsys):
    monkeypatch.setenv("EMBRACE_DISABLE_PROGRESS_BARS", "1")
    trainer = trainers.BpeTrainer(vocab_size=50, show_progress=True)
    trainer.feed(["hello world hello"], str.split)
    trainer.train(BPE())
    captured = capsys.readouterr()
    assert captured.err == "" and captured.out == ""
    assert not trainer.should_show_progress()
    monkeypatch.delenv("EMBRACE_DISABLE_PROGRESS_BARS")
    monkeypatch.delenv("HF_HUB_DISABLE_PROGRESS_BARS", raising=False)
    assert trainer.should_show_progress()
    trainer.train(BPE())  # with bars: still the same result
    assert "Compute merges" in capsys.readouterr().err
    silent = trainers.BpeTrainer(vocab_size=50, progress_format="silent")
    silent.feed(["hello world hello"], str.split)
    silent.train(BPE())
    assert capsys.readouterr().err == ""
    with pytest.raises(TokenizerError, match="progress_format"):
        trainers.BpeTrainer(progress_format="fancy")


def test_empty_corpus():
    for trainer, model in [
        (trainers.BpeTrainer(show_progress=False, special_tokens=["<unk>"]), BPE()),
        (trainers.WordPieceTrainer(show_progress=False), WordPiece()),
        (trainers.WordLevelTrainer(show_progress=False), WordLevel()),
    ]:
        trainer.feed([], str.split)
        trainer.train(model)
        assert model.get_vocab_size() == len(trainer.special_tokens)


def test_random_corpora_match_reference():
    """Small random corpora stress the tie-breaking rules (many pairs share a count)."""
    rng = random.Random(7)
    for _ in range(15):
        alphabet = rng.choice(["ab", "abc", "abcdé", "xyz€"])
        words = ["".join(rng.choice(alphabet) for _ in range(rng.randint(1, 9))) for _ in range(rng.randint(5, 200))]
        text = [" ".join(words[i : i + 7]) for i in range(0, len(words), 7)]
        config = dict(vocab_size=rng.randint(5, 80), min_frequency=rng.choice([0, 1, 2]))
        ref = _train_reference(ref_models.BPE(), ref_trainers.BpeTrainer(show_progress=False, **config), text)
        ours, _ = _train_ours(BPE(), trainers.BpeTrainer(show_progress=False, **config), text)
        assert ours.to_dict()["vocab"] == ref["model"]["vocab"], (config, text)
        assert ours.to_dict()["merges"] == ref["model"]["merges"], (config, text)
