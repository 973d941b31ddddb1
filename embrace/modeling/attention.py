"""Attention functions by name, and the masks they consume.

Every attention layer in embrace computes its projections and then calls one function
picked from ``ALL_ATTENTION_FUNCTIONS[config._attn_implementation]``:

    fn(module, query, key, value, attention_mask, *, scaling, dropout=0.0, **kwargs)
        -> (attn_output, attn_weights_or_None)

* ``query`` ``(batch, heads, q_len, head_dim)``; ``key``/``value`` ``(batch, kv_heads,
  kv_len, head_dim)`` (``kv_heads`` may divide ``heads`` for grouped-query attention).
* ``attention_mask`` is ``None``, a boolean mask (``True`` = may attend) or an additive
  float mask (0 = attend, most-negative = blocked), broadcastable to
  ``(batch, heads, q_len, kv_len)``. Build it with :func:`make_attention_mask`.
* ``attn_output`` is ``(batch, q_len, heads, head_dim)``, contiguous, ready to be
  reshaped to ``(batch, q_len, heads * head_dim)``.

``"eager"`` is the readable implementation (and the only one that returns the attention
probabilities); ``"sdpa"`` (the default) calls ``torch.nn.functional.
scaled_dot_product_attention``. Faster backends register themselves with
``ALL_ATTENTION_FUNCTIONS.register(name, fn)``.

Example:
    >>> import torch
    >>> from torch import nn
    >>> q = k = v = torch.randn(1, 2, 3, 4)     # (batch, heads, seq, head_dim)
    >>> layer = nn.Module()                     # only .training and .is_causal are read;
    >>> layer.is_causal = False                 # a module without is_causal counts as causal
    >>> fn = ALL_ATTENTION_FUNCTIONS["eager"]
    >>> out, weights = fn(layer, q, k, v, None, scaling=0.5)
    >>> out.shape, weights.shape
    (torch.Size([1, 3, 2, 4]), torch.Size([1, 2, 3, 3]))
"""

from __future__ import annotations

from typing import Any, Callable, Iterable, Iterator

import torch
from torch import nn

from embrace.errors import unknown_key
from embrace.utils.logging import get_logger, warning_once

logger = get_logger(__name__)

AttentionFunction = Callable[..., "tuple[torch.Tensor, torch.Tensor | None]"]


# --- masks ------------------------------------------------------------------------------


def bool_to_additive_mask(mask: torch.Tensor, dtype: torch.dtype) -> torch.Tensor:
    """Turn a boolean keep-mask into an additive one: 0 where kept, ``finfo(dtype).min`` elsewhere.

    Example:
        >>> bool_to_additive_mask(torch.tensor([True, False]), torch.float32)
        tensor([ 0.0000e+00, -3.4028e+38])
    """
    zero = torch.zeros((), dtype=dtype, device=mask.device)
    return torch.where(mask, zero, torch.finfo(dtype).min)


def causal_keep_mask(query_length: int, key_length: int, device: torch.device | str | None = None) -> torch.Tensor:
    """``(q_len, kv_len)`` booleans: query ``i`` (at absolute position ``kv_len - q_len + i``) sees keys up to itself.

    Example:
        >>> causal_keep_mask(2, 3).tolist()
        [[True, True, False], [True, True, True]]
    """
    past = key_length - query_length
    q_pos = torch.arange(past, past + query_length, device=device)
    k_pos = torch.arange(key_length, device=device)
    return k_pos[None, :] <= q_pos[:, None]


