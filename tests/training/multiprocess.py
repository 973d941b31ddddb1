"""Running a worker script the way the multi-process tests need: on N processes through
`embrace launch` (torch.distributed.run, gloo on CPU) or on one with plain python; each rank writes
a JSON report that the tests read back."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def run_worker(script: Path, args: list[str], *, nproc: int = 1, timeout: int = 240) -> None:
    """Run ``script args...`` on ``nproc`` processes (1: no launcher) and fail with its output if it fails."""
    launcher = ["-m", "embrace", "launch", "--nproc_per_node", str(nproc)] if nproc > 1 else []
    env = {**os.environ, "PYTHONPATH": REPO, "OMP_NUM_THREADS": "1", "EMBRACE_DISABLE_PROGRESS_BARS": "1"}
    done = subprocess.run([sys.executable, *launcher, str(script), *args], cwd=str(script.parent), env=env,
                          capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]


def read_report(prefix: Path, rank: int = 0) -> dict[str, Any]:
    """The JSON a worker wrote to ``<prefix>.rank<rank>.json``."""
    return json.loads(Path(f"{prefix}.rank{rank}.json").read_text())


class StreamingAccuracy:
    """A ``batch_eval_metrics`` metric for the workers: sums over the batches it is given and reports on
    the last one (``compute_result=True``), so any split of the same examples gives the same result."""

    def __init__(self) -> None:
        self.correct = self.seen = self.tokens = self.calls = 0

    def __call__(self, p: Any, compute_result: bool = False) -> dict[str, Any]:
        self.calls += 1
        self.correct += int((p.predictions.argmax(-1) == p.label_ids).sum())
        self.seen += len(p.label_ids)
        if p.inputs is not None:
            self.tokens += int(p.inputs.sum())
        if not compute_result:
            return {}
        return {"accuracy": self.correct / self.seen, "n": self.seen, "tokens": self.tokens}
