"""Post-processors: add special tokens, set type ids, trim byte-level offsets.

Each class is one ``"type"`` of the ``post_processor`` object in ``tokenizer.json``.

Example:
    >>> from embrace.tokenizers.processors import TemplateProcessing
    >>> tp = TemplateProcessing(single="[CLS] $A [SEP]", pair="[CLS] $A [SEP] $B:1 [SEP]:1",
    ...                         special_tokens=[("[CLS]", 1), ("[SEP]", 2)])
    >>> tp.num_special_tokens_to_add(is_pair=True)
    3
"""

from __future__ import annotations

from typing import Any, ClassVar, Iterable

from embrace.errors import TokenizerError
from embrace.tokenizers.component import Component, ComponentSequence
from embrace.tokenizers.encoding import Encoding
from embrace.tokenizers.normalizers import rust_debug_str
from embrace.tokenizers.pre_tokenizers import BYTES_CHAR
from embrace.tokenizers.normalized import is_rust_whitespace
from embrace.tokenizers.serialization import post_processor_from_dict

__all__ = [
    "PostProcessor",
    "BertProcessing",
    "RobertaProcessing",
    "ByteLevel",
    "TemplateProcessing",
    "Sequence",
    "PROCESSORS",
]

_SPACE_CHAR = BYTES_CHAR[ord(" ")]


class PostProcessor(Component):
    """Base class of every post-processor.

    Example:
        >>> ByteLevel().num_special_tokens_to_add(False)
        0
    """

    build_from_json = staticmethod(post_processor_from_dict)

    def num_special_tokens_to_add(self, is_pair: bool) -> int:
        """How many special tokens :meth:`process` adds to a single input or a pair."""
        return 0

    def process_encodings(self, encodings: list[Encoding], add_special_tokens: bool) -> list[Encoding]:
        """Transform the per-sequence encodings (the hook subclasses implement)."""
        return encodings

    def process(
        self, encoding: Encoding, pair: "Encoding | None" = None, add_special_tokens: bool = True
    ) -> Encoding:
        """Post-process the encoding of a sequence (and of its pair) into one encoding.

        The inputs are not modified.
        """
        encodings = [encoding.copy()] if pair is None else [encoding.copy(), pair.copy()]
        prepare_encodings(encodings)
        return Encoding._concat(self.process_encodings(encodings, add_special_tokens))


def prepare_encodings(encodings: list[Encoding]) -> None:
    """What the reference does before any post-processor runs: sequence ``i`` gets the
    sequence id ``i`` (its overflowing pieces too) and the type id ``i``."""
    for i, enc in enumerate(encodings):
        enc.set_sequence_id(i)
        for o in enc._overflowing:
            o.set_sequence_id(i)
        enc.set_type_ids([i] * len(enc._ids))


def _token_pair(value: Any, what: str) -> tuple[str, int]:
    if isinstance(value, (tuple, list)) and len(value) == 2:
        a, b = value
        if isinstance(a, str) and isinstance(b, int) and not isinstance(b, bool):
            return (a, b)
        if isinstance(b, str) and isinstance(a, int) and not isinstance(a, bool):
            return (b, a)
    raise TokenizerError(f"{what}: expected a (token, id) pair, got {value!r}")


def _sep_and_cls(
    owner: str, sep: Any, cls_token: Any, cls: Any
) -> "tuple[tuple[str, int], tuple[str, int]]":
    """Check the ``(token, id)`` pairs of a processor's constructor; the classifier token
    may come as ``cls_token`` or, as in ``tokenizer.json``, as ``cls``."""
    if cls_token is None:
        cls_token = cls
    if cls_token is None:
        raise TypeError(f"{owner}() missing required argument: 'cls_token'")
    return _token_pair(sep, f"{owner}.sep"), _token_pair(cls_token, f"{owner}.cls")


