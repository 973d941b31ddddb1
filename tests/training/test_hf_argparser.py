"""HfArgumentParser vs transformers': same argv / dict / file -> equal dataclass instances."""

from __future__ import annotations

import argparse
import json
from dataclasses import dataclass, field
from enum import Enum
from typing import Literal, Optional

import pytest

from embrace.errors import ArgumentsFileError
from embrace.training.hf_argparser import HfArg, HfArgumentParser, string_to_bool

transformers = pytest.importorskip("transformers")


class Color(Enum):
    red = "red"
    blue = "blue"


class Level(Enum):
    low = 1
    high = 2


# Annotations are strings here (postponed evaluation): both parsers must resolve them.
@dataclass
class ModelArgs:
    model_name: str
    lr: float = 1e-3
    steps: int = 10
    use_cache: bool = True
    fp16: bool = False
    strict: Optional[bool] = None
    compile: Optional[bool] = False
    color: Color = Color.red
    level: Level = Level.low
    mode: Literal["train", "eval", 3] = "train"
    layers: list[int] = field(default_factory=lambda: [1, 2])
    tags: list[str] = field(default_factory=list)
    cache_dir: Optional[str] = None
    seed: int | None = None
    ratio: float | str = 0.5
    note: str = field(default="n", metadata={"help": "a note", "aliases": ["--remark", "-r"]})
    alias_arg: str = HfArg(default="x", aliases="-a", help="HfArg syntax")
    hidden: int = field(default=0, init=False)


@dataclass
class DataArgs:
    _argument_group_name = "data"
    dataset: str = "d"
    max_len: int = field(default=128, metadata={"help": "max length"})
    required_choice: Color = field(default=Color.blue)


ARGVS = [
    ["--model_name", "m"],
    ["--model-name", "m", "--lr", "0.5", "--steps", "3", "--fp16"],
    ["--model_name", "m", "--no_use_cache", "--fp16", "false", "--strict", "yes"],
    ["--model_name", "m", "--no-use-cache", "--use_cache", "1", "--compile", "--strict", "0"],
    ["--model_name", "m", "--color", "blue", "--level", "2", "--mode", "3"],
    ["--model_name", "m", "--mode", "eval", "--layers", "4", "5", "6", "--tags", "a", "b"],
    ["--model_name", "m", "--cache_dir", "/tmp/x", "--seed", "4", "--ratio", "0.25"],
    ["--model_name", "m", "-r", "hello", "-a", "y", "--dataset", "ds", "--max-len", "7", "--required_choice", "red"],
    ["--model_name", "m", "--use_cache", "--fp16", "T", "--strict", "N"],
]


def both_parsers(types):
    return HfArgumentParser(types), transformers.HfArgumentParser(types)


@pytest.mark.parametrize("argv", ARGVS, ids=[" ".join(a) for a in ARGVS])
def test_argv_parity(argv):
    ours, ref = both_parsers([ModelArgs, DataArgs])
    a = ours.parse_args_into_dataclasses(argv, look_for_args_file=False)
    b = ref.parse_args_into_dataclasses(argv, look_for_args_file=False)
    assert a == b
    assert [type(x) for x in a] == [ModelArgs, DataArgs]


def test_defaults_and_types():
    (args,) = HfArgumentParser(ModelArgs).parse_args_into_dataclasses(["--model_name", "m"], look_for_args_file=False)
    assert args.layers == [1, 2] and args.use_cache is True and args.strict is None and args.hidden == 0
    (args,) = HfArgumentParser(ModelArgs).parse_args_into_dataclasses(
        ["--model_name", "m", "--mode", "3", "--level", "2", "--layers", "7"], look_for_args_file=False)
    assert args.mode == 3 and args.level == 2 and args.layers == [7]


