"""PreTrainedTokenizer: the user-facing tokenizer over the :mod:`embrace.tokenizers` engine.

It owns an engine :class:`~embrace.tokenizers.Tokenizer` (``backend_tokenizer``) and adds
what models need around it: named special tokens (``pad_token``, ``cls_token_id``...),
padding/truncation strategies, tensors, decoding clean-up, chat templates, and loading and
saving of the reference's tokenizer folders. ``PreTrainedTokenizerFast`` and
``PreTrainedTokenizerBase`` are the same class (there is one engine, so no slow/fast split).

Example:
    >>> from embrace.tokenizers import Tokenizer
    >>> from embrace.tokenizers.models import WordLevel
    >>> from embrace.tokenizers.pre_tokenizers import Whitespace
    >>> engine = Tokenizer(WordLevel({"[PAD]": 0, "[UNK]": 1, "hi": 2, "there": 3}, unk_token="[UNK]"))
    >>> engine.pre_tokenizer = Whitespace()
    >>> tok = PreTrainedTokenizer(tokenizer_object=engine, pad_token="[PAD]", unk_token="[UNK]")
    >>> tok(["hi there", "hi"], padding=True)["input_ids"]
    [[2, 3], [2, 0]]
"""

from __future__ import annotations

import contextlib
import copy
import os
from typing import Any, Iterable, Iterator

from ..errors import TokenizerError, TokenizerInputError
from ..hub.push import PUSH_OPTIONS, PushToHubMixin
from ..tokenizers import AddedToken, Encoding, Tokenizer
from ..utils.logging import get_logger
from . import loading
from .batch_encoding import BatchEncoding
from .model_inputs import ModelInputsMixin, _to_python
from .padding_truncation import (
    VERY_LARGE_INTEGER,
    PaddingStrategy,
    TruncationStrategy,
    resolve_strategies,
)

logger = get_logger(__name__)

SPECIAL_TOKENS_ATTRIBUTES = ("bos_token", "eos_token", "unk_token", "sep_token", "pad_token", "cls_token", "mask_token")
# `additional_special_tokens` is the v4 spelling of `extra_special_tokens`.
_EXTRA_NAMES = ("extra_special_tokens", "additional_special_tokens")

# The options every encoding entry point shares; __call__ spells them out, the v4 aliases forward them.
_CALL_OPTIONS = frozenset(
    {
        "add_special_tokens", "padding", "truncation", "max_length", "stride", "is_split_into_words",
        "pad_to_multiple_of", "padding_side", "return_tensors", "return_token_type_ids", "return_attention_mask",
        "return_overflowing_tokens", "return_special_tokens_mask", "return_offsets_mapping", "return_length",
        "verbose", "split_special_tokens", "tokenizer_kwargs", "max_target_length",
    }
)


def _check_options(where: str, options: dict[str, Any]) -> None:
    unknown = sorted(set(options) - _CALL_OPTIONS)
    if unknown:
        raise TypeError(f"{where}() got unexpected keyword argument(s) {unknown}; valid ones: {sorted(_CALL_OPTIONS)}.")


def _is_text_input(value: Any) -> bool:
    """str, list of str, list of list of str (words), or list of pairs of those."""
    if isinstance(value, str):
        return True
    if not isinstance(value, (list, tuple)):
        return False
    if not value or isinstance(value[0], str):
        return True
    first = value[0]
    if not isinstance(first, (list, tuple)):
        return False
    if not first or isinstance(first[0], str):
        return True
    return isinstance(first[0], (list, tuple)) and (not first[0] or isinstance(first[0][0], str))


def _type_error(what: str, value: Any) -> TokenizerInputError:
    return TokenizerInputError(
        f"{what} must be a str (one text), a list of str (a batch, or one text split into words with "
        f"is_split_into_words=True) or a list of lists of str (a batch of split texts); got {type(value).__name__}"
        + (f" of {type(value[0]).__name__}" if isinstance(value, (list, tuple)) and value else "")
        + "."
    )


