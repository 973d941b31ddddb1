"""Which files make which split: user patterns (str / list / dict, with globs) or, for a
folder, the reference's default split patterns (train / validation(valid, dev, val) /
test(testing, eval, evaluation) as a file- or folder-name keyword), and which packaged
loader reads them (the most common known extension).

Globs follow fsspec's: ``*`` and ``?`` stay inside one folder, ``**`` spans folders
(``**/`` also matches no folder), ``[...]`` is a character class. Hidden files and folders
(``.name``), ``__special__`` folders and metadata files (README.md, dataset_info.json, ...)
are never data unless a pattern names them explicitly.

Example:
    >>> import tempfile, os
    >>> root = tempfile.mkdtemp()
    >>> for name in ("train.csv", "dev.csv", "README.md"):
    ...     _ = open(os.path.join(root, name), "w").write("a\\n1\\n")
    >>> files = data_files_from_folder(root)
    >>> {split: [os.path.basename(p) for p in paths] for split, paths in files.items()}
    {'train': ['train.csv'], 'validation': ['dev.csv']}
    >>> infer_module(files)
    ('csv', {})
"""

from __future__ import annotations

import os
import re
from collections import Counter
from functools import lru_cache
from typing import Any, Iterable

from embrace.datasets.io import module_for_extension
from embrace.errors import DataFilesNotFoundError, EmptyDatasetError

SPLIT_KEYWORDS: dict[str, list[str]] = {
    "train": ["train", "training"],
    "validation": ["validation", "valid", "dev", "val"],
    "test": ["test", "testing", "eval", "evaluation"],
}
_SEP = "-._ 0-9"  # characters that may surround a split keyword in a name
_IN_FILENAME = ["**/{keyword}[{sep}]*", "**/*[{sep}]{keyword}[{sep}]*"]
_IN_DIR_NAME = ["**/{keyword}/**", "**/{keyword}[{sep}]*/**", "**/*[{sep}]{keyword}/**", "**/*[{sep}]{keyword}[{sep}]*/**"]
_SHARDED = re.compile(r"^data/(?P<split>\w+)-\d{5}-of-\d{5}[^/]*\.[^/]+$")
FILES_TO_IGNORE = frozenset(
    {"README.md", "config.json", "dataset_info.json", "dataset_infos.json", "dummy_data.zip", "dataset_dict.json"}
)


def _patterns(templates: list[str]) -> dict[str, list[str]]:
    return {
        split: [t.format(keyword=keyword, sep=_SEP) for keyword in keywords for t in templates]
        for split, keywords in SPLIT_KEYWORDS.items()
    }


# tried in order: split named by a folder, then by a file name, else everything is "train"
DEFAULT_PATTERNS: list[dict[str, list[str]]] = [_patterns(_IN_DIR_NAME), _patterns(_IN_FILENAME), {"train": ["**"]}]


def has_magic(pattern: str) -> bool:
    return any(ch in pattern for ch in "*?[")


@lru_cache(maxsize=256)
def glob_to_regex(pattern: str) -> re.Pattern:
    """Translate an fsspec-style glob (relative, ``/``-separated) into a compiled regex."""
    out, i = [], 0
    while i < len(pattern):
        ch = pattern[i]
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif pattern.startswith("**", i):
            out.append(".*")
            i += 2
        elif ch == "*":
            out.append("[^/]*")
            i += 1
        elif ch == "?":
            out.append("[^/]")
            i += 1
        elif ch == "[" and "]" in pattern[i + 2:]:
            end = pattern.index("]", i + 2)
            body = pattern[i + 1 : end]
            body = "^" + body[1:] if body.startswith("!") else body
            out.append("[" + body.replace("\\", "\\\\") + "]")
            i = end + 1
        else:
            out.append(re.escape(ch))
            i += 1
    return re.compile("".join(out) + r"\Z")


def _is_ignored(relative: str, pattern: str) -> bool:
    """Hidden/special parts and metadata files are skipped unless the pattern spells them out."""
    parts = relative.split("/")
    pattern_parts = pattern.split("/")
    for part in parts:
        if (part.startswith(".") or part.startswith("__")) and not any(p.startswith(part[:2]) for p in pattern_parts):
            return True
    return parts[-1] in FILES_TO_IGNORE and parts[-1] not in pattern_parts


def _walk(root: str) -> list[str]:
    found = []
    for folder, dirs, files in os.walk(root):
        dirs.sort()
        rel = os.path.relpath(folder, root).replace(os.sep, "/")
        for name in sorted(files):
            found.append(name if rel == "." else f"{rel}/{name}")
    return found


