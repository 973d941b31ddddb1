"""Writing files so that a reader never sees half of one.

Example:
    >>> import os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "config.json")
    >>> write_text_atomically(path, "{}\\n")
    >>> open(path).read()
    '{}\\n'
"""

from __future__ import annotations

import os
import tempfile


def write_text_atomically(path: str | os.PathLike, text: str) -> None:
    """Write ``text`` (UTF-8, newlines untranslated) to ``path`` through a temporary file in the
    same folder and a rename.

    An interrupted or failing write removes the temporary file and leaves any earlier file at
    ``path`` untouched, so configs, tokenizer files and caches are never left half written.
    """
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    handle, temporary = tempfile.mkstemp(dir=folder, prefix=f".{os.path.basename(path)}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as out:
            out.write(text)
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise
