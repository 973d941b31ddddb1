"""token-classification (alias ner): a label per token, or entities grouped from them.

Example:
    >>> from embrace.pipelines.token_classification import AggregationStrategy
    >>> [s.value for s in AggregationStrategy]
    ['none', 'simple', 'first', 'average', 'max']
"""

from __future__ import annotations

import enum
from typing import Any

import numpy as np

from .base import Pipeline


class AggregationStrategy(str, enum.Enum):
    """How token predictions become entities.

    none: one result per token; simple: adjacent tokens with the same tag form an entity;
    first / average / max: first make every word agree on one label (its first token's,
    the average of its tokens' scores, or its most confident token's), then group.
    """

    NONE = "none"
    SIMPLE = "simple"
    FIRST = "first"
    AVERAGE = "average"
    MAX = "max"


def _tag(label: str) -> tuple[str, str]:
    """("B" or "I", entity type) of an IOB label; a label without a prefix counts as inside."""
    if label.startswith("B-"):
        return "B", label[2:]
    if label.startswith("I-"):
        return "I", label[2:]
    return "I", label


class TokenClassificationPipeline(Pipeline):
    """Label tokens with a token-classification head, optionally grouping them into entities.

    Example:
        >>> _tag("B-PER"), _tag("O")
        (('B', 'PER'), ('I', 'O'))
    """

    _chunked = True
    _sequence_outputs = {"logits": 1}

    def _sanitize_parameters(self, *, ignore_labels: "list[str] | None" = None,
                             aggregation_strategy: "str | AggregationStrategy | None" = None,
                             grouped_entities: "bool | None" = None, ignore_subwords: "bool | None" = None,
                             stride: "int | None" = None, **kwargs: Any) -> tuple[dict, dict, dict]:
        if kwargs:
            raise self._unknown_options(kwargs, ("ignore_labels", "aggregation_strategy", "grouped_entities",
                                                 "ignore_subwords", "stride"))
        post: dict[str, Any] = {}
        if grouped_entities is not None or ignore_subwords is not None:
            # v4 spellings of aggregation_strategy, kept as aliases.
            if grouped_entities and ignore_subwords:
                aggregation_strategy = AggregationStrategy.FIRST
            elif grouped_entities:
                aggregation_strategy = AggregationStrategy.SIMPLE
            else:
                aggregation_strategy = AggregationStrategy.NONE
        if aggregation_strategy is not None:
            try:
                aggregation_strategy = AggregationStrategy(str(getattr(aggregation_strategy, "value",
                                                                       aggregation_strategy)).lower())
            except ValueError:
                raise ValueError(f"Unknown aggregation_strategy {aggregation_strategy!r}: use one of "
                                 f"{', '.join(s.value for s in AggregationStrategy)}.") from None
            post["aggregation_strategy"] = aggregation_strategy
        if ignore_labels is not None:
            post["ignore_labels"] = ignore_labels
        pre: dict[str, Any] = {}
        if stride is not None:
            if stride >= self.tokenizer.model_max_length:
                raise ValueError("`stride` must be less than `tokenizer.model_max_length` (or even lower if the "
                                 "tokenizer adds special tokens).")
            if post.get("aggregation_strategy", AggregationStrategy.NONE) == AggregationStrategy.NONE:
                raise ValueError('`stride` splits long texts into windows whose entities are merged, which needs '
                                 'aggregation_strategy other than "none".')
            pre["tokenizer_params"] = {"return_overflowing_tokens": True, "padding": True, "stride": stride}
        return pre, {}, post

    def __call__(self, inputs: Any, **kwargs: Any) -> Any:
        """Label the tokens of one text, or of each text of a list / stream."""
        return super().__call__(inputs, **kwargs)

    def preprocess(self, sentence: str, tokenizer_params: "dict[str, Any] | None" = None):
        if not isinstance(sentence, str):
            raise ValueError(f"token-classification takes untokenized strings, got {type(sentence).__name__}.")
        max_length = self.tokenizer.model_max_length
        encoded = self.tokenizer(sentence, return_tensors="pt", truncation=bool(max_length and max_length > 0),
                                 return_special_tokens_mask=True, return_offsets_mapping=True,
                                 **(tokenizer_params or {}))
        encoded = {k: v for k, v in encoded.items() if k != "overflow_to_sample_mapping"}
        chunks = len(encoded["input_ids"])
        for i in range(chunks):
            yield {**{k: v[i:i + 1] for k, v in encoded.items()}, "sentence": sentence}

    def _forward(self, model_inputs: dict[str, Any]) -> dict[str, Any]:
        extras = {k: model_inputs.pop(k) for k in ("special_tokens_mask", "offset_mapping", "sentence")}
        logits = self.model(**model_inputs).logits  # (batch, seq, num_labels)
        return {"logits": logits, "input_ids": model_inputs["input_ids"], **extras}

    def postprocess(self, chunks: list[dict[str, Any]], aggregation_strategy: AggregationStrategy = AggregationStrategy.NONE,
                    ignore_labels: "list[str] | None" = None) -> list[dict[str, Any]]:
        ignore_labels = ["O"] if ignore_labels is None else ignore_labels
        entities: list[dict[str, Any]] = []
        for chunk in chunks:
            logits = chunk["logits"][0].float().numpy()  # (seq, num_labels)
            shifted = np.exp(logits - logits.max(-1, keepdims=True))
            scores = shifted / shifted.sum(-1, keepdims=True)
            pre_entities = self._gather(chunk["sentence"], chunk["input_ids"][0], scores,
                                        chunk["offset_mapping"][0], chunk["special_tokens_mask"][0].numpy())
            for entity in self._aggregate(pre_entities, aggregation_strategy):
                if entity.get("entity") not in ignore_labels and entity.get("entity_group") not in ignore_labels:
                    entities.append(entity)
        if len(chunks) > 1:
            entities = _merge_overlapping(entities)
        return entities

    def _gather(self, sentence: str, input_ids: Any, scores: np.ndarray, offsets: Any,
                special: np.ndarray) -> list[dict[str, Any]]:
        """Per real token: its text, scores, character span and whether it continues a word."""
        model = self.tokenizer.backend_tokenizer.model
        has_subword_prefix = bool(getattr(model, "continuing_subword_prefix", None))
        unk_id = self.tokenizer.unk_token_id
        out = []
        for index, token_scores in enumerate(scores):
            if special[index]:
                continue
            token_id = int(input_ids[index])
            word = self.tokenizer.convert_ids_to_tokens(token_id)
            start, end = (int(x) for x in offsets[index])
            reference = sentence[start:end]
            if has_subword_prefix:
                # A WordPiece "##x" token is longer than the text it covers.
                is_subword = len(word) != len(reference)
            else:
                is_subword = start > 0 and " " not in sentence[start - 1:start + 1]
            if token_id == unk_id:
                word, is_subword = reference, False
            out.append({"word": word, "scores": token_scores, "start": start, "end": end, "index": index,
                        "is_subword": is_subword})
        return out

    def _aggregate(self, pre_entities: list[dict[str, Any]], strategy: AggregationStrategy) -> list[dict[str, Any]]:
        id2label = self.model.config.id2label
        if strategy in (AggregationStrategy.NONE, AggregationStrategy.SIMPLE):
            entities = []
            for pre in pre_entities:
                best = int(pre["scores"].argmax())
                entities.append({"entity": id2label[best], "score": pre["scores"][best], "index": pre["index"],
                                 "word": pre["word"], "start": pre["start"], "end": pre["end"]})
            if strategy == AggregationStrategy.NONE:
                return entities
        else:
            entities = [self._aggregate_word(word, strategy) for word in _words(pre_entities)]
        return self._group(entities)

    def _aggregate_word(self, tokens: list[dict[str, Any]], strategy: AggregationStrategy) -> dict[str, Any]:
        """One label for a whole word, chosen by `strategy` from its tokens' scores."""
        if strategy == AggregationStrategy.FIRST:
            scores = tokens[0]["scores"]
        elif strategy == AggregationStrategy.MAX:
            scores = max(tokens, key=lambda token: token["scores"].max())["scores"]
        else:
            scores = np.nanmean(np.stack([token["scores"] for token in tokens]), axis=0)
        best = int(scores.argmax())
        return {"entity": self.model.config.id2label[best], "score": scores[best],
                "word": self.tokenizer.convert_tokens_to_string([token["word"] for token in tokens]),
                "start": tokens[0]["start"], "end": tokens[-1]["end"]}

    def _group(self, entities: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Join adjacent entities of one type (a "B-" label starts a new one)."""
        groups: list[list[dict[str, Any]]] = []
        for entity in entities:
            bi, tag = _tag(entity["entity"])
            if groups and bi != "B" and tag == _tag(groups[-1][-1]["entity"])[1]:
                groups[-1].append(entity)
            else:
                groups.append([entity])
        return [{"entity_group": _tag(group[0]["entity"])[1],
                 "score": np.mean(np.nanmean([e["score"] for e in group])),
                 "word": self.tokenizer.convert_tokens_to_string([e["word"] for e in group]),
                 "start": group[0]["start"], "end": group[-1]["end"]} for group in groups]


def _words(pre_entities: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """Tokens grouped into words: a subword token joins the word before it."""
    words: list[list[dict[str, Any]]] = []
    for token in pre_entities:
        if words and token["is_subword"]:
            words[-1].append(token)
        else:
            words.append([token])
    return words


def _merge_overlapping(entities: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Entities found twice in overlapping stride windows: keep the longer (then the surer) one."""
    if not entities:
        return entities
    entities = sorted(entities, key=lambda e: e["start"])
    merged = []
    previous = entities[0]
    for entity in entities:
        if previous["start"] <= entity["start"] < previous["end"]:
            length, previous_length = entity["end"] - entity["start"], previous["end"] - previous["start"]
            if length > previous_length or (length == previous_length and entity["score"] > previous["score"]):
                previous = entity
        else:
            merged.append(previous)
            previous = entity
    merged.append(previous)
    return merged


NerPipeline = TokenClassificationPipeline
