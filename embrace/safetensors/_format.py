"""The safetensors byte layout: dtype table, header parsing + validation, header writing.

A safetensors file is::

    u64 little-endian N | N bytes of UTF-8 JSON header | data section

The header maps each tensor name to ``{"dtype", "shape", "data_offsets": [begin, end]}``
(offsets relative to the data section) plus an optional ``"__metadata__"`` object of
string -> string. This module is framework-free (no torch, no numpy) so that
``import embrace.safetensors`` stays cheap; the framework modules build tensors on top.

The acceptance rules mirror the reference reader (safetensors 0.8.0), including the JSON
dialect of its parser (serde_json): no NaN/Infinity, integers must fit 64 bits, numbers
outside the float range and lone UTF-16 surrogate escapes are refused, nesting is capped.
The one deliberate difference: a header that repeats a tensor name or a metadata key is
refused, where the reference silently keeps the last one, because two readers could then
disagree on what the file contains.

Example:
    >>> from embrace.safetensors._format import build_header, parse_header
    >>> header = build_header([("w", "F32", [2], 8)], {"format": "pt"})
    >>> parsed = parse_header(header, total_len=8 + len(header) + 8, source="example")
    >>> parsed.tensors["w"].shape, parsed.metadata
    ((2,), {'format': 'pt'})
"""

from __future__ import annotations

import json
import math
import os
import re
import struct
import uuid
from dataclasses import dataclass
from typing import Any, Iterable, Mapping

from embrace.errors import SafetensorsError

# The reference refuses headers longer than this (100 MB).
MAX_HEADER_SIZE = 100_000_000
_U64_MAX = 2**64 - 1
_I64_MIN = -(2**63)
# serde_json refuses JSON nested deeper than this many containers; the outermost object
# and the tensor entry object count, so an ignored extra field may nest 2 levels less.
_MAX_JSON_DEPTH = 127

# Every dtype code of the format, in the order the reference ranks them, with its width
# in bits. Writers place tensors by descending rank (widest alignment first), then name.
DTYPE_BITS: dict[str, int] = {
    "BOOL": 8,
    "F4": 4,
    "F6_E2M3": 6,
    "F6_E3M2": 6,
    "U8": 8,
    "I8": 8,
    "F8_E5M2": 8,
    "F8_E4M3": 8,
    "F8_E8M0": 8,
    "F8_E4M3FNUZ": 8,
    "F8_E5M2FNUZ": 8,
    "I16": 16,
    "U16": 16,
    "F16": 16,
    "BF16": 16,
    "I32": 32,
    "U32": 32,
    "F32": 32,
    "C64": 64,
    "F64": 64,
    "I64": 64,
    "U64": 64,
}
_DTYPE_RANK = {code: rank for rank, code in enumerate(DTYPE_BITS)}

# Framework dtype names (torch / numpy / ml_dtypes spelling) -> format code; the
# vocabulary of TensorSpec and of numpy arrays' ``dtype.name``.
DTYPE_CODE_BY_NAME: dict[str, str] = {
    "bool": "BOOL",
    "int8": "I8",
    "uint8": "U8",
    "int16": "I16",
    "uint16": "U16",
    "int32": "I32",
    "uint32": "U32",
    "int64": "I64",
    "uint64": "U64",
    "float16": "F16",
    "float32": "F32",
    "float64": "F64",
    "bfloat16": "BF16",
    "float8_e4m3fn": "F8_E4M3",
    "float8_e4m3fnuz": "F8_E4M3FNUZ",
    "float8_e5m2": "F8_E5M2",
    "float8_e5m2fnuz": "F8_E5M2FNUZ",
    "float8_e8m0fnu": "F8_E8M0",
    "float4_e2m1fn_x2": "F4",
    "complex64": "C64",
}

_HINT_CORRUPT = "The file is truncated, corrupt or not safetensors; save or download it again."


