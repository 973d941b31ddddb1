"""Pre-tokenizers: cut normalized text into words, keeping each word's offsets.

Each class is one ``"type"`` of the ``pre_tokenizer`` object in ``tokenizer.json``.
:meth:`PreTokenizer.pre_tokenize` edits a
:class:`~embrace.tokenizers.PreTokenizedString` in place;
:meth:`PreTokenizer.pre_tokenize_str` shows the result on a plain string.

Example:
    >>> from embrace.tokenizers.pre_tokenizers import Whitespace
    >>> Whitespace().pre_tokenize_str("Hello, world!")
    [('Hello', (0, 5)), (',', (5, 6)), ('world', (7, 12)), ('!', (12, 13))]
"""

from __future__ import annotations

import bisect
import operator
from typing import Any

import regex

from embrace.tokenizers import unicode_tables

from embrace.errors import TokenizerError
from embrace.tokenizers.component import Component, ComponentSequence
from embrace.tokenizers.normalized import (
    BERT_PRE_TABLE,
    NUMERIC_TABLE,
    RUST_WS_CLASS,
    WORD_TABLE,
    ClassPattern,
    Invert,
    NormalizedString,
    PreTokenizedString,
    Regex,
    SplitDelimiterBehavior,
    behavior_name,
    compile_literal,
    parse_ranges,
)
from embrace.tokenizers.normalizers import (
    check_pattern,
    pattern_from_dict,
    pattern_repr,
    pattern_to_dict,
    rust_debug_str,
)
from embrace.tokenizers.serialization import pre_tokenizer_from_dict

__all__ = [
    "PreTokenizer",
    "BertPreTokenizer",
    "ByteLevel",
    "CharDelimiterSplit",
    "Digits",
    "FixedLength",
    "Metaspace",
    "Punctuation",
    "Sequence",
    "Split",
    "UnicodeScripts",
    "Whitespace",
    "WhitespaceSplit",
    "PRE_TOKENIZERS",
    "bytes_to_unicode",
]


# --- byte-level mapping ------------------------------------------------------------------


def bytes_to_unicode() -> dict[int, str]:
    """The GPT-2 table mapping each byte (0-255) to a printable unicode character.

    Printable Latin-1 bytes map to themselves; the others are shifted to 256 and up.

    Example:
        >>> bytes_to_unicode()[ord(" ")]
        'Ġ'
    """
    keep = list(range(ord("!"), ord("~") + 1)) + list(range(0xA1, 0xAD)) + list(range(0xAE, 0x100))
    table: dict[int, str] = {}
    extra = 0
    for b in range(256):
        if b in keep:
            table[b] = chr(b)
        else:
            table[b] = chr(256 + extra)
            extra += 1
    return table


BYTES_CHAR: dict[int, str] = bytes_to_unicode()
CHAR_BYTES: dict[str, int] = {c: b for b, c in BYTES_CHAR.items()}
# latin-1 char i stands for byte i; this table turns it into the byte-level char.
_LATIN1_TO_BYTELEVEL = {b: c for b, c in BYTES_CHAR.items()}


def byte_level_transform(normalized: NormalizedString) -> None:
    """Replace each character by the byte-level characters of its UTF-8 bytes."""
    text = normalized._normalized
    if text.isascii():
        normalized._normalized = text.translate(_LATIN1_TO_BYTELEVEL)
        return
    align = normalized._alignments()
    new_align: list[tuple[int, int]] = []
    for i, c in enumerate(text):
        o = ord(c)
        k = 1 if o < 0x80 else 2 if o < 0x800 else 3 if o < 0x10000 else 4
        if k == 1:
            new_align.append(align[i])
        else:
            new_align.extend([align[i]] * k)
    normalized._normalized = (
        text.encode("utf-8", errors="surrogatepass").decode("latin-1").translate(_LATIN1_TO_BYTELEVEL)
    )
    normalized._align = new_align


GPT2_PATTERN = r"""'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"""
_GPT2_RE = Regex(GPT2_PATTERN).compiled


# --- helpers -------------------------------------------------------------------------


_SPAN = operator.methodcaller("span")