def make_attention_mask(
    attention_mask: torch.Tensor | None,
    *,
    batch_size: int,
    query_length: int,
    key_length: int | None = None,
    is_causal: bool = False,
    dtype: torch.dtype = torch.float32,
    boolean: bool = False,
    device: torch.device | str | None = None,
) -> torch.Tensor | None:
    """Build the 4-D mask an attention function takes, or ``None`` when nothing is masked.

    Args:
        attention_mask: ``None``; a 2-D padding mask ``(batch, kv_len)`` of 1 (keep) / 0
            (pad) in any dtype; a 3-D mask ``(batch, q_len, kv_len)`` of 1/0; or a 4-D
            mask, returned unchanged (it is assumed to be ready: boolean or additive).
        batch_size: batch size of the queries.
        query_length: number of query positions in this call.
        key_length: number of key positions (cached + new for self-attention, the encoder
            length for cross-attention). Defaults to the mask's last dim, else ``query_length``.
        is_causal: also block keys after each query (decoder self-attention). Queries are
            aligned to the end of the keys, so cached prefixes stay visible.
        dtype: dtype of an additive mask (its most negative value marks blocked keys).
        boolean: return ``True``-means-attend booleans instead of an additive float mask.
        device: where to build the mask when ``attention_mask`` is ``None``.

    Returns:
        ``(batch, 1, q_len|1, kv_len)`` or ``None``. ``None`` is returned when there is
        no padding and either the mask is not causal, or causality is fully described by
        the attention function's ``is_causal`` rule (a single query, or as many queries
        as keys) - this lets SDPA pick its fastest kernel.

    Raises:
        ValueError: the mask has a rank other than 2, 3 or 4.

    Example:
        >>> m = make_attention_mask(torch.tensor([[1, 1, 0]]), batch_size=1, query_length=3, boolean=True)
        >>> m.shape, m[0, 0, 0].tolist()
        (torch.Size([1, 1, 1, 3]), [True, True, False])
        >>> make_attention_mask(torch.ones(2, 3), batch_size=2, query_length=3) is None
        True
    """
    if attention_mask is not None and attention_mask.dim() == 4:
        return attention_mask
    if attention_mask is not None and attention_mask.dim() not in (2, 3):
        raise ValueError(
            f"attention_mask must be 2-D (batch, kv_len), 3-D (batch, q_len, kv_len) or a prepared 4-D mask; "
            f"got shape {tuple(attention_mask.shape)}."
        )
    if key_length is None:
        key_length = attention_mask.shape[-1] if attention_mask is not None else query_length
    if attention_mask is not None and attention_mask.shape[-1] != key_length:
        raise ValueError(
            f"attention_mask covers {attention_mask.shape[-1]} key positions but the attention sees "
            f"{key_length} (cached + new tokens); pass a mask of shape (batch, {key_length})."
        )
    keep = None if attention_mask is None else attention_mask.bool()
    no_padding = keep is None or bool(keep.all())
    if no_padding and (not is_causal or query_length == 1 or query_length == key_length):
        return None

    device = keep.device if keep is not None else device
    if keep is None:
        mask = torch.ones((batch_size, 1, 1, key_length), dtype=torch.bool, device=device)
    elif keep.dim() == 2:
        mask = keep[:, None, None, :]  # (batch, 1, 1, kv_len)
    else:
        mask = keep[:, None, :, :]  # (batch, 1, q_len, kv_len)
    if is_causal:
        mask = mask & causal_keep_mask(query_length, key_length, mask.device)  # (batch, 1, q_len, kv_len)
    return mask if boolean else bool_to_additive_mask(mask, dtype)


def make_causal_decoder_mask(
    attention_mask: torch.Tensor | None,
    *,
    batch_size: int,
    query_length: int,
    key_length: int,
    sliding_window: int | None = None,
    dtype: torch.dtype = torch.float32,
    boolean: bool = False,
    device: torch.device | str | None = None,
) -> torch.Tensor | None:
    """The self-attention mask of a decoder: padding, causality and an optional sliding window.

    Like :func:`make_attention_mask` with ``is_causal=True`` (queries are the last
    ``query_length`` of ``key_length`` positions), and with ``sliding_window`` a query at
    position ``p`` also stops seeing keys at ``p - sliding_window`` and before.

    Example:
        >>> m = make_causal_decoder_mask(None, batch_size=1, query_length=3, key_length=3, sliding_window=2,
        ...                              boolean=True)
        >>> m[0, 0].int().tolist()
        [[1, 0, 0], [1, 1, 0], [0, 1, 1]]
    """
    options = {"batch_size": batch_size, "query_length": query_length, "key_length": key_length, "device": device}
    if sliding_window is None or key_length <= sliding_window:
        # Every key lies inside the window: the plain causal mask is the answer.
        return make_attention_mask(attention_mask, is_causal=True, dtype=dtype, boolean=boolean, **options)
    keep = make_attention_mask(attention_mask, is_causal=True, boolean=True, **options)
    if keep is None:
        keep = causal_keep_mask(query_length, key_length, device)[None, None]  # (1, 1, q_len, kv_len)
    q_pos = torch.arange(key_length - query_length, key_length, device=keep.device)
    k_pos = torch.arange(key_length, device=keep.device)
    in_window = k_pos[None, :] > q_pos[:, None] - sliding_window  # (q_len, kv_len)
    mask = keep & in_window
    return mask if boolean else bool_to_additive_mask(mask, dtype)


