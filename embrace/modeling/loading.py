"""``from_pretrained``: find the checkpoint, build the model empty, fill it, report.

The model is built with its parameters on the meta device (no memory, no random init),
then every parameter the checkpoint provides is read straight into a fresh tensor of the
target dtype, and only the parameters the checkpoint lacks are initialised. Peak extra
memory is therefore about one model size, and no time is spent initialising weights that
are overwritten anyway.

The class method ``PreTrainedModel.from_pretrained`` is :func:`from_pretrained` below; its
docstring has a worked example.
"""

from __future__ import annotations

import copy
import inspect
import logging
import os
import re
from dataclasses import dataclass, field
from typing import Any, Iterable

import torch
from torch import nn

from embrace.errors import CheckpointError, EmbraceError, RemoteCodeError

logger = logging.getLogger("embrace.modeling.modeling_utils")

SAFE_WEIGHTS_NAME = "model.safetensors"
SAFE_WEIGHTS_INDEX_NAME = "model.safetensors.index.json"
WEIGHTS_NAME = "pytorch_model.bin"
WEIGHTS_INDEX_NAME = "pytorch_model.bin.index.json"

# Options of the reference that no longer do anything; accepted so old code keeps running.
_OBSOLETE_OPTIONS = ("mirror", "_fast_init", "low_cpu_mem_usage", "from_tf", "from_flax", "offload_state_dict", "_commit_hash")

# Legacy checkpoint names the reference still renames on load (substring -> replacement).
_LEGACY_RENAMES = (
    ("LayerNorm.gamma", "LayerNorm.weight"),
    ("LayerNorm.beta", "LayerNorm.bias"),
    (".weight_g", ".parametrizations.weight.original0"),
    (".weight_v", ".parametrizations.weight.original1"),
)


class CheckpointMismatchError(EmbraceError, RuntimeError):
    """Checkpoint tensors do not fit the model's parameters (shapes differ).

    Subclasses ``RuntimeError`` because that is what the reference raises here.
    """


def add_variant(weights_name: str, variant: str | None = None) -> str:
    """Insert ``variant`` before the extension: ``model.safetensors`` -> ``model.fp16.safetensors``.

    Example:
        >>> add_variant("pytorch_model.bin", "fp16")
        'pytorch_model.fp16.bin'
    """
    if not variant:
        return weights_name
    if weights_name.endswith(".index.json"):
        stem, ext = weights_name[: -len(".index.json")], ".index.json"
        stem, _, inner = stem.rpartition(".")
        return f"{stem}.{variant}.{inner}{ext}"
    stem, _, ext = weights_name.rpartition(".")
    return f"{stem}.{variant}.{ext}"


# --- reading checkpoint files -------------------------------------------------------

_SAFETENSORS_DTYPES: dict[str, torch.dtype] = {
    "F64": torch.float64,
    "F32": torch.float32,
    "F16": torch.float16,
    "BF16": torch.bfloat16,
    "I64": torch.int64,
    "I32": torch.int32,
    "I16": torch.int16,
    "I8": torch.int8,
    "U8": torch.uint8,
    "BOOL": torch.bool,
    "C64": torch.complex64,
}
for _name, _attr in (("U16", "uint16"), ("U32", "uint32"), ("U64", "uint64"), ("F8_E4M3", "float8_e4m3fn"), ("F8_E5M2", "float8_e5m2")):
    if hasattr(torch, _attr):
        _SAFETENSORS_DTYPES[_name] = getattr(torch, _attr)


@dataclass
class _Entry:
    """Where one tensor lives: its file, dtype, shape and (for safetensors) byte range."""

    path: str
    dtype: torch.dtype
    shape: tuple[int, ...]
    tensor: torch.Tensor | None = None  # already loaded (.bin files, user state dicts)
    shared: bool = False  # the tensor belongs to the caller: copy it, never adopt it


class _SafetensorsReader:
    """Zero-copy access to the tensors of one safetensors file.

    The file is mapped copy-on-write (``MAP_PRIVATE``), so a tensor taken from it is a
    writable view that costs no memory until it is used and never writes back to the
    file: loading needs no second copy of the model. The header is validated when the
    file is opened, so a corrupt file raises ``SafetensorsError`` before anything else.
    """

    def __init__(self, path: str) -> None:
        from embrace.safetensors import safe_open

        self.path = path
        self.handle = safe_open(path, framework="pt", device="cpu")
        self.pread_handle: Any = None
        self.entries: dict[str, _Entry] = {}
        for name in self.handle.keys():
            piece = self.handle.get_slice(name)
            code = piece.get_dtype()
            if code not in _SAFETENSORS_DTYPES:
                from embrace.errors import SafetensorsError

                raise SafetensorsError(f"{path}: tensor {name!r} has dtype {code}, which torch cannot hold.")
            self.entries[name] = _Entry(path, _SAFETENSORS_DTYPES[code], tuple(piece.get_shape()))

    def read(self, name: str, *, converting: bool = False) -> torch.Tensor:
        """Tensor ``name``: a view of the mapping, or (``converting``) a temporary read.

        A tensor about to be cast to another dtype is read with a positioned read
        instead, so the file's pages do not stay resident next to the converted copy.
        """
        if not converting:
            return self.handle.get_tensor(name)
        if self.pread_handle is None:
            from embrace.safetensors import safe_open

            self.pread_handle = safe_open(self.path, framework="pt", device="cpu", backend="pread")
        return self.pread_handle.get_tensor(name)

    def close(self) -> None:
        self.handle.__exit__(None, None, None)
        if self.pread_handle is not None:
            self.pread_handle.__exit__(None, None, None)


