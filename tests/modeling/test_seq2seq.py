"""The shared encoder-decoder helpers and position codes match what each reference family does."""

from __future__ import annotations

import pytest
import torch
from transformers.models.bart import modeling_bart
from transformers.models.encoder_decoder import modeling_encoder_decoder
from transformers.models.marian.modeling_marian import MarianSinusoidalPositionalEmbedding
from transformers.models.t5.modeling_t5 import T5Attention

from embrace.errors import ConfigError
from embrace.modeling import seq2seq
from embrace.modeling.cache import DynamicCache, EncoderDecoderCache
from embrace.modeling.outputs import BaseModelOutput
from embrace.modeling.positions import SinusoidalPositionalEmbedding, relative_position_bucket, sinusoidal_table

LABELS = torch.tensor([[5, 6, 7, -100, -100], [8, 9, 10, 11, 2]])


@pytest.mark.parametrize("reference", [modeling_bart.shift_tokens_right, modeling_encoder_decoder.shift_tokens_right])
@pytest.mark.parametrize("pad, start", [(1, 2), (0, 0)])
def test_shift_tokens_right_matches_reference(reference, pad, start):
    assert torch.equal(seq2seq.shift_tokens_right(LABELS, pad, start), reference(LABELS, pad, start))


def test_shift_tokens_right_needs_pad_and_start_ids():
    with pytest.raises(ConfigError, match="decoder_start_token_id"):
        seq2seq.shift_tokens_right(LABELS, 0, None)
    with pytest.raises(ConfigError, match="pad_token_id"):
        seq2seq.shift_tokens_right(LABELS, None, 0)


def test_check_labels_refuses_floats_and_wrong_rank():
    seq2seq.check_labels(LABELS)
    with pytest.raises(TypeError, match="integer tensor"):
        seq2seq.check_labels(LABELS.float())
    with pytest.raises(TypeError, match="list"):
        seq2seq.check_labels([[1, 2]])
    with pytest.raises(ValueError, match="shape"):
        seq2seq.check_labels(LABELS[0])


def test_encoder_outputs_from_tuple_and_fields():
    hidden, layers = torch.randn(2, 3, 4), (torch.randn(2, 3, 4),)
    out = seq2seq.as_encoder_output((hidden, layers))
    assert out.last_hidden_state is hidden and out.hidden_states is layers and out.attentions is None
    given = BaseModelOutput(last_hidden_state=hidden)
    assert seq2seq.as_encoder_output(given) is given
    decoder = BaseModelOutput(last_hidden_state=torch.zeros(1), attentions=(torch.ones(1),))
    fields = seq2seq.seq2seq_fields(out, decoder)
    assert fields["encoder_last_hidden_state"] is hidden and fields["encoder_hidden_states"] is layers
    assert fields["decoder_attentions"] is decoder.attentions and fields["past_key_values"] is None
    assert seq2seq.body_fields(decoder) == {"attentions": decoder.attentions}


def test_last_eos_states_picks_the_last_eos_and_checks_counts():
    states = torch.arange(2 * 4 * 3, dtype=torch.float).view(2, 4, 3)
    ids = torch.tensor([[2, 5, 2, 1], [4, 2, 6, 2]])
    assert torch.equal(seq2seq.last_eos_states(states, ids, 2), torch.stack([states[0, 2], states[1, 3]]))
    with pytest.raises(ValueError, match="same number of <eos>"):
        seq2seq.last_eos_states(states, torch.tensor([[2, 5, 2, 1], [4, 5, 6, 2]]), 2)
    with pytest.raises(ValueError, match="at least one"):
        seq2seq.last_eos_states(states, torch.ones(2, 4, dtype=torch.long), 2)


def test_cached_key_value_grows_self_attention_and_projects_cross_attention_once():
    cache = seq2seq.new_decoder_cache(None, cross_attention=True)
    assert isinstance(cache, EncoderDecoderCache)
    assert isinstance(seq2seq.new_decoder_cache(None, cross_attention=False), DynamicCache)
    step, encoder = torch.randn(1, 2, 1, 4), torch.randn(1, 2, 5, 4)
    calls = []

    def project(tensor):
        calls.append(tensor.shape[2])
        return tensor, tensor

    for _ in range(3):
        key, _ = seq2seq.cached_key_value(cache, 0, cross=False, project=lambda: project(step))
        cross_key, _ = seq2seq.cached_key_value(cache, 0, cross=True, project=lambda: project(encoder))
    assert key.shape[2] == 3 and cross_key.shape[2] == 5
    assert calls == [1, 5, 1, 1]  # the encoder keys/values were projected at the first step only


@pytest.mark.parametrize("num_positions, dim", [(12, 8), (7, 5)])
def test_sinusoidal_positions_match_reference(num_positions, dim):
    reference = MarianSinusoidalPositionalEmbedding(num_positions, dim).create_weight()
    assert torch.equal(sinusoidal_table(num_positions, dim), reference)
    embedding = SinusoidalPositionalEmbedding(num_positions, dim)
    assert not embedding.weight.requires_grad
    assert torch.equal(embedding(3, past_length=2)[0], reference[2:5])


@pytest.mark.parametrize("bidirectional", [True, False])
def test_relative_position_bucket_matches_reference(bidirectional):
    distances = torch.arange(-60, 61)[None, :] - torch.arange(0, 3)[:, None]
    expected = T5Attention._relative_position_bucket(distances, bidirectional, num_buckets=16, max_distance=40)
    assert torch.equal(relative_position_bucket(distances, bidirectional, 16, 40), expected)
