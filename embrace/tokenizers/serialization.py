"""``tokenizer.json`` <-> objects.

Components are looked up in registries keyed by their ``"type"``; a miss raises a
:class:`~embrace.errors.TokenizerError` naming the JSON path and listing the valid types.
The writer produces the reference's layout: same key order, compact or two-space pretty
form, floats written like the reference's JSON library (``1e-7``, ``0.0001``).

Example:
    >>> from embrace.tokenizers.serialization import normalizer_from_dict
    >>> normalizer_from_dict({"type": "Lowercase"})
    Lowercase()
    >>> dumps({"a": [1, 0.5, 1e-7]})
    '{"a":[1,0.5,1e-7]}'
"""

from __future__ import annotations

import json
import math
from decimal import Decimal
from typing import Any

from embrace.errors import TokenizerError

__all__ = [
    "dumps",
    "loads",
    "format_float",
    "tokenizer_to_dict",
    "tokenizer_from_dict",
    "normalizer_from_dict",
    "pre_tokenizer_from_dict",
    "post_processor_from_dict",
    "decoder_from_dict",
    "model_from_dict",
]


# --- JSON writing ------------------------------------------------------------------------


def format_float(value: float) -> str:
    """Shortest round-trip digits, laid out the way the reference's JSON writer does.

    Plain decimals for magnitudes in ``[1e-5, 1e16)``, otherwise ``d.ddde±exp`` without
    zero padding; non-finite values are written as ``null``.

    Example:
        >>> [format_float(x) for x in (1.0, 0.0001, 1e-5, 1e-7, 1.5e16, -2.5)]
        ['1.0', '0.0001', '0.00001', '1e-7', '1.5e+16', '-2.5']
    """
    if math.isnan(value) or math.isinf(value):
        return "null"
    if value == 0:
        return "-0.0" if math.copysign(1.0, value) < 0 else "0.0"
    sign = "-" if value < 0 else ""
    _, digit_tuple, exponent = Decimal(repr(abs(float(value)))).as_tuple()
    digits = "".join(map(str, digit_tuple)).lstrip("0")
    stripped = digits.rstrip("0")
    exponent += len(digits) - len(stripped)
    digits = stripped
    length = len(digits)
    k = int(exponent)  # value = int(digits) * 10**k
    kk = length + k  # 10**(kk-1) <= value < 10**kk
    if 0 <= k and kk <= 16:
        return sign + digits + "0" * k + ".0"
    if 0 < kk <= 16:
        return sign + digits[:kk] + "." + digits[kk:]
    if -5 < kk <= 0:
        return sign + "0." + "0" * (-kk) + digits
    exp = kk - 1
    exp_text = ("e+" if exp >= 0 else "e") + str(exp)
    if length == 1:
        return sign + digits + exp_text
    return sign + digits[0] + "." + digits[1:] + exp_text


def _plain(obj: Any) -> bool:
    """True when ``obj`` holds no float (so the stdlib encoder writes it identically)."""
    t = type(obj)
    if t is str or t is int or t is bool or obj is None:
        return True
    if t is float:
        return False
    if t is dict:
        return all(_plain(v) for v in obj.values())
    if t is list or t is tuple:
        return all(_plain(v) for v in obj)
    return True


def _flat_plain(obj: Any) -> bool:
    """Quick check for big containers of strings/ints (vocabularies, merges)."""
    t = type(obj)
    if t is dict:
        return all(type(v) is int for v in obj.values()) or _plain(obj)
    if t is list:
        return all(type(v) in (str, int) for v in obj) or _plain(obj)
    return _plain(obj)


def _dump_compact(obj: Any, out: list[str]) -> None:
    t = type(obj)
    if t is float:
        out.append(format_float(obj))
    elif t is dict:
        if _flat_plain(obj):
            out.append(json.dumps(obj, ensure_ascii=False, separators=(",", ":")))
            return
        out.append("{")
        first = True
        for k, v in obj.items():
            if not first:
                out.append(",")
            first = False
            out.append(json.dumps(str(k), ensure_ascii=False))
            out.append(":")
            _dump_compact(v, out)
        out.append("}")
    elif t is list or t is tuple:
        if _flat_plain(obj):
            out.append(json.dumps(obj, ensure_ascii=False, separators=(",", ":")))
            return
        out.append("[")
        first = True
        for v in obj:
            if not first:
                out.append(",")
            first = False
            _dump_compact(v, out)
        out.append("]")
    else:
        out.append(json.dumps(obj, ensure_ascii=False))


