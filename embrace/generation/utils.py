"""``GenerationMixin``: ``generate()`` for decoder-only and encoder-decoder language models.

``generate`` merges the call's options with ``model.generation_config`` and the global
defaults, prepares the batch (attention mask, position ids from left padding, expansion for
beams), builds the logits processors and stopping criteria the options ask for, then runs the
decoding loop of the selected strategy (:mod:`embrace.generation.search`).

For an encoder-decoder (``config.is_encoder_decoder``) the prompt is the encoder input: the
encoder runs once, its output travels in ``encoder_outputs`` (expanded for beams), and the
loops extend ``decoder_input_ids``, which start from ``decoder_start_token_id``. The loops
themselves do not know the difference.

Example:
    >>> import torch
    >>> from embrace.models.llama import LlamaConfig, LlamaForCausalLM
    >>> _ = torch.manual_seed(0)
    >>> model = LlamaForCausalLM(LlamaConfig(vocab_size=40, hidden_size=16, intermediate_size=32,
    ...                                      num_hidden_layers=1, num_attention_heads=2))
    >>> model.generate(torch.tensor([[1, 5, 7]]), max_new_tokens=4).shape
    torch.Size([1, 7])
"""

from __future__ import annotations

import copy
import inspect
import warnings
from dataclasses import dataclass
from typing import Any, Callable

import torch

from embrace.errors import ConfigError
from embrace.generation import search
from embrace.generation.assisted import assisted_decoding
from embrace.generation.candidate_generator import ConfidenceCriteria
from embrace.generation.configuration_utils import CompileConfig, GenerationConfig, GenerationMode
from embrace.generation.constrained_beam import constrained_beam_search
from embrace.generation.contrastive import contrastive_search
from embrace.generation.group_beam import group_beam_search
from embrace.generation.logits_process import (
    EncoderNoRepeatNGramLogitsProcessor, EpsilonLogitsWarper, EtaLogitsWarper, ExponentialDecayLengthPenalty,
    ForcedBOSTokenLogitsProcessor, ForcedEOSTokenLogitsProcessor, HammingDiversityLogitsProcessor, InfNanRemoveLogitsProcessor, LogitNormalization, LogitsProcessorList,
    MinLengthLogitsProcessor, MinNewTokensLengthLogitsProcessor, MinPLogitsWarper, NoBadWordsLogitsProcessor,
    NoRepeatNGramLogitsProcessor, RepetitionPenaltyLogitsProcessor, SequenceBiasLogitsProcessor,
    SuppressTokensAtBeginLogitsProcessor, SuppressTokensLogitsProcessor, TemperatureLogitsWarper, TopKLogitsWarper,
    TopPLogitsWarper, TypicalLogitsWarper,
)
from embrace.generation.stopping_criteria import (
    EosTokenCriteria, MaxLengthCriteria, MaxTimeCriteria, StoppingCriteriaList, StopStringCriteria,
)
from embrace.modeling.cache import StaticCache
from embrace.modeling.outputs import ModelOutput
from embrace.utils.logging import get_logger, warning_once

logger = get_logger(__name__)

# Generation mode -> decoding loop.
DECODING_METHODS: dict[str, Callable[..., Any]] = {
    GenerationMode.GREEDY_SEARCH: search.sample,
    GenerationMode.SAMPLE: search.sample,
    GenerationMode.BEAM_SEARCH: search.beam_search,
    GenerationMode.BEAM_SAMPLE: search.beam_search,
    GenerationMode.GROUP_BEAM_SEARCH: group_beam_search,
    GenerationMode.CONSTRAINED_BEAM_SEARCH: constrained_beam_search,
    GenerationMode.CONTRASTIVE_SEARCH: contrastive_search,
    GenerationMode.ASSISTED_GENERATION: assisted_decoding,
}

# Options of generate() that are not GenerationConfig fields nor forward() arguments.
_GENERATE_ONLY_KWARGS = ("tokenizer", "assistant_model")
# forward() arguments generate() manages itself.
_MANAGED_FORWARD_ARGS = ("input_ids", "inputs_embeds", "labels", "return_dict", "cache_position")


@dataclass
class GenerateDecoderOnlyOutput(ModelOutput):
    """What greedy search and sampling return with ``return_dict_in_generate=True``.

    ``scores`` are the processed scores and ``logits`` the raw ones, one ``(batch, vocab)``
    tensor per generated token.
    """

    sequences: torch.LongTensor | None = None
    scores: tuple[torch.Tensor, ...] | None = None
    logits: tuple[torch.Tensor, ...] | None = None
    attentions: tuple[tuple[torch.Tensor, ...], ...] | None = None
    hidden_states: tuple[tuple[torch.Tensor, ...], ...] | None = None
    past_key_values: Any = None


