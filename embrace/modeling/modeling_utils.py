"""``PreTrainedModel``: the base every model family builds on.

It stores the config, initialises and ties weights, resizes embeddings, switches
gradient checkpointing and the attention backend, and loads / saves checkpoints in the
reference formats (``model.safetensors``, sharded index, ``pytorch_model.bin``). The file
work itself lives in :mod:`embrace.modeling.loading` and :mod:`embrace.modeling.saving`;
this class is the user-facing surface.

Example:
    >>> import torch
    >>> from torch import nn
    >>> from embrace.configuration import PretrainedConfig
    >>> from embrace.modeling.modeling_utils import PreTrainedModel
    >>> class TinyModel(PreTrainedModel):
    ...     config_class = PretrainedConfig
    ...     def __init__(self, config):
    ...         super().__init__(config)
    ...         self.proj = nn.Linear(4, 2)
    ...         self.post_init()
    ...     def forward(self, x):
    ...         return self.proj(x)
    >>> model = TinyModel(PretrainedConfig())
    >>> model.num_parameters()
    10
"""

from __future__ import annotations

import contextlib
import functools
import logging
from typing import Any, Callable, ClassVar, Iterator

import torch
from torch import nn

from embrace.hub.push import PushToHubMixin
from embrace.modeling import loading, saving

logger = logging.getLogger("embrace.modeling.modeling_utils")

_DEFAULT_ATTN_IMPLEMENTATION = "sdpa"


def _attention_registry() -> Any:
    """Return the attention-function registry (imported late: it lives in a sibling module)."""
    from embrace.modeling.attention import ALL_ATTENTION_FUNCTIONS

    return ALL_ATTENTION_FUNCTIONS


def _validate_attn_implementation(name: str) -> str:
    """Check ``name`` against the attention registry; a miss raises the registry's error listing valid keys."""
    _attention_registry()[name]
    return name


# --- init-time contexts -------------------------------------------------------------

_INIT_STATE = {"skip_init": False}


@contextlib.contextmanager
def _skip_weight_init() -> Iterator[None]:
    """While active, ``post_init`` ties weights but does not run ``_init_weights``.

    Used by ``from_pretrained``: parameters are created on the meta device and only the
    ones the checkpoint does not provide are initialised afterwards.
    """
    previous = _INIT_STATE["skip_init"]
    _INIT_STATE["skip_init"] = True
    try:
        yield
    finally:
        _INIT_STATE["skip_init"] = previous


@contextlib.contextmanager
def _parameters_on_meta() -> Iterator[None]:
    """Create every ``nn.Parameter`` registered while active on the meta device.

    Buffers (``position_ids`` and friends) stay real: they are small, and keeping them
    means a family does not have to know how to rebuild them after loading.
    """
    original = nn.Module.register_parameter

    def register_on_meta(module: nn.Module, name: str, param: nn.Parameter | None) -> None:
        original(module, name, param)
        if param is not None and param.device.type != "meta":
            stored = module._parameters[name]
            module._parameters[name] = type(stored)(stored.to("meta"), requires_grad=stored.requires_grad)

    nn.Module.register_parameter = register_on_meta  # type: ignore[method-assign]
    try:
        yield
    finally:
        nn.Module.register_parameter = original  # type: ignore[method-assign]


_TORCH_INIT_FUNCTIONS = (
    "uniform_",
    "normal_",
    "trunc_normal_",
    "constant_",
    "ones_",
    "zeros_",
    "eye_",
    "dirac_",
    "xavier_uniform_",
    "xavier_normal_",
    "kaiming_uniform_",
    "kaiming_normal_",
    "orthogonal_",
    "sparse_",
)


