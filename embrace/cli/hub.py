"""`embrace hub`: run a local model hub and put folders into it.

    embrace hub serve ROOT [--host 127.0.0.1] [--port 8000] [--tokens FILE] [--cdn-url URL]
    embrace hub import DIR REPO_ID --root ROOT [--revision BRANCH] [--repo-type model|dataset|space]
                       [--message MSG] [--tag TAG] [--mirror] [--private] [--author NAME]

`serve` prints ``embrace hub: serving ROOT at http://HOST:PORT`` once it listens (with
``--port 0`` that line tells the port it picked), then serves until Ctrl-C / SIGTERM.
Point clients at it with ``HF_ENDPOINT=http://HOST:PORT`` (and ``HF_HUB_DISABLE_XET=1``
for uploads with huggingface_hub). The tokens file format is described in
``embrace.hub.server.auth``; without one the hub is open to every local client.

`import` commits the files of DIR (a model folder, or a hub-cache snapshot folder whose
symlinks it follows) to REPO_ID on BRANCH, creating the repo and the branch when needed,
and prints the new commit sha. It writes to ROOT directly (no server needed; safe while
one runs).

Example:
    >>> from embrace.cli.main import main
    >>> main(["hub", "import", "./tiny-bert", "alice/tiny-bert", "--root", "/tmp/hub"])  # doctest: +SKIP
    3f0c5e...
"""

from __future__ import annotations

import argparse
import sys


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="hub_command", metavar="HUB_COMMAND")

    serve = sub.add_parser("serve", help="serve the repos under ROOT over HTTP (the Hugging Face hub protocol)",
                           description="Serve the repos under ROOT over HTTP, speaking the Hugging Face hub protocol.")
    serve.add_argument("root", metavar="ROOT", help="folder holding the repositories (created when missing)")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8000, help="port to listen on; 0 picks a free one (default: 8000)")
    serve.add_argument("--tokens", metavar="FILE", default=None,
                       help="JSON/YAML tokens file (see embrace.hub.server.auth); without it every client may write")
    serve.add_argument("--cdn-url", default=None,
                       help="base URL that LFS downloads redirect to, e.g. http://localhost:{port} "
                            "(default: relative redirects to this server)")
    serve.add_argument("--log-level", default="info", choices=["critical", "error", "warning", "info", "debug"],
                       help="server log level (default: info)")

    imp = sub.add_parser("import", help="commit a local folder to a repo under ROOT and print the commit sha",
                         description="Commit the files of DIR to REPO_ID (created when missing) and print the "
                                     "commit sha.")
    imp.add_argument("dir", metavar="DIR", help="folder to import (symlinks are followed)")
    imp.add_argument("repo_id", metavar="REPO_ID", help="target repo, 'org/name'")
    imp.add_argument("--root", required=True, help="hub root folder (the ROOT of `embrace hub serve`)")
    imp.add_argument("--revision", default="main", help="branch to commit to; created from main when missing")
    imp.add_argument("--repo-type", default="model", choices=["model", "dataset", "space"], help="default: model")
    imp.add_argument("--message", default=None, help="commit message (default: 'Import <DIR name>')")
    imp.add_argument("--tag", default=None, help="also tag the new commit with this name")
    imp.add_argument("--mirror", action="store_true",
                     help="delete files of the branch that are not in DIR (default: only add/replace)")
    imp.add_argument("--private", action="store_true", help="make the repo private when it is created")
    imp.add_argument("--author", default=None, help="commit author name (default: embrace-hub)")


def run(args: argparse.Namespace) -> int:
    if args.hub_command == "serve":
        return _serve(args)
    if args.hub_command == "import":
        return _import(args)
    print("usage: embrace hub {serve,import} ... (see `embrace hub --help`)", file=sys.stderr)
    return 2


def _serve(args: argparse.Namespace) -> int:
    import logging

    from embrace.hub.server import serve

    logging.basicConfig(level=args.log_level.upper(), format="%(levelname)s %(name)s: %(message)s")

    def ready(url: str) -> None:
        print(f"embrace hub: serving {args.root} at {url}", flush=True)

    try:
        serve(args.root, host=args.host, port=args.port, tokens_file=args.tokens, cdn_url=args.cdn_url,
              log_level=args.log_level, on_ready=ready)
    except (OSError, ValueError) as exc:
        print(f"embrace hub serve: {exc}", file=sys.stderr)
        return 1
    return 0


def _import(args: argparse.Namespace) -> int:
    from embrace.errors import EmbraceError
    from embrace.hub.server.storage import RepoStore, import_folder

    try:
        store = RepoStore(args.root)
        result = import_folder(store, args.dir, args.repo_id, repo_type=args.repo_type, revision=args.revision,
                               message=args.message, author=args.author, mirror=args.mirror, private=args.private,
                               tag=args.tag)
    except (EmbraceError, OSError, ValueError) as exc:
        print(f"embrace hub import: {exc}", file=sys.stderr)
        return 1
    print(result.oid)
    return 0
