"""Header validation: embrace accepts exactly what the reference (safetensors 0.8.0) accepts.

Each case is a hand-built file; both readers get the same bytes (in memory and on disk).
Where both accept, they must return the same tensors and metadata; where the reference
refuses, embrace must raise SafetensorsError with a reason. The only deliberate
difference (repeated tensor names / metadata keys) is asserted on its own.
"""

from __future__ import annotations

import json
import struct
import tracemalloc

import pytest
import safetensors

from embrace.errors import SafetensorsError
from embrace.safetensors import deserialize, safe_open


def make(header: dict | bytes, data: bytes = b"", *, length: int | None = None) -> bytes:
    raw = header if isinstance(header, bytes) else json.dumps(header).encode()
    return struct.pack("<Q", len(raw) if length is None else length) + raw + data


def entry(dtype: object = "F32", shape: object = (1,), offsets: object = (0, 4)) -> dict:
    return {
        "dtype": dtype,
        "shape": list(shape) if isinstance(shape, tuple) else shape,
        "data_offsets": list(offsets) if isinstance(offsets, tuple) else offsets,
    }


F32 = b"\x00\x00\x80\x3f"  # 1.0
TENSOR_X = b'{"x":{"dtype":"F32","shape":[1],"data_offsets":[0,4]'


def nested_extra(depth: int) -> bytes:
    return make(TENSOR_X + b',"e":' + b"[" * depth + b"]" * depth + b"}}", F32)


