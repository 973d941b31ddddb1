"""Read GGUF files (llama.cpp's format): header, metadata, tensor table, dequantization.

A GGUF file is ``magic "GGUF" | version | tensor count | metadata count | metadata
key/values | tensor infos | padding | tensor data``, all little-endian. The file is mapped
copy-on-write and every size read from it is checked against the bytes actually present
before anything is allocated, so a truncated or hostile file raises
:class:`~embrace.errors.GGUFError` instead of exhausting memory.

Dequantization works on whole tensors at once with torch integer ops straight from the
mapping (no per-block Python loop). Supported types: F32, F16, BF16, F64, Q4_0, Q4_1,
Q5_0, Q5_1, Q8_0, Q2_K, Q3_K, Q4_K, Q5_K, Q6_K.

Example:
    >>> import os, struct, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "tiny.gguf")
    >>> key = b"general.architecture"; value = b"llama"
    >>> header = b"GGUF" + struct.pack("<IQQ", 3, 0, 1)
    >>> kv = struct.pack("<Q", len(key)) + key + struct.pack("<IQ", 8, len(value)) + value
    >>> _ = open(path, "wb").write(header + kv)
    >>> with GGUFFile(path) as f:
    ...     f.version, f.metadata["general.architecture"], len(f.tensors)
    (3, 'llama', 0)
"""

from __future__ import annotations

import mmap
import os
import struct
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np
import torch

from embrace.errors import GGUFError

GGUF_MAGIC = b"GGUF"
SUPPORTED_VERSIONS = (2, 3)
DEFAULT_ALIGNMENT = 32
MAX_DIMS = 4  # ggml tensors have at most four dimensions
QK_K = 256  # elements per super-block of the K-quants

# --- metadata value types ---------------------------------------------------------------

_STRING, _ARRAY = 8, 9
# type id -> (struct format, numpy dtype) of the fixed-size scalar types
_SCALARS: dict[int, tuple[str, str]] = {
    0: ("<B", "<u1"), 1: ("<b", "<i1"), 2: ("<H", "<u2"), 3: ("<h", "<i2"), 4: ("<I", "<u4"), 5: ("<i", "<i4"),
    6: ("<f", "<f4"), 7: ("<?", "<u1"), 10: ("<Q", "<u8"), 11: ("<q", "<i8"), 12: ("<d", "<f8"),
}
_BOOL = 7
_VALUE_TYPE_NAMES = {
    0: "UINT8", 1: "INT8", 2: "UINT16", 3: "INT16", 4: "UINT32", 5: "INT32", 6: "FLOAT32", 7: "BOOL",
    8: "STRING", 9: "ARRAY", 10: "UINT64", 11: "INT64", 12: "FLOAT64",
}


# --- tensor types -----------------------------------------------------------------------


@dataclass(frozen=True)
class GGMLType:
    """One ggml tensor type: its id, name, elements per block and bytes per block."""

    type_id: int
    name: str
    block_size: int
    type_size: int


GGML_TYPES: dict[int, GGMLType] = {
    t.type_id: t
    for t in (
        GGMLType(0, "F32", 1, 4), GGMLType(1, "F16", 1, 2), GGMLType(2, "Q4_0", 32, 18), GGMLType(3, "Q4_1", 32, 20),
        GGMLType(6, "Q5_0", 32, 22), GGMLType(7, "Q5_1", 32, 24), GGMLType(8, "Q8_0", 32, 34),
        GGMLType(10, "Q2_K", QK_K, 84), GGMLType(11, "Q3_K", QK_K, 110), GGMLType(12, "Q4_K", QK_K, 144),
        GGMLType(13, "Q5_K", QK_K, 176), GGMLType(14, "Q6_K", QK_K, 210), GGMLType(28, "F64", 1, 8),
        GGMLType(30, "BF16", 1, 2),
    )
}
GGML_TYPE_IDS = {t.name: t.type_id for t in GGML_TYPES.values()}