def _keep_matches(normalized: NormalizedString, compiled: Any) -> list[NormalizedString]:
    """Slices for every non-empty match (the gaps are dropped)."""
    spans = [span for span in map(_SPAN, compiled.finditer(normalized._normalized)) if span[0] != span[1]]
    return normalized._slices(spans)


def _require(data: dict[str, Any], key: str, where: str) -> Any:
    if key not in data:
        raise TokenizerError(f"{where}: missing field `{key}`")
    return data[key]


def _bool(value: Any, where: str) -> bool:
    if not isinstance(value, bool):
        raise TokenizerError(f"{where}: expected a boolean, got {value!r}")
    return value


def _behavior_json(name: str) -> str:
    return "".join(part.capitalize() for part in name.split("_"))


def _behavior_from_json(value: Any, where: str) -> str:
    if isinstance(value, str):
        snake = regex.sub(r"(?<!^)([A-Z])", r"_\1", value).lower()
        if snake in {b.value for b in SplitDelimiterBehavior}:
            return snake
    raise TokenizerError(
        f"{where}: unknown split behavior {value!r}; expected one of Removed, Isolated, "
        "MergedWithPrevious, MergedWithNext, Contiguous"
    )


class PreTokenizer(Component):
    """Base class of every pre-tokenizer.

    Example:
        >>> WhitespaceSplit().pre_tokenize_str("a b")
        [('a', (0, 1)), ('b', (2, 3))]
    """

    build_from_json = staticmethod(pre_tokenizer_from_dict)

    def pre_tokenize(self, pretok: PreTokenizedString) -> None:
        """Split a :class:`PreTokenizedString` in place."""
        raise NotImplementedError

    def pre_tokenize_str(self, sequence: str) -> list[tuple[str, tuple[int, int]]]:
        """Split a plain string; returns ``(word, (start, end))`` pairs (original offsets)."""
        pretok = PreTokenizedString(sequence)
        self.pre_tokenize(pretok)
        return [(s, o) for s, o, _ in pretok.get_splits("original", "char")]

    @staticmethod
    def custom(obj: Any) -> "PreTokenizer":
        """Wrap a Python object with a ``pre_tokenize(PreTokenizedString)`` method."""
        return _Custom(obj)


class _Custom(PreTokenizer):
    def __init__(self, obj: Any) -> None:
        if not hasattr(obj, "pre_tokenize"):
            raise TokenizerError("A custom pre-tokenizer needs a `pre_tokenize(pretok)` method")
        self.obj = obj

    def pre_tokenize(self, pretok: PreTokenizedString) -> None:
        self.obj.pre_tokenize(pretok)

    def to_dict(self) -> dict[str, Any]:
        raise TokenizerError("Custom PreTokenizer cannot be serialized")


# Words = runs of "other" chars, or a single punctuation char (s/p/o: see BERT_PRE_TABLE).
_BERT_WORDS = ClassPattern(BERT_PRE_TABLE, "o+|p")
_PUNCT = ClassPattern(BERT_PRE_TABLE, "p")
_NUMERIC = ClassPattern(NUMERIC_TABLE, "n")


class BertPreTokenizer(PreTokenizer):
    """Split on whitespace (dropped) and on each punctuation character (kept alone).

    Example:
        >>> BertPreTokenizer().pre_tokenize_str("Hey, you!")
        [('Hey', (0, 3)), (',', (3, 4)), ('you', (5, 8)), ('!', (8, 9))]
    """

    type_name = "BertPreTokenizer"

    def pre_tokenize(self, pretok: PreTokenizedString) -> None:
        pretok.split(lambda _, n: _keep_matches(n, _BERT_WORDS))


_WHITESPACE_WORDS = ClassPattern(WORD_TABLE, "w+|o+")
_NON_WS_RUNS = regex.compile("[^" + RUST_WS_CLASS + "]+")


class Whitespace(PreTokenizer):
    """Split into runs of word characters and runs of other non-space characters
    (``\\w+|[^\\w\\s]+``).

    Example:
        >>> Whitespace().pre_tokenize_str("it's")
        [('it', (0, 2)), ("'", (2, 3)), ('s', (3, 4))]
    """

    type_name = "Whitespace"

    def pre_tokenize(self, pretok: PreTokenizedString) -> None:
        pretok.split(lambda _, n: _keep_matches(n, _WHITESPACE_WORDS))


