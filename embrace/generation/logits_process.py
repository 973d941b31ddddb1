"""Logits processors: each takes ``(input_ids, scores)`` and returns new scores (never in place).

``input_ids`` is ``(batch, seq)`` (everything so far), ``scores`` is ``(batch, vocab)`` for the
next token. Processors change the distribution (penalties, bans, forced tokens); the
"warpers" (temperature, top-k, top-p, ...) reshape it for sampling. Same classes, arguments
and outputs as the reference.

Example:
    >>> import torch
    >>> processors = LogitsProcessorList([TemperatureLogitsWarper(2.0), TopKLogitsWarper(1)])
    >>> processors(torch.tensor([[0]]), torch.tensor([[1.0, 4.0, 2.0]]))
    tensor([[-inf, 2., -inf]])
"""

from __future__ import annotations

import inspect
import math
from typing import Any

import torch

from embrace.errors import ConfigError

_FLOAT_ERR = "`{name}` has to be {what}, but is {value!r}."


def _eos_tensor(eos_token_id: int | list[int] | torch.Tensor, device: Any = "cpu") -> torch.Tensor:
    if isinstance(eos_token_id, torch.Tensor):
        return eos_token_id
    if isinstance(eos_token_id, int):
        eos_token_id = [eos_token_id]
    return torch.tensor(eos_token_id, device=device)


def _check_min_tokens(min_tokens_to_keep: Any) -> int:
    if not isinstance(min_tokens_to_keep, int) or min_tokens_to_keep < 1:
        raise ConfigError(_FLOAT_ERR.format(name="min_tokens_to_keep", what="a positive integer", value=min_tokens_to_keep))
    return min_tokens_to_keep


class LogitsProcessor:
    """Base class: subclasses implement ``__call__(input_ids, scores) -> scores``."""

    def __call__(self, input_ids: torch.LongTensor, scores: torch.FloatTensor) -> torch.FloatTensor:
        raise NotImplementedError(f"{type(self).__name__} must implement __call__(input_ids, scores).")


class LogitsProcessorList(list):
    """Apply processors in order; extra keyword arguments go to processors that take them.

    Example:
        >>> import torch
        >>> LogitsProcessorList([TemperatureLogitsWarper(0.5)])(torch.tensor([[0]]), torch.tensor([[1.0]]))
        tensor([[2.]])
    """

    def __call__(self, input_ids: torch.LongTensor, scores: torch.FloatTensor, **kwargs: Any) -> torch.FloatTensor:
        for processor in self:
            extra = list(inspect.signature(processor.__call__).parameters)[2:]
            if extra:
                missing = [name for name in extra if name not in kwargs]
                if missing:
                    raise TypeError(f"{type(processor).__name__} needs the keyword arguments {missing}.")
                scores = processor(input_ids, scores, **kwargs)
            else:
                scores = processor(input_ids, scores)
        return scores


def _eos_mask(scores: torch.Tensor, eos: torch.Tensor) -> torch.Tensor:
    return torch.isin(torch.arange(scores.shape[-1], device=scores.device), eos.to(scores.device))  # (vocab,)


class MinLengthLogitsProcessor(LogitsProcessor):
    """Forbid the end-of-sequence tokens while the whole sequence is shorter than ``min_length``."""

    def __init__(self, min_length: int, eos_token_id: int | list[int] | torch.Tensor, device: str = "cpu") -> None:
        if not isinstance(min_length, int) or min_length < 0:
            raise ConfigError(_FLOAT_ERR.format(name="min_length", what="a non-negative integer", value=min_length))
        self.min_length = min_length
        self.eos_token_id = _eos_tensor(eos_token_id, device)

    def __call__(self, input_ids: torch.LongTensor, scores: torch.FloatTensor) -> torch.FloatTensor:
        if input_ids.shape[-1] < self.min_length:
            return torch.where(_eos_mask(scores, self.eos_token_id), -math.inf, scores)
        return scores.clone()