def packed_sequence_ids(position_ids: torch.Tensor) -> torch.Tensor | None:
    """Which packed sequence each token belongs to, read from ``position_ids`` that restart per sequence.

    Padding-free batches (``DataCollatorWithFlattening``) concatenate examples into one row
    and restart the positions at each example; a new sequence starts wherever a position is
    not its left neighbour + 1. ``(batch, seq)`` -> ``(batch, seq)`` sequence numbers 0, 1, ...
    per row, or ``None`` when no row holds more than one sequence (nothing to separate).

    Example:
        >>> packed_sequence_ids(torch.tensor([[0, 1, 2, 0, 1, 0]])).tolist()
        [[0, 0, 0, 1, 1, 2]]
        >>> packed_sequence_ids(torch.tensor([[4, 5, 6]])) is None
        True
    """
    # Prepending "first - 1" makes the first step 1, so every row starts in sequence 0.
    steps = torch.diff(position_ids, prepend=position_ids[:, :1] - 1, dim=-1)
    sequence_ids = (steps != 1).cumsum(-1)  # (batch, seq)
    if not bool(sequence_ids[:, -1].any()):
        return None
    return sequence_ids


def make_packed_causal_mask(
    sequence_ids: torch.Tensor,
    *,
    sliding_window: int | None = None,
    dtype: torch.dtype = torch.float32,
    boolean: bool = False,
) -> torch.Tensor:
    """The self-attention mask of packed rows: causal (and windowed) within each sequence, blocked across.

    ``sequence_ids`` ``(batch, seq)`` comes from :func:`packed_sequence_ids`. Inside one
    packed sequence positions grow by one per token, so causality and the sliding window
    can be stated on token indices. Returns ``(batch, 1, seq, seq)``.

    Example:
        >>> m = make_packed_causal_mask(torch.tensor([[0, 0, 1, 1, 1]]), boolean=True)
        >>> m[0, 0].int().tolist()
        [[1, 0, 0, 0, 0], [1, 1, 0, 0, 0], [0, 0, 1, 0, 0], [0, 0, 1, 1, 0], [0, 0, 1, 1, 1]]
    """
    seq = sequence_ids.shape[-1]
    same_sequence = sequence_ids[:, :, None] == sequence_ids[:, None, :]  # (batch, seq, seq)
    keep = same_sequence & causal_keep_mask(seq, seq, sequence_ids.device)
    if sliding_window is not None:
        index = torch.arange(seq, device=sequence_ids.device)
        keep = keep & (index[None, :] > index[:, None] - sliding_window)
    keep = keep[:, None]  # (batch, 1, seq, seq)
    return keep if boolean else bool_to_additive_mask(keep, dtype)


def make_static_cache_mask(
    attention_mask: torch.Tensor | None,
    *,
    cache_position: torch.Tensor,
    key_length: int,
    sliding_window: int | None = None,
    dtype: torch.dtype = torch.float32,
    boolean: bool = False,
) -> torch.Tensor:
    """The decoder mask over a preallocated cache of ``key_length`` slots (a static KV cache).

    Query ``i`` sits at absolute position ``cache_position[i]`` and may see slot ``k`` when
    ``k <= cache_position[i]`` (which also hides the not-yet-written slots), the 2-D
    padding mask keeps it (missing columns count as padding) and, with
    ``sliding_window``, ``k > cache_position[i] - sliding_window``. Nothing here depends on
    tensor values, so ``torch.compile`` traces it without graph breaks.

    Example:
        >>> m = make_static_cache_mask(torch.tensor([[0, 1]]), cache_position=torch.tensor([1, 2]), key_length=4,
        ...                            boolean=True)
        >>> m.shape, m[0, 0].int().tolist()
        (torch.Size([1, 1, 2, 4]), [[0, 1, 0, 0], [0, 1, 0, 0]])
    """
    k_pos = torch.arange(key_length, device=cache_position.device)
    q_pos = cache_position[:, None]
    keep = k_pos[None, :] <= q_pos  # (q_len, kv_len)
    if sliding_window is not None:
        keep = keep & (k_pos[None, :] > q_pos - sliding_window)
    keep = keep[None, None]  # (1, 1, q_len, kv_len)
    if attention_mask is not None:
        padding = attention_mask.bool()
        if padding.shape[-1] < key_length:
            padding = nn.functional.pad(padding, (0, key_length - padding.shape[-1]), value=False)
        keep = keep & padding[:, None, None, :key_length]  # (batch, 1, q_len, kv_len)
    return keep if boolean else bool_to_additive_mask(keep, dtype)


