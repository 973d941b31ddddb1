"""apply_chat_template parity with the reference on Qwen2's template, and the sandbox."""

from __future__ import annotations

import jinja2
import pytest

from embrace.errors import TokenizerError

from .conftest import plain

CHATS = [
    [{"role": "user", "content": "Hi there!"}],
    [{"role": "system", "content": "You are terse."}, {"role": "user", "content": "2+2?"},
     {"role": "assistant", "content": "4"}, {"role": "user", "content": "Und auf Deutsch? Ünïcödé ✓"}],
    [{"role": "user", "content": "Write a haiku"}, {"role": "assistant", "content": "Autumn moonlight—"}],
]
TRACKING = ("{% for m in messages %}<{{ m['role'] }}>{% if m['role'] == 'assistant' %}{% generation %}"
            "{{ m['content'] }}{% endgeneration %}{% else %}{{ m['content'] }}{% endif %}\n{% endfor %}")


@pytest.mark.parametrize("chat", CHATS, ids=["one", "long", "assistant-last"])
@pytest.mark.parametrize("add_generation_prompt", [False, True])
def test_qwen2_template_text_and_ids_match_reference(pairs, chat, add_generation_prompt):
    ours, ref = pairs("qwen2")
    kwargs = dict(add_generation_prompt=add_generation_prompt)
    assert ours.apply_chat_template(chat, tokenize=False, **kwargs) == ref.apply_chat_template(chat, tokenize=False, **kwargs)
    assert plain(ours.apply_chat_template(chat, **kwargs)) == plain(ref.apply_chat_template(chat, **kwargs))
    assert ours.apply_chat_template(chat, return_dict=False, **kwargs) == ref.apply_chat_template(chat, return_dict=False, **kwargs)


def test_continue_final_message_batches_and_tensors_match_reference(pairs):
    ours, ref = pairs("qwen2")
    chat = CHATS[2]
    assert ours.apply_chat_template(chat, tokenize=False, continue_final_message=True) == \
        ref.apply_chat_template(chat, tokenize=False, continue_final_message=True)
    batch = [CHATS[0], CHATS[1]]
    assert ours.apply_chat_template(batch, tokenize=False) == ref.apply_chat_template(batch, tokenize=False)
    got = ours.apply_chat_template(batch, padding=True, return_tensors="pt", add_generation_prompt=True)
    want = ref.apply_chat_template(batch, padding=True, return_tensors="pt", add_generation_prompt=True)
    assert plain(got) == plain(want)
    with pytest.raises(TokenizerError, match="not compatible"):
        ours.apply_chat_template(chat, continue_final_message=True, add_generation_prompt=True)


def test_assistant_mask_and_custom_template_match_reference(pairs):
    ours, ref = pairs("qwen2")
    chat = CHATS[1]
    options = dict(chat_template=TRACKING, return_dict=True, return_assistant_tokens_mask=True)
    assert plain(ours.apply_chat_template(chat, **options)) == plain(ref.apply_chat_template(chat, **options))
    extra = "{{ bos_token }}{{ eos_token }}{{ custom }}{{ messages | length }}"
    assert ours.apply_chat_template(chat, chat_template=extra, tokenize=False, custom="X") == \
        ref.apply_chat_template(chat, chat_template=extra, tokenize=False, custom="X")


def test_template_globals_and_sandbox(pairs):
    ours, _ = pairs("qwen2")
    chat = CHATS[0]
    assert ours.apply_chat_template(chat, chat_template="{{ messages[0] | tojson }}", tokenize=False) == \
        '{"role": "user", "content": "Hi there!"}'
    assert len(ours.apply_chat_template(chat, chat_template="{{ strftime_now('%Y') }}", tokenize=False)) == 4
    with pytest.raises(jinja2.exceptions.TemplateError, match="no system"):
        ours.apply_chat_template(chat, chat_template="{{ raise_exception('no system') }}", tokenize=False)
    with pytest.raises(jinja2.exceptions.SecurityError):
        ours.apply_chat_template(chat, chat_template="{{ messages.__class__.__mro__ }}{% set x = namespace(_a=1) %}",
                                 tokenize=False)
    with pytest.raises(jinja2.exceptions.SecurityError):
        ours.apply_chat_template(chat, chat_template="{{ messages.append(1) }}", tokenize=False)
    with pytest.raises(TypeError, match="non-empty list"):
        ours.apply_chat_template([], tokenize=False)
