"""Deterministic fingerprints of datasets and transforms, and the global caching switch.

A transform's fingerprint hashes the previous fingerprint, the transform's name and its
arguments. Functions are hashed by what they do, not where they live: bytecode, constants,
default values, closure cell values and the globals they read (recursively), so the same
lambda in a new process gets the same fingerprint and a changed constant gets a new one.
Objects with no stable description (an open file, a lock) get a random fingerprint, which
simply disables cache reuse for that call, with a warning.

Example:
    >>> a = Hasher.hash(lambda x: {"y": x["a"] + 1})
    >>> b = Hasher.hash(lambda x: {"y": x["a"] + 1})
    >>> c = Hasher.hash(lambda x: {"y": x["a"] + 2})
    >>> a == b, a == c
    (True, False)
"""

from __future__ import annotations

import builtins
import functools
import hashlib
import os
import pickle
import struct
import types
import uuid
from typing import Any

import numpy as np

from embrace.utils.logging import get_logger

logger = get_logger(__name__)

_CACHING_ENABLED = True


def enable_caching() -> None:
    """Reuse and write ``cache-<fingerprint>.arrow`` files for file-backed datasets (default)."""
    global _CACHING_ENABLED
    _CACHING_ENABLED = True


def disable_caching() -> None:
    """Stop reading and writing transform cache files; results stay in memory.

    Example:
        >>> disable_caching(); is_caching_enabled()
        False
        >>> enable_caching(); is_caching_enabled()
        True
    """
    global _CACHING_ENABLED
    _CACHING_ENABLED = False


def is_caching_enabled() -> bool:
    """Whether transform caches are read and written."""
    return _CACHING_ENABLED


def default_cache_dir() -> str:
    """Where datasets caches live: ``$HF_DATASETS_CACHE``, else ``$HF_HOME/datasets``."""
    explicit = os.environ.get("HF_DATASETS_CACHE")
    if explicit:
        return os.path.expanduser(explicit)
    home = os.environ.get("HF_HOME") or os.path.join(os.environ.get("XDG_CACHE_HOME", "~/.cache"), "huggingface")
    return os.path.join(os.path.expanduser(home), "datasets")


