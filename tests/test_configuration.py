"""PretrainedConfig: the field mechanism, validation and config.json parity with transformers."""

from __future__ import annotations

import copy
import json
import logging
import math
import os
import pickle
from typing import ClassVar

import pytest
import torch
import transformers

from embrace.configuration import PreTrainedConfig, PretrainedConfig, get_configuration_file
from embrace.errors import ConfigError, DirectoryExpectedError, LocalEntryNotFoundError, RemoteCodeError


class BertConfig(PretrainedConfig):
    """The fields of transformers' BertConfig, declared the embrace way."""

    model_type = "bert"
    vocab_size: int = 30522
    hidden_size: int = 768
    num_hidden_layers: int = 12
    num_attention_heads: int = 12
    intermediate_size: int = 3072
    hidden_act: str = "gelu"
    hidden_dropout_prob: float | int = 0.1
    attention_probs_dropout_prob: float | int = 0.1
    max_position_embeddings: int = 512
    type_vocab_size: int = 2
    initializer_range: float = 0.02
    layer_norm_eps: float = 1e-12
    pad_token_id: int | None = 0
    use_cache: bool = True
    classifier_dropout: float | int | None = None
    is_decoder: bool = False
    add_cross_attention: bool = False
    bos_token_id: int | None = None
    eos_token_id: int | list[int] | None = None
    tie_word_embeddings: bool = True


def _bert_pairs() -> list:
    pairs = [pytest.param(BertConfig, id="mirror")]
    try:
        from embrace.models.bert import BertConfig as FamilyBertConfig
    except ImportError:  # the BERT family is written separately; test it once it exists
        return pairs
    return [*pairs, pytest.param(FamilyBertConfig, id="embrace.models.bert")]


BERT_CLASSES = _bert_pairs()

CASES = {
    "default": {},
    "num_labels": dict(num_labels=5, problem_type="single_label_classification"),
    "id2label": dict(id2label={"0": "neg", "1": "pos"}, label2id={"neg": 0, "pos": 1}),
    "unknown_keys": dict(foo=[1, 2], bar={"a": 1}, _private_key="kept"),
    "torch_dtype": dict(torch_dtype="bfloat16"),
    "dtype": dict(dtype="float16"),
    "dtype_object": dict(dtype=torch.float64),
    "output_attentions": dict(output_attentions=True),
    "attn_implementation": dict(attn_implementation="sdpa"),
    "base_fields": dict(is_encoder_decoder=True, architectures=["BertModel"], chunk_size_feed_forward=2),
    "special_floats": dict(layer_norm_eps=float("inf"), initializer_range=float("nan")),
    "flags": dict(name_or_path="org/name", return_dict=False, output_hidden_states=True),
    "generation_params_dropped": dict(max_length=5, num_beams=3),
    "regression": dict(num_labels=1, problem_type="regression", eos_token_id=[1, 2]),
    "commit_hash_dropped": dict(_commit_hash="abc", _attn_implementation_internal="eager"),
}


def _state(config) -> dict:
    """Instance attributes, without the reference's bookkeeping flag."""
    return {k: v for k, v in config.__dict__.items() if k != "_post_init_done"}


def _same(a, b) -> bool:
    """Equality where NaN equals NaN (configs may carry NaN floats)."""
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(map(_same, a, b))
    return a == b


# --- byte parity with transformers --------------------------------------------------------


@pytest.mark.parametrize("cls", BERT_CLASSES)
@pytest.mark.parametrize("case", CASES)
def test_json_bytes_repr_and_state_match_reference(cls, case):
    ours, ref = cls(**CASES[case]), transformers.BertConfig(**CASES[case])
    assert ours.to_json_string() == ref.to_json_string()
    assert ours.to_json_string(use_diff=False) == ref.to_json_string(use_diff=False)
    assert repr(ours) == repr(ref)
    assert _same(_state(ours), _state(ref))
    assert list(ours) == [k for k in ref if k != "_post_init_done"]


@pytest.mark.parametrize("case", CASES)
def test_we_save_reference_loads(case, tmp_path):
    ours = BertConfig(**CASES[case])
    ours.save_pretrained(tmp_path)
    ref = transformers.BertConfig.from_pretrained(tmp_path)
    ours.name_or_path = ""  # not saved: the loader records where it loaded from
    assert _same(ref.to_dict(), ours.to_dict())
    assert ref.to_json_string() == ours.to_json_string()


