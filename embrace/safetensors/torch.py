"""Save and load dicts of torch tensors in the safetensors format.

The drop-in for ``safetensors.torch``: ``save_file``/``load_file`` for files,
``save``/``load`` for bytes, ``save_model``/``load_model`` for modules whose parameters
share memory (tied embeddings). Loading maps the file and returns zero-copy views (see
:mod:`embrace.safetensors._open` for the exact memory semantics); saving writes the same
bytes as the reference and replaces the target atomically.

Example:
    >>> import os, tempfile, torch
    >>> from embrace.safetensors.torch import save_file, load_file
    >>> path = os.path.join(tempfile.mkdtemp(), "model.safetensors")
    >>> save_file({"w": torch.ones(2, 2), "b": torch.zeros(2)}, path, metadata={"format": "pt"})
    >>> sorted(load_file(path))
    ['b', 'w']
"""

from __future__ import annotations

import os
from typing import Any, Callable, Iterable

import torch

from embrace.errors import SafetensorsError, StateDictError
from embrace.safetensors._format import (
    TensorInfo,
    as_byte_view,
    build_header,
    check_metadata,
    order_for_writing,
    parse_buffer,
    serialized_bytes,
    write_file,
)
from embrace.safetensors._open import safe_open

__all__ = ["load", "load_file", "load_model", "save", "save_file", "save_model", "storage_ptr", "storage_size"]

# Format code <-> torch dtype. F4 is stored two values per byte; torch's matching dtype
# is float4_e2m1fn_x2, whose tensors have half the logical last dimension.
_TORCH_DTYPES: dict[str, torch.dtype] = {
    "BOOL": torch.bool,
    "U8": torch.uint8,
    "I8": torch.int8,
    "I16": torch.int16,
    "U16": torch.uint16,
    "I32": torch.int32,
    "U32": torch.uint32,
    "I64": torch.int64,
    "U64": torch.uint64,
    "F16": torch.float16,
    "BF16": torch.bfloat16,
    "F32": torch.float32,
    "F64": torch.float64,
    "C64": torch.complex64,
    "F8_E4M3": torch.float8_e4m3fn,
    "F8_E5M2": torch.float8_e5m2,
    "F8_E4M3FNUZ": torch.float8_e4m3fnuz,
    "F8_E5M2FNUZ": torch.float8_e5m2fnuz,
    "F8_E8M0": torch.float8_e8m0fnu,
    "F4": torch.float4_e2m1fn_x2,
}
_CODES: dict[torch.dtype, str] = {dtype: code for code, dtype in _TORCH_DTYPES.items()}


# --- reading -----------------------------------------------------------------------