@dataclass(frozen=True)
class TensorInfo:
    """Where one tensor lives: its dtype code, logical shape and byte range in the data section."""

    dtype: str
    shape: tuple[int, ...]
    begin: int
    end: int

    @property
    def nbytes(self) -> int:
        return self.end - self.begin


@dataclass(frozen=True)
class Header:
    """A validated header: tensors in data-offset order, metadata, where data starts."""

    tensors: dict[str, TensorInfo]
    metadata: dict[str, str] | None
    data_start: int  # absolute file offset of the data section (8 + header length)


def _invalid(source: str, reason: str) -> SafetensorsError:
    return SafetensorsError(f"{source} is not a valid safetensors file: {reason}. {_HINT_CORRUPT}")


def read_header_length(prefix: bytes, *, total_len: int, source: str) -> int:
    """Check the 8-byte length prefix against the total size; return the header length."""
    if total_len < 8:
        raise _invalid(source, f"it is {total_len} bytes long, shorter than the 8-byte header length")
    (length,) = struct.unpack("<Q", prefix[:8])
    if length > MAX_HEADER_SIZE:
        raise _invalid(source, f"the header declares {length} bytes, over the {MAX_HEADER_SIZE}-byte limit")
    if 8 + length > total_len:
        raise _invalid(
            source, f"the header declares {length} bytes but only {total_len - 8} follow the length prefix"
        )
    return length


# --- JSON dialect --------------------------------------------------------------------


class _Object(list):
    """A JSON object kept as its (key, value) pairs, so repeated keys stay visible."""


def _parse_int(text: str) -> int | float:
    # serde_json reads integers that fit i64/u64 as integers and everything else as a
    # float; "-0" is read as the float -0.0. Python would build arbitrarily large ints
    # (and refuse > 4300 digits), so convert the same way the reference does.
    if len(text) <= 20:
        value = int(text)
        if _I64_MIN <= value <= _U64_MAX:
            if value == 0 and text.startswith("-"):
                return -0.0
            return value
    return _parse_float(text)


def _parse_float(text: str) -> float:
    value = float(text)
    if math.isinf(value):
        raise ValueError(f"number {text[:40]}... is out of range")
    return value


def _refuse_constant(name: str) -> None:
    raise ValueError(f"{name} is not valid JSON")


_DECODER = json.JSONDecoder(
    object_pairs_hook=_Object,
    parse_int=_parse_int,
    parse_float=_parse_float,
    parse_constant=_refuse_constant,
)
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


def _walk(value: Any) -> Iterable[Any]:
    """Every value nested in ``value`` (object keys included), iteratively."""
    stack = [value]
    while stack:
        item = stack.pop()
        yield item
        if isinstance(item, _Object):
            for key, child in item:
                yield key
                stack.append(child)
        elif isinstance(item, list):
            stack.extend(item)


def _depth(value: Any) -> int:
    """Container nesting depth: 0 for a scalar, 1 for ``[]``, 2 for ``[[]]``..."""
    if not isinstance(value, list):
        return 0
    deepest = 0
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        deepest = max(deepest, depth)
        children = (child for _, child in item) if isinstance(item, _Object) else item
        stack.extend((child, depth + 1) for child in children if isinstance(child, list))
    return deepest


def _load_json(text: str, source: str) -> Any:
    try:
        document = _DECODER.decode(text)
    except RecursionError:
        raise _invalid(source, f"the header JSON nests deeper than {_MAX_JSON_DEPTH} levels") from None
    except ValueError as error:
        raise _invalid(source, f"the header is not valid JSON ({error})") from None
    # Python pairs up valid surrogate escapes into one character; anything left in the
    # surrogate range came from a lone escape, which the reference refuses.
    if _SURROGATE_ESCAPE.search(text):
        for item in _walk(document):
            if isinstance(item, str) and any("\ud800" <= char <= "\udfff" for char in item):
                raise _invalid(source, f"the header contains a lone UTF-16 surrogate escape in {item!r}")
    return document