class MinNewTokensLengthLogitsProcessor(LogitsProcessor):
    """Forbid end-of-sequence until ``min_new_tokens`` tokens follow the prompt."""

    def __init__(self, prompt_length_to_skip: int, min_new_tokens: int, eos_token_id: int | list[int] | torch.Tensor,
                 device: str = "cpu") -> None:
        for name, value in (("prompt_length_to_skip", prompt_length_to_skip), ("min_new_tokens", min_new_tokens)):
            if not isinstance(value, int) or value < 0:
                raise ConfigError(_FLOAT_ERR.format(name=name, what="a non-negative integer", value=value))
        self.prompt_length_to_skip = prompt_length_to_skip
        self.min_new_tokens = min_new_tokens
        self.eos_token_id = _eos_tensor(eos_token_id, device)

    def __call__(self, input_ids: torch.LongTensor, scores: torch.FloatTensor) -> torch.FloatTensor:
        if input_ids.shape[-1] - self.prompt_length_to_skip < self.min_new_tokens:
            return torch.where(_eos_mask(scores, self.eos_token_id), -math.inf, scores)
        return scores.clone()


class TemperatureLogitsWarper(LogitsProcessor):
    """Divide the scores by ``temperature`` (< 1 sharpens, > 1 flattens)."""

    def __init__(self, temperature: float) -> None:
        if not isinstance(temperature, float) or not temperature > 0:
            hint = " For greedy decoding set do_sample=False." if temperature == 0.0 else ""
            raise ConfigError(_FLOAT_ERR.format(name="temperature", what="a strictly positive float", value=temperature) + hint)
        self.temperature = temperature

    def __call__(self, input_ids: torch.LongTensor, scores: torch.FloatTensor) -> torch.FloatTensor:
        return scores / self.temperature


class RepetitionPenaltyLogitsProcessor(LogitsProcessor):
    """Make tokens already in the sequence less likely (divide positive scores, multiply negative ones).

    ``prompt_ignore_length`` (an int, or one int per row) leaves that many leading tokens
    out, so left padding is not penalised.
    """

    def __init__(self, penalty: float, prompt_ignore_length: int | torch.Tensor | None = None) -> None:
        if not isinstance(penalty, float) or not penalty > 0:
            raise ConfigError(_FLOAT_ERR.format(name="penalty", what="a strictly positive float", value=penalty))
        if isinstance(prompt_ignore_length, int) and prompt_ignore_length < 0:
            raise ConfigError(_FLOAT_ERR.format(name="prompt_ignore_length", what="a non-negative integer",
                                                value=prompt_ignore_length))
        if isinstance(prompt_ignore_length, torch.Tensor) and prompt_ignore_length.dim() != 1:
            raise ConfigError("`prompt_ignore_length` as a tensor must be 1-D (one length per row).")
        self.penalty = penalty
        self.prompt_ignore_length = prompt_ignore_length

    def __call__(self, input_ids: torch.LongTensor, scores: torch.FloatTensor) -> torch.FloatTensor:
        vocab = scores.shape[-1]
        ignore = self.prompt_ignore_length
        if isinstance(ignore, int):
            input_ids = input_ids[:, ignore:]
        elif isinstance(ignore, torch.Tensor):
            if input_ids.shape[0] != ignore.shape[0]:
                raise ValueError(
                    f"prompt_ignore_length has {ignore.shape[0]} rows but input_ids has {input_ids.shape[0]}."
                )
            positions = torch.arange(input_ids.shape[1], device=input_ids.device)
            # Ignored positions point at an extra column that is cut off below.
            input_ids = input_ids.masked_fill(positions[None, :] < ignore.to(input_ids.device)[:, None], vocab)
        ids = input_ids.clamp(max=vocab)
        padded = torch.nn.functional.pad(scores, (0, 1))  # (batch, vocab + 1)
        seen = torch.gather(padded, 1, ids)
        seen = torch.where(seen < 0, seen * self.penalty, seen / self.penalty)
        return padded.scatter(1, ids, seen)[..., :vocab]


