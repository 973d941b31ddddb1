"""Loading and saving tokenizer folders: both directions with the reference, legacy files, bad input."""

from __future__ import annotations

import json
import os
import shutil

import pytest

from embrace.errors import DirectoryExpectedError, RemoteCodeError, TokenizerError, UnknownKeyError
from embrace.tokenization import AutoTokenizer, BertTokenizer, GPT2Tokenizer, PreTrainedTokenizerFast

from .conftest import plain

SAMPLE = ["Hello world! It's 2024.", "naïve café -- über", "short", "  spaces   and\ttabs\n"]
# Keys the reference writes that record how it was loaded, not what the tokenizer is.
LOADER_KEYS = {"is_local", "local_files_only", "max_length", "stride", "truncation_side", "truncation_strategy",
               "pad_to_multiple_of", "pad_token_type_id", "padding_side"}


@pytest.mark.parametrize("name", ["minilm", "gpt2", "qwen2", "anthropic"])
def test_save_loads_in_reference_and_reference_save_loads_in_ours(folders, name, tmp_path):
    import transformers

    # Fresh loads: the engine keeps the last call's truncation/padding, and that state is saved.
    ours = AutoTokenizer.from_pretrained(folders[name])
    ref = transformers.AutoTokenizer.from_pretrained(str(folders[name]))
    ours.save_pretrained(tmp_path / "ours")
    ref.save_pretrained(str(tmp_path / "ref"))
    ref_from_ours = transformers.AutoTokenizer.from_pretrained(str(tmp_path / "ours"))
    ours_from_ref = AutoTokenizer.from_pretrained(tmp_path / "ref")
    assert type(ref_from_ours).__name__ == type(ref).__name__
    for tok in (ref_from_ours, ours_from_ref):
        assert plain(tok(SAMPLE)) == plain(ref(SAMPLE))
        assert tok.special_tokens_map == ref.special_tokens_map
    ours_config = json.loads((tmp_path / "ours" / "tokenizer_config.json").read_text())
    ref_config = json.loads((tmp_path / "ref" / "tokenizer_config.json").read_text())
    strip = lambda d: {k: v for k, v in d.items() if k not in LOADER_KEYS}  # noqa: E731
    assert strip(ours_config) == strip(ref_config)
    # The vocabulary, added tokens and layout are identical. The reference's per-model classes
    # rebuild the pre-tokenizer/decoder from their constructor defaults (Qwen2: trim_offsets
    # flips to True, which changes no output); we keep the loaded file's pipeline as it was.
    ours_json = json.loads((tmp_path / "ours" / "tokenizer.json").read_text())
    ref_json = json.loads((tmp_path / "ref" / "tokenizer.json").read_text())
    for key in ("model", "added_tokens", "normalizer", "post_processor", "truncation", "padding"):
        assert ours_json[key] == ref_json[key], key


def test_legacy_vocab_txt_matches_tokenizer_json_and_round_trips(folders, pairs, tmp_path):
    ours = BertTokenizer.from_pretrained(folders["bert_legacy"])
    fast, _ = pairs("minilm")
    assert plain(ours(SAMPLE, SAMPLE[::-1])) == plain(fast(SAMPLE, SAMPLE[::-1]))
    written = ours.save_pretrained(tmp_path)
    assert (tmp_path / "vocab.txt").read_bytes() == (folders["bert_legacy"] / "vocab.txt").read_bytes()
    assert {os.path.basename(p) for p in written} == {"tokenizer_config.json", "special_tokens_map.json",
                                                      "tokenizer.json", "vocab.txt"}
    uncased = BertTokenizer(vocab_file=str(folders["bert_legacy"] / "vocab.txt"), do_lower_case=False)
    assert uncased.tokenize("Hello")[0] != "hello"


