"""Strings that remember where each character came from.

A :class:`NormalizedString` holds an *original* string and a *normalized* one, plus for
every normalized character the ``(start, end)`` character span of the original it came
from. Every edit (lowercasing, NFKC, removing control characters, prepending a marker,
splitting into words) updates those spans, so the offsets of the final tokens always
point back into the text the user gave.

A :class:`PreTokenizedString` is the list of pieces ("splits") a string has been cut into
so far; each split is a :class:`NormalizedString`, and once a model has run, its tokens.

The alignment rules follow the reference engine exactly, including its quirks (inserted
characters share the span of the character before them; a composed character keeps only
the span of its first component), because token offsets must match it.

Example:
    >>> n = NormalizedString("Héllo")
    >>> n.lowercase(); n.prepend("▁")
    >>> n.normalized
    '▁héllo'
    >>> n.convert_offsets_to_original(0, 2)  # "▁" shares the span of "H"
    (0, 1)
"""

from __future__ import annotations

import enum
import unicodedata
from typing import Any, Callable, Iterable, NamedTuple, Sequence

import regex

from embrace.errors import TokenizerError
from embrace.tokenizers import unicode_tables

__all__ = [
    "Token",
    "Regex",
    "NormalizedString",
    "PreTokenizedString",
    "SplitDelimiterBehavior",
    "OffsetReferential",
    "OffsetType",
]


# --- the reference's character sets -------------------------------------------------------


def parse_ranges(spec: str) -> list[tuple[int, int]]:
    """``"21-2f,3a"`` -> ``[(0x21, 0x2f), (0x3a, 0x3a)]``."""
    out = []
    for part in spec.split(","):
        if not part:
            continue
        a, _, b = part.partition("-")
        out.append((int(a, 16), int(b or a, 16)))
    return out


def ranges_class(spec: str) -> str:
    """The body of a regex character class (without brackets) for a range spec."""
    out = []
    for a, b in parse_ranges(spec):
        out.append("\\U%08x" % a if a == b else "\\U%08x-\\U%08x" % (a, b))
    return "".join(out)


# Oniguruma's \\w inside a bracket class (a different set than outside one) and its complement.
ONIG_CLASS_WORD_CLASS = ranges_class(unicode_tables.ONIG_CLASS_WORD)


def _complement_spec(spec: str) -> str:
    out, prev = [], 0
    for a, b in parse_ranges(spec):
        if a > prev:
            out.append(f"{prev:x}-{a - 1:x}")
        prev = b + 1
    if prev <= 0x10FFFF:
        out.append(f"{prev:x}-10ffff")
    return ",".join(out)


ONIG_CLASS_NON_WORD_CLASS = ranges_class(_complement_spec(unicode_tables.ONIG_CLASS_WORD))


class CharTable:
    """Classifies every character of a string at once: ``classify(text)`` returns a
    string of the same length holding one ASCII class letter per character.

    It is a ``str.translate`` table over all code points (built on first use), so
    classifying is a single C loop, and the boundaries are then found with tiny ASCII
    regexes over the class string.

    Args:
        default: the letter of characters in none of the classes.
        classes: ``(letter, ranges)`` pairs; later pairs win where they overlap.
    """

    __slots__ = ("_default", "_classes", "_table")

    def __init__(self, default: str, *classes: tuple[str, str]) -> None:
        self._default = default
        self._classes = classes
        self._table: "str | None" = None

    def table(self) -> str:
        if self._table is None:
            buf = bytearray(self._default.encode("ascii")) * 0x110000
            for letter, spec in self._classes:
                code = letter.encode("ascii")
                for a, b in parse_ranges(spec):
                    buf[a : b + 1] = code * (b - a + 1)
            self._table = buf.decode("ascii")
        return self._table

    def classify(self, text: str) -> str:
        return text.translate(self.table())


_RUST_WS_SPEC = "9-d,20,85,a0,1680,2000-200a,2028-2029,202f,205f,3000"
_CJK_SPEC = "3400-4dbf,4e00-9fff,f900-faff,20000-2a6df,2a700-2b73f,2b740-2b81f,2b920-2ceaf,2f800-2fa1f"
# BertPreTokenizer / Punctuation: s = whitespace, p = punctuation, o = other
BERT_PRE_TABLE = CharTable("o", ("p", unicode_tables.BERT_PUNCT), ("s", _RUST_WS_SPEC))
# Whitespace pre-tokenizer (\w+|[^\w\s]+): w = word, s = whitespace, o = other
WORD_TABLE = CharTable("o", ("w", unicode_tables.RUST_WORD), ("s", _RUST_WS_SPEC))
# Digits: n = numeric
NUMERIC_TABLE = CharTable("o", ("n", unicode_tables.NUMERIC))
# BertNormalizer: c = removed by clean_text, s = becomes a space, j = CJK ideograph
BERT_NORM_TABLE = CharTable(
    "o", ("s", _RUST_WS_SPEC), ("c", unicode_tables.BERT_CONTROL), ("j", _CJK_SPEC)
)
# m = a mark BertNormalizer(strip_accents) drops / a non-spacing mark StripAccents drops
BERT_MARK_TABLE = CharTable("o", ("m", unicode_tables.BERT_MARK))
NONSPACING_MARK_TABLE = CharTable("o", ("m", unicode_tables.NONSPACING_MARK))

_STAND_IN_UNASSIGNED = 0x0378  # unassigned in every Unicode version
_ONIG_TEXT_TABLE: "str | None" = None


def onig_text(text: str) -> str:
    """``text`` with the characters the reference's regex engine does not know yet
    replaced by an unassigned code point (one char for one char, offsets unchanged)."""
    global _ONIG_TEXT_TABLE
    if text.isascii():
        return text
    if _ONIG_TEXT_TABLE is None:
        import array
        import sys

        typecode = "I" if array.array("I").itemsize == 4 else "L"
        codes = array.array(typecode, range(0x110000))
        for a, b in parse_ranges(unicode_tables.ONIG_CN):
            codes[a : b + 1] = array.array(typecode, [_STAND_IN_UNASSIGNED]) * (b - a + 1)
        encoding = "utf-32-le" if sys.byteorder == "little" else "utf-32-be"
        _ONIG_TEXT_TABLE = codes.tobytes().decode(encoding, "surrogatepass")
    return text.translate(_ONIG_TEXT_TABLE)


