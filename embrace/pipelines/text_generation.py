"""text-generation: continue prompts, or answer chats through the tokenizer's chat template.

Example:
    >>> from embrace.pipelines.text_generation import Chat
    >>> Chat([{"role": "user", "content": "hi"}]).messages[-1]["role"]
    'user'
"""

from __future__ import annotations

import copy
import enum
from typing import Any

import torch

from .base import Pipeline

# What the pipeline generates with when neither the call nor the model's generation config
# says otherwise (the reference's defaults); the sampling ones apply only when sampling.
GENERATION_DEFAULTS: dict[str, Any] = {"max_new_tokens": 256, "do_sample": True, "temperature": 0.7}
_SAMPLING_PARAMS = {"temperature", "top_k", "top_p", "min_p", "typical_p", "epsilon_cutoff", "eta_cutoff"}


class ReturnType(enum.Enum):
    """What each answer holds: token ids, only the new text, or prompt + new text."""

    TENSORS = 0
    NEW_TEXT = 1
    FULL_TEXT = 2


class Chat:
    """A conversation (list of ``{"role", "content"}`` dicts) given as one pipeline input.

    Example:
        >>> Chat([{"role": "system", "content": "be brief"}]).messages[0]["content"]
        'be brief'
    """

    def __init__(self, messages: list[dict[str, Any]]) -> None:
        for message in messages:
            if not isinstance(message, dict) or "role" not in message or "content" not in message:
                raise ValueError(f"Each chat message must be a dict with 'role' and 'content' keys, got {message!r}.")
        self.messages = messages


def _is_chat(value: Any) -> bool:
    return isinstance(value, (list, tuple)) and len(value) > 0 and all(
        isinstance(m, dict) and "role" in m for m in value)


