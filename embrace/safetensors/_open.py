"""``safe_open``: lazy, memory-mapped access to the tensors of one safetensors file.

Memory semantics (the same as the reference):

* ``backend="mmap"`` (default) maps the whole file copy-on-write (``MAP_PRIVATE``). Every
  tensor returned is a view of that mapping: nothing is read until it is used, loading a
  file never doubles memory, and the file on disk is never modified. Tensors are
  writable; a write lands in a private page, so it is seen by other tensors taken from
  the same handle but not by the file or by other handles. Tensors stay valid after the
  handle is closed: the mapping lives as long as any tensor uses it. A tensor whose
  offset is not aligned to its element size (possible only in hand-made files) is copied
  so that every kernel sees aligned memory.
* ``backend="pread"`` reads each tensor into fresh memory on request (no mapping).

As with any memory map, another program truncating the file while mapped tensors are
alive makes reading the lost pages fail (SIGBUS). embrace's own savers never do that: they
write a new file and rename it over the old one, which leaves existing mappings intact.

Example:
    >>> import os, tempfile, torch
    >>> from embrace.safetensors import safe_open
    >>> from embrace.safetensors.torch import save_file
    >>> path = os.path.join(tempfile.mkdtemp(), "model.safetensors")
    >>> save_file({"w": torch.arange(6.0).reshape(2, 3)}, path, metadata={"format": "pt"})
    >>> with safe_open(path, framework="pt") as f:
    ...     print(f.keys(), f.metadata(), f.get_slice("w")[:, 1])
    ['w'] {'format': 'pt'} tensor([1., 4.])
"""

from __future__ import annotations

import difflib
import mmap
import os
from typing import Any, Callable

from embrace.errors import SafetensorsError
from embrace.safetensors._format import Header, TensorInfo, parse_header, read_header_length

_BACKENDS = ("mmap", "pread")
_FOREIGN_FRAMEWORKS = ("tf", "tensorflow", "flax", "jax", "mlx", "paddle")

# (buffer, absolute byte offset, info) -> tensor or array
Converter = Callable[[Any, int, TensorInfo], Any]


def _converter(framework: str, device: Any) -> Converter:
    if framework in ("pt", "torch"):
        from embrace.safetensors import torch as st_torch

        return st_torch._converter_for(device)
    if framework in ("np", "numpy"):
        if device not in ("cpu", None):
            raise SafetensorsError(f"device {device!r} is invalid for framework {framework!r}: numpy arrays live on 'cpu'.")
        from embrace.safetensors import numpy as st_numpy

        return st_numpy._array_from_buffer
    if framework in _FOREIGN_FRAMEWORKS:
        raise SafetensorsError(
            f"framework {framework!r} is not supported by embrace; open the file with framework='pt' "
            "(torch) or framework='np' (numpy) and convert."
        )
    raise SafetensorsError(f"framework {framework!r} is invalid; use 'pt' (torch) or 'np' (numpy).")


class SafeSlice:
    """A tensor of an open file, indexed before it is materialized: ``f.get_slice(name)[0, :8]``.

    Indexing follows the framework's own rules (torch or numpy), applied to a zero-copy
    view of the file, so only the selected part is ever read from disk.

    Example:
        >>> import os, tempfile, torch
        >>> from embrace.safetensors import safe_open
        >>> from embrace.safetensors.torch import save_file
        >>> path = os.path.join(tempfile.mkdtemp(), "emb.safetensors")
        >>> save_file({"emb": torch.arange(12).reshape(4, 3)}, path)
        >>> with safe_open(path, framework="pt") as f:
        ...     part = f.get_slice("emb")
        ...     print(part.get_shape(), part.get_dtype(), part[1:3, -1])
        [4, 3] I64 tensor([5, 8])
    """

    def __init__(self, load: Callable[[], Any], info: TensorInfo) -> None:
        self._load = load
        self._info = info

    def get_shape(self) -> list[int]:
        """The tensor's shape as written in the header (logical elements, F4 included)."""
        return list(self._info.shape)

    def get_dtype(self) -> str:
        """The tensor's dtype code in the file, e.g. ``"F32"`` or ``"BF16"``."""
        return self._info.dtype

    def __getitem__(self, index: Any) -> Any:
        return self._load()[index]

    def __repr__(self) -> str:
        return f"SafeSlice(dtype={self._info.dtype!r}, shape={list(self._info.shape)})"