@pytest.mark.parametrize("case", CASES)
def test_reference_saves_we_load(case, tmp_path):
    ref = transformers.BertConfig(**CASES[case])
    ref.save_pretrained(tmp_path)
    ours = BertConfig.from_pretrained(tmp_path)
    again = transformers.BertConfig.from_pretrained(tmp_path)
    assert _same(_state(ours), _state(again))
    assert (tmp_path / "config.json").read_text() == ours.to_json_string()


def test_old_checkpoint_keys_are_kept_and_written_back(tmp_path):
    legacy = {
        "architectures": ["BertForMaskedLM"], "model_type": "bert", "torch_dtype": "float32",
        "transformers_version": "4.6.0.dev0", "gradient_checkpointing": False,
        "position_embedding_type": "absolute", "_name_or_path": "old/path", "hidden_size": 32,
    }
    (tmp_path / "config.json").write_text(json.dumps(legacy))
    ours = BertConfig.from_pretrained(tmp_path)
    ref = transformers.BertConfig.from_pretrained(tmp_path)
    assert _same(_state(ours), _state(ref))
    assert ours.gradient_checkpointing is False and ours.dtype == torch.float32
    out = tmp_path / "out"
    ours.save_pretrained(out)
    ref.save_pretrained(tmp_path / "ref")
    assert (out / "config.json").read_bytes() == (tmp_path / "ref" / "config.json").read_bytes()


@pytest.mark.parametrize(
    "kwargs",
    [
        dict(foo=1, vocab_size=5),
        dict(dtype="auto"),
        dict(dtype="float16"),
        dict(torch_dtype="float16"),
        dict(output_attentions=True),
        dict(num_labels=3),
        dict(attn_implementation="eager", output_hidden_states=True),
        dict(name_or_path="elsewhere"),
    ],
    ids=repr,
)
def test_from_pretrained_kwargs_match_reference(kwargs, tmp_path):
    transformers.BertConfig(num_labels=4).save_pretrained(tmp_path)
    ours, ours_unused = BertConfig.from_pretrained(tmp_path, return_unused_kwargs=True, **kwargs)
    ref, ref_unused = transformers.BertConfig.from_pretrained(tmp_path, return_unused_kwargs=True, **kwargs)
    assert ours_unused == ref_unused
    assert _same(_state(ours), _state(ref))
    assert ours.output_attentions == ref.output_attentions
    assert ours._attn_implementation == ref._attn_implementation


def test_special_floats_round_trip_like_reference(tmp_path):
    config = BertConfig(layer_norm_eps=float("-inf"), extra=[float("nan"), 1.5])
    assert '"__float__": "-Infinity"' in config.to_json_string()
    config.save_pretrained(tmp_path)
    loaded = BertConfig.from_pretrained(tmp_path)
    assert loaded.layer_norm_eps == float("-inf") and math.isnan(loaded.extra[0])
    ref = transformers.BertConfig.from_pretrained(tmp_path)
    assert ref.layer_norm_eps == float("-inf")


def test_base_config_matches_reference_base():
    ours, ref = PretrainedConfig(), transformers.PreTrainedConfig()
    assert ours.to_dict() == ref.to_dict()
    assert ours.to_json_string() == ref.to_json_string()
    assert PreTrainedConfig is PretrainedConfig


# --- the field mechanism ---------------------------------------------------------------------


class ListyConfig(PretrainedConfig):
    model_type = "listy"
    registry: ClassVar[dict[str, int]] = {}
    _hidden_helper: int = 3
    layers: list[int] = [1, 2]
    scale: float = 1.0


class ChildConfig(ListyConfig):
    scale = 2.0  # a plain re-assignment overrides the inherited default
    extra: str = "x"

    def __post_init__(self, **kwargs):
        self.doubled = [2 * v for v in self.layers]
        self.seen_kwargs = sorted(kwargs)
        super().__post_init__(**kwargs)


def test_fields_are_collected_base_first_with_overrides():
    names = list(ChildConfig._fields)
    assert names[:10] == list(PretrainedConfig._fields)
    assert names[10:] == ["layers", "scale", "extra"]
    assert ChildConfig().scale == 2.0 and ListyConfig().scale == 1.0
    assert "registry" not in ChildConfig._fields and "_hidden_helper" not in ChildConfig._fields


def test_mutable_defaults_are_copied_per_instance():
    a, b = ListyConfig(), ListyConfig()
    a.layers.append(3)
    assert b.layers == [1, 2] and ListyConfig._fields["layers"].default == [1, 2]


