"""Normalizers: the first stage of the pipeline, editing text while tracking offsets.

Each class is one ``"type"`` of the ``normalizer`` object in ``tokenizer.json``. A
normalizer edits a :class:`~embrace.tokenizers.NormalizedString` in place
(:meth:`Normalizer.normalize`), or a plain string (:meth:`Normalizer.normalize_str`).

Example:
    >>> from embrace.tokenizers.normalizers import NFD, Lowercase, StripAccents, Sequence
    >>> Sequence([NFD(), Lowercase(), StripAccents()]).normalize_str("Héllo Wörld")
    'hello world'
"""

from __future__ import annotations

import base64
from typing import Any

import regex

from embrace.errors import TokenizerError
from embrace.tokenizers.component import Component, ComponentSequence
from embrace.tokenizers.normalized import (
    BERT_MARK_TABLE,
    BERT_NORM_TABLE,
    NONSPACING_MARK_TABLE,
    NormalizedString,
    Regex,
)
from embrace.tokenizers.serialization import normalizer_from_dict

__all__ = [
    "Normalizer",
    "BertNormalizer",
    "ByteLevel",
    "Lowercase",
    "NFC",
    "NFD",
    "NFKC",
    "NFKD",
    "Nmt",
    "Precompiled",
    "Prepend",
    "Replace",
    "Sequence",
    "Strip",
    "StripAccents",
    "NORMALIZERS",
    "unicode_normalizer_from_str",
]


def rust_debug_str(s: str) -> str:
    """Quote a string the way the reference's ``repr`` shows it (no escaping)."""
    return '"' + s + '"'


class Normalizer(Component):
    """Base class of every normalizer.

    Subclasses implement :meth:`normalize`; :meth:`normalize_str` is derived from it.

    Example:
        >>> Lowercase().normalize_str("ABC")
        'abc'
    """

    build_from_json = staticmethod(normalizer_from_dict)

    def normalize(self, normalized: NormalizedString) -> None:
        """Normalize a :class:`NormalizedString` in place (alignments are kept)."""
        raise NotImplementedError

    def normalize_str(self, sequence: str) -> str:
        """Normalize a plain string and return the result (no alignment information)."""
        n = NormalizedString(sequence)
        self.normalize(n)
        return n.normalized

    @staticmethod
    def custom(obj: Any) -> "Normalizer":
        """Wrap a Python object with a ``normalize(NormalizedString)`` method."""
        return _Custom(obj)


class _Custom(Normalizer):
    def __init__(self, obj: Any) -> None:
        if not hasattr(obj, "normalize"):
            raise TokenizerError("A custom normalizer needs a `normalize(normalized)` method")
        self.obj = obj

    def normalize(self, normalized: NormalizedString) -> None:
        self.obj.normalize(normalized)

    def to_dict(self) -> dict[str, Any]:
        raise TokenizerError("Custom Normalizer cannot be serialized")


# --- character classes with the reference's definitions ------------------------------

_BERT_WS_TABLE = {ord(c): " " for c in "\t\n\x0b\x0c\r \x85\xa0\u1680\u2028\u2029\u202f\u205f\u3000"}
_BERT_WS_TABLE.update({c: " " for c in range(0x2000, 0x200B)})


