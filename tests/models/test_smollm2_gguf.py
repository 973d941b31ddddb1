"""SmolLM2-135M-Instruct end to end from its GGUF file: tokenizer, chat template, greedy answers.

Everything is compared with the reference (transformers loading the same file with
``gguf_file=``). The reference loads are slow (tokenizer ~10 s, model ~20-35 s), so each
is done once per module.
"""

from __future__ import annotations

import json
import os

import pytest
import torch

import embrace
from embrace.errors import GGUFError

# --- shared loads ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def gguf_location(smollm2_gguf):
    return smollm2_gguf.parent, smollm2_gguf.name


@pytest.fixture(scope="module")
def our_tokenizer(gguf_location):
    folder, name = gguf_location
    return embrace.AutoTokenizer.from_pretrained(folder, gguf_file=name)


@pytest.fixture(scope="module")
def reference_tokenizer(gguf_location):
    import transformers

    folder, name = gguf_location
    return transformers.AutoTokenizer.from_pretrained(folder, gguf_file=name)


@pytest.fixture(scope="module")
def our_model(gguf_location):
    folder, name = gguf_location
    return embrace.AutoModelForCausalLM.from_pretrained(folder, gguf_file=name).eval()


@pytest.fixture(scope="module")
def reference_model(gguf_location):
    import transformers

    folder, name = gguf_location
    return transformers.AutoModelForCausalLM.from_pretrained(folder, gguf_file=name).eval()


# --- tokenizer ------------------------------------------------------------------------------

_PIECES = [
    "Hello world", "hello   world", " leading space", "trailing space ", "\ttabs\tand\nnewlines\n\n",
    "What is the capital of France?", "The quick brown fox jumps over the lazy dog.", "I'm sure you'll've done it",
    "don't DON'T Don't", "numbers 1234567890 3.14159 -42 1e10", "2024-01-01T12:00:00Z", "café naïve résumé",
    "Ünïcödé ßtraße", "日本語のテキスト", "中文文本测试", "한국어 텍스트", "Привет, мир!", "مرحبا بالعالم", "שלום עולם",
    "emoji 🤗🚀👍🏽 family 👨‍👩‍👧", "math ∑∫√∞ ≠ ≤ ≥", "def f(x):\n    return x ** 2  # square",
    "<html><body class=\"a\">hi</body></html>", "{\"key\": [1, 2, {\"nested\": null}]}", "a" * 50, "   ",
    "!!!???...,,,;;;", "http://example.com/path?q=1&r=2#frag", "user@example.com", "C++ and C# and F#",
    "<|im_start|>user\nhi<|im_end|>", "text<|endoftext|>more", "<|im_start|><|im_end|>", "tab\t\tdouble",
    "\u00a0non-breaking\u00a0space", "zero\u200bwidth", "mixed CASE WoRdS", "snake_case_name and camelCaseName",
    "$100.00 €50 £20 ¥1000", "line1\r\nline2\rline3", "'quoted' \"double\" `back`", "a-b_c.d/e\\f",
]


