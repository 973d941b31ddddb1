"""HfArgumentParser: an ``argparse.ArgumentParser`` whose options come from dataclass fields.

Each dataclass field becomes ``--name`` (and ``--name-with-dashes``) typed by its annotation:
``bool`` takes ``--x``, ``--x false`` or (for default-True fields) ``--no_x``; ``Enum`` and
``Literal`` restrict to their choices; ``list[T]`` takes one or more values;
``Optional[T]`` parses as ``T``; fields without a default are required. Parsed values fill
instances of the dataclasses, which can also be filled from a dict, a JSON or a YAML file.

Example:
    >>> from dataclasses import dataclass, field
    >>> from embrace.training.hf_argparser import HfArgumentParser
    >>> @dataclass
    ... class Args:
    ...     lr: float = 1e-3
    ...     layers: list[int] = field(default_factory=lambda: [2])
    ...     fp16: bool = False
    >>> HfArgumentParser(Args).parse_args_into_dataclasses(["--lr", "0.5", "--layers", "3", "4", "--fp16"])
    (Args(lr=0.5, layers=[3, 4], fp16=True),)
"""

from __future__ import annotations

import dataclasses
import json
import os
import sys
import types
import typing
from argparse import ArgumentDefaultsHelpFormatter, ArgumentParser, ArgumentTypeError
from collections.abc import Callable, Iterable
from enum import Enum
from inspect import isclass
from pathlib import Path
from typing import Any, Literal, Union

import yaml

from ..errors import ArgumentsFileError

DataClass = Any
DataClassType = Any

_TRUE = ("yes", "true", "t", "y", "1")
_FALSE = ("no", "false", "f", "n", "0")
_NONE_TYPE = type(None)


def string_to_bool(v: "str | bool") -> bool:
    """Read a command-line truth value (yes/no, true/false, t/f, y/n, 1/0, any case).

    Example:
        >>> from embrace.training.hf_argparser import string_to_bool
        >>> string_to_bool("Yes"), string_to_bool("0")
        (True, False)
    """
    if isinstance(v, bool):
        return v
    if v.lower() in _TRUE:
        return True
    if v.lower() in _FALSE:
        return False
    raise ArgumentTypeError(
        f"Truthy value expected: got {v} but expected one of yes/no, true/false, t/f, y/n, 1/0 (case insensitive)."
    )


def make_choice_type_function(choices: list[Any]) -> Callable[[str], Any]:
    """A converter from a choice's string form back to the choice itself (unknown strings pass
    through unchanged so argparse reports them as invalid choices).

    Example:
        >>> from embrace.training.hf_argparser import make_choice_type_function
        >>> make_choice_type_function([1, "a"])("1")
        1
    """
    by_text = {str(choice): choice for choice in choices}
    return lambda arg: by_text.get(arg, arg)


def HfArg(
    *,
    aliases: "str | list[str] | None" = None,
    help: "str | None" = None,
    default: Any = dataclasses.MISSING,
    default_factory: Any = dataclasses.MISSING,
    metadata: "dict | None" = None,
    init: bool = True,
    repr: bool = True,
    hash: "bool | None" = None,
    compare: bool = True,
    kw_only: Any = dataclasses.MISSING,
) -> dataclasses.Field:
    """A dataclass field with ``aliases`` and ``help`` for :class:`HfArgumentParser` as keywords.

    Example:
        >>> from dataclasses import dataclass
        >>> from embrace.training.hf_argparser import HfArg, HfArgumentParser
        >>> @dataclass
        ... class Args:
        ...     name: str = HfArg(default="x", aliases=["-n"], help="a name")
        >>> HfArgumentParser(Args).parse_args_into_dataclasses(["-n", "y"])
        (Args(name='y'),)
    """
    metadata = {} if metadata is None else dict(metadata)
    if aliases is not None:
        metadata["aliases"] = aliases
    if help is not None:
        metadata["help"] = help
    return dataclasses.field(default=default, default_factory=default_factory, init=init, repr=repr, hash=hash,
                             compare=compare, metadata=metadata, kw_only=kw_only)


# --- from a field's annotation to add_argument keywords -----------------------------------


def _is_union(hint: Any) -> bool:
    return typing.get_origin(hint) is Union or isinstance(hint, types.UnionType)


