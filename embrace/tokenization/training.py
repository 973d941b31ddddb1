"""train_new_from_iterator: a tokenizer of the same kind, retrained on new text.

The pipeline (normalizer, pre-tokenizer, post-processor, decoder) is kept; the model is
emptied and trained again with the engine trainer of its type, keeping the special tokens.

Example:
    >>> from embrace.tokenizers import Tokenizer, pre_tokenizers
    >>> from embrace.tokenizers.models import BPE
    >>> from embrace.tokenization import PreTrainedTokenizer
    >>> engine = Tokenizer(BPE(unk_token="<unk>"))
    >>> engine.pre_tokenizer = pre_tokenizers.Whitespace()
    >>> tok = PreTrainedTokenizer(tokenizer_object=engine, unk_token="<unk>")
    >>> new = tok.train_new_from_iterator(["low lower lowest"] * 10, vocab_size=30)
    >>> new.tokenize("lowest")
    ['lowest']
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, Iterator

from ..errors import TokenizerError
from ..tokenizers import Tokenizer, pre_tokenizers, trainers

if TYPE_CHECKING:
    from .base import PreTrainedTokenizer

_TRAINERS = {"BPE": trainers.BpeTrainer, "WordPiece": trainers.WordPieceTrainer,
             "WordLevel": trainers.WordLevelTrainer, "Unigram": trainers.UnigramTrainer}
_EMPTY_VOCAB = {"BPE": {}, "WordPiece": {}, "WordLevel": {}, "Unigram": []}


def _texts(iterator: Any) -> Iterator[str]:
    for item in iterator:
        if isinstance(item, str):
            yield item
        elif isinstance(item, (list, tuple)):
            yield from item
        else:
            raise TypeError(f"text_iterator must yield str or lists of str, got {type(item).__name__}.")


def train_new_from_iterator(tokenizer: "PreTrainedTokenizer", text_iterator: Any, vocab_size: int, *,
                            length: "int | None", new_special_tokens: "list | None",
                            special_tokens_map: "dict[str, str] | None", trainer_kwargs: dict[str, Any]
                            ) -> "PreTrainedTokenizer":
    """See :meth:`PreTrainedTokenizer.train_new_from_iterator`."""
    data = json.loads(tokenizer.backend_tokenizer.to_str())
    model_type = data["model"]["type"]
    if model_type not in _TRAINERS:
        raise TokenizerError(f"Cannot retrain a {model_type} model; trainable types: {sorted(_TRAINERS)}.")
    rename = special_tokens_map or {}
    special = [rename.get(t["content"], t["content"]) for t in data["added_tokens"] if t.get("special")]
    special += [str(t) for t in new_special_tokens or [] if str(t) not in special]
    data["added_tokens"] = []
    data["model"]["vocab"] = _EMPTY_VOCAB[model_type]
    if model_type == "BPE":
        data["model"]["merges"] = []
    options: dict[str, Any] = dict(vocab_size=vocab_size, special_tokens=special, **trainer_kwargs)
    if model_type == "Unigram":
        unk = tokenizer.unk_token
        options.setdefault("unk_token", rename.get(unk, unk))
    elif model_type in ("BPE", "WordPiece"):
        for key in ("continuing_subword_prefix", "end_of_word_suffix"):
            if data["model"].get(key) and key not in options:
                options[key] = data["model"][key]
    if model_type == "BPE" and '"ByteLevel"' in json.dumps(data.get("pre_tokenizer")):
        options.setdefault("initial_alphabet", pre_tokenizers.ByteLevel.alphabet())
    post = data.get("post_processor")
    data["post_processor"] = None  # its token ids belong to the old vocabulary; rebuilt below
    try:
        trainer = _TRAINERS[model_type](**options)
    except TypeError as exc:
        raise TypeError(f"train_new_from_iterator(): {exc}") from None
    backend = Tokenizer.from_str(json.dumps(data))
    backend.train_from_iterator(_texts(text_iterator), trainer=trainer, length=length)
    if post is not None:
        post_text = json.dumps(post)
        for old, new in rename.items():
            post_text = post_text.replace(json.dumps(old)[1:-1], json.dumps(new)[1:-1])
        post = json.loads(post_text)
        _renumber(post, backend)
        data = json.loads(backend.to_str())
        data["post_processor"] = post
        backend = Tokenizer.from_str(json.dumps(data))
    kwargs = dict(tokenizer.init_kwargs)
    for key in tokenizer.vocab_files_names:
        kwargs.pop(key, None)
    kwargs.pop("added_tokens_decoder", None)
    for name, value in tokenizer.special_tokens_map.items():
        kwargs[name] = rename.get(value, value)
    return type(tokenizer)(tokenizer_object=backend, **kwargs)


def _renumber(post: Any, backend: Tokenizer) -> None:
    """Point the post-processor's special tokens at their ids in the new vocabulary."""
    if isinstance(post, dict):
        if "special_tokens" in post and isinstance(post["special_tokens"], dict):
            for entry in post["special_tokens"].values():
                entry["ids"] = [backend.token_to_id(token) for token in entry["tokens"]]
        for key in ("sep", "cls"):
            if isinstance(post.get(key), list) and len(post[key]) == 2:
                post[key][1] = backend.token_to_id(post[key][0])
        for child in post.get("processors", []) or []:
            _renumber(child, backend)
