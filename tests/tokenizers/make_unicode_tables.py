"""Regenerate embrace/tokenizers/unicode_tables.py from the pinned reference.

The reference engine mixes Unicode versions: some character classes come from tables
several Unicode versions older than Python's (punctuation, control and non-spacing mark
categories, scripts, normalization), others from newer ones (lowercasing, regex classes).
Token boundaries depend on them, so embrace ships the exact code point sets. This script
asks the reference about every code point (through its public Python API, in large
chunks) and writes the sets as compact range lists. It is a development tool: run it
again when the pinned reference version changes.

Usage: python tests/tokenizers/make_unicode_tables.py
"""

from __future__ import annotations

import sys
import unicodedata
from pathlib import Path

import regex
import tokenizers as R
from tokenizers import normalizers as RN
from tokenizers import pre_tokenizers as RP

OUT = Path(__file__).resolve().parents[2] / "embrace" / "tokenizers" / "unicode_tables.py"
CHUNK = 4096
ALL = [c for c in range(0x110000) if not 0xD800 <= c < 0xE000]


def chunks():
    for i in range(0, len(ALL), CHUNK):
        yield ALL[i : i + CHUNK]


def interleaved(chunk: list[int], sep: str) -> str:
    """sep c0 sep c1 sep ... : char k sits at offset 2k+1."""
    return sep + sep.join(chr(c) for c in chunk) + sep


def isolated_positions(splits) -> set[int]:
    return {a for _, (a, b) in splits if b - a == 1}


def probe_pre_tokenizer_isolated(pre) -> set[int]:
    """Code points that the pre-tokenizer puts in a piece of their own between 'a's."""
    out = set()
    for chunk in chunks():
        text = interleaved(chunk, "a")
        iso = isolated_positions(pre.pre_tokenize_str(text))
        out.update(c for k, c in enumerate(chunk) if (2 * k + 1) in iso and text[2 * k + 1] != "a")
    return out


def probe_removed_by(normalizer) -> set[int]:
    """Code points that the normalizer deletes (alignment-based)."""
    out = set()
    for chunk in chunks():
        text = interleaved(chunk, "a")
        p = R.PreTokenizedString(text)
        p.normalize(lambda n: normalizer.normalize(n))
        p.split(lambda i, n: n.split(R.Regex("(?m:.)"), "isolated"))
        kept = set()
        for _, (a, b), _ in p.get_splits():
            kept.update(range(a, b))
        out.update(c for k, c in enumerate(chunk) if (2 * k + 1) not in kept)
    return out


def probe_onig_class(pattern: str) -> set[int]:
    out = set()
    rx = R.Regex(pattern)
    for chunk in chunks():
        text = "".join(chr(c) for c in chunk)
        p = R.PreTokenizedString(text)
        p.split(lambda i, n: n.split(rx, "removed"))
        kept = set()
        for _, (a, b), _ in p.get_splits():
            kept.update(range(a, b))
        out.update(c for k, c in enumerate(chunk) if k not in kept)
    return out


def probe_rust_regex_word() -> set[int]:
    """\\w of the Whitespace pre-tokenizer: chars that glue to the 'a' around them."""
    out = set()
    pre = RP.Whitespace()
    for chunk in chunks():
        text = interleaved(chunk, "a")
        covered = {}
        for piece, (a, b) in pre.pre_tokenize_str(text):
            for i in range(a, b):
                covered[i] = (a, b)
        for k, c in enumerate(chunk):
            span = covered.get(2 * k + 1)
            if span is not None and span[1] - span[0] > 1:
                out.add(c)
    return out


def probe_scripts_any() -> set[int]:
    """Code points UnicodeScripts treats as belonging to no script (like a space)."""
    pre = RP.UnicodeScripts()
    out = set()
    for c in ALL:
        ch = chr(c)
        left = pre.pre_tokenize_str("\u4e00" + ch + "a")
        right = pre.pre_tokenize_str("a" + ch + "\u4e00")
        if left and right and left[0][1] == (0, 2) and right[0][1] == (0, 2):
            out.add(c)
    return out


def _python_script(c: int) -> str:
    """The Unicode Script of ``c`` per the ``regex`` module (Hiragana/Katakana as Han)."""
    from embrace.tokenizers.pre_tokenizers import _script_regex

    m = _script_regex().match(chr(c))
    name = m.lastgroup if m is not None else "Any"
    return "Han" if name in ("Hiragana", "Katakana") else name


def probe_script_names(script_any: set[int]) -> dict[int, str]:
    """Code points whose script, for the reference, differs from the Unicode property:
    each is paired with a representative of its Python-side script and checked."""
    pre = RP.UnicodeScripts()
    scripts = {c: _python_script(c) for c in ALL if c not in script_any and c not in (0x20, 0x30FC)}
    reps: dict[str, str] = {}
    for c, name in scripts.items():
        if name != "Any" and name not in reps:
            reps[name] = chr(c)
    suspects = []
    items = [(c, n) for c, n in scripts.items() if n in reps]
    for i in range(0, len(items), CHUNK):
        chunk = items[i : i + CHUNK]
        text = "".join(reps[n] + chr(c) + " " for c, n in chunk)
        starts = {a for _, (a, b) in pre.pre_tokenize_str(text)}
        suspects.extend(c for k, (c, _) in enumerate(chunk) if 3 * k + 1 in starts)
    out = {}
    for c in suspects:
        for name, rep in reps.items():
            if len(pre.pre_tokenize_str(rep + chr(c))) == 1:
                out[c] = name
                break
        else:
            out[c] = f"Unknown{c:X}"
    return out


