"""Entry point of the `embrace` command.

Each subcommand lives in its own module exposing `add_arguments(parser)` and
`run(args) -> int`; the table below is the only place that lists them, and a module is
imported only when its subcommand runs.

Example:
    >>> from embrace.cli.main import main
    >>> main(["--version"])  # doctest: +SKIP
    embrace 0.1.0
"""

from __future__ import annotations

import argparse
import importlib
import sys

# subcommand -> (module, one-line help)
SUBCOMMANDS: dict[str, tuple[str, str]] = {
    "run": ("embrace.cli.run", "run a pipeline task on inputs, or the `make run` job (MiniLM + SmolLM2)"),
    "env": ("embrace.cli.env", "print versions and settings useful in bug reports"),
    "hub": ("embrace.cli.hub", "run a local model hub (`serve`) and import folders into it (`import`)"),
    "download": ("embrace.cli.download", "download files of a hub repo and print where they are"),
    "upload": ("embrace.cli.upload", "upload a file or folder to a hub repo"),
    "cache": ("embrace.cli.cache", "scan the hub cache or delete cached revisions"),
    "launch": ("embrace.cli.launch", "run a training script on N processes (torchrun: DDP on CPU or GPU)"),
    "train": ("embrace.cli.train", "fine-tune a sequence classifier from a YAML/JSON config"),
}


def build_parser() -> argparse.ArgumentParser:
    from embrace import __version__

    parser = argparse.ArgumentParser(prog="embrace", description="embrace: the Hugging Face stack, offline-first.")
    parser.add_argument("--version", action="version", version=f"embrace {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (module, help_text) in SUBCOMMANDS.items():
        sub_parser = sub.add_parser(name, help=help_text, description=help_text)
        sub_parser.set_defaults(_module=module)
        importlib.import_module(module).add_arguments(sub_parser)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    if args.command is None:
        parser.print_help()
        return 2
    return int(importlib.import_module(args._module).run(args) or 0)


if __name__ == "__main__":
    raise SystemExit(main())