class _Checkpoint:
    """All tensors of a checkpoint (one or many files), readable one at a time."""

    def __init__(self, entries: dict[str, _Entry], readers: dict[str, _SafetensorsReader], metadata: dict | None) -> None:
        self.entries = entries
        self.readers = readers
        self.sharded_metadata = metadata

    @classmethod
    def from_files(cls, files: list[str], *, weights_only: bool, sharded_metadata: dict | None) -> "_Checkpoint":
        entries: dict[str, _Entry] = {}
        readers: dict[str, _SafetensorsReader] = {}
        try:
            for path in files:
                if path.endswith(".safetensors"):
                    reader = _SafetensorsReader(path)
                    readers[path] = reader
                    entries.update(reader.entries)
                else:
                    for name, tensor in _load_bin(path, weights_only=weights_only).items():
                        if isinstance(tensor, torch.Tensor):
                            entries[name] = _Entry(path, tensor.dtype, tuple(tensor.shape), tensor=tensor)
        except BaseException:
            for reader in readers.values():
                reader.close()
            raise
        return cls(entries, readers, sharded_metadata)

    @classmethod
    def from_state_dict(cls, state_dict: dict[str, torch.Tensor]) -> "_Checkpoint":
        entries = {
            name: _Entry("<state_dict>", t.dtype, tuple(t.shape), tensor=t, shared=True)
            for name, t in state_dict.items()
            if isinstance(t, torch.Tensor)
        }
        return cls(entries, {}, None)

    def read(self, name: str, *, dtype: torch.dtype | None, device: torch.device | None) -> torch.Tensor:
        """Return tensor ``name`` as a new, writable tensor the caller owns."""
        entry = self.entries[name]
        if entry.tensor is not None:
            tensor = entry.tensor.detach()
            converted = tensor.to(device=device, dtype=dtype)
            # A caller's state dict stays the caller's: the model gets its own copy.
            if entry.shared and converted.data_ptr() == tensor.data_ptr():
                converted = converted.clone()
            return converted
        tensor = self.readers[entry.path].read(name, converting=dtype is not None and dtype != entry.dtype)
        if dtype is not None and dtype != tensor.dtype:
            tensor = tensor.to(dtype)
        if device is not None and tensor.device != device:
            tensor = tensor.to(device)
        return tensor

    def close(self) -> None:
        for reader in self.readers.values():
            reader.close()

    def first_floating_dtype(self) -> torch.dtype | None:
        for name in sorted(self.entries):
            if self.entries[name].dtype.is_floating_point:
                return self.entries[name].dtype
        return None


def _load_bin(path: str, *, weights_only: bool) -> dict[str, Any]:
    """Load a ``pytorch_model.bin`` through the weights-only loader (never runs pickle code)."""
    from embrace.io.torch_bin import load_torch_bin

    return load_torch_bin(path)


def _read_index(path: str) -> tuple[list[str], dict]:
    """Read a sharded checkpoint index: (shard file names, metadata + ``weight_map``)."""
    from embrace.io.torch_bin import read_shard_index

    index = read_shard_index(path)
    return list(index.shard_files), {**index.metadata, "weight_map": index.weight_map}


# --- locating checkpoint files ------------------------------------------------------


def _weight_candidates(use_safetensors: bool | None, variant: str | None) -> list[tuple[str, bool]]:
    """File names to try, in preference order, as (name, is_index)."""
    names: list[tuple[str, bool]] = []
    if use_safetensors is not False:
        names += [(add_variant(SAFE_WEIGHTS_NAME, variant), False), (add_variant(SAFE_WEIGHTS_INDEX_NAME, variant), True)]
    if not use_safetensors:
        names += [(add_variant(WEIGHTS_NAME, variant), False), (add_variant(WEIGHTS_INDEX_NAME, variant), True)]
    return names


