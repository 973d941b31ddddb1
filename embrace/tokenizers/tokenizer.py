"""The Tokenizer: normalizer -> pre-tokenizer -> model -> post-processor (-> decoder).

:class:`Tokenizer` runs the five stages, handles added tokens, truncation (with
overflowing pieces) and padding, and reads/writes ``tokenizer.json``.

Example:
    >>> from embrace.tokenizers import Tokenizer
    >>> from embrace.tokenizers.models import WordLevel
    >>> from embrace.tokenizers.pre_tokenizers import Whitespace
    >>> tok = Tokenizer(WordLevel({"[UNK]": 0, "hello": 1, "world": 2}, unk_token="[UNK]"))
    >>> tok.pre_tokenizer = Whitespace()
    >>> enc = tok.encode("hello big world")
    >>> enc.tokens, enc.ids
    (['hello', '[UNK]', 'world'], [1, 0, 2])
    >>> tok.decode(enc.ids)
    'hello [UNK] world'
"""

from __future__ import annotations

import gc
import os
from typing import Any, Iterable, Iterator, Sequence

from embrace.errors import TokenizerError
from embrace.tokenizers.added_vocabulary import AddedToken, AddedVocabulary
from embrace.tokenizers.encoding import Encoding, pad_encodings
from embrace.tokenizers.normalized import NormalizedString, PreTokenizedString
from embrace.utils.files import write_text_atomically

__all__ = ["Tokenizer"]

_STRATEGIES = ("longest_first", "only_first", "only_second")


def _check_component(value: Any, base: type, what: str) -> Any:
    if value is not None and not isinstance(value, base):
        raise TypeError(f"{what} must be a {base.__name__} or None, got {type(value).__name__}")
    return value


def _text(value: Any, what: str) -> str:
    if not isinstance(value, str):
        raise TypeError(f"{what} must be a str, got {type(value).__name__}")
    return value


def _pretokenized(value: Any, what: str) -> list[str]:
    if isinstance(value, str) or not isinstance(value, (list, tuple)) and not hasattr(value, "tolist"):
        raise TypeError(f"{what} must be a list or tuple of str when is_pretokenized=True")
    if hasattr(value, "tolist") and not isinstance(value, (list, tuple)):
        value = value.tolist()
    out = list(value)
    for word in out:
        if not isinstance(word, str):
            raise TypeError(f"{what} must contain only str, got {type(word).__name__}")
    return out


def _batch_item(item: Any, is_pretokenized: bool) -> tuple[Any, Any]:
    """One ``encode_batch`` input: a sequence, or a pair given as a tuple/2-list."""
    if not is_pretokenized:
        if isinstance(item, str):
            return item, None
        if isinstance(item, (tuple, list)) and len(item) == 2 and all(isinstance(s, str) for s in item):
            return item[0], item[1]
        raise TypeError("TextEncodeInput must be Union[TextInputSequence, Tuple[InputSequence, InputSequence]]")
    if isinstance(item, tuple) and len(item) == 2 and all(
        isinstance(s, (list, tuple)) or hasattr(s, "tolist") for s in item
    ):
        return _pretokenized(item[0], "input"), _pretokenized(item[1], "pair")
    try:
        return _pretokenized(item, "input"), None
    except TypeError:
        pass
    if isinstance(item, list) and len(item) == 2:
        return _pretokenized(item[0], "input"), _pretokenized(item[1], "pair")
    raise TypeError(
        "PreTokenizedEncodeInput must be Union[PreTokenizedInputSequence, "
        "Tuple[PreTokenizedInputSequence, PreTokenizedInputSequence]]"
    )