def _dump_pretty(obj: Any, indent: str, out: list[str]) -> None:
    t = type(obj)
    if t is float:
        out.append(format_float(obj))
        return
    if (t is dict or t is list or t is tuple) and _flat_plain(obj):
        text = json.dumps(obj, ensure_ascii=False, indent=2)
        out.append(text.replace("\n", "\n" + indent) if indent else text)
        return
    inner = indent + "  "
    if t is dict:
        if not obj:
            out.append("{}")
            return
        out.append("{\n")
        first = True
        for k, v in obj.items():
            if not first:
                out.append(",\n")
            first = False
            out.append(inner)
            out.append(json.dumps(str(k), ensure_ascii=False))
            out.append(": ")
            _dump_pretty(v, inner, out)
        out.append("\n" + indent + "}")
    elif t is list or t is tuple:
        if not obj:
            out.append("[]")
            return
        out.append("[\n")
        first = True
        for v in obj:
            if not first:
                out.append(",\n")
            first = False
            out.append(inner)
            _dump_pretty(v, inner, out)
        out.append("\n" + indent + "]")
    else:
        out.append(json.dumps(obj, ensure_ascii=False))


def dumps(obj: Any, pretty: bool = False) -> str:
    """JSON text as the reference writes it (compact, or two-space indented)."""
    out: list[str] = []
    if pretty:
        _dump_pretty(obj, "", out)
    else:
        _dump_compact(obj, out)
    return "".join(out)


_POW10 = [float(f"1e{i}") for i in range(309)]
_U64_MAX = (1 << 64) - 1


def parse_json_float(text: str) -> float:
    """Parse a JSON number the way the reference's JSON reader does (not always the
    correctly rounded value): up to 19-20 significant digits are kept as an integer,
    later digits are ignored, and the result is ``significand * 10**exp`` computed with
    one float multiplication or division. Matching it keeps e.g. Unigram scores
    bit-identical to the reference's after loading a file.

    Example:
        >>> parse_json_float("-7.2840800285339355")
        -7.284080028533936
    """
    s = text
    i, n = 0, len(s)
    positive = True
    if s.startswith("-"):
        positive = False
        i = 1
    significand = 0
    exponent = 0
    overflowed = False
    # integer part
    while i < n and s[i].isdigit():
        d = ord(s[i]) - 48
        if overflowed:
            exponent += 1
        elif significand > (_U64_MAX - d) // 10:
            overflowed = True
            exponent += 1
        else:
            significand = significand * 10 + d
        i += 1
    if i < n and s[i] == ".":
        i += 1
        while i < n and s[i].isdigit():
            d = ord(s[i]) - 48
            if not overflowed:
                if significand > (_U64_MAX - d) // 10:
                    overflowed = True
                else:
                    significand = significand * 10 + d
                    exponent -= 1
            i += 1
    if i < n and s[i] in "eE":
        i += 1
        sign = 1
        if i < n and s[i] in "+-":
            sign = -1 if s[i] == "-" else 1
            i += 1
        exp_digits = s[i:]
        if not exp_digits.isdigit():
            raise ValueError(f"invalid JSON number {text!r}")
        if len(exp_digits) > 10:
            value = 0.0 if (sign < 0 or significand == 0) else float("inf")
            return value if positive else -value
        exponent += sign * int(exp_digits)
    value = float(significand)
    while True:
        k = -exponent if exponent < 0 else exponent
        if k < len(_POW10):
            if exponent >= 0:
                value *= _POW10[k]
            else:
                value /= _POW10[k]
            break
        if value == 0.0:
            break
        if exponent >= 0:
            value = float("inf")
            break
        value /= 1e308
        exponent += 308
    return value if positive else -value


def loads(text: str) -> Any:
    """Parse JSON text; malformed input raises :class:`TokenizerError` with the position."""
    try:
        return json.loads(text, parse_float=parse_json_float)
    except json.JSONDecodeError as exc:
        raise TokenizerError(
            f"tokenizer.json is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
        ) from exc


# --- components ------------------------------------------------------------------------


def _component(kind: str, registry: dict[str, Any], data: Any, where: str) -> Any:
    if not isinstance(data, dict):
        raise TokenizerError(f"{where}: expected a JSON object, got {type(data).__name__}")
    type_name = data.get("type")
    if type_name is None:
        raise TokenizerError(f"{where}: missing field `type` (one of: {', '.join(sorted(registry))})")
    cls = registry.get(type_name) if isinstance(type_name, str) else None
    if cls is None:
        raise TokenizerError(
            f"{where}.type: unknown {kind} type {type_name!r}; valid types are: {', '.join(sorted(registry))}"
        )
    try:
        return cls.from_dict(data)
    except TokenizerError as exc:
        message = str(exc)
        if message.startswith(where):
            raise
        raise TokenizerError(f"{where}: {message}") from exc
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        detail = f"missing field `{exc.args[0]}`" if isinstance(exc, KeyError) and exc.args else str(exc)
        raise TokenizerError(f"{where} ({type_name}): {detail}") from exc