def test_post_init_receives_unknown_kwargs_and_keeps_them():
    config = ChildConfig(layers=[3], foo=1, num_labels=3)
    assert config.doubled == [6] and config.seen_kwargs == ["foo", "num_labels"]
    assert config.foo == 1 and config.num_labels == 3
    assert json.loads(config.to_json_string())["foo"] == 1


def test_positional_arguments_and_missing_required_fields_raise():
    with pytest.raises(TypeError):
        ListyConfig([1])

    class Required(PretrainedConfig):
        size: int

    with pytest.raises(TypeError, match="required field 'size'"):
        Required()
    assert Required(size=2).size == 2


# --- typed fields -----------------------------------------------------------------------------

TYPE_CASES = [
    ("vocab_size", "abc"),
    ("vocab_size", True),
    ("vocab_size", 3.0),
    ("vocab_size", 7),
    ("initializer_range", 1),
    ("initializer_range", 0.5),
    ("hidden_dropout_prob", 0),
    ("hidden_act", None),
    ("pad_token_id", None),
    ("eos_token_id", [1, 2]),
    ("eos_token_id", (1, 2)),
    ("eos_token_id", [1, "2"]),
    ("classifier_dropout", "0.1"),
    ("use_cache", 1),
    ("problem_type", "anything"),
    ("architectures", ("A",)),
]


@pytest.mark.parametrize(("field", "value"), TYPE_CASES, ids=repr)
def test_type_checks_accept_and_reject_like_reference(field, value):
    try:
        transformers.BertConfig(**{field: value})
        ref_accepts = True
    except Exception:  # the reference raises its own strict-dataclass error
        ref_accepts = False
    if ref_accepts:
        assert getattr(BertConfig(**{field: value}), field) == value
    else:
        with pytest.raises(ConfigError, match=f"BertConfig.{field} must be"):
            BertConfig(**{field: value})


def test_type_error_names_field_expected_and_actual():
    with pytest.raises(ConfigError) as err:
        BertConfig(vocab_size="abc")
    assert str(err.value) == "BertConfig.vocab_size must be int, got str ('abc'). Pass a value of that type."
    config = BertConfig()
    with pytest.raises(ConfigError, match="hidden_size must be int"):
        config.hidden_size = "wide"
    assert config.hidden_size == 768


def test_string_annotations_are_checked():
    namespace: dict = {}
    exec(
        "from __future__ import annotations\n"
        "from embrace.configuration import PretrainedConfig\n"
        "class Lazy(PretrainedConfig):\n"
        "    size: int | None = 1\n"
        "    unknown: SomeUndefinedType = 0\n",
        namespace,
    )
    lazy = namespace["Lazy"]
    with pytest.raises(ConfigError, match="size must be int"):
        lazy(size="1")
    assert lazy(unknown="anything").unknown == "anything"  # unresolvable annotations are not checked


# --- special attributes ------------------------------------------------------------------------


class AliasConfig(PretrainedConfig):
    model_type = "alias"
    attribute_map = {"hidden_size": "n_embd", "num_hidden_layers": "n_layer"}
    n_embd: int = 768
    n_layer: int = 12


def test_attribute_map_aliases_read_write_like_reference_gpt2():
    ours, ref = AliasConfig(hidden_size=64), transformers.GPT2Config(hidden_size=64)
    assert ours.n_embd == ref.n_embd == 64
    ours.num_hidden_layers = ref.num_hidden_layers = 3
    assert ours.n_layer == ref.n_layer == 3
    assert "hidden_size" not in ours.to_dict() and "hidden_size" not in ref.to_dict()
    with pytest.raises(ConfigError, match="n_embd must be int"):
        ours.hidden_size = "x"


def test_num_labels_rebuilds_labels_only_when_count_changes():
    config = BertConfig(id2label={0: "neg", 1: "pos"})
    config.num_labels = 2
    assert config.id2label == {0: "neg", 1: "pos"}
    config.num_labels = 3
    assert config.id2label == {0: "LABEL_0", 1: "LABEL_1", 2: "LABEL_2"}
    assert config.label2id == {"LABEL_0": 0, "LABEL_1": 1, "LABEL_2": 2}
    with pytest.raises(ConfigError, match="non-negative int"):
        config.num_labels = -1


def test_num_labels_kwarg_wins_over_id2label_like_reference(caplog):
    kwargs = dict(id2label={0: "a", 1: "b"}, num_labels=3)
    with caplog.at_level(logging.WARNING, logger="embrace"):
        ours = BertConfig(**kwargs)
    assert ours.id2label == transformers.BertConfig(**kwargs).id2label
    assert "num_labels=3" in caplog.text