def test_help_lists_fields_groups_and_defaults():
    ours, ref = both_parsers([ModelArgs, DataArgs])
    text = ours.format_help()
    for needle in ("--model_name MODEL_NAME", "--no_use_cache", "a note", "(default: n)", "HfArg syntax",
                   "{red,blue}", "data:", "max length"):
        assert needle in text
    assert {a.dest for a in ours._actions} == {a.dest for a in ref._actions}
    assert {tuple(a.option_strings) for a in ours._actions} == {tuple(a.option_strings) for a in ref._actions}


def test_extra_namespace_and_remaining_strings():
    results = []
    for parser_cls in (HfArgumentParser, transformers.HfArgumentParser):
        parser = parser_cls(DataArgs)
        parser.add_argument("--extra", type=int, default=1)
        results.append(parser.parse_args_into_dataclasses(["--extra", "5", "--unknown", "u"],
                                                           return_remaining_strings=True, look_for_args_file=False))
    assert results[0] == results[1]
    data, namespace, remaining = results[0]
    assert namespace == argparse.Namespace(extra=5) and remaining == ["--unknown", "u"]


def test_args_files(tmp_path, monkeypatch):
    default_file = tmp_path / "train.args"
    default_file.write_text("--model_name from_default --steps 1")
    override = tmp_path / "override.args"
    override.write_text("--steps 2 --lr 0.1")
    monkeypatch.setattr("sys.argv", [str(tmp_path / "train.py"), "--lr", "0.2"])
    for parser in both_parsers(ModelArgs):
        (args,) = parser.parse_args_into_dataclasses()
        assert (args.model_name, args.steps, args.lr) == ("from_default", 1, 0.2)
        (args,) = parser.parse_args_into_dataclasses(["--model_name", "cli", "--config", str(override)],
                                                     args_file_flag="--config")
        assert (args.model_name, args.steps, args.lr) == ("cli", 2, 0.1)
        (args,) = parser.parse_args_into_dataclasses(["--model_name", "z", "--steps", "9"],
                                                     args_filename=str(override), look_for_args_file=False)
        assert (args.model_name, args.steps, args.lr) == ("z", 9, 0.1)


def test_parse_dict_json_yaml(tmp_path):
    values = {"model_name": "m", "lr": 0.25, "layers": [3], "dataset": "x", "color": "blue"}
    ours, ref = both_parsers([ModelArgs, DataArgs])
    assert ours.parse_dict(values) == ref.parse_dict(values)
    json_path, yaml_path = tmp_path / "a.json", tmp_path / "a.yaml"
    json_path.write_text(json.dumps(values))
    yaml_path.write_text("model_name: m\nlr: 0.25\nlayers: [3]\ndataset: x\ncolor: blue\n")
    assert ours.parse_json_file(json_path) == ref.parse_json_file(json_path) == ours.parse_dict(values)
    assert ours.parse_yaml_file(str(yaml_path)) == ref.parse_yaml_file(str(yaml_path)) == ours.parse_dict(values)
    extra = dict(values, unknown=1, other=2)
    assert ours.parse_dict(extra, allow_extra_keys=True) == ours.parse_dict(values)
    with pytest.raises(ValueError, match=r"Some keys are not used by the HfArgumentParser: \['other', 'unknown'\]"):
        ours.parse_dict(extra)


def test_unknown_and_bad_arguments(capsys):
    parser = HfArgumentParser(ModelArgs)
    with pytest.raises(ValueError, match=r"not used by the HfArgumentParser: \['--bogus', '1'\]"):
        parser.parse_args_into_dataclasses(["--model_name", "m", "--bogus", "1"], look_for_args_file=False)
    for argv, message in ((["--lr", "1"], "the following arguments are required: --model_name"),
                          (["--model_name", "m", "--fp16", "maybe"], "Truthy value expected: got maybe"),
                          (["--model_name", "m", "--color", "green"], "invalid choice: 'green'"),
                          (["--model_name", "m", "--steps", "x"], "invalid int value: 'x'"),
                          (["--model_name", "m", "--layers"], "expected at least one argument")):
        with pytest.raises(SystemExit):
            parser.parse_args_into_dataclasses(argv, look_for_args_file=False)
        assert message in capsys.readouterr().err


