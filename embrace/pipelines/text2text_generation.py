"""text2text-generation, summarization and translation: encoder-decoder models that write text.

The three tasks share one pipeline; they differ in the key of their answers
(``generated_text`` / ``summary_text`` / ``translation_text``), in the length checks they
log, and in translation's source / target languages. The reference removed these pipelines
in v5; they follow transformers 4.x:

* generation options: call options, then options given to ``pipeline()``, then the model's
  ``task_specific_params[task]`` (whose ``prefix`` is put in front of every input), then the
  model's generation config, then the pipeline defaults ``max_new_tokens=256, num_beams=4``
  (``max_new_tokens`` is dropped when the model or ``pipeline()`` sets a ``max_length``);
* a list of texts gives a list of answers, each a list of ``num_return_sequences`` dicts,
  flattened to one dict per text when there is one sequence each.

Example:
    >>> from embrace.pipelines.text2text_generation import ReturnType, parse_translation_task
    >>> ReturnType.TEXT.name, parse_translation_task("translation_en_to_fr")
    ('TEXT', ('en', 'fr'))
"""

from __future__ import annotations

import enum
import warnings
from typing import Any

from ..generation import GenerationConfig
from ..utils.logging import get_logger
from .base import Pipeline

logger = get_logger(__name__)

# What the pipelines generate with unless the model, the task parameters or the caller say otherwise.
PIPELINE_GENERATION_DEFAULTS: dict[str, Any] = {"max_new_tokens": 256, "num_beams": 4}
# GenerationConfig's own defaults of the two lengths the pipelines check.
_GLOBAL_LENGTHS = {"min_length": 0, "max_length": 20}


class ReturnType(enum.Enum):
    """What each answer holds: the generated token ids or the decoded text."""

    TENSORS = 0
    TEXT = 1


def parse_translation_task(task: str) -> "tuple[str, str] | None":
    """``translation_XX_to_YY`` -> ``(XX, YY)``; any other task name -> None."""
    parts = task.split("_")
    if len(parts) == 4 and parts[0] == "translation" and parts[2] == "to":
        return parts[1], parts[3]
    return None