def resolve_checkpoint_files(
    path_or_repo_id: str,
    *,
    subfolder: str = "",
    variant: str | None = None,
    use_safetensors: bool | None = None,
    cache_dir: str | os.PathLike | None = None,
    force_download: bool = False,
    local_files_only: bool = False,
    token: str | bool | None = None,
    revision: str = "main",
) -> tuple[list[str], dict | None]:
    """Find the weight files of a checkpoint folder, file or hub repo.

    Returns ``(files, sharded_metadata)``; ``sharded_metadata`` is ``None`` unless the
    checkpoint is sharded.

    Raises:
        CheckpointError: no weights file exists (the message lists the names tried).
    """
    path_or_repo_id = os.fspath(path_or_repo_id)
    candidates = _weight_candidates(use_safetensors, variant)
    tried = ", ".join(name for name, _ in candidates)
    if os.path.isdir(path_or_repo_id):
        folder = os.path.join(path_or_repo_id, subfolder) if subfolder else path_or_repo_id
        for name, is_index in candidates:
            candidate = os.path.join(folder, name)
            if os.path.isfile(candidate):
                if not is_index:
                    return [candidate], None
                shards, metadata = _read_index(candidate)
                files = [os.path.join(folder, shard) for shard in shards]
                missing = [f for f in files if not os.path.isfile(f)]
                if missing:
                    raise CheckpointError(
                        f"The index {candidate} lists shard files that are missing: "
                        f"{', '.join(os.path.basename(m) for m in missing)}. Copy or download them into {folder}."
                    )
                return files, metadata
        hint = " (use_safetensors=True excludes .bin files)" if use_safetensors else ""
        raise CheckpointError(
            f"No model weights found in directory {folder}: looked for {tried}{hint}. "
            "Save the model there with save_pretrained() or point to the folder holding them."
        )
    single = os.path.join(subfolder, path_or_repo_id) if subfolder else path_or_repo_id
    if os.path.isfile(single):
        return [single], None
    from embrace.hub.resolve import resolve_file

    hub_kwargs: dict[str, Any] = dict(
        subfolder=subfolder,
        revision=revision,
        cache_dir=cache_dir,
        local_files_only=local_files_only,
        token=token,
        force_download=force_download,
    )
    from embrace.errors import EntryNotFoundError

    last_error: Exception | None = None
    for name, is_index in candidates:
        try:
            resolved = resolve_file(path_or_repo_id, name, required=False, **hub_kwargs)
        except EntryNotFoundError as error:  # not cached / not in the repo: try the next name
            last_error = error
            continue
        if resolved is None:
            continue
        resolved = os.fspath(resolved)
        if not is_index:
            return [resolved], None
        shards, metadata = _read_index(resolved)
        files = [os.fspath(resolve_file(path_or_repo_id, shard, required=True, **hub_kwargs)) for shard in shards]
        return files, metadata
    raise CheckpointError(
        f"{path_or_repo_id} does not contain model weights: looked for {tried}"
        f"{' in subfolder ' + repr(subfolder) if subfolder else ''} (revision {revision!r}). "
        "Check the repo id / path, or download the weights first"
        + (" (offline or local_files_only: only the local hub cache was searched)." if local_files_only else ".")
    ) from last_error


# --- key matching -------------------------------------------------------------------


def _natural_key(name: str) -> tuple:
    return tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in name.split("."))


def _legacy_rename(key: str) -> str:
    for old, new in _LEGACY_RENAMES:
        if old in key:
            key = key.replace(old, new, 1)
    return key


def _fix_prefix(key: str, prefix: str, expected: dict[str, Any]) -> str:
    """Add or strip the base-model prefix so ``key`` matches the model's names."""
    if not prefix:
        return key
    dotted = prefix + "."
    if key.startswith(dotted) and key[len(dotted) :] in expected:
        return key[len(dotted) :]
    if dotted + key in expected:
        return dotted + key
    return key


def match_checkpoint_keys(
    checkpoint_keys: Iterable[str], expected: dict[str, Any], prefix: str
) -> tuple[dict[str, str], list[str]]:
    """Map checkpoint names onto model names.

    Applies the legacy renames (``LayerNorm.gamma`` -> ``LayerNorm.weight``...) and adds
    or strips ``prefix`` (``bert.``) as needed, so a base-model checkpoint loads into a
    head model and the other way round.

    Returns:
        ``({model_key: checkpoint_key}, unexpected checkpoint keys after renaming)``.

    Example:
        >>> match_checkpoint_keys(["embeddings.LayerNorm.gamma"], {"bert.embeddings.LayerNorm.weight": None}, "bert")
        ({'bert.embeddings.LayerNorm.weight': 'embeddings.LayerNorm.gamma'}, [])
    """
    mapping: dict[str, str] = {}
    unexpected: list[str] = []
    for original in sorted(checkpoint_keys, key=_natural_key):
        renamed = _fix_prefix(_legacy_rename(original), prefix, expected)
        if renamed not in expected and original in expected:
            renamed = _fix_prefix(original, prefix, expected)
        if renamed in expected and renamed not in mapping:
            mapping[renamed] = original
        else:
            unexpected.append(renamed)
    return mapping, unexpected


# --- loading report -----------------------------------------------------------------

_DIGITS = re.compile(r"(?<=\.)(\d+)(?=\.|$)")


