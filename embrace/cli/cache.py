"""`embrace cache`: inspect and clean the hub cache.

Example:
    embrace cache scan                 # one line per cached repo
    embrace cache scan -v              # one line per cached revision
    embrace cache delete 1a2b...  3c4d...   # delete these revisions (full commit hashes)
    embrace cache delete 1a2b... --dry-run  # only say what would be freed
"""

from __future__ import annotations

import argparse
import sys


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="cache_command", metavar="ACTION", required=True)
    scan = sub.add_parser("scan", help="list the cached repos (or revisions with -v)")
    scan.add_argument("--dir", help="cache folder (default: HF_HUB_CACHE)")
    scan.add_argument("-v", "--verbose", action="count", default=0, help="one row per revision; -vvv: warnings")
    delete = sub.add_parser("delete", help="delete cached revisions, given by commit hash")
    delete.add_argument("revisions", nargs="+", help="commit hashes to delete (see `embrace cache scan -v`)")
    delete.add_argument("--dir", help="cache folder (default: HF_HUB_CACHE)")
    delete.add_argument("--dry-run", action="store_true", help="print what would be deleted, delete nothing")


def run(args: argparse.Namespace) -> int:
    from embrace.errors import EmbraceError
    from embrace.hub.cache_scan import scan_cache_dir

    try:
        info = scan_cache_dir(args.dir)
    except EmbraceError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    if args.cache_command == "scan":
        print(info.export_as_table(verbosity=min(args.verbose, 1)))
        print(f"\nDone. Scanned {len(info.repos)} repo(s) for a total of {info.size_on_disk_str}.")
        if info.warnings:
            print(f"Got {len(info.warnings)} warning(s) while scanning." + ("" if args.verbose >= 3 else
                                                                           " Use -vvv to print details."))
            if args.verbose >= 3:
                for warning in info.warnings:
                    print(f"  {warning}")
        return 0
    known = {rev.commit_hash for repo in info.repos for rev in repo.revisions}
    unknown = [rev for rev in args.revisions if rev not in known]
    if unknown:
        print(f"error: not in the cache: {', '.join(unknown)}. Run `embrace cache scan -v` to list the cached "
              "revisions (full commit hashes).", file=sys.stderr)
        return 1
    strategy = info.delete_revisions(*args.revisions)
    if args.dry_run:
        print(f"Would free {strategy.expected_freed_size_str} by deleting {len(args.revisions)} revision(s).")
        return 0
    strategy.execute()
    print(f"Deleted {len(args.revisions)} revision(s), freed {strategy.expected_freed_size_str}.")
    return 0
