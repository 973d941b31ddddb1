"""Property test: mutated safetensors files are read like the reference reads them, or refused.

Valid files (written by the reference, or hand-laid with arbitrary JSON formatting) are
damaged at random: bit flips (mostly in the header), truncation, appended bytes, a new
length prefix, or a structural edit of the header JSON. For every result, embrace must
either return exactly what the reference returns (tensors, bytes, metadata, on the
in-memory path and the file path), or raise SafetensorsError where the reference also
refuses. The only accepted disagreement is a header repeating a tensor name or metadata
key, which embrace refuses on purpose (see embrace.safetensors._format).
"""

from __future__ import annotations

import json
import struct

import safetensors
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from embrace.errors import SafetensorsError
from embrace.safetensors import deserialize, safe_open
from embrace.safetensors._format import DTYPE_BITS

CODES = list(DTYPE_BITS)
JUNK_VALUES = [None, True, -1, 0, 1, 3, 2**63, 2**64 - 1, 2**64, 1.5, -0.0, "F32", "x", [], [1], {}, {"F32": None}]


@st.composite
def valid_files(draw) -> bytes:
    """A valid file: a few tensors of any dtype (whole bytes), optional metadata."""
    count = draw(st.integers(0, 4))
    names = draw(st.lists(st.text("ab._é\n", min_size=0, max_size=3), min_size=count, max_size=count, unique=True))
    header: dict = {}
    data = b""
    if draw(st.booleans()):
        header["__metadata__"] = draw(st.dictionaries(st.text("kv", max_size=2), st.text("xyé", max_size=3), max_size=3))
    for name in names:
        code = draw(st.sampled_from(CODES))
        shape = draw(st.lists(st.integers(0, 3), min_size=0, max_size=3))
        bits = DTYPE_BITS[code]
        for dim in shape:
            bits *= dim
        if bits % 8:
            shape = [*shape, 8]  # make the element count fill whole bytes
            bits *= 8
        chunk = draw(st.binary(min_size=bits // 8, max_size=bits // 8))
        header[name] = {"dtype": code, "shape": shape, "data_offsets": [len(data), len(data) + len(chunk)]}
        data += chunk
    items = list(header.items())
    order = draw(st.permutations(items))  # any key order, as other writers may use
    spacing = draw(st.sampled_from([(",", ":"), (", ", ": ")]))
    raw = json.dumps(dict(order), separators=spacing, ensure_ascii=draw(st.booleans())).encode()
    raw += b" " * draw(st.integers(0, 8))
    return struct.pack("<Q", len(raw)) + raw + data


def _split(blob: bytes) -> tuple[int, bytes, bytes] | None:
    if len(blob) < 8:
        return None
    (length,) = struct.unpack("<Q", blob[:8])
    if length > len(blob) - 8:
        return None
    return length, blob[8 : 8 + length], blob[8 + length :]


def _edit_header(draw, blob: bytes) -> bytes:
    parts = _split(blob)
    if parts is None:
        return blob
    _, raw, data = parts
    try:
        header = json.loads(raw)
    except (ValueError, RecursionError):
        return blob  # already damaged beyond structural editing
    if not isinstance(header, dict):
        return blob
    names = [name for name, entry in header.items() if name != "__metadata__" and isinstance(entry, dict)]
    action = draw(st.sampled_from(["field", "delete", "extra", "metadata", "duplicate", "new"]))
    if action == "field" and names:
        target = header[draw(st.sampled_from(names))]
        field = draw(st.sampled_from(["dtype", "shape", "data_offsets"]))
        if field == "dtype":
            target[field] = draw(st.sampled_from(CODES + JUNK_VALUES))
        elif draw(st.booleans()) and isinstance(target.get(field), list) and target[field]:
            position = draw(st.integers(0, len(target[field]) - 1))
            target[field][position] = draw(st.sampled_from(JUNK_VALUES) | st.integers(-2, 40))
        else:
            target[field] = draw(st.sampled_from(JUNK_VALUES) | st.lists(st.integers(0, 20), max_size=3))
    elif action == "delete" and names and header[names[0]]:
        entry = header[names[0]]
        del entry[draw(st.sampled_from(sorted(entry)))]
    elif action == "extra" and names:
        depth = draw(st.sampled_from([1, 5, 124, 125, 126, 200]))
        header[draw(st.sampled_from(names))]["extra"] = json.loads("[" * depth + "]" * depth)
    elif action == "metadata":
        header["__metadata__"] = draw(
            st.sampled_from(JUNK_VALUES) | st.dictionaries(st.text("k", max_size=2), st.sampled_from(JUNK_VALUES), max_size=2)
        )
    elif action == "new":
        header[draw(st.text("xyz", max_size=2))] = {"dtype": "U8", "shape": [2], "data_offsets": [len(data), len(data) + 2]}
        data += b"\x01\x02"
    text = json.dumps(header, separators=(",", ":"))
    metadata = header.get("__metadata__")
    if action == "duplicate" and isinstance(metadata, dict) and metadata and draw(st.booleans()):
        # Repeat a metadata key (with another value): a dict cannot hold this, so splice text.
        key = draw(st.sampled_from(sorted(metadata)))
        text = text.replace('"__metadata__":{', '"__metadata__":{' + json.dumps(key) + ':"other",', 1)
    elif action == "duplicate" and names:
        # Repeat an existing tensor entry verbatim.
        name = draw(st.sampled_from(names))
        text = text[:-1] + "," + json.dumps(name) + ":" + json.dumps(header[name]) + "}"
    encoded = text.encode("utf-8", "surrogatepass")
    return struct.pack("<Q", len(encoded)) + encoded + data


@st.composite
def damaged_files(draw) -> bytes:
    blob = draw(valid_files())
    for _ in range(draw(st.integers(1, 3))):
        kind = draw(st.sampled_from(["flip", "flip", "truncate", "append", "length", "edit", "edit"]))
        if kind == "flip" and blob:
            parts = _split(blob)
            header_end = 8 + parts[0] if parts else len(blob)
            upper = header_end - 1 if draw(st.integers(0, 3)) else len(blob) - 1
            position = draw(st.integers(0, max(upper, 0)))
            mask = draw(st.integers(1, 255))
            blob = blob[:position] + bytes([blob[position] ^ mask]) + blob[position + 1 :]
        elif kind == "truncate":
            blob = blob[: draw(st.integers(0, len(blob)))]
        elif kind == "append":
            blob += draw(st.binary(min_size=1, max_size=9))
        elif kind == "length" and len(blob) >= 8:
            (length,) = struct.unpack("<Q", blob[:8])
            new = draw(st.integers(-16, 16).map(lambda d: max(length + d, 0)) | st.integers(0, 2**64 - 1))
            blob = struct.pack("<Q", new) + blob[8:]
        elif kind == "edit":
            blob = _edit_header(draw, blob)
    return blob


def _repeats_a_name(blob: bytes) -> bool:
    """Whether the header (as Python reads it) repeats a tensor name or metadata key."""
    parts = _split(blob)
    if parts is None:
        return False
    found = []

    def pairs_hook(pairs):
        content = dict(pairs)
        found.append(([key for key, _ in pairs], content))
        return content

    try:
        top = json.loads(parts[1].decode("utf-8"), object_pairs_hook=pairs_hook)
    except (ValueError, RecursionError):
        return False
    if not isinstance(top, dict):
        return False
    top_keys = found[-1][0]
    if len(set(top_keys)) != len(top_keys):
        return True
    metadata = top.get("__metadata__")
    return any(
        len(set(keys)) != len(keys) and content is metadata for keys, content in found if isinstance(metadata, dict)
    )


def _reference(blob: bytes, path) -> tuple | None:
    try:
        tensors = sorted((n, t["dtype"], t["shape"], bytes(t["data"])) for n, t in safetensors.deserialize(blob))
    except safetensors.SafetensorError:
        return None
    with safetensors.safe_open(str(path), framework="np") as handle:
        return tensors, handle.keys(), handle.metadata()


def _ours(blob: bytes, path) -> tuple | None:
    try:
        tensors = sorted((n, t["dtype"], t["shape"], bytes(t["data"])) for n, t in deserialize(blob))
    except SafetensorsError:
        tensors = None
    try:
        with safe_open(str(path), framework="np") as handle:
            on_disk = handle.keys(), handle.metadata()
    except SafetensorsError:
        on_disk = None
    assert (tensors is None) == (on_disk is None), "the in-memory and file readers must agree"
    return None if tensors is None else (tensors, *on_disk)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(blob=damaged_files())
def test_damaged_files_read_like_the_reference_or_are_refused(blob: bytes, tmp_path_factory) -> None:
    path = tmp_path_factory.getbasetemp() / "fuzz.safetensors"
    path.write_bytes(blob)
    ours = _ours(blob, path)  # any exception other than SafetensorsError fails the test
    if _repeats_a_name(blob):
        assert ours is None
    else:
        assert ours == _reference(blob, path)


@settings(max_examples=50, deadline=None)
@given(blob=valid_files())
def test_valid_files_read_like_the_reference(blob: bytes, tmp_path_factory) -> None:
    path = tmp_path_factory.getbasetemp() / "valid.safetensors"
    path.write_bytes(blob)
    ours = _ours(blob, path)
    assert ours is not None and ours == _reference(blob, path)