class Token(NamedTuple):
    """One token produced by a model: its id, its string and its ``(start, end)`` offsets.

    Offsets are character offsets into the sequence the model was given.

    Example:
        >>> Token(5, "he", (0, 2)).as_tuple()
        (5, 'he', (0, 2))
    """

    id: int
    value: str
    offsets: tuple[int, int]

    def as_tuple(self) -> tuple[int, str, tuple[int, int]]:
        """Return ``(id, value, offsets)`` as a plain tuple."""
        return (self.id, self.value, self.offsets)


class SplitDelimiterBehavior(enum.Enum):
    """What to do with the delimiter when splitting a string."""

    REMOVED = "removed"
    ISOLATED = "isolated"
    MERGED_WITH_PREVIOUS = "merged_with_previous"
    MERGED_WITH_NEXT = "merged_with_next"
    CONTIGUOUS = "contiguous"


class OffsetReferential(enum.Enum):
    """Whether split offsets are expressed in the original or the normalized string."""

    ORIGINAL = "original"
    NORMALIZED = "normalized"


class OffsetType(enum.Enum):
    """Whether offsets count bytes (UTF-8) or characters."""

    BYTE = "byte"
    CHAR = "char"


_BEHAVIORS = {b.value for b in SplitDelimiterBehavior}


def behavior_name(behavior: "str | SplitDelimiterBehavior") -> str:
    """Normalize a split behaviour given as enum or string to its lowercase name."""
    if isinstance(behavior, SplitDelimiterBehavior):
        return behavior.value
    if isinstance(behavior, str):
        name = behavior.lower()
        if name in _BEHAVIORS:
            return name
    raise TokenizerError(
        f"Unknown split behavior {behavior!r}; expected one of: {', '.join(sorted(_BEHAVIORS))}"
    )


_ONIG_WORD: "str | None" = None


def _all_code_points() -> str:
    import array
    import sys

    typecode = "I" if array.array("I").itemsize == 4 else "L"
    codes = array.array(typecode, range(0x110000))
    return codes.tobytes().decode("utf-32-le" if sys.byteorder == "little" else "utf-32-be", "surrogatepass")


def _onig_word() -> str:
    """``\\w`` as the reference's regex engine defines it, written as this ``regex``
    module's own ``\\w`` corrected by the (few) code points where the two differ."""
    global _ONIG_WORD
    if _ONIG_WORD is None:
        ours: set[int] = set()
        for m in regex.finditer(r"\w+", _all_code_points()):
            ours.update(range(m.start(), m.end()))
        theirs: set[int] = set()
        for a, b in parse_ranges(unicode_tables.ONIG_WORD):
            theirs.update(range(a, b + 1))

        def cls(points: set[int]) -> str:
            spans: list[list[int]] = []
            for c in sorted(points):
                if spans and spans[-1][1] == c - 1:
                    spans[-1][1] = c
                else:
                    spans.append([c, c])
            return "[" + "".join("\\U%08x-\\U%08x" % (a, b) for a, b in spans) + "]"

        missing, extra = ours - theirs, theirs - ours
        expr = "\\w" if not missing else f"(?!{cls(missing)})\\w"
        if extra:
            expr = f"{expr}|{cls(extra)}"
        _ONIG_WORD = f"(?:{expr})"
    return _ONIG_WORD


def onig_to_python(pattern: str) -> str:
    """Rewrite the few Oniguruma (Ruby syntax) constructs that mean something else in
    Python's ``regex``: ``(?m)`` is dot-all there, ``\\h`` a hex digit, ``\\Z`` may
    match before a final newline and ``\\z`` is the very end. (``^``/``$`` are line
    anchors in Ruby syntax: the caller compiles with MULTILINE.)"""
    out: list[str] = []
    i, n = 0, len(pattern)
    in_class = 0
    while i < n:
        c = pattern[i]
        if c == "\\" and i + 1 < n:
            nxt = pattern[i + 1]
            if nxt == "h":
                out.append("0-9a-fA-F" if in_class else "[0-9a-fA-F]")
            elif nxt == "w":
                out.append(ONIG_CLASS_WORD_CLASS if in_class else _onig_word())
            elif nxt == "W":
                out.append(ONIG_CLASS_NON_WORD_CLASS if in_class else f"(?:(?!{_onig_word()})(?s:.))")
            elif nxt in "bB" and not in_class:
                word = _onig_word()
                boundary = f"(?:(?<={word})(?!{word})|(?<!{word})(?={word}))"
                out.append(boundary if nxt == "b" else f"(?!{boundary})")
            elif nxt == "H" and not in_class:
                out.append("[^0-9a-fA-F]")
            elif nxt == "Z" and not in_class:
                out.append(r"(?=\n?\z)")
            else:
                out.append(pattern[i : i + 2])
            i += 2
            continue
        if in_class:
            if c == "[":
                in_class += 1
            elif c == "]":
                in_class -= 1
            out.append(c)
            i += 1
            continue
        if c == "[":
            in_class = 1
            out.append(c)
            i += 1
            # a `]` right after `[` or `[^` is a literal
            if i < n and pattern[i] == "^":
                out.append("^")
                i += 1
            if i < n and pattern[i] == "]":
                out.append("]")
                i += 1
            continue
        if c == "(" and pattern.startswith("(?", i):
            j = i + 2
            while j < n and pattern[j] in "imx-":
                j += 1
            if j > i + 2 and j < n and pattern[j] in ":)":
                out.append("(?" + pattern[i + 2 : j].replace("m", "s") + pattern[j])
                i = j + 1
                continue
        out.append(c)
        i += 1
    return "".join(out)


