"""embrace: the Hugging Face stack, rebuilt from scratch on PyTorch — offline-first and safe.

Port code by changing imports: ``transformers`` -> ``embrace``. Public names are imported
lazily (on first attribute access), so ``import embrace`` stays fast.

Example:
    >>> import embrace
    >>> config = embrace.BertConfig(hidden_size=32, num_hidden_layers=1, num_attention_heads=2,
    ...                             intermediate_size=37, vocab_size=99)
    >>> model = embrace.BertModel(config)
    >>> model.num_parameters() > 0
    True
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

_BERT = (
    "BertConfig",
    "BertModel",
    "BertPreTrainedModel",
    "BertForPreTraining",
    "BertForMaskedLM",
    "BertLMHeadModel",
    "BertForNextSentencePrediction",
    "BertForSequenceClassification",
    "BertForMultipleChoice",
    "BertForTokenClassification",
    "BertForQuestionAnswering",
)
_AUTO = (
    "AutoConfig",
    "AutoModel",
    "AutoModelForPreTraining",
    "AutoModelForMaskedLM",
    "AutoModelForCausalLM",
    "AutoModelForSequenceClassification",
    "AutoModelForMultipleChoice",
    "AutoModelForTokenClassification",
    "AutoModelForQuestionAnswering",
    "AutoModelForNextSentencePrediction",
    "AutoModelForSeq2SeqLM",
)
_TOKENIZATION = (
    "AutoTokenizer", "PreTrainedTokenizer", "PreTrainedTokenizerFast", "PreTrainedTokenizerBase", "BatchEncoding",
    "BertTokenizer", "BertTokenizerFast", "DistilBertTokenizer", "DistilBertTokenizerFast", "RobertaTokenizer",
    "RobertaTokenizerFast", "BartTokenizer", "BartTokenizerFast", "GPT2Tokenizer", "GPT2TokenizerFast",
    "Qwen2Tokenizer", "Qwen2TokenizerFast", "LlamaTokenizer", "LlamaTokenizerFast", "T5Tokenizer",
    "T5TokenizerFast", "AlbertTokenizer", "AlbertTokenizerFast", "XLNetTokenizer", "XLNetTokenizerFast",
    "XLMRobertaTokenizer", "XLMRobertaTokenizerFast", "MarianTokenizer",
    "MBartTokenizer", "MBartTokenizerFast", "MBart50Tokenizer", "MBart50TokenizerFast", "PegasusTokenizer", "PegasusTokenizerFast",
)

# public name -> module that defines it
_LAZY: dict[str, str] = {
    "PretrainedConfig": "embrace.configuration",
    "PreTrainedConfig": "embrace.configuration",
    "PreTrainedModel": "embrace.modeling.modeling_utils",
    **{name: "embrace.modeling.cache" for name in ("Cache", "DynamicCache", "StaticCache", "EncoderDecoderCache", "DynamicLayer", "StaticLayer")},
    **{name: "embrace.pipelines" for name in ("pipeline", "Pipeline", "KeyDataset", "KeyPairDataset")},
    **{name: "embrace.pipelines.text2text_generation" for name in ("Text2TextGenerationPipeline", "SummarizationPipeline", "TranslationPipeline")},
    **{name: "embrace.models.bert" for name in _BERT},
    **{name: "embrace.training.data_collator" for name in ("default_data_collator", "DefaultDataCollator", "DataCollatorMixin", "DataCollatorWithPadding", "DataCollatorForTokenClassification", "DataCollatorForMultipleChoice", "DataCollatorForSeq2Seq", "DataCollatorForLanguageModeling", "DataCollatorWithFlattening")},
    **{name: "embrace.training.hf_argparser" for name in ("HfArgumentParser", "HfArg")},
    **{name: "embrace.training.training_args" for name in ("TrainingArguments", "IntervalStrategy", "SaveStrategy", "SchedulerType", "OptimizerNames")},
    **{name: "embrace.training.seq2seq" for name in ("Seq2SeqTrainingArguments", "Seq2SeqTrainer")},
    **{name: "embrace.training.trainer" for name in ("Trainer",)},
    **{name: "embrace.training.trainer_utils" for name in ("TrainOutput", "EvalPrediction", "PredictionOutput", "EvalLoopOutput", "set_seed", "get_last_checkpoint", "PREFIX_CHECKPOINT_DIR", "LengthGroupedSampler")},
    **{name: "embrace.training.trainer_callback" for name in ("TrainerCallback", "TrainerState", "TrainerControl", "CallbackHandler", "DefaultFlowCallback", "PrinterCallback", "ProgressCallback", "EarlyStoppingCallback", "TensorBoardCallback", "JSONLLoggerCallback")},
    **{name: "embrace.training.optimization" for name in ("Adafactor", "get_scheduler", "get_linear_schedule_with_warmup", "get_constant_schedule", "get_constant_schedule_with_warmup", "get_cosine_schedule_with_warmup", "get_cosine_with_min_lr_schedule_with_warmup", "get_cosine_with_hard_restarts_schedule_with_warmup", "get_polynomial_decay_schedule_with_warmup", "get_inverse_sqrt_schedule", "get_wsd_schedule")},
    **{name: "embrace.auto" for name in _AUTO},
    **{name: "embrace.models.bart" for name in ("BartConfig", "BartModel", "BartPreTrainedModel", "BartForConditionalGeneration", "BartForSequenceClassification", "BartForQuestionAnswering", "BartForCausalLM")},
    **{name: "embrace.models.mbart" for name in ("MBartConfig", "MBartModel", "MBartPreTrainedModel", "MBartForConditionalGeneration", "MBartForSequenceClassification", "MBartForQuestionAnswering", "MBartForCausalLM")},
    **{name: "embrace.models.marian" for name in ("MarianConfig", "MarianModel", "MarianPreTrainedModel", "MarianMTModel", "MarianForCausalLM")},
    **{name: "embrace.models.pegasus" for name in ("PegasusConfig", "PegasusModel", "PegasusPreTrainedModel", "PegasusForConditionalGeneration", "PegasusForCausalLM")},
    **{name: "embrace.generation.utils" for name in ("GenerateEncoderDecoderOutput", "GenerateBeamEncoderDecoderOutput")},
    "EncoderNoRepeatNGramLogitsProcessor": "embrace.generation.logits_process",
    **{name: "embrace.tokenization" for name in _TOKENIZATION},
    **{name: "embrace.models.llama" for name in ("LlamaConfig", "LlamaModel", "LlamaPreTrainedModel", "LlamaForCausalLM", "LlamaForSequenceClassification")},
    **{name: "embrace.models.mistral" for name in ("MistralConfig", "MistralModel", "MistralPreTrainedModel", "MistralForCausalLM", "MistralForSequenceClassification")},
    **{name: "embrace.models.qwen2" for name in ("Qwen2Config", "Qwen2Model", "Qwen2PreTrainedModel", "Qwen2ForCausalLM", "Qwen2ForSequenceClassification")},
    **{name: "embrace.models.gpt2" for name in ("GPT2Config", "GPT2Model", "GPT2PreTrainedModel", "GPT2LMHeadModel", "GPT2DoubleHeadsModel", "GPT2ForSequenceClassification", "GPT2ForTokenClassification")},
    **{name: "embrace.models.t5" for name in ("T5Config", "T5Model", "T5PreTrainedModel", "T5ForConditionalGeneration", "T5EncoderModel", "T5ForSequenceClassification", "T5ForTokenClassification", "T5ForQuestionAnswering")},
    **{name: "embrace.models.mt5" for name in ("MT5Config", "MT5Model", "MT5PreTrainedModel", "MT5ForConditionalGeneration", "MT5EncoderModel", "MT5ForSequenceClassification", "MT5ForTokenClassification", "MT5ForQuestionAnswering")},
    **{name: "embrace.models.encoder_decoder" for name in ("EncoderDecoderConfig", "EncoderDecoderModel")},
    **{name: "embrace.models.umt5" for name in ("UMT5Config", "UMT5Model", "UMT5PreTrainedModel", "UMT5ForConditionalGeneration", "UMT5EncoderModel", "UMT5ForSequenceClassification", "UMT5ForTokenClassification", "UMT5ForQuestionAnswering")},
    **{name: "embrace.generation" for name in ("GenerationConfig", "GenerationMixin", "LogitsProcessorList", "LogitsProcessor", "StoppingCriteriaList", "StoppingCriteria", "MaxLengthCriteria", "MaxTimeCriteria", "EosTokenCriteria", "StopStringCriteria", "TextStreamer", "TextIteratorStreamer", "MinLengthLogitsProcessor", "MinNewTokensLengthLogitsProcessor", "TemperatureLogitsWarper", "RepetitionPenaltyLogitsProcessor", "TopKLogitsWarper", "TopPLogitsWarper", "MinPLogitsWarper", "TypicalLogitsWarper", "EpsilonLogitsWarper", "EtaLogitsWarper", "NoRepeatNGramLogitsProcessor", "SequenceBiasLogitsProcessor", "NoBadWordsLogitsProcessor", "ForcedBOSTokenLogitsProcessor", "ForcedEOSTokenLogitsProcessor", "InfNanRemoveLogitsProcessor", "ExponentialDecayLengthPenalty", "LogitNormalization", "SuppressTokensAtBeginLogitsProcessor", "SuppressTokensLogitsProcessor")},
    **{name: "embrace.generation" for name in ("CompileConfig", "HammingDiversityLogitsProcessor", "Constraint", "PhrasalConstraint", "DisjunctiveConstraint", "ConstraintListState")},
    **{name: "embrace.models.roberta" for name in ("RobertaConfig", "RobertaModel", "RobertaPreTrainedModel", "RobertaForCausalLM", "RobertaForMaskedLM", "RobertaForSequenceClassification", "RobertaForMultipleChoice", "RobertaForTokenClassification", "RobertaForQuestionAnswering")},
    **{name: "embrace.models.xlm_roberta" for name in ("XLMRobertaConfig", "XLMRobertaModel", "XLMRobertaPreTrainedModel", "XLMRobertaForCausalLM", "XLMRobertaForMaskedLM", "XLMRobertaForSequenceClassification", "XLMRobertaForMultipleChoice", "XLMRobertaForTokenClassification", "XLMRobertaForQuestionAnswering")},
    **{name: "embrace.models.camembert" for name in ("CamembertConfig", "CamembertModel", "CamembertPreTrainedModel", "CamembertForCausalLM", "CamembertForMaskedLM", "CamembertForSequenceClassification", "CamembertForMultipleChoice", "CamembertForTokenClassification", "CamembertForQuestionAnswering")},
    **{name: "embrace.models.distilbert" for name in ("DistilBertConfig", "DistilBertModel", "DistilBertPreTrainedModel", "DistilBertForMaskedLM", "DistilBertForSequenceClassification", "DistilBertForMultipleChoice", "DistilBertForTokenClassification", "DistilBertForQuestionAnswering")},
    **{name: "embrace.models.electra" for name in ("ElectraConfig", "ElectraModel", "ElectraPreTrainedModel", "ElectraForPreTraining", "ElectraForMaskedLM", "ElectraForCausalLM", "ElectraForSequenceClassification", "ElectraForMultipleChoice", "ElectraForTokenClassification", "ElectraForQuestionAnswering")},
    **{name: "embrace.models.albert" for name in ("AlbertConfig", "AlbertModel", "AlbertPreTrainedModel", "AlbertForPreTraining", "AlbertForMaskedLM", "AlbertForSequenceClassification", "AlbertForMultipleChoice", "AlbertForTokenClassification", "AlbertForQuestionAnswering")},
    **{name: "embrace.models.deberta_v2" for name in ("DebertaV2Config", "DebertaV2Model", "DebertaV2PreTrainedModel", "DebertaV2ForMaskedLM", "DebertaV2ForSequenceClassification", "DebertaV2ForMultipleChoice", "DebertaV2ForTokenClassification", "DebertaV2ForQuestionAnswering")},
}

__all__ = sorted(_LAZY) + ["__version__"]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'embrace' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # cache: the next access skips this function
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