def _group_keys(keys: Iterable[str]) -> list[str]:
    """Collapse ``layer.0.x``, ``layer.1.x`` into ``layer.{0, 1}.x`` for compact reports."""
    groups: dict[str, list[set[int]]] = {}
    for key in keys:
        pattern = _DIGITS.sub("*", key)
        numbers = [int(n) for n in _DIGITS.findall(key)]
        slots = groups.setdefault(pattern, [set() for _ in numbers])
        for slot, number in zip(slots, numbers):
            slot.add(number)
    out = []
    for pattern, slots in groups.items():
        parts = pattern.split("*")
        text = parts[0]
        for slot, part in zip(slots, parts[1:]):
            values = sorted(slot)
            if len(values) == 1:
                text += str(values[0])
            elif len(values) > 10:
                text += "{" + f"{values[0]}...{values[-1]}" + "}"
            else:
                text += "{" + ", ".join(map(str, values)) + "}"
            text += part
        out.append(text)
    return sorted(out)


def format_loading_report(
    model_name: str,
    source: str,
    *,
    missing: Iterable[str],
    unexpected: Iterable[str],
    mismatched: Iterable[tuple[str, tuple, tuple]],
) -> str | None:
    """Build the ``<Class> LOAD REPORT from: <source>`` table (``None`` when all loaded cleanly)."""
    rows: list[tuple[str, str, str]] = []
    notes: list[str] = []
    unexpected = list(unexpected)
    missing = list(missing)
    mismatched = list(mismatched)
    if unexpected:
        notes.append("- UNEXPECTED:\tcan be ignored when loading from different task/architecture; not ok if you expect identical arch.")
        rows += [(k, "UNEXPECTED", "") for k in _group_keys(unexpected)]
    if missing:
        notes.append("- MISSING:\tthose params were newly initialized because missing from the checkpoint. Consider training on your downstream task.")
        rows += [(k, "MISSING", "") for k in _group_keys(missing)]
    if mismatched:
        notes.append("- MISMATCH:\tckpt weights were loaded, but they did not match the original empty weight shapes.")
        for key, ckpt_shape, model_shape in sorted(mismatched):
            rows.append((key, "MISMATCH", f"Reinit due to size mismatch - ckpt: {torch.Size(ckpt_shape)} vs model:{torch.Size(model_shape)}"))
    if not rows:
        return None
    headers = ("Key", "Status", "")
    widths = [max(len(r[i]) for r in [headers, *rows]) for i in range(3)]
    lines = [" | ".join(h.ljust(w) for h, w in zip(headers, widths)).rstrip(), "-+-".join("-" * w for w in widths)]
    lines += [" | ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip() for row in rows]
    return f"{model_name} LOAD REPORT from: {source}\n" + "\n".join(lines) + "\n\nNotes:\n" + "\n".join(notes)


# --- the loader ---------------------------------------------------------------------


@dataclass
class LoadingInfo:
    """What happened while loading: the reference's ``loading_info`` fields."""

    missing_keys: set[str] = field(default_factory=set)
    unexpected_keys: set[str] = field(default_factory=set)
    mismatched_keys: set[tuple[str, torch.Size, torch.Size]] = field(default_factory=set)
    error_msgs: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "missing_keys": self.missing_keys,
            "unexpected_keys": self.unexpected_keys,
            "mismatched_keys": self.mismatched_keys,
            "error_msgs": self.error_msgs,
        }


def _resolve_device(device_map: Any) -> torch.device | None:
    """The single device a ``device_map`` asks for (``None`` = CPU, the default)."""
    if device_map is None:
        return None
    if isinstance(device_map, dict):
        devices = {str(torch.device(v) if not isinstance(v, str) or v not in ("disk",) else v) for v in device_map.values()}
        if len(devices) != 1 or "disk" in devices:
            raise ValueError(
                f"device_map={device_map!r} spreads the model over several devices (or disk), which embrace does "
                "not do yet. Use device_map=None, 'cpu', 'auto' or a single device such as 'cuda:0'."
            )
        return torch.device(devices.pop())
    if device_map == "auto":
        return torch.device("cuda", 0) if torch.cuda.is_available() else torch.device("cpu")
    if device_map in ("balanced", "balanced_low_0", "sequential"):
        raise ValueError(
            f"device_map={device_map!r} splits the model across devices, which embrace does not do yet. "
            "Use device_map=None, 'cpu', 'auto' or a single device such as 'cuda:0'."
        )
    try:
        return torch.device(device_map)
    except (RuntimeError, TypeError):
        raise ValueError(
            f"device_map={device_map!r} is not a device. Use None, 'cpu', 'auto', an int (GPU index) or a torch.device."
        ) from None