@dataclass
class GenerateBeamDecoderOnlyOutput(ModelOutput):
    """What beam search returns with ``return_dict_in_generate=True``.

    ``sequences_scores`` are the length-penalised log-probabilities of the returned beams
    (with ``output_scores``); ``beam_indices`` say which beam each step came from.
    """

    sequences: torch.LongTensor | None = None
    sequences_scores: torch.Tensor | None = None
    scores: tuple[torch.Tensor, ...] | None = None
    logits: tuple[torch.Tensor, ...] | None = None
    beam_indices: torch.LongTensor | None = None
    attentions: tuple[tuple[torch.Tensor, ...], ...] | None = None
    hidden_states: tuple[tuple[torch.Tensor, ...], ...] | None = None
    past_key_values: Any = None


@dataclass
class GenerateEncoderDecoderOutput(ModelOutput):
    """What greedy search and sampling return for an encoder-decoder with ``return_dict_in_generate=True``.

    ``encoder_*`` come from the single encoder pass; ``decoder_attentions``,
    ``cross_attentions`` and ``decoder_hidden_states`` hold one tuple (over layers) per step.
    """

    sequences: torch.LongTensor | None = None
    scores: tuple[torch.Tensor, ...] | None = None
    logits: tuple[torch.Tensor, ...] | None = None
    encoder_attentions: tuple[torch.Tensor, ...] | None = None
    encoder_hidden_states: tuple[torch.Tensor, ...] | None = None
    decoder_attentions: tuple[tuple[torch.Tensor, ...], ...] | None = None
    cross_attentions: tuple[tuple[torch.Tensor, ...], ...] | None = None
    decoder_hidden_states: tuple[tuple[torch.Tensor, ...], ...] | None = None
    past_key_values: Any = None


@dataclass
class GenerateBeamEncoderDecoderOutput(ModelOutput):
    """What beam search returns for an encoder-decoder with ``return_dict_in_generate=True``."""

    sequences: torch.LongTensor | None = None
    sequences_scores: torch.Tensor | None = None
    scores: tuple[torch.Tensor, ...] | None = None
    logits: tuple[torch.Tensor, ...] | None = None
    beam_indices: torch.LongTensor | None = None
    encoder_attentions: tuple[torch.Tensor, ...] | None = None
    encoder_hidden_states: tuple[torch.Tensor, ...] | None = None
    decoder_attentions: tuple[tuple[torch.Tensor, ...], ...] | None = None
    cross_attentions: tuple[tuple[torch.Tensor, ...], ...] | None = None
    decoder_hidden_states: tuple[tuple[torch.Tensor, ...], ...] | None = None
    past_key_values: Any = None