class Regex:
    """A regular-expression pattern (as opposed to a literal string pattern).

    The syntax is the one of the reference (Oniguruma, Ruby flavour): ``\\p{L}``,
    ``(?i:...)``, lookaheads, ``^``/``$`` as line anchors. It is translated for and
    compiled with the ``regex`` module.

    Example:
        >>> Regex(r"\\s+").pattern
        '\\\\s+'
    """

    __slots__ = ("pattern", "_compiled")

    def __init__(self, pattern: str) -> None:
        if not isinstance(pattern, str):
            raise TokenizerError(f"Regex pattern must be a str, got {type(pattern).__name__}")
        self.pattern = pattern
        try:
            self._compiled = OnigPattern(regex.compile(onig_to_python(pattern), regex.MULTILINE))
        except regex.error as exc:
            raise TokenizerError(f"Invalid regex pattern {pattern!r}: {exc}") from exc

    @property
    def compiled(self) -> "OnigPattern":
        return self._compiled

    def __repr__(self) -> str:
        return f"Regex({self.pattern!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Regex) and other.pattern == self.pattern

    def __hash__(self) -> int:
        return hash(("Regex", self.pattern))


class OnigPattern:
    """A compiled pattern that sees text the way the reference's regex engine does
    (characters newer than its Unicode tables count as unassigned)."""

    __slots__ = ("compiled",)

    def __init__(self, compiled: "regex.Pattern[str]") -> None:
        self.compiled = compiled

    def finditer(self, text: str) -> Any:
        return self.compiled.finditer(onig_text(text))

    def search(self, text: str) -> Any:
        return self.compiled.search(onig_text(text))


class ClassPattern:
    """A pattern over the class letters of a :class:`CharTable` (``finditer`` on text)."""

    __slots__ = ("table", "compiled")

    def __init__(self, table: CharTable, pattern: str) -> None:
        import re

        self.table = table
        self.compiled = re.compile(pattern)

    def finditer(self, text: str) -> Any:
        return self.compiled.finditer(self.table.classify(text))

    def search(self, text: str) -> Any:
        return self.compiled.search(self.table.classify(text))


class Invert:
    """Wraps a pattern so that what it matches becomes the gaps, and the gaps the matches."""

    __slots__ = ("pattern",)

    def __init__(self, pattern: Any) -> None:
        self.pattern = pattern


# --- pattern matching ------------------------------------------------------------------

_LITERAL_CACHE: dict[str, "regex.Pattern[str]"] = {}


def compile_literal(text: str) -> "regex.Pattern[str]":
    """A compiled regex matching ``text`` literally (cached)."""
    compiled = _LITERAL_CACHE.get(text)
    if compiled is None:
        compiled = regex.compile(regex.escape(text))
        if len(_LITERAL_CACHE) < 4096:
            _LITERAL_CACHE[text] = compiled
    return compiled


def regex_matches(compiled: Any, text: str) -> list[tuple[int, int, bool]]:
    """Cut ``text`` into alternating gaps and matches: ``[(start, end, is_match), ...]``.

    An empty match right where the previous match ended is skipped, as the reference's
    regex iterator does.
    """
    if not text:
        return [(0, 0, False)]
    out: list[tuple[int, int, bool]] = []
    prev = 0
    last_end = -1
    for m in compiled.finditer(text):
        start, end = m.span()
        if start == end and start == last_end:
            continue
        if prev != start:
            out.append((prev, start, False))
        out.append((start, end, True))
        prev = end
        last_end = end
    if prev != len(text):
        out.append((prev, len(text), False))
    return out


def isolated_spans(compiled: Any, text: str) -> list[tuple[int, int]]:
    """``regex_matches(compiled, text)`` without the ``is_match`` flags, built in one pass:
    what an ``isolated`` split keeps (gaps and matches alike)."""
    if not text:
        return [(0, 0)]
    out: list[tuple[int, int]] = []
    append = out.append
    prev = 0
    last_end = -1
    for m in compiled.finditer(text):
        start, end = m.span()
        if start == end and start == last_end:
            continue
        if prev != start:
            append((prev, start))
        append((start, end))
        prev = last_end = end
    if prev != len(text):
        append((prev, len(text)))
    return out


def predicate_matches(pred: Callable[[str], bool], text: str) -> list[tuple[int, int, bool]]:
    """Like :func:`regex_matches` for a per-character predicate: each matching char is a match."""
    if not text:
        return [(0, 0, False)]
    out: list[tuple[int, int, bool]] = []
    last = 0
    for i, c in enumerate(text):
        if pred(c):
            if last < i:
                out.append((last, i, False))
            out.append((i, i + 1, True))
            last = i + 1
    if len(text) > last:
        out.append((last, len(text), False))
    return out


def find_matches(pattern: Any, text: str) -> list[tuple[int, int, bool]]:
    """Dispatch on the pattern kind: literal ``str``, :class:`Regex`, compiled regex,
    per-character callable, or :class:`Invert` of any of those."""
    if isinstance(pattern, Invert):
        return [(s, e, not m) for s, e, m in find_matches(pattern.pattern, text)]
    if isinstance(pattern, str):
        if not pattern:
            return [(0, len(text), False)]
        return regex_matches(compile_literal(pattern), text)
    if isinstance(pattern, Regex):
        return regex_matches(pattern.compiled, text)
    if isinstance(pattern, (regex.Pattern, OnigPattern, ClassPattern)):
        return regex_matches(pattern, text)
    if callable(pattern):
        return predicate_matches(pattern, text)
    raise TokenizerError(
        f"Unsupported pattern of type {type(pattern).__name__}; use a str, a Regex or a callable"
    )


_COMPILED_PATTERNS = (regex.Pattern, OnigPattern, ClassPattern)


