"""Decoders: turn a list of token strings back into text.

Each decoder is one ``"type"`` of the ``tokenizer.json`` ``"decoder"`` object. The work
happens in ``decode_chain(tokens) -> tokens`` so decoders can be chained
(:class:`Sequence`); ``decode(tokens)`` joins the chain's output.

Example:
    >>> from embrace.tokenizers.decoders import ByteFallback, Fuse, Replace, Sequence, Strip
    >>> Sequence([Replace("▁", " "), ByteFallback(), Fuse(), Strip(left=1)]).decode(["▁Hi", "<0x21>", "▁there"])
    'Hi! there'
"""

from __future__ import annotations

from itertools import groupby
from typing import Any, Iterable, Mapping

from embrace.errors import TokenizerError, unknown_key
from embrace.tokenizers.component import Component
from embrace.tokenizers.normalized import Regex, find_matches
from embrace.tokenizers.serialization import decoder_from_dict

__all__ = [
    "Decoder",
    "WordPiece",
    "ByteLevel",
    "Metaspace",
    "BPEDecoder",
    "ByteFallback",
    "Fuse",
    "Strip",
    "Replace",
    "CTC",
    "Sequence",
    "DECODERS",
    "wordpiece_cleanup",
]


def _byte_level_chars() -> dict[str, int]:
    """The byte-level alphabet: printable character -> the byte it stands for.

    Printable Latin-1 bytes stand for themselves; the other bytes are mapped, in order,
    to the code points from U+0100 upward (so a space is ``Ġ``, a newline ``Ċ``).
    """
    printable = list(range(ord("!"), ord("~") + 1)) + list(range(0xA1, 0xAC + 1)) + list(range(0xAE, 0xFF + 1))
    mapping: dict[str, int] = {}
    extra = 0
    for byte in range(256):
        if byte in printable:
            mapping[chr(byte)] = byte
        else:
            mapping[chr(256 + extra)] = byte
            extra += 1
    return mapping


_CHAR_TO_BYTE = _byte_level_chars()


def wordpiece_cleanup(text: str) -> str:
    """Undo common tokenization artifacts: spaces before punctuation and in English
    contractions (``"do n't"`` -> ``"don't"``).

    Example:
        >>> wordpiece_cleanup("hello , world ! it 's")
        "hello, world! it's"
    """
    return (
        text.replace(" .", ".")
        .replace(" ?", "?")
        .replace(" !", "!")
        .replace(" ,", ",")
        .replace(" ' ", "'")
        .replace(" n't", "n't")
        .replace(" 'm", "'m")
        .replace(" do not", " don't")
        .replace(" 's", "'s")
        .replace(" 've", "'ve")
        .replace(" 're", "'re")
    )


class Decoder(Component):
    """Base class: subclasses implement :meth:`decode_chain` and :meth:`to_dict`.

    ``Decoder.from_dict(d)`` builds the decoder named by ``d["type"]``.

    Example:
        >>> Decoder.from_dict({"type": "Fuse"}).decode(["a", "b"])
        'ab'
    """

    build_from_json = staticmethod(decoder_from_dict)

    def decode_chain(self, tokens: list[str]) -> list[str]:
        """Transform the token strings; the result is joined by :meth:`decode`."""
        raise NotImplementedError

    def decode(self, tokens: Iterable[str]) -> str:
        """Decode a list of token strings to the final text."""
        tokens = list(tokens)
        for token in tokens:
            if not isinstance(token, str):
                raise TokenizerError(f"decode() expects a list of str tokens, got a {type(token).__name__}")
        return "".join(self.decode_chain(tokens))

    def to_dict(self) -> dict[str, Any]:
        """The ``"decoder"`` object of ``tokenizer.json``."""
        raise NotImplementedError

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "Decoder":
        """Build a decoder from its ``tokenizer.json`` object (dispatching on ``"type"``)."""
        if not isinstance(data, Mapping):
            raise TokenizerError(f"decoder must be a JSON object, got {type(data).__name__}")
        kind = data.get("type")
        target = DECODERS.get(kind) if isinstance(kind, str) else None
        if target is None:
            raise unknown_key("decoder type", kind, DECODERS)
        if cls is not Decoder and target is not cls:
            raise TokenizerError(f"expected a decoder of type {cls.type_name!r}, got {kind!r}")
        return target._from_dict(data)

    @classmethod
    def _from_dict(cls, data: Mapping[str, Any]) -> "Decoder":
        return cls()

    # Unlike the other component kinds, decoders are unhashable (equality by value only).
    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        fields = ", ".join(f"{k}={v!r}" for k, v in self.to_dict().items() if k != "type")
        return f"{type(self).__name__}({fields})"