class TopKLogitsWarper(LogitsProcessor):
    """Keep the ``top_k`` highest scores (ties included), set the rest to ``filter_value``."""

    def __init__(self, top_k: int, filter_value: float = -float("inf"), min_tokens_to_keep: int = 1) -> None:
        if not isinstance(top_k, int) or top_k <= 0:
            raise ConfigError(_FLOAT_ERR.format(name="top_k", what="a strictly positive integer", value=top_k))
        self.top_k = max(top_k, min_tokens_to_keep)
        self.filter_value = filter_value
        self.min_tokens_to_keep = min_tokens_to_keep

    def __call__(self, input_ids: torch.LongTensor, scores: torch.FloatTensor) -> torch.FloatTensor:
        k = min(self.top_k, scores.shape[-1])
        kth = torch.topk(scores, k)[0][..., -1, None]
        return scores.masked_fill(scores < kth, self.filter_value)


class TopPLogitsWarper(LogitsProcessor):
    """Nucleus sampling: keep the smallest set of tokens whose probability adds up to ``top_p``."""

    def __init__(self, top_p: float, filter_value: float = -float("inf"), min_tokens_to_keep: int = 1) -> None:
        top_p = float(top_p)
        if not 0 <= top_p <= 1.0:
            raise ConfigError(_FLOAT_ERR.format(name="top_p", what="a float in [0, 1]", value=top_p))
        self.top_p = top_p
        self.filter_value = filter_value
        self.min_tokens_to_keep = _check_min_tokens(min_tokens_to_keep)

    def __call__(self, input_ids: torch.LongTensor, scores: torch.FloatTensor) -> torch.FloatTensor:
        # Ascending order: the mass of the tail that can go is at most 1 - top_p.
        sorted_logits, order = torch.sort(scores, descending=False)
        tail_mass = sorted_logits.softmax(dim=-1).cumsum(dim=-1)
        drop_sorted = tail_mass <= 1 - self.top_p
        drop_sorted[..., -self.min_tokens_to_keep:] = False
        drop = drop_sorted.scatter(1, order, drop_sorted)
        return scores.masked_fill(drop, self.filter_value)


class MinPLogitsWarper(LogitsProcessor):
    """Drop tokens whose probability is below ``min_p`` times the top token's probability."""

    def __init__(self, min_p: float, filter_value: float = -float("inf"), min_tokens_to_keep: int = 1) -> None:
        if not 0 <= min_p <= 1.0:
            raise ConfigError(_FLOAT_ERR.format(name="min_p", what="a float in [0, 1]", value=min_p))
        self.min_p = min_p
        self.filter_value = filter_value
        self.min_tokens_to_keep = _check_min_tokens(min_tokens_to_keep)

    def __call__(self, input_ids: torch.LongTensor, scores: torch.FloatTensor) -> torch.FloatTensor:
        probs = torch.softmax(scores, dim=-1)
        drop = probs < self.min_p * probs.amax(dim=-1, keepdim=True)
        keep = torch.topk(probs, min(self.min_tokens_to_keep, probs.shape[-1]), dim=-1).indices
        drop.scatter_(-1, keep, False)
        return scores.masked_fill(drop, self.filter_value)


class TypicalLogitsWarper(LogitsProcessor):
    """Locally typical sampling: keep the tokens whose surprise is closest to the entropy, up to ``mass``."""

    def __init__(self, mass: float = 0.9, filter_value: float = -float("inf"), min_tokens_to_keep: int = 1) -> None:
        mass = float(mass)
        if not 0 < mass < 1:
            raise ConfigError(_FLOAT_ERR.format(name="typical_p", what="a float in (0, 1)", value=mass))
        self.mass = mass
        self.filter_value = filter_value
        self.min_tokens_to_keep = _check_min_tokens(min_tokens_to_keep)

    def __call__(self, input_ids: torch.LongTensor, scores: torch.FloatTensor) -> torch.FloatTensor:
        log_probs = torch.nn.functional.log_softmax(scores, dim=-1)
        entropy = -(log_probs * log_probs.exp()).nansum(-1, keepdim=True)
        distance = torch.abs(-log_probs - entropy)
        sorted_distance, order = torch.sort(distance, descending=False)
        mass = scores.gather(-1, order).softmax(dim=-1).cumsum(dim=-1)
        last = (mass < self.mass).sum(dim=1).clamp_(max=sorted_distance.shape[-1] - 1)
        drop_sorted = sorted_distance > sorted_distance.gather(1, last.view(-1, 1))
        drop_sorted[..., : self.min_tokens_to_keep] = False
        drop = drop_sorted.scatter(1, order, drop_sorted)
        return scores.masked_fill(drop, self.filter_value)


