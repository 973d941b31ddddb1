"""NormalizedString / PreTokenizedString: the alignment-tracking string API vs the reference."""

from __future__ import annotations

import pytest

import embrace.tokenizers as O
from embrace.errors import TokenizerError
from tok_core_helpers import corpus

R = pytest.importorskip("tokenizers")


def _view(n) -> tuple:
    """Normalized text plus the original span of every normalized char."""
    pieces = n.split(O.Regex("(?m:.)") if isinstance(n, O.NormalizedString) else R.Regex("(?m:.)"), "isolated")
    return (n.normalized, n.original, [(str(p), p.original) for p in pieces])


def _both(text: str):
    return O.NormalizedString(text), R.NormalizedString(text)


@pytest.mark.parametrize(
    "ops",
    [
        [("nfd",), ("lowercase",)],
        [("nfkc",), ("uppercase",)],
        [("nfc",)],
        [("nfkd",), ("filter", lambda c: not c.isspace())],
        [("map", lambda c: "*" if c in "aeiou" else c)],
        [("prepend", "▁"), ("append", "!"), ("strip",)],
        [("lstrip",), ("rstrip",)],
        [("replace", " ", "▁▁")],
        [("replace", " ", "▁")],
        [("prepend", "▁"), ("replace", "REGEX:[ e]", "_"), ("replace", "o", "0")],
        [("replace", "REGEX:\\s+", "_")],
        [("replace", "REGEX:[aeiou]+", "")],
        [("lowercase",), ("replace", "the", "THE"), ("nfd",)],
        [("clear",)],
    ],
    ids=lambda ops: "+".join(op[0] for op in ops),
)
def test_operations_match_reference(ops):
    for text in corpus()[::5]:
        ours, ref = _both(text)
        for op, *args in ops:
            conv = []
            for mod, target in ((O, ours), (R, ref)):
                call_args = [mod.Regex(a[6:]) if isinstance(a, str) and a.startswith("REGEX:") else a for a in args]
                conv.append(getattr(target, op)(*call_args))
        assert _view(ours) == _view(ref), (text, ops)


@pytest.mark.parametrize("behavior", ["removed", "isolated", "merged_with_previous", "merged_with_next", "contiguous"])
@pytest.mark.parametrize("pattern", [" ", "ab", "REGEX:\\s+", "REGEX:\\d", "REGEX:(?=a)|\\b"])
def test_split_behaviors(behavior, pattern):
    for text in corpus()[::9] + ("aab  ab ba", "  ", "1 22 333", ""):
        ours, ref = _both(text)
        o_pat = O.Regex(pattern[6:]) if pattern.startswith("REGEX:") else pattern
        r_pat = R.Regex(pattern[6:]) if pattern.startswith("REGEX:") else pattern
        o_pieces = [(p.normalized, p.original) for p in ours.split(o_pat, behavior)]
        r_pieces = [(p.normalized, p.original) for p in ref.split(r_pat, behavior)]
        assert o_pieces == r_pieces, (text, pattern, behavior)


@pytest.mark.parametrize("behavior", ["isolated", "merged_with_next", "removed"])
def test_split_after_alignment_changes(behavior):
    """Pieces of a string whose alignment is no longer the identity (a prepended char, a
    char dropped, one replaced by two) map every char back like the reference's pieces."""
    for text in corpus()[::9] + ("a  b", "  ", "é x"):
        ours, ref = _both(text)
        for target, mod in ((ours, O), (ref, R)):
            target.prepend("▁")
            target.replace(mod.Regex("x"), "")
            target.replace("k", "kk")
            target.replace(" ", "▁")
        o_pieces = [_view(p) for p in ours.split(O.Regex("▁"), behavior)]
        r_pieces = [_view(p) for p in ref.split(R.Regex("▁"), behavior)]
        assert o_pieces == r_pieces, (text, behavior)


def test_slicing_and_repr():
    ours, ref = _both("Héllo wörld")
    ours.nfd()
    ref.nfd()
    assert repr(ours) == repr(ref) and str(ours) == str(ref)
    ranges = [(0, 3), (2, 3), slice(1, 5), 4, -1, 40, slice(None, None), slice(-3, None), slice(3, 1), (5, 2)]
    ranges += [(3, 30), (20, 30), (13, 13), (12, 13), (0, 0), (2, 2), slice(20, 30)]
    for rng in ranges:
        a, b = ours[rng], ref[rng]
        if b is None:
            assert a is None, rng
            continue
        assert (a.normalized, a.original) == (b.normalized, b.original), rng


def test_pre_tokenized_string_api():
    text = "Hello   there, General Kenobi 😀!"
    results = []
    for mod in (O, R):
        pretok = mod.PreTokenizedString(text)
        pretok.normalize(lambda n: n.lowercase())
        pretok.split(lambda i, n: n.split(" ", "removed"))
        pretok.split(lambda i, n: n.split(",", "isolated") if i % 2 else [n])
        before = pretok.get_splits()
        pretok.tokenize(lambda s: [mod.Token(len(s), s.upper(), (0, len(s)))])
        enc = pretok.to_encoding(type_id=3)
        enc2 = pretok.to_encoding(word_idx=7)
        results.append(
            (
                before,
                [(s, o, [t.as_tuple() for t in toks]) for s, o, toks in pretok.get_splits("normalized", "byte")],
                enc.ids, enc.tokens, enc.offsets, enc.word_ids, enc.type_ids, enc2.word_ids,
            )
        )
    assert results[0] == results[1]
    with pytest.raises(TokenizerError, match="tokenize"):
        O.PreTokenizedString("abc").to_encoding()


def test_token_class():
    t = O.Token(3, "abc", (1, 4))
    r = R.Token(3, "abc", (1, 4))
    assert (t.id, t.value, t.offsets, t.as_tuple()) == (r.id, r.value, r.offsets, r.as_tuple())


def test_bad_arguments():
    with pytest.raises(TokenizerError, match="split behavior"):
        O.NormalizedString("a b").split(" ", "sideways")
    with pytest.raises(TokenizerError, match="single character"):
        O.NormalizedString("ab").map(lambda c: c * 2)
    with pytest.raises(TokenizerError, match="Invalid regex"):
        O.Regex("(unclosed")
    with pytest.raises(TypeError):
        O.NormalizedString(3)