def _get(data: Mapping[str, Any], key: str, kind: type | tuple[type, ...], default: Any, where: str) -> Any:
    value = data.get(key, default)
    if isinstance(value, bool) and kind is int:
        raise TokenizerError(f"{where}: {key!r} must be an integer, got {value!r}")
    if not isinstance(value, kind):
        names = kind.__name__ if isinstance(kind, type) else "/".join(k.__name__ for k in kind)
        raise TokenizerError(f"{where}: {key!r} must be {names}, got {value!r}")
    return value


class WordPiece(Decoder):
    """Join WordPiece tokens: strip ``prefix`` from continuing pieces, put a space before
    the others, and (``cleanup``) remove spaces before punctuation and contractions.

    Example:
        >>> WordPiece().decode(["Hello", ",", "wo", "##rld", "!"])
        'Hello, world!'
    """

    type_name = "WordPiece"

    def __init__(self, prefix: str = "##", cleanup: bool = True) -> None:
        self.prefix = prefix
        self.cleanup = bool(cleanup)

    def decode_chain(self, tokens: list[str]) -> list[str]:
        out = []
        prefix = self.prefix
        for i, token in enumerate(tokens):
            if i != 0:
                if token.startswith(prefix):
                    token = token.replace(prefix, "", 1)
                else:
                    token = " " + token
            if self.cleanup:
                token = wordpiece_cleanup(token)
            out.append(token)
        return out

    def to_dict(self) -> dict[str, Any]:
        return {"type": "WordPiece", "prefix": self.prefix, "cleanup": self.cleanup}

    @classmethod
    def _from_dict(cls, data: Mapping[str, Any]) -> "WordPiece":
        where = "WordPiece decoder"
        return cls(_get(data, "prefix", str, "##", where), _get(data, "cleanup", bool, True, where))


class ByteLevel(Decoder):
    """Undo the byte-level mapping (``Ġ`` -> space, ...) and decode the bytes as UTF-8,
    with U+FFFD for invalid sequences. A token holding a character outside the
    byte-level alphabet contributes its own UTF-8 bytes.

    The serialized options (``add_prefix_space``, ``trim_offsets``, ``use_regex``) belong
    to the matching pre-tokenizer; they are kept so files round-trip.

    Example:
        >>> ByteLevel().decode(["ĠHello", "Ġworld", "Ċ"])
        ' Hello world\\n'
    """

    type_name = "ByteLevel"

    def __init__(self, add_prefix_space: bool = True, trim_offsets: bool = True, use_regex: bool = True) -> None:
        self.add_prefix_space = bool(add_prefix_space)
        self.trim_offsets = bool(trim_offsets)
        self.use_regex = bool(use_regex)

    def decode_chain(self, tokens: list[str]) -> list[str]:
        table = _CHAR_TO_BYTE
        data = bytearray()
        for token in tokens:
            try:
                data.extend([table[c] for c in token])
            except KeyError:
                data.extend(token.encode("utf-8"))
        return [data.decode("utf-8", errors="replace")]

    def to_dict(self) -> dict[str, Any]:
        return {
            "type": "ByteLevel",
            "add_prefix_space": self.add_prefix_space,
            "trim_offsets": self.trim_offsets,
            "use_regex": self.use_regex,
        }

    @classmethod
    def _from_dict(cls, data: Mapping[str, Any]) -> "ByteLevel":
        where = "ByteLevel decoder"
        return cls(
            _get(data, "add_prefix_space", bool, True, where),
            _get(data, "trim_offsets", bool, True, where),
            _get(data, "use_regex", bool, True, where),
        )