def normalizer_from_dict(data: Any, where: str = "normalizer") -> Any:
    """Build a normalizer from its JSON object."""
    from embrace.tokenizers.normalizers import NORMALIZERS

    return _component("normalizer", NORMALIZERS, data, where)


def pre_tokenizer_from_dict(data: Any, where: str = "pre_tokenizer") -> Any:
    """Build a pre-tokenizer from its JSON object."""
    from embrace.tokenizers.pre_tokenizers import PRE_TOKENIZERS

    return _component("pre_tokenizer", PRE_TOKENIZERS, data, where)


def post_processor_from_dict(data: Any, where: str = "post_processor") -> Any:
    """Build a post-processor from its JSON object."""
    from embrace.tokenizers.processors import PROCESSORS

    return _component("post_processor", PROCESSORS, data, where)


def decoder_from_dict(data: Any, where: str = "decoder") -> Any:
    """Build a decoder from its JSON object."""
    from embrace.tokenizers.decoders import DECODERS

    return _component("decoder", DECODERS, data, where)


def model_from_dict(data: Any, where: str = "model") -> Any:
    """Build a model from its JSON object (old files without ``"type"`` are accepted)."""
    from embrace.tokenizers.models import MODELS, Model

    if not isinstance(data, dict):
        raise TokenizerError(f"{where}: expected a JSON object, got {type(data).__name__}")
    type_name = data.get("type")
    if type_name is not None and (not isinstance(type_name, str) or type_name not in MODELS):
        raise TokenizerError(
            f"{where}.type: unknown model type {type_name!r}; valid types are: {', '.join(sorted(MODELS))}"
        )
    try:
        return Model.from_dict(data)
    except TokenizerError as exc:
        raise TokenizerError(f"{where}: {exc}") from exc
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        detail = f"missing field `{exc.args[0]}`" if isinstance(exc, KeyError) and exc.args else str(exc)
        raise TokenizerError(f"{where} ({type_name or 'untyped'}): {detail}") from exc


# --- truncation / padding -------------------------------------------------------------

_STRATEGY_TO_JSON = {"longest_first": "LongestFirst", "only_first": "OnlyFirst", "only_second": "OnlySecond"}
_STRATEGY_FROM_JSON = {v: k for k, v in _STRATEGY_TO_JSON.items()}
_DIRECTION_TO_JSON = {"left": "Left", "right": "Right"}
_DIRECTION_FROM_JSON = {v: k for k, v in _DIRECTION_TO_JSON.items()}