# --- header validation ----------------------------------------------------------------


def _type_name(value: Any) -> str:
    if isinstance(value, _Object):
        return "object"
    if isinstance(value, list):
        return "array"
    if value is None:
        return "null"
    return type(value).__name__


def _is_u64(value: Any) -> bool:
    return type(value) is int and 0 <= value <= _U64_MAX


def _parse_dtype(value: Any, name: str, source: str) -> str:
    # serde also accepts the map spelling of a unit enum variant: {"F32": null}.
    if isinstance(value, _Object) and len(value) == 1 and value[0][1] is None:
        value = value[0][0]
    if isinstance(value, str) and value in DTYPE_BITS:
        return value
    shown = repr(value) if isinstance(value, str) else _type_name(value)
    raise _invalid(
        source, f"tensor {name!r} has unknown dtype {shown}; valid dtypes are {', '.join(DTYPE_BITS)}"
    )


def _parse_entry(name: str, entry: Any, source: str) -> tuple[str, tuple[int, ...], int, int]:
    """One tensor entry -> (dtype, shape, begin, end), checking each field's JSON type."""
    if isinstance(entry, _Object):
        fields: dict[str, Any] = {}
        for key, value in entry:
            if key in ("dtype", "shape", "data_offsets"):
                if key in fields:
                    raise _invalid(source, f"tensor {name!r} repeats the field {key!r}")
                fields[key] = value
            elif _depth(value) + 2 > _MAX_JSON_DEPTH:
                raise _invalid(source, f"the header JSON nests deeper than {_MAX_JSON_DEPTH} levels")
        for key in ("dtype", "shape", "data_offsets"):
            if key not in fields:
                raise _invalid(source, f"tensor {name!r} has no {key!r} field")
        dtype, shape, offsets = fields["dtype"], fields["shape"], fields["data_offsets"]
    elif isinstance(entry, list) and len(entry) == 3:
        # serde reads a struct from a 3-element array too: [dtype, shape, data_offsets].
        dtype, shape, offsets = entry
    else:
        raise _invalid(
            source,
            f"tensor {name!r} must be an object with dtype, shape and data_offsets, got {_type_name(entry)}",
        )
    code = _parse_dtype(dtype, name, source)
    if not isinstance(shape, list) or isinstance(shape, _Object) or not all(_is_u64(d) for d in shape):
        raise _invalid(source, f"tensor {name!r} has shape {_preview(shape)}; expected a list of non-negative integers")
    if (
        not isinstance(offsets, list)
        or isinstance(offsets, _Object)
        or len(offsets) != 2
        or not all(_is_u64(o) for o in offsets)
    ):
        raise _invalid(
            source, f"tensor {name!r} has data_offsets {_preview(offsets)}; expected [begin, end] as two non-negative integers"
        )
    return code, tuple(shape), offsets[0], offsets[1]


def _preview(value: Any) -> str:
    text = json.dumps(value, default=str) if not isinstance(value, _Object) else "an object"
    return text if len(text) <= 80 else text[:77] + "..."


def _byte_size(name: str, code: str, shape: tuple[int, ...], source: str) -> int:
    # Mirror the reference's checked arithmetic: the element count is folded left to
    # right and must never pass 2**64 - 1, nor may the size in bits.
    count = 1
    for dim in shape:
        count *= dim
        if count > _U64_MAX:
            raise _invalid(source, f"tensor {name!r} has shape {list(shape)} whose size overflows 64 bits")
    bits = count * DTYPE_BITS[code]
    if bits > _U64_MAX:
        raise _invalid(source, f"tensor {name!r} has shape {list(shape)} whose size overflows 64 bits")
    if bits % 8:
        raise _invalid(
            source, f"tensor {name!r} ({code}, shape {list(shape)}) does not end on a byte boundary ({bits} bits)"
        )
    return bits // 8


