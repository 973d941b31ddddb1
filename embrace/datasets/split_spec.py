"""Split expressions such as ``"train[:10%]"``, ``"train[100:200]"``, ``"train[:-10%]"`` or
``"train[10%:20%]+test[:50]"``, resolved to absolute row ranges with the reference's rules.

Percent boundaries round to the closest row by default (``round(pct * n / 100)``, ties to
even) or, with ``(pct1_dropremainder)``, to multiples of ``n // 100`` rows. Negative
boundaries count from the end; boundaries past the end are clipped.

Example:
    >>> resolve_split_spec("train[:10%]+test[-3:]", {"train": 95, "test": 20})
    [('train', 0, 10), ('test', 17, 20)]
    >>> resolve_split_spec("train[:33%](pct1_dropremainder)", {"train": 250})
    [('train', 0, 66)]
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

_SUB_SPEC = re.compile(
    r"""^(?P<split>\w+(?:\.\w+)*)
    (?:\[(?:(?P<from>-?[\d_]+)(?P<from_pct>%)?)?:(?:(?P<to>-?[\d_]+)(?P<to_pct>%)?)?\])?
    (?:\((?P<rounding>[^)]*)\))?$""",
    re.X,
)
_PLUS = re.compile(r"\s*\+\s*")
ROUNDINGS = ("closest", "pct1_dropremainder")


@dataclass(frozen=True)
class RelativeInstruction:
    """One ``split[from:to]`` term, boundaries in rows (``unit="abs"``) or percent (``"%"``)."""

    split_name: str
    from_: int | None
    to: int | None
    unit: str
    rounding: str

    def to_absolute(self, name2len: dict[str, int]) -> tuple[str, int, int]:
        if self.split_name not in name2len:
            raise ValueError(f'Unknown split "{self.split_name}". Should be one of {list(name2len)}.')
        n = name2len[self.split_name]
        start, stop = self.from_, self.to
        if self.unit == "%":
            if self.rounding == "pct1_dropremainder" and n < 100:
                raise ValueError(
                    f'"pct1_dropremainder" rounding on split "{self.split_name}" with {n} (< 100) rows always '
                    'gives an empty dataset; use the default "closest" rounding.'
                )
            to_rows = (lambda p: p * math.trunc(n / 100.0)) if self.rounding == "pct1_dropremainder" else (
                lambda p: int(round(p * n / 100.0))
            )
            start = 0 if start is None else to_rows(start)
            stop = n if stop is None else to_rows(stop)
        else:
            start = 0 if start is None else start
            stop = n if stop is None else stop
        if start < 0:
            start = max(n + start, 0)
        if stop < 0:
            stop = max(n + stop, 0)
        return self.split_name, min(start, n), min(stop, n)


def parse_split_spec(spec: str) -> list[RelativeInstruction]:
    """Parse ``"a[x:y]+b"`` into its terms; a malformed spec raises ``ValueError`` naming it."""
    terms = []
    for sub in _PLUS.split(str(spec).strip()):
        match = _SUB_SPEC.match(sub)
        if not match:
            raise ValueError(
                f"Unrecognized split format: {sub!r} in {spec!r}. Use e.g. 'train', 'train[:10%]', "
                "'train[100:200]', 'train[:-10%]' or 'train+test'."
            )
        unit = "%" if match.group("from_pct") or match.group("to_pct") else "abs"
        rounding = match.group("rounding") or "closest"
        if rounding not in ROUNDINGS:
            raise ValueError(f"Unknown rounding {rounding!r} in split {spec!r}; use one of {list(ROUNDINGS)}.")
        if unit != "%" and match.group("rounding"):
            raise ValueError(f"Rounding only applies to percent slices; got {spec!r}.")
        bounds = [int(match.group(k)) if match.group(k) else None for k in ("from", "to")]
        if unit == "%" and any(b is not None and abs(b) > 100 for b in bounds):
            raise ValueError(f"Percent slice boundaries must be within [-100, 100]; got {spec!r}.")
        terms.append(RelativeInstruction(match.group("split"), bounds[0], bounds[1], unit, rounding))
    return terms


def resolve_split_spec(spec: str, name2len: dict[str, int]) -> list[tuple[str, int, int]]:
    """``[(split, start, stop), ...]`` row ranges for ``spec`` given each split's length."""
    return [term.to_absolute(name2len) for term in parse_split_spec(spec)]