def _resolve_union(name: str, hint: Any) -> Any:
    """The one type argparse converts to for a union annotation.

    ``Optional[T]`` -> ``T`` (``Optional[bool]`` stays, so ``--x`` alone still works);
    ``T | str`` -> ``T``; any other union is refused, since an option has one type.
    """
    args = typing.get_args(hint)
    if str not in args and (len(args) != 2 or _NONE_TYPE not in args):
        raise ValueError(
            "Only `Union[X, NoneType]` (i.e., `Optional[X]`) is allowed for `Union` because the argument parser "
            f"only supports one type per argument. Problem encountered in field '{name}'."
        )
    if _NONE_TYPE not in args:
        return args[0] if args[1] is str else args[1]
    if bool in args:
        return hint
    return args[0] if args[1] is _NONE_TYPE else args[1]


def _is_bool(hint: Any) -> bool:
    return hint is bool or hint == Union[bool, None]


def _field_default(field: dataclasses.Field) -> Any:
    """The field's default (calling ``default_factory``), or MISSING when it has none."""
    if field.default is not dataclasses.MISSING:
        return field.default
    if field.default_factory is not dataclasses.MISSING:
        return field.default_factory()
    return dataclasses.MISSING


def _choice_options(field: dataclasses.Field, hint: Any) -> dict[str, Any]:
    choices = list(typing.get_args(hint)) if typing.get_origin(hint) is Literal else [m.value for m in hint]
    options: dict[str, Any] = {"choices": choices, "type": make_choice_type_function(choices)}
    if field.default is dataclasses.MISSING:
        options["required"] = True
    else:
        options["default"] = field.default
    return options


def _bool_options(field: dataclasses.Field, hint: Any) -> dict[str, Any]:
    options: dict[str, Any] = {"type": string_to_bool}
    # `--x` alone means True; a plain bool without a default is False unless given. An
    # Optional[bool] defaulting to None keeps None when the option is absent.
    if hint is bool or (field.default is not None and field.default is not dataclasses.MISSING):
        options.update(default=False if field.default is dataclasses.MISSING else field.default, nargs="?", const=True)
    return options


def _list_options(field: dataclasses.Field, hint: Any) -> dict[str, Any]:
    (item_type, *_) = typing.get_args(hint) or (str,)
    options: dict[str, Any] = {"type": item_type, "nargs": "+"}
    if field.default_factory is not dataclasses.MISSING:
        options["default"] = field.default_factory()
    elif field.default is dataclasses.MISSING:
        options["required"] = True
    return options


def _plain_options(field: dataclasses.Field, hint: Any) -> dict[str, Any]:
    default = _field_default(field)
    return {"type": hint, "required": True} if default is dataclasses.MISSING else {"type": hint, "default": default}


def _is_choice(hint: Any) -> bool:
    return typing.get_origin(hint) is Literal or (isinstance(hint, type) and issubclass(hint, Enum))


def _is_list(hint: Any) -> bool:
    origin = typing.get_origin(hint) or hint
    return isclass(origin) and issubclass(origin, list)


# kind of annotation -> builder of its add_argument keywords; the first match wins
_OPTION_BUILDERS: tuple[tuple[Callable[[Any], bool], Callable[[dataclasses.Field, Any], dict[str, Any]]], ...] = (
    (_is_choice, _choice_options),
    (_is_bool, _bool_options),
    (_is_list, _list_options),
    (lambda hint: True, _plain_options),
)