def generate_random_fingerprint(nbits: int = 64) -> str:
    """A fresh random fingerprint (``nbits // 4`` hex digits)."""
    return uuid.uuid4().hex[: nbits // 4]


class UnhashableError(TypeError):
    """An argument has no stable description to hash."""


class Hasher:
    """Incremental hasher over Python objects (16 hex digit digests, like the reference).

    Example:
        >>> h = Hasher(); h.update("a"); h.update([1, 2]); len(h.hexdigest())
        16
    """

    def __init__(self) -> None:
        self._hash = hashlib.blake2b(digest_size=8)

    def update(self, value: Any) -> None:
        self._hash.update(_describe(value, {}))

    def hexdigest(self) -> str:
        return self._hash.hexdigest()

    @classmethod
    def hash(cls, value: Any) -> str:
        hasher = cls()
        hasher.update(value)
        return hasher.hexdigest()


def _tagged(tag: bytes, payload: bytes) -> bytes:
    # length-prefixed so that concatenated parts can never be confused with each other
    return tag + struct.pack("<Q", len(payload)) + payload


def _describe(value: Any, seen: dict[int, int]) -> bytes:
    """A byte string that determines ``value``'s behaviour/content (raises UnhashableError)."""
    if value is None or isinstance(value, (bool, int, float, complex, str, bytes)):
        return _tagged(type(value).__name__.encode(), repr(value).encode())
    key = id(value)
    if key in seen:  # recursion (a function that calls itself, a self-referencing list)
        return _tagged(b"ref", str(seen[key]).encode())
    seen[key] = len(seen)
    describer = _DESCRIBERS.get(type(value))
    if describer is None:
        describer = next((fn for kind, fn in _DESCRIBERS.items() if isinstance(value, kind)), _describe_object)
    return describer(value, seen)


def _describe_sequence(value: Any, seen: dict) -> bytes:
    return _tagged(type(value).__name__.encode(), b"".join(_describe(item, seen) for item in value))


def _describe_dict(value: dict, seen: dict) -> bytes:
    parts = [_describe(k, seen) + _describe(v, seen) for k, v in value.items()]
    return _tagged(type(value).__name__.encode(), b"".join(parts))


def _describe_set(value: Any, seen: dict) -> bytes:
    # sets have no stable order across processes: order by each item's own description
    return _tagged(b"set", b"".join(sorted(_describe(item, seen) for item in value)))


def _describe_code(code: types.CodeType, seen: dict) -> bytes:
    # file name and line numbers are left out: moving a function does not change it
    consts = b"".join(_describe(c, seen) for c in code.co_consts)
    names = ",".join(code.co_names + code.co_varnames + code.co_freevars).encode()
    return _tagged(b"code", code.co_code + consts + names + str(code.co_argcount).encode())


def _referenced_globals(code: types.CodeType) -> set[str]:
    names = set(code.co_names)
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            names |= _referenced_globals(const)
    return names


def _describe_function(fn: types.FunctionType, seen: dict) -> bytes:
    parts = [_describe_code(fn.__code__, seen), _describe(fn.__defaults__, seen), _describe(fn.__kwdefaults__, seen)]
    for cell in fn.__closure__ or ():
        try:
            parts.append(_describe(cell.cell_contents, seen))
        except ValueError:  # empty cell (a variable assigned after the function was made)
            parts.append(b"empty-cell")
    for name in sorted(_referenced_globals(fn.__code__)):
        if name in fn.__globals__:
            parts.append(name.encode() + _describe(fn.__globals__[name], seen))
    return _tagged(b"function", b"".join(parts))


def _describe_module(module: types.ModuleType, seen: dict) -> bytes:
    return _tagged(b"module", module.__name__.encode())


def _describe_builtin(fn: Any, seen: dict) -> bytes:
    owner = getattr(fn, "__self__", None)
    owner_part = b"" if owner is None or owner is builtins or isinstance(owner, types.ModuleType) else _describe(owner, seen)
    return _tagged(b"builtin", f"{getattr(fn, '__module__', '')}.{fn.__qualname__}".encode() + owner_part)


def _describe_method(method: types.MethodType, seen: dict) -> bytes:
    return _tagged(b"method", _describe(method.__func__, seen) + _describe(method.__self__, seen))


def _describe_partial(part: functools.partial, seen: dict) -> bytes:
    return _tagged(b"partial", _describe(part.func, seen) + _describe(part.args, seen) + _describe(part.keywords, seen))


def _describe_type(cls: type, seen: dict) -> bytes:
    return _tagged(b"type", f"{cls.__module__}.{cls.__qualname__}".encode())


def _describe_ndarray(array: np.ndarray, seen: dict) -> bytes:
    if array.dtype == object:
        return _tagged(b"ndarray-object", _describe(array.tolist(), seen))
    return _tagged(b"ndarray", f"{array.dtype.str}{array.shape}".encode() + np.ascontiguousarray(array).tobytes())


def _describe_object(value: Any, seen: dict) -> bytes:
    fingerprint = getattr(value, "_fingerprint", None)
    if isinstance(fingerprint, str):  # a Dataset: its fingerprint already says everything
        return _tagged(b"dataset", fingerprint.encode())
    if type(value).__module__ == "torch" and hasattr(value, "numpy"):
        return _describe_ndarray(value.detach().cpu().numpy(), seen)
    if isinstance(value, np.generic):
        return _tagged(b"npscalar", value.dtype.str.encode() + value.tobytes())
    state = getattr(value, "__dict__", None)
    if isinstance(state, dict) and not isinstance(value, type):
        return _tagged(b"object", _describe_type(type(value), seen) + _describe_dict(state, seen))
    try:
        return _tagged(b"pickle", pickle.dumps(value, protocol=4))
    except Exception as exc:  # noqa: BLE001 - any pickling failure means "no stable description"
        raise UnhashableError(f"cannot hash object of type {type(value).__name__}: {exc}") from exc


_DESCRIBERS: dict[type, Any] = {
    list: _describe_sequence,
    tuple: _describe_sequence,
    dict: _describe_dict,
    set: _describe_set,
    frozenset: _describe_set,
    types.FunctionType: _describe_function,
    types.CodeType: _describe_code,
    types.ModuleType: _describe_module,
    types.BuiltinFunctionType: _describe_builtin,
    types.MethodType: _describe_method,
    functools.partial: _describe_partial,
    type: _describe_type,
    np.ndarray: _describe_ndarray,
}


def fingerprint_of_table(table: Any) -> str:
    """Fingerprint a table: file-backed ones by path, size and modification time (cheap),
    in-memory ones by content."""
    hasher = hashlib.blake2b(digest_size=8)
    if table.cache_files:
        for path in table.cache_files:
            stat = os.stat(path)
            hasher.update(f"{os.path.abspath(path)}|{stat.st_size}|{stat.st_mtime_ns}".encode())
        hasher.update(f"{table.num_rows}|{table.schema}".encode())
    else:
        hasher.update(str(table.schema).encode())
        for batch in table.table.to_batches():
            for array in batch.columns:
                # a slice shares its parent's buffers: the offset tells them apart
                hasher.update(struct.pack("<QQ", array.offset, len(array)))
                for buffer in array.buffers():
                    if buffer is not None:
                        hasher.update(buffer)
            hasher.update(struct.pack("<Q", batch.num_rows))
    return hasher.hexdigest()


def update_fingerprint(fingerprint: str, transform: str, args: dict[str, Any]) -> str:
    """The fingerprint after applying ``transform`` with ``args`` to a dataset with ``fingerprint``.

    Example:
        >>> update_fingerprint("abc", "shuffle", {"seed": 42}) == update_fingerprint("abc", "shuffle", {"seed": 42})
        True
    """
    hasher = Hasher()
    hasher.update(fingerprint)
    hasher.update(transform)
    for name in sorted(args):
        hasher.update(name)
        try:
            hasher.update(args[name])
        except UnhashableError as exc:
            logger.warning(
                f"Argument {name!r} of {transform} could not be hashed ({exc}); a random fingerprint is used, "
                "so this result will not be reused from the cache."
            )
            return generate_random_fingerprint()
    return hasher.hexdigest()