def apply_behavior(
    matches: list[tuple[int, int, bool]], behavior: str
) -> list[tuple[int, int, bool]]:
    """Turn gaps/matches into ``(start, end, remove)`` pieces for a split behaviour."""
    if behavior == "isolated":
        return [(s, e, False) for s, e, _ in matches]
    if behavior == "removed":
        return matches
    acc: list[list[Any]] = []
    previous = False
    if behavior == "contiguous":
        for s, e, is_match in matches:
            if is_match == previous and acc:
                acc[-1][1] = e
            else:
                acc.append([s, e, False])
            previous = is_match
        return [(a, b, c) for a, b, c in acc]
    if behavior == "merged_with_previous":
        for s, e, is_match in matches:
            if is_match and not previous and acc:
                acc[-1][1] = e
            else:
                acc.append([s, e, False])
            previous = is_match
        return [(a, b, c) for a, b, c in acc]
    if behavior == "merged_with_next":
        for s, e, is_match in reversed(matches):
            if is_match and not previous and acc:
                acc[-1][0] = s
            else:
                acc.append([s, e, False])
            previous = is_match
        acc.reverse()
        return [(a, b, c) for a, b, c in acc]
    raise TokenizerError(f"Unknown split behavior {behavior!r}")


# --- unicode normalization with alignment changes ----------------------------------------

_combining = unicodedata.combining
_LOWER_EXTRA_MAP: dict[int, str] = dict(unicode_tables.LOWER_EXTRA)
_LOWER_EXTRA = regex.compile("[" + "".join("\\U%08x" % c for c in _LOWER_EXTRA_MAP) + "]")
_DECOMP_CACHE: dict[tuple[str, bool], str] = {}
_COMPOSE_CACHE: dict[tuple[str, str], "str | None"] = {}


def _decompose(text: str, compat: bool) -> list[tuple[str, int]]:
    """Decompose char by char, marking each extra char as inserted (+1), then put
    combining marks in canonical order (they carry their change with them)."""
    form = "NFKD" if compat else "NFD"
    overrides = unicode_tables.NFKD_OVERRIDE if compat else unicode_tables.NFD_OVERRIDE
    items: list[tuple[int, str, int]] = []
    for ch in text:
        key = (ch, compat)
        dec = _DECOMP_CACHE.get(key)
        if dec is None:
            dec = overrides.get(ord(ch))
            if dec is None:
                dec = unicodedata.normalize(form, ch)
            _DECOMP_CACHE[key] = dec
        first = True
        for dc in dec:
            items.append((_combining(dc), dc, 0 if first else 1))
            first = False
    i, n = 0, len(items)
    while i < n:
        if items[i][0] != 0:
            j = i
            while j < n and items[j][0] != 0:
                j += 1
            if j - i > 1:
                items[i:j] = sorted(items[i:j], key=lambda t: t[0])
            i = j
        else:
            i += 1
    return [(ch, change) for _, ch, change in items]


def _primary_composite(a: str, b: str) -> "str | None":
    key = (a, b)
    if key in _COMPOSE_CACHE:
        return _COMPOSE_CACHE[key]
    composed = unicodedata.normalize("NFC", a + b)
    result = composed if len(composed) == 1 else None
    _COMPOSE_CACHE[key] = result
    return result


def _recompose(items: list[tuple[str, int]]) -> list[tuple[str, int]]:
    """Canonical composition; a composed char's change absorbs its components."""
    out: list[tuple[str, int]] = []
    composee: "tuple[str, int] | None" = None
    last_ccc: "int | None" = None
    buffer: list[tuple[str, int]] = []
    for ch, change in items:
        cc = _combining(ch)
        if composee is None:
            if cc != 0:
                out.append((ch, change))
            else:
                composee = (ch, change)
            continue
        if last_ccc is None:
            composed = _primary_composite(composee[0], ch)
            if composed is not None:
                composee = (composed, composee[1] + change - 1)
                continue
            if cc == 0:
                out.append(composee)
                composee = (ch, change)
                continue
            buffer.append((ch, change))
            last_ccc = cc
        else:
            if last_ccc >= cc:
                if cc == 0:
                    out.append(composee)
                    out.extend(buffer)
                    buffer.clear()
                    composee = (ch, change)
                    last_ccc = None
                    continue
                buffer.append((ch, change))
                last_ccc = cc
                continue
            composed = _primary_composite(composee[0], ch)
            if composed is not None:
                composee = (composed, composee[1] + change - 1)
                continue
            buffer.append((ch, change))
            last_ccc = cc
    if composee is not None:
        out.append(composee)
    out.extend(buffer)
    return out


def unicode_transformations(text: str, form: str) -> list[tuple[str, int]]:
    """The ``(char, change)`` list that turns ``text`` into its ``form`` normalization."""
    compat = form in ("NFKD", "NFKC")
    items = _decompose(text, compat)
    if form in ("NFC", "NFKC"):
        items = _recompose(items)
    return items


# --- NormalizedString ------------------------------------------------------------------


def _char_to_byte_offsets(text: str) -> list[int]:
    """``out[i]`` is the UTF-8 byte offset of char ``i``; ``out[len(text)]`` the total."""
    out = [0] * (len(text) + 1)
    pos = 0
    for i, c in enumerate(text):
        out[i] = pos
        o = ord(c)
        pos += 1 if o < 0x80 else 2 if o < 0x800 else 3 if o < 0x10000 else 4
    out[len(text)] = pos
    return out


_new_normalized = object.__new__
# _IDENTITY[i] == (i, i + 1): the identity alignment, grown on demand and sliced to
# recognise pieces whose alignment is a plain shift.
_IDENTITY: list[tuple[int, int]] = []


def _identity(start: int, end: int) -> list[tuple[int, int]]:
    """``[(start, start + 1), ..., (end - 1, end)]``, as a slice of a shared table."""
    if end > len(_IDENTITY):
        _IDENTITY.extend((i, i + 1) for i in range(len(_IDENTITY), max(end, 2 * len(_IDENTITY))))
    return _IDENTITY[start:end]


def _byte_span_to_chars(table: list[int], span: tuple[int, int]) -> tuple[int, int]:
    """A byte span inside a string -> the char span covering it (``table``: char -> byte)."""
    import bisect

    a, b = span
    start = bisect.bisect_right(table, a) - 1 if a < table[-1] else len(table) - 1 + (a - table[-1])
    if b <= a:
        return (start, start)
    end = bisect.bisect_right(table, b - 1) if b - 1 < table[-1] else len(table) - 1 + (b - table[-1])
    return (start, end)


