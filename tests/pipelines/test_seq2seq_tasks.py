"""text2text-generation, summarization and translation against the legacy reference
(transformers 4.53.3, which still had these pipelines), on tiny random BART, T5 and Marian
models saved by the current reference (see seq2seq_models.py).

One legacy run computes every case: the answers, the warnings its pipeline logged, the
generation settings each pipeline resolved and the registry defaults.
"""

from __future__ import annotations

import contextlib
import json
import logging
import subprocess
import sys
from pathlib import Path

import pytest

import embrace
from embrace.errors import UnknownKeyError
from embrace.generation import GenerationConfig
from tests.oracle.legacy import run_legacy

from ._compare import assert_same
from .seq2seq_models import build_bart, build_marian, build_mbart, build_t5

ROOT = Path(__file__).resolve().parents[2]
TEXTS = ["Hello world, this is a test.", "short", "A much longer input sentence with many words in it."]
LONG = "The quick brown fox jumps over the lazy dog while the cat watches from the window of the old house. " * 2

# name -> (task, model, inputs, call options); options with batch_size run batched on both sides.
CASES = {
    "t2t_bart": ("text2text-generation", "bart", TEXTS[0], {"max_new_tokens": 8}),
    "t2t_bart_batched": ("text2text-generation", "bart", TEXTS, {"max_new_tokens": 8, "batch_size": 2}),
    "t2t_bart_beams": ("text2text-generation", "bart", TEXTS[:2],
                       {"max_new_tokens": 6, "num_beams": 3, "num_return_sequences": 2, "batch_size": 2}),
    "t2t_bart_tensors": ("text2text-generation", "bart", TEXTS[2], {"return_tensors": True, "max_new_tokens": 5}),
    "t2t_bart_cleanup": ("text2text-generation", "bart", TEXTS[1],
                         {"clean_up_tokenization_spaces": True, "max_new_tokens": 8, "num_beams": 1}),
    "t2t_t5_truncation": ("text2text-generation", "t5", LONG, {"truncation": True, "max_new_tokens": 6}),
    "t2t_t5_list": ("text2text-generation", "t5", TEXTS, {"max_new_tokens": 6}),
    "t2t_t5_stop": ("text2text-generation", "t5", TEXTS[0], {"stop_sequence": "k", "max_new_tokens": 8}),
    "sum_t5": ("summarization", "t5", TEXTS[2], {"max_new_tokens": 6}),
    "sum_t5_batched": ("summarization", "t5", TEXTS, {"max_new_tokens": 6, "batch_size": 2}),
    "sum_bart_returns": ("summarization", "bart", TEXTS[0],
                         {"num_beams": 2, "num_return_sequences": 2, "max_new_tokens": 6}),
    "sum_min_over_max": ("summarization", "t5", TEXTS[1], {"min_length": 10, "max_length": 5, "max_new_tokens": 3}),
    "sum_default_max_length": ("summarization", "bart", TEXTS[1], {"max_new_tokens": 3}),
    "tr_t5_en_fr": ("translation_en_to_fr", "t5", TEXTS[0], {"max_new_tokens": 6}),
    "tr_t5_long_input": ("translation_en_to_fr", "t5", LONG, {"max_new_tokens": 3}),
    "tr_t5_bare": ("translation", "t5", TEXTS[1], {"max_new_tokens": 6}),
    "tr_marian": ("translation", "marian", TEXTS, {"max_new_tokens": 6}),
    "tr_marian_batched": ("translation", "marian", TEXTS, {"max_new_tokens": 6, "batch_size": 2}),
    "tr_marian_beams": ("translation_en_to_de", "marian", TEXTS[0],
                        {"num_beams": 3, "num_return_sequences": 3, "max_new_tokens": 6}),
    "tr_mbart_langs": ("translation", "mbart", TEXTS[0], {"src_lang": "en_XX", "tgt_lang": "ro_RO",
                                                          "max_new_tokens": 5, "return_tensors": True}),
    "tr_mbart_batched": ("translation", "mbart", TEXTS, {"src_lang": "de_DE", "tgt_lang": "fr_XX",
                                                         "max_new_tokens": 5, "num_beams": 2, "batch_size": 2}),
}
# (task, model, pipeline() options) whose resolved generation settings and prefix are compared.
SETUPS = [
    ("text2text-generation", "bart", {}),
    ("text2text-generation", "bart", {"max_length": 40}),
    ("text2text-generation", "t5", {"num_beams": 2, "max_new_tokens": 9}),
    ("summarization", "t5", {}),
    ("summarization", "bart", {"min_length": 3}),
    ("translation_en_to_fr", "t5", {}),
    ("translation", "t5", {}),
    ("translation", "marian", {}),
    ("translation", "mbart", {}),
]
SETTINGS = ("max_new_tokens", "max_length", "min_length", "num_beams", "no_repeat_ngram_size", "pad_token_id")

