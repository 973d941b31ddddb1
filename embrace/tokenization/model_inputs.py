"""Model inputs from ids: special-token framing, truncation and padding of encoded inputs.

The part of the tokenizer API that works on ids rather than text: ``prepare_for_model``,
``build_inputs_with_special_tokens``, ``get_special_tokens_mask`` and ``pad`` (which also
takes a list of dicts, as data collators pass it). The special-token layout is the engine
post-processor's, so these agree with what ``__call__`` produces.

Example:
    >>> from embrace.tokenizers import Tokenizer
    >>> from embrace.tokenizers.models import WordLevel
    >>> from embrace.tokenization import PreTrainedTokenizer
    >>> tok = PreTrainedTokenizer(tokenizer_object=Tokenizer(WordLevel({"<pad>": 0}, unk_token="<pad>")),
    ...                           pad_token="<pad>")
    >>> tok.pad({"input_ids": [[4, 5], [6]]})["input_ids"]
    [[4, 5], [6, 0]]
"""

from __future__ import annotations

from typing import Any

from ..errors import TokenizerError
from ..tokenizers import Encoding
from .batch_encoding import BatchEncoding
from .padding_truncation import PaddingStrategy, pad_one, resolve_strategies


def _to_python(value: Any) -> Any:
    """torch tensors / numpy arrays / numpy scalars -> python ints and lists."""
    if hasattr(value, "tolist"):
        return value.tolist()
    if isinstance(value, (list, tuple)):
        return [_to_python(v) for v in value]
    return value