def _wrap(
    enc: Encoding,
    before: "tuple[str, int] | None",
    after: "tuple[str, int] | None",
    type_id: int,
    seq_id: int,
) -> Encoding:
    """``before + enc + after`` with the special tokens marked; every position gets ``type_id``
    and the sequence range covers ``enc``. Overflowing pieces are wrapped the same way."""
    pre_ids = [before[1]] if before else []
    pre_tok = [before[0]] if before else []
    post_ids = [after[1]] if after else []
    post_tok = [after[0]] if after else []
    n_pre, n_post = len(pre_ids), len(post_ids)
    ids = pre_ids + enc._ids + post_ids
    toks = pre_tok + enc._tokens + post_tok
    out = Encoding._make(
        ids=ids,
        type_ids=[type_id] * len(ids),
        tokens=toks,
        words=[None] * n_pre + enc._words + [None] * n_post,
        offsets=[(0, 0)] * n_pre + enc._offsets + [(0, 0)] * n_post,
        special_tokens_mask=[1] * n_pre + [0] * len(enc._ids) + [1] * n_post,
        attention_mask=[1] * len(ids),
        sequence_ranges={seq_id: (n_pre, len(ids) - n_post)},
    )
    out._overflowing = [_wrap(o, before, after, type_id, seq_id) for o in enc.take_overflowing()]
    return out


def _check_fields(data: dict[str, Any], keys: tuple[str, ...], where: str) -> None:
    for key in keys:
        if key not in data:
            raise TokenizerError(f"{where}: missing field `{key}`")


class _ClsSepProcessing(PostProcessor):
    """What BERT's and RoBERTa's processors share: ``cls A sep`` plus a second sequence that ends
    with ``sep``; ``pair_starts_with_sep`` and ``pair_type_id`` say how that second sequence differs."""

    pair_starts_with_sep: ClassVar[bool]
    pair_type_id: ClassVar[int]

    def _set_tokens(self, sep: Any, cls_token: Any, cls: Any) -> None:
        self.sep, self.cls = _sep_and_cls(self.type_name, sep, cls_token, cls)

    def _add_special_tokens(self, encodings: list[Encoding]) -> list[Encoding]:
        first = _wrap(encodings[0], self.cls, self.sep, 0, 0)
        prefix = self.sep if self.pair_starts_with_sep else None
        return [first] + [_wrap(enc, prefix, self.sep, self.pair_type_id, 1) for enc in encodings[1:]]

    @classmethod
    def _tokens_from_dict(cls, data: dict[str, Any]) -> "tuple[tuple[str, int], tuple[str, int]]":
        where = f"post_processor({cls.type_name})"
        _check_fields(data, ("sep", "cls"), where)
        return _token_pair(data["sep"], where + ".sep"), _token_pair(data["cls"], where + ".cls")

    def _tokens_repr(self) -> str:
        return (
            f"sep=({rust_debug_str(self.sep[0])}, {self.sep[1]}), cls=({rust_debug_str(self.cls[0])}, {self.cls[1]})"
        )


