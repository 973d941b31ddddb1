"""Streamers: receive tokens from ``generate()`` as they are produced and turn them into text.

``generate(streamer=...)`` calls ``put(prompt_ids)`` once, ``put(new_ids)`` after each step and
``end()`` when done. Text is released word by word (up to the last space), whole lines at a
newline, and character by character for CJK text, so a partial multi-byte or sub-word token
is never shown half decoded.

Example:
    >>> import torch
    >>> class Chars:
    ...     def decode(self, ids, **kwargs):
    ...         return "".join(chr(i) for i in ids)
    >>> streamer = TextIteratorStreamer(Chars())
    >>> for ch in "hi you":
    ...     streamer.put(torch.tensor([ord(ch)]))
    >>> streamer.end()
    >>> list(streamer)
    ['', '', 'hi ', '', '', '', 'you']
"""

from __future__ import annotations

from queue import Queue
from typing import Any

import torch

# CJK ideograph blocks: each character is a word, so it can be shown at once.
_CJK_RANGES = (
    (0x4E00, 0x9FFF), (0x3400, 0x4DBF), (0x20000, 0x2A6DF), (0x2A700, 0x2B73F), (0x2B740, 0x2B81F),
    (0x2B820, 0x2CEAF), (0xF900, 0xFAFF), (0x2F800, 0x2FA1F),
)


class BaseStreamer:
    """Interface ``generate()`` talks to: ``put(token_ids)`` and ``end()``."""

    def put(self, value: torch.Tensor) -> None:
        raise NotImplementedError(f"{type(self).__name__} must implement put(value).")

    def end(self) -> None:
        raise NotImplementedError(f"{type(self).__name__} must implement end().")


class TextStreamer(BaseStreamer):
    """Print the generated text to stdout as soon as whole words are available (batch size 1).

    Args:
        tokenizer: anything with ``decode(ids, **decode_kwargs) -> str`` (an embrace tokenizer).
        skip_prompt: do not print the prompt.
        decode_kwargs: passed to ``tokenizer.decode`` (e.g. ``skip_special_tokens=True``).
    """

    def __init__(self, tokenizer: Any, skip_prompt: bool = False, **decode_kwargs: Any) -> None:
        if not callable(getattr(tokenizer, "decode", None)):
            raise TypeError(f"{type(self).__name__} needs a tokenizer with a decode(ids) method, got {type(tokenizer).__name__}.")
        self.tokenizer = tokenizer
        self.skip_prompt = skip_prompt
        self.decode_kwargs = decode_kwargs
        self.token_cache: list[int] = []
        self.print_len = 0
        self.next_tokens_are_prompt = True

    def put(self, value: torch.Tensor) -> None:
        if value.dim() > 1 and value.shape[0] > 1:
            raise ValueError(f"{type(self).__name__} only supports batch size 1; got a batch of {value.shape[0]}.")
        if value.dim() > 1:
            value = value[0]
        if self.skip_prompt and self.next_tokens_are_prompt:
            self.next_tokens_are_prompt = False
            return
        self.token_cache.extend(value.tolist())
        text = self.tokenizer.decode(self.token_cache, **self.decode_kwargs)
        if text.endswith("\n"):
            printable = text[self.print_len:]
            self.token_cache = []
            self.print_len = 0
        elif text and self._is_chinese_char(ord(text[-1])):
            printable = text[self.print_len:]
            self.print_len += len(printable)
        else:
            # Hold back the last (maybe unfinished) word.
            printable = text[self.print_len: text.rfind(" ") + 1]
            self.print_len += len(printable)
        self.on_finalized_text(printable)

    def end(self) -> None:
        """Flush what is left and signal the end of the stream."""
        printable = ""
        if self.token_cache:
            text = self.tokenizer.decode(self.token_cache, **self.decode_kwargs)
            printable = text[self.print_len:]
            self.token_cache = []
            self.print_len = 0
        self.next_tokens_are_prompt = True
        self.on_finalized_text(printable, stream_end=True)

    def on_finalized_text(self, text: str, stream_end: bool = False) -> None:
        """Print ``text`` (and a newline at the end of the stream)."""
        print(text, flush=True, end=None if stream_end else "")

    @staticmethod
    def _is_chinese_char(code_point: int) -> bool:
        return any(low <= code_point <= high for low, high in _CJK_RANGES)


class TextIteratorStreamer(TextStreamer):
    """Queue the text for another thread to iterate over (``for text in streamer``).

    ``timeout`` (seconds) bounds each wait on the queue; ``queue.Empty`` is raised past it.
    """

    def __init__(self, tokenizer: Any, skip_prompt: bool = False, timeout: float | None = None,
                 **decode_kwargs: Any) -> None:
        super().__init__(tokenizer, skip_prompt, **decode_kwargs)
        self.text_queue: Queue = Queue()
        self.stop_signal = None
        self.timeout = timeout

    def on_finalized_text(self, text: str, stream_end: bool = False) -> None:
        self.text_queue.put(text, timeout=self.timeout)
        if stream_end:
            self.text_queue.put(self.stop_signal, timeout=self.timeout)

    def __iter__(self) -> TextIteratorStreamer:
        return self

    def __next__(self) -> str:
        value = self.text_queue.get(timeout=self.timeout)
        if value is self.stop_signal:
            raise StopIteration
        return value


__all__ = ["BaseStreamer", "TextStreamer", "TextIteratorStreamer"]