_PREPEND_SCHEMES = ("always", "never", "first")


class Metaspace(Decoder):
    """Turn the ``replacement`` character (``▁``) back into spaces; in the first token
    replacement characters are dropped instead, unless ``prepend_scheme`` is ``"never"``.

    Example:
        >>> Metaspace().decode(["▁Hello", "▁my", "▁friend"])
        'Hello my friend'
    """

    type_name = "Metaspace"

    def __init__(self, replacement: str = "▁", prepend_scheme: str = "always", split: bool = True) -> None:
        if not isinstance(replacement, str) or len(replacement) != 1:
            raise TokenizerError(f"Metaspace replacement must be exactly one character, got {replacement!r}")
        if prepend_scheme not in _PREPEND_SCHEMES:
            raise TokenizerError(
                f"Metaspace prepend_scheme must be one of {', '.join(_PREPEND_SCHEMES)}; got {prepend_scheme!r}"
            )
        self.replacement = replacement
        self.prepend_scheme = prepend_scheme
        self.split = bool(split)

    def decode_chain(self, tokens: list[str]) -> list[str]:
        rep = self.replacement
        out = []
        for i, token in enumerate(tokens):
            # The reference drops *every* replacement character of the first token.
            out.append(token.replace(rep, "" if i == 0 and self.prepend_scheme != "never" else " "))
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "type": "Metaspace",
            "replacement": self.replacement,
            "prepend_scheme": self.prepend_scheme,
            "split": self.split,
        }

    @classmethod
    def _from_dict(cls, data: Mapping[str, Any]) -> "Metaspace":
        where = "Metaspace decoder"
        scheme = data.get("prepend_scheme")
        if scheme is None:
            # Files written before ``prepend_scheme`` existed carry ``add_prefix_space``.
            scheme = "always" if data.get("add_prefix_space", True) else "never"
        return cls(
            _get(data, "replacement", str, "▁", where),
            scheme,
            _get(data, "split", bool, True, where),
        )


class BPEDecoder(Decoder):
    """Replace the end-of-word ``suffix`` by a space (nothing on the last token).

    Example:
        >>> BPEDecoder().decode(["Hel", "lo</w>", "world</w>"])
        'Hello world'
    """

    type_name = "BPEDecoder"

    def __init__(self, suffix: str = "</w>") -> None:
        self.suffix = suffix

    def decode_chain(self, tokens: list[str]) -> list[str]:
        last = len(tokens) - 1
        suffix = self.suffix
        return [t.replace(suffix, "" if i == last else " ") for i, t in enumerate(tokens)]

    def to_dict(self) -> dict[str, Any]:
        return {"type": "BPEDecoder", "suffix": self.suffix}

    @classmethod
    def _from_dict(cls, data: Mapping[str, Any]) -> "BPEDecoder":
        return cls(_get(data, "suffix", str, "</w>", "BPEDecoder"))


def _byte_of_token(token: str) -> int | None:
    """The byte a ``<0xAB>`` token stands for, else ``None``."""
    if len(token) != 6 or not token.startswith("<0x") or not token.endswith(">"):
        return None
    digits = token[3:5]
    # Like the reference's parser, one leading "+" is accepted ("<0x+A>" is 0x0A).
    body = digits[1:] if digits.startswith("+") else digits
    if not body or any(c not in "0123456789abcdefABCDEF" for c in body):
        return None
    return int(body, 16)


