"""Run every benchmark in bench/ and print its ratio lines.

Each `bench/<capability>.py` runs embrace and the reference side by side in one process
and prints lines `name: ours X, reference Y, ratio Z` (ratio = ours / reference). This
script runs them one after another in fresh interpreters and prints a summary.

Usage: python bench/run.py [NAME ...]   (names without .py; default: all)
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
LINE = re.compile(r"^(?P<name>[^:]+): ours (?P<ours>\S+), reference (?P<ref>\S+), ratio (?P<ratio>\S+)$")


def main(argv: list[str]) -> int:
    scripts = sorted(p for p in HERE.glob("*.py") if p.name != "run.py")
    if argv:
        scripts = [p for p in scripts if p.stem in argv]
    env = dict(os.environ, HF_HUB_OFFLINE="1", PYTHONPATH=str(HERE.parent))
    summary: list[str] = []
    failed = 0
    for script in scripts:
        print(f"== {script.stem}", flush=True)
        proc = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, env=env)
        for line in proc.stdout.splitlines():
            print(line)
            if LINE.match(line.strip()):
                summary.append(line.strip())
        if proc.returncode != 0:
            failed += 1
            print(f"!! {script.stem} failed (exit {proc.returncode}):\n{proc.stderr[-2000:]}")
    print("\n== summary (ratio = ours / reference)")
    for line in summary:
        print(line)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