class EpsilonLogitsWarper(LogitsProcessor):
    """Drop tokens with probability below ``epsilon`` (keeping at least ``min_tokens_to_keep``)."""

    def __init__(self, epsilon: float, filter_value: float = -float("inf"), min_tokens_to_keep: int = 1) -> None:
        epsilon = float(epsilon)
        if not 0 < epsilon < 1:
            raise ConfigError(_FLOAT_ERR.format(name="epsilon_cutoff", what="a float in (0, 1)", value=epsilon))
        self.epsilon = epsilon
        self.filter_value = filter_value
        self.min_tokens_to_keep = _check_min_tokens(int(min_tokens_to_keep))

    def __call__(self, input_ids: torch.LongTensor, scores: torch.FloatTensor) -> torch.FloatTensor:
        drop = scores.softmax(dim=-1) < self.epsilon
        return scores.masked_fill(drop & _below_top_k(scores, self.min_tokens_to_keep), self.filter_value)


class EtaLogitsWarper(LogitsProcessor):
    """Eta sampling: the cutoff is ``min(eta, sqrt(eta) * exp(-entropy))``."""

    def __init__(self, epsilon: float, filter_value: float = -float("inf"), min_tokens_to_keep: int = 1,
                 device: str = "cpu") -> None:
        epsilon = float(epsilon)
        if not 0 < epsilon < 1:
            raise ConfigError(_FLOAT_ERR.format(name="eta_cutoff", what="a float in (0, 1)", value=epsilon))
        self.epsilon = torch.tensor(epsilon, device=device)
        self.filter_value = filter_value
        self.min_tokens_to_keep = _check_min_tokens(int(min_tokens_to_keep))

    def __call__(self, input_ids: torch.LongTensor, scores: torch.FloatTensor) -> torch.FloatTensor:
        entropy = torch.distributions.Categorical(logits=scores).entropy()
        eta = torch.min(self.epsilon, torch.sqrt(self.epsilon) * torch.exp(-entropy))[..., None]
        drop = scores.softmax(dim=-1) < eta
        return scores.masked_fill(drop & _below_top_k(scores, self.min_tokens_to_keep), self.filter_value)


def _below_top_k(scores: torch.Tensor, k: int) -> torch.Tensor:
    """Mask of scores strictly below the k-th highest (those may be filtered)."""
    return scores < torch.topk(scores, min(k, scores.shape[-1]))[0][..., -1, None]


class NoRepeatNGramLogitsProcessor(LogitsProcessor):
    """Ban every token that would repeat an n-gram of size ``ngram_size`` already in the row."""

    def __init__(self, ngram_size: int) -> None:
        if not isinstance(ngram_size, int) or ngram_size <= 0:
            raise ConfigError(_FLOAT_ERR.format(name="ngram_size", what="a strictly positive integer", value=ngram_size))
        self.ngram_size = ngram_size

    def __call__(self, input_ids: torch.LongTensor, scores: torch.FloatTensor) -> torch.FloatTensor:
        n = self.ngram_size
        length = input_ids.shape[-1]
        if length < n:
            return scores
        prefix = input_ids[:, length + 1 - n:]  # (batch, n - 1): the n-gram being started now
        windows = input_ids.unfold(1, n, 1)  # (batch, windows, n)
        matches = (windows[..., :-1] == prefix.unsqueeze(1)).all(dim=-1)
        vocab = scores.shape[-1]
        banned = scores.new_zeros((scores.shape[0], vocab + 1), dtype=torch.bool)
        banned.scatter_(1, torch.where(matches, windows[..., -1].clamp(max=vocab), vocab), True)
        return scores.masked_fill(banned[:, :vocab], -float("inf"))