class ByteFallback(Decoder):
    """Turn runs of ``<0xAB>`` byte tokens back into text; a run that is not valid UTF-8
    becomes one U+FFFD per byte.

    Example:
        >>> ByteFallback().decode(["a", "<0xE2>", "<0x82>", "<0xAC>", "b", "<0xFF>"])
        'a€b�'
    """

    type_name = "ByteFallback"

    def decode_chain(self, tokens: list[str]) -> list[str]:
        out: list[str] = []
        pending = bytearray()

        def flush() -> None:
            if pending:
                try:
                    out.append(pending.decode("utf-8"))
                except UnicodeDecodeError:
                    out.extend(["\ufffd"] * len(pending))
                pending.clear()

        for token in tokens:
            byte = _byte_of_token(token)
            if byte is not None:
                pending.append(byte)
            else:
                flush()
                out.append(token)
        flush()
        return out

    def to_dict(self) -> dict[str, Any]:
        return {"type": "ByteFallback"}


class Fuse(Decoder):
    """Concatenate all tokens into one.

    Example:
        >>> Fuse().decode_chain(["Hel", "lo"])
        ['Hello']
    """

    type_name = "Fuse"

    def decode_chain(self, tokens: list[str]) -> list[str]:
        return ["".join(tokens)]

    def to_dict(self) -> dict[str, Any]:
        return {"type": "Fuse"}


class Strip(Decoder):
    """Remove up to ``left`` leading and ``right`` trailing ``content`` characters from
    every token.

    Example:
        >>> Strip(content="▁", left=1).decode(["▁Hello", "▁world"])
        'Helloworld'
    """

    type_name = "Strip"

    def __init__(self, content: str = " ", left: int = 0, right: int = 0) -> None:
        if not isinstance(content, str) or len(content) != 1:
            raise TokenizerError(f"Strip content must be exactly one character, got {content!r}")
        if left < 0 or right < 0:
            raise TokenizerError(f"Strip left/right must be >= 0, got {left}, {right}")
        self.content = content
        self.start = int(left)
        self.stop = int(right)

    def decode_chain(self, tokens: list[str]) -> list[str]:
        out = []
        c = self.content
        for token in tokens:
            begin = 0
            while begin < self.start and begin < len(token) and token[begin] == c:
                begin += 1
            end = len(token)
            removed = 0
            while removed < self.stop and end > begin and token[end - 1] == c:
                end -= 1
                removed += 1
            out.append(token[begin:end])
        return out

    def to_dict(self) -> dict[str, Any]:
        return {"type": "Strip", "content": self.content, "start": self.start, "stop": self.stop}

    @classmethod
    def _from_dict(cls, data: Mapping[str, Any]) -> "Strip":
        where = "Strip decoder"
        return cls(
            _get(data, "content", str, " ", where),
            _get(data, "start", int, 0, where),
            _get(data, "stop", int, 0, where),
        )


class Replace(Decoder):
    """Replace every match of ``pattern`` (a literal string or a :class:`Regex`) in each
    token by ``content``.

    Example:
        >>> Replace("▁", " ").decode(["▁Hello", "▁world"])
        ' Hello world'
    """

    type_name = "Replace"

    def __init__(self, pattern: "str | Regex", content: str) -> None:
        if not isinstance(pattern, (str, Regex)):
            raise TokenizerError(f"Replace pattern must be a str or a Regex, got {type(pattern).__name__}")
        if not isinstance(content, str):
            raise TokenizerError(f"Replace content must be a str, got {type(content).__name__}")
        self.pattern = pattern
        self.content = content

    def decode_chain(self, tokens: list[str]) -> list[str]:
        out = []
        pattern = self.pattern
        content = self.content
        for token in tokens:
            if isinstance(pattern, str):
                out.append(token.replace(pattern, content) if pattern else token)
                continue
            pieces = [content if is_match else token[s:e] for s, e, is_match in find_matches(pattern, token)]
            out.append("".join(pieces))
        return out

    def to_dict(self) -> dict[str, Any]:
        if isinstance(self.pattern, Regex):
            pattern: dict[str, str] = {"Regex": self.pattern.pattern}
        else:
            pattern = {"String": self.pattern}
        return {"type": "Replace", "pattern": pattern, "content": self.content}

    @classmethod
    def _from_dict(cls, data: Mapping[str, Any]) -> "Replace":
        where = "Replace decoder"
        raw = data.get("pattern")
        if isinstance(raw, Mapping) and len(raw) == 1 and "String" in raw and isinstance(raw["String"], str):
            pattern: str | Regex = raw["String"]
        elif isinstance(raw, Mapping) and len(raw) == 1 and "Regex" in raw and isinstance(raw["Regex"], str):
            pattern = Regex(raw["Regex"])
        else:
            raise TokenizerError(f'{where}: "pattern" must be {{"String": ...}} or {{"Regex": ...}}, got {raw!r}')
        return cls(pattern, _get(data, "content", str, "", where))

    def __repr__(self) -> str:
        return f"Replace(pattern={self.pattern!r}, content={self.content!r})"


