"""`embrace upload`: upload a file or a folder to a hub repo (created if missing) and print its URL.

Example:
    embrace upload org/model ./checkpoint                  # folder -> repo root
    embrace upload org/model ./config.json                 # file   -> config.json
    embrace upload org/data ./train.csv data/train.csv --repo-type dataset
"""

from __future__ import annotations

import argparse
import os
import sys
from urllib.parse import quote


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("repo_id", help="repo id, e.g. 'org/name'")
    parser.add_argument("local_path", nargs="?", default=".", help="file or folder to upload (default: .)")
    parser.add_argument("path_in_repo", nargs="?", help="where it goes in the repo (default: its name / the root)")
    parser.add_argument("--repo-type", choices=["model", "dataset", "space"], default="model")
    parser.add_argument("--revision", help="branch to commit to (default: main)")
    parser.add_argument("--private", action="store_true", help="create the repo as private if it does not exist")
    parser.add_argument("--include", nargs="*", help="glob patterns of files to upload (folders only)")
    parser.add_argument("--exclude", nargs="*", help="glob patterns of files to skip (folders only)")
    parser.add_argument("--delete", nargs="*", help="glob patterns of remote files to delete (folders only)")
    parser.add_argument("--commit-message", help="summary of the commit")
    parser.add_argument("--commit-description", help="description of the commit")
    parser.add_argument("--create-pr", action="store_true", help="open a pull request instead of committing")
    parser.add_argument("--token", help="access token (default: HF_TOKEN or the token file)")
    parser.add_argument("--quiet", action="store_true", help="no progress bars; print only the URL")


def run(args: argparse.Namespace) -> int:
    from embrace.errors import EmbraceError
    from embrace.hub.api import HfApi

    if args.quiet:
        os.environ["EMBRACE_DISABLE_PROGRESS_BARS"] = "1"
    if not os.path.exists(args.local_path):
        print(f"error: '{args.local_path}' does not exist: pass a file or a folder to upload.", file=sys.stderr)
        return 2
    api = HfApi(token=args.token, library_name="embrace-cli")
    try:
        repo_url = api.create_repo(args.repo_id, repo_type=args.repo_type, private=args.private or None,
                                   exist_ok=True)
        revision = args.revision or "main"
        if os.path.isfile(args.local_path):
            if args.include or args.exclude or args.delete:
                print("warning: --include/--exclude/--delete apply to folders only; ignored.", file=sys.stderr)
            path_in_repo = args.path_in_repo or os.path.basename(args.local_path)
            commit = api.upload_file(path_or_fileobj=args.local_path, path_in_repo=path_in_repo,
                                     repo_id=args.repo_id, repo_type=args.repo_type, revision=args.revision,
                                     commit_message=args.commit_message, commit_description=args.commit_description,
                                     create_pr=args.create_pr)
            where = f"{repo_url}/blob/{quote(revision, safe='')}/{path_in_repo}"
        else:
            path_in_repo = (args.path_in_repo or "").strip("/")
            commit = api.upload_folder(repo_id=args.repo_id, folder_path=args.local_path, path_in_repo=path_in_repo,
                                       repo_type=args.repo_type, revision=args.revision,
                                       commit_message=args.commit_message,
                                       commit_description=args.commit_description, create_pr=args.create_pr,
                                       allow_patterns=args.include, ignore_patterns=args.exclude,
                                       delete_patterns=args.delete)
            where = f"{repo_url}/tree/{quote(revision, safe='')}/{path_in_repo}".rstrip("/")
    except EmbraceError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(commit.pr_url if args.create_pr and commit.pr_url else where)
    return 0
