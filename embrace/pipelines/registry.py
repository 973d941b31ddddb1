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

from ..errors import unknown_key


@dataclasses.dataclass(frozen=True)
class TaskSpec:
    """Where a task's classes live and which checkpoint it loads when no model is given."""

    name: str
    pipeline: str  # "module:ClassName" under embrace.pipelines
    auto_class: str  # the embrace Auto* class that loads its model
    default_model: tuple[str, str]  # (repo id, revision)

    def pipeline_class(self) -> type:
        module, name = self.pipeline.split(":")
        return getattr(importlib.import_module(f"embrace.pipelines.{module}"), name)


SUPPORTED_TASKS: dict[str, TaskSpec] = {spec.name: spec for spec in (
    TaskSpec("feature-extraction", "feature_extraction:FeatureExtractionPipeline", "AutoModel",
             ("distilbert/distilbert-base-cased", "6ea8117")),
    TaskSpec("text-classification", "text_classification:TextClassificationPipeline",
             "AutoModelForSequenceClassification",
             ("distilbert/distilbert-base-uncased-finetuned-sst-2-english", "714eb0f")),
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
)}

TASK_ALIASES: dict[str, str] = {"sentiment-analysis": "text-classification", "ner": "token-classification"}

# Architecture name ending -> task, to pick a task from config.architectures when none is given.
ARCHITECTURE_TASKS: dict[str, str] = {
    "ForSequenceClassification": "text-classification",
    "ForTokenClassification": "token-classification",
    "ForMaskedLM": "fill-mask",
    "ForQuestionAnswering": "question-answering",
    "ForCausalLM": "text-generation",
    "LMHeadModel": "text-generation",
    "Model": "feature-extraction",
}


def resolve_task(task: str) -> TaskSpec:
    """The spec of `task` or of the task it is an alias of; a miss lists the known tasks."""
    name = TASK_ALIASES.get(task, task)
    if name not in SUPPORTED_TASKS:
        raise unknown_key("task", task, sorted(set(SUPPORTED_TASKS) | set(TASK_ALIASES)))
    return SUPPORTED_TASKS[name]


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