class HfArgumentParser(ArgumentParser):
    """An ``ArgumentParser`` built from dataclass fields; parses into dataclass instances.

    Options not backed by a dataclass can still be added with ``add_argument``: they come back
    as an extra ``Namespace`` after the dataclasses. A dataclass with a class attribute
    ``_argument_group_name`` gets its own argument group in ``--help``.

    Example:
        >>> from dataclasses import dataclass
        >>> from embrace.training.hf_argparser import HfArgumentParser
        >>> @dataclass
        ... class Args:
        ...     use_cache: bool = True
        >>> HfArgumentParser(Args).parse_args_into_dataclasses(["--no_use_cache"])
        (Args(use_cache=False),)
    """

    dataclass_types: list[DataClassType]

    def __init__(self, dataclass_types: "DataClassType | Iterable[DataClassType] | None" = None, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", ArgumentDefaultsHelpFormatter)  # --help shows the defaults
        super().__init__(**kwargs)
        if dataclass_types is None:
            dataclass_types = []
        elif dataclasses.is_dataclass(dataclass_types) or not isinstance(dataclass_types, Iterable):
            dataclass_types = [dataclass_types]
        self.dataclass_types = list(dataclass_types)
        for dtype in self.dataclass_types:
            self._add_dataclass_arguments(dtype)

    @staticmethod
    def _parse_dataclass_field(parser: Any, field: dataclasses.Field, hint: Any = None) -> None:
        """Add the option(s) for one field, typed by `hint` (its resolved annotation)."""
        hint = field.type if hint is None else hint
        if isinstance(hint, str):
            raise RuntimeError(
                f"Unresolved type {hint!r} for field '{field.name}': the annotation must be resolved with "
                "`typing.get_type_hints` before it is parsed."
            )
        names = [f"--{field.name}"]
        if "_" in field.name:  # argparse maps dashes back to underscores, so both spellings work
            names.append(f"--{field.name.replace('_', '-')}")
        metadata = dict(field.metadata)
        aliases = metadata.pop("aliases", [])
        aliases = [aliases] if isinstance(aliases, str) else list(aliases)
        if _is_union(hint):
            hint = _resolve_union(field.name, hint)
        build = next(builder for matches, builder in _OPTION_BUILDERS if matches(hint))
        parser.add_argument(*names, *aliases, **{**metadata, **build(field, hint)})
        # `--no_x` for a default-True bool; added after `--x` so `--x`'s default (True) wins
        if field.default is True and _is_bool(hint):
            parser.add_argument(f"--no_{field.name}", f"--no-{field.name.replace('_', '-')}", action="store_false",
                                dest=field.name, **{**metadata, "default": False})

    def _add_dataclass_arguments(self, dtype: DataClassType) -> None:
        parser = self.add_argument_group(dtype._argument_group_name) if hasattr(dtype, "_argument_group_name") else self
        try:
            hints = typing.get_type_hints(dtype)
        except NameError as err:
            raise RuntimeError(
                f"Type resolution failed for {dtype}: {err}. Declare the class (and the types it names) at module "
                "level, or drop `from __future__ import annotations` from its module."
            ) from err
        for field in dataclasses.fields(dtype):
            if field.init:
                self._parse_dataclass_field(parser, field, hints[field.name])

    # --- parsing ---------------------------------------------------------------------------

    def _file_args(self, args: "list[str] | None", look_for_args_file: bool, args_filename: "str | None",
                   args_file_flag: "str | None") -> "list[str] | None":
        """`args` with the contents of ``.args`` files in front (the command line wins on repeats)."""
        if not (args_file_flag or args_filename or (look_for_args_file and sys.argv)):
            return args
        files: list[Path] = []
        if args_filename:
            files.append(Path(args_filename))
        elif look_for_args_file and sys.argv:
            files.append(Path(sys.argv[0]).with_suffix(".args"))
        if args_file_flag:
            # files named on the command line come after the default one, so they override it
            flag_parser = ArgumentParser()
            flag_parser.add_argument(args_file_flag, type=str, action="append")
            flags, args = flag_parser.parse_known_args(args=args)
            files.extend(Path(p) for p in (vars(flags).get(args_file_flag.lstrip("-")) or []))
        from_files = [token for path in files if path.exists() for token in path.read_text().split()]
        return from_files + (sys.argv[1:] if args is None else list(args))

    def parse_args_into_dataclasses(
        self,
        args: "list[str] | None" = None,
        return_remaining_strings: bool = False,
        look_for_args_file: bool = True,
        args_filename: "str | None" = None,
        args_file_flag: "str | None" = None,
    ) -> tuple[Any, ...]:
        """Parse `args` (default ``sys.argv[1:]``) into one instance per dataclass.

        Returns the instances in the order the dataclasses were given, then a ``Namespace`` of
        any options added by hand, then (with ``return_remaining_strings``) the unparsed
        strings; otherwise unparsed strings raise ``ValueError``. Arguments are also read from
        ``<script>.args`` (``look_for_args_file``), from ``args_filename``, and from files given
        with ``args_file_flag`` on the command line.

        Example:
            >>> from dataclasses import dataclass
            >>> from embrace.training.hf_argparser import HfArgumentParser
            >>> @dataclass
            ... class Args:
            ...     steps: int = 1
            >>> HfArgumentParser(Args).parse_args_into_dataclasses(["--steps", "5", "x"], return_remaining_strings=True)
            (Args(steps=5), ['x'])
        """
        args = self._file_args(args, look_for_args_file, args_filename, args_file_flag)
        namespace, remaining = self.parse_known_args(args=args)
        outputs: list[Any] = []
        for dtype in self.dataclass_types:
            keys = {f.name for f in dataclasses.fields(dtype) if f.init}
            outputs.append(dtype(**{k: v for k, v in vars(namespace).items() if k in keys}))
            for key in keys:
                delattr(namespace, key)
        if vars(namespace):
            outputs.append(namespace)
        if return_remaining_strings:
            return (*outputs, remaining)
        if remaining:
            raise ValueError(f"Some specified arguments are not used by the HfArgumentParser: {remaining}")
        return tuple(outputs)

    def parse_dict(self, args: dict[str, Any], allow_extra_keys: bool = False) -> tuple[Any, ...]:
        """Fill the dataclasses from a dict (no argparse conversion); unknown keys raise
        ``ValueError`` unless ``allow_extra_keys``.

        Example:
            >>> from dataclasses import dataclass
            >>> from embrace.training.hf_argparser import HfArgumentParser
            >>> @dataclass
            ... class Args:
            ...     steps: int = 1
            >>> HfArgumentParser(Args).parse_dict({"steps": 3})
            (Args(steps=3),)
        """
        if not isinstance(args, dict):
            raise TypeError(f"parse_dict() takes a dict of field names to values, got {type(args).__name__}.")
        unused = set(args)
        outputs = []
        for dtype in self.dataclass_types:
            keys = {f.name for f in dataclasses.fields(dtype) if f.init}
            inputs = {k: v for k, v in args.items() if k in keys}
            unused -= inputs.keys()
            outputs.append(dtype(**inputs))
        if unused and not allow_extra_keys:
            raise ValueError(f"Some keys are not used by the HfArgumentParser: {sorted(unused)}")
        return tuple(outputs)

    def _parse_file(self, path: "str | os.PathLike", load: Callable[[str], Any], kind: str,
                    allow_extra_keys: bool) -> tuple[Any, ...]:
        path = Path(path)
        text = path.read_text(encoding="utf-8")
        try:
            data = load(text)
        except (ValueError, yaml.YAMLError) as err:
            raise ArgumentsFileError(f"{path} is not valid {kind}: {err}") from err
        if not isinstance(data, dict):
            raise ArgumentsFileError(
                f"{path} must hold a {kind} mapping of argument names to values, got {type(data).__name__}."
            )
        try:
            return self.parse_dict(data, allow_extra_keys=allow_extra_keys)
        except ValueError as err:
            raise ArgumentsFileError(f"{path}: {err}") from err

    def parse_json_file(self, json_file: "str | os.PathLike", allow_extra_keys: bool = False) -> tuple[Any, ...]:
        """Fill the dataclasses from a JSON file holding one object of field names to values.

        Example:
            >>> import json, tempfile, os
            >>> from dataclasses import dataclass
            >>> from embrace.training.hf_argparser import HfArgumentParser
            >>> @dataclass
            ... class Args:
            ...     steps: int = 1
            >>> path = os.path.join(tempfile.mkdtemp(), "args.json")
            >>> _ = open(path, "w").write(json.dumps({"steps": 4}))
            >>> HfArgumentParser(Args).parse_json_file(path)
            (Args(steps=4),)
        """
        return self._parse_file(json_file, json.loads, "JSON", allow_extra_keys)

    def parse_yaml_file(self, yaml_file: "str | os.PathLike", allow_extra_keys: bool = False) -> tuple[Any, ...]:
        """Fill the dataclasses from a YAML file holding one mapping of field names to values.

        Example:
            >>> import tempfile, os
            >>> from dataclasses import dataclass
            >>> from embrace.training.hf_argparser import HfArgumentParser
            >>> @dataclass
            ... class Args:
            ...     steps: int = 1
            >>> path = os.path.join(tempfile.mkdtemp(), "args.yaml")
            >>> _ = open(path, "w").write("steps: 6\\n")
            >>> HfArgumentParser(Args).parse_yaml_file(path)
            (Args(steps=6),)
        """
        return self._parse_file(yaml_file, yaml.safe_load, "YAML", allow_extra_keys)


__all__ = ["HfArg", "HfArgumentParser", "make_choice_type_function", "string_to_bool"]