class Tokenizer:
    """A tokenization pipeline around a model.

    Args:
        model: the :class:`~embrace.tokenizers.models.Model` (BPE, WordPiece, WordLevel,
            Unigram).

    Example:
        >>> from embrace.tokenizers.models import BPE
        >>> Tokenizer(BPE()).get_vocab_size()
        0
    """

    def __init__(self, model: Any) -> None:
        from embrace.tokenizers.models import Model

        if not isinstance(model, Model):
            raise TypeError(f"Tokenizer expects a Model, got {type(model).__name__}")
        self._model = model
        self._normalizer: Any = None
        self._pre_tokenizer: Any = None
        self._post_processor: Any = None
        self._decoder: Any = None
        self._added = AddedVocabulary()
        self._truncation: "dict[str, Any] | None" = None
        self._padding: "dict[str, Any] | None" = None

    # --- components --------------------------------------------------------------------
    @property
    def model(self) -> Any:
        """The model (settable)."""
        return self._model

    @model.setter
    def model(self, model: Any) -> None:
        from embrace.tokenizers.models import Model

        if not isinstance(model, Model):
            raise TypeError(f"model must be a Model, got {type(model).__name__}")
        self._model = model
        self._added.invalidate()

    @property
    def normalizer(self) -> Any:
        """The normalizer, or ``None`` (settable)."""
        return self._normalizer

    @normalizer.setter
    def normalizer(self, normalizer: Any) -> None:
        from embrace.tokenizers.normalizers import Normalizer

        self._normalizer = _check_component(normalizer, Normalizer, "normalizer")
        self._added.invalidate()

    @property
    def pre_tokenizer(self) -> Any:
        """The pre-tokenizer, or ``None`` (settable)."""
        return self._pre_tokenizer

    @pre_tokenizer.setter
    def pre_tokenizer(self, pre_tokenizer: Any) -> None:
        from embrace.tokenizers.pre_tokenizers import PreTokenizer

        self._pre_tokenizer = _check_component(pre_tokenizer, PreTokenizer, "pre_tokenizer")

    @property
    def post_processor(self) -> Any:
        """The post-processor, or ``None`` (settable)."""
        return self._post_processor

    @post_processor.setter
    def post_processor(self, post_processor: Any) -> None:
        from embrace.tokenizers.processors import PostProcessor

        self._post_processor = _check_component(post_processor, PostProcessor, "post_processor")

    @property
    def decoder(self) -> Any:
        """The decoder, or ``None`` (settable)."""
        return self._decoder

    @decoder.setter
    def decoder(self, decoder: Any) -> None:
        from embrace.tokenizers.decoders import Decoder

        self._decoder = _check_component(decoder, Decoder, "decoder")

    @property
    def encode_special_tokens(self) -> bool:
        """When true, special tokens in the input are tokenized like ordinary text."""
        return self._added.encode_special_tokens

    @encode_special_tokens.setter
    def encode_special_tokens(self, value: bool) -> None:
        self._added.encode_special_tokens = bool(value)

    # --- vocabulary ------------------------------------------------------------------
    def get_vocab(self, with_added_tokens: bool = True) -> dict[str, int]:
        """Token -> id, with or without the added tokens."""
        vocab = self._model.get_vocab()
        if with_added_tokens:
            vocab.update(self._added.added_tokens_map)
        return vocab

    def get_vocab_size(self, with_added_tokens: bool = True) -> int:
        """The size of the vocabulary, with or without the added tokens."""
        if with_added_tokens:
            return len(self.get_vocab(True))
        return self._model.get_vocab_size()

    def get_added_tokens_decoder(self) -> dict[int, AddedToken]:
        """Id -> :class:`AddedToken` for every added token, sorted by id."""
        return self._added.get_added_tokens_decoder()

    def token_to_id(self, token: str) -> "int | None":
        """The id of ``token`` (added tokens first, then the model), or ``None``."""
        return self._added.token_to_id(token, self._model)

    def id_to_token(self, id: int) -> "str | None":  # noqa: A002 - reference argument name
        """The token with id ``id``, or ``None``."""
        tok = self._added.id_to_text(id, self._model, self._normalizer)
        return tok if tok is not None else self._model.id_to_token(id)

    def _as_added(self, tokens: Iterable[Any], special: bool) -> list[AddedToken]:
        if not isinstance(tokens, (list, tuple)):
            raise TypeError(f"Input must be a List[Union[str, AddedToken]], got {type(tokens).__name__}")
        out = []
        for tok in tokens:
            if isinstance(tok, str):
                out.append(AddedToken(tok, special=special))
            elif isinstance(tok, AddedToken):
                tok = tok.copy()
                if special:
                    tok.special = True
                out.append(tok)
            else:
                raise TypeError("Input must be a List[Union[str, AddedToken]]")
        return out

    def add_tokens(self, tokens: list["str | AddedToken"]) -> int:
        """Add tokens (``normalized=True`` by default); returns how many were new."""
        return self._added.add_tokens(self._as_added(tokens, False), self._model)

    def add_special_tokens(self, tokens: list["str | AddedToken"]) -> int:
        """Add special tokens (skipped when decoding); returns how many were new."""
        return self._added.add_special_tokens(self._as_added(tokens, True), self._model)

    # --- truncation / padding -------------------------------------------------------
    def enable_truncation(
        self, max_length: int, stride: int = 0, strategy: str = "longest_first", direction: str = "right"
    ) -> None:
        """Truncate every encoding to ``max_length`` tokens (special tokens included).

        Args:
            max_length: the maximum length.
            stride: tokens of context repeated in each overflowing piece.
            strategy: ``longest_first``, ``only_first`` or ``only_second``.
            direction: ``right`` or ``left``.
        """
        if strategy not in _STRATEGIES:
            raise TokenizerError(
                f"Unknown `strategy`: `{strategy}`. Use one of `longest_first`, `only_first`, or `only_second`"
            )
        if direction not in ("left", "right"):
            raise TokenizerError(f"Unknown `direction`: `{direction}`. Use one of `left` or `right`")
        if not isinstance(max_length, int) or max_length < 0:
            raise TokenizerError(f"max_length must be a non-negative int, got {max_length!r}")
        if not isinstance(stride, int) or stride < 0:
            raise TokenizerError(f"stride must be a non-negative int, got {stride!r}")
        n_added = self.num_special_tokens_to_add(False)
        effective = max_length - n_added
        if 0 <= effective < stride:
            raise TokenizerError(
                f"tokenizer stride set to {stride}, which is greater than or equal to its effective max "
                f"length of {effective} (= {max_length} original max length - {n_added} added special tokens), "
            )
        self._truncation = {"max_length": max_length, "stride": stride, "strategy": strategy, "direction": direction}

    def no_truncation(self) -> None:
        """Disable truncation."""
        self._truncation = None

    @property
    def truncation(self) -> "dict[str, Any] | None":
        """The truncation parameters, or ``None`` (use :meth:`enable_truncation` to set)."""
        return None if self._truncation is None else dict(self._truncation)

    def enable_padding(
        self,
        direction: str = "right",
        pad_id: int = 0,
        pad_type_id: int = 0,
        pad_token: str = "[PAD]",
        length: "int | None" = None,
        pad_to_multiple_of: "int | None" = None,
    ) -> None:
        """Pad every batch to its longest encoding, or to ``length``.

        Args:
            direction: ``right`` or ``left``.
            pad_id: id of the padding token.
            pad_type_id: type id of the padding tokens.
            pad_token: the padding token string.
            length: a fixed length (``None``: the longest of the batch).
            pad_to_multiple_of: round the length up to a multiple of this.
        """
        if direction not in ("left", "right"):
            raise TokenizerError(f"Unknown `direction`: `{direction}`. Use one of `left` or `right`")
        self._padding = {
            "length": length,
            "pad_to_multiple_of": pad_to_multiple_of,
            "pad_id": pad_id,
            "pad_token": pad_token,
            "pad_type_id": pad_type_id,
            "direction": direction,
        }

    def no_padding(self) -> None:
        """Disable padding."""
        self._padding = None

    @property
    def padding(self) -> "dict[str, Any] | None":
        """The padding parameters, or ``None`` (use :meth:`enable_padding` to set)."""
        return None if self._padding is None else dict(self._padding)

    def num_special_tokens_to_add(self, is_pair: bool) -> int:
        """How many special tokens the post-processor adds to a single input or a pair."""
        if self._post_processor is None:
            return 0
        return self._post_processor.num_special_tokens_to_add(is_pair)

    # --- encoding -----------------------------------------------------------------
    def _encode_text(self, text: str, type_id: int, word_idx: "int | None") -> Encoding:
        pretok = self._added.extract_and_normalize(self._normalizer, text, self._model)
        if self._pre_tokenizer is not None:
            self._pre_tokenizer.pre_tokenize(pretok)
        pretok.tokenize_chars(self._model.tokenize)
        return pretok.to_encoding(type_id, word_idx)

    def _encode_sequence(self, sequence: Any, type_id: int, is_pretokenized: bool) -> Encoding:
        if not is_pretokenized:
            return self._encode_text(sequence, type_id, None)
        out = Encoding()
        for i, word in enumerate(sequence):
            out.merge_with(self._encode_text(word, type_id, i), False)
        return out

    def _encode(self, sequence: Any, pair: Any, is_pretokenized: bool, add_special_tokens: bool) -> Encoding:
        encoding = self._encode_sequence(sequence, 0, is_pretokenized)
        pair_encoding = None if pair is None else self._encode_sequence(pair, 1, is_pretokenized)
        return self._post_process(encoding, pair_encoding, add_special_tokens)

    def encode(
        self,
        sequence: Any,
        pair: Any = None,
        is_pretokenized: bool = False,
        add_special_tokens: bool = True,
    ) -> Encoding:
        """Encode a sequence (and optionally its pair).

        Args:
            sequence: a ``str``, or a list of words when ``is_pretokenized=True``.
            pair: an optional second sequence of the same kind.
            is_pretokenized: the input is already split into words.
            add_special_tokens: let the post-processor add its special tokens.

        Example:
            >>> from embrace.tokenizers.models import WordLevel
            >>> Tokenizer(WordLevel({"a": 0}, unk_token="a")).encode("a").ids
            [0]
        """
        if is_pretokenized:
            sequence = _pretokenized(sequence, "sequence")
            if pair is not None:
                pair = _pretokenized(pair, "pair")
        else:
            sequence = _text(sequence, "sequence")
            if pair is not None:
                pair = _text(pair, "pair")
        return self._encode(sequence, pair, is_pretokenized, add_special_tokens)

    def encode_batch(
        self, input: Sequence[Any], is_pretokenized: bool = False, add_special_tokens: bool = True
    ) -> list[Encoding]:
        """Encode a batch; pairs are given as ``(sequence, pair)`` tuples. Padding, when
        enabled, is applied across the batch.

        Example:
            >>> from embrace.tokenizers.models import WordLevel
            >>> tok = Tokenizer(WordLevel({"a": 0}, unk_token="a"))
            >>> [e.ids for e in tok.encode_batch(["a", ("a", "a")])]
            [[0], [0, 0]]
        """
        if isinstance(input, str):
            raise TypeError("encode_batch expects a list of inputs, not a str")
        items = [_batch_item(item, is_pretokenized) for item in input]
        # Encoding a batch allocates many small acyclic objects; the cyclic garbage
        # collector would rescan the growing batch again and again for nothing.
        gc_was_enabled = gc.isenabled()
        gc.disable()
        try:
            encodings = [self._encode(seq, pair, is_pretokenized, add_special_tokens) for seq, pair in items]
            if self._padding is not None:
                pad_encodings(encodings, **self._padding)
        finally:
            if gc_was_enabled:
                gc.enable()
        return encodings

    def encode_batch_fast(
        self, input: Sequence[Any], is_pretokenized: bool = False, add_special_tokens: bool = True
    ) -> list[Encoding]:
        """Like :meth:`encode_batch` (offsets are computed too)."""
        return self.encode_batch(input, is_pretokenized, add_special_tokens)

    async def async_encode(
        self, sequence: Any, pair: Any = None, is_pretokenized: bool = False, add_special_tokens: bool = True
    ) -> Encoding:
        """Awaitable :meth:`encode`."""
        return self.encode(sequence, pair, is_pretokenized, add_special_tokens)

    async def async_encode_batch(
        self, input: Sequence[Any], is_pretokenized: bool = False, add_special_tokens: bool = True
    ) -> list[Encoding]:
        """Awaitable :meth:`encode_batch`."""
        return self.encode_batch(input, is_pretokenized, add_special_tokens)

    async def async_encode_batch_fast(
        self, input: Sequence[Any], is_pretokenized: bool = False, add_special_tokens: bool = True
    ) -> list[Encoding]:
        """Awaitable :meth:`encode_batch_fast`."""
        return self.encode_batch_fast(input, is_pretokenized, add_special_tokens)

    async def async_decode_batch(self, sequences: Sequence[Sequence[int]], skip_special_tokens: bool = True) -> list[str]:
        """Awaitable :meth:`decode_batch`."""
        return self.decode_batch(sequences, skip_special_tokens)

    # --- post-processing --------------------------------------------------------------
    def _truncate(self, encoding: Encoding, pair: "Encoding | None", add_special_tokens: bool) -> None:
        params = self._truncation
        assert params is not None
        max_length = params["max_length"]
        n_added = self.num_special_tokens_to_add(pair is not None)
        if add_special_tokens and n_added > 0:
            max_length -= n_added
            if max_length < 0:
                # The reference's unsigned subtraction wraps: nothing gets truncated.
                return
        stride, direction, strategy = params["stride"], params["direction"], params["strategy"]
        if max_length == 0:
            encoding.truncate(0, stride, direction)
            if pair is not None:
                pair.truncate(0, stride, direction)
            return
        total = len(encoding) + (len(pair) if pair is not None else 0)
        if total <= max_length:
            return
        to_remove = total - max_length
        if strategy == "longest_first":
            if pair is None:
                encoding.truncate(total - to_remove, stride, direction)
                return
            n1, n2 = len(encoding), len(pair)
            swap = n1 > n2
            if swap:
                n1, n2 = n2, n1
            if n1 > max_length:
                n2 = n1
            else:
                n2 = max(n1, max_length - n1)
            if n1 + n2 > max_length:
                n1 = max_length // 2
                n2 = n1 + max_length % 2
            if swap:
                n1, n2 = n2, n1
            encoding.truncate(n1, stride, direction)
            pair.truncate(n2, stride, direction)
            return
        if strategy == "only_first":
            target = encoding
        else:
            if pair is None:
                raise TokenizerError("Truncation error: Second sequence not provided")
            target = pair
        if len(target) > to_remove:
            target.truncate(len(target) - to_remove, stride, direction)
        else:
            raise TokenizerError("Truncation error: Sequence to truncate too short to respect the provided max_length")

    def _post_process(self, encoding: Encoding, pair: "Encoding | None", add_special_tokens: bool) -> Encoding:
        from embrace.tokenizers.processors import prepare_encodings

        if self._truncation is not None:
            self._truncate(encoding, pair, add_special_tokens)
        processor = self._post_processor
        if processor is not None:
            encodings = [encoding] if pair is None else [encoding, pair]
            prepare_encodings(encodings)
            final = Encoding._concat(processor.process_encodings(encodings, add_special_tokens))
        elif pair is None:
            final = encoding
        else:
            encoding.set_sequence_id(0)
            pair.set_sequence_id(1)
            final = Encoding._concat([encoding, pair])
        if self._padding is not None:
            pad_encodings([final], **self._padding)
        return final

    def post_process(
        self, encoding: Encoding, pair: "Encoding | None" = None, add_special_tokens: bool = True
    ) -> Encoding:
        """Truncate, add special tokens and pad, as :meth:`encode` does after the model.

        The given encodings are not modified.
        """
        return self._post_process(encoding.copy(), None if pair is None else pair.copy(), add_special_tokens)

    # --- decoding -------------------------------------------------------------------
    def decode(self, ids: Sequence[int], skip_special_tokens: bool = True) -> str:
        """Turn ids back into text (special tokens dropped unless asked otherwise).

        Example:
            >>> from embrace.tokenizers.models import WordLevel
            >>> Tokenizer(WordLevel({"a": 0, "b": 1}, unk_token="a")).decode([0, 1])
            'a b'
        """
        if isinstance(ids, (str, bytes)) or not hasattr(ids, "__iter__"):
            raise TypeError("decode expects a sequence of ids")
        tokens = []
        added = self._added
        model, normalizer = self._model, self._normalizer
        for tid in ids:
            tid = int(tid)
            if not 0 <= tid < 1 << 32:
                raise OverflowError(f"token id {tid} does not fit in an unsigned 32-bit integer")
            tok = added.id_to_text(tid, model, normalizer)
            if tok is None:
                tok = self._model.id_to_token(tid)
            if tok is None:
                continue
            if skip_special_tokens and tok in added.special_tokens_set:
                continue
            tokens.append(tok)
        if self._decoder is not None:
            return self._decoder.decode(tokens)
        return " ".join(tokens)

    def decode_batch(self, sequences: Sequence[Sequence[int]], skip_special_tokens: bool = True) -> list[str]:
        """:meth:`decode` for each sequence of ids."""
        return [self.decode(ids, skip_special_tokens) for ids in sequences]

    # --- training ---------------------------------------------------------------------
    def _words_of(self, sequence: str) -> list[str]:
        normalized = NormalizedString(sequence)
        if self._normalizer is not None:
            self._normalizer.normalize(normalized)
        pretok = PreTokenizedString(normalized)
        if self._pre_tokenizer is not None:
            self._pre_tokenizer.pre_tokenize(pretok)
        return [split[0].normalized for split in pretok.splits]

    def train_from_iterator(self, iterator: Any, trainer: Any = None, length: "int | None" = None) -> None:
        """Train the model on an iterator of strings (or of lists of strings).

        The text goes through the normalizer and the pre-tokenizer; the trainer counts
        the resulting words and fills the model. Its special tokens are then added.

        Args:
            iterator: strings, or batches (lists) of strings.
            trainer: the trainer (default: the model's default trainer).
            length: the number of sequences, for progress display.
        """
        if trainer is None:
            trainer = self._model.get_trainer()

        def sequences() -> Iterator[str]:
            for item in iterator:
                if isinstance(item, str):
                    yield item
                elif hasattr(item, "__iter__"):
                    for s in item:
                        if not isinstance(s, str):
                            raise TypeError(f"training input must be str, got {type(s).__name__}")
                        yield s
                else:
                    raise TypeError(f"training input must be str or a list of str, got {type(item).__name__}")

        trainer.feed(sequences(), self._words_of)
        special = trainer.train(self._model)
        self._added.invalidate()
        if special:
            self.add_special_tokens(list(special))

    def train(self, files: Sequence[str], trainer: Any = None) -> None:
        """Train the model on text files, read line by line (newlines kept).

        Args:
            files: paths of UTF-8 text files.
            trainer: the trainer (default: the model's default trainer).
        """
        if isinstance(files, (str, os.PathLike)):
            files = [files]  # type: ignore[list-item]
        paths = [os.fspath(f) for f in files]
        for path in paths:
            if not os.path.isfile(path):
                raise FileNotFoundError(f"No such training file: {path}")

        def lines() -> Iterator[str]:
            for path in paths:
                with open(path, "rb") as handle:
                    for raw in handle:
                        try:
                            yield raw.decode("utf-8")
                        except UnicodeDecodeError as exc:
                            raise TokenizerError(f"{path}: training files must be UTF-8 ({exc})") from exc

        self.train_from_iterator(lines(), trainer)

    # --- serialization ---------------------------------------------------------------
    def to_str(self, pretty: bool = False) -> str:
        """The ``tokenizer.json`` text of this tokenizer."""
        from embrace.tokenizers.serialization import dumps, tokenizer_to_dict

        return dumps(tokenizer_to_dict(self), pretty=pretty)

    def save(self, path: str, pretty: bool = True) -> None:
        """Write ``tokenizer.json`` to ``path`` (atomically: a temp file then a rename)."""
        path = os.fspath(path)
        if os.path.isdir(path):
            raise IsADirectoryError(f"{path} is a directory; give the path of the tokenizer.json file to write")
        write_text_atomically(path, self.to_str(pretty=pretty))

    @staticmethod
    def from_str(json: str) -> "Tokenizer":
        """Build a tokenizer from ``tokenizer.json`` text."""
        from embrace.tokenizers.serialization import loads, tokenizer_from_dict

        if not isinstance(json, str):
            raise TypeError(f"from_str expects a str, got {type(json).__name__}")
        return tokenizer_from_dict(loads(json))

    @staticmethod
    def from_buffer(buffer: bytes) -> "Tokenizer":
        """Build a tokenizer from ``tokenizer.json`` bytes."""
        try:
            text = bytes(buffer).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise TokenizerError(f"tokenizer.json buffer is not UTF-8: {exc}") from exc
        return Tokenizer.from_str(text)

    @staticmethod
    def from_file(path: str) -> "Tokenizer":
        """Build a tokenizer from a ``tokenizer.json`` file."""
        path = os.fspath(path)
        with open(path, "rb") as handle:
            raw = handle.read()
        try:
            return Tokenizer.from_buffer(raw)
        except TokenizerError as exc:
            raise TokenizerError(f"{path}: {exc}") from exc

    @staticmethod
    def from_pretrained(identifier: str, revision: str = "main", token: "str | None" = None) -> "Tokenizer":
        """Load ``tokenizer.json`` from a hub repository (or a local folder).

        Args:
            identifier: a repo id such as ``"bert-base-uncased"`` or a local folder.
            revision: a branch, tag or commit.
            token: an auth token for private repositories.
        """
        from embrace.hub.resolve import resolve_file

        path = resolve_file(identifier, "tokenizer.json", revision=revision, token=token)
        return Tokenizer.from_file(path)

    def __getstate__(self) -> dict[str, str]:
        return {"json": self.to_str()}

    def __setstate__(self, state: dict[str, str]) -> None:
        other = Tokenizer.from_str(state["json"])
        self.__dict__.update(other.__dict__)

    def __repr__(self) -> str:
        return (
            f"Tokenizer(version=\"1.0\", truncation={self._truncation}, padding={self._padding}, "
            f"added_tokens={len(self._added)}, normalizer={self._normalizer!r}, "
            f"pre_tokenizer={self._pre_tokenizer!r}, post_processor={self._post_processor!r}, "
            f"decoder={self._decoder!r}, model={self._model!r})"
        )

    __str__ = __repr__