@dataclass(frozen=True)
class GGUFTensorInfo:
    """Where one tensor lives: torch-order ``shape``, ggml type, absolute byte range."""

    name: str
    shape: tuple[int, ...]
    ggml_type: GGMLType
    offset: int  # absolute, from the start of the file
    n_bytes: int

    @property
    def n_elements(self) -> int:
        return int(np.prod(self.shape, dtype=np.int64)) if self.shape else 1


# --- parsing ----------------------------------------------------------------------------


class _Cursor:
    """Bounds-checked little-endian reads over a byte buffer."""

    def __init__(self, buffer: Any, path: str) -> None:
        self.buffer = buffer
        self.size = len(buffer)
        self.pos = 0
        self.path = path

    def need(self, n: int, what: str) -> None:
        if n < 0 or self.pos + n > self.size:
            raise GGUFError(
                f"{self.path}: truncated or corrupt file: {what} needs {n} bytes at offset {self.pos}, but the "
                f"file has {self.size - self.pos} left."
            )

    def scalar(self, fmt: str, what: str) -> Any:
        n = struct.calcsize(fmt)
        self.need(n, what)
        (value,) = struct.unpack_from(fmt, self.buffer, self.pos)
        self.pos += n
        return value

    def string(self, what: str) -> str:
        length = self.scalar("<Q", f"length of {what}")
        self.need(length, what)
        raw = bytes(self.buffer[self.pos : self.pos + length])
        self.pos += length
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            return raw.decode("utf-8", errors="replace")

    def value(self, type_id: int, key: str) -> Any:
        if type_id in _SCALARS:
            value = self.scalar(_SCALARS[type_id][0], f"value of {key!r}")
            return bool(value) if type_id == _BOOL else value
        if type_id == _STRING:
            return self.string(f"string value of {key!r}")
        if type_id == _ARRAY:
            return self.array(key)
        raise GGUFError(
            f"{self.path}: metadata key {key!r} has unknown value type {type_id}; known types: "
            f"{sorted(_VALUE_TYPE_NAMES.values())}."
        )

    def array(self, key: str) -> list[Any]:
        item_type = self.scalar("<I", f"item type of array {key!r}")
        count = self.scalar("<Q", f"length of array {key!r}")
        if item_type in _SCALARS:
            fmt, dtype = _SCALARS[item_type]
            n_bytes = count * struct.calcsize(fmt)
            self.need(n_bytes, f"array {key!r} of {count} items")
            values = np.frombuffer(self.buffer, dtype=dtype, count=count, offset=self.pos)
            self.pos += n_bytes
            return [bool(v) for v in values] if item_type == _BOOL else values.tolist()
        if item_type == _STRING:
            # Each string takes at least its 8-byte length: reject impossible counts up front.
            self.need(count * 8, f"array {key!r} of {count} strings")
            return [self.string(f"item {i} of {key!r}") for i in range(count)]
        if item_type == _ARRAY:
            self.need(count * 12, f"array {key!r} of {count} arrays")
            return [self.array(f"{key}[{i}]") for i in range(count)]
        raise GGUFError(f"{self.path}: array {key!r} has unknown item type {item_type}.")


