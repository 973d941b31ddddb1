"""Logits processors, stopping criteria and streamers vs the reference classes on random inputs."""

from __future__ import annotations

import threading

import pytest
import torch
import transformers

from embrace.errors import ConfigError
from embrace.generation import logits_process as ours_lp
from embrace.generation import stopping_criteria as ours_sc
from embrace.generation.streamers import TextIteratorStreamer, TextStreamer

VOCAB = 50

# (class name, constructor args) — the same arguments go to our class and the reference's.
_PROCESSORS = [
    ("MinLengthLogitsProcessor", (9, 3)),
    ("MinLengthLogitsProcessor", (4, [3, 7])),
    ("MinNewTokensLengthLogitsProcessor", (3, 4, [3, 7])),
    ("TemperatureLogitsWarper", (0.7,)),
    ("RepetitionPenaltyLogitsProcessor", (1.3,)),
    ("RepetitionPenaltyLogitsProcessor", (0.8, 2)),
    ("RepetitionPenaltyLogitsProcessor", (1.6, torch.tensor([0, 1, 3, 2]))),
    ("TopKLogitsWarper", (5,)),
    ("TopKLogitsWarper", (1, -10.0, 3)),
    ("TopPLogitsWarper", (0.8,)),
    ("TopPLogitsWarper", (0.3, -float("inf"), 4)),
    ("MinPLogitsWarper", (0.1,)),
    ("MinPLogitsWarper", (0.5, -float("inf"), 3)),
    ("TypicalLogitsWarper", (0.9,)),
    ("TypicalLogitsWarper", (0.5, -5.0, 2)),
    ("EpsilonLogitsWarper", (0.03,)),
    ("EtaLogitsWarper", (0.05, -float("inf"), 2)),
    ("NoRepeatNGramLogitsProcessor", (2,)),
    ("NoRepeatNGramLogitsProcessor", (3,)),
    ("SequenceBiasLogitsProcessor", ({(4,): 1.5, (9, 10): -2.0, (1, 2, 3): 4.0},)),
    ("SequenceBiasLogitsProcessor", ([[[5], 0.5], [[6, 7], -1.0]],)),
    ("NoBadWordsLogitsProcessor", ([[4], [3], [9, 10], [1, 2, 11]], 3)),
    ("ForcedBOSTokenLogitsProcessor", (8,)),
    ("ForcedEOSTokenLogitsProcessor", (7, [3, 4])),
    ("InfNanRemoveLogitsProcessor", ()),
    ("ExponentialDecayLengthPenalty", ((2, 1.4), [3, 5], 3)),
    ("LogitNormalization", ()),
    ("SuppressTokensAtBeginLogitsProcessor", ([1, 4], 6)),
    ("SuppressTokensLogitsProcessor", ([1, 4, 49],)),
]