class EncoderNoRepeatNGramLogitsProcessor(LogitsProcessor):
    """Ban every token that would copy an n-gram of size ``encoder_ngram_size`` from the encoder input.

    Row ``i`` of the (beam-expanded) batch is checked against encoder row ``i // num_beams``.

    Example:
        >>> import torch
        >>> proc = EncoderNoRepeatNGramLogitsProcessor(2, torch.tensor([[4, 5, 6]]))
        >>> proc(torch.tensor([[2, 5]]), torch.zeros(1, 8))[0].tolist()
        [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, -inf, 0.0]
    """

    def __init__(self, encoder_ngram_size: int, encoder_input_ids: torch.LongTensor) -> None:
        if not isinstance(encoder_ngram_size, int) or encoder_ngram_size <= 0:
            raise ConfigError(
                _FLOAT_ERR.format(name="encoder_ngram_size", what="a strictly positive integer", value=encoder_ngram_size)
            )
        self.ngram_size = encoder_ngram_size
        if encoder_input_ids.dim() == 1:
            encoder_input_ids = encoder_input_ids.unsqueeze(0)
        self.batch_size = encoder_input_ids.shape[0]
        # (batch, windows, n): every n-gram of the encoder input (none when it is shorter than n).
        if encoder_input_ids.shape[1] >= encoder_ngram_size:
            self.encoder_ngrams = encoder_input_ids.unfold(1, encoder_ngram_size, 1)
        else:
            self.encoder_ngrams = encoder_input_ids.new_zeros((self.batch_size, 0, encoder_ngram_size))

    def __call__(self, input_ids: torch.LongTensor, scores: torch.FloatTensor) -> torch.FloatTensor:
        n = self.ngram_size
        length = input_ids.shape[-1]
        if length < n - 1 or self.encoder_ngrams.shape[1] == 0:
            return scores
        num_beams = scores.shape[0] // self.batch_size
        ngrams = self.encoder_ngrams.to(input_ids.device).repeat_interleave(num_beams, dim=0)  # (hypos, windows, n)
        prefix = input_ids[:, length + 1 - n:]  # (hypos, n - 1)
        matches = (ngrams[..., :-1] == prefix.unsqueeze(1)).all(dim=-1)  # (hypos, windows)
        vocab = scores.shape[-1]
        banned = scores.new_zeros((scores.shape[0], vocab + 1), dtype=torch.bool)
        banned.scatter_(1, torch.where(matches, ngrams[..., -1].clamp(max=vocab), vocab), True)
        return scores.masked_fill(banned[:, :vocab], -float("inf"))