def _parse_metadata(value: Any, source: str) -> dict[str, str] | None:
    if value is None:
        return None
    if not isinstance(value, _Object):
        raise _invalid(source, f"__metadata__ must be an object of strings, got {_type_name(value)}")
    metadata: dict[str, str] = {}
    for key, item in value:
        if not isinstance(item, str):
            raise _invalid(source, f"__metadata__[{key!r}] must be a string, got {_type_name(item)}")
        if key in metadata:
            raise _invalid(source, f"__metadata__ repeats the key {key!r}")
        metadata[key] = item
    return metadata


def parse_header(raw: bytes, *, total_len: int, source: str) -> Header:
    """Parse and validate header bytes ``raw`` of a file/buffer of ``total_len`` bytes.

    Raises SafetensorsError naming ``source`` and the reason for anything the reference
    would refuse (and for repeated names, see the module docstring).
    """
    try:
        text = bytes(raw).decode("utf-8")
    except UnicodeDecodeError as error:
        raise _invalid(source, f"the header is not valid UTF-8 ({error.reason} at byte {error.start})") from None
    document = _load_json(text, source)
    if not isinstance(document, _Object):
        raise _invalid(source, f"the header must be a JSON object, got {_type_name(document)}")

    metadata: dict[str, str] | None = None
    seen_metadata = False
    entries: list[tuple[int, int, str, TensorInfo]] = []
    names: set[str] = set()
    for name, value in document:
        if name == "__metadata__":
            if seen_metadata:
                raise _invalid(source, "the header repeats the __metadata__ key")
            seen_metadata = True
            metadata = _parse_metadata(value, source)
            continue
        if name in names:
            raise _invalid(source, f"the header lists tensor {name!r} twice")
        names.add(name)
        code, shape, begin, end = _parse_entry(name, value, source)
        entries.append((begin, end, name, TensorInfo(code, shape, begin, end)))

    # Tensors must tile the data section exactly: sorted by offsets, each starts where
    # the previous one ended, sizes agree with dtype x shape, and the last one ends at EOF.
    entries.sort(key=lambda item: (item[0], item[1], item[2]))
    cursor = 0
    tensors: dict[str, TensorInfo] = {}
    for begin, end, name, info in entries:
        if begin != cursor or end < begin:
            raise _invalid(
                source,
                f"tensor {name!r} has data_offsets [{begin}, {end}] but the next free byte is {cursor} "
                "(tensors must follow each other without holes or overlaps, starting at 0)",
            )
        expected = _byte_size(name, info.dtype, info.shape, source)
        if end - begin != expected:
            raise _invalid(
                source,
                f"tensor {name!r} is {info.dtype} with shape {list(info.shape)}, which needs {expected} bytes, "
                f"but its data_offsets [{begin}, {end}] cover {end - begin}",
            )
        cursor = end
        tensors[name] = info
    data_start = 8 + len(raw)
    if data_start + cursor != total_len:
        raise _invalid(
            source,
            f"the tensors cover {cursor} bytes of data but {total_len - data_start} bytes follow the header",
        )
    return Header(tensors=tensors, metadata=metadata, data_start=data_start)


# --- writing ---------------------------------------------------------------------------


def check_metadata(metadata: Any) -> dict[str, str] | None:
    """Validate user metadata (None or a dict of str -> str) and return it."""
    if metadata is None:
        return None
    if not isinstance(metadata, Mapping):
        raise TypeError(f"metadata must be a dict of str -> str or None, got {type(metadata).__name__}")
    for key, value in metadata.items():
        if not isinstance(key, str) or not isinstance(value, str):
            raise TypeError(
                f"metadata must map str -> str; got {type(key).__name__} {key!r} -> {type(value).__name__}. "
                "Convert values with str() (or json.dumps for structures) before saving."
            )
    return dict(metadata)


