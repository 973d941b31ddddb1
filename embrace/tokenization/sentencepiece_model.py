"""Read a SentencePiece ``.model`` file (a ``ModelProto`` protobuf) without protobuf.

Only the protobuf wire format is needed: varints and length-delimited fields. We read the
fields a tokenizer needs: the pieces (text, score, type), the trainer spec (model type,
special ids, byte fallback) and the normalizer spec (name, precompiled charsmap, dummy
prefix, whitespace handling). Unknown fields are skipped, as protobuf readers do.

Example:
    >>> proto = bytes([0x0A, 0x08, 0x0A, 0x01, 0x61, 0x15, 0x00, 0x00, 0x80, 0xBF])  # pieces { piece: "a" score: -1 }
    >>> model = parse_model(proto)
    >>> model.pieces[0].piece, model.pieces[0].score, model.pieces[0].type
    ('a', -1.0, 1)
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

from ..errors import TokenizerError

# SentencePiece piece types (ModelProto.SentencePiece.Type).
NORMAL, UNKNOWN, CONTROL, USER_DEFINED, UNUSED, BYTE = 1, 2, 3, 4, 5, 6
# TrainerSpec.ModelType
UNIGRAM, BPE, WORD, CHAR = 1, 2, 3, 4


@dataclass
class Piece:
    """One vocabulary entry: its text, its score (log prob for Unigram, rank for BPE) and its type."""

    piece: str = ""
    score: float = 0.0
    type: int = NORMAL


@dataclass
class TrainerSpec:
    """The training options a tokenizer needs at encoding time."""

    model_type: int = UNIGRAM
    vocab_size: int = 8000
    byte_fallback: bool = False
    unk_id: int = 0
    bos_id: int = 1
    eos_id: int = 2
    pad_id: int = -1
    unk_piece: str = "<unk>"
    bos_piece: str = "<s>"
    eos_piece: str = "</s>"
    pad_piece: str = "<pad>"
    split_digits: bool = False
    treat_whitespace_as_suffix: bool = False


@dataclass
class NormalizerSpec:
    """How SentencePiece normalizes text before segmenting it."""

    name: str = ""
    precompiled_charsmap: bytes = b""
    add_dummy_prefix: bool = True
    remove_extra_whitespaces: bool = True
    escape_whitespaces: bool = True


@dataclass
class ModelProto:
    """The parsed model: pieces, trainer spec and normalizer spec."""

    pieces: list[Piece] = field(default_factory=list)
    trainer_spec: TrainerSpec = field(default_factory=TrainerSpec)
    normalizer_spec: NormalizerSpec = field(default_factory=NormalizerSpec)


def _varint(data: bytes, pos: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        if pos >= len(data):
            raise TokenizerError("SentencePiece model is truncated (a varint runs past the end of the file).")
        byte = data[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return result, pos
        shift += 7
        if shift > 63:
            raise TokenizerError("SentencePiece model is corrupt (a varint is longer than 10 bytes).")


def _fields(data: bytes) -> "list[tuple[int, int, object]]":
    """(field number, wire type, value) for each field; value is an int, a float or bytes."""
    out = []
    pos = 0
    while pos < len(data):
        key, pos = _varint(data, pos)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, pos = _varint(data, pos)
        elif wire == 1:
            value, pos = data[pos: pos + 8], pos + 8
        elif wire == 2:
            length, pos = _varint(data, pos)
            value, pos = data[pos: pos + length], pos + length
        elif wire == 5:
            value, pos = struct.unpack("<f", data[pos: pos + 4])[0] if pos + 4 <= len(data) else None, pos + 4
        else:
            raise TokenizerError(f"SentencePiece model is corrupt (unsupported protobuf wire type {wire}).")
        if pos > len(data) or value is None:
            raise TokenizerError("SentencePiece model is truncated (a field runs past the end of the file).")
        out.append((number, wire, value))
    return out


def _signed(value: int) -> int:
    """int32 fields are sent as 64-bit two's complement varints."""
    return value - (1 << 64) if value >= 1 << 63 else value


def _text(value: object) -> str:
    try:
        return bytes(value).decode("utf-8")  # type: ignore[arg-type]
    except UnicodeDecodeError as exc:
        raise TokenizerError(f"SentencePiece model is corrupt (a string is not UTF-8: {exc}).") from None


def _piece(data: bytes) -> Piece:
    piece = Piece()
    for number, _, value in _fields(data):
        if number == 1:
            piece.piece = _text(value)
        elif number == 2:
            piece.score = float(value)  # type: ignore[arg-type]
        elif number == 3:
            piece.type = int(value)  # type: ignore[arg-type]
    return piece


# field number -> (attribute, kind) for the specs; kinds: "int", "sint", "bool", "str", "bytes".
_TRAINER_FIELDS = {3: ("model_type", "int"), 4: ("vocab_size", "int"), 35: ("byte_fallback", "bool"),
                   40: ("unk_id", "sint"), 41: ("bos_id", "sint"), 42: ("eos_id", "sint"), 43: ("pad_id", "sint"),
                   45: ("unk_piece", "str"), 46: ("bos_piece", "str"), 47: ("eos_piece", "str"),
                   48: ("pad_piece", "str"), 25: ("split_digits", "bool"), 24: ("treat_whitespace_as_suffix", "bool")}
_NORMALIZER_FIELDS = {1: ("name", "str"), 2: ("precompiled_charsmap", "bytes"), 3: ("add_dummy_prefix", "bool"),
                      4: ("remove_extra_whitespaces", "bool"), 5: ("escape_whitespaces", "bool")}
_CONVERT = {"int": int, "sint": lambda v: _signed(int(v)), "bool": bool, "str": _text, "bytes": bytes}


def _spec(data: bytes, spec: object, table: dict[int, tuple[str, str]]) -> None:
    for number, _, value in _fields(data):
        if number in table:
            name, kind = table[number]
            setattr(spec, name, _CONVERT[kind](value))


def parse_model(data: bytes) -> ModelProto:
    """Parse the bytes of a SentencePiece ``.model`` file."""
    model = ModelProto()
    for number, wire, value in _fields(bytes(data)):
        if wire != 2:
            continue
        if number == 1:
            model.pieces.append(_piece(value))  # type: ignore[arg-type]
        elif number == 2:
            _spec(value, model.trainer_spec, _TRAINER_FIELDS)  # type: ignore[arg-type]
        elif number == 3:
            _spec(value, model.normalizer_spec, _NORMALIZER_FIELDS)  # type: ignore[arg-type]
    if not model.pieces:
        raise TokenizerError("SentencePiece model has no pieces: the file is empty, truncated or not a .model file.")
    return model


def load_model(path: str) -> ModelProto:
    """Read and parse a ``.model`` file."""
    with open(path, "rb") as handle:
        data = handle.read()
    try:
        return parse_model(data)
    except TokenizerError as exc:
        raise TokenizerError(f"{path}: {exc}") from None