def _accepted_init_kwargs(cls: type) -> tuple[set[str], bool]:
    """Keyword names ``cls.__init__`` takes beyond ``config`` (and whether it takes ``**kwargs``)."""
    from embrace.modeling.modeling_utils import PreTrainedModel

    names: set[str] = set()
    for klass in cls.__mro__:
        if "__init__" not in vars(klass) or klass in (PreTrainedModel, nn.Module, object):
            continue
        params = inspect.signature(vars(klass)["__init__"]).parameters
        for param in list(params.values())[1:]:
            if param.kind is inspect.Parameter.VAR_KEYWORD:
                return names, True
            if param.kind in (inspect.Parameter.KEYWORD_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD):
                names.add(param.name)
        break
    names.discard("config")
    return names, False


def from_pretrained(
    cls: type,
    pretrained_model_name_or_path: str | os.PathLike | None,
    *model_args: Any,
    config: Any = None,
    cache_dir: str | os.PathLike | None = None,
    ignore_mismatched_sizes: bool = False,
    force_download: bool = False,
    local_files_only: bool = False,
    token: str | bool | None = None,
    revision: str = "main",
    use_safetensors: bool | None = None,
    weights_only: bool = True,
    subfolder: str = "",
    variant: str | None = None,
    dtype: str | torch.dtype | None = "auto",
    torch_dtype: str | torch.dtype | None = None,
    attn_implementation: str | None = None,
    output_loading_info: bool = False,
    trust_remote_code: bool | None = False,
    device_map: Any = None,
    state_dict: dict[str, torch.Tensor] | None = None,
    **kwargs: Any,
) -> Any:
    """Instantiate a model and load its weights from a folder, a hub repo id or a file.

    The model is built without allocating or initialising its parameters, the
    checkpoint tensors are mapped straight into it (converted only when ``dtype``
    asks for another type), and only the weights the checkpoint lacks are
    initialised (and reported). The model is returned in ``eval()`` mode.

    Args:
        pretrained_model_name_or_path: a folder with ``config.json`` and weights
            (``model.safetensors``, its sharded index, ``pytorch_model.bin`` or its
            index, in that order of preference), a hub repo id (resolved through the
            local hub cache), or one weights file together with ``config=``.
        model_args: extra positional arguments for the model's ``__init__``.
        config: a config instance, or a folder / repo id to read it from.
        cache_dir, force_download, local_files_only, token, revision, subfolder:
            how hub files are located (``HF_HUB_OFFLINE=1`` implies local only).
        ignore_mismatched_sizes: re-initialise weights whose checkpoint shape differs
            (reported in ``mismatched_keys``) instead of raising.
        use_safetensors: ``True`` only safetensors, ``False`` only ``.bin``, ``None``
            prefer safetensors.
        weights_only: ``.bin`` files are always read weights-only.
        variant: read ``model.<variant>.safetensors`` (and friends).
        dtype: ``"auto"`` (``config.dtype``, else the checkpoint's dtype), a
            ``torch.dtype`` or its name; ``torch_dtype`` is the v4 spelling.
        attn_implementation: ``"sdpa"`` (default), ``"eager"`` or any registered name.
        output_loading_info: also return ``{"missing_keys", "unexpected_keys",
            "mismatched_keys", "error_msgs"}``.
        trust_remote_code: ``True`` raises :class:`~embrace.errors.RemoteCodeError`.
        device_map: ``None``/``"cpu"``/``"auto"``/one device: where the model goes.
        state_dict: load these tensors instead of files (with ``None`` as the path).
        kwargs: config fields to override (``num_labels=3``) or arguments of the
            model's ``__init__`` (``add_pooling_layer=False``); others raise TypeError.

    Raises:
        CheckpointError: no weights file (the message lists the names looked for).
        SafetensorsError / UnsafeCheckpointError: a corrupt or code-carrying file.
        CheckpointMismatchError: shapes differ and ``ignore_mismatched_sizes`` is False.

    Example:
        >>> import tempfile
        >>> from embrace.models.bert import BertConfig, BertForSequenceClassification, BertModel
        >>> folder = tempfile.mkdtemp()
        >>> BertModel(BertConfig(hidden_size=16, num_hidden_layers=1, num_attention_heads=2,
        ...                      intermediate_size=32, vocab_size=50)).save_pretrained(folder)
        >>> model, info = BertForSequenceClassification.from_pretrained(
        ...     folder, num_labels=3, output_loading_info=True)
        >>> sorted(info["missing_keys"]), model.training
        (['classifier.bias', 'classifier.weight'], False)
    """
    from embrace.configuration import PretrainedConfig
    from embrace.modeling.modeling_utils import _resolve_dtype, empty_model_context

    if trust_remote_code:
        raise RemoteCodeError(
            "trust_remote_code=True was passed, but embrace never runs code downloaded with a model. "
            f"Load the checkpoint with an embrace class that implements its architecture (like {cls.__name__})."
        )
    if not weights_only:
        logger.warning("weights_only=False is ignored: embrace only reads tensors from pickle checkpoints.")
    for name in _OBSOLETE_OPTIONS:
        kwargs.pop(name, None)
    gguf_file = kwargs.pop("gguf_file", None)
    if torch_dtype is not None and (dtype is None or (isinstance(dtype, str) and dtype == "auto")):
        dtype = torch_dtype  # the v4 spelling, used when `dtype` was left at its default
    if dtype is None:
        dtype = "auto"
    if os.environ.get("HF_HUB_OFFLINE", "").upper() in ("1", "ON", "YES", "TRUE"):
        local_files_only = True
    device = _resolve_device(device_map)
    if state_dict is not None and pretrained_model_name_or_path is not None:
        raise ValueError("Pass either pretrained_model_name_or_path or state_dict=, not both.")
    if pretrained_model_name_or_path is not None:
        pretrained_model_name_or_path = os.fspath(pretrained_model_name_or_path)

    # 1. the config, with kwargs naming config fields applied to it
    hub_kwargs = dict(
        cache_dir=cache_dir,
        force_download=force_download,
        local_files_only=local_files_only,
        token=token,
        revision=revision,
        subfolder=subfolder,
    )
    if not isinstance(config, PretrainedConfig):
        config_source = config if config is not None else pretrained_model_name_or_path
        if config_source is None:
            raise ValueError(f"{cls.__name__}.from_pretrained(None, ...) needs config= (and state_dict=).")
        if config is None and os.path.isfile(os.fspath(config_source)) and not os.fspath(config_source).endswith(".json"):
            raise CheckpointError(
                f"{config_source} is a single weights file, so there is no config.json next to it to read. "
                f"Pass config= (a {cls.config_class.__name__ if cls.config_class else 'config'} or the folder holding config.json)."
            )
        if cls.config_class is None:
            raise ValueError(f"{cls.__name__} has no config_class; pass config= explicitly.")
        if gguf_file is not None and config is None:
            kwargs["gguf_file"] = gguf_file  # the config comes from the GGUF metadata
        config, model_kwargs = cls.config_class.from_pretrained(config_source, return_unused_kwargs=True, **hub_kwargs, **kwargs)
    else:
        config = copy.deepcopy(config)
        model_kwargs = dict(kwargs)
    if attn_implementation is not None:
        config._attn_implementation = attn_implementation
    accepted, takes_any = _accepted_init_kwargs(cls)
    unknown = sorted(k for k in model_kwargs if k not in accepted) if not takes_any else []
    if unknown:
        raise TypeError(
            f"{cls.__name__}.from_pretrained got unexpected keyword arguments: {', '.join(unknown)}. They are not "
            f"options of from_pretrained, fields of {type(config).__name__}, nor arguments of {cls.__name__}.__init__."
        )

    # 2. the weights
    if state_dict is not None:
        checkpoint = _Checkpoint.from_state_dict(state_dict)
    elif pretrained_model_name_or_path is None:
        raise ValueError(f"{cls.__name__}.from_pretrained(None, ...) needs state_dict= with the weights.")
    elif gguf_file is not None:
        checkpoint = _gguf_checkpoint(pretrained_model_name_or_path, gguf_file, config, hub_kwargs)
    else:
        files, sharded_metadata = resolve_checkpoint_files(
            pretrained_model_name_or_path, variant=variant, use_safetensors=use_safetensors, **hub_kwargs
        )
        logger.info("loading weights file %s", files[0] if len(files) == 1 else f"{len(files)} shards")
        checkpoint = _Checkpoint.from_files(files, weights_only=True, sharded_metadata=sharded_metadata)

    try:
        # 3. the dtype: explicit, or config.dtype, or whatever the checkpoint holds
        if isinstance(dtype, str) and dtype == "auto":
            target = _resolve_dtype(getattr(config, "dtype", None))
            if target is None and checkpoint.sharded_metadata and checkpoint.sharded_metadata.get("dtype"):
                target = _resolve_dtype(checkpoint.sharded_metadata["dtype"])
            if target is None:
                target = checkpoint.first_floating_dtype()
            if target is None:
                target = torch.get_default_dtype()
        elif isinstance(dtype, dict):
            target = _resolve_dtype(dtype.get("", torch.get_default_dtype()))
        else:
            target = _resolve_dtype(dtype)
        if not target.is_floating_point:
            raise ValueError(f"dtype={target} is not a floating-point dtype; models hold float weights.")
        config.dtype = target
        if pretrained_model_name_or_path is not None:
            config.name_or_path = pretrained_model_name_or_path

        # 4. an empty model: parameters on the meta device, nothing initialised
        with empty_model_context(target):
            model = cls(config, *model_args, **model_kwargs)
        _keep_in_fp32(model, target)

        # 5. fill it
        info = _fill_model(model, checkpoint, ignore_mismatched_sizes=ignore_mismatched_sizes, device=device)
    finally:
        checkpoint.close()
    source = pretrained_model_name_or_path if pretrained_model_name_or_path is not None else "<state_dict>"
    report = format_loading_report(
        type(model).__name__, source, missing=info.missing_keys, unexpected=info.unexpected_keys, mismatched=info.mismatched_keys
    )
    if report is not None:
        logger.warning(report)
    if device is not None:
        model.to(device)
    model.eval()
    if pretrained_model_name_or_path is not None and gguf_file is None and model.can_generate():
        _load_generation_config(model, pretrained_model_name_or_path, hub_kwargs)
    if output_loading_info:
        return model, info.to_dict()
    return model