def make_decoder_masks(
    attention_mask: torch.Tensor | None,
    *,
    position_ids: torch.Tensor | None,
    cache: Any,
    cache_position: torch.Tensor,
    batch_size: int,
    query_length: int,
    past_length: Any,
    sliding_windows: Iterable[int | None],
    dtype: torch.dtype,
    boolean: bool,
    device: torch.device | str | None,
) -> dict[int | None, torch.Tensor | None]:
    """A decoder's self-attention mask for each of ``sliding_windows`` (``None`` = full causal).

    Three cases, as in the reference: packed rows (the caller's ``position_ids`` restart inside
    a row, as ``DataCollatorWithFlattening`` makes them) get a block-diagonal causal mask, but
    only with no padding mask and no cache object at all (``use_cache=False``, as the
    reference's Trainer sets it; so decoding, which always has a cache, never pays for the
    check); a fixed-size (static) cache is attended as a whole, its mask spanning all slots
    and placed by ``cache_position``; otherwise padding + causality over ``past + query`` keys.

    Example:
        >>> masks = make_decoder_masks(None, position_ids=torch.tensor([[0, 1, 0]]), cache=None,
        ...     cache_position=torch.arange(3), batch_size=1, query_length=3, past_length=0, sliding_windows=[None],
        ...     dtype=torch.float32, boolean=True, device=None)
        >>> masks[None][0, 0].int().tolist()
        [[1, 0, 0], [1, 1, 0], [0, 0, 1]]
    """
    windows = set(sliding_windows)
    if position_ids is not None and attention_mask is None and cache is None:
        sequence_ids = packed_sequence_ids(position_ids.reshape(-1, query_length).expand(batch_size, -1))
        if sequence_ids is not None:  # (batch, seq)
            return {
                w: make_packed_causal_mask(sequence_ids, sliding_window=w, dtype=dtype, boolean=boolean)
                for w in windows
            }
    if cache is not None and cache.is_compileable:
        key_length = cache.get_mask_sizes(query_length)[0]
        return {
            w: make_static_cache_mask(
                attention_mask, cache_position=cache_position, key_length=key_length, sliding_window=w, dtype=dtype,
                boolean=boolean,
            )
            for w in windows
        }
    return {
        w: make_causal_decoder_mask(
            attention_mask, batch_size=batch_size, query_length=query_length, key_length=past_length + query_length,
            sliding_window=w, dtype=dtype, boolean=boolean, device=device,
        )
        for w in windows
    }


def repeat_kv(hidden_states: torch.Tensor, n_rep: int) -> torch.Tensor:
    """Repeat key/value heads for grouped-query attention.

    ``(batch, kv_heads, seq, head_dim)`` -> ``(batch, kv_heads * n_rep, seq, head_dim)``.

    Example:
        >>> repeat_kv(torch.zeros(1, 2, 3, 4), 3).shape
        torch.Size([1, 6, 3, 4])
    """
    if n_rep == 1:
        return hidden_states
    batch, kv_heads, seq, head_dim = hidden_states.shape
    expanded = hidden_states[:, :, None, :, :].expand(batch, kv_heads, n_rep, seq, head_dim)
    return expanded.reshape(batch, kv_heads * n_rep, seq, head_dim)


# --- implementations ------------------------------------------------------------------