class GenerationMixin:
    """Adds :meth:`generate` to a language model (its ``*ForCausalLM`` / ``*ForConditionalGeneration`` class)."""

    # --- the model's default generation config ------------------------------------------

    @property
    def generation_config(self) -> GenerationConfig:
        """The model's generation defaults (from ``generation_config.json`` or the model config)."""
        config = self.__dict__.get("_generation_config")
        if config is None:
            config = GenerationConfig.from_model_config(self.config)
            self.__dict__["_generation_config"] = config
        return config

    @generation_config.setter
    def generation_config(self, value: GenerationConfig | None) -> None:
        if value is not None and not isinstance(value, GenerationConfig):
            raise TypeError(f"generation_config must be a GenerationConfig, not {type(value).__name__}.")
        self.__dict__["_generation_config"] = value

    # --- per-step model inputs ------------------------------------------------------------

    def prepare_inputs_for_generation(
        self, input_ids: torch.LongTensor, next_sequence_length: int | None = None, past_key_values: Any = None,
        attention_mask: torch.LongTensor | None = None, **kwargs: Any,
    ) -> dict[str, Any]:
        """The ``forward`` arguments for one decoding step.

        Only the last ``next_sequence_length`` tokens are fed (the cache holds the rest);
        ``position_ids`` / ``token_type_ids`` are cut to match; the 2-D attention mask covers
        the whole sequence. For an encoder-decoder the ids are the ``decoder_input_ids`` and
        ``attention_mask`` is the encoder's (``decoder_attention_mask`` travels in ``kwargs``).
        """
        if next_sequence_length is not None:
            input_ids = input_ids[:, -next_sequence_length:]
        key = "decoder_input_ids" if _is_encoder_decoder(self) else "input_ids"
        inputs: dict[str, Any] = {key: input_ids.clone(memory_format=torch.contiguous_format)}
        if past_key_values is not None:
            inputs["past_key_values"] = past_key_values
        for name in ("position_ids", "token_type_ids"):
            value = kwargs.pop(name, None)
            if value is not None:
                inputs[name] = value[..., -input_ids.shape[1]:].clone(memory_format=torch.contiguous_format)
        if attention_mask is not None and getattr(past_key_values, "is_compileable", False) and attention_mask.dim() == 2:
            # A fixed-size cache gets a mask over all of its slots, so a compiled forward sees one shape every step.
            missing = past_key_values.get_max_cache_shape() - attention_mask.shape[-1]
            if missing > 0:
                attention_mask = torch.nn.functional.pad(attention_mask, (0, missing), value=0)
        if attention_mask is not None:
            inputs["attention_mask"] = attention_mask
        inputs.update(kwargs)
        return inputs

    def _update_model_kwargs_for_generation(self, outputs: Any, model_kwargs: dict[str, Any],
                                            num_new_tokens: int = 1) -> dict[str, Any]:
        """Carry the cache forward and grow the mask / positions / token types by ``num_new_tokens``."""
        if getattr(outputs, "past_key_values", None) is not None:
            model_kwargs["past_key_values"] = outputs.past_key_values
        token_type_ids = model_kwargs.get("token_type_ids")
        if token_type_ids is not None:
            model_kwargs["token_type_ids"] = torch.cat([token_type_ids, token_type_ids[:, -num_new_tokens:]], dim=-1)
        position_ids = model_kwargs.get("position_ids")
        if position_ids is not None:
            step = torch.arange(num_new_tokens, dtype=position_ids.dtype, device=position_ids.device)
            model_kwargs["position_ids"] = torch.cat([position_ids, position_ids[..., -1:] + 1 + step], dim=-1)
        # The encoder's mask never grows; an encoder-decoder grows its decoder mask instead.
        mask_key = "decoder_attention_mask" if _is_encoder_decoder(self) else "attention_mask"
        mask = model_kwargs.get(mask_key)
        if mask is not None:
            model_kwargs[mask_key] = torch.cat([mask, mask.new_ones((mask.shape[0], num_new_tokens))], dim=-1)
        return model_kwargs

    # --- generate ------------------------------------------------------------------------

    @torch.no_grad()
    def generate(
        self,
        inputs: torch.Tensor | None = None,
        generation_config: GenerationConfig | None = None,
        logits_processor: LogitsProcessorList | None = None,
        stopping_criteria: StoppingCriteriaList | None = None,
        streamer: Any = None,
        **kwargs: Any,
    ) -> torch.LongTensor | ModelOutput:
        """Generate token ids continuing ``inputs`` (``(batch, seq)`` ids, left-padded for batches).

        Args:
            inputs: the prompt ids (or pass ``input_ids=``); ``None`` starts from ``bos_token_id``.
                For an encoder-decoder these are the encoder's input; the decoder starts from
                ``decoder_start_token_id`` (or ``decoder_input_ids=``, prefixed with it if needed).
            generation_config: the base parameters (default: ``model.generation_config``).
            logits_processor: extra processors, run after the built-in ones (one of the same
                type replaces the built-in one).
            stopping_criteria: extra stopping criteria.
            streamer: receives the tokens as they are produced (``put`` / ``end``).
            kwargs: :class:`GenerationConfig` fields (``max_new_tokens=``, ``do_sample=``, ...),
                ``forward`` arguments (``attention_mask=``, ``past_key_values=``, ...) and
                ``tokenizer=`` (for ``stop_strings``). Anything else raises ``TypeError``.

        Returns:
            ``(batch * num_return_sequences, length)`` ids, or a ``Generate*Output`` with
            ``return_dict_in_generate=True``.
        """
        tokenizer = kwargs.pop("tokenizer", None)
        assistant_model = kwargs.pop("assistant_model", None)
        user_max_length = kwargs.get("max_length") is not None or (
            generation_config is not None and generation_config.max_length is not None
        ) or self.generation_config.max_length is not None
        user_min_length = kwargs.get("min_length") is not None or (
            generation_config is not None and generation_config.min_length is not None
        ) or self.generation_config.min_length is not None
        generation_config, model_kwargs = self._prepare_generation_config(generation_config, **kwargs)
        mode = generation_config.get_generation_mode(assistant_model)
        if mode == GenerationMode.ASSISTED_GENERATION and generation_config.num_return_sequences > 1:
            raise ValueError(
                "num_return_sequences has to be 1 when doing assisted generate, "
                f"but is {generation_config.num_return_sequences}."
            )
        if mode not in DECODING_METHODS:
            raise ConfigError(
                f"The options select the generation mode {mode!r}, which embrace's generate() does not provide; "
                f"available modes: {sorted(DECODING_METHODS)}."
            )
        self._validate_model_kwargs(model_kwargs)

        input_ids = self._prompt_ids(inputs, model_kwargs, generation_config)
        batch_size = input_ids.shape[0]
        device = input_ids.device
        pad, eos = self._prepare_special_tokens(generation_config, "attention_mask" in model_kwargs, device, batch_size)
        forward_args = self._forward_parameters()
        encoder_input_ids = None
        if model_kwargs.get("attention_mask") is not None and model_kwargs["attention_mask"].dim() != 2:
            raise ValueError("`attention_mask` passed to `generate` must be 2-D (batch, sequence).")
        if _is_encoder_decoder(self):
            # Like the reference, no encoder mask is inferred from padding: pass attention_mask for batches.
            encoder_input_ids = input_ids
            if model_kwargs.get("encoder_outputs") is None:
                model_kwargs["encoder_outputs"] = self._encode_for_generation(input_ids, model_kwargs, generation_config)
            input_ids = self._decoder_start_ids(generation_config, model_kwargs, batch_size, device)
        else:
            self._warn_right_padding(input_ids, model_kwargs.get("attention_mask"), pad)
            if model_kwargs.get("attention_mask") is None and "attention_mask" in forward_args:
                model_kwargs["attention_mask"] = _infer_attention_mask(input_ids, pad, eos)
            if model_kwargs.get("position_ids") is None and "position_ids" in forward_args:
                model_kwargs["position_ids"] = _positions_from_mask(input_ids, model_kwargs)
            mask = model_kwargs.get("attention_mask")
            if mask is not None and bool((mask == 1).all()):
                # Nothing is padded: plain causal attention is cheaper than a materialised mask.
                model_kwargs["attention_mask"] = None

        expand = max(generation_config.num_beams, generation_config.num_return_sequences)
        if expand > 1:
            input_ids = input_ids.repeat_interleave(expand, dim=0)
            for key, value in model_kwargs.items():
                if isinstance(value, torch.Tensor):
                    model_kwargs[key] = value.repeat_interleave(expand, dim=0)
            encoder_outputs = model_kwargs.get("encoder_outputs")
            if encoder_outputs is not None:
                # Only the tensors (the last hidden state) follow the beams, as in the reference.
                for key in list(encoder_outputs.keys()):
                    if isinstance(encoder_outputs[key], torch.Tensor):
                        encoder_outputs[key] = encoder_outputs[key].repeat_interleave(expand, dim=0)
        if streamer is not None:
            if generation_config.num_beams > 1:
                raise ValueError("`streamer` cannot be used with beam search (num_beams > 1): only one sequence can stream.")
            streamer.put(input_ids.cpu())

        prompt_length = input_ids.shape[1]
        self._prepare_generated_length(generation_config, user_max_length, user_min_length, prompt_length)
        if "logits_to_keep" in forward_args and "logits_to_keep" not in model_kwargs:
            model_kwargs["logits_to_keep"] = 1  # only the last position's logits are needed
        self._validate_generated_length(generation_config, prompt_length, user_max_length)

        processors = self._get_logits_processor(
            generation_config, prompt_length, logits_processor or LogitsProcessorList(), device, model_kwargs,
            encoder_input_ids=encoder_input_ids,
        )
        criteria = self._get_stopping_criteria(generation_config, stopping_criteria or StoppingCriteriaList(), tokenizer)
        model_kwargs["use_cache"] = generation_config.use_cache
        self._prepare_cache_for_generation(generation_config, model_kwargs)
        return DECODING_METHODS[mode](
            self, input_ids, logits_processor=processors, stopping_criteria=criteria,
            generation_config=generation_config, streamer=streamer, model_kwargs=model_kwargs,
            **({"assistant_model": assistant_model} if mode == GenerationMode.ASSISTED_GENERATION else {}),
        )

    # --- preparation steps -----------------------------------------------------------------

    def _prepare_cache_for_generation(self, generation_config: GenerationConfig, model_kwargs: dict[str, Any]) -> None:
        """Allocate the cache ``cache_implementation`` asks for (``"static"``: sized to ``max_length - 1``).

        Like the reference, a later call reuses the largest size seen so far, so a compiled
        forward keeps its shapes; ``max_cache_len`` raises the size further.
        """
        implementation = generation_config.cache_implementation
        if model_kwargs.get("past_key_values") is not None:
            if implementation is not None:
                raise ValueError(
                    "Passing both `cache_implementation` and `past_key_values` (a Cache object) is unsupported; "
                    "use only one of the two."
                )
            return
        if implementation in (None, "dynamic") or not generation_config.use_cache:
            return
        if implementation != "static" or _is_encoder_decoder(self):
            raise ConfigError(
                f"cache_implementation={implementation!r} is not supported by embrace's generate() for "
                f"{type(self).__name__}; use 'dynamic' (default) or 'static' (decoder-only models)."
            )
        length = max(generation_config.max_length - 1, generation_config.max_cache_len or 0,
                     getattr(self, "_previous_max_cache_length", -1))
        self._previous_max_cache_length = length
        cache = StaticCache(config=self.config, max_cache_len=length)
        cache._owned_by_generate = True  # never handed back unless return_dict_in_generate
        model_kwargs["past_key_values"] = cache

    def _valid_auto_compile_criteria(self, model_kwargs: dict[str, Any], generation_config: GenerationConfig) -> bool:
        """Whether the decoding steps run through :meth:`get_compiled_call`.

        As in the reference: only with a fixed-size cache (a growing cache would change
        shapes every step), only on CUDA/XPU unless ``compile_config._compile_all_devices``,
        and never with ``disable_compile=True``.
        """
        if generation_config.disable_compile:
            return False
        cache = model_kwargs.get("past_key_values")
        compile_config = generation_config.compile_config
        on_accelerator = self.device.type in ("cuda", "xpu") or bool(
            compile_config is not None and compile_config._compile_all_devices
        )
        can_compile = on_accelerator and getattr(cache, "is_compileable", False)
        if compile_config is not None and not can_compile:
            warning_once(
                logger, "`compile_config` is set, but generate() compiles only with a fixed-size cache "
                "(cache_implementation='static') on a CUDA/XPU device; running uncompiled.",
            )
        return can_compile

    def get_compiled_call(self, compile_config: CompileConfig | None) -> Callable[..., Any]:
        """``torch.compile(self.__call__)`` with ``compile_config`` (default :class:`CompileConfig`).

        The compiled function is kept and reused while the config stays the same, so the
        compilation (and CUDA-graph capture) is paid once per model, not once per call.

        Example:
            >>> from embrace import LlamaConfig, LlamaForCausalLM
            >>> model = LlamaForCausalLM(LlamaConfig(hidden_size=16, num_attention_heads=2, num_hidden_layers=1,
            ...                                      intermediate_size=32, vocab_size=32))
            >>> model.get_compiled_call(None) is model.get_compiled_call(CompileConfig())
            True
        """
        compile_config = compile_config or CompileConfig()
        if self.__dict__.get("_compiled_call") is None or self.__dict__.get("_last_compile_config") != compile_config:
            self.__dict__["_last_compile_config"] = compile_config
            self.__dict__["_compiled_call"] = torch.compile(self.__call__, **compile_config.to_dict())
        return self.__dict__["_compiled_call"]

    def _encode_for_generation(self, input_ids: torch.Tensor, model_kwargs: dict[str, Any],
                               generation_config: GenerationConfig) -> ModelOutput:
        """Run the encoder once on the prompt, with the call's encoder-side arguments."""
        encoder = self.get_encoder()
        accepted = set(inspect.signature(encoder.forward).parameters)
        skipped = ("decoder_", "cross_attn", "use_cache", "past_key_values", "encoder_outputs")
        encoder_kwargs = {
            k: v for k, v in model_kwargs.items() if k in accepted and not any(k.startswith(p) for p in skipped)
        }
        encoder_kwargs["output_attentions"] = bool(generation_config.output_attentions)
        encoder_kwargs["output_hidden_states"] = bool(generation_config.output_hidden_states)
        return encoder(input_ids=input_ids, return_dict=True, **encoder_kwargs)

    def _decoder_start_ids(self, generation_config: GenerationConfig, model_kwargs: dict[str, Any], batch_size: int,
                           device: torch.device) -> torch.LongTensor:
        """The decoder's first ids: ``decoder_start_token_id`` (else ``bos``), before any user ``decoder_input_ids``."""
        start = generation_config.decoder_start_token_id
        if start is None:
            start = generation_config.bos_token_id
        if start is None:
            raise ValueError(
                "`decoder_start_token_id` or `bos_token_id` has to be defined for encoder-decoder generation: set "
                "one on model.generation_config or pass decoder_start_token_id= to generate()."
            )
        start_ids = torch.as_tensor(start, dtype=torch.long, device=device)
        if start_ids.ndim == 1:
            if start_ids.shape[0] != batch_size:
                raise ValueError(
                    f"`decoder_start_token_id` expected to have length {batch_size} but got {start_ids.shape[0]}."
                )
            start_ids = start_ids.view(-1, 1)
        else:
            start_ids = torch.full((batch_size, 1), int(start_ids), dtype=torch.long, device=device)
        decoder_input_ids = model_kwargs.pop("decoder_input_ids", None)
        if decoder_input_ids is None:
            return start_ids
        if bool((decoder_input_ids[:, 0] != start_ids[:, 0]).all()):
            decoder_input_ids = torch.cat([start_ids, decoder_input_ids], dim=-1)
            mask = model_kwargs.get("decoder_attention_mask")
            if mask is not None:
                model_kwargs["decoder_attention_mask"] = torch.cat([torch.ones_like(mask)[:, :1], mask], dim=-1)
        return decoder_input_ids

    def _prepare_generation_config(self, generation_config: GenerationConfig | None,
                                   **kwargs: Any) -> tuple[GenerationConfig, dict[str, Any]]:
        """The call's config: explicit values, then the model's, then the global defaults."""
        if generation_config is None:
            legacy = self.config._get_generation_parameters()
            if legacy:
                raise ConfigError(
                    f"The model config sets generation parameters {legacy}; that is not supported anymore. "
                    "Set them on model.generation_config (or pass them to generate()) instead."
                )
            generation_config = GenerationConfig()
        elif not isinstance(generation_config, GenerationConfig):
            raise TypeError(f"generation_config must be a GenerationConfig, not {type(generation_config).__name__}.")
        generation_config = copy.deepcopy(generation_config)
        generation_config.update(**self.generation_config.to_dict(), defaults_only=True, allow_custom_entries=True)
        generation_config.update(**GenerationConfig.default_generation_params(), defaults_only=True)
        model_kwargs = generation_config.update(**kwargs)
        for flag in ("output_attentions", "output_hidden_states"):
            if getattr(generation_config, flag):
                model_kwargs[flag] = True
        return generation_config, model_kwargs

    def _forward_parameters(self) -> set[str]:
        return set(inspect.signature(self.forward).parameters)

    def _validate_model_kwargs(self, model_kwargs: dict[str, Any]) -> None:
        accepted = self._forward_parameters() - set(_MANAGED_FORWARD_ARGS)
        accepted |= {"input_ids"}
        if "inputs_embeds" in model_kwargs:
            raise ValueError("generate(inputs_embeds=...) is not supported by embrace; pass the prompt as input_ids.")
        unknown = sorted(k for k in model_kwargs if k not in accepted)
        if unknown:
            raise TypeError(
                f"generate() got unexpected keyword arguments {unknown}: they are neither GenerationConfig fields, "
                f"options of generate() ({list(_GENERATE_ONLY_KWARGS)}) nor arguments of "
                f"{type(self).__name__}.forward ({sorted(accepted)})."
            )

    def _prompt_ids(self, inputs: torch.Tensor | None, model_kwargs: dict[str, Any],
                    generation_config: GenerationConfig) -> torch.LongTensor:
        from_kwargs = model_kwargs.pop("input_ids", None)
        if inputs is not None and from_kwargs is not None:
            raise ValueError("Pass the prompt either as `inputs` or as `input_ids=`, not both.")
        inputs = inputs if inputs is not None else from_kwargs
        if inputs is None:
            if generation_config.bos_token_id is None:
                raise ValueError("`bos_token_id` has to be defined when no `input_ids` are provided.")
            batch = next((v.shape[0] for v in model_kwargs.values() if isinstance(v, torch.Tensor)), 1)
            return torch.full((batch, 1), generation_config.bos_token_id, dtype=torch.long, device=self.device)
        if not isinstance(inputs, torch.Tensor) or inputs.dim() != 2 or inputs.dtype not in (torch.long, torch.int):
            raise TypeError(
                "generate() expects the prompt as a 2-D integer tensor (batch, sequence) of token ids; got "
                f"{type(inputs).__name__}{tuple(inputs.shape) if isinstance(inputs, torch.Tensor) else ''}."
            )
        return inputs

    def _prepare_special_tokens(self, generation_config: GenerationConfig, has_mask: bool, device: torch.device,
                                batch_size: int) -> tuple[torch.Tensor | None, torch.Tensor | None]:
        """Token ids as tensors on ``device``; ``pad`` falls back to the first ``eos``."""

        def as_tensor(token: Any) -> torch.Tensor | None:
            if token is None:
                return None
            if isinstance(token, torch.Tensor):
                return token.to(device)
            return torch.tensor(token, device=device, dtype=torch.long)

        eos = as_tensor(generation_config.eos_token_id)
        pad = as_tensor(generation_config.pad_token_id)
        if eos is not None and eos.ndim == 0:
            eos = eos.unsqueeze(0)
        if pad is None and eos is not None:
            if not has_mask and batch_size > 1:
                logger.warning(
                    "The attention mask and the pad token id were not set, with a batched input; pass the "
                    "attention_mask to get reliable results."
                )
            pad = eos[0]
        if eos is not None and (torch.is_floating_point(eos) or bool((eos < 0).any())):
            logger.warning("`eos_token_id` should be non-negative integers, but is %s; generation will not stop on it.", eos)
        generation_config._eos_token_tensor = eos
        generation_config._pad_token_tensor = pad
        return pad, eos

    def _warn_right_padding(self, input_ids: torch.Tensor, mask: torch.Tensor | None, pad: torch.Tensor | None) -> None:
        if pad is None or input_ids.shape[0] <= 1:
            return
        if mask is not None and mask.shape == input_ids.shape:
            right_padded = bool((mask[:, -1] == 0).any())
        else:
            right_padded = bool((input_ids[:, -1] == pad).any())
        if right_padded:
            logger.warning(
                "A decoder-only model got right-padded inputs; for correct results set padding_side='left' on the "
                "tokenizer."
            )

    def _prepare_generated_length(self, config: GenerationConfig, user_max_length: bool, user_min_length: bool,
                                  prompt_length: int) -> None:
        if config.max_new_tokens is not None:
            if user_max_length and config.max_length is not None:
                logger.warning(
                    "Both `max_new_tokens` (=%s) and `max_length` (=%s) are set; `max_new_tokens` takes precedence.",
                    config.max_new_tokens, config.max_length,
                )
            config.max_length = config.max_new_tokens + prompt_length
        elif not user_max_length:
            # The default max_length (20) counts new tokens, capped by the model's positions.
            config.max_length = config.max_length + prompt_length
            limit = getattr(self.config, "max_position_embeddings", None)
            if limit is not None:
                config.max_length = min(config.max_length, limit)
        if config.min_new_tokens is not None:
            if user_min_length:
                logger.warning("Both `min_new_tokens` and `min_length` are set; `min_new_tokens` takes precedence.")
            config.min_length = config.min_new_tokens + prompt_length

    def _validate_generated_length(self, config: GenerationConfig, prompt_length: int, user_max_length: bool) -> None:
        if not user_max_length and config.max_new_tokens is None:
            warnings.warn(
                f"Using the default `max_length` (={config.max_length}) to control the generation length; set "
                "`max_new_tokens` instead.", UserWarning, stacklevel=3,
            )
        if prompt_length >= config.max_length:
            raise ValueError(
                f"Input length of input_ids is {prompt_length}, but `max_length` is set to {config.max_length}. "
                "Increase `max_length` or, better, set `max_new_tokens`."
            )
        if config.min_length is not None and config.min_length > config.max_length:
            warnings.warn(
                f"Unfeasible length constraints: `min_length` ({config.min_length}) is larger than the maximum "
                f"length ({config.max_length}); generation stops at the maximum length.", UserWarning, stacklevel=3,
            )

    def _get_logits_processor(self, config: GenerationConfig, prompt_length: int, custom: LogitsProcessorList,
                              device: torch.device, model_kwargs: dict[str, Any], *,
                              encoder_input_ids: torch.Tensor | None = None) -> LogitsProcessorList:
        """The processors the config asks for, in the reference's order, merged with ``custom``.

        ``encoder_input_ids`` (encoder-decoders) feed ``encoder_no_repeat_ngram_size``.
        """
        eos = config._eos_token_tensor
        out = LogitsProcessorList()
        if config.sequence_bias is not None:
            out.append(SequenceBiasLogitsProcessor(sequence_bias=config.sequence_bias))
        if config.diversity_penalty is not None and config.diversity_penalty > 0.0 and config.num_beam_groups > 1:
            out.append(HammingDiversityLogitsProcessor(config.diversity_penalty, config.num_beams, config.num_beam_groups))
        if config.repetition_penalty is not None and config.repetition_penalty != 1.0:
            mask = model_kwargs.get("decoder_attention_mask" if _is_encoder_decoder(self) else "attention_mask")
            padding = (mask != 0).int().argmax(dim=1) if mask is not None else None
            out.append(RepetitionPenaltyLogitsProcessor(config.repetition_penalty, prompt_ignore_length=padding))
        if config.no_repeat_ngram_size is not None and config.no_repeat_ngram_size > 0:
            out.append(NoRepeatNGramLogitsProcessor(config.no_repeat_ngram_size))
        if config.encoder_no_repeat_ngram_size is not None and config.encoder_no_repeat_ngram_size > 0:
            if encoder_input_ids is not None and encoder_input_ids.dim() == 2 and not bool((encoder_input_ids < 0).any()):
                out.append(EncoderNoRepeatNGramLogitsProcessor(config.encoder_no_repeat_ngram_size, encoder_input_ids))
            else:
                warnings.warn(
                    "`encoder_no_repeat_ngram_size` needs the encoder's input_ids (an encoder-decoder model given "
                    "input ids); the option is ignored.", UserWarning, stacklevel=3,
                )
        if config.bad_words_ids is not None:
            out.append(NoBadWordsLogitsProcessor(config.bad_words_ids, eos))
        if config.min_length is not None and eos is not None and config.min_length > 0:
            out.append(MinLengthLogitsProcessor(config.min_length, eos, device=device))
        if config.min_new_tokens is not None and eos is not None and config.min_new_tokens > 0:
            out.append(MinNewTokensLengthLogitsProcessor(prompt_length, config.min_new_tokens, eos, device=device))
        if config.forced_bos_token_id is not None:
            out.append(ForcedBOSTokenLogitsProcessor(config.forced_bos_token_id))
        if config.forced_eos_token_id is not None:
            out.append(ForcedEOSTokenLogitsProcessor(config.max_length, config.forced_eos_token_id, device=device))
        if config.remove_invalid_values is True:
            out.append(InfNanRemoveLogitsProcessor())
        if config.exponential_decay_length_penalty is not None:
            out.append(ExponentialDecayLengthPenalty(config.exponential_decay_length_penalty, eos, prompt_length))
        if config.suppress_tokens is not None:
            out.append(SuppressTokensLogitsProcessor(config.suppress_tokens, device=device))
        if config.begin_suppress_tokens is not None:
            begin = prompt_length if (prompt_length > 1 or config.forced_bos_token_id is None) else prompt_length + 1
            out.append(SuppressTokensAtBeginLogitsProcessor(config.begin_suppress_tokens, begin, device=device))
        out = _merge(out, custom)
        if config.do_sample:
            out.extend(_warpers(config, eos, device))
        if config.renormalize_logits is True:
            out.append(LogitNormalization())
        return out

    def _get_stopping_criteria(self, config: GenerationConfig, custom: StoppingCriteriaList,
                               tokenizer: Any) -> StoppingCriteriaList:
        out = StoppingCriteriaList()
        if config.max_length is not None:
            out.append(MaxLengthCriteria(config.max_length, getattr(self.config, "max_position_embeddings", None)))
        if config.max_time is not None:
            out.append(MaxTimeCriteria(config.max_time))
        if config.stop_strings is not None:
            if tokenizer is None:
                raise ValueError(
                    "`stop_strings` needs the model's tokenizer: pass it to generate() as `tokenizer=`."
                )
            out.append(StopStringCriteria(stop_strings=config.stop_strings, tokenizer=tokenizer))
        if config._eos_token_tensor is not None:
            out.append(EosTokenCriteria(eos_token_id=config._eos_token_tensor))
        if config.is_assistant and config.assistant_confidence_threshold is not None and config.assistant_confidence_threshold > 0:
            out.append(ConfidenceCriteria(config.assistant_confidence_threshold))
        return _merge(out, custom)

    # --- scores -------------------------------------------------------------------------------

    def compute_transition_scores(self, sequences: torch.Tensor, scores: tuple[torch.Tensor, ...],
                                  beam_indices: torch.Tensor | None = None,
                                  normalize_logits: bool = False) -> torch.Tensor:
        """The score of each generated token, ``(batch * num_return_sequences, generated)``.

        ``beam_indices`` (from beam search) say which beam's scores to read at each step;
        ``normalize_logits`` log-softmaxes the scores first.
        """
        if beam_indices is None:
            beam_indices = torch.arange(scores[0].shape[0], device=sequences.device).view(-1, 1).expand(-1, len(scores))
        stacked = torch.stack(scores).reshape(len(scores), -1).transpose(0, 1)  # (beams * vocab, steps)
        vocab = self.config.get_text_config().vocab_size
        if normalize_logits:
            stacked = torch.nn.functional.log_softmax(stacked.reshape(-1, vocab, stacked.shape[-1]), dim=1)
            stacked = stacked.reshape(-1, stacked.shape[-1])
        unused = beam_indices < 0
        steps = int((~unused).long().sum(-1).max())
        beam_indices = beam_indices.clone()[:, :steps]
        unused = unused[:, :steps]
        beam_indices[unused] = 0
        rows = sequences[:, sequences.shape[-1] - steps:] + beam_indices * vocab
        transition = stacked.gather(0, rows)
        transition[unused] = 0
        return transition


