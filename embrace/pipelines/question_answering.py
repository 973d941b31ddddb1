"""question-answering: extract the answer span of a question from a context.

Long contexts are cut into overlapping windows (``max_seq_len`` tokens, ``doc_stride``
overlap); every window votes with its best spans and the answers are merged. The current
reference removed this pipeline; behaviour follows transformers 4.53.3.

Example:
    >>> import numpy as np
    >>> from embrace.pipelines.question_answering import decode_spans
    >>> starts, ends, scores = decode_spans(np.array([0.1, 0.7, 0.2]), np.array([0.1, 0.2, 0.7]), 1, 15,
    ...                                     np.array([1, 1, 1]))
    >>> int(starts[0]), int(ends[0])
    (1, 2)
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from ..errors import PipelineException
from .base import Pipeline


def decode_spans(start: np.ndarray, end: np.ndarray, top_k: int, max_answer_len: int,
                 allowed: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The `top_k` best (start, end) token pairs by p(start) * p(end), with start <= end,
    at most `max_answer_len` tokens long, both ends on allowed tokens."""
    start, end = np.atleast_2d(start), np.atleast_2d(end)  # (1, seq)
    outer = np.matmul(start[..., None], end[:, None, :])  # (1, seq, seq): score of span (i, j)
    candidates = np.tril(np.triu(outer), max_answer_len - 1)
    flat = candidates.flatten()
    if top_k == 1:
        best = [np.argmax(flat)]
    elif len(flat) < top_k:
        best = np.argsort(-flat)
    else:
        chosen = np.argpartition(-flat, top_k)[:top_k]
        best = chosen[np.argsort(-flat[chosen])]
    starts, ends = np.unravel_index(best, candidates.shape)[1:]
    keep = np.isin(starts, allowed.nonzero()) & np.isin(ends, allowed.nonzero())
    starts, ends = starts[keep], ends[keep]
    return starts, ends, candidates[0, starts, ends]


