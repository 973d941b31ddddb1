"""question-answering against the legacy reference (transformers 4.53.3, which still had
the pipeline), on a tiny random BERT QA head saved by the current reference."""

from __future__ import annotations

import pytest
import torch
import transformers

import embrace
from embrace.errors import PipelineException
from tests.oracle.legacy import run_legacy

from ._compare import assert_same

CONTEXT = ("The Eiffel Tower is a wrought-iron lattice tower on the Champ de Mars in Paris, France. It is named "
           "after the engineer Gustave Eiffel, whose company designed and built the tower from 1887 to 1889. "
           "Locally nicknamed La dame de fer, it was constructed as the centerpiece of the 1889 World's Fair. ") * 2
QUESTIONS = ["Who designed the tower?", "Where is the tower?", "When was it built?"]

# name -> (call kwargs); every case runs single and batched on our side
CASES = {
    "single": {"question": QUESTIONS[0], "context": CONTEXT},
    "top_k": {"question": QUESTIONS[1], "context": CONTEXT, "top_k": 4},
    "short_windows": {"question": QUESTIONS[2], "context": CONTEXT, "max_seq_len": 48, "doc_stride": 16, "top_k": 3},
    "impossible": {"question": QUESTIONS[0], "context": CONTEXT[:200], "handle_impossible_answer": True, "top_k": 2},
    "long_answers": {"question": QUESTIONS[1], "context": CONTEXT[:300], "max_answer_len": 40, "top_k": 2},
    "no_word_alignment": {"question": QUESTIONS[0], "context": CONTEXT[:250], "align_to_words": False, "top_k": 3},
    "many_questions": {"question": QUESTIONS, "context": CONTEXT, "max_seq_len": 64, "doc_stride": 24},
}


@pytest.fixture(scope="module")
def qa_folder(tmp_path_factory, tiny_bert):
    folder = tmp_path_factory.mktemp("tiny-qa")
    config = transformers.BertConfig(vocab_size=30522, hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                                     intermediate_size=37)
    torch.manual_seed(0)
    transformers.BertForQuestionAnswering(config).eval().save_pretrained(folder)
    tokenizer_source = tiny_bert("base")
    for name in ("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "vocab.txt"):
        (folder / name).write_bytes((tokenizer_source / name).read_bytes())
    return folder


@pytest.fixture(scope="module")
def legacy_answers(qa_folder):
    return run_legacy(
        """
        from transformers import pipeline
        qa = pipeline("question-answering", model=args["folder"])
        result = {name: qa(**kwargs) for name, kwargs in args["cases"].items()}
        result["dicts"] = qa([{"question": q, "context": args["context"]} for q in args["questions"]], batch_size=2)
        """,
        {"folder": str(qa_folder), "cases": CASES, "context": CONTEXT, "questions": QUESTIONS},
    )


@pytest.fixture(scope="module")
def ours(qa_folder):
    return embrace.pipeline("question-answering", model=str(qa_folder))


@pytest.mark.parametrize("name", sorted(CASES))
def test_matches_legacy_reference(ours, legacy_answers, name):
    kwargs = CASES[name]
    assert_same(ours(**kwargs), legacy_answers[name], tol=1e-5)
    assert_same(ours(**kwargs, batch_size=4), legacy_answers[name], tol=1e-5)


def test_dict_inputs_batched(ours, legacy_answers):
    examples = [{"question": q, "context": CONTEXT} for q in QUESTIONS]
    assert_same(ours(examples, batch_size=2), legacy_answers["dicts"], tol=1e-5)
    assert_same(ours(QUESTIONS[0], CONTEXT), ours(question=QUESTIONS[0], context=CONTEXT))
    assert ours.task == "question-answering"


def test_bad_input(ours):
    with pytest.raises(PipelineException, match="context"):
        ours({"question": "Who?"})
    with pytest.raises(PipelineException, match="cannot be empty"):
        ours(question="Who?", context="")
    with pytest.raises(ValueError, match="same lengths"):
        ours(question=["a", "b"], context=["c"])
    with pytest.raises(ValueError, match="doc_stride"):
        ours(question="Who?", context=CONTEXT, max_seq_len=32, doc_stride=64)
    with pytest.raises(ValueError, match="top_k"):
        ours(question="Who?", context=CONTEXT, top_k=0)
    with pytest.raises(TypeError, match="flavour"):
        ours(question="Who?", context=CONTEXT, flavour=1)
