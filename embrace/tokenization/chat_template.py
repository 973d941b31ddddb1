"""Chat templates: render a conversation with the tokenizer's Jinja template.

Templates run in Jinja's immutable sandbox with the environment the reference gives them:
``trim_blocks`` and ``lstrip_blocks``, the ``loopcontrols`` extension, a ``tojson`` filter
that keeps non-ASCII text, the globals ``raise_exception``, ``strftime_now``, ``dict`` and a
``namespace`` that refuses underscore names, and a ``{% generation %}`` block that records
which characters the assistant wrote (for ``return_assistant_tokens_mask``).

Example:
    >>> render_conversations([[{"role": "user", "content": "hi"}]],
    ...                      "{% for m in messages %}<{{ m.role }}>{{ m.content | tojson }}{% endfor %}")[0]
    ['<user>"hi"']
"""

from __future__ import annotations

import functools
import inspect
import json
from datetime import datetime
from typing import TYPE_CHECKING, Any

import jinja2
import jinja2.ext
import jinja2.nodes
from jinja2.sandbox import ImmutableSandboxedEnvironment

from ..errors import TokenizerError, TokenizerInputError

if TYPE_CHECKING:
    from .base import PreTrainedTokenizer

_CONTINUE_TAG = "CONTINUE_FINAL_MESSAGE_TAG "


class _GenerationTracker(jinja2.ext.Extension):
    """``{% generation %}...{% endgeneration %}``: note the character span of what is inside."""

    tags = {"generation"}

    def __init__(self, environment: jinja2.Environment) -> None:
        super().__init__(environment)
        self.spans: "list[tuple[int, int]] | None" = None
        self.rendered: "list[str] | None" = None

    def parse(self, parser: Any) -> Any:
        lineno = next(parser.stream).lineno
        body = parser.parse_statements(("name:endgeneration",), drop_needle=True)
        return jinja2.nodes.CallBlock(self.call_method("_record", []), [], [], body).set_lineno(lineno)

    def _record(self, caller: Any) -> str:
        text = caller()
        if self.spans is not None and self.rendered is not None:
            start = len("".join(self.rendered))
            self.spans.append((start, start + len(text)))
        return text


def _raise_exception(message: str) -> None:
    raise jinja2.exceptions.TemplateError(message)


def _tojson(value: Any, ensure_ascii: bool = False, indent: Any = None, separators: Any = None,
            sort_keys: bool = False) -> str:
    return json.dumps(value, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys)


def _strftime_now(format: str) -> str:  # noqa: A002 - the name templates call it with
    return datetime.now().strftime(format)


class _TemplateDict:
    """``dict(...)`` and ``dict.fromkeys(...)`` for templates, without exposing the real type."""

    def __call__(self, *args: Any, **kwargs: Any) -> dict:
        return dict(*args, **kwargs)

    def fromkeys(self, *args: Any, **kwargs: Any) -> dict:
        return dict.fromkeys(*args, **kwargs)


class _Namespace(jinja2.utils.Namespace):
    """Jinja's namespace, refusing underscore-prefixed names (they reach into Python internals)."""

    def __init__(*args: Any, **kwargs: Any) -> None:  # noqa: N805 - mirrors jinja2.utils.Namespace
        self, rest = args[0], args[1:]
        attrs = dict(*rest, **kwargs)
        for name in attrs:
            _Namespace._check(name)
        jinja2.utils.Namespace.__init__(self, attrs)

    def __setitem__(self, name: str, value: Any) -> None:
        _Namespace._check(name)
        jinja2.utils.Namespace.__setitem__(self, name, value)

    @staticmethod
    def _check(name: Any) -> None:
        if isinstance(name, str) and name.startswith("_"):
            raise jinja2.exceptions.SecurityError(
                f"Chat templates cannot store underscore-prefixed attributes on a namespace, got {name!r}."
            )