LEGACY = """
import json, logging
from transformers import pipeline
from transformers.pipelines import SUPPORTED_TASKS

records = []
class Keep(logging.Handler):
    def emit(self, record):
        records.append(record.getMessage())
log = logging.getLogger("transformers.pipelines.text2text_generation")
log.addHandler(Keep())
log.setLevel(logging.WARNING)

built = {}
def get(task, key, options=None):
    options = options or {}
    name = (task, key, repr(sorted(options.items())))
    if name not in built:
        built[name] = pipeline(task, model=args["folders"][key], **options)
    return built[name]

result = {"cases": {}, "setups": [], "defaults": {}}
for name, (task, key, inputs, options) in args["cases"].items():
    records.clear()
    answer = json.loads(json.dumps(get(task, key)(inputs, **options), default=lambda tensor: tensor.tolist()))
    result["cases"][name] = {"answer": answer, "warnings": list(records)}
for task, key, options in args["setups"]:
    p = get(task, key, options)
    config = p.generation_config
    result["setups"].append({"prefix": p.prefix or "", "task": p.task,
                             **{k: getattr(config, k) for k in args["settings"]}})
for task in ("text2text-generation", "summarization", "translation"):
    defaults = SUPPORTED_TASKS[task]["default"]
    result["defaults"][task] = {"_".join(k) if isinstance(k, tuple) else k: v["pt"] if k == "model" else v["model"]["pt"]
                                for k, v in defaults.items()}
"""


def _answer_json(answer):
    """Token-id tensors as lists, so our answers compare with the legacy JSON."""
    return json.loads(json.dumps(answer, default=lambda tensor: tensor.tolist()))


@pytest.fixture(scope="module")
def folders(tmp_path_factory, assets_dir) -> dict[str, Path]:
    return {"bart": build_bart(tmp_path_factory.mktemp("s2s-bart"), assets_dir),
            "t5": build_t5(tmp_path_factory.mktemp("s2s-t5")),
            "marian": build_marian(tmp_path_factory.mktemp("s2s-marian")),
            "mbart": build_mbart(tmp_path_factory.mktemp("s2s-mbart"))}


@pytest.fixture(scope="module")
def legacy(folders):
    return run_legacy(LEGACY, {"folders": {k: str(v) for k, v in folders.items()}, "cases": CASES,
                               "setups": SETUPS, "settings": SETTINGS})


@pytest.fixture(scope="module")
def ours(folders):
    built = {}

    def get(task: str, key: str, **options):
        name = (task, key, repr(sorted(options.items())))
        if name not in built:
            # A bare "translation" on a model with translation_XX_to_YY parameters warns and picks them.
            bare = task == "translation" and key == "t5"
            with pytest.warns(UserWarning, match="translation_en_to_fr") if bare else contextlib.nullcontext():
                built[name] = embrace.pipeline(task, model=str(folders[key]), **options)
        return built[name]

    return get


@pytest.mark.parametrize("name", sorted(CASES))
def test_answers_and_warnings_match_legacy(ours, legacy, caplog, name):
    task, key, inputs, options = CASES[name]
    expected = legacy["cases"][name]
    with caplog.at_level(logging.WARNING, logger="embrace.pipelines"):
        answer = ours(task, key)(inputs, **options)
    assert_same(_answer_json(answer), expected["answer"], where=name)
    if "batch_size" not in options:  # batched calls pad (and so warn about) other groupings of inputs
        logged = [r.getMessage() for r in caplog.records if r.name.startswith("embrace.pipelines")]
        assert sorted(logged) == sorted(expected["warnings"])
    if name.startswith(("sum_min", "sum_default", "tr_t5_long")):
        assert expected["warnings"], "the case is meant to trigger a length warning"


def test_batched_answers_equal_unbatched(ours, legacy):
    for name in ("t2t_bart_batched", "sum_t5_batched", "tr_marian_batched"):
        task, key, inputs, options = CASES[name]
        single = {k: v for k, v in options.items() if k != "batch_size"}
        assert_same(_answer_json(ours(task, key)(inputs, **single)), legacy["cases"][name]["answer"])