@contextlib.contextmanager
def _no_init_on_meta() -> Iterator[None]:
    """Make ``torch.nn.init`` functions no-ops on meta tensors while active.

    Module constructors (``nn.Linear.reset_parameters``...) would otherwise run their
    random init on the meta parameters: useless work, and the first meta ``normal_`` of
    a process pulls in tens of MB of torch's Python decompositions. Real tensors (buffers)
    are still initialised normally.
    """
    originals = {name: getattr(nn.init, name) for name in _TORCH_INIT_FUNCTIONS if hasattr(nn.init, name)}

    def skip_meta(function: Callable) -> Callable:
        @functools.wraps(function)
        def wrapper(tensor: torch.Tensor, *args: Any, **kwargs: Any) -> torch.Tensor:
            if isinstance(tensor, torch.Tensor) and tensor.device.type == "meta":
                return tensor
            return function(tensor, *args, **kwargs)

        return wrapper

    for name, function in originals.items():
        setattr(nn.init, name, skip_meta(function))
    try:
        yield
    finally:
        for name, function in originals.items():
            setattr(nn.init, name, function)


@contextlib.contextmanager
def empty_model_context(dtype: torch.dtype | None = None) -> Iterator[None]:
    """Build models with meta parameters, no weight init, floats in ``dtype``.

    What ``from_pretrained`` constructs its model under; the caller then materialises
    every parameter (from a checkpoint or an initialiser).
    """
    with _skip_weight_init(), _parameters_on_meta(), _no_init_on_meta(), _default_dtype(dtype):
        yield


@contextlib.contextmanager
def _default_dtype(dtype: torch.dtype | None) -> Iterator[None]:
    """Temporarily make ``dtype`` torch's default floating dtype (no-op for ``None``)."""
    if dtype is None or not dtype.is_floating_point:
        yield
        return
    previous = torch.get_default_dtype()
    torch.set_default_dtype(dtype)
    try:
        yield
    finally:
        torch.set_default_dtype(previous)


def _resolve_dtype(dtype: Any) -> torch.dtype | None:
    """Turn ``"float16"`` / ``"torch.float16"`` / ``torch.float16`` into a ``torch.dtype``."""
    if dtype is None or isinstance(dtype, torch.dtype):
        return dtype
    if isinstance(dtype, str):
        name = dtype[len("torch.") :] if dtype.startswith("torch.") else dtype
        value = getattr(torch, name, None)
        if isinstance(value, torch.dtype):
            return value
    raise ValueError(
        f"dtype={dtype!r} is not a torch dtype. Pass a torch.dtype (torch.float16), its name "
        "('bfloat16') or 'auto' to follow the checkpoint."
    )


# --- the base class -----------------------------------------------------------------


