"""Key/value caches for incremental decoding.

A decoder layer appends the keys and values of the new tokens to its slot of the cache
and attends over everything stored so far, so each generation step only projects the new
token. The classes mirror the reference's public surface (``DynamicCache``,
``EncoderDecoderCache``, ``update``, ``get_seq_length``, ``layers[i].keys``, ...), and
convert to and from the legacy tuple format (``((k, v), ...)`` per layer, or
``(k, v, cross_k, cross_v)`` for encoder-decoder models) that older code passes around.

Tensors are stored as ``(batch, kv_heads, seq, head_dim)``.

Example:
    >>> import torch
    >>> cache = DynamicCache()
    >>> k = v = torch.zeros(1, 2, 3, 4)
    >>> keys, values = cache.update(k, v, layer_idx=0)
    >>> cache.get_seq_length(), keys.shape
    (3, torch.Size([1, 2, 3, 4]))
"""

from __future__ import annotations

from typing import Any, Iterable, Iterator

import torch


class DynamicLayer:
    """The growing key/value store of one attention layer.

    Example:
        >>> import torch
        >>> layer = DynamicLayer()
        >>> _ = layer.update(torch.zeros(1, 1, 2, 4), torch.zeros(1, 1, 2, 4))
        >>> layer.get_seq_length()
        2
    """

    is_sliding = False

    def __init__(self) -> None:
        self.keys: torch.Tensor | None = None
        self.values: torch.Tensor | None = None
        self.is_initialized = False

    def __repr__(self) -> str:
        return f"{type(self).__name__}(seq_len={self.get_seq_length()})"

    def update(
        self, key_states: torch.Tensor, value_states: torch.Tensor, *args: Any, **kwargs: Any
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Append ``(batch, heads, new, head_dim)`` states; return everything stored so far."""
        if not self.is_initialized:
            self.keys, self.values = key_states, value_states
            self.is_initialized = True
        else:
            self.keys = torch.cat([self.keys, key_states], dim=-2)
            self.values = torch.cat([self.values, value_states], dim=-2)
        return self.keys, self.values

    def get_seq_length(self) -> int:
        """Number of cached positions (0 when empty)."""
        if not self.is_initialized or self.keys is None:
            return 0
        return self.keys.shape[-2]

    def get_max_length(self) -> int:
        """A dynamic layer has no maximum: -1."""
        return -1

    def get_mask_sizes(self, query_length: int) -> tuple[int, int]:
        """``(kv_length, kv_offset)`` the next attention call will see."""
        return self.get_seq_length() + query_length, 0

    def reset(self) -> None:
        """Drop the stored states."""
        self.keys = self.values = None
        self.is_initialized = False

    def crop(self, tokens_to_remove: int) -> None:
        """Remove the last ``-tokens_to_remove`` positions (a negative count, like the reference)."""
        if tokens_to_remove > 0:
            raise ValueError(
                f"crop() takes a negative number of positions to remove, got {tokens_to_remove}; "
                f"pass -{tokens_to_remove} to drop that many tokens."
            )
        if tokens_to_remove == 0 or not self.is_initialized:
            return
        self.keys = self.keys[..., :tokens_to_remove, :]
        self.values = self.values[..., :tokens_to_remove, :]

    def reorder_cache(self, beam_idx: torch.LongTensor) -> None:
        """Reorder the batch (beam search keeps the surviving beams)."""
        if self.get_seq_length() > 0:
            self.keys = self.keys.index_select(0, beam_idx.to(self.keys.device))
            self.values = self.values.index_select(0, beam_idx.to(self.values.device))

    def batch_repeat_interleave(self, repeats: int) -> None:
        """Repeat each batch row ``repeats`` times."""
        if self.get_seq_length() > 0:
            self.keys = self.keys.repeat_interleave(repeats, dim=0)
            self.values = self.values.repeat_interleave(repeats, dim=0)

    def batch_select_indices(self, indices: torch.Tensor) -> None:
        """Keep only the batch rows in ``indices``."""
        if self.get_seq_length() > 0:
            self.keys = self.keys[indices, ...]
            self.values = self.values[indices, ...]


class Cache:
    """Base class: a list of per-layer stores; ``isinstance(x, Cache)`` tells caches from tuples.

    Layers are created on demand by ``update``.

    Example:
        >>> import torch
        >>> cache = DynamicCache()
        >>> isinstance(cache, Cache), len(cache)
        (True, 0)
    """

    layer_class: type = DynamicLayer

    def __init__(self, layers: list[DynamicLayer] | None = None) -> None:
        self.layers: list[DynamicLayer] = list(layers) if layers is not None else []

    def __repr__(self) -> str:
        return f"{type(self).__name__}(layers={self.layers})"

    def __len__(self) -> int:
        return len(self.layers)

    def update(
        self, key_states: torch.Tensor, value_states: torch.Tensor, layer_idx: int, *args: Any, **kwargs: Any
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Append the new states of layer ``layer_idx``; return all of its keys and values."""
        while len(self.layers) <= layer_idx:
            self.layers.append(self.layer_class())
        return self.layers[layer_idx].update(key_states, value_states)

    def get_seq_length(self, layer_idx: int = 0) -> int:
        """Cached positions in layer ``layer_idx`` (0 when it holds nothing yet)."""
        if layer_idx >= len(self.layers):
            return 0
        return self.layers[layer_idx].get_seq_length()

    def get_max_length(self, layer_idx: int | None = None) -> int:
        """-1: dynamic caches grow without bound."""
        return -1

    def get_max_cache_shape(self, layer_idx: int = 0) -> int:
        """Positions layer ``layer_idx`` can hold (-1: unbounded)."""
        if layer_idx >= len(self.layers):
            return -1
        return self.layers[layer_idx].get_max_length()

    def get_mask_sizes(self, query_length: int, layer_idx: int = 0) -> tuple[int, int]:
        """``(kv_length, kv_offset)`` for a call with ``query_length`` new tokens."""
        return self.get_seq_length(layer_idx) + query_length, 0

    def get_query_offset(self, layer_idx: int = 0) -> int:
        """Absolute position of the first new query token."""
        return self.get_seq_length(layer_idx)

    @property
    def is_initialized(self) -> bool:
        return len(self.layers) > 0 and all(layer.is_initialized for layer in self.layers)

    @property
    def is_sliding(self) -> list[bool]:
        return [layer.is_sliding for layer in self.layers]

    is_compileable = False
    is_croppable = True

    def reset(self) -> None:
        for layer in self.layers:
            layer.reset()

    def crop(self, tokens_to_remove: int) -> None:
        for layer in self.layers:
            layer.crop(tokens_to_remove)

    def reorder_cache(self, beam_idx: torch.LongTensor) -> None:
        for layer in self.layers:
            layer.reorder_cache(beam_idx)

    def batch_repeat_interleave(self, repeats: int) -> None:
        for layer in self.layers:
            layer.batch_repeat_interleave(repeats)

    def batch_select_indices(self, indices: torch.Tensor) -> None:
        for layer in self.layers:
            layer.batch_select_indices(indices)


class DynamicCache(Cache):
    """A cache that grows by concatenation, one :class:`DynamicLayer` per decoder layer.

    Args:
        ddp_cache_data: optional iterable of per-layer ``(keys, values)`` to start from
            (the legacy tuple format is accepted here).
        config: optional model config; when given, one empty layer per
            ``num_hidden_layers`` is created up front (like the reference).

    Example:
        >>> import torch
        >>> cache = DynamicCache([(torch.zeros(1, 2, 5, 4), torch.zeros(1, 2, 5, 4))])
        >>> cache.get_seq_length(), len(cache.to_legacy_cache())
        (5, 1)
    """

    def __init__(
        self,
        ddp_cache_data: Iterable[tuple[torch.Tensor, ...]] | None = None,
        config: Any = None,
        offloading: bool = False,
        offload_only_non_sliding: bool = False,
    ) -> None:
        super().__init__()
        if offloading:
            raise ValueError("DynamicCache(offloading=True) is not supported by embrace; keep the cache on one device.")
        if config is not None:
            get_text = getattr(config, "get_text_config", None)
            text_config = get_text(decoder=True) if callable(get_text) else config
            num_layers = getattr(text_config, "num_hidden_layers", None) or 0
            self.layers = [self.layer_class() for _ in range(num_layers)]
        if ddp_cache_data is not None:
            for layer_idx, states in enumerate(ddp_cache_data):
                while len(self.layers) <= layer_idx:
                    self.layers.append(self.layer_class())
                key_states, value_states = states[0], states[1]
                if key_states is not None and value_states is not None:
                    self.layers[layer_idx].update(key_states, value_states)

    def __iter__(self) -> Iterator[tuple[torch.Tensor | None, torch.Tensor | None, None]]:
        # The reference yields (keys, values, sliding_window_tensor) per layer.
        for layer in self.layers:
            yield layer.keys, layer.values, None

    def __getitem__(self, layer_idx: int) -> tuple[torch.Tensor, torch.Tensor]:
        """Legacy access: ``cache[i]`` is layer ``i``'s ``(keys, values)``."""
        if layer_idx >= len(self.layers):
            raise IndexError(f"Cache has {len(self.layers)} layers; layer {layer_idx} does not exist.")
        layer = self.layers[layer_idx]
        return layer.keys, layer.values

    def to_legacy_cache(self) -> tuple[tuple[torch.Tensor, torch.Tensor], ...]:
        """Return ``((keys, values), ...)`` per layer, the pre-Cache format."""
        return tuple((layer.keys, layer.values) for layer in self.layers)

    @classmethod
    def from_legacy_cache(cls, past_key_values: Iterable[tuple[torch.Tensor, ...]] | None) -> "DynamicCache":
        """Build a cache from ``((keys, values), ...)``."""
        return cls(past_key_values)


class StaticLayer(DynamicLayer):
    """A preallocated ``(batch, kv_heads, max_cache_len, head_dim)`` key/value store.

    The buffers are allocated by the first :meth:`update` (which fixes batch, heads, dtype
    and device) and then written in place, so their addresses never change: a
    ``torch.compile``-d forward (even with CUDA graphs) sees the same tensors every step.
    The written length lives in a 0-d tensor for the same reason; positions beyond it hold
    zeros and the model's mask hides them.

    Example:
        >>> import torch
        >>> layer = StaticLayer(max_cache_len=6)
        >>> keys, _ = layer.update(torch.ones(1, 1, 2, 4), torch.ones(1, 1, 2, 4))
        >>> keys.shape, layer.get_seq_length()
        (torch.Size([1, 1, 6, 4]), 2)
    """

    is_compileable = True

    def __init__(self, max_cache_len: int, **kwargs: Any) -> None:
        super().__init__()
        if not isinstance(max_cache_len, int) or max_cache_len <= 0:
            raise ValueError(f"max_cache_len must be a positive int, got {max_cache_len!r}.")
        self.max_cache_len = max_cache_len
        self.cumulative_length = torch.tensor(0, dtype=torch.long)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(max_cache_len={self.max_cache_len}, seq_len={self.get_seq_length()})"

    def lazy_initialization(self, key_states: torch.Tensor, value_states: torch.Tensor) -> None:
        """Allocate the zeroed buffers with the batch, heads, dtype and device of the first states."""
        batch, heads = key_states.shape[:2]
        options = {"dtype": key_states.dtype, "device": key_states.device}
        self.keys = torch.zeros((batch, heads, self.max_cache_len, key_states.shape[-1]), **options)
        self.values = torch.zeros((batch, heads, self.max_cache_len, value_states.shape[-1]), **options)
        self.cumulative_length = self.cumulative_length.to(key_states.device)
        if not torch.compiler.is_compiling():
            # Tell dynamo these addresses are fixed, so in-place writes do not trigger recompiles.
            for tensor in (self.keys, self.values, self.cumulative_length):
                torch._dynamo.mark_static_address(tensor)
        self.is_initialized = True

    def update(
        self, key_states: torch.Tensor, value_states: torch.Tensor, *args: Any, **kwargs: Any
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Write ``(batch, heads, new, head_dim)`` states after the stored ones; return the full buffers."""
        if not self.is_initialized:
            self.lazy_initialization(key_states, value_states)
        new = key_states.shape[-2]
        # Checked where reading the length is free (CPU, eager); on accelerators it would sync every layer.
        checkable = self.keys.device.type == "cpu" and not torch.compiler.is_compiling()
        if checkable and int(self.cumulative_length) + new > self.max_cache_len:
            raise ValueError(
                f"StaticCache overflow: {int(self.cumulative_length)} positions are stored and {new} more do not fit "
                f"in max_cache_len={self.max_cache_len}; allocate the cache with a larger max_cache_len."
            )
        positions = torch.arange(new, device=self.keys.device) + self.cumulative_length  # (new,)
        self.keys.index_copy_(2, positions, key_states.to(self.keys.dtype))
        self.values.index_copy_(2, positions, value_states.to(self.values.dtype))
        self.cumulative_length.add_(new)
        return self.keys, self.values

    def get_seq_length(self) -> Any:
        """Positions written so far: an int, or the 0-d length tensor while ``torch.compile`` traces."""
        if not self.is_initialized:
            return 0
        if torch.compiler.is_compiling():
            return self.cumulative_length
        return int(self.cumulative_length)

    def get_max_length(self) -> int:
        return self.max_cache_len

    def get_mask_sizes(self, query_length: int) -> tuple[int, int]:
        """The attention always spans the whole buffer: ``(max_cache_len, 0)``."""
        return self.max_cache_len, 0

    def reset(self) -> None:
        """Zero the buffers in place (keeping their addresses) and the length."""
        if self.is_initialized:
            self.keys.zero_()
            self.values.zero_()
        self.cumulative_length.zero_()

    def crop(self, tokens_to_remove: int) -> None:
        raise NotImplementedError(
            "StaticCache cannot be cropped; use DynamicCache (cache_implementation='dynamic') for strategies that "
            "roll back the cache."
        )

    def reorder_cache(self, beam_idx: torch.LongTensor) -> None:
        """Reorder the batch in place (beam search), keeping the buffer addresses."""
        if self.is_initialized:
            beam_idx = beam_idx.to(self.keys.device)
            self.keys.copy_(self.keys.index_select(0, beam_idx))
            self.values.copy_(self.values.index_select(0, beam_idx))

    def batch_repeat_interleave(self, repeats: int) -> None:
        raise NotImplementedError("StaticCache has a fixed batch size; allocate it for the expanded batch instead.")

    def batch_select_indices(self, indices: torch.Tensor) -> None:
        raise NotImplementedError("StaticCache has a fixed batch size; it cannot drop batch rows.")


class StaticCache(Cache):
    """A cache of fixed size for ``torch.compile``: one :class:`StaticLayer` per decoder layer.

    Layers with a sliding window (Mistral, Qwen2) keep the full ``max_cache_len`` too;
    the model's mask applies the window, so the result is the same as the reference's
    rolling window buffer.

    Args:
        config: the model config (its ``num_hidden_layers`` decides the number of layers).
        max_cache_len: how many positions each layer can hold (prompt + new tokens).

    Example:
        >>> import torch
        >>> from embrace.models.llama import LlamaConfig
        >>> cache = StaticCache(config=LlamaConfig(num_hidden_layers=2), max_cache_len=8)
        >>> _ = cache.update(torch.zeros(1, 2, 3, 4), torch.zeros(1, 2, 3, 4), 0)
        >>> len(cache), cache.get_seq_length(), cache.get_max_cache_shape()
        (2, 3, 8)
    """

    is_compileable = True
    is_croppable = False

    def __init__(
        self, config: Any, max_cache_len: int, offloading: bool = False, offload_only_non_sliding: bool = True,
        **kwargs: Any,
    ) -> None:
        if offloading:
            raise ValueError("StaticCache(offloading=True) is not supported by embrace; keep the cache on one device.")
        for name in kwargs:
            if name not in ("max_batch_size", "batch_size", "device", "dtype"):
                raise TypeError(f"StaticCache got an unexpected keyword argument {name!r}.")
        get_text = getattr(config, "get_text_config", None)
        text_config = get_text(decoder=True) if callable(get_text) else config
        num_layers = getattr(text_config, "num_hidden_layers", None)
        if not num_layers:
            raise ValueError("StaticCache needs a config with num_hidden_layers to allocate one layer per decoder layer.")
        super().__init__([StaticLayer(max_cache_len=max_cache_len) for _ in range(num_layers)])
        self.max_cache_len = max_cache_len

    def update(
        self, key_states: torch.Tensor, value_states: torch.Tensor, layer_idx: int, *args: Any, **kwargs: Any
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Write the new states of layer ``layer_idx``; return its full ``(batch, heads, max_cache_len, d)`` buffers."""
        if layer_idx >= len(self.layers):
            raise IndexError(f"StaticCache has {len(self.layers)} layers; layer {layer_idx} does not exist.")
        return self.layers[layer_idx].update(key_states, value_states)

    def get_max_length(self, layer_idx: int | None = None) -> int:
        return self.max_cache_len

    def get_mask_sizes(self, query_length: int, layer_idx: int = 0) -> tuple[int, int]:
        return self.layers[layer_idx].get_mask_sizes(query_length)

    def __getitem__(self, layer_idx: int) -> tuple[torch.Tensor, torch.Tensor]:
        """``cache[i]``: layer ``i``'s ``(keys, values)`` buffers."""
        if layer_idx >= len(self.layers):
            raise IndexError(f"Cache has {len(self.layers)} layers; layer {layer_idx} does not exist.")
        layer = self.layers[layer_idx]
        return layer.keys, layer.values


class EncoderDecoderCache(Cache):
    """Two caches: decoder self-attention (grows) and cross-attention (filled once).

    ``is_updated[layer_idx]`` says whether the cross-attention keys/values of a layer
    were already projected from the encoder output, so later steps reuse them.

    Example:
        >>> import torch
        >>> cache = EncoderDecoderCache(DynamicCache(), DynamicCache())
        >>> _ = cache.self_attention_cache.update(torch.zeros(1, 1, 2, 4), torch.zeros(1, 1, 2, 4), 0)
        >>> cache.get_seq_length()
        2
    """

    def __init__(self, *caches: Any) -> None:
        super().__init__()
        if len(caches) == 1:
            # Legacy / DDP data: per layer (k, v, cross_k, cross_v).
            self_data, cross_data = [], []
            for states in caches[0]:
                if len(states) not in (4, 6):
                    raise ValueError(
                        f"each layer of an encoder-decoder legacy cache needs 4 tensors "
                        f"(self k, self v, cross k, cross v); got {len(states)}."
                    )
                half = len(states) // 2
                self_data.append(tuple(states[:2]))
                cross_data.append(tuple(states[half : half + 2]))
            self.self_attention_cache = DynamicCache(self_data)
            self.cross_attention_cache = DynamicCache(cross_data)
        elif len(caches) == 2:
            if not all(isinstance(c, Cache) for c in caches):
                raise TypeError(
                    f"EncoderDecoderCache(self_cache, cross_cache) needs two Cache objects, got "
                    f"{type(caches[0]).__name__} and {type(caches[1]).__name__}."
                )
            self.self_attention_cache, self.cross_attention_cache = caches
        else:
            raise ValueError(f"EncoderDecoderCache takes 1 (legacy data) or 2 (caches) arguments, got {len(caches)}.")
        self.is_updated: dict[int, bool] = {
            idx: self.cross_attention_cache.get_seq_length(idx) > 0 for idx in range(len(self.cross_attention_cache))
        }

    @property
    def layers(self) -> list[DynamicLayer]:  # type: ignore[override]
        return self.self_attention_cache.layers

    @layers.setter
    def layers(self, value: list[DynamicLayer]) -> None:
        # Cache.__init__ assigns an empty list; the real layers live in the sub-caches.
        pass

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(self_attention_cache={self.self_attention_cache!r}, "
            f"cross_attention_cache={self.cross_attention_cache!r})"
        )

    def __len__(self) -> int:
        return len(self.self_attention_cache)

    def __iter__(self) -> Iterator[tuple[Any, ...]]:
        for self_layer, cross_layer in zip(self.self_attention_cache, self.cross_attention_cache):
            yield self_layer + cross_layer

    def __getitem__(self, layer_idx: int) -> tuple[torch.Tensor, ...]:
        """Legacy access: ``(self k, self v, cross k, cross v)`` of layer ``layer_idx``."""
        return self.self_attention_cache[layer_idx] + self.cross_attention_cache[layer_idx]

    def update(
        self, key_states: torch.Tensor, value_states: torch.Tensor, layer_idx: int, *args: Any, **kwargs: Any
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Update the self-attention cache (cross-attention is filled by the layers directly)."""
        return self.self_attention_cache.update(key_states, value_states, layer_idx)

    def get_seq_length(self, layer_idx: int = 0) -> int:
        return self.self_attention_cache.get_seq_length(layer_idx)

    def get_mask_sizes(self, query_length: int, layer_idx: int = 0) -> tuple[int, int]:
        return self.self_attention_cache.get_mask_sizes(query_length, layer_idx)

    def reset(self) -> None:
        self.self_attention_cache.reset()
        self.cross_attention_cache.reset()
        for idx in self.is_updated:
            self.is_updated[idx] = False

    def crop(self, tokens_to_remove: int) -> None:
        self.self_attention_cache.crop(tokens_to_remove)

    def reorder_cache(self, beam_idx: torch.LongTensor) -> None:
        self.self_attention_cache.reorder_cache(beam_idx)
        self.cross_attention_cache.reorder_cache(beam_idx)

    def batch_repeat_interleave(self, repeats: int) -> None:
        self.self_attention_cache.batch_repeat_interleave(repeats)
        self.cross_attention_cache.batch_repeat_interleave(repeats)

    def batch_select_indices(self, indices: torch.Tensor) -> None:
        self.self_attention_cache.batch_select_indices(indices)
        self.cross_attention_cache.batch_select_indices(indices)

    def to_legacy_cache(self) -> tuple[tuple[torch.Tensor, ...], ...]:
        """Per layer ``(self k, self v, cross k, cross v)`` (cross part omitted when empty)."""
        self_legacy = self.self_attention_cache.to_legacy_cache()
        if self.cross_attention_cache.get_seq_length() == 0:
            return self_legacy
        return tuple(s + c for s, c in zip(self_legacy, self.cross_attention_cache.to_legacy_cache()))

    @classmethod
    def from_legacy_cache(cls, past_key_values: Iterable[tuple[torch.Tensor, ...]] | None) -> "EncoderDecoderCache":
        """Build from per-layer ``(k, v)`` or ``(k, v, cross_k, cross_v)`` tuples."""
        cache = cls(DynamicCache(), DynamicCache())
        if past_key_values is not None:
            for idx, states in enumerate(past_key_values):
                cache.self_attention_cache.update(states[0], states[1], idx)
                if len(states) > 2:
                    cache.cross_attention_cache.update(states[2], states[3], idx)
                    cache.is_updated[idx] = True
        return cache


def cache_from_legacy(past_key_values: Any) -> Cache | None:
    """Accept a Cache or the legacy tuple format; return a Cache (or ``None``).

    Per-layer tuples of 2 tensors give a :class:`DynamicCache`, of 4 an
    :class:`EncoderDecoderCache`.

    Example:
        >>> import torch
        >>> t = torch.zeros(1, 1, 2, 4)
        >>> type(cache_from_legacy(((t, t),))).__name__
        'DynamicCache'
    """
    if past_key_values is None or isinstance(past_key_values, Cache):
        return past_key_values
    if not isinstance(past_key_values, (tuple, list)):
        raise TypeError(
            f"past_key_values must be a Cache (e.g. DynamicCache) or a tuple of per-layer (key, value) "
            f"tuples; got {type(past_key_values).__name__}."
        )
    layers = list(past_key_values)
    if layers and len(layers[0]) == 4:
        return EncoderDecoderCache.from_legacy_cache(layers)
    return DynamicCache.from_legacy_cache(layers)
