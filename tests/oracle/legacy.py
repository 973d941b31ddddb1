"""Run code in the legacy reference environment (transformers 4.53.3) and get JSON back.

The current reference removed some features (the question-answering, summarization,
translation and text2text pipelines; group beam, constrained beam and contrastive search;
BERT's relative position embeddings, head masks and head pruning). Those are checked
against transformers 4.53.3, installed by `make setup` into `.venv-legacy`. Python code is
sent to a subprocess there; it must assign a JSON-serialisable value to `result`.

Example (in a test):
    out = run_legacy("import transformers; result = transformers.__version__")
    assert out == "4.53.3"
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
LEGACY_PYTHON = Path(os.environ.get("EMBRACE_LEGACY_PYTHON", ROOT / ".venv-legacy" / "bin" / "python"))

_RUNNER = r"""
import json, sys
args = json.loads(sys.stdin.read())
namespace = {"args": args}
exec(compile(args.pop("__code__"), "<legacy-oracle>", "exec"), namespace)
sys.stdout.write("\n__LEGACY_RESULT__" + json.dumps(namespace.get("result")))
"""


def legacy_available() -> bool:
    return LEGACY_PYTHON.exists()


def run_legacy(code: str, args: dict[str, Any] | None = None, *, timeout: float = 600) -> Any:
    """Execute `code` under the legacy reference; `args` is visible as the dict `args`.

    Returns the value the code stored in `result`. Fails the test (not skips) when the
    legacy environment is missing, because `make test` always builds it.
    """
    if not legacy_available():
        pytest.fail(f"legacy reference environment missing at {LEGACY_PYTHON}; run `make setup`")
    payload = dict(args or {})
    payload["__code__"] = textwrap.dedent(code)
    env = dict(os.environ)
    env.setdefault("HF_HUB_OFFLINE", "1")
    env.setdefault("TRANSFORMERS_VERBOSITY", "error")
    env["PYTHONPATH"] = ""  # never let the legacy run see embrace or the current reference
    proc = subprocess.run(
        [str(LEGACY_PYTHON), "-c", _RUNNER],
        input=json.dumps(payload),
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
        cwd=str(ROOT / "tests"),
    )
    if proc.returncode != 0 or "__LEGACY_RESULT__" not in proc.stdout:
        raise RuntimeError(f"legacy reference run failed (exit {proc.returncode}):\n{proc.stderr[-4000:]}")
    return json.loads(proc.stdout.rsplit("__LEGACY_RESULT__", 1)[1])