def _load_generation_config(model: Any, source: str, hub_kwargs: dict[str, Any]) -> None:
    """Use the checkpoint's ``generation_config.json`` when it has one (else the model config's defaults)."""
    from embrace.generation.configuration_utils import GenerationConfig

    if os.path.isfile(source):
        return
    try:
        model.generation_config = GenerationConfig.from_pretrained(source, **hub_kwargs)
    except FileNotFoundError:
        logger.info("No generation_config.json in %s; generation defaults come from the model config.", source)


def _gguf_checkpoint(path_or_repo_id: str, gguf_file: str, config: Any, hub_kwargs: dict[str, Any]) -> _Checkpoint:
    """Dequantize a GGUF file (float32, as the reference) into a checkpoint the model loads from."""
    from embrace.hub.resolve import resolve_file
    from embrace.io.gguf import GGUFFile
    from embrace.io.gguf_mapping import gguf_config_dict, gguf_state_dict

    path = resolve_file(path_or_repo_id, gguf_file, **hub_kwargs)
    logger.info("loading weights from GGUF file %s", path)
    with GGUFFile(path) as gguf:
        gguf_config = gguf_config_dict(gguf.metadata, gguf.tensors)
        # Checked before dequantizing anything: a wrong family fails fast.
        if gguf_config["model_type"] != config.model_type:
            raise CheckpointError(
                f"{path} holds a {gguf_config['model_type']!r} model but the config is {config.model_type!r}; load "
                f"it with the {gguf_config['model_type']} classes (or an Auto class)."
            )
        state = gguf_state_dict(gguf, gguf_config)
    # Fresh tensors nobody else holds: the model may adopt them without a copy.
    entries = {name: _Entry(path, t.dtype, tuple(t.shape), tensor=t) for name, t in state.items()}
    return _Checkpoint(entries, {}, None)