def _corpus() -> list[str]:
    """~200 varied strings: the pieces alone, pairs joined by separators, and prefixes."""
    texts = list(_PIECES)
    for index, piece in enumerate(_PIECES):
        other = _PIECES[(index * 7 + 3) % len(_PIECES)]
        texts.append(piece + " " + other)
        texts.append(other + "\n" + piece)
        texts.append(piece[: max(1, len(piece) // 2)])
    texts.append("")
    return texts


def test_encode_decode_matches_reference_on_varied_text(our_tokenizer, reference_tokenizer):
    texts = _corpus()
    assert len(texts) >= 150
    ours = our_tokenizer(texts, return_offsets_mapping=True)
    theirs = reference_tokenizer(texts, return_offsets_mapping=True)
    assert ours["input_ids"] == theirs["input_ids"]
    assert ours["offset_mapping"] == theirs["offset_mapping"]
    for ids in theirs["input_ids"]:
        assert our_tokenizer.decode(ids) == reference_tokenizer.decode(ids)
        assert our_tokenizer.decode(ids, skip_special_tokens=True) == reference_tokenizer.decode(
            ids, skip_special_tokens=True)
    assert our_tokenizer("a", "b")["input_ids"] == reference_tokenizer("a", "b")["input_ids"]


def test_special_tokens_and_flags_match_reference(our_tokenizer, reference_tokenizer):
    assert our_tokenizer.special_tokens_map == reference_tokenizer.special_tokens_map
    for name in ("bos_token_id", "eos_token_id", "pad_token_id", "unk_token_id"):
        assert getattr(our_tokenizer, name) == getattr(reference_tokenizer, name), name
    assert our_tokenizer.add_bos_token is reference_tokenizer.add_bos_token is False
    assert our_tokenizer.chat_template == reference_tokenizer.chat_template
    assert len(our_tokenizer) == len(reference_tokenizer) == 49152
    assert our_tokenizer.all_special_tokens == reference_tokenizer.all_special_tokens


def test_backend_pipeline_matches_reference_json(our_tokenizer, reference_tokenizer):
    ours = json.loads(our_tokenizer.backend_tokenizer.to_str())
    theirs = json.loads(reference_tokenizer.backend_tokenizer.to_str())
    assert ours == theirs


def test_saved_gguf_tokenizer_loads_in_the_reference(our_tokenizer, reference_tokenizer, tmp_path):
    import transformers

    our_tokenizer.save_pretrained(tmp_path)
    reloaded = transformers.AutoTokenizer.from_pretrained(tmp_path)
    text = "<|im_start|>user\nBonjour, ça va? 🤗<|im_end|>"
    assert reloaded(text)["input_ids"] == reference_tokenizer(text)["input_ids"]
    assert reloaded.chat_template == reference_tokenizer.chat_template
    assert reloaded.eos_token == "<|im_end|>" and reloaded.add_bos_token is False


_CONVERSATIONS = [
    [{"role": "user", "content": "What is the capital of France?"}],
    [{"role": "system", "content": "You are terse."}, {"role": "user", "content": "Name a prime number."}],
    [{"role": "user", "content": "Hi!"}, {"role": "assistant", "content": "Hello! How can I help?"},
     {"role": "user", "content": "Tell me a joke about cats 🐱."}],
    [{"role": "user", "content": "Écris une phrase en français.\nMerci."}],
]


@pytest.mark.parametrize("add_generation_prompt", [True, False])
def test_chat_template_renders_like_reference(our_tokenizer, reference_tokenizer, add_generation_prompt):
    for conversation in _CONVERSATIONS:
        text = our_tokenizer.apply_chat_template(conversation, tokenize=False,
                                                 add_generation_prompt=add_generation_prompt)
        assert text == reference_tokenizer.apply_chat_template(conversation, tokenize=False,
                                                               add_generation_prompt=add_generation_prompt)
        ours = our_tokenizer.apply_chat_template(conversation, add_generation_prompt=add_generation_prompt)
        theirs = reference_tokenizer.apply_chat_template(conversation, add_generation_prompt=add_generation_prompt)
        assert ours["input_ids"] == theirs["input_ids"]


def test_keyword_overrides_win_over_the_file(gguf_location):
    folder, name = gguf_location
    tokenizer = embrace.AutoTokenizer.from_pretrained(folder, gguf_file=name, add_bos_token=True, padding_side="left")
    assert tokenizer.padding_side == "left"
    assert tokenizer("hi")["input_ids"] == [tokenizer.bos_token_id, *tokenizer("hi", add_special_tokens=False)[
        "input_ids"]]


def test_missing_and_bad_gguf_files_raise_clear_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="absent.gguf"):
        embrace.AutoTokenizer.from_pretrained(tmp_path, gguf_file="absent.gguf")
    (tmp_path / "bad.gguf").write_bytes(b"GGML" + bytes(28))
    with pytest.raises(GGUFError, match="not a GGUF file"):
        embrace.AutoTokenizer.from_pretrained(tmp_path, gguf_file="bad.gguf")
    assert sorted(os.listdir(tmp_path)) == ["bad.gguf"]


def test_gguf_without_tokenizer_metadata_is_refused():
    from embrace.io.gguf_mapping import gguf_tokenizer_json

    with pytest.raises(GGUFError, match="tokenizer.ggml.tokens"):
        gguf_tokenizer_json({"tokenizer.ggml.model": "gpt2"})
    with pytest.raises(GGUFError, match="supported"):
        gguf_tokenizer_json({"tokenizer.ggml.model": "rwkv", "tokenizer.ggml.tokens": ["a"]})


# --- generation -----------------------------------------------------------------------------

_PROMPTS = [
    "What is the capital of France?", "What is 2 + 2?", "Name three colors.", "Write a haiku about the sea.",
    "Who wrote Romeo and Juliet?", "What is the boiling point of water?", "Give me a synonym for happy.",
    "Translate 'hello' into Spanish.", "What is photosynthesis?", "How many legs does a spider have?",
    "What is the largest planet in our solar system?", "Suggest a name for a pet goldfish.",
    "What does CPU stand for?", "Explain gravity in one sentence.", "What is the opposite of cold?",
    "List two fruits that are red.", "Why is the sky blue?", "What language is spoken in Brazil?",
    "Write a Python function that adds two numbers.", "What is the square root of 81?",
]


def _chat_ids(tokenizer, prompts: list[str]) -> list[list[int]]:
    return [tokenizer.apply_chat_template([{"role": "user", "content": p}], add_generation_prompt=True)["input_ids"]
            for p in prompts]


def _left_padded(ids: list[list[int]], pad_id: int) -> tuple[torch.Tensor, torch.Tensor]:
    width = max(len(row) for row in ids)
    input_ids = torch.tensor([[pad_id] * (width - len(row)) + row for row in ids])
    mask = torch.tensor([[0] * (width - len(row)) + [1] * len(row) for row in ids])
    return input_ids, mask


def test_greedy_chat_answers_match_reference(our_model, reference_model, our_tokenizer):
    prompt_ids = _chat_ids(our_tokenizer, _PROMPTS)
    input_ids, mask = _left_padded(prompt_ids, our_tokenizer.pad_token_id)
    options = dict(max_new_tokens=40, do_sample=False, pad_token_id=our_tokenizer.pad_token_id)
    with torch.no_grad():
        ours = our_model.generate(input_ids, attention_mask=mask, **options)
        theirs = reference_model.generate(input_ids, attention_mask=mask, **options)
    assert ours.shape == theirs.shape
    assert ours.tolist() == theirs.tolist()


def test_capital_of_france_answer(our_model, our_tokenizer):
    ids = our_tokenizer.apply_chat_template([{"role": "user", "content": "What is the capital of France?"}],
                                            add_generation_prompt=True, return_tensors="pt")["input_ids"]
    with torch.no_grad():
        out = our_model.generate(ids, max_new_tokens=20, do_sample=False)
    answer = our_tokenizer.decode(out[0, ids.shape[1]:], skip_special_tokens=True)
    assert answer.strip() == "The capital of France is Paris."