def _is_encoder_decoder(model: Any) -> bool:
    return bool(getattr(model.config, "is_encoder_decoder", False))


def _warpers(config: GenerationConfig, eos: torch.Tensor | None, device: torch.device) -> list[Any]:
    """The sampling warpers, in the reference's order."""
    if config.num_beams is not None and config.num_beams > 1:
        # Beam sampling keeps enough candidates that every beam can still end.
        keep = (eos.shape[0] + 1) if eos is not None else 2
    else:
        keep = 1
    out: list[Any] = []
    if config.temperature is not None and config.temperature != 1.0:
        out.append(TemperatureLogitsWarper(config.temperature))
    if config.top_k is not None and config.top_k != 0:
        out.append(TopKLogitsWarper(top_k=config.top_k, min_tokens_to_keep=keep))
    if config.top_p is not None and config.top_p < 1.0:
        out.append(TopPLogitsWarper(top_p=config.top_p, min_tokens_to_keep=keep))
    if config.min_p is not None:
        out.append(MinPLogitsWarper(min_p=config.min_p, min_tokens_to_keep=keep))
    if config.typical_p is not None and config.typical_p < 1.0:
        out.append(TypicalLogitsWarper(mass=config.typical_p, min_tokens_to_keep=keep))
    if config.epsilon_cutoff is not None and 0.0 < config.epsilon_cutoff < 1.0:
        out.append(EpsilonLogitsWarper(epsilon=config.epsilon_cutoff, min_tokens_to_keep=keep))
    if config.eta_cutoff is not None and 0.0 < config.eta_cutoff < 1.0:
        out.append(EtaLogitsWarper(epsilon=config.eta_cutoff, min_tokens_to_keep=keep, device=device))
    return out