@functools.lru_cache(maxsize=32)
def compile_template(source: str) -> tuple[jinja2.Template, _GenerationTracker]:
    """Compile `source` once (templates are long and reused for every call)."""
    env = ImmutableSandboxedEnvironment(
        trim_blocks=True, lstrip_blocks=True, extensions=[_GenerationTracker, jinja2.ext.loopcontrols]
    )
    env.filters["tojson"] = _tojson
    env.globals.update(raise_exception=_raise_exception, strftime_now=_strftime_now, dict=_TemplateDict(),
                       namespace=_Namespace)
    tracker = next(ext for ext in env.extensions.values() if isinstance(ext, _GenerationTracker))
    return env.from_string(source), tracker


def select_template(own: Any, chat_template: "str | None", tools: "list | None") -> str:
    """Pick the template: an explicit one (or a name in a dict of templates), else the tokenizer's."""
    if isinstance(own, dict):
        if chat_template is not None and chat_template in own:
            return own[chat_template]
        if chat_template is None:
            if tools is not None and "tool_use" in own:
                return own["tool_use"]
            if "default" in own:
                return own["default"]
            raise TokenizerError(
                "This tokenizer has several chat templates and none is named 'default'; pass chat_template= one of "
                f"{sorted(own)}."
            )
    if chat_template is not None:
        return chat_template
    if own is None:
        raise TokenizerError(
            "Cannot use apply_chat_template: tokenizer.chat_template is not set and no chat_template was passed. "
            "Set tokenizer.chat_template to a Jinja template string."
        )
    return own


def _tool_schema(tool: Any) -> dict:
    if isinstance(tool, dict):
        return tool
    if inspect.isfunction(tool) or inspect.ismethod(tool):
        raise TokenizerInputError(
            f"Tool {tool.__name__!r} is a Python function; pass its JSON schema as a dict instead (embrace does not "
            "derive schemas from docstrings)."
        )
    raise TokenizerInputError(f"Tools must be JSON-schema dicts, got {type(tool).__name__}.")


def render_conversations(
    conversations: list[list[dict]], template: str, *, tools: "list | None" = None, documents: "list | None" = None,
    add_generation_prompt: bool = False, continue_final_message: "bool | str" = False,
    return_assistant_tokens_mask: bool = False, **kwargs: Any,
) -> tuple[list[str], list[list[tuple[int, int]]]]:
    """Render each conversation; also return the assistant character spans of each."""
    compiled, tracker = compile_template(template)
    tool_schemas = None if tools is None else [_tool_schema(tool) for tool in tools]
    if documents is not None and not all(isinstance(d, dict) for d in documents):
        raise TokenizerInputError("documents must be a list of dicts with 'title' and 'text' keys.")
    rendered, all_spans = [], []
    for chat in conversations:
        chat = [dict(message) for message in getattr(chat, "messages", chat)]
        for message in chat:
            if not isinstance(message, dict):
                raise TokenizerInputError(f"Chat messages must be dicts, got {message!r}.")
        final = None
        if continue_final_message:
            field = continue_final_message if isinstance(continue_final_message, str) else "content"
            final = chat[-1].get(field)
            if final is None:
                raise TokenizerError(f'continue_final_message is set but the final message has no "{field}".')
            if field not in template:
                raise TokenizerError(f'continue_final_message is set to "{field}" but the template never uses it.')
            if isinstance(final, (list, tuple)):
                blocks = [block for block in final if "text" in block]
                if not blocks:
                    raise TokenizerError("continue_final_message is set but the final message has no text to continue.")
                final = blocks[-1]["text"]
                blocks[-1]["text"] = final + _CONTINUE_TAG
            else:
                chat[-1] = {**chat[-1], field: final + _CONTINUE_TAG}
        spans: list[tuple[int, int]] = []
        variables = dict(messages=chat, tools=tool_schemas, documents=documents,
                         add_generation_prompt=add_generation_prompt, **kwargs)
        if return_assistant_tokens_mask:
            pieces: list[str] = []
            tracker.spans, tracker.rendered = spans, pieces
            try:
                for piece in compiled.generate(**variables):
                    pieces.append(piece)
            finally:
                tracker.spans = tracker.rendered = None
            text = "".join(pieces)
        else:
            text = compiled.render(**variables)
        if final is not None:
            if final.strip() not in text or _CONTINUE_TAG.strip() not in text:
                raise TokenizerError(
                    "continue_final_message is set but the final message does not appear in the rendered chat; the "
                    "template changes it. Render with tokenize=False to inspect the output."
                )
            cut = text.rindex(_CONTINUE_TAG.strip())
            text = text[:cut] if text[cut: cut + len(_CONTINUE_TAG)] == _CONTINUE_TAG else text[:cut].rstrip()
        rendered.append(text)
        all_spans.append(spans)
    return rendered, all_spans