class WhitespaceSplit(PreTokenizer):
    """Split on whitespace only (like ``str.split()``).

    Example:
        >>> WhitespaceSplit().pre_tokenize_str("it's  ok")
        [("it's", (0, 4)), ('ok', (6, 8))]
    """

    type_name = "WhitespaceSplit"

    def pre_tokenize(self, pretok: PreTokenizedString) -> None:
        pretok.split(lambda _, n: _keep_matches(n, _NON_WS_RUNS))


class ByteLevel(PreTokenizer):
    """GPT-2's pre-tokenizer: split with its regex, then map bytes to printable chars.

    Args:
        add_prefix_space: put a space in front of each piece that does not start with one.
        trim_offsets: used by the post-processor / decoder of the same name.
        use_regex: split with the GPT-2 regex (else only map bytes).

    Example:
        >>> ByteLevel(add_prefix_space=False).pre_tokenize_str("Hi there")
        [('Hi', (0, 2)), ('Ġthere', (2, 8))]
    """

    type_name = "ByteLevel"

    def __init__(self, add_prefix_space: bool = True, trim_offsets: bool = True, use_regex: bool = True) -> None:
        self.add_prefix_space = bool(add_prefix_space)
        self.trim_offsets = bool(trim_offsets)
        self.use_regex = bool(use_regex)

    @staticmethod
    def alphabet() -> list[str]:
        """The 256 characters of the byte-level alphabet."""
        return list(BYTES_CHAR.values())

    def _split(self, _: int, normalized: NormalizedString) -> list[NormalizedString]:
        if self.add_prefix_space and not normalized._normalized.startswith(" "):
            normalized.prepend(" ")
        if self.use_regex:
            return normalized.split(_GPT2_RE, "isolated")
        return [normalized]

    def pre_tokenize(self, pretok: PreTokenizedString) -> None:
        if self.add_prefix_space or self.use_regex:
            pretok.split(self._split)
        else:  # splitting would be the identity, except that it drops empty pieces
            pretok.splits = [s for s in pretok.splits if s[1] is not None or s[0]._normalized]
        # The ASCII case (one byte-level char per char, alignment unchanged) inline: this
        # runs once per word.
        table = _LATIN1_TO_BYTELEVEL
        for split in pretok.splits:
            if split[1] is None:
                normalized = split[0]
                text = normalized._normalized
                if text.isascii():
                    normalized._normalized = text.translate(table)
                else:
                    byte_level_transform(normalized)

    def to_dict(self) -> dict[str, Any]:
        return {
            "type": self.type_name,
            "add_prefix_space": self.add_prefix_space,
            "trim_offsets": self.trim_offsets,
            "use_regex": self.use_regex,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "ByteLevel":
        w = "pre_tokenizer(ByteLevel)"
        return cls(
            add_prefix_space=_bool(_require(data, "add_prefix_space", w), w + ".add_prefix_space"),
            trim_offsets=_bool(_require(data, "trim_offsets", w), w + ".trim_offsets"),
            use_regex=_bool(data.get("use_regex", True), w + ".use_regex"),
        )

    def __repr__(self) -> str:
        return (
            f"ByteLevel(add_prefix_space={self.add_prefix_space}, trim_offsets={self.trim_offsets}, "
            f"use_regex={self.use_regex})"
        )


_PREPEND_SCHEMES = ("always", "first", "never")


class Metaspace(PreTokenizer):
    """SentencePiece-style: spaces become ``replacement`` (``▁``), which starts each word.

    Args:
        replacement: the one-character replacement for spaces.
        prepend_scheme: add a ``replacement`` in front of the text: ``"always"``,
            ``"first"`` (only in front of the very first piece) or ``"never"``.
        split: split into words in front of each ``replacement``.

    Example:
        >>> Metaspace().pre_tokenize_str("Hey friend")
        [('▁Hey', (0, 3)), ('▁friend', (3, 10))]
    """

    type_name = "Metaspace"

    def __init__(self, replacement: str = "\u2581", prepend_scheme: str = "always", split: bool = True) -> None:
        if not isinstance(replacement, str) or len(replacement) != 1:
            raise TokenizerError("expected a string of length 1 for Metaspace.replacement")
        if prepend_scheme not in _PREPEND_SCHEMES:
            raise TokenizerError(
                f"{prepend_scheme!r} is not a valid value for prepend_scheme; expected one of "
                "'always', 'never', 'first'"
            )
        self.replacement = replacement
        self.prepend_scheme = prepend_scheme
        self.split = bool(split)

    def _split(self, _: int, normalized: NormalizedString) -> list[NormalizedString]:
        rep = self.replacement
        if " " in normalized._normalized:
            normalized.replace(" ", rep)
        scheme = self.prepend_scheme
        if scheme == "always":
            if not normalized._normalized.startswith(rep):
                normalized.prepend(rep)
        elif scheme == "first":
            if not normalized._normalized.startswith(rep) and normalized._shift == 0:
                normalized.prepend(rep)
        if self.split:
            return normalized.split(compile_literal(rep), "merged_with_next")
        return [normalized]

    def pre_tokenize(self, pretok: PreTokenizedString) -> None:
        pretok.split(self._split)

    def to_dict(self) -> dict[str, Any]:
        return {
            "type": self.type_name,
            "replacement": self.replacement,
            "prepend_scheme": self.prepend_scheme,
            "split": self.split,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Metaspace":
        w = "pre_tokenizer(Metaspace)"
        replacement = _require(data, "replacement", w)
        scheme = data.get("prepend_scheme")
        if scheme is not None and scheme not in _PREPEND_SCHEMES:
            raise TokenizerError(f"{w}.prepend_scheme: unknown value {scheme!r}; expected always, first or never")
        if "add_prefix_space" in data:
            legacy = data["add_prefix_space"]
            if scheme is None:
                scheme = "always" if legacy else "never"
                if not legacy:
                    raise TokenizerError(f"{w}: add_prefix_space does not match declared prepend_scheme")
            elif legacy and scheme == "never" or (not legacy and scheme != "never"):
                raise TokenizerError(f"{w}: add_prefix_space does not match declared prepend_scheme")
        return cls(replacement=replacement, prepend_scheme=scheme or "always", split=data.get("split", True))

    def __repr__(self) -> str:
        return (
            f"Metaspace(replacement={rust_debug_str(self.replacement)}, prepend_scheme="
            f"{self.prepend_scheme}, split={self.split})"
        )


class Split(PreTokenizer):
    """Split on a pattern with a delimiter behaviour.

    Args:
        pattern: a literal ``str`` or a :class:`~embrace.tokenizers.Regex`.
        behavior: ``removed``, ``isolated``, ``merged_with_previous``,
            ``merged_with_next`` or ``contiguous``.
        invert: split on what does *not* match.

    Example:
        >>> Split(",", behavior="removed").pre_tokenize_str("one,two")
        [('one', (0, 3)), ('two', (4, 7))]
    """

    type_name = "Split"

    def __init__(self, pattern: "str | Regex", behavior: "str | SplitDelimiterBehavior", invert: bool = False) -> None:
        self.pattern = check_pattern(pattern, "Split")
        self.behavior = behavior_name(behavior)
        self.invert = bool(invert)
        self._compiled = pattern.compiled if isinstance(pattern, Regex) else compile_literal(pattern)

    def __setattr__(self, key: str, value: Any) -> None:
        if key == "pattern":
            value = check_pattern(value, "Split")
            object.__setattr__(
                self, "_compiled", value.compiled if isinstance(value, Regex) else compile_literal(value)
            )
        elif key == "behavior":
            value = behavior_name(value)
        object.__setattr__(self, key, value)

    def pre_tokenize(self, pretok: PreTokenizedString) -> None:
        pattern: Any = Invert(self._compiled) if self.invert else self._compiled
        behavior = self.behavior
        if behavior == "isolated" and not self.invert:
            pretok.split(lambda _, n: n.split(pattern, "isolated"))
        else:
            pretok.split(lambda _, n: n.split(pattern, behavior))

    def to_dict(self) -> dict[str, Any]:
        return {
            "type": self.type_name,
            "pattern": pattern_to_dict(self.pattern),
            "behavior": _behavior_json(self.behavior),
            "invert": self.invert,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Split":
        w = "pre_tokenizer(Split)"
        pattern = pattern_from_dict(_require(data, "pattern", w), w + ".pattern")
        behavior = _behavior_from_json(_require(data, "behavior", w), w + ".behavior")
        invert = _bool(_require(data, "invert", w), w + ".invert")
        return cls(pattern, behavior, invert)

    def __repr__(self) -> str:
        return (
            f"Split(pattern={pattern_repr(self.pattern)}, behavior={_behavior_json(self.behavior)}, "
            f"invert={self.invert})"
        )


class Punctuation(PreTokenizer):
    """Split on each punctuation character.

    Args:
        behavior: what to do with the punctuation (default ``isolated``).

    Example:
        >>> Punctuation().pre_tokenize_str("a,b")
        [('a', (0, 1)), (',', (1, 2)), ('b', (2, 3))]
    """

    type_name = "Punctuation"

    def __init__(self, behavior: "str | SplitDelimiterBehavior" = "isolated") -> None:
        self.behavior = behavior_name(behavior)

    def pre_tokenize(self, pretok: PreTokenizedString) -> None:
        behavior = self.behavior
        pretok.split(lambda _, n: n.split(_PUNCT, behavior))

    def to_dict(self) -> dict[str, Any]:
        return {"type": self.type_name, "behavior": _behavior_json(self.behavior)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Punctuation":
        return cls(_behavior_from_json(data.get("behavior", "Isolated"), "pre_tokenizer(Punctuation).behavior"))

    def __repr__(self) -> str:
        return f"Punctuation(behavior={_behavior_json(self.behavior)})"


class Digits(PreTokenizer):
    """Split digits from the rest: one digit per piece, or runs of digits.

    Args:
        individual_digits: put each digit in its own piece.

    Example:
        >>> Digits(individual_digits=True).pre_tokenize_str("a12")
        [('a', (0, 1)), ('1', (1, 2)), ('2', (2, 3))]
    """

    type_name = "Digits"

    def __init__(self, individual_digits: bool = False) -> None:
        self.individual_digits = bool(individual_digits)

    def pre_tokenize(self, pretok: PreTokenizedString) -> None:
        behavior = "isolated" if self.individual_digits else "contiguous"
        pretok.split(lambda _, n: n.split(_NUMERIC, behavior))

    def to_dict(self) -> dict[str, Any]:
        return {"type": self.type_name, "individual_digits": self.individual_digits}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Digits":
        w = "pre_tokenizer(Digits)"
        return cls(_bool(_require(data, "individual_digits", w), w + ".individual_digits"))

    def __repr__(self) -> str:
        return f"Digits(individual_digits={self.individual_digits})"


class CharDelimiterSplit(PreTokenizer):
    """Split on one delimiter character (which is dropped).

    Args:
        delimiter: the delimiter character.

    Example:
        >>> CharDelimiterSplit("|").pre_tokenize_str("a|b")
        [('a', (0, 1)), ('b', (2, 3))]
    """

    type_name = "CharDelimiterSplit"

    def __init__(self, delimiter: str) -> None:
        if not isinstance(delimiter, str) or len(delimiter) != 1:
            raise TokenizerError("expected a string of length 1 for CharDelimiterSplit.delimiter")
        self.delimiter = delimiter

    def pre_tokenize(self, pretok: PreTokenizedString) -> None:
        compiled = compile_literal(self.delimiter)
        pretok.split(lambda _, n: n.split(compiled, "removed"))

    def to_dict(self) -> dict[str, Any]:
        return {"type": self.type_name, "delimiter": self.delimiter}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "CharDelimiterSplit":
        w = "pre_tokenizer(CharDelimiterSplit)"
        delim = _require(data, "delimiter", w)
        if not isinstance(delim, str) or len(delim) != 1:
            raise TokenizerError(f"{w}.delimiter: expected a single character, got {delim!r}")
        return cls(delim)

    def __repr__(self) -> str:
        return f"CharDelimiterSplit(delimiter={rust_debug_str(self.delimiter)})"


class FixedLength(PreTokenizer):
    """Cut the text into pieces of ``length`` characters.

    Args:
        length: characters per piece.

    Example:
        >>> FixedLength(2).pre_tokenize_str("abcde")
        [('ab', (0, 2)), ('cd', (2, 4)), ('e', (4, 5))]
    """

    type_name = "FixedLength"

    def __init__(self, length: int = 5) -> None:
        if not isinstance(length, int) or length <= 0:
            raise TokenizerError(f"FixedLength.length must be a positive int, got {length!r}")
        self.length = length

    def _split(self, _: int, normalized: NormalizedString) -> list[NormalizedString]:
        n = len(normalized._normalized)
        out = []
        for start in range(0, n, self.length):
            piece = normalized._slice(start, min(n, start + self.length))
            if piece is not None:
                out.append(piece)
        return out

    def pre_tokenize(self, pretok: PreTokenizedString) -> None:
        pretok.split(self._split)

    def to_dict(self) -> dict[str, Any]:
        return {"type": self.type_name, "length": self.length}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "FixedLength":
        return cls(data.get("length", 5))

    def __repr__(self) -> str:
        return f"FixedLength(length={self.length})"


# Unicode script names (ISO 15924 long names) the `regex` module knows.
_SCRIPT_NAMES = """Adlam Ahom Anatolian_Hieroglyphs Arabic Armenian Avestan Balinese Bamum Bassa_Vah Batak
Bengali Bhaiksuki Bopomofo Brahmi Braille Buginese Buhid Canadian_Aboriginal Carian Caucasian_Albanian
Chakma Cham Cherokee Chorasmian Common Coptic Cuneiform Cypriot Cypro_Minoan Cyrillic Deseret Devanagari
Dives_Akuru Dogra Duployan Egyptian_Hieroglyphs Elbasan Elymaic Ethiopic Georgian Glagolitic Gothic
Grantha Greek Gujarati Gunjala_Gondi Gurmukhi Han Hangul Hanifi_Rohingya Hanunoo Hatran Hebrew Hiragana
Imperial_Aramaic Inherited Inscriptional_Pahlavi Inscriptional_Parthian Javanese Kaithi Kannada Katakana
Kawi Kayah_Li Kharoshthi Khitan_Small_Script Khmer Khojki Khudawadi Lao Latin Lepcha Limbu Linear_A
Linear_B Lisu Lycian Lydian Mahajani Makasar Malayalam Mandaic Manichaean Marchen Masaram_Gondi
Medefaidrin Meetei_Mayek Mende_Kikakui Meroitic_Cursive Meroitic_Hieroglyphs Miao Modi Mongolian Mro
Multani Myanmar Nabataean Nag_Mundari Nandinagari New_Tai_Lue Newa Nko Nushu Nyiakeng_Puachue_Hmong
Ogham Ol_Chiki Old_Hungarian Old_Italic Old_North_Arabian Old_Permic Old_Persian Old_Sogdian
Old_South_Arabian Old_Turkic Old_Uyghur Oriya Osage Osmanya Pahawh_Hmong Palmyrene Pau_Cin_Hau
Phags_Pa Phoenician Psalter_Pahlavi Rejang Runic Samaritan Saurashtra Sharada Shavian Siddham
SignWriting Sinhala Sogdian Sora_Sompeng Soyombo Sundanese Syloti_Nagri Syriac Tagalog Tagbanwa
Tai_Le Tai_Tham Tai_Viet Takri Tamil Tangsa Tangut Telugu Thaana Thai Tibetan Tifinagh Tirhuta Toto
Ugaritic Vai Vithkuqi Wancho Warang_Citi Yezidi Yi Zanabazar_Square""".split()

_SCRIPT_RE: "regex.Pattern[str] | None" = None
_SCRIPT_CACHE: dict[str, str] = {}


def _script_regex() -> "regex.Pattern[str]":
    global _SCRIPT_RE
    if _SCRIPT_RE is None:
        parts = []
        for name in _SCRIPT_NAMES:
            try:
                regex.compile(r"\p{sc=%s}" % name)
            except regex.error:
                continue
            parts.append(r"(?P<%s>\p{sc=%s})" % (name, name))
        _SCRIPT_RE = regex.compile("|".join(parts))
    return _SCRIPT_RE


_SCRIPT_ANY: "list[tuple[int, int]] | None" = None


def _in_script_any(c: str) -> bool:
    global _SCRIPT_ANY
    if _SCRIPT_ANY is None:
        _SCRIPT_ANY = parse_ranges(unicode_tables.SCRIPT_ANY)
    o = ord(c)
    i = bisect.bisect_right(_SCRIPT_ANY, (o, 0x110000)) - 1
    return i >= 0 and _SCRIPT_ANY[i][0] <= o <= _SCRIPT_ANY[i][1]


def char_script(c: str) -> str:
    """The script of ``c`` as the reference groups them: Hiragana, Katakana and ``ー``
    count as Han; a space, and characters outside the reference's script table, are
    ``Any`` (they join any script)."""
    script = _SCRIPT_CACHE.get(c)
    if script is None:
        if c == "\u30fc":
            script = "Han"
        elif c == " " or _in_script_any(c):
            script = "Any"
        elif ord(c) in unicode_tables.SCRIPT_OVERRIDE:
            script = unicode_tables.SCRIPT_OVERRIDE[ord(c)]
        else:
            m = _script_regex().match(c)
            script = m.lastgroup if m is not None else "Any"
            if script in ("Hiragana", "Katakana"):
                script = "Han"
        _SCRIPT_CACHE[c] = script
    return script


class UnicodeScripts(PreTokenizer):
    """Split where the Unicode script changes (spaces stay with the text before them).

    Example:
        >>> UnicodeScripts().pre_tokenize_str("どこ Where")
        [('どこ ', (0, 3)), ('Where', (3, 8))]
    """

    type_name = "UnicodeScripts"

    def _split(self, _: int, normalized: NormalizedString) -> list[NormalizedString]:
        text = normalized._normalized
        last = None
        bounds = []
        for i, c in enumerate(text):
            script = char_script(c)
            if script != "Any" and last != "Any" and last != script:
                bounds.append(i)
            if script != "Any":
                last = script
        bounds.append(len(text))
        out = []
        for a, b in zip(bounds, bounds[1:]):
            piece = normalized._slice(a, b)
            if piece is not None:
                out.append(piece)
        return out

    def pre_tokenize(self, pretok: PreTokenizedString) -> None:
        pretok.split(self._split)


class Sequence(ComponentSequence, PreTokenizer):
    """Run several pre-tokenizers one after the other.

    Args:
        pretokenizers: the pre-tokenizers, in order.

    Example:
        >>> Sequence([WhitespaceSplit(), Digits(True)]).pre_tokenize_str("a1 b")
        [('a', (0, 1)), ('1', (1, 2)), ('b', (3, 4))]
    """

    type_name = "Sequence"
    items_field = "pretokenizers"

    def __init__(self, pretokenizers: list[PreTokenizer]) -> None:
        self._set_items(pretokenizers, PreTokenizer)

    def pre_tokenize(self, pretok: PreTokenizedString) -> None:
        for p in self.pretokenizers:
            p.pre_tokenize(pretok)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Sequence":
        items = _require(data, "pretokenizers", "pre_tokenizer(Sequence)")
        if not isinstance(items, list):
            raise TokenizerError("pre_tokenizer(Sequence).pretokenizers: expected a list")
        return cls(
            [pre_tokenizer_from_dict(d, f"pre_tokenizer.pretokenizers[{i}]") for i, d in enumerate(items)]
        )


PRE_TOKENIZERS: dict[str, type[PreTokenizer]] = {
    cls.type_name: cls
    for cls in (
        BertPreTokenizer,
        ByteLevel,
        CharDelimiterSplit,
        Digits,
        FixedLength,
        Metaspace,
        Punctuation,
        Sequence,
        Split,
        UnicodeScripts,
        Whitespace,
        WhitespaceSplit,
    )
}