def tensor_size(code: str, shape: Iterable[int], name: str) -> int:
    """Bytes needed by a tensor of format dtype ``code`` and logical ``shape``."""
    count = math.prod(shape)
    bits = count * DTYPE_BITS[code]
    if bits % 8:
        raise SafetensorsError(
            f"Tensor {name!r} ({code}, shape {list(shape)}) is {bits} bits, which does not end on a "
            "byte boundary; sub-byte dtypes need an element count that fills whole bytes."
        )
    return bits // 8


def order_for_writing(items: Iterable[tuple[str, str]]) -> list[str]:
    """Names sorted as the reference writes them: widest dtype rank first, then by name."""
    return [name for _, name in sorted((-_DTYPE_RANK[code], name) for name, code in items)]


def build_header(
    entries: list[tuple[str, str, list[int], int]], metadata: Mapping[str, str] | None
) -> bytes:
    """Header bytes (JSON padded with spaces to a multiple of 8) for entries already in
    write order: ``(name, dtype code, logical shape, nbytes)``.

    The JSON is compact and UTF-8 (not ASCII-escaped) like the reference writer; metadata
    keys are sorted so the output does not depend on how the dict was built.
    """
    document: dict[str, Any] = {}
    if metadata is not None:
        document["__metadata__"] = {key: metadata[key] for key in sorted(metadata)}
    offset = 0
    for name, code, shape, nbytes in entries:
        if name == "__metadata__":
            raise SafetensorsError(
                "A tensor cannot be named '__metadata__': that key holds the file's metadata. Rename the tensor."
            )
        document[name] = {"dtype": code, "shape": list(shape), "data_offsets": [offset, offset + nbytes]}
        offset += nbytes
    try:
        header = json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    except UnicodeEncodeError as error:
        raise SafetensorsError(
            f"A tensor name or metadata string is not valid Unicode ({error.reason}: {error.object!r}); "
            "it cannot be stored as UTF-8 JSON."
        ) from None
    return header + b" " * (-len(header) % 8)


def as_byte_view(data: Any) -> memoryview:
    """A flat byte view of any bytes-like object (bytes, bytearray, memoryview, array)."""
    try:
        view = memoryview(data)
    except TypeError:
        raise TypeError(
            f"expected the bytes of a safetensors file (bytes, bytearray or memoryview), got {type(data).__name__}"
        ) from None
    return view.cast("B") if view.format != "B" or view.ndim != 1 else view


def parse_buffer(view: memoryview, *, source: str) -> Header:
    """Parse and validate the header of a whole file held in memory."""
    length = read_header_length(bytes(view[:8]), total_len=len(view), source=source)
    return parse_header(view[8 : 8 + length], total_len=len(view), source=source)


def serialized_bytes(header: bytes, chunks: Iterable[Any]) -> bytes:
    """The whole file as one bytes object (one copy of each tensor's data)."""
    return b"".join([struct.pack("<Q", len(header)), header, *chunks])


def write_file(filename: str | os.PathLike, header: bytes, chunks: Iterable[Any]) -> None:
    """Write a safetensors file atomically: a temporary file beside it, then a rename.

    An interrupted save never leaves a truncated file behind, and overwriting a file
    that is still memory-mapped (tensors loaded from it) is safe: the old mapping keeps
    the old data instead of faulting on a truncated file.
    """
    target = os.path.realpath(os.fspath(filename))
    temporary = os.path.join(
        os.path.dirname(target), f".{os.path.basename(target)}.{os.getpid()}.{uuid.uuid4().hex[:12]}.tmp"
    )
    # 0o666 filtered by the umask: the same permissions as a plain open(..., "wb").
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
    try:
        with open(descriptor, "wb") as file:
            file.write(struct.pack("<Q", len(header)))
            file.write(header)
            for chunk in chunks:
                file.write(chunk)
        os.replace(temporary, target)
    except BaseException:
        try:
            os.unlink(temporary)
        except FileNotFoundError:
            pass
        raise