class SequenceBiasLogitsProcessor(LogitsProcessor):
    """Add a bias to a token when the tokens before it end the row with the given prefix.

    ``sequence_bias`` is ``{(ids...): bias}`` or ``[[[ids...], bias], ...]``.

    Example:
        >>> import torch
        >>> SequenceBiasLogitsProcessor([[[1], -2.0]])(torch.tensor([[0]]), torch.zeros(1, 3))
        tensor([[ 0., -2.,  0.]])
    """

    def __init__(self, sequence_bias: Any) -> None:
        self.sequence_bias = sequence_bias
        self._validate_arguments()
        if isinstance(self.sequence_bias, list):
            self.sequence_bias = {tuple(ids): bias for ids, bias in self.sequence_bias}
        self._single: torch.Tensor | None = None
        self._groups: list[tuple[torch.Tensor, torch.Tensor, torch.Tensor]] = []

    def _validate_arguments(self) -> None:
        bias = self.sequence_bias

        def good_ids(ids: Any) -> bool:
            return len(ids) > 0 and all(isinstance(t, int) and not isinstance(t, bool) and t >= 0 for t in ids)

        ok = isinstance(bias, (dict, list)) and len(bias) > 0
        if ok and isinstance(bias, dict):
            ok = all(isinstance(k, tuple) and good_ids(k) and isinstance(v, float) for k, v in bias.items())
        elif ok:
            ok = all(isinstance(e, (list, tuple)) and len(e) == 2 and isinstance(e[0], list) and good_ids(e[0])
                     and isinstance(e[1], float) for e in bias)
        if not ok:
            raise ConfigError(
                "`sequence_bias` has to be a non-empty dict {tuple of token ids: float bias} or a non-empty list "
                f"[[list of token ids, float bias], ...] with non-negative ids, but is {bias!r}."
            )

    def _prepare(self, scores: torch.Tensor) -> None:
        vocab = scores.shape[-1]
        too_big = [t for ids in self.sequence_bias for t in ids if t >= vocab]
        if too_big:
            raise ValueError(f"The model vocabulary size is {vocab}, but these biased token ids are outside it: {too_big}.")
        self._single = torch.zeros(vocab, dtype=torch.float, device=scores.device)
        singles = [(ids[0], b) for ids, b in self.sequence_bias.items() if len(ids) == 1]
        if singles:
            self._single[[i for i, _ in singles]] = torch.tensor([b for _, b in singles], device=scores.device)
        by_length: dict[int, list[tuple[tuple[int, ...], float]]] = {}
        for ids, b in self.sequence_bias.items():
            if len(ids) > 1:
                by_length.setdefault(len(ids) - 1, []).append((ids, b))
        self._groups = [
            (torch.tensor([ids[:-1] for ids, _ in group], device=scores.device),  # (n, prefix)
             torch.tensor([ids[-1] for ids, _ in group], device=scores.device),  # (n,)
             torch.tensor([b for _, b in group], dtype=torch.float, device=scores.device))
            for group in by_length.values()
        ]

    def __call__(self, input_ids: torch.LongTensor, scores: torch.FloatTensor) -> torch.FloatTensor:
        if self._single is None:
            self._prepare(scores)
        bias = torch.zeros_like(scores) + self._single
        for prefixes, last, values in self._groups:
            if prefixes.shape[1] > input_ids.shape[1]:
                continue
            hit = (input_ids[:, None, -prefixes.shape[1]:] == prefixes).all(dim=-1)  # (batch, n)
            bias.index_add_(1, last, torch.where(hit, values, 0.0).to(bias.dtype))
        return scores + bias


class NoBadWordsLogitsProcessor(SequenceBiasLogitsProcessor):
    """Ban token sequences: their last token gets ``-inf`` after the rest of the sequence.

    Single-token entries equal to an end-of-sequence id are ignored, so generation can still stop.
    """

    def __init__(self, bad_words_ids: list[list[int]], eos_token_id: int | list[int] | torch.Tensor | None = None) -> None:
        ok = isinstance(bad_words_ids, list) and len(bad_words_ids) > 0 and all(
            isinstance(ids, list) and all(isinstance(t, int) and t >= 0 for t in ids) for ids in bad_words_ids
        )
        if not ok:
            raise ConfigError(
                f"`bad_words_ids` has to be a non-empty list of lists of non-negative token ids, but is {bad_words_ids!r}."
            )
        self.bad_word_ids = bad_words_ids
        if eos_token_id is not None:
            eos = _eos_tensor(eos_token_id).tolist()
            bad_words_ids = [ids for ids in bad_words_ids if all(ids != [e] for e in eos)]
        super().__init__({tuple(ids): float("-inf") for ids in bad_words_ids})


class ForcedBOSTokenLogitsProcessor(LogitsProcessor):
    """Force ``bos_token_id`` as the first generated token (when the sequence has length 1)."""

    def __init__(self, bos_token_id: int) -> None:
        self.bos_token_id = bos_token_id

    def __call__(self, input_ids: torch.LongTensor, scores: torch.FloatTensor) -> torch.FloatTensor:
        if input_ids.shape[-1] != 1:
            return scores
        forced = torch.full_like(scores, -math.inf)
        forced[:, self.bos_token_id] = 0
        return forced