def _inputs(length: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    generator = torch.Generator().manual_seed(seed)
    ids = torch.randint(0, 12, (4, length), generator=generator)  # small ids so n-grams and biases repeat
    scores = torch.randn(4, VOCAB, generator=generator) * 3
    scores[0, 5] = float("inf")
    scores[1, 6] = float("nan")
    scores[2, 7] = -float("inf")
    return ids, scores


@pytest.mark.parametrize("name, args", _PROCESSORS, ids=[f"{n}-{i}" for i, (n, _) in enumerate(_PROCESSORS)])
@pytest.mark.parametrize("length", [1, 6, 7])
def test_processor_equals_reference(name, args, length):
    ours = getattr(ours_lp, name)(*args)
    ref = getattr(transformers, name)(*args)
    for seed in range(3):
        ids, scores = _inputs(length, seed)
        if name != "InfNanRemoveLogitsProcessor":
            scores = torch.nan_to_num(scores, nan=0.0)  # nan only makes sense for the processor that removes it
        expected = ref(ids.clone(), scores.clone())
        got = ours(ids.clone(), scores.clone())
        torch.testing.assert_close(got, expected, rtol=0, atol=0, equal_nan=True)


def test_processor_list_passes_extra_kwargs_and_reports_missing():
    class NeedsStep:
        def __call__(self, input_ids, scores, step):
            return scores + step

    ids, scores = _inputs(3, 0)
    processors = ours_lp.LogitsProcessorList([ours_lp.TemperatureLogitsWarper(2.0), NeedsStep()])
    torch.testing.assert_close(processors(ids, scores, step=1.0), scores / 2.0 + 1.0, equal_nan=True)
    with pytest.raises(TypeError, match="step"):
        processors(ids, scores)


@pytest.mark.parametrize("name, args", [
    ("TemperatureLogitsWarper", (0.0,)),
    ("TemperatureLogitsWarper", (1,)),
    ("TopKLogitsWarper", (0,)),
    ("TopPLogitsWarper", (1.5,)),
    ("TypicalLogitsWarper", (1.0,)),
    ("EpsilonLogitsWarper", (0.0,)),
    ("RepetitionPenaltyLogitsProcessor", (-1.0,)),
    ("NoRepeatNGramLogitsProcessor", (0,)),
    ("SequenceBiasLogitsProcessor", ({(1,): 1},)),
    ("NoBadWordsLogitsProcessor", ([[-1]],)),
    ("MinLengthLogitsProcessor", (-1, 2)),
])
def test_bad_processor_arguments_raise_like_reference(name, args):
    with pytest.raises(ConfigError):
        getattr(ours_lp, name)(*args)
    with pytest.raises(ValueError):
        getattr(transformers, name)(*args)


def test_sequence_bias_outside_vocabulary_raises():
    processor = ours_lp.SequenceBiasLogitsProcessor({(VOCAB + 3,): 1.0})
    with pytest.raises(ValueError, match="vocabulary size"):
        processor(torch.tensor([[1]]), torch.zeros(1, VOCAB))


def test_stopping_criteria_equal_reference():
    ids = torch.tensor([[1, 2, 3], [4, 5, 9], [7, 8, 2]])
    pairs = [
        (ours_sc.MaxLengthCriteria(3), transformers.MaxLengthCriteria(3)),
        (ours_sc.MaxLengthCriteria(4, 2), transformers.MaxLengthCriteria(4, 2)),
        (ours_sc.EosTokenCriteria([2, 9]), transformers.EosTokenCriteria([2, 9])),
        (ours_sc.EosTokenCriteria(3), transformers.EosTokenCriteria(3)),
        (ours_sc.MaxTimeCriteria(1000.0), transformers.MaxTimeCriteria(1000.0)),
        (ours_sc.MaxTimeCriteria(0.5, initial_timestamp=0.0), transformers.MaxTimeCriteria(0.5, initial_timestamp=0.0)),
    ]
    for ours, ref in pairs:
        assert torch.equal(ours(ids, None), ref(ids, None))
    ours_list = ours_sc.StoppingCriteriaList([ours_sc.MaxLengthCriteria(9), ours_sc.EosTokenCriteria(9)])
    assert ours_list(ids, None).tolist() == [False, True, False]
    assert ours_list.max_length == 9


class _Chars:
    """A tokenizer whose token i is the character chr(i) (and 0 decodes to nothing)."""

    def decode(self, ids, **kwargs):
        return "".join(chr(i) for i in ids if i)


def _ids(*texts: str) -> torch.Tensor:
    return torch.tensor([[ord(c) for c in text] for text in texts])


def test_stop_strings_need_the_string_to_reach_the_last_token():
    criteria = ours_sc.StopStringCriteria(_Chars(), ["stop", "\n"])
    assert criteria(_ids("we stop", "stopped", "a sto \n", "stoxxxx"), None).tolist() == [True, False, True, False]
    with pytest.raises(ConfigError):
        ours_sc.StopStringCriteria(_Chars(), [""])
    with pytest.raises(TypeError, match="decode"):
        ours_sc.StopStringCriteria(object(), ["x"])


def test_stop_strings_in_generate_stop_rows():
    from embrace.models.llama import LlamaConfig, LlamaForCausalLM

    torch.manual_seed(0)
    model = LlamaForCausalLM(LlamaConfig(vocab_size=128, hidden_size=16, intermediate_size=32, num_hidden_layers=1,
                                         num_attention_heads=2, pad_token_id=0, eos_token_id=None))
    prompt = torch.tensor([[65, 66]])
    free = model.generate(prompt, max_new_tokens=8)[0, 2:].tolist()
    stop = chr(free[2])  # the third generated character
    stopped = model.generate(prompt, max_new_tokens=8, stop_strings=stop, tokenizer=_Chars())
    assert stopped[0, 2:].tolist() == free[: free.index(free[2]) + 1]


def test_text_streamer_prints_words_and_skips_prompt(capsys):
    streamer = TextStreamer(_Chars(), skip_prompt=True)
    streamer.put(_ids("prompt"))
    for ch in "hello wo":
        streamer.put(torch.tensor([ord(ch)]))
    streamer.end()
    assert capsys.readouterr().out == "hello wo\n"
    with pytest.raises(ValueError, match="batch size 1"):
        streamer.put(_ids("ab", "cd"))


def test_iterator_streamer_matches_reference_chunks():
    ours, ref = TextIteratorStreamer(_Chars()), transformers.TextIteratorStreamer(_Chars())
    for streamer in (ours, ref):
        streamer.put(_ids("Hi"))
        for ch in "a b\nc 世界 end":
            streamer.put(torch.tensor([ord(ch)]))
        streamer.end()
    assert list(ours) == list(ref)


def test_iterator_streamer_with_generate_in_a_thread():
    from embrace.models.llama import LlamaConfig, LlamaForCausalLM

    torch.manual_seed(0)
    model = LlamaForCausalLM(LlamaConfig(vocab_size=128, hidden_size=16, intermediate_size=32, num_hidden_layers=1,
                                         num_attention_heads=2, eos_token_id=None))
    prompt = torch.tensor([[72, 105]])
    expected = model.generate(prompt, max_new_tokens=6)
    streamer = TextIteratorStreamer(_Chars(), skip_prompt=True, timeout=60)
    thread = threading.Thread(target=model.generate, kwargs=dict(inputs=prompt, max_new_tokens=6, streamer=streamer))
    thread.start()
    text = "".join(streamer)
    thread.join()
    assert text == _Chars().decode(expected[0, 2:].tolist())