def test_label_and_problem_type_validation():
    with pytest.raises(ConfigError, match="num_labels > 1"):
        BertConfig(num_labels=1, problem_type="single_label_classification")
    with pytest.raises(ConfigError, match="integer ids"):
        BertConfig(id2label={"neg": "x"})
    with pytest.raises(ConfigError, match="must be a dict"):
        BertConfig(id2label=["a", "b"])


def test_output_attentions_needs_eager():
    config = BertConfig()
    config.output_attentions = True
    assert config._attn_implementation == "eager"
    config = BertConfig(attn_implementation="sdpa")
    with pytest.raises(ConfigError, match="eager"):
        config.output_attentions = True
    with pytest.raises(ConfigError, match="eager"):
        BertConfig(attn_implementation="sdpa", output_attentions=True)


def test_attn_implementation_is_private_and_reaches_sub_configs():
    outer = BertConfig(text_config=BertConfig(hidden_size=8))
    outer._attn_implementation = {"": "sdpa", "text_config": "eager"}
    assert outer._attn_implementation == "sdpa" and outer.text_config._attn_implementation == "eager"
    outer._attn_implementation = "eager"
    assert outer.text_config._attn_implementation == "eager"
    assert "_attn_implementation_internal" not in outer.to_json_string(use_diff=False)
    assert "transformers_version" not in outer.to_dict()["text_config"]


def test_bad_dtype_is_a_config_error():
    with pytest.raises(ConfigError, match="not a torch dtype"):
        BertConfig(dtype="float17")


def test_deprecated_aliases():
    config = BertConfig(return_dict=False)
    assert config.use_return_dict is False
    config.torch_dtype = torch.float16
    assert config.dtype is torch.float16 and config.torch_dtype is torch.float16


def test_copy_and_pickle_keep_everything():
    config = AliasConfig(n_embd=8, num_labels=3, extra={"k": [1]}, attn_implementation="eager")
    for clone in (copy.deepcopy(config), pickle.loads(pickle.dumps(config))):
        assert clone == config and clone.hidden_size == 8 and clone._attn_implementation == "eager"
        assert clone.to_json_string() == config.to_json_string()


def test_equality_and_iteration():
    assert BertConfig() == BertConfig()
    assert BertConfig() != BertConfig(hidden_size=8)
    assert BertConfig() != {"hidden_size": 768}
    assert "vocab_size" in BertConfig()


def test_update_and_update_from_string_match_reference():
    ours, ref = BertConfig(), transformers.BertConfig()
    text = "vocab_size=10,hidden_dropout_prob=0.5,use_cache=no,hidden_act=relu"
    ours.update_from_string(text)
    ref.update_from_string(text)
    assert _same(_state(ours), _state(ref))
    ours.update({"hidden_size": 12, "new_key": 1})
    assert ours.hidden_size == 12 and ours.new_key == 1


@pytest.mark.parametrize(
    ("text", "error", "match"),
    [
        ("nope=1", ConfigError, "isn't in the original config"),
        ("use_cache=maybe", ConfigError, "true or false"),
        ("vocab_size=ten", ConfigError, "not a valid int"),
        ("vocab_size", ConfigError, "key=value"),
        ("eos_token_id=1", TypeError, "Only int, float, bool or str"),
    ],
)
def test_update_from_string_rejects_bad_input(text, error, match):
    with pytest.raises(error, match=match):
        BertConfig().update_from_string(text)


def test_get_text_config_splits_flat_encoder_decoder_configs():
    config = PretrainedConfig(is_encoder_decoder=True, decoder_layers=2, encoder_layers=4, decoder_ffn_dim=8)
    assert config.get_text_config() is config
    decoder = config.get_text_config(decoder=True)
    assert decoder.num_hidden_layers == 2 and decoder.ffn_dim == 8 and not hasattr(decoder, "decoder_layers")
    assert config.get_text_config(encoder=True).num_hidden_layers == 4
    nested = PretrainedConfig(text_config=BertConfig())
    assert nested.get_text_config() is nested.text_config


def test_layer_types_are_validated():
    class Layered(PretrainedConfig):
        num_hidden_layers: int = 2
        layer_types: list[str] | None = None

    assert Layered(layer_types=["full_attention", "sliding_attention"]).layer_types[1] == "sliding_attention"
    with pytest.raises(ConfigError, match="unknown entries"):
        Layered(layer_types=["full_attention", "bogus"])
    with pytest.raises(ConfigError, match="must equal the number of layer_types"):
        Layered(layer_types=["full_attention"])