def _non_negative_int(value: Any, where: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise TokenizerError(f"{where}: expected a non-negative integer, got {value!r}")
    return value


def truncation_to_dict(params: "dict[str, Any] | None") -> "dict[str, Any] | None":
    if params is None:
        return None
    return {
        "direction": _DIRECTION_TO_JSON[params["direction"]],
        "max_length": params["max_length"],
        "strategy": _STRATEGY_TO_JSON[params["strategy"]],
        "stride": params["stride"],
    }


def truncation_from_dict(data: Any) -> "dict[str, Any] | None":
    if data is None:
        return None
    if not isinstance(data, dict):
        raise TokenizerError(f"truncation: expected an object or null, got {type(data).__name__}")
    for key in ("max_length", "strategy"):
        if key not in data:
            raise TokenizerError(f"truncation: missing field `{key}`")
    strategy = _STRATEGY_FROM_JSON.get(data["strategy"])
    if strategy is None:
        raise TokenizerError(
            f"truncation.strategy: unknown value {data['strategy']!r}; expected LongestFirst, OnlyFirst or OnlySecond"
        )
    direction = _DIRECTION_FROM_JSON.get(data.get("direction", "Right"))
    if direction is None:
        raise TokenizerError(f"truncation.direction: unknown value {data.get('direction')!r}; expected Left or Right")
    return {
        "max_length": _non_negative_int(data["max_length"], "truncation.max_length"),
        "stride": _non_negative_int(data.get("stride", 0), "truncation.stride"),
        "strategy": strategy,
        "direction": direction,
    }


def padding_to_dict(params: "dict[str, Any] | None") -> "dict[str, Any] | None":
    if params is None:
        return None
    strategy: Any = "BatchLongest" if params["length"] is None else {"Fixed": params["length"]}
    return {
        "strategy": strategy,
        "direction": _DIRECTION_TO_JSON[params["direction"]],
        "pad_to_multiple_of": params["pad_to_multiple_of"],
        "pad_id": params["pad_id"],
        "pad_type_id": params["pad_type_id"],
        "pad_token": params["pad_token"],
    }


def padding_from_dict(data: Any) -> "dict[str, Any] | None":
    if data is None:
        return None
    if not isinstance(data, dict):
        raise TokenizerError(f"padding: expected an object or null, got {type(data).__name__}")
    if "strategy" not in data:
        raise TokenizerError("padding: missing field `strategy`")
    strategy = data["strategy"]
    if strategy == "BatchLongest":
        length = None
    elif isinstance(strategy, dict) and set(strategy) == {"Fixed"}:
        length = _non_negative_int(strategy["Fixed"], "padding.strategy.Fixed")
    else:
        raise TokenizerError(f'padding.strategy: expected "BatchLongest" or {{"Fixed": n}}, got {strategy!r}')
    direction = _DIRECTION_FROM_JSON.get(data.get("direction", "Right"))
    if direction is None:
        raise TokenizerError(f"padding.direction: unknown value {data.get('direction')!r}; expected Left or Right")
    multiple = data.get("pad_to_multiple_of")
    if multiple is not None:
        multiple = _non_negative_int(multiple, "padding.pad_to_multiple_of")
    pad_token = data.get("pad_token", "[PAD]")
    if not isinstance(pad_token, str):
        raise TokenizerError(f"padding.pad_token: expected a string, got {pad_token!r}")
    return {
        "length": length,
        "pad_to_multiple_of": multiple,
        "pad_id": _non_negative_int(data.get("pad_id", 0), "padding.pad_id"),
        "pad_token": pad_token,
        "pad_type_id": _non_negative_int(data.get("pad_type_id", 0), "padding.pad_type_id"),
        "direction": direction,
    }


# --- the whole file ---------------------------------------------------------------------


def tokenizer_to_dict(tokenizer: Any) -> dict[str, Any]:
    """The ``tokenizer.json`` object of a :class:`~embrace.tokenizers.Tokenizer`."""
    added = tokenizer._added
    added_tokens = [added.added_tokens_map_r[i].to_dict(i) for i in sorted(added.added_tokens_map_r)]

    def component(obj: Any) -> Any:
        return None if obj is None else obj.to_dict()

    return {
        "version": "1.0",
        "truncation": truncation_to_dict(tokenizer._truncation),
        "padding": padding_to_dict(tokenizer._padding),
        "added_tokens": added_tokens,
        "normalizer": component(tokenizer._normalizer),
        "pre_tokenizer": component(tokenizer._pre_tokenizer),
        "post_processor": component(tokenizer._post_processor),
        "decoder": component(tokenizer._decoder),
        "model": tokenizer._model.to_dict(),
    }


def tokenizer_from_dict(data: Any) -> Any:
    """Build a :class:`~embrace.tokenizers.Tokenizer` from a parsed ``tokenizer.json``."""
    from embrace.tokenizers.added_vocabulary import AddedToken
    from embrace.tokenizers.tokenizer import Tokenizer

    if not isinstance(data, dict):
        raise TokenizerError(f"tokenizer.json must hold a JSON object, got {type(data).__name__}")
    version = data.get("version", "1.0")
    if version != "1.0":
        raise TokenizerError(f"version: unknown tokenizer version {version!r} (expected \"1.0\")")
    if "model" not in data:
        raise TokenizerError("model: missing field `model` (every tokenizer.json needs a model)")
    tokenizer = Tokenizer(model_from_dict(data["model"]))
    if data.get("normalizer") is not None:
        tokenizer.normalizer = normalizer_from_dict(data["normalizer"])
    if data.get("pre_tokenizer") is not None:
        tokenizer.pre_tokenizer = pre_tokenizer_from_dict(data["pre_tokenizer"])
    if data.get("post_processor") is not None:
        tokenizer.post_processor = post_processor_from_dict(data["post_processor"])
    if data.get("decoder") is not None:
        tokenizer.decoder = decoder_from_dict(data["decoder"])
    tokenizer._truncation = truncation_from_dict(data.get("truncation"))
    tokenizer._padding = padding_from_dict(data.get("padding"))
    added = data.get("added_tokens", [])
    if added is None:
        added = []
    if not isinstance(added, list):
        raise TokenizerError(f"added_tokens: expected a list, got {type(added).__name__}")
    vocab = tokenizer._added
    for i, entry in enumerate(added):
        _, token = AddedToken.from_dict(entry, f"added_tokens[{i}]")
        if token.special:
            vocab.add_special_tokens([token], tokenizer._model)
        else:
            vocab.add_tokens([token], tokenizer._model)
    return tokenizer
