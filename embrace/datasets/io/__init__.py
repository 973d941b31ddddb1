"""Readers that turn data files into pyarrow tables, one module per packaged format.

Each format registers a :class:`Format`: the options it accepts (a dataclass, so unknown
options are refused with a clear ``TypeError``) and a ``read`` generator that yields
``pyarrow.Table`` batches for one file. The builder (``embrace.datasets.builder``) writes
those batches into the Arrow cache; streaming (``embrace.datasets.iterable_dataset``)
iterates them directly.

Example:
    >>> from embrace.datasets.io import FORMATS, module_for_extension
    >>> sorted(FORMATS)
    ['arrow', 'csv', 'json', 'parquet', 'text']
    >>> module_for_extension("data/train.tsv")
    ('csv', {'sep': '\\t'})
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass
from typing import Any, Callable, Iterator

import pyarrow as pa

from embrace.errors import unknown_key


@dataclass(frozen=True)
class Format:
    """A packaged loader: its name, option dataclass and per-file reader."""

    name: str
    config_class: type
    read: Callable[[str, Any, "pa.Schema | None"], Iterator[pa.Table]]

    def make_config(self, options: dict[str, Any]) -> Any:
        """Build the option dataclass, refusing names the loader does not know."""
        known = {f.name for f in dataclasses.fields(self.config_class)}
        unknown = sorted(set(options) - known)
        if unknown:
            raise TypeError(
                f"The {self.name!r} loader got unexpected option(s) {unknown}. "
                f"Supported options: {sorted(known)}."
            )
        return self.config_class(**options)


# extension -> (module name, default options); ".tsv" is csv with a tab separator, as in the reference
_EXTENSION_TO_MODULE: dict[str, tuple[str, dict[str, Any]]] = {
    ".csv": ("csv", {}),
    ".tsv": ("csv", {"sep": "\t"}),
    ".json": ("json", {}),
    ".jsonl": ("json", {}),
    ".ndjson": ("json", {}),
    ".parquet": ("parquet", {}),
    ".arrow": ("arrow", {}),
    ".txt": ("text", {}),
}


def module_for_extension(path: str) -> tuple[str, dict[str, Any]] | None:
    """Return ``(module, default options)`` for a file name, or ``None`` if no loader reads it."""
    name = os.path.basename(path).lower()
    for suffix in (".gz", ".bz2", ".xz", ".zst"):  # compressed files are named by their inner extension
        if name.endswith(suffix):
            name = name[: -len(suffix)]
    entry = _EXTENSION_TO_MODULE.get(os.path.splitext(name)[1])
    return (entry[0], dict(entry[1])) if entry else None


def _load_formats() -> dict[str, Format]:
    from embrace.datasets.io import arrow, csv, json, parquet, text

    return {module.FORMAT.name: module.FORMAT for module in (arrow, csv, json, parquet, text)}


FORMATS: dict[str, Format] = _load_formats()


def get_format(name: str) -> Format:
    """Look up a packaged loader by name (``"csv"``, ``"json"``, ...); a miss lists the valid ones."""
    try:
        return FORMATS[name]
    except KeyError:
        raise unknown_key("packaged dataset module", name, FORMATS) from None