class ModelInputsMixin:
    """Id-level methods of :class:`~embrace.tokenization.PreTrainedTokenizer` (needs ``_tokenizer``,
    the special-token attributes and ``_set_truncation_and_padding``)."""

    def _encoding_from_ids(self, ids: list[int]) -> Encoding:
        ids = [int(i) for i in _to_python(ids)]
        n = len(ids)
        return Encoding._make(
            ids=ids, type_ids=[0] * n, tokens=[self._tokenizer.id_to_token(i) or "" for i in ids],
            words=[None] * n, offsets=[(0, 0)] * n, special_tokens_mask=[0] * n, attention_mask=[1] * n,
        )

    def prepare_for_model(
        self, ids: list[int], pair_ids: "list[int] | None" = None, *, add_special_tokens: bool = True,
        padding: Any = False, truncation: Any = None, max_length: "int | None" = None, stride: int = 0,
        pad_to_multiple_of: "int | None" = None, padding_side: "str | None" = None,
        return_tensors: "str | None" = None, return_token_type_ids: "bool | None" = None,
        return_attention_mask: "bool | None" = None, return_overflowing_tokens: bool = False,
        return_special_tokens_mask: bool = False, return_length: bool = False, verbose: bool = True,
        prepend_batch_axis: bool = False,
    ) -> BatchEncoding:
        """Add special tokens, truncate and pad already-converted ids (v4 API)."""
        padding_strategy, truncation_strategy, max_length = resolve_strategies(
            padding=padding, truncation=truncation, max_length=max_length, pad_to_multiple_of=pad_to_multiple_of,
            model_max_length=self.model_max_length, has_pad_token=self.pad_token is not None, verbose=verbose)
        self._set_truncation_and_padding(padding_strategy, truncation_strategy, max_length, stride,
                                         pad_to_multiple_of, padding_side)
        pair = None if pair_ids is None else self._encoding_from_ids(pair_ids)
        encoding = self._tokenizer.post_process(self._encoding_from_ids(ids), pair, add_special_tokens)
        data: dict[str, Any] = {"input_ids": encoding.ids}
        if return_token_type_ids if return_token_type_ids is not None else "token_type_ids" in self.model_input_names:
            data["token_type_ids"] = encoding.type_ids
        if return_attention_mask if return_attention_mask is not None else "attention_mask" in self.model_input_names:
            data["attention_mask"] = encoding.attention_mask
        if return_special_tokens_mask:
            data["special_tokens_mask"] = encoding.special_tokens_mask
        if return_overflowing_tokens:
            data["overflowing_tokens"] = [i for o in encoding.overflowing for i in o.ids]
            data["num_truncated_tokens"] = sum(len(o.ids) for o in encoding.overflowing)
        if return_length:
            data["length"] = len(encoding.ids)
        self._eventual_warn_about_too_long_sequence(encoding.ids, max_length, verbose)
        return BatchEncoding(data, tensor_type=return_tensors, prepend_batch_axis=prepend_batch_axis)

    def build_inputs_with_special_tokens(self, token_ids_0: list[int], token_ids_1: "list[int] | None" = None) -> list[int]:
        """`token_ids_0` (and `token_ids_1`) with the model's special tokens around them."""
        pair = None if token_ids_1 is None else self._encoding_from_ids(token_ids_1)
        return self._post_process_plain(self._encoding_from_ids(token_ids_0), pair).ids

    def create_token_type_ids_from_sequences(self, token_ids_0: list[int], token_ids_1: "list[int] | None" = None) -> list[int]:
        """The token type ids of :meth:`build_inputs_with_special_tokens`' output."""
        pair = None if token_ids_1 is None else self._encoding_from_ids(token_ids_1)
        return self._post_process_plain(self._encoding_from_ids(token_ids_0), pair).type_ids

    def get_special_tokens_mask(self, token_ids_0: list[int], token_ids_1: "list[int] | None" = None,
                                already_has_special_tokens: bool = False) -> list[int]:
        """1 for special tokens, 0 for sequence tokens (of the built or of the given ids)."""
        if already_has_special_tokens:
            if token_ids_1 is not None:
                raise TokenizerError("Do not pass a second sequence when the ids already have their special tokens.")
            special = set(self.all_special_ids)
            return [1 if int(i) in special else 0 for i in _to_python(token_ids_0)]
        pair = None if token_ids_1 is None else self._encoding_from_ids(token_ids_1)
        return self._post_process_plain(self._encoding_from_ids(token_ids_0), pair).special_tokens_mask

    def _post_process_plain(self, encoding: Encoding, pair: "Encoding | None") -> Encoding:
        saved = self._tokenizer.truncation, self._tokenizer.padding
        self._tokenizer.no_truncation()
        self._tokenizer.no_padding()
        try:
            return self._tokenizer.post_process(encoding, pair, True)
        finally:
            if saved[0] is not None:
                self._tokenizer.enable_truncation(**saved[0])
            if saved[1] is not None:
                self._tokenizer.enable_padding(**saved[1])

    # -- padding already-encoded inputs -------------------------------------------------------

    def pad(self, encoded_inputs: Any, padding: Any = True, max_length: "int | None" = None,
            pad_to_multiple_of: "int | None" = None, padding_side: "str | None" = None,
            return_attention_mask: "bool | None" = None, return_tensors: "str | None" = None,
            verbose: bool = True) -> BatchEncoding:
        """Pad encoded inputs: one dict, a dict of batched lists, or a list of dicts (a collate_fn).

        Example:
            >>> from embrace.tokenizers import Tokenizer
            >>> from embrace.tokenizers.models import WordLevel
            >>> from embrace.tokenization import PreTrainedTokenizer
            >>> tok = PreTrainedTokenizer(tokenizer_object=Tokenizer(WordLevel({"<pad>": 0}, unk_token="<pad>")),
            ...                           pad_token="<pad>")
            >>> tok.pad([{"input_ids": [5, 6, 7]}, {"input_ids": [8]}])["attention_mask"]
            [[1, 1, 1], [1, 0, 0]]
        """
        if isinstance(encoded_inputs, (list, tuple)) and encoded_inputs and hasattr(encoded_inputs[0], "keys"):
            encoded_inputs = {key: [example[key] for example in encoded_inputs] for key in encoded_inputs[0].keys()}
        if not hasattr(encoded_inputs, "keys"):
            raise TypeError(f"pad() takes a dict, a BatchEncoding or a list of dicts, got {type(encoded_inputs).__name__}.")
        main = self.model_input_names[0]
        if main not in encoded_inputs:
            raise TokenizerError(f"pad() needs the key {main!r} in its input; got keys {list(encoded_inputs.keys())}.")
        required = encoded_inputs[main]
        if required is None or (hasattr(required, "__len__") and len(required) == 0):
            if return_attention_mask:
                encoded_inputs["attention_mask"] = []
            return encoded_inputs
        first = required[0]
        if isinstance(first, (list, tuple)):
            first = next((row[0] for row in required if len(row)), first)
        if not isinstance(first, (int, list, tuple)):  # tensors/arrays come back as the same kind
            kind = "pt" if type(first).__module__.startswith("torch") else "np"
            return_tensors = kind if return_tensors is None else return_tensors
        inputs = {key: _to_python(value) for key, value in encoded_inputs.items()}
        strategy, _, max_length = resolve_strategies(
            padding=padding, truncation=None, max_length=max_length, pad_to_multiple_of=None,
            model_max_length=self.model_max_length, has_pad_token=self.pad_token is not None, verbose=verbose)
        options = dict(main_input=main, pad_to_multiple_of=pad_to_multiple_of,
                       side=padding_side if padding_side is not None else self.padding_side,
                       return_attention_mask=("attention_mask" in self.model_input_names
                                              if return_attention_mask is None else return_attention_mask),
                       pad_token_id=self.pad_token_id, pad_token_type_id=self.pad_token_type_id)
        rows = inputs[main]
        if rows and not isinstance(rows[0], (list, tuple)):
            return BatchEncoding(pad_one(inputs, max_length=max_length, strategy=strategy, **options),
                                 tensor_type=return_tensors)
        sizes = {key: len(value) for key, value in inputs.items()}
        if len(set(sizes.values())) > 1:
            raise TokenizerError(f"pad(): the inputs have different batch sizes: {sizes}.")
        if strategy == PaddingStrategy.LONGEST:
            max_length = max(len(row) for row in rows)
            strategy = PaddingStrategy.MAX_LENGTH
        batch: dict[str, list[Any]] = {}
        for i in range(len(rows)):
            padded = pad_one({k: v[i] for k, v in inputs.items()}, max_length=max_length, strategy=strategy, **options)
            for key, value in padded.items():
                batch.setdefault(key, []).append(value)
        return BatchEncoding(batch, tensor_type=return_tensors)