def eager_attention_forward(
    module: nn.Module,
    query: torch.Tensor,
    key: torch.Tensor,
    value: torch.Tensor,
    attention_mask: torch.Tensor | None,
    *,
    scaling: float | None = None,
    dropout: float = 0.0,
    head_mask: torch.Tensor | None = None,
    is_causal: bool | None = None,
    **kwargs: Any,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Plain softmax attention, written out; returns the probabilities too.

    ``head_mask`` (broadcastable to ``(batch, heads, q_len, kv_len)``) multiplies the
    probabilities after dropout, which is how the legacy head-masking feature worked.
    """
    if scaling is None:
        scaling = query.size(-1) ** -0.5
    n_rep = query.shape[1] // key.shape[1]
    key, value = repeat_kv(key, n_rep), repeat_kv(value, n_rep)

    scores = torch.matmul(query, key.transpose(2, 3)) * scaling  # (batch, heads, q_len, kv_len)
    if attention_mask is None:
        causal = is_causal if is_causal is not None else getattr(module, "is_causal", True)
        if causal and query.shape[2] > 1:
            # The mask builder leaves causality to us when there is no padding.
            attention_mask = causal_keep_mask(query.shape[2], key.shape[2], query.device)
    if attention_mask is not None:
        if attention_mask.dtype == torch.bool:
            attention_mask = bool_to_additive_mask(attention_mask, scores.dtype)
        scores = scores + attention_mask

    probs = nn.functional.softmax(scores, dim=-1)
    probs = nn.functional.dropout(probs, p=dropout, training=module.training)
    if head_mask is not None:
        probs = probs * head_mask

    output = torch.matmul(probs, value)  # (batch, heads, q_len, head_dim)
    return output.transpose(1, 2).contiguous(), probs  # (batch, q_len, heads, head_dim)


def sdpa_attention_forward(
    module: nn.Module,
    query: torch.Tensor,
    key: torch.Tensor,
    value: torch.Tensor,
    attention_mask: torch.Tensor | None,
    *,
    scaling: float | None = None,
    dropout: float = 0.0,
    head_mask: torch.Tensor | None = None,
    is_causal: bool | None = None,
    output_attentions: bool = False,
    **kwargs: Any,
) -> tuple[torch.Tensor, None]:
    """Attention through ``torch.nn.functional.scaled_dot_product_attention``.

    SDPA never materialises the probabilities, so the weights returned are ``None``
    (like the reference, ``output_attentions=True`` only logs a warning). A ``head_mask``
    has to scale the probabilities themselves, which SDPA cannot do, so such calls are
    routed to :func:`eager_attention_forward`.
    """
    if head_mask is not None:
        return eager_attention_forward(
            module, query, key, value, attention_mask, scaling=scaling, dropout=dropout,
            head_mask=head_mask, is_causal=is_causal,
        )
    if output_attentions:
        warning_once(
            logger,
            "sdpa attention does not return attention weights (output_attentions=True gives empty "
            "attentions). Load the model with attn_implementation='eager' to get them."
        )
    q_len = query.shape[2]
    causal = is_causal if is_causal is not None else getattr(module, "is_causal", True)
    # SDPA's own causal flag aligns queries to the first key; it is only equivalent to
    # our end-aligned causality when q_len == kv_len, which is the case whenever the
    # mask builder returned None for a causal layer with several queries.
    causal = bool(causal and attention_mask is None and q_len > 1)
    extra: dict[str, Any] = {}
    if key.shape[1] != query.shape[1]:
        if attention_mask is None:
            extra["enable_gqa"] = True
        else:
            n_rep = query.shape[1] // key.shape[1]
            key, value = repeat_kv(key, n_rep), repeat_kv(value, n_rep)
    output = nn.functional.scaled_dot_product_attention(
        query, key, value, attn_mask=attention_mask, dropout_p=dropout, scale=scaling, is_causal=causal, **extra
    )  # (batch, heads, q_len, head_dim)
    return output.transpose(1, 2).contiguous(), None  # (batch, q_len, heads, head_dim)


# --- registry ---------------------------------------------------------------------------


class AttentionInterface:
    """Registry ``name -> attention function``; a miss lists the registered names.

    Each entry also records whether the function wants boolean masks (``True`` =
    attend) or additive float masks, so models build the cheaper one
    (:meth:`boolean_masks`).

    Example:
        >>> registry = AttentionInterface()
        >>> registry.register("mine", eager_attention_forward, boolean_masks=False)
        >>> registry["mine"] is eager_attention_forward, "mine" in registry
        (True, True)
    """

    def __init__(self) -> None:
        self._functions: dict[str, AttentionFunction] = {}
        self._boolean: dict[str, bool] = {}

    def register(self, name: str, fn: AttentionFunction, *, boolean_masks: bool = True) -> None:
        """Add (or replace) the function used for ``attn_implementation=name``."""
        self._functions[name] = fn
        self._boolean[name] = boolean_masks

    def __getitem__(self, name: str) -> AttentionFunction:
        try:
            return self._functions[name]
        except KeyError:
            raise unknown_key("attention implementation", name, list(self._functions)) from None

    def __contains__(self, name: object) -> bool:
        return name in self._functions

    def __iter__(self) -> Iterator[str]:
        return iter(self._functions)

    def __len__(self) -> int:
        return len(self._functions)

    def keys(self) -> list[str]:
        """Registered implementation names."""
        return list(self._functions)

    def get(self, name: str, default: AttentionFunction | None = None) -> AttentionFunction | None:
        """The function for ``name``, or ``default`` when it is not registered."""
        return self._functions.get(name, default)

    def get_interface(self, name: str, default: AttentionFunction) -> AttentionFunction:
        """Reference-compatible lookup: ``default`` for ``"eager"``, else the registered function."""
        if name == "eager":
            return default
        return self[name]

    def boolean_masks(self, name: str) -> bool:
        """Whether ``name`` takes boolean masks (else additive float masks)."""
        self[name]  # raise the listing error on a miss
        return self._boolean[name]


ALL_ATTENTION_FUNCTIONS = AttentionInterface()
ALL_ATTENTION_FUNCTIONS.register("eager", eager_attention_forward, boolean_masks=False)
ALL_ATTENTION_FUNCTIONS.register("sdpa", sdpa_attention_forward, boolean_masks=True)