def _keep_in_fp32(model: nn.Module, target: torch.dtype) -> None:
    """Keep the modules a family lists in ``_keep_in_fp32_modules`` in float32 under float16."""
    patterns = getattr(model, "_keep_in_fp32_modules", None)
    if not patterns or target != torch.float16:
        return
    regex = re.compile("|".join(rf"((^|\.){re.escape(p)}($|\.))" for p in patterns))
    for name, param in list(model.named_parameters()):
        if regex.search(name) and param.is_floating_point():
            parent_name, _, attr = name.rpartition(".")
            parent = model.get_submodule(parent_name) if parent_name else model
            setattr(parent, attr, nn.Parameter(param.to(torch.float32), requires_grad=param.requires_grad))


def _ignore(keys: set[str], patterns: Iterable[str] | None) -> set[str]:
    patterns = [p for p in (patterns or []) if p]
    if not patterns:
        return keys
    regex = re.compile("|".join(f"({p})" for p in patterns))
    return {k for k in keys if regex.search(k) is None}


def _set_tensor(model: nn.Module, name: str, value: torch.Tensor, *, requires_grad: bool | None = None) -> None:
    """Put ``value`` into the model under ``name`` (as a Parameter if it was one)."""
    parent_name, _, attr = name.rpartition(".")
    parent = model.get_submodule(parent_name) if parent_name else model
    if attr in parent._parameters:
        old = parent._parameters[attr]
        grad = old.requires_grad if requires_grad is None and old is not None else bool(requires_grad)
        parent._parameters[attr] = nn.Parameter(value, requires_grad=grad and value.is_floating_point())
    else:
        parent._buffers[attr] = value