def resolve_pattern(pattern: str, base_path: str) -> list[str]:
    """Absolute paths of the files matching ``pattern`` (relative to ``base_path``), sorted.

    Raises:
        DataFilesNotFoundError: nothing matches (the message names the pattern and base folder).
    """
    pattern = os.path.expanduser(os.fspath(pattern))
    full = pattern if os.path.isabs(pattern) else os.path.join(base_path, pattern)
    full = os.path.normpath(full) if not has_magic(full) else full
    if not has_magic(full):
        if os.path.isfile(full):
            return [os.path.abspath(full)]
        if os.path.isdir(full):
            return resolve_pattern(os.path.join(full, "**"), base_path)
        raise DataFilesNotFoundError(f"Unable to find '{full}' (pattern {pattern!r}, base path {base_path!r}).")
    # walk from the deepest folder that has no wildcard
    parts = full.replace(os.sep, "/").split("/")
    cut = next(i for i, part in enumerate(parts) if has_magic(part))
    root = "/".join(parts[:cut]) or "/"
    relative_pattern = "/".join(parts[cut:])
    regex = glob_to_regex(relative_pattern)
    matches = [
        os.path.abspath(os.path.join(root, rel))
        for rel in (_walk(root) if os.path.isdir(root) else [])
        if regex.match(rel) and not _is_ignored(rel, relative_pattern)
    ]
    if not matches:
        raise DataFilesNotFoundError(f"Unable to find '{full}': no file matches (base path {base_path!r}).")
    return sorted(matches)


def sanitize_patterns(data_files: str | os.PathLike | Iterable | dict) -> dict[str, list[str]]:
    """Normalise ``data_files`` to ``{split: [patterns]}``; a bare str or list is the ``train`` split."""
    if isinstance(data_files, dict):
        return {str(split): [os.fspath(p) for p in (v if isinstance(v, (list, tuple)) else [v])] for split, v in data_files.items()}
    if isinstance(data_files, (str, os.PathLike)):
        return {"train": [os.fspath(data_files)]}
    if isinstance(data_files, (list, tuple)):
        if not all(isinstance(p, (str, os.PathLike)) for p in data_files):
            raise TypeError(f"data_files list entries must be paths or patterns (str), got {data_files!r}.")
        return {"train": [os.fspath(p) for p in data_files]}
    raise TypeError(
        f"data_files must be a str, a list of str or a dict of split -> str/list, got {type(data_files).__name__}."
    )


def resolve_data_files(data_files: Any, base_path: str) -> dict[str, list[str]]:
    """``{split: [absolute file paths]}`` for user-given ``data_files`` (globs expanded, order kept)."""
    resolved: dict[str, list[str]] = {}
    for split, patterns in sanitize_patterns(data_files).items():
        files: list[str] = []
        for pattern in patterns:
            files.extend(f for f in resolve_pattern(pattern, base_path) if f not in files)
        resolved[split] = files
    return resolved


def _split_order(split: str) -> tuple[int, str]:
    return (list(SPLIT_KEYWORDS).index(split) if split in SPLIT_KEYWORDS else len(SPLIT_KEYWORDS), split)


def data_files_from_folder(base_path: str, *, extensions: set[str] | None = None) -> dict[str, list[str]]:
    """Infer ``{split: [files]}`` for a folder the way the reference does for a dataset repo.

    Raises:
        EmptyDatasetError: the folder holds no data file a packaged loader reads.
    """
    everything = [rel for rel in _walk(base_path) if not _is_ignored(rel, "**")]
    readable = [rel for rel in everything if module_for_extension(rel) is not None]
    if extensions is not None:
        readable = [rel for rel in readable if os.path.splitext(rel)[1].lower() in extensions]
    if not readable:
        raise EmptyDatasetError(
            f"The folder {base_path!r} holds no data file (csv, tsv, json, jsonl, parquet, arrow, txt); "
            f"found {everything[:10]}."
        )
    sharded: dict[str, list[str]] = {}
    for rel in readable:
        match = _SHARDED.match(rel)
        if match:
            sharded.setdefault(match.group("split"), []).append(rel)
    if sharded:
        chosen = sharded
    else:
        chosen = {}
        for group in DEFAULT_PATTERNS:
            for split, patterns in group.items():
                regexes = [glob_to_regex(p) for p in patterns]
                matched = [rel for rel in readable if any(r.match(rel) for r in regexes)]
                if matched:
                    chosen[split] = matched
            if chosen:
                break
    return {
        split: [os.path.join(base_path, rel) for rel in sorted(chosen[split])]
        for split in sorted(chosen, key=_split_order)
    }


def infer_module(data_files: dict[str, list[str]]) -> tuple[str, dict[str, Any]]:
    """The packaged loader for these files: the one of the most common known extension.

    Raises:
        EmptyDatasetError: no file has an extension a packaged loader reads.
    """
    counts = Counter()
    options: dict[str, dict[str, Any]] = {}
    for files in data_files.values():
        for path in files:
            found = module_for_extension(path)
            if found is not None:
                key = found[0] + repr(sorted(found[1].items()))
                counts[key] += 1
                options[key] = found
    if not counts:
        listed = [os.path.basename(p) for files in data_files.values() for p in files][:10]
        raise EmptyDatasetError(f"No data file with a known extension among {listed}; pass the loader name, e.g. 'csv'.")
    module, defaults = options[counts.most_common(1)[0][0]]
    return module, defaults
