"""The task registry: task name -> pipeline class, model class, default checkpoint.

Adding a task is one module with its Pipeline subclass plus one `TaskSpec` line here.
Defaults are the reference's (transformers 5.23.0's SUPPORTED_TASKS; question-answering and
the seq2seq tasks from 4.53.3, which still had them), fetched through embrace's hub client.

Example:
    >>> from embrace.pipelines.registry import resolve_task
    >>> resolve_task("sentiment-analysis").name
    'text-classification'
"""

from __future__ import annotations

import dataclasses
import importlib
import os

from ..errors import unknown_key


@dataclasses.dataclass(frozen=True)
class TaskSpec:
    """Where a task's classes live and which checkpoint it loads when no model is given."""

    name: str
    pipeline: str  # "module:ClassName" under embrace.pipelines
    auto_class: str  # the embrace Auto* class that loads its model
    default_model: "tuple[str, str] | None"  # (repo id, revision); None: it depends on the task's options
    # Parametrised tasks (translation_XX_to_YY): (XX, YY) -> (repo id, revision).
    option_defaults: "dict[tuple[str, str], tuple[str, str]] | None" = None
    # A folder under $HF_HOME/embrace used instead of default_model when that is not cached and the
    # hub is unreachable (built by scripts/finetune_minilm.py for sentiment, e.g. by `make run`).
    offline_fallback: "str | None" = None

    def default_for(self, options: "tuple[str, str] | None") -> tuple[str, str]:
        """The default checkpoint of the task, for a parametrised task's (XX, YY) `options`."""
        if options is not None and self.option_defaults is not None:
            if options not in self.option_defaults:
                raise ValueError(f"The task {self.name!r} has no default model for the options {options}; known "
                                 f"options: {sorted(self.option_defaults)}. Pass model=... explicitly.")
            return self.option_defaults[options]
        if self.default_model is None:
            raise ValueError(f"The task {self.name!r} has no default model without options: name it as "
                             f"\"translation_XX_to_YY\" (e.g. translation_en_to_fr) or pass model=....")
        return self.default_model

    def pipeline_class(self) -> type:
        module, name = self.pipeline.split(":")
        return getattr(importlib.import_module(f"embrace.pipelines.{module}"), name)


SUPPORTED_TASKS: dict[str, TaskSpec] = {spec.name: spec for spec in (
    TaskSpec("feature-extraction", "feature_extraction:FeatureExtractionPipeline", "AutoModel",
             ("distilbert/distilbert-base-cased", "6ea8117")),
    TaskSpec("text-classification", "text_classification:TextClassificationPipeline",
             "AutoModelForSequenceClassification",
             ("distilbert/distilbert-base-uncased-finetuned-sst-2-english", "714eb0f"),
             offline_fallback="minilm-tweets-sentiment"),
    TaskSpec("token-classification", "token_classification:TokenClassificationPipeline",
             "AutoModelForTokenClassification", ("dbmdz/bert-large-cased-finetuned-conll03-english", "4c53496")),
    TaskSpec("fill-mask", "fill_mask:FillMaskPipeline", "AutoModelForMaskedLM",
             ("distilbert/distilroberta-base", "fb53ab8")),
    TaskSpec("zero-shot-classification", "zero_shot_classification:ZeroShotClassificationPipeline",
             "AutoModelForSequenceClassification", ("facebook/bart-large-mnli", "d7645e1")),
    TaskSpec("question-answering", "question_answering:QuestionAnsweringPipeline", "AutoModelForQuestionAnswering",
             ("distilbert/distilbert-base-cased-distilled-squad", "564e9b5")),
    TaskSpec("text-generation", "text_generation:TextGenerationPipeline", "AutoModelForCausalLM",
             ("HuggingFaceTB/SmolLM3-3B", "a07cc9a")),
    TaskSpec("text2text-generation", "text2text_generation:Text2TextGenerationPipeline", "AutoModelForSeq2SeqLM",
             ("google-t5/t5-base", "a9723ea")),
    TaskSpec("summarization", "text2text_generation:SummarizationPipeline", "AutoModelForSeq2SeqLM",
             ("sshleifer/distilbart-cnn-12-6", "a4f8f3e")),
    TaskSpec("translation", "text2text_generation:TranslationPipeline", "AutoModelForSeq2SeqLM", None,
             {pair: ("google-t5/t5-base", "a9723ea") for pair in (("en", "fr"), ("en", "de"), ("en", "ro"))}),
)}

def offline_default_dir(task: str) -> str:
    """``$HF_HOME/embrace/<folder>``: where the offline stand-in for ``task``'s default model lives.

    Example:
        >>> offline_default_dir("sentiment-analysis").endswith(os.path.join("embrace", "minilm-tweets-sentiment"))
        True
    """
    from embrace.hub.constants import hf_home

    spec = SUPPORTED_TASKS[TASK_ALIASES.get(task, task)]
    if spec.offline_fallback is None:
        raise ValueError(f"The task {spec.name!r} has no offline stand-in model; tasks that have one: "
                         f"{sorted(n for n, s in SUPPORTED_TASKS.items() if s.offline_fallback)}.")
    return os.path.join(hf_home(), "embrace", spec.offline_fallback)


TASK_ALIASES: dict[str, str] = {"sentiment-analysis": "text-classification", "ner": "token-classification"}

# Architecture name ending -> task, to pick a task from config.architectures when none is given.
ARCHITECTURE_TASKS: dict[str, str] = {
    "ForSequenceClassification": "text-classification",
    "ForTokenClassification": "token-classification",
    "ForMaskedLM": "fill-mask",
    "ForQuestionAnswering": "question-answering",
    "ForCausalLM": "text-generation",
    "ForConditionalGeneration": "text2text-generation",
    "MTModel": "translation",
    "LMHeadModel": "text-generation",
    "Model": "feature-extraction",
}


def parse_task(task: str) -> "tuple[TaskSpec, tuple[str, str] | None]":
    """The spec of `task` (or of the task it is an alias of) and its options: ``translation_en_to_fr``
    is the translation task with options ``("en", "fr")``. A miss lists the known tasks."""
    name = TASK_ALIASES.get(task, task)
    if name in SUPPORTED_TASKS:
        return SUPPORTED_TASKS[name], None
    if name.startswith("translation"):
        parts = name.split("_")
        if len(parts) == 4 and parts[0] == "translation" and parts[2] == "to":
            return SUPPORTED_TASKS["translation"], (parts[1], parts[3])
        raise unknown_key("translation task", task, ["translation", "translation_XX_to_YY"])
    raise unknown_key("task", task, sorted(set(SUPPORTED_TASKS) | set(TASK_ALIASES) | {"translation_XX_to_YY"}))


def resolve_task(task: str) -> TaskSpec:
    """The spec of `task` or of the task it is an alias of; a miss lists the known tasks."""
    return parse_task(task)[0]


def task_from_architectures(architectures: "list[str] | None", where: str) -> str:
    """The task of the first architecture whose name ends in a known head."""
    for architecture in architectures or ():
        for ending, task in ARCHITECTURE_TASKS.items():
            if architecture.endswith(ending):
                return task
    raise ValueError(
        f"Cannot infer the task of {where}: its config lists architectures {architectures or []}, none ending in "
        f"{', '.join(ARCHITECTURE_TASKS)}. Pass the task explicitly, e.g. pipeline('text-classification', model=...)."
    )