def apply_chat_template(
    tokenizer: "PreTrainedTokenizer", conversation: Any, *, tools: "list | None", documents: "list | None",
    chat_template: "str | None", add_generation_prompt: bool, continue_final_message: "bool | str", tokenize: bool,
    padding: Any, truncation: bool, max_length: "int | None", return_tensors: "str | None", return_dict: bool,
    return_assistant_tokens_mask: bool, tokenizer_kwargs: "dict[str, Any] | None", template_kwargs: dict[str, Any],
) -> Any:
    """The reference's apply_chat_template, over :func:`render_conversations`."""
    if not tokenize:
        return_dict = False
    if return_assistant_tokens_mask and not (return_dict and tokenize):
        raise TokenizerError("return_assistant_tokens_mask=True requires return_dict=True and tokenize=True.")
    if not isinstance(conversation, (list, tuple)) or not conversation:
        raise TokenizerInputError(
            "conversation must be a non-empty list of message dicts (or a list of such lists for a batch), got "
            f"{conversation!r}."
        )
    template = tokenizer.get_chat_template(chat_template, tools)
    batched = isinstance(conversation[0], (list, tuple)) or hasattr(conversation[0], "messages")
    conversations = conversation if batched else [conversation]
    conversations = [[{k: v for k, v in m.items() if v is not None} for m in getattr(c, "messages", c)]
                     for c in conversations]
    if continue_final_message and add_generation_prompt:
        raise TokenizerError(
            "continue_final_message and add_generation_prompt are not compatible: use continue_final_message to "
            "extend the last message, add_generation_prompt to open a new assistant turn."
        )
    if continue_final_message and return_assistant_tokens_mask:
        raise TokenizerError("continue_final_message is not compatible with return_assistant_tokens_mask.")
    rendered, spans = render_conversations(
        conversations, template, tools=tools, documents=documents, add_generation_prompt=add_generation_prompt,
        continue_final_message=continue_final_message, return_assistant_tokens_mask=return_assistant_tokens_mask,
        **{**tokenizer.special_tokens_map, **template_kwargs},
    )
    if not tokenize:
        return rendered if batched else rendered[0]
    out = tokenizer(rendered if batched else rendered[0], padding=padding, truncation=truncation,
                    max_length=max_length, add_special_tokens=False, return_tensors=return_tensors,
                    **(tokenizer_kwargs or {}))
    if not return_dict:
        return out["input_ids"]
    if return_assistant_tokens_mask:
        rows = out["input_ids"] if batched or return_tensors else [out["input_ids"]]
        masks = []
        for i, row in enumerate(rows):
            mask = [0] * len(row)
            for start_char, end_char in spans[i]:
                start = out.char_to_token(i, start_char)
                end = out.char_to_token(i, end_char - 1)
                if start is None:
                    break
                for index in range(start, end + 1 if end else len(row)):
                    mask[index] = 1
            masks.append(mask)
        out["assistant_masks"] = masks if batched or return_tensors else masks[0]
        if return_tensors:
            out.convert_to_tensors(tensor_type=return_tensors)
    return out