def _bytes_to_chars(table: list[int], n_bytes: int, offsets: tuple[int, int]) -> tuple[int, int]:
    """Byte offsets -> char offsets through ``table`` (char -> byte start), the way the
    reference does it: a start past the end keeps the byte offsets; an end past the end
    maps to one past the char holding the last byte."""
    import bisect

    start, end = offsets
    if not 0 <= start < n_bytes:
        return offsets
    start_char = bisect.bisect_right(table, start) - 1
    if 0 <= end < n_bytes:
        return (start_char, bisect.bisect_right(table, end) - 1)
    if 0 <= end - 1 < n_bytes:
        return (start_char, bisect.bisect_right(table, end - 1))
    return (start_char, start_char + 2)


class NormalizedString:
    """An original string, its normalized form, and the alignment between the two.

    ``alignments[i]`` is the ``(start, end)`` span (characters of the original) that the
    normalized character ``i`` comes from. All offsets are character offsets.

    Args:
        sequence: the original text.

    Example:
        >>> n = NormalizedString("HELLO world")
        >>> n.lowercase()
        >>> n.normalized, n.original
        ('hello world', 'HELLO world')
    """

    __slots__ = ("_original", "_normalized", "_align", "_shift")

    def __init__(self, sequence: str = "") -> None:
        if not isinstance(sequence, str):
            raise TypeError(f"NormalizedString expects a str, got {type(sequence).__name__}")
        self._original = sequence
        self._normalized = sequence
        # None means the identity alignment: normalized char i <- original char i.
        self._align: "list[tuple[int, int]] | None" = None
        self._shift = 0

    @classmethod
    def _make(
        cls, original: str, normalized: str, align: "list[tuple[int, int]] | None", shift: int
    ) -> "NormalizedString":
        self = cls.__new__(cls)
        self._original = original
        self._normalized = normalized
        self._align = align
        self._shift = shift
        return self

    # --- views ---------------------------------------------------------------------
    @property
    def normalized(self) -> str:
        """The normalized text."""
        return self._normalized

    @property
    def original(self) -> str:
        """The original text."""
        return self._original

    @property
    def original_shift(self) -> int:
        """Where this (possibly sliced) string starts inside the whole original input."""
        return self._shift

    @property
    def alignments(self) -> list[tuple[int, int]]:
        """Per normalized character, its ``(start, end)`` span in :attr:`original`."""
        if self._align is None:
            return [(i, i + 1) for i in range(len(self._normalized))]
        return list(self._align)

    def _alignments(self) -> list[tuple[int, int]]:
        if self._align is None:
            return [(i, i + 1) for i in range(len(self._normalized))]
        return self._align

    def get(self) -> str:
        return self._normalized

    def __len__(self) -> int:
        return len(self._normalized)

    def is_empty(self) -> bool:
        return not self._normalized

    def offsets_original(self) -> tuple[int, int]:
        """The span of this string inside the whole original input."""
        return (self._shift, self._shift + len(self._original))

    def __str__(self) -> str:
        return self._normalized

    def __repr__(self) -> str:
        return f'NormalizedString(original="{self._original}", normalized="{self._normalized}")'

    def __eq__(self, other: object) -> bool:
        if isinstance(other, str):
            return self._normalized == other
        if isinstance(other, NormalizedString):
            return (
                self._original == other._original
                and self._normalized == other._normalized
                and self._alignments() == other._alignments()
                and self._shift == other._shift
            )
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    # --- offsets -------------------------------------------------------------------
    def convert_offsets_to_original(self, start: int, end: int) -> "tuple[int, int] | None":
        """Map a normalized ``[start, end)`` range to the original (relative to this string)."""
        if start == end:
            return (start, end)
        if start > end:
            return None
        n = len(self._normalized)
        if not self._normalized and start == 0 and end == 0:
            return (0, len(self._original))
        if start < 0 or end > n:
            return None
        if self._align is None:
            return (start, end)
        return (self._align[start][0], self._align[end - 1][1])

    def convert_offsets_to_normalized(self, start: int, end: int) -> "tuple[int, int] | None":
        """Map an original ``[start, end)`` range to the normalized string."""
        if start == end:
            return (start, end)
        if start > end:
            return None
        if not self._original and start == 0 and end == 0:
            return (0, len(self._normalized))
        if self._align is None:
            if end > len(self._original):
                return None
            return (start, end)
        first = last = None
        for i, (a, b) in enumerate(self._align):
            if end < b:
                break
            if first is None and start <= a and a != b:
                first = i
            last = i + 1
        if first is not None and last is None:
            return (first, first)
        if first is None and last is not None:
            return (last, last)
        if first is not None and last is not None:
            return (first, last)
        return None

    # --- slicing -------------------------------------------------------------------
    def _slice(self, start: int, end: int) -> "NormalizedString | None":
        """Sub-string for the normalized range ``[start, end)``."""
        if start < 0 or end > len(self._normalized) or start > end:
            return None
        if self._align is None:
            piece = _new_normalized(NormalizedString)
            piece._original = self._original[start:end]
            piece._normalized = self._normalized[start:end]
            piece._align = None
            piece._shift = self._shift + start
            return piece
        if start == end:
            o_start, o_end = start, end
        else:
            o_start, o_end = self._align[start][0], self._align[end - 1][1]
        shift = o_start
        align = [(a - shift, b - shift) for a, b in self._align[start:end]]
        return NormalizedString._make(
            self._original[o_start:o_end], self._normalized[start:end], align, self._shift + o_start
        )

    def _slices(self, spans: Iterable[tuple[int, int]]) -> list["NormalizedString"]:
        """:meth:`_slice` for many in-range spans at once (the pre-tokenizers' hot path).

        With the identity alignment each piece is two string slices and a shift, built
        here without a method call per piece."""
        original, normalized, shift, align = self._original, self._normalized, self._shift, self._align
        out = []
        append = out.append
        new = _new_normalized
        for start, end in spans:
            if align is None:
                o_start = start
            else:
                # A piece whose chars map one to one onto consecutive original chars
                # (untouched words after a prepend or a same-length replace) gets the
                # identity alignment too: later stages then skip per-char bookkeeping.
                if start == end:
                    append(self._slice(start, end))
                    continue
                o_start = align[start][0]
                length = end - start
                if align[end - 1][1] - o_start != length or align[start:end] != _identity(o_start, o_start + length):
                    append(self._slice(start, end))
                    continue
            piece = new(NormalizedString)
            piece._original = original[o_start : o_start + end - start]
            piece._normalized = normalized[start:end]
            piece._align = None
            piece._shift = shift + o_start
            append(piece)
        return out

    def _range(self, rng: Any) -> "tuple[int, int] | None":
        # The reference's quirks: no negative ints; negative slice bounds count from the
        # UTF-8 length; an end before the start means "to the end".
        n = len(self._normalized)
        if isinstance(rng, int) and not isinstance(rng, bool):
            return (rng, rng + 1) if 0 <= rng < n else None
        if isinstance(rng, slice):
            if rng.step not in (None, 1):
                raise TokenizerError("NormalizedString slices must have a step of 1")
            start, stop, _ = rng.indices(len(self._normalized.encode("utf-8", "surrogatepass")))
            start, stop = min(start, n), min(stop, n)
        elif isinstance(rng, (tuple, list)) and len(rng) == 2:
            start, stop = int(rng[0]), int(rng[1])
        else:
            raise TypeError(f"Expected an int, a slice or a (start, end) tuple, got {rng!r}")
        if start < 0 or (start >= n and start != 0):
            return None
        if stop < start or stop > n:
            stop = n
        return (start, stop)

    def slice(self, range: "int | tuple[int, int] | slice") -> "NormalizedString | None":
        """The part of this string covering the normalized ``range`` (alignment kept)."""
        r = self._range(range)
        return None if r is None else self._slice(*r)

    def __getitem__(self, range: "int | tuple[int, int] | slice") -> "NormalizedString | None":
        return self.slice(range)

    # --- the core edit ---------------------------------------------------------------
    def transform_range(
        self, start: int, end: int, dest: Iterable[tuple[str, int]], initial_offset: int = 0
    ) -> None:
        """Replace normalized chars ``[start, end)`` by ``dest``: ``(char, change)`` pairs.

        ``change`` is ``0`` for a char replacing one old char, ``1`` for an inserted
        char, and ``-n`` for a char replacing one old char and removing ``n`` more.
        ``initial_offset`` old chars are removed before the first new char.
        """
        align = self._alignments()
        n_align = len(align)
        available = (end - start) - initial_offset
        if available < 0:
            initial_offset += available
            available = 0
        offset = start + initial_offset
        new_chars: list[str] = []
        new_align: list[tuple[int, int]] = []
        append_c = new_chars.append
        append_a = new_align.append
        for c, change in dest:
            if change > 0:
                a = align[offset - 1] if 0 < offset <= n_align else (0, 0)
            else:
                if offset < n_align:
                    a = align[offset]
                else:
                    a = align[-1] if align else (0, 0)
                if available > 0:
                    offset += 1
                    available -= 1
                if change < 0:
                    removed = min(-change, available)
                    offset += removed
                    available -= removed
            append_c(c)
            append_a(a)
        normalized = self._normalized
        self._normalized = normalized[:start] + "".join(new_chars) + normalized[end:]
        self._align = align[:start] + new_align + align[end:]

    def transform(self, dest: Iterable[tuple[str, int]], initial_offset: int = 0) -> None:
        """:meth:`transform_range` over the whole normalized string."""
        self.transform_range(0, len(self._normalized), dest, initial_offset)

    # --- the edits the normalizers use ----------------------------------------------
    def filter(self, func: Callable[[str], bool]) -> None:
        """Keep only the characters for which ``func(char)`` is true."""
        text = self._normalized
        keep = [func(c) for c in text]
        if all(keep):
            return
        self._filter_mask(keep)

    def _filter_mask(self, keep: Sequence[bool]) -> None:
        text = self._normalized
        align = self._alignments()
        self._normalized = "".join(c for c, k in zip(text, keep) if k)
        self._align = [a for a, k in zip(align, keep) if k]

    def map(self, func: Callable[[str], str]) -> None:
        """Replace each character by ``func(char)`` (which must be one character)."""
        out = []
        for c in self._normalized:
            r = func(c)
            if not isinstance(r, str) or len(r) != 1:
                raise TokenizerError(f"map() function must return a single character, got {r!r}")
            out.append(r)
        self._normalized = "".join(out)

    def _map_str(self, new_text: str) -> None:
        """Replace the normalized text by one of the same length (char i -> char i)."""
        self._normalized = new_text

    def for_each(self, func: Callable[[str], Any]) -> None:
        """Call ``func`` on each normalized character."""
        for c in self._normalized:
            func(c)

    def _case(self, upper: bool) -> None:
        text = self._normalized
        whole = text.upper() if upper else text.lower()
        extra = None if upper or text.isascii() else _LOWER_EXTRA.search(text)
        if len(whole) == len(text) and "\u03a3" not in text and extra is None:
            self._normalized = whole
            return
        dest: list[tuple[str, int]] = []
        for c in text:
            mapped = c.upper() if upper else _LOWER_EXTRA_MAP.get(ord(c)) or c.lower()
            for i, m in enumerate(mapped):
                dest.append((m, 1 if i else 0))
        self.transform(dest, 0)

    def lowercase(self) -> None:
        """Lowercase, char by char (one char may become several)."""
        self._case(False)

    def uppercase(self) -> None:
        """Uppercase, char by char (one char may become several)."""
        self._case(True)

    def _unicode(self, form: str) -> None:
        text = self._normalized
        if unicodedata.is_normalized(form, text):
            return
        self.transform(unicode_transformations(text, form), 0)

    def nfd(self) -> None:
        """Unicode NFD."""
        self._unicode("NFD")

    def nfkd(self) -> None:
        """Unicode NFKD."""
        self._unicode("NFKD")

    def nfc(self) -> None:
        """Unicode NFC."""
        self._unicode("NFC")

    def nfkc(self) -> None:
        """Unicode NFKC."""
        self._unicode("NFKC")

    def _strip(self, left: bool, right: bool) -> None:
        text = self._normalized
        n = len(text)
        lead = 0
        if left:
            while lead < n and is_rust_whitespace(text[lead]):
                lead += 1
        trail = 0
        if right:
            while trail < n - lead and is_rust_whitespace(text[n - 1 - trail]):
                trail += 1
            if lead == n:
                trail = n
        if lead == 0 and trail == 0:
            return
        stop = max(lead, n - trail)
        align = self._alignments()
        self._normalized = text[lead:stop]
        self._align = align[lead:stop]

    def strip(self) -> None:
        """Remove whitespace at both ends."""
        self._strip(True, True)

    def lstrip(self) -> None:
        """Remove leading whitespace."""
        self._strip(True, False)

    def rstrip(self) -> None:
        """Remove trailing whitespace."""
        self._strip(False, True)

    def prepend(self, s: str) -> None:
        """Insert ``s`` at the start; it shares the span of the first character."""
        text = self._normalized
        if not text or not s:
            return
        dest = [(c, 1 if i else 0) for i, c in enumerate(s)]
        dest.append((text[0], 1))
        self.transform_range(0, 1, dest, 0)

    def append(self, s: str) -> None:
        """Append ``s`` at the end; it shares the span of the last character."""
        text = self._normalized
        if not s:
            return
        if not text:
            self._normalized = s
            self._align = [(0, 0)] * len(s)
            return
        last = len(text) - 1
        dest = [(text[last], 0)] + [(c, 1) for c in s]
        self.transform_range(last, last + 1, dest, 0)

    def replace(self, pattern: Any, content: str) -> None:
        """Replace every match of ``pattern`` (str or :class:`Regex`) by ``content``.

        The new characters take the span of the last character of the match.
        """
        text = self._normalized
        if isinstance(pattern, str) and len(pattern) == 1 and len(content) == 1:
            # One literal char for one char: each new char takes the span of the char it
            # replaces, so the alignment is unchanged (the general case below agrees).
            self._normalized = text.replace(pattern, content)
            return
        matches = find_matches(pattern, text)
        hits = [(start, end) for start, end, is_match in matches if is_match]
        if not hits:
            return
        if len(content) == 1 and all(end == start + 1 for start, end in hits):
            # One char replaced by one char: each new char takes the span of the char it
            # replaces, so the alignment is unchanged and only the text needs rebuilding.
            chars = list(text)
            for start, _ in hits:
                chars[start] = content
            self._normalized = "".join(chars)
            return
        align = self._alignments()
        new_text: list[str] = []
        new_align: list[tuple[int, int]] = []
        last_end = 0
        n_content = len(content)
        for start, end, is_match in matches:
            if not is_match:
                continue
            new_text.append(text[last_end:start])
            new_align.extend(align[last_end:start])
            if n_content:
                a = align[end - 1] if end >= 1 else (0, 0)
                new_text.append(content)
                new_align.extend([a] * n_content)
            last_end = end
        new_text.append(text[last_end:])
        new_align.extend(align[last_end:])
        self._normalized = "".join(new_text)
        self._align = new_align

    def clear(self) -> int:
        """Empty the normalized string; returns how many characters were removed."""
        n = len(self._normalized)
        self.transform([], n)
        return n

    def split(
        self, pattern: Any, behavior: "str | SplitDelimiterBehavior"
    ) -> list["NormalizedString"]:
        """Split on ``pattern`` with the given delimiter behaviour.

        Args:
            pattern: a literal ``str``, a :class:`Regex`, or a ``char -> bool`` callable.
            behavior: ``removed``, ``isolated``, ``merged_with_previous``,
                ``merged_with_next`` or ``contiguous``.
        """
        behavior = behavior_name(behavior)
        if behavior == "isolated" and isinstance(pattern, _COMPILED_PATTERNS):
            return self._slices(isolated_spans(pattern, self._normalized))
        matches = find_matches(pattern, self._normalized)
        if behavior == "isolated":
            return self._slices([(start, end) for start, end, _ in matches])
        if behavior == "removed":
            return self._slices([(start, end) for start, end, is_match in matches if not is_match])
        return self._slices([(start, end) for start, end, remove in apply_behavior(matches, behavior) if not remove])