class TextGenerationPipeline(Pipeline):
    """Generate text with a causal LM; prompts are strings or chats.

    Answers are lists of ``{"generated_text": ...}`` (one per returned sequence). For a chat
    the text is the conversation with the assistant's reply appended.

    Example:
        >>> ReturnType.FULL_TEXT.name
        'FULL_TEXT'
    """

    _sequence_outputs = {"generated_sequence": 2}

    @property
    def _padding_side(self) -> str:
        return "left"  # a batch of prompts must end at the same position to generate together

    def _sanitize_parameters(self, *, return_full_text: "bool | None" = None, return_tensors: "bool | None" = None,
                             return_text: "bool | None" = None, return_type: "ReturnType | None" = None,
                             clean_up_tokenization_spaces: "bool | None" = None, prefix: "str | None" = None,
                             stop_sequence: "str | list[str] | None" = None, truncation: Any = None,
                             max_length: "int | None" = None, continue_final_message: "bool | None" = None,
                             skip_special_tokens: "bool | None" = None, add_special_tokens: "bool | None" = None,
                             tokenizer_encode_kwargs: "dict[str, Any] | None" = None,
                             **generate_kwargs: Any) -> tuple[dict, dict, dict]:
        pre: dict[str, Any] = {}
        if add_special_tokens is not None:
            pre["add_special_tokens"] = add_special_tokens
        if truncation is not None:
            pre["truncation"] = truncation
        if max_length is not None:
            pre["max_length"] = max_length
            generate_kwargs["max_length"] = max_length
        if prefix is not None:
            pre["prefix"] = prefix
        if prefix:
            prefix_ids = self.tokenizer(prefix, add_special_tokens=bool(add_special_tokens))["input_ids"]
            generate_kwargs["prefix_length"] = len(prefix_ids)
        if continue_final_message is not None:
            pre["continue_final_message"] = continue_final_message
        if tokenizer_encode_kwargs is not None:
            pre["tokenizer_encode_kwargs"] = tokenizer_encode_kwargs
        if stop_sequence is not None:
            generate_kwargs["stop_strings"] = [stop_sequence] if isinstance(stop_sequence, str) else list(stop_sequence)
            generate_kwargs["tokenizer"] = self.tokenizer
        post: dict[str, Any] = {}
        if return_full_text is not None and return_type is None:
            if return_text is not None:
                raise ValueError("`return_text` is mutually exclusive with `return_full_text`")
            if return_tensors is not None:
                raise ValueError("`return_full_text` is mutually exclusive with `return_tensors`")
            return_type = ReturnType.FULL_TEXT if return_full_text else ReturnType.NEW_TEXT
        if return_tensors and return_type is None:
            if return_text is not None:
                raise ValueError("`return_text` is mutually exclusive with `return_tensors`")
            return_type = ReturnType.TENSORS
        if return_type is not None:
            post["return_type"] = return_type
        for key, value in (("clean_up_tokenization_spaces", clean_up_tokenization_spaces),
                           ("continue_final_message", continue_final_message),
                           ("skip_special_tokens", skip_special_tokens)):
            if value is not None:
                post[key] = value
        # Everything else is for generate(), which names any option it does not know.
        return pre, generate_kwargs, post

    def __call__(self, text_inputs: Any, **kwargs: Any) -> Any:
        """Complete one prompt / chat, or each of a list (or stream) of them."""
        if _is_chat(text_inputs):
            return super().__call__(Chat(list(text_inputs)), **kwargs)
        if isinstance(text_inputs, list) and text_inputs and all(_is_chat(item) for item in text_inputs):
            return super().__call__([Chat(list(item)) for item in text_inputs], **kwargs)
        return super().__call__(text_inputs, **kwargs)

    def preprocess(self, prompt_text: "str | Chat", prefix: str = "", add_special_tokens: "bool | None" = None,
                   truncation: Any = None, max_length: "int | None" = None,
                   continue_final_message: "bool | None" = None,
                   tokenizer_encode_kwargs: "dict[str, Any] | None" = None) -> dict[str, Any]:
        options = {k: v for k, v in (("add_special_tokens", add_special_tokens), ("truncation", truncation),
                                     ("max_length", max_length)) if v is not None}
        options.update(tokenizer_encode_kwargs or {})
        if _is_chat(prompt_text):
            prompt_text = Chat(list(prompt_text))
        if isinstance(prompt_text, Chat):
            options.pop("add_special_tokens", None)  # the template places the special tokens itself
            if continue_final_message is None:
                continue_final_message = prompt_text.messages[-1]["role"] == "assistant"
            encoded = self.tokenizer.apply_chat_template(
                prompt_text.messages, add_generation_prompt=not continue_final_message,
                continue_final_message=continue_final_message, return_dict=True, return_tensors="pt", **options)
        elif isinstance(prompt_text, str):
            encoded = self.tokenizer(prefix + prompt_text, return_tensors="pt", **options)
        else:
            raise ValueError(f"text-generation takes strings or chats (lists of role/content dicts), "
                             f"got {type(prompt_text).__name__}.")
        return {**{k: v for k, v in encoded.items() if k in ("input_ids", "attention_mask")},
                "prompt_text": prompt_text}

    def _generate_kwargs(self, generate_kwargs: dict[str, Any]) -> dict[str, Any]:
        """The call's generate() options plus the pipeline defaults nothing else set."""
        user_config = generate_kwargs.get("generation_config")
        set_params = {**self.model.generation_config.to_diff_dict(),
                      **(user_config.to_diff_dict() if user_config is not None else {}), **generate_kwargs}
        added = {k: v for k, v in GENERATION_DEFAULTS.items()
                 if k not in set_params and not (k == "max_new_tokens" and "max_length" in set_params)}
        if self.tokenizer.pad_token_id is not None and "pad_token_id" not in set_params:
            added["pad_token_id"] = self.tokenizer.pad_token_id
        if not {**set_params, **added}.get("do_sample"):
            added = {k: v for k, v in added.items() if k not in _SAMPLING_PARAMS}
        if user_config is None:
            return {**generate_kwargs, **added}
        user_config = copy.deepcopy(user_config)
        user_config.update(**added)
        return {**generate_kwargs, "generation_config": user_config}

    def _forward(self, model_inputs: dict[str, Any], **generate_kwargs: Any) -> dict[str, Any]:
        input_ids = model_inputs["input_ids"]  # (batch, prompt)
        attention_mask = model_inputs.get("attention_mask")
        prompt_text = model_inputs["prompt_text"]
        prefix_length = generate_kwargs.pop("prefix_length", 0)
        generate_kwargs = self._generate_kwargs(generate_kwargs)
        if prefix_length:  # a total length must count the prefix too
            for total, new in (("max_length", "max_new_tokens"), ("min_length", "min_new_tokens")):
                if total in generate_kwargs and new not in generate_kwargs:
                    generate_kwargs[total] += prefix_length
        if input_ids.shape[1] == 0:
            input_ids = attention_mask = None
            in_batch = 1
        else:
            in_batch = input_ids.shape[0]
        output = self.model.generate(input_ids=input_ids, attention_mask=attention_mask, **generate_kwargs)
        sequences = output if isinstance(output, torch.Tensor) else output.sequences
        # (batch * returns, length) -> (batch, returns, length)
        sequences = sequences.reshape(in_batch, sequences.shape[0] // in_batch, *sequences.shape[1:])
        return {"generated_sequence": sequences, "input_ids": model_inputs["input_ids"], "prompt_text": prompt_text}

    def postprocess(self, model_outputs: dict[str, Any], return_type: ReturnType = ReturnType.FULL_TEXT,
                    clean_up_tokenization_spaces: "bool | None" = None, continue_final_message: "bool | None" = None,
                    skip_special_tokens: "bool | None" = None) -> list[dict[str, Any]]:
        prompt_text = model_outputs["prompt_text"]
        prompt_length = model_outputs["input_ids"].shape[-1]
        skip = True if skip_special_tokens is None else skip_special_tokens
        records = []
        for sequence in model_outputs["generated_sequence"][0].tolist():
            if return_type == ReturnType.TENSORS:
                records.append({"generated_token_ids": sequence})
                continue
            text = self.tokenizer.decode(sequence[prompt_length:], skip_special_tokens=skip,
                                         clean_up_tokenization_spaces=clean_up_tokenization_spaces)
            if return_type == ReturnType.FULL_TEXT:
                text = self._full_text(prompt_text, text, continue_final_message)
            records.append({"generated_text": text})
        return records

    @staticmethod
    def _full_text(prompt: "str | Chat", new_text: str, continue_final_message: "bool | None") -> Any:
        """The prompt with the new text: appended to a string, or as the chat's next (or continued) turn."""
        if isinstance(prompt, str):
            return prompt + new_text
        messages = list(prompt.messages)
        if continue_final_message is None:
            continue_final_message = messages[-1]["role"] == "assistant"
        if continue_final_message:
            last = messages[-1]
            return messages[:-1] + [{"role": last["role"], "content": last["content"] + new_text}]
        return messages + [{"role": "assistant", "content": new_text}]