class ForcedEOSTokenLogitsProcessor(LogitsProcessor):
    """Force an end-of-sequence token as the last token before ``max_length``."""

    def __init__(self, max_length: int, eos_token_id: int | list[int] | torch.Tensor, device: str = "cpu") -> None:
        self.max_length = max_length
        self.eos_token_id = _eos_tensor(eos_token_id, device)
        if torch.is_floating_point(self.eos_token_id) or (self.eos_token_id < 0).any():
            raise ConfigError(f"`eos_token_id` has to be a list of non-negative integers, but is {eos_token_id!r}.")

    def __call__(self, input_ids: torch.LongTensor, scores: torch.FloatTensor) -> torch.FloatTensor:
        if input_ids.shape[-1] != self.max_length - 1:
            return scores
        forced = torch.full_like(scores, -math.inf)
        forced[:, self.eos_token_id] = 0
        return forced


class InfNanRemoveLogitsProcessor(LogitsProcessor):
    """Replace ``nan`` by 0 and ``±inf`` by the dtype's extreme finite values."""

    def __call__(self, input_ids: torch.LongTensor, scores: torch.FloatTensor) -> torch.FloatTensor:
        out = torch.where(scores != scores, 0.0, scores)
        out = torch.where(scores == float("inf"), torch.finfo(scores.dtype).max, out)
        return torch.where(scores == -float("inf"), torch.finfo(scores.dtype).min, out)


class ExponentialDecayLengthPenalty(LogitsProcessor):
    """After ``start`` new tokens, raise the end-of-sequence scores by ``factor ** (steps past start)``.

    ``exponential_decay_length_penalty`` is ``(start, factor)``.
    """

    def __init__(self, exponential_decay_length_penalty: tuple[int, float], eos_token_id: int | list[int] | torch.Tensor,
                 input_ids_seq_length: int) -> None:
        self.regulation_start = exponential_decay_length_penalty[0] + input_ids_seq_length
        self.regulation_factor = exponential_decay_length_penalty[1]
        self.eos_token_id = _eos_tensor(eos_token_id)
        if torch.is_floating_point(self.eos_token_id) or (self.eos_token_id < 0).any():
            raise ConfigError(f"`eos_token_id` has to be a list of non-negative integers, but is {eos_token_id!r}.")

    def __call__(self, input_ids: torch.LongTensor, scores: torch.FloatTensor) -> torch.FloatTensor:
        length = input_ids.shape[-1]
        if length <= self.regulation_start:
            return scores
        eos = self.eos_token_id.to(scores.device)
        eos_scores = scores[:, eos]
        penalty = torch.abs(eos_scores) * (pow(self.regulation_factor, length - self.regulation_start) - 1)
        penalties = torch.zeros_like(scores)
        penalties[:, eos] = penalty.masked_fill(~torch.isfinite(eos_scores), 0.0)
        return scores + penalties