class BertProcessing(_ClsSepProcessing):
    """BERT's special tokens: ``[CLS] A [SEP]`` and ``[CLS] A [SEP] B [SEP]``.

    Args:
        sep: ``(token, id)`` of the separator.
        cls_token: ``(token, id)`` of the classifier token (``cls=`` also accepted).

    Example:
        >>> BertProcessing(("[SEP]", 102), ("[CLS]", 101)).num_special_tokens_to_add(True)
        3
    """

    type_name = "BertProcessing"
    pair_starts_with_sep = False
    pair_type_id = 1

    def __init__(
        self,
        sep: tuple[str, int],
        cls_token: "tuple[str, int] | None" = None,
        *,
        cls: "tuple[str, int] | None" = None,
    ) -> None:
        self._set_tokens(sep, cls_token, cls)

    def num_special_tokens_to_add(self, is_pair: bool) -> int:
        return 3 if is_pair else 2

    def process_encodings(self, encodings: list[Encoding], add_special_tokens: bool) -> list[Encoding]:
        return self._add_special_tokens(encodings) if add_special_tokens else encodings

    def to_dict(self) -> dict[str, Any]:
        return {"type": self.type_name, "sep": list(self.sep), "cls": list(self.cls)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "BertProcessing":
        return cls(*cls._tokens_from_dict(data))

    def __repr__(self) -> str:
        return f"BertProcessing({self._tokens_repr()})"


def process_offsets(encoding: Encoding, add_prefix_space: bool) -> None:
    """Trim the byte-level spaces (``Ġ``) and whitespace a token starts/ends with out of its offsets."""
    offsets = encoding._offsets
    changed = False
    for i, token in enumerate(encoding._tokens):
        if not token:
            continue
        first, last = token[0], token[-1]
        lead_possible = first == _SPACE_CHAR or is_rust_whitespace(first)
        trail_possible = last == _SPACE_CHAR or is_rust_whitespace(last)
        if not lead_possible and not trail_possible:
            continue
        lead = 0
        if lead_possible:
            for c in token:
                if c == _SPACE_CHAR or is_rust_whitespace(c):
                    lead += 1
                else:
                    break
        trail = 0
        if trail_possible:
            for c in reversed(token):
                if c == _SPACE_CHAR or is_rust_whitespace(c):
                    trail += 1
                else:
                    break
        start, end = offsets[i]
        if lead > 0:
            is_first = i == 0 or start == 0
            if is_first and add_prefix_space and lead == 1:
                lead = 0
            start = min(start + lead, end)
        if trail > 0 and end >= trail:
            end = max(end - trail, start)
        if (start, end) != offsets[i]:
            if not changed:
                offsets = list(offsets)
                changed = True
            offsets[i] = (start, end)
    if changed:
        encoding._offsets = offsets


def _trim_offsets(encodings: list[Encoding], add_prefix_space: bool) -> None:
    """:func:`process_offsets` on every encoding and its overflowing pieces."""
    for enc in encodings:
        process_offsets(enc, add_prefix_space)
        for o in enc._overflowing:
            process_offsets(o, add_prefix_space)


class RobertaProcessing(_ClsSepProcessing):
    """RoBERTa's special tokens: ``<s> A </s>`` and ``<s> A </s> </s> B </s>``; all type ids 0.

    Args:
        sep: ``(token, id)`` of the separator.
        cls_token: ``(token, id)`` of the start token (``cls=`` also accepted).
        trim_offsets: trim byte-level spaces out of the offsets.
        add_prefix_space: whether the pre-tokenizer added a prefix space (keeps the
            first token's leading space in its offsets).

    Example:
        >>> RobertaProcessing(("</s>", 2), ("<s>", 0)).num_special_tokens_to_add(True)
        4
    """

    type_name = "RobertaProcessing"
    pair_starts_with_sep = True
    pair_type_id = 0

    def __init__(
        self,
        sep: tuple[str, int],
        cls_token: "tuple[str, int] | None" = None,
        trim_offsets: bool = True,
        add_prefix_space: bool = True,
        *,
        cls: "tuple[str, int] | None" = None,
    ) -> None:
        self._set_tokens(sep, cls_token, cls)
        self.trim_offsets = bool(trim_offsets)
        self.add_prefix_space = bool(add_prefix_space)

    def num_special_tokens_to_add(self, is_pair: bool) -> int:
        return 4 if is_pair else 2

    def process_encodings(self, encodings: list[Encoding], add_special_tokens: bool) -> list[Encoding]:
        if self.trim_offsets:
            _trim_offsets(encodings, self.add_prefix_space)
        for enc in encodings:
            enc.set_type_ids([0] * len(enc._ids))
        return self._add_special_tokens(encodings) if add_special_tokens else encodings

    def to_dict(self) -> dict[str, Any]:
        return {
            "type": self.type_name,
            "sep": list(self.sep),
            "cls": list(self.cls),
            "trim_offsets": self.trim_offsets,
            "add_prefix_space": self.add_prefix_space,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "RobertaProcessing":
        return cls(
            *cls._tokens_from_dict(data),
            trim_offsets=data.get("trim_offsets", True),
            add_prefix_space=data.get("add_prefix_space", True),
        )

    def __repr__(self) -> str:
        return (
            f"RobertaProcessing({self._tokens_repr()}, trim_offsets={self.trim_offsets}, "
            f"add_prefix_space={self.add_prefix_space})"
        )


class ByteLevel(PostProcessor):
    """Trim the byte-level spaces out of the token offsets (adds no tokens).

    Args:
        add_prefix_space: whether the pre-tokenizer added a prefix space.
        trim_offsets: trim the offsets (otherwise this does nothing).
        use_regex: kept for symmetry with the pre-tokenizer of the same name.

    Example:
        >>> ByteLevel(trim_offsets=True).trim_offsets
        True
    """

    type_name = "ByteLevel"

    def __init__(
        self,
        add_prefix_space: "bool | None" = None,
        trim_offsets: "bool | None" = None,
        use_regex: "bool | None" = None,
    ) -> None:
        self.add_prefix_space = True if add_prefix_space is None else bool(add_prefix_space)
        self.trim_offsets = True if trim_offsets is None else bool(trim_offsets)
        self.use_regex = True if use_regex is None else bool(use_regex)

    def process_encodings(self, encodings: list[Encoding], add_special_tokens: bool) -> list[Encoding]:
        if self.trim_offsets:
            _trim_offsets(encodings, self.add_prefix_space)
        for i, enc in enumerate(encodings):
            enc.set_sequence_id(i)
        return encodings

    def to_dict(self) -> dict[str, Any]:
        return {
            "type": self.type_name,
            "add_prefix_space": self.add_prefix_space,
            "trim_offsets": self.trim_offsets,
            "use_regex": self.use_regex,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "ByteLevel":
        _check_fields(data, ("add_prefix_space", "trim_offsets"), "post_processor(ByteLevel)")
        return cls(data["add_prefix_space"], data["trim_offsets"], data.get("use_regex", True))

    def __repr__(self) -> str:
        return (
            f"ByteLevel(add_prefix_space={self.add_prefix_space}, trim_offsets={self.trim_offsets}, "
            f"use_regex={self.use_regex})"
        )


# --- TemplateProcessing ---------------------------------------------------------------


class _Piece:
    """One template item: a sequence (``"A"``/``"B"``) or a special token id, with a type id."""

    __slots__ = ("kind", "id", "type_id")

    def __init__(self, kind: str, id: str, type_id: int) -> None:
        self.kind = kind  # "Sequence" or "SpecialToken"
        self.id = id
        self.type_id = type_id

    def to_dict(self) -> dict[str, Any]:
        return {self.kind: {"id": self.id, "type_id": self.type_id}}

    def __repr__(self) -> str:
        if self.kind == "Sequence":
            return f"Sequence(id={self.id}, type_id={self.type_id})"
        return f"SpecialToken(id={rust_debug_str(self.id)}, type_id={self.type_id})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Piece) and (self.kind, self.id, self.type_id) == (other.kind, other.id, other.type_id)


def _piece_from_str(text: str) -> _Piece:
    err = TokenizerError(f'Cannot build Piece from string "{text}"')
    parts = text.split(":")
    if len(parts) > 2:
        raise err
    head = parts[0]
    if head.startswith("$"):
        rest = head[1:]
        if rest in ("", "A", "a"):
            piece = _Piece("Sequence", "A", 0)
        elif rest in ("B", "b"):
            piece = _Piece("Sequence", "B", 0)
        elif rest.isdigit() and rest.isascii():
            piece = _Piece("Sequence", "A", int(rest))
        else:
            raise err
    else:
        piece = _Piece("SpecialToken", head, 0)
    if len(parts) == 2:
        if not (parts[1].isdigit() and parts[1].isascii()):
            raise err
        piece.type_id = int(parts[1])
    return piece


def _template_from_any(value: Any, what: str) -> list[_Piece]:
    if isinstance(value, str):
        return [_piece_from_str(p) for p in value.split()]
    if isinstance(value, (list, tuple)):
        out = []
        for i, item in enumerate(value):
            if isinstance(item, _Piece):
                out.append(_Piece(item.kind, item.id, item.type_id))
            elif isinstance(item, str):
                out.append(_piece_from_str(item))
            elif isinstance(item, dict) and len(item) == 1:
                ((kind, body),) = item.items()
                if kind not in ("Sequence", "SpecialToken") or not isinstance(body, dict):
                    raise TokenizerError(f"{what}[{i}]: expected {{\"Sequence\": ...}} or {{\"SpecialToken\": ...}}")
                if "id" not in body or "type_id" not in body:
                    raise TokenizerError(f"{what}[{i}].{kind}: needs `id` and `type_id`")
                if kind == "Sequence" and body["id"] not in ("A", "B"):
                    raise TokenizerError(f"{what}[{i}].Sequence.id: expected \"A\" or \"B\", got {body['id']!r}")
                out.append(_Piece(kind, body["id"], int(body["type_id"])))
            else:
                raise TokenizerError(f"{what}[{i}]: cannot build a template piece from {item!r}")
        return out
    raise TokenizerError(f"{what}: expected a str or a list, got {type(value).__name__}")


class _SpecialToken:
    __slots__ = ("id", "ids", "tokens")

    def __init__(self, id: str, ids: list[int], tokens: list[str]) -> None:
        if len(ids) != len(tokens):
            raise TokenizerError("SpecialToken: ids and tokens must be of the same length")
        self.id = id
        self.ids = list(ids)
        self.tokens = list(tokens)

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "ids": list(self.ids), "tokens": list(self.tokens)}

    def __repr__(self) -> str:
        return (
            f"SpecialToken(id={rust_debug_str(self.id)}, ids={self.ids}, "
            f"tokens=[{', '.join(rust_debug_str(t) for t in self.tokens)}])"
        )


def _special_tokens_from_any(value: Any, what: str) -> dict[str, _SpecialToken]:
    out: dict[str, _SpecialToken] = {}
    if value is None:
        return out
    items: Iterable[Any]
    if isinstance(value, dict):
        items = value.values()
    elif isinstance(value, (list, tuple)):
        items = value
    elif hasattr(value, "__iter__"):
        items = list(value)
    else:
        raise TokenizerError(f"{what}: expected a list or a dict, got {type(value).__name__}")
    for item in items:
        if isinstance(item, _SpecialToken):
            tok = _SpecialToken(item.id, item.ids, item.tokens)
        elif isinstance(item, dict):
            for key in ("id", "ids", "tokens"):
                if key not in item:
                    raise TokenizerError(f"{what}: special token {item!r} is missing `{key}`")
            tok = _SpecialToken(item["id"], item["ids"], item["tokens"])
        else:
            content, tid = _token_pair(item, what)
            tok = _SpecialToken(content, [tid], [content])
        out[tok.id] = tok
    return out


class TemplateProcessing(PostProcessor):
    """Add special tokens following templates such as ``"[CLS] $A [SEP] $B:1 [SEP]:1"``.

    ``$A``/``$B`` stand for the sequences, ``$0``/``$1``... for sequence A with that type
    id, and ``X:n`` gives item ``X`` the type id ``n``.

    Args:
        single: the template for one sequence (``str`` or list of ``str``).
        pair: the template for a pair of sequences.
        special_tokens: ``(token, id)`` pairs or ``{"id", "ids", "tokens"}`` dicts.

    Example:
        >>> TemplateProcessing(single="[CLS] $0 [SEP]", pair="[CLS] $A [SEP] $B:1 [SEP]:1",
        ...                    special_tokens=[("[CLS]", 1), ("[SEP]", 0)]).num_special_tokens_to_add(False)
        2
    """

    type_name = "TemplateProcessing"

    def __init__(self, single: Any = None, pair: Any = None, special_tokens: Any = None) -> None:
        single_t = _template_from_any(single, "single") if single is not None else [_Piece("Sequence", "A", 0)]
        pair_t = (
            _template_from_any(pair, "pair")
            if pair is not None
            else [_Piece("Sequence", "A", 0), _Piece("Sequence", "B", 1)]
        )
        tokens = _special_tokens_from_any(special_tokens, "special_tokens")
        ids = {p.id for p in pair_t if p.kind == "Sequence"}
        if not ("A" in ids and "B" in ids):
            raise TokenizerError("Template for `pair` must use both sequences")
        missing = []
        for p in single_t + pair_t:
            if p.kind == "SpecialToken" and p.id not in tokens and p.id not in missing:
                missing.append(p.id)
        if missing:
            raise TokenizerError(f"Missing SpecialToken(s) with id(s) `{', '.join(missing)}`")
        self._single = single_t
        self._pair = pair_t
        self._special_tokens = tokens

    @property
    def single(self) -> str:
        return "Template([" + ", ".join(_rust_piece(p) for p in self._single) + "])"

    @property
    def pair(self) -> str:
        return "Template([" + ", ".join(_rust_piece(p) for p in self._pair) + "])"

    @property
    def special_tokens(self) -> dict[str, dict[str, Any]]:
        return {k: v.to_dict() for k, v in self._special_tokens.items()}

    def _count(self, template: list[_Piece]) -> int:
        return sum(len(self._special_tokens[p.id].ids) for p in template if p.kind == "SpecialToken")

    def num_special_tokens_to_add(self, is_pair: bool) -> int:
        return self._count(self._pair if is_pair else self._single)

    def process_encodings(self, encodings: list[Encoding], add_special_tokens: bool) -> list[Encoding]:
        if len(encodings) == 2:
            template = self._pair
        elif len(encodings) == 1:
            template = self._single
        else:
            raise TokenizerError("TemplateProcessing handles one or two sequences")
        out: list[Encoding] = []
        used: set[int] = set()
        for piece in template:
            if piece.kind == "Sequence":
                i = 0 if piece.id == "A" else 1
                if i >= len(encodings):
                    raise TokenizerError("The template uses sequence B but no pair was given")
                # The encodings are ours to change: only a sequence the template uses a
                # second time needs a copy (the first use keeps the object).
                enc = encodings[i].copy() if i in used else encodings[i]
                used.add(i)
                enc.set_type_ids([piece.type_id] * len(enc._ids))
                enc.set_sequence_id(i)
                out.append(enc)
            elif add_special_tokens:
                tok = self._special_tokens[piece.id]
                n = len(tok.ids)
                out.append(
                    Encoding._make(
                        ids=list(tok.ids),
                        type_ids=[piece.type_id] * n,
                        tokens=list(tok.tokens),
                        words=[None] * n,
                        offsets=[(0, 0)] * n,
                        special_tokens_mask=[1] * n,
                        attention_mask=[1] * n,
                    )
                )
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "type": self.type_name,
            "single": [p.to_dict() for p in self._single],
            "pair": [p.to_dict() for p in self._pair],
            "special_tokens": {k: self._special_tokens[k].to_dict() for k in sorted(self._special_tokens)},
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "TemplateProcessing":
        w = "post_processor(TemplateProcessing)"
        _check_fields(data, ("single", "pair", "special_tokens"), w)
        return cls(
            _template_from_any(data["single"], w + ".single"),
            _template_from_any(data["pair"], w + ".pair"),
            _special_tokens_from_any(data["special_tokens"], w + ".special_tokens").values(),
        )

    def __repr__(self) -> str:
        tokens = ", ".join(
            f"{rust_debug_str(k)}:{self._special_tokens[k]!r}" for k in sorted(self._special_tokens)
        )
        return (
            f"TemplateProcessing(single=[{', '.join(map(repr, self._single))}], "
            f"pair=[{', '.join(map(repr, self._pair))}], special_tokens={{{tokens}}})"
        )


def _rust_piece(p: _Piece) -> str:
    if p.kind == "Sequence":
        return f"Sequence {{ id: {p.id}, type_id: {p.type_id} }}"
    return f"SpecialToken {{ id: {rust_debug_str(p.id)}, type_id: {p.type_id} }}"


class Sequence(ComponentSequence, PostProcessor):
    """Run several post-processors one after the other.

    Args:
        processors: the post-processors, in order.

    Example:
        >>> Sequence([ByteLevel(), BertProcessing(("[SEP]", 1), ("[CLS]", 0))]).num_special_tokens_to_add(False)
        2
    """

    type_name = "Sequence"
    items_field = "processors"

    def __init__(self, processors: list[PostProcessor]) -> None:
        self._set_items(processors, PostProcessor)

    def num_special_tokens_to_add(self, is_pair: bool) -> int:
        return sum(p.num_special_tokens_to_add(is_pair) for p in self.processors)

    def process_encodings(self, encodings: list[Encoding], add_special_tokens: bool) -> list[Encoding]:
        for p in self.processors:
            encodings = p.process_encodings(encodings, add_special_tokens)
        return encodings

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Sequence":
        items = data.get("processors")
        if not isinstance(items, list):
            raise TokenizerError("post_processor(Sequence).processors: expected a list")
        return cls([post_processor_from_dict(d, f"post_processor.processors[{i}]") for i, d in enumerate(items)])


PROCESSORS: dict[str, type[PostProcessor]] = {
    cls.type_name: cls for cls in (BertProcessing, ByteLevel, RobertaProcessing, Sequence, TemplateProcessing)
}