class CTC(Decoder):
    """Collapse CTC output: merge repeated tokens, drop ``pad_token``, and (``cleanup``)
    turn ``word_delimiter_token`` into spaces and tidy punctuation.

    Example:
        >>> CTC().decode(["h", "e", "e", "<pad>", "l", "l", "<pad>", "l", "o", "|", "w", "o", "r", "l", "d"])
        'hello world'
    """

    type_name = "CTC"

    def __init__(self, pad_token: str = "<pad>", word_delimiter_token: str = "|", cleanup: bool = True) -> None:
        self.pad_token = pad_token
        self.word_delimiter_token = word_delimiter_token
        self.cleanup = bool(cleanup)

    def decode_chain(self, tokens: list[str]) -> list[str]:
        out = []
        for token, _ in groupby(tokens):
            text = token.replace(self.pad_token, "") if self.pad_token else token
            if self.cleanup:
                text = wordpiece_cleanup(text)
                if self.word_delimiter_token:
                    text = text.replace(self.word_delimiter_token, " ")
            if text:
                out.append(text)
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "type": "CTC",
            "pad_token": self.pad_token,
            "word_delimiter_token": self.word_delimiter_token,
            "cleanup": self.cleanup,
        }

    @classmethod
    def _from_dict(cls, data: Mapping[str, Any]) -> "CTC":
        where = "CTC decoder"
        return cls(
            _get(data, "pad_token", str, "<pad>", where),
            _get(data, "word_delimiter_token", str, "|", where),
            _get(data, "cleanup", bool, True, where),
        )


class Sequence(Decoder):
    """Apply several decoders one after the other.

    Example:
        >>> Sequence([Replace("▁", " "), ByteFallback(), Fuse(), Strip(left=1)]).decode(["▁Hi", "<0x21>"])
        'Hi!'
    """

    type_name = "Sequence"

    def __init__(self, decoders: list[Decoder]) -> None:
        decoders = list(decoders)
        for d in decoders:
            if not isinstance(d, Decoder):
                raise TokenizerError(f"Sequence expects decoders, got a {type(d).__name__}")
        self.decoders = decoders

    def decode_chain(self, tokens: list[str]) -> list[str]:
        for decoder in self.decoders:
            tokens = decoder.decode_chain(tokens)
        return tokens

    def to_dict(self) -> dict[str, Any]:
        return {"type": "Sequence", "decoders": [d.to_dict() for d in self.decoders]}

    @classmethod
    def _from_dict(cls, data: Mapping[str, Any]) -> "Sequence":
        items = data.get("decoders")
        if not isinstance(items, list):
            raise TokenizerError(f'Sequence decoder: "decoders" must be a list, got {items!r}')
        return cls([Decoder.from_dict(d) for d in items])

    def __len__(self) -> int:
        return len(self.decoders)

    def __getitem__(self, index: int) -> Decoder:
        return self.decoders[index]

    def __repr__(self) -> str:
        return f"Sequence({self.decoders!r})"


DECODERS: dict[str, type[Decoder]] = {
    "WordPiece": WordPiece,
    "ByteLevel": ByteLevel,
    "Metaspace": Metaspace,
    "BPEDecoder": BPEDecoder,
    "ByteFallback": ByteFallback,
    "Fuse": Fuse,
    "Strip": Strip,
    "Replace": Replace,
    "CTC": CTC,
    "Sequence": Sequence,
}