def _fill_model(model: Any, checkpoint: _Checkpoint, *, ignore_mismatched_sizes: bool, device: torch.device | None) -> LoadingInfo:
    """Load ``checkpoint`` into the meta-built ``model``; initialise what it lacks."""
    from embrace.modeling.modeling_utils import _no_init_on_meta

    expected = model.state_dict(keep_vars=True)
    mapping, unexpected = match_checkpoint_keys(checkpoint.entries, expected, model.base_model_prefix)
    info = LoadingInfo()

    # Shapes first: a mismatch is an error unless the caller opted into re-initialising.
    to_load: dict[str, str] = {}
    for model_key, ckpt_key in mapping.items():
        want = tuple(expected[model_key].shape)
        have = checkpoint.entries[ckpt_key].shape
        if have != want:
            info.mismatched_keys.add((model_key, torch.Size(have), torch.Size(want)))
        else:
            to_load[model_key] = ckpt_key
    if info.mismatched_keys and not ignore_mismatched_sizes:
        details = "\n".join(
            f"\tsize mismatch for {key}: copying a param with shape {have} from checkpoint, the shape in the current model is {want}."
            for key, have, want in sorted(info.mismatched_keys)
        )
        raise CheckpointMismatchError(
            f"Error(s) in loading state_dict for {type(model).__name__}:\n{details}\n"
            "\tPass ignore_mismatched_sizes=True to from_pretrained(...) to re-initialise these weights "
            "instead (they will be reported as mismatched), or load a checkpoint made for this config."
        )

    # Missing = not in the checkpoint at all (mismatched keys are reported separately but
    # need initialising too). A tied half is fed by its partner, so it is not initialised.
    missing = set(expected) - set(mapping)
    will_tie = set()
    for target, source in model.all_tied_weights_keys.items():
        if (target in missing) != (source in missing):
            will_tie.add(target if target in missing else source)
    really_missing = (missing - will_tie) | {key for key, _, _ in info.mismatched_keys}

    # Materialise what the checkpoint lacks, then initialise only those modules. Loaded
    # parameters are still on meta at this point, so the initialisers cannot touch them.
    owners: set[nn.Module] = set()
    for name in sorted(really_missing):
        tensor = expected[name]
        parent_name, _, attr = name.rpartition(".")
        parent = model.get_submodule(parent_name) if parent_name else model
        if tensor.device.type == "meta":
            fresh = torch.empty(tensor.shape, dtype=tensor.dtype, device=device or "cpu")
            _set_tensor(model, name, fresh)
        owners.add(parent)
    if owners:
        with torch.no_grad(), _no_init_on_meta():
            model._apply_init(model, only=owners)

    # Read every provided tensor straight into its final dtype and device.
    for model_key, ckpt_key in to_load.items():
        current = expected[model_key]
        value = checkpoint.read(ckpt_key, dtype=current.dtype, device=device)
        _set_tensor(model, model_key, value)

    # Tie (symmetrically: a target present in the checkpoint can feed a missing source).
    _tie_after_load(model, missing)
    # Anything still on meta (e.g. both halves of a tied pair absent): give it memory and init.
    leftovers = [n for n, p in model.named_parameters(remove_duplicate=False) if p.device.type == "meta"]
    if leftovers:
        owners = set()
        for name in leftovers:
            current = model.get_parameter(name)
            if current.device.type == "meta":
                _set_tensor(model, name, torch.empty(current.shape, dtype=current.dtype, device=device or "cpu"))
            owners.add(model.get_submodule(name.rpartition(".")[0]) if "." in name else model)
        with torch.no_grad(), _no_init_on_meta():
            model._apply_init(model, only=owners)
        model.tie_weights()

    info.missing_keys = _ignore(missing, _collect(model, "_keys_to_ignore_on_load_missing"))
    extra_unexpected = []
    if any(name.endswith("position_ids") for name, _ in model.named_buffers()):
        extra_unexpected.append(r"(^|\.)position_ids$")
    if any(name.endswith("rotary_emb.inv_freq") for name, _ in model.named_buffers()):
        extra_unexpected.append(r"rotary_emb\.inv_freq")
    info.unexpected_keys = _ignore(set(unexpected), [*_collect(model, "_keys_to_ignore_on_load_unexpected"), *extra_unexpected])
    return info


def _collect(model: nn.Module, attribute: str) -> list[str]:
    """Union of a class-level pattern list over every nested PreTrainedModel."""
    from embrace.modeling.modeling_utils import PreTrainedModel

    out: list[str] = []
    for module in model.modules():
        if isinstance(module, PreTrainedModel):
            out.extend(getattr(module, attribute, None) or [])
    return out


def _tie_after_load(model: Any, missing: set[str]) -> None:
    """Tie weights after loading; updates ``missing`` in place (tied targets are not missing).

    If both halves of a pair came from the checkpoint with different values, they are
    left untied with a warning, as the reference does.
    """
    for target, source in model.all_tied_weights_keys.items():
        source_there, target_there = source not in missing, target not in missing
        if source_there and target_there:
            a, b = model._get_parameter_or_buffer(source), model._get_parameter_or_buffer(target)
            if a is b:
                continue
            if a.shape != b.shape or not torch.equal(a.detach(), b.detach()):
                logger.warning(
                    "The tied weights mapping and config for this model specifies to tie %s to %s, but both are "
                    "present in the checkpoints with different values, so we will NOT tie them. You should update "
                    "the config with `tie_word_embeddings=False` to silence this warning.",
                    source,
                    target,
                )
                continue
        elif target_there and not source_there:
            source, target = target, source
        param = model._get_parameter_or_buffer(source)
        parent_name, _, attr = target.rpartition(".")
        parent = model.get_submodule(parent_name) if parent_name else model
        setattr(parent, attr, param)
        model._adjust_bias(parent, param)
        if source_there or target_there:
            missing.discard(target)
            missing.discard(source)
