"""Entity-level scores for sequence labelling (``evaluate.load("seqeval")``).

Tag sequences (``B-PER I-PER O ...``) are turned into entity spans with the lenient chunk
rules of CoNLL's ``conlleval`` that seqeval uses by default: a chunk ends at O, at a new
B/S, after E/S, or where the type changes; an I or E without a B still starts a chunk.
Precision/recall/F1 compare the sets of (type, start, end) spans, per type and overall;
accuracy is token-level. ``mode="strict"`` instead keeps only entities that a tagging
scheme (IOB1/IOB2/IOE1/IOE2/IOBES/BILOU) allows, as ``seqeval.scheme`` defines them.

Example:
    >>> import embrace.evaluate as evaluate
    >>> out = evaluate.load("seqeval").compute(predictions=[["B-PER", "I-PER", "O"]], references=[["B-PER", "I-PER", "O"]])
    >>> out["overall_f1"], out["PER"]
    (1.0, {'precision': 1.0, 'recall': 1.0, 'f1': 1.0, 'number': 1})
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

from embrace.errors import MetricInputError
from embrace.evaluate.features import Sequence, Value
from embrace.evaluate.module import EvaluationModule

# (previous tag, tag) pairs that close the open chunk / open a new one, besides type changes
_ENDS = {("B", "B"), ("B", "S"), ("B", "O"), ("I", "B"), ("I", "S"), ("I", "O")}
_STARTS = {("E", "E"), ("E", "I"), ("S", "E"), ("S", "I"), ("O", "E"), ("O", "I")}


def _split_tag(chunk: str, suffix: bool) -> tuple[str, str]:
    """('B', 'PER') from 'B-PER' (or from 'PER-B' with suffix=True); '_' when there is no type."""
    if suffix:
        return chunk[-1], chunk[:-1].rsplit("-", maxsplit=1)[0] or "_"
    return chunk[0], chunk[1:].split("-", maxsplit=1)[-1] or "_"


def get_entities(seq: list, suffix: bool = False) -> list[tuple[str, int, int]]:
    """(type, start, end) of every chunk; a list of sentences is joined with an O between them.

    Example:
        >>> get_entities(["B-PER", "I-PER", "O", "B-LOC"])
        [('PER', 0, 1), ('LOC', 3, 3)]
    """
    if any(isinstance(s, list) for s in seq):
        seq = [tag for sentence in seq for tag in [*sentence, "O"]]
    prev_tag, prev_type, begin, chunks = "O", "", 0, []
    for i, chunk in enumerate([*seq, "O"]):
        if chunk not in ("O", "B", "I", "E", "S") and not (
            chunk.endswith(("-B", "-I", "-E", "-S")) if suffix else chunk.startswith(("B-", "I-", "E-", "S-"))
        ):
            warnings.warn(f"{chunk} seems not to be NE tag.", UserWarning, stacklevel=2)
        tag, type_ = _split_tag(chunk, suffix)
        type_changed = prev_type != type_
        if prev_tag in ("E", "S") or (prev_tag, tag) in _ENDS or (prev_tag not in ("O", ".") and type_changed):
            chunks.append((prev_type, begin, i - 1))
        if tag in ("B", "S") or (prev_tag, tag) in _STARTS or (tag not in ("O", ".") and type_changed):
            begin = i
        prev_tag, prev_type = tag, type_
    return chunks


# --- strict mode: entities must follow the scheme's rules exactly ------------------------

ANY, SAME, DIFF = "any", "same", "diff"
_ALL = "IOBESUL"


@dataclass(frozen=True)
class Scheme:
    """A tagging scheme as transition patterns (previous prefixes, current prefixes, type condition):
    ``start`` opens an entity, ``inside`` continues it, ``end`` says the previous token closed it."""

    allowed: str
    start: tuple[tuple[str, str, str], ...]
    inside: tuple[tuple[str, str, str], ...]
    end: tuple[tuple[str, str, str], ...]


SCHEMES: dict[str, Scheme] = {
    "IOB1": Scheme("IOB",
                   start=(("O", "I", ANY), ("I", "I", DIFF), ("B", "I", ANY), ("I", "B", SAME), ("B", "B", SAME)),
                   inside=(("B", "I", SAME), ("I", "I", SAME)),
                   end=(("I", "I", DIFF), ("I", "O", ANY), ("I", "B", ANY), ("B", "O", ANY), ("B", "I", DIFF), ("B", "B", SAME))),
    "IOE1": Scheme("IOE",
                   start=(("O", "I", ANY), ("I", "I", DIFF), ("E", "I", ANY), ("E", "E", SAME)),
                   inside=(("I", "I", SAME), ("I", "E", SAME)),
                   end=(("I", "I", DIFF), ("I", "O", ANY), ("I", "E", DIFF), ("E", "I", SAME), ("E", "E", SAME))),
    "IOB2": Scheme("IOB", start=((_ALL, "B", ANY),), inside=(("B", "I", SAME), ("I", "I", SAME)),
                   end=(("I", "O", ANY), ("I", "I", DIFF), ("I", "B", ANY), ("B", "O", ANY), ("B", "I", DIFF), ("B", "B", ANY))),
    "IOE2": Scheme("IOE",
                   start=(("O", "I", ANY), ("O", "E", ANY), ("E", "I", ANY), ("E", "E", ANY), ("I", "I", DIFF), ("I", "E", DIFF)),
                   inside=(("I", "E", SAME), ("I", "I", SAME)), end=(("E", _ALL, ANY),)),
    "IOBES": Scheme("IOBES", start=((_ALL, "B", ANY), (_ALL, "S", ANY)),
                    inside=(("B", "I", SAME), ("B", "E", SAME), ("I", "I", SAME), ("I", "E", SAME)),
                    end=(("S", _ALL, ANY), ("E", _ALL, ANY))),
    "BILOU": Scheme("BILOU", start=((_ALL, "B", ANY), (_ALL, "U", ANY)),
                    inside=(("B", "I", SAME), ("B", "L", SAME), ("I", "I", SAME), ("I", "L", SAME)),
                    end=(("U", _ALL, ANY), ("L", _ALL, ANY))),
}

# prefix sets that identify a scheme when none is given (checked in this order)
_AUTO_DETECT = (
    ("IOB2", ("IOB", "IB", "BO", "B")),
    ("IOE2", ("IOE", "IE", "EO", "E")),
    ("IOBES", ("IOBES", "IBES", "IOBE", "OBES", "IBE", "BES", "OBE", "BE", "S")),
    ("BILOU", ("IOBLU", "IBLU", "IOBL", "OBLU", "IBL", "BLU", "OBL", "BL", "U")),
)


def _strict_token(token: str, suffix: bool) -> tuple[str, str]:
    """(prefix letter, type) of a tag; the type keeps inner dashes ('B-PER-X' -> 'PER-X')."""
    prefix = token[-1] if suffix else token[0]
    if prefix not in _ALL:
        raise MetricInputError(f"Metric 'seqeval': tag {token!r} has no valid prefix for strict mode; use one of {list(_ALL)}.")
    return prefix, (token[:-1] if suffix else token[1:]).strip("-") or "_"


def detect_scheme(sequences: list, suffix: bool = False) -> str:
    """The scheme whose prefixes the tags use (seqeval's auto-detection in strict mode).

    Example:
        >>> detect_scheme([["B-PER", "E-PER", "S-LOC", "O"]])
        'IOBES'
    """
    prefixes = {_strict_token(tag, suffix)[0] for seq in sequences for tag in seq}
    for name, allowed in _AUTO_DETECT:
        if any(prefixes == set(option) for option in allowed):
            return name
    raise MetricInputError(f"Metric 'seqeval': no supported scheme uses the prefixes {sorted(prefixes)}; pass scheme=.")


def _matches(patterns: tuple, prev: tuple[str, str], cur: tuple[str, str]) -> bool:
    return any(
        prev[0] in p and cur[0] in c and (cond == ANY or (cond == SAME) == (prev[1] == cur[1]))
        for p, c, cond in patterns
    )


def strict_entities(seq: list[str], scheme: Scheme, suffix: bool, sent_id: int) -> list[tuple[str, int, int, int]]:
    """(type, sentence, start, end-exclusive) of entities that open, continue and close by the scheme's rules."""
    outside = ("O", "_")
    tokens = [_strict_token(t, suffix) for t in seq] + [outside]
    entities, i, prev = [], 0, outside
    while i < len(tokens):
        token = tokens[i]
        if token[0] not in scheme.allowed:
            raise MetricInputError(f"Invalid token is found: {seq[i]}. Allowed prefixes are: {'|'.join(scheme.allowed)}.")
        if _matches(scheme.start, prev, token):
            end, last = i + 1, token
            while end < len(tokens) and _matches(scheme.inside, last, tokens[end]):
                last, end = tokens[end], end + 1
            if _matches(scheme.end, tokens[end - 1], tokens[end]):
                entities.append((token[1], sent_id, i, end))
            i = end
        else:
            i += 1
        prev = tokens[i - 1]
    return entities


def _divide(numerator: int, denominator: int, fill: float) -> float:
    return numerator / denominator if denominator else fill


def _prf(tp: int, n_pred: int, n_true: int, fill: float) -> tuple[float, float, float]:
    precision, recall = _divide(tp, n_pred, fill), _divide(tp, n_true, fill)
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


class Seqeval(EvaluationModule):
    """Per-type and overall entity precision/recall/F1 plus token accuracy.

    ``mode="strict"`` counts only entities that follow ``scheme`` exactly (IOB1, IOB2, IOE1,
    IOE2, IOBES, BILOU; detected from the references when not given); otherwise ``scheme``
    changes nothing, as in seqeval. ``sample_weight`` does not change entity-level
    micro/per-type scores in the reference either, so it is accepted and unused.

    Example:
        >>> import embrace.evaluate as evaluate
        >>> preds = [["O", "B-MISC", "I-MISC", "O"], ["B-PER", "I-PER", "O"]]
        >>> refs = [["O", "B-MISC", "I-MISC", "O"], ["B-PER", "O", "O"]]
        >>> out = evaluate.load("seqeval").compute(predictions=preds, references=refs)
        >>> out["overall_precision"], out["overall_recall"], round(out["overall_accuracy"], 4)
        (0.5, 0.5, 0.8571)
    """

    name = "seqeval"
    description = "seqeval: entity-level precision, recall and F1 for sequence labelling (CoNLL chunking)."
    features_spec = {"predictions": Sequence(Value("string")), "references": Sequence(Value("string"))}

    def _compute(
        self, predictions: list, references: list, *, suffix: bool = False, scheme: str | None = None,
        mode: str | None = None, sample_weight: Any = None, zero_division: Any = "warn",
    ) -> dict[str, Any]:
        del sample_weight  # only weights the 'samples' average, which this metric does not report
        if scheme is not None and scheme not in SCHEMES:
            raise MetricInputError(f"Scheme should be one of {list(SCHEMES)}, got {scheme!r}.")
        for i, (pred, ref) in enumerate(zip(predictions, references)):
            if len(pred) != len(ref):
                raise MetricInputError(
                    f"Metric 'seqeval': example {i} has {len(pred)} predicted tags but {len(ref)} reference tags; they must align."
                )
        fill = 0.0 if zero_division in ("warn", 0) else 1.0
        if mode == "strict":  # any other mode means the default chunking, as in seqeval
            rules = SCHEMES[scheme or detect_scheme(references, suffix)]

            def entities(seqs: list) -> list[tuple]:
                return [e for i, seq in enumerate(seqs) for e in strict_entities(list(seq), rules, suffix, i)]
        else:
            def entities(seqs: list) -> list[tuple]:
                return get_entities([list(s) for s in seqs], suffix)

        true_spans: dict[str, set] = {}
        pred_spans: dict[str, set] = {}
        for spans, seqs in ((true_spans, references), (pred_spans, predictions)):
            for type_, *where in entities(seqs):
                spans.setdefault(type_, set()).add(tuple(where))
        result: dict[str, Any] = {}
        total_tp = total_pred = total_true = 0
        for type_ in sorted(set(true_spans) | set(pred_spans)):
            truth, guess = true_spans.get(type_, set()), pred_spans.get(type_, set())
            tp = len(truth & guess)
            precision, recall, f1 = _prf(tp, len(guess), len(truth), fill)
            result[type_] = {"precision": precision, "recall": recall, "f1": f1, "number": len(truth)}
            total_tp, total_pred, total_true = total_tp + tp, total_pred + len(guess), total_true + len(truth)
        precision, recall, f1 = _prf(total_tp, total_pred, total_true, fill)
        flat_pred = [tag for s in predictions for tag in s]
        flat_true = [tag for s in references for tag in s]
        result["overall_precision"], result["overall_recall"], result["overall_f1"] = precision, recall, f1
        result["overall_accuracy"] = sum(p == t for p, t in zip(flat_pred, flat_true)) / len(flat_true)
        return result
