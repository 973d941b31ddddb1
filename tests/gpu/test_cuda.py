"""CUDA checks: run only where a GPU is present (CI machines have none; they skip this module).

What needs a GPU to be tested at all: fp16 training with a GradScaler (``fp16=True`` refuses the
CPU), bf16 autocast on CUDA, parity of our models with the reference on CUDA kernels, and the
automatic compilation of the decoding steps that ``generate()`` does on CUDA with a static cache.
Run them with ``.venv/bin/python -m pytest tests/gpu`` on a machine with CUDA.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")

import embrace  # noqa: E402
from tests.training.conftest import TINY_BERT, PadCollator, embrace_bert, make_classification_data  # noqa: E402

CUDA = torch.device("cuda")
LLAMA = dict(vocab_size=64, hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=4,
             num_key_value_heads=2, max_position_embeddings=64, bos_token_id=1, eos_token_id=2, pad_token_id=0)


@pytest.fixture(scope="module")
def llamas():
    import transformers

    torch.manual_seed(0)
    ref = transformers.LlamaForCausalLM(transformers.LlamaConfig(**LLAMA)).to(CUDA).eval()
    ours = embrace.LlamaForCausalLM(embrace.LlamaConfig(**LLAMA)).eval()
    ours.load_state_dict(ref.state_dict())
    return ref, ours.to(CUDA)


def _prompts():
    ids = torch.tensor([[5, 9, 11, 13, 17], [0, 0, 21, 23, 29]], device=CUDA)
    return ids, (ids != 0).long()


def test_llama_logits_match_reference_on_cuda(llamas):
    ref, ours = llamas
    ids, mask = _prompts()
    with torch.no_grad():
        torch.testing.assert_close(ours(ids, attention_mask=mask).logits, ref(ids, attention_mask=mask).logits,
                                   atol=1e-5, rtol=0)


def test_greedy_matches_reference_dynamic_and_auto_compiled_static(llamas):
    ref, ours = llamas
    ids, mask = _prompts()
    options = dict(attention_mask=mask, max_new_tokens=12, do_sample=False, pad_token_id=0)
    expected = ref.generate(ids, **options)
    assert torch.equal(ours.generate(ids, **options), expected)
    # On CUDA a static cache makes generate() compile the decoding steps by itself
    # (CompileConfig(): inductor, reduce-overhead = CUDA graphs), like the reference.
    torch._dynamo.reset()
    static = ours.generate(ids, cache_implementation="static", **options)
    assert "_compiled_call" in ours.__dict__
    assert torch.equal(static, expected)
    assert torch.equal(ours.generate(ids, cache_implementation="static", **options), expected)  # graph replay
    torch._dynamo.reset()


def test_early_stops_match_reference_with_the_deferred_stop_check(llamas):
    # On CUDA generate() learns "all rows finished" one step late (no host sync per step) and
    # drops the extra step: the sequences must still be the reference's, whichever step ends them.
    ref, ours = llamas
    ids, mask = _prompts()
    options = dict(attention_mask=mask, max_new_tokens=12, do_sample=False, pad_token_id=0)
    free = ref.generate(ids, eos_token_id=63, **options)
    stops = sorted(set(free[:, 6:12].flatten().tolist()))
    assert stops
    for eos in stops:
        for extra in ({}, {"cache_implementation": "static"}):
            expected = ref.generate(ids, eos_token_id=eos, **options, **extra)
            assert torch.equal(ours.generate(ids, eos_token_id=eos, **options, **extra), expected), (eos, extra)


def _train(library, state, output_dir, resume_from_checkpoint=None, **extra):
    args = dict(max_steps=12, per_device_train_batch_size=4, gradient_accumulation_steps=2, learning_rate=1e-3,
                weight_decay=0.01, warmup_steps=2, logging_steps=1, seed=7, save_strategy="no", report_to="none",
                disable_tqdm=True)
    args.update(extra)
    if library == "reference":
        import transformers

        model = transformers.BertForSequenceClassification(transformers.BertConfig(**TINY_BERT))
        model.load_state_dict(state)
        trainer = transformers.Trainer(model=model, args=transformers.TrainingArguments(output_dir=str(output_dir), **args),
                                       train_dataset=make_classification_data(48), data_collator=PadCollator())
        trainer.model_accepts_loss_kwargs = False  # see tests/training/test_trainer_parity.py
    else:
        trainer = embrace.Trainer(model=embrace_bert(state), args=embrace.TrainingArguments(output_dir=str(output_dir), **args),
                                  train_dataset=make_classification_data(48), data_collator=PadCollator())
    trainer.train(resume_from_checkpoint=resume_from_checkpoint)
    return trainer, [h["loss"] for h in trainer.state.log_history if "loss" in h]


@pytest.fixture(scope="module")
def bert_state():
    import transformers

    torch.manual_seed(0)
    return {k: v.clone() for k, v in transformers.BertForSequenceClassification(transformers.BertConfig(**TINY_BERT)).state_dict().items()}


@pytest.mark.parametrize("precision", ["fp16", "bf16"])
def test_mixed_precision_loss_curve_matches_reference(bert_state, tmp_path, precision):
    ref, ref_losses = _train("reference", bert_state, tmp_path / "ref", **{precision: True})
    ours, our_losses = _train("ours", bert_state, tmp_path / "ours", **{precision: True})
    assert next(ours.model.parameters()).device.type == "cuda"
    assert len(our_losses) == len(ref_losses) == 12
    np.testing.assert_allclose(our_losses, ref_losses, atol=2e-3, rtol=0)
    if precision == "fp16":
        # The GradScaler really ran: it has a scale, and it grows or shrinks like the reference's.
        assert ours._scaler is not None and ours._scaler.get_scale() > 0


def test_fp16_resume_reproduces_the_run(bert_state, tmp_path):
    # The uninterrupted run leaves checkpoint-6 behind; a fresh Trainer resumes from it.
    _, full = _train("ours", bert_state, tmp_path / "full", fp16=True, save_strategy="steps", save_steps=6)
    checkpoint = tmp_path / "full" / "checkpoint-6"
    assert (checkpoint / "scaler.pt").is_file()
    trainer, _ = _train("ours", bert_state, tmp_path / "resumed", resume_from_checkpoint=str(checkpoint), fp16=True)
    resumed = [h["loss"] for h in trainer.state.log_history if "loss" in h and h["step"] > 6]
    np.testing.assert_allclose(resumed, full[6:], atol=1e-5, rtol=0)