# --- files -------------------------------------------------------------------------------------


def test_save_pretrained_creates_folder_atomically(tmp_path):
    target = tmp_path / "a" / "b"
    BertConfig(hidden_size=8).save_pretrained(target)
    assert sorted(os.listdir(target)) == ["config.json"]
    assert json.loads((target / "config.json").read_text())["hidden_size"] == 8


def test_save_pretrained_rejects_bad_targets(tmp_path):
    a_file = tmp_path / "file.json"
    a_file.write_text("{}")
    with pytest.raises(DirectoryExpectedError, match="is a file"):
        BertConfig().save_pretrained(a_file)
    with pytest.raises(TypeError, match="bogus"):
        BertConfig().save_pretrained(tmp_path, bogus=1)
    config = PretrainedConfig()
    config.num_beams = 4
    with pytest.raises(ConfigError, match="generation_config"):
        config.save_pretrained(tmp_path / "gen")
    assert not (tmp_path / "gen").exists()


def test_from_pretrained_json_file_and_subfolder(tmp_path):
    BertConfig(hidden_size=16).save_pretrained(tmp_path / "sub")
    assert BertConfig.from_pretrained(tmp_path / "sub" / "config.json").hidden_size == 16
    assert BertConfig.from_pretrained(tmp_path, subfolder="sub").hidden_size == 16
    assert BertConfig.from_json_file(tmp_path / "sub" / "config.json").hidden_size == 16
    assert BertConfig.from_pretrained(tmp_path / "sub").name_or_path == ""


@pytest.mark.parametrize(
    ("content", "match"), [("{not json", "not valid JSON"), ("[1, 2]", "JSON list"), (b"\xff\xfe", "not valid JSON")]
)
def test_from_pretrained_rejects_bad_files(tmp_path, content, match):
    path = tmp_path / "config.json"
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    with pytest.raises(ConfigError, match=match):
        BertConfig.from_pretrained(tmp_path)


def test_from_pretrained_missing_and_remote_code(tmp_path):
    with pytest.raises(FileNotFoundError, match="config.json"):
        BertConfig.from_pretrained(tmp_path)
    with pytest.raises(LocalEntryNotFoundError, match="org/never-cached"):
        BertConfig.from_pretrained("org/never-cached", cache_dir=tmp_path)
    BertConfig().save_pretrained(tmp_path)
    with pytest.raises(RemoteCodeError, match="never runs code"):
        BertConfig.from_pretrained(tmp_path, trust_remote_code=True)
    assert BertConfig.from_pretrained(tmp_path, trust_remote_code=False).vocab_size == 30522


def test_from_pretrained_reads_the_hub_cache(tmp_path):
    commit = "a" * 40
    snapshot = tmp_path / "models--org--tiny" / "snapshots" / commit
    snapshot.mkdir(parents=True)
    (tmp_path / "models--org--tiny" / "refs").mkdir()
    (tmp_path / "models--org--tiny" / "refs" / "main").write_text(commit)
    BertConfig(hidden_size=24).save_pretrained(snapshot)
    assert BertConfig.from_pretrained("org/tiny", cache_dir=tmp_path).hidden_size == 24
    ref = transformers.BertConfig.from_pretrained("org/tiny", cache_dir=tmp_path, local_files_only=True)
    assert ref.hidden_size == 24


def test_model_type_mismatch_warns(tmp_path, caplog):
    transformers.GPT2Config().save_pretrained(tmp_path)
    with caplog.at_level(logging.WARNING, logger="embrace"):
        BertConfig.from_pretrained(tmp_path)
    assert "'gpt2' to instantiate a model of type 'bert'" in caplog.text


def test_versioned_configuration_files(tmp_path):
    assert get_configuration_file(["config.json"]) == "config.json"
    assert get_configuration_file(["config.4.0.0.json", "config.5.23.0.json", "config.42.0.0.json"]) == (
        "config.5.23.0.json"
    )
    (tmp_path / "config.json").write_text(json.dumps({"configuration_files": ["config.4.0.0.json"], "hidden_size": 1}))
    (tmp_path / "config.4.0.0.json").write_text(json.dumps({"hidden_size": 2}))
    assert BertConfig.from_pretrained(tmp_path).hidden_size == 2
    assert transformers.BertConfig.from_pretrained(tmp_path).hidden_size == 2