def test_generation_settings_and_prefix_match_legacy(ours, legacy):
    defaults = GenerationConfig.default_generation_params()
    for (task, key, options), expected in zip(SETUPS, legacy["setups"]):
        pipe = ours(task, key, **options)
        resolved = {}
        for setting in SETTINGS:
            value = getattr(pipe.generation_config, setting)
            if value is None:
                value = getattr(pipe.model.generation_config, setting)
            resolved[setting] = defaults.get(setting) if value is None else value
        assert {"prefix": pipe.prefix, "task": pipe.task, **resolved} == expected, (task, key, options)


def test_registry_defaults_are_legacy(legacy):
    from embrace.pipelines import SUPPORTED_TASKS

    for task, expected in legacy["defaults"].items():
        spec = SUPPORTED_TASKS[task]
        if "model" in expected:
            assert list(spec.default_model) == expected["model"]
        for pair, model in spec.option_defaults.items() if spec.option_defaults else ():
            assert list(model) == expected["_".join(pair)]
        if task == "translation":
            assert spec.default_model is None and len(spec.option_defaults) == len(expected)


def test_answer_shapes(ours):
    pipe = ours("text2text-generation", "t5")
    single = pipe(TEXTS[0], max_new_tokens=3)
    assert isinstance(single, list) and list(single[0]) == ["generated_text"]
    many = pipe(TEXTS[:2], max_new_tokens=3, num_beams=2, num_return_sequences=2)
    assert [len(answer) for answer in many] == [2, 2]
    tensors = pipe(TEXTS[0], max_new_tokens=3, return_tensors=True)
    assert list(tensors[0]) == ["generated_token_ids"] and tensors[0]["generated_token_ids"].dim() == 1
    assert type(ours("summarization", "t5")).__name__ == "SummarizationPipeline"
    assert ours("translation_en_to_de", "marian").task == "translation_en_to_de"


def test_task_from_architectures(folders):
    # Without a task, the config's architectures decide (the reference asks the hub instead).
    assert type(embrace.pipeline(model=str(folders["bart"]))).__name__ == "Text2TextGenerationPipeline"
    assert type(embrace.pipeline(model=str(folders["marian"]))).__name__ == "TranslationPipeline"


def test_bad_input(ours, folders):
    pipe = ours("text2text-generation", "bart")
    with pytest.raises(ValueError, match="takes a text"):
        pipe(123)
    with pytest.raises(ValueError, match="takes a text"):
        pipe(["fine", 5], max_new_tokens=2)
    with pytest.raises(TypeError, match="flavour"):
        pipe("x", flavour=1, max_new_tokens=2)
    with pytest.raises(ValueError, match="no token"):
        pipe("x", stop_sequence="", max_new_tokens=2)
    multilingual = ours("translation", "mbart")
    with pytest.raises(ValueError, match="requires a `src_lang` and a `tgt_lang`"):
        multilingual(TEXTS[0], tgt_lang="ro_RO", max_new_tokens=2)
    with pytest.raises(UnknownKeyError, match="language code"):  # the reference silently encodes <unk>
        multilingual(TEXTS[0], src_lang="xx_YY", tgt_lang="ro_RO", max_new_tokens=2)
    with pytest.raises(UnknownKeyError, match="translation_XX_to_YY"):
        embrace.pipeline("translation_en_fr", model=str(folders["t5"]))
    with pytest.raises(ValueError, match="translation_XX_to_YY"):
        embrace.pipeline("translation")  # no model, and no default without the languages
    with pytest.raises(ValueError, match="no default model"):
        embrace.pipeline("translation_en_to_es")


def test_cli_runs_translation(folders):
    command = [sys.executable, "-m", "embrace", "run", "translation_en_to_fr", TEXTS[0], TEXTS[1], "--model",
               str(folders["t5"]), "--option", "max_new_tokens=4", "--json"]
    proc = subprocess.run(command, capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
    lines = [json.loads(line) for line in proc.stdout.splitlines() if line.startswith("{")]
    expected = embrace.pipeline("translation_en_to_fr", model=str(folders["t5"]))(TEXTS[:2], max_new_tokens=4)
    assert [line["input"] for line in lines] == TEXTS[:2]
    assert [line["output"] for line in lines] == expected