def select_starts_ends(start: np.ndarray, end: np.ndarray, p_mask: np.ndarray, attention_mask: np.ndarray,
                       min_null_score: float, top_k: int, handle_impossible_answer: bool,
                       max_answer_len: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """Softmax the start/end logits over the context tokens and pick the best spans.

    Also returns the lowest "no answer" score (the CLS span) seen so far.
    """
    allowed = np.abs(np.array(p_mask) - 1) & attention_mask  # 1 where a token may be in the answer
    start = np.where(allowed == 0, -10000.0, start)
    end = np.where(allowed == 0, -10000.0, end)
    start = np.exp(start - start.max(axis=-1, keepdims=True))
    start = start / start.sum()
    end = np.exp(end - end.max(axis=-1, keepdims=True))
    end = end / end.sum()
    if handle_impossible_answer:
        min_null_score = min(min_null_score, (start[0, 0] * end[0, 0]).item())
    start[0, 0] = end[0, 0] = 0.0  # the CLS position is the "no answer", never a span
    starts, ends, scores = decode_spans(start, end, top_k, max_answer_len, allowed)
    return starts, ends, scores, min_null_score


def _examples(args: tuple, question: Any, context: Any) -> "tuple[list[dict[str, str]] | Any, bool]":
    """The call's inputs as {"question", "context"} dicts, and whether one answer was asked for."""
    if args:
        if len(args) == 2 and all(isinstance(a, str) for a in args):
            return [{"question": args[0], "context": args[1]}], True
        if len(args) > 1:
            raise ValueError("Pass one {'question', 'context'} dict, a list of them, or question= and context=.")
        inputs = args[0]
        if isinstance(inputs, dict):
            return [_checked(inputs)], True
        if isinstance(inputs, list):
            return [_checked(item) for item in inputs], len(inputs) == 1
        return inputs, False  # a stream or dataset of dicts, checked item by item
    if question is None or context is None:
        raise ValueError("question-answering needs a question and a context: call it with question=..., "
                         "context=... or with {'question': ..., 'context': ...} dicts.")
    if isinstance(question, list) and isinstance(context, str):
        return [_checked({"question": q, "context": context}) for q in question], len(question) == 1
    if isinstance(question, list) and isinstance(context, list):
        if len(question) != len(context):
            raise ValueError("Questions and contexts don't have the same lengths")
        return [_checked({"question": q, "context": c}) for q, c in zip(question, context)], len(question) == 1
    if isinstance(question, str) and isinstance(context, str):
        return [_checked({"question": question, "context": context})], True
    raise ValueError("Arguments can't be understood: question and context must be strings or lists of strings.")


def _checked(item: Any) -> dict[str, str]:
    if not isinstance(item, dict):
        raise ValueError(f"{item!r} argument needs to be a dict with 'question' and 'context' keys.")
    for key in ("question", "context"):
        if key not in item:
            raise PipelineException(f"You need to provide a dictionary with keys {{question:..., context:...}}; "
                                    f"{key!r} is missing.")
        if item[key] is None:
            raise PipelineException(f"`{key}` cannot be None")
        if isinstance(item[key], str) and not item[key]:
            raise PipelineException(f"`{key}` cannot be empty")
    return item


class QuestionAnsweringPipeline(Pipeline):
    """Answer questions with an extractive QA head (start/end logits per token).

    Each answer is ``{"score", "start", "end", "answer"}`` with character offsets into the
    context; ``top_k > 1`` returns a list sorted by score.

    Example:
        >>> _examples((), "Who?", "Me.")
        ([{'question': 'Who?', 'context': 'Me.'}], True)
    """

    _chunked = True
    _sequence_outputs = {"start": 1, "end": 1}

    def _sanitize_parameters(self, *, padding: Any = None, topk: "int | None" = None, top_k: "int | None" = None,
                             doc_stride: "int | None" = None, max_answer_len: "int | None" = None,
                             max_seq_len: "int | None" = None, max_question_len: "int | None" = None,
                             handle_impossible_answer: "bool | None" = None, align_to_words: "bool | None" = None,
                             **kwargs: Any) -> tuple[dict, dict, dict]:
        if kwargs:
            raise self._unknown_options(kwargs, ("padding", "top_k", "doc_stride", "max_answer_len", "max_seq_len",
                                                 "max_question_len", "handle_impossible_answer", "align_to_words"))
        pre = {k: v for k, v in (("padding", padding), ("doc_stride", doc_stride), ("max_seq_len", max_seq_len),
                                 ("max_question_len", max_question_len)) if v is not None}
        post: dict[str, Any] = {}
        top_k = top_k if top_k is not None else topk  # topk: the v3 spelling
        if top_k is not None:
            if top_k < 1:
                raise ValueError(f"top_k parameter should be >= 1 (got {top_k})")
            post["top_k"] = top_k
        if max_answer_len is not None:
            if max_answer_len < 1:
                raise ValueError(f"max_answer_len parameter should be >= 1 (got {max_answer_len})")
            post["max_answer_len"] = max_answer_len
        if handle_impossible_answer is not None:
            post["handle_impossible_answer"] = handle_impossible_answer
        if align_to_words is not None:
            post["align_to_words"] = align_to_words
        return pre, {}, post

    def __call__(self, *args: Any, question: Any = None, context: Any = None, **kwargs: Any) -> Any:
        """Answer one question, several questions on one context, or a list / stream of dicts."""
        examples, single = _examples(args, question, context)
        answers = super().__call__(examples, **kwargs)
        return answers[0] if single and isinstance(answers, list) else answers

    @property
    def _question_first(self) -> bool:
        return self._padding_side == "right"

    def preprocess(self, example: dict[str, str], padding: Any = "do_not_pad", doc_stride: "int | None" = None,
                   max_question_len: int = 64, max_seq_len: "int | None" = None):
        example = _checked(example)
        if max_seq_len is None:
            max_seq_len = min(self.tokenizer.model_max_length, 384)
        if doc_stride is None:
            doc_stride = min(max_seq_len // 2, 128)
        if doc_stride > max_seq_len:
            raise ValueError(f"`doc_stride` ({doc_stride}) is larger than `max_seq_len` ({max_seq_len})")
        question_first = self._question_first
        first, second = ((example["question"], example["context"]) if question_first
                         else (example["context"], example["question"]))
        encoded = self.tokenizer(text=first, text_pair=second, padding=padding,
                                 truncation="only_second" if question_first else "only_first",
                                 max_length=max_seq_len, stride=doc_stride, return_token_type_ids=True,
                                 return_overflowing_tokens=True, return_offsets_mapping=True,
                                 return_special_tokens_mask=True)  # lists: the last window may be shorter
        cls_id = self.tokenizer.cls_token_id
        for span in range(len(encoded["input_ids"])):
            # p_mask: 1 on tokens that cannot be in the answer (the question, specials), except CLS.
            p_mask = [int(seq != 1) if question_first else 0 for seq in encoded.sequence_ids(span)]
            ids = encoded["input_ids"][span]
            if cls_id is not None:
                p_mask = [0 if token == cls_id else flag for token, flag in zip(ids, p_mask)]
            yield {
                **{k: torch.tensor([encoded[k][span]]) for k in ("input_ids", "attention_mask", "token_type_ids")
                   if k in encoded},  # (1, seq) each
                "p_mask": torch.tensor([p_mask], dtype=torch.long),  # (1, seq)
                "encoding": encoded.encodings[span],
                "context": example["context"],
            }

    def _forward(self, inputs: dict[str, Any]) -> dict[str, Any]:
        model_inputs = {k: inputs[k] for k in self.tokenizer.model_input_names if k in inputs}
        output = self.model(**model_inputs)
        return {"start": output.start_logits, "end": output.end_logits, **inputs}  # (batch, seq) each

    def postprocess(self, spans: list[dict[str, Any]], top_k: int = 1, handle_impossible_answer: bool = False,
                    max_answer_len: int = 15, align_to_words: bool = True) -> Any:
        min_null_score = 1000000.0  # large: any real "no answer" score is lower
        answers: list[dict[str, Any]] = []
        sequence_index = 1 if self._question_first else 0
        for span in spans:
            starts, ends, scores, min_null_score = select_starts_ends(
                span["start"].float().numpy(), span["end"].float().numpy(), span["p_mask"].numpy(),
                span["attention_mask"].numpy(), min_null_score, top_k, handle_impossible_answer, max_answer_len)
            context = span["context"]
            for s, e, score in zip(starts, ends, scores):
                start_char, end_char = _char_span(span["encoding"], int(s), int(e), sequence_index, align_to_words)
                text = context[start_char:end_char]
                # The same answer found in two windows adds up its scores.
                same = next((a for a in answers if a["answer"].lower() == text.lower()), None)
                if same is not None:
                    same["score"] += score.item()
                else:
                    answers.append({"score": score.item(), "start": start_char, "end": end_char, "answer": text})
        if handle_impossible_answer:
            answers.append({"score": min_null_score, "start": 0, "end": 0, "answer": ""})
        answers = sorted(answers, key=lambda a: a["score"], reverse=True)[:top_k]
        return answers[0] if len(answers) == 1 else answers


def _char_span(encoding: Any, start: int, end: int, sequence_index: int, align_to_words: bool) -> tuple[int, int]:
    """Character offsets of tokens start..end, widened to whole words when asked and possible."""
    if align_to_words:
        start_word, end_word = encoding.token_to_word(start), encoding.token_to_word(end)
        if start_word is not None and end_word is not None:
            first = encoding.word_to_chars(start_word, sequence_index=sequence_index)
            last = encoding.word_to_chars(end_word, sequence_index=sequence_index)
            if first is not None and last is not None:
                return first[0], last[1]
    return encoding.offsets[start][0], encoding.offsets[end][1]