class safe_open:  # noqa: N801 - the reference's name
    """Open a safetensors file and read its tensors lazily.

    Args:
        filename: path of the ``.safetensors`` file.
        framework: ``"pt"`` (torch tensors) or ``"np"``/``"numpy"`` (numpy arrays).
        device: where torch tensors go (``"cpu"``, ``"cuda:0"``, ``0``...); numpy is cpu only.
        backend: ``"mmap"`` (default, zero-copy) or ``"pread"`` (explicit reads).

    The header is validated when the file is opened; a malformed or hostile file raises
    :class:`~embrace.errors.SafetensorsError` saying what is wrong, before any tensor is built.

    Example:
        >>> import os, tempfile, torch
        >>> from embrace.safetensors import safe_open
        >>> from embrace.safetensors.torch import save_file
        >>> path = os.path.join(tempfile.mkdtemp(), "m.safetensors")
        >>> save_file({"b": torch.zeros(2), "a": torch.ones(1, dtype=torch.int64)}, path)
        >>> with safe_open(path, framework="pt", device="cpu") as f:
        ...     print(f.keys(), f.offset_keys(), f.get_tensor("a"))
        ['a', 'b'] ['a', 'b'] tensor([1])
    """

    def __init__(self, filename: str | os.PathLike, framework: str, device: Any = "cpu", *, backend: str = "mmap") -> None:
        self._filename = os.fspath(filename)
        self._convert = _converter(framework, device)
        if backend not in _BACKENDS:
            raise SafetensorsError(f"backend {backend!r} is invalid; use one of {', '.join(map(repr, _BACKENDS))}.")
        self._closed = False
        self._buffer: mmap.mmap | None = None
        file = open(self._filename, "rb")
        try:
            total = os.fstat(file.fileno()).st_size
            length = read_header_length(file.read(8), total_len=total, source=self._filename)
            raw = file.read(length)
            if len(raw) != length:
                raise SafetensorsError(f"{self._filename} shrank while it was being opened; open it again.")
            self._header: Header = parse_header(raw, total_len=total, source=self._filename)
            if backend == "mmap":
                # ACCESS_COPY = MAP_PRIVATE: writable tensors that can never write to the file.
                self._buffer = mmap.mmap(file.fileno(), total, access=mmap.ACCESS_COPY)
        except BaseException:
            file.close()
            raise
        if backend == "mmap":
            file.close()  # the mapping keeps its own handle
            self._file = None
        else:
            self._file = file

    # --- context manager ------------------------------------------------------------

    def __enter__(self) -> "safe_open":
        return self

    def __exit__(self, exc_type: Any, exc_value: Any, traceback: Any) -> None:
        self._close()

    def _close(self) -> None:
        # Never mmap.close(): torch.frombuffer holds a reference to the mapping but not a
        # buffer export, so closing it would unmap memory under live tensors. Dropping our
        # reference unmaps it as soon as the last tensor using it is freed.
        self._closed = True
        self._buffer = None
        if self._file is not None:
            self._file.close()
            self._file = None

    # --- header ---------------------------------------------------------------------

    def _check_open(self) -> None:
        if self._closed:
            raise SafetensorsError(
                f"{self._filename} is closed (its `with safe_open(...)` block has ended); open it again to read from it."
            )

    def _info(self, name: str) -> TensorInfo:
        self._check_open()
        info = self._header.tensors.get(name)
        if info is None:
            close = difflib.get_close_matches(str(name), self._header.tensors, n=3)
            hint = f" Did you mean {', '.join(map(repr, close))}?" if close else ""
            raise SafetensorsError(
                f"{self._filename} does not contain tensor {name!r} "
                f"({len(self._header.tensors)} tensors; list them with .keys()).{hint}"
            )
        return info

    def keys(self) -> list[str]:
        """The tensor names, sorted."""
        self._check_open()
        return sorted(self._header.tensors)

    def offset_keys(self) -> list[str]:
        """The tensor names in the order their data appears in the file."""
        self._check_open()
        return list(self._header.tensors)

    def metadata(self) -> dict[str, str] | None:
        """The ``__metadata__`` strings of the header, or None when the file has none."""
        self._check_open()
        metadata = self._header.metadata
        return None if metadata is None else dict(metadata)

    # --- tensors --------------------------------------------------------------------

    def _materialize(self, info: TensorInfo) -> Any:
        if self._buffer is not None:
            return self._convert(self._buffer, self._header.data_start + info.begin, info)
        self._check_open()
        data = bytearray(info.nbytes)
        if info.nbytes:
            self._file.seek(self._header.data_start + info.begin)
            if self._file.readinto(data) != info.nbytes:
                raise SafetensorsError(f"{self._filename} shrank while it was open; open it again.")
        return self._convert(data, 0, info)

    def get_tensor(self, name: str) -> Any:
        """The full tensor ``name`` (a zero-copy view of the file with the mmap backend)."""
        return self._materialize(self._info(name))

    def get_slice(self, name: str) -> SafeSlice:
        """A :class:`SafeSlice` of ``name``: read its shape/dtype, index it to load a part."""
        info = self._info(name)
        buffer = self._buffer
        if buffer is None:
            return SafeSlice(lambda: self._materialize(info), info)
        # Bind the mapping now so the slice keeps working after the handle is closed.
        convert, offset = self._convert, self._header.data_start + info.begin
        return SafeSlice(lambda: convert(buffer, offset, info), info)

    def get_tensors(self) -> dict[str, Any]:
        """Every tensor of the file, keyed by name, in file order."""
        self._check_open()
        return {name: self._materialize(info) for name, info in self._header.tensors.items()}