CASES: dict[str, bytes] = {
    # length prefix
    "empty file": b"",
    "shorter than 8 bytes": b"\x01\x00",
    "header over 100 MB": struct.pack("<Q", 100_000_001) + b"{}",
    "header exactly 100 MB but past EOF": struct.pack("<Q", 100_000_000) + b"{}",
    "header past end of file": make(b"{}", length=10),
    "u64 max header length": struct.pack("<Q", 2**64 - 1) + b"{}",
    # text and JSON dialect
    "zero-length header": make(b""),
    "non-UTF-8 header": make(b'{"\xff":1}'),
    "truncated JSON": make(b'{"a":'),
    "JSON array": make(b"[]"),
    "JSON number": make(b"1"),
    "empty object": make(b"{}"),
    "whitespace around object": make(b" \t\n{}\r "),
    "form feed is not JSON whitespace": make(b"\x0c{}"),
    "byte order mark": make("\ufeff{}".encode()),
    "trailing garbage": make(b"{} x"),
    "trailing NUL": make(b"{}\x00"),
    "two objects": make(b"{}{}"),
    "comment": make(b"{/*c*/}"),
    "NaN literal": make(TENSOR_X.replace(b"[1]", b"[NaN]") + b"}}", F32),
    "leading plus": make(TENSOR_X.replace(b"[1]", b"[+1]") + b"}}", F32),
    "leading zero": make(TENSOR_X.replace(b"[1]", b"[01]") + b"}}", F32),
    "negative zero in shape": make(TENSOR_X.replace(b"[1]", b"[-0]") + b"}}", F32),
    "exponent in shape": make(TENSOR_X.replace(b"[1]", b"[1e0]") + b"}}", F32),
    "control character in string": make(b'{"a\x01":' + json.dumps(entry()).encode() + b"}", F32),
    "escaped name": make(b'{"\\u0078":' + json.dumps(entry()).encode() + b"}", F32),
    "surrogate pair escape": make(b'{"\\ud83d\\ude00":' + json.dumps(entry()).encode() + b"}", F32),
    "lone high surrogate": make(b'{"\\ud800":' + json.dumps(entry()).encode() + b"}", F32),
    "lone low surrogate": make(b'{"\\udc00":' + json.dumps(entry()).encode() + b"}", F32),
    "lone surrogate in metadata": make(b'{"__metadata__":{"a":"\\ud800x"}}'),
    "lone surrogate in ignored field": make(TENSOR_X + b',"e":"\\ud800"}}', F32),
    "huge float in ignored field": make(TENSOR_X + b',"e":1e400}}', F32),
    "400-digit int in ignored field": make(TENSOR_X + b',"e":' + b"1" * 400 + b"}}", F32),
    "5000-digit int in ignored field": make(TENSOR_X + b',"e":' + b"1" * 5000 + b"}}", F32),
    "-0 in ignored field": make(TENSOR_X + b',"e":-0}}', F32),
    "nesting 125 deep in ignored field": nested_extra(125),
    "nesting 126 deep in ignored field": nested_extra(126),
    "nesting 2000 deep in ignored field": nested_extra(2000),
    "DEL character in metadata": make(b'{"__metadata__":{"a":"\x7f"}}'),
    # tensor entries
    "valid": make({"x": entry()}, F32),
    "ignored extra field": make({"x": {**entry(), "foo": {"bar": [1, None]}}}, F32),
    "repeated ignored field": make(TENSOR_X + b',"e":1,"e":2}}', F32),
    "entry as 3-element array": make({"x": ["F32", [1], [0, 4]]}, F32),
    "entry as 4-element array": make({"x": ["F32", [1], [0, 4], 5]}, F32),
    "entry as 2-element array": make({"x": ["F32", [1]]}, F32),
    "entry is a number": make({"x": 1}),
    "entry is null": make({"x": None}),
    "missing dtype": make({"x": {"shape": [1], "data_offsets": [0, 4]}}, F32),
    "missing shape": make({"x": {"dtype": "F32", "data_offsets": [0, 4]}}, F32),
    "missing data_offsets": make({"x": {"dtype": "F32", "shape": [1]}}, F32),
    "repeated dtype field": make(b'{"x":{"dtype":"F32","dtype":"F32","shape":[1],"data_offsets":[0,4]}}', F32),
    "unknown dtype": make({"x": entry("F31")}, F32),
    "lowercase dtype": make({"x": entry("f32")}, F32),
    "dtype as number": make({"x": entry(1)}, F32),
    "dtype as null": make({"x": entry(None)}, F32),
    "dtype as map form": make({"x": entry({"F32": None})}, F32),
    "dtype map with two keys": make({"x": entry({"F32": None, "x": 1})}, F32),
    "dtype map with array value": make({"x": entry({"F32": []})}, F32),
    "scalar shape": make({"x": entry(shape=())}, F32),
    "negative shape": make({"x": entry(shape=(-1,))}, F32),
    "float shape": make({"x": entry(shape=(1.0,))}, F32),
    "string shape entry": make({"x": entry(shape=("1",))}, F32),
    "boolean shape entry": make({"x": entry(shape=(True,))}, F32),
    "shape not a list": make({"x": entry(shape=1)}, F32),
    "shape is an object": make({"x": entry(shape={"a": 1})}, F32),
    "shape is null": make({"x": entry(shape=None)}, F32),
    "shape past u64": make({"x": entry(shape=(2**64,))}, F32),
    "shape product overflows": make({"x": entry(shape=(2**63, 4))}, F32),
    "overflow before a zero dim": make({"x": entry(shape=(2**63, 4, 0), offsets=(0, 0))}),
    "zero dim before a huge one": make({"x": entry(shape=(0, 2**63, 4), offsets=(0, 0))}),
    "byte count overflows in bits": make({"x": entry("U8", shape=(2**62,), offsets=(0, 0))}),
    "shape does not match bytes": make({"x": entry(shape=(2,))}, F32),
    "zero-size tensor": make({"x": entry(shape=(0,), offsets=(0, 0))}),
    "zero-size tensors share an offset": make(
        {"a": entry(shape=(0,), offsets=(0, 0)), "b": entry(shape=(0,), offsets=(0, 0)), "c": entry()}, F32
    ),
    # offsets
    "offsets not starting at 0": make({"x": entry(offsets=(4, 8))}, F32 * 2),
    "hole between tensors": make({"x": entry(), "y": entry(offsets=(8, 12))}, F32 * 3),
    "overlapping tensors": make({"x": entry(shape=(2,), offsets=(0, 8)), "y": entry(offsets=(4, 8))}, F32 * 2),
    "same offsets twice": make({"x": entry(), "y": entry()}, F32),
    "past end of data": make({"x": entry(shape=(2,), offsets=(0, 8))}, F32),
    "trailing bytes after data": make({"x": entry()}, F32 + b"\x00"),
    "empty header with trailing data": make(b"{}", F32),
    "start after end": make({"x": entry(shape=(0,), offsets=(4, 0))}, F32),
    "three offsets": make({"x": entry(offsets=(0, 4, 4))}, F32),
    "one offset": make({"x": entry(offsets=(4,))}, F32),
    "negative offset": make({"x": entry(offsets=(-4, 0))}, F32),
    "float offset": make({"x": entry(offsets=(0, 4.0))}, F32),
    "offsets as object": make({"x": entry(offsets={"a": 0})}, F32),
    "offsets null": make({"x": entry(offsets=None)}, F32),
    "offset at u64 max": make({"x": entry("U8", shape=(0,), offsets=(2**64 - 1, 2**64 - 1))}),
    "unsorted offsets in header": make({"b": entry(offsets=(4, 8)), "a": entry()}, F32 * 2),
    # sub-byte dtypes
    "F4 pairs": make({"x": entry("F4", shape=(2, 4), offsets=(0, 4))}, b"\x12" * 4),
    "F4 odd element count": make({"x": entry("F4", shape=(3,), offsets=(0, 2))}, b"\x00" * 2),
    "F4 scalar": make({"x": entry("F4", shape=(), offsets=(0, 1))}, b"\x00"),
    "F6 whole bytes": make({"x": entry("F6_E2M3", shape=(8,), offsets=(0, 6))}, b"\x00" * 6),
    "F6 partial byte": make({"x": entry("F6_E3M2", shape=(3,), offsets=(0, 3))}, b"\x00" * 3),
    # metadata
    "metadata strings": make({"__metadata__": {"format": "pt", "": ""}, "x": entry()}, F32),
    "metadata only": make(b'{"__metadata__" : { "a" : "b" } }'),
    "metadata null": make({"__metadata__": None, "x": entry()}, F32),
    "metadata empty": make({"__metadata__": {}, "x": entry()}, F32),
    "metadata int value": make({"__metadata__": {"a": 1}, "x": entry()}, F32),
    "metadata null value": make({"__metadata__": {"a": None}, "x": entry()}, F32),
    "metadata array": make({"__metadata__": [], "x": entry()}, F32),
    "metadata string": make({"__metadata__": "a", "x": entry()}, F32),
    "metadata repeated": make(b'{"__metadata__":{"a":"b"},"__metadata__":{"a":"c"}}'),
    "metadata-like tensor name": make({"__metadata__x": entry()}, F32),
    "empty tensor name": make({"": entry()}, F32),
}

