"""KV caches: growth, legacy tuple conversion, beam reordering, cropping, bad input."""

from __future__ import annotations

import pytest
import torch

from embrace.modeling.cache import DynamicCache, EncoderDecoderCache, cache_from_legacy


def kv(seq: int, batch: int = 2, fill: float = 0.0) -> torch.Tensor:
    return torch.full((batch, 3, seq, 4), fill)


def test_dynamic_cache_grows_per_layer_and_round_trips_legacy():
    cache = DynamicCache()
    cache.update(kv(2), kv(2), 0)
    keys, values = cache.update(kv(1, fill=1.0), kv(1, fill=1.0), 0)
    cache.update(kv(3), kv(3), 1)
    assert keys.shape == (2, 3, 3, 4) and keys[:, :, 2].eq(1).all()
    assert cache.get_seq_length() == 3 and cache.get_seq_length(1) == 3 and cache.get_seq_length(5) == 0
    legacy = cache.to_legacy_cache()
    again = DynamicCache.from_legacy_cache(legacy)
    assert len(again) == 2 and torch.equal(again.layers[0].keys, keys)
    assert cache.get_mask_sizes(4, 0) == (7, 0)


def test_config_pre_creates_layers_like_reference():
    from embrace.models.bert import BertConfig

    cache = DynamicCache(config=BertConfig(num_hidden_layers=3))
    assert len(cache) == 3 and cache.get_seq_length() == 0


def test_crop_reorder_select():
    cache = DynamicCache()
    keys = torch.arange(2 * 5, dtype=torch.float32).view(2, 1, 5, 1)
    cache.update(keys, keys.clone(), 0)
    cache.crop(-2)
    assert cache.get_seq_length() == 3
    with pytest.raises(ValueError, match="negative"):
        cache.crop(2)
    cache.reorder_cache(torch.tensor([1, 0]))
    assert cache.layers[0].keys[0, 0, 0, 0] == 5
    cache.batch_repeat_interleave(2)
    assert cache.layers[0].keys.shape[0] == 4
    cache.batch_select_indices(torch.tensor([0]))
    assert cache.layers[0].keys.shape[0] == 1


def test_encoder_decoder_cache_and_legacy_form():
    cache = EncoderDecoderCache(DynamicCache(), DynamicCache())
    cache.self_attention_cache.update(kv(2), kv(2), 0)
    cache.cross_attention_cache.update(kv(5), kv(5), 0)
    cache.is_updated[0] = True
    legacy = cache.to_legacy_cache()
    assert len(legacy[0]) == 4 and legacy[0][2].shape[2] == 5
    rebuilt = cache_from_legacy(legacy)
    assert isinstance(rebuilt, EncoderDecoderCache) and rebuilt.is_updated == {0: True}
    assert rebuilt.get_seq_length() == 2 and rebuilt.cross_attention_cache.get_seq_length() == 5
    with pytest.raises(TypeError, match="Cache"):
        EncoderDecoderCache(DynamicCache(), ((kv(1), kv(1)),))


def test_cache_from_legacy_rejects_other_types():
    assert cache_from_legacy(None) is None
    with pytest.raises(TypeError, match="past_key_values"):
        cache_from_legacy(torch.zeros(2))