def single_char_diffs(ref_fn, ours_fn) -> dict[int, str]:
    out = {}
    for c in ALL:
        ch = chr(c)
        r = ref_fn(ch)
        if r != ours_fn(ch):
            out[c] = r
    return out


def ranges(cps: set[int]) -> str:
    out: list[list[int]] = []
    for c in sorted(cps):
        if out and out[-1][1] == c - 1:
            out[-1][1] = c
        else:
            out.append([c, c])
    return ",".join(f"{a:x}" if a == b else f"{a:x}-{b:x}" for a, b in out)


def wrap(text: str, width: int = 92) -> str:
    lines, line = [], ""
    for part in text.split(","):
        piece = part + ","
        if len(line) + len(piece) > width:
            lines.append(line)
            line = ""
        line += piece
    if line:
        lines.append(line)
    return "\n".join(f'    "{l}"' for l in lines) or '    ""'


def main() -> None:
    tables: dict[str, str] = {}
    print("punctuation", file=sys.stderr)
    tables["BERT_PUNCT"] = ranges(probe_pre_tokenizer_isolated(RP.BertPreTokenizer()))
    print("numeric", file=sys.stderr)
    tables["NUMERIC"] = ranges(probe_pre_tokenizer_isolated(RP.Digits(individual_digits=True)))
    print("control", file=sys.stderr)
    tables["BERT_CONTROL"] = ranges(
        probe_removed_by(RN.BertNormalizer(clean_text=True, handle_chinese_chars=False, strip_accents=False, lowercase=False))
    )
    print("non-spacing marks", file=sys.stderr)
    tables["NONSPACING_MARK"] = ranges(probe_removed_by(RN.StripAccents()))
    print("marks (BertNormalizer strip_accents)", file=sys.stderr)
    tables["BERT_MARK"] = ranges(
        probe_removed_by(RN.BertNormalizer(clean_text=False, handle_chinese_chars=False, strip_accents=True, lowercase=False))
    )
    print("word chars", file=sys.stderr)
    tables["RUST_WORD"] = ranges(probe_rust_regex_word())
    print("onig", file=sys.stderr)
    tables["ONIG_CN"] = ranges(probe_onig_class(r"\p{Cn}"))
    tables["ONIG_WORD"] = ranges(probe_onig_class(r"\w"))
    # Oniguruma's \w inside a bracket class is a different (smaller) set.
    tables["ONIG_CLASS_WORD"] = ranges(probe_onig_class(r"[\w]"))
    print("scripts", file=sys.stderr)
    script_any = probe_scripts_any()
    tables["SCRIPT_ANY"] = ranges(script_any)
    script_override = probe_script_names(script_any)
    print("case / normalization", file=sys.stderr)
    lower = single_char_diffs(RN.Lowercase().normalize_str, lambda ch: ch.lower())
    decomp = {}
    for form, norm in (("NFD", RN.NFD()), ("NFKD", RN.NFKD())):
        for c, value in single_char_diffs(norm.normalize_str, lambda ch: unicodedata.normalize(form, ch)).items():
            decomp.setdefault(form, {})[c] = value

    lines = [
        '"""Unicode character sets as the pinned reference engine sees them (generated).',
        "",
        "Generated by tests/tokenizers/make_unicode_tables.py -- do not edit by hand.",
        "The reference builds its classes from several Unicode versions; these sets",
        "reproduce them exactly. Each set is a comma-separated list of hex code points and",
        "``start-end`` ranges.",
        '"""',
        "",
        "from __future__ import annotations",
        "",
    ]
    for name, value in tables.items():
        lines.append(f"{name} = (")
        lines.append(wrap(value))
        lines.append(")")
        lines.append("")
    lines.append("# Scripts the reference assigns differently from the Unicode Script property.")
    lines.append("SCRIPT_OVERRIDE = {" + ", ".join(f"0x{c:x}: {v!r}" for c, v in sorted(script_override.items())) + "}")
    lines.append("")
    lines.append("# Lowercase mappings the reference knows and this Python's unicodedata does not (or maps differently).")
    lines.append("LOWER_EXTRA = {" + ", ".join(f"0x{c:x}: {v!r}" for c, v in sorted(lower.items())) + "}")
    lines.append("")
    for form in ("NFD", "NFKD"):
        items = decomp.get(form, {})
        lines.append(f"# {form} of single characters where the reference differs from unicodedata.")
        lines.append(f"{form}_OVERRIDE = {{" + ", ".join(f"0x{c:x}: {v!r}" for c, v in sorted(items.items())) + "}")
        lines.append("")
    OUT.write_text("\n".join(lines), encoding="utf-8")
    print(f"wrote {OUT}", file=sys.stderr)


if __name__ == "__main__":
    main()