class PreTrainedModel(nn.Module, PushToHubMixin):
    """Base class of every embrace model.

    Subclasses set ``config_class`` and ``base_model_prefix``, build their modules in
    ``__init__(config)`` and finish it with ``self.post_init()``.

    Class attributes:
        config_class: the configuration class of the family.
        base_model_prefix: attribute holding the base model in head classes (``"bert"``).
        main_input_name: name of the principal forward input.
        supports_gradient_checkpointing: whether layers honour ``gradient_checkpointing``.
        _no_split_modules: module class names that must stay on one device.
        _tied_weights_keys: ``{tied param name: source param name}`` relative to the class.
        _keys_to_ignore_on_load_missing / _keys_to_ignore_on_load_unexpected: regex
            patterns silenced in the loading report.
        _keys_to_ignore_on_save: exact parameter names never written.

    Example:
        >>> from torch import nn
        >>> from embrace.configuration import PretrainedConfig
        >>> class Tiny(PreTrainedModel):
        ...     config_class = PretrainedConfig
        ...     def __init__(self, config):
        ...         super().__init__(config)
        ...         self.embed = nn.Embedding(10, 4)
        ...         self.post_init()
        >>> Tiny(PretrainedConfig()).embed.weight.shape
        torch.Size([10, 4])
    """

    config_class: ClassVar[type | None] = None
    base_model_prefix: ClassVar[str] = ""
    main_input_name: ClassVar[str] = "input_ids"
    supports_gradient_checkpointing: ClassVar[bool] = False
    _no_split_modules: ClassVar[list[str] | None] = None
    _tied_weights_keys: ClassVar[dict[str, str] | None] = None
    _keys_to_ignore_on_load_missing: ClassVar[list[str] | None] = None
    _keys_to_ignore_on_load_unexpected: ClassVar[list[str] | None] = None
    _keys_to_ignore_on_save: ClassVar[list[str] | None] = None
    _keep_in_fp32_modules: ClassVar[list[str] | None] = None
    _supports_sdpa: ClassVar[bool] = True
    _input_embed_layer: ClassVar[str] = "embed_tokens"

    def __init__(self, config: Any, *inputs: Any, **kwargs: Any) -> None:
        super().__init__()
        from embrace.configuration import PretrainedConfig

        if not isinstance(config, PretrainedConfig):
            raise TypeError(
                f"{type(self).__name__}(config) needs a PretrainedConfig instance, got "
                f"{type(config).__name__}. To load weights use "
                f"{type(self).__name__}.from_pretrained(path_or_repo_id)."
            )
        if inputs or kwargs:
            names = ", ".join([*(repr(i) for i in inputs), *kwargs])
            raise TypeError(f"{type(self).__name__}.__init__ got unexpected arguments: {names}.")
        self.config = config
        self.name_or_path = getattr(config, "name_or_path", "") or ""
        requested = getattr(config, "_attn_implementation", None)
        config._attn_implementation = _validate_attn_implementation(requested or _DEFAULT_ATTN_IMPLEMENTATION)

    # --- initialisation and tying ----------------------------------------------------

    def post_init(self) -> None:
        """Finish construction: initialise weights (unless loading) and tie them.

        Every family calls this at the end of its ``__init__``. Submodules a nested
        model's own ``post_init`` already initialised are not initialised twice (as in
        the reference, so a seeded construction gives the reference's exact weights).
        """
        if not _INIT_STATE["skip_init"]:
            with torch.no_grad():
                self._apply_init(self, skip_done=True)
        self.tie_weights()

    def init_weights(self) -> None:
        """(Re-)initialise every submodule with ``_init_weights``, then tie weights.

        Unlike the reference, where this is a no-op once the model is built, calling it
        on a built model draws fresh weights.
        """
        with torch.no_grad():
            self._apply_init(self)
        self.tie_weights()

    def _apply_init(self, root: nn.Module, only: set[nn.Module] | None = None, *, skip_done: bool = False) -> None:
        """Run the right ``_init_weights`` on every module below ``root`` (post-order).

        A nested ``PreTrainedModel`` initialises its own subtree with its own
        ``_init_weights``, so composite models need no special casing. ``only`` limits
        the calls to a set of modules (used when loading to touch only missing weights);
        ``skip_done`` leaves out modules initialised earlier during construction.
        """

        def visit(module: nn.Module, owner: PreTrainedModel) -> None:
            for child in module.children():
                visit(child, child if isinstance(child, PreTrainedModel) else owner)
            if skip_done and module.__dict__.get("_embrace_initialized", False):
                return
            if only is None or module in only:
                owner._init_weights(module)
                if skip_done:
                    module.__dict__["_embrace_initialized"] = True

        visit(root, root if isinstance(root, PreTrainedModel) else self)

    def _init_std(self) -> float:
        """Standard deviation used by the default initialiser."""
        for name in ("initializer_range", "init_std", "initializer_factor"):
            value = getattr(self.config, name, None)
            if value is not None:
                return float(value)
        return 0.02

    def _init_weights(self, module: nn.Module) -> None:
        """Default initialiser: normal(0, std) for Linear/Embedding, ones/zeros for norms.

        Families override this for their own scheme. It must only write ``module``'s own
        parameters (and buffers) so that loading can initialise just what is missing.
        """
        std = self._init_std()
        if isinstance(module, (nn.Linear, nn.Conv1d, nn.Conv2d)):
            nn.init.normal_(module.weight, mean=0.0, std=std)
            if module.bias is not None:
                nn.init.zeros_(module.bias)
        elif isinstance(module, nn.Embedding):
            nn.init.normal_(module.weight, mean=0.0, std=std)
            if module.padding_idx is not None and module.weight.device.type != "meta":
                module.weight[module.padding_idx].zero_()
        elif isinstance(module, (nn.LayerNorm, nn.GroupNorm)) or "LayerNorm" in type(module).__name__ or "RMSNorm" in type(module).__name__:
            if getattr(module, "weight", None) is not None:
                nn.init.ones_(module.weight)
            if getattr(module, "bias", None) is not None:
                nn.init.zeros_(module.bias)

    def _own_tied_keys(self) -> dict[str, str]:
        """``_tied_weights_keys`` of this class when its config asks for tying, else ``{}``."""
        if not getattr(self.config, "tie_word_embeddings", False):
            return {}
        return dict(self._tied_weights_keys or {})

    @property
    def all_tied_weights_keys(self) -> dict[str, str]:
        """Every tied pair in the model, names relative to this model (nested models included)."""
        tied: dict[str, str] = {}
        for prefix, module in self.named_modules(remove_duplicate=False):
            if isinstance(module, PreTrainedModel):
                pairs = module._own_tied_keys()
                if prefix:
                    pairs = {f"{prefix}.{k}": f"{prefix}.{v}" for k, v in pairs.items()}
                tied.update(pairs)
        return tied

    def tie_weights(self, missing_keys: set[str] | None = None) -> None:
        """Make each tied parameter the very same ``nn.Parameter`` as its source.

        Args:
            missing_keys: when loading, the names the checkpoint lacked. If a source is
                missing but its target was loaded, the pair is tied the other way round,
                and tied targets are removed from this set (they are not really missing).
        """
        for target, source in self.all_tied_weights_keys.items():
            if missing_keys is not None and source in missing_keys and target not in missing_keys:
                target, source = source, target
            source_param = self._get_parameter_or_buffer(source)
            parent_name, _, attr = target.rpartition(".")
            parent = self.get_submodule(parent_name) if parent_name else self
            setattr(parent, attr, source_param)
            self._adjust_bias(parent, source_param)
            if missing_keys is not None:
                missing_keys.discard(target)

    @staticmethod
    def _adjust_bias(output_module: nn.Module, source: torch.Tensor) -> None:
        """Keep an output projection's bias / ``out_features`` in step with a tied weight."""
        weight = getattr(output_module, "weight", None)
        bias = getattr(output_module, "bias", None)
        if isinstance(bias, torch.Tensor) and isinstance(weight, torch.Tensor) and bias.ndim == 1:
            extra = weight.shape[0] - bias.shape[0]
            if extra and bias.device.type != "meta":
                # Grows with zeros, or (negative padding) crops after a vocabulary shrink.
                bias.data = nn.functional.pad(bias.data, (0, extra), "constant", 0)
        if hasattr(output_module, "out_features") and isinstance(weight, torch.Tensor):
            output_module.out_features = weight.shape[0]

    def _get_parameter_or_buffer(self, name: str) -> torch.Tensor:
        """Return the parameter or buffer called ``name`` (dotted path)."""
        try:
            return self.get_parameter(name)
        except AttributeError:
            pass
        try:
            return self.get_buffer(name)
        except AttributeError:
            raise AttributeError(
                f"{type(self).__name__} has no parameter or buffer named {name!r}; check the "
                "names in _tied_weights_keys against model.state_dict().keys()."
            ) from None

    # --- embeddings -------------------------------------------------------------------

    @property
    def base_model(self) -> nn.Module:
        """The model body (``self.<base_model_prefix>``), or ``self`` for base classes."""
        return getattr(self, self.base_model_prefix, self) if self.base_model_prefix else self

    def get_input_embeddings(self) -> nn.Module:
        """Return the input token embedding module.

        Head classes delegate to their base model; base models override this or keep
        their embedding at ``self.embed_tokens`` / ``self.embeddings.word_embeddings``.
        """
        base = self.base_model
        if base is not self and hasattr(base, "get_input_embeddings"):
            return base.get_input_embeddings()
        found = getattr(self, self._input_embed_layer, None)
        if isinstance(found, nn.Module):
            return found
        embeddings = getattr(self, "embeddings", None)
        for name in (self._input_embed_layer, "word_embeddings"):
            found = getattr(embeddings, name, None) if embeddings is not None else None
            if isinstance(found, nn.Module):
                return found
        raise NotImplementedError(
            f"{type(self).__name__} does not say where its input embeddings are; override get_input_embeddings()."
        )

    def set_input_embeddings(self, value: nn.Module) -> None:
        """Replace the input token embedding module (delegates to the base model)."""
        base = self.base_model
        if base is not self and hasattr(base, "set_input_embeddings"):
            base.set_input_embeddings(value)
            return
        if isinstance(getattr(self, self._input_embed_layer, None), nn.Module):
            setattr(self, self._input_embed_layer, value)
            return
        embeddings = getattr(self, "embeddings", None)
        for name in (self._input_embed_layer, "word_embeddings"):
            if embeddings is not None and isinstance(getattr(embeddings, name, None), nn.Module):
                setattr(embeddings, name, value)
                return
        raise NotImplementedError(
            f"{type(self).__name__} does not say where its input embeddings are; override set_input_embeddings()."
        )

    def get_output_embeddings(self) -> nn.Module | None:
        """Return the projection to the vocabulary: ``self.lm_head`` if any, else ``None``."""
        head = getattr(self, "lm_head", None)
        return head if isinstance(head, nn.Module) else None

    def set_output_embeddings(self, new_embeddings: nn.Module) -> None:
        """Replace the projection to the vocabulary (``self.lm_head`` unless overridden)."""
        if not isinstance(getattr(self, "lm_head", None), nn.Module):
            raise NotImplementedError(
                f"{type(self).__name__} has no lm_head; override set_output_embeddings() to say where its output "
                "embeddings are."
            )
        self.lm_head = new_embeddings

    # --- small utilities --------------------------------------------------------------

    @property
    def device(self) -> torch.device:
        """Device of the first parameter (all parameters are assumed on one device)."""
        for param in self.parameters():
            return param.device
        for buf in self.buffers():
            return buf.device
        return torch.device("cpu")

    @property
    def dtype(self) -> torch.dtype:
        """Dtype of the first floating-point parameter."""
        for param in self.parameters():
            if param.is_floating_point():
                return param.dtype
        return torch.get_default_dtype()

    def _finish(self, output: Any, return_dict: bool | None) -> Any:
        """Return a head's ``ModelOutput``, or its tuple form when ``return_dict`` (or the config) says so."""
        return_dict = self.config.return_dict if return_dict is None else return_dict
        return output if return_dict else output.to_tuple()

    def num_parameters(self, only_trainable: bool = False, exclude_embeddings: bool = False) -> int:
        """Count parameters (each shared parameter once).

        Args:
            only_trainable: count only parameters with ``requires_grad``.
            exclude_embeddings: leave out the weights of ``nn.Embedding`` modules.
        """
        skip: set[str] = set()
        if exclude_embeddings:
            skip = {f"{name}.weight" for name, m in self.named_modules() if isinstance(m, nn.Embedding)}
        return sum(
            p.numel()
            for name, p in self.named_parameters()
            if name not in skip and (p.requires_grad or not only_trainable)
        )

    @classmethod
    def can_generate(cls) -> bool:
        """Whether ``generate()`` is available (``False`` unless a family says otherwise)."""
        return False

    @classmethod
    def _from_config(cls, config: Any, **kwargs: Any) -> "PreTrainedModel":
        """Build a randomly initialised model from ``config``.

        Keyword options: ``dtype`` (alias ``torch_dtype``) builds the parameters in that
        dtype; ``attn_implementation`` selects the attention backend.
        """
        dtype = kwargs.pop("dtype", None)
        torch_dtype = kwargs.pop("torch_dtype", None)
        if dtype is None:
            dtype = torch_dtype
        if dtype is None:
            dtype = getattr(config, "dtype", None)
        dtype = _resolve_dtype(dtype) if dtype != "auto" else None
        if "attn_implementation" in kwargs:
            config._attn_implementation = kwargs.pop("attn_implementation")
        if kwargs:
            raise TypeError(f"{cls.__name__}._from_config got unexpected keyword arguments: {', '.join(kwargs)}.")
        if dtype is not None:
            config.dtype = dtype
        with _default_dtype(dtype):
            return cls(config)

    from_config = _from_config

    # --- gradient checkpointing -------------------------------------------------------

    def gradient_checkpointing_enable(self, gradient_checkpointing_kwargs: dict | None = None) -> None:
        """Recompute layer activations during backward to save memory.

        Args:
            gradient_checkpointing_kwargs: passed to ``torch.utils.checkpoint.checkpoint``
                (default ``{"use_reentrant": False}``).

        Raises:
            ValueError: the model class does not support it.
        """
        if not self.supports_gradient_checkpointing:
            raise ValueError(
                f"{type(self).__name__} does not support gradient checkpointing "
                "(supports_gradient_checkpointing is False)."
            )
        kwargs = {"use_reentrant": False} if gradient_checkpointing_kwargs is None else dict(gradient_checkpointing_kwargs)
        import torch.utils.checkpoint

        func = functools.partial(torch.utils.checkpoint.checkpoint, **kwargs)
        self._set_gradient_checkpointing(True, func)
        if self.main_input_name == "input_ids":
            # Checkpointed blocks need an input that requires grad to record a graph
            # (reentrant mode), also when the embeddings are frozen (adapters).
            try:
                self.enable_input_require_grads()
            except NotImplementedError:
                pass

    activation_checkpointing_enable = gradient_checkpointing_enable

    def gradient_checkpointing_disable(self) -> None:
        """Turn gradient checkpointing off again."""
        if self.supports_gradient_checkpointing:
            self._set_gradient_checkpointing(False, None)
        self.disable_input_require_grads()

    activation_checkpointing_disable = gradient_checkpointing_disable

    def _set_gradient_checkpointing(self, enable: bool, func: Callable | None) -> None:
        found = False
        for module in self.modules():
            if hasattr(module, "gradient_checkpointing"):
                module.gradient_checkpointing = enable
                module._gradient_checkpointing_func = func
                found = True
        if not found:
            raise ValueError(
                f"{type(self).__name__} has no module with a `gradient_checkpointing` attribute, so "
                "gradient checkpointing cannot be switched on."
            )

    @property
    def is_gradient_checkpointing(self) -> bool:
        """Whether any submodule currently recomputes activations."""
        return any(getattr(m, "gradient_checkpointing", False) for m in self.modules())

    is_activation_checkpointing = is_gradient_checkpointing

    def enable_input_require_grads(self) -> None:
        """Make the input embeddings' output require grad (for frozen-base fine-tuning)."""

        def hook(module: nn.Module, inputs: Any, output: torch.Tensor) -> None:
            output.requires_grad_(True)

        self.disable_input_require_grads()
        self._require_grads_hook = self.get_input_embeddings().register_forward_hook(hook)

    def disable_input_require_grads(self) -> None:
        """Remove the hook installed by :meth:`enable_input_require_grads`."""
        handle = self.__dict__.pop("_require_grads_hook", None)
        if handle is not None:
            handle.remove()

    # --- attention --------------------------------------------------------------------

    def set_attn_implementation(self, attn_implementation: str) -> None:
        """Switch the attention backend (``"eager"``, ``"sdpa"``, any registered name)."""
        name = _validate_attn_implementation(attn_implementation)
        for module in self.modules():
            config = getattr(module, "config", None)
            if config is not None and hasattr(config, "_attn_implementation"):
                config._attn_implementation = name

    def get_extended_attention_mask(
        self, attention_mask: torch.Tensor, input_shape: tuple[int, ...], dtype: torch.dtype | None = None
    ) -> torch.Tensor:
        """Turn a 0/1 padding mask into an additive mask broadcastable over heads.

        Kept positions get 0, masked ones the dtype's most negative value. A 2-D mask
        ``(batch, seq)`` becomes ``(batch, 1, 1, seq)``; with ``config.is_decoder`` it is
        combined with a causal mask into ``(batch, 1, seq, seq)``.

        Example:
            >>> import torch
            >>> from torch import nn
            >>> from embrace.configuration import PretrainedConfig
            >>> class M(PreTrainedModel):
            ...     config_class = PretrainedConfig
            ...     def __init__(self, config):
            ...         super().__init__(config)
            ...         self.lin = nn.Linear(1, 1)
            ...         self.post_init()
            >>> M(PretrainedConfig()).get_extended_attention_mask(torch.tensor([[1, 0]]), (1, 2)).shape
            torch.Size([1, 1, 1, 2])
        """
        dtype = self.dtype if dtype is None else dtype
        if attention_mask.dim() == 3:
            extended = attention_mask[:, None, :, :]
        elif attention_mask.dim() == 2:
            if getattr(self.config, "is_decoder", False):
                batch_size, seq_length = input_shape[0], input_shape[1]
                positions = torch.arange(seq_length, device=attention_mask.device)
                causal = (positions[None, None, :] <= positions[None, :, None]).repeat(batch_size, 1, 1)
                causal = causal.to(attention_mask.dtype)
                prefix = attention_mask.shape[1] - causal.shape[1]
                if prefix > 0:
                    # Cached prefix positions are all visible.
                    ones = torch.ones((batch_size, seq_length, prefix), device=attention_mask.device, dtype=causal.dtype)
                    causal = torch.cat([ones, causal], dim=-1)
                extended = causal[:, None, :, :] * attention_mask[:, None, None, :]
            else:
                extended = attention_mask[:, None, None, :]
        else:
            raise ValueError(
                f"attention_mask must be 2-D (batch, seq) or 3-D (batch, from_seq, to_seq); "
                f"got shape {tuple(attention_mask.shape)} for input_shape {tuple(input_shape)}."
            )
        extended = extended.to(dtype=dtype)
        return (1.0 - extended) * torch.finfo(dtype).min

    def invert_attention_mask(self, encoder_attention_mask: torch.Tensor) -> torch.Tensor:
        """Turn an encoder 0/1 mask into an additive ``(batch, 1, [1|seq], seq)`` mask."""
        if encoder_attention_mask.dim() == 3:
            extended = encoder_attention_mask[:, None, :, :]
        elif encoder_attention_mask.dim() == 2:
            extended = encoder_attention_mask[:, None, None, :]
        else:
            raise ValueError(
                f"encoder_attention_mask must be 2-D or 3-D, got shape {tuple(encoder_attention_mask.shape)}."
            )
        extended = extended.to(dtype=self.dtype)
        return (1.0 - extended) * torch.finfo(self.dtype).min

    # --- resizing ---------------------------------------------------------------------

    def resize_token_embeddings(
        self,
        new_num_tokens: int | None = None,
        pad_to_multiple_of: int | None = None,
        mean_resizing: bool = True,
    ) -> nn.Embedding:
        """Resize the input (and tied/output) token embeddings to ``new_num_tokens`` rows.

        Args:
            new_num_tokens: the new vocabulary size (``None`` keeps it, only padding).
            pad_to_multiple_of: round the size up to a multiple of this.
            mean_resizing: initialise added rows from a normal distribution with the old
                rows' mean and covariance (otherwise with the model's ``_init_weights``).

        Returns:
            The (new) input embedding module.
        """
        from embrace.modeling.resizing import resize_token_embeddings

        return resize_token_embeddings(
            self, new_num_tokens, pad_to_multiple_of=pad_to_multiple_of, mean_resizing=mean_resizing
        )

    # --- loading and saving -----------------------------------------------------------

    # The bodies live in loading.py and saving.py (one concern per file); the class exposes
    # those functions as its methods, so each signature and its documentation exist once.
    from_pretrained = classmethod(loading.from_pretrained)
    save_pretrained = saving.save_pretrained

    def get_memory_footprint(self, return_buffers: bool = True) -> int:
        """Bytes taken by the parameters (and buffers)."""
        total = sum(p.nelement() * p.element_size() for p in self.parameters())
        if return_buffers:
            total += sum(b.nelement() * b.element_size() for b in self.buffers())
        return total