class BertNormalizer(Normalizer):
    """BERT's text cleaning.

    Args:
        clean_text: remove control characters and turn every whitespace into a space.
        handle_chinese_chars: put spaces around CJK ideographs.
        strip_accents: remove accents (NFD then drop non-spacing marks). ``None``
            follows ``lowercase``, as the original BERT does.
        lowercase: lowercase the text.

    Example:
        >>> BertNormalizer().normalize_str("Héllo\\tWORLD")
        'hello world'
    """

    type_name = "BertNormalizer"

    def __init__(
        self,
        clean_text: bool = True,
        handle_chinese_chars: bool = True,
        strip_accents: "bool | None" = None,
        lowercase: bool = True,
    ) -> None:
        self.clean_text = bool(clean_text)
        self.handle_chinese_chars = bool(handle_chinese_chars)
        self.strip_accents = None if strip_accents is None else bool(strip_accents)
        self.lowercase = bool(lowercase)

    def normalize(self, normalized: NormalizedString) -> None:
        if self.clean_text:
            text = normalized.normalized
            classes = BERT_NORM_TABLE.classify(text)
            if "c" in classes:
                normalized._filter_mask([k != "c" for k in classes])
                text = normalized.normalized
                classes = classes.replace("c", "")
            if "s" in classes:
                normalized._map_str(text.translate(_BERT_WS_TABLE))
        if self.handle_chinese_chars:
            text = normalized.normalized
            classes = BERT_NORM_TABLE.classify(text)
            if "j" in classes:
                dest: list[tuple[str, int]] = []
                for c, k in zip(text, classes):
                    if k == "j":
                        dest.extend(((" ", 0), (c, 1), (" ", 1)))
                    else:
                        dest.append((c, 0))
                normalized.transform(dest, 0)
        strip = self.lowercase if self.strip_accents is None else self.strip_accents
        if strip:
            normalized.nfd()
            classes = BERT_MARK_TABLE.classify(normalized.normalized)
            if "m" in classes:
                normalized._filter_mask([k != "m" for k in classes])
        if self.lowercase:
            normalized.lowercase()

    def to_dict(self) -> dict[str, Any]:
        return {
            "type": self.type_name,
            "clean_text": self.clean_text,
            "handle_chinese_chars": self.handle_chinese_chars,
            "strip_accents": self.strip_accents,
            "lowercase": self.lowercase,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "BertNormalizer":
        return cls(
            clean_text=data.get("clean_text", True),
            handle_chinese_chars=data.get("handle_chinese_chars", True),
            strip_accents=data.get("strip_accents"),
            lowercase=data.get("lowercase", True),
        )

    def __repr__(self) -> str:
        return (
            f"BertNormalizer(clean_text={self.clean_text}, handle_chinese_chars="
            f"{self.handle_chinese_chars}, strip_accents={self.strip_accents}, lowercase={self.lowercase})"
        )


class NFD(Normalizer):
    """Unicode NFD (canonical decomposition).

    Example:
        >>> NFD().normalize_str("é") == "e\\u0301"
        True
    """

    type_name = "NFD"

    def normalize(self, normalized: NormalizedString) -> None:
        normalized.nfd()


class NFKD(Normalizer):
    """Unicode NFKD (compatibility decomposition).

    Example:
        >>> NFKD().normalize_str("ﬁne")
        'fine'
    """

    type_name = "NFKD"

    def normalize(self, normalized: NormalizedString) -> None:
        normalized.nfkd()


class NFC(Normalizer):
    """Unicode NFC (canonical decomposition then composition).

    Example:
        >>> NFC().normalize_str("e\\u0301")
        'é'
    """

    type_name = "NFC"

    def normalize(self, normalized: NormalizedString) -> None:
        normalized.nfc()


class NFKC(Normalizer):
    """Unicode NFKC (compatibility decomposition then composition).

    Example:
        >>> NFKC().normalize_str("ﬁne")
        'fine'
    """

    type_name = "NFKC"

    def normalize(self, normalized: NormalizedString) -> None:
        normalized.nfkc()


class Lowercase(Normalizer):
    """Lowercase every character.

    Example:
        >>> Lowercase().normalize_str("Hello World")
        'hello world'
    """

    type_name = "Lowercase"

    def normalize(self, normalized: NormalizedString) -> None:
        normalized.lowercase()


class Strip(Normalizer):
    """Remove whitespace at the start and/or the end.

    Args:
        left: strip the start.
        right: strip the end.

    Example:
        >>> Strip().normalize_str("  hi  ")
        'hi'
    """

    type_name = "Strip"

    def __init__(self, left: bool = True, right: bool = True) -> None:
        self.left = bool(left)
        self.right = bool(right)

    def normalize(self, normalized: NormalizedString) -> None:
        normalized._strip(self.left, self.right)

    def to_dict(self) -> dict[str, Any]:
        return {"type": self.type_name, "strip_left": self.left, "strip_right": self.right}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Strip":
        return cls(left=data.get("strip_left", True), right=data.get("strip_right", True))

    def __repr__(self) -> str:
        return f"Strip(strip_left={self.left}, strip_right={self.right})"


class StripAccents(Normalizer):
    """Remove non-spacing marks (use after NFD/NFKD to strip accents).

    Example:
        >>> Sequence([NFD(), StripAccents()]).normalize_str("café")
        'cafe'
    """

    type_name = "StripAccents"

    def normalize(self, normalized: NormalizedString) -> None:
        classes = NONSPACING_MARK_TABLE.classify(normalized.normalized)
        if "m" in classes:
            normalized._filter_mask([k != "m" for k in classes])


class Nmt(Normalizer):
    """The Google NMT cleaning: drop some control chars, map odd spaces to a space.

    Example:
        >>> Nmt().normalize_str("Hello\\x01World\\u200b!")
        'HelloWorld !'
    """

    type_name = "Nmt"
    _DROP = regex.compile("[\x01-\x08\x0b\x0e-\x1f\x7f\x8f\x9f]")
    _SPACE = regex.compile("[\t\n\x0c\r\u1680\u200b-\u200f\u2028\u2029\u2581\ufeff\ufffd]")
    _TABLE = {ord(c): " " for c in "\t\n\x0c\r\u1680\u2028\u2029\u2581\ufeff\ufffd"}
    _TABLE.update({c: " " for c in range(0x200B, 0x2010)})

    def normalize(self, normalized: NormalizedString) -> None:
        text = normalized.normalized
        if self._DROP.search(text):
            drop = self._DROP.match
            normalized._filter_mask([drop(c) is None for c in text])
            text = normalized.normalized
        if self._SPACE.search(text):
            normalized._map_str(text.translate(self._TABLE))


class Prepend(Normalizer):
    """Put ``prepend`` in front of non-empty input (SentencePiece's ``▁``).

    Args:
        prepend: the string to put in front.

    Example:
        >>> Prepend("▁").normalize_str("hello")
        '▁hello'
    """

    type_name = "Prepend"

    def __init__(self, prepend: str = "\u2581") -> None:
        if not isinstance(prepend, str):
            raise TokenizerError(f"Prepend.prepend must be a str, got {type(prepend).__name__}")
        self.prepend = prepend

    def normalize(self, normalized: NormalizedString) -> None:
        if normalized.normalized:
            normalized.prepend(self.prepend)

    def to_dict(self) -> dict[str, Any]:
        return {"type": self.type_name, "prepend": self.prepend}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Prepend":
        return cls(prepend=data["prepend"])

    def __repr__(self) -> str:
        return f"Prepend(prepend={rust_debug_str(self.prepend)})"


def pattern_to_dict(pattern: "str | Regex") -> dict[str, str]:
    """``{"String": ...}`` or ``{"Regex": ...}`` as in ``tokenizer.json``."""
    if isinstance(pattern, Regex):
        return {"Regex": pattern.pattern}
    return {"String": pattern}


def pattern_from_dict(data: Any, where: str) -> "str | Regex":
    """Read a ``{"String": ...}`` / ``{"Regex": ...}`` pattern object."""
    if isinstance(data, dict) and len(data) == 1:
        ((kind, value),) = data.items()
        if kind == "String" and isinstance(value, str):
            return value
        if kind == "Regex" and isinstance(value, str):
            return Regex(value)
    raise TokenizerError(
        f"{where}: expected a pattern object {{\"String\": ...}} or {{\"Regex\": ...}}, got {data!r}"
    )


def pattern_repr(pattern: "str | Regex") -> str:
    if isinstance(pattern, Regex):
        return f"Regex({rust_debug_str(pattern.pattern)})"
    return f"String({rust_debug_str(pattern)})"


def check_pattern(pattern: Any, what: str) -> "str | Regex":
    if isinstance(pattern, (str, Regex)):
        return pattern
    raise TokenizerError(f"{what}: pattern must be a str or a Regex, got {type(pattern).__name__}")


class Replace(Normalizer):
    """Replace every match of ``pattern`` by ``content``.

    Args:
        pattern: a literal ``str`` or a :class:`~embrace.tokenizers.Regex`.
        content: the replacement.

    Example:
        >>> Replace("▁", " ").normalize_str("a▁b")
        'a b'
    """

    type_name = "Replace"

    def __init__(self, pattern: "str | Regex", content: str) -> None:
        self.pattern = check_pattern(pattern, "Replace")
        if not isinstance(content, str):
            raise TokenizerError(f"Replace.content must be a str, got {type(content).__name__}")
        self.content = content

    def normalize(self, normalized: NormalizedString) -> None:
        normalized.replace(self.pattern, self.content)

    def to_dict(self) -> dict[str, Any]:
        return {"type": self.type_name, "pattern": pattern_to_dict(self.pattern), "content": self.content}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Replace":
        return cls(pattern_from_dict(data.get("pattern"), "Replace.pattern"), data["content"])

    def __repr__(self) -> str:
        return f"Replace(pattern={pattern_repr(self.pattern)}, content={rust_debug_str(self.content)})"


class ByteLevel(Normalizer):
    """Map every UTF-8 byte to a printable character (the GPT-2 byte-to-unicode table).

    Example:
        >>> ByteLevel().normalize_str("hello\\nworld")
        'helloĊworld'
    """

    type_name = "ByteLevel"

    def normalize(self, normalized: NormalizedString) -> None:
        from embrace.tokenizers.pre_tokenizers import byte_level_transform

        if normalized.normalized:
            byte_level_transform(normalized)


class Sequence(ComponentSequence, Normalizer):
    """Run several normalizers one after the other.

    Args:
        normalizers: the normalizers, in order.

    Example:
        >>> Sequence([NFKC(), Lowercase()]).normalize_str("ＡＢＣ")
        'abc'
    """

    type_name = "Sequence"
    items_field = "normalizers"

    def __init__(self, normalizers: list[Normalizer]) -> None:
        self._set_items(normalizers, Normalizer)

    def normalize(self, normalized: NormalizedString) -> None:
        for n in self.normalizers:
            n.normalize(normalized)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Sequence":
        items = data.get("normalizers")
        if not isinstance(items, list):
            raise TokenizerError("normalizer.normalizers: expected a list")
        return cls([normalizer_from_dict(d, f"normalizer.normalizers[{i}]") for i, d in enumerate(items)])


# --- SentencePiece precompiled charsmap ---------------------------------------------------

_GRAPHEME = regex.compile(r"\X", regex.DOTALL)


class _DoubleArray:
    """A darts-clone double-array trie over UTF-8 bytes (read-only)."""

    __slots__ = ("units",)

    def __init__(self, units: list[int]) -> None:
        self.units = units

    def common_prefix_search(self, key: bytes) -> list[int]:
        units = self.units
        n = len(units)
        results: list[int] = []
        if not units:
            return results
        unit = units[0]
        pos = (unit >> 10) << ((unit & (1 << 9)) >> 6)
        for c in key:
            if c == 0:
                break
            pos ^= c
            if pos >= n:
                return results
            unit = units[pos]
            if (unit & ((1 << 31) | 0xFF)) != c:
                return results
            pos ^= (unit >> 10) << ((unit & (1 << 9)) >> 6)
            if (unit >> 8) & 1:
                if pos >= n:
                    return results
                results.append(units[pos] & ((1 << 31) - 1))
        return results


class Precompiled(Normalizer):
    """The normalization rules compiled into a SentencePiece model (``precompiled_charsmap``).

    The charsmap is a double-array trie of UTF-8 keys plus a blob of replacement
    strings. Text is processed grapheme by grapheme: a short grapheme is looked up as a
    whole first, otherwise each of its characters is looked up on its own.

    Args:
        precompiled_charsmap: the raw bytes of the charsmap.

    Example:
        >>> Precompiled(b"").normalize_str("abc")
        'abc'
    """

    type_name = "Precompiled"

    def __init__(self, precompiled_charsmap: "bytes | bytearray | list[int]") -> None:
        data = bytes(precompiled_charsmap)
        self.precompiled_charsmap = data
        self._trie, self._blob = self._parse(data)
        self._cache: dict[str, "str | None"] = {}

    @staticmethod
    def _parse(data: bytes) -> tuple[_DoubleArray, bytes]:
        if not data:
            return _DoubleArray([]), b""
        if len(data) < 4:
            raise TokenizerError("precompiled_charsmap is truncated: fewer than 4 bytes")
        trie_size = int.from_bytes(data[:4], "little")
        n_units = trie_size // 4
        end = 4 + n_units * 4
        if end > len(data):
            raise TokenizerError(
                f"precompiled_charsmap is truncated: trie of {trie_size} bytes but only {len(data) - 4} left"
            )
        import array

        units = array.array("I")
        if units.itemsize != 4:  # pragma: no cover - exotic platforms
            units = array.array("L")
        units.frombytes(data[4:end])
        import sys

        if sys.byteorder == "big":  # pragma: no cover
            units.byteswap()
        blob = data[end:]
        try:
            blob.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise TokenizerError(f"precompiled_charsmap: normalized strings are not UTF-8 ({exc})") from exc
        return _DoubleArray(units.tolist()), blob

    def transform(self, chunk: str) -> "str | None":
        """The replacement of the shortest charsmap key that prefixes ``chunk``, or None."""
        cache = self._cache
        if chunk in cache:
            return cache[chunk]
        results = self._trie.common_prefix_search(chunk.encode("utf-8"))
        if not results:
            out = None
        else:
            start = results[0]
            stop = self._blob.find(b"\0", start)
            if stop < 0:
                stop = len(self._blob)
            out = self._blob[start:stop].decode("utf-8", errors="replace")
        if len(cache) < 100_000:
            cache[chunk] = out
        return out

    def normalize(self, normalized: NormalizedString) -> None:
        if not self._trie.units:
            return
        text = normalized.normalized
        transform = self.transform
        graphemes = _GRAPHEME.findall(text)
        if len(graphemes) == len(text) and all(transform(c) is None for c in set(text)):
            # Every grapheme is a single character and none of them has a rule: nothing
            # changes (the common case, decided per distinct character, not per position).
            return
        transformations: list[tuple[str, int]] = []
        modified = False
        for grapheme in graphemes:
            if len(grapheme.encode("utf-8")) < 6:
                norm = transform(grapheme)
                if norm is not None:
                    modified = True
                    _sp_replace(transformations, grapheme, norm)
                    continue
            for c in grapheme:
                norm = transform(c)
                if norm is not None:
                    modified = True
                    _sp_replace(transformations, c, norm)
                else:
                    transformations.append((c, 0))
        if modified:
            normalized.transform(transformations, 0)

    def to_dict(self) -> dict[str, Any]:
        return {
            "type": self.type_name,
            "precompiled_charsmap": base64.b64encode(self.precompiled_charsmap).decode("ascii"),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Precompiled":
        raw = data.get("precompiled_charsmap")
        if raw is None:
            raw = ""
        if not isinstance(raw, str):
            raise TokenizerError("normalizer.precompiled_charsmap: expected a base64 string")
        try:
            decoded = base64.b64decode(raw, validate=True)
        except ValueError as exc:
            raise TokenizerError(f"normalizer.precompiled_charsmap: invalid base64 ({exc})") from exc
        return cls(decoded)

    def __repr__(self) -> str:
        return f"Precompiled(precompiled_charsmap=<{len(self.precompiled_charsmap)} bytes>)"


def _sp_replace(transformations: list[tuple[str, int]], old: str, new: str) -> None:
    diff = len(new) - len(old)
    transformations.extend((c, 0) for c in new)
    if diff > 0:
        for k in range(1, min(diff, len(transformations)) + 1):
            transformations[-k] = (transformations[-k][0], 1)
    elif diff < 0 and transformations:
        c, change = transformations[-1]
        transformations[-1] = (c, change + diff)


NORMALIZERS: dict[str, type[Normalizer]] = {
    cls.type_name: cls
    for cls in (
        BertNormalizer,
        ByteLevel,
        Lowercase,
        NFC,
        NFD,
        NFKC,
        NFKD,
        Nmt,
        Precompiled,
        Prepend,
        Replace,
        Sequence,
        Strip,
        StripAccents,
    )
}

_UNICODE = {"nfc": NFC, "nfd": NFD, "nfkc": NFKC, "nfkd": NFKD}


def unicode_normalizer_from_str(normalizer: str) -> Normalizer:
    """``"nfc"``/``"nfd"``/``"nfkc"``/``"nfkd"`` -> the normalizer instance."""
    if normalizer not in _UNICODE:
        raise TokenizerError(
            f"{normalizer} is not a known unicode normalizer. Available are {', '.join(_UNICODE)}"
        )
    return _UNICODE[normalizer]()