class HammingDiversityLogitsProcessor(LogitsProcessor):
    """Group beam search: lower each token's score by ``diversity_penalty`` times the number of
    beams of earlier groups that chose it at this step (Hamming diversity, arXiv:1610.02424).

    Called with ``current_tokens`` (``(batch * num_beams,)``, this step's tokens of the groups
    done so far) and ``beam_group_idx``; ``scores`` are the current group's rows.

    Example:
        >>> import torch
        >>> processor = HammingDiversityLogitsProcessor(1.5, num_beams=2, num_beam_groups=2)
        >>> processor(torch.tensor([[0]]), torch.zeros(1, 3), current_tokens=torch.tensor([2, 0]), beam_group_idx=1)
        tensor([[ 0.0000,  0.0000, -1.5000]])
    """

    def __init__(self, diversity_penalty: float, num_beams: int, num_beam_groups: int) -> None:
        if not isinstance(diversity_penalty, float) or not diversity_penalty > 0.0:
            raise ConfigError("`diversity_penalty` should be a float strictly larger than 0.")
        if not isinstance(num_beams, int) or num_beams < 2:
            raise ConfigError("`num_beams` should be an integer strictly larger than 1.")
        if not isinstance(num_beam_groups, int) or num_beam_groups < 2:
            raise ConfigError("`num_beam_groups` should be an integer strictly larger than 1.")
        if num_beam_groups > num_beams:
            raise ConfigError("`beam_groups` has to be smaller or equal to `num_beams`.")
        self._diversity_penalty = diversity_penalty
        self._num_beams = num_beams
        self._num_sub_beams = num_beams // num_beam_groups

    def __call__(self, input_ids: torch.LongTensor, scores: torch.FloatTensor, current_tokens: torch.LongTensor,
                 beam_group_idx: int) -> torch.FloatTensor:
        start = beam_group_idx * self._num_sub_beams
        if start == 0:
            return scores
        group_size = min(start + self._num_sub_beams, self._num_beams) - start
        vocab = scores.shape[-1]
        # (batch, start): the tokens earlier groups picked for each prompt -> (batch, vocab) counts
        earlier = current_tokens.view(-1, self._num_beams)[:, :start]
        counts = torch.zeros((earlier.shape[0], vocab), dtype=scores.dtype, device=scores.device)
        counts.scatter_add_(1, earlier.to(scores.device), torch.ones_like(earlier, dtype=scores.dtype, device=scores.device))
        return scores - self._diversity_penalty * counts.repeat_interleave(group_size, dim=0)


class LogitNormalization(LogitsProcessor):
    """Turn the scores into log-probabilities (``renormalize_logits=True``), applied last."""

    def __call__(self, input_ids: torch.LongTensor, scores: torch.FloatTensor) -> torch.FloatTensor:
        return scores.log_softmax(dim=-1)


class SuppressTokensAtBeginLogitsProcessor(LogitsProcessor):
    """Ban ``begin_suppress_tokens`` at the step where the sequence length equals ``begin_index``."""

    def __init__(self, begin_suppress_tokens: Any, begin_index: int, device: str = "cpu") -> None:
        self.begin_suppress_tokens = torch.tensor(list(begin_suppress_tokens), device=device)
        self.begin_index = begin_index

    def set_begin_index(self, begin_index: int) -> None:
        self.begin_index = begin_index

    def __call__(self, input_ids: torch.LongTensor, scores: torch.FloatTensor) -> torch.FloatTensor:
        if input_ids.shape[-1] != self.begin_index:
            return scores
        return torch.where(_eos_mask(scores, self.begin_suppress_tokens), -float("inf"), scores)


class SuppressTokensLogitsProcessor(LogitsProcessor):
    """Ban ``suppress_tokens`` at every step."""

    def __init__(self, suppress_tokens: Any, device: str = "cpu") -> None:
        self.suppress_tokens = torch.tensor(list(suppress_tokens), device=device)

    def __call__(self, input_ids: torch.LongTensor, scores: torch.FloatTensor) -> torch.FloatTensor:
        return torch.where(_eos_mask(scores, self.suppress_tokens), -float("inf"), scores)


__all__ = [
    "LogitsProcessor", "LogitsProcessorList", "MinLengthLogitsProcessor", "MinNewTokensLengthLogitsProcessor",
    "TemperatureLogitsWarper", "RepetitionPenaltyLogitsProcessor", "TopKLogitsWarper", "TopPLogitsWarper",
    "MinPLogitsWarper", "TypicalLogitsWarper", "EpsilonLogitsWarper", "EtaLogitsWarper",
    "NoRepeatNGramLogitsProcessor", "EncoderNoRepeatNGramLogitsProcessor", "SequenceBiasLogitsProcessor",
    "NoBadWordsLogitsProcessor", "ForcedBOSTokenLogitsProcessor", "ForcedEOSTokenLogitsProcessor", "InfNanRemoveLogitsProcessor",
    "ExponentialDecayLengthPenalty", "LogitNormalization", "SuppressTokensAtBeginLogitsProcessor",
    "SuppressTokensLogitsProcessor", "HammingDiversityLogitsProcessor",
]