# Where embrace refuses on purpose what the reference silently resolves (last one wins).
REPEATED_NAMES = {
    "tensor name twice": make(TENSOR_X + b'},"x":{"dtype":"I32","shape":[1],"data_offsets":[0,4]}}', F32),
    "metadata key twice": make(b'{"__metadata__":{"a":"b","a":"c"}}'),
}


def reference_view(data: bytes) -> list | None:
    """What the reference reads from ``data`` (None when it refuses)."""
    try:
        return sorted((name, t["dtype"], t["shape"], bytes(t["data"])) for name, t in safetensors.deserialize(data))
    except safetensors.SafetensorError:
        return None


def ours_view(data: bytes) -> list | None:
    try:
        return sorted((name, t["dtype"], t["shape"], bytes(t["data"])) for name, t in deserialize(data))
    except SafetensorsError as error:
        assert str(error), "errors must say what is wrong"
        return None


@pytest.mark.parametrize("case", list(CASES), ids=list(CASES))
def test_same_acceptance_as_reference_in_memory(case: str) -> None:
    data = CASES[case]
    assert ours_view(data) == reference_view(data)


@pytest.mark.parametrize("case", list(CASES), ids=list(CASES))
def test_same_acceptance_as_reference_on_disk(case: str, tmp_path) -> None:
    path = tmp_path / "case.safetensors"
    path.write_bytes(CASES[case])

    def read(opener, error_type):
        try:
            with opener(str(path), framework="np") as handle:
                return handle.keys(), handle.metadata()
        except error_type:
            return None

    assert read(safe_open, SafetensorsError) == read(safetensors.safe_open, safetensors.SafetensorError)


@pytest.mark.parametrize("case", list(REPEATED_NAMES), ids=list(REPEATED_NAMES))
def test_repeated_names_are_refused_where_the_reference_keeps_the_last(case: str) -> None:
    data = REPEATED_NAMES[case]
    assert reference_view(data) is not None
    with pytest.raises(SafetensorsError, match="twice|repeats"):
        deserialize(data)


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"\x01", "shorter than the 8-byte header length"),
        (struct.pack("<Q", 100_000_001) + b"{}", "over the 100000000-byte limit"),
        (make(b"{}", length=50), "declares 50 bytes but only 2 follow"),
        (make(b"[1]"), "must be a JSON object, got array"),
        (make(b"{"), "not valid JSON"),
        (make(b"\xc3("), "not valid UTF-8"),
        (make({"w": entry("F31")}, F32), "tensor 'w' has unknown dtype 'F31'"),
        (make({"w": entry(shape=(-1,))}, F32), "shape \\[-1\\]"),
        (make({"w": {"dtype": "F32", "shape": [1]}}, F32), "no 'data_offsets' field"),
        (make({"w": entry(shape=(3,))}, F32), "needs 12 bytes, but its data_offsets \\[0, 4\\] cover 4"),
        (make({"w": entry(offsets=(4, 8))}, F32 * 2), "next free byte is 0"),
        (make({"w": entry()}, F32 * 2), "cover 4 bytes of data but 8 bytes follow"),
        (make({"__metadata__": {"k": 1}}), r"__metadata__\['k'\] must be a string, got int"),
        (make({"w": entry("F4", shape=(3,), offsets=(0, 2))}, b"\0\0"), "byte boundary"),
    ],
)
def test_errors_say_what_is_wrong(data: bytes, reason: str) -> None:
    with pytest.raises(SafetensorsError, match=reason):
        deserialize(data)


def test_a_huge_declared_header_is_refused_without_allocating_it(tmp_path) -> None:
    warm = tmp_path / "valid.safetensors"
    warm.write_bytes(CASES["valid"])
    safe_open(str(warm), framework="pt")  # imports torch outside the measured window
    path = tmp_path / "liar.safetensors"
    path.write_bytes(struct.pack("<Q", 99_999_999) + b"{}")
    tracemalloc.start()
    try:
        with pytest.raises(SafetensorsError, match="declares 99999999 bytes"):
            safe_open(str(path), framework="pt")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 1_000_000