def _torch_shape(info: TensorInfo) -> tuple[int, ...]:
    if info.dtype != "F4":
        return info.shape
    if info.shape[-1] % 2:
        raise SafetensorsError(
            f"F4 tensor with shape {list(info.shape)} cannot be loaded in torch: torch packs F4 values in pairs "
            "(float4_e2m1fn_x2), so the last dimension must be even."
        )
    return (*info.shape[:-1], info.shape[-1] // 2)


def _tensor_from_buffer(buffer: Any, offset: int, info: TensorInfo) -> torch.Tensor:
    """A tensor viewing ``info.nbytes`` bytes of ``buffer`` at ``offset`` (no copy when aligned)."""
    dtype = _TORCH_DTYPES.get(info.dtype)
    if dtype is None:
        raise SafetensorsError(
            f"dtype {info.dtype} has no torch equivalent, so this tensor cannot be loaded as a torch tensor. "
            f"Supported dtypes: {', '.join(_TORCH_DTYPES)}."
        )
    shape = _torch_shape(info)
    if info.nbytes == 0:
        return torch.empty(shape, dtype=dtype)
    itemsize = dtype.itemsize
    tensor = torch.frombuffer(buffer, dtype=dtype, count=info.nbytes // itemsize, offset=offset)
    if tensor.data_ptr() % itemsize:
        # Hand-made files may misalign data; copy so kernels never see unaligned memory.
        raw = torch.frombuffer(buffer, dtype=torch.uint8, count=info.nbytes, offset=offset)
        tensor = raw.clone().view(dtype)
    return tensor.view(shape)


def _device(device: Any) -> torch.device:
    """Normalize ``device`` as the reference accepts it: a name, an index, a torch.device."""
    try:
        if isinstance(device, bool):
            raise ValueError
        if isinstance(device, int):
            if device < 0:
                raise ValueError
            resolved = torch.device("cuda", device)
        else:
            resolved = torch.device(device)
    except (RuntimeError, ValueError, TypeError):
        raise SafetensorsError(
            f"device {device!r} is invalid; use 'cpu', an accelerator such as 'cuda:0', or a device index."
        ) from None
    if resolved.type == "meta":
        raise SafetensorsError("device 'meta' is invalid: tensors loaded from a file need real memory.")
    if resolved.type == "cuda" and not torch.cuda.is_available():
        raise SafetensorsError(f"device {device!r} is not available: this torch build sees no CUDA device.")
    return resolved


def _converter_for(device: Any) -> Callable[[Any, int, TensorInfo], torch.Tensor]:
    target = _device(device)
    if target.type == "cpu":
        return _tensor_from_buffer
    return lambda buffer, offset, info: _tensor_from_buffer(buffer, offset, info).to(target)


def load_file(
    filename: str | os.PathLike, device: str | int | torch.device = "cpu", *, backend: str = "mmap"
) -> dict[str, torch.Tensor]:
    """Load every tensor of a safetensors file.

    On cpu with the default ``backend="mmap"`` the tensors are copy-on-write views of the
    mapped file: loading costs no copy and no memory until the data is used.

    Example:
        >>> import os, tempfile, torch
        >>> from embrace.safetensors.torch import save_file, load_file
        >>> path = os.path.join(tempfile.mkdtemp(), "m.safetensors")
        >>> save_file({"w": torch.eye(2)}, path)
        >>> load_file(path)["w"]
        tensor([[1., 0.],
                [0., 1.]])
    """
    with safe_open(filename, framework="pt", device=device, backend=backend) as handle:
        return handle.get_tensors()


def load(data: bytes) -> dict[str, torch.Tensor]:
    """Load tensors from the bytes of a safetensors file (the inverse of :func:`save`).

    Each tensor's bytes are copied once, so the tensors are writable and independent of ``data``.

    Example:
        >>> import torch
        >>> from embrace.safetensors.torch import save, load
        >>> load(save({"x": torch.tensor([1, 2, 3])}))["x"]
        tensor([1, 2, 3])
    """
    view = as_byte_view(data)
    header = parse_buffer(view, source="the given data")
    start = header.data_start
    # One bytearray per tensor (not one for the whole file): freed tensors give their
    # memory back individually, and the allocator recycles pages between loads.
    return {
        name: _tensor_from_buffer(bytearray(view[start + info.begin : start + info.end]), 0, info)
        for name, info in header.tensors.items()
    }


# --- writing -----------------------------------------------------------------------


def _logical_shape(name: str, tensor: torch.Tensor) -> list[int]:
    shape = list(tensor.shape)
    if tensor.dtype == torch.float4_e2m1fn_x2:
        if not shape:
            raise SafetensorsError(
                f"Tensor {name!r} is a 0-d float4_e2m1fn_x2 tensor: its two packed F4 values have no "
                "dimension to be written along. Reshape it to (1,) before saving."
            )
        shape[-1] *= 2  # the header counts F4 values, two per stored byte
    return shape


def _prepare(tensors: Any, metadata: Any) -> tuple[bytes, list[Any]]:
    """Validate ``tensors`` and build (header, data chunks in file order)."""
    metadata = check_metadata(metadata)
    _check_tensors(tensors)
    prepared: dict[str, tuple[str, list[int], torch.Tensor]] = {}
    for name, tensor in tensors.items():
        if not tensor.is_contiguous():
            raise SafetensorsError(
                f"Tensor {name!r} is not contiguous (a transposed or strided view), which safetensors cannot store. "
                "Call .contiguous() on it before saving; if it is a view of another saved tensor, save only the "
                "full tensor and slice it again after loading."
            )
        code = _CODES.get(tensor.dtype)
        if code is None:
            raise SafetensorsError(
                f"Tensor {name!r} has dtype {tensor.dtype}, which the safetensors format cannot store. "
                f"Supported dtypes: {', '.join(str(d) for d in _CODES)}."
            )
        data = tensor.detach()
        if data.device.type != "cpu":
            data = data.to("cpu")
        # A conjugate/negative view bit is not data; materialize it so the file holds values.
        data = data.resolve_conj().resolve_neg()
        prepared[name] = (code, _logical_shape(name, tensor), data)
    order = order_for_writing((name, code) for name, (code, _, _) in prepared.items())
    entries = []
    chunks = []
    for name in order:
        code, shape, data = prepared[name]
        nbytes = data.numel() * data.element_size()
        entries.append((name, code, shape, nbytes))
        chunks.append(data.reshape(-1).view(torch.uint8).numpy() if nbytes else b"")
    return build_header(entries, metadata), chunks


def _check_tensors(tensors: Any) -> None:
    if not isinstance(tensors, dict):
        raise SafetensorsError(f"Expected a dict of str -> torch.Tensor, got {type(tensors).__name__}.")
    sparse = []
    for name, tensor in tensors.items():
        if not isinstance(name, str):
            raise TypeError(f"Tensor names must be str, got {type(name).__name__} {name!r}.")
        if not isinstance(tensor, torch.Tensor):
            raise SafetensorsError(f"Value of {name!r} must be a torch.Tensor, got {type(tensor).__name__}.")
        if tensor.layout != torch.strided:
            sparse.append(name)
        elif tensor.device.type == "meta":
            raise SafetensorsError(
                f"Tensor {name!r} is on the meta device and has no data to save; materialize it first "
                "(e.g. model.to_empty(device='cpu') and load real weights)."
            )
    if sparse:
        raise SafetensorsError(
            f"Tensors {sparse} are sparse, which safetensors cannot store. Convert them with .to_dense() "
            "(the file may be much larger)."
        )
    shared = [sorted(group) for group in _shared_groups(tensors) if len(group) > 1]
    if shared:
        raise StateDictError(
            f"Some tensors share memory: {shared}. Saving them separately would duplicate the data and they "
            "would no longer be tied after loading. Use save_model(model, filename) (it keeps one name per "
            "shared storage), or save .clone()s if they really should be independent."
        )


def save(tensors: dict[str, torch.Tensor], metadata: dict[str, str] | None = None) -> bytes:
    """Serialize ``tensors`` (contiguous, dense, not sharing memory) to safetensors bytes.

    Example:
        >>> import torch
        >>> from embrace.safetensors.torch import save
        >>> data = save({"x": torch.zeros(2)}, metadata={"format": "pt"})
        >>> data[8:40]
        b'{"__metadata__":{"format":"pt"},'
    """
    header, chunks = _prepare(tensors, metadata)
    return serialized_bytes(header, chunks)


def save_file(
    tensors: dict[str, torch.Tensor], filename: str | os.PathLike, metadata: dict[str, str] | None = None
) -> None:
    """Save ``tensors`` (contiguous, dense, not sharing memory) to a safetensors file.

    Everything is validated before the file is touched, and the file is replaced
    atomically, so a failed save leaves any previous file intact.

    Example:
        >>> import os, tempfile, torch
        >>> from embrace.safetensors.torch import save_file
        >>> path = os.path.join(tempfile.mkdtemp(), "m.safetensors")
        >>> save_file({"w": torch.ones(3)}, path, metadata={"format": "pt"})
        >>> os.path.getsize(path)
        108
    """
    header, chunks = _prepare(tensors, metadata)
    write_file(filename, header, chunks)


# --- shared storage ----------------------------------------------------------------


def storage_ptr(tensor: torch.Tensor) -> int:
    """Address of the storage behind ``tensor`` (0 when it has none, e.g. on meta).

    Example:
        >>> import torch
        >>> from embrace.safetensors.torch import storage_ptr
        >>> base = torch.zeros(4)
        >>> storage_ptr(base[2:]) == storage_ptr(base)
        True
    """
    try:
        return tensor.untyped_storage().data_ptr()
    except (NotImplementedError, RuntimeError):
        return 0


def storage_size(tensor: torch.Tensor) -> int:
    """Size in bytes of the storage behind ``tensor`` (which may exceed the tensor itself).

    Example:
        >>> import torch
        >>> from embrace.safetensors.torch import storage_size
        >>> storage_size(torch.zeros(4)[:1])
        16
    """
    try:
        return tensor.untyped_storage().nbytes()
    except (NotImplementedError, RuntimeError):
        return tensor.nelement() * tensor.element_size()


def _byte_span(tensor: torch.Tensor) -> tuple[int, int]:
    """[start, stop) addresses of the bytes ``tensor`` can reach, strides included."""
    start = tensor.data_ptr()
    if tensor.nelement() == 0:
        return start, start
    extent = sum((size - 1) * stride for size, stride in zip(tensor.shape, tensor.stride()))
    return start, start + (extent + 1) * tensor.element_size()


def _shared_groups(state_dict: dict[str, torch.Tensor]) -> list[set[str]]:
    """Partition names into groups whose tensors overlap in memory (singletons included).

    Tensors on one storage that touch disjoint bytes (e.g. two halves of a buffer) are
    not shared; tensors without real storage (meta, empty) are never grouped.
    """
    by_storage: dict[tuple[torch.device, int, int], list[str]] = {}
    for name, tensor in state_dict.items():
        if tensor.device.type == "meta":
            continue
        pointer, size = storage_ptr(tensor), storage_size(tensor)
        if pointer == 0 or size == 0:
            continue
        by_storage.setdefault((tensor.device, pointer, size), []).append(name)
    groups: list[set[str]] = []
    for names in by_storage.values():
        spans = sorted((*_byte_span(state_dict[name]), name) for name in names)
        _, stop, first = spans[0]
        current = {first}
        for start, end, name in spans[1:]:
            if start >= stop:
                groups.append(current)
                current = {name}
            else:
                current.add(name)
            stop = max(stop, end)
        groups.append(current)
    return groups


def _is_complete(tensor: torch.Tensor) -> bool:
    """Whether ``tensor`` covers its whole storage (so saving it saves every shared byte)."""
    return tensor.data_ptr() == storage_ptr(tensor) and tensor.nelement() * tensor.element_size() == storage_size(
        tensor
    )


def _names_to_drop(
    state_dict: dict[str, torch.Tensor], *, preferred_names: Iterable[str] = ()
) -> dict[str, list[str]]:
    """For each group of shared tensors: the one name to keep -> the names to drop.

    The kept name covers the whole storage; among candidates, one in ``preferred_names``
    (the names found in a file being loaded) wins, then the alphabetically first.
    """
    preferred = set(preferred_names)
    drops: dict[str, list[str]] = {}
    for group in _shared_groups(state_dict):
        if len(group) < 2:
            continue
        complete = sorted(name for name in group if _is_complete(state_dict[name]))
        if not complete:
            raise StateDictError(
                f"Tensors {sorted(group)} share memory but none of them covers the whole storage, so no single "
                "one can be saved in place of the others. Save .clone()s of them instead."
            )
        favored = [name for name in complete if name in preferred]
        keep = (favored or complete)[0]
        drops[keep] = [name for name in sorted(group) if name != keep]
    return drops


def save_model(
    model: torch.nn.Module,
    filename: str | os.PathLike,
    metadata: dict[str, str] | None = None,
    force_contiguous: bool = True,
) -> None:
    """Save ``model.state_dict()``, keeping one name for each group of tied tensors.

    Each dropped name is recorded in the metadata as ``dropped_name -> kept_name``
    (user entries win). ``force_contiguous`` makes strided tensors contiguous first.

    Example:
        >>> import os, tempfile, torch
        >>> from embrace.safetensors.torch import save_model, load_model
        >>> model = torch.nn.Sequential(torch.nn.Embedding(4, 2), torch.nn.Linear(2, 4, bias=False))
        >>> model[1].weight = model[0].weight  # tied
        >>> path = os.path.join(tempfile.mkdtemp(), "model.safetensors")
        >>> save_model(model, path)
        >>> load_model(model, path)
        (set(), [])
    """
    state_dict = model.state_dict()
    extra = dict(check_metadata(metadata) or {})
    for keep, dropped in _names_to_drop(state_dict).items():
        for name in dropped:
            extra.setdefault(name, keep)
            del state_dict[name]
    if force_contiguous:
        state_dict = {name: tensor.contiguous() for name, tensor in state_dict.items()}
    try:
        save_file(state_dict, filename, metadata=extra if (metadata is not None or extra) else None)
    except SafetensorsError as error:
        if force_contiguous:
            raise
        raise SafetensorsError(f"{error} Or call save_model(..., force_contiguous=True).") from error


def load_model(
    model: torch.nn.Module,
    filename: str | os.PathLike,
    strict: bool = True,
    device: str | int | torch.device = "cpu",
    *,
    backend: str = "mmap",
) -> tuple[set[str], list[str]]:
    """Load a file written by :func:`save_model` (or any state dict) into ``model``.

    Tied parameters missing from the file are filled through their tie. Returns
    ``(missing, unexpected)``: a set of model names that were not loaded and a list of
    file names that were not used (the reference's types); with ``strict=True`` either
    being non-empty raises :class:`~embrace.errors.StateDictError` (a RuntimeError).

    Example:
        >>> import os, tempfile, torch
        >>> from embrace.safetensors.torch import save_model, load_model
        >>> source, target = torch.nn.Linear(2, 2), torch.nn.Linear(2, 2)
        >>> path = os.path.join(tempfile.mkdtemp(), "linear.safetensors")
        >>> save_model(source, path)
        >>> load_model(target, path)
        (set(), [])
        >>> torch.equal(source.weight, target.weight)
        True
    """
    state_dict = load_file(filename, device=device, backend=backend)
    drops = _names_to_drop(model.state_dict(), preferred_names=state_dict.keys())
    result = model.load_state_dict(state_dict, strict=False)
    missing, unexpected = set(result.missing_keys), list(result.unexpected_keys)
    for dropped in drops.values():
        for name in dropped:
            if name in missing:
                missing.remove(name)  # filled through the tensor it is tied to
            else:
                unexpected.append(name)  # the file carries both sides of a tie
    if strict and (missing or unexpected):
        lines = [f"Error(s) in loading state_dict for {type(model).__name__} from {os.fspath(filename)}:"]
        if missing:
            lines.append("    Missing key(s) in state_dict: " + ", ".join(f'"{k}"' for k in sorted(missing)))
        if unexpected:
            lines.append("    Unexpected key(s) in state_dict: " + ", ".join(f'"{k}"' for k in sorted(unexpected)))
        lines.append("Pass strict=False to load the matching tensors and get these lists back.")
        raise StateDictError("\n".join(lines))
    return missing, unexpected