def test_gpt2_from_vocab_and_merges_matches_reference(folders):
    import transformers

    ours = GPT2Tokenizer(vocab_file=str(folders["gpt2"] / "vocab.json"), merges_file=str(folders["gpt2"] / "merges.txt"))
    ref = transformers.GPT2Tokenizer.from_pretrained(str(folders["gpt2"]))
    assert plain(ours(SAMPLE)) == plain(ref(SAMPLE))
    spaced = GPT2Tokenizer.from_pretrained(folders["gpt2"], add_prefix_space=True)
    assert spaced.tokenize("hi") == transformers.GPT2Tokenizer.from_pretrained(str(folders["gpt2"]), add_prefix_space=True).tokenize("hi")


def test_class_from_model_type_when_config_has_no_class(folders, tmp_path):
    shutil.copy(folders["qwen2"] / "tokenizer.json", tmp_path / "tokenizer.json")
    (tmp_path / "config.json").write_text(json.dumps({"model_type": "qwen2"}))
    assert type(AutoTokenizer.from_pretrained(tmp_path)).__name__ == "Qwen2Tokenizer"
    (tmp_path / "config.json").write_text(json.dumps({"model_type": "no-such-model"}))
    with pytest.raises(UnknownKeyError, match="qwen2"):
        AutoTokenizer.from_pretrained(tmp_path)
    (tmp_path / "config.json").unlink()
    assert type(AutoTokenizer.from_pretrained(tmp_path)).__name__ == "PreTrainedTokenizer"


def test_kwargs_override_config_and_bad_inputs_fail_clearly(folders, tmp_path):
    tok = AutoTokenizer.from_pretrained(folders["minilm"], model_max_length=7, padding_side="left")
    assert tok.model_max_length == 7 and tok.padding_side == "left"
    with pytest.raises(RemoteCodeError):
        AutoTokenizer.from_pretrained(folders["minilm"], trust_remote_code=True)
    with pytest.raises(TokenizerError, match="Cannot tell which tokenizer"):
        AutoTokenizer.from_pretrained(tmp_path)
    (tmp_path / "tokenizer_config.json").write_text(json.dumps({"tokenizer_class": "NopeTokenizer"}))
    with pytest.raises(UnknownKeyError, match="BertTokenizer"):
        AutoTokenizer.from_pretrained(tmp_path)
    (tmp_path / "tokenizer_config.json").write_text("{not json")
    with pytest.raises(TokenizerError, match="not valid JSON"):
        AutoTokenizer.from_pretrained(tmp_path)
    (tmp_path / "tokenizer_config.json").write_text(json.dumps({"tokenizer_class": "BertTokenizer"}))
    with pytest.raises(TokenizerError, match="vocab.txt"):
        AutoTokenizer.from_pretrained(tmp_path)
    with pytest.raises(OSError):
        AutoTokenizer()


def test_save_into_a_file_path_fails_and_leaves_nothing(pairs, tmp_path):
    ours, _ = pairs("minilm")
    target = tmp_path / "file.txt"
    target.write_text("keep me")
    with pytest.raises(DirectoryExpectedError):
        ours.save_pretrained(target)
    assert target.read_text() == "keep me"
    with pytest.raises(TypeError, match="unexpected"):
        ours.save_pretrained(tmp_path / "x", bogus=True)
    ours.save_pretrained(tmp_path / "ok")
    assert not [p for p in os.listdir(tmp_path / "ok") if p.startswith(".tmp")]


def test_wrap_tokenizer_file_and_train_new_from_iterator(folders, corpus):
    tok = PreTrainedTokenizerFast(tokenizer_file=str(folders["anthropic"] / "tokenizer.json"), eos_token="<EOT>")
    assert tok.eos_token_id == 0
    bert = BertTokenizer.from_pretrained(folders["bert_legacy"])
    new = bert.train_new_from_iterator(corpus[:200], vocab_size=300)
    assert len(new) < len(bert) and new.cls_token == "[CLS]"  # WordPiece keeps its whole alphabet
    assert new.tokenize("hello") != bert.tokenize("hello") or new.get_vocab() != bert.get_vocab()
    ids = new("hello world")["input_ids"]
    assert ids[0] == new.cls_token_id and ids[-1] == new.sep_token_id
