"""LoRA: wrapping, forward+backward training step, merge_and_unload and adapter save/load,
embrace.peft vs the reference peft on the same small Llama (4 layers, hidden 256).

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


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
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


if __name__ == "__main__":
    main()