# --- predicates with the reference's (Rust) definitions ---------------------------------

_RUST_WS = frozenset(
    "\t\n\x0b\x0c\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007"
    "\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)
RUST_WS_CLASS = (
    "\\t\\n\\x0b\\x0c\\r \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000"
)


def is_rust_whitespace(c: str) -> bool:
    """Unicode White_Space (what ``char::is_whitespace`` tests)."""
    return c in _RUST_WS


# --- PreTokenizedString ----------------------------------------------------------------


_PLAIN_PIECES = frozenset((NormalizedString,))


class PreTokenizedString:
    """A string cut into splits, each a :class:`NormalizedString` with optional tokens.

    Only splits without tokens are touched by :meth:`split`, :meth:`normalize` and
    :meth:`tokenize`.

    Args:
        s: the original text (or a :class:`NormalizedString`).

    Example:
        >>> p = PreTokenizedString("Hello there")
        >>> p.split(lambda i, n: n.split(" ", "removed"))
        >>> p.get_splits()
        [('Hello', (0, 5), None), ('there', (6, 11), None)]
    """

    __slots__ = ("_original", "splits")

    def __init__(self, s: "str | NormalizedString" = "") -> None:
        if isinstance(s, NormalizedString):
            self._original = s.original
            self.splits: list[list[Any]] = [[s, None]]
        elif isinstance(s, str):
            self._original = s
            self.splits = [[NormalizedString(s), None]]
        else:
            raise TypeError(f"PreTokenizedString expects a str, got {type(s).__name__}")

    @property
    def original(self) -> str:
        return self._original

    def split(self, func: Callable[[int, NormalizedString], Iterable[Any]]) -> None:
        """Replace each untokenized split by the pieces ``func(index, split)`` returns.

        A piece is a :class:`NormalizedString` or a ``(NormalizedString, tokens)`` pair;
        empty pieces are dropped.
        """
        new: list[list[Any]] = []
        append = new.append
        for i, split in enumerate(self.splits):
            normalized, tokens = split[0], split[1]
            if tokens is not None:
                append(split)
                continue
            result = func(i, normalized)
            if result is None:
                raise TokenizerError("A split function must return a list of NormalizedString")
            if result.__class__ is list and _PLAIN_PIECES.issuperset(map(type, result)):
                # Only plain pieces (what the built-in pre-tokenizers return): one pass.
                new += [[piece, None] for piece in result if piece._normalized]
                continue
            for piece in result:
                if piece.__class__ is NormalizedString:
                    if piece._normalized:
                        append([piece, None])
                elif isinstance(piece, NormalizedString):
                    if piece._normalized:
                        append([piece, None])
                else:
                    ns, toks = piece
                    if ns._normalized:
                        append([ns, toks])
        self.splits = new

    def normalize(self, func: Callable[[NormalizedString], Any]) -> None:
        """Call ``func(split)`` on every untokenized split to normalize it in place."""
        for split in self.splits:
            if split[1] is None:
                func(split[0])

    def tokenize(self, func: Callable[[str], list[Token]]) -> None:
        """Set the tokens of every untokenized split to ``func(split_text)``.

        As in the reference, the offsets of the returned tokens are UTF-8 *byte*
        offsets into the split's text (see :meth:`tokenize_chars` for char offsets).
        """
        for split in self.splits:
            if split[1] is None:
                text = split[0]._normalized
                split[1] = list(func(text))
                if not text.isascii():
                    split.append(True)  # offsets are bytes: converted in to_encoding

    def tokenize_chars(self, func: Callable[[str], list[Token]]) -> None:
        """Like :meth:`tokenize`, for a ``func`` whose token offsets are *character*
        offsets (what embrace's models return)."""
        for split in self.splits:
            if split[1] is None:
                tokens = func(split[0]._normalized)
                # embrace's models return a fresh list: no need to copy it again.
                split[1] = tokens if tokens.__class__ is list else list(tokens)

    def get_splits(
        self,
        offset_referential: "str | OffsetReferential" = "original",
        offset_type: "str | OffsetType" = "char",
    ) -> list[tuple[str, tuple[int, int], "list[Token] | None"]]:
        """The splits as ``(normalized_text, offsets, tokens)``.

        Args:
            offset_referential: ``"original"`` or ``"normalized"``.
            offset_type: ``"char"`` or ``"byte"``.
        """
        ref = offset_referential.value if isinstance(offset_referential, OffsetReferential) else offset_referential
        kind = offset_type.value if isinstance(offset_type, OffsetType) else offset_type
        if ref not in ("original", "normalized"):
            raise TokenizerError(f"offset_referential must be 'original' or 'normalized', got {ref!r}")
        if kind not in ("char", "byte"):
            raise TokenizerError(f"offset_type must be 'char' or 'byte', got {kind!r}")
        # The reference computes byte offsets, then (for "char") maps them through the
        # byte -> char table of the *original* string, keeping bytes where that fails.
        table = _char_to_byte_offsets(self._original)
        n_bytes = table[-1]
        out = []
        pos = 0
        for split in self.splits:
            normalized, tokens = split[0], split[1]
            if ref == "original":
                a, b = normalized.offsets_original()
                offsets = (table[a], table[b]) if 0 <= a <= b < len(table) else (a, b)
            else:
                length = len(normalized._normalized.encode("utf-8", errors="surrogatepass"))
                offsets = (pos, pos + length)
                pos += length
            if kind == "char":
                offsets = _bytes_to_chars(table, n_bytes, offsets)
            out.append((normalized._normalized, offsets, tokens))
        return out

    def to_encoding(self, type_id: int = 0, word_idx: "int | None" = None) -> "Any":
        """Build an :class:`~embrace.tokenizers.Encoding` from the tokenized splits."""
        from embrace.tokenizers.encoding import Encoding

        splits = self.splits
        if not splits:
            return Encoding()
        if None in [split[1] for split in splits]:
            raise TokenizerError("Split has not been tokenized, call `PreTokenizedString.tokenize` first")
        ids: list[int] = []
        tokens_out: list[str] = []
        offsets: list[tuple[int, int]] = []
        words: list["int | None"] = []
        add_id, add_token, add_offsets, add_word = ids.append, tokens_out.append, offsets.append, words.append
        for idx, split in enumerate(splits):
            tokens = split[1]
            if not tokens:
                continue
            normalized = split[0]
            word = idx if word_idx is None else word_idx
            shift = normalized._shift
            align = normalized._align
            n = len(normalized._normalized)
            if len(split) > 2:
                table = _char_to_byte_offsets(normalized._normalized)
                tokens = [(t[0], t[1], _byte_span_to_chars(table, t[2])) for t in tokens]
            if align is None:
                # Identity alignment (the common case): offsets are just shifted.
                for tid, value, (a, b) in tokens:
                    add_id(tid)
                    add_token(value)
                    add_word(word)
                    add_offsets((shift + a, shift + b) if a == b or 0 <= a < b <= n else (a, b))
                continue
            for tid, value, (a, b) in tokens:
                add_id(tid)
                add_token(value)
                add_word(word)
                if 0 <= a < b <= n:
                    add_offsets((shift + align[a][0], shift + align[b - 1][1]))
                elif a == b:
                    add_offsets((shift + a, shift + b))
                else:
                    add_offsets((a, b))
        n_tok = len(ids)
        return Encoding._make(
            ids=ids,
            type_ids=[type_id] * n_tok,
            tokens=tokens_out,
            words=words,
            offsets=offsets,
            special_tokens_mask=[0] * n_tok,
            attention_mask=[1] * n_tok,
        )

    def __repr__(self) -> str:
        return f"PreTokenizedString(original={self._original!r}, splits={len(self.splits)})"