def _merge(default: list, custom: list) -> Any:
    """Built-ins in order, a custom one of the same type replacing its built-in; other customs appended."""
    merged = type(default)()
    for item in default:
        replacement = next((c for c in custom if type(c) is type(item)), None)
        if replacement is not None:
            logger.warning(
                "A custom %s was passed to generate() and generate() also built one from its options; the custom "
                "one is used.", type(replacement).__name__,
            )
        merged.append(replacement if replacement is not None else item)
    merged.extend(c for c in custom if c not in merged)
    return merged


def _infer_attention_mask(input_ids: torch.Tensor, pad: torch.Tensor | None, eos: torch.Tensor | None) -> torch.Tensor:
    """Ones, or ``input_ids != pad`` when padding can be told apart from end-of-sequence."""
    ones = torch.ones(input_ids.shape[:2], dtype=torch.long, device=input_ids.device)
    if pad is None:
        return ones
    has_pad = bool(torch.isin(input_ids, pad).any())
    pad_is_eos = eos is not None and bool(torch.isin(eos, pad).any())
    return input_ids.ne(pad).long() if has_pad and not pad_is_eos else ones


def _positions_from_mask(input_ids: torch.Tensor, model_kwargs: dict[str, Any]) -> torch.Tensor:
    """Positions counting real tokens only, so left padding does not shift them (pads get 0)."""
    mask = model_kwargs.get("attention_mask")
    if mask is not None:
        positions = mask.long().cumsum(-1) - 1
        return positions.masked_fill(mask == 0, 0)
    cache = model_kwargs.get("past_key_values")
    past = cache.get_seq_length() if cache is not None else 0
    return torch.arange(input_ids.shape[1] + past, dtype=torch.long, device=input_ids.device).unsqueeze(0)


__all__ = [
    "GenerationMixin", "GenerateDecoderOnlyOutput", "GenerateBeamDecoderOnlyOutput", "GenerateEncoderDecoderOutput",
    "GenerateBeamEncoderDecoderOutput", "DECODING_METHODS",
]