class Text2TextGenerationPipeline(Pipeline):
    """Generate text from text with an encoder-decoder model (T5, BART, Marian, ...).

    Call it on one text (answer: a list of ``{"generated_text": ...}``, one per returned
    sequence) or a list of texts. Options: ``return_tensors=True`` (token ids instead of
    text), ``clean_up_tokenization_spaces``, ``truncation``, ``stop_sequence`` and any
    ``generate()`` option (``max_new_tokens=``, ``num_beams=``, ``num_return_sequences=``...).

    Example:
        >>> Text2TextGenerationPipeline.return_name
        'generated'
    """

    return_name = "generated"

    def __init__(self, model: Any, tokenizer: Any = None, *, task: str = "", **kwargs: Any) -> None:
        pipeline_options = {k: kwargs.pop(k) for k in ("device", "binary_output", "batch_size") if k in kwargs}
        task = self._resolve_task(model, task)
        self.prefix, self.generation_config, options = self._generation_setup(model, tokenizer, task, kwargs)
        super().__init__(model, tokenizer, task=task, **pipeline_options, **options)

    def _resolve_task(self, model: Any, task: str) -> str:
        return task

    @staticmethod
    def _generation_setup(model: Any, tokenizer: Any, task: str,
                          options: dict[str, Any]) -> tuple[str, GenerationConfig, dict[str, Any]]:
        """(input prefix, the pipeline's generation config, the options that are not generation fields)."""
        config = GenerationConfig(**PIPELINE_GENERATION_DEFAULTS)
        options = config.update(**options)
        model_generation = model.generation_config
        max_length = config.max_length if config.max_length is not None else model_generation.max_length
        if (max_length not in (None, _GLOBAL_LENGTHS["max_length"])
                and config.max_new_tokens == PIPELINE_GENERATION_DEFAULTS["max_new_tokens"]):
            config.max_new_tokens = None  # a max_length the model or the caller chose wins over the default
        prefix = getattr(model.config, "prefix", None) or ""
        task_params = dict((getattr(model.config, "task_specific_params", None) or {}).get(task) or {})
        if "prefix" in task_params:
            prefix = task_params.pop("prefix")
        config.update(**task_params)
        pad_id = config.pad_token_id if config.pad_token_id is not None else model_generation.pad_token_id
        if pad_id is None and tokenizer is not None and tokenizer.pad_token_id is not None:
            config.pad_token_id = tokenizer.pad_token_id
        return prefix, config, options

    def _length_setting(self, name: str, generate_kwargs: dict[str, Any]) -> int:
        """min_length / max_length as generate() will see it: call, pipeline config, model, global default."""
        user_config = generate_kwargs.get("generation_config")
        for source in (generate_kwargs, user_config.to_dict() if user_config is not None else {},
                       self.generation_config.to_dict(), self.model.generation_config.to_dict()):
            if source.get(name) is not None:
                return source[name]
        return _GLOBAL_LENGTHS[name]

    # -- the three steps ------------------------------------------------------------------------

    def _sanitize_parameters(self, *, return_tensors: "bool | None" = None, return_text: "bool | None" = None,
                             return_type: "ReturnType | None" = None,
                             clean_up_tokenization_spaces: "bool | None" = None, truncation: Any = None,
                             stop_sequence: "str | None" = None, **generate_kwargs: Any) -> tuple[dict, dict, dict]:
        # return_text is accepted for compatibility: text is what a call returns unless return_tensors=True.
        pre: dict[str, Any] = {} if truncation is None else {"truncation": truncation}
        post: dict[str, Any] = {}
        if return_tensors is not None and return_type is None:
            return_type = ReturnType.TENSORS if return_tensors else ReturnType.TEXT
        if return_type is not None:
            post["return_type"] = return_type
        if clean_up_tokenization_spaces is not None:
            post["clean_up_tokenization_spaces"] = clean_up_tokenization_spaces
        if stop_sequence is not None:
            stop_ids = self.tokenizer.encode(stop_sequence, add_special_tokens=False)
            if not stop_ids:
                raise ValueError(f"stop_sequence={stop_sequence!r} encodes to no token; pass a non-empty text.")
            if len(stop_ids) > 1:
                warnings.warn(f"stop_sequence={stop_sequence!r} is {len(stop_ids)} tokens long; generation stops on "
                              "its first token only.", UserWarning, stacklevel=3)
            generate_kwargs["eos_token_id"] = stop_ids[0]
        # Everything else is for generate(), which names any option it does not know.
        return pre, generate_kwargs, post

    def __call__(self, inputs: Any, *args: Any, **kwargs: Any) -> Any:
        """Generate for one text or a list of texts (see the class docstring for the options)."""
        result = super().__call__(inputs, *args, **kwargs)
        if (isinstance(inputs, list) and all(isinstance(item, str) for item in inputs)
                and all(len(answer) == 1 for answer in result)):
            return [answer[0] for answer in result]
        return result

    def _tokenize(self, text: Any, truncation: Any) -> dict[str, Any]:
        if not isinstance(text, str):
            raise ValueError(f"{type(self).__name__} takes a text or a list of texts, got {type(text).__name__} "
                             f"({text!r}).")
        encoded = self.tokenizer(self.prefix + text, truncation=truncation, return_tensors="pt")
        return {k: v for k, v in encoded.items() if k in ("input_ids", "attention_mask")}

    def preprocess(self, text: Any, truncation: Any = False) -> dict[str, Any]:
        return self._tokenize(text, truncation)

    def check_inputs(self, input_length: int, min_length: int, max_length: int) -> None:
        """Log what looks wrong with the lengths of a call (nothing for plain text2text)."""

    def _forward(self, model_inputs: dict[str, Any], **generate_kwargs: Any) -> dict[str, Any]:
        input_ids = model_inputs["input_ids"]  # (batch, source)
        in_batch, input_length = input_ids.shape
        self.check_inputs(input_length, self._length_setting("min_length", generate_kwargs),
                          self._length_setting("max_length", generate_kwargs))
        generate_kwargs = {"generation_config": self.generation_config, **generate_kwargs}
        for key, value in model_inputs.items():
            if key not in ("input_ids", "attention_mask"):
                generate_kwargs[key] = value[0] if isinstance(value, list) else value  # same for the whole call
        output_ids = self.model.generate(input_ids=input_ids, attention_mask=model_inputs.get("attention_mask"),
                                         **generate_kwargs)
        # (batch * returns, length) -> (batch, returns, length)
        return {"output_ids": output_ids.reshape(in_batch, output_ids.shape[0] // in_batch, *output_ids.shape[1:])}

    def postprocess(self, model_outputs: dict[str, Any], return_type: ReturnType = ReturnType.TEXT,
                    clean_up_tokenization_spaces: bool = False) -> list[dict[str, Any]]:
        records = []
        for output_ids in model_outputs["output_ids"][0]:
            if return_type == ReturnType.TENSORS:
                records.append({f"{self.return_name}_token_ids": output_ids})
            else:
                text = self.tokenizer.decode(output_ids.tolist(), skip_special_tokens=True,
                                             clean_up_tokenization_spaces=clean_up_tokenization_spaces)
                records.append({f"{self.return_name}_text": text})
        return records


class SummarizationPipeline(Text2TextGenerationPipeline):
    """Summarize documents; answers are ``{"summary_text": ...}``.

    Logs a warning when ``min_length > max_length`` or when ``max_length`` is not below the
    input's length (a summary is meant to be shorter than its document).

    Example:
        >>> SummarizationPipeline.return_name
        'summary'
    """

    return_name = "summary"

    def check_inputs(self, input_length: int, min_length: int, max_length: int) -> None:
        if max_length < min_length:
            logger.warning(f"Your min_length={min_length} must be inferior than your max_length={max_length}.")
        if input_length < max_length:
            logger.warning(
                f"Your max_length is set to {max_length}, but your input_length is only {input_length}. Since this is "
                "a summarization task, where outputs shorter than the input are typically wanted, you might "
                f"consider decreasing max_length manually, e.g. summarizer('...', max_length={input_length // 2})"
            )


class TranslationPipeline(Text2TextGenerationPipeline):
    """Translate texts; answers are ``{"translation_text": ...}``.

    Multilingual tokenizers (mBART-style: a settable ``src_lang``) need ``src_lang=`` and
    ``tgt_lang=`` (language codes such as ``"en_XX"``); the task name
    ``translation_XX_to_YY`` gives both when they are not passed. The target language is
    forced as the first generated token.

    Example:
        >>> TranslationPipeline.return_name
        'translation'
    """

    return_name = "translation"

    def _resolve_task(self, model: Any, task: str) -> str:
        # A bare "translation" takes the model's first translation_XX_to_YY parameters.
        task_params = getattr(model.config, "task_specific_params", None) or {}
        if task == "translation":
            for key in task_params:
                if key.startswith("translation"):
                    warnings.warn(f'"translation" task was used, instead of "translation_XX_to_YY", defaulting to '
                                  f'"{key}"', UserWarning, stacklevel=4)
                    return key
        return task

    def check_inputs(self, input_length: int, min_length: int, max_length: int) -> None:
        if input_length > 0.9 * max_length:
            logger.warning(
                f"Your input_length: {input_length} is bigger than 0.9 * max_length: {max_length}. You might consider "
                "increasing your max_length manually, e.g. translator('...', max_length=400)"
            )

    def _sanitize_parameters(self, *, src_lang: "str | None" = None, tgt_lang: "str | None" = None,
                             **kwargs: Any) -> tuple[dict, dict, dict]:
        pre, forward, post = super()._sanitize_parameters(**kwargs)
        if src_lang is not None:
            pre["src_lang"] = src_lang
        if tgt_lang is not None:
            pre["tgt_lang"] = tgt_lang
        languages = parse_translation_task(self.task)
        if src_lang is None and tgt_lang is None and languages is not None:
            pre["src_lang"], pre["tgt_lang"] = languages
        return pre, forward, post

    def preprocess(self, text: Any, truncation: Any = False, src_lang: "str | None" = None,
                   tgt_lang: "str | None" = None) -> dict[str, Any]:
        build = getattr(self.tokenizer, "_build_translation_inputs", None)
        if build is not None:
            encoded = build(text, return_tensors="pt", truncation=truncation, src_lang=src_lang, tgt_lang=tgt_lang)
            return {k: v for k, v in encoded.items() if k != "token_type_ids"}
        if hasattr(self.tokenizer, "src_lang"):
            return self._multilingual_inputs(text, truncation, src_lang, tgt_lang)
        return self._tokenize(text, truncation)

    def _multilingual_inputs(self, text: Any, truncation: Any, src_lang: "str | None",
                             tgt_lang: "str | None") -> dict[str, Any]:
        """Frame `text` with the source language; the target language becomes the forced first token."""
        if src_lang is None or tgt_lang is None:
            raise ValueError("Translation requires a `src_lang` and a `tgt_lang` for this model: pass e.g. "
                             "src_lang='en_XX', tgt_lang='ro_RO'.")
        if not isinstance(text, str):
            raise ValueError(f"TranslationPipeline takes a text or a list of texts, got {type(text).__name__}.")
        self.tokenizer.src_lang = src_lang  # the reference switches the tokenizer's framing for good, too
        encoded = self.tokenizer(text, truncation=truncation, return_tensors="pt")
        return {"input_ids": encoded["input_ids"], "attention_mask": encoded["attention_mask"],
                "forced_bos_token_id": self.tokenizer.convert_tokens_to_ids(tgt_lang)}


__all__ = ["ReturnType", "Text2TextGenerationPipeline", "SummarizationPipeline", "TranslationPipeline",
           "parse_translation_task"]