def test_bad_files(tmp_path):
    parser = HfArgumentParser(DataArgs)
    broken_json, broken_yaml, listing = tmp_path / "bad.json", tmp_path / "bad.yaml", tmp_path / "list.yaml"
    broken_json.write_text('{"dataset": "x",')
    broken_yaml.write_text("dataset: [unclosed\n")
    listing.write_text("- a\n- b\n")
    with pytest.raises(ArgumentsFileError, match="bad.json is not valid JSON"):
        parser.parse_json_file(broken_json)
    with pytest.raises(ArgumentsFileError, match="bad.yaml is not valid YAML"):
        parser.parse_yaml_file(broken_yaml)
    with pytest.raises(ArgumentsFileError, match="list.yaml must hold a YAML mapping.*got list"):
        parser.parse_yaml_file(listing)
    unknown = tmp_path / "unknown.json"
    unknown.write_text('{"dataset": "x", "nope": 1}')
    with pytest.raises(ValueError, match=r"unknown.json: Some keys are not used.*\['nope'\]"):
        parser.parse_json_file(unknown)
    with pytest.raises(FileNotFoundError):
        parser.parse_json_file(tmp_path / "missing.json")


def test_bad_dataclasses():
    @dataclass
    class Mixed:
        value: int | float = 1

    with pytest.raises(ValueError, match="Only `Union\\[X, NoneType\\]`.*field 'value'"):
        HfArgumentParser(Mixed)

    @dataclass
    class Unresolvable:
        value: "NotDefinedAnywhere" = None  # noqa: F821

    with pytest.raises(RuntimeError, match="Type resolution failed"):
        HfArgumentParser(Unresolvable)
    with pytest.raises(TypeError, match="bogus_option"):
        HfArgumentParser(DataArgs, bogus_option=1)
    with pytest.raises(TypeError):
        HfArg(default=1, bogus=2)


def test_string_to_bool():
    assert [string_to_bool(v) for v in ("yes", "TRUE", "t", "Y", "1", True)] == [True] * 6
    assert [string_to_bool(v) for v in ("no", "False", "f", "n", "0", False)] == [False] * 6
    with pytest.raises(argparse.ArgumentTypeError, match="Truthy value expected"):
        string_to_bool("2")


def test_hfarg_matches_reference_field():
    a = HfArg(default=3, aliases=["-x"], help="h", metadata={"k": 1})
    from transformers.hf_argparser import HfArg as RefHfArg

    b = RefHfArg(default=3, aliases=["-x"], help="h", metadata={"k": 1})
    assert (a.default, dict(a.metadata)) == (b.default, dict(b.metadata))


def test_training_arguments_fields():
    training_args = pytest.importorskip("embrace.training.training_args")
    argv = ["--output_dir", "out", "--learning_rate", "3e-4", "--num_train_epochs", "2",
            "--per_device_train_batch_size", "4", "--eval_strategy", "steps", "--eval_steps", "5",
            "--lr_scheduler_type", "cosine", "--seed", "7", "--report_to", "none"]
    (ours,) = HfArgumentParser(training_args.TrainingArguments).parse_args_into_dataclasses(
        argv, look_for_args_file=False)
    (ref,) = transformers.HfArgumentParser(transformers.TrainingArguments).parse_args_into_dataclasses(
        argv, look_for_args_file=False)
    for name in ("output_dir", "learning_rate", "num_train_epochs", "per_device_train_batch_size", "eval_steps",
                 "seed", "report_to"):
        assert getattr(ours, name) == getattr(ref, name), name
    for name in ("eval_strategy", "lr_scheduler_type"):
        assert str(getattr(ours, name).value) == str(getattr(ref, name).value), name
