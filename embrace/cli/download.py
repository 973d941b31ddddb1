"""`embrace download`: fetch files of a hub repo into the cache (or a folder) and print the path.

With one file name it downloads that file and prints its path; otherwise (no names, several
names, or `--include`/`--exclude` patterns) it downloads a snapshot and prints the folder.
Only the path goes to stdout, so `$(embrace download org/model config.json)` works in scripts.

Example:
    embrace download org/model                      # whole repo -> prints the snapshot folder
    embrace download org/model config.json          # one file  -> prints its path
    embrace download squad --repo-type dataset --include "*.json" --local-dir ./squad
"""

from __future__ import annotations

import argparse
import os
import sys
import warnings


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("repo_id", help="repo id, e.g. 'org/name'")
    parser.add_argument("filenames", nargs="*", help="files to download (default: the whole repo)")
    parser.add_argument("--include", nargs="*", help="glob patterns of files to download")
    parser.add_argument("--exclude", nargs="*", help="glob patterns of files to skip")
    parser.add_argument("--revision", help="branch, tag or commit hash (default: main)")
    parser.add_argument("--repo-type", choices=["model", "dataset", "space"], default="model")
    parser.add_argument("--cache-dir", help="hub cache folder (default: HF_HUB_CACHE)")
    parser.add_argument("--local-dir", help="write the files under this folder instead of the cache")
    parser.add_argument("--token", help="access token (default: HF_TOKEN or the token file)")
    parser.add_argument("--force-download", action="store_true", help="download even if cached")
    parser.add_argument("--max-workers", type=int, default=8, help="parallel downloads (default: 8)")
    parser.add_argument("--quiet", action="store_true", help="no progress bars; print only the path")


def run(args: argparse.Namespace) -> int:
    from embrace.errors import EmbraceError

    if args.quiet:
        os.environ["EMBRACE_DISABLE_PROGRESS_BARS"] = "1"
    try:
        path = _download(args)
    except EmbraceError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(path)
    return 0


def _download(args: argparse.Namespace) -> str:
    from embrace.hub.download import hf_hub_download
    from embrace.hub.snapshot import snapshot_download

    if args.filenames and (args.include or args.exclude):
        warnings.warn("Ignoring --include/--exclude since file names were given.")
    common = dict(repo_type=args.repo_type, revision=args.revision, cache_dir=args.cache_dir,
                  local_dir=args.local_dir, token=args.token, force_download=args.force_download,
                  library_name="embrace-cli")
    if len(args.filenames) == 1:
        return hf_hub_download(args.repo_id, args.filenames[0], **common)
    allow = args.filenames or args.include
    ignore = None if args.filenames else args.exclude
    return snapshot_download(args.repo_id, allow_patterns=allow, ignore_patterns=ignore, max_workers=args.max_workers,
                             **common)