class PreTrainedTokenizer(ModelInputsMixin, PushToHubMixin):
    """A tokenizer with the reference's API, backed by an engine :class:`Tokenizer`.

    Build it from an engine object (``tokenizer_object=``), a ``tokenizer.json``
    (``tokenizer_file=``), or, for the per-model classes, from their legacy vocabulary files;
    usually through :meth:`from_pretrained`. Extra keyword arguments are the
    ``tokenizer_config.json`` entries: they are kept and written back by :meth:`save_pretrained`.

    Example:
        >>> from embrace.tokenizers import Tokenizer
        >>> from embrace.tokenizers.models import WordLevel
        >>> tok = PreTrainedTokenizer(tokenizer_object=Tokenizer(WordLevel({"a": 0, "<eos>": 1}, unk_token="a")),
        ...                           eos_token="<eos>")
        >>> tok.eos_token, tok.eos_token_id, tok.all_special_tokens
        ('<eos>', 1, ['<eos>'])
    """

    vocab_files_names: dict[str, str] = {}
    model_input_names: list[str] = ["input_ids", "attention_mask"]
    padding_side: str = "right"
    truncation_side: str = "right"
    SPECIAL_TOKENS_ATTRIBUTES = list(SPECIAL_TOKENS_ATTRIBUTES)
    # Constructor defaults of the per-model classes (kept in init_kwargs, so they are saved).
    _defaults: dict[str, Any] = {}
    # False for classes one tokenizer.json cannot describe: they are always built from their files.
    _has_tokenizer_json = True

    def __init__(self, *args: Any, tokenizer_object: "Tokenizer | None" = None, tokenizer_file: "str | None" = None,
                 **kwargs: Any) -> None:
        if args:
            raise TypeError(
                f"{type(self).__name__}() takes keyword arguments only (got {len(args)} positional); pass files as "
                "tokenizer_file=... / vocab_file=..., or use from_pretrained(path)."
            )
        for key, value in self._defaults.items():
            kwargs.setdefault(key, copy.deepcopy(value))  # defaults may hold AddedTokens
        if tokenizer_object is not None:
            if not isinstance(tokenizer_object, Tokenizer):
                raise TypeError(f"tokenizer_object must be an embrace.tokenizers.Tokenizer, got "
                                f"{type(tokenizer_object).__name__}.")
            backend = copy.deepcopy(tokenizer_object)
        elif tokenizer_file is not None:
            backend = Tokenizer.from_file(os.fspath(tokenizer_file))
        else:
            backend = self._build_backend(kwargs)
        self._tokenizer = backend
        self._init(kwargs, built_from_legacy=tokenizer_object is None and tokenizer_file is None)

    # -- construction ---------------------------------------------------------------------

    def _build_backend(self, kwargs: dict[str, Any]) -> Tokenizer:
        """Build the engine from legacy vocabulary files; the per-model classes override this."""
        raise TokenizerError(
            f"{type(self).__name__} needs a tokenizer: pass tokenizer_file='tokenizer.json', "
            "tokenizer_object=<embrace.tokenizers.Tokenizer>, or load a folder with from_pretrained()."
        )

    def _post_processor(self) -> Any:
        """The special-token layout for a backend built from legacy files (None: leave it alone)."""
        return None

    def _init(self, kwargs: dict[str, Any], *, built_from_legacy: bool) -> None:
        for name in _EXTRA_NAMES[1:]:
            if name in kwargs and "extra_special_tokens" not in kwargs:
                kwargs["extra_special_tokens"] = kwargs.pop(name)
        added_tokens_decoder = kwargs.pop("added_tokens_decoder", None) or {}
        for key in kwargs:
            if callable(getattr(type(self), key, None)):
                raise TokenizerError(f"{key!r} conflicts with the method {key} of {type(self).__name__}.")
        self.init_kwargs = copy.deepcopy(kwargs)
        self.name_or_path = kwargs.pop("name_or_path", "")
        self._special_tokens_map: dict[str, Any] = dict.fromkeys(self.SPECIAL_TOKENS_ATTRIBUTES)
        self._extra_special_tokens: list[Any] = []
        self.deprecation_warnings: dict[str, bool] = {}
        self.verbose = kwargs.pop("verbose", False)
        for key in list(kwargs):
            value = kwargs[key]
            if key in self.SPECIAL_TOKENS_ATTRIBUTES:
                kwargs.pop(key)
                if value is not None:
                    self._special_tokens_map[key] = self._check_token(key, value)
            elif key == "extra_special_tokens":
                kwargs.pop(key)
                if isinstance(value, dict):  # named model-specific tokens, e.g. {"image_token": "<img>"}
                    self.SPECIAL_TOKENS_ATTRIBUTES = self.SPECIAL_TOKENS_ATTRIBUTES + list(value)
                    self._special_tokens_map.update({k: self._check_token(k, v) for k, v in value.items()})
                elif value is not None:
                    self._extra_special_tokens = [self._check_token(key, v) for v in value]
        model_max_length = kwargs.pop("model_max_length", kwargs.pop("max_len", None))
        self.model_max_length = model_max_length if model_max_length is not None else VERY_LARGE_INTEGER
        self.padding_side = kwargs.pop("padding_side", type(self).padding_side)
        self.truncation_side = kwargs.pop("truncation_side", type(self).truncation_side)
        for side in ("padding_side", "truncation_side"):
            if getattr(self, side) not in ("left", "right"):
                raise TokenizerError(f"{side} must be 'left' or 'right', got {getattr(self, side)!r}.")
        self.model_input_names = list(kwargs.pop("model_input_names", type(self).model_input_names))
        self.clean_up_tokenization_spaces = kwargs.pop("clean_up_tokenization_spaces", False)
        self.split_special_tokens = kwargs.pop("split_special_tokens", False)
        chat_template = kwargs.pop("chat_template", None)
        if isinstance(chat_template, (list, tuple)):  # saved as [{"name":..., "template":...}]
            chat_template = {entry["name"]: entry["template"] for entry in chat_template}
        self.chat_template = chat_template
        self._pad_token_type_id = 0
        self._in_target_context_manager = False

        # Tokens the config declares (added_tokens_decoder) come first, at their ids.
        if added_tokens_decoder:
            known = self._tokenizer.get_added_tokens_decoder()
            for index in sorted(added_tokens_decoder, key=int):
                token = added_tokens_decoder[index]
                if isinstance(token, dict):
                    token = AddedToken(**{k: v for k, v in token.items() if k != "__type"})
                if int(index) not in known:
                    self._tokenizer.add_tokens([token])
        # Then every special token that is not yet known to the engine.
        present = set(self._tokenizer.get_added_tokens_decoder().values())
        present_text = {str(t) for t in present} | set(self.get_added_vocab())
        missing = []
        for token in [*self._special_tokens_map.values(), *self._extra_special_tokens]:
            if token is None or str(token) in present_text:
                continue
            if isinstance(token, str):
                token = AddedToken(token, special=True, normalized=False)
            missing.append(token)
            present_text.add(str(token))
        if missing:
            self._tokenizer.add_special_tokens(missing)
        self._tokenizer.encode_special_tokens = self.split_special_tokens
        if built_from_legacy:
            processor = self._post_processor()
            if processor is not None:
                self._tokenizer.post_processor = processor
        # add_bos_token / add_eos_token rebuild the layout; so does a pipeline without one.
        explicit = "add_bos_token" in kwargs or "add_eos_token" in kwargs
        object.__setattr__(self, "_add_bos_token", bool(kwargs.pop("add_bos_token", False)))
        object.__setattr__(self, "_add_eos_token", bool(kwargs.pop("add_eos_token", False)))
        if explicit or self._tokenizer.post_processor is None:
            self.update_post_processor()

    @property
    def add_bos_token(self) -> bool:
        """Whether the bos token starts every sequence (setting it rebuilds the layout)."""
        return self._add_bos_token

    @add_bos_token.setter
    def add_bos_token(self, value: bool) -> None:
        object.__setattr__(self, "_add_bos_token", bool(value))
        self.update_post_processor()

    @property
    def add_eos_token(self) -> bool:
        """Whether the eos token ends every sequence (setting it rebuilds the layout)."""
        return self._add_eos_token

    @add_eos_token.setter
    def add_eos_token(self, value: bool) -> None:
        object.__setattr__(self, "_add_eos_token", bool(value))
        self.update_post_processor()

    def update_post_processor(self) -> None:
        """Frame sequences as ``[bos] A [eos]`` (pairs: ``[bos] A [eos] [bos] B [eos]``) per add_bos/eos_token."""
        from ..tokenizers import processors

        bos, eos = self.bos_token, self.eos_token
        add_bos = self._add_bos_token and bos is not None
        add_eos = self._add_eos_token and eos is not None
        single = f"{bos + ':0 ' if add_bos else ''}$A:0{' ' + eos + ':0' if add_eos else ''}"
        pair = f"{single}{' ' + bos + ':1' if add_bos else ''} $B:1{' ' + eos + ':1' if add_eos else ''}"
        special = ([(bos, self.bos_token_id)] if add_bos else []) + ([(eos, self.eos_token_id)] if add_eos else [])
        self._tokenizer.post_processor = processors.TemplateProcessing(single=single, pair=pair,
                                                                       special_tokens=special)

    @staticmethod
    def _check_token(name: str, value: Any) -> Any:
        if isinstance(value, dict):  # AddedToken saved as a dict in tokenizer_config.json
            value = AddedToken(**{k: v for k, v in value.items() if k != "__type"})
        if not isinstance(value, (str, AddedToken)):
            raise TypeError(f"Special token {name} must be a str or an AddedToken, got {type(value).__name__}.")
        return value

    # -- special tokens as attributes -------------------------------------------------------

    def __getattr__(self, key: str) -> Any:
        # Only reached when normal lookup fails: named special tokens and their ids.
        base = key.removesuffix("_ids").removesuffix("_id") if key.endswith(("_id", "_ids")) else key
        tokens_map = self.__dict__.get("_special_tokens_map")
        if tokens_map is not None and base in tokens_map:
            value = tokens_map[base]
            if value is None:
                return None
            return self.convert_tokens_to_ids(str(value)) if key != base else str(value)
        if base in _EXTRA_NAMES and "_extra_special_tokens" in self.__dict__:
            tokens = [str(t) for t in self.__dict__["_extra_special_tokens"]]
            return self.convert_tokens_to_ids(tokens) if key != base else tokens
        raise AttributeError(f"{type(self).__name__} has no attribute {key!r}")

    def __setattr__(self, key: str, value: Any) -> None:
        base = key.removesuffix("_ids").removesuffix("_id") if key.endswith(("_id", "_ids")) else key
        tokens_map = self.__dict__.get("_special_tokens_map")
        if tokens_map is not None and base in tokens_map:
            if key != base and value is not None:
                value = self.convert_ids_to_tokens(value)
            tokens_map[base] = None if value is None else self._check_token(base, value)
            return
        if base in _EXTRA_NAMES and tokens_map is not None:
            if value is not None and not isinstance(value, (list, tuple)):
                raise TypeError(f"{base} must be a list of tokens, got {type(value).__name__}.")
            if key != base and value is not None:
                value = [self.convert_ids_to_tokens(v) for v in value]
            self.__dict__["_extra_special_tokens"] = [] if value is None else [self._check_token(base, v) for v in value]
            return
        object.__setattr__(self, key, value)

    @property
    def special_tokens_map(self) -> dict[str, str]:
        """The named special tokens that are set, as strings."""
        return {k: str(v) for k, v in self._special_tokens_map.items() if v is not None}

    @property
    def all_special_tokens(self) -> list[str]:
        """Every special token (named, then extra), each once, as strings."""
        seen: dict[str, None] = {}
        for token in [*self._special_tokens_map.values(), *self._extra_special_tokens]:
            if token is not None:
                seen.setdefault(str(token))
        return list(seen)

    @property
    def all_special_ids(self) -> list[int]:
        """The ids of :attr:`all_special_tokens`."""
        return self.convert_tokens_to_ids(self.all_special_tokens)

    @property
    def pad_token_type_id(self) -> int:
        """The token type id used for padding."""
        return self._pad_token_type_id

    def add_special_tokens(
        self, special_tokens_dict: dict[str, Any], replace_extra_special_tokens: bool = True
    ) -> int:
        """Set named special tokens (and extra ones) and add those the vocabulary lacks.

        Returns how many tokens were added to the vocabulary.

        Example:
            >>> from embrace.tokenizers import Tokenizer
            >>> from embrace.tokenizers.models import WordLevel
            >>> tok = PreTrainedTokenizer(tokenizer_object=Tokenizer(WordLevel({"a": 0}, unk_token="a")))
            >>> tok.add_special_tokens({"pad_token": "<pad>"}), tok.pad_token_id
            (1, 1)
        """
        if not isinstance(special_tokens_dict, dict):
            raise TypeError(f"special_tokens_dict must be a dict, got {type(special_tokens_dict).__name__}.")
        to_add: list[Any] = []
        for key, value in special_tokens_dict.items():
            if key in _EXTRA_NAMES:
                if not isinstance(value, (list, tuple)):
                    raise TypeError(f"{key} must be a list or tuple of tokens, got {type(value).__name__}.")
                values = [self._check_token(key, v) for v in value]
                current = [] if replace_extra_special_tokens else list(self._extra_special_tokens)
                current += [v for v in values if str(v) not in {str(c) for c in current}]
                self._extra_special_tokens = current
                to_add.extend(values)
            elif key in self._special_tokens_map:
                self._special_tokens_map[key] = self._check_token(key, value)
                to_add.append(value)
            else:
                valid = sorted([*self._special_tokens_map, *_EXTRA_NAMES])
                raise TokenizerError(f"Key {key!r} is not a special token name; valid names: {valid}.")
        return self.add_tokens(to_add, special_tokens=True)

    def add_tokens(self, new_tokens: Any, special_tokens: bool = False) -> int:
        """Add tokens to the vocabulary (those already in it are skipped); returns how many were new.

        Example:
            >>> from embrace.tokenizers import Tokenizer
            >>> from embrace.tokenizers.models import WordLevel
            >>> tok = PreTrainedTokenizer(tokenizer_object=Tokenizer(WordLevel({"a": 0}, unk_token="a")))
            >>> tok.add_tokens(["new_tok", "a"]), len(tok)
            (2, 2)
        """
        if not new_tokens:
            return 0
        if not isinstance(new_tokens, (list, tuple)):
            new_tokens = [new_tokens]
        for token in new_tokens:
            if not isinstance(token, (str, AddedToken)):
                raise TypeError(f"Tokens to add must be str or AddedToken, got {type(token).__name__}.")
        if special_tokens:
            return self._tokenizer.add_special_tokens(list(new_tokens))
        return self._tokenizer.add_tokens(list(new_tokens))

    # -- vocabulary -------------------------------------------------------------------------

    @property
    def backend_tokenizer(self) -> Tokenizer:
        """The engine :class:`~embrace.tokenizers.Tokenizer`."""
        return self._tokenizer

    @property
    def decoder(self) -> Any:
        """The engine decoder."""
        return self._tokenizer.decoder

    @property
    def is_fast(self) -> bool:
        """Always True: every embrace tokenizer runs on the engine."""
        return True

    @property
    def vocab_size(self) -> int:
        """Size of the base vocabulary (without added tokens)."""
        return self._tokenizer.get_vocab_size(with_added_tokens=False)

    def __len__(self) -> int:
        return self._tokenizer.get_vocab_size(with_added_tokens=True)

    def __bool__(self) -> bool:
        return True

    def get_vocab(self) -> dict[str, int]:
        """token -> id, added tokens included."""
        return self._tokenizer.get_vocab(with_added_tokens=True)

    @property
    def vocab(self) -> dict[str, int]:
        """Same as :meth:`get_vocab`."""
        return self.get_vocab()

    @property
    def added_tokens_decoder(self) -> dict[int, AddedToken]:
        """id -> AddedToken for every added token, sorted by id."""
        return dict(sorted(self._tokenizer.get_added_tokens_decoder().items()))

    @property
    def added_tokens_encoder(self) -> dict[str, int]:
        """added token content -> id, sorted by id."""
        return {str(token): index for index, token in self.added_tokens_decoder.items()}

    def get_added_vocab(self) -> dict[str, int]:
        """Same as :attr:`added_tokens_encoder`."""
        return self.added_tokens_encoder

    def convert_tokens_to_ids(self, tokens: "str | Iterable[str] | None") -> Any:
        """Token(s) -> id(s); unknown tokens map to the unk token id (None if there is none)."""
        if tokens is None:
            return None
        if isinstance(tokens, str):
            return self._token_to_id(tokens)
        return [self._token_to_id(token) for token in tokens]

    def _token_to_id(self, token: str) -> "int | None":
        index = self._tokenizer.token_to_id(token)
        if index is not None:
            return index
        unk = self._special_tokens_map.get("unk_token")
        return None if unk is None else self._tokenizer.token_to_id(str(unk))

    def convert_ids_to_tokens(self, ids: Any, skip_special_tokens: bool = False) -> Any:
        """Id(s) -> token(s), optionally dropping special tokens."""
        ids = _to_python(ids)
        if isinstance(ids, int):
            return self._tokenizer.id_to_token(ids)
        skip = set(self.all_special_ids) if skip_special_tokens else set()
        return [self._tokenizer.id_to_token(int(i)) for i in ids if int(i) not in skip]

    def convert_tokens_to_string(self, tokens: list[str]) -> str:
        """Join tokens into text with the engine decoder (space-joined without one)."""
        decoder = self._tokenizer.decoder
        return decoder.decode(tokens) if decoder is not None else " ".join(tokens)

    def num_special_tokens_to_add(self, pair: bool = False) -> int:
        """How many special tokens the model adds around one sequence or a pair."""
        return self._tokenizer.num_special_tokens_to_add(pair)

    @property
    def max_len_single_sentence(self) -> int:
        """The longest single sequence the model takes, special tokens excluded."""
        return self.model_max_length - self.num_special_tokens_to_add(pair=False)

    @property
    def max_len_sentences_pair(self) -> int:
        """The longest pair the model takes, special tokens excluded."""
        return self.model_max_length - self.num_special_tokens_to_add(pair=True)

    # -- encoding ---------------------------------------------------------------------------

    def __call__(
        self,
        text: Any = None,
        text_pair: Any = None,
        text_target: Any = None,
        text_pair_target: Any = None,
        *,
        add_special_tokens: bool = True,
        padding: Any = False,
        truncation: Any = None,
        max_length: "int | None" = None,
        stride: int = 0,
        is_split_into_words: bool = False,
        pad_to_multiple_of: "int | None" = None,
        padding_side: "str | None" = None,
        return_tensors: "str | None" = None,
        return_token_type_ids: "bool | None" = None,
        return_attention_mask: "bool | None" = None,
        return_overflowing_tokens: bool = False,
        return_special_tokens_mask: bool = False,
        return_offsets_mapping: bool = False,
        return_length: bool = False,
        verbose: bool = True,
        split_special_tokens: "bool | None" = None,
        tokenizer_kwargs: "dict[str, Any] | None" = None,
        max_target_length: "int | None" = None,
    ) -> BatchEncoding:
        """Tokenize one text, a pair, or a batch of either, into model inputs.

        Example:
            >>> from embrace.tokenizers import Tokenizer
            >>> from embrace.tokenizers.models import WordLevel
            >>> from embrace.tokenizers.pre_tokenizers import Whitespace
            >>> engine = Tokenizer(WordLevel({"<pad>": 0, "a": 1, "b": 2}, unk_token="<pad>"))
            >>> engine.pre_tokenizer = Whitespace()
            >>> tok = PreTrainedTokenizer(tokenizer_object=engine, pad_token="<pad>")
            >>> tok(["a b", "a"], padding="max_length", max_length=3, return_tensors="pt")["input_ids"].tolist()
            [[1, 2, 0], [1, 0, 0]]
        """
        options = dict(
            add_special_tokens=add_special_tokens, stride=stride, is_split_into_words=is_split_into_words,
            pad_to_multiple_of=pad_to_multiple_of, padding_side=padding_side, return_tensors=return_tensors,
            return_token_type_ids=return_token_type_ids, return_attention_mask=return_attention_mask,
            return_overflowing_tokens=return_overflowing_tokens, return_special_tokens_mask=return_special_tokens_mask,
            return_offsets_mapping=return_offsets_mapping, return_length=return_length, verbose=verbose,
            split_special_tokens=split_special_tokens,
        )
        strategy = dict(padding=padding, truncation=truncation, max_length=max_length)
        if tokenizer_kwargs:  # explicit arguments win over tokenizer_kwargs only where they were given
            _check_options("__call__(tokenizer_kwargs=...)", tokenizer_kwargs)
            for key, value in tokenizer_kwargs.items():
                (strategy if key in strategy else options)[key] = value
        if text is None and text_target is None:
            raise TokenizerInputError("You need to specify either `text` or `text_target`.")
        padding_strategy, truncation_strategy, max_length = resolve_strategies(
            **strategy, pad_to_multiple_of=options["pad_to_multiple_of"], model_max_length=self.model_max_length,
            has_pad_token=self.pad_token is not None and (self.pad_token_id or 0) >= 0, verbose=options["verbose"],
        )
        result = None
        if text is not None:
            result = self._encode_plus(text, text_pair, padding_strategy, truncation_strategy, max_length, **options)
        if text_target is not None:
            target_max = max_target_length if max_target_length is not None else max_length
            with self._target_mode():
                target = self._encode_plus(
                    text_target, text_pair_target, padding_strategy, truncation_strategy, target_max, **options
                )
            if result is None:
                return target
            result["labels"] = target["input_ids"]
        return result

    @contextlib.contextmanager
    def _target_mode(self) -> Iterator[None]:
        """`text_target` is encoded inside this; classes that segment or frame targets differently
        (Marian's target model, mBART's target language code) switch here and back."""
        yield

    def _encode_plus(
        self,
        text: Any,
        text_pair: Any,
        padding_strategy: PaddingStrategy,
        truncation_strategy: TruncationStrategy,
        max_length: "int | None",
        *,
        add_special_tokens: bool,
        stride: int,
        is_split_into_words: bool,
        pad_to_multiple_of: "int | None",
        padding_side: "str | None",
        return_tensors: "str | None",
        return_token_type_ids: "bool | None",
        return_attention_mask: "bool | None",
        return_overflowing_tokens: bool,
        return_special_tokens_mask: bool,
        return_offsets_mapping: bool,
        return_length: bool,
        verbose: bool,
        split_special_tokens: "bool | None",
    ) -> BatchEncoding:
        if not _is_text_input(text):
            raise _type_error("text", text)
        if text_pair is not None and not _is_text_input(text_pair):
            raise _type_error("text_pair", text_pair)
        if is_split_into_words:
            batched = isinstance(text, (list, tuple)) and bool(text) and isinstance(text[0], (list, tuple))
        else:
            batched = isinstance(text, (list, tuple))
        if batched:
            if isinstance(text_pair, str):
                raise TokenizerInputError(
                    "when tokenizing a batch of texts, `text_pair` must be a list of the same length as `text`, not a str."
                )
            if text_pair is not None and len(text) != len(text_pair):
                raise TokenizerInputError(
                    f"batch length of `text`: {len(text)} does not match batch length of `text_pair`: {len(text_pair)}."
                )
            inputs = list(zip(text, text_pair)) if text_pair is not None else list(text)
        else:
            inputs = [(text, text_pair)] if text_pair else [text]

        self._set_truncation_and_padding(
            padding_strategy, truncation_strategy, max_length, stride, pad_to_multiple_of, padding_side
        )
        split = self.split_special_tokens if split_special_tokens is None else split_special_tokens
        if self._tokenizer.encode_special_tokens != split:
            self._tokenizer.encode_special_tokens = split
        encodings = self._tokenizer.encode_batch(
            inputs, add_special_tokens=add_special_tokens, is_pretokenized=is_split_into_words
        )

        if return_token_type_ids is None:
            return_token_type_ids = "token_type_ids" in self.model_input_names
        if return_attention_mask is None:
            return_attention_mask = "attention_mask" in self.model_input_names
        fields = [("input_ids", "ids", True), ("token_type_ids", "type_ids", return_token_type_ids),
                  ("attention_mask", "attention_mask", return_attention_mask),
                  ("special_tokens_mask", "special_tokens_mask", return_special_tokens_mask),
                  ("offset_mapping", "offsets", return_offsets_mapping)]
        fields = [(key, attr) for key, attr, wanted in fields if wanted]
        rows: list[Encoding] = []
        sample_of_row: list[int] = []
        for sample, encoding in enumerate(encodings):
            pieces = [encoding, *encoding.overflowing] if return_overflowing_tokens else [encoding]
            rows.extend(pieces)
            sample_of_row.extend([sample] * len(pieces))
        data: dict[str, Any] = {key: [getattr(row, attr) for row in rows] for key, attr in fields}
        if return_length:
            data["length"] = [len(row.ids) for row in rows]
        if return_overflowing_tokens:
            data["overflow_to_sample_mapping"] = sample_of_row
        for ids in data["input_ids"]:
            self._eventual_warn_about_too_long_sequence(ids, max_length, verbose)
        if not batched and return_tensors is None and not return_overflowing_tokens:
            data = {key: value[0] if value and isinstance(value[0], list) else value for key, value in data.items()}
            return BatchEncoding(data, rows)
        return BatchEncoding(data, rows, tensor_type=return_tensors)

    def _set_truncation_and_padding(
        self,
        padding_strategy: PaddingStrategy,
        truncation_strategy: TruncationStrategy,
        max_length: "int | None",
        stride: int,
        pad_to_multiple_of: "int | None",
        padding_side: "str | None",
    ) -> None:
        # The engine keeps truncation/padding as state; set exactly what this call asks for.
        backend = self._tokenizer
        if truncation_strategy == TruncationStrategy.DO_NOT_TRUNCATE:
            if backend.truncation is not None:
                backend.no_truncation()
        else:
            target = {"max_length": max_length, "stride": stride, "strategy": truncation_strategy.value,
                      "direction": self.truncation_side}
            if backend.truncation != target:
                backend.enable_truncation(**target)
        if padding_strategy == PaddingStrategy.DO_NOT_PAD:
            if backend.padding is not None:
                backend.no_padding()
        else:
            target = {
                "length": max_length if padding_strategy == PaddingStrategy.MAX_LENGTH else None,
                "direction": padding_side if padding_side is not None else self.padding_side,
                "pad_id": self.pad_token_id,
                "pad_token": self.pad_token,
                "pad_type_id": self.pad_token_type_id,
                "pad_to_multiple_of": pad_to_multiple_of,
            }
            if backend.padding != target:
                backend.enable_padding(**target)

    def _eventual_warn_about_too_long_sequence(self, ids: list[int], max_length: "int | None", verbose: bool) -> None:
        key = "sequence-length-is-longer-than-the-specified-maximum"
        if max_length is None and len(ids) > self.model_max_length and verbose and self.model_max_length != 0:
            if not self.deprecation_warnings.get(key, False):
                logger.warning(
                    "Token indices sequence length is longer than the specified maximum sequence length for this "
                    f"model ({len(ids)} > {self.model_max_length}). Running this sequence through the model will "
                    "result in indexing errors"
                )
            self.deprecation_warnings[key] = True

    def tokenize(self, text: str, pair: "str | None" = None, add_special_tokens: bool = False, **kwargs: Any) -> list[str]:
        """The tokens of `text` (and `pair`), without special tokens unless asked.

        Example:
            >>> from embrace.tokenizers import Tokenizer
            >>> from embrace.tokenizers.models import WordLevel
            >>> from embrace.tokenizers.pre_tokenizers import Whitespace
            >>> engine = Tokenizer(WordLevel({"a": 0, "b": 1}, unk_token="a"))
            >>> engine.pre_tokenizer = Whitespace()
            >>> PreTrainedTokenizer(tokenizer_object=engine).tokenize("b a")
            ['b', 'a']
        """
        _check_options("tokenize", kwargs)
        return self(text, pair, add_special_tokens=add_special_tokens, **kwargs).tokens()

    def encode(self, text: Any, text_pair: Any = None, *, add_special_tokens: bool = True, padding: Any = False,
               truncation: Any = None, max_length: "int | None" = None, stride: int = 0,
               padding_side: "str | None" = None, return_tensors: "str | None" = None, **kwargs: Any) -> Any:
        """The ids of `text` (and `text_pair`), special tokens included by default."""
        _check_options("encode", kwargs)
        return self(text, text_pair, add_special_tokens=add_special_tokens, padding=padding, truncation=truncation,
                    max_length=max_length, stride=stride, padding_side=padding_side, return_tensors=return_tensors,
                    **kwargs)["input_ids"]

    def encode_plus(self, text: Any, text_pair: Any = None, **kwargs: Any) -> BatchEncoding:
        """v4 spelling of ``tokenizer(text, text_pair, ...)`` for one example."""
        _check_options("encode_plus", kwargs)
        return self(text, text_pair, **kwargs)

    def batch_encode_plus(self, batch_text_or_text_pairs: Any, **kwargs: Any) -> BatchEncoding:
        """v4 spelling of ``tokenizer(batch, ...)``; pairs are given as ``(text, pair)`` tuples."""
        _check_options("batch_encode_plus", kwargs)
        if not isinstance(batch_text_or_text_pairs, (list, tuple)):
            raise TokenizerInputError(
                f"batch_text_or_text_pairs must be a list or tuple, got {type(batch_text_or_text_pairs).__name__}."
            )
        # An item is a pair when it is a (text, pair) tuple/list: two str, or two word lists when split.
        kind = list if kwargs.get("is_split_into_words", False) else str
        if batch_text_or_text_pairs and all(
            isinstance(item, (list, tuple)) and len(item) == 2 and all(isinstance(x, kind) for x in item)
            for item in batch_text_or_text_pairs
        ):
            first, second = zip(*batch_text_or_text_pairs)
            return self(list(first), list(second), **kwargs)
        return self(list(batch_text_or_text_pairs), **kwargs)

    # -- decoding ---------------------------------------------------------------------------------

    def decode(self, token_ids: Any, skip_special_tokens: bool = False,
               clean_up_tokenization_spaces: "bool | None" = None) -> Any:
        """Ids -> text (a list of ids -> str, a batch -> list of str).

        Example:
            >>> from embrace.tokenizers import Tokenizer
            >>> from embrace.tokenizers.models import WordLevel
            >>> tok = PreTrainedTokenizer(tokenizer_object=Tokenizer(WordLevel({"a": 0, "b": 1}, unk_token="a")))
            >>> tok.decode([0, 1]), tok.decode([[1], [0]])
            ('a b', ['b', 'a'])
        """
        token_ids = _to_python(token_ids)
        if isinstance(token_ids, dict) or hasattr(token_ids, "keys"):
            token_ids = _to_python(token_ids["input_ids"])
        if isinstance(token_ids, int):
            token_ids = [token_ids]
        if not isinstance(token_ids, (list, tuple)):
            raise TokenizerInputError(
                f"decode() takes an int, a list of ids, a batch of lists, or a tensor/array; got {type(token_ids).__name__}."
            )
        if token_ids and isinstance(token_ids[0], (list, tuple)):
            return [self._decode(row, skip_special_tokens, clean_up_tokenization_spaces) for row in token_ids]
        return self._decode(token_ids, skip_special_tokens, clean_up_tokenization_spaces)

    def _decode(self, ids: list[int], skip_special_tokens: bool, clean_up: "bool | None") -> str:
        text = self._tokenizer.decode(ids, skip_special_tokens=skip_special_tokens)
        clean_up = self.clean_up_tokenization_spaces if clean_up is None else clean_up
        # The clean-up targets WordPiece spacing; on BPE output it would delete real spaces, so the
        # reference skips it there unless forced.
        forced = getattr(self, "clean_up_tokenization_spaces_for_bpe_even_though_it_will_corrupt_output", False)
        if clean_up and (type(self._tokenizer.model).__name__ != "BPE" or forced):
            text = self.clean_up_tokenization(text)
        return text

    def batch_decode(self, sequences: Any, skip_special_tokens: bool = False,
                     clean_up_tokenization_spaces: "bool | None" = None) -> list[str]:
        """:meth:`decode` each row of a batch."""
        result = self.decode(sequences, skip_special_tokens, clean_up_tokenization_spaces)
        return [result] if isinstance(result, str) else result

    @staticmethod
    def clean_up_tokenization(text: str) -> str:
        """Remove the spaces WordPiece decoding leaves before punctuation and contractions."""
        for before, after in ((" .", "."), (" ?", "?"), (" !", "!"), (" ,", ","), (" ' ", "'"), (" n't", "n't"),
                              (" 'm", "'m"), (" 's", "'s"), (" 've", "'ve"), (" 're", "'re")):
            text = text.replace(before, after)
        return text

    # -- chat templates -------------------------------------------------------------------------

    def get_chat_template(self, chat_template: "str | None" = None, tools: "list | None" = None) -> str:
        """The template to render: the given one (or its name), else the tokenizer's."""
        from .chat_template import select_template

        return select_template(self.chat_template, chat_template, tools)

    def apply_chat_template(self, conversation: Any, *, tools: "list | None" = None, documents: "list | None" = None,
                            chat_template: "str | None" = None, add_generation_prompt: bool = False,
                            continue_final_message: "bool | str" = False, tokenize: bool = True, padding: Any = False,
                            truncation: bool = False, max_length: "int | None" = None,
                            return_tensors: "str | None" = None, return_dict: bool = True,
                            return_assistant_tokens_mask: bool = False,
                            tokenizer_kwargs: "dict[str, Any] | None" = None, **template_kwargs: Any) -> Any:
        """Render a conversation (or a batch) with the chat template; tokenize it unless told not to.

        Example:
            >>> from embrace.tokenizers import Tokenizer
            >>> from embrace.tokenizers.models import WordLevel
            >>> tok = PreTrainedTokenizer(tokenizer_object=Tokenizer(WordLevel({"a": 0}, unk_token="a")),
            ...                           chat_template="{% for m in messages %}[{{ m['role'] }}] {{ m['content'] }}\\n{% endfor %}")
            >>> tok.apply_chat_template([{"role": "user", "content": "hi"}], tokenize=False)
            '[user] hi\\n'
        """
        from .chat_template import apply_chat_template

        return apply_chat_template(
            self, conversation, tools=tools, documents=documents, chat_template=chat_template,
            add_generation_prompt=add_generation_prompt, continue_final_message=continue_final_message,
            tokenize=tokenize, padding=padding, truncation=truncation, max_length=max_length,
            return_tensors=return_tensors, return_dict=return_dict,
            return_assistant_tokens_mask=return_assistant_tokens_mask, tokenizer_kwargs=tokenizer_kwargs,
            template_kwargs=template_kwargs,
        )

    # -- files ------------------------------------------------------------------------------------

    @classmethod
    def from_pretrained(cls, pretrained_model_name_or_path: "str | os.PathLike", *init_inputs: Any,
                        cache_dir: "str | None" = None, force_download: bool = False, local_files_only: bool = False,
                        token: "str | bool | None" = None, revision: "str | None" = None, subfolder: str = "",
                        trust_remote_code: bool = False, **kwargs: Any) -> "PreTrainedTokenizer":
        """Load a tokenizer folder (or cached hub repo) as this class; kwargs override its config.

        Example:
            >>> import tempfile
            >>> from embrace.tokenizers import Tokenizer
            >>> from embrace.tokenizers.models import WordLevel
            >>> tok = PreTrainedTokenizer(tokenizer_object=Tokenizer(WordLevel({"a": 0}, unk_token="a")))
            >>> folder = tempfile.mkdtemp()
            >>> _ = tok.save_pretrained(folder)
            >>> PreTrainedTokenizer.from_pretrained(folder).get_vocab()
            {'a': 0}
        """
        if init_inputs:
            raise TypeError("from_pretrained() takes the path then keyword arguments only.")
        return loading.load_tokenizer(
            cls, pretrained_model_name_or_path, hub=dict(cache_dir=cache_dir, force_download=force_download,
                                                         local_files_only=local_files_only, token=token,
                                                         revision=revision, subfolder=subfolder),
            trust_remote_code=trust_remote_code, overrides=kwargs,
        )

    def save_pretrained(self, save_directory: "str | os.PathLike", legacy_format: "bool | None" = None,
                        filename_prefix: "str | None" = None, push_to_hub: bool = False,
                        **kwargs: Any) -> tuple[str, ...]:
        """Write tokenizer.json, tokenizer_config.json, special_tokens_map.json (+ chat template and the
        class's legacy vocabulary files); returns the written paths."""
        push_options = {k: kwargs.pop(k) for k in list(kwargs) if k in PUSH_OPTIONS}
        unknown = sorted(set(kwargs) - {"save_jinja_files"})
        if unknown:
            raise TypeError(f"save_pretrained() got unexpected keyword argument(s) {unknown}.")
        written = loading.save_tokenizer(self, save_directory, legacy_format=legacy_format,
                                         filename_prefix=filename_prefix,
                                         save_jinja_files=kwargs.get("save_jinja_files", True))
        if push_to_hub:
            from embrace.hub.push import push_folder

            push_folder(os.fspath(save_directory), default_message="Upload tokenizer", **push_options)
        return written

    def save_vocabulary(self, save_directory: str, filename_prefix: "str | None" = None) -> tuple[str, ...]:
        """Write the class's legacy vocabulary files (none for the generic class)."""
        return ()

    def train_new_from_iterator(self, text_iterator: Any, vocab_size: int, length: "int | None" = None,
                                new_special_tokens: "list | None" = None,
                                special_tokens_map: "dict[str, str] | None" = None,
                                **kwargs: Any) -> "PreTrainedTokenizer":
        """A new tokenizer of the same kind, trained on `text_iterator` (texts or batches of texts)."""
        from .training import train_new_from_iterator

        return train_new_from_iterator(self, text_iterator, vocab_size, length=length,
                                       new_special_tokens=new_special_tokens,
                                       special_tokens_map=special_tokens_map, trainer_kwargs=kwargs)

    def __repr__(self) -> str:
        added = "".join(f"\n\t{k}: {v!r}," for k, v in self.added_tokens_decoder.items())
        return (
            f"{type(self).__name__}(name_or_path='{self.name_or_path}', vocab_size={self.vocab_size}, "
            f"model_max_length={self.model_max_length}, padding_side='{self.padding_side}', "
            f"truncation_side='{self.truncation_side}', special_tokens={self.special_tokens_map}, "
            f"added_tokens_decoder={{{added}{chr(10) if added else ''}}})"
        )


PreTrainedTokenizerFast = PreTrainedTokenizer
PreTrainedTokenizerBase = PreTrainedTokenizer
TokenizersBackend = PreTrainedTokenizer