class GGUFFile:
    """A parsed GGUF file: ``version``, ``metadata`` (key -> value) and ``tensors`` (name -> info).

    Tensor data stays in the copy-on-write mapping until :meth:`get_tensor` dequantizes it.
    Use as a context manager (or call :meth:`close`) to release the mapping.

    Raises:
        GGUFError: bad magic, unsupported version, truncated data, impossible counts,
            sizes or offsets, unknown tensor or value types, duplicate tensor names.

    Example:
        >>> import os, struct, tempfile
        >>> path = os.path.join(tempfile.mkdtemp(), "bad.gguf")
        >>> _ = open(path, "wb").write(b"GGML" + bytes(20))
        >>> GGUFFile(path)
        Traceback (most recent call last):
        ...
        embrace.errors.GGUFError: ...bad.gguf is not a GGUF file: it starts with b'GGML', not b'GGUF'.
    """

    def __init__(self, path: str | os.PathLike) -> None:
        self.path = os.fspath(path)
        self._file = open(self.path, "rb")
        try:
            size = os.fstat(self._file.fileno()).st_size
            if size == 0:
                raise GGUFError(f"{self.path} is empty; a GGUF file starts with the magic b'GGUF'.")
            # MAP_PRIVATE: writable views for torch, never written back to the file.
            self._map: mmap.mmap | None = mmap.mmap(self._file.fileno(), 0, access=mmap.ACCESS_COPY)
            self._parse()
        except BaseException:
            self.close()
            raise

    def _parse(self) -> None:
        cursor = _Cursor(self._map, self.path)
        cursor.need(4, "the magic")
        magic = bytes(self._map[:4])
        if magic != GGUF_MAGIC:
            raise GGUFError(f"{self.path} is not a GGUF file: it starts with {magic!r}, not {GGUF_MAGIC!r}.")
        cursor.pos = 4
        self.version = cursor.scalar("<I", "the version")
        if self.version not in SUPPORTED_VERSIONS:
            hint = " (a big-endian file?)" if self.version > 0xFFFF else ""
            raise GGUFError(
                f"{self.path}: GGUF version {self.version}{hint} is not supported; embrace reads versions "
                f"{list(SUPPORTED_VERSIONS)} (little-endian). Re-export the model with a recent llama.cpp."
            )
        tensor_count = cursor.scalar("<Q", "the tensor count")
        kv_count = cursor.scalar("<Q", "the metadata count")
        # A key/value takes >= 8 + 4 bytes and a tensor info >= 8 + 4 + 4 + 8: bound the counts by the file size.
        cursor.need(kv_count * 12 + tensor_count * 24, f"{kv_count} metadata entries and {tensor_count} tensor infos")

        self.metadata: dict[str, Any] = {}
        self.value_types: dict[str, int] = {}
        for _ in range(kv_count):
            key = cursor.string("a metadata key")
            type_id = cursor.scalar("<I", f"value type of {key!r}")
            self.metadata[key] = cursor.value(type_id, key)
            self.value_types[key] = type_id

        alignment = self.metadata.get("general.alignment", DEFAULT_ALIGNMENT)
        if not isinstance(alignment, int) or alignment <= 0 or alignment % 8 != 0:
            raise GGUFError(f"{self.path}: general.alignment must be a positive multiple of 8, got {alignment!r}.")
        self.alignment = alignment

        raw_infos = []
        for _ in range(tensor_count):
            name = cursor.string("a tensor name")
            n_dims = cursor.scalar("<I", f"dimension count of tensor {name!r}")
            if n_dims > MAX_DIMS:
                raise GGUFError(f"{self.path}: tensor {name!r} has {n_dims} dimensions; ggml allows at most {MAX_DIMS}.")
            dims = [cursor.scalar("<Q", f"dimension of tensor {name!r}") for _ in range(n_dims)]
            type_id = cursor.scalar("<I", f"type of tensor {name!r}")
            offset = cursor.scalar("<Q", f"data offset of tensor {name!r}")
            raw_infos.append((name, dims, type_id, offset))

        data_start = -(-cursor.pos // alignment) * alignment  # round up to the alignment
        self.data_offset = data_start
        self.tensors: dict[str, GGUFTensorInfo] = {}
        for name, dims, type_id, offset in raw_infos:
            self.tensors[name] = self._tensor_info(name, dims, type_id, offset, data_start)

    def _tensor_info(self, name: str, dims: list[int], type_id: int, offset: int, data_start: int) -> GGUFTensorInfo:
        if name in self.tensors:
            raise GGUFError(f"{self.path}: tensor {name!r} appears twice in the tensor table.")
        ggml_type = GGML_TYPES.get(type_id)
        if ggml_type is None:
            raise GGUFError(
                f"{self.path}: tensor {name!r} has ggml type {type_id}, which embrace cannot dequantize; "
                f"supported: {sorted(t.name for t in GGML_TYPES.values())}."
            )
        file_size = len(self._map)
        n_elements = 1
        for d in dims:
            if d == 0 or d > file_size * ggml_type.block_size:  # each element costs >= 1/block_size bytes
                raise GGUFError(f"{self.path}: tensor {name!r} has an impossible dimension {d} (shape {dims}).")
            n_elements *= d
        if dims and dims[0] % ggml_type.block_size != 0:
            raise GGUFError(
                f"{self.path}: tensor {name!r} has {dims[0]} columns, not a multiple of the {ggml_type.name} block "
                f"size {ggml_type.block_size}."
            )
        n_bytes = n_elements // ggml_type.block_size * ggml_type.type_size
        start = data_start + offset
        if offset % self.alignment != 0 or start + n_bytes > file_size:
            raise GGUFError(
                f"{self.path}: tensor {name!r} claims bytes {start}..{start + n_bytes} (offset {offset}) but the "
                f"file has {file_size} bytes (alignment {self.alignment}); the file is truncated or corrupt."
            )
        return GGUFTensorInfo(name, tuple(reversed(dims)), ggml_type, start, n_bytes)

    def raw(self, name: str) -> torch.Tensor:
        """The stored bytes of tensor ``name`` as a ``uint8`` view of the mapping (no copy)."""
        info = self._info(name)
        return torch.frombuffer(self._map, dtype=torch.uint8, count=info.n_bytes, offset=info.offset)

    def get_tensor(self, name: str, dtype: torch.dtype = torch.float32) -> torch.Tensor:
        """Tensor ``name`` dequantized to ``dtype``, in torch dimension order (a fresh tensor)."""
        info = self._info(name)
        values = dequantize(self.raw(name), info.ggml_type.name, info.shape)
        # Plain types come back as views of the mapping: copy them so the file can be closed.
        return values.to(dtype, copy=info.ggml_type.name in _PLAIN_TYPES)

    def _info(self, name: str) -> GGUFTensorInfo:
        if name not in self.tensors:
            raise KeyError(f"{self.path} has no tensor {name!r}.")
        if self._map is None:
            raise ValueError(f"{self.path} is closed.")
        return self.tensors[name]

    def close(self) -> None:
        """Release the mapping and the file (tensors already returned stay valid)."""
        if getattr(self, "_map", None) is not None:
            try:
                self._map.close()
            except BufferError:
                pass  # views still exported: the mapping is freed when the last one dies
            self._map = None
        self._file.close()

    def __enter__(self) -> "GGUFFile":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


# --- dequantization ---------------------------------------------------------------------


def _f16(blocks: torch.Tensor, start: int) -> torch.Tensor:
    """The little-endian float16 at byte ``start`` of each block, as float32 ``(n, 1)``."""
    return blocks[:, start : start + 2].contiguous().view(torch.float16).float()


def _nibbles(packed: torch.Tensor) -> torch.Tensor:
    """``(n, k)`` bytes -> ``(n, 2k)``: all low nibbles, then all high nibbles."""
    return torch.cat((packed & 0x0F, packed >> 4), dim=-1)


def _bits(packed: torch.Tensor, n_bits: int) -> torch.Tensor:
    """Split every byte of ``(n, g, k)`` into ``8 // n_bits`` fields -> ``(n, g, 8 // n_bits, k)``, LSB first."""
    shifts = torch.arange(0, 8, n_bits, dtype=torch.uint8, device=packed.device)
    return (packed.unsqueeze(-2) >> shifts.view(-1, 1)) & ((1 << n_bits) - 1)


def _q8_0(blocks: torch.Tensor) -> torch.Tensor:
    return blocks[:, 2:].contiguous().view(torch.int8).float() * _f16(blocks, 0)


def _q4_0(blocks: torch.Tensor) -> torch.Tensor:
    q = _nibbles(blocks[:, 2:]).to(torch.int8) - 8
    return _f16(blocks, 0) * q.float()


def _q4_1(blocks: torch.Tensor) -> torch.Tensor:
    return _f16(blocks, 0) * _nibbles(blocks[:, 4:]).float() + _f16(blocks, 2)


def _high_bits_32(qh: torch.Tensor) -> torch.Tensor:
    """4 bytes (a little-endian uint32) -> its 32 bits, bit ``j`` at index ``j``."""
    return _bits(qh, 1).transpose(-1, -2).reshape(qh.shape[0], 32)


def _q5_0(blocks: torch.Tensor) -> torch.Tensor:
    q = _nibbles(blocks[:, 6:]) | (_high_bits_32(blocks[:, 2:6]) << 4)
    return _f16(blocks, 0) * (q.to(torch.int8) - 16).float()


def _q5_1(blocks: torch.Tensor) -> torch.Tensor:
    q = _nibbles(blocks[:, 8:]) | (_high_bits_32(blocks[:, 4:8]) << 4)
    return _f16(blocks, 0) * q.float() + _f16(blocks, 2)


def _k_scale_min(scales: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Unpack the 12 bytes of 6-bit scales and mins of Q4_K/Q5_K -> two ``(n, 8)``."""
    n = scales.shape[0]
    d, m, m_d = scales.reshape(n, 3, 4).unbind(1)
    sc = torch.cat((d & 0x3F, (m_d & 0x0F) | ((d >> 2) & 0x30)), dim=-1)
    mins = torch.cat((m & 0x3F, (m_d >> 4) | ((m >> 2) & 0x30)), dim=-1)
    return sc, mins


def _q2_k(blocks: torch.Tensor) -> torch.Tensor:
    n = blocks.shape[0]
    scales, qs = blocks[:, :16], blocks[:, 16:80]
    d, dmin = _f16(blocks, 80), _f16(blocks, 82)
    dl = (d * (scales & 0x0F).float()).view(n, 16, 1)
    ml = (dmin * (scales >> 4).float()).view(n, 16, 1)
    q = _bits(qs.reshape(n, 2, 32), 2).reshape(n, 16, 16).float()  # (n, sub-blocks, 16)
    return (dl * q - ml).reshape(n, QK_K)


def _q3_k(blocks: torch.Tensor) -> torch.Tensor:
    n = blocks.shape[0]
    hmask, qs, scales = blocks[:, :32], blocks[:, 32:96], blocks[:, 96:108]
    d = _f16(blocks, 108)
    low = _bits(scales[:, :8].reshape(n, 1, 8), 4).reshape(n, 16)
    high = _bits(scales[:, 8:].reshape(n, 1, 4), 2).reshape(n, 16)
    sc = ((low & 0x0F) | ((high & 0x03) << 4)).to(torch.int8) - 32
    dl = (d * sc.float()).view(n, 16, 1)
    ql = _bits(qs.reshape(n, 2, 32), 2).reshape(n, 16, 16)
    qh = _bits(hmask.reshape(n, 1, 32), 1).reshape(n, 16, 16) ^ 1  # a set bit means "no -4 offset"
    q = ql.to(torch.int8) - (qh << 2).to(torch.int8)
    return (dl * q.float()).reshape(n, QK_K)


def _q4_k(blocks: torch.Tensor) -> torch.Tensor:
    n = blocks.shape[0]
    d, dmin = _f16(blocks, 0), _f16(blocks, 2)
    sc, mins = _k_scale_min(blocks[:, 4:16])
    scale = (d * sc.float()).view(n, 8, 1)
    offset = (dmin * mins.float()).view(n, 8, 1)
    q = _bits(blocks[:, 16:].reshape(n, 4, 32), 4).reshape(n, 8, 32).float()
    return (scale * q - offset).reshape(n, QK_K)


def _q5_k(blocks: torch.Tensor) -> torch.Tensor:
    n = blocks.shape[0]
    d, dmin = _f16(blocks, 0), _f16(blocks, 2)
    sc, mins = _k_scale_min(blocks[:, 4:16])
    scale = (d * sc.float()).view(n, 8, 1)
    offset = (dmin * mins.float()).view(n, 8, 1)
    ql = _bits(blocks[:, 48:].reshape(n, 4, 32), 4).reshape(n, 8, 32)
    qh = _bits(blocks[:, 16:48].reshape(n, 1, 32), 1).reshape(n, 8, 32)
    q = (ql | (qh << 4)).float()
    return (scale * q - offset).reshape(n, QK_K)


def _q6_k(blocks: torch.Tensor) -> torch.Tensor:
    n = blocks.shape[0]
    ql, qh, scales = blocks[:, :128], blocks[:, 128:192], blocks[:, 192:208]
    d = _f16(blocks, 208)
    scale = (d * scales.contiguous().view(torch.int8).float()).view(n, 16, 1)
    low = _bits(ql.reshape(n, 2, 64), 4).reshape(n, 8, 32)
    high = _bits(qh.reshape(n, 2, 32), 2).reshape(n, 8, 32)
    q = (low | (high << 4)).to(torch.int8) - 32
    return (scale * q.reshape(n, 16, 16).float()).reshape(n, QK_K)


def _plain(dtype: torch.dtype) -> Callable[[torch.Tensor], torch.Tensor]:
    def read(raw: torch.Tensor) -> torch.Tensor:
        return raw.view(dtype)

    return read


_BLOCK_DEQUANTIZERS: dict[str, Callable[[torch.Tensor], torch.Tensor]] = {
    "Q4_0": _q4_0, "Q4_1": _q4_1, "Q5_0": _q5_0, "Q5_1": _q5_1, "Q8_0": _q8_0,
    "Q2_K": _q2_k, "Q3_K": _q3_k, "Q4_K": _q4_k, "Q5_K": _q5_k, "Q6_K": _q6_k,
}
_PLAIN_TYPES = {"F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16, "F64": torch.float64}


def dequantize(raw: torch.Tensor, type_name: str, shape: tuple[int, ...]) -> torch.Tensor:
    """Decode the stored bytes ``raw`` (uint8) of a ``type_name`` tensor into ``shape``.

    Quantized types come back as float32; F16/BF16/F64/F32 keep their own dtype (as a view
    of ``raw`` when possible).

    Raises:
        GGUFError: unknown type, or a byte count that does not fit the shape.

    Example:
        >>> import torch
        >>> raw = torch.tensor([0, 60] + [0x21] * 32, dtype=torch.uint8)  # Q8_0, scale 1.0, all 33
        >>> dequantize(raw, "Q8_0", (32,))[:3].tolist()
        [33.0, 33.0, 33.0]
    """
    if type_name not in GGML_TYPE_IDS:
        raise GGUFError(f"Unknown ggml type {type_name!r}; supported: {sorted(GGML_TYPE_IDS)}.")
    ggml_type = GGML_TYPES[GGML_TYPE_IDS[type_name]]
    n_elements = int(np.prod(shape, dtype=np.int64)) if shape else 1
    expected = n_elements // ggml_type.block_size * ggml_type.type_size
    if n_elements % ggml_type.block_size != 0 or raw.numel() != expected:
        raise GGUFError(
            f"{type_name} data of {raw.numel()} bytes does not hold a tensor of shape {tuple(shape)} "
            f"({expected} bytes expected)."
        )
    if type_name in _PLAIN_TYPES:
        return raw.view(_PLAIN_TYPES[type_name]).reshape(shape)
    blocks = raw.reshape(-1, ggml_type.type_size)  # (n_blocks, bytes per block)
    return _BLOCK_DEQUANTIZERS[type_name](blocks).reshape(shape)


__all__ = ["GGUFFile", "GGUFTensorInfo", "GGMLType", "GGML_TYPES", "GGML_TYPE_IDS", "dequantize"]
